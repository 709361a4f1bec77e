-- The admin writes' audit log (the Django admin's "Recent actions"), and movie ids that are never
-- handed out twice.

-- One row per admin write, written in the write's own transaction. Pruned to the newest 100,000
-- entries as each is added (`src/db/admin/audit.rs`), so it stays bounded.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,           -- increasing: the newest entry has the largest id
    at        INTEGER NOT NULL,              -- seconds since the Unix epoch, UTC
    token_id  TEXT NOT NULL,                 -- which admin token: 'admin-' and the start of its SHA-256
    action    TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    model     TEXT NOT NULL CHECK (model IN ('movie', 'genre', 'rating', 'tag', 'link')),
    object_id TEXT NOT NULL,                 -- the record's id (for links, the movie id)
    before    TEXT,                          -- the record as JSON before the write; NULL for a create
    after     TEXT                           -- the record as JSON after the write; NULL for a delete
);
-- The log filtered by model, newest first.
CREATE INDEX audit_log_model ON audit_log (model, id);

-- A new movie without a given id takes one above every id movies ever had, as ratings and tags do.
INSERT INTO id_high_water (table_name, last_id) VALUES ('movies', (SELECT coalesce(max(movie_id), 0) FROM movies));

CREATE TRIGGER movies_id_high_water AFTER DELETE ON movies BEGIN
    UPDATE id_high_water SET last_id = max(last_id, OLD.movie_id) WHERE table_name = 'movies';
END;
