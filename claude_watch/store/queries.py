"""SQL for reading events: filters become WHERE clauses with parameters, never formatted text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from claude_watch.event import Event
from claude_watch.store.export_lines import EXPORT_COLUMNS
from claude_watch.store.models import Cursor, EventFilter

EVENT_COLUMNS = (
    "id, event_id, ts, received_at, session_id, event_type, tool_name, tool_use_id, "
    "agent_id, cwd, project, summary, payload"
)
# Lists show the summary, never the payload: a page of multi-MiB reads would cost seconds.
EVENT_LIST_COLUMNS = EVENT_COLUMNS.replace("payload", "'' AS payload")


def event_from_row(row: Any) -> Event:
    return Event(
        id=row[0],
        event_id=row[1],
        ts=row[2],
        received_at=row[3],
        session_id=row[4],
        event_type=row[5],
        tool_name=row[6],
        tool_use_id=row[7],
        agent_id=row[8],
        cwd=row[9],
        project=row[10],
        summary=row[11],
        payload=row[12],
    )


_WORD = re.compile(r"\S+")


def search_expression(text: str) -> str | None:
    """A user's words -> an FTS5 query: every word must appear (the last one as a prefix).

    Each word is quoted, so FTS5 syntax in it (AND, NEAR, *, :) is just text, and the
    tokenizer splits `src/checkout.ts` into the phrase `src checkout ts`.
    """
    words = [w.replace('"', '""') for w in _WORD.findall(text)]
    words = [w for w in words if any(ch.isalnum() for ch in w)]
    if not words:
        return None
    # Only the last word is a prefix (it may still be being typed): every prefix query makes
    # FTS5 merge the lists of all the tokens it covers, 40x the cost of a whole word.
    return " AND ".join([*(f'"{word}"' for word in words[:-1]), f'"{words[-1]}"*'])


def _like_pattern(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _tail_clause(text: str, id_range: tuple[int, int] | TimeWindow | None = None) -> tuple[str, list[Any]]:
    """The newest events, not in the search index yet, matched by a plain scan.

    Up to INDEX_BACKLOG_MAX events wait for the index during a burst: bounded by `id_range`,
    a live view's refresh reads only what arrived since it last looked, not all of them.
    """
    words = [w for w in _WORD.findall(text) if any(ch.isalnum() for ch in w)]
    likes = " AND ".join("(summary LIKE ? ESCAPE '\\' OR payload LIKE ? ESCAPE '\\')" for _ in words)
    params: list[Any] = []
    bound = ""
    if isinstance(id_range, TimeWindow):
        bound = " AND ts >= ? AND ts <= ?"
        params += [id_range.since, id_range.until]
    elif id_range is not None:
        bound = " AND id BETWEEN ? AND ?"
        params += list(id_range)
    for word in words:
        params += [_like_pattern(word)] * 2
    return f"SELECT id FROM events WHERE id > (SELECT indexed_upto FROM search_progress){bound} AND {likes}", params


def whole_word_count_query(text: str, cap: int) -> tuple[str, list[Any]] | None:
    """How many events hold all the words as whole words, up to `cap`: a cheap first look
    (no prefix expansion) at whether the text is common."""
    expression = search_expression(text)
    if expression is None:
        return None
    return (
        "SELECT count(*) FROM (SELECT rowid FROM events_search WHERE events_search MATCH ? LIMIT ?)",
        [expression.removesuffix("*"), cap],
    )


def newest_time_query(flt: EventFilter, upper: int | None) -> tuple[str, list[Any]]:
    """The time of the newest event at or below `upper` in the filter's project and session
    (the whole table without either): a seek in their (column, ts) index."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("project", flt.project), ("session_id", flt.session_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if upper is not None:
        clauses.append("ts <= ?")
        params.append(upper)
    return f"SELECT max(ts) FROM events{' WHERE ' + ' AND '.join(clauses) if clauses else ''}", params


def text_candidates_query(text: str, cap: int) -> tuple[str, list[Any]] | None:
    """At most `cap` ids matching `text`, newest first: index hits, then the unindexed tail."""
    expression = search_expression(text)
    if expression is None:
        return None
    tail, tail_params = _tail_clause(text)
    sql = (
        f"SELECT id FROM ({tail}) UNION ALL "
        "SELECT * FROM (SELECT rowid FROM events_search WHERE events_search MATCH ? ORDER BY rowid DESC LIMIT ?)"
    )
    return sql, [*tail_params, expression, cap]


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """An `id_range` given by time: the rowids stored with `since <= ts <= until`, which
    SQLite looks up itself in the same statement (one trip to the database, not two)."""

    since: int
    until: int


