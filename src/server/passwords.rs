//! Password hashing with argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane),
//! on one bounded pool per process. Each hash takes ~19 MiB and a core for tens of
//! milliseconds, so an unbounded burst of sign-ins would cost gigabytes and starve every
//! other page: at most `workers` hashes run at once (half the cores, so pages keep the
//! rest), at most `queue` more wait, none longer than `max_wait`, and anything beyond is
//! refused at once with `Busy`. Callers hash before they open a transaction: no row lock
//! is ever held across a hash.

use crate::domain::{AppError, Password};
use crate::server::config::PasswordCost;
use crate::server::error::Failure;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::Semaphore;

fn hasher(cost: PasswordCost) -> Argon2<'static> {
    let params = match cost {
        PasswordCost::Owasp => Params::new(19 * 1024, 2, 1, None),
        PasswordCost::MinimalForTests => Params::new(Params::MIN_M_COST, 1, 1, None),
    }
    .expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The seconds a refused caller is told to wait before trying again.
const BUSY_RETRY_SECS: u64 = 2;

fn busy() -> Failure {
    AppError::Busy { retry_after_secs: BUSY_RETRY_SECS }.into()
}

/// The one place password and code hashes are made and checked.
#[derive(Clone)]
pub struct Hasher {
    cost: PasswordCost,
    running: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
    max_wait: Duration,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").field("cost", &self.cost).field("queue", &self.queue).finish_non_exhaustive()
    }
}

/// A caller's place among the waiting, given back however the wait ends.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Hasher {
    /// `workers` hashes at once and `queue` waiting, each for at most `max_wait`.
    pub fn new(cost: PasswordCost, workers: usize, queue: usize, max_wait: Duration) -> Self {
        Hasher {
            cost,
            running: Arc::new(Semaphore::new(workers.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            queue,
            max_wait,
        }
    }

    /// Sized to this machine: half its cores hash (at least one), and 64 callers per
    /// worker may wait (a waiting caller holds a few hundred bytes, not a hash's 19 MiB),
    /// none for more than two seconds.
    pub fn for_this_machine(cost: PasswordCost) -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let workers = (cores / 2).max(1);
        Hasher::new(cost, workers, workers * 64, Duration::from_secs(2))
    }

    /// Refuses at once, before any other work, when a new caller would find every worker
    /// busy and the queue full; `run` still decides for those let through.
    pub fn refuse_when_saturated(&self) -> Result<(), Failure> {
        if self.running.available_permits() == 0 && self.waiting.load(Ordering::SeqCst) >= self.queue {
            return Err(busy());
        }
        Ok(())
    }

    /// Runs `work` on the blocking pool once a worker is free, or refuses with `Busy`
    /// when the queue is full or the wait runs out.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, Failure> {
        let permit = match self.running.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
                    self.waiting.fetch_sub(1, Ordering::SeqCst);
                    tracing::warn!(queue = self.queue, "password hashing is saturated; refused at once");
                    return Err(busy());
                }
                let _place = Waiting(&self.waiting);
                match tokio::time::timeout(self.max_wait, self.running.clone().acquire_owned()).await {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_)) => return Err(Failure::bug("the password hashing pool was closed")),
                    Err(_) => {
                        tracing::warn!(waited_ms = self.max_wait.as_millis() as u64, "password hashing wait ran out");
                        return Err(busy());
                    }
                }
            }
        };
        tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(Failure::from)
    }

    pub async fn hash(&self, password: &Password) -> Result<String, Failure> {
        self.hash_secret(password.expose()).await
    }

    /// Hashes any short secret a person will type back (a one-time code) like a password.
    pub async fn hash_secret(&self, secret: &str) -> Result<String, Failure> {
        let (cost, plain) = (self.cost, secret.to_owned());
        self.run(move || hash_blocking(cost, &plain)).await
    }

    /// Verifies `candidate` against `stored`, or against the dummy hash when there is no
    /// account. Always spends one argon2 verification (at the cost the stored hash names).
    pub async fn verify(&self, stored: Option<String>, candidate: &str) -> Result<bool, Failure> {
        let (cost, candidate) = (self.cost, candidate.to_owned());
        self.run(move || verify_blocking(cost, stored, &candidate)).await
    }
}

