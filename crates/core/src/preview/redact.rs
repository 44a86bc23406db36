//! What the preview history keeps of a URL ([`history_url`]): no query value, no
//! user-info and no fragment at all, whatever was typed. (Redacting token values in what
//! a fetch sent is `crate::fetch::redact`'s.)

use url::Url;

/// What the preview history keeps of a URL as typed: scheme, host, port, path and the
/// query's names; every query value, any `user:password@` and the fragment become
/// `[redacted]` (they can hold credentials, and the history keeps no secret — also for
/// refused previews). Other schemes keep only their name; text that is not a URL loses
/// what precedes an `@` and what follows a `?` or `#`.
pub(crate) fn history_url(typed: &str) -> String {
    const R: &str = "[redacted]";
    let Ok(mut url) = Url::parse(typed.trim()) else {
        let cut = typed.find(['?', '#']).unwrap_or(typed.len());
        let head = &typed[..cut];
        let start = head.find("://").map_or(0, |i| i + 3);
        let mut kept = match head.rfind('@').filter(|at| *at >= start) {
            Some(at) => format!("{}{R}{}", &head[..start], &head[at..]),
            None => head.to_string(),
        };
        if cut < typed.len() {
            kept.push_str(R);
        }
        return kept.chars().take(2048).collect();
    };
    if !matches!(url.scheme(), "http" | "https") {
        return format!("{}:{R}", url.scheme());
    }
    if !url.username().is_empty() || url.password().is_some() {
        let _ = url.set_password(None);
        let _ = url.set_username(R);
    }
    if url.query().is_some() {
        let names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        let mut pairs = url.query_pairs_mut();
        pairs.clear();
        for name in names {
            pairs.append_pair(&name, R);
        }
    }
    if url.fragment().is_some() {
        url.set_fragment(Some(R));
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::history_url;

    #[test]
    fn the_history_keeps_no_query_value_user_info_or_fragment() {
        for typed in [
            "https://alice:CANARY-pw@api.example.com/v1/items?key=CANARY-k&page=2#CANARY-f",
            "https://CANARY-user@api.example.com/",
            "http://127.0.0.1:8080/feed?access_token=CANARY-t",
            "not a url ?token=CANARY-x",
            "mailto:CANARY-someone@example.com",
            "ht!tp://user:CANARY-pw@host/x",
        ] {
            let kept = history_url(typed);
            assert!(!kept.contains("CANARY"), "{typed} → {kept}");
        }
        assert_eq!(
            history_url("https://a:b@api.example.com/v1/items?key=x&page=2#top"),
            "https://%5Bredacted%5D@api.example.com/v1/items?key=%5Bredacted%5D&page=%5Bredacted%5D#[redacted]"
        );
        assert_eq!(
            history_url("https://api.example.com/v1/items"),
            "https://api.example.com/v1/items"
        );
    }
}
