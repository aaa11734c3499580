-- Booking sessions at a set time: a practitioner's availability, and one booking per
-- order of a scheduled service. Two bookings of one practitioner can never overlap
-- while they are held or confirmed: the exclusion constraint decides, whatever the
-- concurrency.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- How a practitioner can be booked, in their own IANA zone.
CREATE TABLE availability (
    practitioner_id       uuid PRIMARY KEY REFERENCES practitioner_profiles (user_id),
    time_zone             text NOT NULL CHECK (char_length(time_zone) BETWEEN 1 AND 64),
    buffer_before_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 240),
    buffer_after_minutes  integer NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 240),
    min_notice_minutes    integer NOT NULL DEFAULT 720 CHECK (min_notice_minutes BETWEEN 0 AND 43200),
    horizon_days          integer NOT NULL DEFAULT 60 CHECK (horizon_days BETWEEN 1 AND 365),
    -- The cancellation policy: a full refund up to `full_refund_hours` before the start,
    -- `late_refund_percent` after that, nothing once the session has started.
    full_refund_hours     integer NOT NULL DEFAULT 24 CHECK (full_refund_hours BETWEEN 0 AND 720),
    late_refund_percent   integer NOT NULL DEFAULT 50 CHECK (late_refund_percent BETWEEN 0 AND 100),
    updated_at            timestamptz NOT NULL
);

-- Weekly working hours, wall-clock times in the practitioner's zone; Monday is 0.
CREATE TABLE availability_hours (
    practitioner_id uuid NOT NULL REFERENCES availability (practitioner_id) ON DELETE CASCADE,
    weekday         smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    starts          time NOT NULL,
    ends            time NOT NULL,
    CONSTRAINT availability_hours_ordered CHECK (ends > starts),
    CONSTRAINT availability_hours_no_overlap EXCLUDE USING gist (
        practitioner_id WITH =, weekday WITH =, tsrange(date '2000-01-03' + starts, date '2000-01-03' + ends) WITH &&)
);

-- Dates that differ from the weekly hours: a day off (no times) or extra hours.
CREATE TABLE availability_exceptions (
    id              bigserial PRIMARY KEY,
    practitioner_id uuid NOT NULL REFERENCES availability (practitioner_id) ON DELETE CASCADE,
    day             date NOT NULL,
    starts          time,
    ends            time,
    CONSTRAINT availability_exceptions_shape CHECK ((starts IS NULL) = (ends IS NULL) AND (ends IS NULL OR ends > starts))
);
CREATE UNIQUE INDEX availability_exceptions_one_day_off ON availability_exceptions (practitioner_id, day) WHERE starts IS NULL;
CREATE INDEX availability_exceptions_by_day ON availability_exceptions (practitioner_id, day);

-- One per order of a scheduled service. `pending` while the order is a draft (it
-- blocks nothing), `held` for the life of a card checkout, `confirmed` once paid;
-- `released` when a hold ran out or the order ended unpaid. `blocks` is the session
-- with the practitioner's buffers around it, as they were when it was booked.
CREATE TABLE bookings (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id        uuid NOT NULL UNIQUE REFERENCES orders (id),
    practitioner_id uuid NOT NULL REFERENCES users (id),
    customer_id     uuid NOT NULL REFERENCES users (id),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    blocks          tstzrange NOT NULL,
    status          text NOT NULL CHECK (status IN ('pending', 'held', 'confirmed', 'released', 'cancelled', 'completed', 'no_show')),
    hold_until      timestamptz,
    cancelled_by    text CHECK (cancelled_by IN ('customer', 'practitioner', 'admin')),
    -- The practitioner's private notes, written when they complete the session.
    notes           text CHECK (char_length(notes) <= 5000),
    reminded_at     timestamptz,
    -- Raised at every change a calendar should see (RFC 5545 SEQUENCE).
    sequence        integer NOT NULL DEFAULT 0 CHECK (sequence >= 0),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT bookings_ends_after_start CHECK (ends_at > starts_at),
    CONSTRAINT bookings_blocks_cover_session CHECK (blocks @> tstzrange(starts_at, ends_at)),
    CONSTRAINT bookings_hold_has_end CHECK ((status = 'held') = (hold_until IS NOT NULL)),
    CONSTRAINT bookings_cancel_has_side CHECK ((status = 'cancelled') = (cancelled_by IS NOT NULL)),
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (practitioner_id WITH =, blocks WITH &&)
        WHERE (status IN ('held', 'confirmed'))
);
CREATE INDEX bookings_by_practitioner ON bookings (practitioner_id, starts_at);
CREATE INDEX bookings_by_customer ON bookings (customer_id, starts_at);
CREATE INDEX bookings_holds_due ON bookings (hold_until) WHERE status = 'held';
CREATE INDEX bookings_reminders_due ON bookings (starts_at) WHERE status = 'confirmed' AND reminded_at IS NULL;

