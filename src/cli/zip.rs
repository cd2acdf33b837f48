//! A `.zip` archive (deflated entries, UTF-8 names, no ZIP64) for `gdpr
//! export --zip`: small enough to write here with flate2, which the corpus
//! packing uses already, rather than add a crate.

use std::io::Write;

use chrono::{Datelike, Timelike, Utc};
use flate2::Compression;
use flate2::write::DeflateEncoder;

/// The archive of `files` (path inside the archive, contents), in order.
pub fn archive(files: &[(String, Vec<u8>)]) -> anyhow::Result<Vec<u8>> {
    let (time, date) = dos_time(Utc::now());
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data)?;
        let packed = encoder.finish()?;
        let offset = u32::try_from(out.len()).map_err(|_| too_big())?;
        let sizes = [
            crc.sum(),
            u32::try_from(packed.len()).map_err(|_| too_big())?,
            u32::try_from(data.len()).map_err(|_| too_big())?,
        ];
        let name_len = u16::try_from(name.len()).map_err(|_| too_big())?;
        // Local file header: version 2.0, UTF-8 names (bit 11), deflate.
        put32(&mut out, 0x0403_4b50);
        for v in [20u16, 0x0800, 8, time, date] {
            put16(&mut out, v);
        }
        sizes.iter().for_each(|v| put32(&mut out, *v));
        put16(&mut out, name_len);
        put16(&mut out, 0);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&packed);
        // Its central directory entry.
        put32(&mut central, 0x0201_4b50);
        for v in [20u16, 20, 0x0800, 8, time, date] {
            put16(&mut central, v);
        }
        sizes.iter().for_each(|v| put32(&mut central, *v));
        for v in [name_len, 0, 0, 0, 0] {
            put16(&mut central, v);
        }
        put32(&mut central, 0);
        put32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let entries = u16::try_from(files.len()).map_err(|_| too_big())?;
    let central_offset = u32::try_from(out.len()).map_err(|_| too_big())?;
    let central_size = u32::try_from(central.len()).map_err(|_| too_big())?;
    out.extend_from_slice(&central);
    put32(&mut out, 0x0605_4b50);
    for v in [0u16, 0, entries, entries] {
        put16(&mut out, v);
    }
    put32(&mut out, central_size);
    put32(&mut out, central_offset);
    put16(&mut out, 0);
    Ok(out)
}

fn too_big() -> anyhow::Error {
    anyhow::anyhow!(
        "the export is too large for a zip archive (over 4 GB or 65,535 files): write a folder instead"
    )
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// MS-DOS time and date (2-second steps, years from 1980).
fn dos_time(t: chrono::DateTime<Utc>) -> (u16, u16) {
    let year = u16::try_from(t.year().clamp(1980, 2107) - 1980).unwrap_or(0);
    let time = (t.hour() as u16) << 11 | (t.minute() as u16) << 5 | (t.second() as u16 / 2);
    let date = year << 9 | (t.month() as u16) << 5 | t.day() as u16;
    (time, date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn entries_read_back_through_the_central_directory() {
        let files = vec![
            ("index.txt".to_string(), b"hello".repeat(100)),
            (
                "mail/received-1.eml".to_string(),
                b"From: a@b.c\r\n\r\nhei".to_vec(),
            ),
        ];
        let zip = archive(&files).unwrap();
        let end = zip.len() - 22;
        assert_eq!(&zip[end..end + 4], &0x0605_4b50u32.to_le_bytes());
        let entries = u16::from_le_bytes([zip[end + 8], zip[end + 9]]);
        assert_eq!(entries, 2);
        let mut at = u32::from_le_bytes(zip[end + 16..end + 20].try_into().unwrap()) as usize;
        for (name, data) in &files {
            let word = |o: usize| u32::from_le_bytes(zip[at + o..at + o + 4].try_into().unwrap());
            let (csize, offset) = (word(20) as usize, word(42) as usize);
            let name_len = u16::from_le_bytes([zip[at + 28], zip[at + 29]]) as usize;
            assert_eq!(&zip[at + 46..at + 46 + name_len], name.as_bytes());
            let start = offset + 30 + name.len();
            let mut back = Vec::new();
            flate2::read::DeflateDecoder::new(&zip[start..start + csize])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(&back, data);
            at += 46 + name_len;
        }
    }
}
