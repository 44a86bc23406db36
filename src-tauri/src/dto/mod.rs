//! Data that crosses IPC. Each type derives `ts_rs::TS`; `cargo test -p lanyard-app`
//! writes the TypeScript into `ui/src/lib/bindings/` (committed; CI fails on a diff).
//! Converted from the core's domain types here, so the core stays free of IPC concerns.
//! No DTO ever carries a secret. This module holds the status, provider, channel,
//! player, audit, URL-token and reminder types; [`preview`] the preview's and
//! [`sharing`] the contacts' and offers' (`sharing.rs` of the shell uses them).

pub mod feeds;
pub mod health;
pub mod preview;
pub mod provider_file;
pub mod sharing;

use lanyard_core::oauth::channel::{Channel, ChannelStatus, Handout};
use lanyard_core::oauth::channels::Disconnected;
use lanyard_core::oauth::flow::AuthorizationStart;
use lanyard_core::oauth::provider::{Provider, ProviderKind, ProviderSpec, RedirectStyle};
use lanyard_core::oauth::quirks::registration;
use lanyard_core::oauth::revoke::Revocation;
use lanyard_core::reminders::Level;
use lanyard_core::secrets::SecretValue;
use lanyard_core::store::audit::{AuditAction, AuditOutcome, AuditRecord, AuditSubject};
use lanyard_core::store::principals::{Link, Principal, PrincipalKind};
use lanyard_core::urltokens::decorate::Attached;
use lanyard_core::urltokens::permission::{Decision, MatchReport};
use lanyard_core::urltokens::tokens::{NewToken, Saved, TokenEdit};
use lanyard_core::urltokens::{Placement, TokenOrigin, UrlToken};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An error as the UI sees it: the core's stable code and its message.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct IpcError {
    /// Stable machine-readable code (`not_found`, `secret_store_unavailable`, …).
    pub code: String,
    /// What happened and what to do, in plain words.
    pub message: String,
    /// For refused input (`invalid_input`): the form field at fault (`prefix`, `key`,
    /// `value`, `name`, …), so the UI shows the message next to it. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

impl From<lanyard_core::Error> for IpcError {
    fn from(err: lanyard_core::Error) -> Self {
        IpcError {
            code: err.code().to_string(),
            field: err.field().map(str::to_string),
            message: err.to_string(),
        }
    }
}

/// Which backend holds the secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum SecretStoreKind {
    /// The OS keyring.
    Keyring,
    /// A 0600 file in the data directory (explicit opt-in).
    File,
    /// Process memory (tests).
    Memory,
    /// Sealed in a shared PostgreSQL database.
    Database,
}

impl From<lanyard_core::secrets::SecretStoreKind> for SecretStoreKind {
    fn from(kind: lanyard_core::secrets::SecretStoreKind) -> Self {
        use lanyard_core::secrets::SecretStoreKind as K;
        match kind {
            K::Keyring => SecretStoreKind::Keyring,
            K::File => SecretStoreKind::File,
            K::Memory => SecretStoreKind::Memory,
            K::Database => SecretStoreKind::Database,
        }
    }
}

/// The secret store in use and its health.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SecretStoreStatusDto {
    /// The backend.
    pub backend: SecretStoreKind,
    /// Whether secrets can be stored and read right now.
    pub usable: bool,
    /// Where secrets are, or why the store cannot be used.
    pub detail: String,
    /// Shown wherever secrets are listed (file store).
    pub warning: Option<String>,
}

/// Which database an installation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum DatabaseBackend {
    /// The SQLite file in the data directory (the default).
    Sqlite,
    /// A PostgreSQL database shared by several gateways (`LANYARD_DATABASE`).
    Postgres,
}

/// What the Settings page shows (the same as `lanyard status`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StatusDto {
    /// Lanyard's version.
    pub version: String,
    /// The data directory.
    pub data_dir: String,
    /// The database: the SQLite file, or the PostgreSQL URL without its password.
    pub database_path: String,
    /// Which database: an SQLite file or a shared PostgreSQL database.
    pub database_backend: DatabaseBackend,
    /// The schema version applied to the database.
    #[ts(type = "number")]
    pub schema_version: i64,
    /// The secret store.
    pub secret_store: SecretStoreStatusDto,
    /// Settings taken from the environment that widen what Lanyard trusts or move its
    /// secrets (`LANYARD_EXTRA_CA_FILE`, `LANYARD_SECRET_STORE`).
    pub environment: Vec<EnvSettingDto>,
    /// Channels whose new master token the secret store refused to save: held in memory
    /// and retried; the account is lost if the app quits before it is saved.
    pub unsaved_master_tokens: Vec<String>,
}

