//! Redaction by value: every credential value sent on any hop (a channel token, URL token
//! values, a caller's credential headers) is replaced by `[redacted]` wherever it would
//! appear in a report — URLs (raw and percent-encoded), headers, notes, text bodies — and
//! a redirect whose URL holds one is never followed to another origin.

use url::Url;

use crate::secrets::SecretValue;

const MARK: &str = "[redacted]";

/// Values shorter than this are not searched for in response bodies (a one-letter value
/// would blank out the data); URLs and headers are always searched.
const MIN_BODY_VALUE: usize = 6;

/// The values sent so far.
#[derive(Debug, Default)]
pub struct Redactor {
    values: Vec<SecretValue>,
}

fn encodings(value: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let percent = form.replace('+', "%20");
    let mut all = vec![value.to_string(), form, percent];
    all.dedup();
    all
}

impl Redactor {
    /// Remembers a value (empty values are ignored).
    pub fn add(&mut self, value: &str) {
        if value.is_empty() || self.values.iter().any(|v| v.expose() == value) {
            return;
        }
        self.values.push(SecretValue::new(value));
        // Longest first, so a value containing another is replaced whole.
        self.values
            .sort_by_key(|v| std::cmp::Reverse(v.expose().len()));
    }

    /// Whether `text` holds a value, raw or percent-encoded.
    pub fn holds(&self, text: &str) -> bool {
        self.values.iter().any(|v| {
            encodings(v.expose())
                .iter()
                .any(|e| text.contains(e.as_str()))
        })
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

    /// `text` with every value replaced.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.values {
            for e in encodings(v.expose()) {
                if out.contains(e.as_str()) {
                    out = out.replace(e.as_str(), MARK);
                }
            }
        }
        out
    }

    /// A response body with every (long enough) value replaced, byte for byte.
    pub fn bytes(&self, body: Vec<u8>) -> Vec<u8> {
        let mut out = body;
        for v in &self.values {
            let needle = v.expose().as_bytes();
            if needle.len() < MIN_BODY_VALUE {
                continue;
            }
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
    fn short_values_stay_out_of_bodies_but_not_out_of_urls() {
        let mut r = Redactor::default();
        r.add("ab");
        assert_eq!(r.bytes(b"abc".to_vec()), b"abc".to_vec());
        assert_eq!(r.text("?k=ab"), "?k=[redacted]");
    }
}
