-- Cheap writes: a rating write rescores only its own movie, and ids are never handed out twice.

-- The prior of the damped mean, as a stored snapshot (as IMDb's weighted rating keeps its own).
-- Every score in movie_stats is computed against this row. A background task refreshes it from
-- `totals` and rescores every movie on an interval, and every import refreshes it in its own
-- transaction. Always one row.
CREATE TABLE score_prior (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    mean         REAL NOT NULL,             -- m: the mean of all ratings when the snapshot was taken
    rating_count INTEGER NOT NULL,          -- how many ratings that mean was taken over
    taken_at     INTEGER NOT NULL           -- seconds since the Unix epoch, UTC
);
INSERT INTO score_prior (id, mean, rating_count, taken_at)
SELECT 1, CASE WHEN rating_count = 0 THEN 0 ELSE rating_sum / rating_count END, rating_count, unixepoch()
FROM totals;

-- Before: every change of the global mean rescored every movie, which was every rating write.
DROP TRIGGER totals_rescore;

-- A movie's score follows its own count and sum, against the stored prior.
CREATE TRIGGER movie_stats_score_insert AFTER INSERT ON movie_stats BEGIN
    UPDATE movie_stats SET score = ((SELECT 10.0 * mean FROM score_prior) + NEW.rating_sum) / (10.0 + NEW.rating_count)
    WHERE movie_id = NEW.movie_id;
END;

CREATE TRIGGER movie_stats_score_update AFTER UPDATE OF rating_count, rating_sum ON movie_stats BEGIN
    UPDATE movie_stats SET score = ((SELECT 10.0 * mean FROM score_prior) + NEW.rating_sum) / (10.0 + NEW.rating_count)
    WHERE movie_id = NEW.movie_id;
END;

UPDATE movie_stats SET score = ((SELECT 10.0 * mean FROM score_prior) + rating_sum) / (10.0 + rating_count);

-- The highest id each table has ever handed out, deletes included. INTEGER PRIMARY KEY without
-- AUTOINCREMENT reuses the largest id after it is deleted; new rows take an id above this mark
-- instead. (Adding AUTOINCREMENT would mean rebuilding tables of 25M rows.)
CREATE TABLE id_high_water (
    table_name TEXT PRIMARY KEY,
    last_id    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO id_high_water (table_name, last_id)
VALUES ('ratings', (SELECT coalesce(max(id), 0) FROM ratings)), ('tags', (SELECT coalesce(max(id), 0) FROM tags));

CREATE TRIGGER ratings_id_high_water AFTER DELETE ON ratings BEGIN
    UPDATE id_high_water SET last_id = max(last_id, OLD.id) WHERE table_name = 'ratings';
END;

CREATE TRIGGER tags_id_high_water AFTER DELETE ON tags BEGIN
    UPDATE id_high_water SET last_id = max(last_id, OLD.id) WHERE table_name = 'tags';
END;
