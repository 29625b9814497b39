//! `pincer skills list|show|check|new|enable|disable`.

use std::process::ExitCode;

use anyhow::Context as _;
use std::path::Path;

use pincer_core::config::Settings;
use pincer_core::instance;
use pincer_core::protocol::{Op, Submission};
use pincer_core::skills::{Library, Skill, SkillStatus, scaffold};
use pincer_core::text;
use pincer_core::tools::ToolRegistry;
use pincer_gateway::link::RemoteEngine;

use crate::cli::{Global, SkillsArgs, SkillsCommand};

/// Skills are written by strangers: every line this command prints for a person goes
/// through [`text::for_terminal`], so a `SKILL.md` cannot drive the terminal (JSON output,
/// which escapes by itself, uses `std::println!`).
macro_rules! println {
    () => {
        std::println!()
    };
    ($($arg:tt)*) => {
        std::println!("{}", text::for_terminal(&format!($($arg)*)))
    };
}

/// The skills as the headless engine sees them (desktop-only tools count as missing).
pub fn library(settings: &Settings) -> Library {
    Library::open(settings, builtin_tools())
}

fn builtin_tools() -> std::collections::BTreeSet<String> {
    ToolRegistry::builtin().names().map(str::to_owned).collect()
}

pub async fn skills(global: &Global, args: SkillsArgs) -> anyhow::Result<ExitCode> {
    let settings = crate::context::settings_allowing_no_provider(global)?;
    let home = settings.home.clone();
    let library = library(&settings);
    let catalog = library.current();
    match args.command {
        SkillsCommand::List { json } => {
            if json {
                std::println!("{}", serde_json::to_string_pretty(&catalog.views())?);
                return Ok(ExitCode::SUCCESS);
            }
            if catalog.skills.is_empty() {
                println!("no skills yet: `pincer skills new NAME` makes one");
            }
            for skill in catalog.skills.iter() {
                print_line(skill);
            }
            if !catalog.problems.is_empty() {
                eprintln!(
                    "\n{} skill file(s) could not be loaded; `pincer skills check` says why",
                    catalog.problems.len()
                );
            }
        }
        SkillsCommand::Show { name, json } => {
            let skill = catalog.get(&name).with_context(|| {
                format!("there is no skill named `{name}` (see `pincer skills list`)")
            })?;
            if json {
                let mut value = serde_json::to_value(skill.view())?;
                value["body"] = serde_json::Value::String(skill.body.clone());
                std::println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                print_details(skill);
            }
        }
        SkillsCommand::Check { json } => {
            let review = catalog
                .skills
                .iter()
                .filter(|s| s.status == SkillStatus::NeedsReview)
                .count();
            if json {
                let report = serde_json::json!({
                    "problems": catalog.problems,
                    "skills": catalog.views(),
                });
                std::println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_check(&catalog.skills, &catalog.problems);
            }
            let failed = !catalog.problems.is_empty() || review > 0;
            return Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            });
        }
        SkillsCommand::New {
            name,
            description,
            in_workspace,
        } => {
            let parent = if in_workspace {
                settings.workspace.join("skills")
            } else {
                settings.home.join("skills")
            };
            let dir = scaffold::create(&parent, &name, description.as_deref())?;
            library.mark_authored(&dir, &name)?;
            println!("created {}", dir.join("SKILL.md").display());
            println!(
                "edit it; Pincer picks up changes within a second (`pincer skills check` finds mistakes)"
            );
            println!(
                "it counts as yours (its tools run without asking) while its files are as made; after editing, `pincer skills enable {name}` records them as yours again"
            );
        }
        SkillsCommand::Enable { name } => {
            let view = match set_in_daemon(&home, &name, true).await? {
                // The daemon changed it; read back what it recorded.
                true => Library::open(&settings, builtin_tools())
                    .current()
                    .get(&name)
                    .map(|skill| skill.view())
                    .with_context(|| format!("no skill named {name}"))?,
                false => library.set_enabled(&name, true)?,
            };
            let note = match view.status {
                SkillStatus::Unavailable => {
                    format!(" but cannot run here: {}", view.unmet.join("; "))
                }
                _ if view.approved => {
                    " (its current files are recorded as reviewed; a change flags it again)"
                        .to_owned()
                }
                _ => String::new(),
            };
            println!("enabled {name}{note}");
        }
        SkillsCommand::Disable { name } => {
            if !set_in_daemon(&home, &name, false).await? {
                library.set_enabled(&name, false)?;
            }
            println!("disabled {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Turns a skill on or off through the daemon (or app) serving the data home, so its engine
/// applies the change and every open window hears of it. `false` when none runs: the
/// caller changes the files itself, and the next engine to start reads them.
async fn set_in_daemon(home: &Path, name: &str, enabled: bool) -> anyhow::Result<bool> {
    let Some(running) = instance::running(home) else {
        return Ok(false);
    };
    let remote = RemoteEngine::connect(home, &running.url).await?;
    // Its folder watcher may not have seen a skill created a moment ago; this command
    // reads the folders itself, so the daemon should too before acting on the name.
    remote.submit(Submission::fresh(Op::ReloadSkills)).await?;
    remote
        .submit(Submission::fresh(Op::SetSkillEnabled {
            name: name.to_owned(),
            enabled,
        }))
        .await?;
    Ok(true)
}

fn status_word(status: SkillStatus) -> &'static str {
    match status {
        SkillStatus::Ready => "ready",
        SkillStatus::Unavailable => "unavailable",
        SkillStatus::NeedsReview => "needs review",
        SkillStatus::Disabled => "disabled",
    }
}

fn print_line(skill: &Skill) {
    let d = &skill.def;
    let emoji = d
        .emoji
        .as_deref()
        .map(|e| format!("{e} "))
        .unwrap_or_default();
    println!(
        "{:<12} {emoji}{}  [{}]  {}",
        status_word(skill.status),
        d.name,
        skill.source.label(),
        text::first_line_at_word(&d.description, 80)
    );
    match skill.status {
        SkillStatus::Unavailable => println!("{:12} {}", "", skill.unmet.join("; ")),
        SkillStatus::NeedsReview => println!(
            "{:12} vetting found {} problem(s): `pincer skills show {}`",
            "",
            skill.findings.len(),
            d.name
        ),
        _ => {}
    }
    for shadow in &skill.shadows {
        println!(
            "{:12} shadows {} ({})",
            "",
            shadow.path,
            shadow.source.label()
        );
    }
}

fn print_details(skill: &Skill) {
    let d = &skill.def;
    println!("{}  ({})", d.name, status_word(skill.status));
    println!("  {}", d.description);
    println!(
        "  folder: {} [{}]",
        skill.dir.display(),
        skill.source.label()
    );
    for (label, value) in [
        ("license", &d.license),
        ("compatibility", &d.compatibility),
        ("homepage", &d.homepage),
        ("credential", &d.primary_env),
    ] {
        if let Some(value) = value {
            println!("  {label}: {value}");
        }
    }
    if !d.allowed_tools.is_empty() {
        println!("  allowed tools: {}", d.allowed_tools.join(", "));
    }
    if !d.tools.is_empty() {
        let names: Vec<&str> = d.tools.iter().map(|t| t.name.as_str()).collect();
        println!("  adds tools: {}", names.join(", "));
    }
    if !d.user_invocable {
        println!("  cannot be started with /{}", d.name);
    }
    if !d.model_invocable {
        println!(
            "  only you can start it (/{}), the agent does not see it",
            d.name
        );
    }
    if d.always {
        println!("  always in the prompt");
    }
    for reason in &skill.unmet {
        println!("  missing: {reason}");
    }
    for hint in &d.install {
        println!("  install: {}", hint.label);
    }
    for warning in &d.warnings {
        println!("  warning: {warning}");
    }
    for shadow in &skill.shadows {
        println!("  shadows: {} ({})", shadow.path, shadow.source.label());
    }
    if !skill.findings.is_empty() {
        let state = if skill.approved {
            "you enabled it with these".to_owned()
        } else {
            format!("off until you enable it: `pincer skills enable {}`", d.name)
        };
        println!("  vetting ({state}):");
        for f in &skill.findings {
            println!("    {}:{}: {} — {}", f.file, f.line, f.why, f.excerpt);
        }
    }
    println!("\n{}", skill.body.trim_end());
}

fn print_check(skills: &[Skill], problems: &[pincer_core::skills::Problem]) {
    let mut clean = true;
    for problem in problems {
        clean = false;
        println!("error: {problem}");
    }
    for skill in skills {
        let d = &skill.def;
        for f in &skill.findings {
            clean = false;
            let mark = if skill.approved {
                "reviewed"
            } else {
                "flagged"
            };
            println!(
                "{mark}: {}/{}:{}: {} ({})",
                skill.dir.display(),
                f.file,
                f.line,
                f.why,
                f.excerpt
            );
        }
        for reason in &skill.unmet {
            clean = false;
            println!("unavailable: {}: {reason}", d.name);
        }
        for warning in &d.warnings {
            clean = false;
            println!("warning: {}: {warning}", d.name);
        }
    }
    if clean {
        println!("{} skill(s), no problems", skills.len());
    }
}