/// A setting in effect from the environment.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct EnvSettingDto {
    /// The environment variable.
    pub variable: String,
    /// Its value (a path or a name).
    pub value: String,
    /// What it does.
    pub effect: String,
}

impl From<lanyard_core::Status> for StatusDto {
    fn from(s: lanyard_core::Status) -> Self {
        StatusDto {
            version: s.version,
            data_dir: s.data_dir.display().to_string(),
            database_path: s.database_path,
            database_backend: match s.database_backend {
                lanyard_core::store::Backend::Sqlite => DatabaseBackend::Sqlite,
                lanyard_core::store::Backend::Postgres => DatabaseBackend::Postgres,
            },
            schema_version: s.schema_version,
            secret_store: SecretStoreStatusDto {
                backend: s.secret_store.backend.into(),
                usable: s.secret_store.usable,
                detail: s.secret_store.detail,
                warning: s.secret_store.warning,
            },
            unsaved_master_tokens: s.unsaved_master_tokens,
            environment: s
                .environment
                .into_iter()
                .map(|e| EnvSettingDto {
                    variable: e.variable,
                    value: e.value,
                    effect: e.effect,
                })
                .collect(),
        }
    }
}

/// Kinds of link the OS can hand to Lanyard: the core's own closed set.
pub use lanyard_core::deep_links::DeepLinkKind;

/// The payload of the `deep-link` event: a link arrived and was accepted, or refused.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[ts(export)]
pub enum DeepLinkEvent {
    /// The link was understood.
    Accepted {
        /// What kind of link it was.
        kind: DeepLinkKind,
    },
    /// The link was refused; nothing was changed.
    Refused {
        /// Why.
        error: IpcError,
    },
}

/// Deep link or loopback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RedirectStyleDto {
    /// `app.lanyard.desktop:/oauth/callback`.
    DeepLink,
    /// `http://127.0.0.1:<port>/callback`.
    Loopback,
}

impl From<RedirectStyle> for RedirectStyleDto {
    fn from(s: RedirectStyle) -> Self {
        match s {
            RedirectStyle::DeepLink => RedirectStyleDto::DeepLink,
            RedirectStyle::Loopback => RedirectStyleDto::Loopback,
        }
    }
}

impl From<RedirectStyleDto> for RedirectStyle {
    fn from(s: RedirectStyleDto) -> Self {
        match s {
            RedirectStyleDto::DeepLink => RedirectStyle::DeepLink,
            RedirectStyleDto::Loopback => RedirectStyle::Loopback,
        }
    }
}

/// A provider (never its client secret).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProviderDto {
    /// Id.
    pub id: String,
    /// Which kind of provider (decides a few protocol details).
    pub kind: ProviderKind,
    /// Display name.
    pub name: String,
    /// A built-in template (copy it with your client id to use it).
    pub builtin: bool,
    /// Issuer.
    pub issuer: Option<String>,
    /// Authorization endpoint.
    pub authorization_endpoint: String,
    /// Your client id.
    pub client_id: Option<String>,
    /// Whether a client secret is stored.
    pub has_client_secret: bool,
    /// Redirect style.
    pub redirect_style: RedirectStyleDto,
    /// API base URLs.
    pub api_base_urls: Vec<String>,
    /// Forced re-authorization interval, days.
    pub reauth_days: Option<u32>,
    /// A fixed loopback port for the redirect URI.
    pub loopback_port: Option<u16>,
    /// What to register at the provider.
    pub registration: RegistrationDto,
}

/// What the user registers at the provider for Lanyard to sign in.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RegistrationDto {
    /// The exact redirect URI (for a template that needs a port: with `<port>` in it).
    pub redirect_uri: String,
    /// Where to register it.
    pub register_at: String,
    /// Anything else the provider needs.
    pub notes: Vec<String>,
}

