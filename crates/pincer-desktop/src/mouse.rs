//! `mouse`: move, click, double-click, right-click, drag and scroll. Coordinates are pixels of
//! the last screenshot (screen pixels before the first one) and are mapped to the screen.

use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;
use pincer_core::tools::{
    Access, DesktopAccess, Disclosure, ToolError, ToolOutput, ToolSettings, TypedTool,
};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::Desktop;
use crate::capture;
use crate::control::Indicator;
use crate::input;
use crate::mapping::ScreenMapping;

/// Scrolling more notches than this in one call is refused.
const MAX_SCROLL: i32 = 100;

pub(crate) struct MouseTool {
    pub(crate) desktop: Arc<Desktop>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    action: Action,
    /// Required for move; start of a drag
    x: Option<f64>,
    y: Option<f64>,
    /// drag: release point
    to_x: Option<f64>,
    to_y: Option<f64>,
    /// Default left
    button: Option<ButtonName>,
    /// scroll: right (negative: left)
    dx: Option<i32>,
    /// scroll: down (negative: up)
    dy: Option<i32>,
}

#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Action {
    Move,
    Click,
    DoubleClick,
    RightClick,
    Drag,
    Scroll,
}

#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ButtonName {
    Left,
    Right,
    Middle,
}

impl ButtonName {
    fn to_enigo(self) -> enigo::Button {
        match self {
            ButtonName::Left => enigo::Button::Left,
            ButtonName::Right => enigo::Button::Right,
            ButtonName::Middle => enigo::Button::Middle,
        }
    }
}

/// A point as given and where it is on the screen.
#[derive(Clone, Copy)]
pub(crate) struct Point {
    given: (f64, f64),
    screen: (i32, i32),
    /// The given coordinates are a screenshot's, not the screen's.
    mapped: bool,
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (x, y) = self.screen;
        if self.mapped && (f64::from(x), f64::from(y)) != self.given {
            write!(
                f,
                "({}, {}) in the last screenshot = ({x}, {y}) on the screen",
                self.given.0, self.given.1
            )
        } else {
            write!(f, "({x}, {y}) on the screen")
        }
    }
}

pub(crate) enum Plan {
    Move(Point),
    Click {
        at: Option<Point>,
        button: ButtonName,
        count: u32,
    },
    Drag {
        from: Option<Point>,
        to: Point,
        button: ButtonName,
    },
    Scroll {
        at: Option<Point>,
        dx: i32,
        dy: i32,
    },
}

fn invalid(message: impl Into<String>) -> ToolError {
    ToolError::InvalidArguments(message.into())
}

/// `x`/`y` (or `to_x`/`to_y`): both or neither.
fn pair(
    x: Option<f64>,
    y: Option<f64>,
    names: (&str, &str),
    last: Option<ScreenMapping>,
) -> Result<Option<Point>, ToolError> {
    match (x, y) {
        (None, None) => Ok(None),
        (Some(x), Some(y)) => point(x, y, last).map(Some),
        _ => Err(invalid(format!(
            "give both {} and {} or neither",
            names.0, names.1
        ))),
    }
}

fn point(x: f64, y: f64, last: Option<ScreenMapping>) -> Result<Point, ToolError> {
    if !x.is_finite() || !y.is_finite() {
        return Err(invalid("coordinates must be numbers"));
    }
    match last {
        Some(mapping) => {
            if !mapping.contains(x, y) {
                return Err(invalid(format!(
                    "({x}, {y}) is outside the last screenshot, which is {}×{} (x 0 to {}, y 0 to {}); coordinates are pixels of the last screenshot",
                    mapping.image_width,
                    mapping.image_height,
                    mapping.image_width.saturating_sub(1),
                    mapping.image_height.saturating_sub(1)
                )));
            }
            Ok(Point {
                given: (x, y),
                screen: mapping.to_screen(x, y),
                mapped: true,
            })
        }
        None => {
            let fits = |v: f64| v >= f64::from(i32::MIN) && v <= f64::from(i32::MAX);
            if !fits(x) || !fits(y) {
                return Err(invalid(format!("({x}, {y}) is far outside any screen")));
            }
            Ok(Point {
                given: (x, y),
                screen: (x.round() as i32, y.round() as i32),
                mapped: false,
            })
        }
    }
}

