//! Choosing credentials for a principal: the channel whose API base covers the URL and the
//! URL tokens whose prefix matches it, both among what the principal is linked to; and,
//! per hop, what the hop carries (`credentials_for_hop`, given a `HopContext`). Whether
//! a player may reach a URL at all is [`super::coverage`] (re-exported here).

use std::sync::Arc;

use url::Url;

pub use super::coverage::{
    covering, internal_host, internal_ip, named_literally, require_covered, shown,
};
use super::redact::Redactor;
use super::report::{ChannelUse, CredentialSource, CredentialUse, NotSent};
use super::target::{Base, Target};
use super::As;
use crate::broker::grant::issue_grant_at;
use crate::error::{Error, Result};
use crate::instance::Lanyard;
use crate::secrets::SecretValue;
use crate::snapshot::{ChannelBases, Linked, Snapshot};
use crate::urltokens::decorate::{Attached, Decoration};
use crate::urltokens::permission::{resolve_at, Asking, At, Place, Prompter, ANSWER_TIMEOUT};

/// A channel chosen for a request.
#[derive(Debug, Clone)]
pub struct ChosenChannel {
    /// Its id.
    pub id: String,
    /// Its account label.
    pub label: String,
    /// Its API bases.
    pub bases: Arc<[Base]>,
    /// Its provider mints one token per resource: the grant needs the URL.
    pub per_resource: bool,
}

impl From<&ChannelBases> for ChosenChannel {
    fn from(c: &ChannelBases) -> Self {
        ChosenChannel {
            id: c.id.clone(),
            label: c.label.clone(),
            bases: c.bases.clone(),
            per_resource: c.per_resource,
        }
    }
}

/// The channel for `url`: the one named (which the principal must be linked to), else the
/// first linked channel whose provider's API base covers it.
pub fn channel_for(
    snapshot: &Snapshot,
    who: &As,
    url: &Url,
    wanted: Option<&str>,
) -> Result<Option<ChosenChannel>> {
    channel_at(snapshot, who, &Target::of(url), wanted)
}

/// [`channel_for`] a URL already parsed into a [`Target`].
pub(crate) fn channel_at(
    snapshot: &Snapshot,
    who: &As,
    target: &Target<'_>,
    wanted: Option<&str>,
) -> Result<Option<ChosenChannel>> {
    let linked = snapshot.linked(who.id());
    match wanted {
        Some(id) => {
            let c = snapshot
                .channels
                .iter()
                .find(|c| c.id == id)
                .ok_or_else(|| Error::NotFound(format!("no channel with id {id:?}")))?;
            if !linked.channels.contains(id) {
                return Err(Error::NotLinked(format!(
                    "{} is not linked to channel {id}",
                    who.id()
                )));
            }
            Ok(Some(c.into()))
        }
        None => Ok(snapshot
            .channels
            .iter()
            .filter(|c| linked.channels.contains(&c.id))
            .find(|c| c.bases.iter().any(|b| b.covers(target)))
            .map(Into::into)),
    }
}

/// The channel token for a request, and where it may go.
pub(crate) struct ChannelGrant {
    id: String,
    token: SecretValue,
    bases: Arc<[Base]>,
    audience: Option<String>,
}

