-- A secret in an email (a reset link) is kept apart from the stored bodies, which hold
-- only a random marker in its place. Delivery puts it in, then erases it; so does
-- expiry. The bodies themselves never contain anything that grants access.
ALTER TABLE email_outbox
    ADD COLUMN secret_marker     text,
    ADD COLUMN secret_value      text,
    ADD COLUMN secret_expires_at timestamptz,
    ADD CONSTRAINT email_outbox_secret_needs_marker CHECK (secret_value IS NULL OR secret_marker IS NOT NULL);

-- Bodies written before this change may hold live reset links: erase them.
UPDATE email_outbox SET body_text = '[removed]', body_html = '[removed]' WHERE template = 'password_reset';

CREATE INDEX email_outbox_secret_expiry_idx ON email_outbox (secret_expires_at) WHERE secret_value IS NOT NULL;
CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE status = 'done';
