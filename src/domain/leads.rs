//! The call centre's list of practitioner leads: which columns are read, how a phone
//! number as an agent typed it becomes E.164, and the rules a row must meet. A row that
//! breaks one is refused with its reason; the rest of the file still imports.

use crate::domain::{Email, Phone};

/// The columns read, by their names in the header row (any case, with or without
/// spaces, dashes or underscores: "Practice Type", "E-mail"). Other columns are ignored.
pub const COLUMNS: [&str; 7] = ["phone", "name", "email", "practice_type", "location", "contacted", "contact_status"];
const REQUIRED: [&str; 2] = ["phone", "name"];

/// Where each known column is in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns([Option<usize>; 7]);

impl Columns {
    /// Reads the header row; a file without a phone or name column cannot be imported.
    pub fn from_header<'a>(header: impl IntoIterator<Item = &'a str>) -> Result<Columns, String> {
        let mut found = [None; 7];
        for (i, raw) in header.into_iter().enumerate() {
            let bare = |s: &str| s.chars().filter(|c| !matches!(c, ' ' | '-' | '_')).collect::<String>();
            let name = bare(&raw.trim().trim_start_matches('\u{feff}').to_ascii_lowercase());
            if let Some(k) = COLUMNS.iter().position(|c| bare(c) == name)
                && found[k].is_none()
            {
                found[k] = Some(i);
            }
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|r| found[COLUMNS.iter().position(|c| c == r).unwrap_or(0)].is_none())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "The first line must name the columns; {} missing. Expected: {}.",
                missing.join(" and "),
                COLUMNS.join(", ")
            ));
        }
        Ok(Columns(found))
    }

    fn get<'a>(&self, record: &[&'a str], column: &str) -> &'a str {
        let k = COLUMNS.iter().position(|c| *c == column).unwrap_or(0);
        self.0[k].and_then(|i| record.get(i).copied()).unwrap_or("").trim()
    }
}

/// One valid lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadRow {
    pub phone: String,
    pub name: String,
    pub email: Option<String>,
    pub practice_type: Option<String>,
    pub location: Option<String>,
    pub contacted: bool,
    pub contact_status: Option<String>,
}

