-- Refunds of credit-pack orders and the credit notes they issue.
--
-- A refund reverses unspent credits of the order's own lots as soon as it is asked
-- for (so they cannot be spent while the card refund is under way), then asks the
-- provider to return the money. When the provider confirms, the refund gets its credit
-- note number and the order its new status; when the provider refuses, the credits go
-- back to their lots.

-- Invoices and credit notes share one kind of gap-free counter.
CREATE TABLE document_counters (
    series      text NOT NULL CHECK (series IN ('invoice', 'credit_note')),
    year        integer NOT NULL,
    last_number integer NOT NULL CHECK (last_number > 0),
    PRIMARY KEY (series, year)
);
INSERT INTO document_counters (series, year, last_number) SELECT 'invoice', year, last_number FROM invoice_counters;
DROP TABLE invoice_counters;

-- The checkout session that paid an order (and the provider's payment behind it): what
-- a refund is made against.
ALTER TABLE orders
    ADD COLUMN paid_session_id text,
    ADD COLUMN payment_intent  text,
    -- Money returned or being returned; never more than was paid.
    ADD COLUMN refunded_minor  bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT orders_refund_within_price CHECK (refunded_minor BETWEEN 0 AND price_minor),
    ADD CONSTRAINT orders_refunds_only_when_paid CHECK (refunded_minor = 0 OR paid_at IS NOT NULL);

-- Credits a refund takes back go to their own platform account; a refund the provider
-- refused gives them back.
INSERT INTO ledger_accounts (kind, code) VALUES ('platform', 'refunded');
ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check;
ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check
    CHECK (kind IN ('purchase', 'bonus', 'spend', 'refund', 'refund_cancelled', 'adjustment', 'expiry'));

CREATE TABLE refunds (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id           uuid NOT NULL REFERENCES orders (id),
    -- The admin's confirmation form: submitting it twice makes one refund.
    request_key        uuid NOT NULL,
    amount_minor       bigint NOT NULL CHECK (amount_minor > 0),
    credits            bigint NOT NULL CHECK (credits > 0),
    bonus_credits      bigint NOT NULL CHECK (bonus_credits >= 0),
    reason             text NOT NULL CHECK (char_length(btrim(reason)) BETWEEN 1 AND 500),
    actor_id           uuid NOT NULL REFERENCES users (id),
    status             text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    provider_refund_id text,
    credit_note_number text UNIQUE,
    failure            text,
    created_at         timestamptz NOT NULL,
    completed_at       timestamptz,
    CONSTRAINT refunds_one_per_request UNIQUE (order_id, request_key),
    CONSTRAINT refunds_credit_note_when_succeeded CHECK (
        (status = 'succeeded') = (credit_note_number IS NOT NULL)
        AND (status = 'pending') = (completed_at IS NULL)
        AND (status = 'failed') = (failure IS NOT NULL))
);
-- One refund of an order at a time: the next one is planned on what the last one left.
CREATE UNIQUE INDEX refunds_one_pending_per_order ON refunds (order_id) WHERE status = 'pending';
CREATE INDEX refunds_by_order ON refunds (order_id, created_at);

-- The sandbox provider's refunds, as a real provider keeps them on its side.
CREATE TABLE sandbox_refunds (
    id              text PRIMARY KEY,
    session_id      text NOT NULL REFERENCES sandbox_sessions (id),
    amount          bigint NOT NULL CHECK (amount > 0),
    idempotency_key text NOT NULL UNIQUE,
    metadata        jsonb NOT NULL,
    created_at      timestamptz NOT NULL
);
