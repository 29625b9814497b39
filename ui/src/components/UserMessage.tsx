export function UserMessage({ text, queued = null }: { text: string; queued?: "queued" | "sending" | null }) {
  return (
    <div className="user-row">
      <div className={`user-bubble${queued ? " queued" : ""}`} data-testid="message-user" data-queued={queued ? "true" : undefined}>
        {text}
        {queued && <span className="queued-tag">{queued === "queued" ? "queued" : "sending…"}</span>}
      </div>
    </div>
  );
}
