//! `keyboard`: type text into the focused window, or press a key combination.

use std::sync::Arc;

use futures::future::BoxFuture;
use pincer_core::tools::{
    Access, DesktopAccess, Disclosure, ToolError, ToolOutput, ToolSettings, TypedTool,
};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::Desktop;
use crate::control::Indicator;
use crate::input;
use crate::keys::{KeyCombo, VALID_KEYS};

/// Longer texts are refused: typing is slow, and a paste is the better tool.
pub(crate) const MAX_TYPE_CHARS: usize = 20_000;

/// How much of the text the approval summary shows.
const PREVIEW_CHARS: usize = 80;

pub(crate) struct KeyboardTool {
    pub(crate) desktop: Arc<Desktop>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    action: Action,
    /// type: the text to type
    text: Option<String>,
    /// press: modifiers and one key joined with +; names like ctrl, shift, alt, super, enter, tab, esc, up, pagedown, f5, or one character
    keys: Option<String>,
}

#[derive(Deserialize, JsonSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Action {
    Type,
    Press,
}

pub(crate) enum Plan {
    Type(String),
    Press(KeyCombo),
}

impl Plan {
    fn new(args: Args) -> Result<Plan, ToolError> {
        let invalid = |message: String| ToolError::InvalidArguments(message);
        match args.action {
            Action::Type => {
                if args.keys.is_some() {
                    return Err(invalid(
                        "keys is only used with action \"press\"; to type text, give only text"
                            .to_owned(),
                    ));
                }
                let text = args.text.unwrap_or_default();
                if text.is_empty() {
                    return Err(invalid(
                        "action \"type\" needs text: the characters to type".to_owned(),
                    ));
                }
                if text.contains('\0') {
                    return Err(invalid("text must not contain NUL characters".to_owned()));
                }
                let count = text.chars().count();
                if count > MAX_TYPE_CHARS {
                    return Err(invalid(format!(
                        "text has {count} characters; type at most {MAX_TYPE_CHARS} per call"
                    )));
                }
                Ok(Plan::Type(text))
            }
            Action::Press => {
                if args.text.is_some() {
                    return Err(invalid(
                        "text is only used with action \"type\"; to press keys, give only keys"
                            .to_owned(),
                    ));
                }
                let Some(keys) = args.keys else {
                    return Err(invalid(format!(
                        "action \"press\" needs keys, e.g. \"enter\" or \"ctrl+shift+t\"; valid keys: {VALID_KEYS}"
                    )));
                };
                KeyCombo::parse(&keys).map(Plan::Press).map_err(invalid)
            }
        }
    }

    fn summary(&self) -> String {
        match self {
            Plan::Type(text) => {
                let count = text.chars().count();
                let preview: String = text.chars().take(PREVIEW_CHARS).collect();
                let more = if count > PREVIEW_CHARS { "…" } else { "" };
                let unit = if count == 1 {
                    "character"
                } else {
                    "characters"
                };
                format!("type {preview:?}{more} ({count} {unit}) into the focused window")
            }
            Plan::Press(combo) => format!("press {combo} in the focused window"),
        }
    }
}

impl TypedTool for KeyboardTool {
    type Args = Args;
    type Plan = Plan;

    fn name(&self) -> &'static str {
        "keyboard"
    }

    fn disclosure(&self) -> Disclosure {
        Disclosure::OnRequest
    }

    fn index_group(&self) -> Option<&str> {
        Some(crate::SCREEN_TOOLS)
    }

    fn description(&self) -> &'static str {
        "Type text (exactly; newlines press Enter) or press one key combination such as \"enter\", \"ctrl+s\", \"alt+f4\", in the focused window (click into it first)."
    }

    fn plan(&self, args: Args, _settings: &ToolSettings) -> Result<(Access, Plan), ToolError> {
        self.desktop.require_display()?;
        let plan = Plan::new(args)?;
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
            let text = control
                .run_exclusive(token, Indicator::On, move |token| {
                    let mut enigo = input::connect()?;
                    match &plan {
                        Plan::Type(text) => {
                            input::type_text(&mut enigo, token, text)?;
                            let count = text.chars().count();
                            Ok(format!("Typed {count} characters."))
                        }
                        Plan::Press(combo) => {
                            input::press(&mut enigo, token, combo)?;
                            Ok(format!("Pressed {combo}."))
                        }
                    }
                })
                .await?;
            Ok(ToolOutput::from(text))
        })
    }
}
