//! The credit ledger against real PostgreSQL: lot order and expiry, idempotency keys,
//! database-enforced invariants, concurrency through two pools, generated sequences
//! checked against the ledger's rules, admin adjustments (absurd ones too), the lots and
//! their expiry on the dashboard, and the ledger check.

use crate::helpers::*;
use crate::orders::{buy, ledger_is_clean, package, settle, status};
use attune::domain::datetime::{Style, machine, show};
use attune::domain::ledger::{ADJUSTMENT_MAX, Lot, LotSource, allocate};
use attune::domain::{AppError, Credits, Role, TimeZone};
use attune::server::error::Failure;
use attune::server::ledger::{self, Kind, Movement, Posted};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::{Strategy, any, prop_assert, prop_assert_eq, prop_oneof};
use proptest::test_runner::{Config, TestCaseError, TestCaseResult, TestRunner};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

fn movement<'a>(app: &TestApp, kind: Kind, key: &'a str) -> Movement<'a> {
    Movement { kind, key, actor: None, reference: None, reason: None, at: app.state.clock.now() }
}

fn credits(n: i64) -> Credits {
    Credits::new(n).unwrap()
}

async fn grant(
    app: &TestApp,
    user: Uuid,
    n: i64,
    source: LotSource,
    expires: Option<jiff::Timestamp>,
    key: &str,
) -> Posted {
    let mut tx = app.pool.begin().await.unwrap();
    let kind = if source == LotSource::Paid { Kind::Purchase } else { Kind::Bonus };
    let posted = ledger::grant(&mut tx, user, credits(n), source, expires, &movement(app, kind, key)).await.unwrap();
    tx.commit().await.unwrap();
    posted
}

async fn spend(pool: &PgPool, app: &TestApp, user: Uuid, n: i64, key: &str) -> Result<Posted, Failure> {
    let mut tx = pool.begin().await.unwrap();
    let posted = ledger::spend(&mut tx, user, credits(n), &movement(app, Kind::Spend, key)).await?;
    tx.commit().await?;
    Ok(posted)
}

async fn balance(app: &TestApp, user: Uuid) -> i64 {
    ledger::balance(&mut app.pool.acquire().await.unwrap(), user).await.unwrap()
}

async fn check(app: &TestApp) -> ledger::LedgerCheck {
    ledger::check(&mut app.pool.acquire().await.unwrap()).await.unwrap()
}

async fn lots(app: &TestApp, user: Uuid) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT l.source::text, l.remaining FROM credit_lots l JOIN ledger_accounts a ON a.id = l.account_id
         WHERE a.user_id = $1 ORDER BY l.id",
    )
    .bind(user)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn spending_takes_promotional_then_soonest_expiring_credit_and_everything_balances() {
    let app = spawn_app().await;
    let user = app.user(Role::Customer).await.id;
    let in_a_day = app.state.clock.now() + jiff::SignedDuration::from_hours(24);
    grant(&app, user, 10, LotSource::Paid, None, "g1").await;
    grant(&app, user, 4, LotSource::Paid, Some(in_a_day), "g2").await;
    grant(&app, user, 5, LotSource::Promotional, None, "g3").await;
    assert_eq!(balance(&app, user).await, 19);

    spend(&app.pool, &app, user, 7, "s1").await.unwrap();
    assert_eq!(balance(&app, user).await, 12);
    assert_eq!(lots(&app, user).await, vec![("paid".into(), 10), ("paid".into(), 2), ("promotional".into(), 0)]);
    let report = check(&app).await;
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.transactions, 4);
}

#[tokio::test]
async fn expired_credit_is_never_spent_and_a_shortfall_moves_nothing() {
    let app = spawn_app().await;
    let user = app.user(Role::Customer).await.id;
    let in_an_hour = app.state.clock.now() + jiff::SignedDuration::from_hours(1);
    grant(&app, user, 50, LotSource::Promotional, Some(in_an_hour), "promo").await;
    grant(&app, user, 3, LotSource::Paid, None, "paid").await;
    app.advance(Duration::from_secs(2 * 3600));

    let before = count(&app.pool, "ledger_entries").await;
    let err = spend(&app.pool, &app, user, 4, "too-much").await.unwrap_err();
    assert!(matches!(err, Failure::User(AppError::InsufficientCredits { available: 3, needed: 4 })), "{err:?}");
    assert_eq!(count(&app.pool, "ledger_entries").await, before, "nothing moved");
    assert_eq!(count(&app.pool, "ledger_transactions").await, 2, "the refused spend left no transaction");

    spend(&app.pool, &app, user, 3, "all-paid").await.unwrap();
    assert_eq!(balance(&app, user).await, 50, "the expired 50 is still on the books until expiry is posted");
    assert_eq!(lots(&app, user).await, vec![("promotional".into(), 50), ("paid".into(), 0)]);
    assert!(check(&app).await.is_clean());
}

#[tokio::test]
async fn a_repeated_key_returns_the_first_result_and_moves_nothing_even_at_once() {
    let app = spawn_app().await;
    let user = app.user(Role::Customer).await.id;
    grant(&app, user, 10, LotSource::Paid, None, "grant").await;
    let first = spend(&app.pool, &app, user, 4, "order:1").await.unwrap();
    let again = spend(&app.pool, &app, user, 4, "order:1").await.unwrap();
    assert_eq!((again.transaction_id, again.replayed, balance(&app, user).await), (first.transaction_id, true, 6));
    let reused = spend(&app.pool, &app, user, 5, "order:1").await.unwrap_err();
    assert!(matches!(reused, Failure::User(AppError::Conflict)), "a key reused for another amount: {reused:?}");

    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let pool = app.pool.clone();
            let at = app.state.clock.now();
            tokio::spawn(async move {
                let mut tx = pool.begin().await.unwrap();
                let m = Movement {
                    kind: Kind::Bonus,
                    key: "welcome-bonus",
                    actor: None,
                    reference: None,
                    reason: None,
                    at,
                };
                let posted = ledger::grant(&mut tx, user, Credits::new(3).unwrap(), LotSource::Promotional, None, &m)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                posted
            })
        })
        .collect();
    let mut applied = 0;
    for t in tasks {
        if !t.await.unwrap().replayed {
            applied += 1;
        }
    }
    assert_eq!(applied, 1, "twenty concurrent grants with one key apply once");
    spend(&app.pool, &app, user, 1, "probe").await.unwrap();
    assert_eq!(balance(&app, user).await, 8);
    assert!(check(&app).await.is_clean());
}

