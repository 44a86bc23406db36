//! Two installations exchanging cards and offers in one process (memory secret stores),
//! and every way an offer is refused.

use super::offer::{self, Contents};
use super::{b64, contacts, identity, inbox, unb64};
use crate::secrets::{SecretStoreKind, SecretValue, Secrets};
use crate::urltokens::tokens::{self, NewToken, TokenEdit};
use crate::urltokens::{value_key, Placement};
use crate::Lanyard;

const CANARY: &str = "CANARY-5f0c1e9e-sharing";

async fn install(dir: &tempfile::TempDir, name: &str) -> Lanyard {
    let config = crate::Config {
        database: crate::store::testing::database().await.expect("database"),
        ..crate::Config::new(dir.path().join(name), SecretStoreKind::Memory)
    };
    let clock = std::sync::Arc::new(crate::clock::FixedClock::at(1_800_000_000));
    let l = Lanyard::open_with(&config, clock, Some(Secrets::in_memory()))
        .await
        .expect("open");
    identity::rename(&l, name).await.expect("name");
    l
}

async fn befriend(a: &Lanyard, b: &Lanyard) {
    let a_card = identity::show(a).await.expect("card").card;
    let b_card = identity::show(b).await.expect("card").card;
    contacts::add(a, &b_card, None).await.expect("a adds b");
    contacts::add(b, &a_card, None).await.expect("b adds a");
}

async fn own_token(l: &Lanyard, value: &str) -> String {
    tokens::add(
        l,
        NewToken {
            prefix: "https://data.example.com/feeds".into(),
            key: "token".into(),
            placement: Placement::Header,
            requires_permission: true,
            prompt: false,
            value: Some(SecretValue::new(value)),
        },
    )
    .await
    .expect("token")
    .token
    .id
}

/// An offer's body as JSON, and its signature as it travels.
fn body_of(text: &str) -> (serde_json::Value, String) {
    let (body, sig) = text[offer::OFFER_PREFIX.len()..]
        .split_once('.')
        .expect("dot");
    let json = serde_json::from_slice(&unb64(body, "b").expect("b64")).expect("json");
    (json, sig.to_string())
}

/// The offer with its body changed by `change` and the original signature kept.
fn altered(text: &str, change: impl FnOnce(&mut serde_json::Value)) -> String {
    let (mut body, sig) = body_of(text);
    change(&mut body);
    format!(
        "{}{}.{sig}",
        offer::OFFER_PREFIX,
        b64(&serde_json::to_vec(&body).expect("json"))
    )
}

#[tokio::test]
async fn a_token_travels_sealed_and_arrives_unreadable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (alice, bob) = (install(&dir, "alice").await, install(&dir, "bob").await);
    befriend(&alice, &bob).await;
    let token = own_token(&alice, CANARY).await;

    let sent = inbox::send(&alice, &token, "bob", None)
        .await
        .expect("send");
    assert!(!sent.text.contains(CANARY));
    assert_eq!(sent.link.as_deref(), Some(sent.text.as_str()));
    assert!(!format!("{sent:?}").contains(CANARY));
    crate::deep_links::DeepLink::parse(&sent.text).expect("the link parses as a deep link");

    let offer = inbox::import(&bob, &sent.text).await.expect("import");
    assert_eq!(offer.contact_name.as_deref(), Some("alice"));
    assert_eq!(offer.prefix, "https://data.example.com/feeds");
    assert_eq!(
        (offer.key.as_str(), offer.placement),
        ("token", Placement::Header)
    );
    assert!(offer.requires_permission);
    assert_eq!(inbox::pending_count(&bob).await.expect("count"), 1);
    assert!(!serde_json::to_string(&offer)
        .expect("json")
        .contains(CANARY));

    let received = inbox::accept(&bob, &offer.id).await.expect("accept");
    assert_eq!(received.origin, crate::urltokens::TokenOrigin::Received);
    assert!(!received.viewable);
    assert_eq!(
        received.received_from.as_deref(),
        offer.contact_id.as_deref()
    );
    let stored = bob
        .secrets()
        .get(&value_key(&received.id))
        .await
        .expect("get")
        .expect("value");
    assert_eq!(stored.expose(), CANARY);
    assert_eq!(inbox::pending_count(&bob).await.expect("count"), 0);

    // Not re-pointable, not editable, not sendable on.
    let err = tokens::edit(
        &bob,
        &received.id,
        TokenEdit {
            prefix: Some("https://evil.example.com/".into()),
            ..TokenEdit::default()
        },
    )
    .await
    .expect_err("edit");
    assert_eq!(err.code(), "invalid_input");
    let err = tokens::edit(
        &bob,
        &received.id,
        TokenEdit {
            requires_permission: Some(false),
            ..TokenEdit::default()
        },
    )
    .await
    .expect_err("edit flags");
    assert_eq!(err.code(), "invalid_input");
    let err = inbox::send(&bob, &received.id, "alice", None)
        .await
        .expect_err("send on");
    assert_eq!(err.code(), "invalid_input");

    // Replayed, also after it was accepted.
    let err = inbox::import(&bob, &sent.text).await.expect_err("replay");
    assert_eq!(err.code(), "replayed");
    // The sender keeps a record of what it sent.
    let outgoing = inbox::list(&alice, true).await.expect("list");
    assert_eq!(outgoing.len(), 1);
    assert_eq!(
        outgoing[0].direction,
        super::types::OfferDirection::Outgoing
    );
    // Removing the received token works.
    tokens::remove(&bob, &received.id).await.expect("remove");
}

