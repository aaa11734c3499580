-- A card hold keeps a practitioner's time from everyone else while its customer pays,
-- so it is bounded: only an order that can still be paid is held, never past the end
-- of that order's payment window, and one customer keeps at most three live holds, at
-- most two of them with one practitioner. The trigger runs after the row is written,
-- so a time someone else already has is still refused by `bookings_no_overlap` first.
-- A hold is live while `hold_until` is after the moment it was taken (`updated_at`).
CREATE FUNCTION bookings_hold_bounded() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o record;
    held bigint;
    held_here bigint;
BEGIN
    SELECT status, expires_at INTO o FROM orders WHERE id = NEW.order_id;
    IF o.status NOT IN ('draft', 'pending_payment', 'payment_failed') OR NEW.hold_until > o.expires_at
       OR NEW.hold_until <= NEW.updated_at THEN
        RAISE EXCEPTION 'a hold must end within the payment window of an order that can be paid'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'bookings_hold_within_order';
    END IF;
    -- One customer's holds are counted one transaction at a time: a concurrent hold
    -- waits here until the other commits, then counts it.
    PERFORM pg_advisory_xact_lock(hashtextextended('bookings_holds:' || NEW.customer_id::text, 0));
    SELECT count(*), count(*) FILTER (WHERE b.practitioner_id = NEW.practitioner_id) INTO held, held_here
    FROM bookings b
    WHERE b.customer_id = NEW.customer_id AND b.status = 'held' AND b.hold_until > NEW.updated_at AND b.id <> NEW.id;
    IF held_here >= 2 THEN
        RAISE EXCEPTION 'customer % already holds % times of this practitioner', NEW.customer_id, held_here
            USING ERRCODE = 'check_violation', CONSTRAINT = 'bookings_holds_per_practitioner';
    END IF;
    IF held >= 3 THEN
        RAISE EXCEPTION 'customer % already holds % times', NEW.customer_id, held
            USING ERRCODE = 'check_violation', CONSTRAINT = 'bookings_holds_per_customer';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER bookings_hold_bounded AFTER UPDATE ON bookings FOR EACH ROW
    WHEN (NEW.status = 'held' AND (OLD.status <> 'held' OR NEW.hold_until IS DISTINCT FROM OLD.hold_until))
    EXECUTE FUNCTION bookings_hold_bounded();

CREATE INDEX bookings_holds_by_customer ON bookings (customer_id) WHERE status = 'held';
