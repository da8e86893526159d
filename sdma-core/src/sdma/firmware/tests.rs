//! Firmware parser tests on hand-built files (the NXP blob is never used here).

extern crate std;

use super::*;
use std::vec;
use std::vec::Vec;

/// A v3.5 table laid out like the real i.MX6Q file: ROM scripts, RAM scripts at
/// 0x1800.., load address 0x1800, the rest -1.
fn imx6q_like_table() -> Vec<i32> {
    let mut t = vec![-1i32; 45];
    t[0] = 642;
    t[13] = 747;
    t[11] = 0x1804;
    t[22] = 683;
    t[34] = 0x1800;
    t[40] = 0x1800;
    t[43] = 817;
    t
}

fn build(major: u32, minor: u32, table: &[i32], code: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; encoded_len(table.len(), code.len())];
    let n = encode(major, minor, table, code, &mut out).expect("encode");
    assert_eq!(n, out.len());
    out
}

fn code(words: usize) -> Vec<u8> {
    (0..words)
        .flat_map(|i| ((i as u16).wrapping_mul(0x0101) ^ 0x5A00).to_le_bytes())
        .collect()
}

fn put(file: &mut [u8], off: usize, v: u32) {
    file[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn parses_header_table_and_code() {
    let c = code(16);
    let f = build(3, 5, &imx6q_like_table(), &c);
    let fw = Firmware::parse(&f).expect("valid file");
    let h = fw.header();
    assert_eq!(h.magic, MAGIC);
    assert_eq!((h.version_major, h.version_minor), (3, 5));
    assert_eq!(h.script_addrs_start, 0x1C);
    assert_eq!(h.num_script_addrs, 45);
    assert_eq!(h.ram_code_start, 0x1C + 45 * 4);
    assert_eq!(h.ram_code_size, 32);
    assert_eq!(fw.load_address(), Some(0x1800));
    assert_eq!(fw.ram_code(), &c[..]);
    assert_eq!(fw.ram_code_words_len(), 16);
    let words: Vec<u16> = fw.ram_code_words().collect();
    assert_eq!(words[1], u16::from_le_bytes([c[2], c[3]]));
    assert_eq!(words[1], 0x0101 ^ 0x5A00);
    let t = fw.script_table();
    assert_eq!(t.len(), 45);
    assert_eq!(t.get(34), Some(0x1800));
    assert_eq!(t.get(45), None);
    assert_eq!(t.iter().collect::<Vec<_>>(), imx6q_like_table());
}

#[test]
fn script_addrs_are_named_in_linux_order() {
    let f = build(3, 5, &imx6q_like_table(), &code(16));
    let s = Firmware::parse(&f).expect("valid").script_addrs();
    assert_eq!(s.ap_2_ap, Some(642));
    assert_eq!(s.uart_2_mcu, Some(0x1804));
    assert_eq!(s.mcu_2_app, Some(747));
    assert_eq!(s.app_2_mcu, Some(683));
    assert_eq!(s.mcu_2_ecspi, Some(0x1800));
    assert_eq!(s.uart_2_mcu_rom, Some(817));
    assert_eq!(s.mcu_2_shp, None);
    assert_eq!(s.get("mcu_2_app"), Some(747));
    assert_eq!(s.get("no_such_script"), None);
    let present: Vec<_> = s.iter().filter_map(|(n, a)| a.map(|a| (n, a))).collect();
    assert_eq!(
        present,
        [
            ("ap_2_ap", 642),
            ("uart_2_mcu", 0x1804),
            ("mcu_2_app", 747),
            ("app_2_mcu", 683),
            ("mcu_2_ecspi", 0x1800),
            ("uart_2_mcu_rom", 817)
        ]
    );
}

#[test]
fn zero_and_negative_entries_are_absent() {
    let mut t = imx6q_like_table();
    t[0] = 0;
    t[13] = -7;
    let f = build(3, 5, &t, &code(16));
    let s = Firmware::parse(&f).expect("valid").script_addrs();
    assert_eq!(s.ap_2_ap, None);
    assert_eq!(s.mcu_2_app, None);
}

#[test]
fn layouts_follow_version_and_i2c_insertion() {
    let v45 = TableLayout::for_version(4, 5).expect("v4");
    let v46 = TableLayout::for_version(4, 6).expect("v4");
    let v35 = TableLayout::for_version(3, 5).expect("v3");
    assert_eq!(
        TableLayout::for_version(1, 0).map(|l| l.max_entries()),
        Some(35)
    );
    assert_eq!(
        TableLayout::for_version(2, 0).map(|l| l.max_entries()),
        Some(38)
    );
    assert_eq!(v35.max_entries(), 45);
    assert_eq!(v45.max_entries(), 46);
    assert_eq!(v46.max_entries(), 48);
    assert_eq!(v45.name(45), Some("mcu_2_zqspi"));
    assert_eq!(v46.name(45), Some("i2c_2_mcu"));
    assert_eq!(v46.name(46), Some("mcu_2_i2c"));
    assert_eq!(v46.name(47), Some("mcu_2_zqspi"));
    assert_eq!(v35.name(45), None);
    assert_eq!(v35.name(34), None);
    assert_eq!(v35.name(37), Some("hdmi_dma"));
    assert_eq!(v35.index_of("sai_2_mcu"), Some(42));
    assert_eq!(TableLayout::for_version(5, 0), None);
    assert_eq!(TableLayout::for_version(0, 0), None);
}

#[test]
fn rom_defaults_and_merge() {
    let rom = ScriptAddrs::imx6q_rom_defaults();
    assert_eq!(rom.ap_2_ap, Some(642));
    assert_eq!(rom.mcu_2_app, Some(747));
    assert_eq!(rom.app_2_mcu, Some(683));
    assert_eq!(rom.mcu_2_shp, Some(960));
    assert_eq!(rom.shp_2_mcu, Some(891));
    assert_eq!(rom.uart_2_mcu, Some(817));
    assert_eq!(rom.uartsh_2_mcu, Some(1032));
    assert_eq!(rom.spdif_2_mcu, Some(1100));
    assert_eq!(rom.mcu_2_spdif, Some(1134));
    assert_eq!(rom.iter().filter(|(_, a)| a.is_some()).count(), 11);

    let f = build(3, 5, &imx6q_like_table(), &code(16));
    let ram = Firmware::parse(&f).expect("valid").script_addrs();
    let m = rom.merge(&ram);
    assert_eq!(m.uart_2_mcu, Some(0x1804), "RAM overrides ROM");
    assert_eq!(m.mcu_2_shp, Some(960), "ROM kept where RAM is absent");
    assert_eq!(m.mcu_2_ecspi, Some(0x1800), "RAM-only script added");
    assert_eq!(m.uart_2_mcu_rom, Some(817));
}

#[test]
fn rejects_short_and_bad_magic() {
    let f = build(3, 5, &imx6q_like_table(), &code(16));
    assert_eq!(
        Firmware::parse(&f[..27]),
        Err(FirmwareError::Truncated { len: 27 })
    );
    assert_eq!(
        Firmware::parse(&[]),
        Err(FirmwareError::Truncated { len: 0 })
    );
    let mut g = f.clone();
    g[0] = b'X';
    assert!(matches!(
        Firmware::parse(&g),
        Err(FirmwareError::BadMagic(_))
    ));
}

#[test]
fn rejects_versions_and_table_lengths() {
    for major in [0u32, 5, 0xFFFF_FFFF] {
        let f = build(major, 0, &imx6q_like_table(), &code(16));
        assert_eq!(
            Firmware::parse(&f),
            Err(FirmwareError::UnsupportedVersion(major))
        );
    }
    // 46 entries in a v3.5 file: one too many.
    let mut t = imx6q_like_table();
    t.push(-1);
    let f = build(3, 5, &t, &code(16));
    assert_eq!(
        Firmware::parse(&f),
        Err(FirmwareError::TooManyScripts { count: 46, max: 45 })
    );
    // The same table is fine for v3.6 (I2C layout, 47 entries).
    assert!(Firmware::parse(&build(3, 6, &t, &code(16))).is_ok());
}

#[test]
fn rejects_sections_outside_file() {
    let f = build(3, 5, &imx6q_like_table(), &code(16));
    // Truncated in the middle of the code.
    assert!(matches!(
        Firmware::parse(&f[..f.len() - 2]),
        Err(FirmwareError::CodeOutsideFile { .. })
    ));
    // Table pointing past the end.
    let mut g = f.clone();
    put(&mut g, 0x0C, 0xFFFF_FFF0);
    assert!(matches!(
        Firmware::parse(&g),
        Err(FirmwareError::TableOutsideFile { .. })
    ));
    // Table inside the header.
    let mut g = f.clone();
    put(&mut g, 0x0C, 8);
    assert!(matches!(
        Firmware::parse(&g),
        Err(FirmwareError::TableOutsideFile { .. })
    ));
    // Code size that overflows 32 bits when added to the offset.
    let mut g = f.clone();
    put(&mut g, 0x18, 0xFFFF_FFFE);
    assert_eq!(
        Firmware::parse(&g),
        Err(FirmwareError::CodeTooLarge(0xFFFF_FFFE))
    );
    // Code overlapping the table.
    let mut g = f.clone();
    put(&mut g, 0x14, 0x20);
    assert_eq!(Firmware::parse(&g), Err(FirmwareError::TableOverlapsCode));
    // Odd offsets/sizes.
    let mut g = f.clone();
    put(&mut g, 0x0C, 0x1E);
    assert_eq!(
        Firmware::parse(&g),
        Err(FirmwareError::MisalignedTable(0x1E))
    );
    let mut g = f.clone();
    put(&mut g, 0x18, 31);
    assert!(matches!(
        Firmware::parse(&g),
        Err(FirmwareError::MisalignedCode { .. })
    ));
    // Trailing bytes.
    let mut g = f.clone();
    g.extend_from_slice(&[0, 0]);
    assert!(matches!(
        Firmware::parse(&g),
        Err(FirmwareError::TrailingData { .. })
    ));
}

#[test]
fn rejects_bad_load_address_and_scripts() {
    let mut t = imx6q_like_table();
    t[34] = -1;
    assert_eq!(
        Firmware::parse(&build(3, 5, &t, &code(16))),
        Err(FirmwareError::MissingLoadAddress)
    );
    let mut t = imx6q_like_table();
    t[34] = 0x1FF8;
    t[11] = -1;
    t[40] = -1;
    assert!(matches!(
        Firmware::parse(&build(3, 5, &t, &code(16))),
        Err(FirmwareError::LoadAddressOutOfRange {
            addr: 0x1FF8,
            words: 16
        })
    ));
    let mut t = imx6q_like_table();
    t[13] = 0x1810; // one past the 16-word code
    assert_eq!(
        Firmware::parse(&build(3, 5, &t, &code(16))),
        Err(FirmwareError::ScriptOutOfRange {
            index: 13,
            addr: 0x1810
        })
    );
    let mut t = imx6q_like_table();
    t[13] = 0x0900; // between ROM and RAM
    assert!(Firmware::parse(&build(3, 5, &t, &code(16))).is_err());
    // No code and no load address: a ROM-only table is fine.
    let mut t = imx6q_like_table();
    t[34] = -1;
    t[11] = -1;
    t[40] = -1;
    let f = build(3, 5, &t, &[]);
    let fw = Firmware::parse(&f).expect("rom-only table");
    assert_eq!(fw.load_address(), None);
    assert!(fw.ram_code().is_empty());
}

#[test]
fn encode_reports_small_buffer_and_odd_code() {
    let mut small = [0u8; 10];
    assert_eq!(
        encode(3, 5, &[1, 2], &[0, 0], &mut small),
        Err(EncodeError::BufferTooSmall { needed: 38 })
    );
    let mut buf = [0u8; 64];
    assert_eq!(
        encode(3, 5, &[], &[0], &mut buf),
        Err(EncodeError::OddCodeLength)
    );
}

/// Deterministic xorshift64* so any failure names its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Checks what a successful parse promises, on any input.
fn check_invariants(file: &[u8], fw: &Firmware<'_>) {
    let h = fw.header();
    assert_eq!(h.magic, MAGIC);
    assert!((1..=4).contains(&h.version_major));
    assert_eq!(fw.ram_code().len(), h.ram_code_size as usize);
    assert!(h.ram_code_start as usize + fw.ram_code().len() <= file.len());
    assert!(fw.script_table().len() <= fw.script_table().layout().max_entries());
    if let Some(load) = fw.load_address() {
        assert!(load as usize + fw.ram_code_words_len() <= PROGRAM_RAM_END as usize);
    }
    for (_, a) in fw.script_addrs().iter() {
        if let Some(a) = a {
            assert!(a < PROGRAM_RAM_END);
        }
    }
}

#[test]
fn fuzz_mutated_headers_and_random_bytes_never_panic() {
    const SEED: u64 = 0x5D3A_F1E7_0000_0001;
    let base = build(3, 5, &imx6q_like_table(), &code(64));
    let interesting = [
        0u32,
        1,
        2,
        3,
        4,
        0x1C,
        0x1E,
        45,
        46,
        48,
        0x7FFF_FFFF,
        0x8000_0000,
        0xFFFF_FFFC,
        0xFFFF_FFFF,
        base.len() as u32,
    ];
    let mut accepted = 0usize;
    for case in 0..20_000u64 {
        let seed = SEED ^ case.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut rng = Rng(seed | 1);
        let mut f = base.clone();
        match rng.below(4) {
            // Mutate 1..4 header words with interesting or random values.
            0 | 1 => {
                for _ in 0..=rng.below(4) {
                    let off = 4 * rng.below(7) as usize;
                    let v = if rng.below(2) == 0 {
                        interesting[rng.below(interesting.len() as u64) as usize]
                    } else {
                        rng.next() as u32
                    };
                    put(&mut f, off, v);
                }
            }
            // Flip random bytes anywhere, or in the table.
            2 => {
                for _ in 0..=rng.below(8) {
                    let i = rng.below(f.len() as u64) as usize;
                    f[i] ^= rng.next() as u8;
                }
            }
            // Random bytes with a valid magic, random length, or a truncation.
            _ => {
                let len = rng.below(400) as usize;
                if rng.below(2) == 0 {
                    f.truncate(len);
                } else {
                    f = (0..len).map(|_| rng.next() as u8).collect();
                    if f.len() >= 4 {
                        f[..4].copy_from_slice(b"SDMA");
                    }
                }
            }
        }
        let result = std::panic::catch_unwind(|| {
            if let Ok(fw) = Firmware::parse(&f) {
                check_invariants(&f, &fw);
                true
            } else {
                false
            }
        });
        match result {
            Ok(ok) => accepted += usize::from(ok),
            Err(_) => panic!("parser panicked or broke an invariant: case {case}, seed {seed:#x}"),
        }
    }
    // The mutations must leave some inputs valid, or the test proves little.
    assert!(
        accepted > 100,
        "only {accepted} mutated files were accepted"
    );
}