def text_clause(text: str, id_range: tuple[int, int] | TimeWindow | None = None) -> tuple[str, list[Any]] | None:
    """Free text: the search index, plus a plain scan of the few newest events not indexed yet.

    `id_range` bounds the index lookup to the rowids of a time window (see Store._page).
    """
    expression = search_expression(text)
    if expression is None:
        return None
    index_part = "SELECT rowid FROM events_search WHERE events_search MATCH ?"
    params: list[Any] = [expression]
    if isinstance(id_range, TimeWindow):
        # One pass over the time index for both ends (SQLite keeps a CTE used twice).
        index_part = (
            "WITH window_ids (low, high) AS (SELECT min(id), max(id) FROM events INDEXED BY events_by_ts"
            " WHERE ts >= ? AND ts <= ?) " + index_part
            + " AND rowid BETWEEN (SELECT low FROM window_ids) AND (SELECT high FROM window_ids)"
        )
        params = [id_range.since, id_range.until, expression]
    elif id_range is not None:
        index_part += " AND rowid BETWEEN ? AND ?"
        params.extend(id_range)
    tail, tail_params = _tail_clause(text, id_range)
    return f"id IN ({index_part} UNION ALL {tail})", [*params, *tail_params]


def where_clause(flt: EventFilter, id_range: tuple[int, int] | None = None, ids: list[int] | None = None) -> tuple[str, list[Any]]:
    """`ids`: the free text's matches, already looked up (replaces the text clause)."""
    clauses: list[str] = []
    params: list[Any] = []
    # With a session, its index is always the narrowest: the unary + keeps SQLite (which has
    # no statistics) from picking the event-type or tool index instead (1 s -> 0.4 ms at 1M).
    # Likewise a short list of ids (a rare word's matches) is always the way in.
    hint = "+" if flt.session_id is not None or ids is not None else ""
    if flt.project is not None:
        clauses.append(f"{hint}project = ?")
        params.append(flt.project)
    if flt.session_id is not None:
        clauses.append(f"{'+' if ids is not None else ''}session_id = ?")
        params.append(flt.session_id)
    for column, values in (("event_type", flt.event_types), ("tool_name", flt.tools)):
        if values:
            clauses.append(f"{hint}{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if flt.since is not None:
        clauses.append(f"{hint if ids is not None else ''}ts >= ?")
        params.append(flt.since)
    if flt.until is not None:
        clauses.append(f"{hint if ids is not None else ''}ts < ?")
        params.append(flt.until)
    if ids is not None:
        clauses.append("id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(ids))
    elif flt.text:
        text = text_clause(flt.text, id_range)
        if text is not None:
            clauses.append(text[0])
            params.extend(text[1])
    return (" AND ".join(clauses) if clauses else "1"), params


def page_query(
    flt: EventFilter, limit: int, before: Cursor | None, with_payload: bool = False,
    id_range: tuple[int, int] | None = None, ids: list[int] | None = None,
) -> tuple[str, list[Any]]:
    where, params = where_clause(flt, id_range, ids)
    if before is not None:
        # `ts <= ?` lets SQLite seek its index to the cursor: with the OR alone it walks down
        # from the newest event to it (70 ms half a million events back, 0.6 ms with it).
        where += f" AND {'+' if ids is not None else ''}ts <= ? AND (ts < ? OR (ts = ? AND id < ?))"
        params += [before.ts, before.ts, before.ts, before.id]
    columns = EVENT_COLUMNS if with_payload else EVENT_LIST_COLUMNS
    sql = f"SELECT {columns} FROM events WHERE {where} ORDER BY ts DESC, id DESC LIMIT ?"
    return sql, [*params, limit]


def newer_query(
    flt: EventFilter, after: Cursor, limit: int, oldest_first: bool = False,
    id_range: tuple[int, int] | None = None, ids: list[int] | None = None,
) -> tuple[str, list[Any]]:
    """Events newer than `after`: newest first (what arrived since a view last looked), or
    oldest first (the page just above a view's top row, for moving up through history).

    What arrived since is stored after it, so by default the search index is asked only for
    later rowids (a live view refreshes several times a second; the whole index would cost
    each time). `id_range` / `ids` replace that bound as in `page_query` (see Store._newer_page)."""
    if id_range is None and ids is None and flt.text:
        id_range = (after.id + 1, 2**63 - 1)
    where, params = where_clause(flt, id_range, ids)
    where += f" AND {'+' if ids is not None else ''}ts >= ? AND (ts > ? OR (ts = ? AND id > ?))"  # as in page_query
    params += [after.ts, after.ts, after.ts, after.id]
    order = "ASC" if oldest_first else "DESC"
    sql = f"SELECT {EVENT_LIST_COLUMNS} FROM events WHERE {where} ORDER BY ts {order}, id {order} LIMIT ?"
    return sql, [*params, limit]


def export_page_query(
    flt: EventFilter, limit: int, before: Cursor | None, id_range: tuple[int, int] | None = None, ids: list[int] | None = None
) -> tuple[str, list[Any]]:
    """Newest first, as (ts, id, *EXPORT_COLUMNS) rows, for `GET /events` (lines: `export_lines`)."""
    sql, params = page_query(flt, limit, before, id_range=id_range, ids=ids)
    return sql.replace(f"SELECT {EVENT_LIST_COLUMNS}", f"SELECT ts, id, {EXPORT_COLUMNS}", 1), params


def export_query(flt: EventFilter) -> tuple[str, list[Any]]:
    """Oldest first, EXPORT_COLUMNS rows, for `claude-watch export` (lines: `export_lines`)."""
    where, params = where_clause(flt)
    return f"SELECT {EXPORT_COLUMNS} FROM events WHERE {where} ORDER BY ts, id", params
