//! Screen capture with xcap: monitors, the whole desktop, windows. Blocking; call only from
//! a blocking thread.

use image::RgbaImage;
use pincer_core::tools::ToolError;

use crate::control::StopToken;
use crate::mapping::Rect;
use crate::window_title::TitleReader;

/// One monitor, as listed by the platform.
#[derive(Debug, Clone)]
pub(crate) struct MonitorInfo {
    /// Position in the platform's list; what `monitor` in the arguments refers to.
    pub(crate) index: usize,
    pub(crate) name: String,
    pub(crate) rect: Rect,
    pub(crate) primary: bool,
}

/// What was captured: the pixels, the screen rectangle they show and a label for the model.
pub(crate) struct Capture {
    pub(crate) image: RgbaImage,
    pub(crate) area: Rect,
    pub(crate) label: String,
}

fn failed(what: &str, e: impl std::fmt::Display) -> ToolError {
    ToolError::Failed(format!("could not {what}: {e}"))
}

fn all_monitors() -> Result<Vec<(MonitorInfo, xcap::Monitor)>, ToolError> {
    let monitors = xcap::Monitor::all().map_err(|e| failed("list the monitors", e))?;
    if monitors.is_empty() {
        return Err(ToolError::Failed(
            "the display reports no monitors, so there is nothing to capture".to_owned(),
        ));
    }
    monitors
        .into_iter()
        .enumerate()
        .map(|(index, monitor)| {
            let info = MonitorInfo {
                index,
                name: monitor.name().unwrap_or_default(),
                rect: Rect {
                    x: monitor
                        .x()
                        .map_err(|e| failed("read a monitor's position", e))?,
                    y: monitor
                        .y()
                        .map_err(|e| failed("read a monitor's position", e))?,
                    width: monitor
                        .width()
                        .map_err(|e| failed("read a monitor's size", e))?,
                    height: monitor
                        .height()
                        .map_err(|e| failed("read a monitor's size", e))?,
                },
                primary: monitor.is_primary().unwrap_or(false),
            };
            Ok((info, monitor))
        })
        .collect()
}

/// The monitors, without their handles.
pub(crate) fn monitors() -> Result<Vec<MonitorInfo>, ToolError> {
    Ok(all_monitors()?.into_iter().map(|(info, _)| info).collect())
}

/// The desktop's size and monitors in words, for error messages.
pub(crate) fn describe_screen(monitors: &[MonitorInfo]) -> String {
    let Some(desktop) = Rect::union(monitors.iter().map(|m| m.rect)) else {
        return "no monitor".to_owned();
    };
    if let [only] = monitors
        && only.rect.x == 0
        && only.rect.y == 0
    {
        return format!("{}×{}", desktop.width, desktop.height);
    }
    let list: Vec<String> = monitors
        .iter()
        .map(|m| format!("monitor {} {}", m.index, m.rect))
        .collect();
    format!(
        "{}×{} at ({}, {}) across {} monitor(s): {}",
        desktop.width,
        desktop.height,
        desktop.x,
        desktop.y,
        monitors.len(),
        list.join(", ")
    )
}

/// Every monitor composited into one image of the whole desktop.
pub(crate) fn capture_screen(token: &StopToken) -> Result<Capture, ToolError> {
    let monitors = all_monitors()?;
    let Some(desktop) = Rect::union(monitors.iter().map(|(info, _)| info.rect)) else {
        return Err(ToolError::Failed(
            "the display reports no monitors".to_owned(),
        ));
    };
    if let [(info, monitor)] = monitors.as_slice() {
        let image = monitor
            .capture_image()
            .map_err(|e| failed("capture the screen", e))?;
        return Ok(Capture {
            image,
            area: info.rect,
            label: "the screen".to_owned(),
        });
    }
    let mut canvas =
        RgbaImage::from_pixel(desktop.width, desktop.height, image::Rgba([0, 0, 0, 255]));
    for (info, monitor) in &monitors {
        token.check()?;
        let image = monitor
            .capture_image()
            .map_err(|e| failed(&format!("capture monitor {}", info.index), e))?;
        image::imageops::replace(
            &mut canvas,
            &image,
            i64::from(info.rect.x) - i64::from(desktop.x),
            i64::from(info.rect.y) - i64::from(desktop.y),
        );
    }
    Ok(Capture {
        image: canvas,
        area: desktop,
        label: format!("the screen ({} monitors)", monitors.len()),
    })
}

