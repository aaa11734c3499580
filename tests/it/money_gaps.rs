//! Gaps in the money path: generated ledger sequences checked against the rules,
//! absurd admin adjustments, editing credit packages, lot expiry on the dashboard, and
//! `charge.refunded` events delivered many times at once.

use crate::helpers::*;
use crate::orders::{balance, buy, ledger_is_clean, location, package, settle, status};
use attune::domain::datetime::{Style, machine, show};
use attune::domain::ledger::{ADJUSTMENT_MAX, Lot, LotSource, allocate};
use attune::domain::{AppError, Credits, Role, TimeZone};
use attune::server::error::Failure;
use attune::server::ledger::{self, Kind, Movement, Posted};
use attune::server::payments::signature;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::{Strategy, any, prop_assert, prop_assert_eq, prop_oneof};
use proptest::test_runner::{Config, TestCaseError, TestCaseResult, TestRunner};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

fn credits(n: i64) -> Credits {
    Credits::new(n).unwrap()
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

/// The account number an admin types for `user`.
async fn user_code(app: &TestApp, user: Uuid) -> String {
    let number: i64 =
        sqlx::query_scalar("SELECT code FROM users WHERE id = $1").bind(user).fetch_one(&app.pool).await.unwrap();
    format!("U{number}")
}

// Generated ledger sequences.

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

// Admin adjustments.

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

// Credit packages.

/// (price, credits, bonus credits, validity in days) of an order.
async fn order_terms(app: &TestApp, number: &str) -> (i64, i64, i64, Option<i32>) {
    sqlx::query_as("SELECT price_minor, credits, bonus_credits, validity_days FROM orders WHERE number = $1")
        .bind(number)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Editing a package changes it in place, audited, and the shop lists and sells it on
/// the new terms from then on; an order placed before keeps the price, credits and
/// validity it was placed with, is paid at that price and grants those credits.
#[tokio::test]
async fn an_edited_package_sells_on_its_new_terms_and_orders_already_placed_keep_theirs() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    let (old, old_session) = buy(&mut b, &pack).await;

    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let edit = [
        ("id", pack.as_str()),
        ("name", "Starter plus"),
        ("credits", "15"),
        ("bonus_credits", "3"),
        ("price", "59.50"),
        ("currency", "EUR"),
        ("active", "on"),
        ("position", "1"),
        ("badge", "New terms"),
        ("validity_days", "30"),
    ];
    assert_eq!(location(&admin.call("admin/packages/save", &edit).await), "/admin/packages?saved=1");
    assert_eq!(count(&app.pool, "credit_packages").await, 1, "changed in place, not added");
    let audited: Vec<Value> =
        sqlx::query_scalar("SELECT details FROM audit_log WHERE action = 'package.updated' AND subject_id = $1")
            .bind(Uuid::parse_str(&pack).unwrap())
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!((audited[0]["price_minor"].clone(), audited[0]["credits"].clone()), (json!(5950), json!(15)));

    let on_sale: Value = Browser::new(&app).call("credits/packages", &[]).await.json().await.unwrap();
    assert_eq!(
        on_sale,
        json!([{
            "id": pack.as_str(), "name": "Starter plus", "credits": 15, "bonus_credits": 3, "price_minor": 5950,
            "currency": "EUR", "active": true, "position": 1, "badge": "New terms", "validity_days": 30,
        }])
    );
    let shop = Browser::new(&app).get("/credits").await.text().await.unwrap().replace("<!>", "");
    for shown in ["Starter plus", "€59.50", " + 3 bonus", "New terms", "Valid for 30 days after purchase."] {
        assert!(shop.contains(shown), "{shown:?} missing from the shop: {shop}");
    }
    assert!(!shop.contains("€49.00"), "the old price is gone from the shop: {shop}");

    assert_eq!(order_terms(&app, &old).await, (4900, 10, 2, None), "the order keeps what it was placed with");
    let mine: Value = b.call("orders/mine", &[]).await.json().await.unwrap();
    let placed =
        mine.as_array().unwrap().iter().find(|o| o["number"] == old.as_str()).expect("the order placed before");
    assert_eq!(
        (placed["item_name"].clone(), placed["price"]["card"]["minor"].clone(), placed["credits"].clone()),
        (json!("Starter"), json!(4900), json!(10))
    );
    let checkout = b.get(&format!("/sandbox/checkout/{old_session}")).await.text().await.unwrap();
    assert!(checkout.contains("€49.00") && !checkout.contains("€59.50"), "{checkout}");
    settle(&mut b, &old_session, "approve").await;
    app.run_jobs().await;
    assert_eq!(status(&app, &old).await, "paid");
    assert_eq!(balance(&app, user.id).await, 12, "10 + 2 credits, as when it was placed");

    let (new, new_session) = buy(&mut b, &pack).await;
    assert_eq!(order_terms(&app, &new).await, (5950, 15, 3, Some(30)));
    settle(&mut b, &new_session, "approve").await;
    app.run_jobs().await;
    assert_eq!(status(&app, &new).await, "paid");
    assert_eq!(balance(&app, user.id).await, 30);
    let lots: Vec<(String, i64, bool)> =
        sqlx::query_as("SELECT source::text, granted, expires_at IS NOT NULL FROM credit_lots ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        lots,
        [
            ("paid".into(), 10, false),
            ("promotional".into(), 2, false),
            ("paid".into(), 15, true),
            ("promotional".into(), 3, true)
        ]
    );
    ledger_is_clean(&app).await;
}

/// Saving a package under an id no package has, or under something that is not an id,
/// is not found, and neither adds a package nor changes the one there is.
#[tokio::test]
async fn saving_a_package_under_an_unknown_or_malformed_id_is_not_found_and_writes_nothing() {
    let app = spawn_app().await;
    let pack = package(&app, &[]).await;
    let (mut admin, _) = app.browser_as(Role::Admin).await;
    let written = || async {
        let audits: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'package.%'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        (count(&app.pool, "credit_packages").await, audits)
    };
    let before = written().await;
    let unknown = Uuid::new_v4().to_string();
    let nil = Uuid::nil().to_string();
    let too_long = format!("{pack}0");
    for id in
        [unknown.as_str(), nil.as_str(), "not-a-uuid", too_long.as_str(), "12345", "'; DELETE FROM credit_packages; --"]
    {
        let form = [
            ("id", id),
            ("name", "Ghost"),
            ("credits", "5"),
            ("bonus_credits", ""),
            ("price", "5"),
            ("currency", "EUR"),
            ("active", "on"),
            ("position", ""),
            ("badge", ""),
            ("validity_days", ""),
        ];
        let (code, err) = error_of(admin.call("admin/packages/save", &form).await).await;
        assert_eq!((code, err), (StatusCode::NOT_FOUND, json!("NotFound")), "{id:?}");
    }
    assert_eq!(written().await, before, "nothing added, changed or audited");
    let on_sale: Value = Browser::new(&app).call("credits/packages", &[]).await.json().await.unwrap();
    let names: Vec<(&str, i64)> = on_sale
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["price_minor"].as_i64().unwrap()))
        .collect();
    assert_eq!(names, [("Starter", 4900)], "the package there is is unchanged");
}

