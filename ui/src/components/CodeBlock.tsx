// A fenced code block with its language and a copy button.

import { useEffect, useRef, useState, type ReactNode } from "react";
import { copyText } from "../lib/clipboard";
import { CheckIcon, CopyIcon } from "./Icons";

export function CodeBlock({ language, children }: { language: string | null; children: ReactNode }) {
  const ref = useRef<HTMLPreElement>(null);
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);

  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(null), 1600);
    return () => clearTimeout(t);
  }, [copied]);

  const copy = async () => {
    const text = ref.current?.textContent ?? "";
    setCopied((await copyText(text)) ? "yes" : "failed");
  };

  return (
    <div className="code-block">
      <div className="code-head">
        <span className="code-lang">{language ?? "text"}</span>
        <button type="button" className="code-copy" onClick={copy} aria-label="Copy code">
          {copied === "yes" ? <CheckIcon size={14} /> : <CopyIcon size={14} />}
          <span aria-live="polite">{copied === "yes" ? "Copied" : copied === "failed" ? "Copy failed" : "Copy"}</span>
        </button>
      </div>
      <pre ref={ref}>{children}</pre>
    </div>
  );
}
