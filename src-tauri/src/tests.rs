//! Shell tests on Tauri's mock runtime: no display needed. They check that commands reach
//! the core and come back as DTOs or `{ code, message }`, and how links are handled.

use std::sync::Arc;

use lanyard_core::clock::FixedClock;
use lanyard_core::secrets::{SecretStoreKind, Secrets};
use lanyard_core::{Config, Lanyard};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, WebviewWindowBuilder};

use crate::dto::DeepLinkEvent;
use crate::state::AppState;

fn app_with(state: AppState) -> (App<MockRuntime>, tauri::WebviewWindow<MockRuntime>) {
    let app = crate::app_builder(mock_builder(), state)
        // The real context, so the real capabilities decide what the window may call.
        .build(tauri::generate_context!(test = true))
        .expect("mock app");
    let window = WebviewWindowBuilder::new(&app, crate::window::MAIN, Default::default())
        .build()
        .expect("window");
    (app, window)
}

async fn opened(dir: &std::path::Path) -> Lanyard {
    let config = Config::new(dir.to_path_buf(), SecretStoreKind::Memory);
    Lanyard::open_with(
        &config,
        Arc::new(FixedClock::at(1_800_000_000)),
        Some(Secrets::in_memory()),
    )
    .await
    .expect("open")
}

fn invoke(
    window: &tauri::WebviewWindow<MockRuntime>,
    cmd: &str,
    args: serde_json::Value,
) -> Result<serde_json::Value, serde_json::Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: tauri::test::INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<serde_json::Value>().expect("json"))
}

#[test]
fn status_returns_the_dto() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lanyard = tauri::async_runtime::block_on(opened(dir.path()));
    let (_app, window) = app_with(AppState::with(lanyard));
    let status = invoke(&window, "status", serde_json::json!({})).expect("status");
    assert_eq!(status["dataDir"], dir.path().display().to_string());
    assert_eq!(
        status["schemaVersion"],
        lanyard_core::store::Store::known_schema_version()
    );
    assert_eq!(status["secretStore"]["backend"], "memory");
    assert_eq!(status["secretStore"]["usable"], true);
}

#[test]
fn an_installation_that_failed_to_open_answers_with_its_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A file where the data directory should be: opening fails.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").expect("write");
    std::env::set_var(lanyard_core::config::DATA_DIR_ENV, &blocker);
    let state = AppState::open("app.lanyard.desktop.test");
    std::env::remove_var(lanyard_core::config::DATA_DIR_ENV);
    let (_app, window) = app_with(state);
    let err = invoke(&window, "status", serde_json::json!({})).expect_err("error");
    assert_eq!(err["code"], "io");
    assert!(err["message"]
        .as_str()
        .expect("message")
        .contains("not-a-dir"));
}

/// Refused by the ACL (Tauri's own message, not a command's `{ code, message }`).
fn refused_by_acl(reply: Result<serde_json::Value, serde_json::Value>) -> bool {
    matches!(reply, Err(serde_json::Value::String(s)) if s.contains("not allowed"))
}

#[test]
fn the_capability_decides_what_each_window_may_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lanyard = tauri::async_runtime::block_on(opened(dir.path()));
    let (app, window) = app_with(AppState::with(lanyard));
    let none = serde_json::json!({});
    // Granted to the main window: answered.
    assert!(invoke(&window, "status", none.clone()).is_ok());
    // Lanyard's own command from a window the capability does not name: refused.
    let other = WebviewWindowBuilder::new(&app, "other", Default::default())
        .build()
        .expect("window");
    assert!(refused_by_acl(invoke(&other, "status", none.clone())));
    // Commands that exist in every Tauri app but are not granted: refused in the main
    // window too (the UI gets event listening and nothing else of Tauri's own).
    for cmd in [
        "plugin:app|version",
        "plugin:path|resolve_directory",
        "plugin:window|close",
        "plugin:webview|print",
    ] {
        let reply = invoke(&window, cmd, none.clone());
        assert!(refused_by_acl(reply.clone()), "{cmd}: {reply:?}");
    }
    let granted = invoke(
        &window,
        "plugin:event|unlisten",
        serde_json::json!({ "event": "deep-link", "eventId": 1 }),
    );
    assert!(!refused_by_acl(granted.clone()), "{granted:?}");
    // A command that exists nowhere.
    assert!(invoke(&window, "read_secret", none).is_err());
}