impl From<Provider> for ProviderDto {
    fn from(p: Provider) -> Self {
        let r = registration(&p);
        let registration = RegistrationDto {
            redirect_uri: r.redirect_uri,
            register_at: r.register_at,
            notes: r.notes,
        };
        ProviderDto {
            kind: p.kind,
            id: p.id,
            name: p.name,
            builtin: p.builtin,
            issuer: p.issuer,
            authorization_endpoint: p.authorization_endpoint,
            client_id: p.client_id,
            has_client_secret: p.has_client_secret,
            redirect_style: p.redirect_style.into(),
            api_base_urls: p.api_base_urls,
            reauth_days: p.forced_reauth_seconds.map(|s| (s / 86_400) as u32),
            loopback_port: p.loopback_port,
            registration,
        }
    }
}

/// What the UI sends to add a provider. The client secret travels only this way (into
/// the backend, to the secret store); it is never sent back.
#[derive(Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProviderInputDto {
    /// `microsoft`, `google` or `dropbox`.
    pub template: Option<String>,
    /// Microsoft tenant.
    pub tenant: Option<String>,
    /// OpenID issuer or discovery URL.
    pub discovery_url: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Explicit authorization endpoint.
    pub authorization_endpoint: Option<String>,
    /// Explicit token endpoint.
    pub token_endpoint: Option<String>,
    /// Revocation endpoint.
    pub revocation_endpoint: Option<String>,
    /// Userinfo endpoint.
    pub userinfo_endpoint: Option<String>,
    /// Scopes (empty: the defaults).
    pub scopes: Vec<String>,
    /// Your client id.
    pub client_id: String,
    /// A client secret, for providers that demand one.
    pub client_secret: Option<String>,
    /// Redirect style (empty: the template's or deep link).
    pub redirect_style: Option<RedirectStyleDto>,
    /// Extra API base URLs.
    pub api_base_urls: Vec<String>,
    /// Forced re-authorization interval, days.
    pub reauth_days: Option<u32>,
    /// A fixed loopback port (Dropbox requires one).
    pub loopback_port: Option<u16>,
    /// When the client secret expires (`2027-06-30`, start of that day UTC, or RFC 3339;
    /// empty: not known).
    pub client_secret_expires_at: Option<String>,
}

impl std::fmt::Debug for ProviderInputDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderInputDto")
            .field("template", &self.template)
            .field("discovery_url", &self.discovery_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

impl ProviderInputDto {
    /// Splits into the core's spec and the secret; a secret expiry that is not a date is
    /// refused (field `client_secret_expires_at`).
    pub fn into_spec(self) -> lanyard_core::Result<(ProviderSpec, Option<SecretValue>)> {
        let client_secret_expires_at = self
            .client_secret_expires_at
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(lanyard_core::oauth::provider::parse_expiry_date)
            .transpose()?;
        // Blank fields mean "not given": the core decides (`ProviderSpec::without_blanks`).
        let secret = self.client_secret.map(SecretValue::new);
        let spec = ProviderSpec {
            id: None,
            template: self.template,
            tenant: self.tenant,
            authority: None,
            loopback_port: self.loopback_port,
            discovery_url: self.discovery_url,
            name: self.name,
            authorization_endpoint: self.authorization_endpoint,
            token_endpoint: self.token_endpoint,
            revocation_endpoint: self.revocation_endpoint,
            userinfo_endpoint: self.userinfo_endpoint,
            issuer: None,
            scopes: self.scopes,
            client_id: Some(self.client_id),
            redirect_style: self.redirect_style.map(Into::into),
            api_base_urls: self.api_base_urls,
            reauth_days: self.reauth_days,
            client_secret_expires_at,
        };
        Ok((spec, secret))
    }
}

/// A channel's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ChannelStatusDto {
    /// Working.
    Active,
    /// The user must re-authorize.
    NeedsReauth,
    /// Revoked.
    Revoked,
}

/// A connected account (no token).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChannelDto {
    /// Id.
    pub id: String,
    /// Provider id.
    pub provider_id: String,
    /// Provider name.
    pub provider_name: String,
    /// Account label (e-mail).
    pub account_label: String,
    /// Status.
    pub status: ChannelStatusDto,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// When connected (Unix seconds).
    #[ts(type = "number")]
    pub connected_at: i64,
    /// Last refresh (Unix seconds).
    #[ts(type = "number | null")]
    pub last_refreshed_at: Option<i64>,
    /// Re-authorize by (Unix seconds).
    #[ts(type = "number | null")]
    pub reauth_due_at: Option<i64>,
    /// The last problem, in plain words.
    pub last_error: Option<String>,
    /// How players get its data: `proxy` (through the gateway, never its token) or
    /// `token` (the provider's token through `/v1/grants`).
    pub handout: Handout,
    /// When the provider's current access token expires (Unix seconds): in `token` mode a
    /// leaked one stays usable at the provider until then.
    #[ts(type = "number | null")]
    pub access_token_expires_at: Option<i64>,
}

