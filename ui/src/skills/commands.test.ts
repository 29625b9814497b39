import { describe, expect, it } from "vitest";
import { skillView } from "../test/skillView";
import { firstSentence, matchSkills, slashQuery } from "./commands";

describe("slash commands", () => {
  it("reads the name being typed only while the text is a slash and a word", () => {
    expect(slashQuery("/")).toBe("");
    expect(slashQuery("/web")).toBe("web");
    expect(slashQuery("/etc/hosts")).toBe("etc/hosts");
    expect(slashQuery("/web ")).toBeNull();
    expect(slashQuery("/web\n")).toBeNull();
    expect(slashQuery(" /web")).toBeNull();
    expect(slashQuery("web")).toBeNull();
  });

  it("matches anywhere in the name, any case, prefix matches first", () => {
    const skills = ["say-web-hello", "web-research", "Webhooks", "notes"].map((n) => skillView(n));
    expect(matchSkills(skills, "web").map((s) => s.name)).toEqual(["web-research", "Webhooks", "say-web-hello"]);
    expect(matchSkills(skills, "").map((s) => s.name)).toEqual(["notes", "say-web-hello", "web-research", "Webhooks"]);
    expect(matchSkills(skills, "etc/hosts")).toEqual([]);
  });

  it("keeps a description's first sentence, cut at a word", () => {
    expect(firstSentence("Answer a question from several web sources, with citations. Use for research.")).toBe(
      "Answer a question from several web sources, with citations.",
    );
    expect(firstSentence("Tidy files, e.g. downloads. Then stop.")).toBe("Tidy files, e.g. downloads.");
    expect(firstSentence("No full stop at all")).toBe("No full stop at all");
    const long = firstSentence("word ".repeat(40), 30);
    expect(long.length).toBeLessThanOrEqual(30);
    expect(long.endsWith("word…")).toBe(true);
  });
});
