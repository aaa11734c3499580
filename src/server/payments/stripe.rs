//! Stripe: Checkout Sessions in `mode=payment` with the order's price as `price_data`,
//! our order number as `client_reference_id`, and an idempotency key per call that
//! changes state, so a retried call after a timeout never opens two sessions or refunds
//! twice. Events arrive at the same webhook handler as the sandbox's.

use super::{Checkout, Collected, NewCheckout, RefundAnswer, RefundRequest};
use crate::server::error::Failure;
use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use stripe::{IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    ExpireCheckoutSession, ProductData, RetrieveCheckoutSession,
};
use stripe_core::refund::CreateRefund;

/// How long one call to Stripe may take, by default, before it counts as failed (and
/// is retried later with the same key).
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// A configured Stripe account.
#[derive(Clone)]
pub struct Stripe {
    client: stripe::Client,
    /// Where the customer comes back to: this site's public address.
    public_url: String,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe").field("public_url", &self.public_url).finish_non_exhaustive()
    }
}

impl Stripe {
    /// A client for `secret_key`, talking to `api_base` when given (a test server)
    /// instead of api.stripe.com, giving up on a call after `timeout`.
    pub fn new(
        secret_key: &str,
        api_base: Option<&str>,
        public_url: &str,
        timeout: std::time::Duration,
    ) -> Result<Stripe, String> {
        let mut builder = stripe::ClientBuilder::new(secret_key).timeout(timeout);
        if let Some(base) = api_base {
            builder = builder.url(base);
        }
        let client = builder.build().map_err(|e| format!("the Stripe client cannot be built: {e}"))?;
        Ok(Stripe { client, public_url: public_url.trim_end_matches('/').to_owned() })
    }
}

fn key(raw: &str) -> Result<RequestStrategy, Failure> {
    let key = IdempotencyKey::new(raw).map_err(|e| Failure::bug(format!("idempotency key {raw:?}: {e:?}")))?;
    Ok(RequestStrategy::Idempotent(key))
}

/// Stripe could not be reached or answered with a server error: worth trying again.
fn unavailable(e: StripeError) -> Failure {
    Failure::Upstream(format!("Stripe: {e}"))
}

/// Stripe's own refusal (a 4xx with its message), as opposed to not answering. A 409
/// (the same idempotency key still in use by a call that timed out) and a 429 (rate
/// limited) are not refusals: asking again later gets the real answer.
fn refusal(e: &StripeError) -> Option<String> {
    match e {
        StripeError::Stripe(errors, status) if (400..500).contains(status) && !matches!(status, 409 | 429) => {
            Some(errors.message.clone().unwrap_or_else(|| format!("refused with status {status}")))
        }
        _ => None,
    }
}

/// A Checkout Session may live from 30 minutes to 24 hours; the order's own window
/// decides within that.
fn session_expiry(order_expires: Timestamp, now: Timestamp) -> Timestamp {
    let latest = now + SignedDuration::from_mins(23 * 60 + 55);
    let earliest = now + SignedDuration::from_mins(31);
    order_expires.clamp(earliest, latest)
}

fn collected(s: &stripe_shared::CheckoutSession) -> Collected {
    use stripe_shared::CheckoutSessionPaymentStatus as P;
    Collected {
        session_id: s.id.to_string(),
        order_number: s.client_reference_id.as_deref().and_then(|n| crate::domain::OrderNumber::parse(n).ok()),
        paid: matches!(s.payment_status, P::Paid | P::NoPaymentRequired),
        amount_total: s.amount_total.unwrap_or(0),
        currency: s.currency.as_ref().map(|c| c.to_string()).unwrap_or_default(),
        payment_intent: s.payment_intent.as_ref().map(|p| p.id().to_string()),
    }
}

