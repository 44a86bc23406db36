//! The IPC contract, shell side. `ipc_calls.json` is what every wrapper in `ui/src/lib/ipc.ts`
//! hands to `invoke` (written by `ui/src/lib/ipc.contract.test.ts`, checked there against
//! the wrappers). Here each call goes, in the UI's order, through the real `invoke_handler`
//! and the real capabilities on Tauri's mock runtime, against a real installation:
//!
//! - every call reaches its command's body: it succeeds, or fails with a `{ code, message }`
//!   the test expects — never with Tauri's "invalid args" or a refused permission;
//! - every argument the UI sends, down to each field of a DTO, is read by the command under
//!   that name: sent with a value of the wrong type, the call is refused as invalid args;
//! - the commands the UI calls, the ones `build.rs` lists and the ones `capabilities/`
//!   grants are the same set;
//! - no reply carries a secret the test stored.
//!
//! Its own test binary: it points `HOME` and `PATH` at a temporary folder (autostart writes
//! `~/.config/autostart`, sign-ins open a stand-in browser), which no other test may share.
//!
//! Unix only: it opens links through a stand-in `xdg-open` shell script; the Windows pass
//! (tests/windows/run) covers the core and the CLI, not the shell's mock-runtime tests.
#![cfg(unix)]

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lanyard_app_lib::state::AppState;
use lanyard_core::broker::{players, testing};
use lanyard_core::clock::SystemClock;
use lanyard_core::oauth::provider::{ProviderSpec, RedirectStyle};
use lanyard_core::oauth::{flow, providers};
use lanyard_core::secrets::{SecretStoreKind, SecretValue, Secrets};
use lanyard_core::sharing::{contacts, identity, inbox};
use lanyard_core::urltokens::permission::{self, Answer, Fixed};
use lanyard_core::urltokens::prefix::parse_request_url;
use lanyard_core::urltokens::tokens::{self, NewToken};
use lanyard_core::urltokens::Placement;
use lanyard_core::{Config, Lanyard};
use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Listener, WebviewWindow, WebviewWindowBuilder};

const CALLS: &str = include_str!("ipc_calls.json");
const BUILD_RS: &str = include_str!("../build.rs");
const CAPABILITIES: &str = include_str!("../capabilities/main.json");

/// Calls the mock runtime cannot complete, with the error each must give (after its
/// arguments were read): the file dialogs are a plugin the mock app does not have.
fn expected_error(cmd: &str, args: &Value) -> Option<&'static str> {
    match cmd {
        "offer_import_file" => Some("invalid_state"),
        "provider_file_accept" => Some("not_found"),
        // The mock runtime has no dialog plugin.
        "provider_file_choose" => Some("invalid_state"),
        "token_send" if args["saveFile"] == true => Some("invalid_state"),
        _ => None,
    }
}

/// What a few calls must have done, seen in their replies (the rest are checked by
/// succeeding at all).
fn check_reply(cmd: &str, args: &Value, reply: &Value) {
    let ok = match cmd {
        "preview_send" => reply["status"] == 200 && reply["request"]["method"] == "POST",
        "token_edit" => {
            let trimmed = |v: &Value| v.as_str().map(|p| p.trim_end_matches('/').to_string());
            trimmed(&reply["token"]["prefix"]) == trimmed(&args["edit"]["prefix"])
                && reply["token"]["placement"] == args["edit"]["placement"]
        }
        "autostart_set" => reply == &args["enabled"],
        "offer_accept" => reply["viewable"] == false && reply["origin"] == "received",
        "offer_reject" => reply["status"] == "rejected",
        "contact_rename" => reply["name"] == args["name"],
        "reminders_pause" => reply.is_null() == (args["hours"] == 0),
        "gateway_set" => reply["url"].is_string() == (args["enabled"] == true),
        "feed_add" | "feed_rotate" => reply["link"].as_str().is_some_and(|l| {
            l.contains(&format!(
                "/v1/feeds/{}/",
                reply["feed"]["id"].as_str().unwrap_or("?")
            ))
        }),
        "feed_gateway_set" => (reply["source"] == "setting") == args["url"].is_string(),
        _ => true,
    };
    assert!(ok, "{cmd} {args} answered {reply}");
}

#[derive(serde::Deserialize)]
struct Call {
    wrapper: String,
    cmd: String,
    args: Value,
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("json"))
}

