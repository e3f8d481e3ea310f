//! A remote skill's archive unpacked with the `zip` crate: every file entry (folders left out),
//! stored or deflated, checked against its CRC-32 as it is read.

use std::io::Cursor;
use std::io::Read;

/// One file of an archive, unpacked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) data: Vec<u8>,
}

/// Every file entry of the archive (folders left out), in directory order.
pub(crate) fn read_entries(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|err| format!("not a zip archive: {err}"))?;
    let mut entries = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let mut file = archive
            .by_index(index)
            .map_err(|err| format!("unreadable archive entry {index}: {err}"))?;
        if file.is_dir() {
            continue;
        }
        let name = file.name().to_owned();
        let mut data = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0));
        file.read_to_end(&mut data)
            .map_err(|err| format!("cannot unpack {name}: {err}"))?;
        entries.push(Entry { name, data });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&text[at..at + 2], 16).expect("hex"))
            .collect()
    }

    #[test]
    fn reads_a_zip_with_folders_and_both_methods() {
        let bytes = hex(include_str!("testdata/skill.zip.hex").trim());
        let entries = read_entries(&bytes).unwrap();
        let names: Vec<&str> = entries.iter().map(|entry| entry.name.as_str()).collect();
        assert_eq!(
            names,
            ["lint/SKILL.md", "lint/scripts/run.sh", "lint/extra.txt"]
        );
        assert!(entries[0].data.starts_with(b"---\nname: lint\n"));
        assert_eq!(entries[1].data, b"#!/bin/sh\necho lint\n");
    }

    #[test]
    fn refuses_what_is_not_a_zip() {
        let refused = read_entries(b"PK\x03\x04").unwrap_err();
        assert!(refused.starts_with("not a zip archive"), "{refused}");
    }
}
