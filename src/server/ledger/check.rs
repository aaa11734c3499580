//! The check that proves the books are right: recomputed from the entries on demand,
//! and daily by `CheckLedger`, whose latest result the admin panel shows.

use crate::server::clock::from_db;
use crate::server::error::Failure;
use jiff::Timestamp;
use sqlx::PgConnection;

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

/// Daily: checks the whole ledger and keeps the result for the admin panel. Drift is
/// logged as an error here, once; the job itself succeeds, because running it again
/// would not change the books.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct CheckLedger;

impl crate::server::jobs::Job for CheckLedger {
    const NAME: &'static str = "check_ledger";
    const MAX_ATTEMPTS: i32 = 3;

    async fn run(self, state: &crate::server::state::AppState) -> Result<(), crate::server::jobs::JobError> {
        let mut conn = state.pool.acquire().await?;
        let report = check(&mut conn).await?;
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
