//! Provider files: export → open → add, and every way a file is refused.

use std::sync::Arc;

use super::provider::ProviderSpec;
use super::provider_file::{
    export, from_link_payload, import, offer, parse, to_link, MAX_FILE_LEN,
};
use super::providers::add;
use crate::deep_links::DeepLink;
use crate::error::InputField;
use crate::secrets::{SecretStoreKind, SecretValue, Secrets};
use crate::{Config, Lanyard};

const TENANT: &str = "0b3c8a4e-1f5d-4b1e-9c63-7d2a4f9e1a11";

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

async fn contoso(l: &Lanyard) -> String {
    add(
        l,
        ProviderSpec {
            template: Some("microsoft".into()),
            tenant: Some(TENANT.into()),
            name: Some("Contoso".into()),
            client_id: Some("11111111-2222-3333-4444-555555555555".into()),
            api_base_urls: vec!["https://contoso.sharepoint.com/".into()],
            ..Default::default()
        },
        None,
    )
    .await
    .expect("add")
    .id
}

async fn custom_with_secret(l: &Lanyard) -> String {
    add(
        l,
        ProviderSpec {
            name: Some("Feeds".into()),
            authorization_endpoint: Some("https://login.feeds.example/authorize".into()),
            token_endpoint: Some("https://login.feeds.example/token".into()),
            client_id: Some("feeds-client".into()),
            ..Default::default()
        },
        Some(SecretValue::new("CANARY-client-secret")),
    )
    .await
    .expect("add")
    .id
}

#[tokio::test]
async fn an_exported_provider_opens_and_adds_on_another_installation() {
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (it, designer) = (lanyard(a.path()).await, lanyard(b.path()).await);
    let id = contoso(&it).await;
    let text = export(&it, &id, false).await.expect("export");
    assert!(text.contains("\"format\": \"lanyard-provider\""), "{text}");
    let file = parse(&text).expect("parse");
    let shown = offer(&designer, &file).await.expect("offer");
    assert!(shown.conflict.is_none() && !shown.includes_secret);
    assert_eq!(
        shown.registration.redirect_uri,
        "app.lanyard.desktop://oauth/callback"
    );
    let added = import(&designer, file, false).await.expect("import");
    let original = it.store().provider(&id).await.expect("original");
    assert_eq!(added.id, original.id);
    assert_eq!(added.issuer, original.issuer, "the pinned issuer travels");
    assert_eq!(
        added.authorization_endpoint,
        original.authorization_endpoint
    );
    assert_eq!(added.api_base_urls, original.api_base_urls);
    assert_eq!(added.client_id, original.client_id);
    assert!(!added.builtin);

    // Opening it again: the offer says why, and importing is a conflict.
    let again = parse(&text).expect("parse");
    let shown = offer(&designer, &again).await.expect("offer");
    assert!(shown
        .conflict
        .as_deref()
        .is_some_and(|c| c.contains("already added")));
    let err = import(&designer, again, false).await.expect_err("twice");
    assert_eq!(err.code(), "conflict");
    assert_eq!(
        designer.store().providers().await.expect("list").len(),
        it.store().providers().await.expect("list").len()
    );
}

