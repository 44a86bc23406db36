//! Asking the user: permission before attaching tokens that require it (Accept this time,
//! Deny, Accept all — remembered per token), and values for prompt tokens (asked at use
//! time, never stored). [`resolve`] is the whole path for one request: match, ask,
//! read values, place.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::Serialize;
use url::Url;

use super::decorate::{decorate, Decoration, ReportLine};
use super::prefix::{origin_of, parse_request_url, segments_of};
use super::{value_key, UrlToken};
use crate::error::Result;
use crate::instance::Lanyard;
use crate::secrets::SecretValue;
use crate::store::audit::AuditEvent;

/// How long the user has to answer; no answer counts as Deny.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// A token as shown in a question (never its value).
#[derive(Debug, Clone, Serialize)]
pub struct AskedToken {
    /// Id.
    pub token_id: String,
    /// Prefix.
    pub prefix: String,
    /// Key.
    pub key: String,
}

/// "May these tokens be sent to this URL?"
#[derive(Debug, Clone, Serialize)]
pub struct PermissionRequest {
    /// The URL's origin, host in punycode.
    pub origin: String,
    /// The full URL.
    pub url: String,
    /// The method.
    pub method: String,
    /// The tokens that need permission.
    pub tokens: Vec<AskedToken>,
}

/// The user's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, rename = "PermissionAnswer")
)]
pub enum Answer {
    /// Attach them this time.
    Accept,
    /// Do not attach them.
    Deny,
    /// Attach them, and never ask again for these tokens.
    AcceptAll,
}

/// "What values should these prompt tokens have this time?"
#[derive(Debug, Clone, Serialize)]
pub struct ValuesRequest {
    /// The URL's origin.
    pub origin: String,
    /// The full URL.
    pub url: String,
    /// One entry per key to ask.
    pub tokens: Vec<AskedToken>,
}

/// A boxed future (keeps [`Prompter`] object-safe).
pub type Asked<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who answers the questions: the desktop dialog, the terminal, or a test script.
pub trait Prompter: Send + Sync {
    /// Asks for permission.
    fn permission<'a>(&'a self, request: &'a PermissionRequest) -> Asked<'a, Answer>;
    /// Asks for prompt values, in the order of `request.tokens`; `None` = cancelled.
    fn values<'a>(&'a self, request: &'a ValuesRequest) -> Asked<'a, Option<Vec<SecretValue>>>;
}

/// A prompter that answers everything the same way (CLI `--yes` / `--no`, tests).
#[derive(Debug, Clone, Copy)]
pub struct Fixed(pub Answer);

impl Prompter for Fixed {
    fn permission<'a>(&'a self, _: &'a PermissionRequest) -> Asked<'a, Answer> {
        Box::pin(async move { self.0 })
    }
    fn values<'a>(&'a self, _: &'a ValuesRequest) -> Asked<'a, Option<Vec<SecretValue>>> {
        Box::pin(async { None })
    }
}

/// A stored "Accept all".
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    /// Id (for revoking).
    pub id: String,
    /// The token.
    pub token_id: String,
    /// Its prefix.
    pub prefix: String,
    /// Its key.
    pub key: String,
    /// `accept`.
    pub decision: String,
    /// The URL it was given for.
    pub url: Option<String>,
    /// When.
    pub decided_at: i64,
}

/// What a request would carry, without asking anyone or reading any value.
#[derive(Debug, Clone, Serialize)]
pub struct MatchReport {
    /// The URL as parsed (host in punycode).
    pub url: String,
    /// The method.
    pub method: String,
    /// Whether form tokens go into the query (GET) rather than the body.
    pub form_in_query: bool,
    /// What would be attached.
    pub attached: Vec<MatchLine>,
    /// What matched but would not be attached.
    pub ignored: Vec<ReportLine>,
}

/// A token that would be attached.
#[derive(Debug, Clone, Serialize)]
pub struct MatchLine {
    /// Report line (id, prefix, key, where).
    #[serde(flatten)]
    pub line: ReportLine,
    /// The user will be asked first (no "Accept all" stored).
    pub asks_permission: bool,
    /// The value will be asked at use time.
    pub prompt: bool,
}