-- Which moves a booking may make; the trigger refuses the rest.
CREATE FUNCTION booking_transition_allowed(from_status text, to_status text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT (from_status, to_status) IN (
        ('pending', 'held'), ('pending', 'confirmed'), ('pending', 'released'),
        ('held', 'confirmed'), ('held', 'released'), ('held', 'pending'),
        ('released', 'held'), ('released', 'confirmed'), ('released', 'pending'),
        ('confirmed', 'cancelled'), ('confirmed', 'completed'), ('confirmed', 'no_show'))
$$;

CREATE FUNCTION bookings_refuse_illegal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT booking_transition_allowed(OLD.status, NEW.status) THEN
        RAISE EXCEPTION 'a booking cannot move from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'bookings_legal_status';
    END IF;
    IF NEW.order_id IS DISTINCT FROM OLD.order_id OR NEW.practitioner_id IS DISTINCT FROM OLD.practitioner_id
       OR NEW.customer_id IS DISTINCT FROM OLD.customer_id THEN
        RAISE EXCEPTION 'a booking keeps its order, practitioner and customer'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'bookings_fixed_parties';
    END IF;
    IF OLD.status IN ('cancelled', 'completed', 'no_show')
       AND (NEW.starts_at IS DISTINCT FROM OLD.starts_at OR NEW.ends_at IS DISTINCT FROM OLD.ends_at) THEN
        RAISE EXCEPTION 'a finished booking keeps its time'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'bookings_finished_fixed';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER bookings_status BEFORE UPDATE ON bookings FOR EACH ROW EXECUTE FUNCTION bookings_refuse_illegal();

-- A booked session ends as completed straight from paid (there is no delivery in
-- between), or cancelled: then the order is refunded in full or in part, or cancelled
-- when the policy returns nothing.
CREATE OR REPLACE FUNCTION order_transition_allowed(from_status text, to_status text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT (from_status, to_status) IN (
        ('draft', 'pending_payment'), ('draft', 'paid'), ('draft', 'expired'), ('draft', 'cancelled'),
        ('pending_payment', 'paid'), ('pending_payment', 'payment_failed'), ('pending_payment', 'expired'),
        ('pending_payment', 'cancelled'),
        ('payment_failed', 'pending_payment'), ('payment_failed', 'paid'), ('payment_failed', 'expired'),
        ('payment_failed', 'cancelled'),
        ('expired', 'paid'), ('cancelled', 'paid'),
        ('paid', 'in_progress'), ('in_progress', 'completed'), ('paid', 'completed'), ('paid', 'cancelled'),
        ('paid', 'partially_refunded'), ('paid', 'refunded'),
        ('partially_refunded', 'partially_refunded'), ('partially_refunded', 'refunded'))
$$;

-- A session cancelled after it was paid, with nothing back under the policy, keeps its
-- payment; every other cancelled order was never paid.
ALTER TABLE orders DROP CONSTRAINT orders_paid_have_a_payment, ADD CONSTRAINT orders_paid_have_a_payment CHECK (
    CASE WHEN status IN ('paid', 'in_progress', 'completed', 'refunded', 'partially_refunded')
             THEN paid_at IS NOT NULL AND paid_with IS NOT NULL
         WHEN status = 'cancelled' THEN (paid_at IS NULL) = (paid_with IS NULL)
         ELSE paid_at IS NULL AND paid_with IS NULL END);

-- An order is paid once: one that was paid and then cancelled is never paid again.
CREATE FUNCTION orders_paid_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.paid_at IS NOT NULL AND NEW.status = 'paid' AND OLD.status <> 'paid' THEN
        RAISE EXCEPTION 'order % was already paid', OLD.number
            USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_paid_once';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER orders_paid_once BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION orders_paid_once();

-- A card refund of a booked session returns money only (credits 0), and one the
-- platform makes itself (a payment that came after its slot was taken) has no actor.
ALTER TABLE refunds DROP CONSTRAINT refunds_credits_check, ADD CONSTRAINT refunds_credits_check CHECK (credits >= 0);
ALTER TABLE refunds ALTER COLUMN actor_id DROP NOT NULL;
