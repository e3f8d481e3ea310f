//! Just enough of the zip format to unpack a remote skill's archive: the central directory,
//! entries stored or deflated (RFC 1951), checked against their CRC-32. Zip64, encryption and
//! other compression methods are refused with an error.

/// One file of an archive, unpacked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) data: Vec<u8>,
}

const END_OF_DIRECTORY: u32 = 0x0605_4b50;
const DIRECTORY_HEADER: u32 = 0x0201_4b50;
const LOCAL_HEADER: u32 = 0x0403_4b50;

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, String> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| "truncated archive".to_owned())
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, String> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| "truncated archive".to_owned())
}

/// Every file entry of the archive (folders left out), in directory order.
pub(crate) fn read_entries(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let end = find_end_of_directory(bytes)?;
    let count = usize::from(u16_at(bytes, end + 10)?);
    let mut at = u32_at(bytes, end + 16)? as usize;
    if count == 0xffff || at == 0xffff_ffff {
        return Err("zip64 archives are not supported".to_owned());
    }
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        if u32_at(bytes, at)? != DIRECTORY_HEADER {
            return Err("bad central directory entry".to_owned());
        }
        let flags = u16_at(bytes, at + 8)?;
        let method = u16_at(bytes, at + 10)?;
        let crc = u32_at(bytes, at + 16)?;
        let compressed = u32_at(bytes, at + 20)? as usize;
        let size = u32_at(bytes, at + 24)? as usize;
        let name_len = usize::from(u16_at(bytes, at + 28)?);
        let extra_len = usize::from(u16_at(bytes, at + 30)?);
        let comment_len = usize::from(u16_at(bytes, at + 32)?);
        let local = u32_at(bytes, at + 42)? as usize;
        let name = bytes
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(|| "truncated archive".to_owned())?;
        let name = String::from_utf8_lossy(name).into_owned();
        at += 46 + name_len + extra_len + comment_len;
        if name.ends_with('/') {
            continue;
        }
        if flags & 1 != 0 {
            return Err(format!("{name} is encrypted"));
        }
        let data = entry_data(bytes, local, compressed)?;
        let data = match method {
            0 => data.to_vec(),
            8 => inflate(data).map_err(|err| format!("{name}: {err}"))?,
            other => return Err(format!("{name}: unsupported compression method {other}")),
        };
        if data.len() != size || crc32(&data) != crc {
            return Err(format!("{name} is corrupt"));
        }
        entries.push(Entry { name, data });
    }
    Ok(entries)
}

/// Where the end-of-central-directory record starts: searched from the end, past a comment of
/// up to 64 KiB.
fn find_end_of_directory(bytes: &[u8]) -> Result<usize, String> {
    let last = bytes
        .len()
        .checked_sub(22)
        .ok_or_else(|| "not a zip archive".to_owned())?;
    let first = last.saturating_sub(0xffff);
    (first..=last)
        .rev()
        .find(|&at| u32_at(bytes, at).ok() == Some(END_OF_DIRECTORY))
        .ok_or_else(|| "not a zip archive".to_owned())
}

/// The compressed bytes of the entry whose local header is at `local`.
fn entry_data(bytes: &[u8], local: usize, compressed: usize) -> Result<&[u8], String> {
    if u32_at(bytes, local)? != LOCAL_HEADER {
        return Err("bad local header".to_owned());
    }
    let name_len = usize::from(u16_at(bytes, local + 26)?);
    let extra_len = usize::from(u16_at(bytes, local + 28)?);
    let start = local + 30 + name_len + extra_len;
    bytes
        .get(start..start + compressed)
        .ok_or_else(|| "truncated archive".to_owned())
}

/// CRC-32 (IEEE), as zip records it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

/// Reads bits least significant first, as deflate packs them.
struct Bits<'a> {
    bytes: &'a [u8],
    at: usize,
    buffer: u32,
    count: u32,
}

