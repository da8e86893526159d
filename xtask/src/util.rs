//! Helpers shared by the subcommands.

use std::path::PathBuf;

/// The workspace root (the parent of the xtask crate).
#[allow(dead_code)]
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}
