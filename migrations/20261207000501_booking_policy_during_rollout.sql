-- While the release before the policy copy still runs beside this one (a rolling
-- deploy), its instances write bookings without a policy. Such a booking takes the
-- practitioner's policy in force at that moment, exactly what the copy would have
-- taken, instead of being refused by the columns' NOT NULL.
CREATE FUNCTION bookings_policy_in_force() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT COALESCE(NEW.full_refund_hours, a.full_refund_hours, 24),
           COALESCE(NEW.late_refund_percent, a.late_refund_percent, 50)
      INTO NEW.full_refund_hours, NEW.late_refund_percent
      FROM (SELECT NEW.practitioner_id AS id) p
      LEFT JOIN availability a ON a.practitioner_id = p.id;
    RETURN NEW;
END $$;

CREATE TRIGGER bookings_policy_in_force BEFORE INSERT ON bookings FOR EACH ROW
    WHEN (NEW.full_refund_hours IS NULL OR NEW.late_refund_percent IS NULL)
    EXECUTE FUNCTION bookings_policy_in_force();
