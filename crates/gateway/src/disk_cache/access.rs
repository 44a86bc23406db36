//! Whether a disk copy may stay: the rules the sweep applies after every access change
//! (and at startup), as pure functions of the request snapshot and the players' session
//! generations.
//!
//! A copy's **readers** are the active players linked to every credential of its key (a
//! superset of the players whose requests compute that key), each with its session
//! generation when the copy was written or last swept. The generation moves when the
//! player is unlinked from anything, its secret is rotated or its sessions are ended; a
//! removed player is no longer active. A copy is deleted when
//! - a credential of its key is gone (a channel disconnected or removed, a URL token
//!   removed or no longer covering the URL) or revoked;
//! - any recorded reader lost its access (removed, generation moved, no longer linked);
//! - no active player is linked to all its credentials any more;
//! - it is older than the key's "keep showing for" limit (0: no copy is kept at all).
//!
//! Deleting a copy another screen could still read costs that screen only its stale
//! fallback until the next fresh answer is written again; keeping one whose reader lost
//! access would not be what the user asked for.

use std::collections::HashMap;
use std::time::Duration;

use lanyard_core::oauth::channel::ChannelStatus;
use lanyard_core::snapshot::Snapshot;
use url::Url;

/// The default "keep showing for" limit.
const DEFAULT_KEEP: u64 = lanyard_core::store::stale::DEFAULT_KEEP_STALE_SECS;

/// What the sweep does with a copy.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Nothing to change.
    Keep,
    /// Kept; its readers are now these (screens linked since).
    Readers(Vec<(String, i64)>),
    /// Deleted, and why (for the log; names no URL or credential).
    Delete(&'static str),
}

/// `channel:<id>` / `channel:<id>@<origin>` / `url_token:<id>` as (kind, id).
fn parts(credential: &str) -> (&str, &str) {
    let name = credential
        .split_once('@')
        .map_or(credential, |(name, _)| name);
    name.split_once(':').unwrap_or(("", name))
}

/// Why the key's credentials no longer stand, if they do not.
pub(super) fn gone(snapshot: &Snapshot, url: &Url, credentials: &[String]) -> Option<&'static str> {
    for c in credentials {
        match parts(c) {
            ("channel", id) => match snapshot.channels.iter().find(|ch| ch.id == id) {
                None => return Some("its channel was disconnected or removed"),
                Some(ch) if ch.status == ChannelStatus::Revoked => {
                    return Some("its channel was revoked")
                }
                Some(_) => {}
            },
            ("url_token", id) => {
                if !snapshot.tokens.matching(url).iter().any(|t| t.id == id) {
                    return Some("its URL token was removed");
                }
            }
            _ => return Some("it names an unknown kind of credential"),
        }
    }
    None
}

/// The active players linked to every credential, with their generations, sorted.
pub(super) fn readers(
    snapshot: &Snapshot,
    generations: &HashMap<String, i64>,
    credentials: &[String],
) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = generations
        .iter()
        .filter(|(p, _)| snapshot.active_players.contains(*p))
        .filter(|(p, _)| linked_to_all(snapshot, p, credentials))
        .map(|(p, g)| (p.clone(), *g))
        .collect();
    out.sort();
    out
}

fn linked_to_all(snapshot: &Snapshot, player: &str, credentials: &[String]) -> bool {
    let linked = snapshot.linked(player);
    credentials.iter().all(|c| match parts(c) {
        ("channel", id) => linked.channels.contains(id),
        ("url_token", id) => linked.tokens.contains(id),
        _ => false,
    })
}

/// The key's "keep showing for" limit: the smallest of its credentials'.
pub(super) fn keep_limit(snapshot: &Snapshot, credentials: &[String]) -> Duration {
    let secs = credentials
        .iter()
        .map(|c| {
            let (kind, id) = parts(c);
            *snapshot
                .keep_stale
                .get(&format!("{kind}:{id}"))
                .unwrap_or(&DEFAULT_KEEP)
        })
        .min()
        .unwrap_or(DEFAULT_KEEP);
    Duration::from_secs(secs)
}

/// What becomes of a copy of `url` fetched with `credentials`, `age` ago, read by
/// `recorded` (see the module docs).
#[cfg(test)]
pub(super) fn judge(
    snapshot: &Snapshot,
    generations: &HashMap<String, i64>,
    url: &str,
    credentials: &[String],
    recorded: &[(String, i64)],
    age: Duration,
) -> Verdict {
    let now = readers(snapshot, generations, credentials);
    judge_with(snapshot, &now, url, credentials, recorded, age)
}