// The dashboard.

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

// Refund events.

/// A customer's paid order of the 10 + 2 credit pack at €49.00: (order, checkout
/// session, customer).
async fn paid_order(app: &TestApp) -> (String, String, TestUser) {
    let pack = package(app, &[]).await;
    let (mut b, user) = app.browser_as(Role::Customer).await;
    let (number, session) = buy(&mut b, &pack).await;
    settle(&mut b, &session, "approve").await;
    app.run_jobs().await;
    assert_eq!(status(app, &number).await, "paid");
    (number, session, user)
}

async fn refund_order(admin: &mut Browser<'_>, number: &str, credits: &str, expected: &str) -> reqwest::Response {
    let key = Uuid::new_v4().to_string();
    let form = [
        ("order", number),
        ("credits", credits),
        ("expected_amount_minor", expected),
        ("reason", "Customer asked"),
        ("key", key.as_str()),
    ];
    admin.call("admin/orders/refund", &form).await
}

/// A provider's `charge.refunded` event for the €49.00 charge of `session`, listing one
/// settled refund that carries our refund's id.
fn charge_refunded(event: &str, session: &str, refund: Uuid, provider_refund: &str) -> Vec<u8> {
    let suffix = session.trim_start_matches("cs_sandbox_");
    serde_json::to_vec(&json!({
        "id": event, "object": "event", "type": "charge.refunded",
        "data": { "object": {
            "id": format!("ch_sandbox_{suffix}"), "object": "charge", "amount": 4900, "amount_refunded": 4900,
            "currency": "eur", "payment_intent": format!("pi_sandbox_{suffix}"), "refunded": true,
            "refunds": { "object": "list", "data": [{
                "id": provider_refund, "object": "refund", "amount": 4900, "currency": "eur", "status": "succeeded",
                "metadata": { "refund_id": refund.to_string() },
            }] },
        } },
    }))
    .unwrap()
}

