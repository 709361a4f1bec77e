-- Item-item recommendation models (issue 12). A build writes its neighbours under a fresh model
-- id that no reader looks at, then points `recommendation_current` at it in one transaction and
-- deletes the older models' rows: readers read by the current id, so they see one model whole.

-- One row per model built (or being built): its parameters, the data it was built from, and
-- the evaluation figures of its build, when it was evaluated.
CREATE TABLE recommendation_models (
    id               INTEGER PRIMARY KEY,
    neighbours       INTEGER NOT NULL,  -- k: the most similar movies kept per movie
    score_neighbours INTEGER NOT NULL,  -- the first of them that score a user's picks
    min_co_raters    INTEGER NOT NULL,  -- pairs rated by fewer users are dropped
    normalization    TEXT NOT NULL CHECK (normalization IN ('binary', 'centred')),
    max_user_ratings INTEGER NOT NULL,  -- a user's most recent ratings that count in the co-occurrence
    data_generation  INTEGER NOT NULL,  -- data_generation.generation when the ratings were read
    started_at       INTEGER NOT NULL,  -- milliseconds since the Unix epoch
    built_at         INTEGER,           -- when it became current; NULL while it is built
    build_ms         INTEGER,
    movies           INTEGER NOT NULL DEFAULT 0,  -- movies with at least one neighbour
    neighbour_rows   INTEGER NOT NULL DEFAULT 0,
    ratings_used     INTEGER NOT NULL DEFAULT 0,  -- ratings that counted, after the cap
    evaluation       TEXT               -- JSON: HR@10 and NDCG@10 of the model and the baselines
);

-- Each movie's most similar movies, best first.
CREATE TABLE recommendation_neighbours (
    model_id     INTEGER NOT NULL,
    movie_id     INTEGER NOT NULL,
    rank         INTEGER NOT NULL,   -- 1 = the most similar
    neighbour_id INTEGER NOT NULL,
    similarity   REAL NOT NULL,      -- cosine, in (0, 1]
    co_raters    INTEGER NOT NULL,   -- users who rated both (within the cap)
    PRIMARY KEY (model_id, movie_id, rank)
) WITHOUT ROWID;

-- The model readers use: one row, switched in one transaction.
CREATE TABLE recommendation_current (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    model_id INTEGER  -- NULL until the first build
);
INSERT INTO recommendation_current (id, model_id) VALUES (1, NULL);