impl Plan {
    fn new(args: Args, last: Option<ScreenMapping>) -> Result<Plan, ToolError> {
        let Args {
            action,
            x,
            y,
            to_x,
            to_y,
            button,
            dx,
            dy,
        } = args;
        if action != Action::Drag && (to_x.is_some() || to_y.is_some()) {
            return Err(invalid("to_x and to_y are only used with action \"drag\""));
        }
        if action != Action::Scroll && (dx.is_some() || dy.is_some()) {
            return Err(invalid("dx and dy are only used with action \"scroll\""));
        }
        if matches!(action, Action::Move | Action::Scroll) && button.is_some() {
            return Err(invalid(
                "button is only used with click, double_click and drag",
            ));
        }
        let at = pair(x, y, ("x", "y"), last)?;
        match action {
            Action::Move => at
                .map(Plan::Move)
                .ok_or_else(|| invalid("action \"move\" needs x and y: where to move the pointer")),
            Action::Click | Action::DoubleClick => Ok(Plan::Click {
                at,
                button: button.unwrap_or(ButtonName::Left),
                count: if action == Action::DoubleClick { 2 } else { 1 },
            }),
            Action::RightClick => {
                if button.is_some_and(|b| b != ButtonName::Right) {
                    return Err(invalid(
                        "right_click always uses the right button; use action \"click\" with a button instead",
                    ));
                }
                Ok(Plan::Click {
                    at,
                    button: ButtonName::Right,
                    count: 1,
                })
            }
            Action::Drag => {
                let to = pair(to_x, to_y, ("to_x", "to_y"), last)?.ok_or_else(|| {
                    invalid("action \"drag\" needs to_x and to_y: where to drop (x and y, where to start, default to the pointer's position)")
                })?;
                Ok(Plan::Drag {
                    from: at,
                    to,
                    button: button.unwrap_or(ButtonName::Left),
                })
            }
            Action::Scroll => {
                let (dx, dy) = (dx.unwrap_or(0), dy.unwrap_or(0));
                if dx == 0 && dy == 0 {
                    return Err(invalid(
                        "action \"scroll\" needs dy (positive scrolls down, negative up) or dx (positive right, negative left), in notches of the wheel",
                    ));
                }
                // `unsigned_abs`: `abs` of i32::MIN overflows (a panic, or in a release
                // build a negative number that passed this check).
                if dx.unsigned_abs() > MAX_SCROLL.unsigned_abs()
                    || dy.unsigned_abs() > MAX_SCROLL.unsigned_abs()
                {
                    return Err(invalid(format!(
                        "scroll at most {MAX_SCROLL} notches per call (got dx {dx}, dy {dy})"
                    )));
                }
                Ok(Plan::Scroll { at, dx, dy })
            }
        }
    }

    fn points(&self) -> Vec<Point> {
        match self {
            Plan::Move(point) => vec![*point],
            Plan::Click { at, .. } | Plan::Scroll { at, .. } => at.iter().copied().collect(),
            Plan::Drag { from, to, .. } => from.iter().copied().chain([*to]).collect(),
        }
    }

    fn summary(&self) -> String {
        let at = |point: &Option<Point>| match point {
            Some(point) => format!("at {point}"),
            None => "at the pointer's current position".to_owned(),
        };
        match self {
            Plan::Move(point) => format!("move the mouse pointer to {point}"),
            Plan::Click {
                at: p,
                button,
                count,
            } => {
                let what = match (button, count) {
                    (ButtonName::Right, 1) => "right-click",
                    (ButtonName::Middle, 1) => "middle-click",
                    (ButtonName::Left, 1) => "click",
                    (ButtonName::Right, _) => "double-right-click",
                    (ButtonName::Middle, _) => "double-middle-click",
                    (ButtonName::Left, _) => "double-click",
                };
                format!("{what} {}", at(p))
            }
            Plan::Drag { from, to, button } => {
                let from = match from {
                    Some(point) => format!("from {point}"),
                    None => "from the pointer's current position".to_owned(),
                };
                let with = match button {
                    ButtonName::Left => "",
                    ButtonName::Right => " with the right button",
                    ButtonName::Middle => " with the middle button",
                };
                format!("drag{with} {from} to {to}")
            }
            Plan::Scroll { at: p, dx, dy } => {
                let mut parts = Vec::new();
                if *dy != 0 {
                    let way = if *dy > 0 { "down" } else { "up" };
                    parts.push(format!("{way} {}", dy.unsigned_abs()));
                }
                if *dx != 0 {
                    let way = if *dx > 0 { "right" } else { "left" };
                    parts.push(format!("{way} {}", dx.unsigned_abs()));
                }
                format!("scroll {} {}", parts.join(" and "), at(p))
            }
        }
    }
}

