//! Helpers shared by the test modules: finding the built binaries, running the CLI.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `lanyard` binary built with this test, or `LANYARD_BIN`. A binary older than the
/// sources it is built from (or missing) is rebuilt first with `cargo build -p
/// lanyard-cli`, once per test run, so a local `cargo test` never exercises stale code.
pub fn lanyard_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("LANYARD_BIN") {
        return PathBuf::from(bin);
    }
    static FRESH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FRESH.get_or_init(fresh_lanyard_bin).clone()
}

fn fresh_lanyard_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/tests-<hash> → target/<profile>/lanyard
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf();
    let bin = profile_dir.join(format!("lanyard{}", std::env::consts::EXE_SUFFIX));
    let stale = match stale_source(&bin) {
        Some(source) => source,
        None => return bin,
    };
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "{}: {stale}; building it (cargo build -p lanyard-cli)",
        bin.display()
    );
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    // What cargo set for this test run (package, manifest, crate): build scripts that
    // watch those (ring's) would otherwise rebuild for this build and again for the next
    // `cargo test`.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
            "CARGO_TARGET_TMPDIR",
        ]
        .iter()
        .any(|p| key.starts_with(p))
            || [
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_RUSTC_CURRENT_DIR",
                "OUT_DIR",
            ]
            .contains(&&*key)
        {
            build.env_remove(&*key);
        }
    }
    build
        .current_dir(workspace)
        .args(["build", "-p", "lanyard-cli"])
        .env(
            "CARGO_TARGET_DIR",
            profile_dir.parent().expect("target dir"),
        );
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("run cargo build -p lanyard-cli");
    assert!(status.success(), "cargo build -p lanyard-cli failed");
    assert!(
        bin.exists(),
        "{} is missing after building it",
        bin.display()
    );
    bin
}

/// Why `bin` cannot be trusted: missing, or older than a file its build read (cargo's
/// dep-info `lanyard.d` next to it lists them all). `None` when it is up to date.
fn stale_source(bin: &Path) -> Option<String> {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let Some(built) = modified(bin) else {
        return Some("missing".into());
    };
    let Ok(depinfo) = std::fs::read_to_string(bin.with_extension("d")) else {
        return Some("no dep-info (lanyard.d) to check its age against".into());
    };
    let (_, sources) = depinfo.split_once(": ")?;
    let sources = sources
        .lines()
        .next()
        .unwrap_or_default()
        .replace("\\ ", "\u{0}");
    for source in sources.split_whitespace() {
        let source = PathBuf::from(source.replace('\u{0}', " "));
        match modified(&source) {
            Some(changed) if changed <= built => {}
            Some(_) => return Some(format!("older than {}", source.display())),
            None => return Some(format!("built from {}, which is gone", source.display())),
        }
    }
    None
}

/// A command running the `lanyard` binary, through `LANYARD_BIN_RUNNER` when that is set:
/// the Windows pass (tests/windows/run) sets `LANYARD_BIN` to `lanyard.exe` and the runner
/// to Wine, so the tests drive the Windows CLI against servers on Linux loopback.
pub fn lanyard_command() -> Command {
    match std::env::var_os("LANYARD_BIN_RUNNER").filter(|r| !r.is_empty()) {
        Some(runner) => {
            let mut cmd = Command::new(runner);
            cmd.arg(lanyard_bin());
            cmd
        }
        None => Command::new(lanyard_bin()),
    }
}

/// Whether the binary under test is the Windows one under Wine (see [`lanyard_command`]).
pub fn under_wine() -> bool {
    std::env::var_os("LANYARD_BIN_RUNNER").is_some_and(|r| !r.is_empty())
}

/// `path` as the binary under test shows it: itself on Linux; under Wine the Windows
/// spelling of the same place (`/tmp/x` is `Z:\tmp\x`).
pub fn shown(path: &Path) -> String {
    if !under_wine() {
        return path.display().to_string();
    }
    let text = path.display().to_string();
    match text.strip_prefix('/') {
        Some(rest) => format!("Z:\\{}", rest.replace('/', "\\")),
        None => text,
    }
}

/// A `lanyard` command isolated from the user's environment: its own data directory and
/// no inherited Lanyard settings.
pub fn lanyard(data_dir: &Path) -> Command {
    let mut cmd = lanyard_command();
    cmd.env_remove("LANYARD_DATA_DIR")
        .env_remove("LANYARD_SECRET_STORE")
        .env_remove("LANYARD_LOG")
        .env_remove("LANYARD_DATABASE")
        .env_remove("LANYARD_EXTRA_CA_FILE")
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

/// The stable error code of a JSON error body (`{ "code": … }`), or "" when there is none.
pub fn error_code(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Adds a URL token for `prefix` whose `value` is attached without asking: its id.
pub async fn add_url_token(
    l: &lanyard_core::Lanyard,
    prefix: &str,
    key: &str,
    placement: lanyard_core::urltokens::Placement,
    value: &str,
) -> String {
    use lanyard_core::urltokens::tokens::{add, NewToken};
    let new = NewToken {
        prefix: prefix.into(),
        key: key.into(),
        placement,
        requires_permission: false,
        prompt: false,
        value: Some(lanyard_core::secrets::SecretValue::new(value)),
    };
    add(l, new).await.expect("token").token.id
}
