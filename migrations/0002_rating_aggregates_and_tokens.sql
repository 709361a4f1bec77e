-- Rating aggregates, so that a movie's stats and the top-rated ranking stay fast at 25M ratings.
-- Triggers on ratings keep them exact for every write; a bulk import drops the triggers and
-- writes the aggregates it computed while streaming.

-- One row per movie with at least one rating.
CREATE TABLE movie_stats (
    movie_id     INTEGER PRIMARY KEY REFERENCES movies (movie_id) ON DELETE CASCADE,
    rating_count INTEGER NOT NULL,
    rating_sum   REAL NOT NULL,             -- exact: half stars are exact binary fractions
    -- The damped mean the top-rated ranking sorts by: (10 × m + rating_sum) / (10 + rating_count),
    -- where m is the mean of all ratings. Rescored whenever m changes (see totals_rescore).
    score        REAL NOT NULL DEFAULT 0
);
CREATE INDEX movie_stats_rating_count ON movie_stats (rating_count);
CREATE INDEX movie_stats_score ON movie_stats (score DESC, movie_id);

-- How many ratings of each half star a movie has (rows with a zero count may remain).
CREATE TABLE movie_rating_histogram (
    movie_id INTEGER NOT NULL REFERENCES movies (movie_id) ON DELETE CASCADE,
    rating   REAL NOT NULL,                 -- 0.5 .. 5.0
    count    INTEGER NOT NULL,
    PRIMARY KEY (movie_id, rating)
) WITHOUT ROWID;

