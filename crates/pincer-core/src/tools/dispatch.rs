//! Progressive disclosure: the request's tools array carries the core tools in full and
//! never changes mid-session (providers cache the prefix). Every other tool (desktop
//! automation, skill tools, …) is a one-line entry in `use_tool`'s description or in a
//! loaded skill. `use_tool { name }` without `arguments` answers with that tool's
//! description and schema (a tool result, appended to the conversation);
//! `use_tool { name, arguments }` runs it. The engine unwraps such a call to the named tool
//! before policy, approval, events and audit, so those see the real tool and its real
//! arguments, exactly as for a direct call.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Access, Tool, ToolError, ToolOutput, ToolRegistry, ToolSettings, TypedTool};
use crate::model::{ToolCall, ToolSpec};
use crate::skills::Catalog;
use crate::text::first_line_at_word_unmarked as index_line;

pub const USE: &str = "use_tool";

/// Characters of a tool's description its index line keeps.
const INDEX_CHARS: usize = 60;

/// The tools array of a request: the core tools, `skill` when skills are listed, and
/// `use_tool` when any tool is on request. It depends only on the registry and the
/// catalog, so it is byte-identical for every step and turn that share them.
pub fn offered(core: &[ToolSpec], registry: &ToolRegistry, catalog: &Catalog) -> Vec<ToolSpec> {
    let mut specs = core.to_vec();
    specs.extend(
        catalog
            .tools
            .get(crate::skills::skill_tool::NAME)
            .map(|tool| tool.spec()),
    );
    let on_request: Vec<&Arc<dyn Tool>> = registry.on_request().collect();
    // Anything in the catalog besides `skill` itself is a skill-declared tool.
    let skill_tools = catalog
        .tools
        .keys()
        .any(|name| name != crate::skills::skill_tool::NAME);
    if !on_request.is_empty() || skill_tools {
        specs.push(UseTool::listing(&on_request).spec());
    }
    specs
}

/// For a small local window: the `skill` tool and `use_tool` listing every other tool in
/// one line each; a tool's schema reaches the model only when it asks for it.
pub fn offered_compact(registry: &ToolRegistry, catalog: &Catalog) -> Vec<ToolSpec> {
    let mut specs: Vec<ToolSpec> = catalog
        .tools
        .get(crate::skills::skill_tool::NAME)
        .map(|tool| tool.spec())
        .into_iter()
        .collect();
    let all: Vec<&Arc<dyn Tool>> = registry
        .names()
        .filter_map(|name| registry.get(name))
        .filter(|tool| tool.disclosure() != super::Disclosure::Hidden)
        .collect();
    specs.push(UseTool::listing(&all).spec());
    specs
}

/// The tool a call names: the registry's, the catalog's, or `use_tool`.
pub fn find(registry: &ToolRegistry, catalog: &Catalog, name: &str) -> Option<Arc<dyn Tool>> {
    if let Some(tool) = registry.get(name).or_else(|| catalog.tools.get(name)) {
        return Some(Arc::clone(tool));
    }
    (name == USE).then(|| Arc::new(UseTool::describing(registry, catalog)) as Arc<dyn Tool>)
}

/// The call a `use_tool` call stands for, or `None` if `call` is not one, asks for a
/// description (no `arguments`), or does not say which tool (then `use_tool` itself runs:
/// it describes the tool or says what is wrong).
pub fn unwrap(call: &ToolCall) -> Option<ToolCall> {
    if call.name != USE {
        return None;
    }
    let args: UseArgs = serde_json::from_str(&call.arguments).ok()?;
    if args.name == USE {
        return None;
    }
    let arguments = match args.arguments? {
        Value::Null => return None,
        // Models sometimes send the inner arguments as a JSON string.
        Value::String(text) => text,
        other => other.to_string(),
    };
    Some(ToolCall {
        id: call.id.clone(),
        provider_id: call.provider_id.clone(),
        name: args.name,
        arguments,
    })
}

/// `use_tool`: describes or runs the named tool. The engine unwraps a run before anything
/// else (see [`unwrap`]); `use_tool` itself only describes, or says what is wrong.
#[derive(Default)]
pub struct UseTool {
    description: String,
    tools: BTreeMap<String, Arc<dyn Tool>>,
}