/// One monitor by its index.
pub(crate) fn capture_monitor(index: usize) -> Result<Capture, ToolError> {
    let mut monitors = all_monitors()?;
    if index >= monitors.len() {
        let infos: Vec<MonitorInfo> = monitors.into_iter().map(|(info, _)| info).collect();
        return Err(ToolError::InvalidArguments(format!(
            "there is no monitor {index}; the screen is {}",
            describe_screen(&infos)
        )));
    }
    let (info, monitor) = monitors.swap_remove(index);
    let image = monitor
        .capture_image()
        .map_err(|e| failed(&format!("capture monitor {index}"), e))?;
    let primary = if info.primary { ", primary" } else { "" };
    let name = if info.name.is_empty() {
        String::new()
    } else {
        format!(" ({}{primary})", info.name)
    };
    Ok(Capture {
        image,
        area: info.rect,
        label: format!("monitor {index}{name}"),
    })
}

/// A rectangle of the desktop, cut from a capture of the whole screen.
pub(crate) fn capture_region(token: &StopToken, region: Rect) -> Result<Capture, ToolError> {
    let screen = capture_screen(token)?;
    let desktop = screen.area;
    let left = i64::from(region.x).max(i64::from(desktop.x));
    let top = i64::from(region.y).max(i64::from(desktop.y));
    let right = region.right().min(desktop.right());
    let bottom = region.bottom().min(desktop.bottom());
    if right <= left || bottom <= top {
        return Err(ToolError::InvalidArguments(format!(
            "the region {region} is outside the screen, which is {desktop}"
        )));
    }
    let cut = Rect {
        x: left as i32,
        y: top as i32,
        width: (right - left) as u32,
        height: (bottom - top) as u32,
    };
    let image = image::imageops::crop_imm(
        &screen.image,
        (left - i64::from(desktop.x)) as u32,
        (top - i64::from(desktop.y)) as u32,
        cut.width,
        cut.height,
    )
    .to_image();
    Ok(Capture {
        image,
        area: cut,
        label: format!("the region {cut} of the screen"),
    })
}

/// The topmost window whose title (or, failing that, application name) contains `wanted`,
/// case-insensitive.
pub(crate) fn capture_window(wanted: &str) -> Result<Capture, ToolError> {
    let windows = xcap::Window::all().map_err(|e| {
        failed(
            "list the windows (window capture needs a window manager)",
            e,
        )
    })?;
    let titles = TitleReader::new();
    let needle = wanted.to_lowercase();
    let mut seen = Vec::new();
    let mut by_app = None;
    for window in windows {
        if window.is_minimized().unwrap_or(false) {
            continue;
        }
        let title = window
            .title()
            .ok()
            .filter(|title| !title.trim().is_empty())
            .or_else(|| window.id().ok().and_then(|id| titles.wm_name(id)))
            .unwrap_or_default();
        if title.to_lowercase().contains(&needle) {
            return capture_one(&window, &title);
        }
        let app = window.app_name().unwrap_or_default();
        if by_app.is_none() && app.to_lowercase().contains(&needle) {
            by_app = Some((window, title));
            continue;
        }
        let shown = if title.trim().is_empty() { app } else { title };
        if !shown.trim().is_empty() {
            seen.push(shown);
        }
    }
    if let Some((window, title)) = by_app {
        return capture_one(&window, &title);
    }
    seen.truncate(30);
    let known = if seen.is_empty() {
        "no titled window is open (or no window manager lists them)".to_owned()
    } else {
        format!("open windows: {}", seen.join(" | "))
    };
    Err(ToolError::InvalidArguments(format!(
        "no visible window has a title or application name containing \"{wanted}\"; {known}"
    )))
}

fn capture_one(window: &xcap::Window, title: &str) -> Result<Capture, ToolError> {
    let area = Rect {
        x: window
            .x()
            .map_err(|e| failed("read the window's position", e))?,
        y: window
            .y()
            .map_err(|e| failed("read the window's position", e))?,
        width: window
            .width()
            .map_err(|e| failed("read the window's size", e))?,
        height: window
            .height()
            .map_err(|e| failed("read the window's size", e))?,
    };
    let image = window
        .capture_image()
        .map_err(|e| failed(&format!("capture the window \"{title}\""), e))?;
    Ok(Capture {
        image,
        area,
        label: format!("the window \"{title}\""),
    })
}
