-- Credit packages, the orders that buy them, the checkout sessions opened for each order,
-- the payment provider's events as received, and the built-in sandbox provider's own
-- state.

CREATE TABLE credit_packages (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL CHECK (char_length(btrim(name)) BETWEEN 1 AND 80),
    credits       bigint NOT NULL CHECK (credits BETWEEN 1 AND 1000000),
    bonus_credits bigint NOT NULL DEFAULT 0 CHECK (bonus_credits BETWEEN 0 AND 1000000),
    price_minor   bigint NOT NULL CHECK (price_minor BETWEEN 1 AND 100000000),
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    active        boolean NOT NULL DEFAULT true,
    position      integer NOT NULL DEFAULT 0 CHECK (position BETWEEN 0 AND 10000),
    badge         text CHECK (char_length(btrim(badge)) BETWEEN 1 AND 40),
    validity_days integer CHECK (validity_days BETWEEN 1 AND 3650),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX credit_packages_listing ON credit_packages (position, price_minor) WHERE active;

CREATE TABLE orders (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number          text NOT NULL UNIQUE CHECK (number ~ '^ATN-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$'),
    user_id         uuid NOT NULL REFERENCES users (id),
    -- The form the customer submitted; submitting it twice makes one order.
    request_key     uuid NOT NULL,
    package_id      uuid NOT NULL REFERENCES credit_packages (id),
    -- What was bought, as it was when bought: a later edit of the package changes nothing.
    package_name    text NOT NULL,
    credits         bigint NOT NULL CHECK (credits > 0),
    bonus_credits   bigint NOT NULL CHECK (bonus_credits >= 0),
    validity_days   integer,
    price_minor     bigint NOT NULL CHECK (price_minor > 0),
    currency        text NOT NULL,
    status          text NOT NULL CHECK (status IN
                        ('pending_payment', 'paid', 'payment_failed', 'expired', 'refunded', 'partially_refunded')),
    provider        text NOT NULL CHECK (provider IN ('sandbox', 'stripe')),
    invoice_number  text UNIQUE,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    paid_at         timestamptz,
    CONSTRAINT orders_one_per_request UNIQUE (user_id, request_key),
    CONSTRAINT orders_paid_have_an_invoice CHECK (
        (status IN ('paid', 'refunded', 'partially_refunded')) = (invoice_number IS NOT NULL AND paid_at IS NOT NULL))
);
CREATE INDEX orders_by_user ON orders (user_id, created_at DESC);
CREATE INDEX orders_pending ON orders (expires_at) WHERE status IN ('pending_payment', 'payment_failed');

-- The legal moves of an order's status; the application reads the same list from
-- `domain::orders`, and a test proves the two agree.
CREATE FUNCTION order_transition_allowed(from_status text, to_status text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT (from_status, to_status) IN (
        ('pending_payment', 'paid'), ('pending_payment', 'payment_failed'), ('pending_payment', 'expired'),
        ('payment_failed', 'pending_payment'), ('payment_failed', 'paid'), ('payment_failed', 'expired'),
        ('expired', 'paid'),
        ('paid', 'partially_refunded'), ('paid', 'refunded'),
        ('partially_refunded', 'partially_refunded'), ('partially_refunded', 'refunded'))
$$;

CREATE FUNCTION orders_refuse_illegal_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT order_transition_allowed(OLD.status, NEW.status) THEN
        RAISE EXCEPTION 'order % cannot move from % to %', OLD.number, OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_legal_transition';
    END IF;
    IF ROW(NEW.id, NEW.number, NEW.user_id, NEW.package_id, NEW.credits, NEW.bonus_credits, NEW.price_minor, NEW.currency)
       IS DISTINCT FROM ROW(OLD.id, OLD.number, OLD.user_id, OLD.package_id, OLD.credits, OLD.bonus_credits, OLD.price_minor, OLD.currency) THEN
        RAISE EXCEPTION 'what order % bought cannot change', OLD.number
            USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_terms_fixed';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER orders_transition BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_refuse_illegal_transition();

-- Every status an order has been in, who moved it and why.
CREATE TABLE order_transitions (
    id          bigserial PRIMARY KEY,
    order_id    uuid NOT NULL REFERENCES orders (id),
    from_status text,
    to_status   text NOT NULL,
    actor_id    uuid REFERENCES users (id),
    reason      text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    at          timestamptz NOT NULL
);
CREATE INDEX order_transitions_by_order ON order_transitions (order_id, id);

-- Gap-free invoice numbers: the counter row is taken in the paying transaction, so a
-- number is used exactly when the payment commits.
CREATE TABLE invoice_counters (
    year        integer PRIMARY KEY,
    last_number integer NOT NULL CHECK (last_number > 0)
);

-- Every checkout session opened at the provider for an order (a retry opens another).
CREATE TABLE checkout_sessions (
    id         text PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 255),
    order_id   uuid NOT NULL REFERENCES orders (id),
    provider   text NOT NULL CHECK (provider IN ('sandbox', 'stripe')),
    url        text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX checkout_sessions_by_order ON checkout_sessions (order_id, created_at DESC);

-- Provider events, stored once by id before they are handled.
CREATE TABLE payment_events (
    id           text PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 255),
    provider     text NOT NULL CHECK (provider IN ('sandbox', 'stripe')),
    type         text NOT NULL,
    payload      jsonb NOT NULL,
    status       text NOT NULL CHECK (status IN ('processed', 'ignored', 'failed')),
    attempts     integer NOT NULL DEFAULT 1 CHECK (attempts > 0),
    last_error   text,
    received_at  timestamptz NOT NULL,
    processed_at timestamptz
);
CREATE INDEX payment_events_recent ON payment_events (received_at DESC);

-- The built-in sandbox provider's own records: what a real provider would keep on its
-- side. Nothing but the sandbox reads or writes them.
CREATE TABLE sandbox_sessions (
    id                  text PRIMARY KEY,
    client_reference_id text NOT NULL,
    description         text NOT NULL,
    amount_total        bigint NOT NULL CHECK (amount_total > 0),
    currency            text NOT NULL,
    metadata            jsonb NOT NULL,
    success_url         text NOT NULL,
    cancel_url          text NOT NULL,
    status              text NOT NULL CHECK (status IN ('open', 'complete', 'expired')),
    payment_status      text NOT NULL CHECK (payment_status IN ('unpaid', 'paid')),
    declined            boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL,
    expires_at          timestamptz NOT NULL
);
