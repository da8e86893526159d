//! Shared rig for the driver-on-simulator tests: a leaked board, the SDMA driver brought
//! up on it, and a [`SimHandler`] that runs the driver's one interrupt handler and
//! dispatches channel events to the test.
#![allow(dead_code)]

pub mod mutants;

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use sdma_core::dmaengine::{
    Buffers, BusWidth, Cookie, Direction, DmaChannel, Event, EventKind, RequestLine, SlaveConfig,
};
use sdma_core::sdma::script::OPEN_SCRIPTS;
use sdma_core::sdma::{
    ChannelRequest, PeripheralType, Platform, ScriptSet, Sdma, SdmaConfig, SdmaHwChannel,
};
use sdma_core::vchan::VirtualChannel;
use sdma_sim::pattern::pattern_value;
use sdma_sim::platform::{alloc_area, alloc_buffer, leak_board, SimPlatform};
use sdma_sim::{Board, Engine, SimConfig, SimHandler, SsiConfig, SsiId};

/// DMA buffers are leaked slices of the board's DMA window.
pub type Buf = &'static mut [u8];
/// A driver channel as the tests use it (platform `P`: the simulator's by default, a
/// wrapper of it for tests that change one platform answer).
pub type Ch<P = SimPlatform> = VirtualChannel<SdmaHwChannel<P>, Buf, Buf, 8>;

/// A board with the driver initialised on it.
pub struct Rig<P: Platform + 'static = SimPlatform> {
    pub board: &'static Board,
    pub sdma: &'static Sdma<P>,
}

/// Builds a rig; `tune` may adjust or wrap the platform.
pub fn rig_with<P: Platform + 'static>(seed: u64, tune: impl FnOnce(SimPlatform) -> P) -> Rig<P> {
    rig_from(SimConfig::with_seed(seed), tune)
}

/// Builds a rig on a board made from `cfg` (e.g. another timing model).
pub fn rig_from<P: Platform + 'static>(
    cfg: SimConfig,
    tune: impl FnOnce(SimPlatform) -> P,
) -> Rig<P> {
    let board = leak_board(cfg).expect("board");
    let area = alloc_area(board).expect("area");
    let platform = tune(SimPlatform::new(board));
    let sdma: &'static Sdma<P> =
        Box::leak(Box::new(Sdma::new(platform, area, SdmaConfig::default())));
    sdma.init().expect("init on a live engine");
    Rig { board, sdma }
}

/// Builds a rig with the default platform.
pub fn rig(seed: u64) -> Rig {
    rig_with(seed, |p| p)
}

/// A rig whose engine runs our open scripts instruction by instruction, loaded by the
/// driver with SETPM at their link address.
pub fn isa_rig(seed: u64) -> Rig {
    let board = leak_board(SimConfig::with_seed(seed)).expect("board");
    board
        .with_sim(|s| s.use_isa_engine(OPEN_SCRIPTS))
        .expect("open image");
    let area = alloc_area(board).expect("area");
    let sdma: &'static Sdma<SimPlatform> = Box::leak(Box::new(Sdma::new(
        SimPlatform::new(board),
        area,
        SdmaConfig::default(),
    )));
    sdma.init().expect("init");
    let info = sdma.load_script_set(ScriptSet::Open).expect("open scripts");
    assert_eq!(info.load_address, Some(0x1800));
    assert_eq!(board.with_sim(|s| s.engine()), Engine::Isa);
    Rig { board, sdma }
}

/// The slave configuration of an SSI FIFO: 16-bit samples, burst 8 (half the FIFO).
pub fn audio_config(ssi: &SsiConfig, dir: Direction) -> SlaveConfig {
    SlaveConfig {
        direction: dir,
        burst: 8,
        ..SlaveConfig::for_endpoint(ssi, BusWidth::Bits16)
    }
}

