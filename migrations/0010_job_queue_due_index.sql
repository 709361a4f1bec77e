-- The waiting tasks in the order workers claim them. Without it a claim found the waiting tasks
-- by fang's state index and sorted all of them, so each claim cost as much as the backlog was
-- long (13,000 waiting tasks made the writer spend most of its time sorting). Partial: only
-- waiting tasks are in it, so a finished task costs it nothing and the count of waiting tasks
-- reads only them.
CREATE INDEX fang_tasks_due ON fang_tasks (scheduled_at) WHERE state IN ('new', 'retried');
