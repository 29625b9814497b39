//! `screenshot`: capture the screen, a monitor, a window or a region, scaled to at most
//! 1280 px on the long side, saved as PNG in the workspace and returned as an image.
//!
//! The default target is the whole desktop: every monitor composited into one image, so
//! its coordinates are the screen's (offset by the leftmost/topmost monitor's position).

use std::sync::Arc;

use futures::future::BoxFuture;
use pincer_core::model::ImageRef;
use pincer_core::tools::{
    Access, DesktopAccess, Disclosure, ToolError, ToolOutput, ToolSettings, TypedTool,
};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::Desktop;
use crate::capture::{self, Capture};
use crate::control::Indicator;
use crate::mapping::{Rect, ScreenMapping, format_scale};
use crate::save::{Saved, save_png, scale_down};

pub(crate) struct Screenshot {
    pub(crate) desktop: Arc<Desktop>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Default: screen, or what the other fields imply
    target: Option<Target>,
    /// 0 is the first
    monitor: Option<usize>,
    /// Part of the title or app name
    window: Option<String>,
    region: Option<Region>,
}

#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Target {
    Screen,
    Monitor,
    Window,
    Region,
}

#[derive(Deserialize, JsonSchema, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub(crate) struct Region {
    x: f64,
    y: f64,
    #[schemars(range(min = 1))]
    width: f64,
    #[schemars(range(min = 1))]
    height: f64,
}

/// What to capture, checked.
pub(crate) enum Plan {
    Screen,
    Monitor(usize),
    Window(String),
    /// The region as the model gave it (for the summary) and on the screen.
    Region {
        given: Region,
        screen: Rect,
    },
}

impl Plan {
    fn new(args: Args, last: Option<ScreenMapping>) -> Result<Plan, ToolError> {
        let target = args.target.unwrap_or(if args.region.is_some() {
            Target::Region
        } else if args.window.is_some() {
            Target::Window
        } else if args.monitor.is_some() {
            Target::Monitor
        } else {
            Target::Screen
        });
        let unused = |name: &str, used_with: &str| {
            ToolError::InvalidArguments(format!(
                "`{name}` is only used with target \"{used_with}\"; leave it out or set target to \"{used_with}\""
            ))
        };
        if args.monitor.is_some() && target != Target::Monitor {
            return Err(unused("monitor", "monitor"));
        }
        if args.window.is_some() && target != Target::Window {
            return Err(unused("window", "window"));
        }
        if args.region.is_some() && target != Target::Region {
            return Err(unused("region", "region"));
        }
        match target {
            Target::Screen => Ok(Plan::Screen),
            Target::Monitor => Ok(Plan::Monitor(args.monitor.unwrap_or(0))),
            Target::Window => match args.window.map(|w| w.trim().to_owned()) {
                Some(title) if !title.is_empty() => Ok(Plan::Window(title)),
                _ => Err(ToolError::InvalidArguments(
                    "target \"window\" needs `window`: part of the window's title, e.g. \"Firefox\""
                        .to_owned(),
                )),
            },
            Target::Region => {
                let Some(region) = args.region else {
                    return Err(ToolError::InvalidArguments(
                        "target \"region\" needs `region`: {x, y, width, height} in the last screenshot's pixels"
                            .to_owned(),
                    ));
                };
                Ok(Plan::Region {
                    given: region,
                    screen: region_on_screen(region, last)?,
                })
            }
        }
    }

    fn summary(&self) -> String {
        match self {
            Plan::Screen => "take a screenshot of the whole screen".to_owned(),
            Plan::Monitor(index) => format!("take a screenshot of monitor {index}"),
            Plan::Window(title) => {
                format!(
                    "take a screenshot of the window whose title or application name contains \"{title}\""
                )
            }
            Plan::Region { given, screen } => format!(
                "take a screenshot of the region {}×{} at ({}, {}) (screen {screen})",
                given.width, given.height, given.x, given.y
            ),
        }
    }
}

