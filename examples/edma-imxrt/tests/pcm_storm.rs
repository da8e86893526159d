//! The `pcm-dma` XRUN storm (`docs/scenarios.md`, `pcm_dma::storm`) run over the eDMA driver
//! and the behavioural eDMA model: the same PCM runtime, the same checks as on
//! `sdma_core::soft`.
#![allow(clippy::unwrap_used)]

mod common;

use common::{BUS, SAI1_RDR0, SAI1_RX, SAI1_TDR0, SAI1_TX};
use edma_imxrt::model::{Arena, EdmaModel, FifoKind};
use edma_imxrt::{endpoint, init_controller, EdmaChannel, EdmaIrq, EdmaVChannel, RegionMap};
use pcm_dma::ring::DmaRing;
use pcm_dma::storm::{self, Device, RecoveryMode, Rig, StormConfig};
use pcm_dma::{pattern, HwParams, Stream};
use pcm_dma::{DmaLink, IrqReport, Pcm};

type PcmChannel = EdmaVChannel<RegionMap<1>, DmaRing, DmaRing, 4>;

/// Peripheral FIFO depth (SAI: 32 words per data line) and DMA burst (watermark).
const FIFO_WORDS: usize = 32;
const BURST: u16 = 8;
/// Engine cycles allowed per peripheral frame (the eDMA is far faster than audio).
const MAX_CYCLES_PER_FRAME: u64 = 10_000;

struct EdmaRig {
    hw: HwParams,
    stream: Stream,
    model: EdmaModel<1>,
    fifo: usize,
    hw_ch: u8,
    frames: u64,
    frame: Vec<u8>,
    last_now: u64,
    seen_starts: u32,
    /// Transfer starts already reported with `Device::dma_started`.
    reported_starts: u32,
    device_overruns: u64,
    device_underruns: u64,
    max_cycles: u64,
}

impl EdmaRig {
    fn new(stream: Stream, hw: HwParams) -> (Self, Pcm<PcmChannel>) {
        let mut arena = Arena::new(64 * 1024, BUS);
        let mut map = RegionMap::<1>::new();
        map.add(arena.window()).unwrap();
        // SAFETY: the arena is leaked.
        let mut model = unsafe { EdmaModel::new(map) };
        // SAFETY: RAM register block, nothing runs.
        unsafe { init_controller(model.dma()) };
        let (addr, source, kind) = match stream {
            Stream::Capture => (SAI1_RDR0, SAI1_RX, FifoKind::Rx),
            Stream::Playback => (SAI1_TDR0, SAI1_TX, FifoKind::Tx),
        };
        let fifo = model.add_fifo(addr, source as u8, kind, FIFO_WORDS, usize::from(BURST));
        let hw_ch = 5;
        let pool = arena.pool();
        // SAFETY: the model's RAM blocks; channel 5 is used only here.
        let ctl = unsafe { EdmaChannel::new(model.dma_ptr(), model.mux_ptr(), hw_ch, pool, map) }
            .unwrap();
        model.sync();
        let ring: &'static mut [u8] = arena.slice::<u8>(hw.buffer_bytes());
        let pcm = Pcm::new(
            sdma_core::vchan::VirtualChannel::new(1, ctl),
            stream,
            DmaLink::of(
                &match stream {
                    Stream::Capture => endpoint::SAI1_RX,
                    Stream::Playback => endpoint::SAI1_TX,
                }
                .with_watermark(BURST),
            ),
            ring,
        );
        let rig = EdmaRig {
            hw,
            stream,
            model,
            fifo,
            hw_ch,
            frames: 0,
            frame: vec![0u8; hw.frame_bytes()],
            last_now: 0,
            seen_starts: 0,
            reported_starts: 0,
            device_overruns: 0,
            device_underruns: 0,
            max_cycles: 0,
        };
        (rig, pcm)
    }

    fn frame_time_ns(&self, frame: u64) -> u64 {
        frame * 1_000_000_000 / self.hw.rate as u64
    }

    /// As on the soft rig: the DAI flushes its receive FIFO at trigger START, so words
    /// that waited there while the DMA was stopped do not lead the new run. Called before
    /// the engine runs, so no word moves between a start and the flush.
    fn flush_on_start(&mut self, pcm: &Pcm<PcmChannel>) {
        let starts = pcm.channel().controller().stats().starts;
        if starts != self.seen_starts {
            self.seen_starts = starts;
            if self.stream == Stream::Capture {
                self.model.fifo_clear(self.fifo);
            }
        }
    }

    /// Report the transfers the driver started (ERQ set on a new TCD) since the last call
    /// as started at `at_ns`: the driver runs only in the application's calls (reported
    /// at the entry of `advance`) and in `run_engine` (reported after its `dev.irq`).
    fn report_starts(
        &mut self,
        pcm: &Pcm<PcmChannel>,
        dev: &mut dyn Device<PcmChannel>,
        at_ns: u64,
    ) {
        let starts = pcm.channel().controller().stats().starts;
        for _ in 0..starts.wrapping_sub(self.reported_starts) {
            dev.dma_started(at_ns);
        }
        self.reported_starts = starts;
    }

