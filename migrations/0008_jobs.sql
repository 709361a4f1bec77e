-- Background jobs: what fang's own table does not keep. Times here are milliseconds since the
-- Unix epoch (fang_tasks keeps whole seconds).

-- One row per task, created with its fang_tasks row and moved through its states in the same
-- transactions: the task's name and arguments, its state as the API shows it, its result and
-- the times and worker of its latest attempt.
CREATE TABLE job_results (
    task_id          BLOB NOT NULL PRIMARY KEY,  -- fang_tasks.id
    name             TEXT NOT NULL,              -- the task type, e.g. movie_stats
    args             TEXT NOT NULL,              -- JSON object
    state            TEXT NOT NULL CHECK (state IN
                         ('pending', 'running', 'succeeded', 'failed', 'retrying', 'cancelled', 'timed_out')),
    attempts         INTEGER NOT NULL DEFAULT 0, -- runs started so far
    max_retries      INTEGER NOT NULL,           -- runs after the first that a failure may get
    received_at      INTEGER NOT NULL,
    started_at       INTEGER,                    -- of the latest attempt
    finished_at      INTEGER,
    worker           TEXT,                       -- job_workers.id of the latest attempt
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    progress_done    INTEGER,
    progress_total   INTEGER,
    result           TEXT,                       -- JSON, when it succeeded
    error            TEXT,                       -- the last failure's message
    schedule_id      INTEGER                     -- the schedule that queued it, if one did
);
CREATE INDEX job_results_received ON job_results (received_at);
CREATE INDEX job_results_name_state ON job_results (name, state);
CREATE INDEX job_results_state_finished ON job_results (state, finished_at);

-- Every run of every task, one row per attempt: a task that ran twice shows twice.
CREATE TABLE job_attempts (
    task_id     BLOB NOT NULL,
    attempt     INTEGER NOT NULL,
    worker      TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    outcome     TEXT,  -- a job_results state; NULL while it runs
    error       TEXT,
    PRIMARY KEY (task_id, attempt)
) WITHOUT ROWID;

-- The workers of every process on this file. A worker's heartbeat is its lease: a running task
-- whose worker has not beaten within the lease belongs to a dead process and is recovered.
CREATE TABLE job_workers (
    id           TEXT NOT NULL PRIMARY KEY,  -- host:pid:started:n
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    current_task BLOB,                       -- job_results.task_id it runs now
    stopped_at   INTEGER                     -- set at a clean shutdown
);

-- Periodic tasks, in django-celery-beat's terms.
CREATE TABLE schedules (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    task            TEXT NOT NULL,               -- a task type
    args            TEXT NOT NULL DEFAULT '{}',  -- JSON object, validated for the task
    timing          TEXT NOT NULL,               -- JSON: {"interval":..} | {"crontab":..} | {"clocked":..}
    enabled         INTEGER NOT NULL DEFAULT 1,
    one_off         INTEGER NOT NULL DEFAULT 0,
    start_time      INTEGER,
    expires         INTEGER,
    last_run_at     INTEGER,
    total_run_count INTEGER NOT NULL DEFAULT 0,
    description     TEXT NOT NULL DEFAULT '',
    next_run_at     INTEGER,                     -- NULL when disabled or no run is left
    defined_in_code INTEGER NOT NULL DEFAULT 0,  -- written at start; its timing follows the code
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE enabled;

-- A counter of changes to the data itself (not to the job tables), so that the cache's watcher
-- flushes on data changes only: job bookkeeping commits constantly and changes no answer.
-- Bulk imports drop these triggers with the others and bump the counter themselves.
CREATE TABLE data_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO data_generation (id, generation) VALUES (1, 0);
CREATE TRIGGER movies_generation_insert AFTER INSERT ON movies BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER movies_generation_update AFTER UPDATE ON movies BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER movies_generation_delete AFTER DELETE ON movies BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER genres_generation_insert AFTER INSERT ON genres BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER genres_generation_update AFTER UPDATE ON genres BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER genres_generation_delete AFTER DELETE ON genres BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER movie_genres_generation_insert AFTER INSERT ON movie_genres BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER movie_genres_generation_update AFTER UPDATE ON movie_genres BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER movie_genres_generation_delete AFTER DELETE ON movie_genres BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER ratings_generation_insert AFTER INSERT ON ratings BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER ratings_generation_update AFTER UPDATE ON ratings BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER ratings_generation_delete AFTER DELETE ON ratings BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER tags_generation_insert AFTER INSERT ON tags BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER tags_generation_update AFTER UPDATE ON tags BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER tags_generation_delete AFTER DELETE ON tags BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER links_generation_insert AFTER INSERT ON links BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER links_generation_update AFTER UPDATE ON links BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER links_generation_delete AFTER DELETE ON links BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER movie_stats_generation_insert AFTER INSERT ON movie_stats BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER movie_stats_generation_update AFTER UPDATE ON movie_stats BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER movie_stats_generation_delete AFTER DELETE ON movie_stats BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER score_prior_generation_insert AFTER INSERT ON score_prior BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER score_prior_generation_update AFTER UPDATE ON score_prior BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
CREATE TRIGGER score_prior_generation_delete AFTER DELETE ON score_prior BEGIN
    UPDATE data_generation SET generation = generation + 1;
END;