#[tokio::test]
async fn a_secret_travels_only_when_asked_for() {
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (it, designer) = (lanyard(a.path()).await, lanyard(b.path()).await);
    let id = custom_with_secret(&it).await;
    let plain = export(&it, &id, false).await.expect("export");
    assert!(
        !plain.contains("CANARY") && !plain.contains("client_secret"),
        "{plain}"
    );
    let with = export(&it, &id, true).await.expect("export with secret");
    assert!(with.contains("CANARY-client-secret"));
    let file = parse(&with).expect("parse");
    assert!(
        !format!("{file:?}").contains("CANARY"),
        "Debug never shows it"
    );
    let shown = offer(&designer, &file).await.expect("offer");
    assert!(shown.includes_secret);
    assert!(!serde_json::to_string(&shown)
        .expect("json")
        .contains("CANARY"));
    let added = import(&designer, file, false).await.expect("import");
    assert!(added.has_client_secret);
    let kept = designer
        .secrets()
        .get(&super::flow::client_secret_key(&added.id))
        .await
        .expect("get")
        .expect("kept");
    assert_eq!(kept.expose(), "CANARY-client-secret");
    let err = to_link(&with).expect_err("no secret in links");
    assert_eq!(err.code(), "invalid_input");

    // A template has nothing to export; a provider without a secret has none to include.
    let err = export(&it, "microsoft", false).await.expect_err("template");
    assert_eq!(err.code(), "invalid_input");
    let ms = contoso(&it).await;
    assert_eq!(
        export(&it, &ms, true).await.expect_err("no secret").code(),
        "invalid_input"
    );
}

#[tokio::test]
async fn a_link_carries_the_same_file() {
    let dir = tempfile::tempdir().expect("dir");
    let l = lanyard(dir.path()).await;
    let id = contoso(&l).await;
    let text = export(&l, &id, false).await.expect("export");
    let link = to_link(&text).expect("link");
    let DeepLink::Provider(payload) = DeepLink::parse(&link).expect("a Lanyard link") else {
        panic!("not a provider link: {link}");
    };
    let back = from_link_payload(&payload).expect("payload");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&back).expect("json"),
        serde_json::from_str::<serde_json::Value>(&text).expect("json")
    );
    assert_eq!(
        from_link_payload("!!!").expect_err("bad").code(),
        "invalid_input"
    );
}

