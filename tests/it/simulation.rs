//! A seeded, randomized simulation of the platform in use: customers, practitioners and
//! an admin perform random sequences of real operations through the server functions of
//! two app instances on one database, while faults are injected (every database
//! connection killed, the worker stopped mid-job, provider events delivered again,
//! late or out of order, the clock jumped across days and a daylight-saving change).
//! Every answer is judged as it comes (nobody sees another's order, no request fails
//! outside a fault), and the database-wide invariants are checked after every step: the
//! ledger balances and no wallet is negative, no two sessions overlap, every paid order
//! was fulfilled exactly once, no refund exceeds its payment, no hold outlives its order,
//! no email is sent twice.
//!
//! `SIM_SEED` replays a run (a failure prints its seed and the steps leading to it);
//! `SIM_STEPS` sets its length (400 here, so the test suite stays quick; `scripts/simulate`
//! runs the long one). Those checks read every row, so a long run makes them every
//! `SIM_CHECK_EVERY` steps instead (and after the last); a failure then shows every step
//! since the previous check, and a replay with `SIM_CHECK_EVERY=1` finds the exact one.

use crate::booking::session_service;
use crate::checkout::give_credits;
use crate::helpers::*;
use crate::orders::package;
use attune::domain::Role;
use attune::server::payments::signature;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::{Connection, PgConnection};
use std::time::Duration;
use uuid::Uuid;

/// SplitMix64: small, fast and the same on every machine, so a seed replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// Someone using the platform: signed in through either instance with one session.
struct Actor<'a> {
    email: String,
    browsers: [Browser<'a>; 2],
}

