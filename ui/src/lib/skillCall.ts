// Reading a call of the `skill` tool: which skill, whether the user started it with
// `/name`, and its instructions without the wrapper the engine puts around them.

import { parseArgs } from "./toolArgs";

/** The tool that loads a skill's instructions (the model's calls and `/name` both use it). */
export const SKILL_TOOL = "skill";

/** The engine adds this last line when the user gave text after `/name`. */
export const USER_STARTED_PREFIX = "The user started this skill with:";

export interface SkillOutput {
  /** From `<skill name="…">`. */
  name: string | null;
  /** The skill's folder, from `<skill … folder="…">`. */
  folder: string | null;
  /** The skill's own instructions (SKILL.md's body), without the lines the engine adds. */
  instructions: string;
  /** The engine's lines about it: compatibility, the tools it expects, its files. */
  meta: string[];
  /** The text after `/name`, when the user gave some. */
  userText: string | null;
}

// The engine writes the folder as it is (a path may hold quotes): it runs to the line's end.
const OPEN = /^<skill name="([^"\n]*)" folder="([^\n]*)">(?:\n|$)/;
const CLOSE = "</skill>";

/**
 * `<skill name="x" folder="/f">\n…\n</skill>\n\nThe user started this skill with: …` →
 * its parts. Null when the output is not a loaded skill (an error, or another shape).
 */
export function parseSkillOutput(output: string): SkillOutput | null {
  const open = OPEN.exec(output);
  if (!open) return null;
  const rest = output.slice(open[0].length);
  let close: number;
  let userText: string | null = null;
  if (rest.trimEnd().endsWith(CLOSE)) {
    close = rest.trimEnd().length - CLOSE.length;
  } else {
    // What the user typed follows the wrapper and may hold anything, `</skill>` included.
    close = rest.indexOf(`${CLOSE}\n\n${USER_STARTED_PREFIX}`);
    if (close < 0) return null;
    userText = rest.slice(close + CLOSE.length).trim().slice(USER_STARTED_PREFIX.length).trim();
  }
  const { instructions, meta } = splitMeta(rest.slice(0, close).trim());
  return { name: open[1] || null, folder: open[2] || null, instructions, meta, userText };
}

/** Lines the engine writes before the body (see `skill_tool::instructions`). */
const HEAD_META = /^(Compatibility|Tools this skill expects to use|Its own tools): /;
const FILES = /\n\nFiles in its folder \(relative paths resolve against the folder above\): ([^\n]*)$/;

function splitMeta(inner: string): { instructions: string; meta: string[] } {
  const lines = inner.split("\n");
  const meta: string[] = [];
  while (lines.length && HEAD_META.test(lines[0]!)) meta.push(lines.shift()!);
  let body = lines.join("\n");
  const files = FILES.exec(body);
  if (files) {
    meta.push(`Files in its folder: ${files[1]}`);
    body = body.slice(0, files.index);
  }
  return { instructions: body.trim(), meta };
}

/** The skill a call loads: its `name` argument, else the name in its output. */
export function skillNameOf(args: string, output: string | null): string | null {
  const parsed = parseArgs(args);
  if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
    const name = (parsed as Record<string, unknown>).name;
    if (typeof name === "string" && name.trim()) return name.trim().replace(/^\//, "");
  }
  return output ? parseSkillOutput(output)?.name ?? null : null;
}

/** `/web-research what is new` → `web-research`, as the engine reads a slash command. */
export function slashName(text: string | null): string | null {
  const m = /^\/([^\s/]+)(?:\s|$)/u.exec((text ?? "").trimStart());
  return m ? m[1]! : null;
}

/**
 * Whether the user started this skill with `/name` rather than the model calling it.
 *
 * Two signs, either enough:
 * - The engine runs `/name` before the model is called, so that call is the first block of
 *   the turn and the turn's message starts with `/name`. The model cannot produce a block
 *   before it, so a model call is never first in a turn that starts with `/name`, unless no
 *   skill of that name exists (then the engine does not start one and the model may try).
 *   Needs the turn's text, which a live turn whose start was missed does not have.
 * - The output's last line starts with "The user started this skill with:". Only `/name`
 *   adds it, but only when the user wrote something after the name.
 */
export function startedByUser(opts: {
  skill: string | null;
  output: string | null;
  firstInTurn: boolean;
  turnText: string | null;
}): boolean {
  const { skill, output, firstInTurn, turnText } = opts;
  if (output) {
    const lastLine = output.trimEnd().split("\n").pop() ?? "";
    if (lastLine.startsWith(USER_STARTED_PREFIX)) return true;
  }
  return firstInTurn && skill !== null && slashName(turnText) === skill;
}
