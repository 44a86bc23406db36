//! Placing tokens in a request: `username` + `password` → `Authorization: Basic`, `token`
//! → `Authorization: Bearer`, form tokens → fields of an `x-www-form-urlencoded` body (or
//! query parameters for a GET), named-header tokens → a header named by their key. The [`Report`] says what went where and what was ignored,
//! by id, prefix and key — never a value.

use base64::Engine;
use serde::Serialize;

use super::{header_warning, Placement, UrlToken};
use crate::secrets::SecretValue;

crate::closed::stored_names! {
    /// Where a token ended up.
    Attached {
        /// Part of `Authorization: Basic`.
        AuthorizationBasic = "authorization_basic",
        /// `Authorization: Bearer`.
        AuthorizationBearer = "authorization_bearer",
        /// A field of the form body.
        FormBody = "form_body",
        /// A query parameter (form token on a GET).
        Query = "query",
        /// A header of its own, named by the token's key.
        Header = "header",
    }
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportLine {
    /// Token id.
    pub token_id: String,
    /// Its prefix.
    pub prefix: String,
    /// Its key.
    pub key: String,
    /// Where it went (`None` when not attached).
    pub attached: Option<Attached>,
    /// Why it was not attached.
    pub reason: Option<String>,
}

/// What decoration did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Attached tokens.
    pub attached: Vec<ReportLine>,
    /// Tokens that matched but were not attached.
    pub ignored: Vec<ReportLine>,
}

/// The credentials to put on a request.
#[derive(Debug, Default)]
pub struct Decoration {
    /// The `Authorization` header value.
    pub authorization: Option<SecretValue>,
    /// Form fields, in order.
    pub form: Vec<(String, SecretValue)>,
    /// Whether the form goes into the query (GET) rather than the body.
    pub form_in_query: bool,
    /// Headers of their own (named-header tokens), in order, one per name.
    pub headers: Vec<(String, SecretValue)>,
    /// The report.
    pub report: Report,
    /// Every value placed, as sent (for redaction by value; never shown): each token's
    /// value, and for Basic the `user:password` pair and its base64 (a user name alone is
    /// an identifier, not a secret, and is not searched for on its own).
    pub values: Vec<SecretValue>,
    /// A matching prompt token was left out because nobody can be asked (a player).
    pub needs_prompt: bool,
}

fn line(t: &UrlToken, attached: Option<Attached>, reason: Option<String>) -> ReportLine {
    ReportLine {
        token_id: t.id.clone(),
        prefix: t.prefix.clone(),
        key: t.key.clone(),
        attached,
        reason,
    }
}

/// Places `tokens` (each with its value) for a request with `method`.
pub fn decorate(method: &str, tokens: Vec<(UrlToken, SecretValue)>) -> Decoration {
    let form_in_query = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");
    let mut out = Decoration {
        form_in_query,
        ..Default::default()
    };
    let (mut username, mut password, mut bearer) = (None, None, None);
    for (token, value) in tokens {
        if !(token.placement == Placement::Header && token.key == "username") {
            out.values.push(SecretValue::new(value.expose()));
        }
        match token.placement {
            Placement::Form => {
                let place = if form_in_query {
                    Attached::Query
                } else {
                    Attached::FormBody
                };
                out.report.attached.push(line(&token, Some(place), None));
                out.form.push((token.key.clone(), value));
            }
            Placement::NamedHeader => {
                let taken = out
                    .headers
                    .iter()
                    .any(|(name, _)| name.eq_ignore_ascii_case(&token.key));
                if taken {
                    let why = format!("another token for this URL already sets {}", token.key);
                    out.report.ignored.push(line(&token, None, Some(why)));
                } else {
                    out.report
                        .attached
                        .push(line(&token, Some(Attached::Header), None));
                    out.headers.push((token.key.clone(), value));
                }
            }
            Placement::Header => match token.key.as_str() {
                "username" => username = Some((token, value)),
                "password" => password = Some((token, value)),
                "token" => bearer = Some((token, value)),
                _ => {
                    let why = header_warning(token.placement, &token.key);
                    out.report.ignored.push(line(&token, None, why));
                }
            },
        }
    }
    match (username, password, bearer) {
        (user, pass, Some((t, v))) => {
            out.authorization = Some(SecretValue::new(format!("Bearer {}", v.expose())));
            out.report
                .attached
                .push(line(&t, Some(Attached::AuthorizationBearer), None));
            for (t, _) in user.into_iter().chain(pass) {
                out.report.ignored.push(line(
                    &t,
                    None,
                    Some("a Bearer token for this URL takes the Authorization header".into()),
                ));
            }
        }
        (Some((ut, uv)), Some((pt, pv)), None) => {
            let raw = format!("{}:{}", uv.expose(), pv.expose());
            let encoded = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
            out.values.push(SecretValue::new(raw.as_str()));
            out.values.push(SecretValue::new(encoded.as_str()));
            out.authorization = Some(SecretValue::new(format!("Basic {encoded}")));
            out.report
                .attached
                .push(line(&ut, Some(Attached::AuthorizationBasic), None));
            out.report
                .attached
                .push(line(&pt, Some(Attached::AuthorizationBasic), None));
        }
        (Some((t, _)), None, None) => out.report.ignored.push(line(
            &t,
            None,
            Some("a Basic user name needs a \"password\" header token for the same URL".into()),
        )),
        (None, Some((t, _)), None) => out.report.ignored.push(line(
            &t,
            None,
            Some("a Basic password needs a \"username\" header token for the same URL".into()),
        )),
        (None, None, None) => {}
    }
    out
}

/// Encodes form fields as `application/x-www-form-urlencoded`.
pub fn encode_form(fields: &[(String, SecretValue)]) -> SecretValue {
    let mut encoder = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        encoder.append_pair(k, v.expose());
    }
    SecretValue::new(encoder.finish())
}
