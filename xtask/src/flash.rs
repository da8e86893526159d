//! `cargo xtask flash`: write a boot image to an SD card or a raw disk image
//! at 1 KiB (where the i.MX6 ROM looks for the IVT; the MBR in sector 0 is
//! left alone), or boot it over USB serial download with `uuu` / `imx_usb`.
//!
//! Writes go in 64 KiB chunks with a progress bar, are synced, then read back
//! and compared. Block devices need a typed confirmation unless `--yes`, and
//! a device with a mounted partition is refused.

use std::fs::OpenOptions;
use std::io::{BufRead as _, Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::fs::FileTypeExt as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};

/// Byte offset of the image on SD/eMMC (IVT offset 0x400).
pub const SD_OFFSET: u64 = 0x400;
const CHUNK: usize = 64 * 1024;

/// Arguments of `cargo xtask flash`.
#[derive(clap::Args)]
pub struct Args {
    /// Boot image (`.imx`, as `cargo xtask image` writes).
    image: PathBuf,
    /// SD card block device (e.g. /dev/sdX) or raw disk image file to write at 1 KiB.
    #[arg(long, conflicts_with = "usb", required_unless_present = "usb")]
    to: Option<PathBuf>,
    /// Boot the image over USB serial download (board in SDP mode, SabreLite SW1 = 01), via uuu or imx_usb.
    #[arg(long)]
    usb: bool,
    /// Do not ask for confirmation before writing a block device.
    #[arg(long)]
    yes: bool,
    /// Create the disk image file if it does not exist (never for paths under /dev).
    #[arg(long)]
    create: bool,
}

/// Checks the IVT header at the start of an image (`D1 00 20 4x`).
pub fn check_image(bytes: &[u8]) -> anyhow::Result<()> {
    if bytes.len() < 0x30
        || bytes[0] != 0xD1
        || bytes[1] != 0x00
        || bytes[2] != 0x20
        || bytes[3] & 0xF0 != 0x40
    {
        bail!("not an i.MX boot image: no IVT header (D1 00 20 4x) at offset 0");
    }
    Ok(())
}

/// Partitions of `dev` (or `dev` itself) that /proc/mounts lists.
fn mounted_parts(dev: &Path) -> Vec<String> {
    let Ok(mounts) = std::fs::read_to_string("/proc/mounts") else {
        return Vec::new();
    };
    let canon = std::fs::canonicalize(dev).unwrap_or_else(|_| dev.to_path_buf());
    let d = canon.to_string_lossy().to_string();
    mounts
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|src| src.starts_with(&d))
        .map(str::to_string)
        .collect()
}

fn confirm(target: &Path, len: usize) -> anyhow::Result<()> {
    eprint!(
        "About to write {len} bytes to block device {} at offset {SD_OFFSET}: its data there is lost. Type `yes` to go on: ",
        target.display()
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("not confirmed, nothing written");
    }
    Ok(())
}

