"""Compares every stored aggregate with a recomputation from the raw tables.

    check_aggregates.py DB

Prints one line per check (ok, or the first rows that differ) and exits 1 if any differ. The same
checks as tests/it/admin_support/mod.rs.
"""
import sqlite3
import sys

CHECKS = [
    ("movie_stats", "SELECT movie_id, count(*), sum(rating) FROM ratings GROUP BY movie_id",
     "SELECT movie_id, rating_count, rating_sum FROM movie_stats WHERE rating_count != 0"),
    ("scores", "SELECT movie_id, round((10.0 * (SELECT mean FROM score_prior) + sum(rating)) / (10.0 + count(*)), 9) FROM ratings GROUP BY movie_id",
     "SELECT movie_id, round(score, 9) FROM movie_stats WHERE rating_count != 0"),
    ("histogram", "SELECT movie_id, rating, count(*) FROM ratings GROUP BY movie_id, rating",
     "SELECT movie_id, rating, count FROM movie_rating_histogram WHERE count != 0"),
    ("totals", "SELECT (SELECT count(*) FROM movies), (SELECT count(*) FROM ratings), (SELECT coalesce(sum(rating), 0) FROM ratings)",
     "SELECT movie_count, rating_count, rating_sum FROM totals"),
    ("genre_stats", "SELECT mg.genre_id, count(*), coalesce(sum(s.c), 0), coalesce(sum(s.s), 0) FROM movie_genres mg LEFT JOIN "
     "(SELECT movie_id, count(*) AS c, sum(rating) AS s FROM ratings GROUP BY movie_id) s ON s.movie_id = mg.movie_id GROUP BY mg.genre_id",
     "SELECT genre_id, movie_count, rating_count, rating_sum FROM genre_stats WHERE movie_count != 0 OR rating_count != 0 OR rating_sum != 0"),
    ("movies.genres", "SELECT m.movie_id, coalesce((SELECT group_concat(name, '|') FROM (SELECT g.name FROM movie_genres mg "
     "JOIN genres g ON g.id = mg.genre_id WHERE mg.movie_id = m.movie_id ORDER BY g.name)), '') FROM movies m",
     "SELECT movie_id, genres FROM movies"),
]

conn = sqlite3.connect(sys.argv[1])
failed = False
for name, actual, stored in CHECKS:
    rows = conn.execute(f"SELECT * FROM ({actual}) EXCEPT SELECT * FROM ({stored}) LIMIT 3").fetchall()
    rows += conn.execute(f"SELECT * FROM ({stored}) EXCEPT SELECT * FROM ({actual}) LIMIT 3").fetchall()
    failed |= bool(rows)
    print(f"aggregates  {name:<14} {'ok' if not rows else 'DIFFER: ' + repr(rows)}")
sys.exit(1 if failed else 0)
