//! The shared cache's unit tests: keys, freshness, flights, stale answers, the bound.

use super::*;
use axum::body::Bytes;
use std::sync::atomic::{AtomicUsize, Ordering};

fn up(headers: &[(&str, &str)], body: &str) -> Upstream {
    let mut raw = HeaderMap::new();
    let mut kept = Vec::new();
    for (k, v) in headers {
        let name = HeaderName::from_bytes(k.as_bytes()).expect("name");
        let value = HeaderValue::from_str(v).expect("value");
        raw.append(name.clone(), value.clone());
        kept.push((name, value));
    }
    Upstream {
        reply: Reply {
            status: StatusCode::OK,
            headers: kept,
            body: Bytes::from(body.to_string()),
            attached: String::new(),
        },
        raw,
        redirected: false,
        credentials: Vec::new(),
    }
}

/// The same answer, fetched with `creds`.
fn with(mut u: Upstream, creds: &[&str]) -> Upstream {
    u.credentials = creds.iter().map(|c| c.to_string()).collect();
    u
}

fn key(url: &str, creds: &[&str]) -> Key {
    Key::for_tests(url, creds)
}

#[tokio::test]
async fn a_fresh_answer_is_served_once_fetched_and_no_store_never() {
    let cache = Cache::default();
    let url = Url::parse("https://a.example/feed").expect("url");
    let request = Asked::new(&url, &[]);
    let calls = AtomicUsize::new(0);
    let fetch = |headers: &[(&str, &str)], creds: &'static [&'static str]| {
        let u = with(up(headers, "data"), creds);
        let calls = &calls;
        move |_c: Vec<(String, String)>| {
            calls.fetch_add(1, Ordering::SeqCst);
            let u = u.clone();
            async move { Ok(u) }
        }
    };
    let cached = fetch(&[("cache-control", "max-age=60")], &["channel:c"]);
    let k = key(url.as_str(), &["channel:c"]);
    let a = cache
        .get(k.clone(), &request, "p", Duration::ZERO, &cached)
        .await
        .expect("a");
    let b = cache
        .get(k, &request, "q", Duration::ZERO, &cached)
        .await
        .expect("b");
    assert_eq!((a.outcome, b.outcome), (Outcome::Miss, Outcome::Hit));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Another credential set is another key.
    let none = fetch(&[("cache-control", "max-age=60")], &[]);
    let c = cache
        .get(key(url.as_str(), &[]), &request, "p", Duration::ZERO, &none)
        .await
        .expect("c");
    assert_eq!(c.outcome, Outcome::Miss);
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    for header in [
        ("cache-control", "no-store, max-age=60"),
        ("cache-control", "private, max-age=60"),
        ("set-cookie", "a=b"),
    ] {
        let before = calls.load(Ordering::SeqCst);
        let f = fetch(&[("cache-control", "max-age=60"), header], &[]);
        let k = key("https://a.example/other", &[]);
        for _ in 0..2 {
            let a = cache
                .get(k.clone(), &request, "p", Duration::ZERO, &f)
                .await
                .expect("x");
            assert_eq!(a.outcome, Outcome::Miss, "{header:?}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), before + 2, "{header:?}");
    }
}

#[tokio::test]
async fn the_minimum_refetch_interval_keeps_an_answer_without_caching_headers() {
    let cache = Cache::default();
    let url = Url::parse("https://a.example/feed").expect("url");
    let request = Asked::new(&url, &[]);
    let calls = AtomicUsize::new(0);
    let f = |_c: Vec<(String, String)>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async {
            Ok(with(
                up(&[("cache-control", "no-cache")], "x"),
                &["url_token:t"],
            ))
        }
    };
    let k = key(url.as_str(), &["url_token:t"]);
    let floor = Duration::from_secs(30);
    for _ in 0..3 {
        cache
            .get(k.clone(), &request, "p", floor, &f)
            .await
            .expect("answer");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Without the floor, no-cache asks the upstream every time.
    cache
        .get(k.clone(), &request, "p", Duration::ZERO, &f)
        .await
        .expect("answer");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_varying_answer_is_served_only_to_its_own_variant() {
    let cache = Cache::default();
    let url = Url::parse("https://a.example/feed").expect("url");
    let en = vec![("accept-language".to_string(), "en".to_string())];
    let de = vec![("accept-language".to_string(), "de".to_string())];
    let calls = AtomicUsize::new(0);
    let f = |_c: Vec<(String, String)>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async {
            Ok(with(
                up(
                    &[("cache-control", "max-age=60"), ("vary", "accept-language")],
                    "x",
                ),
                &["channel:c"],
            ))
        }
    };
    let k = key(url.as_str(), &["channel:c"]);
    let outcome = |h: &'static [(String, String)]| {
        let (cache, k, f, url) = (&cache, k.clone(), &f, &url);
        async move {
            cache
                .get(k, &Asked::new(url, h), "p", Duration::ZERO, f)
                .await
                .expect("answer")
                .outcome
        }
    };
    let en: &'static [(String, String)] = Box::leak(en.into_boxed_slice());
    let de: &'static [(String, String)] = Box::leak(de.into_boxed_slice());
    assert_eq!(outcome(en).await, Outcome::Miss);
    assert_eq!(outcome(en).await, Outcome::Hit);
    assert_eq!(outcome(de).await, Outcome::Miss);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_answer_without_vary_serves_any_negotiation() {
    let cache = Cache::default();
    let url = Url::parse("https://a.example/feed").expect("url");
    let accept = vec![("accept".to_string(), "*/*".to_string())];
    let calls = AtomicUsize::new(0);
    let f = |_c: Vec<(String, String)>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async { Ok(up(&[("cache-control", "max-age=60")], "x")) }
    };
    let k = key(url.as_str(), &[]);
    let a = cache
        .get(
            k.clone(),
            &Asked::new(&url, &accept),
            "p",
            Duration::ZERO,
            &f,
        )
        .await
        .expect("a");
    let b = cache
        .get(k, &Asked::new(&url, &[]), "p", Duration::ZERO, &f)
        .await
        .expect("b");
    assert_eq!((a.outcome, b.outcome), (Outcome::Miss, Outcome::Hit));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_answer_fetched_with_other_credentials_than_its_key_is_kept_by_no_one() {
    // The engine attached a token the key does not name (a link added between the key
    // and the fetch): the answer goes to the principal that asked, is not stored, and
    // is not handed to another principal waiting on the same key.
    let cache = Cache::default();
    let url = Url::parse("https://a.example/feed").expect("url");
    let request = Asked::new(&url, &[]);
    let calls = AtomicUsize::new(0);
    let f = |_c: Vec<(String, String)>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(with(
                up(&[("cache-control", "max-age=60")], "with t"),
                &["channel:c", "url_token:t"],
            ))
        }
    };
    let k = key(url.as_str(), &["channel:c"]);
    let (a, b) = tokio::join!(
        cache.get(k.clone(), &request, "p", Duration::ZERO, &f),
        cache.get(k.clone(), &request, "q", Duration::ZERO, &f),
    );
    assert_eq!(a.expect("a").outcome, Outcome::Miss);
    assert_eq!(b.expect("b").outcome, Outcome::Miss, "q asked for itself");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let c = cache
        .get(k.clone(), &request, "p", Duration::ZERO, &f)
        .await
        .expect("c");
    assert_eq!(c.outcome, Outcome::Miss, "nothing was stored");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn concurrent_requests_share_one_flight_and_its_failure() {
    let cache = Cache::default();
    let url = Url::parse("https://a.example/feed").expect("url");
    let request = Asked::new(&url, &[]);
    let calls = AtomicUsize::new(0);
    let k = key(url.as_str(), &[]);
    let ok = |_c: Vec<(String, String)>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(up(&[("cache-control", "no-cache"), ("etag", "\"1\"")], "x"))
        }
    };
    let all: Vec<_> = (0..20)
        .map(|i| {
            let who = format!("p{i}");
            let (cache, k, ok, request) = (&cache, k.clone(), &ok, &request);
            async move { cache.get(k, request, &who, Duration::ZERO, ok).await }
        })
        .collect();
    let answers = futures_join_all(all).await;
    assert!(answers
        .iter()
        .all(|a| a.as_ref().is_ok_and(|a| a.reply.body == "x")));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(cache.flights(), 0);

    let failing = key("https://a.example/down", &[]);
    let down = |_c: Vec<(String, String)>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err::<Upstream, _>(Error::RequestFailed("timed out".into()))
        }
    };
    let before = calls.load(Ordering::SeqCst);
    let all: Vec<_> = (0..20)
        .map(|i| {
            let who = format!("p{i}");
            let (cache, k, down, request) = (&cache, failing.clone(), &down, &request);
            async move { cache.get(k, request, &who, Duration::ZERO, down).await }
        })
        .collect();
    for failed in futures_join_all(all).await {
        let f = failed.expect_err("failed");
        assert_eq!(f.error.code(), "request_failed");
        assert!(f.retry_after.is_some());
    }
    // And remembered for a moment: no request reaches the upstream.
    let again = cache
        .get(failing, &request, "p", Duration::ZERO, &down)
        .await
        .expect_err("remembered");
    assert_eq!(again.error.code(), "request_failed");
    assert_eq!(calls.load(Ordering::SeqCst), before + 1);
}

