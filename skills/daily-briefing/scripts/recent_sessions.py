#!/usr/bin/env python3
"""The user's recent Pincer chat sessions, newest first, for the daily briefing.

Arguments arrive as a JSON object on stdin: {"days": 1-30 (default 2), "limit": 1-100
(default 20)}. Reads $PINCER_HOME/pincer.db read-only and prints, for each session updated
within the last `days` days: its title, when it was last updated, how many messages the
user wrote, the start of the last one, and lines that ask for a follow-up.
Python 3 standard library only.
"""

import json
import os
import re
import sqlite3
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

DEFAULT_DAYS = 2
MAX_DAYS = 30
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
SNIPPET_CHARS = 200
FOLLOW_UP = re.compile(
    r"\b(remind me|follow[ -]up|don'?t forget|tomorrow|next week|later today|"
    r"get back to|check (on|back)|deadline|due (by|on|date))\b",
    re.IGNORECASE,
)
TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def fail(message):
    print(f"recent_sessions: {message}", file=sys.stderr)
    sys.exit(2)


def int_arg(args, key, default, low, high):
    value = args.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool):
        fail(f"`{key}` must be a whole number from {low} to {high}, not {json.dumps(value)}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not low <= value <= high:
        fail(f"`{key}` must be a whole number from {low} to {high}, not {json.dumps(value)}")
    return value


def read_args():
    text = sys.stdin.read().strip()
    if not text:
        return {}
    try:
        args = json.loads(text)
    except json.JSONDecodeError as error:
        fail(f"the arguments are not JSON: {error}")
    if not isinstance(args, dict):
        fail("the arguments must be a JSON object like {\"days\": 2}")
    return args


def parse_time(text):
    """An RFC 3339 timestamp as an aware datetime, or None."""
    match = TIMESTAMP.match((text or "").strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    offset = timedelta(0)
    if zone and zone.upper() != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro)
    except ValueError:
        return None
    return local.replace(tzinfo=timezone(offset)).astimezone(timezone.utc)


def ago(then, now):
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def one_line(text, limit):
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[:limit].rstrip() + "…"


def follow_ups(connection, session_id):
    rows = connection.execute(
        "SELECT content FROM messages WHERE session_id = ? AND role = 'user' ORDER BY id",
        (session_id,),
    )
    found = []
    for (content,) in rows:
        for line in (content or "").splitlines():
            if FOLLOW_UP.search(line) and len(found) < 3:
                found.append(one_line(line, 160))
    return found


def main():
    args = read_args()
    days = int_arg(args, "days", DEFAULT_DAYS, 1, MAX_DAYS)
    limit = int_arg(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    home = os.environ.get("PINCER_HOME", "").strip()
    if not home:
        print("recent_sessions: PINCER_HOME is not set, so the chat history cannot be found.",
              file=sys.stderr)
        sys.exit(1)
    database = Path(home) / "pincer.db"
    if not database.is_file():
        print(f"No chat history yet: {database} does not exist.")
        return

    now = datetime.now(timezone.utc)
    cutoff = now - timedelta(days=days)
    # Timestamps are RFC 3339 text; a day of margin makes the text comparison safe for any
    # offset, and the exact cut happens after parsing.
    rough = (cutoff - timedelta(days=1)).strftime("%Y-%m-%d")
    try:
        # The tool runs sandboxed and may not write next to the database. While Pincer runs,
        # its -wal and -shm files exist and a read-only connection shares them; when it is
        # closed, the log has been folded into the file, which is then read as immutable
        # (a read-only connection would have to create the -shm file).
        wal = database.with_name(database.name + "-wal")
        mode = "?mode=ro" if wal.exists() else "?mode=ro&immutable=1"
        connection = sqlite3.connect(database.resolve().as_uri() + mode, uri=True)
    except sqlite3.Error as error:
        print(f"recent_sessions: could not open {database}: {error}", file=sys.stderr)
        sys.exit(1)
    try:
        try:
            rows = connection.execute(
                """SELECT s.id, s.title, s.updated_at, s.rowid,
                          (SELECT COUNT(*) FROM messages m
                            WHERE m.session_id = s.id AND m.role = 'user'),
                          (SELECT m.content FROM messages m
                            WHERE m.session_id = s.id AND m.role = 'user'
                            ORDER BY m.id DESC LIMIT 1),
                          (SELECT MAX(m.id) FROM messages m WHERE m.session_id = s.id)
                   FROM sessions s WHERE s.updated_at >= ?""",
                (rough,),
            ).fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                print(f"No chat history yet: {database} holds no sessions.")
                return
            raise
        recent = []
        for sid, title, updated, rowid, asked, last, last_id in rows:
            when = parse_time(updated)
            if when is not None and when >= cutoff:
                recent.append((when, last_id or 0, rowid, sid, title, asked, last))
        recent.sort(key=lambda r: (r[0], r[1], r[2]), reverse=True)

        local_now = now.astimezone()
        print(f"Now: {local_now.strftime('%A %Y-%m-%d %H:%M')} (local time)")
        if not recent:
            print(f"No chat sessions were updated in the last {days} day(s).")
            return
        shown = recent[:limit]
        print(f"{len(recent)} session(s) updated in the last {days} day(s), newest first:")
        for number, (when, _, _, sid, title, asked, last) in enumerate(shown, 1):
            print()
            print(f"{number}. {one_line(title, 120) or '(untitled)'}")
            print(f"   updated {when.strftime('%Y-%m-%dT%H:%M:%SZ')} ({ago(when, now)}), "
                  f"{asked} user message(s), session {sid}")
            if last:
                print(f"   last user message: {one_line(last, SNIPPET_CHARS)}")
            for line in follow_ups(connection, sid):
                print(f"   follow-up? {line}")
        if len(recent) > len(shown):
            print(f"\n{len(recent) - len(shown)} more not shown; call again with a higher limit.")
    except sqlite3.Error as error:
        print(f"recent_sessions: could not read {database}: {error}", file=sys.stderr)
        sys.exit(1)
    finally:
        connection.close()


if __name__ == "__main__":
    main()
