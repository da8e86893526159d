//! The board API through the `sdma_pac` hook: the driver's view of the model.
// Test helpers outside `#[test]` functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use sdma_pac::{read_reg, write_reg};
use sdma_sim::{Board, SimConfig, SimHandler, MS, US};

struct Acker {
    irqs: Vec<(u64, u32)>,
    timers: Vec<u64>,
    apps: Vec<(u64, u64)>,
}

impl SimHandler for Acker {
    fn irq(&mut self, board: &Board) {
        let pending = read_reg!(sdma, board.registers(), INTR);
        write_reg!(sdma, board.registers(), INTR, pending);
        self.irqs.push((board.now(), pending));
    }
    fn timer(&mut self, board: &Board) {
        self.timers.push(board.now());
    }
    fn app(&mut self, board: &Board, tag: u64) {
        self.apps.push((board.now(), tag));
    }
}

/// Brings up channel 0 through the pac registers and runs one SETDM with INTR set.
fn boot_and_setdm(board: &Board) {
    let regs = board.registers();
    let ccb = board.alloc_dma(32 * 16, 16).unwrap();
    let bd = board.alloc_dma(12, 4).unwrap();
    let ctx = board.alloc_dma(128, 4).unwrap();
    board.write_mem(ccb.bus, &bd.bus.to_le_bytes()).unwrap();
    board.write_mem(ccb.bus + 4, &bd.bus.to_le_bytes()).unwrap();
    let mode: u32 = (1 << 24) | (1 << 16) | (1 << 17) | (1 << 19) | (1 << 23) | 32;
    // The host pointer and the bus view are the same bytes.
    // SAFETY: `bd.host` points at 12 live bytes of DMA memory owned by the board.
    unsafe {
        let p = bd.host.as_ptr().cast::<u32>();
        p.write_volatile(mode);
        p.add(1).write_volatile(ctx.bus);
        p.add(2).write_volatile(0x800 + 32 * 3);
    }
    board.cache_clean(bd.bus, 12);
    write_reg!(sdma, regs, MC0PTR, ccb.bus);
    write_reg!(sdma, regs, CHN0ADDR, 0x4050);
    write_reg!(sdma, regs, EVTOVR, 1);
    write_reg!(sdma, regs, CHNPRI[0], 7);
    write_reg!(sdma, regs, HSTART, 1);
    while read_reg!(sdma, regs, STOP_STAT) & 1 != 0 {
        board.delay(US);
    }
}

#[test]
fn driver_view_registers_memory_irq_timer_and_app_events() {
    let board = Board::new(SimConfig::with_seed(1)).unwrap();
    let mut h = Acker {
        irqs: vec![],
        timers: vec![],
        apps: vec![],
    };
    boot_and_setdm(&board);
    let t_done = board.now();
    board.set_deadline(t_done + MS);
    board.schedule_app(t_done + 2 * MS, 77);
    board.run_until(t_done + 3 * MS, &mut h);
    assert_eq!(h.irqs.len(), 1, "one delivery; the handler acknowledged it");
    let (t_irq, pending) = h.irqs[0];
    assert_eq!(pending, 1);
    let lat = t_irq - t_done;
    assert!(
        lat <= 5 * US,
        "interrupt latency {lat} ns within the configured bound"
    );
    assert_eq!(h.timers, vec![t_done + MS]);
    assert_eq!(h.apps, vec![(t_done + 2 * MS, 77)]);
    assert_eq!(read_reg!(sdma, board.registers(), INTR), 0);
    assert_eq!(board.with_sim(|s| s.stats().channel0_commands), 1);
    assert_eq!(board.with_sim(|s| s.memory().cache_stats().cleans), 1);
    // EVTERR through the pac: clear-on-read is the model's, not the backing memory's.
    board.with_sim(|s| {
        s.write_reg(sdma_sim::regs::CHNENBL0 + 4 * 5, 1 << 3);
        s.raise_event(5);
        s.raise_event(5);
    });
    assert_eq!(read_reg!(sdma, board.registers(), EVTERR), 1 << 3);
    assert_eq!(read_reg!(sdma, board.registers(), EVTERR), 0);
}

#[test]
fn boards_on_parallel_threads_are_independent() {
    let handles: Vec<_> = (0..4u64)
        .map(|seed| {
            std::thread::spawn(move || {
                let board = Board::new(SimConfig::with_seed(seed)).unwrap();
                let regs = board.registers();
                write_reg!(sdma, regs, CHNPRI[4], seed as u32 + 1);
                write_reg!(sdma, regs, HSTART, 1 << (seed + 8));
                for _ in 0..1000 {
                    assert_eq!(read_reg!(sdma, regs, STOP_STAT), 1 << (seed + 8));
                    assert_eq!(read_reg!(sdma, regs, CHNPRI[4]), seed as u32 + 1);
                }
                board.now()
            })
        })
        .collect();
    let times: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(
        times.windows(2).all(|w| w[0] == w[1]),
        "same work, same virtual time"
    );
}

#[test]
fn model_offsets_match_the_pac() {
    use sdma_pac::sdma::offsets as pac;
    use sdma_sim::regs as sim;
    assert_eq!(
        [
            sim::MC0PTR,
            sim::INTR,
            sim::STOP_STAT,
            sim::HSTART,
            sim::EVTOVR,
            sim::DSPOVR
        ],
        [
            pac::MC0PTR,
            pac::INTR,
            pac::STOP_STAT,
            pac::HSTART,
            pac::EVTOVR,
            pac::DSPOVR
        ]
    );
    assert_eq!(
        [
            sim::HOSTOVR,
            sim::EVTPEND,
            sim::RESET,
            sim::EVTERR,
            sim::INTRMASK,
            sim::PSW
        ],
        [
            pac::HOSTOVR,
            pac::EVTPEND,
            pac::RESET,
            pac::EVTERR,
            pac::INTRMASK,
            pac::PSW
        ]
    );
    assert_eq!(
        [
            sim::EVTERRDBG,
            sim::CONFIG,
            sim::LOCK,
            sim::ILLINSTADDR,
            sim::CHN0ADDR
        ],
        [
            pac::EVTERRDBG,
            pac::CONFIG,
            pac::SDMA_LOCK,
            pac::ILLINSTADDR,
            pac::CHN0ADDR
        ]
    );
    assert_eq!([sim::CHNPRI0, sim::CHNENBL0], [pac::CHNPRI0, pac::CHNENBL0]);
    assert_eq!(sim::EVENTS, pac::CHNENBL_COUNT);
    assert_eq!(sim::CHANNELS, pac::CHNPRI_COUNT);
}
