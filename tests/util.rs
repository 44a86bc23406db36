//! Helpers shared by the test modules: finding the built binaries, running the CLI.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `lanyard` binary built with this test (`cargo test --workspace` builds it), or
/// `LANYARD_BIN`.
pub fn lanyard_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("LANYARD_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/tests-<hash> → target/<profile>/lanyard
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join(format!("lanyard{}", std::env::consts::EXE_SUFFIX)))
        .expect("target dir");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p lanyard-cli` (or `cargo test --workspace`) first",
        bin.display()
    );
    bin
}

/// A `lanyard` command isolated from the user's environment: its own data directory and
/// no inherited Lanyard settings.
pub fn lanyard(data_dir: &Path) -> Command {
    let mut cmd = Command::new(lanyard_bin());
    cmd.env_remove("LANYARD_DATA_DIR")
        .env_remove("LANYARD_SECRET_STORE")
        .env_remove("LANYARD_LOG")
        .env_remove("LANYARD_DATABASE")
        .arg("--data-dir")
        .arg(data_dir);
    cmd
}

/// The `lanyard` binary on `l`'s installation: its data directory and, when it is on
/// PostgreSQL (`LANYARD_TEST_POSTGRES`), its database.
pub fn lanyard_for(l: &lanyard_core::Lanyard) -> Command {
    let mut cmd = lanyard(l.data_dir());
    if let lanyard_core::store::Location::Postgres(url) = l.store().location() {
        cmd.arg("--database").arg(url);
    }
    cmd
}

/// Runs a command and returns its output.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run lanyard")
}

/// Parses stdout as JSON, with the whole output in the panic message when it is not.
pub fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n--- stdout\n{}\n--- stderr\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Whether a program is on PATH.
pub fn have(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}
