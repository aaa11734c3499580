//! The onboarding wizard's rules: what each of the five steps must hold, and when a
//! value the call centre supplied may be used. The same functions give the form its
//! instant feedback (`problem`) and decide on the server (`parse_*`), so the two can
//! never disagree.

use crate::domain::{Email, FieldError, Phone, TimeZone};
use serde::{Deserialize, Serialize};

pub const NAME_PART_MAX: usize = 60;
pub const LOCATION: (usize, usize) = (2, 120);
pub const PRACTICE_TYPE: (usize, usize) = (2, 80);
pub const LIST_ITEM: (usize, usize) = (2, 40);
pub const LIST_MAX: usize = 10;
pub const YEARS_MAX: i16 = 70;
pub const HEADLINE: (usize, usize) = (10, 120);
pub const BIO: (usize, usize) = (100, 2000);
pub const EXPERIENCE_TEXT: (usize, usize) = (2, 100);
pub const EXPERIENCE_MAX: usize = 20;
pub const CERTIFICATES_MAX: usize = 10;

/// Step numbers, 1 to 5.
pub const BASIC: i16 = 1;
pub const PHOTO: i16 = 2;
pub const PROFESSIONAL: i16 = 3;
pub const BIO_STEP: i16 = 4;
pub const EXPERIENCE: i16 = 5;
/// `step_reached` once every step is complete.
pub const DONE: i16 = 6;

/// The step an upload belongs to: the photo's, or the certificates'.
pub fn step_of_upload(photo: bool) -> i16 {
    if photo { PHOTO } else { EXPERIENCE }
}

/// Spaces tidied; refuses control characters and angle brackets (no markup anywhere).
fn text(field: &str, raw: &str, label: &str, (min, max): (usize, usize)) -> Result<String, FieldError> {
    let value = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = value.chars().count();
    if n == 0 {
        return Err(FieldError::new(field, format!("Enter {label}.")));
    }
    if n < min || n > max {
        return Err(FieldError::new(field, format!("Use between {min} and {max} characters for {label} (now {n}).")));
    }
    if value.chars().any(|c| c.is_control() || c == '<' || c == '>') {
        return Err(FieldError::new(
            field,
            format!("{} contains characters we cannot accept (< or >).", capital(label)),
        ));
    }
    Ok(value)
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// A comma-separated list ("Vedic astrology, Tarot"): each item tidied, repeats
/// dropped, at least `min` and at most `LIST_MAX` items.
fn list(field: &str, raw: &str, label: &str, min: usize) -> Result<Vec<String>, FieldError> {
    let mut items: Vec<String> = Vec::new();
    for part in raw.split([',', ';', '\n']) {
        if part.trim().is_empty() {
            continue;
        }
        let item = text(field, part, &format!("each of your {label}"), LIST_ITEM)?;
        if !items.iter().any(|i| i.eq_ignore_ascii_case(&item)) {
            items.push(item);
        }
    }
    if items.len() < min {
        return Err(FieldError::new(field, format!("Enter at least {min} of your {label}, separated by commas.")));
    }
    if items.len() > LIST_MAX {
        return Err(FieldError::new(field, format!("List at most {LIST_MAX} {label} (now {}).", items.len())));
    }
    Ok(items)
}

fn whole_number(field: &str, raw: &str, label: &str, (min, max): (i16, i16)) -> Result<i16, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(FieldError::new(field, format!("Enter {label}.")));
    }
    raw.parse::<i16>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| FieldError::new(field, format!("Enter {label} as a whole number from {min} to {max}.")))
}

/// Step 1 as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasicForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub location: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basic {
    pub first_name: String,
    pub last_name: String,
    pub email: Email,
    pub phone: Phone,
    pub location: String,
    pub time_zone: TimeZone,
}

/// Step 3 as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfessionalForm {
    pub practice_type: String,
    pub specialties: String,
    pub languages: String,
    pub years_experience: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Professional {
    pub practice_type: String,
    pub specialties: Vec<String>,
    pub languages: Vec<String>,
    pub years_experience: i16,
}

