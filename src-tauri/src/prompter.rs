//! The desktop [`Prompter`]: a question becomes a `prompt-request` event the UI shows as a
//! modal dialog (origin in punycode, method, token prefixes and keys — never a value); the
//! UI answers with the `prompt_answer` command. No answer in time counts as Deny (the core
//! enforces the timeout).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lanyard_core::secrets::SecretValue;
use lanyard_core::urltokens::permission::{
    Answer, Asked, PermissionRequest, Prompter, ValuesRequest,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::oneshot;
use ts_rs::TS;

use crate::window;

/// The event the UI listens to.
pub const EVENT: &str = "prompt-request";

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
        answer: PermissionAnswerDto,
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

/// Accept (this time), Deny, Accept all.
#[derive(Debug, Clone, Copy, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PermissionAnswerDto {
    /// This time.
    Accept,
    /// No.
    Deny,
    /// Always for these tokens.
    AcceptAll,
}

enum Waiter {
    Permission(oneshot::Sender<Answer>),
    Values(oneshot::Sender<Option<Vec<SecretValue>>>),
}

/// Questions waiting for the UI.
#[derive(Clone, Default)]
pub struct Pending(Arc<Mutex<HashMap<String, Waiter>>>);

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pending")
    }
}

impl Pending {
    /// Delivers the UI's reply; false when nothing waits under `id`.
    pub fn answer(&self, id: &str, reply: PromptReplyDto) -> bool {
        let waiter = self.0.lock().ok().and_then(|mut m| m.remove(id));
        match (waiter, reply) {
            (Some(Waiter::Permission(tx)), PromptReplyDto::Permission { answer }) => {
                let answer = match answer {
                    PermissionAnswerDto::Accept => Answer::Accept,
                    PermissionAnswerDto::Deny => Answer::Deny,
                    PermissionAnswerDto::AcceptAll => Answer::AcceptAll,
                };
                tx.send(answer).is_ok()
            }
            (Some(Waiter::Values(tx)), PromptReplyDto::Values { values }) => tx
                .send(values.map(|v| v.into_iter().map(SecretValue::new).collect()))
                .is_ok(),
            _ => false,
        }
    }
}

/// The prompter for one app.
pub struct DesktopPrompter<R: Runtime> {
    app: AppHandle<R>,
    pending: Pending,
}

impl<R: Runtime> std::fmt::Debug for DesktopPrompter<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DesktopPrompter")
    }
}

impl<R: Runtime> DesktopPrompter<R> {
    /// A prompter asking through `app`'s window.
    pub fn new(app: AppHandle<R>, pending: Pending) -> Self {
        DesktopPrompter { app, pending }
    }

    fn ask(&self, id: &str, waiter: Waiter, request: PromptRequestDto) {
        if let Ok(mut map) = self.pending.0.lock() {
            map.insert(id.to_string(), waiter);
        }
        if let Err(err) = self.app.emit(EVENT, &request) {
            tracing::warn!("could not show a question: {err}");
        }
        window::show_main(&self.app);
    }
}

fn tokens(t: &[lanyard_core::urltokens::permission::AskedToken]) -> Vec<AskedTokenDto> {
    t.iter()
        .map(|t| AskedTokenDto {
            token_id: t.token_id.clone(),
            prefix: t.prefix.clone(),
            key: t.key.clone(),
        })
        .collect()
}

impl<R: Runtime> Prompter for DesktopPrompter<R> {
    fn permission<'a>(&'a self, request: &'a PermissionRequest) -> Asked<'a, Answer> {
        Box::pin(async move {
            let id = uuid::Uuid::new_v4().to_string();
            let (tx, rx) = oneshot::channel();
            self.ask(
                &id,
                Waiter::Permission(tx),
                PromptRequestDto::Permission {
                    id: id.clone(),
                    origin: request.origin.clone(),
                    url: request.url.clone(),
                    method: request.method.clone(),
                    tokens: tokens(&request.tokens),
                },
            );
            rx.await.unwrap_or(Answer::Deny)
        })
    }

    fn values<'a>(&'a self, request: &'a ValuesRequest) -> Asked<'a, Option<Vec<SecretValue>>> {
        Box::pin(async move {
            let id = uuid::Uuid::new_v4().to_string();
            let (tx, rx) = oneshot::channel();
            self.ask(
                &id,
                Waiter::Values(tx),
                PromptRequestDto::Values {
                    id: id.clone(),
                    origin: request.origin.clone(),
                    url: request.url.clone(),
                    tokens: tokens(&request.tokens),
                },
            );
            rx.await.ok().flatten()
        })
    }
}
