//! Within one fetch the user is asked at most once per token: later hops reuse the
//! answers (a redirect to the same origin must not ask again).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::secrets::SecretValue;
use crate::urltokens::permission::{Answer, Asked, PermissionRequest, Prompter, ValuesRequest};

pub(crate) struct Once<'p> {
    inner: &'p dyn Prompter,
    answers: Mutex<HashMap<String, Answer>>,
    values: Mutex<HashMap<String, String>>,
    waited: Mutex<Duration>,
}

impl<'p> Once<'p> {
    pub(crate) fn new(inner: &'p dyn Prompter) -> Self {
        Once {
            inner,
            answers: Mutex::default(),
            values: Mutex::default(),
            waited: Mutex::default(),
        }
    }

    /// How long the user took to answer, in total (kept out of the timings).
    pub(crate) fn waited(&self) -> Duration {
        *self.waited.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn add_wait(&self, since: Instant) {
        *self.waited.lock().unwrap_or_else(|p| p.into_inner()) += since.elapsed();
    }
}

impl Prompter for Once<'_> {
    fn permission<'a>(&'a self, request: &'a PermissionRequest) -> Asked<'a, Answer> {
        Box::pin(async move {
            let known: Option<Answer> = {
                let answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
                let all: Vec<Option<&Answer>> = request
                    .tokens
                    .iter()
                    .map(|t| answers.get(&t.token_id))
                    .collect();
                if all.iter().all(Option::is_some) {
                    all.first().copied().flatten().copied()
                } else {
                    None
                }
            };
            if let Some(answer) = known {
                return answer;
            }
            let asked = Instant::now();
            let answer = self.inner.permission(request).await;
            self.add_wait(asked);
            let mut answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
            for t in &request.tokens {
                answers.insert(t.token_id.clone(), answer);
            }
            answer
        })
    }

    fn values<'a>(&'a self, request: &'a ValuesRequest) -> Asked<'a, Option<Vec<SecretValue>>> {
        Box::pin(async move {
            let known: Option<Vec<SecretValue>> = {
                let values = self.values.lock().unwrap_or_else(|p| p.into_inner());
                request
                    .tokens
                    .iter()
                    .map(|t| {
                        values
                            .get(&t.token_id)
                            .map(|v| SecretValue::new(v.as_str()))
                    })
                    .collect()
            };
            if known.is_some() {
                return known;
            }
            let asked = Instant::now();
            let got = self.inner.values(request).await;
            self.add_wait(asked);
            let got = got?;
            let mut values = self.values.lock().unwrap_or_else(|p| p.into_inner());
            for (t, v) in request.tokens.iter().zip(&got) {
                values.insert(t.token_id.clone(), v.expose().to_string());
            }
            Some(got)
        })
    }
}
