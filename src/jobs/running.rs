//! The tasks this process runs now, so that a cancel or a shutdown can reach them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use super::context::{StopReason, TaskContext};

#[derive(Clone, Default)]
pub struct Running {
    tasks: Arc<Mutex<HashMap<Uuid, TaskContext>>>,
}

/// Removes its task from [`Running`] when dropped, however the run ends.
pub struct Registration {
    running: Running,
    id: Uuid,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.running.lock().remove(&self.id);
    }
}

impl Running {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, TaskContext>> {
        self.tasks.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn add(&self, id: Uuid, context: TaskContext) -> Registration {
        self.lock().insert(id, context);
        Registration { running: self.clone(), id }
    }

    /// Tells task `id` to stop, if it runs here. Returns whether it does.
    pub fn stop(&self, id: &Uuid, reason: StopReason) -> bool {
        let context = self.lock().get(id).cloned();
        context.map(|context| context.request_stop(reason)).is_some()
    }

    pub fn stop_all(&self, reason: StopReason) {
        let contexts: Vec<TaskContext> = self.lock().values().cloned().collect();
        for context in contexts {
            context.request_stop(reason);
        }
    }

    /// Task `id`'s latest progress, if it runs here.
    pub fn progress(&self, id: &Uuid) -> Option<(i64, i64)> {
        self.lock().get(id).and_then(TaskContext::latest_progress)
    }

    pub fn count(&self) -> usize {
        self.lock().len()
    }
}
