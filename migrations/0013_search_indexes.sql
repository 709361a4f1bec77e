-- Trigram indexes for the admin's substring searches (Django's `icontains`): movie titles and tag
-- texts. `LIKE '%text%'` cannot use a B-tree index, so on the 25M-rating set a rare tag took a
-- scan of a million rows (about 240 ms); a trigram index finds any text of three characters or
-- more at once. External content: the indexes hold only the trigrams, the text stays in its
-- table, and these triggers keep the two in step. Bulk imports drop the triggers with the others
-- and rebuild the indexes and `tag_names` at the end (`src/db/admin/search.rs`).
CREATE VIRTUAL TABLE movie_titles USING fts5 (title, content = 'movies', content_rowid = 'movie_id', tokenize = 'trigram');
INSERT INTO movie_titles (movie_titles) VALUES ('rebuild');
CREATE TRIGGER movie_titles_insert AFTER INSERT ON movies BEGIN
    INSERT INTO movie_titles (rowid, title) VALUES (NEW.movie_id, NEW.title);
END;
CREATE TRIGGER movie_titles_delete AFTER DELETE ON movies BEGIN
    INSERT INTO movie_titles (movie_titles, rowid, title) VALUES ('delete', OLD.movie_id, OLD.title);
END;
CREATE TRIGGER movie_titles_update AFTER UPDATE OF movie_id, title ON movies BEGIN
    INSERT INTO movie_titles (movie_titles, rowid, title) VALUES ('delete', OLD.movie_id, OLD.title);
    INSERT INTO movie_titles (rowid, title) VALUES (NEW.movie_id, NEW.title);
END;

CREATE VIRTUAL TABLE tag_texts USING fts5 (tag, content = 'tags', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO tag_texts (tag_texts) VALUES ('rebuild');
CREATE TRIGGER tag_texts_insert AFTER INSERT ON tags BEGIN
    INSERT INTO tag_texts (rowid, tag) VALUES (NEW.id, NEW.tag);
END;
CREATE TRIGGER tag_texts_delete AFTER DELETE ON tags BEGIN
    INSERT INTO tag_texts (tag_texts, rowid, tag) VALUES ('delete', OLD.id, OLD.tag);
END;
CREATE TRIGGER tag_texts_update AFTER UPDATE OF id, tag ON tags BEGIN
    INSERT INTO tag_texts (tag_texts, rowid, tag) VALUES ('delete', OLD.id, OLD.tag);
    INSERT INTO tag_texts (rowid, tag) VALUES (NEW.id, NEW.tag);
END;

-- Each distinct tag text with how many tags use it, for text too short to have a trigram: such
-- text is matched against the distinct texts (tens of thousands on the 25M set; far fewer in
-- synthetic data) and their tags found by `tags_tag`, instead of reading every tag.
CREATE TABLE tag_names (
    tag  TEXT PRIMARY KEY,
    uses INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO tag_names (tag, uses) SELECT tag, count(*) FROM tags GROUP BY tag;
CREATE TRIGGER tag_names_insert AFTER INSERT ON tags BEGIN
    INSERT INTO tag_names (tag, uses) VALUES (NEW.tag, 1) ON CONFLICT (tag) DO UPDATE SET uses = uses + 1;
END;
CREATE TRIGGER tag_names_delete AFTER DELETE ON tags BEGIN
    UPDATE tag_names SET uses = uses - 1 WHERE tag = OLD.tag;
    DELETE FROM tag_names WHERE tag = OLD.tag AND uses <= 0;
END;
CREATE TRIGGER tag_names_update AFTER UPDATE OF tag ON tags BEGIN
    UPDATE tag_names SET uses = uses - 1 WHERE tag = OLD.tag;
    DELETE FROM tag_names WHERE tag = OLD.tag AND uses <= 0;
    INSERT INTO tag_names (tag, uses) VALUES (NEW.tag, 1) ON CONFLICT (tag) DO UPDATE SET uses = uses + 1;
END;
