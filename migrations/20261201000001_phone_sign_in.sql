-- Practitioners sign in by phone with a one-time code. An account made that way has a
-- verified phone and, until the wizard's first step, no email and no password: an
-- account needs one way to reach its owner, not both.

ALTER TABLE users
    ALTER COLUMN email DROP NOT NULL,
    ALTER COLUMN password_hash DROP NOT NULL,
    -- Set when a code sent to the number was used; a changed number is unverified again.
    -- Phone sign-in opens only accounts whose number is verified, so nobody can type
    -- someone else's number into their account and have its owner sign in to it.
    ADD COLUMN phone_verified_at timestamptz,
    ADD CONSTRAINT users_reachable CHECK (email IS NOT NULL OR phone IS NOT NULL),
    ADD CONSTRAINT users_verified_phone CHECK (phone_verified_at IS NULL OR phone IS NOT NULL);
-- A phone number signs in at most one practitioner.
CREATE UNIQUE INDEX users_practitioner_phone_key ON users (phone) WHERE role = 'practitioner';

-- One-time codes: 6 digits, kept only as an argon2 hash, valid 5 minutes, at most 5
-- guesses. A new request retires the phone's older codes.
CREATE TABLE phone_codes (
    id           bigserial PRIMARY KEY,
    phone        text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    code_hash    text NOT NULL,
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts BETWEEN 0 AND 5),
    requested_ip text NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL CHECK (expires_at > created_at),
    used_at      timestamptz,
    retired_at   timestamptz
);
CREATE INDEX phone_codes_live ON phone_codes (phone, id DESC) WHERE used_at IS NULL AND retired_at IS NULL;

-- Every text message the platform means to send, written in the transaction that causes
-- it, as the email outbox is. Without an SMS provider configured a message is held here
-- (and shown in the admin panel and the log).
CREATE TABLE sms_outbox (
    id         bigserial PRIMARY KEY,
    user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    to_phone   text NOT NULL CHECK (to_phone ~ '^\+[1-9][0-9]{6,14}$'),
    template   text NOT NULL,
    body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 480),
    status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'held', 'failed')),
    attempts   integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error text,
    created_at timestamptz NOT NULL,
    sent_at    timestamptz,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX sms_outbox_created_idx ON sms_outbox (created_at DESC);
