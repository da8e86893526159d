//! Helpers shared by the subcommands: paths, tool lookup, running commands.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// The workspace root (the parent of the xtask crate).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

/// The `target/` directory of the workspace.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// A `cargo` command for the toolchain that runs the xtask: `cargo` from `PATH`
/// (under rustup, `RUSTUP_TOOLCHAIN` keeps it on the same toolchain), run from the
/// workspace root.
pub fn cargo() -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(workspace_root());
    cmd
}

/// A command that runs an xtask subcommand (`cargo xtask ARGS`), for `ci` steps.
///
/// It goes through `cargo run` rather than this process's own executable: earlier
/// steps (`clippy`, `test`) may rebuild and replace `target/debug/xtask` while it
/// runs, and `cargo run` also picks up source changes.
pub fn xtask() -> Command {
    let mut cmd = cargo();
    cmd.args(["run", "--quiet", "--package", "xtask", "--"]);
    cmd
}

/// Whether we run under CI (`CI=true` or `CI=1`): missing tools are failures there.
pub fn is_ci() -> bool {
    matches!(
        std::env::var("CI").as_deref(),
        Ok("true") | Ok("1") | Ok("TRUE") | Ok("True")
    )
}

/// The full path of `program` in `PATH`, if it is there and executable.
pub fn which(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let p = PathBuf::from(program);
        return is_executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The effective user ID from `/proc/self/status`, if readable.
pub fn effective_uid() -> Option<u32> {
    parse_effective_uid(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// The effective UID in the text of `/proc/<pid>/status` (`Uid: real effective ...`).
pub fn parse_effective_uid(status: &str) -> Option<u32> {
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Whether we run as root (and may install Debian packages).
pub fn is_root() -> bool {
    effective_uid() == Some(0)
}

/// The command line of `cmd`, for logs (environment variables set on it first).
pub fn display_command(cmd: &Command) -> String {
    let mut parts: Vec<String> = cmd
        .get_envs()
        .filter_map(|(k, v)| v.map(|v| format!("{}={}", k.to_string_lossy(), quote(v))))
        .collect();
    parts.push(quote(cmd.get_program()));
    parts.extend(cmd.get_args().map(quote));
    parts.join(" ")
}

fn quote(s: &OsStr) -> String {
    let s = s.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+,@%".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Runs `cmd` with inherited stdio after printing it; returns its status.
pub fn run(cmd: &mut Command) -> anyhow::Result<ExitStatus> {
    eprintln!("$ {}", display_command(cmd));
    cmd.status()
        .map_err(|e| anyhow::anyhow!("cannot run `{}`: {e}", display_command(cmd)))
}

/// Runs `cmd` and returns its stdout if it exits successfully (stderr discarded).
pub fn output_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(std::process::Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// An exit status as a process exit code byte (signals and overflow give 1).
pub fn exit_code_of(status: ExitStatus) -> u8 {
    match status.code() {
        Some(c) if (0..=255).contains(&c) => c as u8,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_from_proc_status() {
        let s = "Name:\tcat\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
        assert_eq!(parse_effective_uid(s), Some(0));
        assert_eq!(parse_effective_uid("Name: x\n"), None);
    }

    #[test]
    fn commands_are_quoted_for_display() {
        let mut c = Command::new("cargo");
        c.args(["build", "--features", "a b"])
            .env("RUSTC_BOOTSTRAP", "1");
        assert_eq!(
            display_command(&c),
            "RUSTC_BOOTSTRAP=1 cargo build --features 'a b'"
        );
    }

    #[test]
    fn which_finds_sh() {
        assert!(which("sh").is_some());
        assert!(which("definitely-not-a-program-xyz").is_none());
    }
}