fn asked(t: &UrlToken) -> AskedToken {
    AskedToken {
        token_id: t.id.clone(),
        prefix: t.prefix.clone(),
        key: t.key.clone(),
    }
}

/// Which tokens `method url` would carry, where, and what would be asked.
pub async fn match_url(l: &Lanyard, method: &str, raw_url: &str) -> Result<MatchReport> {
    let url = parse_request_url(raw_url)?;
    let method = checked_method(method)?;
    let snapshot = l.snapshot().await?;
    let matched = snapshot.tokens.matching(&url);
    let accepted = &snapshot.accepted;
    let with_dummies: Vec<(UrlToken, SecretValue)> = matched
        .iter()
        .map(|t| (t.as_ref().clone(), SecretValue::new("")))
        .collect();
    let decoration = decorate(&method, with_dummies);
    let attached = decoration
        .report
        .attached
        .into_iter()
        .map(|line| {
            let token = matched.iter().find(|t| t.id == line.token_id);
            MatchLine {
                asks_permission: token
                    .map(|t| t.requires_permission && !accepted.contains(&t.id))
                    .unwrap_or(false),
                prompt: token.map(|t| t.prompt).unwrap_or(false),
                line,
            }
        })
        .collect();
    Ok(MatchReport {
        url: url.to_string(),
        method,
        form_in_query: decoration.form_in_query,
        attached,
        ignored: decoration.report.ignored,
    })
}

fn checked_method(method: &str) -> Result<String> {
    let m = method.trim().to_ascii_uppercase();
    if m.is_empty() || m.len() > 16 || !m.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(crate::error::Error::invalid(format!(
            "{method:?} is not an HTTP method"
        )));
    }
    Ok(m)
}

/// Who answers for the tokens of one request.
#[derive(Clone, Copy)]
pub enum Asking<'a> {
    /// A person: permission and prompt values are asked.
    Person(&'a dyn Prompter),
    /// A player: the link is the permission, and prompt tokens cannot be used
    /// (`needs_prompt`).
    Nobody,
}

impl std::fmt::Debug for Asking<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Asking::Person(_) => "Person",
            Asking::Nobody => "Nobody",
        })
    }
}

/// Why a prompt token is not sent on a player's request.
pub const NEEDS_PROMPT: &str =
    "needs_prompt: its value is asked at use time, and a player cannot be asked";

/// Everything for one request: match, ask permission and prompt values, read the stored
/// values, place them. Denied or unanswered tokens are reported as ignored.
pub async fn resolve(
    l: &Lanyard,
    method: &str,
    url: &Url,
    prompter: &dyn Prompter,
) -> Result<Decoration> {
    resolve_within(l, method, url, prompter, ANSWER_TIMEOUT).await
}

/// [`resolve`] giving the user `timeout` to answer each question (no answer: Deny, and
/// prompt tokens without values).
pub async fn resolve_within(
    l: &Lanyard,
    method: &str,
    url: &Url,
    prompter: &dyn Prompter,
    timeout: std::time::Duration,
) -> Result<Decoration> {
    resolve_linked_within(l, method, url, None, Asking::Person(prompter), timeout).await
}

/// [`resolve`] restricted to the tokens in `linked` (`None`: every token), asking
/// whoever `asking` says.
pub async fn resolve_linked(
    l: &Lanyard,
    method: &str,
    url: &Url,
    linked: Option<&crate::snapshot::FastSet<String>>,
    asking: Asking<'_>,
) -> Result<Decoration> {
    resolve_linked_within(l, method, url, linked, asking, ANSWER_TIMEOUT).await
}

async fn resolve_linked_within(
    l: &Lanyard,
    method: &str,
    url: &Url,
    linked: Option<&crate::snapshot::FastSet<String>>,
    asking: Asking<'_>,
    timeout: std::time::Duration,
) -> Result<Decoration> {
    let epoch = l.store().access_epoch();
    let snapshot = l.snapshot_at(epoch).await?;
    let at = At {
        epoch: &epoch,
        snapshot: &snapshot,
    };
    let (origin, segments) = (origin_of(url).unwrap_or_default(), segments_of(url));
    let place = Place {
        url,
        origin: &origin,
        segments: &segments,
    };
    resolve_at(l, at, place, method, linked, asking, timeout).await
}

