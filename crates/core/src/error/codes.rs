//! The closed sets an [`Error`](super::Error) names across process boundaries: its stable
//! code ([`ErrorCode`]) and, for refused input, the form field at fault ([`InputField`]).
//! Declared with `stored_names!`, so each value has one spelling; with the `ts` feature
//! the UI's bindings carry both as union types (`IpcError.code`, `IpcError.field`).

use crate::closed::stored_names;

stored_names! {
    /// The stable, machine-readable code of an [`Error`](super::Error) (CLI JSON, IPC,
    /// the gateway's answers).
    ErrorCode {
        /// [`Error::NotFound`](super::Error::NotFound).
        NotFound = "not_found",
        /// [`Error::InvalidInput`](super::Error::InvalidInput).
        InvalidInput = "invalid_input",
        /// [`Error::Conflict`](super::Error::Conflict).
        Conflict = "conflict",
        /// [`Error::SecretStoreUnavailable`](super::Error::SecretStoreUnavailable).
        SecretStoreUnavailable = "secret_store_unavailable",
        /// [`Error::SchemaTooNew`](super::Error::SchemaTooNew).
        SchemaTooNew = "schema_too_new",
        /// [`Error::Storage`](super::Error::Storage).
        Storage = "storage",
        /// [`Error::Io`](super::Error::Io).
        Io = "io",
        /// [`Error::ProviderUnavailable`](super::Error::ProviderUnavailable).
        ProviderUnavailable = "provider_unavailable",
        /// [`Error::ProviderError`](super::Error::ProviderError).
        ProviderError = "provider_error",
        /// [`Error::InvalidState`](super::Error::InvalidState).
        InvalidState = "invalid_state",
        /// [`Error::AccessDenied`](super::Error::AccessDenied).
        AccessDenied = "access_denied",
        /// [`Error::AuthorizationFailed`](super::Error::AuthorizationFailed).
        AuthorizationFailed = "authorization_failed",
        /// [`Error::AccountMismatch`](super::Error::AccountMismatch).
        AccountMismatch = "account_mismatch",
        /// [`Error::NotLinked`](super::Error::NotLinked).
        NotLinked = "not_linked",
        /// [`Error::UnknownPrincipal`](super::Error::UnknownPrincipal).
        UnknownPrincipal = "unknown_principal",
        /// [`Error::NeedsReauth`](super::Error::NeedsReauth).
        NeedsReauth = "needs_reauth",
        /// [`Error::Revoked`](super::Error::Revoked).
        Revoked = "revoked",
        /// [`Error::RequestFailed`](super::Error::RequestFailed).
        RequestFailed = "request_failed",
        /// [`Error::UnknownContact`](super::Error::UnknownContact).
        UnknownContact = "unknown_contact",
        /// [`Error::BadSignature`](super::Error::BadSignature).
        BadSignature = "bad_signature",
        /// [`Error::WrongRecipient`](super::Error::WrongRecipient).
        WrongRecipient = "wrong_recipient",
        /// [`Error::Replayed`](super::Error::Replayed).
        Replayed = "replayed",
        /// [`Error::Internal`](super::Error::Internal).
        Internal = "internal",
        /// [`Error::Unauthenticated`](super::Error::Unauthenticated).
        Unauthenticated = "unauthenticated",
        /// [`Error::RateLimited`](super::Error::RateLimited).
        RateLimited = "rate_limited",
        /// [`Error::NotCovered`](super::Error::NotCovered).
        NotCovered = "not_covered",
        /// [`Error::ProxyOnly`](super::Error::ProxyOnly).
        ProxyOnly = "proxy_only",
        /// [`Error::NeedsPrompt`](super::Error::NeedsPrompt).
        NeedsPrompt = "needs_prompt",
        /// [`Error::ReflectedCredential`](super::Error::ReflectedCredential).
        ReflectedCredential = "reflected_credential",
        /// [`Error::SessionRequired`](super::Error::SessionRequired).
        SessionRequired = "session_required",
    }
}

stored_names! {
    /// The form field (or command-line argument) refused input was in, so a form shows
    /// the message next to it. The names are the forms' and DTOs' field names in
    /// snake_case.
    InputField {
        /// A URL token's or feed's URL prefix.
        Prefix = "prefix",
        /// A URL token's key.
        Key = "key",
        /// A URL token's value.
        Value = "value",
        /// A name (player, contact, provider, identity).
        Name = "name",
        /// A player's serial.
        Serial = "serial",
        /// How many audit events to list.
        Limit = "limit",
        /// How many hours to pause notifications.
        Hours = "hours",
        /// A data URL.
        Url = "url",
        /// The player a feed link is made for.
        Player = "player",
        /// A feed link's gateway address.
        Gateway = "gateway",
        /// Whether a feed link may carry a query string.
        AllowQuery = "allow_query",
        /// A provider's client id.
        ClientId = "client_id",
        /// A provider's client secret.
        ClientSecret = "client_secret",
        /// When a provider's client secret expires.
        ClientSecretExpiresAt = "client_secret_expires_at",
        /// An OpenID issuer or discovery URL.
        DiscoveryUrl = "discovery_url",
        /// A Microsoft tenant.
        Tenant = "tenant",
        /// A fixed loopback port for the redirect URI.
        LoopbackPort = "loopback_port",
        /// The forced re-authorization interval.
        ReauthDays = "reauth_days",
        /// The explicit confirmation of a provider file's endpoints on other hosts.
        AcceptForeignEndpoints = "accept_foreign_endpoints",
        /// How long stale data may still be shown after a refetch fails.
        KeepStaleFor = "keep_stale_for",
        /// How long the gateway waits for fresh data before it answers stale.
        StaleDeadline = "stale_deadline",
    }
}