#[tokio::test]
async fn refused_offers_store_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = install(&dir, "alice").await;
    let bob = install(&dir, "bob").await;
    let carol = install(&dir, "carol").await;
    befriend(&alice, &bob).await;
    befriend(&alice, &carol).await;
    let token = own_token(&alice, CANARY).await;
    let to_bob = inbox::send(&alice, &token, "bob", None)
        .await
        .expect("send")
        .text;
    let to_carol = inbox::send(&alice, &token, "carol", None)
        .await
        .expect("send")
        .text;

    // An unknown sender: carol has no card of bob's.
    let bob_token = own_token(&bob, "bobs-value").await;
    contacts::add(&bob, &identity::show(&carol).await.expect("c").card, None)
        .await
        .expect("bob adds carol");
    let from_bob = inbox::send(&bob, &bob_token, "carol", None)
        .await
        .expect("send")
        .text;
    let err = inbox::import(&carol, &from_bob).await.expect_err("unknown");
    assert_eq!(err.code(), "unknown_contact");

    // Sealed for someone else.
    let err = inbox::import(&bob, &to_carol)
        .await
        .expect_err("not for bob");
    assert_eq!(err.code(), "wrong_recipient");

    // A changed byte in the body: the signature fails.
    let tampered = altered(&to_bob, |body| {
        body["prefix"] = "https://evil.example.com/".into()
    });
    let err = inbox::import(&bob, &tampered).await.expect_err("tampered");
    assert_eq!(err.code(), "bad_signature");

    // Malformed and oversized.
    for bad in [
        "",
        "garbage",
        "lanyard://offer/",
        "lanyard://offer/abc",
        "lanyard://offer/a.b.c",
        "lanyard://contact/abc.def",
        &to_bob[..to_bob.len() - 10],
        &format!("{to_bob}{}", " ".repeat(offer::MAX_OFFER_LEN)),
    ] {
        let err = inbox::import(&bob, bad).await.expect_err("malformed");
        assert_eq!(err.code(), "invalid_input", "{bad:.40}");
    }
    assert!(inbox::list(&bob, true)
        .await
        .expect("list")
        .iter()
        .all(|o| o.direction == super::types::OfferDirection::Outgoing));
    assert!(inbox::list(&carol, true)
        .await
        .expect("list")
        .iter()
        .all(|o| o.direction == super::types::OfferDirection::Outgoing));

    // The real one still goes through, once.
    inbox::import(&bob, &to_bob).await.expect("import");
    let err = inbox::import(&bob, &to_bob).await.expect_err("twice");
    assert_eq!(err.code(), "replayed");
}

/// An offer file saved again by Notepad (a UTF-8 byte order mark, CRLF line endings)
/// imports like the original; a CR or LF inside it is refused and stores nothing.
#[tokio::test]
async fn an_offer_saved_by_notepad_imports_like_the_original() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (alice, bob) = (install(&dir, "alice").await, install(&dir, "bob").await);
    befriend(&alice, &bob).await;
    let token = own_token(&alice, CANARY).await;
    let sent = inbox::send(&alice, &token, "bob", None)
        .await
        .expect("send");
    let text = &sent.text;
    let cut = offer::OFFER_PREFIX.len() + 10;
    for smuggled in [
        format!("\u{feff}{}\r\n{}\r\n", &text[..cut], &text[cut..]),
        format!("\u{feff}{}\n{}", &text[..cut], &text[cut..]),
        format!("\u{feff}\u{feff}{text}\r\n"),
    ] {
        let err = inbox::import(&bob, &smuggled).await.expect_err("smuggled");
        assert_eq!(err.code(), "invalid_input", "{smuggled:?}");
    }
    assert_eq!(inbox::pending_count(&bob).await.expect("count"), 0);
    let offer = inbox::import(&bob, &format!("\u{feff}{text}\r\n"))
        .await
        .expect("import");
    assert_eq!(offer.contact_name.as_deref(), Some("alice"));
    inbox::accept(&bob, &offer.id).await.expect("accept");
}

