//! The `lanyard` executable: the CLI library's `main` (see `crates/cli/src/main.rs`).

fn main() -> std::process::ExitCode {
    lanyard_cli::main()
}
