//! `lanyard provider export|import`: a provider file prepared on one installation and
//! opened on another, asked for before it is added, and refused — with nothing changed —
//! when it is malformed, too large, of an unknown version or carries a secret nobody
//! confirmed.

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use crate::util::{lanyard, run, stdout_json};

const TENANT: &str = "0b3c8a4e-1f5d-4b1e-9c63-7d2a4f9e1a11";

fn cli(data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = lanyard(data);
    cmd.args(["--secret-store", "file"]).args(args);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write");
    }
    drop(input);
    child.wait_with_output().expect("wait")
}

/// `lanyard --json provider import --yes SOURCE` (a file, a link or `-`), nothing on stdin.
fn import_yes(data: &Path, source: &str) -> Output {
    cli(
        data,
        &["--json", "provider", "import", "--yes", source],
        None,
    )
}

fn ok(out: &Output) -> &Output {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn own_providers(data: &Path) -> Vec<serde_json::Value> {
    let out = cli(data, &["--json", "provider", "list"], None);
    stdout_json(ok(&out))
        .as_array()
        .expect("list")
        .iter()
        .filter(|p| p["builtin"] == false)
        .cloned()
        .collect()
}

fn refused(out: &Output, code: &str) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = stdout_json(out);
    assert_eq!(err["code"], code, "{err}");
    err["message"].as_str().expect("message").to_string()
}

#[test]
fn a_file_from_it_is_shown_asked_for_and_added() {
    let (it, designer) = (
        tempfile::tempdir().expect("it"),
        tempfile::tempdir().expect("designer"),
    );
    ok(&cli(
        it.path(),
        &[
            "provider",
            "add",
            "--template",
            "microsoft",
            "--tenant",
            TENANT,
            "--client-id",
            "11111111-2222-3333-4444-555555555555",
            "--name",
            "Contoso",
            "--api-base",
            "https://contoso.sharepoint.com/",
        ],
        None,
    ));
    let export = cli(it.path(), &["provider", "export", "contoso"], None);
    let text = String::from_utf8(ok(&export).stdout.clone()).expect("utf-8");
    let file = designer.path().join("contoso.lanyard-provider");
    std::fs::write(&file, &text).expect("write");
    let path = file.to_str().expect("path");

    // No answer (stdin closed) and "no": refused, nothing added; the summary was shown.
    let out = cli(
        designer.path(),
        &["--json", "provider", "import", path],
        None,
    );
    assert!(refused(&out, "invalid_input").contains("--yes"));
    let shown = String::from_utf8_lossy(&out.stderr);
    assert!(
        shown.contains("Contoso") && shown.contains("app.lanyard.desktop://oauth/callback"),
        "{shown}"
    );
    let out = cli(
        designer.path(),
        &["--json", "provider", "import", path],
        Some("n\n"),
    );
    refused(&out, "invalid_input");
    assert!(own_providers(designer.path()).is_empty(), "nothing added");

    // "y" on standard input adds it, exactly as IT configured it.
    let out = cli(
        designer.path(),
        &["--json", "provider", "import", path],
        Some("y\n"),
    );
    let added = stdout_json(ok(&out));
    assert_eq!(added["id"], "contoso");
    assert_eq!(added["client_id"], "11111111-2222-3333-4444-555555555555");
    assert_eq!(
        added["issuer"],
        format!("https://login.microsoftonline.com/{TENANT}/v2.0")
    );
    assert_eq!(
        added["registration"]["redirect_uri"],
        "app.lanyard.desktop://oauth/callback"
    );
    let mine = own_providers(it.path());
    let theirs = own_providers(designer.path());
    assert_eq!(mine.len(), 1);
    for field in [
        "kind",
        "authorization_endpoint",
        "token_endpoint",
        "default_scopes",
        "api_base_urls",
    ] {
        assert_eq!(mine[0][field], theirs[0][field], "{field}");
    }

    // Again: a conflict, still one provider. The link form and --yes say the same.
    let out = import_yes(designer.path(), path);
    assert!(refused(&out, "conflict").contains("already added"));
    let link = cli(
        it.path(),
        &["provider", "export", "contoso", "--link"],
        None,
    );
    let link = String::from_utf8(ok(&link).stdout.clone()).expect("utf-8");
    assert!(link.starts_with("lanyard://provider/"), "{link}");
    let out = import_yes(designer.path(), link.trim());
    refused(&out, "conflict");
    assert_eq!(own_providers(designer.path()).len(), 1);

    // On a third installation the link adds it, from standard input too.
    let third = tempfile::tempdir().expect("third");
    ok(&import_yes(third.path(), link.trim()));
    let fourth = tempfile::tempdir().expect("fourth");
    ok(&cli(
        fourth.path(),
        &["--json", "provider", "import", "--yes", "-"],
        Some(&text),
    ));
    assert_eq!(own_providers(fourth.path()).len(), 1);
}

