-- The ledger stores transfers instead of entries. A transfer moves a positive amount
-- from one account to another, so it is its two entries (minus on one side, plus on
-- the other) in one row: every transaction sums to zero by construction, not by a
-- check at commit, and a spend from one lot writes one row where it wrote two.
-- `ledger_entries` stays, as a view that unfolds each transfer into its two entries,
-- so everything that reads the books reads them as before.
--
-- The lot a transfer draws from or puts into belongs to the account on its side: a
-- composite foreign key holds each lot to its own wallet, which entries could not.

ALTER TABLE credit_lots ADD CONSTRAINT credit_lots_id_account UNIQUE (id, account_id);
-- Spending changes `remaining` only: with no index on it, that update is a heap-only
-- one, and the room left on each page lets it stay on the page.
DROP INDEX credit_lots_spendable;
CREATE INDEX credit_lots_account ON credit_lots (account_id);
ALTER TABLE credit_lots SET (fillfactor = 70);

CREATE TABLE ledger_transfers (
    id             bigserial PRIMARY KEY,
    transaction_id bigint NOT NULL REFERENCES ledger_transactions (id),
    from_account   bigint NOT NULL REFERENCES ledger_accounts (id),
    to_account     bigint NOT NULL REFERENCES ledger_accounts (id),
    from_lot       bigint,
    to_lot         bigint,
    amount         bigint NOT NULL CONSTRAINT ledger_transfers_amount_positive CHECK (amount > 0),
    CONSTRAINT ledger_transfers_two_accounts CHECK (from_account <> to_account),
    CONSTRAINT ledger_transfers_one_lot CHECK (from_lot IS NULL OR to_lot IS NULL),
    CONSTRAINT ledger_transfers_from_lot FOREIGN KEY (from_lot, from_account) REFERENCES credit_lots (id, account_id),
    CONSTRAINT ledger_transfers_to_lot FOREIGN KEY (to_lot, to_account) REFERENCES credit_lots (id, account_id)
);
CREATE INDEX ledger_transfers_transaction ON ledger_transfers (transaction_id);
CREATE INDEX ledger_transfers_from ON ledger_transfers (from_account, id);
CREATE INDEX ledger_transfers_to ON ledger_transfers (to_account, id);

-- Every transaction so far has one platform entry and, against it, one entry per lot
-- on one wallet: each wallet entry becomes one transfer. Anything else stops the
-- migration rather than be carried over wrongly.
DO $$
DECLARE odd bigint;
BEGIN
    SELECT count(*) INTO odd FROM (
        SELECT e.transaction_id
          FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
         GROUP BY e.transaction_id
        HAVING count(*) FILTER (WHERE a.kind = 'platform') <> 1
            OR count(*) FILTER (WHERE a.kind = 'wallet' AND e.lot_id IS NULL) > 0
            OR count(DISTINCT e.account_id) FILTER (WHERE a.kind = 'wallet') <> 1
            OR sum(e.amount) <> 0) t;
    IF odd > 0 THEN
        RAISE EXCEPTION '% ledger transactions are not one platform entry against lots of one wallet', odd;
    END IF;
END $$;

INSERT INTO ledger_transfers (id, transaction_id, from_account, to_account, from_lot, to_lot, amount)
SELECT w.id, w.transaction_id,
       CASE WHEN w.amount < 0 THEN w.account_id ELSE p.account_id END,
       CASE WHEN w.amount < 0 THEN p.account_id ELSE w.account_id END,
       CASE WHEN w.amount < 0 THEN w.lot_id END,
       CASE WHEN w.amount > 0 THEN w.lot_id END,
       abs(w.amount)
  FROM ledger_entries w
  JOIN ledger_accounts wa ON wa.id = w.account_id AND wa.kind = 'wallet'
  JOIN ledger_entries p ON p.transaction_id = w.transaction_id
  JOIN ledger_accounts pa ON pa.id = p.account_id AND pa.kind = 'platform';
SELECT setval('ledger_transfers_id_seq', GREATEST((SELECT max(id) FROM ledger_transfers), 1));

DROP TABLE ledger_entries;
DROP FUNCTION ledger_apply_entry();
DROP FUNCTION ledger_check_balanced();

CREATE TRIGGER ledger_transfers_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- Wallet balances follow transfers in the same statement, so the wallet's check sees
-- them. One update per side, each by primary key: a single `id IN (..)` update let a
-- generic plan made while the table looked empty scan every account.
CREATE FUNCTION ledger_apply_transfer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_accounts SET balance = balance - NEW.amount WHERE id = NEW.from_account AND kind = 'wallet';
    UPDATE ledger_accounts SET balance = balance + NEW.amount WHERE id = NEW.to_account AND kind = 'wallet';
    RETURN NULL;
END $$;
CREATE TRIGGER ledger_transfers_apply AFTER INSERT ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_apply_transfer();

