//! Helpers for the xtask command-line tests.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("xtask-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Runs `xtask ARGS` and returns its output.
pub fn xtask<A: AsRef<OsStr>>(args: &[A]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("run xtask")
}

/// Runs `xtask ARGS`, asserting success; returns stdout.
pub fn ok<A: AsRef<OsStr> + Debug>(args: &[A]) -> String {
    let o = xtask(args);
    assert!(
        o.status.success(),
        "xtask {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs `xtask ARGS`, asserting failure with a one-line `error:` containing `want`.
pub fn fails<A: AsRef<OsStr> + Debug>(args: &[A], want: &str) {
    let o = xtask(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "xtask {args:?} succeeded");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(lines.len(), 1, "one error line expected, got: {err}");
    assert!(!err.trim().contains('\n'), "one line expected, got: {err}");
    assert!(lines[0].contains(want), "got `{}`, want `{want}`", lines[0]);
}

/// The workspace's xtask/scripts directory.
pub fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts")
}

/// `path` as &str.
pub fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Whether a required external tool may be missing: prints SKIPPED outside CI,
/// panics under CI=true.
pub fn skip_without(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()));
    if found {
        return false;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{tool} is required under CI (install u-boot-tools)");
    }
    eprintln!("SKIPPED: {tool} not found");
    true
}