impl<'a> Actor<'a> {
    async fn new(apps: [&'a TestApp; 2], email: String) -> Actor<'a> {
        let mut first = Browser::new(apps[0]);
        assert_eq!(first.log_in(&email, PASSWORD).await.status(), StatusCode::OK);
        let mut second = Browser::new(apps[1]);
        second.cookie = first.cookie.clone();
        Actor { email, browsers: [first, second] }
    }

    /// Calls `endpoint` through instance `via`, signing in again if the session lapsed
    /// while the clock moved.
    async fn call(&mut self, via: usize, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let res = self.browsers[via].call(endpoint, form).await;
        if res.status() != StatusCode::UNAUTHORIZED {
            self.share_cookie(via);
            return res;
        }
        let email = self.email.clone();
        let login = self.browsers[via].log_in(&email, PASSWORD).await;
        if login.status().is_server_error() {
            // Judged by the caller as the operation's own answer: allowed only during a fault.
            return login;
        }
        assert_eq!(login.status(), StatusCode::OK);
        self.share_cookie(via);
        self.browsers[via].call(endpoint, form).await
    }

    fn share_cookie(&mut self, from: usize) {
        let cookie = self.browsers[from].cookie.clone();
        self.browsers[1 - from].cookie = cookie;
    }
}

/// An order the simulation placed, and whose it is.
struct Placed {
    customer: usize,
    number: String,
    practitioner: Option<usize>,
}

struct World<'a> {
    apps: [&'a TestApp; 2],
    rng: Rng,
    customers: Vec<Actor<'a>>,
    practitioners: Vec<(Actor<'a>, String)>,
    admin: Actor<'a>,
    pack: String,
    orders: Vec<Placed>,
    /// Sandbox checkout sessions opened and not yet settled: (customer, session).
    open_sessions: Vec<(usize, String)>,
    /// Steps left during which a failed request is the injected fault's doing.
    fault_window: usize,
    /// When the database connections were last killed. A pool hands out a connection
    /// returned less than `pool::RECENTLY_USED` ago without checking it, so a dead one
    /// can fail a request for that long after the kill, however many steps ran since.
    killed_at: Option<std::time::Instant>,
    log: Vec<String>,
    checker: PgConnection,
}

fn location_of(res: &reqwest::Response) -> Option<String> {
    res.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned)
}

impl<'a> World<'a> {
    fn now(&self) -> Timestamp {
        self.apps[0].state.clock.now()
    }

    fn via(&mut self) -> usize {
        self.rng.below(2)
    }

    /// A start on the hour or half hour, 0 to 20 days ahead, in working hours or just
    /// outside them, London time.
    fn some_time(&mut self) -> String {
        let tz = jiff::tz::db().get("Europe/London").unwrap();
        let today = self.now().to_zoned_datetime(tz.clone()).date();
        let day = today.checked_add(jiff::Span::new().days(self.rng.below(21) as i64)).unwrap();
        let hour = 8 + self.rng.below(10) as i8;
        let minute = if self.rng.chance(50) { 0 } else { 30 };
        let at = day.at(hour, minute, 0, 0).to_zoned_datetime(tz).unwrap().timestamp();
        attune::domain::datetime::machine(at)
    }

    /// Fails the run unless `res` is an answer the operation may give: success, a
    /// refusal, or (while a fault is in effect) a failure.
    fn expect_answer(&mut self, what: &str, status: StatusCode) {
        self.log.push(format!("{what} -> {status}"));
        if status.is_server_error() && !self.faulty() {
            panic!("{what} answered {status} with no fault injected");
        }
    }

    async fn step(&mut self) {
        self.fault_window = self.fault_window.saturating_sub(1);
        match self.rng.below(100) {
            0..=13 => self.book(false).await,
            14..=22 => self.book(true).await,
            23..=34 => self.settle().await,
            35..=41 => self.buy_credits().await,
            42..=47 => self.cancel(false).await,
            48..=50 => self.cancel(true).await,
            51..=55 => self.reschedule().await,
            56..=58 => self.close().await,
            59..=61 => self.refund().await,
            62..=64 => self.change_policy().await,
            65..=68 => self.peek_at_another_order().await,
            69..=80 => self.advance_clock(),
            81..=90 => self.run_jobs().await,
            91..=94 => self.replay_event().await,
            95..=96 => self.stop_worker_mid_job().await,
            97 => self.kill_connections().await,
            _ => self.pay_again().await,
        }
    }

    async fn book(&mut self, by_card: bool) {
        let Some(c) = (!self.customers.is_empty()).then(|| self.rng.below(self.customers.len())) else { return };
        let p = self.rng.below(self.practitioners.len());
        let slug = self.practitioners[p].1.clone();
        let (at, key, via) = (self.some_time(), Uuid::new_v4().to_string(), self.via());
        let email = self.customers[c].email.clone();
        let res = self.customers[c]
            .call(
                via,
                "checkout/details",
                &[
                    ("order", ""),
                    ("service", &slug),
                    ("key", &key),
                    ("at", &at),
                    ("tz", ""),
                    ("name", "Sim"),
                    ("email", &email),
                ],
            )
            .await;
        self.expect_answer(&format!("customer {c} starts a booking at {at}"), res.status());
        let Some(number) = location_of(&res).and_then(|l| l.strip_prefix("/checkout/").map(str::to_owned)) else {
            return;
        };
        self.orders.push(Placed { customer: c, number: number.clone(), practitioner: Some(p) });
        let method = if by_card { "card" } else { "credits" };
        let via = self.via();
        let res = self.customers[c].call(via, "checkout/pay", &[("order", &number), ("method", method)]).await;
        self.expect_answer(&format!("customer {c} pays {number} by {method}"), res.status());
        if let Some(session) = location_of(&res).and_then(|l| l.strip_prefix("/sandbox/checkout/").map(str::to_owned)) {
            self.open_sessions.push((c, session));
        }
    }

    async fn buy_credits(&mut self) {
        let c = self.rng.below(self.customers.len());
        let (pack, key, via) = (self.pack.clone(), Uuid::new_v4().to_string(), self.via());
        let res = self.customers[c].call(via, "credits/buy", &[("package_id", &pack), ("key", &key)]).await;
        self.expect_answer(&format!("customer {c} buys credits"), res.status());
        if let Some(session) = location_of(&res).and_then(|l| l.strip_prefix("/sandbox/checkout/").map(str::to_owned)) {
            let number: String = sqlx::query_scalar("SELECT client_reference_id FROM sandbox_sessions WHERE id = $1")
                .bind(&session)
                .fetch_one(&mut self.checker)
                .await
                .unwrap();
            self.orders.push(Placed { customer: c, number, practitioner: None });
            self.open_sessions.push((c, session));
        }
    }

    /// Approves or declines an open checkout, sometimes twice (a double click).
    async fn settle(&mut self) {
        if self.open_sessions.is_empty() {
            return;
        }
        let i = self.rng.below(self.open_sessions.len());
        let (c, session) = self.open_sessions.swap_remove(i);
        let outcome = if self.rng.chance(75) { "approve" } else { "decline" };
        for _ in 0..if self.rng.chance(15) { 2 } else { 1 } {
            let via = self.via();
            let res =
                self.customers[c].call(via, "sandbox/settle", &[("session_id", &session), ("outcome", outcome)]).await;
            self.expect_answer(&format!("customer {c} settles {session}: {outcome}"), res.status());
        }
    }

    /// Opens a second checkout for an order already being paid (a second tab).
    async fn pay_again(&mut self) {
        let Some(i) = (!self.orders.is_empty()).then(|| self.rng.below(self.orders.len())) else { return };
        let (c, number) = (self.orders[i].customer, self.orders[i].number.clone());
        if self.orders[i].practitioner.is_none() {
            return;
        }
        let via = self.via();
        let res = self.customers[c].call(via, "checkout/pay", &[("order", &number), ("method", "card")]).await;
        self.expect_answer(&format!("customer {c} opens another card checkout for {number}"), res.status());
        if let Some(session) = location_of(&res).and_then(|l| l.strip_prefix("/sandbox/checkout/").map(str::to_owned)) {
            self.open_sessions.push((c, session));
        }
    }

    fn booked(&mut self) -> Option<(usize, usize, String)> {
        let booked: Vec<&Placed> = self.orders.iter().filter(|o| o.practitioner.is_some()).collect();
        let o = self.rng.pick(&booked)?;
        Some((o.customer, o.practitioner.unwrap(), o.number.clone()))
    }

    /// Cancels a session at the refund its preview shows, as the customer or practitioner.
    async fn cancel(&mut self, by_practitioner: bool) {
        let Some((c, p, number)) = self.booked() else { return };
        let via = self.via();
        let who = if by_practitioner { &mut self.practitioners[p].0 } else { &mut self.customers[c] };
        let res = who.call(via, "orders/service", &[("order", &number)]).await;
        let status = res.status();
        let view: Value = res.json().await.unwrap_or(Value::Null);
        self.expect_answer(
            &format!("{} {number} reads it", if by_practitioner { "practitioner" } else { "customer" }),
            status,
        );
        let Some(refund) = view["booking"]["cancel"]["refund"].as_str().map(str::to_owned) else { return };
        let via = self.via();
        let who = if by_practitioner { &mut self.practitioners[p].0 } else { &mut self.customers[c] };
        let res = who.call(via, "booking/cancel", &[("order", &number), ("refund", &refund)]).await;
        self.expect_answer(&format!("cancel {number} for {refund} (by practitioner: {by_practitioner})"), res.status());
    }

    async fn reschedule(&mut self) {
        let Some((c, _, number)) = self.booked() else { return };
        let (at, via) = (self.some_time(), self.via());
        let res = self.customers[c].call(via, "booking/reschedule", &[("order", &number), ("at", &at)]).await;
        self.expect_answer(&format!("customer {c} moves {number} to {at}"), res.status());
    }

    async fn close(&mut self) {
        let Some((_, p, number)) = self.booked() else { return };
        let outcome = if self.rng.chance(80) { "completed" } else { "no_show" };
        let via = self.via();
        let res = self.practitioners[p]
            .0
            .call(via, "booking/close", &[("order", &number), ("outcome", outcome), ("notes", "")])
            .await;
        self.expect_answer(&format!("practitioner {p} closes {number} as {outcome}"), res.status());
    }

    /// An admin refunds part or all of a credit pack, confirming the previewed amount.
    async fn refund(&mut self) {
        let packs: Vec<&Placed> = self.orders.iter().filter(|o| o.practitioner.is_none()).collect();
        let Some(number) = self.rng.pick(&packs).map(|o| o.number.clone()) else { return };
        let credits = (1 + self.rng.below(12)).to_string();
        let via = self.via();
        let res =
            self.admin.call(via, "admin/orders/refund/preview", &[("order", &number), ("credits", &credits)]).await;
        let status = res.status();
        let preview: Value = res.json().await.unwrap_or(Value::Null);
        self.expect_answer(&format!("admin previews a refund of {credits} credits of {number}"), status);
        let Some(amount) = preview["amount_minor"].as_i64().map(|a| a.to_string()) else { return };
        let (key, via) = (Uuid::new_v4().to_string(), self.via());
        let res = self
            .admin
            .call(
                via,
                "admin/orders/refund",
                &[
                    ("order", &number),
                    ("credits", &credits),
                    ("expected_amount_minor", &amount),
                    ("reason", "Simulated request"),
                    ("key", &key),
                ],
            )
            .await;
        self.expect_answer(&format!("admin refunds {credits} credits of {number}"), res.status());
    }

    /// A practitioner changes their cancellation policy (and keeps their hours).
    async fn change_policy(&mut self) {
        let p = self.rng.below(self.practitioners.len());
        let hours = [0, 2, 24, 48, 720][self.rng.below(5)].to_string();
        let percent = [0, 25, 50, 100][self.rng.below(4)].to_string();
        let mut form: Vec<(&str, &str)> = vec![
            ("time_zone", "Europe/London"),
            ("buffer_before_minutes", "0"),
            ("buffer_after_minutes", "15"),
            ("min_notice_hours", "0"),
            ("horizon_days", "60"),
            ("full_refund_hours", &hours),
            ("late_refund_percent", &percent),
        ];
        for day in ["day_0", "day_1", "day_2", "day_3", "day_4", "day_5", "day_6"] {
            form.push((day, "09:00-17:00"));
        }
        let via = self.via();
        let res = self.practitioners[p].0.call(via, "availability/save", &form).await;
        self.expect_answer(&format!("practitioner {p} sets the policy to {hours} h / {percent} %"), res.status());
    }

    /// A customer asks for an order that is not theirs: the answer is "not found".
    async fn peek_at_another_order(&mut self) {
        let Some(i) = (!self.orders.is_empty()).then(|| self.rng.below(self.orders.len())) else { return };
        let owner = self.orders[i].customer;
        let number = self.orders[i].number.clone();
        let c = self.rng.below(self.customers.len());
        if c == owner {
            return;
        }
        let via = self.via();
        for endpoint in ["orders/service", "orders/result"] {
            let res = self.customers[c].call(via, endpoint, &[("order", &number)]).await;
            let status = res.status();
            self.expect_answer(&format!("customer {c} asks {endpoint} for {number} of customer {owner}"), status);
            if !status.is_server_error() {
                assert_eq!(status, StatusCode::NOT_FOUND, "customer {c} must not see {number} through {endpoint}");
            }
        }
    }

    /// Moves both instances' clocks: minutes, hours or days.
    fn advance_clock(&mut self) {
        let minutes = match self.rng.below(10) {
            0..=5 => 1 + self.rng.below(120),
            6..=8 => 60 + self.rng.below(23 * 60),
            _ => 24 * 60 + self.rng.below(3 * 24 * 60),
        } as u64;
        for app in self.apps {
            app.advance(Duration::from_secs(minutes * 60));
        }
        self.log.push(format!("the clock moves {minutes} minutes to {}", self.now()));
    }

    /// Runs due jobs on one instance as its worker would: a job that fails is retried
    /// later by the queue; the worker itself failing is allowed only during a fault.
    async fn run_jobs(&mut self) {
        let via = self.via();
        let registry = attune::server::worker::registry();
        let mut ran = 0;
        loop {
            match attune::server::worker::run_one(&self.apps[via].state, &registry).await {
                Ok(true) => ran += 1,
                Ok(false) => break,
                Err(e) => {
                    assert!(self.faulty(), "instance {via}'s worker failed with no fault injected: {e}");
                    break;
                }
            }
        }
        self.log.push(format!("instance {via} ran {ran} jobs"));
    }

    /// The worker stops part-way through its work, as a killed process would: its work is
    /// cut off wherever it was, and the connections it had die with it, so the database
    /// rolls back whatever it left uncommitted (as it does for a process that is gone).
    async fn stop_worker_mid_job(&mut self) {
        let via = self.via();
        let after = Duration::from_millis(self.rng.below(30) as u64);
        let registry = attune::server::worker::registry();
        let mut worker = self.apps[via].state.clone();
        let options = (*worker.pool.connect_options()).clone();
        worker.pool = attune::server::pool::options(2).connect_with(options).await.unwrap();
        let stopped = tokio::time::timeout(after, async {
            while let Ok(true) = attune::server::worker::run_one(&worker, &registry).await {}
        })
        .await
        .is_err();
        worker.pool.close().await;
        self.log.push(format!("instance {via}'s worker stopped after {after:?} (cut short: {stopped})"));
        self.fault_window = self.fault_window.max(3);
    }

    /// Every database connection of both instances is killed.
    async fn kill_connections(&mut self) {
        let killed: i64 = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_one(&mut self.checker)
        .await
        .unwrap();
        self.log.push(format!("{killed} database connections killed"));
        self.fault_window = 25;
        self.killed_at = Some(std::time::Instant::now());
    }

    /// Whether an injected fault may still explain a failure.
    fn faulty(&self) -> bool {
        self.fault_window > 0 || self.killed_at.is_some_and(|at| at.elapsed() < 2 * attune::server::pool::RECENTLY_USED)
    }

    /// A provider event delivered again, to either instance, signed afresh.
    async fn replay_event(&mut self) {
        let event: Option<(String, Value)> =
            sqlx::query_as("SELECT id, payload FROM payment_events ORDER BY random() LIMIT 1")
                .fetch_optional(&mut self.checker)
                .await
                .unwrap();
        let Some((id, payload)) = event else { return };
        let via = self.via();
        let app = self.apps[via];
        let body = serde_json::to_vec(&payload).unwrap();
        let secret = app.state.config.payments.webhook_secret().to_owned();
        let header = signature::sign(&secret, app.state.clock.now().as_second(), &body);
        let res = reqwest::Client::new()
            .post(format!("{}/webhooks/payments", app.base))
            .header("stripe-signature", header)
            .body(body)
            .send()
            .await
            .unwrap();
        self.expect_answer(&format!("event {id} delivered again to instance {via}"), res.status());
    }

    /// What must hold after every step.
    async fn check(&mut self) {
        let ledger = attune::server::ledger::check(&mut self.checker).await.unwrap();
        assert!(ledger.is_clean(), "the ledger drifted: {ledger:?}");
        let violations: Vec<(String, i64)> = sqlx::query_as(INVARIANTS).fetch_all(&mut self.checker).await.unwrap();
        let broken: Vec<_> = violations.into_iter().filter(|(_, n)| *n > 0).collect();
        assert!(broken.is_empty(), "invariants broken: {broken:?}");
    }
}

/// Each row: an invariant and how many things break it (0 expected).
const INVARIANTS: &str = "
SELECT 'sessions of one practitioner overlap', count(*) FROM bookings a JOIN bookings b
  ON a.practitioner_id = b.practitioner_id AND a.id < b.id AND a.blocks && b.blocks
  WHERE a.status IN ('held', 'confirmed') AND b.status IN ('held', 'confirmed')
UNION ALL
SELECT 'a hold outlives its order', count(*) FROM bookings b JOIN orders o ON o.id = b.order_id
  WHERE b.status = 'held' AND o.status <> 'pending_payment'
UNION ALL
SELECT 'a paid credit pack was granted other than once', count(*) FROM orders o
  WHERE o.package_id IS NOT NULL
    AND (SELECT count(*) FROM ledger_transactions t WHERE t.kind = 'purchase' AND t.reference = 'order:' || o.number)
        <> CASE WHEN o.status IN ('paid', 'refunded', 'partially_refunded') THEN 1 ELSE 0 END
UNION ALL
SELECT 'refunds exceed the payment', count(*) FROM orders o
  WHERE (SELECT COALESCE(sum(r.amount_minor), 0) FROM refunds r WHERE r.order_id = o.id AND r.status <> 'failed')
        > COALESCE(o.price_minor, 0)
UNION ALL
SELECT 'a wallet is negative', count(*) FROM wallet_balances WHERE balance < 0
UNION ALL
SELECT 'an email went out twice', count(*) FROM (
  SELECT 1 FROM email_outbox GROUP BY to_address, template, subject, body_text HAVING count(*) > 1) d
";

async fn run(seed: u64, steps: usize, check_every: usize) {
    let app = spawn_app_with(|c| {
        c.session_idle = Duration::from_secs(30 * 86_400);
        c.session_absolute = Duration::from_secs(30 * 86_400);
    })
    .await;
    let other = TestApp::builder()
        .sharing_database_of(&app)
        .config(|c| {
            c.session_idle = Duration::from_secs(30 * 86_400);
            c.session_absolute = Duration::from_secs(30 * 86_400);
        })
        .spawn()
        .await;
    // Both instances read one time: the second started a moment later.
    let lag = other.state.clock.now().duration_since(app.state.clock.now());
    app.advance(Duration::from_nanos(u64::try_from(lag.as_nanos()).unwrap_or(0)));
    let apps = [&app, &other];

    let pack = package(&app, &[("credits", "10"), ("bonus_credits", "2")]).await;
    let mut practitioners = Vec::new();
    for _ in 0..3 {
        let (slug, _) = session_service(&app, 3, 2500).await;
        let email: String = sqlx::query_scalar(
            "SELECT u.email FROM users u JOIN services s ON s.practitioner_id = u.id WHERE s.slug = $1",
        )
        .bind(&slug)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        practitioners.push((Actor::new(apps, email).await, slug));
    }
    let mut customers = Vec::new();
    for _ in 0..8 {
        let user = app.user(Role::Customer).await;
        give_credits(&app, user.id, 12).await;
        customers.push(Actor::new(apps, user.email).await);
    }
    let admin = app.user(Role::Admin).await;
    let admin = Actor::new(apps, admin.email).await;
    let checker = PgConnection::connect_with(&app.pool.connect_options()).await.unwrap();
    let mut world = World {
        apps,
        rng: Rng(seed),
        customers,
        practitioners,
        admin,
        pack,
        orders: Vec::new(),
        open_sessions: Vec::new(),
        fault_window: 0,
        killed_at: None,
        log: Vec::new(),
        checker,
    };
    let start = world.now();
    let began = std::time::Instant::now();
    // The log from the step after the last check on: what a failure may be due to.
    let mut checked: usize = 0;
    for step in 0..steps {
        let check = (step + 1) % check_every == 0 || step + 1 == steps;
        let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(async {
            world.step().await;
            if check {
                world.check().await;
            }
        }))
        .await;
        if let Err(panic) = outcome {
            let recent = world.log[checked.saturating_sub(30)..].join("\n  ");
            eprintln!(
                "simulation seed {seed} failed at step {step} (invariants checked every {check_every}); \
                 replay with SIM_SEED={seed}\n  {recent}"
            );
            std::panic::resume_unwind(panic);
        }
        if check {
            checked = world.log.len();
        }
        if (step + 1) % 10_000 == 0 {
            eprintln!("simulation seed {seed}: {} steps in {:.0?}", step + 1, began.elapsed());
        }
    }
    // Everything due runs; then no order is left half-way and the books still balance.
    world.fault_window = 0;
    app.advance(Duration::from_secs(2 * 86_400));
    other.advance(Duration::from_secs(2 * 86_400));
    world.fault_window = 1;
    world.run_jobs().await;
    world.fault_window = 0;
    let registry = attune::server::worker::registry();
    loop {
        match attune::server::worker::run_one(&app.state, &registry).await {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => assert!(world.faulty(), "the worker failed with no fault injected: {e}"),
        }
    }
    world.check().await;
    let approved_unpaid: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sandbox_sessions s JOIN orders o ON o.number = s.client_reference_id
         WHERE s.payment_status = 'paid' AND o.status IN ('pending_payment', 'payment_failed', 'expired')",
    )
    .fetch_one(&mut world.checker)
    .await
    .unwrap();
    assert_eq!(approved_unpaid, 0, "money taken without the order becoming paid (seed {seed})");
    let span = world.now().duration_since(start);
    let placed = world.orders.len();
    eprintln!(
        "simulation seed {seed}: {steps} steps over {:.0} simulated days, {placed} orders placed",
        span.as_secs_f64() / 86_400.0
    );
    assert!(span > SignedDuration::from_hours(24), "the run moved the clock");
}

fn seed() -> u64 {
    std::env::var("SIM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        t.as_nanos() as u64
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_customers_practitioners_and_admins_on_two_instances_never_break_an_invariant() {
    let steps = std::env::var("SIM_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
    let check_every = std::env::var("SIM_CHECK_EVERY").ok().and_then(|s| s.parse().ok()).unwrap_or(1).max(1);
    let seed = seed();
    eprintln!("simulation seed {seed} ({steps} steps, invariants checked every {check_every})");
    run(seed, steps, check_every).await;
}
