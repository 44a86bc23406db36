//! Where an installation lives and which secret store it uses, from flags, environment
//! and platform defaults. The shell and the CLI resolve the same way, so the app and the
//! CLI see the same data directory.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::secrets::SecretStoreKind;
use crate::store::Location;

/// The app identifier; also the name of the data directory under the platform data dir.
pub const APP_IDENTIFIER: &str = "app.lanyard.desktop";

/// Environment variable overriding the data directory.
pub const DATA_DIR_ENV: &str = "LANYARD_DATA_DIR";

/// Environment variable choosing the secret store (`keyring` or `file`).
pub const SECRET_STORE_ENV: &str = "LANYARD_SECRET_STORE";

/// Environment variable choosing the database (`postgres://…` or an SQLite file).
pub const DATABASE_ENV: &str = "LANYARD_DATABASE";

/// How to open an installation.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory (database, file secret store, caches).
    pub data_dir: PathBuf,
    /// The secret store backend.
    pub secret_store: SecretStoreKind,
    /// Whether the environment ([`SECRET_STORE_ENV`]) chose the secret store (the status
    /// says so: an opt-in to the file store should never go unnoticed).
    pub secret_store_from_env: bool,
    /// The database: `None` for the SQLite file in the data directory (the default), or a
    /// PostgreSQL database several gateways share.
    pub database: Option<Location>,
    /// The key files of the database secret store (`--secret-key-file`): the first seals,
    /// every one opens (older keys during a key rotation).
    pub secret_key_files: Vec<PathBuf>,
}

impl Config {
    /// An installation in `data_dir` with `secret_store`, on the SQLite file there, with no
    /// key files: what tests, benchmarks and fixtures start from (`..Config::new(…)`).
    pub fn new(data_dir: impl Into<PathBuf>, secret_store: SecretStoreKind) -> Config {
        Config {
            data_dir: data_dir.into(),
            secret_store,
            secret_store_from_env: false,
            database: None,
            secret_key_files: Vec::new(),
        }
    }

    /// Resolves the configuration: an explicit value wins, then the environment, then the
    /// platform default (`<data dir>/app.lanyard.desktop`, keyring).
    pub fn resolve(data_dir: Option<PathBuf>, secret_store: Option<&str>) -> Result<Config> {
        Self::resolve_for(APP_IDENTIFIER, data_dir, secret_store)
    }

    /// Like [`Config::resolve`] for an app built with another identifier (development
    /// builds use their own, so their data never mixes with a real installation's).
    pub fn resolve_for(
        identifier: &str,
        data_dir: Option<PathBuf>,
        secret_store: Option<&str>,
    ) -> Result<Config> {
        let data_dir = match data_dir {
            Some(dir) => dir,
            None => match std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
                Some(dir) => PathBuf::from(dir),
                None => default_data_dir(identifier)?,
            },
        };
        let (secret_store, secret_store_from_env) = match secret_store {
            Some(name) => (name.parse()?, false),
            None => match std::env::var(SECRET_STORE_ENV) {
                Ok(name) if !name.is_empty() => (name.parse()?, true),
                _ => (SecretStoreKind::Keyring, false),
            },
        };
        let database = match std::env::var(DATABASE_ENV) {
            Ok(raw) if !raw.is_empty() => Some(Location::parse(&raw)?),
            _ => None,
        };
        let secret_key_files = std::env::var(crate::secrets::shared::KEY_FILE_ENV)
            .unwrap_or_default()
            .split(PATH_LIST_SEPARATOR)
            .filter(|p| !p.is_empty())
            .map(|p| absolute(Path::new(p)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Config {
            data_dir: absolute(&data_dir)?,
            secret_store,
            secret_store_from_env,
            database,
            secret_key_files,
        })
    }

    /// The same configuration on the database `raw` names (`--database`), if given.
    pub fn with_database(mut self, raw: Option<&str>) -> Result<Config> {
        if let Some(raw) = raw {
            self.database = Some(Location::parse(raw)?);
        }
        Ok(self)
    }

    /// The same configuration with the database secret store's key files, if any are
    /// given (`--secret-key-file`, repeatable: the first seals, all open).
    pub fn with_secret_key_files(mut self, paths: &[PathBuf]) -> Result<Config> {
        if !paths.is_empty() {
            self.secret_key_files = paths.iter().map(|p| absolute(p)).collect::<Result<_>>()?;
        }
        Ok(self)
    }

    /// Where the database is: the one configured, or `lanyard.db` in the data directory.
    pub fn database_location(&self) -> Location {
        self.database
            .clone()
            .unwrap_or_else(|| Location::Sqlite(self.data_dir.join(crate::store::DATABASE_FILE)))
    }
}

/// The platform's data directory for the app `identifier`.
pub fn default_data_dir(identifier: &str) -> Result<PathBuf> {
    dirs::data_dir().map(|d| d.join(identifier)).ok_or_else(|| {
        Error::invalid(format!(
            "this system has no per-user data directory; pass --data-dir or set {DATA_DIR_ENV}"
        ))
    })
}

fn absolute(path: &Path) -> Result<PathBuf> {
    if path.as_os_str().is_empty() {
        return Err(Error::invalid("the data directory must not be empty"));
    }
    std::path::absolute(path)
        .map_err(|e| Error::io(&format!("could not resolve {}", path.display()), &e))
}

/// What separates the files of a list in one environment variable
/// (`LANYARD_SECRET_KEY_FILE`): `:` as in `PATH` on Unix, `;` on Windows, where `:` is in
/// every absolute path (`C:\\keys\\a`).
pub const PATH_LIST_SEPARATOR: char = if cfg!(windows) { ';' } else { ':' };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_key_files_splits_where_the_platform_does() {
        let (one, two) = if cfg!(windows) {
            (r"C:\keys\new", r"D:\old keys\old")
        } else {
            ("/keys/new", "/old keys/old")
        };
        let list = format!("{one}{PATH_LIST_SEPARATOR}{two}");
        let parts: Vec<_> = list.split(PATH_LIST_SEPARATOR).collect();
        assert_eq!(parts, [one, two]);
    }

    #[test]
    fn explicit_values_win() {
        let c = Config::resolve(Some("/tmp/x".into()), Some("file")).expect("resolve");
        // Windows (Wine) spells the same directory `Z:\tmp\x`: the data directory is
        // always made absolute the platform's way.
        assert_eq!(c.data_dir, std::path::absolute("/tmp/x").expect("absolute"));
        assert_eq!(c.secret_store, SecretStoreKind::File);
    }

    #[test]
    fn refuses_unknown_store_and_empty_dir() {
        assert_eq!(
            Config::resolve(Some("/tmp/x".into()), Some("plaintext"))
                .expect_err("bad")
                .code(),
            "invalid_input"
        );
        assert!(Config::resolve(Some(PathBuf::new()), Some("file")).is_err());
    }

    #[test]
    fn relative_dirs_become_absolute() {
        let c = Config::resolve(Some("rel/dir".into()), Some("keyring")).expect("resolve");
        assert!(c.data_dir.is_absolute());
    }
}
