//! Shared rig for the driver-on-simulator tests: a leaked board, the SDMA driver brought
//! up on it, and a [`SimHandler`] that runs the driver's one interrupt handler and
//! dispatches channel events to the test.
#![allow(dead_code)]

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use sdma_core::dmaengine::{DmaChannel, Event};
use sdma_core::sdma::{Sdma, SdmaChannel, SdmaConfig};
use sdma_core::vchan::Channel;
use sdma_sim::platform::{alloc_area, alloc_buffer, leak_board, SimPlatform};
use sdma_sim::{Board, SimConfig, SimHandler};

/// DMA buffers are leaked slices of the board's DMA window.
pub type Buf = &'static mut [u8];
/// A driver channel as the tests use it.
pub type Ch = Channel<SdmaChannel<SimPlatform>, Buf, Buf, 8>;

/// A board with the driver initialised on it.
pub struct Rig {
    pub board: &'static Board,
    pub sdma: &'static Sdma<SimPlatform>,
}

/// Builds a rig; `tune` may adjust the platform.
pub fn rig_with(seed: u64, tune: impl FnOnce(SimPlatform) -> SimPlatform) -> Rig {
    let board = leak_board(SimConfig::with_seed(seed)).expect("board");
    let area = alloc_area(board).expect("area");
    let platform = tune(SimPlatform::new(board));
    let sdma: &'static Sdma<SimPlatform> =
        Box::leak(Box::new(Sdma::new(platform, area, SdmaConfig::default())));
    sdma.init().expect("init on a live engine");
    Rig { board, sdma }
}

/// Builds a rig with the default platform.
pub fn rig(seed: u64) -> Rig {
    rig_with(seed, |p| p)
}

impl Rig {
    /// A zeroed DMA buffer.
    pub fn buffer(&self, len: usize) -> Buf {
        alloc_buffer(self.board, len as u32, 64).expect("dma buffer")
    }

    /// Hazards and engine errors must both be empty.
    pub fn assert_clean(&self) {
        let (hazards, errors) = self
            .board
            .with_sim(|s| (s.hazards().to_vec(), s.errors().to_vec()));
        assert!(hazards.is_empty(), "hazards: {hazards:?}");
        assert!(errors.is_empty(), "engine errors: {errors:?}");
    }
}

/// The test's side of the run: channel events and application timers.
pub trait Client {
    /// An event of channel `index` (position in [`Driver::chans`]).
    fn event(&mut self, board: &Board, index: usize, ch: &mut Ch, ev: Event);
    /// An application timer scheduled with `Board::schedule_app`.
    fn app(&mut self, board: &Board, chans: &mut [Ch], tag: u64) {
        let _ = (board, chans, tag);
    }
}

/// The interrupt/deadline side of the driver, wired to the simulator.
pub struct Driver<C> {
    pub sdma: &'static Sdma<SimPlatform>,
    pub chans: Vec<Ch>,
    pub client: C,
}

impl<C: Client> Driver<C> {
    fn service(&mut self, board: &Board, mask: u32) {
        let chans = &mut self.chans;
        let client = &mut self.client;
        self.sdma.for_each_fair(mask, |hw| {
            if let Some(i) = chans.iter().position(|c| c.controller().number() == hw) {
                let ch = &mut chans[i];
                ch.on_interrupt();
                ch.dispatch_events(|c, ev| client.event(board, i, c, ev));
            }
        });
    }
}

impl<C: Client> SimHandler for Driver<C> {
    fn irq(&mut self, board: &Board) {
        let mask = self.sdma.handle_interrupt();
        self.service(board, mask);
    }
    fn timer(&mut self, board: &Board) {
        let mask = self.sdma.handle_deadline();
        self.service(board, mask);
    }
    fn app(&mut self, board: &Board, tag: u64) {
        self.client.app(board, &mut self.chans, tag);
        // Client calls may have queued events (e.g. an error of a start that failed).
        for i in 0..self.chans.len() {
            let client = &mut self.client;
            self.chans[i].dispatch_events(|c, ev| client.event(board, i, c, ev));
        }
    }
}

/// Runs `f` for each seed; a failure names the seed to replay.
pub fn for_seeds(seeds: &[u64], mut f: impl FnMut(u64)) {
    for &seed in seeds {
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| f(seed))) {
            eprintln!("FAILED with seed {seed} (replay with this seed)");
            resume_unwind(p);
        }
    }
}

/// Seeds from `SDMA_SEEDS` (comma-separated) or the given defaults.
pub fn seeds(default: &[u64]) -> Vec<u64> {
    match std::env::var("SDMA_SEEDS") {
        Ok(s) => s.split(',').filter_map(|x| x.trim().parse().ok()).collect(),
        Err(_) => default.to_vec(),
    }
}

/// Little-endian u16 samples of a byte slice.
pub fn samples16(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
}

/// Frees a buffer allocated by [`Rig::buffer`].
pub fn free(board: &Board, buf: &[u8]) {
    let bus = board.with_sim(|s| s.memory().host_to_bus(buf.as_ptr()));
    if let Some(b) = bus {
        board.free_dma(b).expect("free");
    }
}
