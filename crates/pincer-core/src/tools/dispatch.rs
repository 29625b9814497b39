//! Progressive disclosure: the request's tools array carries the core tools in full and
//! never changes mid-session (providers cache the prefix). Every other tool (desktop
//! automation, skill tools, …) is a one-line entry in `use_tool`'s description or in a
//! loaded skill; the model reads its schema with `describe_tools` (the answer is a tool
//! result, appended to the conversation) and runs it with `use_tool`. The engine unwraps
//! `use_tool` to the named tool before policy, approval, events and audit, so those see the
//! real tool and its real arguments, exactly as for a direct call.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Access, Tool, ToolError, ToolOutput, ToolRegistry, ToolSettings, TypedTool};
use crate::model::{ToolCall, ToolSpec};
use crate::skills::Catalog;
use crate::text::first_line_at_word as one_line;

pub const DESCRIBE: &str = "describe_tools";
pub const USE: &str = "use_tool";

/// Characters of a tool's description its index line keeps.
const INDEX_CHARS: usize = 60;

/// The tools array of a request: the core tools, `skill` when skills are listed, and the
/// two dispatchers when any tool is on request. It depends only on the registry and the
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
    let skill_tools = catalog.tools.len() > usize::from(catalog.tools.contains_key("skill"));
    if !on_request.is_empty() || skill_tools {
        specs.push(DescribeTools::default().spec());
        specs.push(UseTool::new(&on_request).spec());
    }
    specs
}

/// The tool a call names: the registry's, the catalog's, or a dispatcher.
pub fn find(registry: &ToolRegistry, catalog: &Catalog, name: &str) -> Option<Arc<dyn Tool>> {
    if let Some(tool) = registry.get(name).or_else(|| catalog.tools.get(name)) {
        return Some(Arc::clone(tool));
    }
    match name {
        DESCRIBE => Some(Arc::new(DescribeTools::new(registry, catalog))),
        USE => Some(Arc::new(UseTool::default())),
        _ => None,
    }
}

/// The call a `use_tool` call stands for, or `None` if `call` is not one or its arguments
/// do not say which tool (then `use_tool` itself runs and reports what is wrong).
pub fn unwrap(call: &ToolCall) -> Option<ToolCall> {
    if call.name != USE {
        return None;
    }
    let args: UseArgs = serde_json::from_str(&call.arguments).ok()?;
    if args.name == USE {
        return None;
    }
    let arguments = match args.arguments {
        Value::Null => "{}".to_owned(),
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

/// `describe_tools`: the full descriptions and schemas of the named tools.
#[derive(Default)]
pub struct DescribeTools {
    tools: BTreeMap<String, Arc<dyn Tool>>,
}

impl DescribeTools {
    pub fn new(registry: &ToolRegistry, catalog: &Catalog) -> Self {
        let mut tools: BTreeMap<String, Arc<dyn Tool>> = catalog.tools.clone();
        for name in registry.names() {
            if let Some(tool) = registry.get(name) {
                tools.insert(name.to_owned(), Arc::clone(tool));
            }
        }
        Self { tools }
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeArgs {
    names: Vec<String>,
}

impl TypedTool for DescribeTools {
    type Args = DescribeArgs;
    type Plan = Vec<String>;

    fn name(&self) -> &str {
        DESCRIBE
    }

    fn description(&self) -> &str {
        "Schemas of tools for use_tool."
    }

    fn plan(
        &self,
        args: DescribeArgs,
        _: &ToolSettings,
    ) -> Result<(Access, Vec<String>), ToolError> {
        if args.names.is_empty() {
            return Err(ToolError::InvalidArguments(
                "names must list at least one tool".to_owned(),
            ));
        }
        let access = Access::Describe {
            names: args.names.clone(),
        };
        Ok((access, args.names))
    }

    fn run<'a>(
        &'a self,
        names: Vec<String>,
        _: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(async move {
            let mut lines = Vec::new();
            for name in &names {
                let line = match self.tools.get(name) {
                    Some(tool) => {
                        let spec = tool.spec();
                        serde_json::json!({
                            "name": spec.name,
                            "description": spec.description,
                            "parameters": spec.parameters,
                        })
                        .to_string()
                    }
                    None => {
                        let known: Vec<&str> = self.tools.keys().map(String::as_str).collect();
                        format!("no tool named `{name}`; tools: {}", known.join(", "))
                    }
                };
                lines.push(line);
            }
            Ok(ToolOutput::from(lines.join("\n")))
        })
    }
}

/// `use_tool`: runs the named tool. The engine unwraps it before anything else (see
/// [`unwrap`]); it only runs itself when its arguments do not name a tool, to say so.
#[derive(Default)]
pub struct UseTool {
    description: String,
}

impl UseTool {
    fn new(listed: &[&Arc<dyn Tool>]) -> Self {
        let mut description =
            "Run a tool not in this list (a skill's, or one below); describe_tools gives its arguments."
                .to_owned();
        for tool in listed {
            description.push('\n');
            description.push_str(tool.name());
            description.push_str(": ");
            description.push_str(&one_line(tool.description(), INDEX_CHARS));
        }
        Self { description }
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UseArgs {
    name: String,
    #[serde(default)]
    #[schemars(with = "Map<String, Value>")]
    arguments: Value,
}

impl TypedTool for UseTool {
    type Args = UseArgs;
    type Plan = ();

    fn name(&self) -> &str {
        USE
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn plan(&self, args: UseArgs, _: &ToolSettings) -> Result<(Access, ()), ToolError> {
        Err(ToolError::InvalidArguments(format!(
            "use_tool cannot run `{}`; name another tool",
            args.name
        )))
    }

    fn run<'a>(
        &'a self,
        (): (),
        _: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(async { Err(ToolError::Failed("use_tool runs no tool itself".to_owned())) })
    }
}
