//! Skill folders as skills in the wild are written, for the prompt-budget tests of every
//! surface (the CLI's tool set and the desktop app's measure the same 50 skills).

use std::path::Path;

/// A description as skills in the wild write them: a sentence or two, often long.
pub fn realistic_description(i: usize) -> String {
    const TOPICS: &[&str] = &[
        "GitHub pull requests and issues with the gh CLI",
        "Notion pages and databases",
        "Spotify playback on this machine",
        "weather forecasts and severe weather alerts",
        "PDF forms, merging and text extraction",
        "Docker containers, images and compose stacks",
        "calendar events across Google and CalDAV accounts",
        "expense receipts into a monthly spreadsheet",
        "Kubernetes deployments and their logs",
        "translation of documents between languages",
    ];
    let topic = TOPICS[i % TOPICS.len()];
    format!(
        "Work with {topic}: list, search, create and update them, summarize what changed since the last time and explain errors. Use when the user mentions {topic} or asks for anything that needs them; not for general questions. Variant {i}."
    )
}

/// Writes `count` skills `skill-00`, `skill-01`, … into `root`, each with a realistic
/// description and 2 kB of instructions that must stay out of the prompt.
pub fn write_realistic_skills(root: &Path, count: usize) -> std::io::Result<()> {
    for i in 0..count {
        let name = format!("skill-{i:02}");
        let dir = root.join(&name);
        std::fs::create_dir_all(&dir)?;
        let description =
            serde_json::to_string(&realistic_description(i)).map_err(std::io::Error::other)?;
        std::fs::write(
            dir.join("SKILL.md"),
            format!(
                "---\nname: {name}\ndescription: {description}\nmetadata: {{\"openclaw\": {{\"emoji\": \"🧩\"}}}}\n---\n{}",
                "Step by step instructions that stay out of the prompt. ".repeat(40)
            ),
        )?;
    }
    Ok(())
}
