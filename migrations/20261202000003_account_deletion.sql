-- A customer can delete their account: their personal data is removed (name, email,
-- phone, password; what they typed into orders and messages), while the ledger, the
-- orders' numbers and amounts, and invoices stay, as the books must.

ALTER TABLE users ADD COLUMN deleted_at timestamptz;
ALTER TABLE users DROP CONSTRAINT users_reachable;
ALTER TABLE users ADD CONSTRAINT users_reachable CHECK (email IS NOT NULL OR phone IS NOT NULL OR deleted_at IS NOT NULL);
ALTER TABLE users ADD CONSTRAINT users_deleted_are_disabled CHECK (deleted_at IS NULL OR disabled_at IS NOT NULL);

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