/// Issues the chosen channel's grant for `target` as `who`, under the fetch's access
/// `epoch`. The license sees a failed
/// grant in the report (the request goes without it); a player gets the refusal.
pub(crate) async fn grant_for(
    l: &Lanyard,
    who: &As,
    chosen: ChosenChannel,
    target: &Target<'_>,
    epoch: &[u8; 16],
) -> Result<(ChannelUse, Option<ChannelGrant>)> {
    // Only per-resource providers need the URL (it costs two reads); the API base check is
    // ours either way.
    let for_url = chosen.per_resource.then_some(target.url.as_str());
    match issue_grant_at(l, epoch, who.id(), &chosen.id, for_url).await {
        Ok(g) => Ok((
            ChannelUse {
                channel_id: chosen.id.clone(),
                account_label: chosen.label,
                grant_expires_at: Some(g.expires_at),
                error: None,
            },
            Some(ChannelGrant {
                id: chosen.id,
                token: SecretValue::new(g.access_token),
                bases: chosen.bases,
                audience: g.audience,
            }),
        )),
        // A screen cannot show a half-signed answer: a player gets the refusal.
        Err(err) if who.is_player() => Err(err),
        Err(err) => {
            let id = chosen.id;
            let err = match err {
                Error::NeedsReauth(m) => Error::NeedsReauth(format!(
                    "{m}. Re-authorize it on the Channels page or with `lanyard channel reauth {id}`"
                )),
                other => other,
            };
            Ok((
                ChannelUse {
                    channel_id: id,
                    account_label: chosen.label,
                    grant_expires_at: None,
                    error: Some(err.into()),
                },
                None,
            ))
        }
    }
}

/// How a hop stands to the first request: credentials go only to the first request's
/// origin, and nothing after an https → http hop.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Trust {
    /// Same origin as the first request, and no downgrade so far.
    pub trusted: bool,
    /// A hop of the chain went from https to http.
    pub downgraded: bool,
}

impl Trust {
    /// The trust of a hop to `target` in a chain that began at `first` (`downgraded`: an
    /// earlier hop was downgraded already).
    pub(crate) fn of(target: &Target<'_>, first: &Target<'_>, downgraded: bool) -> Trust {
        let downgraded =
            downgraded || (target.url.scheme() == "http" && first.url.scheme() == "https");
        Trust {
            trusted: target.same_origin(&first.origin) && !downgraded,
            downgraded,
        }
    }

    /// Why a credential was not sent to this hop.
    pub(crate) fn reason(self) -> String {
        if self.downgraded {
            "the redirect went from https to http, so nothing was sent".into()
        } else if !self.trusted {
            "credentials are sent only to the origin of the first request".into()
        } else {
            "its API base does not cover this URL".into()
        }
    }
}

/// What the per-hop decision needs about the fetch as a whole.
pub(crate) struct HopContext<'a> {
    /// The instance (for URL token resolution).
    pub l: &'a Lanyard,
    /// Who the request is made as.
    pub who: &'a As,
    /// What that principal is linked to.
    pub linked: &'a Linked,
    /// Who answers permission and prompt questions (the license only).
    pub prompter: &'a dyn Prompter,
    /// The channel's grant, when one was issued.
    pub grant: Option<&'a ChannelGrant>,
    /// The access epoch and snapshot the fetch began with (read once per fetch).
    pub at: At<'a>,
}

/// One hop as the credential decision sees it.
pub(crate) struct HopRequest<'a> {
    /// Its method.
    pub method: &'a str,
    /// Its URL.
    pub target: &'a Target<'a>,
    /// How it stands to the first request.
    pub trust: Trust,
    /// Form tokens may go into its body (none, or a form).
    pub body_is_form: bool,
}

/// What one hop carries.
#[derive(Default)]
pub(crate) struct Carried {
    pub used: Vec<CredentialUse>,
    pub not_sent: Vec<NotSent>,
    pub authorization: Option<SecretValue>,
    pub form: Vec<(String, SecretValue)>,
    pub form_keys: Vec<String>,
    pub form_in_query: bool,
    /// Named-header tokens' headers.
    pub headers: Vec<(String, SecretValue)>,
}

