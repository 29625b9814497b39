// One turn of a conversation: the user's message, what recall brought back for it ("Remembered
// N"), then text segments, reasoning, tool cards and notes in the order they happened, then
// how the turn ended.

import { memo } from "react";
import type { ApprovalDecision } from "../generated/protocol";
import type { TurnView } from "../state/types";
import { FailureHint } from "./FailureHint";
import { Markdown } from "./Markdown";
import { Reasoning } from "./Reasoning";
import { RecalledChip } from "./RecalledChip";
import { ToolCard } from "./ToolCard";
import { TurnEndNotice } from "./TurnEndNotice";
import { UserMessage } from "./UserMessage";

export interface TurnBlockProps {
  turn: TurnView;
  onDecide?: (callId: string, decision: ApprovalDecision) => void;
}

export const TurnBlock = memo(function TurnBlock({ turn, onDecide }: TurnBlockProps) {
  const running = turn.live && turn.end === null;
  const last = turn.blocks[turn.blocks.length - 1];
  const waitingForModel =
    running && (!last || (last.kind === "tool" && last.tool.status !== "approval") || last.kind === "note");
  return (
    <article className="turn" data-turn-id={turn.turnId ?? undefined} aria-busy={running || undefined}>
      {turn.userText !== null && <UserMessage text={turn.userText} />}
      {turn.recalled && turn.recalled.length > 0 && <RecalledChip items={turn.recalled} />}
      {turn.blocks.map((b, i) => {
        const key = b.kind === "tool" ? `tool-${b.tool.callId}` : `${b.kind}-${i}`;
        switch (b.kind) {
          case "text":
            return (
              <div key={key} className={`assistant${running && b === last ? " streaming" : ""}`}>
                <Markdown text={b.text} testId="message-assistant" />
              </div>
            );
          case "reasoning":
            return <Reasoning key={key} text={b.text} active={running && b === last} />;
          case "tool":
            return (
              <ToolCard
                key={key}
                tool={b.tool}
                turnText={turn.userText}
                firstInTurn={i === 0}
                {...(onDecide && turn.live ? { onDecide: (d: ApprovalDecision) => onDecide(b.tool.callId, d) } : {})}
              />
            );
          case "note":
            return (
              <p key={key} className={`turn-note note-${b.tone}`} data-testid="turn-note" data-kind={b.failure?.kind}>
                {b.text}
                <FailureHint kind={b.failure?.kind} retrying />
              </p>
            );
        }
      })}
      {waitingForModel && (
        <div className="typing" aria-label="Pincer is working">
          <span />
          <span />
          <span />
        </div>
      )}
      {turn.end && <TurnEndNotice end={turn.end} />}
    </article>
  );
});
