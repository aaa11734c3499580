//! What every movement is built from: its transaction row (or the answer to a repeated
//! key), the wallet's lock, its lots' locks, and moving credit between lots and a
//! platform account.

use super::{Movement, Posted};
use crate::domain::AppError;
use crate::server::clock::to_db;
use crate::server::error::Failure;
use sqlx::PgConnection;
use uuid::Uuid;

/// Records the transaction row, or finds the one an earlier call with the same key
/// recorded. A concurrent call with the same key waits here until the first commits.
pub(super) async fn open(conn: &mut PgConnection, m: &Movement<'_>) -> Result<Option<i64>, Failure> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO ledger_transactions (kind, actor_id, reference, reason, idempotency_key, created_at)
         VALUES ($1::text::ledger_kind, $2, $3::text, $4::text, $5::text, $6)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        m.kind.as_str(),
        m.actor,
        m.reference,
        m.reason,
        m.key,
        to_db(m.at),
    )
    .fetch_optional(&mut *conn)
    .await?)
}

/// The answer to a repeated key: the first result if it was the same movement for the
/// same wallet and amount, otherwise a conflict (the key was reused for something else).
pub(super) async fn replay(
    conn: &mut PgConnection,
    m: &Movement<'_>,
    user_id: Uuid,
    wallet_change: i64,
) -> Result<Posted, Failure> {
    let first = sqlx::query!(
        r#"SELECT t.id, t.kind::text AS "kind!",
                  COALESCE((SELECT sum(x.change) FROM ledger_transfers x JOIN ledger_accounts a ON a.id = x.wallet
                            WHERE x.transaction_id = t.id AND a.user_id = $2), 0)::bigint AS "change!"
           FROM ledger_transactions t WHERE t.idempotency_key = $1"#,
        m.key,
        user_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    if first.kind != m.kind.as_str() || first.change != wallet_change {
        return Err(AppError::Conflict.into());
    }
    Ok(Posted { transaction_id: first.id, replayed: true })
}

/// The user's wallet, created on first use, locked until the caller's transaction ends
/// so that movements on one wallet happen one after another: the advisory lock keyed by
/// its id, which `ledger_spend` takes as well (see its migration). An existing wallet
/// costs one round trip.
pub(super) async fn lock_wallet(conn: &mut PgConnection, user_id: Uuid) -> Result<i64, Failure> {
    for _ in 0..2 {
        let found = sqlx::query_scalar!(
            "SELECT a.id FROM ledger_accounts a, pg_advisory_xact_lock(a.id) WHERE a.user_id = $1 AND a.kind = 'wallet'",
            user_id
        )
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(id) = found {
            return Ok(id);
        }
        sqlx::query!(
            "INSERT INTO ledger_accounts (kind, user_id) VALUES ('wallet', $1)
             ON CONFLICT (user_id) WHERE kind = 'wallet' DO NOTHING",
            user_id
        )
        .execute(&mut *conn)
        .await?;
    }
    Err(Failure::bug("a wallet that was created cannot be found"))
}

/// A lot of `wallet`, locked.
pub(super) struct LockedLot {
    pub(super) id: i64,
    pub(super) remaining: i64,
    pub(super) expires_at: Option<time::OffsetDateTime>,
}

/// Locks these lots of `wallet` (whose lock the caller holds) until the caller's
/// transaction ends, and reads them as they are now. A lot that is not the wallet's is
/// left out.
pub(super) async fn lock_lots(conn: &mut PgConnection, wallet: i64, ids: &[i64]) -> Result<Vec<LockedLot>, Failure> {
    Ok(sqlx::query_as!(
        LockedLot,
        "SELECT id, remaining, expires_at FROM credit_lots WHERE id = ANY($1) AND account_id = $2 ORDER BY id FOR UPDATE",
        ids,
        wallet
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Takes `amounts[i]` credits out of lot `ids[i]` of `wallet` (a negative amount puts
/// them back) and posts one transfer per lot between the wallet and the platform
/// account `counter`, the lots and the transfers in one statement. The caller holds the
/// lots' locks (`lock_lots`).
pub(super) async fn move_lots(
    conn: &mut PgConnection,
    transaction_id: i64,
    wallet: i64,
    ids: &[i64],
    amounts: &[i64],
    counter: &str,
) -> Result<(), Failure> {
    sqlx::query!(
        "WITH taken AS (
             UPDATE credit_lots l SET remaining = l.remaining - t.n
             FROM unnest($3::bigint[], $4::bigint[]) AS t(id, n) WHERE l.id = t.id AND l.account_id = $2
             RETURNING l.id, t.n)
         INSERT INTO ledger_transfers (transaction_id, wallet, lot, platform, change)
         SELECT $1::bigint, $2::bigint, taken.id, $5::text::ledger_platform, -taken.n FROM taken",
        transaction_id,
        wallet,
        ids,
        amounts,
        counter,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
