//! Where the database is ([`Location`], parsed from `--database`), which backend that
//! makes ([`Backend`]), and how it is shown without a password.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Which database a store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, rename = "DatabaseBackend")
)]
pub enum Backend {
    /// An SQLite file in the data directory.
    Sqlite,
    /// A PostgreSQL database, possibly shared by several processes and machines.
    Postgres,
}

/// Where the database is: an SQLite file, or a PostgreSQL URL. `Debug` shows it as
/// [`Location::display`] does, without a password.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL (it may hold a password: never display it;
    /// use [`Location::display`]).
    Postgres(String),
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Location({})", self.display())
    }
}

impl Location {
    /// Parses `--database`: a `postgres://` URL, a `sqlite://` URL or a file path.
    pub fn parse(raw: &str) -> Result<Location> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(Error::invalid("the database is empty"));
        }
        if raw.contains(['\r', '\n', '\0']) {
            return Err(Error::invalid(
                "the database location contains a control character",
            ));
        }
        let lower = raw.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            let url = url::Url::parse(raw)
                .map_err(|e| Error::invalid(format!("the PostgreSQL URL is not valid: {e}")))?;
            if url.host_str().unwrap_or("").is_empty()
                && !url.query_pairs().any(|(k, _)| k == "host")
            {
                return Err(Error::invalid(
                    "the PostgreSQL URL names no host (postgres://USER@HOST:PORT/DATABASE)",
                ));
            }
            return Ok(Location::Postgres(raw.to_string()));
        }
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        if lower.contains("://") {
            return Err(Error::invalid(
                "the database must be a postgres:// URL or an SQLite file path",
            ));
        }
        Ok(Location::Sqlite(PathBuf::from(raw)))
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            Location::Sqlite(_) => Backend::Sqlite,
            Location::Postgres(_) => Backend::Postgres,
        }
    }

    /// For messages and status: the path, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(raw) => match url::Url::parse(raw) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        let _ = url.set_password(Some("***"));
                    }
                    let pairs: Vec<(String, String)> = url
                        .query_pairs()
                        .map(|(k, v)| {
                            let hide = k.eq_ignore_ascii_case("password");
                            (
                                k.into_owned(),
                                if hide { "***".into() } else { v.into_owned() },
                            )
                        })
                        .collect();
                    if !pairs.is_empty() {
                        url.query_pairs_mut().clear().extend_pairs(pairs);
                    }
                    url.to_string()
                }
                Err(_) => "postgres://(invalid URL)".into(),
            },
        }
    }
}

/// The `sqlite://` URL of the file at `path`, created if missing. Every byte but the
/// unreserved ones and `/` is percent-encoded: sqlx decodes the whole path, so a `%`, `?`,
/// `#`, `:` or `\\` in a directory name must reach it encoded.
pub(crate) fn sqlite_url(path: &Path) -> String {
    let mut url = String::from("sqlite://");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url.push_str("?mode=rwc");
    url
}