impl From<Channel> for ChannelDto {
    fn from(c: Channel) -> Self {
        ChannelDto {
            id: c.id,
            provider_id: c.provider_id,
            provider_name: c.provider_name,
            account_label: c.account_label,
            status: match c.status {
                ChannelStatus::Active => ChannelStatusDto::Active,
                ChannelStatus::NeedsReauth => ChannelStatusDto::NeedsReauth,
                ChannelStatus::Revoked => ChannelStatusDto::Revoked,
            },
            scopes: c.scopes,
            connected_at: c.connected_at,
            last_refreshed_at: c.last_refreshed_at,
            reauth_due_at: c.reauth_due_at,
            last_error: c.last_error,
            handout: c.handout,
            access_token_expires_at: c.access_token_expires_at,
        }
    }
}

/// A sign-in waiting in the browser.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuthorizationDto {
    /// For cancelling.
    pub pending_id: String,
    /// Provider.
    pub provider_id: String,
    /// The channel being re-authorized.
    pub channel_id: Option<String>,
    /// The sign-in page (already opened in the browser).
    pub authorization_url: String,
    /// Expires at (Unix seconds).
    #[ts(type = "number")]
    pub expires_at: i64,
}

impl From<AuthorizationStart> for AuthorizationDto {
    fn from(a: AuthorizationStart) -> Self {
        AuthorizationDto {
            pending_id: a.pending_id,
            provider_id: a.provider_id,
            channel_id: a.channel_id,
            authorization_url: a.authorization_url,
            expires_at: a.expires_at,
        }
    }
}

/// The `oauth-result` event: how a sign-in ended.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[ts(export)]
pub enum OauthResultDto {
    /// Connected or re-authorized.
    Connected {
        /// The channel.
        channel: ChannelDto,
        /// Whether it was a re-authorization.
        reauthorized: bool,
    },
    /// Nothing was stored.
    Failed {
        /// Why.
        error: IpcError,
    },
}

/// What disconnecting did.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DisconnectedDto {
    /// The channel that is gone.
    pub channel_id: String,
    /// What revocation at the provider achieved.
    pub revocation: RevocationOutcome,
    /// Plain words about the revocation, and what the user can still do at the provider
    /// when it did not revoke (Microsoft: remove the app's consent; tokens live 90 days).
    pub revocation_detail: Option<String>,
    /// How many principals lost access.
    pub unlinked: u32,
}

/// What revocation at the provider achieved (the core's [`Revocation`] without its words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RevocationOutcome {
    /// The provider confirmed it.
    Revoked,
    /// The provider has no revocation endpoint.
    NotSupported,
    /// Not confirmed yet; asked again later.
    Pending,
    /// The provider refused it.
    Failed,
}

impl From<Disconnected> for DisconnectedDto {
    fn from(d: Disconnected) -> Self {
        let (revocation, detail) = match d.revocation {
            Revocation::Revoked => (RevocationOutcome::Revoked, None),
            Revocation::NotSupported => (RevocationOutcome::NotSupported, d.advice),
            Revocation::Pending(w) => (RevocationOutcome::Pending, Some(w)),
            Revocation::Failed(w) => (RevocationOutcome::Failed, Some(w)),
        };
        DisconnectedDto {
            channel_id: d.channel_id,
            revocation,
            revocation_detail: detail,
            unlinked: d.unlinked.len() as u32,
        }
    }
}

/// The desktop license or a player.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PrincipalDto {
    /// Id (`license` for the desktop license).
    pub id: String,
    /// The desktop license or a player.
    pub kind: PrincipalKind,
    /// Name.
    pub name: String,
    /// A player's serial.
    pub serial: Option<String>,
    /// When registered (Unix seconds).
    #[ts(type = "number")]
    pub created_at: i64,
    /// When it last received a grant (Unix seconds).
    #[ts(type = "number | null")]
    pub last_seen_at: Option<i64>,
    /// What the gateway last served this screen (players seen by a gateway only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub screen: Option<ScreenStateDto>,
}

