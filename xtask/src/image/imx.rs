//! i.MX6 boot image (`imximage` v2, `BOOT_FROM sd`): IVT, boot data and DCD,
//! laid out byte for byte as `mkimage -T imximage` lays out its file.
//!
//! File layout (file offset 0 is medium offset 0x400, where the ROM looks):
//! IVT at 0x00 (32 bytes), boot data at 0x20 (12 bytes), DCD at 0x2C, zeros up
//! to 0xC00, then the payload, zero-padded to a multiple of 4 KiB. The payload
//! runs at `entry`, so `self = entry - 0xC00` and `boot_data.start = entry -
//! 0x1000` (the ROM copies from medium offset 0); `length = file + 0x400`.
//! IVT words and boot data are little-endian; DCD headers, addresses and
//! values are big-endian.

use std::fmt::Write as _;

/// Offset of the payload in the file (4 KiB initial load region minus the 1 KiB IVT offset).
pub const HEADER_AREA: u32 = 0xC00;
/// Offset of the IVT on an SD card / eMMC.
pub const IVT_OFFSET: u32 = 0x400;
/// Largest DCD the tools accept (imx_usb's `HAB_MAX_DCD_SIZE`; mkimage's 220 pairs).
pub const MAX_DCD_LEN: usize = 1768;

/// One DCD command, as `imximage.cfg` spells them.
// The SabreLite DCD only writes; the other commands complete the format (and
// the worked example of `docs/hardware-facts.md#boot-image` uses a check).
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DcdCmd {
    /// `DATA 4 addr value`: `*addr = value`.
    Write {
        /// Register address.
        addr: u32,
        /// Value written.
        value: u32,
    },
    /// `SET_BIT 4 addr bits`: `*addr |= bits`.
    SetBits {
        /// Register address.
        addr: u32,
        /// Bits set.
        value: u32,
    },
    /// `CLR_BIT 4 addr bits`: `*addr &= !bits`.
    ClrBits {
        /// Register address.
        addr: u32,
        /// Bits cleared.
        value: u32,
    },
    /// `CHECK_BITS_SET 4 addr mask`: poll until all mask bits are set.
    CheckSet {
        /// Register address.
        addr: u32,
        /// Bits polled.
        mask: u32,
    },
    /// `CHECK_BITS_CLR 4 addr mask`: poll until all mask bits are clear.
    CheckClr {
        /// Register address.
        addr: u32,
        /// Bits polled.
        mask: u32,
    },
}

impl DcdCmd {
    /// (tag, parameter byte, address, value) of this command's encoding.
    fn encoding(self) -> (u8, u8, u32, u32) {
        match self {
            DcdCmd::Write { addr, value } => (0xCC, 0x04, addr, value),
            DcdCmd::ClrBits { addr, value } => (0xCC, 0x0C, addr, value),
            DcdCmd::SetBits { addr, value } => (0xCC, 0x1C, addr, value),
            DcdCmd::CheckClr { addr, mask } => (0xCF, 0x04, addr, mask),
            DcdCmd::CheckSet { addr, mask } => (0xCF, 0x14, addr, mask),
        }
    }

    /// The `imximage.cfg` line for this command.
    pub fn cfg_line(self) -> String {
        let (word, a, v) = match self {
            DcdCmd::Write { addr, value } => ("DATA", addr, value),
            DcdCmd::SetBits { addr, value } => ("SET_BIT", addr, value),
            DcdCmd::ClrBits { addr, value } => ("CLR_BIT", addr, value),
            DcdCmd::CheckSet { addr, mask } => ("CHECK_BITS_SET", addr, mask),
            DcdCmd::CheckClr { addr, mask } => ("CHECK_BITS_CLR", addr, mask),
        };
        format!("{word} 4 0x{a:08x} 0x{v:08x}")
    }
}