#[tokio::test]
async fn the_database_refuses_changed_deleted_lopsided_or_negative_books() {
    let app = spawn_app().await;
    let user = app.user(Role::Customer).await.id;
    let other = app.user(Role::Customer).await.id;
    grant(&app, user, 5, LotSource::Paid, None, "grant").await;
    grant(&app, other, 5, LotSource::Paid, None, "other grant").await;
    for sql in [
        "UPDATE ledger_transfers SET change = change * 2",
        "DELETE FROM ledger_transfers",
        "UPDATE ledger_transactions SET kind = 'refund'",
        "DELETE FROM ledger_transactions",
        "TRUNCATE ledger_transfers CASCADE",
    ] {
        let err = sqlx::query(sql).execute(&app.pool).await.unwrap_err();
        assert!(err.to_string().contains("immutable"), "{sql}: {err}");
    }
    let err = sqlx::query("UPDATE ledger_entries SET amount = 0").execute(&app.pool).await.unwrap_err();
    assert!(err.to_string().contains("cannot update view"), "{err}");

    // Each attempt moves `change` between `$1`'s wallet, through the lot of the wallet
    // the case names, and the platform's account `$4`.
    let attempt = |change: i64, lot_of: Uuid, platform: &'static str| {
        let pool = app.pool.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            let err = sqlx::query(
                "WITH t AS (INSERT INTO ledger_transactions (kind, idempotency_key, created_at)
                            VALUES ('adjustment', 'by hand', now()) RETURNING id),
                      w AS (SELECT id FROM ledger_accounts WHERE user_id = $1 AND kind = 'wallet')
                 INSERT INTO ledger_transfers (transaction_id, wallet, lot, platform, change)
                 SELECT t.id, w.id,
                        (SELECT l.id FROM credit_lots l JOIN ledger_accounts a ON a.id = l.account_id WHERE a.user_id = $3),
                        $4::text::ledger_platform, $2
                 FROM t, w",
            )
            .bind(user)
            .bind(change)
            .bind(lot_of)
            .bind(platform)
            .execute(&mut *tx)
            .await
            .unwrap_err();
            err.to_string()
        }
    };
    use attune::server::error::Violation;
    for (change, lot_of, platform, refused) in [
        (0, user, "adjustments", "ledger_transfers_change_nonzero"),
        (1, other, "adjustments", "ledger_transfers_lot"),
        (1, user, "nowhere", "invalid input value for enum ledger_platform"),
    ] {
        let err = attempt(change, lot_of, platform).await;
        assert!(err.contains(refused), "{change} {lot_of} {platform}: {err}");
    }
    // A lot, and so a wallet, never holds less than nothing, nor more than it was granted.
    for (sql, refused) in [
        ("UPDATE credit_lots SET remaining = remaining - 6", "credit_lots_remaining_in_range"),
        ("UPDATE credit_lots SET remaining = remaining + 1", "credit_lots_remaining_in_range"),
    ] {
        let err = sqlx::query(sql).execute(&app.pool).await.unwrap_err();
        assert_eq!(attune::server::error::violation(&err), Some(Violation::Check(refused.into())), "{sql}: {err}");
    }
    // A transaction's key and reference hold 1 to 200 characters, its reason 1 to 500.
    // Each attempt writes one transaction and rolls it back.
    let record = |key: String, reference: Option<String>, reason: Option<String>| {
        let pool = app.pool.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(
                "INSERT INTO ledger_transactions (kind, idempotency_key, reference, reason, created_at)
                 VALUES ('adjustment', $1, $2, $3, now())",
            )
            .bind(key)
            .bind(reference)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
            tx.rollback().await
        }
    };
    let long = |n: usize| "k".repeat(n);
    for (key, reference, reason, refused) in [
        (String::new(), None, None, "ledger_label_length"),
        (long(201), None, None, "ledger_label_length"),
        ("ref".into(), Some(String::new()), None, "ledger_label_length"),
        ("ref".into(), Some(long(201)), None, "ledger_label_length"),
        ("why".into(), None, Some(String::new()), "ledger_reason_length"),
        ("why".into(), None, Some(long(501)), "ledger_reason_length"),
    ] {
        let case = format!("{} {reference:?} {reason:?}", key.len());
        let err = record(key, reference, reason).await.unwrap_err();
        assert_eq!(attune::server::error::violation(&err), Some(Violation::Check(refused.into())), "{case}: {err}");
    }
    for (key, reference, reason) in [(long(200), Some(long(200)), Some(long(500))), (long(1), None, None)] {
        record(key, reference, reason).await.unwrap();
    }
    let books = check(&app).await;
    assert!(books.is_clean(), "{books:?}");
    spend(&app.pool, &app, user, 5, "all of it").await.unwrap();
    assert_eq!(balance(&app, user).await, 0, "nothing moved before");
}

/// `n` spends of `each` credits at once from the user's wallet, half through the app's
/// pool and half through a second one (as two instances of the app would): how many
/// succeeded, how many were refused for want of credit, and every other error.
async fn race_spends(app: &TestApp, user: Uuid, n: usize, each: i64) -> (usize, usize, Vec<String>) {
    let second = attune::server::pool::options(16).connect(&database_url(&app.pool)).await.unwrap();
    let pools = [app.pool.clone(), second];
    let at = app.state.clock.now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let pool = pools[i % 2].clone();
            tokio::spawn(async move {
                let key = format!("spend:{i}");
                let m = Movement { kind: Kind::Spend, key: &key, actor: None, reference: None, reason: None, at };
                let mut tx = pool.begin().await.unwrap();
                let result = ledger::spend(&mut tx, user, Credits::new(each).unwrap(), &m).await;
                if result.is_ok() {
                    tx.commit().await.unwrap();
                }
                result
            })
        })
        .collect();
    let (mut ok, mut short, mut other) = (0, 0, Vec::new());
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Failure::User(AppError::InsufficientCredits { .. })) => short += 1,
            Err(e) => other.push(format!("{e:?}")),
        }
    }
    (ok, short, other)
}

#[tokio::test]
async fn a_thousand_concurrent_spends_through_two_pools_spend_exactly_the_balance() {
    let app = spawn_app().await;
    let user = app.user(Role::Customer).await.id;
    grant(&app, user, 100, LotSource::Paid, None, "grant").await;
    let (ok, short, other) = race_spends(&app, user, 1000, 1).await;
    assert_eq!((ok, short), (100, 900));
    assert!(other.is_empty(), "{other:?}");
    let balance: i64 = sqlx::query_scalar("SELECT balance FROM wallet_balances WHERE user_id = $1")
        .bind(user)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(balance, 0);
    let report = check(&app).await;
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.transactions, 101);
}

/// Spends that the first lot covers and spends that need the next lot as well, racing
/// each other through two pools, neither wait on each other for ever (a deadlock is
/// one of the other errors) nor take a credit twice.
#[tokio::test]
async fn concurrent_spends_across_several_lots_take_every_credit_once_in_spending_order() {
    let app = spawn_app().await;
    let user = app.user(Role::Customer).await.id;
    let in_a_week = app.state.clock.now() + jiff::SignedDuration::from_hours(24 * 7);
    grant(&app, user, 10, LotSource::Paid, None, "paid").await;
    grant(&app, user, 10, LotSource::Paid, Some(in_a_week), "paid, expiring").await;
    grant(&app, user, 10, LotSource::Promotional, None, "promotional").await;
    let (ok, short, other) = race_spends(&app, user, 200, 3).await;
    assert!(other.is_empty(), "{other:?}");
    assert_eq!((ok, short), (10, 190), "thirty credits are ten spends of three");
    assert_eq!(lots(&app, user).await, vec![("paid".into(), 0), ("paid".into(), 0), ("promotional".into(), 0)]);
    let straddling: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT transaction_id FROM ledger_transfers GROUP BY transaction_id HAVING count(*) = 2) t",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(straddling, 2, "the spends that emptied a lot took the rest from the next one");
    let report = check(&app).await;
    assert!(report.is_clean(), "{report:?}");
}

#[tokio::test]
async fn check_ledger_reports_drift_and_the_command_fails_on_it() {
    let app = spawn_app().await;
    let user = app.user(Role::Customer).await.id;
    grant(&app, user, 5, LotSource::Paid, None, "grant").await;
    let command = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_attune"))
            .arg("check-ledger")
            .env("DATABASE_URL", database_url(&app.pool))
            .env("RUST_LOG", "error")
            .output()
            .unwrap()
    };
    let clean = command();
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stderr));
    assert!(String::from_utf8_lossy(&clean.stdout).contains("\"wallet_drift\":0"));

    // A lot that holds less than its entries say drifts its wallet's balance with it.
    sqlx::query("UPDATE credit_lots SET remaining = remaining - 1").execute(&app.pool).await.unwrap();
    let report = check(&app).await;
    assert_eq!((report.wallet_drift, report.lot_drift, report.unbalanced), (1, 1, 0));
    let drifted = command();
    assert!(!drifted.status.success());
    assert!(String::from_utf8_lossy(&drifted.stderr).contains("does not balance"));
}