    /// The eDMA runs until it has nothing to do; then the interrupt handler runs if the
    /// channel interrupts, and (timer deadline) the stop is polled while one is pending.
    fn run_engine(&mut self, pcm: &mut Pcm<PcmChannel>) -> Option<IrqReport> {
        self.flush_on_start(pcm);
        let n = self.model.run_until_idle(MAX_CYCLES_PER_FRAME);
        self.max_cycles = self.max_cycles.max(n);
        let mut report = None;
        if self.model.irq_pending(self.hw_ch) {
            pcm.channel_mut().on_irq();
            self.model.sync();
            report = Some(pcm.on_period());
            self.model.sync();
        }
        if pcm.channel().controller().stop_in_progress() {
            // Platform timer deadline (or the interrupt tail): notice the confirmed stop
            // and start what waits.
            pcm.channel_mut().poll();
            self.model.sync();
            self.flush_on_start(pcm);
            let n = self.model.run_until_idle(MAX_CYCLES_PER_FRAME);
            self.max_cycles = self.max_cycles.max(n);
        }
        report
    }
}

impl Rig for EdmaRig {
    type Channel = PcmChannel;
    type Interface = pcm_dma::NoInterface;

    fn now_ns(&self) -> u64 {
        self.last_now
    }

    fn advance(&mut self, pcm: &mut Pcm<PcmChannel>, dt_ns: u64, dev: &mut dyn Device<PcmChannel>) {
        let channels = self.hw.channels as usize;
        // Commands the application wrote since the last call.
        self.model.sync();
        self.report_starts(pcm, dev, self.last_now);
        let end = self.last_now + dt_ns;
        loop {
            let next = self.frame_time_ns(self.frames + 1);
            if next > end {
                let r = self.run_engine(pcm).unwrap_or_else(|| pcm.on_period());
                dev.irq(end, pcm, &r);
                self.report_starts(pcm, dev, end);
                self.last_now = end;
                return;
            }
            self.frames += 1;
            match self.stream {
                Stream::Capture => {
                    dev.capture_frame(&mut self.frame);
                    if self.model.fifo(self.fifo).len() + channels <= FIFO_WORDS {
                        for c in 0..self.hw.channels {
                            let w = pattern::read_sample(self.hw.format, &self.frame, c);
                            assert!(self.model.rx_push(self.fifo, w));
                        }
                    } else {
                        self.device_overruns += 1;
                    }
                }
                Stream::Playback => {
                    if self.model.fifo(self.fifo).len() >= channels {
                        for c in 0..self.hw.channels {
                            let w = self.model.tx_pop(self.fifo).unwrap_or(0);
                            pattern::write_sample(self.hw.format, &mut self.frame, c, w);
                        }
                        dev.playback_frame(&self.frame);
                    } else {
                        self.device_underruns += 1;
                    }
                }
            }
            let r = self.run_engine(pcm).unwrap_or_else(|| pcm.on_period());
            dev.irq(next, pcm, &r);
            self.report_starts(pcm, dev, next);
            self.last_now = next;
        }
    }

    fn hazards(&self, pcm: &Pcm<PcmChannel>) -> u64 {
        let m = self.model.stats();
        let c = pcm.channel().controller().stats();
        u64::from(m.tcd_rewritten_while_active)
            + u64::from(m.erq_set_while_active)
            + u64::from(m.command_conflicts)
            + u64::from(m.tx_overflows)
            + u64::from(m.rx_underflows)
            + u64::from(m.errors)
            + u64::from(c.refused_starts)
    }
}

fn storm(seed: u64, stream: Stream, mode: RecoveryMode, xruns: u64) -> storm::StormReport {
    let cfg = StormConfig::scenario(seed, stream, mode, xruns);
    let (mut rig, mut pcm) = EdmaRig::new(stream, HwParams::scenario_default());
    let rep = storm::run(&mut rig, &mut pcm, &cfg);
    let c = pcm.channel().controller().stats();
    let m = rig.model.stats();
    println!(
        "{rep}\n  eDMA: starts {} stops {}/{} (polls not yet {}), engine elements {} minor {} major {}, \
         max cycles/frame {}, device overruns {} underruns {}",
        c.starts,
        c.stops_confirmed,
        c.stops_requested,
        c.stop_polls_not_yet,
        m.elements,
        m.minor_loops,
        m.major_loops,
        rig.max_cycles,
        rig.device_overruns,
        rig.device_underruns
    );
    assert_eq!(
        c.stops_confirmed, c.stops_requested,
        "seed {seed:#x}: a stop never confirmed"
    );
    assert!(
        rig.max_cycles < MAX_CYCLES_PER_FRAME,
        "seed {seed:#x}: the engine never idled"
    );
    rep
}

fn assert_clean(rep: &storm::StormReport, min_xruns: u64) {
    rep.check_clean(min_xruns).unwrap_or_else(|e| panic!("{e}"));
}

/// The storm: >= 10 000 XRUNs recovered inside the period interrupt.
#[test]
fn edma_capture_storm_immediate() {
    let rep = storm(0xED_0001, Stream::Capture, RecoveryMode::Immediate, 10_000);
    assert_clean(&rep, 10_000);
    // One frame of the recovery is the restart; the stop itself costs no time here.
    rep.check_recovery_p99(0).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn edma_playback_storm_immediate() {
    let rep = storm(0xED_0002, Stream::Playback, RecoveryMode::Immediate, 10_000);
    assert_clean(&rep, 10_000);
}

#[test]
fn edma_capture_storm_application() {
    let rep = storm(0xED_0003, Stream::Capture, RecoveryMode::Application, 500);
    assert_clean(&rep, 500);
}

#[test]
fn edma_playback_storm_application() {
    let rep = storm(0xED_0004, Stream::Playback, RecoveryMode::Application, 500);
    assert_clean(&rep, 500);
}
