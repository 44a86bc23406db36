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

/// A duration as people type it: a number with a unit, `ms`, `s`, `m`, `h` or `d`
/// (`500ms`, `90s`, `2h`, `1d`), or plain seconds (`0`, `300`). `field` names the flag in
/// the error.
pub fn duration(text: &str, field: crate::error::InputField) -> crate::Result<std::time::Duration> {
    let t = text.trim().to_ascii_lowercase();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let refused = || crate::Error::InvalidInput {
        field: Some(field),
        message: format!(
            "{text:?} is not a duration: give a number with ms, s, m, h or d (e.g. 2h), or \
             seconds"
        ),
    };
    let n: u64 = number.parse().map_err(|_| refused())?;
    let millis = match unit.trim() {
        "ms" => Some(n),
        "" | "s" => n.checked_mul(1000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        _ => None,
    }
    .ok_or_else(refused)?;
    Ok(std::time::Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_typed() {
        let d = |t| duration(t, crate::error::InputField::KeepStaleFor).map(|d| d.as_millis());
        assert_eq!(d("2h").expect("2h"), 7_200_000);
        assert_eq!(d(" 90s").expect("90s"), 90_000);
        assert_eq!(d("500ms").expect("ms"), 500);
        assert_eq!(d("0").expect("0"), 0);
        assert_eq!(d("1d").expect("1d"), 86_400_000);
        assert_eq!(d("30m").expect("30m"), 1_800_000);
        for bad in ["", "h", "2x", "-1s", "1.5h", "99999999999999999999d"] {
            assert_eq!(d(bad).expect_err(bad).code(), "invalid_input", "{bad}");
        }
    }

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
