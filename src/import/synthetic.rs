//! The random model behind the generator: movies with popularity and quality, users with
//! activity and taste. Each file draws from its own seeded stream, so files are independent.
//!
//! A user's taste is latent genre preferences (one or two favourite genres): most of the movies
//! they rate come from those genres, and they rate them higher. So movies of a genre are rated
//! by the same people, and item-item neighbours share genres as in the real data.

use std::io::{self, Write};

use fastrand::Rng;

use super::generate::GeneratorConfig;

/// The real MovieLens genres, weighted by how many ml-latest-small movies carry each.
const GENRES: [(&str, u32); 19] = [
    ("Action", 1828),
    ("Adventure", 1263),
    ("Animation", 611),
    ("Children", 664),
    ("Comedy", 3756),
    ("Crime", 1199),
    ("Documentary", 440),
    ("Drama", 4361),
    ("Fantasy", 779),
    ("Film-Noir", 87),
    ("Horror", 978),
    ("IMAX", 158),
    ("Musical", 334),
    ("Mystery", 573),
    ("Romance", 1596),
    ("Sci-Fi", 980),
    ("Thriller", 1894),
    ("War", 382),
    ("Western", 167),
];
const NO_GENRES: &str = "(no genres listed)";

const ADJECTIVES: &[&str] = &[
    "Last",
    "Silent",
    "Broken",
    "Golden",
    "Hidden",
    "Lost",
    "Dark",
    "Little",
    "Wild",
    "Secret",
    "Eternal",
    "Crimson",
    "Midnight",
    "Frozen",
    "Brave",
    "Quiet",
    "Electric",
    "Forgotten",
    "Infinite",
    "Savage",
    "Sweet",
    "Bitter",
    "Invisible",
    "Lonely",
    "Perfect",
    "Strange",
    "Burning",
    "Velvet",
    "Iron",
    "Dangerous",
];
const NOUNS: &[&str] = &[
    "Summer",
    "River",
    "Kingdom",
    "Detective",
    "Garden",
    "Stranger",
    "Empire",
    "Heart",
    "Island",
    "Journey",
    "Machine",
    "Night",
    "Ocean",
    "Promise",
    "Road",
    "Shadow",
    "Sister",
    "Storm",
    "Truth",
    "Valley",
    "Wedding",
    "Winter",
    "Witness",
    "Wolf",
    "Dream",
    "City",
    "Game",
    "Mirror",
    "Station",
    "Letter",
];
const PLACES: &[&str] = &[
    "Paris",
    "Tōkyō",
    "München",
    "São Paulo",
    "Kraków",
    "Reykjavík",
    "Montréal",
    "Zürich",
    "Brooklyn",
    "Texas",
    "Málaga",
    "Ålesund",
];
const NAMES: &[&str] =
    &["Amélie", "José", "Zoë", "Björn", "Renée", "Jack", "Mary", "Frank", "Nina", "Oscar", "Søren", "Chloé"];
/// Tag texts, most common first; some need CSV quoting and some are not ASCII.
const TAGS: &[&str] = &[
    "atmospheric",
    "funny",
    "thought-provoking",
    "twist ending",
    "visually appealing",
    "dark comedy",
    "sci-fi",
    "based on a book",
    "classic",
    "quirky",
    "surreal",
    "Oscar (Best Picture)",
    "dystopia",
    "time travel",
    "cult film",
    "World War II",
    "great soundtrack",
    "black and white",
    "Pixar",
    "Disney",
    "dark, moody",
    "\"so bad it's good\"",
    "In Netflix queue",
    "Bechdel Test:Pass",
    "slow, but worth it",
    "Amélie-esque",
    "黒澤明",
    "🍿 popcorn movie",
    "mind-bending",
    "heartwarming",
];

/// Seconds since the epoch of the first and last MovieLens ratings (1996 to 2018).
const FIRST_RATING_AT: i64 = 828_124_615;
const LAST_RATING_AT: i64 = 1_537_799_250;

/// The share of a user's draws taken from their favourite genres.
const TASTE_SHARE: f64 = 0.93;
/// How much higher a user rates a movie of a favourite genre, and lower one of none.
const TASTE_LIFT: f64 = 0.5;
const TASTE_DROP: f64 = 0.25;