#[test]
fn links_are_announced_and_bad_ones_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lanyard = tauri::async_runtime::block_on(opened(dir.path()));
    let (app, _window) = app_with(AppState::with(lanyard));
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = seen.clone();
    app.listen(crate::deep_link::EVENT, move |event| {
        sink.lock().expect("lock").push(event.payload().to_string());
    });
    let events = crate::deep_link::handle(
        app.handle(),
        &[
            "app.lanyard.desktop:/oauth/callback?code=CANARY-code&state=s".into(),
            "lanyard://offer/QUJD".into(),
            "https://evil.example/oauth/callback?code=x".into(),
        ],
    );
    assert!(matches!(events[0], DeepLinkEvent::Accepted { .. }));
    assert!(matches!(events[1], DeepLinkEvent::Accepted { .. }));
    assert!(matches!(events[2], DeepLinkEvent::Refused { .. }));
    let payloads = seen.lock().expect("lock").clone();
    assert_eq!(payloads.len(), 3);
    assert_eq!(
        payloads[0],
        r#"{"outcome":"accepted","kind":"oauth_callback"}"#
    );
    assert!(
        payloads[2].contains(r#""code":"invalid_input""#),
        "{}",
        payloads[2]
    );
    assert!(
        payloads.iter().all(|p| !p.contains("CANARY")),
        "a link's query reached the UI"
    );
}

#[test]
fn an_oauth_callback_link_is_completed_and_its_failure_announced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lanyard = tauri::async_runtime::block_on(opened(dir.path()));
    let (app, _window) = app_with(AppState::with(lanyard));
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    app.listen(crate::oauth::EVENT, move |event| {
        let _ = tx.send(event.payload().to_string());
    });
    crate::deep_link::handle(
        app.handle(),
        &["app.lanyard.desktop:/oauth/callback?code=CANARY-code&state=never-issued".into()],
    );
    let payload = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("oauth-result");
    let result: serde_json::Value = serde_json::from_str(&payload).expect("json");
    assert_eq!(result["outcome"], "failed");
    assert_eq!(result["error"]["code"], "invalid_state");
    assert!(!payload.contains("CANARY"));
}

#[test]
fn connect_and_cancel_through_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lanyard = tauri::async_runtime::block_on(opened(dir.path()));
    let (_app, window) = app_with(AppState::with(lanyard));
    let providers = invoke(&window, "providers_list", serde_json::json!({})).expect("providers");
    assert!(providers
        .as_array()
        .expect("list")
        .iter()
        .any(|p| p["id"] == "microsoft"));
    let err = invoke(
        &window,
        "channel_connect",
        serde_json::json!({ "providerId": "microsoft" }),
    )
    .expect_err("a template has no client id");
    assert_eq!(err["code"], "invalid_input");
    let added = invoke(
        &window,
        "provider_add",
        serde_json::json!({ "input": {
            "template": "microsoft", "tenant": null, "discoveryUrl": null, "name": null,
            "authorizationEndpoint": null, "tokenEndpoint": null, "revocationEndpoint": null,
            "userinfoEndpoint": null, "scopes": [], "clientId": "my-client",
            "clientSecret": "CANARY-client-secret", "redirectStyle": null,
            "apiBaseUrls": [], "reauthDays": 14
        }}),
    )
    .expect("add");
    assert_eq!(added["hasClientSecret"], true);
    assert_eq!(added["reauthDays"], 14);
    assert!(!added.to_string().contains("CANARY"));
    let channels = invoke(&window, "channels_list", serde_json::json!({})).expect("channels");
    assert_eq!(channels, serde_json::json!([]));
    let err = invoke(
        &window,
        "channel_disconnect",
        serde_json::json!({ "id": "nope" }),
    )
    .expect_err("unknown channel");
    assert_eq!(err["code"], "not_found");
    let err = invoke(
        &window,
        "oauth_cancel",
        serde_json::json!({ "pendingId": "nope" }),
    )
    .expect_err("unknown sign-in");
    assert_eq!(err["code"], "not_found");
}

