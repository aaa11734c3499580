-- The lengths a transaction's key, reference and reason may have become domains.
--
-- Why: PostgreSQL 15 reads a table's check constraints afresh, from their stored text,
-- for every statement that writes the table, and a length check is among the costliest
-- to read; every spend writes a transaction. A domain's checks are read once per
-- connection and kept, so the same rule costs a fraction as much per spend. A value
-- outside the bounds is still refused by the database, as a check violation.
CREATE DOMAIN ledger_label AS text
    CONSTRAINT ledger_label_length CHECK (char_length(VALUE) BETWEEN 1 AND 200);
CREATE DOMAIN ledger_reason AS text
    CONSTRAINT ledger_reason_length CHECK (char_length(VALUE) BETWEEN 1 AND 500);

ALTER TABLE ledger_transactions
    DROP CONSTRAINT ledger_transactions_idempotency_key_check,
    DROP CONSTRAINT ledger_transactions_reference_check,
    DROP CONSTRAINT ledger_transactions_reason_check,
    ALTER COLUMN idempotency_key TYPE ledger_label,
    ALTER COLUMN reference TYPE ledger_label,
    ALTER COLUMN reason TYPE ledger_reason;
