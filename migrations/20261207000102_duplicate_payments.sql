-- A payment that arrived for an order another checkout session had already paid. It is
-- refunded in full on its own, one row per session however often (and by however many
-- paths at once) the payment is reported. The order itself is untouched: its invoice,
-- credits and refunds concern the payment that paid it.
CREATE TABLE duplicate_payments (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id           uuid NOT NULL REFERENCES orders (id),
    session_id         text NOT NULL CHECK (char_length(session_id) BETWEEN 1 AND 255),
    payment_intent     text CHECK (char_length(payment_intent) BETWEEN 1 AND 255),
    amount_minor       bigint NOT NULL CHECK (amount_minor > 0),
    currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- How it was found: a provider event, the success page or the reconciler.
    detected_via       text NOT NULL CHECK (char_length(detected_via) BETWEEN 1 AND 40),
    status             text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    provider_refund_id text CHECK (char_length(provider_refund_id) BETWEEN 1 AND 255),
    failure            text CHECK (char_length(failure) BETWEEN 1 AND 1000),
    detected_at        timestamptz NOT NULL,
    completed_at       timestamptz,
    CONSTRAINT duplicate_payments_one_per_session UNIQUE (session_id),
    CONSTRAINT duplicate_payments_settled CHECK (
        (status = 'pending') = (completed_at IS NULL)
        AND (status <> 'succeeded' OR provider_refund_id IS NOT NULL)
        AND (status = 'failed') = (failure IS NOT NULL))
);
CREATE INDEX duplicate_payments_by_order ON duplicate_payments (order_id, detected_at);
CREATE INDEX duplicate_payments_recent ON duplicate_payments (detected_at DESC);
