use serde::{Deserialize, Serialize};

/// The human identification number shown to people and support staff: `U100000`,
/// `U100001`, … The number comes from a database sequence that starts at 100000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct UserCode(i64);

impl TryFrom<i64> for UserCode {
    type Error = String;
    fn try_from(n: i64) -> Result<Self, String> {
        UserCode::from_number(n).ok_or_else(|| format!("user codes start at {USER_CODE_FIRST}, not {n}"))
    }
}

impl From<UserCode> for i64 {
    fn from(code: UserCode) -> i64 {
        code.0
    }
}

pub const USER_CODE_FIRST: i64 = 100_000;

impl UserCode {
    pub fn from_number(n: i64) -> Option<Self> {
        (n >= USER_CODE_FIRST).then_some(UserCode(n))
    }

    /// Accepts `U100123` or `u100123` (people type codes read over the phone).
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let digits = raw.strip_prefix('U').or_else(|| raw.strip_prefix('u'))?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().and_then(Self::from_number)
    }

    pub fn number(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for UserCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "U{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_print_with_a_u_prefix() {
        assert_eq!(UserCode::from_number(100_000).unwrap().to_string(), "U100000");
        assert_eq!(UserCode::from_number(1_234_567).unwrap().to_string(), "U1234567");
    }

    #[test]
    fn numbers_below_the_first_code_are_not_codes() {
        assert!(UserCode::from_number(99_999).is_none());
    }

    #[test]
    fn codes_parse_back_from_text() {
        assert_eq!(UserCode::parse(" u100042 ").unwrap().number(), 100_042);
        for bad in ["", "U", "100042", "U10a042", "U-100042", "U99999"] {
            assert!(UserCode::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn every_code_round_trips() {
        for n in [100_000, 100_001, 999_999, 10_000_000, i64::MAX] {
            let c = UserCode::from_number(n).unwrap();
            assert_eq!(UserCode::parse(&c.to_string()), Some(c));
        }
    }
}