#[tokio::test]
async fn expiry_posts_once_per_lot_however_often_and_wherever_it_runs() {
    let app = spawn_app().await;
    let user = app.user(Role::Customer).await.id;
    let in_an_hour = app.state.clock.now() + jiff::SignedDuration::from_hours(1);
    grant(&app, user, 5, LotSource::Promotional, Some(in_an_hour), "promo").await;
    spend(&app.pool, &app, user, 2, "early").await.unwrap();
    grant(&app, user, 3, LotSource::Paid, None, "paid").await;
    assert_eq!(ledger::expire_due(&app.pool, app.state.clock.now()).await.unwrap(), 0, "nothing is due yet");

    app.advance(Duration::from_secs(2 * 3600));
    let now = app.state.clock.now();
    let second = attune::server::pool::options(4).connect(&database_url(&app.pool)).await.unwrap();
    let runs: Vec<_> = [app.pool.clone(), second.clone(), app.pool.clone(), second]
        .into_iter()
        .map(|pool| tokio::spawn(async move { ledger::expire_due(&pool, now).await.unwrap() }))
        .collect();
    let mut expired = 0;
    for r in runs {
        expired += r.await.unwrap();
    }
    assert_eq!(expired, 1, "four concurrent runs expire the lot once");
    assert_eq!(lots(&app, user).await, vec![("promotional".into(), 0), ("paid".into(), 3)]);
    spend(&app.pool, &app, user, 3, "rest").await.unwrap();
    assert_eq!(balance(&app, user).await, 0, "only the unexpired 3 were left");
    let expiries: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_transactions WHERE kind = 'expiry'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(expiries, 1);
    assert!(check(&app).await.is_clean());
}

/// A small deterministic generator, so a failing sequence can be replayed by its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test]
async fn random_sequences_of_grants_spends_expiries_refunds_adjustments_and_retries_keep_every_invariant() {
    let app = spawn_app().await;
    let users = [app.user(Role::Customer).await.id, app.user(Role::Customer).await.id];
    let mut model: Vec<Vec<Lot>> = vec![Vec::new(), Vec::new()];
    let admin = app.user(Role::Admin).await.id;
    let mut keys: Vec<(usize, String, Kind, i64)> = Vec::new();
    // Refunds that took credits back: (who, key, lot, credits), and whether given back.
    let mut refunds: Vec<(usize, String, i64, i64, bool)> = Vec::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for step in 0..400 {
        let who = rng.below(2) as usize;
        let now = app.state.clock.now();
        match rng.below(13) {
            0..=2 => {
                let n = 1 + rng.below(20) as i64;
                let promo = rng.below(2) == 0;
                let expires =
                    (rng.below(3) > 0).then(|| now + jiff::SignedDuration::from_mins(10 + rng.below(600) as i64));
                let source = if promo { LotSource::Promotional } else { LotSource::Paid };
                let key = format!("grant:{step}");
                let posted = grant(&app, users[who], n, source, expires, &key).await;
                let id: i64 = sqlx::query_scalar("SELECT id FROM credit_lots WHERE transaction_id = $1")
                    .bind(posted.transaction_id)
                    .fetch_one(&app.pool)
                    .await
                    .unwrap();
                model[who].push(Lot { id, source, remaining: n, expires_at: expires });
                keys.push((who, key, if promo { Kind::Bonus } else { Kind::Purchase }, n));
            }
            3..=6 => {
                let n = 1 + rng.below(25) as i64;
                let key = format!("spend:{step}");
                let expected = allocate(&model[who], n, now);
                match (spend(&app.pool, &app, users[who], n, &key).await, expected) {
                    (Ok(_), Ok(taken)) => {
                        for (id, take) in taken {
                            model[who].iter_mut().find(|l| l.id == id).unwrap().remaining -= take;
                        }
                        keys.push((who, key, Kind::Spend, n));
                    }
                    (Err(Failure::User(AppError::InsufficientCredits { available, needed })), Err(s)) => {
                        assert_eq!((available, needed), (s.available, s.needed), "step {step}");
                    }
                    (got, want) => panic!("step {step}: database said {got:?}, the rules say {want:?}"),
                }
            }
            7 => {
                app.advance(Duration::from_secs(60 * (1 + rng.below(240))));
                let now = app.state.clock.now();
                ledger::expire_due(&app.pool, now).await.unwrap();
                for lots in &mut model {
                    for lot in lots.iter_mut().filter(|l| l.expires_at.is_some_and(|at| at <= now)) {
                        lot.remaining = 0;
                    }
                }
            }
            8 | 9 => {
                let open: Vec<&Lot> =
                    model[who].iter().filter(|l| l.remaining > 0 && l.expires_at.is_none_or(|at| at > now)).collect();
                if open.is_empty() {
                    continue;
                }
                let lot = open[rng.below(open.len() as u64) as usize];
                let (id, n) = (lot.id, 1 + rng.below(lot.remaining as u64) as i64);
                let key = format!("refund:{step}");
                let mut tx = app.pool.begin().await.unwrap();
                let m = Movement {
                    kind: Kind::Refund,
                    key: &key,
                    actor: Some(admin),
                    reference: None,
                    reason: None,
                    at: now,
                };
                ledger::take_back(&mut tx, users[who], &[(id, n)], &m).await.unwrap();
                tx.commit().await.unwrap();
                model[who].iter_mut().find(|l| l.id == id).unwrap().remaining -= n;
                refunds.push((who, key, id, n, false));
            }
            10 => {
                let Some(i) = (!refunds.is_empty()).then(|| rng.below(refunds.len() as u64) as usize) else { continue };
                let (who, key, id, n, given) = refunds[i].clone();
                let mut tx = app.pool.begin().await.unwrap();
                let back = format!("{key}:cancelled");
                let m = Movement {
                    kind: Kind::RefundCancelled,
                    key: &back,
                    actor: None,
                    reference: None,
                    reason: None,
                    at: now,
                };
                let posted = ledger::give_back(&mut tx, users[who], &key, &m).await.unwrap();
                tx.commit().await.unwrap();
                assert_eq!(posted.replayed, given, "step {step}: credits are given back once");
                if !given {
                    model[who].iter_mut().find(|l| l.id == id).unwrap().remaining += n;
                    refunds[i].4 = true;
                }
            }
            11 => {
                let delta = rng.below(31) as i64 - 15;
                if delta == 0 {
                    continue;
                }
                let key = format!("adjust:{step}");
                let mut tx = app.pool.begin().await.unwrap();
                let m = Movement {
                    kind: Kind::Adjustment,
                    key: &key,
                    actor: Some(admin),
                    reference: None,
                    reason: Some("test"),
                    at: now,
                };
                let done = ledger::adjust(&mut tx, users[who], delta, &m).await;
                let expected = if delta > 0 { Ok(Vec::new()) } else { allocate(&model[who], -delta, now) };
                match (done, expected) {
                    (Ok(posted), Ok(taken)) => {
                        tx.commit().await.unwrap();
                        if delta > 0 {
                            let id: i64 = sqlx::query_scalar("SELECT id FROM credit_lots WHERE transaction_id = $1")
                                .bind(posted.transaction_id)
                                .fetch_one(&app.pool)
                                .await
                                .unwrap();
                            model[who].push(Lot {
                                id,
                                source: LotSource::Promotional,
                                remaining: delta,
                                expires_at: None,
                            });
                        }
                        for (id, take) in taken {
                            model[who].iter_mut().find(|l| l.id == id).unwrap().remaining -= take;
                        }
                    }
                    (Err(Failure::User(AppError::InsufficientCredits { .. })), Err(_)) => {}
                    (got, want) => panic!("step {step}: database said {got:?}, the rules say {want:?}"),
                }
            }
            _ if !keys.is_empty() => {
                let (who, key, kind, n) = keys[rng.below(keys.len() as u64) as usize].clone();
                let mut tx = app.pool.begin().await.unwrap();
                let m = Movement { kind, key: &key, actor: None, reference: None, reason: None, at: now };
                let posted = match kind {
                    Kind::Spend => ledger::spend(&mut tx, users[who], credits(n), &m).await.unwrap(),
                    _ => {
                        let source = if kind == Kind::Bonus { LotSource::Promotional } else { LotSource::Paid };
                        ledger::grant(&mut tx, users[who], credits(n), source, None, &m).await.unwrap()
                    }
                };
                tx.commit().await.unwrap();
                assert!(posted.replayed, "step {step}: a retried key moves nothing");
            }
            _ => {}
        }
        let report = check(&app).await;
        assert!(report.is_clean(), "step {step}: {report:?}");
        for (i, user) in users.iter().enumerate() {
            let balance: Option<i64> = sqlx::query_scalar("SELECT balance FROM wallet_balances WHERE user_id = $1")
                .bind(user)
                .fetch_optional(&app.pool)
                .await
                .unwrap();
            let expected: i64 = model[i].iter().map(|l| l.remaining).sum();
            assert_eq!(balance.unwrap_or(0), expected, "step {step}, user {i}");
        }
    }
}

