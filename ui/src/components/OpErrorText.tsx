// A refused submission, said plainly: which message was not sent (when it was one) and why.

import type { LiveError } from "../state/types";

export function OpErrorText({ error }: { error: LiveError }) {
  if (error.text === null) return <span>{error.message}</span>;
  return (
    <span>
      Not sent: <span className="op-error-text">“{error.text}”</span> — {error.message}
    </span>
  );
}
