//! `Credits`: a whole, non-negative number of credits, and on the server how it is
//! stored in the database.

use super::MoneyError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A whole, non-negative number of credits. Balances never go below zero; the
/// database repeats that rule as a check constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Credits(i64);

impl Credits {
    pub const ZERO: Credits = Credits(0);

    pub fn new(n: i64) -> Result<Credits, MoneyError> {
        if n < 0 { Err(MoneyError::Negative) } else { Ok(Credits(n)) }
    }

    pub fn get(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Credits) -> Result<Credits, MoneyError> {
        self.0.checked_add(other.0).map(Credits).ok_or(MoneyError::Overflow)
    }

    /// Spends `other` from `self`; refuses rather than going below zero.
    pub fn checked_sub(self, other: Credits) -> Result<Credits, MoneyError> {
        if other.0 > self.0 {
            return Err(MoneyError::InsufficientCredits { available: self.0, needed: other.0 });
        }
        Ok(Credits(self.0 - other.0))
    }

    pub fn checked_mul(self, factor: i64) -> Result<Credits, MoneyError> {
        if factor < 0 {
            return Err(MoneyError::Negative);
        }
        self.0.checked_mul(factor).map(Credits).ok_or(MoneyError::Overflow)
    }
}

impl TryFrom<i64> for Credits {
    type Error = MoneyError;
    fn try_from(n: i64) -> Result<Credits, MoneyError> {
        Credits::new(n)
    }
}

impl From<Credits> for i64 {
    fn from(c: Credits) -> i64 {
        c.0
    }
}

impl fmt::Display for Credits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("1 credit"),
            n => write!(f, "{n} credits"),
        }
    }
}

#[cfg(feature = "ssr")]
mod sql {
    //! `Credits` is read from and written to `BIGINT` columns; a negative value from
    //! the database is an error, not a silently accepted balance.
    use super::Credits;
    use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef, Postgres};
    use sqlx::{Decode, Encode, Type, encode::IsNull, error::BoxDynError};

    impl Type<Postgres> for Credits {
        fn type_info() -> PgTypeInfo {
            <i64 as Type<Postgres>>::type_info()
        }
    }

    impl Encode<'_, Postgres> for Credits {
        fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
            <i64 as Encode<Postgres>>::encode_by_ref(&self.0, buf)
        }
    }

    impl<'r> Decode<'r, Postgres> for Credits {
        fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
            let n = <i64 as Decode<Postgres>>::decode(value)?;
            Ok(Credits::new(n)?)
        }
    }
}
