//! Secrets in process memory: for tests only, never offered to users.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{SecretStore, SecretStoreKind, SecretValue};
use crate::error::{Error, Result};

/// A map in memory.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, SecretValue>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryStore")
    }
}

impl MemoryStore {
    fn entries(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, SecretValue>>> {
        self.entries
            .lock()
            .map_err(|_| Error::Internal("memory secret store poisoned".into()))
    }
}

impl SecretStore for MemoryStore {
    fn kind(&self) -> SecretStoreKind {
        SecretStoreKind::Memory
    }

    fn get(&self, key: &str) -> Result<Option<SecretValue>> {
        Ok(self
            .entries()?
            .get(key)
            .map(|v| SecretValue::new(v.expose())))
    }

    fn set(&self, key: &str, value: &SecretValue) -> Result<()> {
        self.entries()?
            .insert(key.to_string(), SecretValue::new(value.expose()));
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.entries()?.remove(key);
        Ok(())
    }

    fn check(&self) -> Result<()> {
        self.entries().map(|_| ())
    }

    fn describe(&self) -> String {
        "secrets are kept in memory for this process only (tests)".into()
    }
}
