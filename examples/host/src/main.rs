//! Lists the host programs of this package.

fn main() {
    println!("examples-host: programs that run the SDMA driver and pcm-dma on the simulator");
    println!("  cargo run --release -p examples-host --bin xrun-storm -- --policy pending-list --xruns 200");
    println!("  cargo run --release -p examples-host --bin sdma-bench -- --list");
    println!("or through `cargo xtask demo` and `cargo xtask bench`.");
}