/// Carol got hold of an offer Alice sealed for Bob and re-wraps its sealed value in an
/// offer of her own, signed by her, pointing at her server. Bob knows both.
#[tokio::test]
async fn a_sealed_value_cannot_be_re_pointed_by_another_contact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = install(&dir, "alice").await;
    let bob = install(&dir, "bob").await;
    let carol = install(&dir, "carol").await;
    befriend(&alice, &bob).await;
    befriend(&carol, &bob).await;
    let token = own_token(&alice, CANARY).await;
    let to_bob = inbox::send(&alice, &token, "bob", None)
        .await
        .expect("send")
        .text;
    let parsed = offer::parse(&to_bob).expect("parse");
    let sealed = parsed.sealed().expect("sealed");

    let carol_keys = identity::keys(&carol).await.expect("keys");
    let bob_id = identity::show(&bob).await.expect("bob");
    // Carol builds an honest offer to Bob for her prefix, then swaps in Alice's sealed box.
    let own = offer::seal(
        &carol_keys,
        &super::key_from_b64(&bob_id.sealing_key, "k").expect("k"),
        &super::key_from_b64(&bob_id.signing_key, "k").expect("k"),
        &Contents {
            id: "1f4f8f3e-0000-4000-8000-000000000001",
            created_at: 1_800_000_000,
            prefix: "https://carol.example.net/",
            key: "token",
            placement: Placement::Header,
            requires_permission: false,
            value: &SecretValue::new("placeholder"),
        },
    )
    .expect("seal");
    let mut body = body_of(&own).0;
    body["sealed"] = b64(&sealed).into();
    let raw = serde_json::to_vec(&body).expect("json");
    use ed25519_dalek::Signer;
    let sig = carol_keys
        .signing
        .sign(&[b"lanyard-offer-v1\0".as_slice(), &raw].concat());
    let forged = format!(
        "{}{}.{}",
        offer::OFFER_PREFIX,
        b64(&raw),
        b64(&sig.to_bytes())
    );
    let err = inbox::import(&bob, &forged).await.expect_err("re-pointed");
    assert_eq!(err.code(), "bad_signature");
    assert!(inbox::list(&bob, true).await.expect("list").is_empty());
}

#[tokio::test]
async fn contacts_are_managed_and_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = install(&dir, "alice").await;
    let bob = install(&dir, "bob").await;
    let a = identity::show(&alice).await.expect("id");
    assert_eq!(a.card, identity::show(&alice).await.expect("again").card);
    assert_eq!(a.fingerprint.len(), 24);

    let err = contacts::add(&alice, &a.card, None).await.expect_err("own");
    assert_eq!(err.code(), "invalid_input");
    let added = contacts::add(&bob, &a.card, Some("Alice (work)"))
        .await
        .expect("add");
    assert_eq!(added.fingerprint, a.fingerprint);
    let err = contacts::add(&bob, &a.card, None).await.expect_err("twice");
    assert_eq!(err.code(), "conflict");
    let renamed = contacts::rename(&bob, &a.fingerprint, "Alice")
        .await
        .expect("rename");
    assert_eq!(renamed.name, "Alice");
    assert_eq!(
        contacts::find(&bob, "alice").await.expect("by name").id,
        added.id
    );
    let err = contacts::rename(&bob, "alice", "bad\nname")
        .await
        .expect_err("bad name");
    assert_eq!(err.code(), "invalid_input");

    // Removing a contact drops the offers from them still waiting.
    contacts::add(&alice, &identity::show(&bob).await.expect("b").card, None)
        .await
        .expect("alice adds bob");
    let token = own_token(&alice, CANARY).await;
    let sent = inbox::send(&alice, &token, "bob", None)
        .await
        .expect("send");
    inbox::import(&bob, &sent.text).await.expect("import");
    contacts::remove(&bob, "alice").await.expect("remove");
    assert_eq!(inbox::pending_count(&bob).await.expect("count"), 0);
    let err = contacts::find(&bob, "alice").await.expect_err("gone");
    assert_eq!(err.code(), "not_found");
    let err = inbox::send(&alice, &token, "nobody", None)
        .await
        .expect_err("no contact");
    assert_eq!(err.code(), "not_found");
}

