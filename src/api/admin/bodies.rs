//! How each admin write's body is read: its fields and types here, its rules in
//! `crate::model::admin::rules`.

use super::body::{BodyReader, FromBody};
use crate::model::admin::{
    rules, FieldError, GenreName, LinkChanges, MovieChanges, NewLink, NewMovie, NewTag, RatingChanges, TagChanges,
};
use crate::model::ratings::NewRating;

impl FromBody for NewMovie {
    fn read(reader: &mut BodyReader) -> Self {
        Self {
            movie_id: reader.optional_whole("movie_id"),
            title: reader.text("title"),
            genres: reader.texts("genres"),
        }
    }

    fn problems(&self) -> Vec<FieldError> {
        rules::new_movie(self)
    }
}

impl FromBody for MovieChanges {
    fn read(reader: &mut BodyReader) -> Self {
        Self {
            title: reader.optional_text("title"),
            genres: reader.optional_texts("genres"),
            add_genres: reader.optional_texts("add_genres"),
            remove_genres: reader.optional_texts("remove_genres"),
        }
    }

    fn problems(&self) -> Vec<FieldError> {
        rules::movie_changes(self)
    }
}

impl FromBody for GenreName {
    fn read(reader: &mut BodyReader) -> Self {
        Self { name: reader.text("name") }
    }

    fn problems(&self) -> Vec<FieldError> {
        rules::genre_name(self)
    }
}

impl FromBody for NewRating {
    fn read(reader: &mut BodyReader) -> Self {
        Self {
            user_id: reader.whole("user_id"),
            movie_id: reader.whole("movie_id"),
            rating: reader.number("rating"),
            timestamp: reader.nullable_whole("timestamp"),
        }
    }

    fn problems(&self) -> Vec<FieldError> {
        rules::new_rating(self)
    }
}

impl FromBody for RatingChanges {
    fn read(reader: &mut BodyReader) -> Self {
        Self {
            user_id: reader.optional_whole("user_id"),
            movie_id: reader.optional_whole("movie_id"),
            rating: reader.optional_number("rating"),
            timestamp: reader.optional_whole("timestamp"),
        }
    }

    fn problems(&self) -> Vec<FieldError> {
        rules::rating_changes(self)
    }
}

impl FromBody for NewTag {
    fn read(reader: &mut BodyReader) -> Self {
        Self {
            user_id: reader.whole("user_id"),
            movie_id: reader.whole("movie_id"),
            tag: reader.text("tag"),
            timestamp: reader.optional_whole("timestamp"),
        }
    }

    fn problems(&self) -> Vec<FieldError> {
        rules::new_tag(self)
    }
}

impl FromBody for TagChanges {
    fn read(reader: &mut BodyReader) -> Self {
        Self {
            user_id: reader.optional_whole("user_id"),
            movie_id: reader.optional_whole("movie_id"),
            tag: reader.optional_text("tag"),
            timestamp: reader.optional_whole("timestamp"),
        }
    }

    fn problems(&self) -> Vec<FieldError> {
        rules::tag_changes(self)
    }
}

impl FromBody for NewLink {
    fn read(reader: &mut BodyReader) -> Self {
        Self {
            movie_id: reader.whole("movie_id"),
            imdb_id: reader.text("imdb_id"),
            tmdb_id: reader.optional_whole("tmdb_id"),
        }
    }

    fn problems(&self) -> Vec<FieldError> {
        rules::new_link(self)
    }
}

impl FromBody for LinkChanges {
    fn read(reader: &mut BodyReader) -> Self {
        Self { imdb_id: reader.optional_text("imdb_id"), tmdb_id: reader.nullable_whole("tmdb_id") }
    }

    fn problems(&self) -> Vec<FieldError> {
        rules::link_changes(self)
    }
}
