-- Results of the scheduled ledger check, newest shown in the admin panel.
CREATE TABLE ledger_checks (
    id         bigserial PRIMARY KEY,
    checked_at timestamptz NOT NULL,
    clean      boolean NOT NULL,
    report     jsonb NOT NULL
);
CREATE INDEX ledger_checks_recent ON ledger_checks (checked_at DESC);