impl Bits<'_> {
    fn bit(&mut self) -> Result<u32, String> {
        if self.count == 0 {
            let byte = *self
                .bytes
                .get(self.at)
                .ok_or_else(|| "deflate stream ends early".to_owned())?;
            self.at += 1;
            self.buffer = u32::from(byte);
            self.count = 8;
        }
        let bit = self.buffer & 1;
        self.buffer >>= 1;
        self.count -= 1;
        Ok(bit)
    }

    fn bits(&mut self, n: u32) -> Result<u32, String> {
        let mut value = 0;
        for i in 0..n {
            value |= self.bit()? << i;
        }
        Ok(value)
    }

    /// Drops the rest of the current byte.
    fn align(&mut self) {
        self.count = 0;
    }
}

/// A canonical Huffman code: how many codes each length has, and the symbols in code order.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Result<Self, String> {
        let mut counts = [0u16; 16];
        for &length in lengths {
            counts[usize::from(length)] += 1;
        }
        counts[0] = 0;
        // More codes of a length than the lengths before leave room for is no prefix code.
        let mut left = 1i32;
        for &count in &counts[1..] {
            left = left * 2 - i32::from(count);
            if left < 0 {
                return Err("over-subscribed Huffman code".to_owned());
            }
        }
        let mut offsets = [0u16; 16];
        for length in 1..15 {
            offsets[length + 1] = offsets[length] + counts[length];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (symbol, &length) in lengths.iter().enumerate() {
            if length != 0 {
                let slot = &mut offsets[usize::from(length)];
                symbols[usize::from(*slot)] = symbol as u16;
                *slot += 1;
            }
        }
        Ok(Self { counts, symbols })
    }

    fn decode(&self, bits: &mut Bits<'_>) -> Result<u16, String> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for length in 1..16 {
            code |= bits.bit()? as i32;
            let count = i32::from(self.counts[length]);
            if code - first < count {
                return Ok(self.symbols[(index + code - first) as usize]);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err("bad Huffman code".to_owned())
    }
}

const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DISTANCE_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// The order the code length code's lengths come in.
const CODE_LENGTH_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// Inflates a raw deflate stream (RFC 1951).
pub(crate) fn inflate(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut bits = Bits {
        bytes: data,
        at: 0,
        buffer: 0,
        count: 0,
    };
    let mut out = Vec::new();
    loop {
        let last = bits.bit()? == 1;
        match bits.bits(2)? {
            0 => stored_block(&mut bits, &mut out)?,
            1 => {
                let (literals, distances) = fixed_codes()?;
                codes_block(&mut bits, &mut out, &literals, &distances)?;
            }
            2 => {
                let (literals, distances) = dynamic_codes(&mut bits)?;
                codes_block(&mut bits, &mut out, &literals, &distances)?;
            }
            _ => return Err("bad deflate block type".to_owned()),
        }
        if last {
            return Ok(out);
        }
    }
}

fn stored_block(bits: &mut Bits<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    bits.align();
    let header = bits
        .bytes
        .get(bits.at..bits.at + 4)
        .ok_or_else(|| "deflate stream ends early".to_owned())?;
    let length = usize::from(u16::from_le_bytes([header[0], header[1]]));
    let check = u16::from_le_bytes([header[2], header[3]]);
    if length as u16 != !check {
        return Err("bad stored block length".to_owned());
    }
    bits.at += 4;
    let block = bits
        .bytes
        .get(bits.at..bits.at + length)
        .ok_or_else(|| "deflate stream ends early".to_owned())?;
    out.extend_from_slice(block);
    bits.at += length;
    Ok(())
}

fn fixed_codes() -> Result<(Huffman, Huffman), String> {
    let mut lengths = [0u8; 288];
    for (symbol, length) in lengths.iter_mut().enumerate() {
        *length = match symbol {
            0..=143 => 8,
            144..=255 => 9,
            256..=279 => 7,
            _ => 8,
        };
    }
    Ok((Huffman::new(&lengths)?, Huffman::new(&[5u8; 30])?))
}