/// A provider's `checkout.session.completed` event saying `session` collected €49.00.
fn session_completed(event: &str, session: &str, number: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": event, "object": "event", "type": "checkout.session.completed",
        "data": { "object": {
            "id": session, "object": "checkout.session", "client_reference_id": number,
            "amount_total": 4900, "currency": "eur", "status": "complete", "payment_status": "paid",
        } },
    }))
    .unwrap()
}

/// A fixed shuffle, so a failure can be replayed.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

/// Delivers every body to the webhook at once, each signed as the provider signs.
async fn deliver_at_once(app: &TestApp, bodies: &[Vec<u8>]) -> Vec<StatusCode> {
    let client = reqwest::Client::new();
    let secret = app.state.config.payments.webhook_secret();
    let at = app.state.clock.now().as_second();
    let posts = bodies.iter().map(|body| {
        let req = client
            .post(format!("{}/webhooks/payments", app.base))
            .header("stripe-signature", signature::sign(secret, at, body))
            .body(body.clone());
        async move { req.send().await.unwrap().status() }
    });
    futures::future::join_all(posts).await
}

/// Each movement of the user's wallet, oldest first: (kind, change).
async fn wallet_moves(app: &TestApp, user: Uuid) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT t.kind::text, sum(e.amount)::bigint FROM ledger_transactions t
         JOIN ledger_entries e ON e.transaction_id = t.id JOIN ledger_accounts a ON a.id = e.account_id
         WHERE a.user_id = $1 GROUP BY t.id ORDER BY t.id",
    )
    .bind(user)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// The order's status history: (from, to, who).
