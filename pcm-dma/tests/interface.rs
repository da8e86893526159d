//! The stream sequences its audio interface: prepare at prepare, start only when the
//! run's transfer really runs (at once on an idle channel, else at its `Started`
//! event), stop and flush before the DMA is terminated at an XRUN or a stop.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::rc::Rc;

use pcm_dma::storm::SoftPcmChannel;
use pcm_dma::{AudioInterface, DmaLink, HwParams, Pcm, PcmState, Stream, SwParams};
use sdma_core::dmaengine::{FifoAddress, RequestLine, TxState};
use sdma_core::soft::{Fifo, SoftDma};

type Log = Rc<RefCell<Vec<&'static str>>>;

/// Records every call; its FIFO loses alignment when told to.
struct Recorder {
    log: Log,
    misaligned: Rc<RefCell<bool>>,
}

impl AudioInterface for Recorder {
    fn prepare(&mut self) {
        self.log.borrow_mut().push("prepare");
    }
    fn start(&mut self) {
        self.log.borrow_mut().push("start");
    }
    fn stop(&mut self) {
        self.log.borrow_mut().push("stop");
    }
    fn flush(&mut self) {
        self.log.borrow_mut().push("flush");
        *self.misaligned.borrow_mut() = false;
    }
    fn frame_aligned(&mut self) -> bool {
        !*self.misaligned.borrow()
    }
    fn fifo_words(&self) -> u32 {
        0
    }
}

const STOP_LATENCY_NS: u64 = 200_000;

fn capture() -> (Pcm<SoftPcmChannel, Recorder>, Log, Rc<RefCell<bool>>) {
    let hw = HwParams::scenario_default();
    let ch = SoftPcmChannel::new(1, SoftDma::new(Fifo::new(), STOP_LATENCY_NS));
    let ring: &'static mut [u8] = Box::leak(vec![0u8; hw.buffer_bytes()].into_boxed_slice());
    let log = Log::default();
    let misaligned = Rc::new(RefCell::new(false));
    let dai = Recorder {
        log: log.clone(),
        misaligned: misaligned.clone(),
    };
    let link = DmaLink {
        // SAFETY: the soft DMA moves data through its `Fifo` model and never
        // dereferences the peripheral address.
        peripheral_addr: unsafe { FifoAddress::new_unchecked(0x0202_8008) },
        event: Some(RequestLine::new(37)),
        burst: 8,
    };
    let mut pcm = Pcm::with_interface(ch, dai, Stream::Capture, link, ring);
    pcm.hw_params(hw).unwrap();
    let sw = SwParams {
        auto_recover: true,
        ..SwParams::default_for(&hw)
    };
    pcm.sw_params(sw).unwrap();
    (pcm, log, misaligned)
}

/// The codec delivers `words` words and the DMA moves them (in FIFO-sized steps).
fn capture_words(pcm: &mut Pcm<SoftPcmChannel, Recorder>, words: usize) {
    for k in 0..words.div_ceil(16) {
        let n = (words - k * 16).min(16);
        for w in 0..n {
            pcm.channel_mut()
                .controller_mut()
                .peripheral()
                .push(0x8000 | w as u32);
        }
        pcm.channel_mut().step(n);
    }
}

fn take(log: &Log) -> Vec<&'static str> {
    core::mem::take(&mut *log.borrow_mut())
}

#[test]
fn interface_starts_when_the_transfer_runs_and_stops_before_terminate() {
    let (mut pcm, log, _) = capture();
    pcm.prepare().unwrap();
    assert_eq!(take(&log), ["prepare"]);
    // An idle channel starts the transfer inside `start`: the receiver goes on at once
    // (waiting for the `Started` dispatch would starve a capture of DMA requests).
    pcm.start().unwrap();
    assert_eq!(take(&log), ["start"]);
    assert!(
        pcm.take_irq_report().started,
        "dispatched by `start` itself"
    );
    assert!(!pcm.on_period().started);
    assert!(take(&log).is_empty(), "never started twice for one run");

    // Overrun the ring: nobody reads. The XRUN stops and flushes the interface, then
    // restarts the stream; the new transfer waits for the old stop (200 µs), and so
    // does the receiver.
    let hw = HwParams::scenario_default();
    let words = hw.buffer_bytes() / 2;
    let mut xrun = None;
    for _ in 0..words / 8 + 2 * 256 {
        capture_words(&mut pcm, 8);
        let r = pcm.on_period();
        if r.xrun {
            xrun = Some(r);
            break;
        }
    }
    let r = xrun.expect("the ring overran");
    assert!(r.restarted && !r.started);
    assert_eq!(take(&log), ["stop", "flush", "prepare"]);
    assert!(pcm.status().stop_pending);
    assert_eq!(pcm.status().dma, Some(TxState::WaitingForStop));

    // The stop is confirmed at the deadline: the pending transfer starts, and with its
    // `Started` event the receiver.
    pcm.channel_mut().tick(STOP_LATENCY_NS / 2);
    assert!(!pcm.on_period().started);
    assert!(take(&log).is_empty());
    pcm.channel_mut().tick(STOP_LATENCY_NS);
    let r = pcm.on_period();
    assert!(r.started);
    assert_eq!(take(&log), ["start"]);
    assert_eq!(pcm.status().dma, Some(TxState::InProgress));

    // ALSA drop: the interface is stopped and flushed.
    pcm.stop().unwrap();
    assert_eq!(take(&log), ["stop", "flush"]);
    assert_eq!(pcm.state(), PcmState::Setup);
    // Preparing a stopped stream only prepares the interface.
    pcm.prepare().unwrap();
    assert_eq!(take(&log), ["prepare"]);
}

#[test]
fn a_fifo_that_lost_frame_alignment_is_reported_and_counted() {
    let (mut pcm, _log, misaligned) = capture();
    pcm.prepare().unwrap();
    pcm.start().unwrap();
    let period_words = HwParams::scenario_default().period_bytes() / 2;
    capture_words(&mut pcm, period_words);
    let r = pcm.on_period();
    assert_eq!((r.periods, r.interface_error), (1, false));
    *misaligned.borrow_mut() = true;
    let _ = pcm.readi(&mut vec![0u8; 1024]);
    capture_words(&mut pcm, period_words);
    let r = pcm.on_period();
    assert!(r.interface_error);
    assert_eq!(pcm.counters().interface_errors, 1);
}