/// What the gateway last served a screen (issue 28): the window words it as "showing live
/// data", "showing data from 14:02 — …", "refused: …", "not seen for 3 days".
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ScreenStateDto {
    /// Its last `/v1/fetch` (Unix seconds).
    #[ts(type = "number")]
    pub last_request_at: i64,
    /// `fresh`, `stale` or `refused`.
    pub last_answer: String,
    /// The stale reason or the refusal's code.
    pub last_code: Option<String>,
    /// Since when it has been shown stale data (Unix seconds).
    #[ts(type = "number | null")]
    pub stale_since: Option<i64>,
    /// When the stale data it is shown was fetched (Unix seconds).
    #[ts(type = "number | null")]
    pub data_from: Option<i64>,
}

impl From<lanyard_core::screens::ScreenState> for ScreenStateDto {
    fn from(s: lanyard_core::screens::ScreenState) -> Self {
        ScreenStateDto {
            last_request_at: s.last_request_at,
            last_answer: s.last_answer,
            last_code: s.last_code,
            stale_since: s.stale_since,
            data_from: s.data_from,
        }
    }
}

impl From<Principal> for PrincipalDto {
    fn from(p: Principal) -> Self {
        PrincipalDto {
            id: p.id,
            kind: p.kind,
            name: p.name,
            serial: p.serial,
            created_at: p.created_at,
            last_seen_at: p.last_seen_at,
            screen: None,
        }
    }
}

/// A player just registered or given a new secret. The one reply that carries a secret
/// across IPC: the UI shows it once (copy button, QR code) and keeps it nowhere.
#[derive(Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NewPlayerDto {
    /// The player.
    pub player: PrincipalDto,
    /// Its secret, for `Authorization: Bearer …` at a gateway. Not stored anywhere.
    pub secret: String,
}

impl std::fmt::Debug for NewPlayerDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPlayerDto")
            .field("player", &self.player)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl From<lanyard_core::broker::players::NewPlayer> for NewPlayerDto {
    fn from(n: lanyard_core::broker::players::NewPlayer) -> Self {
        NewPlayerDto {
            secret: n.secret.expose().to_string(),
            player: n.player.into(),
        }
    }
}

/// The player gateway run by the app (Settings).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GatewayDto {
    /// Run it while the app runs (off by default).
    pub enabled: bool,
    /// The address it listens on (loopback).
    pub listen: String,
    /// Origins whose pages may call it from a browser (CORS).
    pub cors_origins: Vec<String>,
    /// `http://…` while it runs.
    pub url: Option<String>,
    /// Why it is not running although enabled.
    pub error: Option<String>,
}

impl From<lanyard_gateway::background::GatewayState> for GatewayDto {
    fn from(s: lanyard_gateway::background::GatewayState) -> Self {
        GatewayDto {
            enabled: s.settings.enabled,
            listen: s.settings.listen,
            cors_origins: s.settings.cors_origins,
            url: s.url,
            error: s.error,
        }
    }
}

/// A link between a principal and a channel.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LinkDto {
    /// The principal.
    pub principal_id: String,
    /// Its name.
    pub principal_name: String,
    /// The channel.
    pub channel_id: String,
    /// The channel's account label.
    pub channel_label: String,
    /// When linked (Unix seconds).
    #[ts(type = "number")]
    pub created_at: i64,
}

/// A link between a principal and a URL token.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TokenLinkDto {
    /// The principal.
    pub principal_id: String,
    /// The URL token.
    pub token_id: String,
    /// When linked (Unix seconds).
    #[ts(type = "number")]
    pub created_at: i64,
}

impl From<lanyard_core::store::access::TokenLink> for TokenLinkDto {
    fn from(k: lanyard_core::store::access::TokenLink) -> Self {
        TokenLinkDto {
            principal_id: k.principal_id,
            token_id: k.token_id,
            created_at: k.created_at,
        }
    }
}

impl From<Link> for LinkDto {
    fn from(k: Link) -> Self {
        LinkDto {
            principal_id: k.principal_id,
            principal_name: k.principal_name,
            channel_id: k.channel_id,
            channel_label: k.channel_label,
            created_at: k.created_at,
        }
    }
}

/// One audit event (never a token).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditEventDto {
    /// Sequence number.
    #[ts(type = "number")]
    pub id: i64,
    /// When (Unix seconds).
    #[ts(type = "number")]
    pub at: i64,
    /// Who.
    pub principal_id: Option<String>,
    /// What.
    pub action: AuditAction,
    /// On what kind of thing.
    pub subject_kind: AuditSubject,
    /// On which.
    pub subject_id: String,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// Plain words.
    pub detail: Option<String>,
}

