//! Redaction by value: every credential value sent on any hop (a channel token, URL token
//! values, a Basic pair, a caller's credential headers) is registered in **every form it
//! may come back in** — raw; form-, percent- (`%20`, RFC 3986, either hex case) encoded;
//! JSON-string escaped (also `\/` and `\uXXXX`); base64 (standard, unpadded, URL-safe) and
//! each of those escaped again — and every form is searched for, whatever its length.
//!
//! A report (URLs, headers, notes, bodies) shows each form as `[redacted]`; a player's
//! answer that still holds one is refused by the engine (`reflected_credential`), never
//! passed on redacted; and a redirect whose URL holds one is never followed to another
//! origin.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use url::Url;

use crate::secrets::SecretValue;

const MARK: &str = "[redacted]";

/// The values sent so far, each in every form searched for (longest first).
#[derive(Debug, Default)]
pub struct Redactor {
    values: Vec<SecretValue>,
    forms: Vec<SecretValue>,
}

/// Percent-encodes every byte outside `keep` (upper or lower hex).
fn percent(value: &str, keep: impl Fn(u8) -> bool, lower: bool) -> String {
    let hex: &[u8; 16] = if lower {
        b"0123456789abcdef"
    } else {
        b"0123456789ABCDEF"
    };
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(hex[usize::from(b >> 4)] as char);
            out.push(hex[usize::from(b & 0xF)] as char);
        }
    }
    out
}

/// Whether every JSON-string form of `value` is `value` itself: printable ASCII without
/// `"`, `\\` or `/`.
fn json_plain(value: &str) -> bool {
    value
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && !b"\"\\/".contains(&b))
}

/// Whether every URL and JSON-string encoding of `value` is `value` itself: it holds only
/// bytes that no form escapes (letters, digits, `-`, `.`, `_`). Most tokens (JWTs, hex
/// and URL-safe base64 keys) are such values, and need no other form computed.
fn plain(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
}

/// `value` as the inside of a JSON string: serde's escaping, with `/` escaped too, with
/// every non-ASCII character as `\uXXXX`, and with both.
fn json_forms(value: &str) -> Vec<String> {
    let quoted = serde_json::to_string(value).unwrap_or_default();
    let plain = quoted[1..quoted.len() - 1].to_string();
    let slashed = plain.replace('/', "\\/");
    let mut ascii = String::new();
    for c in plain.chars() {
        if c.is_ascii() {
            ascii.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                ascii.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    let both = ascii.replace('/', "\\/");
    vec![plain, slashed, ascii, both]
}

/// The URL encodings of `value`: form (`+` for space), `%20`, RFC 3986 unreserved only,
/// each in upper- and lowercase hex.
fn url_forms(value: &str) -> Vec<String> {
    let form = |b: u8| b.is_ascii_alphanumeric() || b"*-._".contains(&b);
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    let uri_component = |b: u8| b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b);
    let mut out = Vec::new();
    for lower in [false, true] {
        let encoded = percent(value, form, lower);
        out.push(encoded.replace("%20", "+"));
        out.push(encoded);
        out.push(percent(value, unreserved, lower));
        out.push(percent(value, uri_component, lower));
    }
    out
}

/// Every form of `value` searched for.
fn forms(value: &str) -> Vec<String> {
    let mut bases = vec![value.to_string()];
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        bases.push(engine.encode(value.as_bytes()));
    }
    bases.sort_unstable();
    bases.dedup();
    let mut all = Vec::new();
    for base in bases {
        if !plain(&base) {
            all.extend(url_forms(&base));
            if !json_plain(&base) {
                all.extend(json_forms(&base));
            }
        }
        all.push(base);
    }
    all.retain(|f| !f.is_empty());
    all.sort_unstable();
    all.dedup();
    all
}

/// Where a sent value came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// In a response header (name or value).
    Headers,
    /// In the response body.
    Body,
}

impl Redactor {
    /// Remembers a value, in every form (empty values are ignored).
    pub fn add(&mut self, value: &str) {
        if value.is_empty() || self.values.iter().any(|v| v.expose() == value) {
            return;
        }
        self.values.push(SecretValue::new(value));
        let known = self.forms.len();
        for form in forms(value) {
            if !self.forms[..known].iter().any(|f| f.expose() == form) {
                self.forms.push(SecretValue::new(form));
            }
        }
        // Longest first, so a form containing another is replaced whole.
        self.forms
            .sort_by_key(|v| std::cmp::Reverse(v.expose().len()));
    }

    /// Whether any value was registered.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Whether `text` holds a value in any form.
    pub fn holds(&self, text: &str) -> bool {
        self.holds_bytes(text.as_bytes())
    }

    /// Whether `bytes` hold a value in any form.
    pub fn holds_bytes(&self, bytes: &[u8]) -> bool {
        self.forms
            .iter()
            .any(|f| memchr::memmem::find(bytes, f.expose().as_bytes()).is_some())
    }

    /// Whether a URL holds a value anywhere (also after percent-decoding its query).
    pub fn holds_url(&self, url: &Url) -> bool {
        if self.holds(url.as_str()) {
            return true;
        }
        self.holds(&percent_decoded(url.as_str()))
            || url
                .query_pairs()
                .any(|(k, v)| self.holds(&k) || self.holds(&v))
    }

