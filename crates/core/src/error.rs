//! The one error type of Lanyard. Every variant has a stable `code` that crosses IPC and
//! appears in CLI JSON as `{ "code", "message" }`.
//!
//! Invariant: a message never holds a secret. Variants carry plain words written by the
//! core, never a provider response body or a value read from the secret store.

use serde::ser::SerializeStruct;

mod codes;

pub use codes::{ErrorCode, InputField};

/// Lanyard's error. Match on it, or on [`Error::code`] across process boundaries.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The input was refused; nothing was changed. `field` names the form field (or
    /// argument) at fault when there is one, so a form shows the message next to it
    /// (`prefix`, `key`, `value`, `name`, `serial`, `limit`, `hours`, …).
    #[error("{message}")]
    InvalidInput {
        /// The field at fault, if one is.
        field: Option<InputField>,
        /// What is wrong, in plain words.
        message: String,
    },
    /// The change conflicts with what is already stored.
    #[error("{0}")]
    Conflict(String),
    /// No usable secret store: Lanyard refuses to keep secrets anywhere else.
    #[error("{0}")]
    SecretStoreUnavailable(String),
    /// The database was written by a newer Lanyard.
    #[error("{0}")]
    SchemaTooNew(String),
    /// The database could not be opened, read or written.
    #[error("{0}")]
    Storage(String),
    /// A file or directory could not be used.
    #[error("{0}")]
    Io(String),
    /// The provider cannot be reached or is temporarily unavailable (timeouts, 5xx, 429).
    #[error("{0}")]
    ProviderUnavailable(String),
    /// The provider refused a request or answered something that is not valid OAuth.
    #[error("{0}")]
    ProviderError(String),
    /// An authorization callback with a missing, unknown, expired or used `state`.
    #[error("{0}")]
    InvalidState(String),
    /// The user declined access at the provider.
    #[error("{0}")]
    AccessDenied(String),
    /// An authorization failed for another reason (an `error` from the provider, a wrong
    /// `iss`, no code).
    #[error("{0}")]
    AuthorizationFailed(String),
    /// Re-authorization came back with a different account.
    #[error("{0}")]
    AccountMismatch(String),
    /// The principal is not linked to the channel.
    #[error("{0}")]
    NotLinked(String),
    /// No such principal (never registered, or removed).
    #[error("{0}")]
    UnknownPrincipal(String),
    /// The channel needs re-authorization before it can be used again.
    #[error("{0}")]
    NeedsReauth(String),
    /// The channel was disconnected or revoked.
    #[error("{0}")]
    Revoked(String),
    /// A data request could not be completed (timeout, refused, TLS, too many redirects).
    #[error("{0}")]
    RequestFailed(String),
    /// A contact card or offer from someone who is not one of your contacts.
    #[error("{0}")]
    UnknownContact(String),
    /// A contact card or offer whose signature does not verify (altered or forged).
    #[error("{0}")]
    BadSignature(String),
    /// An offer sealed for another installation.
    #[error("{0}")]
    WrongRecipient(String),
    /// An offer that was already imported (accepted, rejected or waiting).
    #[error("{0}")]
    Replayed(String),
    /// A bug: something that should not happen did.
    #[error("{0}")]
    Internal(String),
    /// A request to a gateway carried no valid player secret.
    #[error("{0}")]
    Unauthenticated(String),
    /// Too many failed attempts or requests; try again later.
    #[error("{0}")]
    RateLimited(String),
    /// No credential linked to this principal covers the URL: nothing was fetched.
    #[error("{0}")]
    NotCovered(String),
    /// The channel hands out data through the gateway only, never its provider token.
    #[error("{0}")]
    ProxyOnly(String),
    /// The token's value is asked at use time, which no player can answer.
    #[error("{0}")]
    NeedsPrompt(String),
    /// The upstream answer holds a credential value that was sent (in any encoding), or
    /// cannot be checked for one: it is not passed on to a player.
    #[error("{0}")]
    ReflectedCredential(String),
    /// The gateway accepts only session tokens for data (`--sessions-only`): the player
    /// secret buys a session at `POST /v1/sessions` and stays out of screen content.
    #[error("{0}")]
    SessionRequired(String),
}

