//! Hints to the allocator the binary runs on (mimalloc; see `main.rs`). Where another allocator
//! runs (the library's own tests), they change nothing.

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e`.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc 3 keeps freed memory for a second before handing it back, for reuse. A command that
/// frees and allocates across its threads in bursts then peaks far higher: `publish` at 100,000
/// incidents reached 196 MB against a 200 MB budget, and 168 MB with a 1 ms delay. Reads that
/// keep what they allocate are 3-10% faster with the long delay, so only such commands ask for
/// this. It takes effect only before the allocator has set up its arenas, that is first thing in
/// `main`. `MIMALLOC_PURGE_DELAY` still rules, and an unknown mimalloc (the option not reading its
/// known default 1000 at this index) is left alone.
pub fn return_freed_memory_promptly() {
    // SAFETY: plain integers in and out; called before the command starts its threads.
    unsafe {
        if libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) == 1000 {
            libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, 1);
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
}
