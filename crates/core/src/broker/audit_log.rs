//! Listing the audit log, one policy for every caller: `lanyard audit` (CLI), the app's
//! `audit_list` (Players page) and anything later. Grants buffered in this process are
//! written first, so the list includes them.

use crate::error::{Error, InputField, Result};
use crate::instance::Lanyard;
use crate::store::audit::AuditRecord;

/// Events listed when the caller names no limit.
pub const DEFAULT_LIMIT: i64 = 200;
/// The most events one call lists (a larger limit is lowered to this).
pub const MAX_LIMIT: i64 = 5_000;

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery<'a> {
    /// Only events about this channel.
    pub channel_id: Option<&'a str>,
    /// Only events at or after this time (Unix seconds).
    pub since: Option<i64>,
    /// At most this many ([`DEFAULT_LIMIT`] when absent; at most [`MAX_LIMIT`]).
    pub limit: Option<i64>,
}

/// The limit a query gets: its own (positive, at most [`MAX_LIMIT`]) or the default.
pub fn limit_for(limit: Option<i64>) -> Result<i64> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if n <= 0 => Err(Error::invalid_field(
            InputField::Limit,
            "the limit must be a positive number of events",
        )),
        Some(n) => Ok(n.min(MAX_LIMIT)),
    }
}

/// Audit events, newest first.
pub async fn list(l: &Lanyard, query: AuditQuery<'_>) -> Result<Vec<AuditRecord>> {
    let limit = limit_for(query.limit)?;
    l.broker().flush(l.store()).await?;
    l.store()
        .audit_events(query.channel_id, query.since, limit)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_policy_for_the_limit() {
        assert_eq!(limit_for(None).expect("default"), DEFAULT_LIMIT);
        assert_eq!(limit_for(Some(7)).expect("own"), 7);
        assert_eq!(limit_for(Some(1_000_000)).expect("capped"), MAX_LIMIT);
        let err = limit_for(Some(0)).expect_err("zero");
        assert_eq!(
            (err.code(), err.field()),
            ("invalid_input", Some(InputField::Limit))
        );
        assert!(limit_for(Some(-3)).is_err());
    }
}
