-- Private calendar feeds of booked sessions, and customers' reviews of the sessions
-- they attended.

-- One secret feed address per person; only its digest is kept, and making a new one
-- replaces (revokes) the old.
CREATE TABLE calendar_feeds (
    user_id    uuid PRIMARY KEY REFERENCES users (id),
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

-- One review per completed session, by its customer.
CREATE TABLE reviews (
    booking_id      uuid PRIMARY KEY REFERENCES bookings (id),
    customer_id     uuid NOT NULL REFERENCES users (id),
    practitioner_id uuid NOT NULL REFERENCES users (id),
    rating          smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body            text NOT NULL DEFAULT '' CHECK (char_length(body) <= 2000),
    created_at      timestamptz NOT NULL
);
CREATE INDEX reviews_by_practitioner ON reviews (practitioner_id, created_at DESC);

CREATE FUNCTION reviews_only_of_completed_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM bookings b
                   WHERE b.id = NEW.booking_id AND b.status = 'completed'
                     AND b.customer_id = NEW.customer_id AND b.practitioner_id = NEW.practitioner_id) THEN
        RAISE EXCEPTION 'only the customer of a completed session reviews it'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'reviews_completed_session';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER reviews_completed_session BEFORE INSERT OR UPDATE ON reviews
    FOR EACH ROW EXECUTE FUNCTION reviews_only_of_completed_sessions();

-- An iCalendar file sent with the email (a booked, moved or cancelled session).
ALTER TABLE email_outbox ADD COLUMN calendar text;
