"""The database schema and its migrations.

`PRAGMA user_version` holds the schema version; each migration moves it up by one inside a
transaction, so a database from any earlier release opens and upgrades in place.
"""

from __future__ import annotations

# Index i holds the SQL that takes a database from version i to version i + 1.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE events (
        id          INTEGER PRIMARY KEY,
        event_id    TEXT    NOT NULL UNIQUE,
        ts          INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        session_id  TEXT    NOT NULL,
        event_type  TEXT    NOT NULL,
        tool_name   TEXT,
        tool_use_id TEXT,
        agent_id    TEXT,
        cwd         TEXT,
        project     TEXT    NOT NULL,
        summary     TEXT    NOT NULL,
        payload     TEXT    NOT NULL
    );
    -- Every list is newest first: each access path is an index ending in ts (rowid follows).
    CREATE INDEX events_by_ts      ON events (ts);
    CREATE INDEX events_by_project ON events (project, ts);
    CREATE INDEX events_by_session ON events (session_id, ts);
    CREATE INDEX events_by_type    ON events (event_type, ts);
    CREATE INDEX events_by_tool    ON events (tool_name, ts);
    CREATE INDEX events_by_tool_use ON events (tool_use_id) WHERE tool_use_id IS NOT NULL;

    -- Free text over summary and payload. The payload is indexed up to 64 KiB: a multi-MiB
    -- file read would otherwise cost the writer more than every other event of the minute.
    CREATE VIEW events_search_source AS
        SELECT id, summary, substr(payload, 1, 65536) AS body FROM events;
    CREATE VIRTUAL TABLE events_search USING fts5 (
        summary, body,
        content = 'events_search_source', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER events_search_insert AFTER INSERT ON events BEGIN
        INSERT INTO events_search (rowid, summary, body)
        VALUES (new.id, new.summary, substr(new.payload, 1, 65536));
    END;
    CREATE TRIGGER events_search_delete AFTER DELETE ON events BEGIN
        INSERT INTO events_search (events_search, rowid, summary, body)
        VALUES ('delete', old.id, old.summary, substr(old.payload, 1, 65536));
    END;

    -- Summaries kept up to date by the writer, so listing never groups a million rows.
    CREATE TABLE sessions (
        session_id      TEXT PRIMARY KEY,
        project         TEXT    NOT NULL,
        cwd             TEXT,
        model           TEXT,
        first_ts        INTEGER NOT NULL,
        last_ts         INTEGER NOT NULL,
        events          INTEGER NOT NULL DEFAULT 0,
        tool_calls      INTEGER NOT NULL DEFAULT 0,
        failures        INTEGER NOT NULL DEFAULT 0,
        last_event_type TEXT,
        last_tool       TEXT,
        last_summary    TEXT,
        state           TEXT    NOT NULL DEFAULT 'active'
    ) WITHOUT ROWID;
    CREATE INDEX sessions_by_last ON sessions (last_ts);
    CREATE INDEX sessions_by_project ON sessions (project, last_ts);

    CREATE TABLE projects (
        name       TEXT PRIMARY KEY,
        sessions   INTEGER NOT NULL DEFAULT 0,
        events     INTEGER NOT NULL DEFAULT 0,
        tool_calls INTEGER NOT NULL DEFAULT 0,
        failures   INTEGER NOT NULL DEFAULT 0,
        first_ts   INTEGER NOT NULL,
        last_ts    INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
]

MIGRATIONS.append(
    """
    -- The search index moves off the commit path: a request is answered once its event is
    -- committed, and the writer indexes committed events in chunks when no write is waiting.
    -- Events above `indexed_upto` are searched by a plain scan until then.
    DROP TRIGGER events_search_insert;
    CREATE TABLE search_progress (indexed_upto INTEGER NOT NULL);
    INSERT INTO search_progress VALUES ((SELECT coalesce(max(id), 0) FROM events));
    -- Only an indexed row may be removed from the index (FTS5 would miscount otherwise).
    DROP TRIGGER events_search_delete;
    CREATE TRIGGER events_search_delete AFTER DELETE ON events
    WHEN old.id <= (SELECT indexed_upto FROM search_progress) BEGIN
        INSERT INTO events_search (events_search, rowid, summary, body)
        VALUES ('delete', old.id, old.summary, substr(old.payload, 1, 65536));
    END;
    """
)

SCHEMA_VERSION = len(MIGRATIONS)