/// The exported file saved again by Notepad: CRLF line endings, a UTF-8 byte order mark,
/// or "Unicode" (UTF-16 with its byte order mark). It opens exactly like the original; a
/// CR or LF inside a value is still refused.
#[tokio::test]
async fn a_file_saved_by_notepad_opens_like_the_original() {
    let dir = tempfile::tempdir().expect("dir");
    let l = lanyard(dir.path()).await;
    let id = custom_with_secret(&l).await;
    let text = export(&l, &id, true).await.expect("export");
    assert!(text.contains('\n') && !text.contains('\r'), "{text}");
    let original = format!("{:?}", parse(&text).expect("parse"));
    let crlf = text.replace('\n', "\r\n");
    for saved in [
        crlf.clone(),
        format!("\u{feff}{crlf}"),
        format!("\u{feff}{text}"),
    ] {
        let file = parse(&saved).unwrap_or_else(|e| panic!("{saved:?}: {e}"));
        assert_eq!(format!("{file:?}"), original);
        assert_eq!(
            file.client_secret.as_ref().map(|s| s.expose()),
            Some("CANARY-client-secret")
        );
    }
    // Read from disk: UTF-8 with a byte order mark, and UTF-16 (little and big endian).
    let utf16 = |big: bool| -> Vec<u8> {
        std::iter::once(0xfeff)
            .chain(crlf.encode_utf16())
            .flat_map(|u| {
                if big {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    };
    for (name, bytes) in [
        (
            "utf8.lanyard-provider",
            format!("\u{feff}{crlf}").into_bytes(),
        ),
        ("utf16le.lanyard-provider", utf16(false)),
        ("utf16be.lanyard-provider", utf16(true)),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let read = super::provider_file::read(&path).expect(name);
        assert_eq!(
            format!("{:?}", parse(&read).expect(name)),
            original,
            "{name}"
        );
    }
    // Line breaks smuggled into values: escaped in JSON, or raw inside a string.
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("json");
    json["provider"]["client_id"] = "feeds\r\nclient".into();
    let escaped = serde_json::to_string_pretty(&json)
        .expect("json")
        .replace('\n', "\r\n");
    let raw = crlf.replace("\"feeds-client\"", "\"feeds\r\nclient\"");
    assert_ne!(raw, crlf);
    for bad in [format!("\u{feff}{escaped}"), format!("\u{feff}{raw}")] {
        assert_eq!(
            parse(&bad).expect_err("a line break in a value").code(),
            "invalid_input"
        );
    }
    // An odd-length UTF-16 file is not text.
    let path = dir.path().join("odd.lanyard-provider");
    let mut odd = utf16(false);
    odd.push(b'x');
    std::fs::write(&path, odd).expect("write");
    assert_eq!(
        super::provider_file::read(&path).expect_err("odd").code(),
        "invalid_input"
    );
}

#[tokio::test]
async fn malformed_oversized_and_unknown_files_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("dir");
    let l = lanyard(dir.path()).await;
    let id = contoso(&l).await;
    let good: serde_json::Value =
        serde_json::from_str(&export(&l, &id, false).await.expect("export")).expect("json");
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        v.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), "not valid JSON"),
        ("{}".into(), "does not say \"format\""),
        (
            with(&|v| v["format"] = "lanyard-offer".into()),
            "does not say \"format\"",
        ),
        (
            with(&|v| v["version"] = 2.into()),
            "version 2, made by a newer Lanyard",
        ),
        (
            with(&|v| v["version"] = "one".into()),
            "version is missing or unknown",
        ),
        (
            with(&|v| v["provider"]["surprise"] = true.into()),
            "unknown field `surprise`",
        ),
        (
            with(&|v| {
                v["provider"]
                    .as_object_mut()
                    .expect("obj")
                    .remove("client_id")
                    .map(|_| ())
                    .unwrap_or(())
            }),
            "missing field `client_id`",
        ),
        (
            with(&|v| v["provider"]["kind"] = "myspace".into()),
            "malformed",
        ),
        (
            with(&|v| v["provider"]["token_endpoint"] = "http://evil.example/token".into()),
            "https",
        ),
        (with(&|v| v["provider"]["id"] = "../etc".into()), "id"),
        (
            with(&|v| v["provider"]["client_id"] = "a\r\nb".into()),
            "client id",
        ),
        (
            with(&|v| {
                v["provider"]["extra_auth_params"] =
                    serde_json::json!({"redirect_uri": "https://evil.example/"})
            }),
            "set by Lanyard",
        ),
        (
            with(&|v| {
                v["provider"]["extra_auth_params"] =
                    serde_json::json!({"request_uri": "https://evil.example/r"})
            }),
            "set by Lanyard",
        ),
        (
            with(&|v| v["provider"]["extra_auth_params"] = serde_json::json!({"Request": "x.y.z"})),
            "set by Lanyard",
        ),
        (
            with(&|v| v["provider"]["scopes"] = serde_json::json!(["a b"])),
            "not a valid scope",
        ),
        (
            with(&|v| v["provider"]["kind"] = "google".into()),
            "not one of Google's own hosts",
        ),
        (
            format!("{{\"pad\": \"{}\"}}", "x".repeat(MAX_FILE_LEN)),
            "larger than 64 KiB",
        ),
        (
            with(&|v| v["provider"]["loopback_port"] = 80.into()),
            "loopback port must be between 1024",
        ),
        (
            with(&|v| v["provider"]["forced_reauth_seconds"] = 3600.into()),
            "between 1 and 3650 days",
        ),
        (
            with(&|v| v["provider"]["forced_reauth_seconds"] = (3651 * 86_400).into()),
            "between 1 and 3650 days",
        ),
    ];
    for (text, expected) in cases {
        let err = parse(&text).expect_err(expected);
        assert_eq!(err.code(), "invalid_input", "{expected}: {err}");
        assert!(
            err.to_string().contains(expected),
            "{expected:?} not in {err}"
        );
    }
    assert_eq!(
        l.store()
            .providers()
            .await
            .expect("list")
            .iter()
            .filter(|p| !p.builtin)
            .count(),
        1,
        "nothing added"
    );
}

