-- The cancellation policy a booking was made under, copied from the practitioner's
-- settings when its time is chosen: a cancellation returns what was agreed then,
-- whatever the practitioner saves later. Bookings made before this copy existed take
-- the policy in force now (the default one where the practitioner has none), the
-- nearest record there is of what they agreed to.
ALTER TABLE bookings
    ADD COLUMN full_refund_hours integer CHECK (full_refund_hours BETWEEN 0 AND 720),
    ADD COLUMN late_refund_percent integer CHECK (late_refund_percent BETWEEN 0 AND 100);

UPDATE bookings b SET
    full_refund_hours = COALESCE((SELECT a.full_refund_hours FROM availability a WHERE a.practitioner_id = b.practitioner_id), 24),
    late_refund_percent = COALESCE((SELECT a.late_refund_percent FROM availability a WHERE a.practitioner_id = b.practitioner_id), 50);

ALTER TABLE bookings
    ALTER COLUMN full_refund_hours SET NOT NULL,
    ALTER COLUMN late_refund_percent SET NOT NULL;

-- What was agreed does not change afterwards.
CREATE FUNCTION bookings_policy_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the cancellation policy of a booking is fixed when it is made'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'bookings_policy_fixed';
END $$;

CREATE TRIGGER bookings_policy_fixed BEFORE UPDATE ON bookings FOR EACH ROW
    WHEN (ROW(NEW.full_refund_hours, NEW.late_refund_percent) IS DISTINCT FROM ROW(OLD.full_refund_hours, OLD.late_refund_percent))
    EXECUTE FUNCTION bookings_policy_fixed();
