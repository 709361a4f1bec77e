-- Per-genre figures, so that the genre list reads 20 rows instead of joining every movie and its
-- stats on each request (27 ms on 25M ratings, and the slowest read under mixed load).

-- One row per genre that has had a movie: its movie count and its movies' rating count and sum.
-- Triggers keep it exact on every write; an import rebuilds it.
CREATE TABLE genre_stats (
    genre_id     INTEGER PRIMARY KEY REFERENCES genres (id) ON DELETE CASCADE,
    movie_count  INTEGER NOT NULL,
    rating_count INTEGER NOT NULL,
    rating_sum   REAL NOT NULL              -- exact: half stars are exact binary fractions
);

INSERT INTO genre_stats (genre_id, movie_count, rating_count, rating_sum)
SELECT mg.genre_id, count(*), coalesce(sum(s.rating_count), 0), coalesce(sum(s.rating_sum), 0)
FROM movie_genres mg LEFT JOIN movie_stats s ON s.movie_id = mg.movie_id GROUP BY mg.genre_id;

-- A movie joins a genre: the genre gains the movie and its ratings so far.
CREATE TRIGGER genre_stats_movie_genre_insert AFTER INSERT ON movie_genres BEGIN
    INSERT INTO genre_stats (genre_id, movie_count, rating_count, rating_sum)
    SELECT NEW.genre_id, 1, coalesce(s.rating_count, 0), coalesce(s.rating_sum, 0)
    FROM (SELECT 1) LEFT JOIN movie_stats s ON s.movie_id = NEW.movie_id
    ON CONFLICT (genre_id) DO UPDATE SET movie_count = movie_count + 1,
        rating_count = rating_count + excluded.rating_count, rating_sum = rating_sum + excluded.rating_sum;
END;

-- A movie leaves a genre: the genre loses it and whatever ratings it still has. (When a movie is
-- deleted, its stats row may go first or after; whichever goes second finds nothing to take.)
CREATE TRIGGER genre_stats_movie_genre_delete AFTER DELETE ON movie_genres BEGIN
    UPDATE genre_stats SET movie_count = movie_count - 1,
        rating_count = rating_count - coalesce((SELECT rating_count FROM movie_stats WHERE movie_id = OLD.movie_id), 0),
        rating_sum = rating_sum - coalesce((SELECT rating_sum FROM movie_stats WHERE movie_id = OLD.movie_id), 0)
    WHERE genre_id = OLD.genre_id;
END;

-- A movie's ratings change: each of its genres follows by the difference.
CREATE TRIGGER genre_stats_movie_stats_insert AFTER INSERT ON movie_stats BEGIN
    UPDATE genre_stats SET rating_count = rating_count + NEW.rating_count, rating_sum = rating_sum + NEW.rating_sum
    WHERE genre_id IN (SELECT genre_id FROM movie_genres WHERE movie_id = NEW.movie_id);
END;

CREATE TRIGGER genre_stats_movie_stats_update AFTER UPDATE OF rating_count, rating_sum ON movie_stats BEGIN
    UPDATE genre_stats SET rating_count = rating_count + NEW.rating_count - OLD.rating_count,
        rating_sum = rating_sum + NEW.rating_sum - OLD.rating_sum
    WHERE genre_id IN (SELECT genre_id FROM movie_genres WHERE movie_id = NEW.movie_id);
END;

CREATE TRIGGER genre_stats_movie_stats_delete AFTER DELETE ON movie_stats BEGIN
    UPDATE genre_stats SET rating_count = rating_count - OLD.rating_count, rating_sum = rating_sum - OLD.rating_sum
    WHERE genre_id IN (SELECT genre_id FROM movie_genres WHERE movie_id = OLD.movie_id);
END;
