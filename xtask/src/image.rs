//! `cargo xtask image`: wrap a bare-metal program into an i.MX6 boot image.
//!
//! The ELF's loadable segments (at their load addresses, LMA) are flattened
//! into one payload, as `objcopy -O binary` would, and wrapped with an IVT,
//! boot data and the board's DCD exactly as `mkimage -T imximage` (v2,
//! `BOOT_FROM sd`) does. `--explain DIR` writes the inputs that make mkimage
//! produce the same file. The image goes to an SD card at 1 KiB (`flash`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use object::read::elf::{FileHeader as _, ProgramHeader as _};

pub mod imx;
pub mod imx6ull_evk;
pub mod sabrelite;

/// Boards `image` knows.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Board {
    /// Boundary Devices / NXP SabreLite (i.MX6Q, 1 GiB DDR3).
    Sabrelite,
    /// NXP i.MX6ULL EVK (i.MX6ULL, 512 MiB DDR3L); `--example` builds with the
    /// `imx6ull-evk` feature (linked at 0x80001000).
    Imx6ullEvk,
}

impl Board {
    /// The board's DCD.
    fn dcd(self) -> &'static [imx::DcdCmd] {
        match self {
            Board::Sabrelite => sabrelite::DCD,
            Board::Imx6ullEvk => imx6ull_evk::DCD,
        }
    }

    /// Where the board's ROM may load an image.
    fn windows(self) -> &'static [sabrelite::Window] {
        match self {
            Board::Sabrelite => sabrelite::WINDOWS,
            Board::Imx6ullEvk => imx6ull_evk::WINDOWS,
        }
    }

    /// Where programs for the board are linked (the hint of a window error).
    fn link_hint(self) -> &'static str {
        match self {
            Board::Sabrelite => "link the program at DDR 0x10001000 or OCRAM 0x00908000",
            Board::Imx6ullEvk => {
                "build the program with `--board imx6ull-evk` (linked at DDR 0x80001000)"
            }
        }
    }

    /// The build target board (cargo feature) of `--example`.
    fn target(self) -> crate::target::Board {
        match self {
            Board::Sabrelite => crate::target::Board::Sabrelite,
            Board::Imx6ullEvk => crate::target::Board::Imx6ullEvk,
        }
    }
}

/// Arguments of `cargo xtask image`.
#[derive(clap::Args)]
pub struct Args {
    /// Target board (selects the DCD and the load windows).
    #[arg(long, value_enum)]
    board: Board,
    /// Bare-metal ELF to wrap.
    #[arg(long, conflicts_with = "example", required_unless_present = "example")]
    elf: Option<PathBuf>,
    /// A bare-metal example (examples/bare-metal/src/bin/NAME.rs), built in release mode first.
    #[arg(long)]
    example: Option<String>,
    /// Output boot image.
    #[arg(short, long)]
    output: PathBuf,
    /// Also write payload.bin, imximage.cfg and entry.txt into DIR, so that
    /// `mkimage -n DIR/imximage.cfg -T imximage -e $(cat DIR/entry.txt) -d DIR/payload.bin X.imx`
    /// reproduces the image byte for byte.
    #[arg(long, value_name = "DIR")]
    explain: Option<PathBuf>,
}

/// A program flattened for the boot ROM.
#[derive(Debug, PartialEq, Eq)]
pub struct Payload {
    /// Load address of the first byte, which is also the entry point.
    pub base: u32,
    /// The bytes from `base` to the end of the last loadable file data.
    pub bytes: Vec<u8>,
}

/// The largest span the payload may have before we even try (1 GiB of DDR).
const MAX_SPAN: u64 = 0x4000_0000;

/// Flattens an ARM ELF32 little-endian executable into a payload that starts at its entry.
pub fn payload_from_elf(data: &[u8]) -> anyhow::Result<Payload> {
    use object::elf;
    if data.len() < 16 || &data[..4] != b"\x7fELF" {
        bail!("not an ELF file");
    }
    if data[4] != elf::ELFCLASS32 {
        bail!("64-bit ELF: the i.MX6 needs a 32-bit ARM program");
    }
    if data[5] != elf::ELFDATA2LSB {
        bail!("big-endian ELF: the i.MX6 boots little-endian");
    }
    let header =
        elf::FileHeader32::<object::Endianness>::parse(data).context("malformed ELF header")?;
    let endian = header.endian().context("malformed ELF header")?;
    let machine = header.e_machine(endian);
    if machine != elf::EM_ARM {
        bail!("ELF is for machine {machine}, not ARM (EM_ARM = 40)");
    }
    let segments: Vec<_> = header
        .program_headers(endian, data)
        .context("malformed ELF program headers")?
        .iter()
        .filter(|p| p.p_type(endian) == elf::PT_LOAD && p.p_filesz(endian) > 0)
        .collect();
    if segments.is_empty() {
        bail!("ELF has no loadable segment with data");
    }
    let base = segments
        .iter()
        .map(|p| p.p_paddr(endian))
        .min()
        .unwrap_or(0);
    let end = segments
        .iter()
        .map(|p| u64::from(p.p_paddr(endian)) + u64::from(p.p_filesz(endian)))
        .max()
        .unwrap_or(0);
    let entry = header.e_entry(endian);
    if entry != base {
        bail!(
            "ELF entry 0x{entry:08x} is not the first loaded byte 0x{base:08x}: the boot ROM \
             jumps to the start of the payload, so link `_start` first"
        );
    }
    let span = end - u64::from(base);
    if span > MAX_SPAN {
        bail!("payload too large: loadable segments span {span:#x} bytes");
    }
    let mut bytes = vec![0u8; span as usize];
    for p in segments {
        let seg = p.data(endian, data).map_err(|()| {
            anyhow::anyhow!(
                "ELF segment at 0x{:08x} lies outside the file",
                p.p_paddr(endian)
            )
        })?;
        let at = (p.p_paddr(endian) - base) as usize;
        bytes[at..at + seg.len()].copy_from_slice(seg);
    }
    Ok(Payload { base, bytes })
}