#[test]
fn a_secret_goes_into_a_file_only_when_confirmed() {
    let (it, designer) = (
        tempfile::tempdir().expect("it"),
        tempfile::tempdir().expect("designer"),
    );
    let secret_file = it.path().join("secret");
    std::fs::write(&secret_file, "CANARY-google-secret\n").expect("write");
    ok(&cli(
        it.path(),
        &[
            "provider",
            "add",
            "--template",
            "google",
            "--client-id",
            "g.apps.googleusercontent.com",
            "--client-secret-file",
            secret_file.to_str().expect("path"),
            "--id",
            "acme-google",
        ],
        None,
    ));
    let id = "acme-google";
    let plain = cli(it.path(), &["provider", "export", id], None);
    let text = String::from_utf8(ok(&plain).stdout.clone()).expect("utf-8");
    assert!(
        !text.contains("CANARY") && !text.contains("client_secret"),
        "{text}"
    );

    // Google's desktop clients need the secret: the plain file is refused when opened.
    let file = designer.path().join("g.lanyard-provider");
    std::fs::write(&file, &text).expect("write");
    let out = import_yes(designer.path(), file.to_str().expect("path"));
    assert!(refused(&out, "invalid_input").contains("secret"));

    // --include-secret asks: no answer refuses and prints nothing; --yes includes it.
    let out = cli(
        it.path(),
        &["--json", "provider", "export", id, "--include-secret"],
        None,
    );
    refused(&out, "invalid_input");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("CANARY"));
    let with = cli(
        it.path(),
        &["provider", "export", id, "--include-secret", "--yes"],
        None,
    );
    let with = String::from_utf8(ok(&with).stdout.clone()).expect("utf-8");
    assert!(with.contains("CANARY-google-secret"));
    std::fs::write(&file, &with).expect("write");
    let out = import_yes(designer.path(), file.to_str().expect("path"));
    let added = stdout_json(ok(&out));
    assert_eq!(added["has_client_secret"], true);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("CANARY"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("CANARY"));
    let db = std::fs::read(designer.path().join("lanyard.db")).expect("db");
    assert!(
        !String::from_utf8_lossy(&db).contains("CANARY"),
        "the secret is not in SQLite"
    );
    // A link never carries a secret.
    let out = cli(
        it.path(),
        &[
            "--json",
            "provider",
            "export",
            id,
            "--include-secret",
            "--link",
            "--yes",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "a usage error");
}

/// A designer on Windows opens the file after Notepad saved it again (CRLF line endings
/// and a UTF-8 byte order mark): it adds exactly what the original adds. One with a line
/// break inside a value is refused and adds nothing.
#[test]
fn a_file_saved_by_notepad_adds_what_the_original_adds() {
    let (it, designer, other) = (
        tempfile::tempdir().expect("it"),
        tempfile::tempdir().expect("designer"),
        tempfile::tempdir().expect("other"),
    );
    ok(&cli(
        it.path(),
        &[
            "provider",
            "add",
            "--template",
            "microsoft",
            "--tenant",
            TENANT,
            "--client-id",
            "11111111-2222-3333-4444-555555555555",
            "--name",
            "Contoso",
            "--api-base",
            "https://contoso.sharepoint.com/",
        ],
        None,
    ));
    let export = cli(it.path(), &["provider", "export", "contoso"], None);
    let text = String::from_utf8(ok(&export).stdout.clone()).expect("utf-8");
    let saved = format!("\u{feff}{}", text.replace('\n', "\r\n"));
    let file = designer.path().join("contoso.lanyard-provider");
    std::fs::write(&file, &saved).expect("write");
    ok(&import_yes(designer.path(), file.to_str().expect("path")));
    let original = other.path().join("original.lanyard-provider");
    std::fs::write(&original, &text).expect("write");
    ok(&import_yes(other.path(), original.to_str().expect("path")));
    let (mine, theirs) = (own_providers(other.path()), own_providers(designer.path()));
    assert_eq!(theirs.len(), 1);
    let without_times = |mut v: serde_json::Value| {
        for key in ["created_at", "updated_at"] {
            v.as_object_mut().expect("object").remove(key);
        }
        v
    };
    assert_eq!(
        without_times(mine[0].clone()),
        without_times(theirs[0].clone())
    );

    let smuggled = saved.replace("\"name\": \"Contoso\"", "\"name\": \"Contoso\\r\\nAdmin\"");
    assert_ne!(smuggled, saved, "the name is in the file: {saved}");
    let bad = other.path().join("bad.lanyard-provider");
    std::fs::write(&bad, &smuggled).expect("write");
    let fresh = tempfile::tempdir().expect("fresh");
    refused(
        &import_yes(fresh.path(), bad.to_str().expect("path")),
        "invalid_input",
    );
    assert!(own_providers(fresh.path()).is_empty());
}