/// A stand-in browser: `xdg-open URL` appends the URL to `opened`.
fn fake_browser(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let opened = dir.join("opened");
    let script = bin.join("xdg-open");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            opened.display()
        ),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = std::env::var("PATH").unwrap_or_default();
    std::env::set_var("PATH", format!("{}:{path}", bin.display()));
    opened
}

/// A data endpoint for the preview: answers every request with a small JSON body.
fn data_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&seen);
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if seen.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let body = r#"{"ok":true}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://127.0.0.1:{port}/feed")
}

async fn open(dir: &Path) -> Lanyard {
    let config = Config::new(dir.to_path_buf(), SecretStoreKind::Memory);
    Lanyard::open_with(&config, Arc::new(SystemClock), Some(Secrets::in_memory()))
        .await
        .expect("open")
}

fn token(prefix: &str, requires_permission: bool, value: Option<&str>) -> NewToken {
    NewToken {
        prefix: prefix.into(),
        key: "token".into(),
        placement: Placement::Header,
        requires_permission,
        prompt: value.is_none(),
        value: value.map(SecretValue::new),
    }
}

async fn custom_provider(l: &Lanyard, name: &str) -> String {
    providers::add(
        l,
        ProviderSpec {
            name: Some(name.into()),
            authorization_endpoint: Some("https://id.example.com/authorize".into()),
            token_endpoint: Some("https://id.example.com/token".into()),
            client_id: Some("contract-client".into()),
            redirect_style: Some(RedirectStyle::DeepLink),
            ..Default::default()
        },
        None,
    )
    .await
    .expect("provider")
    .id
}

/// Everything the UI's calls name with `$…`, created through the core.
async fn fixture(me: &Lanyard, dir: &Path, data_url: &str) -> HashMap<String, String> {
    let mut names = HashMap::new();
    let mut put = |k: &str, v: String| names.insert(format!("${k}"), v);
    let now = me.clock().now();

    let provider = custom_provider(me, "Contract").await;
    let pending = flow::start(me, &provider, None).await.expect("start");
    put("provider", provider);
    put("pending", pending.start.pending_id);
    put("removableProvider", custom_provider(me, "Removable").await);
    let base = data_url.trim_end_matches("feed").to_string();
    for name in ["channel", "otherChannel"] {
        let id = testing::seed_channel_for(
            me,
            "http://127.0.0.1:9/token",
            "CANARY-access-token",
            now + 3600,
            "CANARY-refresh-token",
            vec![base.clone()],
        )
        .await
        .expect("channel");
        put(name, id);
    }
    let player = players::add_player(me, "Contract player", None)
        .await
        .expect("player");
    put("player", player.player.id);
    let screen = players::add_player(me, "Feed screen", None)
        .await
        .expect("player");
    let feed = lanyard_core::feeds::add(
        me,
        lanyard_core::feeds::NewFeedSpec {
            player_id: screen.player.id.clone(),
            url: format!("{base}menu.json"),
            ..Default::default()
        },
        None,
    )
    .await
    .expect("feed");
    put("feedPlayer", screen.player.id);
    put("feed", feed.feed.id);
    put(
        "token",
        tokens::add(
            me,
            token("https://edit.example.com/", false, Some("CANARY-edit")),
        )
        .await
        .expect("token")
        .token
        .id,
    );
    tokens::add(
        me,
        token("https://decide.example.com/", true, Some("CANARY-decide")),
    )
    .await
    .expect("token");
    let url = parse_request_url("https://decide.example.com/x").expect("url");
    permission::resolve(me, "GET", &url, &Fixed(Answer::AcceptAll))
        .await
        .expect("resolve");
    let decision = permission::decisions(me).await.expect("decisions");
    put("decision", decision[0].id.clone());
    put(
        "sendableToken",
        tokens::add(
            me,
            token("https://send.example.com/", false, Some("CANARY-send")),
        )
        .await
        .expect("token")
        .token
        .id,
    );

    // Sharing: a stranger's card to add, a contact who sent three offers.
    let stranger = open(&dir.join("stranger")).await;
    put(
        "strangerCard",
        identity::show(&stranger).await.expect("card").card,
    );
    let sender = open(&dir.join("sender")).await;
    let sender_card = identity::show(&sender).await.expect("card").card;
    let my_card = identity::show(me).await.expect("card").card;
    contacts::add(&sender, &my_card, Some("me"))
        .await
        .expect("contact");
    put(
        "contact",
        contacts::add(me, &sender_card, Some("Grace"))
            .await
            .expect("contact")
            .id,
    );
    let offered = tokens::add(
        &sender,
        token("https://feeds.example.com/", true, Some("CANARY-offered")),
    )
    .await
    .expect("token")
    .token
    .id;
    let mut offers = Vec::new();
    for _ in 0..3 {
        let sent = inbox::send(&sender, &offered, "me", None)
            .await
            .expect("send");
        offers.push(sent.text);
    }
    put("offerLink", offers.pop().expect("offer"));
    for name in ["offer", "otherOffer"] {
        let text = offers.pop().expect("offer");
        put(name, inbox::import(me, &text).await.expect("import").id);
    }
    put("dataUrl", data_url.to_string());
    names
}

