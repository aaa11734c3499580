//! Tests of the catalog's forms, prices, directory search and slugs.

use super::*;
use crate::domain::money::Currency;
use uuid::Uuid;

fn form() -> ServiceForm {
    ServiceForm {
        title: " Birth chart reading ".into(),
        service_type: "astrology-reading".into(),
        description: "A full reading of your birth chart, recorded for you to keep.".into(),
        delivery: "video".into(),
        duration_minutes: "60".into(),
        price_credits: "12".into(),
        card_price: "49.00".into(),
        currency: "EUR".into(),
    }
}

#[test]
fn a_service_form_parses_into_a_priced_draft() {
    let d = form().parse().unwrap();
    assert_eq!(d.title, "Birth chart reading");
    assert_eq!((d.delivery, d.duration_minutes), (Delivery::Video, Some(60)));
    assert_eq!(d.price.credits.map(Credits::get), Some(12));
    assert_eq!(d.price.card.map(|m| (m.minor(), m.currency())), Some((4900, Currency::Eur)));
    assert_eq!(d.price.label(Locale::default()), "12 credits · €49.00");
    let written =
        ServiceForm { delivery: "written".into(), duration_minutes: "".into(), card_price: "".into(), ..form() };
    let d = written.parse().unwrap();
    assert_eq!((d.duration_minutes, d.price.card), (None, None));
    assert_eq!(d.price.label(Locale::default()), "12 credits");
}

#[test]
fn each_bad_service_field_is_named() {
    let cases: Vec<(ServiceForm, &str)> = vec![
        (ServiceForm { title: "ab".into(), ..form() }, "title"),
        (ServiceForm { title: "x".repeat(101), ..form() }, "title"),
        (ServiceForm { service_type: " ".into(), ..form() }, "service_type"),
        (ServiceForm { description: "short".into(), ..form() }, "description"),
        (ServiceForm { delivery: "telepathy".into(), ..form() }, "delivery"),
        (ServiceForm { duration_minutes: "".into(), ..form() }, "duration_minutes"),
        (ServiceForm { duration_minutes: "61".into(), ..form() }, "duration_minutes"),
        (ServiceForm { price_credits: "0".into(), ..form() }, "price_credits"),
        (ServiceForm { price_credits: "-3".into(), ..form() }, "price_credits"),
        (ServiceForm { price_credits: "100001".into(), ..form() }, "price_credits"),
        (ServiceForm { price_credits: "99999999999999999999".into(), ..form() }, "price_credits"),
        (ServiceForm { price_credits: "1.5".into(), ..form() }, "price_credits"),
        (ServiceForm { price_credits: "".into(), card_price: "".into(), ..form() }, "price_credits"),
        (ServiceForm { card_price: "0".into(), ..form() }, "card_price"),
        (ServiceForm { card_price: "-1.00".into(), ..form() }, "card_price"),
        (ServiceForm { card_price: "100000.01".into(), ..form() }, "card_price"),
        (ServiceForm { card_price: "12.345".into(), ..form() }, "card_price"),
        (ServiceForm { currency: "BTC".into(), ..form() }, "currency"),
    ];
    for (f, field) in cases {
        assert_eq!(f.parse().unwrap_err().field, field, "{f:?}");
    }
}

#[test]
fn choice_questions_need_distinct_choices_and_others_keep_none() {
    let q = QuestionForm {
        label: "Your birth time".into(),
        kind: "short_text".into(),
        required: Some("on".into()),
        options: "a\nb".into(),
    };
    let parsed = q.parse(Uuid::nil()).unwrap();
    assert_eq!((parsed.kind, parsed.required, parsed.options.len()), (QuestionKind::ShortText, true, 0));
    let choice =
        QuestionForm { kind: "choice".into(), options: " Morning \n\nEvening\n".into(), required: None, ..q.clone() };
    assert_eq!(choice.parse(Uuid::nil()).unwrap().options, vec!["Morning", "Evening"]);
    let bad = [
        (QuestionForm { label: "Hi".into(), ..q.clone() }, "label"),
        (QuestionForm { kind: "essay".into(), ..q.clone() }, "kind"),
        (QuestionForm { kind: "choice".into(), options: "only".into(), ..q.clone() }, "options"),
        (QuestionForm { kind: "choice".into(), options: "Yes\nyes".into(), ..q.clone() }, "options"),
        (QuestionForm { kind: "choice".into(), options: format!("a\n{}", "b".repeat(81)), ..q.clone() }, "options"),
    ];
    for (f, field) in bad {
        assert_eq!(f.parse(Uuid::nil()).unwrap_err().field, field, "{f:?}");
    }
}