/// Encodes a DCD: header `D2 len 40`, then commands; consecutive writes of
/// the same kind share one `CC` command, every check is its own `CF`.
pub fn encode_dcd(cmds: &[DcdCmd]) -> Vec<u8> {
    let mut out = vec![0xD2, 0, 0, 0x40];
    let mut open: Option<(u8, usize)> = None; // (param, offset of the open CC header)
    for &c in cmds {
        let (tag, param, addr, value) = c.encoding();
        if tag == 0xCC {
            match open {
                Some((p, _)) if p == param => {}
                _ => {
                    open = Some((param, out.len()));
                    out.extend_from_slice(&[0xCC, 0, 4, param]);
                }
            }
            out.extend_from_slice(&addr.to_be_bytes());
            out.extend_from_slice(&value.to_be_bytes());
            if let Some((_, at)) = open {
                let len = (out.len() - at) as u16;
                out[at + 1..at + 3].copy_from_slice(&len.to_be_bytes());
            }
        } else {
            open = None;
            out.extend_from_slice(&[0xCF, 0x00, 0x0C, param]);
            out.extend_from_slice(&addr.to_be_bytes());
            out.extend_from_slice(&value.to_be_bytes());
        }
    }
    let len = out.len() as u16;
    out[1..3].copy_from_slice(&len.to_be_bytes());
    out
}

/// The `imximage.cfg` that makes mkimage build the same image.
pub fn cfg_text(cmds: &[DcdCmd]) -> String {
    let mut s = String::from("IMAGE_VERSION 2\nBOOT_FROM sd\n");
    for c in cmds {
        let _ = writeln!(s, "{}", c.cfg_line());
    }
    s
}

/// Why an image cannot be built.
#[derive(Debug, PartialEq, Eq)]
pub enum ImageError {
    /// The payload is empty.
    EmptyPayload,
    /// `entry` is too low for the header area in front of it.
    EntryTooLow(u32),
    /// The DCD is larger than the ROM/tools accept.
    DcdTooLarge(usize),
    /// The image does not fit 32-bit addresses.
    TooLarge,
}

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::EmptyPayload => write!(f, "the payload is empty"),
            Self::EntryTooLow(e) => write!(
                f,
                "entry 0x{e:08x} leaves no room for the 4 KiB boot header below it"
            ),
            Self::DcdTooLarge(n) => write!(f, "DCD of {n} bytes exceeds {MAX_DCD_LEN}"),
            Self::TooLarge => write!(f, "the image does not fit 32-bit addresses"),
        }
    }
}

impl std::error::Error for ImageError {}

/// Size of the image file for a payload of `payload_len` bytes.
pub fn file_len(payload_len: usize) -> usize {
    HEADER_AREA as usize + payload_len.div_ceil(0x1000) * 0x1000
}

