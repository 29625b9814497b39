//! Screenshot pixels ↔ screen pixels.
//!
//! A screenshot covers a rectangle of the screen (`area`) and is scaled down so its long side
//! is at most [`MAX_LONG_SIDE`]. The model sees the scaled image, so the mouse tool and region
//! screenshots take coordinates in that image and map them back with [`ScreenMapping`].

use std::fmt;

/// Screenshots are scaled down to at most this many pixels on the long side.
pub const MAX_LONG_SIDE: u32 = 1280;

/// A rectangle in screen pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub fn right(&self) -> i64 {
        i64::from(self.x) + i64::from(self.width)
    }

    pub fn bottom(&self) -> i64 {
        i64::from(self.y) + i64::from(self.height)
    }

    pub fn contains(&self, x: i32, y: i32) -> bool {
        x >= self.x && i64::from(x) < self.right() && y >= self.y && i64::from(y) < self.bottom()
    }

    /// The smallest rectangle holding all of `rects`; `None` for none.
    pub fn union(rects: impl IntoIterator<Item = Rect>) -> Option<Rect> {
        let mut rects = rects.into_iter();
        let first = rects.next()?;
        let (mut left, mut top) = (i64::from(first.x), i64::from(first.y));
        let (mut right, mut bottom) = (first.right(), first.bottom());
        for rect in rects {
            left = left.min(i64::from(rect.x));
            top = top.min(i64::from(rect.y));
            right = right.max(rect.right());
            bottom = bottom.max(rect.bottom());
        }
        Some(Rect {
            x: i32::try_from(left).ok()?,
            y: i32::try_from(top).ok()?,
            width: u32::try_from(right - left).ok()?,
            height: u32::try_from(bottom - top).ok()?,
        })
    }
}

impl fmt::Display for Rect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}×{} at ({}, {})",
            self.width, self.height, self.x, self.y
        )
    }
}

/// The size an image of `width`×`height` is scaled to: the same aspect, long side at most
/// `max_long`, never larger than the original and never zero.
pub fn fit_within(width: u32, height: u32, max_long: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= max_long || long == 0 {
        return (width, height);
    }
    let factor = f64::from(max_long) / f64::from(long);
    let scaled = |side: u32| ((f64::from(side) * factor).round() as u32).clamp(1, max_long);
    (scaled(width), scaled(height))
}

/// How the pixels of one screenshot map to the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenMapping {
    /// The part of the screen the screenshot shows, in screen pixels.
    pub area: Rect,
    /// Size of the saved (possibly scaled-down) image.
    pub image_width: u32,
    pub image_height: u32,
}

impl ScreenMapping {
    /// Screen pixels per image pixel, horizontally and vertically.
    pub fn scale(&self) -> (f64, f64) {
        (
            f64::from(self.area.width) / f64::from(self.image_width.max(1)),
            f64::from(self.area.height) / f64::from(self.image_height.max(1)),
        )
    }

    /// The one scale factor to tell the model (the larger of the two axes'; they differ
    /// only by rounding).
    pub fn scale_factor(&self) -> f64 {
        let (x, y) = self.scale();
        x.max(y)
    }

    /// Whether (`x`, `y`) lies inside the image.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= 0.0 && y >= 0.0 && x < f64::from(self.image_width) && y < f64::from(self.image_height)
    }

    /// The screen pixel under image point (`x`, `y`), kept inside the captured area.
    pub fn to_screen(&self, x: f64, y: f64) -> (i32, i32) {
        let (scale_x, scale_y) = self.scale();
        let map = |value: f64, scale: f64, origin: i32, size: u32| -> i32 {
            let offset = (value * scale)
                .round()
                .clamp(0.0, f64::from(size.max(1) - 1));
            (i64::from(origin) + offset as i64).clamp(i64::from(i32::MIN), i64::from(i32::MAX))
                as i32
        };
        (
            map(x, scale_x, self.area.x, self.area.width),
            map(y, scale_y, self.area.y, self.area.height),
        )
    }

    /// The screen rectangle under the image rectangle at (`x`, `y`) of `width`×`height`.
    pub fn rect_to_screen(&self, x: f64, y: f64, width: f64, height: f64) -> Rect {
        let (scale_x, scale_y) = self.scale();
        let (left, top) = self.to_screen(x, y);
        let max_width = (self.area.right() - i64::from(left)).max(1) as f64;
        let max_height = (self.area.bottom() - i64::from(top)).max(1) as f64;
        Rect {
            x: left,
            y: top,
            width: (width * scale_x).round().clamp(1.0, max_width) as u32,
            height: (height * scale_y).round().clamp(1.0, max_height) as u32,
        }
    }

    /// "screen coordinates = image coordinates × 1.5" (plus the origin when it is not 0,0).
    pub fn describe(&self) -> String {
        let scale = format_scale(self.scale_factor());
        if self.area.x == 0 && self.area.y == 0 {
            format!("screen coordinates = image coordinates × {scale}")
        } else {
            format!(
                "screen coordinates = ({}, {}) + image coordinates × {scale}",
                self.area.x, self.area.y
            )
        }
    }
}

