//! Password hashing with argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane),
//! run on the blocking pool so a burst of logins cannot stall the async runtime. Callers
//! hash before they open a transaction: no row lock is ever held across a hash.

use crate::domain::Password;
use crate::server::config::PasswordCost;
use crate::server::error::Failure;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

fn hasher(cost: PasswordCost) -> Argon2<'static> {
    let params = match cost {
        PasswordCost::Owasp => Params::new(19 * 1024, 2, 1, None),
        PasswordCost::MinimalForTests => Params::new(Params::MIN_M_COST, 1, 1, None),
    }
    .expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub async fn hash(cost: PasswordCost, password: &Password) -> Result<String, Failure> {
    hash_secret(cost, password.expose()).await
}

/// Hashes any short secret a person will type back (a one-time code) like a password.
pub async fn hash_secret(cost: PasswordCost, secret: &str) -> Result<String, Failure> {
    let plain = secret.to_owned();
    tokio::task::spawn_blocking(move || hash_blocking(cost, &plain)).await.map_err(Failure::from)
}

fn hash_blocking(cost: PasswordCost, plain: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher(cost)
        .hash_password(plain.as_bytes(), &salt)
        .expect("argon2 hashing with valid parameters cannot fail")
        .to_string()
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

/// Verifies `candidate` against `stored`, or against the dummy hash when there is no
/// account. Always spends one argon2 verification (at the cost the stored hash names).
pub async fn verify(cost: PasswordCost, stored: Option<String>, candidate: &str) -> Result<bool, Failure> {
    let candidate = candidate.to_owned();
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| dummy_hash(cost).to_owned());
        let ok = PasswordHash::new(&stored)
            .map(|parsed| hasher(cost).verify_password(candidate.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        known && ok
    })
    .await
    .map_err(Failure::from)
}

/// Warms the dummy hash so the first unknown-email login is not measurably faster.
pub fn prepare(cost: PasswordCost) {
    let _ = dummy_hash(cost);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let pw = Password::parse_new("correct horse battery", "password", None).unwrap();
        let h = hash(PasswordCost::Owasp, &pw).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(PasswordCost::Owasp, Some(h.clone()), "correct horse battery").await.unwrap());
        assert!(!verify(PasswordCost::Owasp, Some(h), "wrong horse battery").await.unwrap());
    }

    #[tokio::test]
    async fn hashes_made_at_the_test_cost_say_so_and_still_verify() {
        let pw = Password::parse_new("correct horse battery", "password", None).unwrap();
        let h = hash(PasswordCost::MinimalForTests, &pw).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{h}");
        assert!(verify(PasswordCost::Owasp, Some(h), "correct horse battery").await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!verify(PasswordCost::Owasp, None, "anything at all").await.unwrap());
    }
}
