-- A sign-in code is kept apart from its message until delivery and forgotten then: the
-- stored body says "[sign-in code]" where the code goes, so neither the table nor the
-- admin panel ever shows a code. Codes already stored are removed.
ALTER TABLE sms_outbox ADD COLUMN secret_value text CHECK (char_length(secret_value) BETWEEN 1 AND 64);
UPDATE sms_outbox SET body = regexp_replace(body, '^[0-9]{6}', '[sign-in code]') WHERE template = 'sign_in_code';
