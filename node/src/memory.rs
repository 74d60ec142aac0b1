//! Memory accounting for INFO: jemalloc's own statistics (`used_memory` is what the allocator
//! has handed out, as Redis reports it) and the resident set size from /proc.

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
