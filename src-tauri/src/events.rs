//! The events the shell emits to the window, in one closed list: each emitter's name
//! (`deep_link::EVENT`, `oauth::EVENT`, …) is taken from [`EventName`], which is exported
//! to the UI's bindings as a union (`bindings/EventName.ts`). `ipc.ts` listens through
//! that type, its `events.contract.test.ts` checks that the UI listens to exactly these
//! names, and this module's tests that every emit goes through the list and that `ipc.ts`
//! listens to each. Renaming an event on one side fails a test on the other.

use serde::Serialize;
use ts_rs::TS;

/// Declares the list: the enum, every value, and each one's name on the wire.
macro_rules! event_names {
    ($($(#[$meta:meta])* $variant:ident = $text:literal,)+) => {
        /// An event the shell emits to the window.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
        #[ts(export)]
        pub enum EventName {
            $($(#[$meta])* #[serde(rename = $text)] $variant,)+
        }

        impl EventName {
            /// Every event, in declaration order.
            pub const ALL: &'static [EventName] = &[$(EventName::$variant,)+];

            /// The name the window listens to.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(EventName::$variant => $text,)+
                }
            }
        }
    };
}

event_names! {
    /// A link the OS handed to Lanyard, accepted or refused (`DeepLinkEvent`).
    DeepLink = "deep-link",
    /// How a sign-in ended (`OauthResultDto`).
    OauthResult = "oauth-result",
    /// A question before tokens are sent (`PromptRequestDto`).
    PromptRequest = "prompt-request",
    /// A provider file that arrived from outside (`ProviderFileEventDto`).
    ProviderFile = "provider-file",
    /// The Token requests inbox changed (`TokenRequestsEvent`).
    TokenRequests = "token-requests",
    /// A contact card that waits for confirmation (`CardPreviewDto`).
    ContactCard = "contact-card",
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::EventName;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// The first string literal after each `pattern` in `text`.
    fn literals_after(text: &str, pattern: &str) -> Vec<String> {
        text.match_indices(pattern)
            .filter_map(|(at, _)| {
                let rest = &text[at + pattern.len()..];
                let open = rest.find('"')?;
                let close = rest[open + 1..].find('"')?;
                Some(rest[open + 1..open + 1 + close].to_string())
            })
            .collect()
    }

    #[test]
    fn each_name_is_its_serialized_form_and_unique() {
        let mut seen = BTreeSet::new();
        for name in EventName::ALL {
            assert_eq!(
                serde_json::to_value(name).expect("json"),
                name.as_str(),
                "{name:?}"
            );
            assert!(seen.insert(name.as_str()), "{name:?} twice");
        }
    }

    #[test]
    fn the_emitters_use_the_list() {
        let emitters = [
            crate::deep_link::EVENT,
            crate::oauth::EVENT,
            crate::prompter::EVENT,
            crate::provider_files::EVENT,
            crate::sharing::REQUESTS_EVENT,
            crate::sharing::CARD_EVENT,
        ];
        let listed: BTreeSet<_> = EventName::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(emitters.into_iter().collect::<BTreeSet<_>>(), listed);
        // No emit names its event by a string of its own (this file aside: it holds the list).
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("events.rs")
                {
                    let text = read(&path);
                    for (at, _) in text.match_indices(".emit(") {
                        let arg = text[at + ".emit(".len()..].trim_start();
                        assert!(
                            !arg.starts_with('"'),
                            "{} emits an event by a string literal: name it in events.rs",
                            path.display()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_window_listens_to_each_event() {
        let ipc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/ipc.ts");
        let listened: BTreeSet<String> = literals_after(&read(&ipc), "return listenTo<")
            .into_iter()
            .collect();
        let listed: BTreeSet<String> = EventName::ALL
            .iter()
            .map(|e| e.as_str().to_string())
            .collect();
        assert_eq!(
            listened, listed,
            "ui/src/lib/ipc.ts listens (`return listenTo<…>(\"name\", …)`) to exactly the events in events.rs"
        );
    }
}
