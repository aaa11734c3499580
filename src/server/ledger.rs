//! The credit ledger's two primitives, `grant` and `spend`, and the check that proves
//! the books are right. Both primitives run inside the caller's transaction, so an
//! order, a booking or an adjustment and its credit movement commit together or not at
//! all; on an error the caller rolls back.
//!
//! The books are transfers: each moves credit between one lot of a wallet and one
//! platform account, so it is two entries that sum to zero, and the `ledger_entries`
//! view reads it as those two. A wallet's balance is what its lots hold. The database
//! enforces what must never happen (a transfer of nothing, changed or deleted rows, a
//! lot moved on another wallet's behalf, a lot below zero and so a negative wallet, one
//! key applied twice). Movements on one wallet happen one after another, under the
//! wallet's lock (`lock_wallet`). A spend runs as one database
//! function, `ledger_spend`, which takes lots in `domain::ledger::allocate`'s order; the
//! code here decides the rest, and the answer a repeated key gets.

use crate::domain::AppError;
use crate::domain::Credits;
use crate::domain::ledger::LotSource;
use crate::server::clock::{from_db, to_db};
use crate::server::error::Failure;
use jiff::Timestamp;
use sqlx::PgConnection;
use uuid::Uuid;

/// What a ledger transaction is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Purchase,
    Bonus,
    Spend,
    Refund,
    /// A refund the provider refused: its credits go back.
    RefundCancelled,
    Adjustment,
    Expiry,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Purchase => "purchase",
            Kind::Bonus => "bonus",
            Kind::Spend => "spend",
            Kind::Refund => "refund",
            Kind::RefundCancelled => "refund_cancelled",
            Kind::Adjustment => "adjustment",
            Kind::Expiry => "expiry",
        }
    }
}

/// Who moves credits, why, and the key that makes a retry harmless.
#[derive(Debug, Clone)]
pub struct Movement<'a> {
    pub kind: Kind,
    /// Unique per intended effect (e.g. `order:ATN-…:paid`): a repeat moves nothing.
    pub key: &'a str,
    /// The person who caused it; `None` for the system (webhooks, jobs).
    pub actor: Option<Uuid>,
    /// What it belongs to (`order:…`, `booking:…`).
    pub reference: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub at: Timestamp,
}

/// The outcome of a movement: the transaction, and whether it was a repeat of an
/// earlier one with the same key (then nothing moved now).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posted {
    pub transaction_id: i64,
    pub replayed: bool,
}

/// What the user's wallet holds: the sum of its lots, expired or not (`credits::spendable`
/// leaves out what has expired).
pub async fn balance(conn: &mut PgConnection, user_id: Uuid) -> Result<i64, Failure> {
    Ok(sqlx::query_scalar!("SELECT balance FROM wallet_balances WHERE user_id = $1", user_id)
        .fetch_optional(&mut *conn)
        .await?
        .flatten()
        .unwrap_or(0))
}