#[test]
fn a_permission_question_goes_to_the_window_and_its_answer_comes_back() {
    use lanyard_core::secrets::SecretValue;
    use lanyard_core::urltokens::permission::resolve;
    use lanyard_core::urltokens::tokens::{add, NewToken};
    use lanyard_core::urltokens::Placement;
    use tauri::Manager;

    let dir = tempfile::tempdir().expect("tempdir");
    let lanyard = tauri::async_runtime::block_on(opened(dir.path()));
    tauri::async_runtime::block_on(add(
        &lanyard,
        NewToken {
            prefix: "https://api.example.com".into(),
            key: "token".into(),
            placement: Placement::Header,
            requires_permission: true,
            prompt: false,
            value: Some(SecretValue::new("CANARY-bearer")),
        },
    ))
    .expect("token");
    let (app, window) = app_with(AppState::with(lanyard.clone()));
    let pending = app.state::<crate::prompter::Pending>().inner().clone();
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let (sink, answerer) = (seen.clone(), pending.clone());
    app.listen(crate::prompter::EVENT, move |event| {
        let payload = event.payload().to_string();
        let request: serde_json::Value = serde_json::from_str(&payload).expect("json");
        let id = request["id"].as_str().expect("id").to_string();
        sink.lock().expect("lock").push(payload);
        let reply =
            serde_json::from_value(serde_json::json!({ "kind": "permission", "answer": "accept" }))
                .expect("reply");
        assert!(answerer.answer(&id, reply));
    });
    let prompter = crate::prompter::DesktopPrompter::new(app.handle().clone(), pending);
    let url = lanyard_core::urltokens::prefix::parse_request_url("https://api.example.com/x")
        .expect("url");
    let decoration =
        tauri::async_runtime::block_on(resolve(&lanyard, "GET", &url, &prompter)).expect("resolve");
    assert_eq!(
        decoration.authorization.expect("auth").expose(),
        "Bearer CANARY-bearer"
    );
    let payloads = seen.lock().expect("lock").clone();
    assert_eq!(payloads.len(), 1);
    assert!(payloads[0].contains("\"origin\":\"https://api.example.com:443\""));
    assert!(!payloads[0].contains("CANARY"), "a value reached the UI");
    let err = invoke(
        &window,
        "prompt_answer",
        serde_json::json!({ "id": "nope", "reply": { "kind": "permission", "answer": "deny" } }),
    )
    .expect_err("nothing waits");
    assert_eq!(err["code"], "not_found");
}

#[test]
fn the_tray_menu_is_built_from_the_reminder_schedule() {
    use lanyard_core::reminders::{Level, Reminder, Schedule};

    let dir = tempfile::tempdir().expect("tempdir");
    let lanyard = tauri::async_runtime::block_on(opened(dir.path()));
    let (app, _window) = app_with(AppState::with(lanyard));
    let schedule = Schedule {
        reminders: vec![Reminder {
            channel_id: "c1".into(),
            provider_name: "Microsoft 365".into(),
            account_label: "alice@contoso.com".into(),
            level: Level::DueLater,
            kind: lanyard_core::health::Kind::ReauthDue,
            due_at: Some(1),
            screens: vec![lanyard_core::health::Screen {
                id: "p1".into(),
                name: "Lobby".into(),
            }],
            message: "Re-authorize Microsoft 365 — alice@contoso.com · due in 2 days · 1 screen: \
                      Lobby"
                .into(),
        }],
        next_check_at: None,
    };
    let menu = crate::tray::menu(app.handle(), &schedule).expect("menu");
    let texts: Vec<String> = menu
        .items()
        .expect("items")
        .iter()
        .filter_map(|i| {
            i.as_menuitem()
                .map(|m| (m.id().0.clone(), m.text().expect("text")))
        })
        .map(|(id, text)| format!("{id}={text}"))
        .collect();
    assert_eq!(
        texts,
        vec![
            "reauth:c1=Re-authorize Microsoft 365 — alice@contoso.com · due in 2 days · 1 screen: \
             Lobby"
                .to_string(),
            "open=Open Lanyard".to_string(),
            "pause=Pause reminders for 1 day".to_string(),
            "quit=Quit".to_string(),
        ]
    );
    let empty = crate::tray::menu(
        app.handle(),
        &Schedule {
            reminders: vec![],
            next_check_at: None,
        },
    )
    .expect("menu");
    assert_eq!(
        empty
            .items()
            .expect("items")
            .iter()
            .filter(|i| i.as_menuitem().is_some())
            .count(),
        3
    );
}

#[test]
fn error_json_shape_is_pinned() {
    let err = crate::dto::IpcError::from(lanyard_core::Error::NotFound("no such channel".into()));
    assert_eq!(
        serde_json::to_value(err).expect("json"),
        serde_json::json!({ "code": "not_found", "message": "no such channel" })
    );
}

