-- Every transfer moves credit between one lot of a wallet and one platform account, so
-- a transfer is stored as that: the wallet's lot, the platform account by name, and the
-- change to the wallet (positive in, negative out). Its two entries still sum to zero
-- by construction, and `ledger_entries` still unfolds each transfer into them.
--
-- Why: a foreign key to a platform account row locks that row for every movement, and
-- every spend moves credit to the same one ('spent'): under load each of those locks
-- is shared with every other spend in flight, which PostgreSQL records anew each time.
-- A platform account named by an enum is checked by its type, locking nothing; the
-- wallet side keeps its foreign key, through the lot, which the movement holds anyway.
--
-- A wallet's balance is no longer stored beside it: it is what its lots hold, each lot
-- between zero and what it was granted (a constraint), so no wallet can go below zero,
-- and no movement has to update, and wait for, one row per wallet.

CREATE TYPE ledger_platform AS ENUM
    ('issued_paid', 'issued_promotional', 'spent', 'expired', 'adjustments', 'refunded');

-- A transaction's kind and a lot's source become enums too: PostgreSQL re-reads a
-- table's check constraints for every statement that writes it, and a list of allowed
-- values is the costliest of them, on the two tables every spend writes.
CREATE TYPE ledger_kind AS ENUM
    ('purchase', 'bonus', 'spend', 'refund', 'refund_cancelled', 'adjustment', 'expiry');
CREATE TYPE credit_source AS ENUM ('paid', 'promotional');
DROP TRIGGER ledger_transactions_immutable ON ledger_transactions;
ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check;
ALTER TABLE ledger_transactions ALTER COLUMN kind TYPE ledger_kind USING kind::ledger_kind;
CREATE TRIGGER ledger_transactions_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
ALTER TABLE credit_lots DROP CONSTRAINT credit_lots_source_check;
ALTER TABLE credit_lots ALTER COLUMN source TYPE credit_source USING source::credit_source;

DO $$
DECLARE odd bigint;
BEGIN
    SELECT count(*) INTO odd FROM ledger_accounts a
     WHERE a.kind = 'platform' AND a.code NOT IN (SELECT unnest(enum_range(NULL::ledger_platform))::text);
    IF odd > 0 THEN
        RAISE EXCEPTION '% platform accounts have no ledger_platform name', odd;
    END IF;
    SELECT count(*) INTO odd FROM ledger_transfers x
      JOIN ledger_accounts f ON f.id = x.from_account JOIN ledger_accounts t ON t.id = x.to_account
     WHERE NOT ((x.from_lot IS NOT NULL AND x.to_lot IS NULL AND f.kind = 'wallet' AND t.kind = 'platform')
             OR (x.to_lot IS NOT NULL AND x.from_lot IS NULL AND t.kind = 'wallet' AND f.kind = 'platform'));
    IF odd > 0 THEN
        RAISE EXCEPTION '% transfers are not between a lot of a wallet and a platform account', odd;
    END IF;
END $$;

DROP VIEW ledger_entries;
ALTER TABLE ledger_transfers RENAME TO ledger_transfers_before;

CREATE TABLE ledger_transfers (
    id             bigserial,
    transaction_id bigint NOT NULL REFERENCES ledger_transactions (id),
    wallet         bigint NOT NULL,
    lot            bigint NOT NULL,
    platform       ledger_platform NOT NULL,
    change         bigint NOT NULL CONSTRAINT ledger_transfers_change_nonzero CHECK (change <> 0),
    PRIMARY KEY (transaction_id, id),
    CONSTRAINT ledger_transfers_lot FOREIGN KEY (lot, wallet) REFERENCES credit_lots (id, account_id)
);
CREATE INDEX ledger_transfers_wallet ON ledger_transfers (wallet, id);

INSERT INTO ledger_transfers (id, transaction_id, wallet, lot, platform, change)
SELECT x.id, x.transaction_id,
       CASE WHEN x.from_lot IS NOT NULL THEN x.from_account ELSE x.to_account END,
       COALESCE(x.from_lot, x.to_lot),
       p.code::ledger_platform,
       CASE WHEN x.from_lot IS NOT NULL THEN -x.amount ELSE x.amount END
  FROM ledger_transfers_before x
  JOIN ledger_accounts p ON p.id = CASE WHEN x.from_lot IS NOT NULL THEN x.to_account ELSE x.from_account END;
SELECT setval('ledger_transfers_id_seq', GREATEST((SELECT max(id) FROM ledger_transfers_before), 1));

DROP TABLE ledger_transfers_before;
DROP FUNCTION ledger_apply_transfer();

CREATE TRIGGER ledger_transfers_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

CREATE VIEW ledger_entries AS
    SELECT x.id, x.transaction_id, x.wallet AS account_id, x.lot AS lot_id, x.change AS amount
      FROM ledger_transfers x
    UNION ALL
    SELECT x.id, x.transaction_id, a.id, NULL::bigint, -x.change
      FROM ledger_transfers x JOIN ledger_accounts a ON a.kind = 'platform' AND a.code = x.platform::text;

ALTER TABLE ledger_accounts
    DROP CONSTRAINT ledger_accounts_owner,
    DROP CONSTRAINT ledger_accounts_wallet_not_negative,
    DROP COLUMN balance,
    ADD CONSTRAINT ledger_accounts_owner CHECK (
        (kind = 'wallet') = (user_id IS NOT NULL) AND (kind = 'platform') = (code IS NOT NULL));

