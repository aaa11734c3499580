-- The single-column bounds on the two rows every spend writes become domains as well,
-- for the reason given with the transaction's labels (20261206000001): a domain's
-- check is read once per connection, a table's on every statement that writes it.
-- They keep the names of the constraints they replace, so a refusal reads the same.
-- A lot's remainder staying within its grant involves two columns and stays a check;
-- the lots of a wallet are also found in spending order by an index now, instead of
-- sorted on every spend.
CREATE DOMAIN credit_grant AS bigint CONSTRAINT credit_lots_granted_check CHECK (VALUE > 0);
CREATE DOMAIN credit_remainder AS bigint CONSTRAINT credit_lots_remaining_in_range CHECK (VALUE >= 0);
CREATE DOMAIN ledger_change AS bigint CONSTRAINT ledger_transfers_change_nonzero CHECK (VALUE <> 0);

DROP VIEW ledger_entries;
DROP VIEW wallet_balances;

ALTER TABLE credit_lots
    DROP CONSTRAINT credit_lots_granted_check,
    DROP CONSTRAINT credit_lots_remaining_in_range,
    ALTER COLUMN granted TYPE credit_grant,
    ALTER COLUMN remaining TYPE credit_remainder,
    ADD CONSTRAINT credit_lots_remaining_in_range CHECK (remaining <= granted);
ALTER TABLE ledger_transfers
    DROP CONSTRAINT ledger_transfers_change_nonzero,
    ALTER COLUMN change TYPE ledger_change;

DROP INDEX credit_lots_account;
CREATE INDEX credit_lots_spending ON credit_lots
    (account_id, (source <> 'promotional'), (expires_at IS NULL), expires_at, id);

CREATE VIEW ledger_entries AS
    SELECT x.id, x.transaction_id, x.wallet AS account_id, x.lot AS lot_id, x.change::bigint AS amount
      FROM ledger_transfers x
    UNION ALL
    SELECT x.id, x.transaction_id, a.id, NULL::bigint, -x.change::bigint
      FROM ledger_transfers x JOIN ledger_accounts a ON a.kind = 'platform' AND a.code = x.platform::text;

CREATE VIEW wallet_balances AS
    SELECT a.id AS account_id, a.user_id, COALESCE(sum(l.remaining), 0)::bigint AS balance
      FROM ledger_accounts a LEFT JOIN credit_lots l ON l.account_id = a.id
     WHERE a.kind = 'wallet'
     GROUP BY a.id;