/// 1.0, 1.5, 2.0, 1.067: one decimal for round numbers, up to three otherwise.
pub fn format_scale(scale: f64) -> String {
    let text = format!("{scale:.3}");
    let text = text.trim_end_matches('0');
    if text.ends_with('.') {
        format!("{text}0")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(area: Rect, image: (u32, u32)) -> ScreenMapping {
        ScreenMapping {
            area,
            image_width: image.0,
            image_height: image.1,
        }
    }

    const FULL_HD: Rect = Rect {
        x: 0,
        y: 0,
        width: 1920,
        height: 1080,
    };

    #[test]
    fn large_screens_are_scaled_to_1280_on_the_long_side_keeping_the_aspect() {
        assert_eq!(fit_within(1920, 1080, MAX_LONG_SIDE), (1280, 720));
        assert_eq!(fit_within(2560, 1600, MAX_LONG_SIDE), (1280, 800));
        assert_eq!(fit_within(1080, 1920, MAX_LONG_SIDE), (720, 1280));
        assert_eq!(fit_within(3840, 1080, MAX_LONG_SIDE), (1280, 360));
        assert_eq!(fit_within(1366, 768, MAX_LONG_SIDE), (1280, 720));
    }

    #[test]
    fn small_images_keep_their_size_and_nothing_becomes_zero() {
        assert_eq!(fit_within(1280, 800, MAX_LONG_SIDE), (1280, 800));
        assert_eq!(fit_within(200, 100, MAX_LONG_SIDE), (200, 100));
        assert_eq!(fit_within(10_000, 1, MAX_LONG_SIDE), (1280, 1));
    }

    #[test]
    fn image_points_map_back_to_the_screen_through_the_scale() {
        let m = mapping(FULL_HD, (1280, 720));
        assert_eq!(m.scale(), (1.5, 1.5));
        assert_eq!(m.to_screen(0.0, 0.0), (0, 0));
        assert_eq!(m.to_screen(640.0, 360.0), (960, 540));
        assert_eq!(m.to_screen(100.0, 50.0), (150, 75));
        // The last pixel stays on the screen.
        assert_eq!(m.to_screen(1279.0, 719.0), (1919, 1079));
    }

    #[test]
    fn the_origin_of_a_monitor_or_region_is_added() {
        let second_monitor = Rect {
            x: 1920,
            y: 0,
            width: 2560,
            height: 1440,
        };
        let m = mapping(second_monitor, (1280, 720));
        assert_eq!(m.to_screen(10.0, 20.0), (1940, 40));
        let region = Rect {
            x: 300,
            y: 200,
            width: 400,
            height: 100,
        };
        let m = mapping(region, (400, 100));
        assert_eq!(m.scale(), (1.0, 1.0));
        assert_eq!(m.to_screen(5.0, 7.0), (305, 207));
        assert!(
            m.describe()
                .contains("(300, 200) + image coordinates × 1.0")
        );
    }

    #[test]
    fn monitors_left_of_the_primary_have_negative_coordinates() {
        let left = Rect {
            x: -1280,
            y: 0,
            width: 1280,
            height: 1024,
        };
        let m = mapping(left, (1280, 1024));
        assert_eq!(m.to_screen(0.0, 0.0), (-1280, 0));
        let desktop = Rect::union([left, FULL_HD]).unwrap();
        assert_eq!(
            desktop,
            Rect {
                x: -1280,
                y: 0,
                width: 3200,
                height: 1080
            }
        );
    }

    #[test]
    fn regions_map_to_screen_rectangles() {
        let m = mapping(FULL_HD, (1280, 720));
        let rect = m.rect_to_screen(100.0, 100.0, 200.0, 100.0);
        assert_eq!(
            rect,
            Rect {
                x: 150,
                y: 150,
                width: 300,
                height: 150
            }
        );
        // Cut at the edge of what the screenshot showed.
        let rect = m.rect_to_screen(1200.0, 700.0, 500.0, 500.0);
        assert_eq!(
            (rect.x, rect.y, rect.width, rect.height),
            (1800, 1050, 120, 30)
        );
    }

    #[test]
    fn containment_is_by_image_size() {
        let m = mapping(FULL_HD, (1280, 720));
        assert!(m.contains(0.0, 0.0));
        assert!(m.contains(1279.0, 719.0));
        assert!(!m.contains(1280.0, 10.0));
        assert!(!m.contains(-1.0, 10.0));
    }

    #[test]
    fn the_scale_is_described_in_plain_numbers() {
        assert_eq!(format_scale(1.0), "1.0");
        assert_eq!(format_scale(1.5), "1.5");
        assert_eq!(format_scale(2.0), "2.0");
        assert_eq!(format_scale(1366.0 / 1280.0), "1.067");
        let m = mapping(FULL_HD, (1280, 720));
        assert_eq!(m.describe(), "screen coordinates = image coordinates × 1.5");
    }
}
