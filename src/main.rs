//! The `incident` binary: parse, run, map the outcome to an exit code. Everything else is the library.

use std::process::ExitCode;

/// Reads over 100,000 records spend a fifth of their time in the allocator and in faulting in fresh
/// memory; mimalloc halves that against the system allocator (`list` 289 -> 222 ms).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Told before anything is parsed, or the allocator has already laid out its memory: `publish`
    // renders thousands of pages on all cores and must hand freed memory back at once. An argument
    // that merely reads "publish" (a title) costs a few percent of speed, nothing else.
    if std::env::args_os().skip(1).any(|a| a == "publish") {
        incident::memory::return_freed_memory_promptly();
    }
    incident::run_from_args(std::env::args_os())
}