/// Checks that the whole image (header included) lands in one of the board's windows.
fn check_window(board: Board, entry: u32, payload_len: usize) -> anyhow::Result<()> {
    let windows = board.windows();
    let start = u64::from(entry).saturating_sub(0x1000);
    let end = u64::from(entry) + (imx::file_len(payload_len) as u64 - u64::from(imx::HEADER_AREA));
    if entry < 0x1000 {
        bail!("entry 0x{entry:08x} leaves no room for the boot header below it");
    }
    for w in windows {
        let (ws, we) = (u64::from(w.start), u64::from(w.end));
        if start >= ws && start < we {
            if end > we {
                bail!(
                    "payload too large: image 0x{start:08x}..0x{end:08x} overruns {} (ends 0x{we:08x}) by {} bytes",
                    w.name,
                    end - we
                );
            }
            return Ok(());
        }
    }
    let list: Vec<String> = windows
        .iter()
        .map(|w| format!("{} 0x{:08x}..0x{:08x}", w.name, w.start, w.end))
        .collect();
    bail!(
        "image start 0x{start:08x} (entry - 4 KiB) is outside the board's load windows ({}); {}",
        list.join(", "),
        board.link_hint()
    )
}

/// Cross-builds a bare-metal example in release mode with the shared target
/// build helper (`target.rs`) and returns its ELF.
fn build_example(name: &str, board: Board) -> anyhow::Result<PathBuf> {
    use crate::target;
    let sel = target::select_or_setup(target::IMX6_TARGET, target::choice_from_env()?)?;
    let req = target::BuildRequest {
        packages: vec!["examples-bare-metal".into()],
        bin: Some(name.to_string()),
        features: board.target().features_with(&[]),
        release: true,
    };
    let exes = target::build(&sel, &req)?;
    exes.into_iter()
        .find(|p| p.file_name().is_some_and(|f| f == name))
        .with_context(|| format!("the build produced no executable `{name}`"))
}

