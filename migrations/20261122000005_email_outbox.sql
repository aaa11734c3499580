-- Every email the platform means to send, written in the transaction that causes it.
CREATE TABLE email_outbox (
    id          bigserial PRIMARY KEY,
    user_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    to_address  text NOT NULL CHECK (char_length(to_address) BETWEEN 3 AND 254),
    template    text NOT NULL,
    subject     text NOT NULL,
    body_text   text NOT NULL,
    body_html   text NOT NULL,
    -- pending: waiting for the worker; sent: accepted by SMTP; held: no SMTP configured,
    -- kept here and in the log; failed: retries exhausted.
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'held', 'failed')),
    attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX email_outbox_created_idx ON email_outbox (created_at DESC);
CREATE INDEX email_outbox_user_idx ON email_outbox (user_id);
