//! How the CLI prints: human text or JSON on stdout, errors as `{ "code", "message" }`.

use std::io::Write;
use std::process::ExitCode;

use lanyard_core::Error;
use serde::Serialize;

/// The exit code of a Lanyard error.
pub const EXIT_ERROR: u8 = 1;
/// The exit code of a usage error (unknown flag, missing argument).
pub const EXIT_USAGE: u8 = 2;

/// Prints results in the format the user asked for.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    /// Prints `value` as JSON, or `human` otherwise.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        let text = if self.json {
            serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into())
        } else {
            human()
        };
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{text}");
    }

    /// Prints `value` as one compact JSON line (for streams of events a script reads while
    /// the command runs), or `human` otherwise; flushes.
    pub fn line<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        let text = if self.json {
            serde_json::to_string(value).unwrap_or_else(|_| "null".into())
        } else {
            human()
        };
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{text}");
        let _ = stdout.flush();
    }

    /// Reports an error and returns the exit code.
    pub fn fail(&self, err: &Error) -> ExitCode {
        report(self.json, err.code(), &err.to_string(), EXIT_ERROR)
    }
}

/// Reports a command-line parsing error (or prints help/version, which are not errors).
pub fn usage_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    if std::env::args().any(|a| a == "--json") {
        report(true, "invalid_input", &first_line(&err), EXIT_USAGE)
    } else {
        let _ = err.print();
        ExitCode::from(EXIT_USAGE)
    }
}

fn first_line(err: &clap::Error) -> String {
    let text = err.render().to_string();
    text.lines()
        .map(|l| l.trim().trim_start_matches("error: ").to_string())
        .find(|l| !l.is_empty())
        .unwrap_or_else(|| "invalid command line".into())
}

fn report(json: bool, code: &str, message: &str, exit: u8) -> ExitCode {
    if json {
        let body = serde_json::json!({ "code": code, "message": message }).to_string();
        let _ = writeln!(std::io::stdout().lock(), "{body}");
        let _ = writeln!(std::io::stderr().lock(), "{body}");
    } else {
        let _ = writeln!(std::io::stderr().lock(), "error[{code}]: {message}");
    }
    ExitCode::from(exit)
}

/// A Unix time as an ISO 8601 date and time (UTC).
pub fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}