/// A request URL with its origin and path segments already computed (the fetch engine's
/// `Target`), so resolving does not compute them again.
#[derive(Clone, Copy)]
pub(crate) struct Place<'a> {
    /// The URL.
    pub url: &'a Url,
    /// Its origin, `scheme://host:port` (empty without a host).
    pub origin: &'a str,
    /// Its path segments (trailing empty segment dropped).
    pub segments: &'a [String],
}

/// What one operation read once at its start: the access epoch, and the snapshot built
/// under it. A fetch resolves every hop's tokens under the ones it began with.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    /// The access epoch (stored values are served from memory only under it).
    pub epoch: &'a [u8; 16],
    /// The snapshot for that epoch (the token index, the "Accept all" decisions).
    pub snapshot: &'a crate::snapshot::Snapshot,
}

/// [`resolve_linked`] under an epoch and snapshot read once by the caller, within
/// `timeout` per question.
pub(crate) async fn resolve_at(
    l: &Lanyard,
    at: At<'_>,
    place: Place<'_>,
    method: &str,
    linked: Option<&crate::snapshot::FastSet<String>>,
    asking: Asking<'_>,
    timeout: std::time::Duration,
) -> Result<Decoration> {
    let method = checked_method(method)?;
    let (snapshot, url) = (at.snapshot, place.url);
    let index = &snapshot.tokens;
    let mut matched = match linked {
        Some(linked) => index.matching_at(place.origin, place.segments, |t| linked.contains(&t.id)),
        None => index.matching_at(place.origin, place.segments, |_| true),
    };
    let accepted = &snapshot.accepted;
    let mut refused_prompts: Vec<ReportLine> = Vec::new();
    let prompter = match asking {
        Asking::Person(p) => p,
        Asking::Nobody => {
            matched.retain(|t| {
                if t.prompt {
                    refused_prompts.push(ReportLine {
                        token_id: t.id.clone(),
                        prefix: t.prefix.clone(),
                        key: t.key.clone(),
                        attached: None,
                        reason: Some(NEEDS_PROMPT.into()),
                    });
                }
                !t.prompt
            });
            &Fixed(Answer::Accept)
        }
    };
    let nobody = matches!(asking, Asking::Nobody);
    let mut denied: Vec<ReportLine> = Vec::new();

    // For a player the link is the permission: nothing to ask.
    let needs: Vec<&UrlToken> = matched
        .iter()
        .map(AsRef::as_ref)
        .filter(|t| !nobody && t.requires_permission && !accepted.contains(&t.id))
        .collect();
    let mut allowed_ids: Vec<String> = Vec::new();
    if !needs.is_empty() {
        let request = PermissionRequest {
            origin: place.origin.to_string(),
            url: url.to_string(),
            method: method.clone(),
            tokens: needs.iter().map(|t| asked(t)).collect(),
        };
        let answer = tokio::time::timeout(timeout, prompter.permission(&request))
            .await
            .unwrap_or(Answer::Deny);
        record_answer(l, &request, answer).await?;
        match answer {
            Answer::Deny => denied.extend(
                needs
                    .iter()
                    .map(|t| refused(t, "you denied permission for this URL")),
            ),
            Answer::Accept | Answer::AcceptAll => {
                allowed_ids.extend(needs.iter().map(|t| t.id.clone()))
            }
        }
    }
    let usable: Vec<&UrlToken> = matched
        .iter()
        .map(AsRef::as_ref)
        .filter(|t| {
            nobody
                || !t.requires_permission
                || accepted.contains(&t.id)
                || allowed_ids.contains(&t.id)
        })
        .collect();

    let prompts: Vec<&UrlToken> = usable.iter().copied().filter(|t| t.prompt).collect();
    let mut prompted: Vec<(String, SecretValue)> = Vec::new();
    if !prompts.is_empty() {
        let request = ValuesRequest {
            origin: place.origin.to_string(),
            url: url.to_string(),
            tokens: prompts.iter().map(|t| asked(t)).collect(),
        };
        prompted = ask_values(prompter, &request, &prompts, timeout, &mut denied).await?;
    }
    let with_values = with_values(l, at.epoch, usable, prompted, &mut denied).await?;
    let mut decoration = decorate(&method, with_values);
    decoration.needs_prompt = !refused_prompts.is_empty();
    decoration.report.ignored.extend(refused_prompts);
    decoration.report.ignored.extend(denied);
    Ok(decoration)
}