fn dynamic_codes(bits: &mut Bits<'_>) -> Result<(Huffman, Huffman), String> {
    let literal_count = bits.bits(5)? as usize + 257;
    let distance_count = bits.bits(5)? as usize + 1;
    let code_length_count = bits.bits(4)? as usize + 4;
    if literal_count > 286 || distance_count > 30 {
        return Err("bad dynamic block counts".to_owned());
    }
    let mut code_lengths = [0u8; 19];
    for &slot in &CODE_LENGTH_ORDER[..code_length_count] {
        code_lengths[slot] = bits.bits(3)? as u8;
    }
    let code_length_code = Huffman::new(&code_lengths)?;
    let mut lengths = vec![0u8; literal_count + distance_count];
    let mut filled = 0;
    while filled < lengths.len() {
        let symbol = code_length_code.decode(bits)?;
        let (value, repeat) = match symbol {
            0..=15 => (symbol as u8, 1),
            16 => {
                let previous = *filled
                    .checked_sub(1)
                    .and_then(|at| lengths.get(at))
                    .ok_or_else(|| "repeat with no previous length".to_owned())?;
                (previous, 3 + bits.bits(2)? as usize)
            }
            17 => (0, 3 + bits.bits(3)? as usize),
            _ => (0, 11 + bits.bits(7)? as usize),
        };
        if filled + repeat > lengths.len() {
            return Err("too many code lengths".to_owned());
        }
        lengths[filled..filled + repeat].fill(value);
        filled += repeat;
    }
    if lengths[256] == 0 {
        return Err("no end-of-block code".to_owned());
    }
    Ok((
        Huffman::new(&lengths[..literal_count])?,
        Huffman::new(&lengths[literal_count..])?,
    ))
}

fn codes_block(
    bits: &mut Bits<'_>,
    out: &mut Vec<u8>,
    literals: &Huffman,
    distances: &Huffman,
) -> Result<(), String> {
    loop {
        let symbol = usize::from(literals.decode(bits)?);
        match symbol {
            0..=255 => out.push(symbol as u8),
            256 => return Ok(()),
            _ => {
                let index = symbol - 257;
                let base = *LENGTH_BASE
                    .get(index)
                    .ok_or_else(|| "bad length symbol".to_owned())?;
                let length =
                    usize::from(base) + bits.bits(u32::from(LENGTH_EXTRA[index]))? as usize;
                let index = usize::from(distances.decode(bits)?);
                let base = *DISTANCE_BASE
                    .get(index)
                    .ok_or_else(|| "bad distance symbol".to_owned())?;
                let distance =
                    usize::from(base) + bits.bits(u32::from(DISTANCE_EXTRA[index]))? as usize;
                let start = out
                    .len()
                    .checked_sub(distance)
                    .ok_or_else(|| "distance too far back".to_owned())?;
                // The copy may overlap what it writes (a run), so byte by byte.
                for at in start..start + length {
                    out.push(out[at]);
                }
            }
        }
    }
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
    fn crc32_of_a_known_string() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn inflates_stored_fixed_and_dynamic_blocks() {
        // Python's zlib.compressobj(level, DEFLATED, -15) output: level 0 (a stored block) and
        // level 9 (a fixed block for the short text, a dynamic one for the sample).
        assert_eq!(inflate(&hex("010500faff68656c6c6f")).unwrap(), b"hello");
        assert_eq!(
            inflate(&hex("cb48cdc9c957c8409000")).unwrap(),
            b"hello hello hello"
        );
        let text = include_str!("testdata/sample.txt").as_bytes();
        let compressed = hex(include_str!("testdata/sample.txt.deflate.hex").trim());
        assert_eq!(inflate(&compressed).unwrap(), text);
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
        assert_eq!(
            read_entries(b"PK\x03\x04"),
            Err("not a zip archive".to_owned())
        );
        assert!(inflate(&[0x07]).is_err());
    }
}