impl UseTool {
    /// As offered: its description lists `listed`, one line each.
    fn listing(listed: &[&Arc<dyn Tool>]) -> Self {
        let mut description = "Run a skill's tool or one below (lines cut short); without arguments, returns its parameters.".to_owned();
        let mut groups_listed: Vec<&str> = Vec::new();
        for tool in listed {
            let line = match tool.index_group() {
                Some(group) if groups_listed.contains(&group) => continue,
                Some(group) => {
                    groups_listed.push(group);
                    let names: Vec<&str> = listed
                        .iter()
                        .filter(|t| t.index_group() == Some(group))
                        .map(|t| t.name())
                        .collect();
                    format!("{}: {group}", names.join(", "))
                }
                None => format!(
                    "{}: {}",
                    tool.name(),
                    index_line(tool.description(), INDEX_CHARS)
                ),
            };
            description.push('\n');
            description.push_str(&line);
        }
        Self {
            description,
            tools: BTreeMap::new(),
        }
    }

    /// As run: it can describe every tool of the registry and the catalog.
    fn describing(registry: &ToolRegistry, catalog: &Catalog) -> Self {
        let mut tools: BTreeMap<String, Arc<dyn Tool>> = catalog.tools.clone();
        for name in registry.names() {
            if let Some(tool) = registry.get(name) {
                tools.insert(name.to_owned(), Arc::clone(tool));
            }
        }
        Self {
            description: String::new(),
            tools,
        }
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UseArgs {
    name: String,
    #[schemars(with = "Option<Map<String, Value>>")]
    arguments: Option<Value>,
}

impl TypedTool for UseTool {
    type Args = UseArgs;
    type Plan = String;

    fn name(&self) -> &str {
        USE
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn plan(&self, args: UseArgs, _: &ToolSettings) -> Result<(Access, String), ToolError> {
        if args.name == USE || args.arguments.as_ref().is_some_and(|a| !a.is_null()) {
            return Err(ToolError::InvalidArguments(format!(
                "use_tool cannot run `{}`; name another tool",
                args.name
            )));
        }
        let Some(tool) = self.tools.get(&args.name) else {
            let known: Vec<&str> = self.tools.keys().map(String::as_str).collect();
            return Err(ToolError::InvalidArguments(format!(
                "no tool named `{}`; tools: {}",
                args.name,
                known.join(", ")
            )));
        };
        let spec = tool.spec();
        let text = serde_json::json!({
            "name": spec.name,
            "description": spec.description,
            "parameters": spec.parameters,
        })
        .to_string();
        let access = Access::Describe {
            names: vec![args.name],
        };
        Ok((access, text))
    }

    fn run<'a>(
        &'a self,
        text: String,
        _: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(async move { Ok(ToolOutput::from(text)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(arguments: &str) -> ToolCall {
        ToolCall {
            id: "e1".to_owned(),
            provider_id: Some("call_0".to_owned()),
            name: USE.to_owned(),
            arguments: arguments.to_owned(),
        }
    }

    #[test]
    fn use_tool_with_arguments_stands_for_the_named_tool() {
        let inner = unwrap(&call(r#"{"name":"mouse","arguments":{"x":1}}"#));
        let inner = inner.map(|c| (c.id, c.provider_id, c.name, c.arguments));
        assert_eq!(
            inner,
            Some((
                "e1".to_owned(),
                Some("call_0".to_owned()),
                "mouse".to_owned(),
                r#"{"x":1}"#.to_owned()
            ))
        );
        // Inner arguments sent as a JSON string are taken as they are.
        let inner = unwrap(&call(r#"{"name":"mouse","arguments":"{\"x\":1}"}"#));
        assert_eq!(inner.map(|c| c.arguments).as_deref(), Some(r#"{"x":1}"#));
        // An empty object runs a tool that takes no arguments.
        let inner = unwrap(&call(r#"{"name":"screenshot","arguments":{}}"#));
        assert_eq!(inner.map(|c| c.arguments).as_deref(), Some("{}"));
    }

    #[test]
    fn use_tool_without_arguments_runs_itself_to_describe() {
        assert!(unwrap(&call(r#"{"name":"mouse"}"#)).is_none());
        assert!(unwrap(&call(r#"{"name":"mouse","arguments":null}"#)).is_none());
        assert!(unwrap(&call(r#"{"name":"use_tool","arguments":{}}"#)).is_none());
        let mut other = call(r#"{"name":"mouse","arguments":{}}"#);
        other.name = "exec".to_owned();
        assert!(unwrap(&other).is_none(), "only use_tool is unwrapped");
    }
}