    /// Where an answer (its headers and body, as received) holds a sent value.
    pub fn found_in(&self, headers: &[(String, Vec<u8>)], body: &[u8]) -> Vec<Found> {
        let mut found = Vec::new();
        if headers
            .iter()
            .any(|(k, v)| self.holds(k) || self.holds_bytes(v))
        {
            found.push(Found::Headers);
        }
        if self.holds_bytes(body) {
            found.push(Found::Body);
        }
        found
    }

    /// `text` with every form of every value replaced.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for f in &self.forms {
            if out.contains(f.expose()) {
                out = out.replace(f.expose(), MARK);
            }
        }
        out
    }

    /// A response body with every form of every value replaced, byte for byte.
    pub fn bytes(&self, body: Vec<u8>) -> Vec<u8> {
        let mut out = body;
        for f in &self.forms {
            let needle = f.expose().as_bytes();
            if memchr::memmem::find(&out, needle).is_none() {
                continue;
            }
            let mut replaced = Vec::with_capacity(out.len());
            let mut rest: &[u8] = &out;
            while let Some(i) = memchr::memmem::find(rest, needle) {
                replaced.extend_from_slice(&rest[..i]);
                replaced.extend_from_slice(MARK.as_bytes());
                rest = &rest[i + needle.len()..];
            }
            replaced.extend_from_slice(rest);
            out = replaced;
        }
        out
    }
}

/// `text` with `%XX` sequences decoded (invalid ones kept as they are).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_replaced_raw_and_encoded_everywhere() {
        let mut r = Redactor::default();
        r.add("s3cret value&x");
        r.add("");
        let url = Url::parse("https://b.example/?k=s3cret+value%26x&other=1").expect("url");
        assert!(r.holds_url(&url));
        assert!(!r.holds_url(&Url::parse("https://b.example/?k=fine").expect("url")));
        assert_eq!(
            r.text("https://b.example/?k=s3cret+value%26x&other=1"),
            "https://b.example/?k=[redacted]&other=1"
        );
        assert_eq!(r.text("raw s3cret value&x here"), "raw [redacted] here");
        assert_eq!(
            r.bytes(b"{\"echo\":\"s3cret value&x\"}".to_vec()),
            b"{\"echo\":\"[redacted]\"}".to_vec()
        );
    }

    #[test]
    fn every_encoding_of_a_value_is_found_whatever_its_length() {
        let mut r = Redactor::default();
        r.add("a/b \"q\"&é+");
        r.add("k4Z9");
        for (echo, why) in [
            (r#"{"v":"a\/b \"q\"&\u00e9+"}"#, "JSON with \\/ and \\u"),
            (r#"{"v":"a/b \"q\"&é+"}"#, "JSON"),
            ("q=a%2Fb+%22q%22%26%C3%A9%2B", "form"),
            ("q=a%2fb%20%22q%22%26%c3%a9%2b", "percent, lowercase"),
            ("q=a%2Fb%20%22q%22%26%C3%A9%2B", "percent"),
            ("YS9iICJxIibDqSs=", "base64"),
            ("x-echo: k4Z9", "a 4-byte value"),
            ("azRaOQ", "a 4-byte value in base64"),
        ] {
            assert!(r.holds(echo), "{why}: {echo}");
            assert!(!r.text(echo).contains("k4Z9"), "{why}");
        }
        assert!(!r.holds("nothing sent here"));
        assert_eq!(r.bytes(b"[k4Z9]".to_vec()), b"[[redacted]]".to_vec());
    }

    /// Every form, computed the long way for every base (as before the shortcuts).
    fn every_form(value: &str) -> Vec<String> {
        let mut bases = vec![value.to_string()];
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            bases.push(engine.encode(value.as_bytes()));
        }
        let mut all = Vec::new();
        for base in bases {
            all.push(base.clone());
            all.extend(url_forms(&base));
            all.extend(json_forms(&base));
        }
        all.retain(|f| !f.is_empty());
        all.sort();
        all.dedup();
        all
    }

    #[test]
    fn the_shortcuts_find_every_form_the_long_way_finds() {
        for value in [
            "k",
            "access",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-_x",
            "a/b \"q\"&é+",
            "s3cret value&x",
            "~tilde*star'(x)!",
            "back\\slash\u{7f}\u{1}",
            "日本",
            "dXNlcjpwdw==",
        ] {
            assert_eq!(forms(value), every_form(value), "{value:?}");
        }
    }

    #[test]
    fn an_answer_is_checked_in_headers_and_body() {
        let mut r = Redactor::default();
        r.add("dXNlcjpwdw==");
        let headers = vec![("x-echo".to_string(), b"Basic dXNlcjpwdw==".to_vec())];
        assert_eq!(r.found_in(&headers, b"{}"), vec![Found::Headers]);
        assert_eq!(
            r.found_in(&[], br#"{"auth":"Basic dXNlcjpwdw=="}"#),
            vec![Found::Body]
        );
        assert!(r.found_in(&[], b"clean").is_empty());
    }
}
