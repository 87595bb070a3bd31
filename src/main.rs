//! The `incident` binary: parse, run, map the outcome to an exit code. Everything else is the library.

use std::process::ExitCode;

/// Reads over 100,000 records spend a fifth of their time in the allocator and in faulting in fresh
/// memory; mimalloc halves that against the system allocator (`list` 289 -> 222 ms).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The allocator hints (`incident::memory`) are given before anything allocates, which on glibc
/// means before `main`: Rust's runtime allocates first, and that first allocation sets up
/// mimalloc's arena. From `main`, every command paid for a 2 MB huge page cleared at start-up
/// (0.8 ms of a 12 ms `log`). glibc passes the arguments to these start-up functions.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[used]
#[unsafe(link_section = ".init_array")]
static PREPARE_MEMORY: extern "C" fn(
    std::ffi::c_int,
    *const *const std::ffi::c_char,
    *const *const std::ffi::c_char,
) = prepare_memory;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" fn prepare_memory(
    argc: std::ffi::c_int,
    argv: *const *const std::ffi::c_char,
    _envp: *const *const std::ffi::c_char,
) {
    use std::os::unix::ffi::OsStrExt;
    if argv.is_null() {
        return;
    }
    let count = usize::try_from(argc).unwrap_or(0);
    // SAFETY: glibc hands every start-up function the process's `argc` and `argv`: `argc`
    // pointers to NUL-terminated strings that live as long as the process.
    let args = (0..count)
        .map(|i| unsafe { *argv.add(i) })
        .take_while(|arg| !arg.is_null())
        .map(|arg| {
            std::ffi::OsStr::from_bytes(unsafe { std::ffi::CStr::from_ptr(arg) }.to_bytes())
        });
    incident::memory::prepare(args);
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    incident::memory::prepare(args.iter().map(|a| a.as_os_str()));
    incident::run_from_args(args)
}
