//! Card payments. A provider opens a hosted checkout for an order, tells us what a
//! checkout collected when asked, and sends signed events; `orders::fulfil` is the one
//! place a payment turns into a paid order and credits. The built-in sandbox stands in
//! for Stripe (same event shapes, same signature scheme) when no keys are configured.

pub mod duplicates;
pub mod sandbox;
pub mod sessions;
pub mod signature;
pub mod stripe;
pub mod webhooks;

use crate::domain::{Money, OrderNumber};
use crate::server::config::Secret;
use crate::server::error::Failure;
use crate::server::state::AppState;
use jiff::Timestamp;

/// What an order asks the provider to collect.
#[derive(Debug, Clone)]
pub struct NewCheckout {
    pub order_number: OrderNumber,
    pub description: String,
    pub amount: Money,
    /// Prefills the provider's form; an account made by phone may have none yet.
    pub customer_email: Option<String>,
    /// Paths on this site the provider sends the customer back to.
    pub success_path: String,
    pub cancel_path: String,
    pub expires_at: Timestamp,
    /// The same key for the same attempt, so a retried call opens one checkout.
    pub idempotency_key: String,
}

/// A checkout opened at the provider: its id and where to send the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub id: String,
    pub url: String,
}

/// What the provider says a checkout session collected, read from its session object
/// (as events carry it and as it is fetched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collected {
    pub session_id: String,
    /// Our order number, given to the provider as `client_reference_id`; `None` when
    /// the session is not one of ours.
    pub order_number: Option<OrderNumber>,
    pub paid: bool,
    pub amount_total: i64,
    /// Lower-case ISO code, as Stripe writes it.
    pub currency: String,
    /// The provider's payment behind the session, once there is one.
    pub payment_intent: Option<String>,
}

impl Collected {
    /// Reads a Stripe-shaped `checkout.session` object.
    pub fn from_session(object: &serde_json::Value) -> Result<Collected, Failure> {
        let text = |k: &str| object.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        Ok(Collected {
            session_id: text("id").ok_or_else(|| Failure::bug("a checkout session without an id"))?,
            order_number: text("client_reference_id").and_then(|n| OrderNumber::parse(&n).ok()),
            paid: matches!(text("payment_status").as_deref(), Some("paid" | "no_payment_required")),
            amount_total: object.get("amount_total").and_then(|v| v.as_i64()).unwrap_or(0),
            currency: text("currency").unwrap_or_default(),
            payment_intent: text("payment_intent"),
        })
    }
}

/// What a refund asks the provider to return, and against which payment.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    pub refund_id: uuid::Uuid,
    pub session_id: String,
    pub payment_intent: Option<String>,
    pub amount: Money,
    /// One key per refund: asking again (after a timeout) never refunds twice.
    pub idempotency_key: String,
}

/// The provider's answer to a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundAnswer {
    /// The money is on its way back; the provider's id for the refund.
    Succeeded { id: String },
    /// Accepted but not settled; an event will tell.
    Pending { id: String },
    /// Refused, with the provider's reason: nothing was refunded.
    Refused { reason: String },
}

/// The configured payment provider.
#[derive(Debug, Clone)]
pub enum Provider {
    /// Test payments approved or declined by a person on a page of this site.
    Sandbox { webhook_secret: Secret },
    /// Stripe Checkout; `live` when the key takes real money. The client is boxed: it is
    /// many times the size of the sandbox's secret.
    Stripe { stripe: Box<stripe::Stripe>, webhook_secret: Secret, live: bool },
}

impl Provider {
    /// A sandbox whose events are signed with `secret`, or a fresh random one.
    pub fn sandbox(secret: Option<String>) -> Provider {
        let secret = secret.unwrap_or_else(|| format!("whsec_sandbox_{}", uuid::Uuid::new_v4().simple()));
        Provider::Sandbox { webhook_secret: Secret::new(secret) }
    }

    /// Stripe with `secret_key` (at `api_base` when given, for a test server), its
    /// events signed with `webhook_secret`, each call given up after `timeout`.
    pub fn stripe(
        secret_key: &str,
        webhook_secret: &str,
        api_base: Option<&str>,
        public_url: &str,
        timeout: std::time::Duration,
    ) -> Result<Provider, String> {
        if webhook_secret.is_empty() {
            return Err(
                "STRIPE_WEBHOOK_SECRET is needed with STRIPE_SECRET_KEY: events cannot be verified without it".into()
            );
        }
        Ok(Provider::Stripe {
            stripe: Box::new(stripe::Stripe::new(secret_key, api_base, public_url, timeout)?),
            webhook_secret: Secret::new(webhook_secret.to_owned()),
            live: secret_key.starts_with("sk_live_") || secret_key.starts_with("rk_live_"),
        })
    }

    /// Stored with orders, sessions and events.
    pub fn name(&self) -> &'static str {
        match self {
            Provider::Sandbox { .. } => "sandbox",
            Provider::Stripe { .. } => "stripe",
        }
    }

    pub fn takes_real_money(&self) -> bool {
        match self {
            Provider::Sandbox { .. } => false,
            Provider::Stripe { live, .. } => *live,
        }
    }

    pub fn webhook_secret(&self) -> &str {
        match self {
            Provider::Sandbox { webhook_secret } | Provider::Stripe { webhook_secret, .. } => webhook_secret.expose(),
        }
    }

    pub async fn open_checkout(&self, state: &AppState, new: &NewCheckout) -> Result<Checkout, Failure> {
        match self {
            Provider::Sandbox { .. } => sandbox::open(state, new).await,
            Provider::Stripe { stripe, .. } => stripe.open(new, state.clock.now()).await,
        }
    }

    /// What the session has collected so far; `None` when the provider does not know it.
    pub async fn look_up(&self, state: &AppState, session_id: &str) -> Result<Option<Collected>, Failure> {
        match self {
            Provider::Sandbox { .. } => sandbox::look_up(state, session_id).await,
            Provider::Stripe { stripe, .. } => stripe.look_up(session_id).await,
        }
    }

    /// Returns money taken by a session. A network failure is an `Err` and may be
    /// retried with the same request; the provider's refusal is an answer.
    pub async fn refund(&self, state: &AppState, request: &RefundRequest) -> Result<RefundAnswer, Failure> {
        match self {
            Provider::Sandbox { .. } => sandbox::refund(state, request).await,
            Provider::Stripe { stripe, .. } => stripe.refund(request).await,
        }
    }

    /// Stops a session from taking a payment (the order expired, another session
    /// replaced it, or another paid the order). `true` when the provider says the
    /// session is expired, now or before; `false` when it had already finished (paid,
    /// declined) or is unknown, so it may have taken a payment.
    pub async fn close(&self, state: &AppState, session_id: &str) -> Result<bool, Failure> {
        match self {
            Provider::Sandbox { .. } => sandbox::close(state, session_id).await,
            Provider::Stripe { stripe, .. } => stripe.close(session_id).await,
        }
    }
}
