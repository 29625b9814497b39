//! The desktop tools without a display: availability, what the policy is told, and the
//! argument errors the model gets. Nothing here touches a screen, so it runs anywhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use pincer_core::policy::{PolicyConfig, Verdict};
use pincer_core::tools::{
    Access, DesktopAccess, Tool, ToolError, ToolExt, ToolRegistry, ToolSettings,
};
use pincer_desktop::{Availability, Control, availability_from, register_tools_with};
use serde_json::json;

fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    }
}

fn reason(availability: Availability) -> String {
    match availability {
        Availability::Unavailable(reason) => reason,
        Availability::Available => panic!("expected unavailable"),
    }
}

#[cfg(target_os = "linux")]
mod availability {
    use super::*;

    #[test]
    fn an_x11_session_is_available() {
        let found = availability_from(&env(&[("DISPLAY", ":0"), ("XDG_SESSION_TYPE", "x11")]));
        assert_eq!(found, Availability::Available);
        // Xvfb and ssh -X set only DISPLAY.
        assert_eq!(
            availability_from(&env(&[("DISPLAY", ":99")])),
            Availability::Available
        );
    }

    #[test]
    fn a_wayland_session_is_unavailable_and_says_to_log_in_to_xorg() {
        let found = reason(availability_from(&env(&[
            ("WAYLAND_DISPLAY", "wayland-0"),
            ("XDG_SESSION_TYPE", "wayland"),
        ])));
        assert!(found.contains("Wayland session"), "{found}");
        assert!(
            found.contains("only control the screen under X11"),
            "{found}"
        );
        assert!(found.contains("'Xorg' session"), "{found}");
        // WAYLAND_DISPLAY alone, as under some launchers that do not set the session type.
        let found = reason(availability_from(&env(&[("WAYLAND_DISPLAY", "wayland-1")])));
        assert!(found.contains("Wayland session"), "{found}");
    }

    #[test]
    fn xwayland_does_not_make_a_wayland_session_controllable() {
        let found = reason(availability_from(&env(&[
            ("DISPLAY", ":0"),
            ("WAYLAND_DISPLAY", "wayland-0"),
            ("XDG_SESSION_TYPE", "wayland"),
        ])));
        assert!(found.contains("Wayland session"), "{found}");
        assert!(found.contains("XWayland"), "{found}");
    }

    #[test]
    fn no_display_at_all_says_so() {
        let found = reason(availability_from(&env(&[])));
        assert!(found.starts_with("no display"), "{found}");
        let found = reason(availability_from(&env(&[("XDG_SESSION_TYPE", "tty")])));
        assert!(found.starts_with("no display"), "{found}");
        assert_eq!(
            Availability::Unavailable(found.clone()).to_string(),
            found,
            "Display shows the reason as it is"
        );
    }
}

fn registry(availability: Availability) -> (ToolRegistry, Control) {
    let control = Control::new();
    let mut registry = ToolRegistry::default();
    register_tools_with(&mut registry, &control, availability);
    (registry, control)
}

fn settings() -> ToolSettings {
    ToolSettings::new(std::env::temp_dir())
}

fn tool(registry: &ToolRegistry, name: &str) -> Arc<dyn Tool> {
    registry.get(name).expect(name).clone()
}

fn access(
    registry: &ToolRegistry,
    name: &str,
    args: serde_json::Value,
) -> Result<Access, ToolError> {
    tool(registry, name).access(&args, &settings())
}

fn desktop_summary(access: Access) -> (DesktopAccess, String) {
    match access {
        Access::Desktop { kind, summary } => (kind, summary),
        other => panic!("not a desktop access: {other:?}"),
    }
}

fn invalid(result: Result<Access, ToolError>) -> String {
    match result {
        Err(ToolError::InvalidArguments(message)) => message,
        other => panic!("expected invalid arguments, got {other:?}"),
    }
}

const NO_DISPLAY: &str = "no display: test machine";

