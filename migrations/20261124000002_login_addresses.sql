-- Addresses each account signed in from successfully. Failed-login limits per account
-- do not apply to these, so a stranger guessing passwords cannot lock the owner out.
CREATE TABLE login_addresses (
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip              text NOT NULL CHECK (char_length(ip) BETWEEN 2 AND 45),
    last_success_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, ip)
);
CREATE INDEX login_addresses_last_success_idx ON login_addresses (last_success_at);
