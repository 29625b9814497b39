// What a new chat shows: a greeting and a few prompts to start from.

import { LogoIcon } from "./Icons";

export const EXAMPLE_PROMPTS = [
  "List the files in my workspace and tell me what they are",
  "Summarize the main points of https://example.com",
  "Write a Python script that renames photos by their date",
];

export function ChatEmpty({ onPick }: { onPick: (prompt: string) => void }) {
  return (
    <div className="chat-empty">
      <div className="chat-empty-logo">
        <LogoIcon size={40} />
      </div>
      <h1>What can I do for you?</h1>
      <p className="muted">
        Pincer can read and edit files in its workspace, run commands and fetch web pages. It asks before anything
        risky.
      </p>
      <div className="examples">
        {EXAMPLE_PROMPTS.map((p) => (
          <button key={p} type="button" className="example" onClick={() => onPick(p)}>
            {p}
          </button>
        ))}
      </div>
    </div>
  );
}
