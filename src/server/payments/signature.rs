//! The webhook signature scheme both providers use (Stripe's, which the sandbox
//! follows): `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a signature's time may be from ours.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no signature header, or one without t= and v1=")]
    Malformed,
    #[error("the signature is {0} s away from now, more than the {TOLERANCE_SECS} s allowed")]
    Stale(i64),
    #[error("no v1 signature matches the body")]
    Mismatch,
}

fn mac(secret: &str, t: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` signed at `t`.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex::encode(mac(secret, t, body).finalize().into_bytes()))
}

/// Accepts `header` when one of its v1 signatures is `body` signed with `secret` at its
/// `t`, and `t` is within the tolerance of `now` (unix seconds). Comparison is in
/// constant time.
pub fn verify(header: Option<&str>, body: &[u8], secret: &str, now: i64) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Malformed)?;
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let skew = now.saturating_sub(t);
    if skew.abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale(skew));
    }
    let expected = mac(secret, t, body);
    if signatures.iter().any(|s| expected.clone().verify_slice(s).is_ok()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000;

    #[test]
    fn a_signed_body_verifies_within_the_tolerance_and_nothing_else_does() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign("whsec_a", NOW, body);
        assert_eq!(verify(Some(&header), body, "whsec_a", NOW + 299), Ok(()));
        assert_eq!(verify(Some(&header), body, "whsec_a", NOW - 299), Ok(()));
        assert_eq!(verify(Some(&header), body, "whsec_a", NOW + 301), Err(SignatureError::Stale(301)));
        assert_eq!(verify(Some(&header), body, "whsec_b", NOW), Err(SignatureError::Mismatch));
        let mut changed = body.to_vec();
        changed[3] ^= 1;
        assert_eq!(verify(Some(&header), &changed, "whsec_a", NOW), Err(SignatureError::Mismatch));
        assert_eq!(verify(None, body, "whsec_a", NOW), Err(SignatureError::Malformed));
        assert_eq!(verify(Some("t=1"), body, "whsec_a", NOW), Err(SignatureError::Malformed));
        assert_eq!(verify(Some("v1=00"), body, "whsec_a", NOW), Err(SignatureError::Malformed));
    }

    #[test]
    fn any_of_several_signatures_may_match_as_during_a_secret_rotation() {
        let body = b"{}";
        let good = sign("new", NOW, body);
        let old = sign("old", NOW, body);
        let both = format!("{old},{}", good.split(',').nth(1).unwrap());
        assert_eq!(verify(Some(&both), body, "new", NOW), Ok(()));
    }
}
