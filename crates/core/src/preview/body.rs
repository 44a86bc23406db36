//! Typing a response body for display: JSON pretty-printed, XML, text, or image bytes
//! (base64) with their MIME type; anything else as raw bytes.

use base64::Engine;
use serde::Serialize;

/// A response body ready to show.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "BodyDto"))]
pub enum Body {
    /// Empty.
    Empty,
    /// JSON, pretty-printed.
    Json {
        /// The pretty text.
        text: String,
    },
    /// XML.
    Xml {
        /// The text.
        text: String,
    },
    /// Other text.
    Text {
        /// The text.
        text: String,
    },
    /// An image.
    Image {
        /// Its MIME type.
        mime: String,
        /// Base64 bytes.
        base64: String,
    },
    /// Anything else.
    Binary {
        /// Its MIME type, if any.
        mime: Option<String>,
        /// Base64 bytes.
        base64: String,
    },
}

/// Types `bytes` by `content_type` (and by sniffing JSON/XML when the type is vague).
pub fn classify(content_type: Option<&str>, bytes: &[u8]) -> Body {
    if bytes.is_empty() {
        return Body::Empty;
    }
    let mime = content_type
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let b64 = || base64::engine::general_purpose::STANDARD.encode(bytes);
    if mime.starts_with("image/") {
        return Body::Image {
            mime,
            base64: b64(),
        };
    }
    let text = std::str::from_utf8(bytes).ok();
    let jsonish = mime == "application/json"
        || mime.ends_with("+json")
        || mime.is_empty()
        || mime == "text/plain";
    if let (Some(t), true) = (text, jsonish) {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(t) {
            let pretty = serde_json::to_string_pretty(&value).unwrap_or_else(|_| t.to_string());
            return Body::Json { text: pretty };
        }
    }
    if let Some(t) = text {
        if mime.ends_with("xml") || (mime.is_empty() && t.trim_start().starts_with("<?xml")) {
            return Body::Xml {
                text: t.to_string(),
            };
        }
        if mime.starts_with("text/")
            || mime.is_empty()
            || mime.ends_with("json")
            || mime.contains("javascript")
        {
            return Body::Text {
                text: t.to_string(),
            };
        }
    }
    Body::Binary {
        mime: (!mime.is_empty()).then_some(mime),
        base64: b64(),
    }
}