impl Error {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// The stable code of this error, as the closed set [`ErrorCode`].
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::InvalidInput { .. } => ErrorCode::InvalidInput,
            Error::Conflict(_) => ErrorCode::Conflict,
            Error::SecretStoreUnavailable(_) => ErrorCode::SecretStoreUnavailable,
            Error::SchemaTooNew(_) => ErrorCode::SchemaTooNew,
            Error::Storage(_) => ErrorCode::Storage,
            Error::Io(_) => ErrorCode::Io,
            Error::ProviderUnavailable(_) => ErrorCode::ProviderUnavailable,
            Error::ProviderError(_) => ErrorCode::ProviderError,
            Error::InvalidState(_) => ErrorCode::InvalidState,
            Error::AccessDenied(_) => ErrorCode::AccessDenied,
            Error::AuthorizationFailed(_) => ErrorCode::AuthorizationFailed,
            Error::AccountMismatch(_) => ErrorCode::AccountMismatch,
            Error::NotLinked(_) => ErrorCode::NotLinked,
            Error::UnknownPrincipal(_) => ErrorCode::UnknownPrincipal,
            Error::NeedsReauth(_) => ErrorCode::NeedsReauth,
            Error::Revoked(_) => ErrorCode::Revoked,
            Error::RequestFailed(_) => ErrorCode::RequestFailed,
            Error::UnknownContact(_) => ErrorCode::UnknownContact,
            Error::BadSignature(_) => ErrorCode::BadSignature,
            Error::WrongRecipient(_) => ErrorCode::WrongRecipient,
            Error::Replayed(_) => ErrorCode::Replayed,
            Error::Internal(_) => ErrorCode::Internal,
            Error::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Error::RateLimited(_) => ErrorCode::RateLimited,
            Error::NotCovered(_) => ErrorCode::NotCovered,
            Error::ProxyOnly(_) => ErrorCode::ProxyOnly,
            Error::NeedsPrompt(_) => ErrorCode::NeedsPrompt,
            Error::ReflectedCredential(_) => ErrorCode::ReflectedCredential,
            Error::SessionRequired(_) => ErrorCode::SessionRequired,
        }
    }

    /// Refused input, not about one field in particular.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: None,
            message: message.into(),
        }
    }

    /// Refused input in `field`.
    pub fn invalid_field(field: InputField, message: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: Some(field),
            message: message.into(),
        }
    }

    /// The same error, saying the input was `field` when it is refused input (a checker
    /// shared by several fields does not know which one it checked).
    pub fn in_field(self, field: InputField) -> Self {
        match self {
            Error::InvalidInput { message, .. } => Error::InvalidInput {
                field: Some(field),
                message,
            },
            other => other,
        }
    }

    /// The field refused input was in, if it names one.
    pub fn field(&self) -> Option<InputField> {
        match self {
            Error::InvalidInput { field, .. } => *field,
            _ => None,
        }
    }

    /// An I/O failure, described as what was being done and the OS's words.
    pub fn io(what: &str, err: &std::io::Error) -> Self {
        Error::Io(format!("{what}: {err}"))
    }
}

impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Error", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => Error::NotFound("no such record".into()),
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::Conflict("a record with the same identity already exists".into())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                Error::invalid("the record refers to something that does not exist")
            }
            other => Error::Storage(format!("database error: {other}")),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        Error::Storage(format!("could not migrate the database: {err}"))
    }
}

/// The result type of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_code_and_message() {
        let err = Error::NotFound("channel 42 does not exist".into());
        let json = serde_json::to_value(&err).expect("serialize");
        assert_eq!(
            json,
            serde_json::json!({ "code": "not_found", "message": "channel 42 does not exist" })
        );
    }

    #[test]
    fn refused_input_names_its_field_and_keeps_code_and_message() {
        let err = Error::invalid("a token key cannot be empty").in_field(InputField::Key);
        assert_eq!(err.field(), Some(InputField::Key));
        assert_eq!(err.code(), "invalid_input");
        // The CLI's JSON stays `{ code, message }`.
        assert_eq!(
            serde_json::to_value(&err).expect("serialize"),
            serde_json::json!({ "code": "invalid_input", "message": "a token key cannot be empty" })
        );
        assert_eq!(
            Error::NotFound("x".into())
                .in_field(InputField::Key)
                .field(),
            None
        );
    }

    #[test]
    fn every_variant_has_a_listed_code() {
        let all = [
            Error::NotFound(String::new()),
            Error::invalid(String::new()),
            Error::Conflict(String::new()),
            Error::SecretStoreUnavailable(String::new()),
            Error::SchemaTooNew(String::new()),
            Error::Storage(String::new()),
            Error::Io(String::new()),
            Error::ProviderUnavailable(String::new()),
            Error::ProviderError(String::new()),
            Error::InvalidState(String::new()),
            Error::AccessDenied(String::new()),
            Error::AuthorizationFailed(String::new()),
            Error::AccountMismatch(String::new()),
            Error::NotLinked(String::new()),
            Error::UnknownPrincipal(String::new()),
            Error::NeedsReauth(String::new()),
            Error::Revoked(String::new()),
            Error::RequestFailed(String::new()),
            Error::UnknownContact(String::new()),
            Error::BadSignature(String::new()),
            Error::WrongRecipient(String::new()),
            Error::Replayed(String::new()),
            Error::Internal(String::new()),
            Error::Unauthenticated(String::new()),
            Error::RateLimited(String::new()),
            Error::NotCovered(String::new()),
            Error::ProxyOnly(String::new()),
            Error::NeedsPrompt(String::new()),
            Error::ReflectedCredential(String::new()),
            Error::SessionRequired(String::new()),
        ];
        let codes: Vec<_> = all.iter().map(Error::error_code).collect();
        assert_eq!(codes, ErrorCode::ALL);
        // The text code is the closed set's spelling.
        for err in &all {
            assert_eq!(err.code(), err.error_code().as_str());
        }
    }
}
