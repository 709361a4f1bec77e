-- Sign-in sessions of the HTML pages (/login, /web/, /flower/, /silk/, /admin/). Kept in the
-- database, not in memory, so that they survive a restart and hold across processes that share
-- the file. The cookie carries a random id; only its hash is stored here, so a copy of the
-- database does not let anyone sign in.
CREATE TABLE web_sessions (
    id_hash      TEXT PRIMARY KEY,   -- hex SHA-256 of the session cookie's value
    csrf_secret  TEXT NOT NULL,      -- the token every form of this session must send back
    created_at   INTEGER NOT NULL,   -- unix seconds
    expires_at   INTEGER NOT NULL,   -- unix seconds: the absolute end, whatever the activity
    last_seen_at INTEGER NOT NULL    -- unix seconds: the idle timeout counts from here
) WITHOUT ROWID;

-- Pruning finds the expired rows without a scan.
CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);