/// What a movement could change: every transaction and entry, the admin adjustments
/// audited, and the balance and lots of the wallets looked at.
#[derive(Debug, PartialEq, Eq)]
struct Books {
    transactions: i64,
    entries: i64,
    adjustment_audits: i64,
    balances: Vec<i64>,
    lots: Vec<(Uuid, i64, i64)>,
}

/// Each lot of these users' wallets as (owner, lot, credits left), by lot.
async fn lots_of(app: &TestApp, users: &[Uuid]) -> Vec<(Uuid, i64, i64)> {
    sqlx::query_as(
        "SELECT a.user_id, l.id, l.remaining FROM credit_lots l JOIN ledger_accounts a ON a.id = l.account_id
         WHERE a.user_id = ANY($1) ORDER BY l.id",
    )
    .bind(users.to_vec())
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

async fn books(app: &TestApp, users: &[Uuid]) -> Books {
    let mut balances = Vec::new();
    for user in users {
        balances.push(balance(app, *user).await);
    }
    let adjustment_audits: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'credits.adjusted'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    Books {
        transactions: count(&app.pool, "ledger_transactions").await,
        entries: count(&app.pool, "ledger_entries").await,
        adjustment_audits,
        balances,
        lots: lots_of(app, users).await,
    }
}

const REASON: &str = "property test";

/// One generated step. `who` picks one of the case's two wallets; `pick` and `part`
/// choose among what exists when the step runs, so every sequence can run.
#[derive(Debug, Clone, Copy)]
enum Op {
    Grant { who: usize, n: i64, promotional: bool, expires_in_mins: Option<i64> },
    Spend { who: usize, n: i64 },
    Expire { after_mins: u64 },
    Refund { who: usize, pick: u16, part: u16 },
    CancelRefund { pick: u16 },
    Adjust { who: usize, delta: i64 },
    Replay { pick: u16 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..2usize, 1..=20i64, any::<bool>(), proptest::option::of(10..=600i64)).prop_map(
            |(who, n, promotional, expires_in_mins)| Op::Grant { who, n, promotional, expires_in_mins }
        ),
        4 => (0..2usize, 1..=25i64).prop_map(|(who, n)| Op::Spend { who, n }),
        1 => (1..=240u64).prop_map(|after_mins| Op::Expire { after_mins }),
        2 => (0..2usize, any::<u16>(), any::<u16>()).prop_map(|(who, pick, part)| Op::Refund { who, pick, part }),
        1 => any::<u16>().prop_map(|pick| Op::CancelRefund { pick }),
        1 => (0..2usize, 1..=15i64, any::<bool>())
            .prop_map(|(who, n, take)| Op::Adjust { who, delta: if take { -n } else { n } }),
        1 => any::<u16>().prop_map(|pick| Op::Replay { pick }),
    ]
}

/// What a posted movement was, so it can be posted again with its key.
#[derive(Debug, Clone)]
enum What {
    Grant(LotSource, i64),
    Spend(i64),
    Adjust(i64),
    Refund { lot: i64, n: i64 },
    GiveBack { of: String },
}

#[derive(Debug, Clone)]
struct Applied {
    who: usize,
    key: String,
    transaction: i64,
    what: What,
}

fn mismatch(step: usize, got: &impl std::fmt::Debug, want: &impl std::fmt::Debug) -> TestCaseError {
    TestCaseError::fail(format!("step {step}: the database said {got:?}, the rules say {want:?}"))
}

/// One generated case: two fresh wallets, the rules' model of their lots, and what was
/// posted on them.
struct Case<'a> {
    app: &'a TestApp,
    admin: Uuid,
    tag: String,
    users: [Uuid; 2],
    model: [Vec<Lot>; 2],
    applied: Vec<Applied>,
    /// Refunds posted: (who, key, lot, credits, given back yet).
    refunds: Vec<(usize, String, i64, i64, bool)>,
}