/// Chooses what one hop carries: the channel token where its API base (and audience)
/// covers the URL, the principal's URL tokens matching it. Every value attached is added
/// to `sent`.
pub(crate) async fn credentials_for_hop(
    ctx: &HopContext<'_>,
    hop: &HopRequest<'_>,
    sent: &mut Redactor,
) -> Result<Carried> {
    let mut c = Carried::default();
    if let Some(g) = ctx.grant {
        channel_on_hop(g, hop, sent, &mut c);
    }
    if !hop.trust.trusted {
        return Ok(c);
    }
    let asking = match ctx.who {
        As::License => Asking::Person(ctx.prompter),
        As::Player(_) => Asking::Nobody,
    };
    let url = hop.target.url;
    let linked = Some(&ctx.linked.tokens);
    let place = Place {
        url,
        origin: &hop.target.origin,
        segments: &hop.target.segments,
    };
    let at = ctx.at;
    let decoration =
        resolve_at(ctx.l, at, place, hop.method, linked, asking, ANSWER_TIMEOUT).await?;
    if ctx.who.is_player() && decoration.needs_prompt {
        return Err(Error::NeedsPrompt(format!(
            "a URL token for {} asks for its value at use time, which a player cannot \
             answer: give it a stored value, or unlink it from this player",
            shown(url)
        )));
    }
    for v in &decoration.values {
        sent.add(v.expose());
    }
    tokens_on_hop(decoration, hop.body_is_form, &mut c);
    Ok(c)
}

/// The channel's token goes as `Authorization: Bearer` where the hop is trusted, its API
/// base covers the URL and its audience (if any) is the URL's origin.
fn channel_on_hop(g: &ChannelGrant, hop: &HopRequest<'_>, sent: &mut Redactor, c: &mut Carried) {
    let url = hop.target.url;
    let for_here = g
        .audience
        .as_deref()
        .is_none_or(|a| url.origin().ascii_serialization() == a);
    if hop.trust.trusted && for_here && g.bases.iter().any(|b| b.covers(hop.target)) {
        c.authorization = Some(SecretValue::new(format!("Bearer {}", g.token.expose())));
        sent.add(g.token.expose());
        c.used.push(CredentialUse {
            source: CredentialSource::Channel,
            id: g.id.clone(),
            key: None,
            placement: "authorization_bearer".into(),
        });
    } else {
        c.not_sent.push(NotSent {
            source: CredentialSource::Channel,
            id: g.id.clone(),
            key: None,
            reason: hop.trust.reason(),
        });
    }
}

/// The URL tokens resolved for a hop: the channel's grant keeps the `Authorization`
/// header; form tokens go only into a form body (or a GET's query).
fn tokens_on_hop(decoration: Decoration, body_is_form: bool, c: &mut Carried) {
    let channel_has_auth = c.authorization.is_some();
    if let Some(auth) = decoration.authorization {
        if !channel_has_auth {
            c.authorization = Some(auth);
        }
    }
    let not_sent = |id: String, key: String, reason: String| NotSent {
        source: CredentialSource::UrlToken,
        id,
        key: Some(key),
        reason,
    };
    for line in decoration.report.attached {
        let Some(attached) = line.attached else {
            continue;
        };
        let header = matches!(
            attached,
            Attached::AuthorizationBasic | Attached::AuthorizationBearer
        );
        if header && channel_has_auth {
            c.not_sent.push(not_sent(
                line.token_id,
                line.key,
                "the channel's grant takes the Authorization header".into(),
            ));
            continue;
        }
        if attached == Attached::FormBody && !body_is_form {
            c.not_sent.push(not_sent(
                line.token_id,
                line.key,
                "the request body is not a form, so form tokens cannot be added to it".into(),
            ));
            continue;
        }
        c.used.push(CredentialUse {
            source: CredentialSource::UrlToken,
            id: line.token_id,
            key: Some(line.key),
            placement: attached.as_str().into(),
        });
    }
    for line in decoration.report.ignored {
        c.not_sent.push(not_sent(
            line.token_id,
            line.key,
            line.reason.unwrap_or_default(),
        ));
    }
    if decoration.form_in_query || body_is_form {
        c.form_keys = decoration.form.iter().map(|(k, _)| k.clone()).collect();
        c.form = decoration.form;
    }
    c.form_in_query = decoration.form_in_query;
    c.headers = decoration.headers;
}
