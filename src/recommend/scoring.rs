//! A user's picks: movies they have not rated, scored by the sum of their similarities to the
//! movies the user rated, each weighted by the user's rating minus their mean, with the three
//! rated movies that contributed most ("because you liked ...").
//!
//! Movies are dense indices here (0 to the number of movies), as in the model's build: a score
//! is added into a slot per movie, with no hashing. The picks come off a heap, so a request that
//! shows ten picks out of thousands of candidates orders ten, and works out "because" for those
//! ten only. A scorer's buffers are sized to the catalogue and reused from one user to the next:
//! only the slots a user touched are reset.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::Neighbour;

/// How many contributing movies a pick names.
pub const BECAUSE: usize = 3;

/// Picks whose "because" is worked out in one pass over the user's links.
const PICKS_PER_PASS: usize = 16;

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

/// Every movie's scoring list in two flat arrays, one list after another in movie order: a rated
/// movie's list is a slice of each, found through `starts`. A request reads thousands of lists;
/// flat, each is one run of memory with no header to chase, and holds only what scoring reads.
#[derive(Debug, Default)]
pub struct Lists {
    /// Where each movie's list starts, and one more: where the last one ends.
    starts: Vec<u32>,
    neighbours: Vec<u32>,
    similarities: Vec<f64>,
}

impl Lists {
    /// Lists of `movies` movies from `(movie, neighbour, similarity)` links, in movie order and
    /// each movie's best first. A movie without links has an empty list.
    pub fn from_links(movies: usize, links: impl IntoIterator<Item = (u32, u32, f64)>) -> Self {
        let mut lists = Lists { starts: Vec::with_capacity(movies + 1), ..Lists::default() };
        for (movie, neighbour, similarity) in links {
            assert!(movie as usize >= lists.starts.len().saturating_sub(1), "links out of movie order");
            while lists.starts.len() <= movie as usize {
                lists.starts.push(Self::offset(lists.neighbours.len()));
            }
            lists.neighbours.push(neighbour);
            lists.similarities.push(similarity);
        }
        while lists.starts.len() <= movies {
            lists.starts.push(Self::offset(lists.neighbours.len()));
        }
        lists
    }

    /// The first `per_movie` of each of `lists` (a movie's list at its index), best first.
    pub fn from_neighbours(lists: &[Vec<Neighbour>], per_movie: usize) -> Self {
        let links = lists.iter().enumerate().flat_map(|(movie, list)| {
            list.iter().take(per_movie).map(move |neighbour| (movie as u32, neighbour.movie, neighbour.similarity))
        });
        Self::from_links(lists.len(), links)
    }

    fn offset(at: usize) -> u32 {
        u32::try_from(at).expect("fewer than 2^32 links")
    }

    /// A movie's list: its neighbours and their similarities.
    fn list(&self, movie: u32) -> (&[u32], &[f64]) {
        let range = self.starts[movie as usize] as usize..self.starts[movie as usize + 1] as usize;
        (&self.neighbours[range.clone()], &self.similarities[range])
    }
}

/// Scores users' picks over a catalogue of `movies` dense indices.
#[derive(Debug)]
pub struct Scorer {
    scores: Vec<f64>,
    state: Vec<Slot>,
    /// Every contribution of this user's scoring, in the order they were added.
    links: Vec<Link>,
    /// The slots this user's scoring changed, to reset them afterwards.
    touched: Vec<u32>,
    rated: Vec<u32>,
    candidates: BinaryHeap<Candidate>,
    /// Picks taken off the heap with their "because", best last.
    taken: Vec<Pick>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Untouched,
    Rated,
    Candidate,
    /// Taken off the heap, at this place in [`Scorer::take_picks`]'s pass.
    Taken(u8),
}

/// A candidate in the heap: the higher score first, then the lower index.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    movie: u32,
    score: f64,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score.total_cmp(&other.score).then(other.movie.cmp(&self.movie))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

impl Scorer {
    pub fn new(movies: usize) -> Self {
        Scorer {
            scores: vec![0.0; movies],
            state: vec![Slot::Untouched; movies],
            links: Vec::new(),
            touched: Vec::new(),
            rated: Vec::new(),
            candidates: BinaryHeap::new(),
            taken: Vec::new(),
        }
    }

