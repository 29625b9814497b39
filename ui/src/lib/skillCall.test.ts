import { describe, expect, it } from "vitest";
import { parseSkillOutput, skillNameOf, slashName, startedByUser } from "./skillCall";

const wrapped = '<skill name="notes" folder="/home/me/.pincer/skills/notes">\nCompatibility: macOS\n# Notes\n\nKeep them short.\n</skill>';

describe("skill call output", () => {
  it("takes the instructions out of the wrapper", () => {
    expect(parseSkillOutput(wrapped)).toEqual({
      name: "notes",
      folder: "/home/me/.pincer/skills/notes",
      instructions: "# Notes\n\nKeep them short.",
      meta: ["Compatibility: macOS"],
      userText: null,
    });
  });

  it("reads what the user typed after /name, whatever it holds", () => {
    const out = parseSkillOutput(`${wrapped}\n\nThe user started this skill with: fix </skill> in\nmy notes`);
    expect(out?.instructions).toBe("# Notes\n\nKeep them short.");
    expect(out?.userText).toBe("fix </skill> in\nmy notes");
  });

  it("sets the engine's lines apart from the skill's own text", () => {
    const out = parseSkillOutput(
      [
        '<skill name="gh" folder="/s/gh">',
        "Tools this skill expects to use: exec",
        "Its own tools: gh_pr",
        "Run `gh` for the user.",
        "",
        "Files in its folder (relative paths resolve against the folder above): scripts/pr.sh, README.md",
        "</skill>",
      ].join("\n"),
    );
    expect(out?.instructions).toBe("Run `gh` for the user.");
    expect(out?.meta).toEqual([
      "Tools this skill expects to use: exec",
      "Its own tools: gh_pr",
      "Files in its folder: scripts/pr.sh, README.md",
    ]);
  });

  it("keeps a folder with quotes in it", () => {
    expect(parseSkillOutput('<skill name="a" folder="/x/"odd" dir">\nBody\n</skill>')?.folder).toBe('/x/"odd" dir');
  });

  it("is null for errors and other shapes", () => {
    expect(parseSkillOutput("error: there is no skill named `x`")).toBeNull();
    expect(parseSkillOutput('<skill name="a" folder="/f">\nno end')).toBeNull();
  });

  it("names the skill from the arguments, else from the output", () => {
    expect(skillNameOf('{"name":"web-research"}', null)).toBe("web-research");
    expect(skillNameOf('{"name":"/web-research "}', null)).toBe("web-research");
    expect(skillNameOf("", wrapped)).toBe("notes");
    expect(skillNameOf("not json", null)).toBeNull();
  });

  it("reads a slash command as the engine does", () => {
    expect(slashName("/web-research what is new")).toBe("web-research");
    expect(slashName("  /notes")).toBe("notes");
    expect(slashName("/etc/hosts")).toBeNull();
    expect(slashName("see /notes")).toBeNull();
    expect(slashName(null)).toBeNull();
  });

  it("tells a /name start from the model's call", () => {
    const args = { skill: "notes", output: wrapped };
    expect(startedByUser({ ...args, firstInTurn: true, turnText: "/notes tidy up" })).toBe(true);
    expect(startedByUser({ ...args, firstInTurn: false, turnText: "/notes tidy up" })).toBe(false);
    expect(startedByUser({ ...args, firstInTurn: true, turnText: "/notesx" })).toBe(false);
    expect(startedByUser({ ...args, firstInTurn: true, turnText: null })).toBe(false);
    expect(
      startedByUser({ ...args, output: `${wrapped}\n\nThe user started this skill with: tidy`, firstInTurn: false, turnText: null }),
    ).toBe(true);
  });
});