/// Builds the boot image for `payload` (which runs at `entry`) with `dcd`.
pub fn build(payload: &[u8], entry: u32, dcd: &[DcdCmd]) -> Result<Vec<u8>, ImageError> {
    if payload.is_empty() {
        return Err(ImageError::EmptyPayload);
    }
    if entry < 0x1000 {
        return Err(ImageError::EntryTooLow(entry));
    }
    let dcd_bytes = encode_dcd(dcd);
    if dcd_bytes.len() > MAX_DCD_LEN {
        return Err(ImageError::DcdTooLarge(dcd_bytes.len()));
    }
    let len = file_len(payload.len());
    let length = u32::try_from(len + IVT_OFFSET as usize).map_err(|_| ImageError::TooLarge)?;
    if u64::from(entry) + len as u64 > 1 << 32 {
        return Err(ImageError::TooLarge);
    }
    let self_addr = entry - HEADER_AREA;
    let dcd_addr = if dcd.is_empty() { 0 } else { self_addr + 0x2C };
    let mut out = vec![0u8; len];
    let ivt = [
        u32::from_le_bytes([0xD1, 0x00, 0x20, 0x40]),
        entry,
        0,
        dcd_addr,
        self_addr + 0x20,
        self_addr,
        0,
        0,
    ];
    let boot_data = [entry - 0x1000, length, 0];
    for (i, w) in ivt.iter().chain(&boot_data).enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
    }
    out[0x2C..0x2C + dcd_bytes.len()].copy_from_slice(&dcd_bytes);
    out[HEADER_AREA as usize..HEADER_AREA as usize + payload.len()].copy_from_slice(payload);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of `docs/hardware-facts.md#boot-image`, checked
    /// against its hex dump of mkimage's output.
    #[test]
    fn worked_example_matches_mkimage_dump() {
        let mut payload: Vec<u8> = (0..=255u8).collect();
        payload[..4].copy_from_slice(&[0xFE, 0xFF, 0xFF, 0xEA]);
        let dcd = [
            DcdCmd::Write {
                addr: 0x020C_4068,
                value: 0x00C0_3F3F,
            },
            DcdCmd::Write {
                addr: 0x020C_406C,
                value: 0x0030_FC03,
            },
            DcdCmd::CheckSet {
                addr: 0x020C_4048,
                mask: 1,
            },
            DcdCmd::Write {
                addr: 0x021B_0000,
                value: 0x831A_0000,
            },
        ];
        let img = build(&payload, 0x1000_1000, &dcd).expect("build");
        assert_eq!(img.len(), 7168);
        let want: [u8; 0x60] = [
            0xd1, 0x00, 0x20, 0x40, 0x00, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x04,
            0x00, 0x10, 0x20, 0x04, 0x00, 0x10, 0x00, 0x04, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0xd2, 0x00, 0x30, 0x40, 0xcc, 0x00, 0x14, 0x04, 0x02, 0x0c, 0x40, 0x68,
            0x00, 0xc0, 0x3f, 0x3f, 0x02, 0x0c, 0x40, 0x6c, 0x00, 0x30, 0xfc, 0x03, 0xcf, 0x00,
            0x0c, 0x14, 0x02, 0x0c, 0x40, 0x48, 0x00, 0x00, 0x00, 0x01, 0xcc, 0x00, 0x0c, 0x04,
            0x02, 0x1b, 0x00, 0x00, 0x83, 0x1a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        assert_eq!(&img[..0x60], &want[..]);
        assert!(img[0x60..0xC00].iter().all(|&b| b == 0));
        assert_eq!(&img[0xC00..0xD00], &payload[..]);
        assert!(img[0xD00..].iter().all(|&b| b == 0));
    }

    #[test]
    fn file_size_is_header_plus_padded_payload() {
        for (n, want) in [(1, 0x1C00), (4096, 0x1C00), (4097, 0x2C00), (10000, 0x3C00)] {
            assert_eq!(file_len(n), want, "payload {n}");
            let img = build(&vec![1u8; n], 0x1000_1000, &[]).expect("build");
            assert_eq!(img.len(), want);
            // No DCD: pointer 0, empty header still written.
            assert_eq!(&img[0x0C..0x10], &[0, 0, 0, 0]);
            assert_eq!(&img[0x2C..0x30], &[0xD2, 0x00, 0x04, 0x40]);
            let length = u32::from_le_bytes([img[0x24], img[0x25], img[0x26], img[0x27]]);
            assert_eq!(length as usize, want + 0x400);
        }
    }

    #[test]
    fn sabrelite_dcd_is_one_write_command_of_784_bytes() {
        let d = encode_dcd(super::super::sabrelite::DCD);
        assert_eq!(super::super::sabrelite::DCD.len(), 97);
        assert_eq!(d.len(), 784);
        assert_eq!(&d[..8], &[0xD2, 0x03, 0x10, 0x40, 0xCC, 0x03, 0x0C, 0x04]);
    }

    #[test]
    fn set_clear_and_checks_split_commands() {
        let d = encode_dcd(&[
            DcdCmd::SetBits { addr: 1, value: 2 },
            DcdCmd::SetBits { addr: 3, value: 4 },
            DcdCmd::ClrBits { addr: 5, value: 6 },
            DcdCmd::CheckClr { addr: 7, mask: 8 },
            DcdCmd::CheckClr { addr: 9, mask: 10 },
        ]);
        let tags: Vec<(u8, u16, u8)> = {
            let mut v = Vec::new();
            let mut i = 4;
            while i < d.len() {
                let len = u16::from_be_bytes([d[i + 1], d[i + 2]]);
                v.push((d[i], len, d[i + 3]));
                i += len as usize;
            }
            v
        };
        assert_eq!(
            tags,
            [
                (0xCC, 20, 0x1C),
                (0xCC, 12, 0x0C),
                (0xCF, 12, 0x04),
                (0xCF, 12, 0x04)
            ]
        );
    }

    #[test]
    fn rejects_empty_payload_and_low_entry() {
        assert_eq!(build(&[], 0x1000_1000, &[]), Err(ImageError::EmptyPayload));
        assert_eq!(build(&[0], 0xFFF, &[]), Err(ImageError::EntryTooLow(0xFFF)));
    }
}
