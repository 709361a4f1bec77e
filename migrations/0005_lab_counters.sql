-- The query lab's F-expression demo increments counters here, never MovieLens data. Each run of
-- the demo adds its own rows and removes them when it ends.
CREATE TABLE lab_counters (
    name  TEXT PRIMARY KEY,           -- '<run id>:<technique>'
    value INTEGER NOT NULL DEFAULT 0
);