/// Step 4 as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BioForm {
    pub headline: String,
    pub bio: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio {
    pub headline: String,
    pub bio: String,
}

/// One entry of step 5 as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExperienceForm {
    pub title: String,
    pub organisation: String,
    pub start_year: String,
    pub end_year: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Experience {
    pub title: String,
    pub organisation: String,
    pub start_year: i16,
    pub end_year: Option<i16>,
}

/// What is wrong with one field's value, for the form's instant feedback: exactly the
/// rule the server applies to that field. `None` for a good value or an unknown field.
pub fn problem(field: &str, value: &str, this_year: i16) -> Option<String> {
    let result = match field {
        "first_name" => text(field, value, "your first name", (1, NAME_PART_MAX)).map(drop),
        "last_name" => text(field, value, "your last name", (1, NAME_PART_MAX)).map(drop),
        "email" => Email::parse(value).map(drop),
        "phone" => Phone::parse_optional(value)
            .and_then(|p| p.ok_or_else(|| FieldError::new("phone", "Enter your phone number.")))
            .map(drop),
        "location" => text(field, value, "where you practise (city and country)", LOCATION).map(drop),
        "time_zone" => TimeZone::parse(value).map(drop),
        "practice_type" => text(field, value, "your practice", PRACTICE_TYPE).map(drop),
        "specialties" => list(field, value, "specialties", 1).map(drop),
        "languages" => list(field, value, "languages", 1).map(drop),
        "years_experience" => whole_number(field, value, "your years of practice", (0, YEARS_MAX)).map(drop),
        "headline" => text(field, value, "a headline", HEADLINE).map(drop),
        "bio" => bio_text(value).map(drop),
        "title" => text(field, value, "the role or qualification", EXPERIENCE_TEXT).map(drop),
        "organisation" => text(field, value, "where it was", EXPERIENCE_TEXT).map(drop),
        "start_year" => whole_number(field, value, "the year it started", (1900, this_year)).map(drop),
        "end_year" if value.trim().is_empty() => Ok(()),
        "end_year" => whole_number(field, value, "the year it ended", (1900, this_year)).map(drop),
        _ => Ok(()),
    };
    result.err().map(|e| e.message)
}

/// The bio keeps its paragraphs (blank lines) but tidies spaces within lines.
fn bio_text(raw: &str) -> Result<String, FieldError> {
    let paragraphs: Vec<String> = raw
        .replace("\r\n", "\n")
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    let value = paragraphs.join("\n\n");
    let n = value.chars().count();
    let (min, max) = BIO;
    if n == 0 {
        return Err(FieldError::new("bio", "Write a bio: who you are and how you work with clients."));
    }
    if n < min || n > max {
        return Err(FieldError::new(
            "bio",
            format!("Write between {min} and {max} characters for your bio (now {n})."),
        ));
    }
    if value.chars().any(|c| (c.is_control() && c != '\n') || c == '<' || c == '>') {
        return Err(FieldError::new("bio", "Your bio contains characters we cannot accept (< or >)."));
    }
    Ok(value)
}

pub fn parse_basic(f: &BasicForm) -> Result<Basic, FieldError> {
    Ok(Basic {
        first_name: text("first_name", &f.first_name, "your first name", (1, NAME_PART_MAX))?,
        last_name: text("last_name", &f.last_name, "your last name", (1, NAME_PART_MAX))?,
        email: Email::parse(&f.email)?,
        phone: Phone::parse_optional(&f.phone)?.ok_or_else(|| FieldError::new("phone", "Enter your phone number."))?,
        location: text("location", &f.location, "where you practise (city and country)", LOCATION)?,
        time_zone: TimeZone::parse(&f.time_zone)?,
    })
}

