//! Lets go of the binary's relocation table once the process has started.
//!
//! `codex` is position-independent, so at start the dynamic loader writes the address of every
//! pointer in its read-only data (vtables, string tables), reading one entry of the relocation
//! table for each: about 1 MB of table, every page of it faulted in, and never read again. The
//! pages stay mapped, and counted in the process's resident memory (a tenth of it after a few
//! turns), until the kernel runs short of memory. Unmapping them loses nothing: the mapping is a
//! read-only view of the file, so a read, should one ever come, maps the same bytes back.
//!
//! The table is found through the program headers the kernel hands the process and the
//! `DT_RELA` entry of the dynamic section; nothing is unmapped unless that range lies inside a
//! read-only segment loaded from the file.
#![allow(unsafe_code)]

use std::ops::Range;

/// Unmaps the pages wholly inside the executable's relocation table; gives their addresses, or
/// `None` where there is no such table (or no whole page of it) or the system refused.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
pub fn release() -> Option<Range<usize>> {
    let pages = whole_pages(table()?, page_size()?)?;
    // SAFETY: `pages` lies inside a read-only mapping of the executable's file (`table` checks
    // it against the loaded segments); dropping such pages only makes a later read fault them
    // in again from the file, with the same bytes.
    let refused = unsafe {
        libc::madvise(
            pages.start as *mut libc::c_void,
            pages.len(),
            libc::MADV_DONTNEED,
        )
    };
    (refused == 0).then_some(pages)
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
pub fn release() -> Option<Range<usize>> {
    None
}

/// The pages of `range` that it covers whole.
fn whole_pages(range: Range<usize>, page: usize) -> Option<Range<usize>> {
    let start = range.start.checked_next_multiple_of(page)?;
    let end = range.end / page * page;
    (start < end).then_some(start..end)
}

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn page_size() -> Option<usize> {
    // SAFETY: getauxval reads the auxiliary vector the kernel gave the process; any key may be
    // asked for.
    let size = unsafe { libc::getauxval(libc::AT_PAGESZ) } as usize;
    (size > 0).then_some(size)
}

/// Where the executable's `DT_RELA` table is mapped.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn table() -> Option<Range<usize>> {
    const DT_NULL: u64 = 0;
    const DT_RELA: u64 = 7;
    const DT_RELASZ: u64 = 8;

    // SAFETY: as in `page_size`.
    let (at, count) = unsafe {
        (
            libc::getauxval(libc::AT_PHDR) as usize,
            libc::getauxval(libc::AT_PHNUM) as usize,
        )
    };
    if at == 0 || count == 0 || !at.is_multiple_of(align_of::<libc::Elf64_Phdr>()) {
        return None;
    }
    // SAFETY: the kernel mapped the executable's `count` program headers at `at`, aligned as
    // checked; they stay mapped, unchanged, for the life of the process.
    let headers = unsafe { std::slice::from_raw_parts(at as *const libc::Elf64_Phdr, count) };
    let own = headers.iter().find(|h| h.p_type == libc::PT_PHDR)?;
    let base = at.checked_sub(own.p_vaddr as usize)?;
    let dynamic = headers.iter().find(|h| h.p_type == libc::PT_DYNAMIC)?;
    let entries_at = base.checked_add(dynamic.p_vaddr as usize)?;
    if !entries_at.is_multiple_of(align_of::<[u64; 2]>()) {
        return None;
    }
    // SAFETY: PT_DYNAMIC gives where the loader mapped the dynamic section, a list of
    // (tag, value) pairs of 64-bit words, aligned as checked; it stays mapped for the life of
    // the process and, once `main` runs, is only read.
    let entries = unsafe {
        std::slice::from_raw_parts(
            entries_at as *const [u64; 2],
            dynamic.p_memsz as usize / size_of::<[u64; 2]>(),
        )
    };
    let (mut address, mut size) = (None, None);
    for &[tag, value] in entries.iter().take_while(|entry| entry[0] != DT_NULL) {
        match tag {
            DT_RELA => address = Some(value as usize),
            DT_RELASZ => size = Some(value as usize),
            _ => {}
        }
    }
    let (address, size) = (address?, size?);
    // glibc rewrites the section's addresses to where the binary was loaded; other loaders
    // may leave them as linked. Whichever it is, it must fall inside a read-only segment.
    let read_only: Vec<Range<usize>> = headers
        .iter()
        .filter(|h| h.p_type == libc::PT_LOAD && h.p_flags & libc::PF_W == 0)
        .filter_map(|h| {
            let start = base.checked_add(h.p_vaddr as usize)?;
            Some(start..start.checked_add(h.p_filesz as usize)?)
        })
        .collect();
    [Some(address), base.checked_add(address)]
        .into_iter()
        .flatten()
        .filter_map(|start| Some(start..start.checked_add(size)?))
        .find(|table| {
            read_only
                .iter()
                .any(|segment| segment.start <= table.start && table.end <= segment.end)
        })
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::os::unix::fs::FileExt;

    use super::*;

    #[test]
    fn whole_pages_are_those_inside_the_range() {
        assert_eq!(whole_pages(4096..3 * 4096, 4096), Some(4096..3 * 4096));
        assert_eq!(whole_pages(100..3 * 4096 + 5, 4096), Some(4096..3 * 4096));
        assert_eq!(whole_pages(100..8000, 4096), None);
        assert_eq!(whole_pages(0..4095, 4096), None);
    }

    /// How many pages of `range` are mapped in this process (`/proc/self/pagemap`, bit 63).
    fn mapped(range: &Range<usize>, page: usize) -> usize {
        let pagemap = File::open("/proc/self/pagemap").unwrap_or_else(|err| panic!("{err}"));
        (range.start..range.end)
            .step_by(page)
            .filter(|at| {
                let mut entry = [0u8; 8];
                pagemap
                    .read_exact_at(&mut entry, (at / page * 8) as u64)
                    .unwrap_or_else(|err| panic!("{err}"));
                u64::from_le_bytes(entry) >> 63 == 1
            })
            .count()
    }

    /// The test binary is position-independent too, its table read by the loader at start.
    #[test]
    fn the_table_is_mapped_at_start_and_not_after_release() {
        let Some(page) = page_size() else {
            panic!("no page size in the auxiliary vector");
        };
        let Some(pages) = table().and_then(|table| whole_pages(table, page)) else {
            panic!("no relocation table of a page or more in the test binary");
        };
        assert_eq!(mapped(&pages, page), pages.len() / page);
        assert_eq!(release(), Some(pages.clone()));
        assert_eq!(mapped(&pages, page), 0);
        // A read maps the same bytes back (the loader has no use for them any more).
        let first = pages.start as *const u8;
        // SAFETY: `pages` is inside a readable mapping of the test binary.
        let _ = unsafe { first.read_volatile() };
        assert!(mapped(&pages, page) > 0);
    }
}
