//! `pincer skills new NAME`: a skill folder with a SKILL.md to fill in.

use std::path::{Path, PathBuf};

use super::definition::check_name;
use super::library::SkillsError;

/// Creates `<parent>/<name>/SKILL.md`; refuses to touch an existing folder.
pub fn create(
    parent: &Path,
    name: &str,
    description: Option<&str>,
) -> Result<PathBuf, SkillsError> {
    check_name(name).map_err(SkillsError::Invalid)?;
    let dir = parent.join(name);
    if dir.exists() {
        return Err(SkillsError::Invalid(format!(
            "{} already exists; pick another name or edit that skill",
            dir.display()
        )));
    }
    let description = description.map_or_else(
        || "Say in one sentence what this skill does and when to use it.".to_owned(),
        |d| d.trim().replace('\n', " "),
    );
    let text = format!(
        "---\n\
         name: {name}\n\
         description: {description}\n\
         # Optional (see docs/skills.md):\n\
         # metadata:\n\
         #   openclaw:\n\
         #     requires:\n\
         #       bins: [gh]\n\
         #       env: [GITHUB_TOKEN]\n\
         ---\n\
         \n\
         # {name}\n\
         \n\
         Write the instructions the agent should follow, step by step. Files next to this\n\
         one can be referred to as `{{baseDir}}/file`.\n",
        description = yaml_scalar(&description),
    );
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes).map_err(|source| SkillsError::Write {
            path: path.to_path_buf(),
            source,
        })
    };
    std::fs::create_dir_all(&dir).map_err(|source| SkillsError::Write {
        path: dir.clone(),
        source,
    })?;
    write(&dir.join("SKILL.md"), text.as_bytes())?;
    Ok(dir)
}

/// A YAML scalar for one line of text: quoted when plain YAML would misread it.
fn yaml_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.starts_with(|c: char| "!&*{}[]|>'\"%@`#,?:-".contains(c));
    if plain {
        text.to_owned()
    } else {
        serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn new_skill_loads_and_existing_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = create(tmp.path(), "notes", Some("Keep notes: tidy and dated")).unwrap();
        let bytes = std::fs::read(dir.join("SKILL.md")).unwrap();
        let parsed = super::super::frontmatter::parse(&bytes).unwrap();
        assert_eq!(parsed.fields["description"], "Keep notes: tidy and dated");
        assert!(create(tmp.path(), "notes", None).is_err());
        assert!(create(tmp.path(), "bad name", None).is_err());
    }
}