pub fn parse_professional(f: &ProfessionalForm) -> Result<Professional, FieldError> {
    Ok(Professional {
        practice_type: text("practice_type", &f.practice_type, "your practice", PRACTICE_TYPE)?,
        specialties: list("specialties", &f.specialties, "specialties", 1)?,
        languages: list("languages", &f.languages, "languages", 1)?,
        years_experience: whole_number(
            "years_experience",
            &f.years_experience,
            "your years of practice",
            (0, YEARS_MAX),
        )?,
    })
}

pub fn parse_bio(f: &BioForm) -> Result<Bio, FieldError> {
    Ok(Bio { headline: text("headline", &f.headline, "a headline", HEADLINE)?, bio: bio_text(&f.bio)? })
}

pub fn parse_experience(f: &ExperienceForm, this_year: i16) -> Result<Experience, FieldError> {
    let start_year = whole_number("start_year", &f.start_year, "the year it started", (1900, this_year))?;
    let end_year = match f.end_year.trim() {
        "" => None,
        raw => Some(whole_number("end_year", raw, "the year it ended", (1900, this_year))?),
    };
    if end_year.is_some_and(|end| end < start_year) {
        return Err(FieldError::new("end_year", "The year it ended cannot be before the year it started."));
    }
    Ok(Experience {
        title: text("title", &f.title, "the role or qualification", EXPERIENCE_TEXT)?,
        organisation: text("organisation", &f.organisation, "where it was", EXPERIENCE_TEXT)?,
        start_year,
        end_year,
    })
}

/// A value the call centre supplied, shown with where it came from until its owner
/// confirms or changes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefill {
    pub field: String,
    pub value: String,
    /// When the call centre's list holding it was imported.
    pub imported_at: jiff::Timestamp,
    pub confirmed: bool,
}

/// The fields the call centre's list can fill in, by step.
pub fn prefillable(step: i16) -> &'static [&'static str] {
    match step {
        BASIC => &["first_name", "last_name", "email", "location"],
        PROFESSIONAL => &["practice_type"],
        _ => &[],
    }
}

/// A lead's one name as first and last name: the last word is the last name.
pub fn split_name(name: &str) -> (String, String) {
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => (rest.join(" "), (*last).to_owned()),
        Some((only, _)) => ((*only).to_owned(), String::new()),
        None => (String::new(), String::new()),
    }
}

/// The first prefilled value of `step` that is submitted unchanged but neither ticked as
/// correct now nor confirmed before: it cannot be used until its owner looks at it.
/// A changed value is the practitioner's own and needs no confirmation.
pub fn unconfirmed_prefill(
    step: i16,
    prefill: &[Prefill],
    submitted: impl Fn(&str) -> String,
    ticked: &[String],
) -> Option<FieldError> {
    prefillable(step).iter().find_map(|field| {
        let p = prefill.iter().find(|p| p.field == *field && !p.confirmed)?;
        let same = submitted(field).split_whitespace().eq(p.value.split_whitespace());
        (same && !ticked.iter().any(|t| t == field)).then(|| {
            FieldError::new(field, "This came from the call centre's list: check it and tick \u{201c}This is correct\u{201d}, or change it.")
        })
    })
}

impl BasicForm {
    pub fn get(&self, field: &str) -> String {
        match field {
            "first_name" => &self.first_name,
            "last_name" => &self.last_name,
            "email" => &self.email,
            "phone" => &self.phone,
            "location" => &self.location,
            "time_zone" => &self.time_zone,
            _ => "",
        }
        .to_owned()
    }
}

impl ProfessionalForm {
    pub fn get(&self, field: &str) -> String {
        match field {
            "practice_type" => &self.practice_type,
            "specialties" => &self.specialties,
            "languages" => &self.languages,
            "years_experience" => &self.years_experience,
            _ => "",
        }
        .to_owned()
    }
}

/// Where a person in the wizard goes: the step asked for when it is open to them,
/// otherwise the first incomplete one.
pub fn step_to_show(asked: Option<i16>, step_reached: i16) -> i16 {
    let first_open = step_reached.clamp(BASIC, EXPERIENCE);
    match asked {
        Some(s) if (BASIC..=EXPERIENCE).contains(&s) && s <= step_reached => s,
        _ => first_open,
    }
}

