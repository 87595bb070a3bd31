//! The `incident` binary: parse, run, map the outcome to an exit code. Everything else is the library.

use std::process::ExitCode;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    incident::run_from_args(std::env::args_os())
}
