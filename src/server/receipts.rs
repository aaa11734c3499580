//! PDF documents for paid orders: a receipt per paid order (its invoice) and a credit
//! note per refund, referencing the invoice. Both are drawn with DejaVu Sans, embedded
//! (and subset) into each file, so every currency symbol we price in prints the same on
//! every reader. Dates are in the customer's time zone.

use crate::domain::datetime::{self, Style};
use crate::domain::types::SessionUser;
use crate::domain::{AppError, Currency, Locale, Money, OrderNumber, UserCode};
use crate::server::accounts::zone_of;
use crate::server::clock::from_db;
use crate::server::error::Failure;
use crate::server::state::AppState;
use krilla::geom::{PathBuilder, Point};
use krilla::text::{Font, TextDirection};

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// One document, laid out top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// "Receipt" or "Credit note".
    pub title: &'static str,
    pub number: String,
    /// Label and value pairs under the title: date, order, customer…
    pub facts: Vec<(String, String)>,
    /// What was bought or refunded, with amounts.
    pub items: Vec<(String, String)>,
    pub totals: Vec<(String, String)>,
    pub note: String,
}

/// A PDF file ready to send: its name and bytes.
pub struct Pdf {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

const LEFT: f32 = 56.0;
const VALUE_X: f32 = 200.0;
const AMOUNT_X: f32 = 440.0;
const RIGHT: f32 = 539.0;

/// Draws a sheet on one A4 page.
pub fn render(sheet: &Sheet) -> Result<Vec<u8>, Failure> {
    let font = Font::new(FONT.into(), 0).ok_or_else(|| Failure::bug("the embedded font does not load"))?;
    let mut document = krilla::Document::new();
    document.set_metadata(
        krilla::metadata::Metadata::new()
            .title(format!("{} {}", sheet.title, sheet.number))
            .creator("Attune".into())
            .language("en".into()),
    );
    let mut page = document.start_page();
    let mut surface = page.surface();
    let mut text = |x: f32, y: f32, size: f32, s: &str| {
        surface.draw_text(Point::from_xy(x, y), font.clone(), size, s, false, TextDirection::Auto);
    };
    let mut y = 80.0;
    text(LEFT, y, 22.0, "Attune");
    y += 34.0;
    text(LEFT, y, 16.0, &format!("{} {}", sheet.title, sheet.number));
    y += 30.0;
    for (label, value) in &sheet.facts {
        text(LEFT, y, 10.5, label);
        text(VALUE_X, y, 10.5, value);
        y += 17.0;
    }
    y += 14.0;
    let mut rules = vec![y - 12.0];
    for (label, amount) in &sheet.items {
        text(LEFT, y, 11.0, label);
        text(AMOUNT_X, y, 11.0, amount);
        y += 19.0;
    }
    rules.push(y - 10.0);
    y += 6.0;
    for (label, amount) in &sheet.totals {
        text(LEFT, y, 12.0, label);
        text(AMOUNT_X, y, 12.0, amount);
        y += 20.0;
    }
    y += 24.0;
    text(LEFT, y, 9.0, &sheet.note);
    let mut lines = PathBuilder::new();
    for at in rules {
        lines.move_to(LEFT, at);
        lines.line_to(RIGHT, at);
    }
    if let Some(path) = lines.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(krilla::paint::Stroke { width: 0.6, ..Default::default() }));
        surface.draw_path(&path);
        surface.set_stroke(None);
        surface.set_fill(Some(krilla::paint::Fill::default()));
    }
    surface.finish();
    page.finish();
    document.finish().map_err(|e| Failure::bug(format!("rendering a PDF: {e:?}")))
}

struct Facts {
    number: String,
    item_name: String,
    credits: i64,
    bonus_credits: i64,
    price: Money,
    invoice: String,
    paid_at: jiff::Timestamp,
    provider: String,
    customer_name: String,
    customer_code: UserCode,
    customer_email: Option<String>,
    zone: crate::domain::TimeZone,
}

