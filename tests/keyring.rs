//! The real OS keyring (Secret Service through GNOME Keyring) under a private D-Bus
//! session: a secret written by one process is read by another, and a deletion is seen
//! by both. CI sets `LANYARD_REQUIRE_KEYRING=1` so that missing tools fail instead of
//! skipping.
//!
//! The test re-runs this test binary three times: once inside `dbus-run-session` as the
//! orchestrator, which starts two long-lived workers that take commands on stdin.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use lanyard_core::secrets::{SecretStoreKind, SecretValue, Secrets};

use crate::util::have;

const ROLE: &str = "LANYARD_KEYRING_ROLE";
const NAMESPACE: &str = "LANYARD_KEYRING_NAMESPACE";
const TEST: &str = "keyring::secret_written_by_one_process_is_read_by_another";

/// Whether `dbus-run-session` and `gnome-keyring-daemon` are here for `test`. When not, it
/// fails under `LANYARD_REQUIRE_KEYRING` (scripts/check sets it) and is otherwise skipped,
/// visibly in `cargo test`'s output.
pub(crate) fn keyring_tools(test: &str) -> bool {
    if have("dbus-run-session") && have("gnome-keyring-daemon") {
        return true;
    }
    assert!(
        std::env::var_os("LANYARD_REQUIRE_KEYRING").is_none(),
        "dbus-run-session and gnome-keyring-daemon are required"
    );
    lanyard_core::store::testing::skip(
        test,
        "dbus-run-session and gnome-keyring-daemon (apt: dbus, gnome-keyring)",
        None,
    );
    false
}

#[test]
fn secret_written_by_one_process_is_read_by_another() {
    match std::env::var(ROLE).as_deref() {
        Ok("worker") => return worker(),
        Ok("orchestrator") => return orchestrate(),
        _ => {}
    }
    if !keyring_tools(TEST) {
        return;
    }
    let namespace = format!("test-{}", std::process::id());
    let env = [(ROLE, "orchestrator"), (NAMESPACE, namespace.as_str())];
    orchestrate_in_unlocked_keyring(TEST, &env, 120, "KEYRING-OK");
}

