//! Echoing what was sent without the credentials in it: token values in a query or a form
//! body are replaced by `[redacted]`.

use url::Url;

pub(super) fn redact_url(url: &Url, keys: &[String]) -> String {
    if keys.is_empty() || url.query().is_none() {
        return url.to_string();
    }
    let mut shown = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if keys.iter().any(|key| *key == k) {
                "[redacted]".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    shown.query_pairs_mut().clear().extend_pairs(pairs);
    shown.to_string()
}

pub(super) fn redact_body(body: &[u8], keys: &[String]) -> String {
    let Ok(text) = std::str::from_utf8(body) else {
        return format!("[{} bytes]", body.len());
    };
    if keys.is_empty() {
        return text.to_string();
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
        let v = if keys.iter().any(|key| *key == k) {
            "[redacted]".into()
        } else {
            v.into_owned()
        };
        out.append_pair(&k, &v);
    }
    out.finish()
}
