-- A number typed on a profile is only a claim until a code sent to it is entered. A
-- claim never blocks the number's owner: only a verified number is unique (on any
-- account), so the owner can open or verify an account with it whoever else typed it.
DROP INDEX users_practitioner_phone_key;
CREATE UNIQUE INDEX users_verified_phone_key ON users (phone) WHERE phone_verified_at IS NOT NULL;