struct Movie {
    id: u32,
    title: String,
    genres: String,
    /// Bit `i` set when the movie has `GENRES[i]`.
    genre_mask: u32,
    /// The mean rating this movie tends toward.
    quality: f64,
}

pub struct Catalogue<'c> {
    config: &'c GeneratorConfig,
    movies: Vec<Movie>,
    /// Cumulative popularity weights, one per movie, for drawing which movie a user rates.
    popularity: Vec<f64>,
    /// Per genre: its movies and their cumulative popularity weights.
    by_genre: Vec<(Vec<usize>, Vec<f64>)>,
}

fn normal(rng: &mut Rng) -> f64 {
    // Box-Muller: two uniforms give one standard normal value.
    let u1 = 1.0 - rng.f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * rng.f64()).cos()
}

fn pick<'a>(rng: &mut Rng, words: &[&'a str]) -> &'a str {
    words[rng.usize(..words.len())]
}

/// A stream of its own for each file, so that changing one file's drawing leaves the others alone.
fn stream(config: &GeneratorConfig, file: u64) -> Rng {
    Rng::with_seed(config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(file))
}

fn title(rng: &mut Rng) -> String {
    let (adjective, noun) = (pick(rng, ADJECTIVES), pick(rng, NOUNS));
    let base = match rng.u32(..100) {
        0..=14 => format!("{adjective} {noun}, The"),
        15..=34 => format!("{adjective} {noun}"),
        35..=44 => format!("{noun} in {}", pick(rng, PLACES)),
        45..=54 => format!("{}'s {noun}", pick(rng, NAMES)),
        55..=62 => format!("{noun}s of {}", pick(rng, PLACES)),
        63..=65 => format!("The \"{adjective}\" {noun}"),
        66..=72 => format!("{adjective} {noun} {}", rng.u32(2..=5)),
        73..=77 => format!("{noun}, {} and {}", pick(rng, NOUNS), pick(rng, NOUNS)),
        78..=82 => format!("{} and {}", pick(rng, NAMES), pick(rng, NAMES)),
        83..=87 => format!("{adjective} {noun} ({} de {})", pick(rng, NOUNS), pick(rng, PLACES)),
        _ => format!("{noun}!"),
    };
    // A few MovieLens titles carry no year; most years are recent.
    if rng.u32(..1000) < 3 {
        return base;
    }
    let year = (2018.0 - (normal(rng).abs() * 22.0).floor()).max(1902.0);
    format!("{base} ({year})")
}

/// A genre index drawn by the genres' weights.
fn weighted_genre(rng: &mut Rng) -> usize {
    let total: u32 = GENRES.iter().map(|(_, weight)| weight).sum();
    let mut draw = rng.u32(..total);
    for (index, (_, weight)) in GENRES.iter().enumerate() {
        if draw < *weight {
            return index;
        }
        draw -= weight;
    }
    GENRES.len() - 1
}

/// The movie's genres as MovieLens writes them, and as a bit mask.
fn genres(rng: &mut Rng) -> (String, u32) {
    if rng.u32(..1000) < 4 {
        return (NO_GENRES.to_string(), 0);
    }
    let count = match rng.u32(..100) {
        0..=34 => 1,
        35..=69 => 2,
        70..=89 => 3,
        _ => 4,
    };
    let mut mask = 0u32;
    while mask.count_ones() < count {
        mask |= 1 << weighted_genre(rng);
    }
    // MovieLens lists a movie's genres alphabetically, as GENRES is.
    let chosen: Vec<&str> = (0..GENRES.len()).filter(|index| mask & (1 << index) != 0).map(|i| GENRES[i].0).collect();
    (chosen.join("|"), mask)
}

