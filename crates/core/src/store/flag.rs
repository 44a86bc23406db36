//! [`Flag`]: a yes/no column read the same way from both backends. SQLite keeps flags as
//! `INTEGER` 0/1 (and answers `EXISTS` with an integer); PostgreSQL keeps them as
//! `BOOLEAN`. Queries write flags as `TRUE`/`FALSE` or bind a Rust `bool`, which both
//! accept; reads go through `Flag`.

use sqlx::any::{AnyTypeInfo, AnyTypeInfoKind, AnyValueRef};
use sqlx::decode::Decode;
use sqlx::error::BoxDynError;
use sqlx::{Any, Type};

/// A boolean column or expression, from either backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <bool as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        matches!(
            ty.kind,
            AnyTypeInfoKind::Bool
                | AnyTypeInfoKind::SmallInt
                | AnyTypeInfoKind::Integer
                | AnyTypeInfoKind::BigInt
        )
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        match <bool as Decode<Any>>::decode(value.clone()) {
            Ok(b) => Ok(Flag(b)),
            Err(_) => {
                let n = <i64 as Decode<Any>>::decode(value)?;
                match n {
                    0 => Ok(Flag(false)),
                    1 => Ok(Flag(true)),
                    other => Err(format!("a flag must be 0 or 1, not {other}").into()),
                }
            }
        }
    }
}