impl TypedTool for MouseTool {
    type Args = Args;
    type Plan = Plan;

    fn name(&self) -> &'static str {
        "mouse"
    }

    fn disclosure(&self) -> Disclosure {
        Disclosure::OnRequest
    }

    fn index_group(&self) -> Option<&str> {
        Some(crate::SCREEN_TOOLS)
    }

    fn description(&self) -> &'static str {
        "Move, click, double-click, right-click, drag or scroll. x/y are pixels of the last screenshot (take one first); without x/y, click and scroll act where the pointer is. Scroll amounts are wheel notches."
    }

    /// The screenshot mapping is applied here, once: a screenshot taken while the approval
    /// waits cannot move the click away from the point the user approved.
    fn plan(&self, args: Args, _settings: &ToolSettings) -> Result<(Access, Plan), ToolError> {
        self.desktop.require_display()?;
        let plan = Plan::new(args, self.desktop.control.last_screenshot())?;
        let access = Access::Desktop {
            kind: DesktopAccess::Input,
            summary: plan.summary(),
        };
        Ok((access, plan))
    }

    fn run<'a>(
        &'a self,
        plan: Plan,
        _settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(async move {
            let control = &self.desktop.control;
            let token = control.stop_token();
            let done = plan.summary();
            let end = control
                .run_exclusive(token, Indicator::On, move |token| {
                    check_on_screen(&plan.points())?;
                    token.check()?;
                    let mut enigo = input::connect()?;
                    perform(&mut enigo, token, &plan)?;
                    Ok(input::location(&enigo))
                })
                .await?;
            let mut text = format!("Done: {done}.");
            if let Some((x, y)) = end {
                text.push_str(&format!(" The pointer is now at ({x}, {y}) on the screen."));
            }
            Ok(ToolOutput::from(text))
        })
    }
}

/// Refuses points that are on no monitor, naming the screen's size.
fn check_on_screen(points: &[Point]) -> Result<(), ToolError> {
    if points.is_empty() {
        return Ok(());
    }
    let monitors = capture::monitors()?;
    for point in points {
        let (x, y) = point.screen;
        if !monitors.iter().any(|m| m.rect.contains(x, y)) {
            return Err(ToolError::InvalidArguments(format!(
                "({x}, {y}) is outside the screen, which is {}",
                capture::describe_screen(&monitors)
            )));
        }
    }
    Ok(())
}

