-- Orders for services, in the same table as credit-pack orders: one confirmation number
-- space, one checkout with the provider, one webhook path and one fulfilment.
--
-- A service order starts as a draft the customer fills in over the checkout's three
-- steps (details, the service's questions, review and pay). It keeps a copy of what it
-- agreed to (title, prices, questions) taken when it was started, so a later edit of the
-- service changes nothing about it. It is paid either in credits (the ledger spend and
-- the status in one transaction) or by card through the provider, then worked by the
-- practitioner: paid -> in_progress -> completed.

ALTER TABLE orders RENAME COLUMN package_name TO item_name;

ALTER TABLE orders
    ADD COLUMN kind text NOT NULL DEFAULT 'credit_pack' CHECK (kind IN ('credit_pack', 'service')),
    ADD COLUMN service_id uuid REFERENCES services (id),
    ADD COLUMN practitioner_id uuid REFERENCES users (id),
    -- The service's price in credits when the order was started, if it has one.
    ADD COLUMN price_credits bigint CHECK (price_credits BETWEEN 1 AND 100000),
    -- How it was paid: by card through the provider, or in credits from the wallet.
    ADD COLUMN paid_with text CHECK (paid_with IN ('card', 'credits')),
    -- The service's questions as they were, and the customer's answers by question id.
    ADD COLUMN questions jsonb CHECK (jsonb_typeof(questions) = 'array'),
    ADD COLUMN answers jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(answers) = 'object'),
    -- The furthest checkout step completed (0: none yet), where coming back resumes.
    ADD COLUMN step smallint NOT NULL DEFAULT 0 CHECK (step BETWEEN 0 AND 3),
    -- The name and email the customer gave in step 1.
    ADD COLUMN contact_name text CHECK (char_length(btrim(contact_name)) BETWEEN 1 AND 100),
    ADD COLUMN contact_email text CHECK (contact_email = lower(contact_email) AND char_length(contact_email) BETWEEN 3 AND 254),
    ADD COLUMN updated_at timestamptz;

UPDATE orders SET paid_with = 'card' WHERE paid_at IS NOT NULL;
UPDATE orders SET updated_at = created_at;
ALTER TABLE orders ALTER COLUMN updated_at SET NOT NULL;

ALTER TABLE orders
    ALTER COLUMN package_id DROP NOT NULL,
    ALTER COLUMN price_minor DROP NOT NULL,
    ALTER COLUMN currency DROP NOT NULL,
    DROP CONSTRAINT orders_credits_check,
    DROP CONSTRAINT orders_status_check,
    DROP CONSTRAINT orders_paid_have_an_invoice,
    ADD CONSTRAINT orders_status_check CHECK (status IN
        ('draft', 'pending_payment', 'paid', 'payment_failed', 'expired', 'cancelled',
         'in_progress', 'completed', 'refunded', 'partially_refunded')),
    ADD CONSTRAINT orders_credits_check CHECK (credits >= 0 AND (kind <> 'credit_pack' OR credits > 0)),
    ADD CONSTRAINT orders_pack_fields CHECK (
        kind <> 'credit_pack' OR (package_id IS NOT NULL AND price_minor IS NOT NULL AND currency IS NOT NULL)),
    ADD CONSTRAINT orders_service_fields CHECK (
        kind <> 'service' OR (service_id IS NOT NULL AND practitioner_id IS NOT NULL AND questions IS NOT NULL
                              AND credits = 0 AND bonus_credits = 0 AND package_id IS NULL
                              AND (price_credits IS NOT NULL OR price_minor IS NOT NULL))),
    ADD CONSTRAINT orders_card_price_has_currency CHECK ((price_minor IS NULL) = (currency IS NULL)),
    ADD CONSTRAINT orders_credit_price_only_for_services CHECK (kind = 'service' OR price_credits IS NULL),
    -- Paid (and whatever follows payment) exactly when it has a payment time and a way
    -- it was paid; an invoice exactly when money was taken by card.
    ADD CONSTRAINT orders_paid_have_a_payment CHECK (
        (status IN ('paid', 'in_progress', 'completed', 'refunded', 'partially_refunded'))
            = (paid_at IS NOT NULL AND paid_with IS NOT NULL)),
    ADD CONSTRAINT orders_card_payments_have_an_invoice CHECK ((invoice_number IS NOT NULL) = (paid_with IS NOT DISTINCT FROM 'card')),
    ADD CONSTRAINT orders_paid_by_card_have_a_card_price CHECK (paid_with IS DISTINCT FROM 'card' OR price_minor IS NOT NULL),
    ADD CONSTRAINT orders_paid_in_credits_have_a_credit_price CHECK (paid_with IS DISTINCT FROM 'credits' OR price_credits IS NOT NULL),
    ADD CONSTRAINT orders_drafts_are_services CHECK (status <> 'draft' OR kind = 'service');

