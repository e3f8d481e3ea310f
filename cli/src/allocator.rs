//! Handing the allocator's unused memory back to the system.
//!
//! jemalloc keeps the pages a burst of work frees (a streaming turn's messages, allocated on
//! one thread and freed on another) for about a second, to use them again: handing each page
//! back as it was freed cost a third of the server's time while a turn streamed, mostly in the
//! TLB flushes that every `madvise` sends to the other core (`dirty_decay_ms` in
//! `.cargo/config.toml`). Without a background thread jemalloc looks at them again only when
//! the program allocates, so a server that has gone quiet would keep them: the servers call
//! [`release_memory`] when a turn ends and when a request is answered instead.

/// Hands every page jemalloc keeps unused back to the system.
pub(crate) fn release_memory() {
    if let Err(status) = purge() {
        tracing::debug!("jemalloc kept its unused pages: error {status}");
    }
}

/// Purges every arena; `Err` holds the status `mallctl` answered.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn purge() -> Result<(), i32> {
    // `MALLCTL_ARENAS_ALL` (4096) in place of an arena's index: every arena.
    let name = c"arena.4096.purge";
    // SAFETY: `arena.<i>.purge` neither reads nor writes a value, so both value pointers and
    // the length pointer are null and the new length 0, as it requires; the name is a
    // NUL-terminated string that outlives the call.
    let status = unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    };
    if status == 0 { Ok(()) } else { Err(status) }
}

/// The system's allocator decides for itself.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn purge() -> Result<(), i32> {
    Ok(())
}

#[cfg(test)]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod tests {
    /// The process's resident memory, in bytes.
    fn resident() -> usize {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status
            .lines()
            .find(|line| line.starts_with("VmRSS:"))
            .unwrap();
        let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kib << 10
    }

    #[test]
    fn freed_memory_is_kept_until_released() {
        const BLOCK: usize = 256 << 10;
        const FREED: usize = 32 << 20;
        let blocks: Vec<Vec<u8>> = (0..FREED / BLOCK).map(|_| vec![1; BLOCK]).collect();
        drop(blocks);
        let kept = resident();
        super::purge().unwrap();
        let released = resident();
        // Fails as well when the pages went back as they were freed (`dirty_decay_ms:0`).
        assert!(
            released + FREED / 2 < kept,
            "resident {kept} bytes before the release, {released} after"
        );
    }
}