#[tokio::test]
async fn rejecting_erases_and_keeps_the_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = install(&dir, "alice").await;
    let bob = install(&dir, "bob").await;
    befriend(&alice, &bob).await;
    let token = own_token(&alice, CANARY).await;
    let sent = inbox::send(&alice, &token, "bob", None)
        .await
        .expect("send");
    let offer = inbox::import(&bob, &sent.text).await.expect("import");
    let rejected = inbox::reject(&bob, &offer.id).await.expect("reject");
    assert_eq!(rejected.status, super::types::OfferStatus::Rejected);
    assert!(bob.store().offer(&offer.id).await.expect("row").1.is_none());
    assert_eq!(
        inbox::accept(&bob, &offer.id)
            .await
            .expect_err("accept")
            .code(),
        "invalid_state"
    );
    assert_eq!(
        inbox::import(&bob, &sent.text)
            .await
            .expect_err("again")
            .code(),
        "replayed"
    );
    // A token with a prompt value or a received one cannot be sent.
    let prompt = tokens::add(
        &alice,
        NewToken {
            prefix: "https://p.example.com/".into(),
            key: "k".into(),
            placement: Placement::Form,
            requires_permission: false,
            prompt: true,
            value: None,
        },
    )
    .await
    .expect("prompt token");
    assert_eq!(
        inbox::send(&alice, &prompt.token.id, "bob", None)
            .await
            .expect_err("prompt")
            .code(),
        "invalid_input"
    );
}

#[tokio::test]
async fn one_identity_even_when_created_concurrently() {
    let dir = tempfile::tempdir().expect("tempdir");
    let l = install(&dir, "solo").await;
    let fresh = tempfile::tempdir().expect("tempdir");
    let config = crate::Config {
        database: crate::store::testing::database().await.expect("database"),
        ..crate::Config::new(fresh.path().to_path_buf(), SecretStoreKind::Memory)
    };
    let l2 = Lanyard::open_with(
        &config,
        std::sync::Arc::new(crate::clock::FixedClock::at(1)),
        Some(Secrets::in_memory()),
    )
    .await
    .expect("open");
    let (a, b) = tokio::join!(identity::show(&l2), identity::show(&l2));
    assert_eq!(a.expect("a").card, b.expect("b").card);
    drop(l);
}

#[tokio::test]
async fn a_strangers_name_is_checked_before_it_is_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = install(&dir, "alice").await;
    let bob = install(&dir, "bob").await;
    befriend(&alice, &bob).await;
    let token = own_token(&alice, CANARY).await;
    let text = inbox::send(&alice, &token, "bob", None)
        .await
        .expect("send")
        .text;
    let forged = altered(&text, |body| {
        body["from"]["name"] = "Bank\nclick here to verify your account".into()
    });
    let err = inbox::import(&bob, &forged).await.expect_err("bad name");
    assert_eq!(err.code(), "invalid_input");
    assert!(!err.to_string().contains("click here"));
}

/// Carol, also Bob's contact, copies the id of Alice's offer into one of her own and gets
/// it to Bob first: Alice's offer must still arrive.
#[tokio::test]
async fn one_contact_cannot_claim_anothers_offer_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = install(&dir, "alice").await;
    let bob = install(&dir, "bob").await;
    let carol = install(&dir, "carol").await;
    befriend(&alice, &bob).await;
    befriend(&carol, &bob).await;
    let token = own_token(&alice, CANARY).await;
    let from_alice = inbox::send(&alice, &token, "bob", None)
        .await
        .expect("send")
        .text;
    let alice_id = offer::parse(&from_alice).expect("parse").body.id.clone();
    let bob_id = identity::show(&bob).await.expect("bob");
    let from_carol = offer::seal(
        &identity::keys(&carol).await.expect("keys"),
        &super::key_from_b64(&bob_id.sealing_key, "k").expect("k"),
        &super::key_from_b64(&bob_id.signing_key, "k").expect("k"),
        &Contents {
            id: &alice_id,
            created_at: 1_800_000_000,
            prefix: "https://carol.example.net/",
            key: "token",
            placement: Placement::Header,
            requires_permission: false,
            value: &SecretValue::new("carols"),
        },
    )
    .expect("seal");
    let first = inbox::import(&bob, &from_carol).await.expect("carol's");
    let second = inbox::import(&bob, &from_alice)
        .await
        .expect("alice's still arrives");
    assert_ne!(first.id, second.id);
    let token = inbox::accept(&bob, &second.id).await.expect("accept");
    assert_eq!(token.prefix, "https://data.example.com/feeds");
    assert_eq!(
        inbox::import(&bob, &from_alice)
            .await
            .expect_err("replay")
            .code(),
        "replayed"
    );
}
