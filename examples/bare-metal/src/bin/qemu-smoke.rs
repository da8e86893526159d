//! QEMU SabreLite smoke test (not implemented yet).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("qemu-smoke is a bare-metal program: run it with `cargo xtask qemu qemu-smoke`");
}
