//! `lanyard.exe` on Windows: the console front door of `lanyard-app.exe`, the multi-call
//! executable beside it that holds all of Lanyard's code (src-tauri/src/multicall.rs).
//!
//! The app's executable is a GUI-subsystem program (no console window when the app
//! starts), and such a program cannot write to the console it was started from. This
//! console program starts it with `LANYARD_AS=lanyard` and the same arguments, passes it
//! its standard input, output and error, waits, and exits with its status. It holds no
//! Lanyard code (a few hundred KiB), so the installer still carries one copy of it.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let Ok(me) = std::env::current_exe() else {
        eprintln!("error: lanyard cannot find where it is installed");
        return ExitCode::from(1);
    };
    let app = me.with_file_name(format!("lanyard-app{}", std::env::consts::EXE_SUFFIX));
    match Command::new(&app)
        .args(std::env::args_os().skip(1))
        .env("LANYARD_AS", "lanyard")
        .status()
    {
        // A status beyond 0..=255 (an NTSTATUS crash code) is a failure, never success.
        Ok(status) => ExitCode::from(
            status
                .code()
                .and_then(|c| u8::try_from(c).ok())
                .unwrap_or(1),
        ),
        Err(err) => {
            eprintln!(
                "error: {} could not be started ({err}); reinstall Lanyard",
                app.display()
            );
            ExitCode::from(1)
        }
    }
}