CREATE VIEW ledger_entries AS
    SELECT id, transaction_id, from_account AS account_id, from_lot AS lot_id, -amount AS amount FROM ledger_transfers
    UNION ALL
    SELECT id, transaction_id, to_account, to_lot, amount FROM ledger_transfers;

-- As before (20261127000002), with one transfer per lot taken, and fewer statements: the
-- wallet's lock also reads the key and the counter account, and a spend that one lot
-- covers (nearly all) takes it without building the allocation. The lock's snapshot can
-- miss a key whose first use committed while this waited for the lock: the insert of
-- the key then finds it, and so does the look before answering short, so a repeat is
-- always answered as one.
CREATE OR REPLACE FUNCTION ledger_spend(
    p_user uuid, p_amount bigint, p_counter text, p_kind text, p_key text,
    p_actor uuid, p_reference text, p_reason text, p_at timestamptz,
    OUT o_outcome text,
    OUT o_transaction_id bigint,
    OUT o_balance bigint,
    OUT o_available bigint,
    OUT o_first_kind text,
    OUT o_first_change bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_wallet bigint;
    v_balance bigint;
    v_counter bigint;
    v_first bigint;
    v_first_left bigint;
    v_left bigint := p_amount;
    v_take bigint;
    v_lot record;
    v_ids bigint[] := '{}';
    v_amounts bigint[] := '{}';
BEGIN
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'a spend is of at least one credit' USING ERRCODE = 'check_violation';
    END IF;
    SELECT a.id, a.balance,
           (SELECT t.id FROM ledger_transactions t WHERE t.idempotency_key = p_key),
           (SELECT c.id FROM ledger_accounts c WHERE c.code = p_counter)
      INTO v_wallet, v_balance, o_transaction_id, v_counter
      FROM ledger_accounts a WHERE a.user_id = p_user AND a.kind = 'wallet' FOR UPDATE OF a;

    IF o_transaction_id IS NULL THEN
        -- Each statement of a PL/pgSQL function takes a fresh snapshot: the lots are
        -- read as a spend that held the lock left them.
        SELECT l.id, l.remaining INTO v_first, v_first_left FROM credit_lots l
         WHERE l.account_id = v_wallet AND l.remaining > 0 AND (l.expires_at IS NULL OR l.expires_at > p_at)
         ORDER BY l.source <> 'promotional', l.expires_at IS NULL, l.expires_at, l.id
         LIMIT 1;
        IF v_first_left >= p_amount THEN
            v_ids := ARRAY[v_first];
            v_amounts := ARRAY[p_amount];
            v_left := 0;
        ELSIF v_first IS NOT NULL THEN
            FOR v_lot IN
                SELECT l.id, l.remaining FROM credit_lots l
                 WHERE l.account_id = v_wallet AND l.remaining > 0 AND (l.expires_at IS NULL OR l.expires_at > p_at)
                 ORDER BY l.source <> 'promotional', l.expires_at IS NULL, l.expires_at, l.id
            LOOP
                EXIT WHEN v_left = 0;
                v_take := least(v_lot.remaining, v_left);
                v_ids := v_ids || v_lot.id;
                v_amounts := v_amounts || v_take;
                v_left := v_left - v_take;
            END LOOP;
        END IF;
        IF v_left = 0 THEN
            INSERT INTO ledger_transactions (kind, actor_id, reference, reason, idempotency_key, created_at)
            VALUES (p_kind, p_actor, p_reference, p_reason, p_key, p_at)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id INTO o_transaction_id;
            IF o_transaction_id IS NOT NULL THEN
                FOR i IN 1 .. array_length(v_ids, 1) LOOP
                    UPDATE credit_lots SET remaining = remaining - v_amounts[i] WHERE id = v_ids[i];
                    INSERT INTO ledger_transfers (transaction_id, from_account, to_account, from_lot, amount)
                    VALUES (o_transaction_id, v_wallet, v_counter, v_ids[i], v_amounts[i]);
                END LOOP;
                o_outcome := 'posted';
                o_balance := v_balance - p_amount;
                RETURN;
            END IF;
        END IF;
        SELECT t.id INTO o_transaction_id FROM ledger_transactions t WHERE t.idempotency_key = p_key;
        IF NOT FOUND THEN
            o_outcome := 'short';
            o_available := p_amount - v_left;
            RETURN;
        END IF;
    END IF;
    o_outcome := 'replayed';
    o_balance := COALESCE(v_balance, 0);
    SELECT t.kind INTO o_first_kind FROM ledger_transactions t WHERE t.id = o_transaction_id;
    SELECT COALESCE(sum(e.amount), 0) INTO o_first_change
      FROM ledger_entries e WHERE e.transaction_id = o_transaction_id AND e.account_id = v_wallet;
END $$;
