//! `fw fetch`: NXP's SDMA firmware from Debian's `firmware-misc-nonfree`.
//!
//! The package is in the `non-free-firmware` component, which the machine's
//! apt sources usually lack. Rather than touching `/etc/apt`, a private apt
//! configuration (sources list, lists and cache directories) under the cache
//! directory is built from the machine's own Debian entry (same mirror, same
//! suite, same keyring) with that component, then `apt-get update`,
//! `apt-get download` and `dpkg-deb --fsys-tarfile | tar` extract
//! `lib/firmware/imx/sdma/*`. A second run finds the files and does no network.
//! apt checks the package against the signed archive index.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{bail, Context as _};
use sdma_core::sdma::firmware::Firmware;

const PACKAGE: &str = "firmware-misc-nonfree";
const COMPONENT: &str = "non-free-firmware";
/// Files that must be present for the cache to count as complete.
const REQUIRED: [&str; 2] = ["sdma-imx6q.bin", "sdma-imx7d.bin"];

/// Arguments of `fw fetch`.
#[derive(clap::Args)]
pub struct Args {
    /// Cache directory (default: WORKSPACE/.cache/firmware, git-ignored).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Download again even when the cache is complete.
    #[arg(long)]
    refresh: bool,
    /// apt sources file to take the Debian mirror and suite from.
    #[arg(long, default_value = "/etc/apt/sources.list.d/debian.sources")]
    sources: PathBuf,
}

/// The parts of a Debian apt source that the private entry reuses.
#[derive(Debug, PartialEq, Eq)]
pub struct DebianSource {
    /// Mirror URI, e.g. `http://deb.debian.org/debian`.
    pub uri: String,
    /// Release suite, e.g. `bookworm`.
    pub suite: String,
    /// Keyring file, if the entry names one.
    pub signed_by: Option<String>,
}

/// Finds the main Debian archive entry (not security, not updates/backports)
/// in a deb822 `.sources` file or a one-line `sources.list`.
pub fn debian_source(text: &str) -> Option<DebianSource> {
    let is_release_suite = |s: &str| !s.contains('-') && !s.contains('/');
    let is_archive = |u: &str| u.trim_end_matches('/').ends_with("/debian");
    // deb822 stanzas.
    for stanza in text.split("\n\n") {
        let field = |key: &str| {
            stanza.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().to_string())
            })
        };
        let (Some(types), Some(uris), Some(suites)) =
            (field("Types"), field("URIs"), field("Suites"))
        else {
            continue;
        };
        if !types.split_whitespace().any(|t| t == "deb") {
            continue;
        }
        let Some(uri) = uris.split_whitespace().find(|u| is_archive(u)) else {
            continue;
        };
        if let Some(suite) = suites.split_whitespace().find(|s| is_release_suite(s)) {
            return Some(DebianSource {
                uri: uri.trim_end_matches('/').to_string(),
                suite: suite.to_string(),
                signed_by: field("Signed-By"),
            });
        }
    }
    // One-line format: deb [opts] URI SUITE COMPONENTS...
    for line in text.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("deb ") else {
            continue;
        };
        let mut signed_by = None;
        let rest = match rest.trim().strip_prefix('[') {
            Some(r) => {
                let (opts, after) = r.split_once(']')?;
                signed_by = opts
                    .split_whitespace()
                    .find_map(|o| o.strip_prefix("signed-by=").map(str::to_string));
                after
            }
            None => rest,
        };
        let mut it = rest.split_whitespace();
        if let (Some(uri), Some(suite)) = (it.next(), it.next()) {
            if is_archive(uri) && is_release_suite(suite) {
                return Some(DebianSource {
                    uri: uri.trim_end_matches('/').to_string(),
                    suite: suite.to_string(),
                    signed_by,
                });
            }
        }
    }
    None
}

/// Where the firmware sits inside an extracted package tree.
fn sdma_dir(tree: &Path) -> PathBuf {
    tree.join("lib/firmware/imx/sdma")
}

fn complete(dir: &Path) -> bool {
    REQUIRED
        .iter()
        .all(|f| std::fs::read(dir.join(f)).is_ok_and(|b| Firmware::parse(&b).is_ok()))
}

/// Child output goes to our stderr, so that stdout's last line is the result.
fn to_stderr() -> anyhow::Result<Stdio> {
    use std::os::fd::AsFd as _;
    Ok(Stdio::from(std::io::stderr().as_fd().try_clone_to_owned()?))
}