fn hash_blocking(cost: PasswordCost, plain: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher(cost)
        .hash_password(plain.as_bytes(), &salt)
        .expect("argon2 hashing with valid parameters cannot fail")
        .to_string()
}

fn verify_blocking(cost: PasswordCost, stored: Option<String>, candidate: &str) -> bool {
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| dummy_hash(cost).to_owned());
    let ok = PasswordHash::new(&stored)
        .map(|parsed| hasher(cost).verify_password(candidate.as_bytes(), &parsed).is_ok())
        .unwrap_or(false);
    known && ok
}

/// A hash of nothing anyone knows, verified against when the account does not exist so
/// that a wrong email costs as much time as a wrong password.
fn dummy_hash(cost: PasswordCost) -> &'static str {
    static OWASP: OnceLock<String> = OnceLock::new();
    static MINIMAL: OnceLock<String> = OnceLock::new();
    let cell = match cost {
        PasswordCost::Owasp => &OWASP,
        PasswordCost::MinimalForTests => &MINIMAL,
    };
    cell.get_or_init(|| {
        let mut bytes = [0u8; 24];
        argon2::password_hash::rand_core::RngCore::fill_bytes(&mut OsRng, &mut bytes);
        hash_blocking(cost, &format!("{bytes:?}"))
    })
}

/// Warms the dummy hash so the first unknown-email login is not measurably faster.
pub fn prepare(cost: PasswordCost) {
    let _ = dummy_hash(cost);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(cost: PasswordCost) -> Hasher {
        Hasher::new(cost, 1, 4, Duration::from_secs(5))
    }

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let h = pool(PasswordCost::Owasp);
        let pw = Password::parse_new("correct horse battery", "password", None).unwrap();
        let stored = h.hash(&pw).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(h.verify(Some(stored.clone()), "correct horse battery").await.unwrap());
        assert!(!h.verify(Some(stored), "wrong horse battery").await.unwrap());
    }

    #[tokio::test]
    async fn hashes_made_at_the_test_cost_say_so_and_still_verify() {
        let pw = Password::parse_new("correct horse battery", "password", None).unwrap();
        let stored = pool(PasswordCost::MinimalForTests).hash(&pw).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{stored}");
        assert!(pool(PasswordCost::Owasp).verify(Some(stored), "correct horse battery").await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!pool(PasswordCost::Owasp).verify(None, "anything at all").await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_burst_beyond_the_workers_and_the_queue_is_refused_at_once_and_the_rest_completes() {
        let h = Hasher::new(PasswordCost::Owasp, 1, 2, Duration::from_secs(30));
        let started = std::time::Instant::now();
        let tries = (0..10).map(|_| {
            let h = h.clone();
            tokio::spawn(async move { (h.verify(None, "guess").await, started.elapsed()) })
        });
        let outcomes = futures::future::join_all(tries).await;
        let mut done = 0;
        let mut refused = Vec::new();
        for outcome in outcomes {
            match outcome.unwrap() {
                (Ok(false), _) => done += 1,
                (Err(Failure::User(AppError::Busy { retry_after_secs })), took) => {
                    assert_eq!(retry_after_secs, BUSY_RETRY_SECS);
                    refused.push(took);
                }
                other => panic!("unexpected outcome {other:?}"),
            }
        }
        assert_eq!(done, 3, "one running and two waiting complete");
        assert_eq!(refused.len(), 7);
        assert!(refused.iter().all(|t| *t < Duration::from_millis(50)), "refusals do not wait: {refused:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_waits_too_long_is_refused_and_gives_its_place_back() {
        let h = Hasher::new(PasswordCost::Owasp, 1, 4, Duration::from_millis(1));
        let slow = {
            let h = h.clone();
            tokio::spawn(async move { h.verify(None, "first").await })
        };
        // Until the first holds the pool's only slot.
        while h.running.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let second = h.verify(None, "second").await;
        assert!(matches!(second, Err(Failure::User(AppError::Busy { .. }))), "{second:?}");
        assert!(!slow.await.unwrap().unwrap());
        assert_eq!(h.waiting.load(Ordering::SeqCst), 0);
        assert!(!h.verify(None, "third").await.unwrap(), "the pool serves again");
    }
}