CREATE INDEX orders_by_practitioner ON orders (practitioner_id, created_at DESC) WHERE practitioner_id IS NOT NULL;
DROP INDEX orders_pending;
CREATE INDEX orders_pending ON orders (expires_at) WHERE status IN ('draft', 'pending_payment', 'payment_failed');

CREATE OR REPLACE FUNCTION order_transition_allowed(from_status text, to_status text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT (from_status, to_status) IN (
        ('draft', 'pending_payment'), ('draft', 'paid'), ('draft', 'expired'), ('draft', 'cancelled'),
        ('pending_payment', 'paid'), ('pending_payment', 'payment_failed'), ('pending_payment', 'expired'),
        ('pending_payment', 'cancelled'),
        ('payment_failed', 'pending_payment'), ('payment_failed', 'paid'), ('payment_failed', 'expired'),
        ('payment_failed', 'cancelled'),
        ('expired', 'paid'), ('cancelled', 'paid'),
        ('paid', 'in_progress'), ('in_progress', 'completed'),
        ('paid', 'partially_refunded'), ('paid', 'refunded'),
        ('partially_refunded', 'partially_refunded'), ('partially_refunded', 'refunded'))
$$;

-- An order's answers and contact details are fixed once it leaves the draft, except that
-- they may be erased (answers emptied, contact details cleared) when its customer
-- deletes their account.
CREATE OR REPLACE FUNCTION orders_refuse_illegal_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT order_transition_allowed(OLD.status, NEW.status) THEN
        RAISE EXCEPTION 'order % cannot move from % to %', OLD.number, OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_legal_transition';
    END IF;
    IF ROW(NEW.id, NEW.number, NEW.user_id, NEW.kind, NEW.package_id, NEW.service_id, NEW.credits, NEW.bonus_credits,
           NEW.price_minor, NEW.currency, NEW.price_credits, NEW.questions)
       IS DISTINCT FROM ROW(OLD.id, OLD.number, OLD.user_id, OLD.kind, OLD.package_id, OLD.service_id, OLD.credits,
           OLD.bonus_credits, OLD.price_minor, OLD.currency, OLD.price_credits, OLD.questions) THEN
        RAISE EXCEPTION 'what order % bought cannot change', OLD.number
            USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_terms_fixed';
    END IF;
    IF OLD.status <> 'draft'
       AND ROW(NEW.answers, NEW.contact_name, NEW.contact_email) IS DISTINCT FROM ROW(OLD.answers, OLD.contact_name, OLD.contact_email)
       AND NOT (NEW.answers = '{}'::jsonb AND NEW.contact_name IS NULL AND NEW.contact_email IS NULL) THEN
        RAISE EXCEPTION 'the answers of order % are fixed once it leaves the draft', OLD.number
            USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_terms_fixed';
    END IF;
    RETURN NEW;
END $$;

-- A credit pack bought to cover a service order's shortfall points back at it, so its
-- result page returns the customer to that order.
ALTER TABLE orders ADD COLUMN for_order_id uuid REFERENCES orders (id)
    CHECK (for_order_id IS NULL OR kind = 'credit_pack');
