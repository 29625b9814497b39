//! Scaling a capture down and saving it as `<workspace>/screenshots/<timestamp>-<n>.png`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use image::RgbaImage;
use pincer_core::tools::ToolError;

use crate::mapping::{MAX_LONG_SIDE, fit_within};

/// The folder, inside the workspace, screenshots are saved in.
pub const SCREENSHOT_DIR: &str = "screenshots";

/// Counts screenshots of this process, so two in the same second get different names.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A saved screenshot.
pub(crate) struct Saved {
    pub(crate) path: PathBuf,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// Scales `image` to at most [`MAX_LONG_SIDE`] on the long side, keeping the aspect.
pub(crate) fn scale_down(image: RgbaImage) -> RgbaImage {
    let (width, height) = fit_within(image.width(), image.height(), MAX_LONG_SIDE);
    if (width, height) == image.dimensions() {
        return image;
    }
    image::imageops::resize(
        &image,
        width,
        height,
        image::imageops::FilterType::CatmullRom,
    )
}

/// Saves `image` (opaque; alpha is dropped) as a new PNG under `<workspace>/screenshots/`.
pub(crate) fn save_png(workspace: &Path, image: &RgbaImage) -> Result<Saved, ToolError> {
    let dir = workspace.join(SCREENSHOT_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| ToolError::io("create", &dir, e))?;
    let rgb = image::DynamicImage::ImageRgba8(image.clone()).to_rgb8();
    let stamp = timestamp(SystemTime::now());
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
        let path = dir.join(format!("{stamp}-{n}.png"));
        let file = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(ToolError::io("create", &path, e)),
        };
        let mut writer = std::io::BufWriter::new(file);
        rgb.write_to(&mut writer, image::ImageFormat::Png)
            .map_err(|e| ToolError::Failed(format!("could not write {}: {e}", path.display())))?;
        return Ok(Saved {
            path,
            width: rgb.width(),
            height: rgb.height(),
        });
    }
}

/// `20250314-093005` in UTC: sorts by time and is safe in file names everywhere.
pub(crate) fn timestamp(at: SystemTime) -> String {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_times() {
        assert_eq!(timestamp(UNIX_EPOCH), "19700101-000000");
        // 2024-02-29 23:59:59 UTC, a leap day.
        let leap = UNIX_EPOCH + Duration::from_secs(1_709_251_199);
        assert_eq!(timestamp(leap), "20240229-235959");
        let later = UNIX_EPOCH + Duration::from_secs(1_741_944_605);
        assert_eq!(timestamp(later), "20250314-093005");
    }

    #[test]
    fn large_images_are_scaled_and_saved_as_png() {
        let dir = tempfile::tempdir().unwrap();
        let image = RgbaImage::from_pixel(1920, 1080, image::Rgba([10, 200, 30, 255]));
        let scaled = scale_down(image);
        assert_eq!(scaled.dimensions(), (1280, 720));
        let first = save_png(dir.path(), &scaled).unwrap();
        let second = save_png(dir.path(), &scaled).unwrap();
        assert_ne!(first.path, second.path);
        assert!(first.path.starts_with(dir.path().join("screenshots")));
        let name = first
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(name.ends_with(".png"), "{name}");
        let back = image::open(&first.path).unwrap().to_rgb8();
        assert_eq!(back.dimensions(), (1280, 720));
        assert_eq!(back.get_pixel(640, 360).0, [10, 200, 30]);
    }
}
