//! Hints to the allocator the binary runs on (mimalloc; see `main.rs`), chosen by what the command
//! is about to do, given first thing in `main`. The purge delay applies from then on; the huge-page
//! setting applies to memory mimalloc maps from then on (the runtime's first arena predates it).
//! Where another allocator runs (the library's own tests) they change nothing that matters.

use std::ffi::OsStr;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e`.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tunes memory for the command `args` (the process's arguments, program name first) will run.
///
/// - Reads of every record (`list`, `stats`, `due`, `check`, `notify`) keep mimalloc's defaults:
///   transparent huge pages fault in their 100 MB of rows at 100,000 incidents with a fiftieth of
///   the page faults (`list` 137 → 120 ms median; the slowest run waits longer for a free 2 MB
///   page).
/// - `publish` hands freed memory back at once ([`return_freed_memory_promptly`]), and runs on
///   small pages: its threads fill and free their buffers by turns, and a 2 MB page cleared for
///   each was a fifth of its time (fresh folder at 10,000 incidents: 69.8 → 65.7 ms median, the
///   slowest of 15 runs 100 → 71 ms; at 100,000: 615 → 590 ms, 162 → 145 MB).
/// - Everything else touches a few megabytes, where a 2 MB page is mostly cleared for nothing: it
///   runs on small pages (`show` and `log` 0.5 ms faster at 10,000 incidents, 10 MB less memory).
///   The setting is the process's and is inherited by what it starts (git, an editor), as
///   mimalloc's own `MIMALLOC_ALLOW_THP=0` would be.
///
/// A misread command (a value that looks like one) only costs speed.
pub fn prepare<'a>(args: impl IntoIterator<Item = &'a OsStr>) {
    match subcommand(args) {
        Some("list" | "stats" | "due" | "check" | "notify") => {}
        Some("publish") => {
            return_freed_memory_promptly();
            small_pages();
        }
        _ => small_pages(),
    }
}

fn small_pages() {
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

/// The first argument that is neither an option nor a global option's value.
fn subcommand<'a>(args: impl IntoIterator<Item = &'a OsStr>) -> Option<&'a str> {
    let mut rest = args.into_iter().skip(1).map(OsStr::to_str);
    while let Some(arg) = rest.next() {
        match arg? {
            "-C" | "--repo" | "--color" | "--as" => {
                rest.next();
            }
            a if a.starts_with('-') => {}
            a => return Some(a),
        }
    }
    None
}

/// mimalloc 3 keeps freed memory for a second before handing it back, for reuse. A command that
/// frees and allocates across its threads in bursts then peaks far higher: `publish` at 100,000
/// incidents reached 196 MB against a 200 MB budget, and 168 MB with a 1 ms delay. Reads that
/// keep what they allocate are 3-10% faster with the long delay, so only `publish` asks for this.
/// `MIMALLOC_PURGE_DELAY` still rules, and an unknown mimalloc (the option not reading its known
/// default 1000 at this index) is left alone.
pub fn return_freed_memory_promptly() {
    // SAFETY: plain integers in and out; called before the command starts its threads.
    unsafe {
        // `mi_option_set`, not `mi_option_set_default`: given from `main`, after mimalloc has set
        // itself up and read its options, a new default would be ignored (`publish` at 100,000
        // incidents then peaked at 258 MB instead of 152 MB).
        if libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) == 1000 {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1);
        }
    }
}

#[cfg(test)]
mod tests {
    /// The index is mimalloc's purge delay, and the hint sets it (unless the environment did).
    #[test]
    fn the_hint_shortens_the_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads an integer option.
        let before = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(before, 1000, "mimalloc 3's default purge delay");
        super::return_freed_memory_promptly();
        // SAFETY: as above.
        let after = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(after, 1);
    }

    #[test]
    fn the_command_is_found_past_global_options() {
        let sub = |args: &[&str]| {
            super::subcommand(args.iter().map(std::ffi::OsStr::new)).map(str::to_string)
        };
        assert_eq!(sub(&["incident", "list", "--open"]), Some("list".into()));
        assert_eq!(
            sub(&["incident", "-C", "list", "show", "x"]),
            Some("show".into())
        );
        assert_eq!(
            sub(&["incident", "--json", "--as", "al", "stats"]),
            Some("stats".into())
        );
        assert_eq!(
            sub(&["incident", "--repo=ops", "publish"]),
            Some("publish".into())
        );
        assert_eq!(sub(&["incident", "--color", "never"]), None);
        assert_eq!(sub(&["incident"]), None);
    }
}
