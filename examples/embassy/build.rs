//! Links the bare-metal programs with the BSP's `link.x` (on the linker search path
//! through imx6-bsp's build script). Host builds of these binaries (which only print
//! how to run them) link normally.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo:rustc-link-arg-bins=-Tlink.x");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