impl<'a> Case<'a> {
    async fn new(app: &'a TestApp, admin: Uuid) -> Case<'a> {
        let users = [app.user(Role::Customer).await.id, app.user(Role::Customer).await.id];
        Case {
            app,
            admin,
            tag: format!("pt-{}", Uuid::new_v4().simple()),
            users,
            model: [Vec::new(), Vec::new()],
            applied: Vec::new(),
            refunds: Vec::new(),
        }
    }

    fn movement<'k>(&self, kind: Kind, key: &'k str) -> Movement<'k> {
        Movement {
            kind,
            key,
            actor: matches!(kind, Kind::Adjustment | Kind::Refund).then_some(self.admin),
            reference: None,
            reason: (kind == Kind::Adjustment).then_some(REASON),
            at: self.app.state.clock.now(),
        }
    }

    async fn lot_of(&self, transaction: i64) -> i64 {
        sqlx::query_scalar::<_, i64>("SELECT id FROM credit_lots WHERE transaction_id = $1")
            .bind(transaction)
            .fetch_one(&self.app.pool)
            .await
            .unwrap()
    }

    fn take(&mut self, who: usize, lot: i64, n: i64) {
        self.model[who].iter_mut().find(|l| l.id == lot).expect("a lot the model knows").remaining -= n;
    }

    /// Empties every modelled lot that has expired by `now`; returns how many had credit
    /// left, which is how many lots an expiry run must expire.
    fn expire_model(&mut self, now: Timestamp) -> u64 {
        let mut due = 0;
        for lot in self.model.iter_mut().flatten().filter(|l| l.expires_at.is_some_and(|at| at <= now)) {
            if lot.remaining > 0 {
                due += 1;
            }
            lot.remaining = 0;
        }
        due
    }

    async fn run(&mut self, ops: &[Op]) -> TestCaseResult {
        for (step, op) in ops.iter().enumerate() {
            self.step(step, op).await?;
            self.compare(step).await?;
        }
        Ok(())
    }

    async fn step(&mut self, step: usize, op: &Op) -> TestCaseResult {
        let now = self.app.state.clock.now();
        match *op {
            Op::Grant { who, n, promotional, expires_in_mins } => {
                let (source, kind) =
                    if promotional { (LotSource::Promotional, Kind::Bonus) } else { (LotSource::Paid, Kind::Purchase) };
                let expires = expires_in_mins.map(|m| now + SignedDuration::from_mins(m));
                let key = format!("{}:grant:{step}", self.tag);
                let mut tx = self.app.pool.begin().await.unwrap();
                let posted =
                    ledger::grant(&mut tx, self.users[who], credits(n), source, expires, &self.movement(kind, &key))
                        .await
                        .unwrap();
                tx.commit().await.unwrap();
                prop_assert!(!posted.replayed, "step {}: a new key is applied", step);
                let id = self.lot_of(posted.transaction_id).await;
                self.model[who].push(Lot { id, source, remaining: n, expires_at: expires });
                self.applied.push(Applied {
                    who,
                    key,
                    transaction: posted.transaction_id,
                    what: What::Grant(source, n),
                });
            }
            Op::Spend { who, n } => {
                let key = format!("{}:spend:{step}", self.tag);
                let expected = allocate(&self.model[who], n, now);
                let mut tx = self.app.pool.begin().await.unwrap();
                let got = ledger::spend(&mut tx, self.users[who], credits(n), &self.movement(Kind::Spend, &key)).await;
                match (got, expected) {
                    (Ok(posted), Ok(taken)) => {
                        tx.commit().await.unwrap();
                        for (lot, take) in taken {
                            self.take(who, lot, take);
                        }
                        self.applied.push(Applied {
                            who,
                            key,
                            transaction: posted.transaction_id,
                            what: What::Spend(n),
                        });
                    }
                    (Err(Failure::User(AppError::InsufficientCredits { available, needed })), Err(short)) => {
                        tx.rollback().await.unwrap();
                        prop_assert_eq!((available, needed), (short.available, short.needed), "step {}", step);
                    }
                    (got, want) => return Err(mismatch(step, &got, &want)),
                }
            }
            Op::Expire { after_mins } => {
                self.app.advance(Duration::from_secs(60 * after_mins));
                let now = self.app.state.clock.now();
                let expired = ledger::expire_due(&self.app.pool, now).await.unwrap();
                let due = self.expire_model(now);
                prop_assert_eq!(expired, due, "step {}: each lot due expires, once", step);
            }
            Op::Refund { who, pick, part } => {
                let open: Vec<Lot> = self.model[who]
                    .iter()
                    .filter(|l| l.remaining > 0 && l.expires_at.is_none_or(|at| at > now))
                    .copied()
                    .collect();
                if open.is_empty() {
                    return Ok(());
                }
                let lot = open[usize::from(pick) % open.len()];
                let n = 1 + i64::from(part) % lot.remaining;
                let key = format!("{}:refund:{step}", self.tag);
                let mut tx = self.app.pool.begin().await.unwrap();
                let m = self.movement(Kind::Refund, &key);
                let posted = match ledger::take_back(&mut tx, self.users[who], &[(lot.id, n)], &m).await {
                    Ok(posted) => posted,
                    Err(e) => return Err(mismatch(step, &e, &format!("{n} credits taken back from lot {}", lot.id))),
                };
                tx.commit().await.unwrap();
                self.take(who, lot.id, n);
                self.refunds.push((who, key.clone(), lot.id, n, false));
                let what = What::Refund { lot: lot.id, n };
                self.applied.push(Applied { who, key, transaction: posted.transaction_id, what });
            }
            Op::CancelRefund { pick } => {
                if self.refunds.is_empty() {
                    return Ok(());
                }
                let i = usize::from(pick) % self.refunds.len();
                let (who, of, lot, n, given) = self.refunds[i].clone();
                let key = format!("{of}:cancelled");
                let mut tx = self.app.pool.begin().await.unwrap();
                let m = self.movement(Kind::RefundCancelled, &key);
                let posted = ledger::give_back(&mut tx, self.users[who], &of, &m).await.unwrap();
                tx.commit().await.unwrap();
                prop_assert_eq!(posted.replayed, given, "step {}: credits are given back once", step);
                if !given {
                    self.take(who, lot, -n);
                    self.refunds[i].4 = true;
                    self.applied.push(Applied {
                        who,
                        key,
                        transaction: posted.transaction_id,
                        what: What::GiveBack { of },
                    });
                }
            }
            Op::Adjust { who, delta } => {
                let key = format!("{}:adjust:{step}", self.tag);
                let expected = if delta > 0 { Ok(Vec::new()) } else { allocate(&self.model[who], -delta, now) };
                let mut tx = self.app.pool.begin().await.unwrap();
                let m = self.movement(Kind::Adjustment, &key);
                let got = ledger::adjust(&mut tx, self.users[who], delta, &m).await;
                match (got, expected) {
                    (Ok(posted), Ok(taken)) => {
                        tx.commit().await.unwrap();
                        if delta > 0 {
                            let id = self.lot_of(posted.transaction_id).await;
                            let lot = Lot { id, source: LotSource::Promotional, remaining: delta, expires_at: None };
                            self.model[who].push(lot);
                        }
                        for (lot, take) in taken {
                            self.take(who, lot, take);
                        }
                        let what = What::Adjust(delta);
                        self.applied.push(Applied { who, key, transaction: posted.transaction_id, what });
                    }
                    (Err(Failure::User(AppError::InsufficientCredits { available, needed })), Err(short)) => {
                        tx.rollback().await.unwrap();
                        prop_assert_eq!((available, needed), (short.available, short.needed), "step {}", step);
                    }
                    (got, want) => return Err(mismatch(step, &got, &want)),
                }
            }
            Op::Replay { pick } => {
                if self.applied.is_empty() {
                    return Ok(());
                }
                let again = self.applied[usize::from(pick) % self.applied.len()].clone();
                self.replay(&format!("step {step}"), std::slice::from_ref(&again)).await?;
            }
        }
        Ok(())
    }

    /// After each step: every lot of the two wallets holds what the rules say.
    async fn compare(&self, step: usize) -> TestCaseResult {
        let mut expected: Vec<(Uuid, i64, i64)> = Vec::new();
        for (who, lots) in self.model.iter().enumerate() {
            expected.extend(lots.iter().map(|l| (self.users[who], l.id, l.remaining)));
        }
        expected.sort_by_key(|&(_, id, _)| id);
        prop_assert_eq!(lots_of(self.app, &self.users).await, expected, "step {}: the lots are as the rules say", step);
        Ok(())
    }

    /// Posts `a` again with its key, `extra` credits more, and commits whatever it did,
    /// so a repeat that moved anything would show in the books.
    async fn post(&self, a: &Applied, extra: i64) -> Result<Posted, Failure> {
        let user = self.users[a.who];
        let mut tx = self.app.pool.begin().await.unwrap();
        let posted = match &a.what {
            What::Grant(source, n) => {
                let kind = if *source == LotSource::Paid { Kind::Purchase } else { Kind::Bonus };
                ledger::grant(&mut tx, user, credits(n + extra), *source, None, &self.movement(kind, &a.key)).await
            }
            What::Spend(n) => {
                ledger::spend(&mut tx, user, credits(n + extra), &self.movement(Kind::Spend, &a.key)).await
            }
            What::Adjust(delta) => {
                let delta = delta + delta.signum() * extra;
                ledger::adjust(&mut tx, user, delta, &self.movement(Kind::Adjustment, &a.key)).await
            }
            What::Refund { lot, n } => {
                ledger::take_back(&mut tx, user, &[(*lot, n + extra)], &self.movement(Kind::Refund, &a.key)).await
            }
            What::GiveBack { of } => {
                ledger::give_back(&mut tx, user, of, &self.movement(Kind::RefundCancelled, &a.key)).await
            }
        };
        if posted.is_ok() {
            tx.commit().await.unwrap();
        } else {
            tx.rollback().await.unwrap();
        }
        posted
    }

    /// Posts each movement of `list` again: each answers with its first transaction, the
    /// same key for another amount is a conflict, and nothing in the books changes.
    async fn replay(&self, label: &str, list: &[Applied]) -> TestCaseResult {
        let before = books(self.app, &self.users).await;
        for a in list {
            match self.post(a, 0).await {
                Ok(p) if p.replayed && p.transaction_id == a.transaction => {}
                other => return Err(TestCaseError::fail(format!("{label}: {a:?} posted again: {other:?}"))),
            }
            if !matches!(a.what, What::GiveBack { .. }) {
                match self.post(a, 1).await {
                    Err(Failure::User(AppError::Conflict)) => {}
                    other => return Err(TestCaseError::fail(format!("{label}: {a:?} for another amount: {other:?}"))),
                }
            }
        }
        prop_assert_eq!(books(self.app, &self.users).await, before, "{}: a repeated key moves nothing", label);
        Ok(())
    }

    /// Lets every lot with an expiry expire (so the next case starts with nothing due),
    /// then checks every invariant of the books and posts every key again.
    async fn settle(&mut self, steps: usize) -> TestCaseResult {
        self.app.advance(Duration::from_secs(11 * 3600));
        let now = self.app.state.clock.now();
        let expired = ledger::expire_due(&self.app.pool, now).await.unwrap();
        let due = self.expire_model(now);
        prop_assert_eq!(expired, due, "after the last step every lot with an expiry has expired");

        let pool = &self.app.pool;
        let report = ledger::check(&mut pool.acquire().await.unwrap()).await.unwrap();
        prop_assert!(report.is_clean(), "the ledger check: {:?}", report);
        let unbalanced: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM (
                 SELECT e.transaction_id FROM ledger_entries e
                 WHERE e.transaction_id IN (SELECT x.transaction_id FROM ledger_entries x
                                            JOIN ledger_accounts a ON a.id = x.account_id WHERE a.user_id = ANY($1))
                 GROUP BY e.transaction_id HAVING sum(e.amount) <> 0) u",
        )
        .bind(self.users.to_vec())
        .fetch_one(pool)
        .await
        .unwrap();
        prop_assert_eq!(unbalanced, 0, "every transaction on these wallets sums to zero");
        let negative: i64 =
            sqlx::query_scalar("SELECT count(*) FROM wallet_balances WHERE balance < 0").fetch_one(pool).await.unwrap();
        prop_assert_eq!(negative, 0, "no wallet is below zero");
        for (who, user) in self.users.iter().enumerate() {
            let wallet: Option<(Option<i64>, i64)> = sqlx::query_as(
                "SELECT w.balance,
                        COALESCE((SELECT sum(e.amount) FROM ledger_entries e WHERE e.account_id = w.account_id), 0)::bigint
                 FROM wallet_balances w WHERE w.user_id = $1",
            )
            .bind(user)
            .fetch_optional(pool)
            .await
            .unwrap();
            let (held, entries) = wallet.map(|(b, e)| (b.expect("a wallet keeps its balance"), e)).unwrap_or((0, 0));
            let expected: i64 = self.model[who].iter().map(|l| l.remaining).sum();
            prop_assert!(held >= 0, "wallet {}: a balance of {}", who, held);
            prop_assert_eq!(held, entries, "wallet {}: the balance is the sum of its entries", who);
            prop_assert_eq!(held, expected, "wallet {}: the balance is what the rules say", who);
            let lots: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
                "SELECT l.id, l.remaining, l.granted, COALESCE(sum(e.amount), 0)::bigint
                 FROM credit_lots l JOIN ledger_accounts a ON a.id = l.account_id
                 LEFT JOIN ledger_entries e ON e.lot_id = l.id
                 WHERE a.user_id = $1 GROUP BY l.id ORDER BY l.id",
            )
            .bind(user)
            .fetch_all(pool)
            .await
            .unwrap();
            for (id, remaining, granted, entries) in lots {
                prop_assert!((0..=granted).contains(&remaining), "lot {}: {} of {} left", id, remaining, granted);
                prop_assert_eq!(remaining, entries, "lot {}: what is left is the sum of its entries", id);
            }
        }
        self.compare(steps).await?;
        self.replay("after the last step", &self.applied).await
    }
}

