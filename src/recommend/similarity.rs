//! Each movie's `k` most similar movies by cosine over the users who rated both, one block of
//! movies at a time: a thread keeps one dense accumulator the size of the catalogue, so memory
//! grows with the catalogue times k, never with its square.

use super::matrix::RatingMatrix;
use super::parallel::{self, Control};
use super::{Neighbour, Params};

/// Movies per block a thread takes at a time.
const BLOCK: usize = 64;

/// Every movie's neighbours, best first, or `None` when stopped.
pub fn neighbours(matrix: &RatingMatrix, params: &Params, control: &Control<'_>) -> Option<Vec<Vec<Neighbour>>> {
    let movies = matrix.movies();
    let blocks = parallel::in_blocks(movies, BLOCK, control, |range| {
        let mut accumulator = Accumulator::new(movies);
        range.map(|movie| accumulator.neighbours_of(matrix, movie, params)).collect::<Vec<_>>()
    })?;
    Some(blocks.into_iter().flatten().collect())
}

/// One thread's scratch space: dot products and co-rater counts against one movie, and its
/// candidates before the best `k` are kept.
struct Accumulator {
    dots: Vec<f64>,
    counts: Vec<u32>,
    touched: Vec<u32>,
    found: Vec<Neighbour>,
}

impl Accumulator {
    fn new(movies: usize) -> Self {
        Self { dots: vec![0.0; movies], counts: vec![0; movies], touched: Vec::new(), found: Vec::new() }
    }

    fn neighbours_of(&mut self, matrix: &RatingMatrix, movie: usize, params: &Params) -> Vec<Neighbour> {
        for &(user, rating) in matrix.by_movie.row(movie) {
            let mine = matrix.value(user, rating);
            for &(other, other_rating) in matrix.by_user.row(user as usize) {
                let other_index = other as usize;
                if other_index == movie {
                    continue;
                }
                if self.counts[other_index] == 0 {
                    self.touched.push(other);
                }
                self.counts[other_index] += 1;
                self.dots[other_index] += mine * matrix.value(user, other_rating);
            }
        }
        let norm = matrix.norms[movie];
        self.found.clear();
        for &other in &self.touched {
            let index = other as usize;
            let (dot, co_raters) = (self.dots[index], self.counts[index]);
            self.dots[index] = 0.0;
            self.counts[index] = 0;
            let denominator = norm * matrix.norms[index];
            if co_raters < params.min_co_raters || denominator <= 0.0 {
                continue;
            }
            let similarity = dot / denominator;
            if similarity > 0.0 {
                self.found.push(Neighbour { movie: other, similarity, co_raters });
            }
        }
        self.touched.clear();
        top(&mut self.found, params.neighbours)
    }
}

/// The `k` best, by similarity, then more co-raters, then the lower index (a total order, so
/// every run keeps the same neighbours), in a vector of their own: the candidates can number the
/// whole catalogue, and a list kept in their vector would keep its capacity (on 25M, 12.8 GB
/// for 3.1 million neighbours).
pub fn top(found: &mut [Neighbour], k: usize) -> Vec<Neighbour> {
    let order = |a: &Neighbour, b: &Neighbour| {
        b.similarity.total_cmp(&a.similarity).then(b.co_raters.cmp(&a.co_raters)).then(a.movie.cmp(&b.movie))
    };
    if found.len() > k && k > 0 {
        found.select_nth_unstable_by(k - 1, order);
    }
    let kept = k.min(found.len());
    let best = &mut found[..kept];
    best.sort_unstable_by(order);
    best.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_list_holds_only_its_k_neighbours_not_the_candidates_capacity() {
        let mut found: Vec<Neighbour> = (0..10_000)
            .map(|movie| Neighbour { movie, similarity: f64::from(movie % 97) / 97.0, co_raters: 2 })
            .collect();
        let kept = top(&mut found, 5);
        assert_eq!((kept.len(), kept.capacity()), (5, 5));
        assert!(kept.windows(2).all(|pair| pair[0].similarity >= pair[1].similarity));
        assert_eq!(kept[0].similarity, 96.0 / 97.0);
        assert_eq!(kept[0].movie, 96, "ties go to the lower index");
    }
}