CREATE VIEW wallet_balances AS
    SELECT a.id AS account_id, a.user_id, COALESCE(sum(l.remaining), 0)::bigint AS balance
      FROM ledger_accounts a LEFT JOIN credit_lots l ON l.account_id = a.id
     WHERE a.kind = 'wallet'
     GROUP BY a.id;

-- Movements on one wallet happen one after another, under a transaction-scoped
-- advisory lock keyed by the wallet's id (the bigint advisory-lock space belongs to
-- wallets): it lives in the lock manager's memory, so unlike a row lock it writes
-- nothing to the wallet's row or the log. Every movement takes it before touching a
-- lot, so movements never wait for each other in a circle.
--
-- A spend: nearly every spend is covered by the first lot in spending order, which one
-- statement takes from; then the key is recorded (a repeat puts the credit back and is
-- answered as the first), then the transfer. Otherwise the lots are taken in spending
-- order; not enough moves nothing. Each statement of a PL/pgSQL function takes a fresh
-- snapshot, so the lots are read as the movement before this one left them.
DROP FUNCTION ledger_spend(uuid, bigint, text, text, text, uuid, text, text, timestamptz);
CREATE FUNCTION ledger_spend(
    p_user uuid, p_amount bigint, p_counter text, p_kind text, p_key text,
    p_actor uuid, p_reference text, p_reason text, p_at timestamptz,
    OUT o_outcome text,
    OUT o_transaction_id bigint,
    OUT o_available bigint,
    OUT o_first_kind text,
    OUT o_first_change bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_wallet bigint;
    v_lot bigint;
    v_left bigint := p_amount;
    v_take bigint;
    v_row record;
    v_ids bigint[] := '{}';
    v_amounts bigint[] := '{}';
BEGIN
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'a spend is of at least one credit' USING ERRCODE = 'check_violation';
    END IF;
    SELECT a.id INTO v_wallet
      FROM ledger_accounts a, pg_advisory_xact_lock(a.id)
     WHERE a.user_id = p_user AND a.kind = 'wallet';

    UPDATE credit_lots l SET remaining = l.remaining - p_amount
     WHERE l.id = (SELECT f.id FROM credit_lots f
                    WHERE f.account_id = v_wallet AND f.remaining > 0 AND (f.expires_at IS NULL OR f.expires_at > p_at)
                    ORDER BY f.source <> 'promotional', f.expires_at IS NULL, f.expires_at, f.id
                    LIMIT 1)
       AND l.remaining >= p_amount
    RETURNING l.id INTO v_lot;

    IF v_lot IS NOT NULL THEN
        INSERT INTO ledger_transactions (kind, actor_id, reference, reason, idempotency_key, created_at)
        VALUES (p_kind::ledger_kind, p_actor, p_reference, p_reason, p_key, p_at)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id INTO o_transaction_id;
        IF o_transaction_id IS NOT NULL THEN
            INSERT INTO ledger_transfers (transaction_id, wallet, lot, platform, change)
            VALUES (o_transaction_id, v_wallet, v_lot, p_counter::ledger_platform, -p_amount);
            o_outcome := 'posted';
            RETURN;
        END IF;
        UPDATE credit_lots SET remaining = remaining + p_amount WHERE id = v_lot;
    ELSIF NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.idempotency_key = p_key) THEN
        FOR v_row IN
            SELECT l.id, l.remaining FROM credit_lots l
             WHERE l.account_id = v_wallet AND l.remaining > 0 AND (l.expires_at IS NULL OR l.expires_at > p_at)
             ORDER BY l.source <> 'promotional', l.expires_at IS NULL, l.expires_at, l.id
        LOOP
            EXIT WHEN v_left = 0;
            v_take := least(v_row.remaining, v_left);
            v_ids := v_ids || v_row.id;
            v_amounts := v_amounts || v_take;
            v_left := v_left - v_take;
        END LOOP;
        IF v_left = 0 THEN
            INSERT INTO ledger_transactions (kind, actor_id, reference, reason, idempotency_key, created_at)
            VALUES (p_kind::ledger_kind, p_actor, p_reference, p_reason, p_key, p_at)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id INTO o_transaction_id;
            IF o_transaction_id IS NOT NULL THEN
                UPDATE credit_lots l SET remaining = l.remaining - t.n
                  FROM unnest(v_ids, v_amounts) AS t(id, n) WHERE l.id = t.id;
                INSERT INTO ledger_transfers (transaction_id, wallet, lot, platform, change)
                SELECT o_transaction_id, v_wallet, t.id, p_counter::ledger_platform, -t.n
                  FROM unnest(v_ids, v_amounts) AS t(id, n);
                o_outcome := 'posted';
                RETURN;
            END IF;
        END IF;
    END IF;

    SELECT t.id, t.kind INTO o_transaction_id, o_first_kind FROM ledger_transactions t WHERE t.idempotency_key = p_key;
    IF NOT FOUND THEN
        o_outcome := 'short';
        o_available := p_amount - v_left;
        RETURN;
    END IF;
    o_outcome := 'replayed';
    SELECT COALESCE(sum(x.change), 0) INTO o_first_change
      FROM ledger_transfers x WHERE x.transaction_id = o_transaction_id AND x.wallet = v_wallet;
END $$;