/// Questions waiting for the window, as the prompter asks them: one for permission, one
/// for a prompted value. Returns their ids once both were announced.
fn waiting_questions(
    app: &tauri::App<MockRuntime>,
    me: &Lanyard,
    names: &mut HashMap<String, String>,
) {
    use tauri::Manager;
    let seen = Arc::new(Mutex::new(Vec::<Value>::new()));
    let sink = seen.clone();
    app.listen(lanyard_app_lib::prompter::EVENT, move |event| {
        let v: Value = serde_json::from_str(event.payload()).expect("json");
        sink.lock().expect("lock").push(v);
    });
    let pending = app
        .state::<lanyard_app_lib::prompter::Pending>()
        .inner()
        .clone();
    tauri::async_runtime::block_on(async {
        tokens::add(
            me,
            token("https://ask.example.com/", true, Some("CANARY-ask")),
        )
        .await
        .expect("token");
        tokens::add(me, token("https://prompt.example.com/", false, None))
            .await
            .expect("token");
    });
    for url in ["https://ask.example.com/x", "https://prompt.example.com/x"] {
        let (l, app, pending) = (me.clone(), app.handle().clone(), pending.clone());
        tauri::async_runtime::spawn(async move {
            let prompter = lanyard_app_lib::prompter::DesktopPrompter::new(app, pending);
            let url = parse_request_url(url).expect("url");
            let _ = permission::resolve(&l, "GET", &url, &prompter).await;
        });
    }
    for _ in 0..400 {
        if seen.lock().expect("lock").len() >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 2, "two questions were asked: {seen:?}");
    for q in seen {
        let name = match q["kind"].as_str() {
            Some("permission") => "$permissionQuestion",
            Some("values") => "$valuesQuestion",
            other => panic!("unexpected question {other:?}"),
        };
        names.insert(name.into(), q["id"].as_str().expect("id").into());
    }
}

/// Replaces every `$name` string by what the fixture created under that name.
fn substitute(value: &Value, names: &HashMap<String, String>) -> Value {
    match value {
        Value::String(s) if s.starts_with('$') => Value::String(
            names
                .get(s)
                .unwrap_or_else(|| panic!("the UI's calls name {s}, which the fixture lacks"))
                .clone(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, names)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(v, names)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// JSON pointers of every leaf value in `args` (a top-level argument, or a field inside one).
fn leaves(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                leaves(v, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, format!("{at}/{i}"), out);
            }
        }
        _ if !at.is_empty() => out.push(at),
        _ => {}
    }
}

/// Values of another JSON type than `original`, to try in its place.
fn wrong_types(original: &Value) -> Vec<Value> {
    let all = [
        serde_json::json!(7),
        serde_json::json!("x"),
        serde_json::json!({ "wrong": [7] }),
        serde_json::json!([[7]]),
    ];
    let kind = |v: &Value| std::mem::discriminant(v);
    all.into_iter()
        .filter(|v| kind(v) != kind(original))
        .collect()
}

fn is_invalid_args(err: &Value, key: &str) -> bool {
    err.as_str()
        .is_some_and(|s| s.contains("invalid args") && s.contains(&format!("`{key}`")))
}

