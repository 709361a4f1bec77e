//! `noop`: does nothing but record its run. Its options make it wait, fail or panic, for
//! measuring the queue and trying out retries, time limits and cancellation.

use std::time::Duration;

use fang::{typetag, AsyncQueueable, AsyncRunnable, FangError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ArgError, CheckArgs};
use crate::jobs::context::TaskContext;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Noop {
    /// Waits this long (at most 60,000 ms), giving way to a cancel or a time limit.
    #[serde(default)]
    pub sleep_ms: u32,
    /// `"error"` fails with an error, `"panic"` panics; absent succeeds.
    #[serde(default)]
    pub fail: Option<String>,
    /// Runs a failure may get after the first (at most 10).
    #[serde(default)]
    pub retries: u8,
    /// Seconds before each retry (at most 3,600).
    #[serde(default = "one_second")]
    pub retry_delay_secs: u32,
    /// `false` waits without looking at cancels and time limits, like work that never checks:
    /// only the hard limit stops it.
    #[serde(default = "yes")]
    pub cooperative: bool,
}

fn yes() -> bool {
    true
}

fn one_second() -> u32 {
    1
}

impl CheckArgs for Noop {
    fn check(&self) -> Vec<ArgError> {
        let mut errors = Vec::new();
        if self.sleep_ms > 60_000 {
            errors.push(ArgError::new("sleep_ms", "must be at most 60000"));
        }
        if !matches!(self.fail.as_deref(), None | Some("error" | "panic")) {
            errors.push(ArgError::new("fail", "must be \"error\" or \"panic\" when given"));
        }
        if self.retries > 10 {
            errors.push(ArgError::new("retries", "must be at most 10"));
        }
        if self.retry_delay_secs > 3_600 {
            errors.push(ArgError::new("retry_delay_secs", "must be at most 3600"));
        }
        errors
    }
}

#[typetag::serde(name = "noop")]
#[fang::async_trait]
impl AsyncRunnable for Noop {
    async fn run(&self, _queue: &dyn AsyncQueueable) -> Result<(), FangError> {
        let context = TaskContext::current();
        let wait = Duration::from_millis(self.sleep_ms.into());
        let completed = match self.cooperative {
            true => context.pause(wait).await,
            false => {
                tokio::time::sleep(wait).await;
                true
            }
        };
        match self.fail.as_deref() {
            Some("error") => {
                Err(FangError { description: format!("failed on purpose (attempt {})", context.attempt()) })
            }
            Some("panic") => panic!("panicked on purpose (attempt {})", context.attempt()),
            _ => {
                context.set_result(json!({"slept_ms": self.sleep_ms, "completed": completed}));
                Ok(())
            }
        }
    }

    fn max_retries(&self) -> i32 {
        self.retries.into()
    }

    fn backoff(&self, _attempt: u32) -> u32 {
        self.retry_delay_secs
    }
}
