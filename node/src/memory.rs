//! Memory accounting for INFO and `maxmemory`: jemalloc's own statistics (`used_memory` is
//! what the allocator has handed out, as Redis reports it), the resident set size from /proc,
//! and the calling thread's own allocation counters.
//!
//! [`used_bytes`] advances jemalloc's statistics epoch, which merges every arena's counters:
//! about 40 µs (measured with a release build on this 2-core machine), so hot paths must not
//! call it per command. [`thread_net_bytes`] reads two thread-local counters and costs
//! nanoseconds: the executor uses it to follow its own allocations between readings.

/// Bytes currently allocated by the process (jemalloc `stats.allocated`), or the RSS where
/// the statistics cannot be read.
pub fn used_bytes() -> u64 {
    // jemalloc caches its statistics; advancing the epoch refreshes them.
    let _ = tikv_jemalloc_ctl::epoch::advance();
    match tikv_jemalloc_ctl::stats::allocated::read() {
        Ok(n) => n as u64,
        Err(_) => rss_bytes(),
    }
}

/// Allocated bytes at startup and at the highest reading since (Redis
/// `used_memory_startup`, `stat_peak_memory`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Track {
    /// After the server was set up, before any data.
    pub startup: u64,
    /// The highest reading so far.
    pub peak: u64,
}

/// jemalloc's view of its own memory, as Redis's INFO `allocator_*` fields report it.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllocatorStats {
    /// Bytes handed out to the program.
    pub allocated: u64,
    /// Bytes in active pages (allocated plus the unused parts of those pages).
    pub active: u64,
    /// Bytes in physically resident pages the allocator maps (active, dirty, metadata).
    pub resident: u64,
}

/// jemalloc's statistics after refreshing them (about 40 µs: not for hot paths).
pub fn allocator_stats() -> AllocatorStats {
    use tikv_jemalloc_ctl::stats;
    let _ = tikv_jemalloc_ctl::epoch::advance();
    let read = |r: Result<usize, _>| r.map_or(0, |n| n as u64);
    AllocatorStats {
        allocated: read(stats::allocated::read()),
        active: read(stats::active::read()),
        resident: read(stats::resident::read()),
    }
}

/// Resident set size in bytes, from /proc (0 where unavailable).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

thread_local! {
    /// This thread's jemalloc `thread.allocatedp` / `thread.deallocatedp` counters.
    static THREAD_COUNTERS: Option<(
        tikv_jemalloc_ctl::thread::ThreadLocal<u64>,
        tikv_jemalloc_ctl::thread::ThreadLocal<u64>,
    )> = tikv_jemalloc_ctl::thread::allocatedp::read()
        .ok()
        .zip(tikv_jemalloc_ctl::thread::deallocatedp::read().ok());
}

/// Bytes allocated minus bytes freed by the calling thread since it started (frees of memory
/// other threads allocated count too); 0 where jemalloc's counters are unavailable.
pub fn thread_net_bytes() -> i64 {
    THREAD_COUNTERS.with(|c| {
        c.map_or(0, |(allocated, freed)| {
            allocated.get().wrapping_sub(freed.get()) as i64
        })
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn thread_counters_follow_this_threads_allocations() {
        let before = super::thread_net_bytes();
        let v = vec![0u8; 1 << 20];
        let during = super::thread_net_bytes();
        drop(v);
        let after = super::thread_net_bytes();
        assert!(during - before >= 1 << 20, "{before} {during}");
        assert!(during - after >= 1 << 20, "{during} {after}");
    }
}
