//! One-time sign-in codes sent by text message: their shape and limits, shared by the
//! form (instant feedback) and the server (which decides).

use crate::domain::FieldError;

pub const DIGITS: usize = 6;
/// How long a code can be used after it is sent.
pub const VALID_MINUTES: i64 = 5;
/// Wrong guesses a code survives; the next one retires it.
pub const MAX_ATTEMPTS: i32 = 5;

/// A code as typed: six digits, with any spaces or dashes people put between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code(String);

impl Code {
    pub fn parse(raw: &str) -> Result<Code, FieldError> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{a0}')).collect();
        if digits.len() != DIGITS || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new("code", format!("Enter the {DIGITS}-digit code from the text message.")));
        }
        Ok(Code(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text message that carries `code`.
/// The text message carrying `code` (or the marker that stands in for it until delivery).
pub fn message(code: &str) -> String {
    format!(
        "{code} is your Attune sign-in code. It expires in {VALID_MINUTES} minutes. Never share it: Attune will never ask you for it."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_with_spacing_forgiven() {
        assert_eq!(Code::parse(" 123 456 ").unwrap().as_str(), "123456");
        assert_eq!(Code::parse("123-456").unwrap().as_str(), "123456");
        for bad in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", "123 45"] {
            let e = Code::parse(bad).unwrap_err();
            assert_eq!(e.field, "code", "{bad}");
        }
        assert!(message(Code::parse("042917").unwrap().as_str()).starts_with("042917 is your Attune sign-in code"));
    }
}
