//! Rules for user input that every caller shares (CLI flags, the app's forms, the tray):
//! blank text means "not given". The shell passes what the user typed; the core decides.

/// `None` for text that is absent or only whitespace; the text unchanged otherwise.
pub fn given(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// [`given`] for borrowed text.
pub fn given_str(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_text_is_not_given() {
        assert_eq!(given(Some("  \t".into())), None);
        assert_eq!(given(Some(String::new())), None);
        assert_eq!(given(None), None);
        assert_eq!(given(Some(" x ".into())).as_deref(), Some(" x "));
        assert_eq!(given_str(Some(" ")), None);
        assert_eq!(given_str(Some("LY-1")), Some("LY-1"));
    }
}