/// Asks for the values of prompt tokens: `(token id, value)` for each when every one was
/// given (and is valid); none, and a report line each in `denied`, otherwise.
async fn ask_values(
    prompter: &dyn Prompter,
    request: &ValuesRequest,
    prompts: &[&UrlToken],
    timeout: std::time::Duration,
    denied: &mut Vec<ReportLine>,
) -> Result<Vec<(String, SecretValue)>> {
    let mut prompted = Vec::new();
    let values = tokio::time::timeout(timeout, prompter.values(request))
        .await
        .ok()
        .flatten();
    match values {
        Some(values) if values.len() == prompts.len() => {
            for (t, v) in prompts.iter().zip(values) {
                super::tokens::check_value_for(&t.key, t.placement, &v)?;
                prompted.push((t.id.clone(), v));
            }
        }
        _ => denied.extend(
            prompts
                .iter()
                .map(|t| refused(t, "no value was given when asked")),
        ),
    }
    Ok(prompted)
}

/// Each usable token with its value: the one given when asked, else the stored one (a
/// token without either goes to `denied`).
async fn with_values(
    l: &Lanyard,
    epoch: &[u8; 16],
    usable: Vec<&UrlToken>,
    mut prompted: Vec<(String, SecretValue)>,
    denied: &mut Vec<ReportLine>,
) -> Result<Vec<(UrlToken, SecretValue)>> {
    let mut with_values = Vec::new();
    for t in usable {
        let value = if t.prompt {
            match prompted.iter().position(|(id, _)| *id == t.id) {
                Some(i) => prompted.swap_remove(i).1,
                None => continue,
            }
        } else {
            match stored_value(l, epoch, &t.id).await? {
                Some(v) => v,
                None => {
                    denied.push(refused(t, "its value is missing from the secret store"));
                    continue;
                }
            }
        };
        with_values.push((t.clone(), value));
    }
    Ok(with_values)
}

/// A report line for a token that was not attached, and why.
fn refused(t: &UrlToken, reason: &str) -> ReportLine {
    ReportLine {
        token_id: t.id.clone(),
        prefix: t.prefix.clone(),
        key: t.key.clone(),
        attached: None,
        reason: Some(reason.into()),
    }
}

/// A token's stored value: from memory when it was read under `epoch`, the access epoch
/// the operation read at its start.
async fn stored_value(
    l: &Lanyard,
    epoch: &[u8; 16],
    token_id: &str,
) -> Result<Option<SecretValue>> {
    if let Some(value) = l.token_values().get(epoch, token_id) {
        return Ok(Some(value));
    }
    let value = l.secrets().get(&value_key(token_id)).await?;
    if let Some(v) = &value {
        l.token_values().remember(epoch, token_id, v);
    }
    Ok(value)
}

async fn record_answer(l: &Lanyard, request: &PermissionRequest, answer: Answer) -> Result<()> {
    let now = l.clock().now();
    if answer == Answer::AcceptAll {
        for t in &request.tokens {
            l.store()
                .insert_decision(&t.token_id, &request.url, now)
                .await?;
        }
    }
    let outcome = match answer {
        Answer::Accept => crate::store::audit::AuditOutcome::Accept,
        Answer::AcceptAll => crate::store::audit::AuditOutcome::AcceptAll,
        Answer::Deny => crate::store::audit::AuditOutcome::Deny,
    };
    for t in &request.tokens {
        l.store()
            .audit_now(
                now,
                &AuditEvent {
                    principal_id: Some("license"),
                    action: crate::store::audit::AuditAction::PromptAnswered,
                    subject_kind: crate::store::audit::AuditSubject::UrlToken,
                    subject_id: &t.token_id,
                    outcome,
                    detail: Some(&request.origin),
                },
            )
            .await?;
    }
    Ok(())
}

