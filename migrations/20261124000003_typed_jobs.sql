-- Jobs may carry a key that makes them unique per kind (a webhook event, a reminder
-- per booking), and recurring jobs are queued from a schedule row per job: the row's
-- lock lets exactly one instance queue each period.
ALTER TABLE jobs ADD COLUMN dedup_key text CHECK (char_length(dedup_key) BETWEEN 1 AND 200);
CREATE UNIQUE INDEX jobs_kind_dedup_key ON jobs (kind, dedup_key) WHERE dedup_key IS NOT NULL;

CREATE TABLE job_schedules (
    name        text PRIMARY KEY CHECK (char_length(name) BETWEEN 1 AND 64),
    next_run_at timestamptz NOT NULL,
    last_run_at timestamptz
);