async fn history(app: &TestApp, number: &str) -> Vec<(Option<String>, String, Option<Uuid>)> {
    sqlx::query_as(
        "SELECT t.from_status, t.to_status, t.actor_id FROM order_transitions t JOIN orders o ON o.id = t.order_id
         WHERE o.number = $1 ORDER BY t.id",
    )
    .bind(number)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

async fn emails(app: &TestApp, template: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE template = $1")
        .bind(template)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A refund the provider did not answer at once stays pending with its credits taken
/// back. The provider's `charge.refunded` events for it (two of them, each delivered
/// five times at once, shuffled among five repeats of the payment's event) confirm it
/// exactly once: one credit note, one move to refunded by the admin who asked, one
/// email, the credits taken back once and not granted again; the safety-net job then
/// asks the provider nothing more.
#[tokio::test]
async fn charge_refunded_events_delivered_five_times_at_once_confirm_a_pending_refund_once() {
    let app = spawn_app().await;
    let (number, session, user) = paid_order(&app).await;
    sqlx::query("ALTER TABLE sandbox_refunds RENAME TO sandbox_refunds_away").execute(&app.pool).await.unwrap();
    let (mut admin, admin_user) = app.browser_as(Role::Admin).await;
    let res = refund_order(&mut admin, &number, "10", "4900").await;
    assert_eq!(location(&res), format!("/admin/orders/{number}?refund=pending"));
    assert_eq!(status(&app, &number).await, "paid");
    assert_eq!(balance(&app, user.id).await, 0, "the credits are taken back while the refund is under way");
    let refund: Uuid = sqlx::query_scalar("SELECT id FROM refunds").fetch_one(&app.pool).await.unwrap();

    let mut deliveries = Vec::new();
    for body in [
        charge_refunded("evt_refund_1", &session, refund, "re_provider_1"),
        charge_refunded("evt_refund_2", &session, refund, "re_provider_1"),
        session_completed("evt_late_payment", &session, &number),
    ] {
        for _ in 0..5 {
            deliveries.push(body.clone());
        }
    }
    shuffle(&mut deliveries, 0x2545_f491_4f6c_dd1d);
    let codes = deliver_at_once(&app, &deliveries).await;
    assert!(codes.iter().all(|c| *c == StatusCode::OK), "{codes:?}");

    let stored: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, status FROM payment_events
         WHERE id IN ('evt_refund_1', 'evt_refund_2', 'evt_late_payment') ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        stored,
        [
            ("evt_late_payment".into(), "processed".into()),
            ("evt_refund_1".into(), "processed".into()),
            ("evt_refund_2".into(), "processed".into()),
        ],
        "each event stored once"
    );
    let year = jiff::tz::TimeZone::UTC.to_datetime(app.state.clock.now()).year();
    let settled: (String, Option<String>, Option<String>) =
        sqlx::query_as("SELECT status, provider_refund_id, credit_note_number FROM refunds")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(settled, ("succeeded".into(), Some("re_provider_1".into()), Some(format!("CN-{year}-000001"))));
    assert_eq!(status(&app, &number).await, "refunded");
    assert_eq!(
        history(&app, &number).await,
        [
            (None, "pending_payment".into(), Some(user.id)),
            (Some("pending_payment".into()), "paid".into(), None),
            (Some("paid".into()), "refunded".into(), Some(admin_user.id)),
        ]
    );
    let why: String = sqlx::query_scalar("SELECT reason FROM order_transitions ORDER BY id DESC LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(why, format!("Refunded €49.00 (CN-{year}-000001): Customer asked"));
    assert_eq!(
        wallet_moves(&app, user.id).await,
        [("purchase".into(), 10), ("bonus".into(), 2), ("refund".into(), -12)],
        "granted once and taken back once"
    );
    assert_eq!(balance(&app, user.id).await, 0);
    assert_eq!((emails(&app, "order_paid").await, emails(&app, "order_refunded").await), (1, 1));

    sqlx::query("ALTER TABLE sandbox_refunds_away RENAME TO sandbox_refunds").execute(&app.pool).await.unwrap();
    app.advance(Duration::from_secs(180));
    app.run_jobs().await;
    let finished: String =
        sqlx::query_scalar("SELECT status FROM jobs WHERE kind = 'finish_refund'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(finished, "done");
    assert_eq!(count(&app.pool, "sandbox_refunds").await, 0, "a confirmed refund is not asked for again");
    assert_eq!(count(&app.pool, "refunds").await, 1);
    assert_eq!(status(&app, &number).await, "refunded");
    ledger_is_clean(&app).await;
}

/// The `charge.refunded` event the sandbox sends for a refund it answered at once,
/// delivered five times at once and then once more by its own queue, is stored once
/// and changes nothing: the credits stay taken back once, and the order keeps one move
/// to refunded, one credit note and one email.
#[tokio::test]
async fn the_providers_charge_refunded_event_for_a_settled_refund_delivered_five_times_at_once_changes_nothing() {
    let app = spawn_app().await;
    let (number, _, user) = paid_order(&app).await;
    let (mut admin, admin_user) = app.browser_as(Role::Admin).await;
    let res = refund_order(&mut admin, &number, "10", "4900").await;
    assert_eq!(location(&res), format!("/admin/orders/{number}?refund=succeeded"));
    let event: Value = sqlx::query_scalar(
        "SELECT payload->'event' FROM jobs
         WHERE kind = 'sandbox_event' AND status = 'queued' AND payload->'event'->>'type' = 'charge.refunded'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let id = event["id"].as_str().expect("the event's id").to_owned();
    let body = serde_json::to_vec(&event).unwrap();
    let deliveries = vec![body; 5];
    let codes = deliver_at_once(&app, &deliveries).await;
    assert!(codes.iter().all(|c| *c == StatusCode::OK), "{codes:?}");
    app.run_jobs().await;
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT id, status FROM payment_events WHERE type = 'charge.refunded'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored, [(id, "processed".to_owned())], "stored once, however often it came");

    assert_eq!(status(&app, &number).await, "refunded");
    let (_, _, last) = history(&app, &number).await.pop().expect("a history");
    assert_eq!(last, Some(admin_user.id));
    let refunded: Vec<String> = history(&app, &number).await.into_iter().map(|(_, to, _)| to).collect();
    assert_eq!(refunded, ["pending_payment", "paid", "refunded"]);
    let notes: Vec<Option<String>> =
        sqlx::query_scalar("SELECT credit_note_number FROM refunds").fetch_all(&app.pool).await.unwrap();
    let year = jiff::tz::TimeZone::UTC.to_datetime(app.state.clock.now()).year();
    assert_eq!(notes, [Some(format!("CN-{year}-000001"))]);
    assert_eq!(
        wallet_moves(&app, user.id).await,
        [("purchase".into(), 10), ("bonus".into(), 2), ("refund".into(), -12)],
        "granted once and taken back once"
    );
    assert_eq!(emails(&app, "order_refunded").await, 1);
    assert_eq!(count(&app.pool, "sandbox_refunds").await, 1);
    ledger_is_clean(&app).await;
}