/// Stored "Accept all" decisions.
pub async fn decisions(l: &Lanyard) -> Result<Vec<Decision>> {
    l.store().decisions().await
}

/// Revokes a stored decision: the user will be asked again.
pub async fn revoke(l: &Lanyard, id: &str) -> Result<()> {
    l.store().delete_decision(id).await
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::secrets::{SecretStoreKind, Secrets};
    use crate::urltokens::tokens::{add, NewToken};
    use crate::urltokens::Placement;
    use crate::Config;

    async fn lanyard(dir: &std::path::Path) -> Lanyard {
        let config = Config::new(dir.to_path_buf(), SecretStoreKind::Memory);
        Lanyard::open_with(
            &config,
            Arc::new(crate::clock::SystemClock),
            Some(Secrets::in_memory()),
        )
        .await
        .expect("open")
    }

    fn new_token(key: &str, requires_permission: bool, value: Option<&str>) -> NewToken {
        NewToken {
            prefix: "https://api.example.com/".into(),
            key: key.into(),
            placement: Placement::Form,
            requires_permission,
            prompt: value.is_none(),
            value: value.map(SecretValue::new),
        }
    }

    /// Resumes the (paused) clock when the question is given up.
    struct Resume;
    impl Drop for Resume {
        fn drop(&mut self) {
            tokio::time::resume();
        }
    }

    /// A user who never answers. While the question waits, the clock is paused, so the
    /// runtime skips straight to [`ANSWER_TIMEOUT`]; it runs again once the question is
    /// dropped (the database has real timeouts of its own).
    struct Silent(Arc<Mutex<Vec<String>>>);
    impl Prompter for Silent {
        fn permission<'a>(&'a self, r: &'a PermissionRequest) -> Asked<'a, Answer> {
            self.0.lock().expect("lock").push(r.url.clone());
            Box::pin(async {
                let _resume = Resume;
                tokio::time::pause();
                std::future::pending::<Answer>().await
            })
        }
        fn values<'a>(&'a self, _: &'a ValuesRequest) -> Asked<'a, Option<Vec<SecretValue>>> {
            Box::pin(async { unreachable!("nothing is prompted") })
        }
    }

    #[tokio::test]
    async fn an_unanswered_question_is_a_deny_after_the_timeout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let l = lanyard(dir.path()).await;
        let id = add(&l, new_token("api_key", true, Some("CANARY-v")))
            .await
            .expect("add")
            .token
            .id;
        let asked = Arc::new(Mutex::new(Vec::new()));
        let url = parse_request_url("https://api.example.com/feed").expect("url");
        let started = std::time::Instant::now();
        let decoration = resolve(&l, "GET", &url, &Silent(asked.clone()))
            .await
            .expect("resolve");
        assert_eq!(asked.lock().expect("lock").len(), 1, "the user was asked");
        assert!(started.elapsed() < ANSWER_TIMEOUT, "the clock was paused");
        assert!(decoration.form.is_empty() && decoration.authorization.is_none());
        let ignored = &decoration.report.ignored;
        assert_eq!(ignored.len(), 1);
        assert_eq!(ignored[0].token_id, id);
        assert_eq!(
            ignored[0].reason.as_deref(),
            Some("you denied permission for this URL")
        );
        assert!(decisions(&l).await.expect("decisions").is_empty());
        let audit = l.store().audit_events(None, None, 10).await.expect("audit");
        assert!(
            audit.iter().any(|e| {
                e.action == crate::store::audit::AuditAction::PromptAnswered
                    && e.outcome == crate::store::audit::AuditOutcome::Deny
            }),
            "recorded as a deny"
        );
    }

    fn form_value(d: &Decoration) -> String {
        d.form.iter().map(|(_, v)| v.expose().to_string()).collect()
    }

    #[tokio::test]
    async fn a_replaced_value_is_used_on_the_next_request_in_this_and_another_process() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::File);
        let open = || async {
            Lanyard::open_with(&config, Arc::new(crate::clock::SystemClock), None)
                .await
                .expect("open")
        };
        let (here, other) = (open().await, open().await);
        let id = add(&here, new_token("api_key", false, Some("first")))
            .await
            .expect("add")
            .token
            .id;
        let url = parse_request_url("https://api.example.com/feed").expect("url");
        let nobody = Fixed(Answer::Deny);
        for expected in ["first", "first"] {
            let d = resolve(&here, "POST", &url, &nobody)
                .await
                .expect("resolve");
            assert_eq!(form_value(&d), expected, "read, then served from memory");
        }
        let edit = |v: &str| crate::urltokens::tokens::TokenEdit {
            value: Some(SecretValue::new(v)),
            ..Default::default()
        };
        crate::urltokens::tokens::edit(&here, &id, edit("second"))
            .await
            .expect("edit here");
        let d = resolve(&here, "POST", &url, &nobody)
            .await
            .expect("resolve");
        assert_eq!(form_value(&d), "second", "an edit in this process");
        crate::urltokens::tokens::edit(&other, &id, edit("third"))
            .await
            .expect("edit in another process");
        let d = resolve(&here, "POST", &url, &nobody)
            .await
            .expect("resolve");
        assert_eq!(form_value(&d), "third", "an edit in another process");
    }

    /// Gives each prompted token the value `v-<key>`, in the order asked.
    struct ByKey(Arc<Mutex<Vec<String>>>);
    impl Prompter for ByKey {
        fn permission<'a>(&'a self, _: &'a PermissionRequest) -> Asked<'a, Answer> {
            Box::pin(async { Answer::Accept })
        }
        fn values<'a>(&'a self, r: &'a ValuesRequest) -> Asked<'a, Option<Vec<SecretValue>>> {
            let keys: Vec<String> = r.tokens.iter().map(|t| t.key.clone()).collect();
            self.0.lock().expect("lock").extend(keys.clone());
            Box::pin(async move {
                Some(
                    keys.iter()
                        .map(|k| SecretValue::new(format!("v-{k}")))
                        .collect(),
                )
            })
        }
    }

    #[tokio::test]
    async fn several_prompted_values_go_to_their_own_tokens_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let l = lanyard(dir.path()).await;
        for key in ["alpha", "bravo", "charlie"] {
            add(&l, new_token(key, false, None)).await.expect("add");
        }
        let asked = Arc::new(Mutex::new(Vec::new()));
        let url = parse_request_url("https://api.example.com/feed").expect("url");
        let decoration = resolve(&l, "POST", &url, &ByKey(asked.clone()))
            .await
            .expect("resolve");
        let mut asked = asked.lock().expect("lock").clone();
        assert_eq!(asked.len(), 3, "one question for all three: {asked:?}");
        let form: Vec<(String, String)> = decoration
            .form
            .iter()
            .map(|(k, v)| (k.clone(), v.expose().to_string()))
            .collect();
        assert_eq!(form.len(), 3, "{form:?}");
        for (k, v) in &form {
            assert_eq!(v, &format!("v-{k}"), "{form:?}");
        }
        asked.sort();
        assert_eq!(asked, ["alpha", "bravo", "charlie"]);
    }

    /// Answers with one value too few.
    struct Short;
    impl Prompter for Short {
        fn permission<'a>(&'a self, _: &'a PermissionRequest) -> Asked<'a, Answer> {
            Box::pin(async { Answer::Accept })
        }
        fn values<'a>(&'a self, r: &'a ValuesRequest) -> Asked<'a, Option<Vec<SecretValue>>> {
            let n = r.tokens.len().saturating_sub(1);
            Box::pin(async move { Some((0..n).map(|_| SecretValue::new("x")).collect()) })
        }
    }

    #[tokio::test]
    async fn too_few_values_attach_none_of_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let l = lanyard(dir.path()).await;
        for key in ["alpha", "bravo"] {
            add(&l, new_token(key, false, None)).await.expect("add");
        }
        let url = parse_request_url("https://api.example.com/feed").expect("url");
        let decoration = resolve(&l, "POST", &url, &Short).await.expect("resolve");
        assert!(decoration.form.is_empty());
        assert_eq!(decoration.report.ignored.len(), 2);
    }
}