/// Splits `total` into `parts` shares with a heavy tail (log-normal weights): a few big users,
/// many small ones. Each share is at least `floor` and at most `cap`.
fn skewed_shares(rng: &mut Rng, total: u64, parts: usize, floor: u64, cap: u64) -> Vec<u64> {
    let weights: Vec<f64> = (0..parts).map(|_| (1.3 * normal(rng)).exp()).collect();
    let weight_sum: f64 = weights.iter().sum();
    let spare = total - floor * parts as u64;
    let mut shares: Vec<u64> =
        weights.iter().map(|weight| (floor + (spare as f64 * weight / weight_sum) as u64).min(cap)).collect();
    // Hand out what rounding and the cap left over, one pass round the users from a random start.
    let mut left = total - shares.iter().sum::<u64>();
    let start = rng.usize(..parts);
    for index in (start..parts).chain(0..start).cycle() {
        if left == 0 {
            break;
        }
        let extra = (cap - shares[index]).min(left).min(1 + left / parts as u64);
        shares[index] += extra;
        left -= extra;
    }
    shares
}

impl<'c> Catalogue<'c> {
    pub fn new(config: &'c GeneratorConfig) -> Self {
        let mut rng = stream(config, 0);
        let count = config.movies as usize;
        let mut ranks: Vec<usize> = (0..count).collect();
        rng.shuffle(&mut ranks);
        let mut movies = Vec::with_capacity(count);
        let mut popularity = Vec::with_capacity(count);
        let (mut id, mut cumulative) = (0u32, 0.0);
        for &rank in &ranks {
            id += if rng.u32(..10) < 7 { 1 } else { rng.u32(1..=60) };
            // Zipf-like popularity: the top movie gets about 0.4% of all ratings, as in MovieLens.
            cumulative += 1.0 / (rank as f64 + 50.0);
            popularity.push(cumulative);
            let acclaim = 0.5 * (-(rank as f64) / (count as f64 * 0.05)).exp();
            let quality = 3.2 + acclaim + 0.45 * normal(&mut rng);
            let title = title(&mut rng);
            let (genres, genre_mask) = genres(&mut rng);
            movies.push(Movie { id, title, genres, genre_mask, quality });
        }
        let mut by_genre: Vec<(Vec<usize>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); GENRES.len()];
        for (index, &rank) in ranks.iter().enumerate() {
            for (genre, (members, cumulative)) in by_genre.iter_mut().enumerate() {
                if movies[index].genre_mask & (1 << genre) != 0 {
                    members.push(index);
                    cumulative.push(cumulative.last().copied().unwrap_or(0.0) + 1.0 / (rank as f64 + 50.0));
                }
            }
        }
        Self { config, movies, popularity, by_genre }
    }

    /// A movie a user with favourite genres `favourites` rates next: most often a
    /// popular one of a favourite genre, otherwise a popular one of any.
    fn tasteful_movie(&self, rng: &mut Rng, favourites: &[usize]) -> usize {
        if favourites.is_empty() || rng.f64() >= TASTE_SHARE {
            return self.popular_movie(rng);
        }
        let (members, cumulative) = &self.by_genre[favourites[rng.usize(..favourites.len())]];
        let Some(&total) = cumulative.last() else { return self.popular_movie(rng) };
        let draw = rng.f64() * total;
        members[cumulative.partition_point(|&c| c <= draw).min(members.len() - 1)]
    }

    fn popular_movie(&self, rng: &mut Rng) -> usize {
        let draw = rng.f64() * self.popularity.last().copied().unwrap_or(0.0);
        self.popularity.partition_point(|&cumulative| cumulative <= draw).min(self.movies.len() - 1)
    }

    pub fn write_movies(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(out);
        csv.write_record(["movieId", "title", "genres"])?;
        for movie in &self.movies {
            csv.write_record([movie.id.to_string().as_str(), &movie.title, &movie.genres])?;
        }
        csv.flush()
    }

    pub fn write_links(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut rng = stream(self.config, 1);
        writeln!(out, "movieId,imdbId,tmdbId")?;
        for (index, movie) in self.movies.iter().enumerate() {
            let imdb_id = 10_000 + index as u64 * 36 + rng.u64(..36);
            write!(out, "{},{imdb_id:07},", movie.id)?;
            if rng.u32(..1000) != 0 {
                write!(out, "{}", 1 + index as u64 * 13 + rng.u64(..13))?;
            }
            writeln!(out)?;
        }
        Ok(())
    }

    pub fn write_ratings(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut rng = stream(self.config, 2);
        let movie_count = self.movies.len();
        let floor = (self.config.ratings / u64::from(self.config.users)).min(20);
        let shares =
            skewed_shares(&mut rng, self.config.ratings, self.config.users as usize, floor, movie_count as u64);
        // `rated_by[m] == user` marks movie m as already rated by that user: no per-user set.
        let mut rated_by = vec![u32::MAX; movie_count];
        let mut chosen = Vec::new();
        writeln!(out, "userId,movieId,rating,timestamp")?;
        for (user, &share) in (1u32..).zip(&shares) {
            let share = share as usize;
            chosen.clear();
            let mut favourites = vec![weighted_genre(&mut rng)];
            if rng.u32(..10) < 3 {
                favourites.push(weighted_genre(&mut rng));
            }
            let liked = favourites.iter().fold(0u32, |mask, &genre| mask | 1 << genre);
            if share * 2 > movie_count {
                // A user who rates most movies: take a random subset directly.
                let mut all: Vec<usize> = (0..movie_count).collect();
                rng.shuffle(&mut all);
                chosen.extend_from_slice(&all[..share]);
            } else {
                while chosen.len() < share {
                    let mut movie = self.tasteful_movie(&mut rng, &favourites);
                    // A favourite genre rated through: any movie instead, so the loop ends.
                    if rated_by[movie] == user {
                        movie = self.popular_movie(&mut rng);
                    }
                    if rated_by[movie] != user {
                        rated_by[movie] = user;
                        chosen.push(movie);
                    }
                }
            }
            chosen.sort_unstable();
            let taste = 0.35 * normal(&mut rng);
            let (first, span) = activity_window(&mut rng);
            for &movie in &chosen {
                let fit = if self.movies[movie].genre_mask & liked != 0 { TASTE_LIFT } else { -TASTE_DROP };
                let score = self.movies[movie].quality + taste + fit + 0.85 * normal(&mut rng);
                let rating = half_star(&mut rng, score);
                let timestamp = first + rng.i64(0..=span);
                writeln!(out, "{user},{},{rating:.1},{timestamp}", self.movies[movie].id)?;
            }
        }
        Ok(())
    }

    pub fn write_tags(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut rng = stream(self.config, 3);
        let users = self.config.users as usize;
        // About one user in ten tags anything, as in MovieLens.
        let mut taggers: Vec<u32> = (1..=self.config.users).collect();
        rng.shuffle(&mut taggers);
        taggers.truncate((users / 10).max(1));
        taggers.sort_unstable();
        let floor = u64::from(self.config.tags >= taggers.len() as u64);
        let shares = skewed_shares(&mut rng, self.config.tags, taggers.len(), floor, u64::MAX);
        let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(out);
        csv.write_record(["userId", "movieId", "tag", "timestamp"])?;
        let mut rows = Vec::new();
        for (&user, &share) in taggers.iter().zip(&shares) {
            let (first, span) = activity_window(&mut rng);
            rows.clear();
            for _ in 0..share {
                let movie = self.movies[self.popular_movie(&mut rng)].id;
                // Squaring a uniform favours the first, most common tags.
                let tag = TAGS[((rng.f64() * rng.f64()) * TAGS.len() as f64) as usize];
                rows.push((movie, first + rng.i64(0..=span), tag));
            }
            rows.sort_unstable();
            for (movie, timestamp, tag) in &rows {
                csv.write_record([user.to_string().as_str(), &movie.to_string(), tag, &timestamp.to_string()])?;
            }
        }
        csv.flush()
    }
}

/// When a user was active: a start between 1996 and 2018 and a span of up to a few years.
fn activity_window(rng: &mut Rng) -> (i64, i64) {
    let first = rng.i64(FIRST_RATING_AT..LAST_RATING_AT);
    let span = ((-(1.0 - rng.f64()).ln()) * 365.0 * 86_400.0) as i64;
    (first, span.min(LAST_RATING_AT - first))
}

/// Rounds a taste score to the half-star grid, leaning toward whole stars as people do.
fn half_star(rng: &mut Rng, score: f64) -> f64 {
    let mut rating = (score.clamp(0.5, 5.0) * 2.0).round() / 2.0;
    if rating.fract() != 0.0 && rng.u32(..10) < 4 {
        rating += if rng.bool() { 0.5 } else { -0.5 };
    }
    rating.clamp(0.5, 5.0)
}
