//! The `lanyard` command line as scripts use it: `--json` output, exit codes, errors as
//! `{ code, message }`, and bad input that changes nothing.

use crate::util::{lanyard, run, stdout_json};

#[test]
fn status_json_on_a_new_data_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("x");
    let out = run(lanyard(&data).args(["--secret-store", "file", "status", "--json"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = stdout_json(&out);
    assert_eq!(status["data_dir"], crate::util::shown(&data));
    assert_eq!(
        status["database_path"],
        crate::util::shown(&data.join("lanyard.db"))
    );
    assert_eq!(
        status["schema_version"],
        lanyard_core::store::Store::known_schema_version()
    );
    assert_eq!(status["secret_store"]["backend"], "file");
    assert_eq!(status["secret_store"]["usable"], true);
    assert!(status["secret_store"]["warning"]
        .as_str()
        .expect("warning")
        .contains("unencrypted"));
    assert!(data.join("lanyard.db").is_file());
}

#[test]
fn json_flag_works_before_the_subcommand_and_env_selects_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(lanyard(dir.path())
        .env("LANYARD_SECRET_STORE", "file")
        .args(["--json", "status"]));
    assert!(out.status.success());
    assert_eq!(stdout_json(&out)["secret_store"]["backend"], "file");
}

#[test]
fn status_names_what_the_environment_widened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tls = crate::oauth_server::TestTls::create(dir.path());
    let status = |cmd: &mut std::process::Command| {
        let out = run(cmd.args(["status", "--json"]));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout_json(&out)
    };
    // Nothing from the environment; a flag choosing the file store is not the environment.
    let plain = status(lanyard(&dir.path().join("a")).args(["--secret-store", "file"]));
    assert_eq!(plain["environment"], serde_json::json!([]), "{plain}");

    let data = dir.path().join("b");
    let widened = status(
        lanyard(&data)
            .env("LANYARD_EXTRA_CA_FILE", &tls.ca)
            .env("LANYARD_SECRET_STORE", "file"),
    );
    let settings = widened["environment"].as_array().expect("environment");
    assert_eq!(settings.len(), 2, "{widened}");
    assert_eq!(settings[0]["variable"], "LANYARD_EXTRA_CA_FILE");
    // The variable's value as it was given (not a path the binary spelled).
    assert_eq!(settings[0]["value"], tls.ca.display().to_string());
    assert!(
        settings[0]["effect"]
            .as_str()
            .expect("effect")
            .contains("trusted for every provider and preview request"),
        "{widened}"
    );
    assert_eq!(settings[1]["variable"], "LANYARD_SECRET_STORE");
    assert_eq!(settings[1]["value"], "file");
    assert!(
        settings[1]["effect"]
            .as_str()
            .expect("effect")
            .contains(&crate::util::shown(&data.join("secrets"))),
        "{widened}"
    );

    // The same in the human-readable status.
    let out = run(lanyard(&data)
        .env("LANYARD_EXTRA_CA_FILE", &tls.ca)
        .arg("status"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "from the environment: LANYARD_EXTRA_CA_FILE={}",
            tls.ca.display()
        )),
        "{text}"
    );
}

#[test]
fn data_dir_from_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = crate::util::lanyard_command();
    cmd.env("LANYARD_DATA_DIR", dir.path())
        .env("LANYARD_SECRET_STORE", "file");
    let out = run(cmd.args(["status", "--json"]));
    assert!(out.status.success());
    assert_eq!(
        stdout_json(&out)["data_dir"],
        crate::util::shown(dir.path())
    );
}

#[test]
fn keyring_without_a_session_bus_is_reported_unusable_not_replaced() {
    if crate::util::under_wine() {
        // The Linux keyring (Secret Service over D-Bus); Windows' Credential Manager has
        // no bus to miss (tests/windows/run checks it is usable there).
        eprintln!("skipped under Wine: the D-Bus Secret Service is Linux's");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(lanyard(dir.path())
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}/no-bus", dir.path().display()),
        )
        .args(["status", "--json"]));
    assert!(out.status.success(), "status reports, it does not fail");
    let status = stdout_json(&out);
    assert_eq!(status["secret_store"]["backend"], "keyring");
    assert_eq!(status["secret_store"]["usable"], false);
    let detail = status["secret_store"]["detail"].as_str().expect("detail");
    assert!(
        detail.contains("no Secret Service is reachable"),
        "{detail}"
    );
    assert!(!detail.contains("locked"), "missing, not locked: {detail}");
    assert!(!dir.path().join("secrets").exists(), "fell back to a file");
}

#[test]
fn unknown_secret_store_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(lanyard(dir.path()).args(["--secret-store", "plaintext", "status", "--json"]));
    assert_eq!(out.status.code(), Some(1));
    let err = stdout_json(&out);
    assert_eq!(err["code"], "invalid_input");
    assert!(err["message"]
        .as_str()
        .expect("message")
        .contains("plaintext"));
    // The same JSON on stderr, so either stream parses.
    let on_stderr: serde_json::Value = serde_json::from_slice(&out.stderr).expect("stderr json");
    assert_eq!(on_stderr, err);
}

#[test]
fn usage_errors_exit_2_with_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(lanyard(dir.path()).args(["status", "--bogus", "--json"]));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout_json(&out)["code"], "invalid_input");
    let out = run(lanyard(dir.path()).args(["frobnicate"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn human_errors_go_to_stderr_with_their_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").expect("write");
    let out = run(lanyard(&file).args(["status"]));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error[io]: "), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(lanyard(dir.path()).args(["--secret-store", "file", "status", "--json"]));
    assert!(out.status.success());
    let db = dir.path().join("lanyard.db");
    let future = lanyard_core::store::Store::known_schema_version() + 1;
    tokio::runtime::Runtime::new().expect("rt").block_on(async {
        let store = lanyard_core::store::Store::open(&db).await.expect("open");
        sqlx_insert_future_migration(&store, future).await;
        store.close().await;
    });
    let before = std::fs::read(&db).expect("read");
    let out = run(lanyard(dir.path()).args(["--secret-store", "file", "status", "--json"]));
    assert_eq!(out.status.code(), Some(1));
    let err = stdout_json(&out);
    assert_eq!(err["code"], "schema_too_new");
    assert!(err["message"]
        .as_str()
        .expect("message")
        .contains("newer Lanyard"));
    assert_eq!(std::fs::read(&db).expect("read"), before);
}

async fn sqlx_insert_future_migration(store: &lanyard_core::store::Store, version: i64) {
    lanyard_core::store::testing::insert_applied_migration(store, version)
        .await
        .expect("insert future migration");
}