async fn sequence(app: &TestApp, admin: Uuid, ops: &[Op]) -> TestCaseResult {
    let mut case = Case::new(app, admin).await;
    let ran = case.run(ops).await;
    let settled = case.settle(ops.len()).await;
    ran.and(settled)
}

/// Generated sequences of grants (paid or promotional, with or without an expiry),
/// spends, expiry runs, refunds and refunds given back, admin adjustments and retried
/// keys, each on two fresh wallets against the real database: after every step the
/// lots hold what the ledger's rules say, and after every sequence each transaction
/// sums to zero, each balance is the sum of its entries and not negative, and every
/// key posted again moves nothing.
#[test]
fn generated_ledger_sequences_keep_every_invariant_and_repeated_keys_move_nothing() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _in_runtime = rt.enter();
    let app = rt.block_on(spawn_app());
    let admin = rt.block_on(app.user(Role::Admin)).id;
    let config = Config { cases: 24, max_shrink_iters: 256, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let ran = runner.run(&proptest::collection::vec(op(), 1..=40), |ops| rt.block_on(sequence(&app, admin, &ops)));
    if let Err(e) = ran {
        panic!("{e}");
    }
}

#[tokio::test]
async fn an_admin_adjusts_credits_with_a_reason_once_per_form_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let customer = app.user(Role::Customer).await;
    let number: i64 = sqlx::query_scalar("SELECT code FROM users WHERE id = $1")
        .bind(customer.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let code = format!("U{number}");
    let key = Uuid::new_v4().to_string();
    let balance = || async {
        let b: Option<i64> = sqlx::query_scalar("SELECT balance FROM wallet_balances WHERE user_id = $1")
            .bind(customer.id)
            .fetch_optional(&app.pool)
            .await
            .unwrap();
        b.unwrap_or(0)
    };
    let audits = || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'credits.adjusted'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        n
    };

    for (user_code, delta, reason, key, field) in [
        (code.as_str(), "0", "goodwill", key.as_str(), "delta"),
        (code.as_str(), "ten", "goodwill", key.as_str(), "delta"),
        (code.as_str(), "5", " ", key.as_str(), "reason"),
        ("U999999", "5", "goodwill", key.as_str(), "user_code"),
        ("someone", "5", "goodwill", key.as_str(), "user_code"),
        (code.as_str(), "5", "goodwill", "not-a-key", "key"),
    ] {
        let form = [("user_code", user_code), ("delta", delta), ("reason", reason), ("key", key)];
        let (status, err) = error_of(admin.call("admin/credits/adjust", &form).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        assert_eq!(err["Invalid"]["field"], field, "{form:?}");
    }
    let taken = [("user_code", code.as_str()), ("delta", "-5"), ("reason", "take back"), ("key", key.as_str())];
    let (status, err) = error_of(admin.call("admin/credits/adjust", &taken).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["InsufficientCredits"]["available"], 0);
    let (mut customer_browser, _) = app.browser_as(Role::Customer).await;
    let form = [("user_code", code.as_str()), ("delta", "10"), ("reason", "goodwill"), ("key", key.as_str())];
    assert_eq!(customer_browser.call("admin/credits/adjust", &form).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app.pool, "ledger_transactions").await, 0, "refused adjustments write nothing");
    assert_eq!(audits().await, 0);

    for _ in 0..2 {
        assert_eq!(admin.call("admin/credits/adjust", &form).await.status(), StatusCode::OK);
    }
    assert_eq!((balance().await, audits().await), (10, 1), "the same form submitted twice adjusts once");
    let changed = [("user_code", code.as_str()), ("delta", "11"), ("reason", "goodwill"), ("key", key.as_str())];
    assert_eq!(admin.call("admin/credits/adjust", &changed).await.status(), StatusCode::CONFLICT);

    let second = Uuid::new_v4().to_string();
    let back =
        [("user_code", code.as_str()), ("delta", "-4"), ("reason", "  granted   twice "), ("key", second.as_str())];
    assert_eq!(admin.call("admin/credits/adjust", &back).await.status(), StatusCode::OK);
    assert_eq!((balance().await, audits().await), (6, 2));
    let reason: String =
        sqlx::query_scalar("SELECT reason FROM ledger_transactions WHERE kind = 'adjustment' ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(reason, "granted twice");
    assert!(check(&app).await.is_clean());
}

/// The account number an admin types for `user`.
async fn user_code(app: &TestApp, user: Uuid) -> String {
    let number: i64 =
        sqlx::query_scalar("SELECT code FROM users WHERE id = $1").bind(user).fetch_one(&app.pool).await.unwrap();
    format!("U{number}")
}

