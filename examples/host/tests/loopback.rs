//! The loopback application of `pcm_dma::loopback` (the code the SabreLite program
//! runs) on one simulated engine: SSI1 capture relayed to SSI1 playback through two SDMA
//! channels, served by the driver's single interrupt entry (`Sdma::on_interrupt` /
//! `on_deadline`), through an XRUN storm (the application stalls long enough to overrun
//! capture and underrun playback, hundreds of times).
//!
//! The data figures, on the frames the relay moved:
//!
//! * capture: every frame read is the next of its run, on the right channels (a run
//!   begins after each capture restart): `lost`, `repeated`, `misaligned` and `silent`
//!   frames counted by the storm's checker;
//! * playback, what the codec hears: the data frames heard are exactly the frames the
//!   relay read, in order (none lost or repeated), every heard frame has its channels in
//!   order (no slip after a restart), no underrun slot is heard, and silence is heard
//!   only where a playback XRUN separates two data frames.
#![allow(clippy::unwrap_used)]

use examples_host::board::bring_up;
use examples_host::policy::{DemoPlatform, Policy, StopBound};
use pcm_dma::loopback::Loopback;
use pcm_dma::pattern::{self, decode};
use pcm_dma::sdma::SdmaLoopback;
use pcm_dma::storm::{FrameCheck, SplitMix};
use pcm_dma::{Format, HwParams};
use sdma_core::sdma::PeripheralType;
use sdma_sim::platform::alloc_buffer;
use sdma_sim::{Board, PlayedSlot, SimHandler, SimSsiInterface, SsiConfig, SsiId};

const PERIOD_BYTES: usize = 1024;
/// The board program's shared state, with the simulator's SSI halves as the ports.
type App =
    SdmaLoopback<DemoPlatform, SimSsiInterface<'static>, SimSsiInterface<'static>, PERIOD_BYTES>;

/// Capture pattern word `k` (S16_LE stereo: frame `k / 2`, channel `k % 2`).
fn capture_word(k: u64) -> u32 {
    pattern::encode(Format::S16Le, 2, k / 2, (k % 2) as u16)
}

/// The interrupt handlers of the program: one entry each, no channel routing.
/// What the codec heard up to an interrupt was heard before it, so before an XRUN the
/// handler detects: it is drained first, tagged with the XRUN count before the call.
struct Handlers<'a> {
    app: &'a mut App,
    heard: &'a mut Heard,
    tx: SsiId,
}

impl Handlers<'_> {
    fn drain(&mut self, board: &Board) {
        let slots = board.with_sim(|s| s.ssi_mut(self.tx).unwrap().take_played_slots());
        self.heard
            .feed(&slots, self.app.app.playback.counters().xruns);
    }
}

impl SimHandler for Handlers<'_> {
    fn irq(&mut self, board: &Board) {
        self.drain(board);
        self.app.on_interrupt();
    }
    fn timer(&mut self, board: &Board) {
        self.drain(board);
        self.app.on_timer(true);
    }
}

/// What the codec heard, checked as it comes.
#[derive(Default)]
struct Heard {
    /// Data frames heard, as the counter of their left sample.
    data: Vec<u32>,
    misaligned: u64,
    underrun_slots: u64,
    silent_gaps: u64,
    /// Silent frames heard since the last data frame, and the playback XRUN count then.
    pending_silence: u64,
    last_xruns: u32,
    left: Option<PlayedSlot>,
}

impl Heard {
    fn feed(&mut self, slots: &[PlayedSlot], xruns: u32) {
        for s in slots {
            if s.underrun {
                self.underrun_slots += 1;
            }
            if s.slot % 2 == 0 {
                self.left = Some(*s);
                continue;
            }
            let Some(l) = self.left.take() else { continue };
            if l.slot + 1 != s.slot {
                continue;
            }
            self.frame(l.value, s.value, xruns);
        }
    }

    fn frame(&mut self, left: u32, right: u32, xruns: u32) {
        let (l, r) = (left & 0xFFFF, right & 0xFFFF);
        if l == 0 && r == 0 {
            if !self.data.is_empty() {
                self.pending_silence += 1;
            }
            return;
        }
        match (decode(Format::S16Le, l), decode(Format::S16Le, r)) {
            (Some(a), Some(b)) if a % 2 == 0 && b == a + 1 => {
                if self.pending_silence > 0 && xruns == self.last_xruns {
                    self.silent_gaps += self.pending_silence;
                }
                self.pending_silence = 0;
                self.last_xruns = xruns;
                self.data.push(a);
            }
            _ => self.misaligned += 1,
        }
    }
}

fn add_ssi(board: &Board, cfg: SsiConfig) -> SsiId {
    board.with_sim(|s| {
        let id = s.add_ssi(cfg);
        let f = s.ssi_mut(id).unwrap();
        match cfg.direction {
            sdma_sim::Direction::Receive => f.set_receive_source(capture_word),
            sdma_sim::Direction::Transmit => f.record_played(true),
        }
        id
    })
}

