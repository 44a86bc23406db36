//! The `lanyard` executable: the CLI library's `main` (see `crates/cli/src/main.rs`).

/// mimalloc, not the system allocator: a gateway allocates on one worker thread and frees
/// on another all day, which glibc's per-arena locks turn into futex waits
/// (docs/benchmarks.md, "Where a gateway request's time goes").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    lanyard_cli::main()
}