/// Writes the mkimage inputs for the same image.
fn explain(dir: &Path, payload: &Payload, dcd: &[imx::DcdCmd]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    crate::fw::write_atomic(&dir.join("payload.bin"), &payload.bytes)?;
    crate::fw::write_atomic(&dir.join("imximage.cfg"), imx::cfg_text(dcd).as_bytes())?;
    crate::fw::write_atomic(
        &dir.join("entry.txt"),
        format!("0x{:08x}\n", payload.base).as_bytes(),
    )?;
    Ok(())
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let elf_path = match (&args.elf, &args.example) {
        (Some(p), _) => p.clone(),
        (None, Some(name)) => build_example(name, args.board)?,
        (None, None) => bail!("give --elf PATH or --example NAME"),
    };
    let data =
        std::fs::read(&elf_path).with_context(|| format!("cannot read {}", elf_path.display()))?;
    let payload =
        payload_from_elf(&data).map_err(|e| anyhow::anyhow!("{}: {e:#}", elf_path.display()))?;
    check_window(args.board, payload.base, payload.bytes.len())?;
    let dcd = args.board.dcd();
    let image = imx::build(&payload.bytes, payload.base, dcd)?;
    crate::fw::write_atomic(&args.output, &image)?;
    if let Some(dir) = &args.explain {
        explain(dir, &payload, dcd)?;
    }
    eprintln!(
        "{}: {} bytes, entry 0x{:08x}, IVT at 0x{:08x}, payload {} bytes, DCD {} writes",
        args.output.display(),
        image.len(),
        payload.base,
        payload.base - imx::HEADER_AREA,
        payload.bytes.len(),
        dcd.len()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A minimal ELF32 executable: header, program headers, then each segment's bytes.
    /// `segments` = (p_type, paddr, bytes, memsz).
    pub fn make_elf(
        machine: u16,
        class: u8,
        entry: u32,
        segments: &[(u32, u32, &[u8], u32)],
    ) -> Vec<u8> {
        let phoff = 52u32;
        let mut data_off = phoff + 32 * segments.len() as u32;
        let mut out = Vec::new();
        out.extend_from_slice(b"\x7fELF");
        out.extend_from_slice(&[class, 1, 1, 0]);
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        out.extend_from_slice(&machine.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&entry.to_le_bytes());
        out.extend_from_slice(&phoff.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // shoff
        out.extend_from_slice(&0x0500_0200u32.to_le_bytes()); // flags
        out.extend_from_slice(&52u16.to_le_bytes());
        out.extend_from_slice(&32u16.to_le_bytes());
        out.extend_from_slice(&(segments.len() as u16).to_le_bytes());
        out.extend_from_slice(&40u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        for (ty, paddr, bytes, memsz) in segments {
            for w in [
                *ty,
                data_off,
                *paddr,
                *paddr,
                bytes.len() as u32,
                *memsz,
                5,
                4,
            ] {
                out.extend_from_slice(&w.to_le_bytes());
            }
            data_off += bytes.len() as u32;
        }
        for (_, _, bytes, _) in segments {
            out.extend_from_slice(bytes);
        }
        out
    }

    #[test]
    fn flattens_segments_with_gaps_and_ignores_bss() {
        let text = [0xFE, 0xFF, 0xFF, 0xEA, 1, 2, 3, 4];
        let data = [9, 9];
        let elf = make_elf(
            40,
            1,
            0x1000_1000,
            &[
                (1, 0x1000_1000, &text, 8),
                (1, 0x1000_1010, &data, 0x100),
                (1, 0x1000_2000, &[], 0x1000),
            ],
        );
        let p = payload_from_elf(&elf).expect("payload");
        assert_eq!(p.base, 0x1000_1000);
        assert_eq!(p.bytes.len(), 0x12);
        assert_eq!(&p.bytes[..8], &text);
        assert_eq!(&p.bytes[8..16], &[0; 8]);
        assert_eq!(&p.bytes[16..], &data);
    }

    #[test]
    fn rejects_bad_elves_with_one_line() {
        let ok_seg: &[(u32, u32, &[u8], u32)] = &[(1, 0x1000_1000, &[0, 0, 0, 0], 4)];
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"hello world, not an elf".to_vec(), "not an ELF"),
            (make_elf(62, 1, 0x1000_1000, ok_seg), "machine 62, not ARM"),
            (make_elf(40, 2, 0x1000_1000, ok_seg), "64-bit"),
            (
                make_elf(40, 1, 0x1000_1000, &[(1, 0x1000_1000, &[], 16)]),
                "no loadable segment",
            ),
            (
                make_elf(40, 1, 0x1000_1000, &[(4, 0x1000_1000, &[1], 1)]),
                "no loadable segment",
            ),
            (make_elf(40, 1, 0x1000_1004, ok_seg), "link `_start` first"),
        ];
        for (elf, want) in cases {
            let e = payload_from_elf(&elf).expect_err(want);
            let msg = format!("{e:#}");
            assert!(msg.contains(want), "got `{msg}`, want `{want}`");
            assert!(!msg.contains('\n'), "one line: `{msg}`");
        }
    }

    #[test]
    fn load_windows_are_checked() {
        assert!(check_window(Board::Sabrelite, 0x1000_1000, 0x1000).is_ok());
        assert!(check_window(Board::Sabrelite, 0x0090_8000, 0x2F000).is_ok());
        let e =
            check_window(Board::Sabrelite, 0x0090_8000, 0x30001).expect_err("too big for OCRAM");
        assert!(format!("{e}").contains("payload too large"), "{e}");
        let e = check_window(Board::Sabrelite, 0x1000_0000, 16).expect_err("start below DDR");
        assert!(
            format!("{e}").contains("outside the board's load windows"),
            "{e}"
        );
        let e = check_window(Board::Sabrelite, 0x4FFF_F000, 0x2000).expect_err("past DDR end");
        assert!(format!("{e}").contains("payload too large"), "{e}");
        // The EVK: DDR from 0x8000_0000 only; a SabreLite-linked program is refused.
        assert!(check_window(Board::Imx6ullEvk, 0x8000_1000, 0x1000).is_ok());
        let e = check_window(Board::Imx6ullEvk, 0x1000_1000, 16).expect_err("SabreLite link");
        assert!(format!("{e}").contains("--board imx6ull-evk"), "{e}");
        let e = check_window(Board::Imx6ullEvk, 0x9FFF_F000, 0x2000).expect_err("past DDR end");
        assert!(format!("{e}").contains("payload too large"), "{e}");
    }
}