fn storm(seed: u64, target_xruns: u32) {
    let hw = HwParams::scenario_default();
    let (board, sdma) = bring_up(Policy::PendingList, StopBound::Model, seed, false).unwrap();
    let (rx_cfg, tx_cfg) = (SsiConfig::ssi1_rx(), SsiConfig::ssi1_tx());
    let (rx, tx) = (add_ssi(board, rx_cfg), add_ssi(board, tx_cfg));
    let ring = || alloc_buffer(board, hw.buffer_bytes() as u32, 64).unwrap();
    let ssi = PeripheralType::SsiSp;
    let rx_if = SimSsiInterface::new(board, rx);
    let tx_if = SimSsiInterface::new(board, tx);
    let capture = pcm_dma::sdma::capture(sdma, &rx_cfg, ssi, rx_if, ring()).unwrap();
    let playback = pcm_dma::sdma::playback(sdma, &tx_cfg, ssi, tx_if, ring()).unwrap();
    let mut app = Loopback::new(capture, playback);
    app.setup(hw, 2).unwrap();
    app.start().unwrap();
    let mut shared: App = SdmaLoopback::new(sdma, app);

    let mut rng = SplitMix(seed);
    let mut captured = FrameCheck::capture(Format::S16Le, 2);
    let mut read: Vec<u32> = Vec::new();
    let mut heard = Heard::default();
    let fb = hw.frame_bytes();
    let mut last_captured = 0;
    while {
        let s = shared.app.status();
        s.capture.xruns < target_xruns || s.playback.xruns < target_xruns
    } {
        // The application stalls: mostly a little, sometimes for 1 to 4 rings.
        let stall_us = if rng.range(0, 99) < 3 {
            rng.range(25_000, 85_000)
        } else {
            rng.range(0, 3_000)
        };
        let end = board.now() + stall_us * 1000;
        let mut h = Handlers {
            app: &mut shared,
            heard: &mut heard,
            tx,
        };
        board.run_until(end, &mut h);
        h.drain(board);
        // Then relays everything it can.
        // (Its own calls may detect and recover an XRUN: what was heard came before.)
        let slots = board.with_sim(|s| s.ssi_mut(tx).unwrap().take_played_slots());
        let app = &mut shared.app;
        heard.feed(&slots, app.playback.counters().xruns);
        while app.step().unwrap() {
            let n = app.status().captured;
            if n != last_captured {
                if app.take_run_change() {
                    captured.boundary();
                }
                for f in app.held_frames().chunks_exact(fb) {
                    captured.frame(f);
                    read.push(
                        decode(Format::S16Le, pattern::read_sample(hw.format, f, 0))
                            .unwrap_or(u32::MAX),
                    );
                }
                last_captured = n;
            }
        }
        assert!(
            board.now() < 600 * 1_000_000_000,
            "seed {seed}: storm too slow"
        );
    }
    // Let the queued frames play out.
    let end = board.now() + 30_000_000;
    let mut h = Handlers {
        app: &mut shared,
        heard: &mut heard,
        tx,
    };
    board.run_until(end, &mut h);
    h.drain(board);

    let s = shared.app.status();
    eprintln!("seed {seed}: {s:?}, heard {} frames", heard.data.len());
    eprintln!(
        "seed {seed}: capture lost {} repeated {} misaligned {} silent {} (good {}); \
         heard misaligned {} underrun slots {} silent gaps {}",
        captured.lost,
        captured.repeated,
        captured.misaligned,
        captured.silent,
        captured.good,
        heard.misaligned,
        heard.underrun_slots,
        heard.silent_gaps
    );
    assert!(s.capture.xruns >= target_xruns && s.playback.xruns >= target_xruns);
    assert_eq!(
        s.capture.recovered, s.capture.xruns,
        "seed {seed}: capture recoveries"
    );
    assert_eq!(
        (s.capture.interface_errors, s.playback.interface_errors),
        (0, 0),
        "seed {seed}: an interface FIFO lost frame alignment"
    );
    // Capture: every frame read in order within its run.
    assert_eq!(
        (
            captured.lost,
            captured.repeated,
            captured.misaligned,
            captured.silent
        ),
        (0, 0, 0, 0),
        "seed {seed}: capture"
    );
    assert!(captured.good > 50_000, "seed {seed}: {}", captured.good);
    // Playback: exactly the frames read, in order, aligned, no gap inside a run.
    assert_eq!(heard.misaligned, 0, "seed {seed}: misaligned frames heard");
    assert_eq!(heard.underrun_slots, 0, "seed {seed}: underrun slots heard");
    assert_eq!(heard.silent_gaps, 0, "seed {seed}: silence inside a run");
    let n = heard.data.len();
    assert!(
        n + 2 * hw.buffer_frames() as usize >= read.len(),
        "seed {seed}: {n} of {}",
        read.len()
    );
    let lost_or_repeated = heard.data.iter().zip(&read).filter(|(a, b)| a != b).count();
    assert_eq!(
        lost_or_repeated, 0,
        "seed {seed}: heard frames differ from the frames read"
    );
    assert!(n <= read.len(), "seed {seed}: more heard than read");
}

#[test]
fn loopback_app_survives_an_xrun_storm_with_every_frame_intact() {
    for seed in [1, 2] {
        storm(seed, 60);
    }
}