impl From<AuditRecord> for AuditEventDto {
    fn from(e: AuditRecord) -> Self {
        AuditEventDto {
            id: e.id,
            at: e.at,
            principal_id: e.principal_id,
            action: e.action,
            subject_kind: e.subject_kind,
            subject_id: e.subject_id,
            outcome: e.outcome,
            detail: e.detail,
        }
    }
}

/// Form or header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PlacementDto {
    /// Form field (POST body; query for GET).
    Form,
    /// Authorization header.
    Header,
    /// A header of its own, named by the key (`X-API-Key`).
    NamedHeader,
}

impl From<Placement> for PlacementDto {
    fn from(p: Placement) -> Self {
        match p {
            Placement::Form => PlacementDto::Form,
            Placement::Header => PlacementDto::Header,
            Placement::NamedHeader => PlacementDto::NamedHeader,
        }
    }
}

impl From<PlacementDto> for Placement {
    fn from(p: PlacementDto) -> Self {
        match p {
            PlacementDto::Form => Placement::Form,
            PlacementDto::Header => Placement::Header,
            PlacementDto::NamedHeader => Placement::NamedHeader,
        }
    }
}

/// A URL token (never its value).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct UrlTokenDto {
    /// Id.
    pub id: String,
    /// Normalized prefix.
    pub prefix: String,
    /// Key.
    pub key: String,
    /// Placement.
    pub placement: PlacementDto,
    /// Asks permission.
    pub requires_permission: bool,
    /// Value asked at use time.
    pub prompt: bool,
    /// Your own or received from a contact.
    pub origin: TokenOrigin,
    /// Whether the value may be replaced/viewed (false for received tokens).
    pub viewable: bool,
    /// The contact a received token came from (their id; none once removed).
    pub received_from: Option<String>,
    /// Why a header token will be ignored.
    pub warning: Option<String>,
    /// When last changed (Unix seconds).
    #[ts(type = "number")]
    pub updated_at: i64,
}

impl From<UrlToken> for UrlTokenDto {
    fn from(t: UrlToken) -> Self {
        UrlTokenDto {
            warning: t.header_warning(),
            id: t.id,
            prefix: t.prefix,
            key: t.key,
            placement: t.placement.into(),
            requires_permission: t.requires_permission,
            prompt: t.prompt,
            origin: t.origin,
            viewable: t.viewable,
            received_from: t.received_from,
            updated_at: t.updated_at,
        }
    }
}

/// A saved token and its warnings.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SavedTokenDto {
    /// The token.
    pub token: UrlTokenDto,
    /// Warnings (plain http, ignored header key).
    pub warnings: Vec<String>,
}

impl From<Saved> for SavedTokenDto {
    fn from(s: Saved) -> Self {
        SavedTokenDto {
            token: s.token.into(),
            warnings: s.warnings,
        }
    }
}

/// A new token from the UI. The value travels into the backend only.
#[derive(Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TokenInputDto {
    /// URL prefix.
    pub prefix: String,
    /// Key.
    pub key: String,
    /// Placement.
    pub placement: PlacementDto,
    /// Ask permission.
    pub requires_permission: bool,
    /// Ask the value at use time.
    pub prompt: bool,
    /// The value (null for prompt tokens).
    pub value: Option<String>,
}

impl std::fmt::Debug for TokenInputDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenInputDto")
            .field("prefix", &self.prefix)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl TokenInputDto {
    /// Into the core's input.
    pub fn into_new(self) -> Result<NewToken, IpcError> {
        Ok(NewToken {
            prefix: self.prefix,
            key: self.key,
            placement: self.placement.into(),
            requires_permission: self.requires_permission,
            prompt: self.prompt,
            value: self.value.map(SecretValue::new),
        })
    }
}

/// A change from the UI; null fields stay as they are.
#[derive(Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TokenEditDto {
    /// New prefix.
    pub prefix: Option<String>,
    /// New key.
    pub key: Option<String>,
    /// New placement.
    pub placement: Option<PlacementDto>,
    /// New flag.
    pub requires_permission: Option<bool>,
    /// New flag.
    pub prompt: Option<bool>,
    /// Replacement value.
    pub value: Option<String>,
}

