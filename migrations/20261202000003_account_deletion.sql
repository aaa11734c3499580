-- A customer can delete their account: their personal data is removed (name, email,
-- phone, password; what they typed into orders and messages), while the ledger, the
-- orders' numbers and amounts, and invoices stay, as the books must.

ALTER TABLE users ADD COLUMN deleted_at timestamptz;
ALTER TABLE users DROP CONSTRAINT users_reachable;
ALTER TABLE users ADD CONSTRAINT users_reachable CHECK (email IS NOT NULL OR phone IS NOT NULL OR deleted_at IS NOT NULL);
ALTER TABLE users ADD CONSTRAINT users_deleted_are_disabled CHECK (deleted_at IS NULL OR disabled_at IS NOT NULL);
