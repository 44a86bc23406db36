//! The chain of hops one fetch makes: each hop checked for coverage (players), given its
//! credentials, built, sent and recorded; what every hop sent is remembered for
//! redaction.

use std::time::Duration;

use url::Url;

use super::build::build_hop;
use super::client;
use super::coverage;
use super::credentials::{credentials_for_hop, HopContext, HopRequest, Trust};
use super::redact::Redactor;
use super::redirect::{self, decide, Next};
use super::report::{Hop, SentRequest};
use super::target::Target;
use crate::error::{Error, Result};
use crate::oauth::http::describe;
use crate::snapshot::Snapshot;

/// The next request of the chain.
pub(crate) struct Step {
    pub url: Url,
    pub method: String,
    pub body: Option<Vec<u8>>,
}

/// What the chain needs that stays the same on every hop.
pub(crate) struct Fixed<'a> {
    /// The credential decision's context.
    pub ctx: HopContext<'a>,
    /// The snapshot the fetch began with.
    pub snapshot: &'a Snapshot,
    /// The first request's URL.
    pub first: &'a Target<'a>,
    /// The caller's headers.
    pub headers: &'a [(String, String)],
    /// The caller's body is a form (form tokens may join it).
    pub form_content: bool,
    /// Connect timeout, total timeout.
    pub timeouts: (Duration, Duration),
}

/// What the hops so far sent and got.
pub(crate) struct Chain {
    pub hops: Vec<Hop>,
    pub notes: Vec<String>,
    pub first_request: Option<SentRequest>,
    pub connect_ms: Option<f64>,
    pub ttfb_ms: f64,
    /// Every value sent, for redaction.
    pub sent: Redactor,
    downgraded: bool,
}

impl Chain {
    /// A chain whose request carries `headers` (sensitive values count as sent).
    pub(crate) fn new(headers: &[(String, String)]) -> Chain {
        let mut sent = Redactor::default();
        for (k, v) in headers {
            if super::headers::sensitive(k) {
                sent.add(v);
            }
        }
        Chain {
            hops: Vec::new(),
            notes: Vec::new(),
            first_request: None,
            connect_ms: None,
            ttfb_ms: 0.0,
            sent,
            downgraded: false,
        }
    }

    /// Sends `step` and records it as a hop: the response, and whether its body carried
    /// URL tokens.
    pub(crate) async fn send(
        &mut self,
        fixed: &Fixed<'_>,
        step: &Step,
    ) -> Result<(reqwest::Response, bool)> {
        let (who, snapshot) = (fixed.ctx.who, fixed.snapshot);
        let target = Target::of(&step.url);
        if !self.hops.is_empty() {
            coverage::require_covered_at(snapshot, who, &target)?;
        }
        let trust = Trust::of(&target, fixed.first, self.downgraded);
        self.downgraded = trust.downgraded;
        let hop = HopRequest {
            method: &step.method,
            target: &target,
            trust,
            body_is_form: step.body.is_none() || fixed.form_content,
        };
        let mut creds = credentials_for_hop(&fixed.ctx, &hop, &mut self.sent).await?;
        if !trust.trusted && !self.hops.is_empty() {
            self.notes.push(format!(
                "no credentials were sent to {}: {}",
                target.origin,
                trust.reason()
            ));
        }
        if creds.form_in_query && !creds.form.is_empty() && self.hops.is_empty() {
            self.notes.push(
                "form tokens were sent as query parameters because the request is a GET".into(),
            );
        }
        let guarded = who.is_player() && !coverage::named_literally_at(snapshot, who, &target);
        let client = client::client(fixed.timeouts.0, fixed.timeouts.1, guarded)?;
        let built = build_hop(
            &client,
            &hop,
            step.body.as_ref(),
            fixed.headers,
            &mut creds,
            who.is_player(),
        )?;
        let shown_url = self.sent.text(built.url.as_str());
        if self.first_request.is_none() {
            let mut echo = built.echo;
            echo.url = shown_url.clone();
            echo.body = echo.body.map(|b| self.sent.text(&b));
            self.first_request = Some(echo);
        }
        let t = std::time::Instant::now();
        let (response, connected) = client::timed(built.request.send()).await;
        let response = response.map_err(|e| transport_error(&step.url, e))?;
        if self.hops.is_empty() {
            self.ttfb_ms = t.elapsed().as_secs_f64() * 1000.0;
            self.connect_ms = connected.map(|d| d.as_secs_f64() * 1000.0);
        }
        self.hops.push(Hop {
            method: step.method.clone(),
            url: shown_url,
            status: response.status().as_u16(),
            credentials: creds.used,
            not_sent: creds.not_sent,
        });
        Ok((response, built.body_had_tokens))
    }

    /// Where an answer leads: the next step when it is a redirect to follow; `None` when
    /// it is the last answer (not a redirect, or one not followed: a note says why).
    pub(crate) fn redirect(
        &mut self,
        step: Step,
        response: &reqwest::Response,
        body_had_tokens: bool,
        first_origin: &str,
    ) -> Option<Step> {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let from = redirect::From {
            url: &step.url,
            method: &step.method,
            followed: self.hops.len() - 1,
            body_had_tokens,
            first_origin,
        };
        let status = response.status().as_u16();
        match decide(&from, status, location.as_deref(), &self.sent) {
            Some(Next::Follow {
                url,
                method,
                keep_body,
            }) => Some(Step {
                body: if keep_body { step.body } else { None },
                url,
                method,
            }),
            Some(Next::Stop(note)) => {
                self.notes.push(self.sent.text(&note));
                None
            }
            None => None,
        }
    }
}

fn transport_error(url: &Url, e: reqwest::Error) -> Error {
    if let Some(inward) = client::inward(&e) {
        return Error::NotCovered(format!("{inward}: nothing was fetched"));
    }
    let (timeout, connect) = (e.is_timeout(), e.is_connect());
    let host = url.host_str().unwrap_or("the server");
    let why = describe(&e.without_url());
    if timeout {
        Error::RequestFailed(format!("{host} did not answer in time ({why})"))
    } else if connect {
        Error::RequestFailed(format!("could not connect to {host}: {why}"))
    } else {
        Error::RequestFailed(format!("the request to {host} failed: {why}"))
    }
}
