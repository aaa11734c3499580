//! Prometheus metrics, kept in a registry per app (not a global) so tests stay isolated.

use crate::server::config::{Environment, Secret};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub requests: IntCounterVec,
    pub latency: HistogramVec,
    pub jobs: IntCounterVec,
    /// Card payments confirmed or failed, by provider and outcome.
    pub payments: IntCounterVec,
    /// Provider events by type and what became of them.
    pub webhook_events: IntCounterVec,
    /// Payments taken for orders another checkout had already paid, by provider and
    /// stage: `detected`, then `refunded` or `refund_refused`.
    pub duplicate_payments: IntCounterVec,
    /// Orders reconciliation found paid at the provider but not here.
    pub reconciliation_repairs: IntCounter,
    /// Time to turn a collected payment into a paid order, by the path that did it.
    pub fulfilment: HistogramVec,
    /// Problems the newest ledger check found (0 expected).
    pub ledger_drift: IntGauge,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("attune".into()), None).expect("valid registry prefix");
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by route and status"),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency by route")
                .buckets(vec![0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
            &["method", "route"],
        )
        .expect("valid metric");
        let jobs =
            IntCounterVec::new(Opts::new("jobs_total", "Background jobs by kind and outcome"), &["kind", "outcome"])
                .expect("valid metric");
        let payments = IntCounterVec::new(
            Opts::new("payments_total", "Card payments by provider and outcome (paid, failed)"),
            &["provider", "outcome"],
        )
        .expect("valid metric");
        let webhook_events = IntCounterVec::new(
            Opts::new("webhook_events_total", "Payment provider events by type and result"),
            &["type", "result"],
        )
        .expect("valid metric");
        let duplicate_payments = IntCounterVec::new(
            Opts::new(
                "duplicate_payments_total",
                "Payments for orders already paid by another checkout, by provider and stage (detected, refunded, refund_refused)",
            ),
            &["provider", "stage"],
        )
        .expect("valid metric");
        let reconciliation_repairs =
            IntCounter::new("reconciliation_repairs_total", "Orders reconciliation paid after a lost payment event")
                .expect("valid metric");
        registry.register(Box::new(reconciliation_repairs.clone())).expect("register once");
        let fulfilment = HistogramVec::new(
            HistogramOpts::new(
                "payment_fulfilment_seconds",
                "Time to turn a collected payment into a paid order, by path",
            )
            .buckets(vec![0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]),
            &["path"],
        )
        .expect("valid metric");
        registry.register(Box::new(fulfilment.clone())).expect("register once");
        let ledger_drift =
            IntGauge::new("ledger_drift", "Problems the newest ledger check found (0 expected)").expect("valid metric");
        registry.register(Box::new(ledger_drift.clone())).expect("register once");
        for metric in [&requests, &jobs, &payments, &webhook_events, &duplicate_payments] {
            registry.register(Box::new(metric.clone())).expect("register once");
        }
        registry.register(Box::new(latency.clone())).expect("register once");
        Metrics {
            registry,
            requests,
            latency,
            jobs,
            payments,
            webhook_events,
            duplicate_payments,
            reconciliation_repairs,
            fulfilment,
            ledger_drift,
        }
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf).expect("text encoding never fails");
        String::from_utf8(buf).expect("prometheus text is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Who may read `/metrics`. The figures describe the business (payments, orders) and
/// each read asks the database, so they are not for the public: with `METRICS_TOKEN`
/// set, only a scraper presenting it as a bearer token is answered; without one,
/// production hides the endpoint (404) and development, which serves only its own
/// machine, shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAccess {
    Granted,
    /// A token is configured and the request did not present it.
    Unauthorised,
    /// Production without a token: as if the route did not exist.
    Hidden,
}

pub fn metrics_access(env: Environment, token: Option<&Secret>, authorization: Option<&str>) -> MetricsAccess {
    match token {
        Some(expected) => {
            let presented = authorization.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim);
            match presented {
                Some(p) if same_secret(p, expected.expose()) => MetricsAccess::Granted,
                _ => MetricsAccess::Unauthorised,
            }
        }
        None if env == Environment::Development => MetricsAccess::Granted,
        None => MetricsAccess::Hidden,
    }
}

/// Compares digests, so how long the comparison takes says nothing about the secret.
fn same_secret(presented: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(presented.as_bytes()) == Sha256::digest(expected.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_need_the_token_when_one_is_set_and_are_hidden_in_production_without_one() {
        use Environment::*;
        use MetricsAccess::*;
        let token = Secret::new("s3cret-token".into());
        for env in [Development, Production] {
            assert_eq!(metrics_access(env, Some(&token), Some("Bearer s3cret-token")), Granted);
            assert_eq!(metrics_access(env, Some(&token), None), Unauthorised);
            assert_eq!(metrics_access(env, Some(&token), Some("Bearer s3cret-tokex")), Unauthorised);
            assert_eq!(metrics_access(env, Some(&token), Some("s3cret-token")), Unauthorised);
            assert_eq!(metrics_access(env, Some(&token), Some("Basic czNjcmV0LXRva2Vu")), Unauthorised);
        }
        assert_eq!(metrics_access(Production, None, Some("Bearer anything")), Hidden);
        assert_eq!(metrics_access(Development, None, None), Granted);
    }
}