/// Records the transaction row, or finds the one an earlier call with the same key
/// recorded. A concurrent call with the same key waits here until the first commits.
async fn open(conn: &mut PgConnection, m: &Movement<'_>) -> Result<Option<i64>, Failure> {
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
async fn replay(
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
async fn lock_wallet(conn: &mut PgConnection, user_id: Uuid) -> Result<i64, Failure> {
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
struct LockedLot {
    id: i64,
    remaining: i64,
    expires_at: Option<time::OffsetDateTime>,
}

/// Locks these lots of `wallet` (whose lock the caller holds) until the caller's
/// transaction ends, and reads them as they are now. A lot that is not the wallet's is
/// left out.
async fn lock_lots(conn: &mut PgConnection, wallet: i64, ids: &[i64]) -> Result<Vec<LockedLot>, Failure> {
    Ok(sqlx::query_as!(
        LockedLot,
        "SELECT id, remaining, expires_at FROM credit_lots WHERE id = ANY($1) AND account_id = $2 ORDER BY id FOR UPDATE",
        ids,
        wallet
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Adds a lot of `credits` to the user's wallet, drawn from the platform's paid or
/// promotional issue account.
#[tracing::instrument(skip_all, fields(kind = m.kind.as_str(), credits = credits.get()))]
pub async fn grant(
    conn: &mut PgConnection,
    user_id: Uuid,
    credits: Credits,
    source: LotSource,
    expires_at: Option<Timestamp>,
    m: &Movement<'_>,
) -> Result<Posted, Failure> {
    let issuer = match source {
        LotSource::Paid => "issued_paid",
        LotSource::Promotional => "issued_promotional",
    };
    grant_from(conn, user_id, credits, source, expires_at, issuer, m).await
}

/// An admin's correction: a positive `delta` grants promotional credit that does not
/// expire, a negative one takes credit as a spend would; both against the platform's
/// adjustments account. The movement's reason is mandatory.
#[tracing::instrument(skip_all, fields(delta))]
pub async fn adjust(conn: &mut PgConnection, user_id: Uuid, delta: i64, m: &Movement<'_>) -> Result<Posted, Failure> {
    if m.kind != Kind::Adjustment || m.reason.is_none() || m.actor.is_none() {
        return Err(Failure::bug("an adjustment needs its kind, an actor and a reason"));
    }
    let credits = Credits::new(delta.checked_abs().unwrap_or(i64::MAX))
        .map_err(|_| AppError::invalid("delta", "Enter a whole number of credits."))?;
    if delta > 0 {
        grant_from(conn, user_id, credits, LotSource::Promotional, None, "adjustments", m).await
    } else {
        spend_to(conn, user_id, credits, "adjustments", m).await
    }
}

async fn grant_from(
    conn: &mut PgConnection,
    user_id: Uuid,
    credits: Credits,
    source: LotSource,
    expires_at: Option<Timestamp>,
    counter: &str,
    m: &Movement<'_>,
) -> Result<Posted, Failure> {
    if credits.get() == 0 {
        return Err(AppError::Invalid(crate::domain::FieldError::new("credits", "Grant at least one credit.")).into());
    }
    let Some(transaction_id) = open(conn, m).await? else {
        return replay(conn, m, user_id, credits.get()).await;
    };
    let wallet = lock_wallet(conn, user_id).await?;
    // Everything ever granted to the wallet stays within a bigint, and so does what its
    // lots hold, whatever comes back to them: past that, the cast fails and nothing moves.
    let lot = sqlx::query_scalar!(
        "INSERT INTO credit_lots (account_id, source, granted, remaining, expires_at, transaction_id)
         SELECT $1::bigint, $2::text::credit_source, $3::bigint, $3::bigint, $4::timestamptz, $5::bigint
          WHERE ((SELECT COALESCE(sum(granted), 0) FROM credit_lots WHERE account_id = $1) + $3)::bigint IS NOT NULL
         RETURNING id",
        wallet,
        source.as_str(),
        credits.get(),
        expires_at.map(to_db),
        transaction_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO ledger_transfers (transaction_id, wallet, lot, platform, change)
         VALUES ($1, $2, $3, $5::text::ledger_platform, $4::bigint)",
        transaction_id,
        wallet,
        lot,
        credits.get(),
        counter,
    )
    .execute(&mut *conn)
    .await?;
    Ok(Posted { transaction_id, replayed: false })
}

/// Takes `credits` from the user's wallet: promotional lots first, then the soonest to
/// expire, never expired credit. Not enough spendable credit is
/// `AppError::InsufficientCredits` with the shortfall, and nothing moves.
#[tracing::instrument(skip_all, fields(kind = m.kind.as_str(), credits = credits.get()))]
pub async fn spend(
    conn: &mut PgConnection,
    user_id: Uuid,
    credits: Credits,
    m: &Movement<'_>,
) -> Result<Posted, Failure> {
    spend_to(conn, user_id, credits, "spent", m).await
}

async fn spend_to(
    conn: &mut PgConnection,
    user_id: Uuid,
    credits: Credits,
    counter: &str,
    m: &Movement<'_>,
) -> Result<Posted, Failure> {
    if credits.get() == 0 {
        return Err(AppError::Invalid(crate::domain::FieldError::new("credits", "Spend at least one credit.")).into());
    }
    // One round trip: `ledger_spend` (migrations) locks the wallet, takes the credit from
    // the first lot in `allocate`'s order when it holds enough, or else from the lots in
    // that order; it answers a repeated key, and posts one transfer per lot.
    let r = sqlx::query!(
        r#"SELECT o_outcome AS "outcome!", o_transaction_id AS transaction_id,
                  o_available AS available, o_first_kind AS first_kind, o_first_change AS first_change
           FROM ledger_spend($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
        user_id,
        credits.get(),
        counter,
        m.kind.as_str(),
        m.key,
        m.actor,
        m.reference,
        m.reason,
        to_db(m.at),
    )
    .fetch_one(&mut *conn)
    .await?;
    let transaction_id = || r.transaction_id.ok_or_else(|| Failure::bug("ledger_spend returned no transaction"));
    match r.outcome.as_str() {
        "posted" => Ok(Posted { transaction_id: transaction_id()?, replayed: false }),
        "short" => {
            Err(AppError::InsufficientCredits { available: r.available.unwrap_or(0), needed: credits.get() }.into())
        }
        "replayed" => {
            if r.first_kind.as_deref() != Some(m.kind.as_str()) || r.first_change != Some(-credits.get()) {
                return Err(AppError::Conflict.into());
            }
            Ok(Posted { transaction_id: transaction_id()?, replayed: true })
        }
        other => Err(Failure::bug(format!("ledger_spend answered {other:?}"))),
    }
}

/// Takes `amounts[i]` credits out of lot `ids[i]` of `wallet` (a negative amount puts
/// them back) and posts one transfer per lot between the wallet and the platform
/// account `counter`, the lots and the transfers in one statement. The caller holds the
/// lots' locks (`lock_lots`).
async fn move_lots(
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

/// What `attune check-ledger` and the nightly check report: each count of problems
/// must be zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LedgerCheck {
    pub transactions: i64,
    /// Transactions whose entries do not sum to zero.
    pub unbalanced: i64,
    /// Transactions with no entries at all.
    pub empty: i64,
    /// Wallets whose balance (what their lots hold) differs from the sum of their entries.
    pub wallet_drift: i64,
    /// Lots whose remaining credit differs from the sum of their entries.
    pub lot_drift: i64,
    /// The sum of every entry (zero when everything balances).
    pub total: i64,
}

impl LedgerCheck {
    pub fn is_clean(&self) -> bool {
        self.problems() == 0 && self.total == 0
    }

    /// How many things are wrong (the drift gauge's value; 0 expected).
    pub fn problems(&self) -> i64 {
        self.unbalanced + self.empty + self.wallet_drift + self.lot_drift
    }
}

/// Recomputes everything from the entries, in one snapshot.
pub async fn check(conn: &mut PgConnection) -> Result<LedgerCheck, Failure> {
    let r = sqlx::query!(
        r#"SELECT
             (SELECT count(*) FROM ledger_transactions) AS "transactions!",
             (SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries GROUP BY transaction_id
                                    HAVING sum(amount) <> 0) u) AS "unbalanced!",
             (SELECT count(*) FROM ledger_transactions t
               WHERE NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id)) AS "empty!",
             (SELECT count(*) FROM wallet_balances w
               WHERE w.balance <> COALESCE((SELECT sum(x.change) FROM ledger_transfers x WHERE x.wallet = w.account_id), 0)) AS "wallet_drift!",
             (SELECT count(*) FROM credit_lots l
               LEFT JOIN (SELECT lot_id, sum(amount) AS moved FROM ledger_entries WHERE lot_id IS NOT NULL GROUP BY lot_id) e
                 ON e.lot_id = l.id
               WHERE l.remaining <> COALESCE(e.moved, 0)) AS "lot_drift!",
             (SELECT COALESCE(sum(amount), 0) FROM ledger_entries)::bigint AS "total!""#
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(LedgerCheck {
        transactions: r.transactions,
        unbalanced: r.unbalanced,
        empty: r.empty,
        wallet_drift: r.wallet_drift,
        lot_drift: r.lot_drift,
        total: r.total,
    })
}

/// Posts an expiry for every lot whose expiry has passed with credit left: what was
/// left moves from the wallet to the platform's expired account. One transaction per
/// lot, keyed by the lot (and how often it expired before), under the wallet's and the
/// lot's locks, so however often or on however many workers this runs, what a lot holds expires
/// once and never races a spend. Returns how many lots expired.
#[tracing::instrument(skip_all)]
pub async fn expire_due(pool: &sqlx::PgPool, now: Timestamp) -> Result<u64, Failure> {
    let due = sqlx::query!(
        "SELECT l.id, a.user_id AS \"user_id!\" FROM credit_lots l JOIN ledger_accounts a ON a.id = l.account_id
         WHERE l.remaining > 0 AND l.expires_at <= $1 ORDER BY l.expires_at LIMIT 1000",
        to_db(now)
    )
    .fetch_all(pool)
    .await?;
    let mut expired = 0;
    for lot in due {
        let mut tx = pool.begin().await?;
        let wallet = lock_wallet(&mut tx, lot.user_id).await?;
        let remaining = lock_lots(&mut tx, wallet, &[lot.id])
            .await?
            .first()
            .map(|l| l.remaining)
            .ok_or_else(|| Failure::bug("a due lot that is not its wallet's"))?;
        if remaining == 0 {
            continue;
        }
        // A lot can expire again if credits came back to it after it expired (a refund
        // the provider refused): each expiry of it has its own key.
        let earlier = sqlx::query_scalar!(
            "SELECT count(*) AS \"n!\" FROM ledger_transfers x JOIN ledger_transactions t ON t.id = x.transaction_id
             WHERE x.wallet = $1 AND x.lot = $2 AND x.change < 0 AND t.kind = 'expiry'",
            wallet,
            lot.id
        )
        .fetch_one(&mut *tx)
        .await?;
        let key = if earlier == 0 {
            format!("expiry:lot:{}", lot.id)
        } else {
            format!("expiry:lot:{}:{}", lot.id, earlier + 1)
        };
        let m = Movement { kind: Kind::Expiry, key: &key, actor: None, reference: None, reason: None, at: now };
        let Some(transaction_id) = open(&mut tx, &m).await? else {
            continue;
        };
        move_lots(&mut tx, transaction_id, wallet, &[lot.id], &[remaining], "expired").await?;
        tx.commit().await?;
        expired += 1;
    }
    Ok(expired)
}

/// Hourly: expires lots whose time has come (see `expire_due`).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct ExpireCredits;

impl crate::server::jobs::Job for ExpireCredits {
    const NAME: &'static str = "expire_credits";
    const MAX_ATTEMPTS: i32 = 3;

    async fn run(self, state: &crate::server::state::AppState) -> Result<(), crate::server::jobs::JobError> {
        let expired = expire_due(&state.pool, state.clock.now())
            .await
            .map_err(|e| crate::server::jobs::JobError::Transient(format!("expiring credits: {e:?}")))?;
        tracing::info!(expired, "credit expiry done");
        Ok(())
    }
}

/// Daily: checks the whole ledger and keeps the result for the admin panel. Drift is
/// logged as an error here, once; the job itself succeeds, because running it again
/// would not change the books.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct CheckLedger;

impl crate::server::jobs::Job for CheckLedger {
    const NAME: &'static str = "check_ledger";
    const MAX_ATTEMPTS: i32 = 3;

    async fn run(self, state: &crate::server::state::AppState) -> Result<(), crate::server::jobs::JobError> {
        let transient = |e: Failure| crate::server::jobs::JobError::Transient(format!("checking the ledger: {e:?}"));
        let mut conn = state.pool.acquire().await?;
        let report = check(&mut conn).await.map_err(transient)?;
        let json = serde_json::to_value(report).map_err(|e| crate::server::jobs::JobError::Permanent(e.to_string()))?;
        sqlx::query!(
            "INSERT INTO ledger_checks (checked_at, clean, report) VALUES ($1, $2, $3)",
            state.clock.now_db(),
            report.is_clean(),
            json
        )
        .execute(&mut *conn)
        .await?;
        state.metrics.ledger_drift.set(report.problems());
        if report.is_clean() {
            tracing::info!(transactions = report.transactions, "ledger balances");
        } else {
            tracing::error!(?report, "the ledger does not balance");
        }
        Ok(())
    }
}

/// The newest scheduled check, if any has run.
pub async fn last_check(pool: &sqlx::PgPool) -> Result<Option<(Timestamp, LedgerCheck)>, Failure> {
    let row = sqlx::query!("SELECT checked_at, report FROM ledger_checks ORDER BY checked_at DESC, id DESC LIMIT 1")
        .fetch_optional(pool)
        .await?;
    row.map(|r| {
        let report: LedgerCheck =
            serde_json::from_value(r.report).map_err(|e| Failure::bug(format!("stored ledger check: {e}")))?;
        Ok((from_db(r.checked_at), report))
    })
    .transpose()
}