    /// Scores every movie on the scoring list (in `lists`) of a movie the user rated, among
    /// `weights` (rated movie, weight), unless the user rated it. Yields the picks with a
    /// positive score, best first (ties by lower index).
    pub fn rank(&mut self, weights: &[(u32, f64)], lists: &Lists) -> Ranking<'_> {
        self.score(weights, lists);
        Ranking { scorer: self }
    }

    /// [`Scorer::rank`] without the borrow: the picks come from [`Scorer::next_pick`] until
    /// [`Scorer::clear`].
    pub(super) fn score(&mut self, weights: &[(u32, f64)], lists: &Lists) {
        self.clear();
        for &(movie, _) in weights {
            self.state[movie as usize] = Slot::Rated;
            self.rated.push(movie);
        }
        for &(rated, weight) in weights {
            let (neighbours, similarities) = lists.list(rated);
            for (&candidate, &similarity) in neighbours.iter().zip(similarities) {
                let slot = candidate as usize;
                match self.state[slot] {
                    Slot::Rated => continue,
                    Slot::Untouched => {
                        self.state[slot] = Slot::Candidate;
                        self.touched.push(candidate);
                    }
                    Slot::Candidate | Slot::Taken(_) => {}
                }
                let contribution = similarity * weight;
                self.scores[slot] += contribution;
                self.links.push(Link { candidate, rated, contribution });
            }
        }
        let mut candidates = std::mem::take(&mut self.candidates).into_vec();
        let scored = self.touched.iter().map(|&movie| Candidate { movie, score: self.scores[movie as usize] });
        candidates.extend(scored.filter(|candidate| candidate.score > 0.0));
        self.candidates = BinaryHeap::from(candidates);
    }

    /// The best pick not yet taken.
    pub(super) fn next_pick(&mut self) -> Option<Pick> {
        if self.taken.is_empty() {
            self.take_picks();
        }
        self.taken.pop()
    }

    /// Takes the next few picks off the heap and works out their "because" in one pass over
    /// the links.
    fn take_picks(&mut self) {
        let mut picks = Vec::with_capacity(PICKS_PER_PASS);
        while picks.len() < PICKS_PER_PASS {
            let Some(Candidate { movie, score }) = self.candidates.pop() else { break };
            self.state[movie as usize] = Slot::Taken(picks.len() as u8);
            picks.push(Pick { movie, score, because: Vec::with_capacity(BECAUSE) });
        }
        if picks.is_empty() {
            return;
        }
        for link in &self.links {
            if let Slot::Taken(at) = self.state[link.candidate as usize] {
                remember(&mut picks[at as usize].because, link.rated, link.contribution);
            }
        }
        for pick in &picks {
            // Out of this pass: a later pass must not add to its "because".
            self.state[pick.movie as usize] = Slot::Candidate;
        }
        picks.reverse();
        self.taken = picks;
    }

    /// Leaves the buffers as new for the next user.
    pub(super) fn clear(&mut self) {
        for &movie in &self.touched {
            let slot = movie as usize;
            self.scores[slot] = 0.0;
            self.state[slot] = Slot::Untouched;
        }
        for &movie in &self.rated {
            self.state[movie as usize] = Slot::Untouched;
        }
        self.touched.clear();
        self.rated.clear();
        self.links.clear();
        self.candidates.clear();
        self.taken.clear();
    }
}

/// The picks of [`Scorer::rank`], best first. Dropping it resets the scorer.
pub struct Ranking<'s> {
    scorer: &'s mut Scorer,
}

impl<'s> Ranking<'s> {
    /// The picks' movies alone, best first, without naming "because".
    pub fn movies(self) -> impl Iterator<Item = u32> + 's {
        std::iter::from_fn(move || self.scorer.candidates.pop().map(|candidate| candidate.movie))
    }
}

impl Iterator for Ranking<'_> {
    type Item = Pick;

    fn next(&mut self) -> Option<Pick> {
        self.scorer.next_pick()
    }
}

impl Drop for Ranking<'_> {
    fn drop(&mut self) {
        self.scorer.clear();
    }
}