-- Whole-table figures that would otherwise take a full scan per request: the movie count (the
-- unfiltered movie list's total) and the ratings' count and sum (the prior of the damped mean).
-- Always one row.
CREATE TABLE totals (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    movie_count  INTEGER NOT NULL,
    rating_count INTEGER NOT NULL,
    rating_sum   REAL NOT NULL
);
INSERT INTO totals (id, movie_count, rating_count, rating_sum) VALUES (1, 0, 0, 0);

CREATE TRIGGER movies_total_insert AFTER INSERT ON movies BEGIN
    UPDATE totals SET movie_count = movie_count + 1;
END;

CREATE TRIGGER movies_total_delete AFTER DELETE ON movies BEGIN
    UPDATE totals SET movie_count = movie_count - 1;
END;

-- Every change of the global mean rescores every movie, in the same transaction, so the ranking
-- is always exact: a rating write costs one pass over movie_stats (one row per rated movie).
CREATE TRIGGER totals_rescore AFTER UPDATE OF rating_count, rating_sum ON totals BEGIN
    UPDATE movie_stats SET score = CASE WHEN NEW.rating_count = 0 THEN 0
        ELSE (10.0 * NEW.rating_sum / NEW.rating_count + rating_sum) / (10.0 + rating_count) END;
END;

CREATE TRIGGER ratings_aggregate_insert AFTER INSERT ON ratings BEGIN
    INSERT INTO movie_stats (movie_id, rating_count, rating_sum) VALUES (NEW.movie_id, 1, NEW.rating)
        ON CONFLICT (movie_id) DO UPDATE SET rating_count = rating_count + 1, rating_sum = rating_sum + NEW.rating;
    INSERT INTO movie_rating_histogram (movie_id, rating, count) VALUES (NEW.movie_id, NEW.rating, 1)
        ON CONFLICT (movie_id, rating) DO UPDATE SET count = count + 1;
    UPDATE totals SET rating_count = rating_count + 1, rating_sum = rating_sum + NEW.rating;
END;

CREATE TRIGGER ratings_aggregate_delete AFTER DELETE ON ratings BEGIN
    UPDATE movie_stats SET rating_count = rating_count - 1, rating_sum = rating_sum - OLD.rating
        WHERE movie_id = OLD.movie_id;
    DELETE FROM movie_stats WHERE movie_id = OLD.movie_id AND rating_count = 0;
    UPDATE movie_rating_histogram SET count = count - 1 WHERE movie_id = OLD.movie_id AND rating = OLD.rating;
    UPDATE totals SET rating_count = rating_count - 1, rating_sum = rating_sum - OLD.rating;
END;

CREATE TRIGGER ratings_aggregate_update AFTER UPDATE OF movie_id, rating ON ratings BEGIN
    UPDATE movie_stats SET rating_count = rating_count - 1, rating_sum = rating_sum - OLD.rating
        WHERE movie_id = OLD.movie_id;
    DELETE FROM movie_stats WHERE movie_id = OLD.movie_id AND rating_count = 0;
    UPDATE movie_rating_histogram SET count = count - 1 WHERE movie_id = OLD.movie_id AND rating = OLD.rating;
    INSERT INTO movie_stats (movie_id, rating_count, rating_sum) VALUES (NEW.movie_id, 1, NEW.rating)
        ON CONFLICT (movie_id) DO UPDATE SET rating_count = rating_count + 1, rating_sum = rating_sum + NEW.rating;
    INSERT INTO movie_rating_histogram (movie_id, rating, count) VALUES (NEW.movie_id, NEW.rating, 1)
        ON CONFLICT (movie_id, rating) DO UPDATE SET count = count + 1;
    UPDATE totals SET rating_sum = rating_sum - OLD.rating + NEW.rating;
END;

-- Fill the aggregates for data imported before this migration; the totals update scores them.
INSERT INTO movie_stats (movie_id, rating_count, rating_sum)
SELECT movie_id, count(*), sum(rating) FROM ratings GROUP BY movie_id;
INSERT INTO movie_rating_histogram (movie_id, rating, count)
SELECT movie_id, rating, count(*) FROM ratings GROUP BY movie_id, rating;
UPDATE totals SET movie_count = (SELECT count(*) FROM movies), rating_count = (SELECT count(*) FROM ratings),
    rating_sum = (SELECT coalesce(sum(rating), 0) FROM ratings);

-- The admin token, stored only as its SHA-256 hash. At most one row.
CREATE TABLE admin_tokens (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    token_hash TEXT NOT NULL,               -- lowercase hex SHA-256 of the token
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
);

-- Genre pages read (genre, movie) pairs only: carry movie_id in the genre index so that they are
-- answered from the index alone.
DROP INDEX movie_genres_genre_id;
CREATE INDEX movie_genres_genre_id ON movie_genres (genre_id, movie_id);

-- A movie's top tags are counted from the index alone, already grouped by tag.
CREATE INDEX tags_movie_id_tag ON tags (movie_id, tag);

-- A movie's genre names, alphabetical and joined with '|' as in movies.csv, so that a page of
-- movies reads them with the movie instead of a join per movie. movie_genres stays the source of
-- truth; these triggers keep the copy exact.
ALTER TABLE movies ADD COLUMN genres TEXT NOT NULL DEFAULT '';

CREATE TRIGGER movie_genres_names_insert AFTER INSERT ON movie_genres BEGIN
    UPDATE movies SET genres = coalesce((SELECT group_concat(name, '|') FROM (SELECT g.name FROM movie_genres mg
        JOIN genres g ON g.id = mg.genre_id WHERE mg.movie_id = NEW.movie_id ORDER BY g.name)), '')
    WHERE movie_id = NEW.movie_id;
END;

CREATE TRIGGER movie_genres_names_delete AFTER DELETE ON movie_genres BEGIN
    UPDATE movies SET genres = coalesce((SELECT group_concat(name, '|') FROM (SELECT g.name FROM movie_genres mg
        JOIN genres g ON g.id = mg.genre_id WHERE mg.movie_id = OLD.movie_id ORDER BY g.name)), '')
    WHERE movie_id = OLD.movie_id;
END;

CREATE TRIGGER genres_names_rename AFTER UPDATE OF name ON genres BEGIN
    UPDATE movies SET genres = coalesce((SELECT group_concat(name, '|') FROM (SELECT g.name FROM movie_genres mg
        JOIN genres g ON g.id = mg.genre_id WHERE mg.movie_id = movies.movie_id ORDER BY g.name)), '')
    WHERE movie_id IN (SELECT movie_id FROM movie_genres WHERE genre_id = NEW.id);
END;

UPDATE movies SET genres = coalesce((SELECT group_concat(name, '|') FROM (SELECT g.name FROM movie_genres mg
    JOIN genres g ON g.id = mg.genre_id WHERE mg.movie_id = movies.movie_id ORDER BY g.name)), '');
