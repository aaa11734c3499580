-- People and their roles. The human code (U100000, …) comes from its own sequence so it
-- never depends on insertion order of the uuid key.
CREATE SEQUENCE user_code_seq AS bigint START WITH 100000 MINVALUE 100000;

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code          bigint NOT NULL DEFAULT nextval('user_code_seq') UNIQUE CHECK (code >= 100000),
    email         text NOT NULL CHECK (email = lower(email) AND char_length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL,
    role          text NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'practitioner', 'admin')),
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    phone         text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    time_zone     text NOT NULL DEFAULT 'UTC' CHECK (char_length(time_zone) BETWEEN 1 AND 64),
    -- Bumped to end every session of the user at once ("sign out everywhere",
    -- password change, password reset).
    auth_epoch    integer NOT NULL DEFAULT 0,
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE user_code_seq OWNED BY users.code;
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_created_at_idx ON users (created_at DESC);