#[test]
fn malformed_oversized_and_future_files_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let write = |name: &str, body: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).expect("write");
        p
    };
    let future = serde_json::json!({"format": "lanyard-provider", "version": 7, "provider": {}});
    let cases = [
        (write("a.lanyard-provider", b"{ not json"), "not valid JSON"),
        (
            write("b.lanyard-provider", &vec![b' '; 70 * 1024]),
            "larger than 64 KiB",
        ),
        (
            write("c.lanyard-provider", future.to_string().as_bytes()),
            "version 7, made by a newer Lanyard",
        ),
        (
            write(
                "d.lanyard-provider",
                b"{\"format\": \"lanyard-offer\", \"version\": 1}",
            ),
            "format",
        ),
        (write("e.lanyard-provider", &[0xff, 0xfe, 0x00]), "not text"),
    ];
    for (path, expected) in &cases {
        let out = import_yes(dir.path(), path.to_str().expect("path"));
        let message = refused(&out, "invalid_input");
        assert!(
            message.contains(expected),
            "{expected:?} not in {message:?}"
        );
    }
    let out = import_yes(dir.path(), "lanyard://provider/!!");
    refused(&out, "invalid_input");
    let out = import_yes(
        dir.path(),
        &dir.path().join("missing").display().to_string(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(own_providers(dir.path()).is_empty());
    let out = run(lanyard(dir.path()).args(["--json", "provider", "export", "microsoft"]));
    refused(&out, "invalid_input");
}

/// Exports a provider added on a fresh installation with `args`, as JSON.
fn exported(args: &[&str], id: &str) -> serde_json::Value {
    let it = tempfile::tempdir().expect("it");
    let mut add = vec!["provider", "add"];
    add.extend_from_slice(args);
    ok(&cli(it.path(), &add, None));
    let out = cli(it.path(), &["provider", "export", id], None);
    serde_json::from_slice(&ok(&out).stdout).expect("json")
}

fn contoso() -> serde_json::Value {
    exported(
        &[
            "--template",
            "microsoft",
            "--tenant",
            TENANT,
            "--client-id",
            "11111111-2222-3333-4444-555555555555",
            "--name",
            "Contoso",
        ],
        "contoso",
    )
}

#[test]
fn a_known_provider_file_cannot_send_the_sign_in_to_someone_elses_token_endpoint() {
    let designer = tempfile::tempdir().expect("designer");
    let genuine = contoso();
    for (field, url, host) in [
        (
            "token_endpoint",
            "https://collector.evil.example/common/oauth2/v2.0/token",
            "collector.evil.example",
        ),
        (
            "userinfo_endpoint",
            "https://graph.microsoft.com.evil.example/oidc/userinfo",
            "graph.microsoft.com.evil.example",
        ),
        (
            "revocation_endpoint",
            "https://evil.example/revoke",
            "evil.example",
        ),
    ] {
        let mut v = genuine.clone();
        v["provider"][field] = url.into();
        let file = designer.path().join("contoso.lanyard-provider");
        std::fs::write(&file, v.to_string()).expect("write");
        // The file, and the same file as a link: refused by host, with and without --yes.
        let link = {
            use base64::Engine;
            format!(
                "lanyard://provider/{}",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
            )
        };
        for source in [file.to_str().expect("path"), link.as_str()] {
            for args in [
                vec!["--json", "provider", "import", "--yes", source],
                vec![
                    "--json",
                    "provider",
                    "import",
                    "--yes",
                    "--accept-foreign-endpoints",
                    source,
                ],
            ] {
                let message = refused(&cli(designer.path(), &args, None), "invalid_input");
                assert!(
                    message.contains(&format!("is on {host},"))
                        && message.contains("Microsoft's own hosts"),
                    "{field}: {message}"
                );
            }
        }
    }
    assert!(own_providers(designer.path()).is_empty(), "nothing added");
    // A national cloud is Microsoft's own.
    let us = genuine
        .to_string()
        .replace("login.microsoftonline.com", "login.microsoftonline.us")
        .replace("graph.microsoft.com", "graph.microsoft.us");
    let file = designer.path().join("us.lanyard-provider");
    std::fs::write(&file, us).expect("write");
    ok(&import_yes(designer.path(), file.to_str().expect("path")));
}

#[test]
fn a_custom_file_shows_every_host_and_foreign_token_hosts_need_a_second_step() {
    let designer = tempfile::tempdir().expect("designer");
    let mut v = exported(
        &[
            "--name",
            "Feeds",
            "--authorization-endpoint",
            "https://login.feeds.example/authorize",
            "--token-endpoint",
            "https://login.feeds.example/token",
            "--userinfo-endpoint",
            "https://login.feeds.example/userinfo",
            "--client-id",
            "feeds-client",
        ],
        "feeds",
    );
    v["provider"]["token_endpoint"] = "https://collector.evil.example/token".into();
    let file = designer.path().join("feeds.lanyard-provider");
    std::fs::write(&file, v.to_string()).expect("write");
    let path = file.to_str().expect("path");

    // --yes is not the second step: refused, the warning names both hosts, every host is
    // listed.
    let out = import_yes(designer.path(), path);
    let message = refused(&out, "invalid_input");
    assert!(
        message.contains("--accept-foreign-endpoints")
            && message.contains("collector.evil.example")
            && message.contains("login.feeds.example"),
        "{message}"
    );
    let shown = String::from_utf8_lossy(&out.stderr);
    for line in [
        "sign-in (authorization) endpoint   login.feeds.example",
        "token endpoint                     collector.evil.example   <- not the sign-in host",
        "userinfo endpoint                  login.feeds.example",
        "WARNING: you sign in at login.feeds.example, but its token endpoint is on \
         collector.evil.example",
    ] {
        assert!(shown.contains(line), "{line:?} not in:\n{shown}");
    }
    assert!(own_providers(designer.path()).is_empty(), "nothing added");

    // With the second step it is still asked for; "y" adds it.
    let out = cli(
        designer.path(),
        &[
            "--json",
            "provider",
            "import",
            "--accept-foreign-endpoints",
            path,
        ],
        Some("n\n"),
    );
    refused(&out, "invalid_input");
    assert!(String::from_utf8_lossy(&out.stderr).contains("WARNING"));
    assert!(own_providers(designer.path()).is_empty());
    let out = cli(
        designer.path(),
        &[
            "--json",
            "provider",
            "import",
            "--accept-foreign-endpoints",
            path,
        ],
        Some("y\n"),
    );
    let added = stdout_json(ok(&out));
    assert_eq!(
        added["token_endpoint"],
        "https://collector.evil.example/token"
    );

    // Hosts that agree need no second step.
    let same = tempfile::tempdir().expect("same");
    v["provider"]["token_endpoint"] = "https://login.feeds.example/token".into();
    std::fs::write(&file, v.to_string()).expect("write");
    ok(&import_yes(same.path(), path));
}

#[test]
fn request_objects_cannot_be_set_by_a_file() {
    let designer = tempfile::tempdir().expect("designer");
    for name in ["request_uri", "request"] {
        let mut v = contoso();
        v["provider"]["extra_auth_params"] =
            serde_json::json!({ name: "https://evil.example/request.jwt" });
        let file = designer.path().join("r.lanyard-provider");
        std::fs::write(&file, v.to_string()).expect("write");
        let message = refused(
            &import_yes(designer.path(), file.to_str().expect("path")),
            "invalid_input",
        );
        assert!(message.contains("set by Lanyard"), "{name}: {message}");
    }
    assert!(own_providers(designer.path()).is_empty());
}

#[test]
fn the_end_to_end_scenarios_file_still_opens_in_one_step() {
    // tests/e2e/e2e.mjs: IT adds the test provider by discovery from the real
    // oidc-provider and exports it; the designer opens the file. Every endpoint is on the
    // issuer's host: no warning, no second step.
    let server = crate::oauth_server::OauthServer::start(60);
    let designer = tempfile::tempdir().expect("designer");
    let v = exported(
        &[
            "--discovery",
            &server.issuer,
            "--client-id",
            "lanyard-test",
            "--name",
            "Test IdP",
            "--id",
            "test-idp",
            "--redirect",
            "deep-link",
        ],
        "test-idp",
    );
    assert_eq!(v["provider"]["kind"], "oidc");
    let file = designer.path().join("contoso.lanyard-provider");
    std::fs::write(&file, v.to_string()).expect("write");
    let out = cli(
        designer.path(),
        &["--json", "provider", "import", file.to_str().expect("path")],
        Some("y\n"),
    );
    let added = stdout_json(ok(&out));
    assert_eq!(added["name"], "Test IdP");
    let shown = String::from_utf8_lossy(&out.stderr);
    assert!(!shown.contains("WARNING"), "{shown}");
    let host = server.issuer.trim_start_matches("http://");
    assert!(
        shown.contains(&format!("token endpoint                     {host}")),
        "{shown}"
    );
}
