-- Each reconciliation run, for the admin payments page.
CREATE TABLE reconciliations (
    id       bigserial PRIMARY KEY,
    ran_at   timestamptz NOT NULL,
    checked  integer NOT NULL CHECK (checked >= 0),
    repaired integer NOT NULL CHECK (repaired BETWEEN 0 AND checked)
);
CREATE INDEX reconciliations_recent ON reconciliations (ran_at DESC);