fn run_step(what: &str, cmd: &mut Command) -> anyhow::Result<()> {
    eprintln!("==> {what}");
    let status = cmd
        .stdout(to_stderr()?)
        .status()
        .with_context(|| format!("cannot run {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// Runs `fw fetch`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let cache = a
        .cache_dir
        .unwrap_or_else(|| crate::util::workspace_root().join(".cache/firmware"));
    let dir = sdma_dir(&cache.join("files"));
    if !a.refresh && complete(&dir) {
        eprintln!("firmware already in the cache (no download)");
        println!("{}", dir.display());
        return Ok(ExitCode::SUCCESS);
    }

    let text = std::fs::read_to_string(&a.sources)
        .with_context(|| format!("cannot read {}", a.sources.display()))?;
    let src = debian_source(&text).with_context(|| {
        format!(
            "no main Debian archive entry (…/debian, release suite) in {}",
            a.sources.display()
        )
    })?;
    let apt = cache.join("apt");
    for d in [
        "lists/partial",
        "cache/archives/partial",
        "sources.list.d",
        "deb",
    ] {
        std::fs::create_dir_all(apt.join(d))
            .with_context(|| format!("cannot create {}", apt.join(d).display()))?;
    }
    let signed = src
        .signed_by
        .as_deref()
        .map_or(String::new(), |k| format!("[signed-by={k}] "));
    let list = apt.join("sources.list");
    std::fs::write(
        &list,
        format!("deb {signed}{} {} {COMPONENT}\n", src.uri, src.suite),
    )?;
    let opts = [
        format!("Dir::Etc::SourceList={}", list.display()),
        format!(
            "Dir::Etc::SourceParts={}",
            apt.join("sources.list.d").display()
        ),
        format!("Dir::State::Lists={}", apt.join("lists").display()),
        format!("Dir::Cache={}", apt.join("cache").display()),
        "APT::Sandbox::User=root".to_string(),
    ];
    let apt_get = |args: &[&str]| {
        let mut c = Command::new("apt-get");
        for o in &opts {
            c.arg("-o").arg(o);
        }
        c.args(args);
        c
    };
    run_step(
        &format!("apt-get update ({} {} {COMPONENT})", src.uri, src.suite),
        &mut apt_get(&["-q", "update"]),
    )?;
    let deb_dir = apt.join("deb");
    for e in std::fs::read_dir(&deb_dir)?.flatten() {
        let _ = std::fs::remove_file(e.path());
    }
    run_step(
        &format!("apt-get download {PACKAGE}"),
        apt_get(&["-q", "download", PACKAGE]).current_dir(&deb_dir),
    )?;
    let deb = std::fs::read_dir(&deb_dir)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .with_context(|| format!("apt-get download left no .deb in {}", deb_dir.display()))?;

    // Extract only imx/sdma into a fresh directory, then swap it in.
    let files = cache.join("files");
    let staging = cache.join("files.new");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    eprintln!(
        "==> extracting lib/firmware/imx/sdma from {}",
        deb.display()
    );
    let mut dpkg = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(&deb)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run dpkg-deb")?;
    let tar_in = dpkg.stdout.take().context("no dpkg-deb output")?;
    let tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(&staging)
        .arg("--wildcards")
        .arg("./lib/firmware/imx/sdma/*")
        .stdin(tar_in)
        .status()
        .context("cannot run tar")?;
    let dpkg = dpkg.wait()?;
    if !dpkg.success() || !tar.success() {
        bail!(
            "extracting {} failed (dpkg-deb {dpkg}, tar {tar})",
            deb.display()
        );
    }
    if !complete(&sdma_dir(&staging)) {
        bail!(
            "{} does not contain valid {} and {}",
            deb.display(),
            REQUIRED[0],
            REQUIRED[1]
        );
    }
    let _ = std::fs::remove_dir_all(&files);
    std::fs::rename(&staging, &files)?;
    for f in REQUIRED {
        let b = std::fs::read(dir.join(f))?;
        if let Ok(fw) = Firmware::parse(&b) {
            let h = fw.header();
            eprintln!(
                "{f}: {} bytes, version {}.{}",
                b.len(),
                h.version_major,
                h.version_minor
            );
        }
    }
    println!("{}", dir.display());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_main_archive_in_deb822() {
        let text = "Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\n\
                    URIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\n\
                    Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n\
                    Types: deb\nURIs: http://deb.debian.org/debian-security\n\
                    Suites: bookworm-security\nComponents: main\n";
        assert_eq!(
            debian_source(text),
            Some(DebianSource {
                uri: "http://deb.debian.org/debian".into(),
                suite: "bookworm".into(),
                signed_by: Some("/usr/share/keyrings/debian-archive-keyring.gpg".into()),
            })
        );
    }

    #[test]
    fn finds_the_main_archive_in_one_line_format() {
        let text = "deb http://security.debian.org/debian-security trixie-security main\n\
                    deb [arch=amd64 signed-by=/k.gpg] http://ftp.de.debian.org/debian/ trixie main\n";
        assert_eq!(
            debian_source(text),
            Some(DebianSource {
                uri: "http://ftp.de.debian.org/debian".into(),
                suite: "trixie".into(),
                signed_by: Some("/k.gpg".into()),
            })
        );
        assert_eq!(debian_source("deb http://x/ubuntu jammy main\n"), None);
    }
}