/// Reads "+91 98765 43210", "0091-98765-43210" or, with a default country code, a
/// national number such as "098765 43210" as E.164 (`+919876543210`).
pub fn normalise_phone(raw: &str, default_country: Option<&str>) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("The phone number is empty.".into());
    }
    if raw.chars().any(|c| !(c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.')))
        || raw[1..].contains('+')
    {
        return Err(format!("\"{raw}\" is not a phone number."));
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let international = if raw.starts_with('+') {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(cc) = default_country {
        format!("{cc}{}", digits.strip_prefix('0').unwrap_or(&digits))
    } else {
        return Err(format!(
            "\"{raw}\" has no country code: write it as +<country code> or choose a default country code."
        ));
    };
    Phone::parse_optional(&format!("+{international}")).ok().flatten().map(|p| p.as_str().to_owned()).ok_or_else(|| {
        format!("\"{raw}\" is not a valid international phone number (7 to 15 digits after the country code).")
    })
}

/// Reads the default country code an admin chose for numbers written without one.
pub fn parse_country_code(raw: &str) -> Result<Option<String>, String> {
    let code = raw.trim().trim_start_matches('+');
    if code.is_empty() {
        return Ok(None);
    }
    if (1..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) && !code.starts_with('0') {
        Ok(Some(code.to_owned()))
    } else {
        Err("A country code is 1 to 3 digits, e.g. 91 for India or 44 for the United Kingdom.".into())
    }
}

fn optional(value: &str, column: &str, max: usize) -> Result<Option<String>, String> {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    match value.chars().count() {
        0 => Ok(None),
        n if n <= max => Ok(Some(value)),
        _ => Err(format!("The {column} is longer than {max} characters.")),
    }
}

fn contacted(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" | "no" | "n" | "false" | "0" => Ok(false),
        "yes" | "y" | "true" | "1" => Ok(true),
        other => Err(format!("\"contacted\" must be yes or no, not \"{other}\".")),
    }
}

/// Checks one data row.
pub fn parse_row(columns: &Columns, record: &[&str], default_country: Option<&str>) -> Result<LeadRow, String> {
    let phone = normalise_phone(columns.get(record, "phone"), default_country)?;
    let name = optional(columns.get(record, "name"), "name", 100)?.ok_or("The name is empty.")?;
    let email = match columns.get(record, "email") {
        "" => None,
        raw => Some(Email::parse(raw).map_err(|_| format!("\"{raw}\" is not an email address."))?.as_str().to_owned()),
    };
    Ok(LeadRow {
        phone,
        name,
        email,
        practice_type: optional(columns.get(record, "practice_type"), "practice type", 80)?,
        location: optional(columns.get(record, "location"), "location", 120)?,
        contacted: contacted(columns.get(record, "contacted"))?,
        contact_status: optional(columns.get(record, "contact_status"), "contact status", 60)?
            .map(|s| s.to_lowercase()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Columns {
        Columns::from_header([
            "Phone",
            "Name",
            "E-mail",
            "Practice Type",
            "location",
            "Contacted",
            "contact status",
            "agent",
        ])
        .unwrap()
    }

    #[test]
    fn phones_become_e164_however_they_were_typed() {
        assert_eq!(normalise_phone("+91 98765-43210", None).unwrap(), "+919876543210");
        assert_eq!(normalise_phone("0091 (98765) 43210", None).unwrap(), "+919876543210");
        assert_eq!(normalise_phone("098765 43210", Some("91")).unwrap(), "+919876543210");
        assert_eq!(normalise_phone("98765.43210", Some("91")).unwrap(), "+919876543210");
        assert!(normalise_phone("98765 43210", None).unwrap_err().contains("no country code"));
        assert!(normalise_phone("+91 98765 4321O", None).unwrap_err().contains("not a phone number"));
        assert!(normalise_phone("+1 23", None).unwrap_err().contains("7 to 15 digits"));
        assert!(normalise_phone("+44+20", None).is_err());
        assert!(normalise_phone("  ", None).unwrap_err().contains("empty"));
    }

    #[test]
    fn the_header_names_the_columns_in_any_order_and_case() {
        let c = columns();
        let row = parse_row(
            &c,
            &["+44 20 7946 0958", " Ada  Lovelace ", "", "Yoga", "London", "Yes", "Interested", "x"],
            None,
        )
        .unwrap();
        assert_eq!(row.phone, "+442079460958");
        assert_eq!(row.name, "Ada Lovelace");
        assert_eq!((row.email, row.contacted, row.contact_status.as_deref()), (None, true, Some("interested")));
        assert!(Columns::from_header(["name", "email"]).unwrap_err().contains("phone missing"));
        assert!(Columns::from_header(["email"]).unwrap_err().contains("phone and name missing"));
    }

    #[test]
    fn every_rule_refuses_its_bad_row_with_the_reason() {
        let c = columns();
        let row = |fields: [&str; 7]| parse_row(&c, &fields, Some("91"));
        assert!(row(["", "A", "", "", "", "", ""]).unwrap_err().contains("phone number is empty"));
        assert!(row(["+919876543210", "", "", "", "", "", ""]).unwrap_err().contains("name is empty"));
        assert!(row(["+919876543210", &"n".repeat(101), "", "", "", "", ""]).unwrap_err().contains("longer than 100"));
        assert!(row(["+919876543210", "A", "not-an-email", "", "", "", ""]).unwrap_err().contains("not an email"));
        assert!(row(["+919876543210", "A", "", &"p".repeat(81), "", "", ""]).unwrap_err().contains("practice type"));
        assert!(row(["+919876543210", "A", "", "", &"l".repeat(121), "", ""]).unwrap_err().contains("location"));
        assert!(row(["+919876543210", "A", "", "", "", "maybe", ""]).unwrap_err().contains("yes or no"));
        assert!(row(["+919876543210", "A", "", "", "", "", &"s".repeat(61)]).unwrap_err().contains("contact status"));
        assert!(row(["+919876543210", "A", "a@example.com", "", "", "no", ""]).is_ok());
    }

    #[test]
    fn default_country_codes_are_checked() {
        assert_eq!(parse_country_code(" +91 ").unwrap(), Some("91".into()));
        assert_eq!(parse_country_code("").unwrap(), None);
        assert!(parse_country_code("0044").is_err());
        assert!(parse_country_code("abc").is_err());
    }
}
