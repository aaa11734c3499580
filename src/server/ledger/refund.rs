//! The movements of refunds and cancellations: the lots an order granted, taking credit
//! back out of them, giving back what a refused refund took, and returning what a
//! cancelled session spent.

use super::wallet::{lock_lots, lock_wallet, move_lots, open, replay};
use super::{Movement, Posted};
use crate::domain::ledger::LotSource;
use crate::domain::{AppError, Credits};
use crate::server::clock::to_db;
use crate::server::error::Failure;
use jiff::Timestamp;
use sqlx::PgConnection;
use uuid::Uuid;

/// A lot as a refund sees it: what it was granted as, and what is left of it that could
/// still be spent (nothing once it has expired).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LotLeft {
    pub id: i64,
    pub source: LotSource,
    pub spendable: i64,
}

/// The lots the transactions with these keys granted (e.g. an order's paid and bonus
/// lots), as they are at `now`.
pub async fn lots_granted_by(
    conn: &mut PgConnection,
    keys: &[String],
    now: Timestamp,
) -> Result<Vec<LotLeft>, Failure> {
    sqlx::query!(
        "SELECT l.id, l.source::text AS \"source!\", CASE WHEN l.expires_at IS NOT NULL AND l.expires_at <= $2 THEN 0 ELSE l.remaining END AS \"spendable!\"
         FROM credit_lots l JOIN ledger_transactions t ON t.id = l.transaction_id
         WHERE t.idempotency_key = ANY($1) ORDER BY l.id",
        keys,
        to_db(now)
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        let source = LotSource::parse(&r.source).ok_or_else(|| Failure::bug("unknown lot source"))?;
        Ok(LotLeft { id: r.id, source, spendable: r.spendable })
    })
    .collect()
}

/// Takes credits back out of particular lots of the user's wallet (a refund), to the
/// platform's refunded account. Each lot must still hold that much unexpired credit
/// once it is locked; otherwise nothing moves and the caller is told the
/// credits changed under it.
#[tracing::instrument(skip_all, fields(key = m.key))]
pub async fn take_back(
    conn: &mut PgConnection,
    user_id: Uuid,
    lots: &[(i64, i64)],
    m: &Movement<'_>,
) -> Result<Posted, Failure> {
    let total: i64 = lots.iter().map(|(_, n)| n).sum();
    if lots.is_empty() || lots.iter().any(|(_, n)| *n <= 0) {
        return Err(Failure::bug("take_back needs positive amounts"));
    }
    let Some(transaction_id) = open(conn, m).await? else {
        return replay(conn, m, user_id, -total).await;
    };
    let wallet = lock_wallet(conn, user_id).await?;
    let (ids, amounts): (Vec<i64>, Vec<i64>) = lots.iter().copied().unzip();
    let locked = lock_lots(conn, wallet, &ids).await?;
    let at = to_db(m.at);
    let short = lots
        .iter()
        .any(|(id, n)| !locked.iter().any(|l| l.id == *id && l.remaining >= *n && l.expires_at.is_none_or(|e| e > at)));
    if short {
        return Err(AppError::invalid(
            "credits",
            "Some of these credits were spent or expired a moment ago. Check the refund again.",
        )
        .into());
    }
    move_lots(conn, transaction_id, wallet, &ids, &amounts, "refunded").await?;
    Ok(Posted { transaction_id, replayed: false })
}

/// Puts back into their lots the credits the transaction keyed `of_key` took back (a
/// refund the provider refused). A lot that has expired since gets them back as well;
/// the expiry job then expires them as it would have.
#[tracing::instrument(skip_all, fields(key = m.key))]
pub async fn give_back(
    conn: &mut PgConnection,
    user_id: Uuid,
    of_key: &str,
    m: &Movement<'_>,
) -> Result<Posted, Failure> {
    put_back(conn, user_id, of_key, None, "refunded", m).await
}

/// Returns `credits` of what the spend keyed `of_key` took (a cancelled session) to the
/// lots it took them from, from the platform's spent account: lots still spendable
/// first, the latest to expire first.
#[tracing::instrument(skip_all, fields(key = m.key, credits = credits.get()))]
pub async fn return_spent(
    conn: &mut PgConnection,
    user_id: Uuid,
    of_key: &str,
    credits: Credits,
    m: &Movement<'_>,
) -> Result<Posted, Failure> {
    put_back(conn, user_id, of_key, Some(credits.get()), "spent", m).await
}

/// Puts credit the transaction keyed `of_key` took out of lots back into them (all of
/// it, or at most `limit`), against the platform account `counter`.
async fn put_back(
    conn: &mut PgConnection,
    user_id: Uuid,
    of_key: &str,
    limit: Option<i64>,
    counter: &str,
    m: &Movement<'_>,
) -> Result<Posted, Failure> {
    let taken = sqlx::query!(
        r#"SELECT x.lot AS lot_id, -x.change AS "n!"
           FROM ledger_transfers x JOIN ledger_transactions t ON t.id = x.transaction_id JOIN credit_lots l ON l.id = x.lot
           WHERE t.idempotency_key = $1 AND x.change < 0
           ORDER BY (l.expires_at IS NOT NULL AND l.expires_at <= $2), l.expires_at DESC NULLS FIRST, l.id DESC"#,
        of_key,
        to_db(m.at)
    )
    .fetch_all(&mut *conn)
    .await?;
    let (mut ids, mut amounts, mut left) = (Vec::new(), Vec::new(), limit.unwrap_or(i64::MAX));
    for e in taken {
        let n = e.n.min(left);
        if n <= 0 {
            break;
        }
        ids.push(e.lot_id);
        amounts.push(-n);
        left -= n;
    }
    let total: i64 = -amounts.iter().sum::<i64>();
    if total <= 0 || limit.is_some_and(|l| l != total) {
        return Err(Failure::bug(format!("{of_key} took less than is to be put back")));
    }
    let Some(transaction_id) = open(conn, m).await? else {
        return replay(conn, m, user_id, total).await;
    };
    let wallet = lock_wallet(conn, user_id).await?;
    lock_lots(conn, wallet, &ids).await?;
    move_lots(conn, transaction_id, wallet, &ids, &amounts, counter).await?;
    Ok(Posted { transaction_id, replayed: false })
}
