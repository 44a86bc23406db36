//! The HTTP client that talks to providers: rustls with the public roots plus the
//! certificates in `LANYARD_EXTRA_CA_FILE`, timeouts, and **no redirects** — the token
//! endpoint must never follow one, and signed requests follow them by hand.
//!
//! Proxies: a request over plain `http` (a loopback token endpoint, a loopback preview)
//! carries tokens in the clear, so it never goes through a proxy, whatever `HTTP_PROXY`
//! says. `https` requests go through `HTTPS_PROXY` (else `ALL_PROXY`, lower-case forms
//! too) unless `NO_PROXY` lists the host, as users of other tools expect; the proxy sees
//! only the host and port it is asked to `CONNECT` to.
//!
//! [`send`] is the function handed to `oauth2` as its HTTP client: it turns a redirect, a
//! 5xx or a 429 into an [`HttpError`] so they are never mistaken for an OAuth answer.
//! Error texts never include a URL's query or a body (they may carry codes or tokens).

use std::time::Duration;

use crate::error::{Error, Result};

/// Environment variable naming a PEM file of extra trusted CA certificates.
pub const EXTRA_CA_ENV: &str = "LANYARD_EXTRA_CA_FILE";

/// The file [`EXTRA_CA_ENV`] names, if set: its certificates are trusted for every
/// provider and preview request (the status shows it).
pub fn extra_ca_file() -> Option<std::path::PathBuf> {
    std::env::var_os(EXTRA_CA_ENV)
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
}

/// Largest provider response read (token, userinfo, discovery).
pub const MAX_BODY: usize = 1024 * 1024;

/// Builds the provider client.
pub fn client() -> Result<reqwest::Client> {
    client_with(Duration::from_secs(10), Duration::from_secs(30))
}

/// A client with the given timeouts (no redirects, no Referer, extra CAs).
pub fn client_with(connect: Duration, total: Duration) -> Result<reqwest::Client> {
    builder_with(connect, total)?
        .build()
        .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))
}

/// The builder of [`client_with`], for clients that add to it (the fetch engine's).
pub fn builder_with(connect: Duration, total: Duration) -> Result<reqwest::ClientBuilder> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .connect_timeout(connect)
        .timeout(total)
        .user_agent(concat!("Lanyard/", env!("CARGO_PKG_VERSION")))
        .use_rustls_tls()
        .https_only(false)
        .no_proxy();
    if let Some(proxy) = https_proxy() {
        builder = builder.proxy(proxy);
    }
    if let Some(path) = extra_ca_file() {
        let pem = std::fs::read(&path).map_err(|e| {
            Error::invalid(format!(
                "{EXTRA_CA_ENV} names {} which cannot be read: {e}",
                std::path::Path::new(&path).display()
            ))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|_| {
            Error::invalid(format!("{EXTRA_CA_ENV} does not hold PEM certificates"))
        })?;
        if certs.is_empty() {
            return Err(Error::invalid(format!(
                "{EXTRA_CA_ENV} holds no certificate"
            )));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder)
}

/// The proxy for `https` requests from the environment, if any (see the module docs). An
/// unusable value is ignored with a warning that does not quote it (it may hold a
/// password).
fn https_proxy() -> Option<reqwest::Proxy> {
    let (name, url) = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .into_iter()
        .find_map(|name| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|v| (name, v))
        })?;
    match reqwest::Proxy::https(url.trim()) {
        Ok(proxy) => Some(proxy.no_proxy(reqwest::NoProxy::from_env())),
        Err(_) => {
            tracing::warn!("{name} is not a proxy URL; https requests go direct");
            None
        }
    }
}

/// Why a provider request failed before an OAuth answer could be read.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Connection, DNS, TLS or timeout.
    #[error("{0}")]
    Unreachable(String),
    /// The server answered 5xx or 429.
    #[error("the server answered HTTP {0}")]
    Unavailable(u16),
    /// The server answered with a redirect, which Lanyard never follows here.
    #[error("the server answered with a redirect (HTTP {0}), which Lanyard does not follow")]
    Redirect(u16),
    /// The answer was larger than [`MAX_BODY`].
    #[error("the answer is too large")]
    TooLarge,
}

/// Describes a transport error without its URL.
pub fn describe(err: &reqwest::Error) -> String {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_body() || err.is_decode() {
        "the answer could not be read"
    } else {
        "the request failed"
    };
    let mut source = std::error::Error::source(err);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        what.to_string()
    } else {
        format!("{what} ({detail})")
    }
}

/// Sends one request without following redirects; reads at most [`MAX_BODY`].
pub async fn send(
    client: &reqwest::Client,
    request: oauth2::HttpRequest,
) -> std::result::Result<oauth2::HttpResponse, HttpError> {
    let request = reqwest::Request::try_from(request)
        .map_err(|e| HttpError::Unreachable(describe(&e.without_url())))?;
    let response = client
        .execute(request)
        .await
        .map_err(|e| HttpError::Unreachable(describe(&e.without_url())))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(HttpError::Redirect(status.as_u16()));
    }
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(HttpError::Unavailable(status.as_u16()));
    }
    let headers = response.headers().clone();
    let body = read_capped(response).await?;
    let mut out = http::Response::builder().status(status);
    if let Some(h) = out.headers_mut() {
        *h = headers;
    }
    out.body(body)
        .map_err(|_| HttpError::Unreachable("malformed response".into()))
}

/// Reads a response body, refusing more than [`MAX_BODY`] bytes.
pub async fn read_capped(
    mut response: reqwest::Response,
) -> std::result::Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| HttpError::Unreachable(describe(&e.without_url())))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(HttpError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The host of an endpoint, for messages.
pub fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| "the provider".into())
}

/// [`send`] as an `oauth2` HTTP client. Its future is boxed and `Send`, so token calls can
/// run on any runtime task.
#[derive(Debug, Clone, Copy)]
pub struct ProviderHttp<'a>(pub &'a reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for ProviderHttp<'_> {
    type Error = HttpError;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = std::result::Result<oauth2::HttpResponse, HttpError>>
                + Send
                + 'c,
        >,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(send(self.0, request))
    }
}