/// Re-runs `test` of this test binary inside `dbus-run-session` with an unlocked GNOME
/// Keyring, `env` set and HOME and the XDG folders in a temporary directory; fails unless it
/// ends well within `deadline_secs` and prints `ok`.
pub(crate) fn orchestrate_in_unlocked_keyring(
    test: &str,
    env: &[(&str, &str)],
    deadline_secs: u64,
    ok: &str,
) {
    let home = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new("dbus-run-session");
    cmd.arg("--")
        .arg("sh")
        .arg("-c")
        .arg(
            "echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null \
             && exec \"$0\" --exact \"$1\" --nocapture --test-threads=1",
        )
        .arg(std::env::current_exe().expect("exe"))
        .arg(test)
        .envs(env.iter().copied())
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("dbus-run-session");
    let out = wait_with_deadline(child, std::time::Duration::from_secs(deadline_secs));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(ok),
        "{test} failed:\n--- stdout\n{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A keyring that is there but locked (GNOME Keyring started without an unlock, no one to
/// answer its prompt) is reported as locked, not as missing, and nothing is stored
/// anywhere else. (No keyring at all: `cli::keyring_without_a_session_bus_…`.)
#[test]
fn a_locked_keyring_is_reported_as_locked_and_nothing_falls_back() {
    if !keyring_tools("keyring::a_locked_keyring_is_reported_as_locked_and_nothing_falls_back") {
        return;
    }
    let home = tempfile::tempdir().expect("tempdir");
    let data = home.path().join("data-dir");
    let child = Command::new("dbus-run-session")
        .arg("--")
        .arg("sh")
        .arg("-c")
        .arg(
            "gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1; \
             \"$0\" --data-dir \"$1\" --json status; \
             printf CANARY-value | \"$0\" --data-dir \"$1\" --json token add \
               --url https://api.example.com/ --key token --header; true",
        )
        .arg(crate::util::lanyard_bin())
        .arg(&data)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env_remove("LANYARD_SECRET_STORE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dbus-run-session");
    let out = wait_with_deadline(child, std::time::Duration::from_secs(120));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let status: serde_json::Value = serde_json::Deserializer::from_str(&stdout)
        .into_iter::<serde_json::Value>()
        .next()
        .and_then(Result::ok)
        .unwrap_or_else(|| {
            panic!(
                "no status:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert_eq!(status["secret_store"]["backend"], "keyring", "{stdout}");
    assert_eq!(status["secret_store"]["usable"], false, "{stdout}");
    let detail = status["secret_store"]["detail"].as_str().expect("detail");
    assert!(detail.contains("locked"), "{detail}");
    assert!(
        !detail.contains("no Secret Service is reachable"),
        "{detail}"
    );
    assert!(
        stdout.contains("secret_store_unavailable"),
        "storing a token was refused: {stdout}"
    );
    assert!(!data.join("secrets").exists(), "fell back to a file");
}

/// Waits for `child`, killing it (and failing) past `limit`: a keyring waiting on an
/// unlock prompt must not hang the suite.
pub(crate) fn wait_with_deadline(
    mut child: Child,
    limit: std::time::Duration,
) -> std::process::Output {
    let started = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "the keyring test did not finish in {limit:?}:\n--- stdout\n{}\n--- stderr\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Runs inside the D-Bus session: two workers, one secret.
fn orchestrate() {
    let canary = format!("CANARY-{}", std::process::id());
    let mut a = Worker::start();
    let mut b = Worker::start();
    assert_eq!(a.ask("get shared"), "none");
    assert_eq!(a.ask(&format!("set shared {canary}")), "ok");
    assert_eq!(
        b.ask("get shared"),
        format!("value {canary}"),
        "B must see A's secret"
    );
    assert_eq!(b.ask("del shared"), "ok");
    assert_eq!(a.ask("get shared"), "none", "A must see B's deletion");
    assert_eq!(b.ask("get shared"), "none", "B must see its own deletion");
    a.stop();
    b.stop();

    // The CLI sees the same keyring and calls it usable.
    let data = tempfile::tempdir().expect("tempdir");
    let out = crate::util::run(crate::util::lanyard(data.path()).args(["status", "--json"]));
    let status = crate::util::stdout_json(&out);
    assert_eq!(status["secret_store"]["backend"], "keyring");
    assert_eq!(status["secret_store"]["usable"], true, "{status}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("CANARY"));
    println!("KEYRING-OK");
}

/// A process holding the keyring open, answering `get K`, `set K V`, `del K` on stdin.
fn worker() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let namespace = std::env::var(NAMESPACE).expect("namespace");
    let secrets = Secrets::open(SecretStoreKind::Keyring, dir.path(), &namespace);
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.expect("line");
        let mut parts = line.splitn(3, ' ');
        let answer = runtime.block_on(async {
            match (parts.next(), parts.next(), parts.next()) {
                (Some("get"), Some(k), None) => match secrets.get(&format!("probe/{k}")).await {
                    Ok(Some(v)) => format!("value {}", v.expose()),
                    Ok(None) => "none".into(),
                    Err(e) => format!("error {e}"),
                },
                (Some("set"), Some(k), Some(v)) => {
                    match secrets
                        .set(&format!("probe/{k}"), SecretValue::new(v))
                        .await
                    {
                        Ok(()) => "ok".into(),
                        Err(e) => format!("error {e}"),
                    }
                }
                (Some("del"), Some(k), None) => match secrets.delete(&format!("probe/{k}")).await {
                    Ok(()) => "ok".into(),
                    Err(e) => format!("error {e}"),
                },
                _ => "error bad command".into(),
            }
        });
        println!("ANSWER {answer}");
        std::io::stdout().flush().expect("flush");
    }
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn start() -> Worker {
        let mut child = Command::new(std::env::current_exe().expect("exe"))
            .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
            .env(ROLE, "worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("worker");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Worker {
            child,
            stdin,
            stdout,
        }
    }

    fn ask(&mut self, command: &str) -> String {
        writeln!(self.stdin, "{command}").expect("send");
        self.stdin.flush().expect("flush");
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.stdout.read_line(&mut line).expect("read");
            assert!(n > 0, "worker exited");
            // libtest may print "test … ... " on the same line before the first answer.
            if let Some((_, answer)) = line.trim_end().split_once("ANSWER ") {
                return answer.to_string();
            }
        }
    }

    fn stop(mut self) {
        drop(self.stdin);
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "worker failed");
    }
}

/// Runs `lanyard status --json` on a fresh data directory in `env`, under `wrapper`.
fn status_in(wrapper: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> serde_json::Value {
    let data = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(wrapper[0]);
    cmd.args(&wrapper[1..])
        .arg(crate::util::lanyard_bin())
        .arg("--data-dir")
        .arg(data.path())
        .args(["status", "--json"])
        .env_remove("LANYARD_SECRET_STORE")
        .env_remove("LANYARD_DATA_DIR")
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = wait_with_deadline(
        cmd.spawn().expect("spawn"),
        std::time::Duration::from_secs(60),
    );
    crate::util::stdout_json(&out)
}

#[test]
fn a_locked_keyring_is_told_apart_from_a_missing_secret_service() {
    if !keyring_tools("keyring::a_locked_keyring_is_told_apart_from_a_missing_secret_service") {
        return;
    }
    let home = tempfile::tempdir().expect("tempdir");
    let env = |bus: &'static str| {
        let mut env = vec![
            ("HOME", home.path().as_os_str()),
            ("DISPLAY", std::ffi::OsStr::new("")),
        ];
        if !bus.is_empty() {
            env.push(("DBUS_SESSION_BUS_ADDRESS", std::ffi::OsStr::new(bus)));
        }
        env
    };

    // No Secret Service: a session bus that is not there.
    let missing = status_in(&["env"], &env("unix:path=/nonexistent/lanyard-test-bus"));
    let store = &missing["secret_store"];
    assert_eq!(
        (store["backend"].as_str(), store["usable"].as_bool()),
        (Some("keyring"), Some(false))
    );
    let detail = store["detail"].as_str().expect("detail");
    assert!(
        detail.contains("no Secret Service is reachable"),
        "{detail}"
    );

    // A Secret Service whose keyring was never unlocked: the unlock prompt cannot be shown
    // here, so it is dismissed — "locked", not "missing".
    let locked = status_in(
        &[
            "dbus-run-session",
            "--",
            "sh",
            "-c",
            "gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1; exec \"$@\"",
            "sh",
        ],
        &env(""),
    );
    let store = &locked["secret_store"];
    assert_eq!(store["usable"], false, "{locked}");
    let detail = store["detail"].as_str().expect("detail");
    assert!(detail.contains("locked or access was refused"), "{detail}");
    assert!(!detail.contains("no Secret Service"), "{detail}");
}