impl std::fmt::Debug for TokenEditDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenEditDto")
            .field("prefix", &self.prefix)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl TokenEditDto {
    /// Into the core's edit.
    pub fn into_edit(self) -> TokenEdit {
        TokenEdit {
            prefix: self.prefix,
            key: self.key,
            placement: self.placement.map(Into::into),
            requires_permission: self.requires_permission,
            prompt: self.prompt,
            value: self.value.map(SecretValue::new),
        }
    }
}

/// One line of a match report.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct MatchLineDto {
    /// Token id.
    pub token_id: String,
    /// Prefix.
    pub prefix: String,
    /// Key.
    pub key: String,
    /// Where it goes; null when ignored.
    pub attached: Option<Attached>,
    /// Why ignored.
    pub reason: Option<String>,
    /// Permission will be asked first.
    pub asks_permission: bool,
    /// The value will be asked at use time.
    pub prompt: bool,
}

/// What a request would carry.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct MatchReportDto {
    /// The URL as parsed (host in punycode).
    pub url: String,
    /// Method.
    pub method: String,
    /// Form tokens go to the query (GET).
    pub form_in_query: bool,
    /// Attached.
    pub attached: Vec<MatchLineDto>,
    /// Ignored.
    pub ignored: Vec<MatchLineDto>,
}

impl From<MatchReport> for MatchReportDto {
    fn from(r: MatchReport) -> Self {
        MatchReportDto {
            url: r.url,
            method: r.method,
            form_in_query: r.form_in_query,
            attached: r
                .attached
                .into_iter()
                .map(|a| MatchLineDto {
                    token_id: a.line.token_id,
                    prefix: a.line.prefix,
                    key: a.line.key,
                    attached: a.line.attached,
                    reason: a.line.reason,
                    asks_permission: a.asks_permission,
                    prompt: a.prompt,
                })
                .collect(),
            ignored: r
                .ignored
                .into_iter()
                .map(|i| MatchLineDto {
                    token_id: i.token_id,
                    prefix: i.prefix,
                    key: i.key,
                    attached: None,
                    reason: i.reason,
                    asks_permission: false,
                    prompt: false,
                })
                .collect(),
        }
    }
}

/// A stored "Accept all".
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DecisionDto {
    /// Id.
    pub id: String,
    /// Token id.
    pub token_id: String,
    /// Prefix.
    pub prefix: String,
    /// Key.
    pub key: String,
    /// The URL it was given for.
    pub url: Option<String>,
    /// When (Unix seconds).
    #[ts(type = "number")]
    pub decided_at: i64,
}

impl From<Decision> for DecisionDto {
    fn from(d: Decision) -> Self {
        DecisionDto {
            id: d.id,
            token_id: d.token_id,
            prefix: d.prefix,
            key: d.key,
            url: d.url,
            decided_at: d.decided_at,
        }
    }
}

/// One due reminder.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReminderDto {
    /// Channel.
    pub channel_id: String,
    /// How urgent.
    pub level: Level,
    /// Re-authorize by (Unix seconds).
    #[ts(type = "number | null")]
    pub due_at: Option<i64>,
    /// What the tray says.
    pub message: String,
}

/// Reminders for the Settings page.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RemindersDto {
    /// Due reminders, most urgent first.
    pub reminders: Vec<ReminderDto>,
    /// Next threshold crossing (Unix seconds).
    #[ts(type = "number | null")]
    pub next_check_at: Option<i64>,
    /// First reminder, days before.
    #[ts(type = "number")]
    pub soon_days: i64,
    /// Last reminder, days before.
    #[ts(type = "number")]
    pub imminent_days: i64,
    /// Notifications paused until (Unix seconds).
    #[ts(type = "number | null")]
    pub paused_until: Option<i64>,
}

impl RemindersDto {
    /// From the core's schedule and settings.
    pub fn new(
        s: lanyard_core::reminders::Schedule,
        t: lanyard_core::reminders::Thresholds,
        paused_until: Option<i64>,
    ) -> Self {
        RemindersDto {
            reminders: s
                .reminders
                .into_iter()
                .map(|r| ReminderDto {
                    channel_id: r.channel_id,
                    level: r.level,
                    due_at: r.due_at,
                    message: r.message,
                })
                .collect(),
            next_check_at: s.next_check_at,
            soon_days: t.soon_days,
            imminent_days: t.imminent_days,
            paused_until,
        }
    }
}
