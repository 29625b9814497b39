//! Versioned schema migrations, tracked in `PRAGMA user_version`.

use rusqlite::Connection;

use super::StoreError;

/// Each entry moves the schema one version up. Never edit a released entry; append.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id   TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    turn_id      TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
    content      TEXT NOT NULL,
    tool_calls   TEXT,
    tool_call_id TEXT,
    is_error     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL
);
CREATE INDEX messages_by_session ON messages(session_id, id);
CREATE TABLE usage (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id    TEXT NOT NULL,
    turn_id       TEXT NOT NULL,
    provider      TEXT NOT NULL,
    model         TEXT NOT NULL,
    input_tokens  INTEGER NOT NULL,
    cached_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    ttft_ms       INTEGER,
    duration_ms   INTEGER NOT NULL,
    status        TEXT NOT NULL,
    error         TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX usage_by_session ON usage(session_id);
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  TEXT NOT NULL,
    turn_id     TEXT NOT NULL,
    call_id     TEXT NOT NULL,
    tool        TEXT NOT NULL,
    arguments   TEXT NOT NULL,
    decision    TEXT NOT NULL,
    decided_by  TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX audit_by_session ON audit(session_id);
CREATE TABLE approvals (
    pattern    TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
"#,
    r#"
ALTER TABLE usage ADD COLUMN estimated INTEGER NOT NULL DEFAULT 0;
"#,
    r#"
CREATE TABLE web_sessions (
    token_hash  TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX usage_by_day ON usage(created_at);
"#,
    r#"
CREATE TABLE turns (
    turn_id     TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    outcome     TEXT NOT NULL,
    detail      TEXT,
    ended_at    TEXT NOT NULL
);
CREATE INDEX turns_by_session ON turns(session_id);
-- A request the user stopped is not a failure.
UPDATE usage SET status = 'cancelled' WHERE status = 'error' AND error = 'cancelled';
"#,
    r#"
-- Images a tool produced (JSON list of {path, media_type}); NULL when none.
ALTER TABLE messages ADD COLUMN images TEXT;
"#,
    r#"
-- The kind of failure of a failed turn (auth, rate_limit, …), so a conversation read back
-- later offers the same fix as when it happened. NULL for other outcomes and older rows.
ALTER TABLE turns ADD COLUMN failure_kind TEXT;
"#,
    r#"
-- A browser login needs its cookie and a per-login key the page sends in a header, so a
-- cookie leaked to another local port logs nobody in. Logins from before had no key: they
-- end here (the owner logs in once more).
DROP TABLE web_sessions;
CREATE TABLE web_sessions (
    key_hash    TEXT PRIMARY KEY,
    cookie_hash TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX web_sessions_by_cookie ON web_sessions(cookie_hash);
"#,
    r#"
-- Skill tool grants were keyed by the skill's name (`skill:NAME/TOOL`), so they passed to a
-- changed skill or another skill of that name. They are keyed by folder and content now
-- (`skill:NAME@KEY/TOOL`); the old ones grant nothing and go.
DELETE FROM approvals WHERE pattern LIKE 'skill:%' AND pattern NOT LIKE 'skill:%@%';
"#,
    r#"
-- Long-term memory: facts and preferences with where they came from; every change kept in
-- memory_history so it can be undone. Searchable, like the stored messages, through two
-- FTS5 indexes each (see store/search_terms.rs): trigram for 3+ characters in any script,
-- and a word index whose text pincer_terms() writes (CJK characters and pairs as tokens).
CREATE TABLE memories (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    uid            TEXT NOT NULL UNIQUE,
    content        TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    kind           TEXT NOT NULL DEFAULT 'fact',
    scope          TEXT NOT NULL DEFAULT 'global',
    source_session TEXT,
    source_message INTEGER,
    provenance     TEXT NOT NULL CHECK (provenance IN ('user', 'agent', 'tool', 'untrusted')),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    last_recalled  TEXT,
    pinned         INTEGER NOT NULL DEFAULT 0,
    superseded_by  INTEGER REFERENCES memories(id),
    forgotten_at   TEXT
);
CREATE INDEX memories_by_hash ON memories(scope, content_hash);
CREATE TABLE memory_history (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
    action    TEXT NOT NULL,
    before    TEXT,
    after     TEXT,
    at        TEXT NOT NULL
);
CREATE INDEX memory_history_by_memory ON memory_history(memory_id, id);

CREATE VIRTUAL TABLE memories_tri USING fts5(content, content='memories', content_rowid='id', tokenize='trigram');
CREATE VIRTUAL TABLE memories_words USING fts5(terms, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_tri(rowid, content) VALUES (new.id, new.content);
    INSERT INTO memories_words(rowid, terms) VALUES (new.id, pincer_terms(new.content));
END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_tri(memories_tri, rowid, content) VALUES ('delete', old.id, old.content);
    DELETE FROM memories_words WHERE rowid = old.id;
END;
CREATE TRIGGER memories_fts_update AFTER UPDATE OF content ON memories BEGIN
    INSERT INTO memories_tri(memories_tri, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO memories_tri(rowid, content) VALUES (new.id, new.content);
    DELETE FROM memories_words WHERE rowid = old.id;
    INSERT INTO memories_words(rowid, terms) VALUES (new.id, pincer_terms(new.content));
END;

CREATE VIRTUAL TABLE messages_tri USING fts5(content, content='messages', content_rowid='id', tokenize='trigram');
CREATE VIRTUAL TABLE messages_words USING fts5(terms, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
-- Tool output is not indexed: it is large, and what a turn found is in the answer. The
-- delete triggers mirror the insert conditions: removing from an external-content index a
-- row it never held would corrupt it.
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.role != 'tool' BEGIN
    INSERT INTO messages_tri(rowid, content) VALUES (new.id, new.content);
    INSERT INTO messages_words(rowid, terms) VALUES (new.id, pincer_terms(new.content));
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.role != 'tool' BEGIN
    INSERT INTO messages_tri(messages_tri, rowid, content) VALUES ('delete', old.id, old.content);
    DELETE FROM messages_words WHERE rowid = old.id;
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages WHEN old.role != 'tool' BEGIN
    INSERT INTO messages_tri(messages_tri, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO messages_tri(rowid, content) VALUES (new.id, new.content);
    DELETE FROM messages_words WHERE rowid = old.id;
    INSERT INTO messages_words(rowid, terms) VALUES (new.id, pincer_terms(new.content));
END;
-- The conversations stored before this version become searchable too.
INSERT INTO messages_tri(rowid, content) SELECT id, content FROM messages WHERE role != 'tool';
INSERT INTO messages_words(rowid, terms) SELECT id, pincer_terms(content) FROM messages WHERE role != 'tool';
"#,
    r#"
-- Conversations brought in from elsewhere (`pincer sessions import`): what identifies each
-- in its source, so importing the same file again adds nothing.
CREATE TABLE imported_sessions (
    source_key  TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    imported_at TEXT NOT NULL
);
-- What recall put into a turn's request, for the chat's "remembered" chip.
CREATE TABLE turn_recalls (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    turn_id    TEXT NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('memory', 'message')),
    ref        TEXT NOT NULL,
    text       TEXT NOT NULL
);
CREATE INDEX turn_recalls_by_turn ON turn_recalls(turn_id);
CREATE INDEX turn_recalls_by_session ON turn_recalls(session_id);
-- What was sent with a user message besides its text (what recall gave it), kept so the
-- message reads back exactly as it was sent; not indexed, so it is never found again as
-- if someone had said it.
ALTER TABLE messages ADD COLUMN context TEXT;
-- An undo is a change of its own that names the change it reverted, so undoing again goes
-- one change further back.
ALTER TABLE memory_history ADD COLUMN undoes INTEGER REFERENCES memory_history(id);
-- A session's older turns summarised into one message: the model sees `text` in place of
-- every message up to `upto_message`; the messages themselves stay (the `expand` tool and
-- the UI show them).
CREATE TABLE compactions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id   TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    turn_id      TEXT NOT NULL,
    upto_message INTEGER NOT NULL,
    text         TEXT NOT NULL,
    messages     INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX compactions_by_session ON compactions(session_id, id);
"#,
    r#"
-- Memories' vectors from an embeddings endpoint, for recall by meaning. Keyed by what
-- made them (the endpoint, the model with its input settings) and the memory's content
-- hash, so an edit that is undone, or a fact saved again, is not embedded twice, and
-- changing the model re-embeds in the background while the old vectors stay until then.
-- Little-endian f32, L2-normalised.
CREATE TABLE embeddings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    provider     TEXT NOT NULL,
    model        TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    dims         INTEGER NOT NULL,
    vector       BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (provider, model, content_hash)
);
CREATE INDEX memories_by_content_hash ON memories(content_hash);
"#,
    r#"
-- How far the flush (the engine's own request that saves durable facts from what the user
-- wrote) has read each session, before compaction or when the session goes idle: every
-- message is read once.
CREATE TABLE memory_flushes (
    session_id   TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    upto_message INTEGER NOT NULL,
    saved        INTEGER NOT NULL,
    at           TEXT NOT NULL
);
"#,
    r#"
-- Recall puts every pinned memory of the conversation's scopes first, on every turn;
-- without an index that read the whole table (10 ms a turn at 100k memories).
CREATE INDEX memories_pinned ON memories(updated_at, id) WHERE pinned = 1;
"#,
    r#"
-- Background jobs and the ledger of their runs (store/jobs.rs). A scheduled run is keyed
-- by (job, scheduled instant) and written before it runs: planned once, run at most once.
-- Times are unix seconds of the scheduler's wall clock.
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    uid           TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    prompt        TEXT NOT NULL,
    schedule      TEXT NOT NULL,
    anchor        INTEGER NOT NULL,
    options       TEXT NOT NULL DEFAULT '{}',
    paused        INTEGER NOT NULL DEFAULT 0,
    checked_until INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER
);
CREATE TABLE job_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    uid           TEXT NOT NULL UNIQUE,
    job_id        INTEGER NOT NULL REFERENCES jobs(id),
    scheduled_for INTEGER,
    trigger       TEXT NOT NULL CHECK (trigger IN ('schedule', 'catch_up', 'manual', 'startup')),
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'waiting_approval', 'succeeded',
                      'failed', 'timed_out', 'cancelled', 'skipped', 'missed', 'lost')),
    reason        TEXT,
    session_id    TEXT,
    owner         TEXT,
    queued_at     INTEGER NOT NULL,
    started_at    INTEGER,
    ended_at      INTEGER,
    input_tokens  INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd      REAL,
    output        TEXT,
    UNIQUE (job_id, scheduled_for)
);
CREATE INDEX job_runs_unended ON job_runs(status, queued_at, id)
    WHERE status IN ('queued', 'running', 'waiting_approval');
CREATE INDEX job_runs_by_job ON job_runs(job_id, id);
"#,
    // 15: what background runs spent today is summed before each of their model
    // requests; by when runs ended, not a walk of the whole ledger.
    r#"
CREATE INDEX job_runs_by_end ON job_runs(ended_at) WHERE ended_at IS NOT NULL;
"#,
];

pub(super) fn apply(conn: &mut Connection, path: &str) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > known {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found,
            known,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
