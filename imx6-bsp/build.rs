//! Puts the BSP's linker script `link.x` on the linker search path.
//!
//! Only a final binary needs it, and only a bare-metal one: such a binary passes
//! `-Tlink.x` from its own build script (see `examples/bare-metal/build.rs`).

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("link.x"), include_bytes!("link.x")).expect("write link.x to OUT_DIR");
    println!("cargo:rustc-link-search={}", out.display());
    // Cargo does not rebuild when only a linker script changes unless told so.
    println!("cargo:rerun-if-changed=link.x");
    println!("cargo:rerun-if-changed=build.rs");
}
