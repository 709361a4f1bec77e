-- The MovieLens schema. Column names follow the seed's Django models; the CSV headers they come
-- from are noted where they differ.

-- A MovieLens genre, e.g. 'Comedy', 'Sci-Fi' or '(no genres listed)'.
CREATE TABLE genres (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE movies (
    movie_id INTEGER PRIMARY KEY,             -- movieId in movies.csv; MovieLens ids are sparse
    title    TEXT NOT NULL CHECK (title <> ''), -- as in the CSV, year included: 'Toy Story (1995)'
    year     INTEGER                           -- parsed from the title's trailing '(YYYY)'; NULL without one
);
CREATE INDEX movies_title ON movies (title);

-- The genres column of movies.csv, split on '|'.
CREATE TABLE movie_genres (
    id       INTEGER PRIMARY KEY,
    movie_id INTEGER NOT NULL REFERENCES movies (movie_id) ON DELETE CASCADE,
    genre_id INTEGER NOT NULL REFERENCES genres (id) ON DELETE CASCADE,
    UNIQUE (movie_id, genre_id)               -- also serves lookups by movie_id
);
CREATE INDEX movie_genres_genre_id ON movie_genres (genre_id);

CREATE TABLE ratings (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL,               -- userId; MovieLens has no users table
    movie_id  INTEGER NOT NULL REFERENCES movies (movie_id) ON DELETE CASCADE,
    rating    REAL NOT NULL                   -- half stars from 0.5 to 5.0
              CHECK (rating BETWEEN 0.5 AND 5.0 AND rating * 2 = CAST(rating * 2 AS INTEGER)),
    timestamp INTEGER NOT NULL                -- seconds since the Unix epoch, UTC
);
CREATE INDEX ratings_user_id ON ratings (user_id);
CREATE INDEX ratings_movie_id ON ratings (movie_id);
CREATE INDEX ratings_rating ON ratings (rating);
-- ratings.timestamp is deliberately NOT indexed: the query lab's index comparison demo
-- measures queries on it before and after adding one.

CREATE TABLE tags (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL,
    movie_id  INTEGER NOT NULL REFERENCES movies (movie_id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    timestamp INTEGER NOT NULL                -- seconds since the Unix epoch, UTC
);
CREATE INDEX tags_user_id ON tags (user_id);
CREATE INDEX tags_movie_id ON tags (movie_id);
CREATE INDEX tags_tag ON tags (tag);

CREATE TABLE links (
    movie_id INTEGER PRIMARY KEY REFERENCES movies (movie_id) ON DELETE CASCADE,
    imdb_id  TEXT NOT NULL,                   -- digits as in links.csv, zero padded ('0114709'); imdb.com adds 'tt'
    tmdb_id  INTEGER                          -- NULL where links.csv leaves it empty
);
CREATE INDEX links_imdb_id ON links (imdb_id);
CREATE INDEX links_tmdb_id ON links (tmdb_id);

-- Where the data came from: one row per completed load, written in the load's own transaction.
CREATE TABLE data_imports (
    id          INTEGER PRIMARY KEY,
    source_kind TEXT NOT NULL CHECK (source_kind IN ('demo', 'directory', 'zip', 'download')),
    source      TEXT NOT NULL,                -- a path, a data set name, or the demo's seed
    movies      INTEGER NOT NULL,
    genres      INTEGER NOT NULL,
    ratings     INTEGER NOT NULL,
    tags        INTEGER NOT NULL,
    links       INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,             -- seconds since the Unix epoch, UTC
    finished_at INTEGER NOT NULL
);

-- fang's task queue table, as fang 0.11 defines it for SQLite, for the background jobs.
CREATE TABLE fang_tasks (
    id            BLOB NOT NULL PRIMARY KEY,  -- a UUID as 16 bytes
    metadata      TEXT NOT NULL,              -- the serialized task, JSON
    error_message TEXT,
    state         TEXT CHECK (state IN ('new', 'in_progress', 'failed', 'finished', 'retried')) NOT NULL DEFAULT 'new',
    task_type     TEXT NOT NULL DEFAULT 'common',
    uniq_hash     CHAR(64),
    retries       INTEGER NOT NULL DEFAULT 0,
    scheduled_at  INTEGER NOT NULL DEFAULT (unixepoch('now')), -- seconds since the Unix epoch
    created_at    INTEGER NOT NULL DEFAULT (unixepoch('now')),
    updated_at    INTEGER NOT NULL DEFAULT (unixepoch('now'))
);
CREATE INDEX fang_tasks_state_index ON fang_tasks (state);
CREATE INDEX fang_tasks_type_index ON fang_tasks (task_type);
CREATE INDEX fang_tasks_scheduled_at_index ON fang_tasks (scheduled_at);
CREATE INDEX fang_tasks_uniq_hash ON fang_tasks (uniq_hash);