#[test]
fn all_four_tools_are_registered_even_without_a_display() {
    let (registry, _) = registry(Availability::Unavailable(NO_DISPLAY.to_owned()));
    let names: Vec<_> = registry.names().collect();
    assert_eq!(names, ["keyboard", "mouse", "notify", "screenshot"]);
    for spec in registry.specs() {
        assert_eq!(spec.parameters["type"], "object", "{}", spec.name);
        assert!(spec.description.len() > 40, "{}", spec.name);
    }
}

#[test]
fn without_a_display_screen_and_input_tools_fail_access_with_the_reason() {
    let (registry, _) = registry(Availability::Unavailable(NO_DISPLAY.to_owned()));
    for (name, args) in [
        ("screenshot", json!({})),
        ("mouse", json!({"action": "click", "x": 1, "y": 1})),
        ("keyboard", json!({"action": "type", "text": "hi"})),
    ] {
        match access(&registry, name, args) {
            Err(ToolError::Failed(message)) => {
                assert!(message.contains(NO_DISPLAY), "{name}: {message}");
                assert!(message.contains("unavailable"), "{name}: {message}");
            }
            other => panic!("{name}: expected the availability failure, got {other:?}"),
        }
    }
    // Notifications do not need the screen.
    let (kind, _) = desktop_summary(access(&registry, "notify", json!({"summary": "hi"})).unwrap());
    assert_eq!(kind, DesktopAccess::Notify);
}

#[tokio::test]
async fn without_a_display_run_fails_too_without_touching_the_screen() {
    let (registry, control) = registry(Availability::Unavailable(NO_DISPLAY.to_owned()));
    let err = tool(&registry, "screenshot")
        .call(json!({}), &settings())
        .await
        .unwrap_err();
    assert!(err.to_string().contains(NO_DISPLAY), "{err}");
    assert!(!control.is_controlling());
    assert!(control.last_screenshot().is_none());
}

#[test]
fn the_policy_asks_for_screen_and_input_and_allows_notify_by_default() {
    let (registry, _) = registry(Availability::Available);
    let policy = PolicyConfig::default();
    for (name, args, kind, verdict, summary) in [
        (
            "screenshot",
            json!({}),
            DesktopAccess::Screen,
            Verdict::Ask,
            "take a screenshot of the whole screen",
        ),
        (
            "mouse",
            json!({"action": "click", "x": 120, "y": 40}),
            DesktopAccess::Input,
            Verdict::Ask,
            "click at (120, 40) on the screen",
        ),
        (
            "keyboard",
            json!({"action": "press", "keys": "Control+Shift+T"}),
            DesktopAccess::Input,
            Verdict::Ask,
            "press ctrl+shift+t in the focused window",
        ),
        (
            "keyboard",
            json!({"action": "type", "text": "hello, world"}),
            DesktopAccess::Input,
            Verdict::Ask,
            "type \"hello, world\" (12 characters) into the focused window",
        ),
        (
            "notify",
            json!({"summary": "Build done", "body": "all green"}),
            DesktopAccess::Notify,
            Verdict::Allow,
            "show a desktop notification: \"Build done\"",
        ),
    ] {
        let access = access(&registry, name, args).unwrap();
        let check = policy.check(name, &access);
        assert_eq!(
            desktop_summary(access),
            (kind, summary.to_owned()),
            "{name}"
        );
        assert_eq!(check.verdict, verdict, "{name}");
        assert_eq!(check.summary, summary, "{name}");
    }
}

