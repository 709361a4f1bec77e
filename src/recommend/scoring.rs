//! A user's picks: movies they have not rated, scored by the sum of their similarities to the
//! movies the user rated, each weighted by the user's rating minus their mean, with the three
//! rated movies that contributed most ("because you liked ...").
//!
//! Movies are dense indices here (0 to the number of movies), as in the model's build: a score
//! is added into a slot per movie, with no hashing, and a request that reads a few thousand
//! links and names ten picks works out "because" for those ten only.

use super::Neighbour;

/// How many contributing movies a pick names.
pub const BECAUSE: usize = 3;

/// One candidate movie and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub movie: u32,
    pub score: f64,
    /// The rated movies that contributed most, with their contributions, largest first.
    pub because: Vec<(u32, f64)>,
}

/// Each rated movie's weight: the rating minus the user's mean rating.
pub fn weights<T: Copy>(ratings: &[(T, f64)]) -> Vec<(T, f64)> {
    if ratings.is_empty() {
        return Vec::new();
    }
    let mean = ratings.iter().map(|(_, rating)| rating).sum::<f64>() / ratings.len() as f64;
    ratings.iter().map(|&(movie, rating)| (movie, rating - mean)).collect()
}

/// Scores users' picks over a catalogue of `movies` dense indices; its buffers are reused from
/// one user to the next.
pub struct Scorer {
    scores: Vec<f64>,
    state: Vec<Slot>,
}

#[derive(Clone, Copy, PartialEq)]
enum Slot {
    Untouched,
    Rated,
    Candidate,
}

impl Scorer {
    pub fn new(movies: usize) -> Self {
        Scorer { scores: vec![0.0; movies], state: vec![Slot::Untouched; movies] }
    }

    /// Scores every movie on the scoring list (`list`) of a movie the user rated, among
    /// `weights` (rated movie, weight), unless the user rated it. Yields the picks with a
    /// positive score, best first (ties by lower index).
    pub fn rank<'a>(&mut self, weights: &[(u32, f64)], list: impl Fn(u32) -> &'a [Neighbour]) -> Ranking {
        for &(movie, _) in weights {
            self.state[movie as usize] = Slot::Rated;
        }
        let mut touched = Vec::new();
        let mut links = Vec::with_capacity(weights.iter().map(|&(rated, _)| list(rated).len()).sum());
        for &(rated, weight) in weights {
            for neighbour in list(rated) {
                let slot = neighbour.movie as usize;
                match self.state[slot] {
                    Slot::Rated => continue,
                    Slot::Untouched => {
                        self.state[slot] = Slot::Candidate;
                        touched.push(neighbour.movie);
                    }
                    Slot::Candidate => {}
                }
                let contribution = neighbour.similarity * weight;
                self.scores[slot] += contribution;
                links.push(Link { candidate: neighbour.movie, rated, contribution });
            }
        }
        let mut candidates: Vec<(u32, f64)> = touched
            .iter()
            .map(|&movie| (movie, self.scores[movie as usize]))
            .filter(|&(_, score)| score > 0.0)
            .collect();
        candidates.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        // Leave the buffers as new for the next user.
        for movie in touched.into_iter().chain(weights.iter().map(|&(movie, _)| movie)) {
            self.scores[movie as usize] = 0.0;
            self.state[movie as usize] = Slot::Untouched;
        }
        Ranking { links, candidates: candidates.into_iter() }
    }
}

/// One rated movie's contribution to one candidate's score.
struct Link {
    candidate: u32,
    rated: u32,
    contribution: f64,
}

/// The picks of [`Scorer::rank`], best first.
pub struct Ranking {
    links: Vec<Link>,
    candidates: std::vec::IntoIter<(u32, f64)>,
}

impl Ranking {
    /// The picks' movies alone, best first, without working out "because".
    pub fn movies(self) -> impl Iterator<Item = u32> {
        self.candidates.map(|(movie, _)| movie)
    }
}

impl Iterator for Ranking {
    type Item = Pick;

    fn next(&mut self) -> Option<Pick> {
        let (movie, score) = self.candidates.next()?;
        let mut because = Vec::with_capacity(BECAUSE);
        for link in self.links.iter().filter(|link| link.candidate == movie) {
            remember(&mut because, link.rated, link.contribution);
        }
        Some(Pick { movie, score, because })
    }
}

/// Keeps the [`BECAUSE`] largest positive contributions, largest first.
fn remember(because: &mut Vec<(u32, f64)>, rated: u32, contribution: f64) {
    if contribution <= 0.0 {
        return;
    }
    let at = because
        .iter()
        .position(|&(movie, value)| contribution > value || (contribution == value && rated < movie))
        .unwrap_or(because.len());
    if at < BECAUSE {
        because.insert(at, (rated, contribution));
        because.truncate(BECAUSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn neighbour(movie: u32, similarity: f64) -> Neighbour {
        Neighbour { movie, similarity, co_raters: 2 }
    }

    #[test]
    fn scores_sum_weighted_similarities_skip_rated_movies_and_name_the_largest_contributions() {
        let lists = [
            vec![neighbour(1, 0.9), neighbour(2, 0.5), neighbour(3, 0.4)],
            vec![neighbour(0, 0.9), neighbour(3, 0.8)],
            vec![],
            vec![],
            vec![neighbour(3, 0.2), neighbour(2, 0.1)],
        ];
        // Ratings 5, 4 and 3 of movies 0, 1 and 4: mean 4, weights 1, 0 and -1.
        let weights = weights(&[(0u32, 5.0), (1, 4.0), (4, 3.0)]);
        let mut scorer = Scorer::new(lists.len());
        let picks: Vec<Pick> = scorer.rank(&weights, |movie| &lists[movie as usize]).collect();
        // Movie 2: 0.5 - 0.1; movie 3: 0.4 + 0 - 0.2. Movie 1 is rated.
        assert_eq!(picks.len(), 2);
        assert_eq!((picks[0].movie, picks[1].movie), (2, 3));
        assert!((picks[0].score - 0.4).abs() < 1e-12 && (picks[1].score - 0.2).abs() < 1e-12);
        assert_eq!(picks[0].because, vec![(0, 0.5)], "only positive contributions are named");

        // The scorer's buffers are clean for the next user: movie 0 is not rated by this one.
        let again: Vec<u32> =
            scorer.rank(&super::weights(&[(1u32, 5.0), (4, 3.0)]), |m| &lists[m as usize]).movies().collect();
        assert_eq!(again, vec![0, 3]);
    }
}
