//! Server install: lanyard-gateway.service passes `systemd-analyze verify` with the real
//! `lanyard` binary and passes only options it knows (scripts/verify-systemd-unit; the
//! .deb checks run the same script on the packaged files).

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_systemd_unit_verifies_against_the_lanyard_binary() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let has_analyze = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_analyze {
        assert!(
            std::env::var_os("CI").is_none(),
            "systemd-analyze is missing (scripts/install-deps installs systemd)"
        );
        eprintln!("skipped: systemd-analyze is missing");
        return;
    }
    let out = Command::new(root.join("scripts/verify-systemd-unit"))
        .arg(root.join("packaging/lanyard-gateway.service"))
        .arg(crate::util::lanyard_bin())
        .output()
        .expect("run scripts/verify-systemd-unit");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