#[test]
fn screenshot_arguments_are_checked_before_anything_is_captured() {
    let (registry, _) = registry(Availability::Available);
    for (args, expected) in [
        (json!({"target": "window"}), "needs `window`"),
        (
            json!({"target": "window", "window": "  "}),
            "needs `window`",
        ),
        (json!({"target": "region"}), "needs `region`"),
        (
            json!({"region": {"x": 0, "y": 0, "width": 0, "height": 10}}),
            "at least 1 pixel",
        ),
        (
            json!({"target": "screen", "monitor": 1}),
            "only used with target \"monitor\"",
        ),
        (
            json!({"target": "monitor", "window": "x"}),
            "only used with target \"window\"",
        ),
        (json!({"target": "desktop"}), "unknown variant `desktop`"),
        (json!({"monitor": -1}), "invalid value"),
        (json!({"zoom": 2}), "unknown field `zoom`"),
    ] {
        let message = invalid(access(&registry, "screenshot", args.clone()));
        assert!(message.contains(expected), "{args}: {message}");
    }
    // What is implied by the arguments, said plainly.
    let (_, summary) =
        desktop_summary(access(&registry, "screenshot", json!({"window": "Firefox"})).unwrap());
    assert_eq!(
        summary,
        "take a screenshot of the window whose title or application name contains \"Firefox\""
    );
    let (_, summary) = desktop_summary(
        access(
            &registry,
            "screenshot",
            json!({"region": {"x": 10, "y": 20, "width": 200, "height": 100}}),
        )
        .unwrap(),
    );
    assert!(summary.contains("region 200×100 at (10, 20)"), "{summary}");
}

#[test]
fn keyboard_arguments_are_checked_and_unknown_keys_list_the_valid_names() {
    let (registry, _) = registry(Availability::Available);
    let message = invalid(access(
        &registry,
        "keyboard",
        json!({"action": "press", "keys": "ctrl+hyper+x"}),
    ));
    assert!(message.contains("unknown key `hyper`"), "{message}");
    for name in [
        "ctrl",
        "shift",
        "alt",
        "super",
        "enter",
        "esc",
        "pagedown",
        "f1 to f12",
    ] {
        assert!(message.contains(name), "{name} missing from: {message}");
    }
    for (args, expected) in [
        (json!({"action": "type"}), "needs text"),
        (json!({"action": "type", "text": ""}), "needs text"),
        (json!({"action": "type", "text": "a\u{0}b"}), "NUL"),
        (
            json!({"action": "type", "text": "x".repeat(20_001)}),
            "at most 20000",
        ),
        (json!({"action": "press"}), "needs keys"),
        (json!({"action": "press", "keys": "a+b"}), "one key"),
        (
            json!({"action": "type", "text": "a", "keys": "enter"}),
            "only used with action \"press\"",
        ),
        (
            json!({"action": "press", "keys": "enter", "text": "a"}),
            "only used with action \"type\"",
        ),
        (
            json!({"action": "hold", "keys": "a"}),
            "unknown variant `hold`",
        ),
    ] {
        let message = invalid(access(&registry, "keyboard", args.clone()));
        assert!(message.contains(expected), "{expected}: {message}");
    }
    // A long text is shown shortened in the approval summary, with its real length.
    let long = "word ".repeat(100);
    let (_, summary) = desktop_summary(
        access(
            &registry,
            "keyboard",
            json!({"action": "type", "text": long}),
        )
        .unwrap(),
    );
    let shown: String = long.chars().take(80).collect();
    assert_eq!(
        summary,
        format!("type {shown:?}… (500 characters) into the focused window")
    );
}

#[test]
fn notify_arguments_are_checked() {
    let (registry, _) = registry(Availability::Available);
    for (args, expected) in [
        (json!({"summary": "  "}), "must not be empty"),
        (json!({"body": "no title"}), "missing field `summary`"),
        (json!({"summary": "x".repeat(201)}), "longer than 200"),
        (json!({"summary": "ok", "urgency": "high"}), "unknown field"),
    ] {
        let message = invalid(access(&registry, "notify", args.clone()));
        assert!(message.contains(expected), "{args}: {message}");
    }
}

#[tokio::test]
async fn a_stopped_control_does_not_keep_later_calls_from_running() {
    let (registry, control) = registry(Availability::Unavailable(NO_DISPLAY.to_owned()));
    control.emergency_stop();
    // A call that starts after the stop is not refused as stopped: it fails for its own
    // reason (here: no display).
    let err = tool(&registry, "keyboard")
        .call(json!({"action": "type", "text": "x"}), &settings())
        .await
        .unwrap_err()
        .to_string();
    assert!(!err.contains("emergency stop"), "{err}");
    assert!(err.contains(NO_DISPLAY), "{err}");
}
