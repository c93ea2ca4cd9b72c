"""Deleting old events, only when the user asks (`prune`, `--retain`).

Events go in chunks, each its own short transaction, so a running collector keeps committing
between them; then the summaries of every session and project that lost events are counted
again from what is left.
"""

from __future__ import annotations

import aiosqlite

PRUNE_CHUNK = 5000


async def delete_chunk(db: aiosqlite.Connection, cutoff: int) -> int:
    """Delete up to PRUNE_CHUNK events older than `cutoff`; the caller commits."""
    cursor = await db.execute(
        "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < ? ORDER BY ts LIMIT ?)",
        (cutoff, PRUNE_CHUNK),
    )
    return cursor.rowcount


async def recount_summaries(db: aiosqlite.Connection, cutoff: int) -> None:
    """Recount sessions and projects that had events before `cutoff`; drop the empty ones."""
    await db.execute("CREATE TEMP TABLE IF NOT EXISTS pruned_sessions (session_id TEXT PRIMARY KEY)")
    await db.execute("DELETE FROM pruned_sessions")
    await db.execute("INSERT INTO pruned_sessions SELECT session_id FROM sessions WHERE first_ts < ?", (cutoff,))
    await db.execute(
        """
        UPDATE sessions SET
            events = (SELECT count(*) FROM events e WHERE e.session_id = sessions.session_id),
            tool_calls = (SELECT count(*) FROM events e WHERE e.session_id = sessions.session_id AND e.event_type = 'PreToolUse'),
            failures = (SELECT count(*) FROM events e WHERE e.session_id = sessions.session_id
                        AND e.event_type IN ('PostToolUseFailure', 'StopFailure')),
            first_ts = coalesce((SELECT min(ts) FROM events e WHERE e.session_id = sessions.session_id), first_ts)
        WHERE session_id IN (SELECT session_id FROM pruned_sessions)
        """
    )
    await db.execute("DELETE FROM sessions WHERE events = 0")
    await db.execute(
        """
        UPDATE projects SET
            events = (SELECT count(*) FROM events e WHERE e.project = projects.name),
            tool_calls = (SELECT count(*) FROM events e WHERE e.project = projects.name AND e.event_type = 'PreToolUse'),
            failures = (SELECT count(*) FROM events e WHERE e.project = projects.name
                        AND e.event_type IN ('PostToolUseFailure', 'StopFailure')),
            sessions = (SELECT count(*) FROM sessions s WHERE s.project = projects.name),
            first_ts = coalesce((SELECT min(ts) FROM events e WHERE e.project = projects.name), first_ts)
        WHERE first_ts < ?
        """,
        (cutoff,),
    )
    await db.execute("DELETE FROM projects WHERE events = 0")
