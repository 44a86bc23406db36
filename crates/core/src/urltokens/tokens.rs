//! Adding, editing, removing and listing URL tokens. Values go to the secret store only;
//! nothing here ever returns one.

use serde::{Deserialize, Serialize};

use super::prefix::parse_prefix;
use super::{header_warning, value_key, Placement, UrlToken};
use crate::error::{Error, InputField, Result};
use crate::instance::Lanyard;
use crate::secrets::SecretValue;

/// What the user gives to add a token (the UI's form sends it as it is: its value goes
/// into the backend only).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, rename = "TokenInputDto")
)]
pub struct NewToken {
    /// The URL prefix.
    pub prefix: String,
    /// The key.
    pub key: String,
    /// Form or header.
    pub placement: Placement,
    /// Ask before attaching.
    pub requires_permission: bool,
    /// Ask the value at use time (then `value` must be `None`).
    pub prompt: bool,
    /// The value (required unless `prompt`; null for prompt tokens).
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub value: Option<SecretValue>,
}

/// A change to a token; `None` (null from the UI) leaves a field as it is.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "TokenEditDto"))]
pub struct TokenEdit {
    /// New prefix.
    pub prefix: Option<String>,
    /// New key.
    pub key: Option<String>,
    /// New placement.
    pub placement: Option<Placement>,
    /// New flag.
    pub requires_permission: Option<bool>,
    /// New flag.
    pub prompt: Option<bool>,
    /// Replace the value.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub value: Option<SecretValue>,
}

/// A saved token and what the user should know about it.
#[derive(Debug, Clone, Serialize)]
pub struct Saved {
    /// The token.
    pub token: UrlToken,
    /// Warnings (plain http, an ignored header key).
    pub warnings: Vec<String>,
}

pub(crate) fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid("a token key cannot be empty"));
    }
    if key.len() > 256 {
        return Err(Error::invalid("a token key is limited to 256 bytes"));
    }
    if key.chars().any(char::is_control) {
        return Err(Error::invalid(
            "a token key cannot contain control characters (CR, LF, NUL, …)",
        ));
    }
    Ok(())
}

/// Checks a key for its placement: a named header's key is the header's name.
pub(crate) fn check_key_for(key: &str, placement: Placement) -> Result<()> {
    check_key(key)?;
    if placement == Placement::NamedHeader {
        crate::fetch::headers::check_token_header(key)?;
    }
    Ok(())
}

fn check_value(value: &SecretValue) -> Result<()> {
    if value.expose().len() > 16 * 1024 {
        return Err(Error::invalid("a token value is limited to 16 KiB"));
    }
    if value.expose().chars().any(char::is_control) {
        return Err(Error::invalid(
            "a token value cannot contain control characters (CR, LF, NUL, …)",
        ));
    }
    Ok(())
}

/// Checks a value against the token it belongs to (a Basic user name cannot hold ':').
pub fn check_value_for(key: &str, placement: Placement, value: &SecretValue) -> Result<()> {
    check_value(value)?;
    if placement == Placement::Header && key == "username" && value.expose().contains(':') {
        return Err(Error::invalid(
            "a Basic user name cannot contain ':' (it separates the user name from the password)",
        ));
    }
    Ok(())
}

fn warnings(token: &UrlToken, prefix_warning: Option<String>) -> Vec<String> {
    prefix_warning
        .into_iter()
        .chain(header_warning(token.placement, &token.key))
        .collect()
}

/// Adds a token.
pub async fn add(l: &Lanyard, new: NewToken) -> Result<Saved> {
    let prefix = parse_prefix(&new.prefix).map_err(|e| e.in_field(InputField::Prefix))?;
    check_key_for(&new.key, new.placement).map_err(|e| e.in_field(InputField::Key))?;
    match (&new.value, new.prompt) {
        (Some(_), true) => {
            return Err(Error::invalid_field(
                InputField::Value,
                "a prompt token's value is asked at use time, not stored",
            ))
        }
        (None, false) => {
            return Err(Error::invalid_field(
                InputField::Value,
                "a token needs a value (or --prompt)",
            ))
        }
        (Some(v), false) => check_value_for(&new.key, new.placement, v)
            .map_err(|e| e.in_field(InputField::Value))?,
        (None, true) => {}
    }
    let now = l.clock().now();
    let token = UrlToken {
        id: uuid::Uuid::new_v4().to_string(),
        prefix: prefix.display.clone(),
        key: new.key,
        placement: new.placement,
        requires_permission: new.requires_permission,
        prompt: new.prompt,
        origin: crate::urltokens::TokenOrigin::Own,
        received_from: None,
        viewable: true,
        created_at: now,
        updated_at: now,
    };
    if let Some(value) = new.value {
        l.secrets().set(&value_key(&token.id), value).await?;
    }
    if let Err(err) = l.store().insert_url_token(&token, &prefix.origin).await {
        let _ = l.secrets().delete(&value_key(&token.id)).await;
        return Err(err);
    }
    Ok(Saved {
        warnings: warnings(&token, prefix.warning),
        token,
    })
}