#[tokio::test]
async fn the_window_and_the_cli_keep_the_same_limits_as_a_file() {
    let dir = tempfile::tempdir().expect("dir");
    let l = lanyard(dir.path()).await;
    let spec = |port: Option<u16>, days: Option<u32>| ProviderSpec {
        name: Some("Feeds".into()),
        authorization_endpoint: Some("https://login.feeds.example/authorize".into()),
        token_endpoint: Some("https://login.feeds.example/token".into()),
        client_id: Some("feeds-client".into()),
        redirect_style: Some(super::provider::RedirectStyle::Loopback),
        loopback_port: port,
        reauth_days: days,
        ..Default::default()
    };
    for (port, days, field) in [
        (Some(1023), None, InputField::LoopbackPort),
        (None, Some(0), InputField::ReauthDays),
        (None, Some(3651), InputField::ReauthDays),
    ] {
        let err = add(&l, spec(port, days), None)
            .await
            .expect_err(field.as_str());
        assert!(
            matches!(err, crate::Error::InvalidInput { field: Some(f), .. } if f == field),
            "{field}: {err:?}"
        );
    }
    add(&l, spec(Some(1024), Some(3650)), None)
        .await
        .expect("the limits themselves are allowed");
}

#[tokio::test]
async fn refusals_name_the_field_the_window_shows_them_next_to() {
    let dir = tempfile::tempdir().expect("dir");
    let l = lanyard(dir.path()).await;
    let microsoft = |tenant: &str, client_id: &str| ProviderSpec {
        template: Some("microsoft".into()),
        tenant: Some(tenant.into()),
        client_id: Some(client_id.into()),
        ..Default::default()
    };
    let field = |err: crate::Error| match err {
        crate::Error::InvalidInput { field, .. } => field,
        other => panic!("not a refused input: {other:?}"),
    };
    let err = add(
        &l,
        microsoft("not a tenant!", "11111111-2222-3333-4444-555555555555"),
        None,
    )
    .await
    .expect_err("tenant");
    assert_eq!(field(err), Some(InputField::Tenant));
    let err = add(&l, microsoft(TENANT, "a\u{7}b"), None)
        .await
        .expect_err("client id");
    assert_eq!(field(err), Some(InputField::ClientId));
    let err = add(
        &l,
        ProviderSpec {
            template: Some("google".into()),
            client_id: Some("g.apps.googleusercontent.com".into()),
            ..Default::default()
        },
        Some(SecretValue::new("a\nb")),
    )
    .await
    .expect_err("secret");
    assert_eq!(field(err), Some(InputField::ClientSecret));
}

/// The Contoso file with `f` applied to its provider part.
async fn contoso_file(f: &dyn Fn(&mut serde_json::Value)) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let l = lanyard(dir.path()).await;
    let id = contoso(&l).await;
    let mut v: serde_json::Value =
        serde_json::from_str(&export(&l, &id, false).await.expect("export")).expect("json");
    f(&mut v["provider"]);
    v.to_string()
}

