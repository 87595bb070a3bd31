//! Work spread over all cores with scoped threads, in order: reading records, laying out long
//! tables, rendering the status page. No thread pool: each call starts its threads and joins them.

/// How many threads a parallel step starts: one per core, at most 8.
pub fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
}

/// `f` over `items` on all cores (at most 8 threads), in order; on one thread when there are fewer
/// than `min` items, where starting threads costs more than it saves.
pub fn par_map<'a, I: Sync, U: Send>(
    items: &'a [I],
    min: usize,
    f: impl Fn(&'a I) -> U + Sync,
) -> Vec<U> {
    par_flat_map(items, min, |item| [f(item)])
}

/// [`par_map`] where each item gives `N` values, all in one vector (a table's rows of cells). Each
/// thread writes its part straight into the result: gathering parts afterwards would touch every
/// value twice, and fresh memory is what these reads spend most on.
pub fn par_flat_map<'a, I: Sync, U: Send, const N: usize>(
    items: &'a [I],
    min: usize,
    f: impl Fn(&'a I) -> [U; N] + Sync,
) -> Vec<U> {
    let workers = workers();
    if workers == 1 || items.len() < min || N == 0 {
        return items.iter().flat_map(f).collect();
    }
    let chunk = items.len().div_ceil(workers).max(1);
    let len = items.len() * N;
    let mut out: Vec<U> = Vec::with_capacity(len);
    let f = &f;
    std::thread::scope(|scope| {
        let parts = out.spare_capacity_mut()[..len].chunks_mut(chunk * N);
        for (part, slots) in items.chunks(chunk).zip(parts) {
            scope.spawn(move || {
                for (item, slots) in part.iter().zip(slots.chunks_exact_mut(N)) {
                    for (slot, value) in slots.iter_mut().zip(f(item)) {
                        slot.write(value);
                    }
                }
            });
        }
    });
    // SAFETY: the scope joined every thread and would have re-raised a panic, so each of the
    // `len` slots was written exactly once.
    unsafe { out.set_len(len) };
    out
}