impl Stripe {
    pub async fn open(&self, new: &NewCheckout, now: Timestamp) -> Result<Checkout, Failure> {
        let currency: stripe_types::Currency = new
            .amount
            .currency()
            .code()
            .to_ascii_lowercase()
            .parse()
            .map_err(|_| Failure::bug("a currency Stripe does not know"))?;
        let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency);
        price.unit_amount = Some(new.amount.minor());
        price.product_data = Some(ProductData::new(new.description.clone()));
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price_data = Some(price);
        item.quantity = Some(1);
        let metadata = HashMap::from([("order".to_owned(), new.order_number.to_string())]);
        let mut session = CreateCheckoutSession::new()
            .mode(stripe_shared::CheckoutSessionMode::Payment)
            .line_items(vec![item])
            .client_reference_id(new.order_number.to_string());
        if let Some(email) = &new.customer_email {
            session = session.customer_email(email.clone());
        }
        let session = session
            .metadata(metadata)
            .success_url(format!("{}{}", self.public_url, new.success_path))
            .cancel_url(format!("{}{}", self.public_url, new.cancel_path))
            .expires_at(session_expiry(new.expires_at, now).as_second())
            .customize()
            .request_strategy(key(&new.idempotency_key)?)
            .send(&self.client)
            .await
            .map_err(unavailable)?;
        let url = session.url.clone().ok_or_else(|| Failure::bug("Stripe opened a checkout session without a URL"))?;
        Ok(Checkout { id: session.id.to_string(), url })
    }

    pub async fn look_up(&self, session_id: &str) -> Result<Option<Collected>, Failure> {
        match RetrieveCheckoutSession::new(session_id).send(&self.client).await {
            Ok(session) => Ok(Some(collected(&session))),
            Err(StripeError::Stripe(_, 404)) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    pub async fn close(&self, session_id: &str) -> Result<bool, Failure> {
        match ExpireCheckoutSession::new(session_id).send(&self.client).await {
            Ok(_) => Ok(true),
            // Stripe refuses to expire a session that is not open: asked whether that is
            // because it expired already or because it completed (and may have been paid).
            Err(e) if refusal(&e).is_some() => {
                match RetrieveCheckoutSession::new(session_id).send(&self.client).await {
                    Ok(session) => Ok(matches!(session.status, Some(stripe_shared::CheckoutSessionStatus::Expired))),
                    Err(StripeError::Stripe(_, 404)) => Ok(false),
                    Err(e) => Err(unavailable(e)),
                }
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    pub async fn refund(&self, request: &RefundRequest) -> Result<RefundAnswer, Failure> {
        let intent = match &request.payment_intent {
            Some(intent) => intent.clone(),
            None => match self.look_up(&request.session_id).await?.and_then(|c| c.payment_intent) {
                Some(intent) => intent,
                None => {
                    return Ok(RefundAnswer::Refused {
                        reason: "Stripe has no payment for this order's checkout.".into(),
                    });
                }
            },
        };
        let metadata = HashMap::from([("refund_id".to_owned(), request.refund_id.to_string())]);
        let sent = CreateRefund::new()
            .payment_intent(intent)
            .amount(request.amount.minor())
            .metadata(metadata)
            .customize()
            .request_strategy(key(&request.idempotency_key)?)
            .send(&self.client)
            .await;
        match sent {
            Ok(refund) => {
                let id = refund.id.to_string();
                Ok(match refund.status.as_deref() {
                    Some("succeeded") => RefundAnswer::Succeeded { id },
                    Some("failed" | "canceled") => {
                        RefundAnswer::Refused { reason: format!("Stripe reports the refund {id} as failed.") }
                    }
                    _ => RefundAnswer::Pending { id },
                })
            }
            Err(e) => match refusal(&e) {
                Some(reason) => Ok(RefundAnswer::Refused { reason }),
                None => Err(unavailable(e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_live_between_half_an_hour_and_a_day_within_the_order_window() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let day = now + SignedDuration::from_hours(24);
        assert_eq!(session_expiry(day, now), now + SignedDuration::from_mins(23 * 60 + 55));
        assert_eq!(session_expiry(now + SignedDuration::from_mins(5), now), now + SignedDuration::from_mins(31));
        let mid = now + SignedDuration::from_hours(3);
        assert_eq!(session_expiry(mid, now), mid);
    }
}
