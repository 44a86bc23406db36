//! The questions asked before tokens are sent (the `prompt-request` event) and the
//! user's replies (`prompt_answer`): token prefixes and keys, never a value going out;
//! values typed by the user travel only into the backend.

use lanyard_core::urltokens::permission::{Answer, AskedToken};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A token in a question.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AskedTokenDto {
    /// Token id.
    pub token_id: String,
    /// Its prefix.
    pub prefix: String,
    /// Its key.
    pub key: String,
}

/// A question for the user.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum PromptRequestDto {
    /// May these tokens be sent?
    Permission {
        /// Answer with this id.
        id: String,
        /// Origin (host in punycode).
        origin: String,
        /// Full URL.
        url: String,
        /// Method.
        method: String,
        /// The tokens.
        tokens: Vec<AskedTokenDto>,
    },
    /// Values for prompt tokens.
    Values {
        /// Answer with this id.
        id: String,
        /// Origin.
        origin: String,
        /// Full URL.
        url: String,
        /// One field per token.
        tokens: Vec<AskedTokenDto>,
    },
}

/// The user's reply. Values travel into the backend only.
#[derive(Clone, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum PromptReplyDto {
    /// accept, deny or accept_all.
    Permission {
        /// The answer.
        answer: Answer,
    },
    /// Values in the order asked; `null` = cancelled.
    Values {
        /// The values.
        values: Option<Vec<String>>,
    },
}

impl std::fmt::Debug for PromptReplyDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PromptReplyDto::Permission { answer } => write!(f, "Permission({answer:?})"),
            PromptReplyDto::Values { .. } => f.write_str("Values([redacted])"),
        }
    }
}

impl AskedTokenDto {
    /// The tokens of a question.
    pub fn list(tokens: &[AskedToken]) -> Vec<AskedTokenDto> {
        tokens
            .iter()
            .map(|t| AskedTokenDto {
                token_id: t.token_id.clone(),
                prefix: t.prefix.clone(),
                key: t.key.clone(),
            })
            .collect()
    }
}
