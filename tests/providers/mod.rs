//! The three built-in templates against emulators of their providers (see
//! [`emulator`]), driven through the `lanyard` CLI exactly as the acceptance contract
//! does: `provider add --template … --authority http://127.0.0.1:PORT`, connect,
//! grants after a refresh, the refusals, and disconnect. ARCHITECTURE.md's quirk table
//! names the test for each behaviour.

mod dropbox;
pub mod emulator;
mod generic;
mod google;
mod microsoft;

use std::io::{BufRead, BufReader};
use std::process::{Child, Output, Stdio};

use serde_json::Value;

use crate::util::{lanyard, stdout_json};

/// A data directory with the file secret store, and the CLI on it.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn cmd(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = lanyard(self.dir.path());
        cmd.args(["--secret-store", "file", "--json"]).args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run lanyard")
    }

    pub fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "lanyard {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        stdout_json(&out)
    }

    pub fn fails(&self, args: &[&str], code: &str) -> Value {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "lanyard {args:?} should fail with {code}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let err = stdout_json(&out);
        assert_eq!(err["code"], code, "{err}");
        err
    }

    /// The secret store's file, as JSON.
    pub fn secrets(&self) -> serde_json::Map<String, Value> {
        let raw = std::fs::read(self.dir.path().join("secrets")).unwrap_or_else(|_| b"{}".to_vec());
        serde_json::from_slice::<Value>(&raw)
            .expect("secrets")
            .as_object()
            .expect("obj")
            .clone()
    }

    /// The stored refresh token of `channel`.
    pub fn refresh_token(&self, channel: &str) -> Option<String> {
        self.secrets()
            .iter()
            .find(|(k, _)| k.ends_with(&format!("channel/{channel}/refresh")))
            .and_then(|(_, v)| v.as_str().map(str::to_string))
    }

    pub fn channel(&self, id: &str) -> Value {
        self.ok(&["channel", "show", id])
    }

    /// Starts a loopback sign-in (`channel connect` or `channel reauth`), returns the
    /// running command and the first line it printed.
    pub fn start_loopback(
        &self,
        args: &[&str],
    ) -> (Child, BufReader<std::process::ChildStdout>, Value) {
        let mut full = args.to_vec();
        full.extend_from_slice(&["--no-browser", "--timeout", "60"]);
        let mut child = self
            .cmd(&full)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("first line");
        let started: Value = serde_json::from_str(&first).unwrap_or_else(|_| {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            panic!("not a start line: {first:?} {err}")
        });
        (child, stdout, started)
    }

    /// The browser comes back to the loopback listener: returns the command's result.
    pub async fn finish_loopback(
        mut child: Child,
        mut stdout: BufReader<std::process::ChildStdout>,
        callback: &str,
    ) -> (bool, Value) {
        let page = reqwest::get(callback).await.expect("loopback");
        assert!(page.status().is_success(), "{}", page.status());
        let mut rest = String::new();
        stdout.read_line(&mut rest).expect("result line");
        let status = child.wait().expect("wait");
        let value: Value =
            serde_json::from_str(&rest).unwrap_or_else(|_| panic!("not JSON: {rest:?}"));
        (status.success(), value)
    }
}

/// The query of a URL as a map.
pub fn query(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect()
}

/// Waits until `secs` seconds have passed (tokens the emulators issue expire by the wall
/// clock).
pub async fn wait_secs(secs: u64) {
    tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
}
