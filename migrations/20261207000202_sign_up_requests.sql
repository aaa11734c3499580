-- A sign-up waits here until the owner of the address opens the link sent to it; only
-- then is the account made. A sign-up is answered the same way whether the address
-- has an account or not, and nobody can hold an account on an address they cannot read.
CREATE TABLE sign_up_requests (
    token_hash    bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    email         text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    password_hash text NOT NULL,
    time_zone     text NOT NULL CHECK (char_length(time_zone) BETWEEN 1 AND 64),
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL CHECK (expires_at > created_at)
);
CREATE INDEX sign_up_requests_expires_idx ON sign_up_requests (expires_at);
