//! The app's spend primitive under load, for `bench/spend`: `wallets` customers with a
//! large balance, then `concurrency` tasks spending one credit at a time, each in its
//! own transaction through the app's own pool, for `seconds`. Prints the rate as JSON.
//!
//! Usage: spend_bench <database_url> <wallets> <concurrency> <seconds>

use attune::domain::Credits;
use attune::domain::ledger::LotSource;
use attune::server::ledger::{self, Kind, Movement};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, wallets, concurrency, seconds] = args.as_slice() else {
        anyhow::bail!("usage: spend_bench <database_url> <wallets> <concurrency> <seconds>");
    };
    let (wallets, concurrency, seconds): (usize, usize, u64) =
        (wallets.parse()?, concurrency.parse()?, seconds.parse()?);
    let pool = attune::server::pool::options(concurrency as u32).connect(url).await?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut users = Vec::with_capacity(wallets);
    for i in 0..wallets {
        let id: uuid::Uuid = sqlx::query_scalar(
            "INSERT INTO users (email, password_hash, name) VALUES ($1, 'not a hash', 'Bench') RETURNING id",
        )
        .bind(format!("bench-{run}-{i}@example.com"))
        .fetch_one(&pool)
        .await?;
        let mut tx = pool.begin().await?;
        let key = format!("bench:{run}:grant:{i}");
        let m = Movement {
            kind: Kind::Purchase,
            key: &key,
            actor: None,
            reference: None,
            reason: None,
            at: jiff::Timestamp::now(),
        };
        ledger::grant(&mut tx, id, Credits::new(1_000_000_000)?, LotSource::Paid, None, &m)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        tx.commit().await?;
        users.push(id);
    }
    // Statistics, as a database holding this many wallets has: without them the first
    // plans, kept for the whole run, are made for tables that look empty.
    sqlx::query("ANALYZE").execute(&pool).await?;
    let users = Arc::new(users);
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|t| {
            let (pool, users, done, failed, run) =
                (pool.clone(), users.clone(), done.clone(), failed.clone(), run.clone());
            tokio::spawn(async move {
                let mut seed = 0x9e37_79b9_7f4a_7c15_u64 ^ (t as u64 + 1);
                let mut n = 0u64;
                while Instant::now() < until {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let user = users[(seed % users.len() as u64) as usize];
                    let key = format!("bench:{run}:{t}:{n}");
                    n += 1;
                    let m = Movement {
                        kind: Kind::Spend,
                        key: &key,
                        actor: None,
                        reference: None,
                        reason: None,
                        at: jiff::Timestamp::now(),
                    };
                    let outcome = async {
                        let mut tx = pool.begin().await?;
                        ledger::spend(&mut tx, user, Credits::new(1)?, &m).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                        tx.commit().await?;
                        anyhow::Ok(())
                    }
                    .await;
                    match outcome {
                        Ok(()) => done.fetch_add(1, Ordering::Relaxed),
                        Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    for t in tasks {
        t.await?;
    }
    let secs = started.elapsed().as_secs_f64();
    let spends = done.load(Ordering::Relaxed);
    println!(
        "{{\"spends\":{spends},\"failed\":{},\"seconds\":{secs:.2},\"per_second\":{:.1}}}",
        failed.load(Ordering::Relaxed),
        spends as f64 / secs
    );
    Ok(())
}
