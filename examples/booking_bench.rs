//! Booking under load, for `bench/booking`, on a database `bench/booking` seeded: one
//! practitioner (`hot@bench.test`) with 2,000 confirmed sessions, 50 others with none,
//! and draft orders waiting to be paid at free times.
//!
//! 1. Slot finding: the month view of the busy practitioner (`availability::calendar`,
//!    one query, then `Calendar::free`), again and again for `seconds`.
//! 2. Booking: `concurrency` tasks pay draft orders in credits through
//!    `checkout::pay` (slot, spend and order in one transaction), each order by a
//!    customer of its own, first all on the busy practitioner, then spread over the 50
//!    others.
//!
//! Prints one JSON line per measurement (rate, p50 and p99 in milliseconds).
//!
//! Usage: booking_bench <database_url> <concurrency> <seconds>

use attune::domain::orders::PaidWith;
use attune::domain::types::SessionUser;
use attune::domain::{Credits, OrderNumber, Role, TimeZone, UserCode};
use attune::server::availability;
use attune::server::checkout::{self, Visitor};
use attune::server::config::{Config, Environment, PasswordCost};
use attune::server::ledger::{self, Kind, Movement};
use attune::server::state::AppState;
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

fn config() -> anyhow::Result<Config> {
    Ok(Config {
        env: Environment::Development,
        leptos: leptos::config::LeptosOptions::builder().output_name("attune").build(),
        public_url: "http://127.0.0.1".into(),
        smtp_url: None,
        mail_from: "Attune <bench@attune.invalid>".into(),
        storage: attune::server::storage::Storage::local(&std::env::temp_dir().join("attune-booking-bench"))
            .map_err(|e| anyhow::anyhow!(e))?,
        sms_url: None,
        sms_token: None,
        proxy_hops: 0,
        password_cost: PasswordCost::MinimalForTests,
        job_retention: Duration::from_secs(86_400),
        outbox_retention: Duration::from_secs(86_400),
        session_idle: Duration::from_secs(3600),
        session_absolute: Duration::from_secs(86_400),
        run_jobs: false,
        payments: attune::server::payments::Provider::sandbox(None),
        metrics_token: None,
        outbox_key: Some(attune::server::sealing::SealingKey::generate()),
    })
}

/// Milliseconds at quantile `q` of sorted `samples`.
fn quantile(samples: &[Duration], q: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

fn report(name: &str, mut samples: Vec<Duration>, elapsed: Duration, failed: usize) {
    samples.sort();
    println!(
        "{{\"measure\":\"{name}\",\"done\":{},\"failed\":{failed},\"per_second\":{:.1},\"p50_ms\":{:.2},\"p99_ms\":{:.2}}}",
        samples.len(),
        samples.len() as f64 / elapsed.as_secs_f64(),
        quantile(&samples, 0.5),
        quantile(&samples, 0.99)
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, concurrency, seconds] = args.as_slice() else {
        anyhow::bail!("usage: booking_bench <database_url> <concurrency> <seconds>");
    };
    let (concurrency, seconds): (usize, u64) = (concurrency.parse()?, seconds.parse()?);
    let pool = attune::server::pool::options(concurrency as u32 + 2).connect(url).await?;
    let state = AppState::new(pool.clone(), config()?);
    let now = Timestamp::now();

    let hot: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'hot@bench.test'").fetch_one(&pool).await?;
    let booked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM bookings WHERE practitioner_id = $1 AND status = 'confirmed'")
            .bind(hot)
            .fetch_one(&pool)
            .await?;

    // 1. The month view of the busy practitioner.
    let month = SignedDuration::from_hours(24 * 30);
    let mut samples = Vec::new();
    let mut free = 0;
    let started = Instant::now();
    let mut conn = pool.acquire().await?;
    while started.elapsed() < Duration::from_secs(seconds) {
        let t = Instant::now();
        let calendar = availability::calendar(&mut conn, hot, now, now + month, now, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .ok_or_else(|| anyhow::anyhow!("the busy practitioner has no availability"))?;
        free = calendar.free(SignedDuration::from_mins(60), now, now + month, now).len();
        samples.push(t.elapsed());
    }
    drop(conn);
    println!("{{\"measure\":\"seed\",\"booked\":{booked},\"free_in_month\":{free}}}");
    report("month_of_slots", samples, started.elapsed(), 0);

    // 2. Paying drafts, each by its own customer with credits to pay it, one group at a
    // time: all on the busy practitioner, then all on the others.
    let drafts = sqlx::query!(
        "SELECT o.number, o.practitioner_id AS \"practitioner_id!\", u.id, u.code, u.email, u.name
         FROM orders o JOIN users u ON u.id = o.user_id WHERE o.status = 'draft'"
    )
    .fetch_all(&pool)
    .await?;
    let mut tx = pool.begin().await?;
    let mut paying = Vec::new();
    for d in drafts {
        let key = format!("bench:wallet:{}", d.id);
        let m = Movement { kind: Kind::Purchase, key: &key, actor: None, reference: None, reason: None, at: now };
        ledger::grant(&mut tx, d.id, Credits::new(10)?, attune::domain::ledger::LotSource::Paid, None, &m)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let user = SessionUser {
            id: d.id,
            code: UserCode::from_number(d.code).ok_or_else(|| anyhow::anyhow!("a user code"))?,
            email: d.email,
            name: d.name,
            role: Role::Customer,
            time_zone: TimeZone::utc(),
        };
        paying.push((
            d.practitioner_id == hot,
            OrderNumber::parse(&d.number)?,
            Visitor { user: Some(user), guest_orders: Vec::new(), guest_zone: None },
        ));
    }
    tx.commit().await?;
    for (name, hot_only) in [("book_one_practitioner", true), ("book_many_practitioners", false)] {
        let group: Vec<(OrderNumber, Visitor)> =
            paying.iter().filter(|(on_hot, ..)| *on_hot == hot_only).map(|(_, n, v)| (n.clone(), v.clone())).collect();
        let queue = Arc::new(Mutex::new(group));
        let until = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let (state, queue) = (state.clone(), queue.clone());
                tokio::spawn(async move {
                    let (mut samples, mut failed) = (Vec::new(), 0);
                    while Instant::now() < until {
                        let Some((number, visitor)) = queue.lock().await.pop() else { break };
                        let t = Instant::now();
                        match checkout::pay(&state, &visitor, &number, PaidWith::Credits).await {
                            Ok(_) => samples.push(t.elapsed()),
                            Err(_) => failed += 1,
                        }
                    }
                    (samples, failed)
                })
            })
            .collect();
        let (mut samples, mut failed) = (Vec::new(), 0);
        for t in tasks {
            let (s, f) = t.await?;
            samples.extend(s);
            failed += f;
        }
        report(name, samples, started.elapsed(), failed);
    }
    Ok(())
}