#[test]
fn a_player_secret_is_returned_once_and_the_gateway_runs_from_settings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lanyard = tauri::async_runtime::block_on(opened(dir.path()));
    let (_app, window) = app_with(AppState::with(lanyard.clone()));
    let added = invoke(
        &window,
        "player_add",
        serde_json::json!({ "name": "Lobby", "serial": null }),
    )
    .expect("player_add");
    let id = added["player"]["id"].as_str().expect("id").to_string();
    let secret = added["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("lyp_"));
    let listed = invoke(&window, "players_list", serde_json::json!({})).expect("list");
    assert!(
        !listed.to_string().contains(&secret),
        "listing never shows it"
    );

    let rotated = invoke(
        &window,
        "player_rotate_secret",
        serde_json::json!({ "id": id }),
    )
    .expect("rotate");
    assert_ne!(rotated["secret"], secret.as_str());

    let off = invoke(&window, "gateway_get", serde_json::json!({})).expect("get");
    assert_eq!(off["enabled"], false);
    assert_eq!(off["url"], serde_json::Value::Null);
    let on = invoke(
        &window,
        "gateway_set",
        serde_json::json!({ "enabled": true, "listen": "127.0.0.1:0", "corsOrigins": [] }),
    )
    .expect("set");
    assert!(on["url"]
        .as_str()
        .expect("url")
        .starts_with("http://127.0.0.1:"));
    let refused = invoke(
        &window,
        "gateway_set",
        serde_json::json!({ "enabled": true, "listen": "0.0.0.0:7443", "corsOrigins": [] }),
    )
    .expect_err("not loopback");
    assert_eq!(refused["code"], "invalid_input");
    let stopped = invoke(
        &window,
        "gateway_set",
        serde_json::json!({ "enabled": false, "listen": "127.0.0.1:0", "corsOrigins": [] }),
    )
    .expect("stop");
    assert_eq!(stopped["url"], serde_json::Value::Null);
}