/// A paid order its owner or an admin may see; anything else does not exist for them.
async fn paid_order(
    state: &AppState,
    user: &SessionUser,
    number: &OrderNumber,
) -> Result<(uuid::Uuid, Facts), Failure> {
    let r = sqlx::query!(
        r#"SELECT o.id, o.number, o.user_id, o.item_name, o.credits, o.bonus_credits, o.price_minor AS "price_minor!",
                o.currency AS "currency!", o.invoice_number,
                o.paid_at, o.provider, u.name, u.code, u.email, u.time_zone
         FROM orders o JOIN users u ON u.id = o.user_id WHERE o.number = $1 AND o.invoice_number IS NOT NULL"#,
        number.as_str()
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    crate::domain::access::owner_or_admin(Some(user), r.user_id)?;
    let (Some(invoice), Some(paid_at)) = (r.invoice_number, r.paid_at) else { return Err(AppError::NotFound.into()) };
    let currency = Currency::parse(&r.currency).map_err(|_| Failure::bug("an order in an unknown currency"))?;
    Ok((
        r.id,
        Facts {
            number: r.number,
            item_name: r.item_name,
            credits: r.credits,
            bonus_credits: r.bonus_credits,
            price: Money::from_minor(r.price_minor, currency),
            invoice,
            paid_at: from_db(paid_at),
            provider: r.provider,
            customer_name: r.name,
            customer_code: UserCode::from_number(r.code).ok_or_else(|| Failure::bug("a user code out of range"))?,
            customer_email: r.email,
            zone: zone_of(&r.time_zone),
        },
    ))
}

impl Facts {
    fn customer(&self) -> Vec<(String, String)> {
        let mut lines =
            vec![("Customer".into(), self.customer_name.clone()), ("Account".into(), self.customer_code.to_string())];
        lines.extend(self.customer_email.clone().map(|e| ("Email".into(), e)));
        lines
    }

    fn item(&self) -> String {
        if self.credits == 0 {
            self.item_name.clone()
        } else if self.bonus_credits > 0 {
            format!("{}: {} credits + {} bonus", self.item_name, self.credits, self.bonus_credits)
        } else {
            format!("{}: {} credits", self.item_name, self.credits)
        }
    }

    fn paid_with(&self) -> String {
        if self.provider == "sandbox" {
            "Paid in the test sandbox: no money was taken.".to_owned()
        } else {
            "Paid by card.".to_owned()
        }
    }
}

/// The receipt of a paid order, with the credit notes of its refunds so far.
pub async fn receipt(state: &AppState, user: &SessionUser, number: &OrderNumber) -> Result<Pdf, Failure> {
    let (order_id, f) = paid_order(state, user, number).await?;
    let refunds = sqlx::query!(
        "SELECT credit_note_number AS \"note!\", amount_minor FROM refunds
         WHERE order_id = $1 AND status = 'succeeded' ORDER BY completed_at, credit_note_number",
        order_id
    )
    .fetch_all(&state.pool)
    .await?;
    let refunds: Vec<(String, i64)> = refunds.into_iter().map(|r| (r.note, r.amount_minor)).collect();
    Ok(Pdf { file_name: format!("attune-{}.pdf", f.invoice), bytes: render(&receipt_sheet(&f, &refunds))? })
}

/// A receipt's sheet: the order, its customer and item, and each refund so far (credit
/// note number, amount in minor units) taken off the total.
fn receipt_sheet(f: &Facts, refunds: &[(String, i64)]) -> Sheet {
    let locale = Locale::default();
    let mut facts =
        vec![("Date".into(), datetime::show(f.paid_at, &f.zone, Style::Date)), ("Order".into(), f.number.clone())];
    facts.extend(f.customer());
    let mut totals = vec![("Total paid".to_owned(), f.price.format(locale))];
    let refunded: i64 = refunds.iter().map(|(_, amount)| amount).sum();
    for (note, amount) in refunds {
        totals.push((
            format!("Refunded (credit note {note})"),
            format!("−{}", Money::from_minor(*amount, f.price.currency()).format(locale)),
        ));
    }
    if refunded > 0 {
        totals.push((
            "Net paid".into(),
            Money::from_minor(f.price.minor() - refunded, f.price.currency()).format(locale),
        ));
    }
    Sheet {
        title: "Receipt",
        number: f.invoice.clone(),
        facts,
        items: vec![(f.item(), f.price.format(locale))],
        totals,
        note: f.paid_with(),
    }
}

/// The credit note a refund of the order issued.
pub async fn credit_note(
    state: &AppState,
    user: &SessionUser,
    number: &OrderNumber,
    note: &str,
) -> Result<Pdf, Failure> {
    let (order_id, f) = paid_order(state, user, number).await?;
    let r = sqlx::query!(
        "SELECT credit_note_number AS \"note!\", amount_minor, credits, bonus_credits, completed_at AS \"completed_at!\"
         FROM refunds WHERE order_id = $1 AND credit_note_number = $2 AND status = 'succeeded'",
        order_id,
        note.trim().to_ascii_uppercase()
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let refund = Refunded {
        note: r.note,
        amount_minor: r.amount_minor,
        credits: r.credits,
        bonus_credits: r.bonus_credits,
        completed_at: from_db(r.completed_at),
    };
    Ok(Pdf { file_name: format!("attune-{}.pdf", refund.note), bytes: render(&credit_note_sheet(&f, &refund))? })
}

/// A refund that succeeded, as its credit note states it.
struct Refunded {
    note: String,
    amount_minor: i64,
    credits: i64,
    bonus_credits: i64,
    completed_at: jiff::Timestamp,
}

/// A credit note's sheet: the invoice it corrects, what the refund took back and its amount.
fn credit_note_sheet(f: &Facts, r: &Refunded) -> Sheet {
    let locale = Locale::default();
    let amount = Money::from_minor(r.amount_minor, f.price.currency());
    let mut facts = vec![
        ("Date".into(), datetime::show(r.completed_at, &f.zone, Style::Date)),
        ("For invoice".into(), f.invoice.clone()),
        ("Order".into(), f.number.clone()),
    ];
    facts.extend(f.customer());
    let taken = if r.bonus_credits > 0 {
        format!("Refund of {}: {} credits + {} bonus returned", f.item_name, r.credits, r.bonus_credits)
    } else {
        format!("Refund of {}: {} credits returned", f.item_name, r.credits)
    };
    Sheet {
        title: "Credit note",
        number: r.note.clone(),
        facts,
        items: vec![(taken, format!("−{}", amount.format(locale)))],
        totals: vec![
            ("Total refunded".into(), amount.format(locale)),
            ("Invoice total".into(), f.price.format(locale)),
        ],
        note: "Refunded to the card the order was paid with.".into(),
    }
}

#[cfg(test)]
mod snapshot_tests {
    //! The text of a receipt and of a credit note as their PDFs print it, from fixed
    //! figures, compared with the reviewed copies in `snapshots/`.

    use super::*;

    fn pdf_text(bytes: &[u8]) -> String {
        assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
        let doc = lopdf::Document::load_mem(bytes).expect("a readable PDF");
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        assert_eq!(pages, [1], "one A4 page");
        doc.extract_text(&pages).expect("its text")
    }

    /// A paid order of ten credits plus two bonus, by card, read in Asia/Kolkata.
    fn facts() -> Facts {
        Facts {
            number: "ATN-7K3Q-9F2M".to_owned(),
            item_name: "Ten credits".to_owned(),
            credits: 10,
            bonus_credits: 2,
            price: Money::from_minor(4900, Currency::Eur),
            invoice: "INV-2026-000042".to_owned(),
            paid_at: "2026-03-29T20:30:00Z".parse().expect("a fixed instant"),
            provider: "stripe".to_owned(),
            customer_name: "Ada Lovelace".to_owned(),
            customer_code: UserCode::from_number(100_042).expect("a user code in range"),
            customer_email: Some("ada@attune.example".to_owned()),
            zone: crate::domain::TimeZone::parse("Asia/Kolkata").expect("a known zone"),
        }
    }

    #[test]
    fn a_receipt_prints_the_order_the_customer_and_what_its_refunds_took_back() {
        let refunds = [("CN-2026-000007".to_owned(), 1900)];
        insta::assert_snapshot!(
            "receipt_pdf_text",
            pdf_text(&render(&receipt_sheet(&facts(), &refunds)).expect("a PDF"))
        );
    }

    #[test]
    fn a_credit_note_prints_its_invoice_what_was_returned_and_the_amount_refunded() {
        let refund = Refunded {
            note: "CN-2026-000007".to_owned(),
            amount_minor: 1900,
            credits: 4,
            bonus_credits: 1,
            completed_at: "2026-04-02T05:00:00Z".parse().expect("a fixed instant"),
        };
        let pdf = render(&credit_note_sheet(&facts(), &refund)).expect("a PDF");
        insta::assert_snapshot!("credit_note_pdf_text", pdf_text(&pdf));
    }
}