#[tokio::test]
async fn a_known_provider_file_with_any_endpoint_elsewhere_is_refused_by_host() {
    // The genuine sign-in page and client id, with someone else's token endpoint: the
    // code, the PKCE verifier and every refresh token would go there.
    for (field, url) in [
        ("token_endpoint", "https://evil.example/token"),
        (
            "token_endpoint",
            "https://login.microsoftonline.com.evil.example/t",
        ),
        (
            "token_endpoint",
            "https://login.microsoftonline.com:8443/t/oauth2/v2.0/token",
        ),
        ("authorization_endpoint", "https://evil.example/authorize"),
        ("revocation_endpoint", "https://evil.example/revoke"),
        ("userinfo_endpoint", "https://evil.example/userinfo"),
        (
            "discovery_url",
            "https://evil.example/.well-known/openid-configuration",
        ),
        ("issuer", "https://evil.example/x/v2.0"),
    ] {
        let text = contoso_file(&|p| p[field] = url.into()).await;
        let err = parse(&text).expect_err(field);
        assert_eq!(err.code(), "invalid_input", "{field}: {err}");
        let host = url::Url::parse(url).expect("url");
        let shown = match host.port() {
            Some(port) => format!("{}:{port}", host.host_str().expect("host")),
            None => host.host_str().expect("host").to_string(),
        };
        assert!(
            err.to_string().contains(&format!("is on {shown},"))
                && err.to_string().contains("Microsoft's own hosts"),
            "{field}: {err}"
        );
    }
    // Google and Dropbox alike.
    let google = serde_json::json!({"format": "lanyard-provider", "version": 1, "provider": {
        "id": "g", "kind": "google", "name": "Google", "issuer": "https://accounts.google.com",
        "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_endpoint": "https://oauth2.evil.example/token", "client_id": "g",
        "redirect": "loopback"}, "client_secret": "s"});
    let err = parse(&google.to_string()).expect_err("google");
    assert!(
        err.to_string().contains("oauth2.evil.example") && err.to_string().contains("Google's"),
        "{err}"
    );
    let dropbox = serde_json::json!({"format": "lanyard-provider", "version": 1, "provider": {
        "id": "d", "kind": "dropbox", "name": "Dropbox",
        "authorization_endpoint": "https://www.dropbox.com/oauth2/authorize",
        "token_endpoint": "https://api.dropboxapi.com/oauth2/token",
        "userinfo_endpoint": "https://api.dropboxapi.evil.example/2/openid/userinfo",
        "client_id": "d", "redirect": "loopback", "loopback_port": 53682}});
    let err = parse(&dropbox.to_string()).expect_err("dropbox");
    assert!(
        err.to_string().contains("api.dropboxapi.evil.example"),
        "{err}"
    );
    let dropbox_ok = dropbox
        .to_string()
        .replace("api.dropboxapi.evil.example", "api.dropboxapi.com");
    parse(&dropbox_ok).expect("Dropbox's own hosts");
}

#[tokio::test]
async fn microsoft_national_clouds_are_microsoft() {
    for cloud in [
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
    ] {
        let text = contoso_file(&|p| {
            for f in ["authorization_endpoint", "token_endpoint", "issuer"] {
                let v = p[f]
                    .as_str()
                    .expect("url")
                    .replace("login.microsoftonline.com", cloud);
                p[f] = v.into();
            }
            p["userinfo_endpoint"] = "https://microsoftgraph.chinacloudapi.cn/oidc/userinfo".into();
        })
        .await;
        let file = parse(&text).expect(cloud);
        assert_eq!(file.provider.kind, super::provider::ProviderKind::Microsoft);
    }
}

