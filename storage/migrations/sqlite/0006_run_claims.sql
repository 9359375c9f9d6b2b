-- Runs are claimed by one process (issue 18): `claimed_by` is the process id that holds the
-- run, `lease_until` (ms) when its hold lapses unless extended, `fence` a token bumped on
-- every takeover, so a process that lost the run can tell (its writes are conditioned on it).
ALTER TABLE runs ADD COLUMN claimed_by TEXT;
ALTER TABLE runs ADD COLUMN lease_until BIGINT;
ALTER TABLE runs ADD COLUMN fence BIGINT NOT NULL DEFAULT 0;

-- The reaper's question, "which running runs' leases lapsed?", without a scan.
CREATE INDEX runs_running_lease ON runs (lease_until) WHERE status = 'running';
-- The last guard: one scheduled instant of a task is started once, whatever its trigger.
CREATE UNIQUE INDEX runs_task_instant ON runs (task_id, scheduled_for) WHERE trigger != 'manual';
