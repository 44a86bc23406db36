//! The desktop [`Prompter`]: a question becomes a `prompt-request` event the UI shows as a
//! modal dialog (origin in punycode, method, token prefixes and keys — never a value); the
//! UI answers with the `prompt_answer` command. No answer in time counts as Deny (the core
//! enforces the timeout). The question and reply types are in [`crate::dto::prompts`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lanyard_core::secrets::SecretValue;
use lanyard_core::urltokens::permission::{
    Answer, Asked, PermissionRequest, Prompter, ValuesRequest,
};
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::oneshot;

use crate::dto::{AskedTokenDto, PromptReplyDto, PromptRequestDto};
use crate::events::EventName;
use crate::window;

/// The event the UI listens to.
pub const EVENT: &str = EventName::PromptRequest.as_str();

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
                    tokens: AskedTokenDto::list(&request.tokens),
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
                    tokens: AskedTokenDto::list(&request.tokens),
                },
            );
            rx.await.ok().flatten()
        })
    }
}