/// [`judge`] given the key's readers now ([`readers`], computed once per credential set
/// by a sweep).
pub(super) fn judge_with(
    snapshot: &Snapshot,
    now: &[(String, i64)],
    url: &str,
    credentials: &[String],
    recorded: &[(String, i64)],
    age: Duration,
) -> Verdict {
    let Ok(parsed) = Url::parse(url) else {
        return Verdict::Delete("its URL does not parse");
    };
    if let Some(why) = gone(snapshot, &parsed, credentials) {
        return Verdict::Delete(why);
    }
    for (player, generation) in recorded {
        if !now.iter().any(|(p, g)| p == player && g == generation) {
            return Verdict::Delete("a screen that could read it lost its access");
        }
    }
    if now.is_empty() {
        return Verdict::Delete("no screen is linked to its credentials");
    }
    if age > keep_limit(snapshot, credentials) {
        return Verdict::Delete("it is older than its credentials' keep-showing limit");
    }
    if now != recorded {
        return Verdict::Readers(now.to_vec());
    }
    Verdict::Keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanyard_core::fetch::target::Base;
    use lanyard_core::oauth::channel::Handout;
    use lanyard_core::snapshot::{ChannelBases, Linked};

    fn snapshot(players: &[(&str, &[&str])]) -> Snapshot {
        let mut s = Snapshot {
            channels: vec![ChannelBases {
                id: "c".into(),
                label: "a".into(),
                bases: [Base::new("https://a.example/")].into(),
                handout: Handout::Proxy,
                status: ChannelStatus::Active,
                per_resource: false,
            }],
            ..Snapshot::default()
        };
        for (p, channels) in players {
            s.active_players.insert(p.to_string());
            s.links.insert(
                p.to_string(),
                Linked {
                    channels: channels.iter().map(|c| c.to_string()).collect(),
                    tokens: Default::default(),
                },
            );
        }
        s
    }

    fn generations(g: &[(&str, i64)]) -> HashMap<String, i64> {
        g.iter().map(|(p, g)| (p.to_string(), *g)).collect()
    }

    #[test]
    fn a_copy_goes_when_a_reader_loses_access_or_its_credential_goes() {
        let url = "https://a.example/feed";
        let creds = vec!["channel:c".to_string()];
        let hour = Duration::from_secs(3600);
        let s = snapshot(&[("p", &["c"]), ("q", &["c"])]);
        let g = generations(&[("p", 1), ("q", 1)]);
        let both = vec![("p".to_string(), 1), ("q".to_string(), 1)];
        assert_eq!(judge(&s, &g, url, &creds, &both, hour), Verdict::Keep);
        // A screen linked since: recorded.
        let only_p = vec![("p".to_string(), 1)];
        assert_eq!(
            judge(&s, &g, url, &creds, &only_p, hour),
            Verdict::Readers(both.clone())
        );
        // Rotated / unlinked elsewhere (the generation moved): gone.
        let moved = generations(&[("p", 2), ("q", 1)]);
        assert!(matches!(
            judge(&s, &moved, url, &creds, &both, hour),
            Verdict::Delete(_)
        ));
        // Removed (no longer active).
        let removed = generations(&[("q", 1)]);
        assert!(matches!(
            judge(&s, &removed, url, &creds, &both, hour),
            Verdict::Delete(_)
        ));
        // Unlinked from the channel.
        let unlinked = snapshot(&[("p", &[]), ("q", &["c"])]);
        assert!(matches!(
            judge(&unlinked, &g, url, &creds, &both, hour),
            Verdict::Delete(_)
        ));
        // The channel disconnected (its row is gone) or revoked.
        let mut disconnected = snapshot(&[("p", &["c"]), ("q", &["c"])]);
        disconnected.channels.clear();
        assert!(matches!(
            judge(&disconnected, &g, url, &creds, &both, hour),
            Verdict::Delete(_)
        ));
        let mut revoked = snapshot(&[("p", &["c"]), ("q", &["c"])]);
        revoked.channels[0].status = ChannelStatus::Revoked;
        assert!(matches!(
            judge(&revoked, &g, url, &creds, &both, hour),
            Verdict::Delete(_)
        ));
        // Nobody left to read it; older than the limit; a limit of 0.
        let nobody = snapshot(&[]);
        assert!(matches!(
            judge(&nobody, &generations(&[]), url, &creds, &[], hour),
            Verdict::Delete(_)
        ));
        assert!(matches!(
            judge(&s, &g, url, &creds, &both, Duration::from_secs(86_401)),
            Verdict::Delete(_)
        ));
        let mut off = snapshot(&[("p", &["c"]), ("q", &["c"])]);
        off.keep_stale.insert("channel:c".into(), 0);
        assert!(matches!(
            judge(&off, &g, url, &creds, &both, Duration::from_secs(1)),
            Verdict::Delete(_)
        ));
        // A per-resource channel's name carries the origin.
        let per_resource = vec!["channel:c@https://a.example".to_string()];
        assert_eq!(
            judge(&s, &g, url, &per_resource, &both, hour),
            Verdict::Keep
        );
    }
}