fn wait_for(seen: &std::sync::Mutex<Vec<String>>, n: usize) -> Vec<serde_json::Value> {
    for _ in 0..200 {
        if seen.lock().expect("lock").len() >= n {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    seen.lock()
        .expect("lock")
        .iter()
        .map(|p| serde_json::from_str(p).expect("json"))
        .collect()
}

fn collect(app: &App<MockRuntime>, event: &str) -> Arc<std::sync::Mutex<Vec<String>>> {
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = seen.clone();
    app.listen(event, move |e| {
        sink.lock().expect("lock").push(e.payload().to_string());
    });
    seen
}

#[test]
fn offers_arrive_by_link_and_are_accepted_without_their_value() {
    use lanyard_core::sharing::{contacts, identity, inbox};
    use lanyard_core::urltokens::tokens::{self, NewToken};
    const CANARY: &str = "CANARY-0c2d7a55-shell";
    let dir = tempfile::tempdir().expect("tempdir");
    let (me, sender) = tauri::async_runtime::block_on(async {
        (
            opened(&dir.path().join("me")).await,
            opened(&dir.path().join("sender")).await,
        )
    });
    let (app, window) = app_with(AppState::with(me));
    let requests = collect(&app, crate::sharing::REQUESTS_EVENT);
    let cards = collect(&app, crate::sharing::CARD_EVENT);
    {
        use tauri::Manager;
        app.manage(crate::window::Shown::default());
    }
    let shown = || {
        use tauri::Manager;
        app.state::<crate::window::Shown>()
            .0
            .load(std::sync::atomic::Ordering::SeqCst)
    };

    let mine = invoke(&window, "identity_show", serde_json::json!({})).expect("identity");
    let card = mine["card"].as_str().expect("card").to_string();
    let link = tauri::async_runtime::block_on(async {
        contacts::add(&sender, &card, Some("me"))
            .await
            .expect("add");
        let id = tokens::add(
            &sender,
            NewToken {
                prefix: "https://data.example.com/".into(),
                key: "token".into(),
                placement: lanyard_core::urltokens::Placement::Header,
                requires_permission: false,
                prompt: false,
                value: Some(lanyard_core::secrets::SecretValue::new(CANARY)),
            },
        )
        .await
        .expect("token")
        .token
        .id;
        inbox::send(&sender, &id, "me", None)
            .await
            .expect("send")
            .text
    });
    let sender_card = tauri::async_runtime::block_on(identity::show(&sender))
        .expect("sender")
        .card;

    // A card by link is only previewed; the offer from a stranger is refused.
    crate::deep_link::handle(app.handle(), &[sender_card.clone(), link.clone()]);
    let preview = wait_for(&cards, 1);
    assert_eq!(preview[0]["card"], sender_card);
    assert_eq!(preview[0]["own"], false);
    let refused = wait_for(&requests, 1);
    assert_eq!(refused[0]["error"]["code"], "unknown_contact");
    // The card verified and asks the user: forward once; the refused offer: not.
    assert_eq!(
        shown(),
        1,
        "only the verified card brings the window forward"
    );
    assert!(invoke(&window, "contacts_list", serde_json::json!({}))
        .expect("contacts")
        .as_array()
        .expect("list")
        .is_empty());

    // After confirming the card, the same link is imported.
    invoke(
        &window,
        "contact_add",
        serde_json::json!({ "card": sender_card, "name": null }),
    )
    .expect("add contact");
    crate::deep_link::handle(app.handle(), std::slice::from_ref(&link));
    let events = wait_for(&requests, 2);
    assert_eq!(events[1]["pending"], 1);
    assert_eq!(shown(), 2, "a verified offer brings the window forward");
    let offer_id = events[1]["imported"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(
        invoke(&window, "offers_pending", serde_json::json!({})).expect("count"),
        1
    );
    let token = invoke(
        &window,
        "offer_accept",
        serde_json::json!({ "id": offer_id }),
    )
    .expect("accept");
    assert_eq!(token["viewable"], false);
    assert_eq!(token["origin"], "received");
    let all = invoke(&window, "tokens_list", serde_json::json!({})).expect("tokens");
    let replies = format!("{events:?}{token}{all}");
    assert!(!replies.contains(CANARY), "a value crossed IPC");
    // A forged link is refused and announced.
    crate::deep_link::handle(app.handle(), &["lanyard://offer/Zm9v.YmFy".into()]);
    let events = wait_for(&requests, 4);
    assert_eq!(
        events.last().expect("event")["error"]["code"],
        "invalid_input"
    );
    assert_eq!(shown(), 2, "a forged offer brought the window forward");
}

#[test]
fn shared_files_are_picked_from_arguments() {
    let cwd = std::path::Path::new("/home/u");
    let files = crate::sharing::shared_files(
        &[
            "--minimized".into(),
            "offer.lanyard-offer".into(),
            "file:///tmp/a%20b.lanyard-contact".into(),
            "/tmp/notes.txt".into(),
            "lanyard://offer/x".into(),
        ],
        cwd,
    );
    assert_eq!(
        files,
        vec![
            cwd.join("offer.lanyard-offer"),
            std::path::PathBuf::from("/tmp/a b.lanyard-contact")
        ]
    );
}

#[test]
fn qr_codes_are_svg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lanyard = tauri::async_runtime::block_on(opened(dir.path()));
    let (_app, window) = app_with(AppState::with(lanyard));
    let svg = invoke(
        &window,
        "qr_code",
        serde_json::json!({ "text": "lanyard://contact/abc.def" }),
    )
    .expect("qr");
    assert!(svg.as_str().expect("svg").contains("<svg"));
    let err = invoke(
        &window,
        "qr_code",
        serde_json::json!({ "text": "x".repeat(10_000) }),
    )
    .expect_err("too long");
    assert_eq!(err["code"], "invalid_input");
}

#[test]
fn a_card_that_arrived_before_the_window_listened_is_kept_for_it_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (me, other) = tauri::async_runtime::block_on(async {
        (
            opened(&dir.path().join("me")).await,
            opened(&dir.path().join("other")).await,
        )
    });
    let card = tauri::async_runtime::block_on(lanyard_core::sharing::identity::show(&other))
        .expect("card")
        .card;
    let (app, window) = app_with(AppState::with(me.clone()));
    // Nobody listens yet: the card and a refused offer are kept.
    tauri::async_runtime::block_on(crate::sharing::receive_card(app.handle(), &me, &card));
    let early = invoke(&window, "incoming_take", serde_json::json!({})).expect("take");
    assert_eq!(early["card"]["card"], card);
    assert!(early["error"].is_null());
    tauri::async_runtime::block_on(crate::sharing::receive_offer(
        app.handle(),
        &me,
        "lanyard://offer/Zm9v.YmFy",
    ));
    let early = invoke(&window, "incoming_take", serde_json::json!({})).expect("take");
    assert_eq!(early["error"]["code"], "invalid_input");
    assert!(early["card"].is_null());
    let again = invoke(&window, "incoming_take", serde_json::json!({})).expect("take");
    assert!(again["card"].is_null() && again["error"].is_null());
}

#[test]
fn refused_and_unsolicited_links_do_not_bring_the_window_forward() {
    use std::sync::atomic::Ordering;
    use tauri::Manager;
    let dir = tempfile::tempdir().expect("tempdir");
    let lanyard = tauri::async_runtime::block_on(opened(dir.path()));
    let (app, _window) = app_with(AppState::with(lanyard));
    app.manage(crate::window::Shown::default());
    let shown = || app.state::<crate::window::Shown>().0.load(Ordering::SeqCst);
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    app.listen(crate::oauth::EVENT, move |event| {
        let _ = tx.send(event.payload().to_string());
    });

    // Refused links: announced, the window stays where it is.
    crate::deep_link::handle(
        app.handle(),
        &[
            "https://evil.example/oauth/callback?code=x".into(),
            "lanyard://offer/has/slashes".into(),
        ],
    );
    assert_eq!(shown(), 0, "a refused link brought the window forward");
    // A callback for a sign-in nobody started: failed, and still not forward.
    crate::deep_link::handle(
        app.handle(),
        &["app.lanyard.desktop:/oauth/callback?code=c&state=never-issued".into()],
    );
    rx.recv_timeout(std::time::Duration::from_secs(10))
        .expect("oauth-result");
    assert_eq!(
        shown(),
        0,
        "an unsolicited callback brought the window forward"
    );
    // An offer, card or provider file whose payload does not verify: announced, the
    // window stays (verified ones come forward: the offer and provider-file tests).
    let requests = collect(&app, crate::sharing::REQUESTS_EVENT);
    let files = collect(&app, crate::provider_files::EVENT);
    crate::deep_link::handle(
        app.handle(),
        &[
            "lanyard://offer/QUJD".into(),
            "lanyard://contact/QUJD.QUJD".into(),
            "lanyard://provider/QUJD".into(),
        ],
    );
    wait_for(&requests, 2);
    wait_for(&files, 1);
    assert_eq!(
        shown(),
        0,
        "an unverified payload brought the window forward"
    );
    // "Open this channel" asks the user something: forward.
    crate::deep_link::handle(app.handle(), &["lanyard://channel/abc".into()]);
    assert_eq!(shown(), 1);

    // A second launch with a link leaves it to the link; without one, it shows.
    let argv = |args: &[&str]| -> Vec<String> { args.iter().map(|a| a.to_string()).collect() };
    assert!(crate::deep_link::carries_link(&argv(&[
        "lanyard-app",
        "lanyard://offer/x"
    ])));
    assert!(crate::deep_link::carries_link(&argv(&[
        "lanyard-app",
        "APP.LANYARD.DESKTOP:/oauth/callback?code=c"
    ])));
    assert!(!crate::deep_link::carries_link(&argv(&["lanyard-app"])));
    assert!(!crate::deep_link::carries_link(&argv(&[
        "lanyard-app",
        "offer.lanyard-offer"
    ])));
}

/// Adds the provider "feeds" (a custom one, with `secret` as its client secret).
async fn add_feeds(l: &Lanyard, secret: Option<lanyard_core::secrets::SecretValue>) {
    lanyard_core::oauth::providers::add(
        l,
        lanyard_core::oauth::provider::ProviderSpec {
            id: Some("feeds".into()),
            name: Some("Feeds".into()),
            authorization_endpoint: Some("https://login.feeds.example/authorize".into()),
            token_endpoint: Some("https://login.feeds.example/token".into()),
            client_id: Some("feeds-client".into()),
            ..Default::default()
        },
        secret,
    )
    .await
    .expect("add");
}

#[test]
fn provider_files_are_shown_then_added_only_when_accepted_never_with_their_secret() {
    use lanyard_core::oauth::provider_file;
    use lanyard_core::secrets::SecretValue;
    use tauri::Manager;
    const CANARY: &str = "CANARY-provider-file-secret";
    let dir = tempfile::tempdir().expect("tempdir");
    let (me, it) = tauri::async_runtime::block_on(async {
        (
            opened(&dir.path().join("me")).await,
            opened(&dir.path().join("it")).await,
        )
    });
    let (with_secret, plain) = tauri::async_runtime::block_on(async {
        add_feeds(&it, Some(SecretValue::new(CANARY))).await;
        (
            provider_file::export(&it, "feeds", true)
                .await
                .expect("export"),
            provider_file::export(&it, "feeds", false)
                .await
                .expect("export"),
        )
    });
    let (app, window) = app_with(AppState::with(me.clone()));
    let events = collect(&app, crate::provider_files::EVENT);
    let own = || {
        tauri::async_runtime::block_on(me.store().providers())
            .expect("providers")
            .into_iter()
            .filter(|p| !p.builtin)
            .count()
    };

    app.manage(crate::window::Shown::default());
    let shown = || {
        app.state::<crate::window::Shown>()
            .0
            .load(std::sync::atomic::Ordering::SeqCst)
    };

    // A malformed file: announced with a clear error, nothing added, the window stays
    // where it is.
    let bad = dir.path().join("bad.lanyard-provider");
    std::fs::write(&bad, "{\"format\": \"lanyard-provider\", \"version\": 9}").expect("write");
    crate::open_files(app.handle(), vec![bad]);
    let announced = wait_for(&events, 1);
    assert_eq!(announced[0]["error"]["code"], "invalid_input");
    assert!(announced[0]["error"]["message"]
        .as_str()
        .expect("message")
        .contains("newer Lanyard"));
    assert_eq!(shown(), 0, "a refused file brought the window forward");

    // Double-clicked (a launch's arguments): the offer names what it adds and every host,
    // never the secret; the window comes forward; rejecting adds nothing.
    let path = dir.path().join("feeds.lanyard-provider");
    std::fs::write(&path, &with_secret).expect("write");
    let files = crate::sharing::paths_in(&[path.display().to_string()], dir.path());
    assert_eq!(files, std::slice::from_ref(&path));
    assert!(crate::opens_a_file(&files));
    crate::open_files(app.handle(), files.clone());
    let announced = wait_for(&events, 2);
    let offer = announced[1]["offer"].clone();
    assert!(!announced[1].to_string().contains(CANARY), "{offer}");
    assert_eq!(offer["name"], "Feeds");
    assert_eq!(offer["clientId"], "feeds-client");
    assert_eq!(offer["includesSecret"], true);
    assert!(offer["conflict"].is_null() && offer["foreignWarning"].is_null());
    assert_eq!(offer["endpoints"][1]["role"], "token endpoint");
    assert_eq!(offer["endpoints"][1]["host"], "login.feeds.example");
    assert_eq!(shown(), 1);
    invoke(
        &window,
        "provider_file_reject",
        serde_json::json!({ "offerId": offer["offerId"] }),
    )
    .expect("reject");
    let gone = invoke(
        &window,
        "provider_file_accept",
        serde_json::json!({ "offerId": offer["offerId"], "acceptForeignEndpoints": false }),
    )
    .expect_err("rejected offers are gone");
    assert_eq!(gone["code"], "not_found");
    assert_eq!(own(), 0);

    // Again, announced and kept for a late window, then accepted.
    crate::open_files(app.handle(), files);
    let announced = wait_for(&events, 3);
    let offer = announced[2]["offer"].clone();
    let kept = invoke(&window, "incoming_take", serde_json::json!({})).expect("take");
    assert_eq!(kept["providerFile"]["offer"]["offerId"], offer["offerId"]);
    let added = invoke(
        &window,
        "provider_file_accept",
        serde_json::json!({ "offerId": offer["offerId"], "acceptForeignEndpoints": false }),
    )
    .expect("accept");
    assert!(!added.to_string().contains(CANARY));
    assert_eq!(added["hasClientSecret"], true);
    assert_eq!(own(), 1);
    let kept_secret = tauri::async_runtime::block_on(me.secrets().get(
        &lanyard_core::oauth::flow::client_secret_key(added["id"].as_str().expect("id")),
    ))
    .expect("get")
    .expect("kept");
    assert_eq!(kept_secret.expose(), CANARY);

    // The same provider again, by link: the offer says it is already added.
    let link = provider_file::to_link(&plain).expect("link");
    crate::deep_link::handle(app.handle(), &[link]);
    let announced = wait_for(&events, 4);
    assert!(announced[3]["offer"]["conflict"]
        .as_str()
        .is_some_and(|c| c.contains("already added")));
    let before = shown();
    // A link whose payload is not a provider file: the event carries the refusal, and the
    // window stays where it is.
    crate::deep_link::handle(app.handle(), &["lanyard://provider/bm90LWpzb24".into()]);
    let announced = wait_for(&events, 5);
    assert_eq!(announced[4]["error"]["code"], "invalid_input");
    assert!(announced[4]["offer"].is_null());
    assert_eq!(shown(), before, "a refused link brought the window forward");
    assert_eq!(own(), 1);
}

#[test]
fn a_provider_file_whose_tokens_go_elsewhere_is_added_only_when_that_is_accepted() {
    use lanyard_core::oauth::provider_file;
    let dir = tempfile::tempdir().expect("tempdir");
    let (me, it) = tauri::async_runtime::block_on(async {
        (
            opened(&dir.path().join("me")).await,
            opened(&dir.path().join("it")).await,
        )
    });
    let text = tauri::async_runtime::block_on(async {
        add_feeds(&it, None).await;
        provider_file::export(&it, "feeds", false)
            .await
            .expect("export")
    })
    .replace(
        "https://login.feeds.example/token",
        "https://collector.evil.example/token",
    );
    let (app, window) = app_with(AppState::with(me.clone()));
    let events = collect(&app, crate::provider_files::EVENT);
    let link = provider_file::to_link(&text).expect("link");
    crate::deep_link::handle(app.handle(), &[link]);
    let offer = wait_for(&events, 1)[0]["offer"].clone();
    assert!(offer["foreignWarning"]
        .as_str()
        .is_some_and(|w| w.contains("collector.evil.example")));
    assert_eq!(offer["endpoints"][1]["foreign"], true);
    let err = invoke(
        &window,
        "provider_file_accept",
        serde_json::json!({ "offerId": offer["offerId"], "acceptForeignEndpoints": false }),
    )
    .expect_err("needs the checkbox");
    assert_eq!(err["code"], "invalid_input");
    let own = || {
        tauri::async_runtime::block_on(me.store().providers())
            .expect("providers")
            .into_iter()
            .filter(|p| !p.builtin)
            .count()
    };
    assert_eq!(own(), 0);

    // A Microsoft file with someone else's token endpoint: refused when opened, naming the
    // host; there is nothing to accept.
    let contoso = tauri::async_runtime::block_on(async {
        let id = lanyard_core::oauth::providers::add(
            &it,
            lanyard_core::oauth::provider::ProviderSpec {
                template: Some("microsoft".into()),
                tenant: Some("0b3c8a4e-1f5d-4b1e-9c63-7d2a4f9e1a11".into()),
                client_id: Some("11111111-2222-3333-4444-555555555555".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("add")
        .id;
        provider_file::export(&it, &id, false)
            .await
            .expect("export")
    });
    let forged = contoso.replace(
        "https://login.microsoftonline.com/0b3c8a4e-1f5d-4b1e-9c63-7d2a4f9e1a11/oauth2/v2.0/token",
        "https://collector.evil.example/token",
    );
    assert_ne!(forged, contoso);
    let link = provider_file::to_link(&forged).expect("link");
    crate::deep_link::handle(app.handle(), &[link]);
    let refused = wait_for(&events, 2)[1].clone();
    assert!(refused["offer"].is_null());
    assert!(refused["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("collector.evil.example") && m.contains("Microsoft's own")));
}

#[test]
fn commands_wait_for_an_installation_still_opening_then_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lanyard = tauri::async_runtime::block_on(opened(dir.path()));
    let (state, opener) = AppState::pending();
    let (_app, window) = app_with(state);
    let (tx, rx) = std::sync::mpsc::channel();
    let asking = window.clone();
    std::thread::spawn(move || {
        let _ = tx.send(invoke(&asking, "channels_list", serde_json::json!({})));
    });
    // Still opening: no answer, and no error either.
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(300))
            .is_err(),
        "a command answered before the installation was open"
    );
    opener.finish(Ok(lanyard));
    let answer = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("an answer once open");
    assert_eq!(answer.expect("channels"), serde_json::json!([]));
}

#[test]
fn an_opener_that_dies_without_a_result_is_an_error_not_a_hang() {
    let (state, opener) = AppState::pending();
    let (_app, window) = app_with(state);
    drop(opener);
    let err = invoke(&window, "status", serde_json::json!({})).expect_err("error");
    assert_eq!(err["code"], "internal");
}

#[test]
fn a_link_that_arrives_while_the_installation_opens_is_acted_on_once_it_is_open() {
    use lanyard_core::oauth::provider_file;
    let dir = tempfile::tempdir().expect("tempdir");
    let (me, it) = tauri::async_runtime::block_on(async {
        (
            opened(&dir.path().join("me")).await,
            opened(&dir.path().join("it")).await,
        )
    });
    let link = tauri::async_runtime::block_on(async {
        add_feeds(&it, None).await;
        let text = provider_file::export(&it, "feeds", false)
            .await
            .expect("export");
        provider_file::to_link(&text).expect("link")
    });
    let (state, opener) = AppState::pending();
    let (app, _window) = app_with(state);
    let events = collect(&app, crate::provider_files::EVENT);
    let announced = crate::deep_link::handle(app.handle(), &[link]);
    assert!(matches!(announced[..], [DeepLinkEvent::Accepted { .. }]));
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        events.lock().expect("lock").is_empty(),
        "acted on before the installation was open"
    );
    opener.finish(Ok(me));
    let seen = wait_for(&events, 1);
    assert_eq!(
        seen.len(),
        1,
        "the provider file is offered once it is open"
    );
    assert_eq!(seen[0]["offer"]["name"], "Feeds");
}