/// A public address for a practitioner's profile from their name: `asha-rao`, with a
/// number added by the caller when it is taken.
pub fn slug_of(first: &str, last: &str) -> String {
    let mut slug = String::new();
    for c in format!("{first} {last}").chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à'..='å' => 'a',
            'è'..='ë' => 'e',
            'ì'..='ï' => 'i',
            'ò'..='ö' => 'o',
            'ù'..='ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(60).collect();
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() { "practitioner".to_owned() } else { slug }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic() -> BasicForm {
        BasicForm {
            first_name: " Asha ".into(),
            last_name: "Rao".into(),
            email: "Asha@Example.com".into(),
            phone: "+91 98765 43210".into(),
            location: "Pune, India".into(),
            time_zone: "Asia/Kolkata".into(),
        }
    }

    #[test]
    fn every_basic_info_rule_has_a_failing_case() {
        let ok = parse_basic(&basic()).unwrap();
        assert_eq!((ok.first_name.as_str(), ok.phone.as_str()), ("Asha", "+919876543210"));
        let cases: [(&str, fn(&mut BasicForm)); 9] = [
            ("first_name", |f| f.first_name = "  ".into()),
            ("first_name", |f| f.first_name = "x".repeat(61)),
            ("last_name", |f| f.last_name = "<b>".into()),
            ("email", |f| f.email = "asha@".into()),
            ("phone", |f| f.phone = "".into()),
            ("phone", |f| f.phone = "98765".into()),
            ("location", |f| f.location = "P".into()),
            ("time_zone", |f| f.time_zone = "Mars/Base".into()),
            ("time_zone", |f| f.time_zone = "".into()),
        ];
        for (field, break_it) in cases {
            let mut f = basic();
            break_it(&mut f);
            let e = parse_basic(&f).unwrap_err();
            assert_eq!(e.field, field, "{f:?}");
            assert_eq!(
                problem(field, &f.get(field), 2026).as_deref(),
                Some(e.message.as_str()),
                "the form says what the server says"
            );
        }
    }

    #[test]
    fn every_professional_rule_has_a_failing_case() {
        let good = ProfessionalForm {
            practice_type: "Astrology".into(),
            specialties: "Vedic astrology, tarot, vedic Astrology".into(),
            languages: "English; Hindi".into(),
            years_experience: "12".into(),
        };
        let ok = parse_professional(&good).unwrap();
        assert_eq!(ok.specialties, ["Vedic astrology", "tarot"], "repeats dropped");
        assert_eq!(ok.languages, ["English", "Hindi"]);
        let cases: [(&str, fn(&mut ProfessionalForm)); 8] = [
            ("practice_type", |f| f.practice_type = "".into()),
            ("specialties", |f| f.specialties = " , ".into()),
            ("specialties", |f| f.specialties = "a".into()),
            ("specialties", |f| f.specialties = (0..11).map(|i| format!("skill {i}")).collect::<Vec<_>>().join(",")),
            ("languages", |f| f.languages = "".into()),
            ("years_experience", |f| f.years_experience = "-1".into()),
            ("years_experience", |f| f.years_experience = "71".into()),
            ("years_experience", |f| f.years_experience = "ten".into()),
        ];
        for (field, break_it) in cases {
            let mut f = good.clone();
            break_it(&mut f);
            let e = parse_professional(&f).unwrap_err();
            assert_eq!(e.field, field, "{f:?}");
            assert_eq!(problem(field, &f.get(field), 2026).as_deref(), Some(e.message.as_str()));
        }
    }

    #[test]
    fn the_bio_step_counts_characters_and_keeps_paragraphs() {
        let bio = format!("{}\r\n\r\n{}", "a".repeat(60), "b ".repeat(30));
        let ok = parse_bio(&BioForm { headline: "Vedic astrologer in Pune".into(), bio }).unwrap();
        assert!(ok.bio.contains("\n\n") && !ok.bio.contains('\r'));
        for (form, field) in [
            (BioForm { headline: "Too short".into(), bio: "x".repeat(100) }, "headline"),
            (BioForm { headline: "h".repeat(121), bio: "x".repeat(100) }, "headline"),
            (BioForm { headline: "A fine headline".into(), bio: "x".repeat(99) }, "bio"),
            (BioForm { headline: "A fine headline".into(), bio: "x".repeat(2001) }, "bio"),
            (BioForm { headline: "A fine headline".into(), bio: format!("{}<script>", "x".repeat(100)) }, "bio"),
        ] {
            let e = parse_bio(&form).unwrap_err();
            assert_eq!(e.field, field, "{form:?}");
        }
        assert_eq!(
            problem("bio", &"x".repeat(99), 2026).unwrap(),
            "Write between 100 and 2000 characters for your bio (now 99)."
        );
    }

    #[test]
    fn experience_years_are_real_and_in_order() {
        let f = |s: &str, e: &str| ExperienceForm {
            title: "Jyotish diploma".into(),
            organisation: "Bharatiya Vidya Bhavan".into(),
            start_year: s.into(),
            end_year: e.into(),
        };
        assert_eq!(parse_experience(&f("2010", ""), 2026).unwrap().end_year, None);
        assert_eq!(parse_experience(&f("2010", "2012"), 2026).unwrap().end_year, Some(2012));
        assert_eq!(parse_experience(&f("2012", "2010"), 2026).unwrap_err().field, "end_year");
        assert_eq!(parse_experience(&f("2027", ""), 2026).unwrap_err().field, "start_year", "not in the future");
        assert_eq!(parse_experience(&f("1899", ""), 2026).unwrap_err().field, "start_year");
        assert_eq!(parse_experience(&f("", ""), 2026).unwrap_err().field, "start_year");
        let mut no_title = f("2010", "");
        no_title.title = " ".into();
        assert_eq!(parse_experience(&no_title, 2026).unwrap_err().field, "title");
    }

    #[test]
    fn an_unchanged_call_centre_value_must_be_ticked_or_confirmed_before() {
        let at = jiff::Timestamp::from_second(1_764_000_000).unwrap();
        let prefill = vec![
            Prefill { field: "first_name".into(), value: "Asha".into(), imported_at: at, confirmed: false },
            Prefill { field: "email".into(), value: "asha@example.com".into(), imported_at: at, confirmed: true },
        ];
        let form = basic();
        let e = unconfirmed_prefill(BASIC, &prefill, |f| form.get(f), &[]).unwrap();
        assert_eq!(e.field, "first_name");
        assert_eq!(unconfirmed_prefill(BASIC, &prefill, |f| form.get(f), &["first_name".into()]), None, "ticked");
        let mut changed = basic();
        changed.first_name = "Ashwini".into();
        assert_eq!(unconfirmed_prefill(BASIC, &prefill, |f| changed.get(f), &[]), None, "their own value");
        assert_eq!(unconfirmed_prefill(PROFESSIONAL, &prefill, |f| form.get(f), &[]), None, "another step's fields");
    }

    #[test]
    fn names_split_and_slugs_are_address_safe() {
        assert_eq!(split_name(" Asha  Devi Rao "), ("Asha Devi".into(), "Rao".into()));
        assert_eq!(split_name("Cher"), ("Cher".into(), String::new()));
        assert_eq!(slug_of("Zoë", "O'Brien-Núñez"), "zoe-o-brien-nunez");
        assert_eq!(slug_of("李", "明"), "practitioner");
        assert_eq!(step_to_show(Some(4), 3), 3, "a later step is not open yet");
        assert_eq!(step_to_show(Some(2), 3), 2, "earlier steps stay editable");
        assert_eq!(step_to_show(None, DONE), EXPERIENCE);
        assert_eq!(step_to_show(Some(9), 1), 1);
    }
}
