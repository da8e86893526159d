//! Host programs that run the SDMA driver and `pcm-dma` on the simulated board.
//!
//! * [`rig::SdmaRig`]: the hardware of the XRUN storm of `docs/scenarios.md#xrun-storm` — the
//!   simulated SDMA engine with SSI1 (capture on event 37, playback on event 38), the
//!   real SDMA driver of `sdma-core` on it, and the driver's interrupt and deadline
//!   entries wired to the simulator — as a [`pcm_dma::storm::Rig`], so that
//!   `pcm_dma::storm::run` drives it exactly as it drives the software DMA.
//! * [`board`]: the simulated board with the driver brought up, as the rig and the
//!   benchmark cases start.
//! * [`policy::Policy`]: the three terminate policies compared by `cargo xtask demo`
//!   (`pending-list`, `linux-5.8`, `linux-5.15-6.9`, `linux>=6.10`) and how each is set up and recovered.
//! * [`report`]: one policy's storm figures as the JSON object `cargo xtask demo` reads.
//! * [`timeline`]: one XRUN recovery as lanes of spans and marks, for the SVG.
//!
//! The programs: `xrun-storm` (one policy's storm, the harness of `cargo xtask demo`) and
//! `sdma-bench` (the cases `cargo xtask bench` runs under callgrind).

pub mod board;
pub mod demo;
pub mod load;
pub mod policy;
pub mod report;
pub mod rig;
pub mod timeline;
