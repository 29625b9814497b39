// Memories, lists and recalled items for tests, with the fields overridden as given.

import type { Memory, MemoryList, MessageHit, Recalled } from "../generated/protocol";

export function memory(id: string, content: string, over: Partial<Memory> = {}): Memory {
  return {
    id,
    content,
    kind: "fact",
    scope: "global",
    source_session: null,
    source_message: null,
    provenance: "user",
    created_at: "2025-01-01T10:00:00Z",
    updated_at: "2025-01-01T10:00:00Z",
    last_recalled: null,
    pinned: false,
    superseded_by: null,
    forgotten: false,
    ...over,
  };
}

export function memoryList(memories: Memory[], messages: MessageHit[] = [], total = memories.length): MemoryList {
  return { memories, messages, total };
}

export function hit(message_id: number, session_id: string, content: string, role = "user"): MessageHit {
  return { message_id, session_id, role, content, created_at: "2025-01-02T09:00:00Z" };
}

export function recalled(turn_id: string, kind: Recalled["kind"], source: string, text: string): Recalled {
  return { turn_id, kind, source, text };
}