/// Each field the UI sends is read by the command: the wrong type there is refused.
fn every_argument_is_read(window: &WebviewWindow<MockRuntime>, call: &Call, args: &Value) {
    let mut paths = Vec::new();
    leaves(args, String::new(), &mut paths);
    for path in paths {
        let key = path[1..].split('/').next().expect("key").to_string();
        let original = args.pointer(&path).expect("leaf").clone();
        let read = wrong_types(&original).into_iter().any(|wrong| {
            let mut mutated = args.clone();
            *mutated.pointer_mut(&path).expect("leaf") = wrong;
            matches!(invoke(window, &call.cmd, mutated), Err(e) if is_invalid_args(&e, &key))
        });
        assert!(
            read,
            "{} sends `{path}` to {}, but the command does not read it (renamed or dropped?)",
            call.wrapper, call.cmd
        );
    }
}

/// `"a", "b"` items of `text` between `start` and the next `end`.
fn quoted_between(text: &str, start: &str, end: &str) -> Vec<String> {
    let from = text.find(start).expect("start") + start.len();
    let to = from + text[from..].find(end).expect("end");
    text[from..to]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn every_ui_call_reaches_its_command_with_the_arguments_the_ui_sends() {
    let calls: Vec<Call> = serde_json::from_str(CALLS).expect("ipc_calls.json");

    // The UI's commands, build.rs's list and the granted permissions are one set.
    let called: BTreeSet<String> = calls.iter().map(|c| c.cmd.clone()).collect();
    let listed: BTreeSet<String> = quoted_between(BUILD_RS, "const COMMANDS", "];")
        .into_iter()
        .collect();
    let granted: BTreeSet<String> = quoted_between(CAPABILITIES, "\"permissions\"", "]")
        .into_iter()
        .filter_map(|p| p.strip_prefix("allow-").map(|c| c.replace('-', "_")))
        .collect();
    assert_eq!(called, listed, "commands the UI calls vs build.rs COMMANDS");
    assert_eq!(
        listed, granted,
        "build.rs COMMANDS vs capabilities/main.json"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    std::env::set_var("HOME", &home);
    std::env::set_var("XDG_CONFIG_HOME", home.join(".config"));
    std::env::set_var("XDG_DATA_HOME", home.join(".local/share"));
    let opened = fake_browser(dir.path());
    let data_url = data_server();

    let me = tauri::async_runtime::block_on(open(&dir.path().join("me")));
    let mut names = tauri::async_runtime::block_on(fixture(&me, dir.path(), &data_url));
    let builder = mock_builder().plugin(tauri_plugin_autostart::init(
        tauri_plugin_autostart::MacosLauncher::LaunchAgent,
        Some(vec![lanyard_app_lib::MINIMIZED]),
    ));
    let app = lanyard_app_lib::app_builder(builder, AppState::with(me.clone()))
        .build(tauri::generate_context!(test = true))
        .expect("mock app");
    let window = WebviewWindowBuilder::new(&app, lanyard_app_lib::window::MAIN, Default::default())
        .build()
        .expect("window");
    waiting_questions(&app, &me, &mut names);

    let mut replies = Vec::new();
    for call in &calls {
        let args = substitute(&call.args, &names);
        every_argument_is_read(&window, call, &args);
        let reply = invoke(&window, &call.cmd, args.clone());
        match (reply, expected_error(&call.cmd, &args)) {
            (Ok(value), None) => {
                check_reply(&call.cmd, &args, &value);
                replies.push(value);
            }
            (Err(err), Some(code)) => {
                assert_eq!(err["code"], code, "{}: {err}", call.cmd);
                assert!(err["message"].is_string(), "{}: {err}", call.cmd);
            }
            (Ok(value), Some(code)) => {
                panic!("{} answered {value}, expected the error {code}", call.cmd)
            }
            (Err(err), None) => panic!("{} ({}) failed: {err}", call.wrapper, call.cmd),
        }
    }

    // What the calls did, where it can be seen from here.
    let browser = std::fs::read_to_string(&opened).unwrap_or_default();
    assert_eq!(
        browser
            .lines()
            .filter(|l| l.starts_with("https://id.example.com/authorize?"))
            .count()
            + browser
                .lines()
                .filter(|l| l.starts_with("http://127.0.0.1:9/authorize?"))
                .count(),
        2,
        "connect and re-authorize opened the browser: {browser}"
    );
    assert!(
        home.join(".config/autostart").is_dir(),
        "autostart_set went through the real plugin"
    );
    let all = serde_json::to_string(&replies).expect("json");
    assert!(!all.contains("CANARY"), "a stored secret crossed IPC");
}