#[tokio::test]
async fn a_template_pointed_elsewhere_by_its_user_exports_as_a_custom_provider() {
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (it, designer) = (lanyard(a.path()).await, lanyard(b.path()).await);
    // The user's own --authority stays as it is.
    let added = add(
        &it,
        ProviderSpec {
            template: Some("microsoft".into()),
            tenant: Some(TENANT.into()),
            authority: Some("https://login.sovereign.example".into()),
            client_id: Some("11111111-2222-3333-4444-555555555555".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .expect("add with an authority");
    assert_eq!(added.kind, super::provider::ProviderKind::Microsoft);
    let text = export(&it, &added.id, false).await.expect("export");
    let file = parse(&text).expect("a custom provider file");
    assert_eq!(file.provider.kind, super::provider::ProviderKind::Custom);
    let shown = offer(&designer, &file).await.expect("offer");
    let hosts: Vec<&str> = shown.endpoints.iter().map(|e| e.host.as_str()).collect();
    assert!(hosts.contains(&"login.sovereign.example"), "{hosts:?}");
    // --authority moved every URL: nothing foreign, one step.
    assert!(
        shown.foreign_endpoints.is_empty(),
        "{:?}",
        shown.foreign_endpoints
    );
    let imported = import(&designer, file, false).await.expect("import");
    assert_eq!(imported.kind, super::provider::ProviderKind::Custom);
}

#[tokio::test]
async fn a_custom_provider_with_a_foreign_token_endpoint_needs_a_second_step() {
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (it, designer) = (lanyard(a.path()).await, lanyard(b.path()).await);
    let id = custom_with_secret(&it).await;
    let good = export(&it, &id, false).await.expect("export");
    // Same host everywhere: no warning, added in one step; every host listed.
    let file = parse(&good).expect("parse");
    let shown = offer(&designer, &file).await.expect("offer");
    assert!(shown.foreign_endpoints.is_empty() && shown.foreign_warning().is_none());
    assert_eq!(
        shown
            .endpoints
            .iter()
            .map(|e| (e.role, e.host.as_str()))
            .collect::<Vec<_>>(),
        [
            (
                super::quirks::EndpointRole::Authorization,
                "login.feeds.example"
            ),
            (super::quirks::EndpointRole::Token, "login.feeds.example"),
        ]
    );
    let mut v: serde_json::Value = serde_json::from_str(&good).expect("json");
    v["provider"]["token_endpoint"] = "https://collector.evil.example/token".into();
    v["provider"]["revocation_endpoint"] = "https://login.feeds.example/revoke".into();
    v["provider"]["userinfo_endpoint"] = "https://login.feeds.example:4443/userinfo".into();
    let bad = v.to_string();
    let shown = offer(&designer, &parse(&bad).expect("parse"))
        .await
        .expect("offer");
    let foreign: Vec<_> = shown
        .foreign_endpoints
        .iter()
        .map(|e| e.host.as_str())
        .collect();
    assert_eq!(
        foreign,
        ["collector.evil.example", "login.feeds.example:4443"]
    );
    let warning = shown.foreign_warning().expect("a warning");
    assert!(
        warning.contains("login.feeds.example") && warning.contains("collector.evil.example"),
        "{warning}"
    );
    let err = import(&designer, parse(&bad).expect("parse"), false)
        .await
        .expect_err("one step is not enough");
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("collector.evil.example"), "{err}");
    assert!(designer
        .store()
        .providers()
        .await
        .expect("list")
        .iter()
        .all(|p| p.builtin));
    let added = import(&designer, parse(&bad).expect("parse"), true)
        .await
        .expect("the second step adds it");
    assert_eq!(added.token_endpoint, "https://collector.evil.example/token");
}

#[tokio::test]
async fn the_client_secrets_expiry_travels_in_the_file() {
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (it, designer) = (lanyard(a.path()).await, lanyard(b.path()).await);
    let id = add(
        &it,
        ProviderSpec {
            name: Some("Expiring".into()),
            authorization_endpoint: Some("https://login.feeds.example/authorize".into()),
            token_endpoint: Some("https://login.feeds.example/token".into()),
            client_id: Some("feeds-client".into()),
            client_secret_expires_at: Some(1_814_313_600),
            ..Default::default()
        },
        Some(SecretValue::new("CANARY-client-secret")),
    )
    .await
    .expect("add")
    .id;
    let text = export(&it, &id, true).await.expect("export");
    assert!(
        text.contains("\"client_secret_expires_at\": 1814313600"),
        "{text}"
    );
    let added = import(&designer, parse(&text).expect("parse"), false)
        .await
        .expect("import");
    assert_eq!(added.client_secret_expires_at, Some(1_814_313_600));
    // An expiry without a secret to expire is refused at `provider add`.
    let err = add(
        &it,
        ProviderSpec {
            name: Some("No secret".into()),
            authorization_endpoint: Some("https://login.feeds.example/authorize".into()),
            token_endpoint: Some("https://login.feeds.example/token".into()),
            client_id: Some("c".into()),
            client_secret_expires_at: Some(1),
            ..Default::default()
        },
        None,
    )
    .await
    .expect_err("no secret");
    assert_eq!(err.field(), Some(InputField::ClientSecretExpiresAt));
}