#[test]
fn status_moves_follow_the_rule() {
    use ServiceStatus::*;
    assert!(Active.can_move_to(Paused) && Paused.can_move_to(Active) && Active.can_move_to(Archived));
    assert!(Archived.can_move_to(Paused));
    assert!(!Archived.can_move_to(Active) && !Active.can_move_to(Active));
}

#[test]
fn the_from_price_is_the_lowest_credit_price() {
    let eur = |m| Money::from_minor(m, Currency::Eur);
    let prices = [
        Price::new(Some(20), None).unwrap(),
        Price::new(None, Some(eur(1000))).unwrap(),
        Price::new(Some(8), Some(eur(3000))).unwrap(),
    ];
    assert_eq!(from_label(&prices, Locale::default()).as_deref(), Some("From 8 credits"));
    assert_eq!(from_label(&prices[1..2], Locale::default()).as_deref(), Some("€10.00"));
    assert_eq!(from_label(&[], Locale::default()), None);
}

#[test]
fn directory_queries_are_checked_and_round_trip_into_links() {
    let q = DirectoryQuery {
        q: " birth chart ".into(),
        delivery: "video".into(),
        min_credits: "5".into(),
        sort: "price_low".into(),
        ..Default::default()
    };
    let s = q.parse().unwrap();
    assert_eq!(s.words.as_deref(), Some("birth chart"));
    assert_eq!(s.href(2), "/practitioners?q=birth+chart&delivery=video&min_credits=5&sort=price_low&page=2");
    assert_eq!(DirectoryQuery::default().parse().unwrap().href(1), "/practitioners");
    let bad = [
        (DirectoryQuery { delivery: "fax".into(), ..Default::default() }, "delivery"),
        (DirectoryQuery { min_credits: "-1".into(), ..Default::default() }, "min_credits"),
        (DirectoryQuery { min_credits: "9".into(), max_credits: "3".into(), ..Default::default() }, "max_credits"),
        (DirectoryQuery { sort: "random".into(), ..Default::default() }, "sort"),
        (DirectoryQuery { page: "0".into(), ..Default::default() }, "page"),
        (DirectoryQuery { service_type: "<b>".into(), ..Default::default() }, "service_type"),
    ];
    for (f, field) in bad {
        assert_eq!(f.parse().unwrap_err().field, field, "{f:?}");
    }
}

#[test]
fn search_words_keep_every_script_whole_and_drop_bare_punctuation() {
    let s = |q: &str| DirectoryQuery { q: q.into(), ..Default::default() }.parse().unwrap();
    assert_eq!(s("Astro  chart").search_words().as_deref(), Some("Astro chart"));
    assert_eq!(s("ज्योतिष  café").search_words().as_deref(), Some("ज्योतिष café"));
    assert_eq!(s("a' | !b:*").search_words().as_deref(), Some("a' !b:*"));
    assert_eq!(s("!!! ()").search_words(), None);
    assert_eq!(s("").search_words(), None);
    assert_eq!(s("1 2 3 4 5 6 7 8 9 10").search_words().as_deref(), Some("1 2 3 4 5 6 7 8"));
}

#[test]
fn service_filters_admit_by_type_delivery_and_credit_range() {
    let s = DirectoryQuery {
        delivery: "video".into(),
        min_credits: "5".into(),
        max_credits: "10".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    let p = |c| Price::new(Some(c), None).unwrap();
    assert!(s.admits("any", Delivery::Video, &p(5)) && s.admits("any", Delivery::Video, &p(10)));
    assert!(!s.admits("any", Delivery::Video, &p(11)) && !s.admits("any", Delivery::Phone, &p(7)));
    let card_only = Price::new(None, Some(Money::from_minor(100, Currency::Eur))).unwrap();
    assert!(!s.admits("any", Delivery::Video, &card_only), "a credit range needs a credit price");
}

#[test]
fn service_slugs_start_with_the_practitioner() {
    assert_eq!(service_slug("asha-rao", "Birth Chart Reading (60 min)"), "asha-rao-birth-chart-reading-60-min");
    assert!(is_slug(&service_slug("asha-rao", "¿¡!"), 100));
}

#[test]
fn service_type_forms_are_checked() {
    let f = ServiceTypeForm {
        slug: "Yoga-Class".into(),
        name: "Yoga class".into(),
        description: "".into(),
        active: Some("on".into()),
        position: "2".into(),
    };
    assert_eq!(f.parse().unwrap().slug, "yoga-class");
    assert_eq!(ServiceTypeForm { slug: "yoga--class".into(), ..f.clone() }.parse().unwrap_err().field, "slug");
    assert_eq!(ServiceTypeForm { name: " ".into(), ..f.clone() }.parse().unwrap_err().field, "name");
    assert_eq!(ServiceTypeForm { position: "-1".into(), ..f }.parse().unwrap_err().field, "position");
}
