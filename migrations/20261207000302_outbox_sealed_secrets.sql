-- Secrets waiting in the outbox are sealed with OUTBOX_KEY (`sealing`), so a database
-- read alone cannot take an account. A link stored in plain text before this change
-- is erased (its email then fails as expired, and its person can ask again), and the
-- table accepts only sealed values from now on.
UPDATE email_outbox SET secret_value = NULL WHERE secret_value IS NOT NULL;
ALTER TABLE email_outbox
    ADD CONSTRAINT email_outbox_secret_sealed CHECK (secret_value IS NULL OR secret_value LIKE 'sealed:v1:%');