#[tokio::test]
async fn a_5xx_answer_is_remembered_for_a_moment() {
    let cache = Cache::default();
    let url = Url::parse("https://a.example/feed").expect("url");
    let request = Asked::new(&url, &[]);
    let calls = AtomicUsize::new(0);
    let k = key(url.as_str(), &[]);
    let f = |_c: Vec<(String, String)>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async {
            let mut u = up(&[("retry-after", "30")], "down");
            u.reply.status = StatusCode::SERVICE_UNAVAILABLE;
            Ok(u)
        }
    };
    for outcome in [Outcome::Miss, Outcome::Hit] {
        let a = cache
            .get(k.clone(), &request, "p", Duration::ZERO, &f)
            .await
            .expect("answer");
        assert_eq!(
            (a.reply.status, a.outcome),
            (StatusCode::SERVICE_UNAVAILABLE, outcome)
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_key_never_stored_remembers_its_upstream_failure_too() {
    let cache = Cache::default();
    let url = Url::parse("https://a.example/live").expect("url");
    let request = Asked::new(&url, &[]);
    let k = key(url.as_str(), &[]);
    let calls = AtomicUsize::new(0);
    let fine = |_c: Vec<(String, String)>| async { Ok(up(&[("cache-control", "no-store")], "x")) };
    cache
        .get(k.clone(), &request, "p", Duration::ZERO, &fine)
        .await
        .expect("remembered as not storable");
    let down = |_c: Vec<(String, String)>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async { Err::<Upstream, _>(Error::RequestFailed("refused".into())) }
    };
    for _ in 0..3 {
        let f = cache
            .get(k.clone(), &request, "p", Duration::ZERO, &down)
            .await
            .expect_err("down");
        assert!(f.retry_after.is_some());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_bound_counts_key_bytes() {
    // A key whose answers are never stored still costs its URL: a session cannot
    // fill memory with long URLs that weigh nothing.
    let cache = Cache::new(1024 * 1024);
    let long = format!("https://a.example/{}", "x".repeat(8000));
    let url = Url::parse(&long).expect("url");
    let request = Asked::new(&url, &[]);
    let f = |_c: Vec<(String, String)>| async { Ok(up(&[("cache-control", "no-store")], "")) };
    cache
        .get(key(&long, &[]), &request, "p", Duration::ZERO, &f)
        .await
        .expect("answer");
    assert!(cache.weighted_size().await >= 8000);
}

/// Runs every future to the end, concurrently.
async fn futures_join_all<F: Future>(all: Vec<F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in all {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}
