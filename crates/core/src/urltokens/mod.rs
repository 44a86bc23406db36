//! URL tokens: the user's own credentials for data URLs (a prefix, a key, a value in the
//! secret store), attached to requests as form fields or `Authorization` headers, with
//! permission prompts and values asked at use time.
//!
//! - [`prefix`]: parsing and normalizing prefixes and request URLs.
//! - [`matcher`]: the origin + path-segment index.
//! - [`decorate`]: placement (Basic, Bearer, form body or query) and the report.
//! - [`permission`]: the [`Prompter`](permission::Prompter), stored decisions, and
//!   [`resolve`](permission::resolve) which puts it all together for one request.
//! - [`tokens`]: add, edit, remove, list.
//! - [`values`]: stored values kept in memory under the access epoch.

pub mod decorate;
pub mod matcher;
pub mod permission;
pub mod prefix;
pub mod tokens;
pub mod values;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

/// Where a token goes in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Placement {
    /// A form field (POST body; query parameter for a GET).
    Form,
    /// The `Authorization` header (`username`+`password` → Basic, `token` → Bearer).
    Header,
    /// A header of its own, named by the token's key (`X-API-Key: value`): beyond the two
    /// `Authorization` forms the source model allows, for APIs that take a key header.
    NamedHeader,
}

impl Placement {
    /// The name in the CLI's and the API's JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Form => "form",
            Placement::Header => "header",
            Placement::NamedHeader => "named_header",
        }
    }

    /// How it is stored: the `placement` column (its CHECK allows only `form` and
    /// `header`) and the `header_named` flag.
    pub fn stored(self) -> (&'static str, bool) {
        match self {
            Placement::Form => ("form", false),
            Placement::Header => ("header", false),
            Placement::NamedHeader => ("header", true),
        }
    }

    /// From its stored form (see [`Placement::stored`]).
    pub fn from_stored(name: &str, header_named: bool) -> Placement {
        match (name, header_named) {
            ("header", true) => Placement::NamedHeader,
            ("header", false) => Placement::Header,
            _ => Placement::Form,
        }
    }
}

crate::closed::stored_names! {
    /// Whose a URL token is.
    TokenOrigin {
        /// Added here: its value may be viewed, replaced and sent to a contact.
        Own = "own",
        /// Accepted from a contact's offer: usable, never viewable, never re-pointable.
        Received = "received",
    }
}

/// A URL token as stored (its value is in the secret store, or asked at use time).
#[derive(Debug, Clone, Serialize)]
pub struct UrlToken {
    /// Id.
    pub id: String,
    /// The normalized URL prefix.
    pub prefix: String,
    /// The key.
    pub key: String,
    /// Form field or header.
    pub placement: Placement,
    /// Ask the user before attaching it.
    pub requires_permission: bool,
    /// Ask for the value at use time; none is stored.
    pub prompt: bool,
    /// Your own or received from a contact.
    pub origin: TokenOrigin,
    /// The contact it came from.
    pub received_from: Option<String>,
    /// Whether its value may be shown (never for received tokens).
    pub viewable: bool,
    /// When added.
    pub created_at: i64,
    /// When last changed.
    pub updated_at: i64,
}

impl UrlToken {
    /// Why a header token will be ignored, if it will.
    pub fn header_warning(&self) -> Option<String> {
        header_warning(self.placement, &self.key)
    }
}

/// The header keys the source system understands.
pub const HEADER_KEYS: [&str; 3] = ["username", "password", "token"];

/// Why a header token with `key` is ignored, if it is.
pub fn header_warning(placement: Placement, key: &str) -> Option<String> {
    (placement == Placement::Header && !HEADER_KEYS.contains(&key)).then(|| {
        format!(
            "header token {key:?} will be ignored: only \"username\" + \"password\" (Basic) and \
             \"token\" (Bearer) go into the Authorization header"
        )
    })
}

/// Secret store key of a token's value.
pub fn value_key(token_id: &str) -> String {
    format!("urltoken/{token_id}/value")
}
