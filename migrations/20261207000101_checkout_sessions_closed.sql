-- When the provider confirmed a checkout session can no longer take a payment (it was
-- expired there). A session opened for an order expires the earlier ones, an order's
-- payment expires the rest, and the reconciler stops asking about a closed session.
ALTER TABLE checkout_sessions ADD COLUMN closed_at timestamptz;
CREATE INDEX checkout_sessions_unclosed ON checkout_sessions (order_id) WHERE closed_at IS NULL;