fn perform(
    enigo: &mut enigo::Enigo,
    token: &crate::control::StopToken,
    plan: &Plan,
) -> Result<(), ToolError> {
    let go = |enigo: &mut enigo::Enigo, point: &Option<Point>| -> Result<(), ToolError> {
        if let Some(point) = point {
            token.check()?;
            input::move_to(enigo, point.screen)?;
        }
        Ok(())
    };
    match plan {
        Plan::Move(point) => go(enigo, &Some(*point)),
        Plan::Click { at, button, count } => {
            go(enigo, at)?;
            input::click(enigo, token, button.to_enigo(), *count)
        }
        Plan::Drag { from, to, button } => {
            go(enigo, from)?;
            token.check()?;
            input::drag(enigo, token, button.to_enigo(), to.screen)
        }
        Plan::Scroll { at, dx, dy } => {
            go(enigo, at)?;
            input::scroll(enigo, token, *dx, *dy)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::mapping::Rect;

    /// A 1920×1080 screen seen through a 1280×720 screenshot.
    const SCALED: ScreenMapping = ScreenMapping {
        area: Rect {
            x: 0,
            y: 0,
            width: 1920,
            height: 1080,
        },
        image_width: 1280,
        image_height: 720,
    };

    fn plan(args: serde_json::Value, last: Option<ScreenMapping>) -> Result<Plan, ToolError> {
        Plan::new(pincer_core::tools::parse_args(&args)?, last)
    }

    fn summary(args: serde_json::Value, last: Option<ScreenMapping>) -> String {
        plan(args, last).unwrap().summary()
    }

    #[test]
    fn the_most_negative_scroll_is_refused_not_wrapped() {
        for args in [
            json!({"action": "scroll", "dy": i32::MIN}),
            json!({"action": "scroll", "dx": i32::MIN, "dy": 1}),
        ] {
            let refused = plan(args.clone(), None).map(|p| p.summary());
            assert!(
                matches!(&refused, Err(ToolError::InvalidArguments(m)) if m.contains("at most 100 notches")),
                "{args}: {refused:?}"
            );
        }
    }

    #[test]
    fn without_a_screenshot_coordinates_are_screen_pixels() {
        assert_eq!(
            summary(json!({"action": "click", "x": 120, "y": 40}), None),
            "click at (120, 40) on the screen"
        );
    }

    #[test]
    fn after_a_scaled_screenshot_coordinates_are_mapped_and_the_summary_says_both() {
        let plan = plan(json!({"action": "click", "x": 100, "y": 50}), Some(SCALED)).unwrap();
        assert_eq!(plan.points()[0].screen, (150, 75));
        assert_eq!(
            plan.summary(),
            "click at (100, 50) in the last screenshot = (150, 75) on the screen"
        );
        let drag = super::tests::plan(
            json!({"action": "drag", "x": 0, "y": 0, "to_x": 1279, "to_y": 719}),
            Some(SCALED),
        )
        .unwrap();
        let screen: Vec<_> = drag.points().iter().map(|p| p.screen).collect();
        assert_eq!(screen, vec![(0, 0), (1919, 1079)]);
    }

    #[test]
    fn a_screenshot_at_scale_one_reads_like_screen_pixels() {
        let unscaled = ScreenMapping {
            area: Rect {
                x: 0,
                y: 0,
                width: 1280,
                height: 800,
            },
            image_width: 1280,
            image_height: 800,
        };
        assert_eq!(
            summary(
                json!({"action": "move", "x": 321, "y": 123}),
                Some(unscaled)
            ),
            "move the mouse pointer to (321, 123) on the screen"
        );
    }

    #[test]
    fn every_action_has_a_summary_that_says_exactly_what() {
        for (args, expected) in [
            (
                json!({"action": "double_click", "x": 5, "y": 6}),
                "double-click at (5, 6) on the screen",
            ),
            (
                json!({"action": "right_click"}),
                "right-click at the pointer's current position",
            ),
            (
                json!({"action": "click", "button": "middle", "x": 1, "y": 2}),
                "middle-click at (1, 2) on the screen",
            ),
            (
                json!({"action": "drag", "x": 10, "y": 20, "to_x": 30, "to_y": 40}),
                "drag from (10, 20) on the screen to (30, 40) on the screen",
            ),
            (
                json!({"action": "scroll", "dy": 3}),
                "scroll down 3 at the pointer's current position",
            ),
            (
                json!({"action": "scroll", "dy": -2, "dx": 4, "x": 7, "y": 8}),
                "scroll up 2 and right 4 at (7, 8) on the screen",
            ),
        ] {
            assert_eq!(summary(args, None), expected);
        }
    }

    #[test]
    fn points_outside_the_last_screenshot_are_refused_with_its_size() {
        let err = plan(json!({"action": "click", "x": 1280, "y": 10}), Some(SCALED))
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("invalid arguments"), "{err}");
        assert!(err.contains("1280×720"), "{err}");
        let err = plan(
            json!({"action": "drag", "x": 1, "y": 1, "to_x": 5, "to_y": -1}),
            Some(SCALED),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("(5, -1) is outside the last screenshot"),
            "{err}"
        );
    }

    #[test]
    fn malformed_requests_say_what_is_missing() {
        for (args, expected) in [
            (json!({"action": "move"}), "needs x and y"),
            (json!({"action": "click", "x": 3}), "both x and y"),
            (
                json!({"action": "drag", "x": 3, "y": 4}),
                "needs to_x and to_y",
            ),
            (json!({"action": "scroll"}), "needs dy"),
            (json!({"action": "scroll", "dy": 500}), "at most 100"),
            (
                json!({"action": "click", "dx": 1}),
                "only used with action \"scroll\"",
            ),
            (
                json!({"action": "move", "x": 1, "y": 1, "to_x": 1}),
                "only used with action \"drag\"",
            ),
            (
                json!({"action": "right_click", "button": "left"}),
                "always uses the right button",
            ),
            (json!({"action": "wiggle"}), "unknown variant"),
            (json!({"action": "click", "z": 1}), "unknown field"),
        ] {
            let err = plan(args.clone(), None).err().unwrap();
            assert!(
                matches!(err, ToolError::InvalidArguments(_)),
                "{args}: {err}"
            );
            assert!(err.to_string().contains(expected), "{args}: {err}");
        }
    }
}
