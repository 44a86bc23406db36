//! The minimum refetch interval in `--json` outputs: channels and URL tokens gain
//! `min_refetch_secs` (0 unless set with `channel set` / `token set --min-refetch`).

use std::collections::HashMap;

use lanyard_core::store::refetch::RefetchOf;
use lanyard_core::{Lanyard, Result};
use serde::Serialize;
use serde_json::Value;

/// Every non-zero interval, keyed `channel:<id>` / `url_token:<id>`.
pub async fn all(l: &Lanyard) -> Result<HashMap<String, u64>> {
    l.store().min_refetch_all().await
}

/// `value` (an object with an `id`) with `min_refetch_secs` added.
pub fn with<T: Serialize>(value: &T, of: RefetchOf, all: &HashMap<String, u64>) -> Value {
    let mut v = serde_json::to_value(value).unwrap_or(Value::Null);
    add(&mut v, of, all);
    v
}

/// Adds `min_refetch_secs` to an object with an `id`.
pub fn add(v: &mut Value, of: RefetchOf, all: &HashMap<String, u64>) {
    let source = match of {
        RefetchOf::Channel => "channel",
        RefetchOf::UrlToken => "url_token",
    };
    if let Some(obj) = v.as_object_mut() {
        let id = obj.get("id").and_then(Value::as_str).unwrap_or_default();
        let secs = all.get(&format!("{source}:{id}")).copied().unwrap_or(0);
        obj.insert("min_refetch_secs".into(), Value::from(secs));
    }
}

/// A list of objects with `min_refetch_secs` added to each.
pub fn list<T: Serialize>(values: &[T], of: RefetchOf, all: &HashMap<String, u64>) -> Value {
    Value::Array(values.iter().map(|v| with(v, of, all)).collect())
}

/// Refuses an interval out of range before anything changes.
pub fn check(secs: u64) -> Result<()> {
    if secs > lanyard_core::store::refetch::MAX_MIN_REFETCH_SECS {
        return Err(lanyard_core::Error::invalid(format!(
            "--min-refetch is at most {} seconds (a day)",
            lanyard_core::store::refetch::MAX_MIN_REFETCH_SECS
        )));
    }
    Ok(())
}

/// Adds `keep_stale_secs` (the "keep showing for" limit) to an object with an `id`.
pub fn add_keep_stale(v: &mut Value, of: RefetchOf, all: &HashMap<String, u64>) {
    let source = match of {
        RefetchOf::Channel => "channel",
        RefetchOf::UrlToken => "url_token",
    };
    if let Some(obj) = v.as_object_mut() {
        let id = obj.get("id").and_then(Value::as_str).unwrap_or_default();
        let secs = all
            .get(&format!("{source}:{id}"))
            .copied()
            .unwrap_or(lanyard_core::store::stale::DEFAULT_KEEP_STALE_SECS);
        obj.insert("keep_stale_secs".into(), Value::from(secs));
    }
}

/// `--keep-stale-for` in seconds, refused out of range (whole seconds, at most 30 days).
pub fn keep_stale_secs(text: &str) -> Result<u64> {
    let d = lanyard_core::input::duration(text, lanyard_core::error::InputField::KeepStaleFor)?;
    let secs = d.as_secs();
    lanyard_core::store::stale::check_keep_stale(secs)?;
    Ok(secs)
}

/// A human line for a new "keep showing for" limit.
pub fn described_keep(what: &str, id: &str, secs: u64) -> String {
    if secs == 0 {
        format!("{what} {id}: the gateway serves nothing stale fetched with it")
    } else {
        format!(
            "{what} {id}: when no fresh answer can be had, the gateway serves the last good \
             one fetched with it for up to {secs} s after it was fetched, marked stale"
        )
    }
}

/// A human line for a new interval.
pub fn described(what: &str, id: &str, secs: u64) -> String {
    if secs == 0 {
        format!("{what} {id}: the gateway's cache follows the upstream's caching headers only")
    } else {
        format!(
            "{what} {id}: the gateway's cache serves a response fetched with it for at least \
             {secs} s"
        )
    }
}