/// Edits a token (the value only by replacing it).
pub async fn edit(l: &Lanyard, id: &str, edit: TokenEdit) -> Result<Saved> {
    let mut token = l.store().url_token(id).await?;
    if token.origin == crate::urltokens::TokenOrigin::Received {
        return Err(Error::invalid(
            "a token received from a contact keeps what its sender fixed (prefix, key, \
             placement, flags and value): you can remove it, not edit it",
        ));
    }
    let old_prefix = token.prefix.clone();
    if let Some(p) = &edit.prefix {
        token.prefix = parse_prefix(p)
            .map_err(|e| e.in_field(InputField::Prefix))?
            .display;
    }
    // A stored value goes only where it was typed for: moving it to another address asks
    // for the value again, so an edit cannot point a secret nobody sees at a new host.
    let moved = token.prefix != old_prefix;
    if let Some(k) = edit.key {
        check_key(&k).map_err(|e| e.in_field(InputField::Key))?;
        token.key = k;
    }
    if let Some(p) = edit.placement {
        token.placement = p;
    }
    if let Some(r) = edit.requires_permission {
        token.requires_permission = r;
    }
    check_key_for(&token.key, token.placement).map_err(|e| e.in_field(InputField::Key))?;
    let was_prompt = token.prompt;
    if let Some(p) = edit.prompt {
        token.prompt = p;
    }
    let prefix = parse_prefix(&token.prefix).map_err(|e| e.in_field(InputField::Prefix))?;
    let stored = l.secrets().get(&value_key(id)).await?;
    match (&edit.value, token.prompt) {
        (Some(_), true) => {
            return Err(Error::invalid_field(
                InputField::Value,
                "a prompt token's value is asked at use time, not stored",
            ))
        }
        (Some(v), false) => check_value_for(&token.key, token.placement, v)
            .map_err(|e| e.in_field(InputField::Value))?,
        (None, false) if was_prompt || stored.is_none() => {
            return Err(Error::invalid_field(
                InputField::Value,
                "this token needs a value now that it is not a prompt token",
            ))
        }
        (None, false) if moved => {
            return Err(Error::invalid_field(
                InputField::Value,
                format!(
                    "enter the value again to send it to {} (it was kept for {old_prefix}): a \
                     stored value never moves to another address on its own",
                    token.prefix
                ),
            ))
        }
        (None, false) => {
            if let Some(v) = &stored {
                check_value_for(&token.key, token.placement, v)
                    .map_err(|e| e.in_field(InputField::Value))?;
            }
        }
        (None, true) => {}
    }
    token.updated_at = l.clock().now();
    l.store().update_url_token(&token, &prefix.origin).await?;
    if let Some(v) = edit.value {
        l.secrets().set(&value_key(id), v).await?;
        // A value read between the row's commit and this write must not outlive it.
        l.store().bump_access_epoch().await?;
    } else if token.prompt {
        l.secrets().delete(&value_key(id)).await?;
        l.store().bump_access_epoch().await?;
    }
    Ok(Saved {
        warnings: warnings(&token, prefix.warning),
        token,
    })
}

/// Removes a token, its value and its permission decisions.
pub async fn remove(l: &Lanyard, id: &str) -> Result<()> {
    l.store().delete_url_token(id).await?;
    l.secrets().delete(&value_key(id)).await
}

/// Every token, by prefix then key.
pub async fn list(l: &Lanyard) -> Result<Vec<UrlToken>> {
    l.store().url_tokens().await
}
