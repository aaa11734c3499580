-- When the owner of an address was last told that someone used it (to sign up, or to
-- start an order as a guest): such a notice goes at most once an hour, so nobody can
-- fill an owner's inbox by trying their address again and again.
ALTER TABLE users ADD COLUMN address_noticed_at timestamptz;