/// Through the admin panel's server function, a delta past what an i64 holds, past the
/// per-adjustment limit, of zero or not a whole number is an invalid `delta` with its
/// own message, and taking more than the customer has is the shortfall; none of them
/// writes anything or uses up the form's key. Below the form, the ledger refuses
/// i64::MIN as a shortfall and a grant the balance cannot hold outright.
#[tokio::test]
async fn absurd_admin_adjustments_are_refused_precisely_and_write_nothing() {
    let app = spawn_app().await;
    let (mut admin, admin_user) = app.browser_as(Role::Admin).await;
    let customer = app.user(Role::Customer).await;
    let account = user_code(&app, customer.id).await;
    let opening = Uuid::new_v4().to_string();
    let give =
        [("user_code", account.as_str()), ("delta", "7"), ("reason", "opening balance"), ("key", opening.as_str())];
    assert_eq!(admin.call("admin/credits/adjust", &give).await.status(), StatusCode::OK);
    let before = books(&app, &[customer.id]).await;
    assert_eq!((before.balances.clone(), before.adjustment_audits), (vec![7], 1));

    let key = Uuid::new_v4().to_string();
    let too_big = format!("Adjust by at most {ADJUSTMENT_MAX} credits at a time.");
    let not_whole = "Enter a whole number of credits, e.g. 10 to add or -10 to take away.";
    let zero = "Enter a number of credits other than zero.";
    let (max, min) = (i64::MAX.to_string(), i64::MIN.to_string());
    let (over, under) = ((ADJUSTMENT_MAX + 1).to_string(), (-ADJUSTMENT_MAX - 1).to_string());
    for (delta, message) in [
        (max.as_str(), too_big.as_str()),
        (min.as_str(), too_big.as_str()),
        (over.as_str(), too_big.as_str()),
        (under.as_str(), too_big.as_str()),
        ("9223372036854775808", not_whole),
        ("-9223372036854775809", not_whole),
        ("184467440737095516160000", not_whole),
        ("0", zero),
        ("-0", zero),
        ("+0", zero),
        ("1e3", not_whole),
        ("7.0", not_whole),
        ("0x10", not_whole),
        ("--7", not_whole),
        ("seven", not_whole),
        ("", not_whole),
    ] {
        let form = [("user_code", account.as_str()), ("delta", delta), ("reason", "correction"), ("key", key.as_str())];
        let (code, err) = error_of(admin.call("admin/credits/adjust", &form).await).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{delta:?}: {err}");
        assert_eq!(
            (err["Invalid"]["field"].as_str(), err["Invalid"]["message"].as_str()),
            (Some("delta"), Some(message)),
            "{delta:?}"
        );
    }
    let everything = (-ADJUSTMENT_MAX).to_string();
    for (delta, needed) in [("-8", 8), (everything.as_str(), ADJUSTMENT_MAX)] {
        let form = [("user_code", account.as_str()), ("delta", delta), ("reason", "correction"), ("key", key.as_str())];
        let (code, err) = error_of(admin.call("admin/credits/adjust", &form).await).await;
        assert_eq!(code, StatusCode::CONFLICT, "{delta}: {err}");
        assert_eq!(err, json!({ "InsufficientCredits": { "available": 7, "needed": needed } }), "{delta}");
    }
    assert_eq!(books(&app, &[customer.id]).await, before, "refused adjustments write nothing");

    let mut tx = app.pool.begin().await.unwrap();
    let m = Movement {
        kind: Kind::Adjustment,
        key: "direct:i64-min",
        actor: Some(admin_user.id),
        reference: None,
        reason: Some("overflow probe"),
        at: app.state.clock.now(),
    };
    let err = ledger::adjust(&mut tx, customer.id, i64::MIN, &m).await.unwrap_err();
    assert!(
        matches!(err, Failure::User(AppError::InsufficientCredits { available: 7, needed: i64::MAX })),
        "taking i64::MIN credits: {err:?}"
    );
    tx.rollback().await.unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    let m = Movement { key: "direct:i64-max", ..m };
    match ledger::adjust(&mut tx, customer.id, i64::MAX, &m).await {
        Err(Failure::Db(e)) => assert!(e.to_string().contains("out of range"), "{e}"),
        other => panic!("granting i64::MAX credits onto a balance of 7: {other:?}"),
    }
    tx.rollback().await.unwrap();
    assert_eq!(books(&app, &[customer.id]).await, before, "refused movements write nothing");

    let take_all = [("user_code", account.as_str()), ("delta", "-7"), ("reason", "correction"), ("key", key.as_str())];
    let res = admin.call("admin/credits/adjust", &take_all).await;
    assert_eq!(res.status(), StatusCode::OK, "the refused attempts did not use up the form's key");
    let after = books(&app, &[customer.id]).await;
    assert_eq!(
        (after.balances, after.adjustment_audits, after.transactions),
        (vec![0], before.adjustment_audits + 1, before.transactions + 1)
    );
    ledger_is_clean(&app).await;
}

#[tokio::test]
async fn the_daily_check_keeps_its_result_and_the_admin_panel_shows_the_latest() {
    use attune::server::jobs::Job;
    let app = spawn_app().await;
    let (admin, _) = app.browser_as(Role::Admin).await;
    let status = || async {
        let res = admin.get("/admin").await;
        assert_eq!(res.status(), StatusCode::OK, "{:?}", res.headers().get("location"));
        let html = res.text().await.unwrap();
        let at = html.find("data-testid=\"ledger-status\"").expect("the ledger card");
        html[at..at + html[at..].find("</p>").unwrap()].replace("<!>", "")
    };
    assert!(status().await.contains("Not checked yet"));

    let user = app.user(Role::Customer).await.id;
    grant(&app, user, 5, LotSource::Paid, None, "grant").await;
    ledger::CheckLedger.run(&app.state).await.unwrap();
    assert!(status().await.contains("Balanced: 1 transactions checked, no drift."), "{}", status().await);
    assert_eq!(app.state.metrics.ledger_drift.get(), 0);

    sqlx::query("UPDATE credit_lots SET remaining = remaining - 1").execute(&app.pool).await.unwrap();
    app.advance(Duration::from_secs(60));
    ledger::CheckLedger.run(&app.state).await.unwrap();
    let shown = status().await;
    assert!(
        shown.contains("alert-error") && shown.contains("does not balance: 0 unbalanced transactions and 2 drifted"),
        "{shown}"
    );
    assert_eq!(count(&app.pool, "ledger_checks").await, 2);
    let metrics = Browser::new(&app).get("/metrics").await.text().await.unwrap();
    assert!(metrics.lines().any(|l| l == "attune_ledger_drift 2"), "the drift is exported for alerting");
    // Another instance, which never ran the check (a web server beside a worker, or one
    // just restarted), exports the same drift from the stored result.
    let other = TestApp::builder().sharing_database_of(&app).spawn().await;
    assert_eq!(other.state.metrics.ledger_drift.get(), 0, "nothing set in this process yet");
    let metrics = Browser::new(&other).get("/metrics").await.text().await.unwrap();
    assert!(metrics.lines().any(|l| l == "attune_ledger_drift 2"), "{metrics}");
}

