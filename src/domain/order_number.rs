//! `OrderNumber`: the confirmation number a customer quotes to support. It is parsed
//! once, where it arrives (a form field, a path, the payment provider's reference, a
//! database row), so everything past that point holds a number that can be an order's
//! and no function has to read one again.

use crate::domain::{AppError, FieldError};
use serde::{Deserialize, Serialize};

/// `ATN-7K3Q-9F2M`: 40 random bits in eight characters that cannot be misread for each
/// other. Always held in that written form, so two numbers for one order are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderNumber(String);

crate::domain::string_newtype_serde!(OrderNumber, OrderNumber::parse);

/// Letters and digits that cannot be misread for each other (no I, L, O or U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const PREFIX: &str = "ATN";

impl OrderNumber {
    /// A new number from 40 random bits.
    pub fn generate(random: [u8; 5]) -> OrderNumber {
        let bits = random.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars: String = (0..8).rev().map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char).collect();
        OrderNumber(format!("{PREFIX}-{}-{}", &chars[..4], &chars[4..]))
    }

    /// Reads a number as a person might type it: any case, with or without the dashes,
    /// with O for 0 and I or L for 1. This is the one place the rule lives.
    pub fn parse(raw: &str) -> Result<OrderNumber, FieldError> {
        let refused = || FieldError::new("order", "Enter the order number as it was given to you, like ATN-7K3Q-9F2M.");
        let cleaned: String = raw
            .trim()
            .to_ascii_uppercase()
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| match c {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            })
            .collect();
        let body = cleaned.strip_prefix(PREFIX).ok_or_else(refused)?;
        if body.len() != 8 || !body.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(refused());
        }
        Ok(OrderNumber(format!("{PREFIX}-{}-{}", &body[..4], &body[4..])))
    }

    /// The order a request names (a form field, a path). A number that cannot be an
    /// order's is answered as an order that is not there, the same answer as for one
    /// that does not exist or is someone else's, so a guess learns nothing more.
    pub fn requested(raw: &str) -> Result<OrderNumber, AppError> {
        OrderNumber::parse(raw).map_err(|_| AppError::NotFound)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for OrderNumber {
    type Err = FieldError;
    fn from_str(raw: &str) -> Result<Self, FieldError> {
        OrderNumber::parse(raw)
    }
}

/// Reads as the text it is, for ledger keys, emails and URLs; text becomes a number
/// only through `parse`.
impl std::ops::Deref for OrderNumber {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for OrderNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(feature = "ssr")]
mod sql {
    //! `OrderNumber` is read from and written to `text` columns (`orders.number`). A
    //! stored value not in the written form is an error, not a silently corrected
    //! number: the database's check constraint allows no other.
    use super::OrderNumber;
    use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef, Postgres};
    use sqlx::{Decode, Encode, Type, encode::IsNull, error::BoxDynError};

    impl Type<Postgres> for OrderNumber {
        fn type_info() -> PgTypeInfo {
            <String as Type<Postgres>>::type_info()
        }

        fn compatible(ty: &PgTypeInfo) -> bool {
            <String as Type<Postgres>>::compatible(ty)
        }
    }

    impl Encode<'_, Postgres> for OrderNumber {
        fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
            <String as Encode<Postgres>>::encode_by_ref(&self.0, buf)
        }
    }

    impl<'r> Decode<'r, Postgres> for OrderNumber {
        fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
            let raw = <String as Decode<Postgres>>::decode(value)?;
            match OrderNumber::parse(&raw) {
                Ok(number) if number.0 == raw => Ok(number),
                _ => Err(format!("{raw:?} is not an order number as stored").into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &str) -> Option<String> {
        OrderNumber::parse(raw).ok().map(|n| n.as_str().to_owned())
    }

    #[test]
    fn numbers_are_written_in_groups_of_four_after_the_prefix() {
        assert_eq!(OrderNumber::generate([0; 5]).as_str(), "ATN-0000-0000");
        assert_eq!(OrderNumber::generate([0xff; 5]).as_str(), "ATN-ZZZZ-ZZZZ");
        let n = OrderNumber::generate([0x3a, 0x91, 0x7c, 0x02, 0xee]);
        assert!(n.starts_with("ATN-") && n.len() == 13, "{n}");
    }

    #[test]
    fn a_number_is_read_back_the_way_a_person_types_it() {
        assert_eq!(parsed("atn-7k3q-9f2m"), Some("ATN-7K3Q-9F2M".into()));
        assert_eq!(parsed("  ATN7K3Q9F2M "), Some("ATN-7K3Q-9F2M".into()));
        assert_eq!(parsed("ATN 7K3Q 9F2M"), Some("ATN-7K3Q-9F2M".into()));
        assert_eq!(parsed("ATN-7K3Q-9F2O"), Some("ATN-7K3Q-9F20".into()), "O is read as zero");
        assert_eq!(parsed("ATN-IL00-0000"), Some("ATN-1100-0000".into()), "I and L are read as one");
        assert_eq!(parsed("atn--7k3q--9f2m"), Some("ATN-7K3Q-9F2M".into()));
    }

    #[test]
    fn anything_else_is_refused_with_the_field_it_came_from() {
        let long = "ATN-".repeat(25_000);
        for bad in [
            "",
            "ATN",
            "ATN-",
            "ATN-7K3Q-9F2",
            "ATN-7K3Q-9F2MM",
            "ATN-7K3Q-9F2U",
            "ABC-7K3Q-9F2M",
            "7K3Q-9F2M",
            "ATN-7K3Q-9F2!",
            "ATN-7K3Q-9F2\u{00c9}",
            "ATN-7K3Q\t9F2M",
            "ATN-\u{ff17}K3Q-9F2M",
            long.as_str(),
        ] {
            let e = OrderNumber::parse(bad).unwrap_err();
            assert_eq!(e.field, "order", "{bad:?}");
            assert!(e.message.contains("ATN-"), "{bad:?}: {}", e.message);
        }
    }

    #[test]
    fn a_request_for_a_number_that_cannot_be_an_order_finds_nothing() {
        assert_eq!(OrderNumber::requested("not-an-order"), Err(AppError::NotFound));
        assert_eq!(OrderNumber::requested("atn-7k3q-9f2m").unwrap().as_str(), "ATN-7K3Q-9F2M");
    }

    #[test]
    fn every_generated_number_reads_back_as_itself_in_any_form_a_person_types() {
        for random in [[0; 5], [0xff; 5], [0x3a, 0x91, 0x7c, 0x02, 0xee], [1, 2, 3, 4, 5], [0x80, 0, 0, 0, 1]] {
            let n = OrderNumber::generate(random);
            assert_eq!(OrderNumber::parse(n.as_str()).as_ref(), Ok(&n));
            assert_eq!(OrderNumber::parse(&n.to_lowercase().replace('-', "")).as_ref(), Ok(&n));
            assert_eq!(n.as_str().parse::<OrderNumber>().as_ref(), Ok(&n));
        }
    }

    #[test]
    fn the_database_allows_exactly_the_numbers_this_type_writes() {
        let migration = include_str!("../../migrations/20261126000001_credit_orders.sql");
        let check = "number ~ '^ATN-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$'";
        assert!(migration.contains(check), "the check on orders.number changed; make this type agree with it");
        let class = &check.as_bytes()[check.find('[').unwrap() + 1..check.find(']').unwrap()];
        let (mut letters, mut i) = (Vec::new(), 0);
        while i < class.len() {
            if class.get(i + 1) == Some(&b'-') && i + 2 < class.len() {
                letters.extend(class[i]..=class[i + 2]);
                i += 3;
            } else {
                letters.push(class[i]);
                i += 1;
            }
        }
        assert_eq!(letters, ALPHABET);
        assert!(check.starts_with(&format!("number ~ '^{PREFIX}-")));
    }

    #[test]
    fn a_number_crosses_the_wire_as_its_text_and_is_parsed_on_the_way_in() {
        let n = OrderNumber::parse("ATN-7K3Q-9F2M").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"ATN-7K3Q-9F2M\"");
        assert_eq!(serde_json::from_str::<OrderNumber>("\"atn-7k3q-9f2m\"").unwrap(), n);
        assert!(serde_json::from_str::<OrderNumber>("\"ATN-7K3Q-9F2U\"").is_err());
        assert!(serde_json::from_str::<OrderNumber>("42").is_err());
    }
}