/// One rated movie's contribution to one candidate's score.
#[derive(Debug, Clone, Copy)]
struct Link {
    candidate: u32,
    rated: u32,
    contribution: f64,
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
        let flat = Lists::from_neighbours(&lists, usize::MAX);
        let mut scorer = Scorer::new(lists.len());
        let picks: Vec<Pick> = scorer.rank(&weights, &flat).collect();
        // Movie 2: 0.5 - 0.1; movie 3: 0.4 + 0 - 0.2. Movie 1 is rated.
        assert_eq!(picks.len(), 2);
        assert_eq!((picks[0].movie, picks[1].movie), (2, 3));
        assert!((picks[0].score - 0.4).abs() < 1e-12 && (picks[1].score - 0.2).abs() < 1e-12);
        assert_eq!(picks[0].because, vec![(0, 0.5)], "only positive contributions are named");

        // The scorer's buffers are clean for the next user: movie 0 is not rated by this one.
        let again: Vec<u32> = scorer.rank(&super::weights(&[(1u32, 5.0), (4, 3.0)]), &flat).movies().collect();
        assert_eq!(again, vec![0, 3]);
    }

    #[test]
    fn picks_past_one_pass_keep_their_own_because_and_a_ranking_dropped_halfway_leaves_the_scorer_clean() {
        // 60 movies; the user rated 0 to 4. Their lists hold the others with similarities that
        // differ from list to list.
        let movies = 60u32;
        let similarity =
            |rated: u32, candidate: u32| neighbour(candidate, f64::from((rated * 7 + candidate * 13) % 97 + 1) / 100.0);
        let lists: Vec<Vec<Neighbour>> = (0..movies)
            .map(|rated| match rated {
                // The two rated below the mean (negative weights) list only a few.
                0..3 => (5..movies).map(|candidate| similarity(rated, candidate)).collect(),
                3..5 => (5..15).map(|candidate| similarity(rated, candidate)).collect(),
                _ => Vec::new(),
            })
            .collect();
        let weights = weights(&[(0u32, 5.0), (1, 4.5), (2, 4.0), (3, 2.0), (4, 1.0)]);
        // Brute force: every candidate's score and its three largest positive contributions.
        let mut expected: Vec<Pick> = (5..movies)
            .map(|candidate| {
                let contributions: Vec<(u32, f64)> = weights
                    .iter()
                    .filter_map(|&(rated, weight)| {
                        let link = lists[rated as usize].iter().find(|n| n.movie == candidate)?;
                        Some((rated, link.similarity * weight))
                    })
                    .collect();
                let mut because: Vec<(u32, f64)> = contributions.iter().copied().filter(|&(_, c)| c > 0.0).collect();
                because.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                because.truncate(BECAUSE);
                Pick { movie: candidate, score: contributions.iter().map(|&(_, c)| c).sum(), because }
            })
            .filter(|pick| pick.score > 0.0)
            .collect();
        expected.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.movie.cmp(&b.movie)));
        assert!(expected.len() > 2 * PICKS_PER_PASS, "the test needs three passes: {}", expected.len());

        let flat = Lists::from_neighbours(&lists, usize::MAX);
        let mut scorer = Scorer::new(movies as usize);
        let halfway: Vec<Pick> = scorer.rank(&weights, &flat).take(PICKS_PER_PASS + 3).collect();
        assert_eq!(halfway.len(), PICKS_PER_PASS + 3);
        let picks: Vec<Pick> = scorer.rank(&weights, &flat).collect();
        assert_eq!(picks.len(), expected.len());
        for (pick, expected) in picks.iter().zip(&expected) {
            assert_eq!((pick.movie, pick.because.len()), (expected.movie, expected.because.len()), "{pick:?}");
            assert!((pick.score - expected.score).abs() < 1e-12, "{pick:?} against {expected:?}");
            for (&(movie, contribution), &(expected_movie, expected_contribution)) in
                pick.because.iter().zip(&expected.because)
            {
                assert_eq!(movie, expected_movie, "{pick:?}");
                assert!((contribution - expected_contribution).abs() < 1e-12, "{pick:?}");
            }
        }
        assert_eq!(halfway[..], picks[..PICKS_PER_PASS + 3]);
    }
}
