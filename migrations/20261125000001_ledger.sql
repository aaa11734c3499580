-- The double-entry credit ledger. Every movement is one transaction whose entries sum to
-- zero; entries and transactions are never changed or removed; an account's balance is
-- maintained from its entries by a trigger and a wallet's can never go below zero.

CREATE TABLE ledger_accounts (
    id      bigserial PRIMARY KEY,
    -- wallet: a customer's credits; platform: where credits come from and go to.
    kind    text NOT NULL CHECK (kind IN ('wallet', 'platform')),
    user_id uuid REFERENCES users (id),
    code    text UNIQUE,
    -- Kept for wallets only: a platform account touched by every movement would be one
    -- row every transaction on the platform waits for. Its balance is the sum of its
    -- entries, which check-ledger computes.
    balance bigint,
    CONSTRAINT ledger_accounts_owner CHECK (
        (kind = 'wallet') = (user_id IS NOT NULL) AND (kind = 'platform') = (code IS NOT NULL)
        AND (kind = 'wallet') = (balance IS NOT NULL)),
    CONSTRAINT ledger_accounts_wallet_not_negative CHECK (balance >= 0)
);
CREATE UNIQUE INDEX ledger_accounts_one_wallet ON ledger_accounts (user_id) WHERE kind = 'wallet';

INSERT INTO ledger_accounts (kind, code) VALUES
    ('platform', 'issued_paid'),
    ('platform', 'issued_promotional'),
    ('platform', 'spent'),
    ('platform', 'expired'),
    ('platform', 'adjustments');

CREATE TABLE ledger_transactions (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('purchase', 'bonus', 'spend', 'refund', 'adjustment', 'expiry')),
    actor_id        uuid REFERENCES users (id),
    reference       text CHECK (char_length(reference) BETWEEN 1 AND 200),
    reason          text CHECK (char_length(reason) BETWEEN 1 AND 500),
    idempotency_key text NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    created_at      timestamptz NOT NULL,
    CONSTRAINT ledger_transactions_idempotency_key_key UNIQUE (idempotency_key)
);

-- A grant of credits to a wallet: paid or promotional, with an optional expiry. What is
-- left of it is kept beside it and checked against its entries by check-ledger.
CREATE TABLE credit_lots (
    id             bigserial PRIMARY KEY,
    account_id     bigint NOT NULL REFERENCES ledger_accounts (id),
    source         text NOT NULL CHECK (source IN ('paid', 'promotional')),
    granted        bigint NOT NULL CHECK (granted > 0),
    remaining      bigint NOT NULL,
    expires_at     timestamptz,
    transaction_id bigint NOT NULL REFERENCES ledger_transactions (id),
    CONSTRAINT credit_lots_remaining_in_range CHECK (remaining BETWEEN 0 AND granted)
);
CREATE INDEX credit_lots_spendable ON credit_lots (account_id) WHERE remaining > 0;

CREATE TABLE ledger_entries (
    id             bigserial PRIMARY KEY,
    transaction_id bigint NOT NULL REFERENCES ledger_transactions (id),
    account_id     bigint NOT NULL REFERENCES ledger_accounts (id),
    lot_id         bigint REFERENCES credit_lots (id),
    amount         bigint NOT NULL CHECK (amount <> 0)
);
CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id);
CREATE INDEX ledger_entries_lot ON ledger_entries (lot_id) WHERE lot_id IS NOT NULL;

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are immutable: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_transactions_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- Wallet balances follow entries in the same statement, so the check above sees them.
CREATE FUNCTION ledger_apply_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_accounts SET balance = balance + NEW.amount WHERE id = NEW.account_id AND kind = 'wallet';
    RETURN NULL;
END $$;
CREATE TRIGGER ledger_entries_apply AFTER INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_apply_entry();

-- At commit, every transaction that received entries must sum to zero.
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE total numeric;
BEGIN
    SELECT sum(amount) INTO total FROM ledger_entries WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance (sum %)', NEW.transaction_id, total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transactions_balanced';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
