-- The similar-movie rows that name a movie as a neighbour, for the movie's delete (which removes
-- them in its transaction): without this, each delete read every row of every model.
CREATE INDEX recommendation_neighbours_neighbour ON recommendation_neighbours (neighbour_id);