#[tokio::test]
async fn the_dashboard_shows_available_credit_by_lot_and_history_with_running_balance() {
    let app = spawn_app().await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    let empty: serde_json::Value = b.call("account/credits", &[]).await.json().await.unwrap();
    assert_eq!(empty["available"], 0);
    let soon = app.state.clock.now() + jiff::SignedDuration::from_hours(2);
    grant(&app, user.id, 10, LotSource::Paid, None, "paid").await;
    grant(&app, user.id, 4, LotSource::Promotional, Some(soon), "promo").await;
    spend(&app.pool, &app, user.id, 6, "spend").await.unwrap();

    let c: serde_json::Value = b.call("account/credits", &[]).await.json().await.unwrap();
    assert_eq!(c["available"], 8);
    let lots: Vec<(i64, i64)> = c["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["remaining"].as_i64().unwrap(), l["granted"].as_i64().unwrap()))
        .collect();
    assert_eq!(lots, vec![(8, 10)], "the promotional lot is used up");
    let history: Vec<(String, i64, i64)> = c["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_owned(),
                m["change"].as_i64().unwrap(),
                m["balance_after"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(history, vec![("spend".into(), -6, 8), ("bonus".into(), 4, 14), ("purchase".into(), 10, 10)]);

    let html = b.get("/dashboard").await.text().await.unwrap().replace("<!>", "");
    assert!(html.contains(r#"data-testid="credits-available">8</strong>"#), "available credit is shown");
    assert!(html.contains("<td>-6</td><td>8</td>"), "history with the balance after each movement");

    let (mut other, _) = app.browser_as(Role::Customer).await;
    let theirs: serde_json::Value = other.call("account/credits", &[]).await.json().await.unwrap();
    assert_eq!(theirs["available"], 0, "each person sees only their own credits");
    assert_eq!(Browser::new(&app).call("account/credits", &[]).await.status(), StatusCode::UNAUTHORIZED);
}

/// A page as a browser asks for it, with the Leptos text markers removed.
async fn html_page(b: &Browser<'_>, path: &str) -> String {
    let mut req = reqwest::Client::new().get(format!("{}{path}", b.app.base)).header("accept", "text/html");
    if let Some(cookie) = &b.cookie {
        req = req.header("cookie", cookie);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap().replace("<!>", "")
}

const LOTS_HEADING: &str = "Your credit, in the order it is spent";

/// The cells of each body row of the first table after `marker`.
fn table_rows(html: &str, marker: &str) -> Vec<Vec<String>> {
    let from = html.find(marker).unwrap_or_else(|| panic!("{marker:?} missing from {html}"));
    let rest = &html[from..];
    let body = &rest[rest.find("<tbody>").expect("a table body") + "<tbody>".len()..];
    let body = &body[..body.find("</tbody>").expect("the table body ends")];
    body.split("<tr>")
        .skip(1)
        .map(|row| row.split("<td>").skip(1).map(|cell| cell[..cell.find("</td>").unwrap()].to_owned()).collect())
        .collect()
}

/// The `datetime` and the text of the `<time>` element in `cell`.
fn time_in(cell: &str) -> (String, String) {
    let start = cell.find("datetime=\"").unwrap_or_else(|| panic!("no <time> in {cell}")) + "datetime=\"".len();
    let datetime = &cell[start..start + cell[start..].find('"').unwrap()];
    let text_start = start + cell[start..].find('>').unwrap() + 1;
    let text = &cell[text_start..text_start + cell[text_start..].find("</time>").unwrap()];
    (datetime.to_owned(), text.to_owned())
}

/// The dashboard lists each lot with its expiry: the server function gives the instant,
/// and the page shows it in the customer's own zone (lots that never expire say so);
/// once a lot's expiry has passed, it is no longer listed or counted.
#[tokio::test]
async fn the_dashboard_shows_each_lot_with_its_expiry_in_the_customers_zone() {
    let app = spawn_app().await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    let profile = [("name", "Test Person"), ("phone", ""), ("time_zone", "Asia/Kathmandu")];
    assert_eq!(b.call("account/profile/update", &profile).await.status(), StatusCode::OK);
    let zone = TimeZone::parse("Asia/Kathmandu").unwrap();
    // On a whole second, so the instants below are exactly what the database keeps.
    let past = app.state.clock.now().subsec_nanosecond();
    app.advance(Duration::from_nanos(u64::try_from(1_000_000_000 - past).unwrap()));
    let now = app.state.clock.now();
    let in_a_month = now + SignedDuration::from_hours(24 * 30);
    let soon = now + SignedDuration::from_mins(76 * 60 + 30);

    let pack = package(&app, &[("validity_days", "30")]).await;
    let (number, session) = buy(&mut b, &pack).await;
    settle(&mut b, &session, "approve").await;
    app.run_jobs().await;
    assert_eq!(status(&app, &number).await, "paid");
    let mut tx = app.pool.begin().await.unwrap();
    for (n, source, kind, expires, key) in [
        (5, LotSource::Promotional, Kind::Bonus, Some(soon), "dashboard:promo"),
        (7, LotSource::Paid, Kind::Purchase, None, "dashboard:paid"),
    ] {
        let m = Movement { kind, key, actor: None, reference: None, reason: None, at: now };
        ledger::grant(&mut tx, user.id, credits(n), source, expires, &m).await.unwrap();
    }
    tx.commit().await.unwrap();

    let overview: Value = b.call("account/credits", &[]).await.json().await.unwrap();
    assert_eq!(overview["available"], 24);
    let lots: Vec<(bool, i64, Option<Timestamp>)> = overview["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let expires = l["expires_at"].as_str().map(|at| at.parse::<Timestamp>().unwrap());
            (l["promotional"].as_bool().unwrap(), l["remaining"].as_i64().unwrap(), expires)
        })
        .collect();
    assert_eq!(
        lots,
        [(true, 5, Some(soon)), (true, 2, Some(in_a_month)), (false, 10, Some(in_a_month)), (false, 7, None)],
        "each lot with its expiry, in the order it is spent"
    );

    let shown = show(soon, &zone, Style::DateTime);
    assert!(shown.ends_with("UTC+05:45") && shown != show(soon, &TimeZone::utc(), Style::DateTime), "{shown}");
    let row = |kind: &str, left: i64, expires: Option<Timestamp>| {
        let when = expires
            .map_or_else(|| "Never".to_owned(), |at| format!("{}|{}", machine(at), show(at, &zone, Style::DateTime)));
        vec![kind.to_owned(), left.to_string(), left.to_string(), when]
    };
    let read = |html: &str| -> Vec<Vec<String>> {
        table_rows(html, LOTS_HEADING)
            .into_iter()
            .map(|mut cells| {
                if cells[3] != "Never" {
                    let (datetime, text) = time_in(&cells[3]);
                    cells[3] = format!("{datetime}|{text}");
                }
                cells
            })
            .collect()
    };
    assert_eq!(
        read(&html_page(&b, "/dashboard").await),
        [
            row("Promotional", 5, Some(soon)),
            row("Promotional", 2, Some(in_a_month)),
            row("Paid", 10, Some(in_a_month)),
            row("Paid", 7, None),
        ]
    );

    app.advance(Duration::from_secs(77 * 3600));
    assert_eq!(b.log_in(&user.email, PASSWORD).await.status(), StatusCode::OK, "the session ended meanwhile");
    let later: Value = b.call("account/credits", &[]).await.json().await.unwrap();
    assert_eq!(later["available"], 19, "the expired lot is not counted");
    assert_eq!(
        read(&html_page(&b, "/dashboard").await),
        [row("Promotional", 2, Some(in_a_month)), row("Paid", 10, Some(in_a_month)), row("Paid", 7, None)]
    );
}

#[tokio::test]
async fn zero_credit_movements_are_refused_by_every_primitive_and_write_nothing() {
    let app = spawn_app().await;
    let user = app.user(Role::Customer).await.id;
    let mut tx = app.pool.begin().await.unwrap();
    let zero = Credits::new(0).unwrap();
    let g = ledger::grant(&mut tx, user, zero, LotSource::Paid, None, &movement(&app, Kind::Purchase, "g"))
        .await
        .unwrap_err();
    let s = ledger::spend(&mut tx, user, zero, &movement(&app, Kind::Spend, "s")).await.unwrap_err();
    let m = Movement { actor: Some(user), reason: Some("none"), ..movement(&app, Kind::Adjustment, "a") };
    let a = ledger::adjust(&mut tx, user, 0, &m).await.unwrap_err();
    for err in [g, s, a] {
        assert!(matches!(err, Failure::User(AppError::Invalid(_))), "{err:?}");
    }
    drop(tx);
    assert_eq!(count(&app.pool, "ledger_transactions").await, 0);
}

#[tokio::test]
async fn admin_adjustments_racing_over_http_on_two_instances_take_exactly_the_balance() {
    let app = spawn_app().await;
    let other = TestApp::builder().sharing_database_of(&app).spawn().await;
    let customer = app.user(Role::Customer).await;
    let number: i64 = sqlx::query_scalar("SELECT code FROM users WHERE id = $1")
        .bind(customer.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let code = format!("U{number}");
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let key = Uuid::new_v4().to_string();
    let give = [("user_code", code.as_str()), ("delta", "100"), ("reason", "opening balance"), ("key", key.as_str())];
    assert_eq!(admin.call("admin/credits/adjust", &give).await.status(), StatusCode::OK);

    let cookie = admin.cookie.clone();
    let takes = (0..200).map(|i| {
        let mut b = Browser::new(if i % 2 == 0 { &app } else { &other });
        b.cookie = cookie.clone();
        let code = code.clone();
        async move {
            let key = Uuid::new_v4().to_string();
            let form = [("user_code", code.as_str()), ("delta", "-1"), ("reason", "race"), ("key", key.as_str())];
            b.call("admin/credits/adjust", &form).await.status()
        }
    });
    let statuses = futures::future::join_all(takes).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let short = statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count();
    assert_eq!((ok, short), (100, 100), "{statuses:?}");
    let balance: i64 = sqlx::query_scalar("SELECT balance FROM wallet_balances WHERE user_id = $1")
        .bind(customer.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(balance, 0);
    let audits: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'credits.adjusted'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(audits, 101, "one audit entry per adjustment that moved credits");
    let mut conn = app.pool.acquire().await.unwrap();
    assert!(ledger::check(&mut conn).await.unwrap().is_clean());
}
