-- A spend in one round trip. `server::ledger::spend` calls this inside the caller's
-- transaction; it does what that function did in four statements: lock the wallet
-- (movements on one wallet happen one after another), answer a repeated key with the
-- first result, read the lots after the lock (each statement of a PL/pgSQL function
-- takes a fresh snapshot, so it sees what a spend that held the lock just committed),
-- take the credits in `domain::ledger::spending_order` (promotional first, then the
-- soonest expiry, lots that never expire last, then the oldest; expired credit never),
-- and post the entries. A shortfall writes nothing. The property test in
-- tests/it/ledger.rs holds this and `domain::ledger::allocate` to the same answers.
CREATE FUNCTION ledger_spend(
    p_user uuid, p_amount bigint, p_counter text, p_kind text, p_key text,
    p_actor uuid, p_reference text, p_reason text, p_at timestamptz,
    -- 'posted', 'replayed' (nothing moved now) or 'short' (nothing moved).
    OUT o_outcome text,
    OUT o_transaction_id bigint,
    -- The wallet's balance after the spend (posted) or now (replayed).
    OUT o_balance bigint,
    -- Spendable credit, when short.
    OUT o_available bigint,
    -- The kind and wallet change of the first movement with this key, when replayed.
    OUT o_first_kind text,
    OUT o_first_change bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_wallet bigint;
    v_balance bigint;
    v_left bigint := p_amount;
    v_take bigint;
    v_lot record;
    v_ids bigint[] := '{}';
    v_amounts bigint[] := '{}';
BEGIN
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'a spend is of at least one credit' USING ERRCODE = 'check_violation';
    END IF;
    SELECT a.id, a.balance INTO v_wallet, v_balance
      FROM ledger_accounts a WHERE a.user_id = p_user AND a.kind = 'wallet' FOR UPDATE;

    SELECT t.id, t.kind INTO o_transaction_id, o_first_kind FROM ledger_transactions t WHERE t.idempotency_key = p_key;
    IF NOT FOUND THEN
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
        IF v_left > 0 THEN
            o_outcome := 'short';
            o_available := p_amount - v_left;
            RETURN;
        END IF;
        -- A call with the same key for another wallet may hold the key: then this waits
        -- for it and answers as a repeat.
        INSERT INTO ledger_transactions (kind, actor_id, reference, reason, idempotency_key, created_at)
        VALUES (p_kind, p_actor, p_reference, p_reason, p_key, p_at)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id INTO o_transaction_id;
        IF o_transaction_id IS NOT NULL THEN
            WITH taken AS (
                UPDATE credit_lots l SET remaining = l.remaining - t.n
                  FROM unnest(v_ids, v_amounts) AS t(id, n) WHERE l.id = t.id
                RETURNING l.id, t.n)
            INSERT INTO ledger_entries (transaction_id, account_id, lot_id, amount)
            SELECT o_transaction_id, v_wallet, taken.id, -taken.n FROM taken
            UNION ALL
            SELECT o_transaction_id, (SELECT a.id FROM ledger_accounts a WHERE a.code = p_counter), NULL, p_amount;
            o_outcome := 'posted';
            o_balance := v_balance - p_amount;
            RETURN;
        END IF;
        SELECT t.id, t.kind INTO o_transaction_id, o_first_kind FROM ledger_transactions t WHERE t.idempotency_key = p_key;
    END IF;
    o_outcome := 'replayed';
    o_balance := COALESCE(v_balance, 0);
    SELECT COALESCE(sum(e.amount), 0) INTO o_first_change
      FROM ledger_entries e WHERE e.transaction_id = o_transaction_id AND e.account_id = v_wallet;
END $$;
