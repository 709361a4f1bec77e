//! Time limits: a hard limit that stops a task and a soft one that tells it to wrap up. The
//! defaults are the seed's Celery settings (30 and 25 minutes); each task type may have its own.

use std::collections::HashMap;
use std::time::Duration;

/// One task type's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub hard: Duration,
    pub soft: Duration,
}

#[derive(Debug, Clone)]
pub struct TimeLimits {
    pub default: Limits,
    pub per_task: HashMap<String, Limits>,
}

impl TimeLimits {
    pub fn for_task(&self, name: &str) -> Limits {
        self.per_task.get(name).copied().unwrap_or(self.default)
    }
}

/// Parses `NAME=HARD[:SOFT]` (seconds, fractions allowed), as `--task-limit` takes it. Without a
/// soft limit, the soft limit is five sixths of the hard one (25 of 30 minutes).
pub fn parse_task_limit(text: &str) -> Result<(String, Limits), String> {
    let (name, seconds) = text.split_once('=').ok_or("expected NAME=HARD[:SOFT], in seconds")?;
    let number = |part: &str| -> Result<Duration, String> {
        let value: f64 = part.trim().parse().map_err(|_| format!("{part:?} is not a number of seconds"))?;
        if !(value > 0.0 && value <= 7.0 * 86_400.0) {
            return Err(format!("{part:?} must be more than 0 and at most a week"));
        }
        Ok(Duration::from_secs_f64(value))
    };
    let (hard, soft) = match seconds.split_once(':') {
        Some((hard, soft)) => (number(hard)?, number(soft)?),
        None => {
            let hard = number(seconds)?;
            (hard, hard.mul_f64(5.0 / 6.0))
        }
    };
    if soft > hard {
        return Err("the soft limit must not be longer than the hard one".to_string());
    }
    Ok((name.trim().to_string(), Limits { hard, soft }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_limit_reads_hard_and_soft_seconds() {
        let (name, limits) = parse_task_limit("movie_stats=2:1.5").unwrap();
        assert_eq!(name, "movie_stats");
        assert_eq!(limits, Limits { hard: Duration::from_secs(2), soft: Duration::from_millis(1500) });
        let (_, limits) = parse_task_limit("noop=60").unwrap();
        assert_eq!(limits.soft, Duration::from_secs(50));
    }

    #[test]
    fn a_task_limit_refuses_nonsense() {
        for bad in ["noop", "noop=0", "noop=-1", "noop=x", "noop=1:2", "noop=1e9"] {
            assert!(parse_task_limit(bad).is_err(), "{bad}");
        }
    }
}
