import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Highlight, plainText, searchTerms, segments, snippetAround } from "./highlight";

function marked(text: string, query: string): string[] {
  const { container } = render(<Highlight text={text} terms={searchTerms(query)} />);
  return [...container.querySelectorAll("mark")].map((m) => m.textContent ?? "");
}

describe("search highlighting", () => {
  it("takes every whitespace-separated part, without the quotes or brackets the daemon drops", () => {
    expect(searchTerms('  "passport"  blue (folder) passport ')).toEqual(["passport", "folder", "blue"]);
    expect(searchTerms("「西湖」 湖")).toEqual(["西湖", "湖"]);
    expect(searchTerms("   ")).toEqual([]);
  });

  it("marks every match of every part, ignoring case, in any script", () => {
    expect(marked("My Passport is in the blue folder; passports expire.", "passport BLUE")).toEqual(["Passport", "blue", "passport"]);
    expect(marked("我每周六去杭州西湖散步", "湖")).toEqual(["湖"]);
    expect(marked("我每周六去杭州西湖散步，湖边", "湖 散步")).toEqual(["湖", "散步", "湖"]);
    expect(marked("東京のホテルは新宿駅の近く", "ホテル 駅")).toEqual(["ホテル", "駅"]);
    // The longer part wins where both match.
    expect(marked("西湖", "西 西湖")).toEqual(["西湖"]);
    // Characters that mean something to a regular expression are plain text.
    expect(marked("is a+b=c? it costs $5.", "a+b=c? $5.")).toEqual(["a+b=c?", "$5."]);
  });

  it("keeps the text whole", () => {
    const text = "The blue folder, the BLUE pot";
    expect(segments(text, ["blue"]).map((s) => s.text).join("")).toBe(text);
    expect(segments(text, []).map((s) => s.mark)).toEqual([false]);
  });

  it("cuts a long message around its first match", () => {
    const long = `${"a ".repeat(300)}the blue folder ${"z ".repeat(300)}`;
    const snippet = snippetAround(long, ["blue"], 100);
    expect(snippet).toContain("the blue folder");
    expect(snippet.startsWith("…")).toBe(true);
    expect(snippet.endsWith("…")).toBe(true);
    expect(Array.from(snippet).length).toBeLessThanOrEqual(102);
    expect(snippetAround("short\n\ntext", ["x"])).toBe("short text");
  });

  it("reads an answer's Markdown as its words", () => {
    expect(plainText("## Plan\n\n- **Saturday**: walk by the `lake`\n> [West Lake](https://example.com) ~~maybe~~")).toBe(
      "Plan\n\nSaturday: walk by the lake\nWest Lake maybe",
    );
    expect(plainText("你每周六去**杭州西湖**散步。")).toBe("你每周六去杭州西湖散步。");
  });
});
