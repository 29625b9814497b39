//! Window titles xcap cannot read.
//!
//! xcap reads `_NET_WM_NAME`, falling back to `WM_NAME` only when it is `COMPOUND_TEXT`.
//! Many X11 programs (xterm, ImageMagick's `display`, older toolkits) set only a `WM_NAME`
//! of type `STRING`, so their windows would have no title; this reads it with x11rb.

/// Reads `WM_NAME` of any type from one X connection.
pub(crate) struct TitleReader {
    #[cfg(target_os = "linux")]
    connection: Option<x11rb::rust_connection::RustConnection>,
}

impl TitleReader {
    pub(crate) fn new() -> Self {
        Self {
            #[cfg(target_os = "linux")]
            connection: x11rb::connect(None).ok().map(|(connection, _)| connection),
        }
    }

    /// The window's `WM_NAME`, decoded (`STRING` is Latin-1), if it has one.
    #[cfg(target_os = "linux")]
    pub(crate) fn wm_name(&self, window: u32) -> Option<String> {
        use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _};
        let connection = self.connection.as_ref()?;
        let reply = connection
            .get_property(false, window, AtomEnum::WM_NAME, AtomEnum::ANY, 0, 1024)
            .ok()?
            .reply()
            .ok()?;
        if reply.format != 8 || reply.value.is_empty() {
            return None;
        }
        let title = if reply.type_ == u32::from(AtomEnum::STRING) {
            reply.value.iter().map(|&byte| char::from(byte)).collect()
        } else {
            String::from_utf8_lossy(&reply.value).into_owned()
        };
        Some(title)
    }

    #[cfg(not(target_os = "linux"))]
    pub(crate) fn wm_name(&self, _window: u32) -> Option<String> {
        None
    }
}