impl<P: Platform + 'static> Rig<P> {
    /// A zeroed DMA buffer.
    pub fn buffer(&self, len: usize) -> Buf {
        alloc_buffer(self.board, len as u32, 64).expect("dma buffer")
    }

    /// A shared-peripheral (SsiSp, priority 3) channel on `ssi`'s event, configured for
    /// `dir`; `id` is the client-side channel id.
    pub fn audio_channel(&self, id: u16, ssi: &SsiConfig, dir: Direction) -> Ch<P> {
        let req = ChannelRequest::peripheral(
            RequestLine::new(u16::from(ssi.event)),
            PeripheralType::SsiSp,
            3,
        );
        let ctl = self.sdma.request_channel(req).expect("peripheral channel");
        let mut ch: Ch<P> = VirtualChannel::new(id, ctl);
        ch.configure(audio_config(ssi, dir)).expect("configure");
        ch
    }

    /// A FIFO added to the board for `ssi` (clock stopped) and its
    /// [`Rig::audio_channel`].
    pub fn audio_port(&self, id: u16, ssi: &SsiConfig, dir: Direction) -> (SsiId, Ch<P>) {
        let cfg = *ssi;
        let fifo = self.board.with_sim(|s| s.add_ssi(cfg));
        (fifo, self.audio_channel(id, ssi, dir))
    }

    /// A memory-to-memory channel (priority 2) configured for byte copies.
    pub fn memory_channel(&self, id: u16) -> Ch<P> {
        let ctl = self
            .sdma
            .request_channel(ChannelRequest::memory(2))
            .expect("memory channel");
        let mut ch: Ch<P> = VirtualChannel::new(id, ctl);
        ch.configure(SlaveConfig::memcpy(BusWidth::Bits8))
            .expect("configure");
        ch
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
pub trait Client<P: Platform + 'static = SimPlatform> {
    /// An event of channel `index` (position in [`Driver::chans`]).
    fn event(&mut self, board: &Board, index: usize, ch: &mut Ch<P>, ev: Event);
    /// An application timer scheduled with `Board::schedule_app`.
    fn app(&mut self, board: &Board, chans: &mut [Ch<P>], tag: u64) {
        let _ = (board, chans, tag);
    }
}

/// The interrupt/deadline side of the driver, wired to the simulator.
pub struct Driver<C, P: Platform + 'static = SimPlatform> {
    pub sdma: &'static Sdma<P>,
    pub chans: Vec<Ch<P>>,
    pub client: C,
}

impl<P: Platform + 'static, C: Client<P>> Driver<C, P> {
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

impl<P: Platform + 'static, C: Client<P>> SimHandler for Driver<C, P> {
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

/// Fills `p` with consecutive 16-bit pattern samples starting at `*next`.
pub fn fill_pattern16(p: &mut [u8], next: &mut u64) {
    for c in p.chunks_exact_mut(2) {
        c.copy_from_slice(&(pattern_value(*next, 16) as u16).to_le_bytes());
        *next += 1;
    }
}

/// Prepares, submits and issues a cyclic transfer of `period`-byte periods.
pub fn start_cyclic<P: Platform + 'static>(
    ch: &mut Ch<P>,
    bufs: Buffers<Buf, Buf>,
    period: usize,
) -> Cookie {
    let p = ch.prep_cyclic(bufs, period).expect("prep_cyclic");
    let c = ch.submit(p).expect("submit");
    ch.issue_pending();
    c
}

/// A client that records every event with its channel index.
#[derive(Debug, Default)]
pub struct Log(pub Vec<(usize, Event)>);

impl<P: Platform + 'static> Client<P> for Log {
    fn event(&mut self, _: &Board, i: usize, _: &mut Ch<P>, ev: Event) {
        self.0.push((i, ev));
    }
}

/// Periods the `events` delivered for `cookie` (each `Period` event counts its `count`).
pub fn periods_of<'a>(events: impl IntoIterator<Item = &'a Event>, cookie: Cookie) -> u32 {
    events
        .into_iter()
        .filter(|e| e.cookie == cookie)
        .map(|e| match e.kind {
            EventKind::Period { count } => count,
            _ => 0,
        })
        .sum()
}

impl Log {
    /// Periods delivered for `cookie`.
    pub fn periods(&self, cookie: Cookie) -> u32 {
        periods_of(self.0.iter().map(|(_, e)| e), cookie)
    }
}