/// Writes `image` at [`SD_OFFSET`] into `target` (file or device), syncs and verifies.
pub fn write_at_offset(target: &Path, image: &[u8], progress: bool) -> anyhow::Result<()> {
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(target)
        .with_context(|| format!("cannot open {} for writing", target.display()))?;
    let bar = if progress {
        indicatif::ProgressBar::new(image.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("writing");
    f.seek(SeekFrom::Start(SD_OFFSET))?;
    for chunk in image.chunks(CHUNK) {
        f.write_all(chunk)
            .with_context(|| format!("write to {} failed", target.display()))?;
        bar.inc(chunk.len() as u64);
    }
    f.sync_all()
        .with_context(|| format!("sync of {} failed", target.display()))?;
    bar.set_message("verifying");
    bar.set_position(0);
    f.seek(SeekFrom::Start(SD_OFFSET))?;
    let mut back = vec![0u8; CHUNK];
    for (i, chunk) in image.chunks(CHUNK).enumerate() {
        let got = &mut back[..chunk.len()];
        f.read_exact(got)
            .with_context(|| format!("read-back of {} failed", target.display()))?;
        if got != chunk {
            bar.abandon();
            bail!(
                "verification failed: {} differs from the image in the chunk at byte {}",
                target.display(),
                SD_OFFSET as usize + i * CHUNK
            );
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_with_message("written and verified");
    Ok(())
}

fn flash_usb(image: &Path) -> anyhow::Result<ExitCode> {
    let (tool, args): (PathBuf, Vec<&std::ffi::OsStr>) = if let Some(uuu) =
        crate::util::which("uuu")
    {
        (uuu, vec![image.as_os_str()])
    } else if let Some(imx_usb) = crate::util::which("imx_usb") {
        (imx_usb, vec![image.as_os_str()])
    } else {
        bail!(
            "neither `uuu` nor `imx_usb` is in PATH: install Debian's `uuu` or `imx-usb-loader` \
             package, put the board in serial download mode (SabreLite SW1 = 01) and plug in the OTG port"
        );
    };
    eprintln!("==> {} {}", tool.display(), image.display());
    let status = std::process::Command::new(&tool)
        .args(args)
        .status()
        .with_context(|| format!("cannot run {}", tool.display()))?;
    if !status.success() {
        bail!("{} failed ({status})", tool.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let image = std::fs::read(&args.image)
        .with_context(|| format!("cannot read {}", args.image.display()))?;
    check_image(&image).map_err(|e| anyhow::anyhow!("{}: {e}", args.image.display()))?;
    if args.usb {
        return flash_usb(&args.image);
    }
    let Some(target) = args.to else {
        bail!("give --to DEVICE_OR_FILE or --usb");
    };
    match std::fs::metadata(&target) {
        Ok(m) if m.file_type().is_block_device() => {
            let mounted = mounted_parts(&target);
            if !mounted.is_empty() {
                bail!(
                    "{} is in use: {} mounted; unmount first",
                    target.display(),
                    mounted.join(", ")
                );
            }
            if !args.yes {
                confirm(&target, image.len())?;
            }
        }
        Ok(m) if m.is_file() => {}
        Ok(_) => bail!(
            "{} is neither a block device nor a regular file",
            target.display()
        ),
        Err(_) if args.create && !target.starts_with("/dev") => {
            std::fs::File::create(&target)
                .with_context(|| format!("cannot create {}", target.display()))?;
        }
        Err(e) => bail!(
            "{}: {e} (pass --create to make a new disk image file)",
            target.display()
        ),
    }
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    write_at_offset(&target, &image, progress)?;
    eprintln!(
        "{}: {} bytes at offset {SD_OFFSET} ({} KiB), verified",
        target.display(),
        image.len(),
        SD_OFFSET / 1024
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("xtask-flash-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&d);
        d
    }

    #[test]
    fn writes_at_1k_and_keeps_the_mbr_and_the_rest() {
        let disk = tmp("disk.img");
        // A 256 KiB disk with a recognisable MBR and filler.
        let mut orig: Vec<u8> = (0..256 * 1024).map(|i| (i * 7 % 251) as u8).collect();
        orig[0x1FE] = 0x55;
        orig[0x1FF] = 0xAA;
        std::fs::write(&disk, &orig).expect("disk");
        let mut image = vec![0u8; 0x1C00];
        image[..4].copy_from_slice(&[0xD1, 0x00, 0x20, 0x40]);
        for (i, b) in image.iter_mut().enumerate().skip(4) {
            *b = (i % 13) as u8;
        }
        write_at_offset(&disk, &image, false).expect("write");
        let after = std::fs::read(&disk).expect("read");
        assert_eq!(after.len(), orig.len(), "size unchanged");
        assert_eq!(
            &after[..0x400],
            &orig[..0x400],
            "MBR sector and gap untouched"
        );
        assert_eq!(&after[0x400..0x400 + image.len()], &image[..]);
        assert_eq!(&after[0x400 + image.len()..], &orig[0x400 + image.len()..]);
        let _ = std::fs::remove_file(&disk);
    }

    #[test]
    fn grows_a_small_file_and_rejects_non_images() {
        let disk = tmp("small.img");
        std::fs::write(&disk, [1u8; 16]).expect("disk");
        let mut image = vec![0u8; 0x100];
        image[..4].copy_from_slice(&[0xD1, 0x00, 0x20, 0x41]);
        check_image(&image).expect("IVT v0x41 accepted");
        write_at_offset(&disk, &image, false).expect("write");
        let after = std::fs::read(&disk).expect("read");
        assert_eq!(after.len(), 0x500);
        assert_eq!(&after[..16], &[1u8; 16]);
        assert!(after[16..0x400].iter().all(|&b| b == 0));
        let _ = std::fs::remove_file(&disk);
        assert!(check_image(b"SDMA....................................................").is_err());
        assert!(check_image(&[0xD1, 0, 0x20]).is_err());
    }
}
