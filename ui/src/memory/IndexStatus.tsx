// How far memories are embedded for recall by meaning ([memory.embeddings]): a progress
// bar while the background worker embeds (after the first start or a change of model),
// a quiet line when it is done, and the endpoint's last failure when there is one.

import type { MemoryIndexStatus } from "../generated/protocol";

export function indexing(status: MemoryIndexStatus | undefined): boolean {
  return !!status && status.embedded + status.refused < status.total;
}

export function IndexStatus({ status }: { status: MemoryIndexStatus | undefined }) {
  if (!status) return null;
  const done = status.embedded + status.refused;
  const busy = done < status.total;
  return (
    <div className={`memory-index${status.error ? " failing" : ""}`} data-testid="memory-index">
      {busy ? (
        <>
          <label htmlFor="memory-index-progress">
            Indexing for recall by meaning ({status.model}): {done} of {status.total}
          </label>
          <progress id="memory-index-progress" max={status.total} value={done} />
        </>
      ) : (
        <span className="muted">
          Recall by meaning: {status.embedded} of {status.total} indexed with {status.model}
          {status.refused > 0 ? ` (${status.refused} refused by the endpoint, recalled by words only)` : ""}
        </span>
      )}
      {status.error && (
        <p role="alert" className="memory-index-error">
          The embeddings endpoint failed; recall goes by words until it answers. {status.error}
        </p>
      )}
    </div>
  );
}