/// The screen rectangle of a region given in the last screenshot's pixels (screen pixels
/// when there was none).
fn region_on_screen(region: Region, last: Option<ScreenMapping>) -> Result<Rect, ToolError> {
    let Region {
        x,
        y,
        width,
        height,
    } = region;
    if ![x, y, width, height].iter().all(|v| v.is_finite()) {
        return Err(ToolError::InvalidArguments(
            "region values must be numbers".to_owned(),
        ));
    }
    if width < 1.0 || height < 1.0 {
        return Err(ToolError::InvalidArguments(format!(
            "region width and height must be at least 1 pixel (got {width}×{height})"
        )));
    }
    match last {
        Some(mapping) => {
            if !mapping.contains(x, y) {
                return Err(ToolError::InvalidArguments(format!(
                    "the region's corner ({x}, {y}) is outside the last screenshot, which is {}×{}; region coordinates are pixels of the last screenshot",
                    mapping.image_width, mapping.image_height
                )));
            }
            Ok(mapping.rect_to_screen(x, y, width, height))
        }
        None => {
            let fits = |v: f64| v >= f64::from(i32::MIN) && v <= f64::from(i32::MAX);
            if !fits(x) || !fits(y) || width > f64::from(u32::MAX) || height > f64::from(u32::MAX) {
                return Err(ToolError::InvalidArguments(
                    "region is far outside any screen".to_owned(),
                ));
            }
            Ok(Rect {
                x: x.round() as i32,
                y: y.round() as i32,
                width: width.round() as u32,
                height: height.round() as u32,
            })
        }
    }
}

impl TypedTool for Screenshot {
    type Args = Args;
    type Plan = Plan;

    fn name(&self) -> &'static str {
        "screenshot"
    }

    fn disclosure(&self) -> Disclosure {
        Disclosure::OnRequest
    }

    fn index_group(&self) -> Option<&str> {
        Some(crate::SCREEN_TOOLS)
    }

    fn description(&self) -> &'static str {
        "Take a screenshot and look at it: the whole screen (default), a monitor, a window by title, or a region (to zoom into small text). Scaled to at most 1280 px; later mouse and region coordinates are pixels of the last screenshot."
    }

    fn plan(&self, args: Args, _settings: &ToolSettings) -> Result<(Access, Plan), ToolError> {
        self.desktop.require_display()?;
        let plan = Plan::new(args, self.desktop.control.last_screenshot())?;
        let access = Access::Desktop {
            kind: DesktopAccess::Screen,
            summary: plan.summary(),
        };
        Ok((access, plan))
    }

    fn run<'a>(
        &'a self,
        plan: Plan,
        settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(async move {
            let control = &self.desktop.control;
            let token = control.stop_token();
            let workspace = settings.workspace.clone();
            let (saved, mapping, label) = control
                .run_exclusive(token, Indicator::Off, move |token| {
                    let Capture { image, area, label } = match plan {
                        Plan::Screen => capture::capture_screen(token)?,
                        Plan::Monitor(index) => capture::capture_monitor(index)?,
                        Plan::Window(title) => capture::capture_window(&title)?,
                        Plan::Region { screen, .. } => capture::capture_region(token, screen)?,
                    };
                    token.check()?;
                    let image = scale_down(image);
                    token.check()?;
                    let saved = save_png(&workspace, &image)?;
                    let mapping = ScreenMapping {
                        area,
                        image_width: saved.width,
                        image_height: saved.height,
                    };
                    Ok((saved, mapping, label))
                })
                .await?;
            control.set_last_screenshot(mapping);
            Ok(output(&saved, &mapping, &label, &settings.workspace))
        })
    }
}

fn output(
    saved: &Saved,
    mapping: &ScreenMapping,
    label: &str,
    workspace: &std::path::Path,
) -> ToolOutput {
    let shown = saved
        .path
        .strip_prefix(workspace)
        .map(|relative| relative.display().to_string())
        .unwrap_or_else(|_| saved.path.display().to_string());
    let text = format!(
        "Screenshot of {label} ({}×{}, scale {}; {}). Saved to {shown}. Mouse and region coordinates now refer to this image.",
        saved.width,
        saved.height,
        format_scale(mapping.scale_factor()),
        mapping.describe(),
    );
    ToolOutput::from(text).with_image(ImageRef {
        path: saved.path.display().to_string(),
        media_type: "image/png".to_owned(),
    })
}
