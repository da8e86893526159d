//! The open scripts (`sdma-core/scripts/*.sdma`) on the ISA engine, loaded by SETPM from
//! the checked-in image the driver uses: the image matches the sources; memory copy,
//! peripheral-to-memory and memory-to-peripheral with watermarks and cyclic rings move
//! exactly the right data, write BD status after the data, interrupt when asked, and
//! stop at the next `done` after a host stop.

mod isa_common;
use isa_common::*;

use sdma_core::sdma::script::OPEN_SCRIPTS;
use sdma_pac::context::ChannelContext;
use sdma_pac::sdma::offsets as off;
use sdma_sim::isa::core::{run, CoreState, CycleModel, Exit, RunCount};
use sdma_sim::isa::encoding::DecodeTable;
use sdma_sim::isa::open;
use sdma_sim::{PatternChecker, SsiConfig, MS, US};

fn sources_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdma-core/scripts")
}

#[test]
fn checked_in_image_matches_the_sources() {
    let dir = sources_dir();
    let image = open::build(|f| std::fs::read_to_string(dir.join(f)).map_err(|e| e.to_string()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        image.file == OPEN_SCRIPTS,
        "sdma-core/scripts/{} is stale: run `cargo xtask fw open-scripts`",
        open::IMAGE_FILE
    );
    let fw = sdma_core::sdma::firmware::Firmware::parse(OPEN_SCRIPTS).expect("parses");
    assert_eq!(fw.load_address(), Some(open::LOAD_ADDRESS));
    for name in [
        "ap_2_ap",
        "app_2_mcu",
        "shp_2_mcu",
        "mcu_2_app",
        "mcu_2_shp",
    ] {
        assert!(fw.script_addrs().get(name).is_some(), "{name} served");
    }
}

#[test]
fn a_stale_image_is_detected() {
    // The check compares bytes: one changed source line changes the image.
    let dir = sources_dir();
    let changed = open::build(|f| {
        let text = std::fs::read_to_string(dir.join(f)).map_err(|e| e.to_string())?;
        Ok(if f == "mem_2_mem.sdma" {
            text.replacen("3:  yield\n", "3:  yieldge\n", 1)
        } else {
            text
        })
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        changed.file != OPEN_SCRIPTS,
        "a changed source changes the image"
    );
}

fn memcpy_ctx(fw: &sdma_core::sdma::firmware::Firmware<'_>) -> ChannelContext {
    ChannelContext::for_script(Rig::entry(fw, "ap_2_ap"))
}

#[test]
fn memory_copy_runs_a_bd_chain_with_status_and_interrupts() {
    let mut rig = Rig::new();
    let fw = rig.load_open_scripts();
    let sizes = [100u32, 4000, 7];
    let src: Vec<u32> = sizes
        .iter()
        .enumerate()
        .map(|(k, &n)| rig.buffer(n, |i| (i as u8).wrapping_mul(7).wrapping_add(k as u8)))
        .collect();
    let dst: Vec<u32> = sizes.iter().map(|&n| rig.buffer(n, |_| 0)).collect();
    let ring = rig.ring(
        1,
        &[
            (mode(sizes[0], DONE | CONT, 0), src[0], dst[0]),
            (mode(sizes[1], DONE | CONT | INTR, 0), src[1], dst[1]),
            (mode(sizes[2], DONE | LAST | INTR, 0), src[2], dst[2]),
        ],
    );
    rig.load_context(1, &memcpy_ctx(&fw));
    rig.e.write_reg(off::EVTOVR, 0b11);
    rig.start(1, 4);
    rig.e.run_until(rig.e.now() + 2 * MS);
    assert!(rig.e.faults().is_empty(), "{:?}", rig.e.faults());
    for k in 0..3 {
        assert_eq!(
            rig.read(dst[k], sizes[k]),
            rig.read(src[k], sizes[k]),
            "BD {k} data"
        );
        assert_eq!(
            rig.bd_mode(ring, k as u32),
            mode(sizes[k], [CONT, CONT | INTR, LAST | INTR][k], 0),
            "BD {k}: DONE cleared, count and flags kept"
        );
    }
    assert_eq!(
        rig.e.read_reg(off::STOP_STAT) & 2,
        0,
        "LAST ended the transfer"
    );
    assert_eq!(rig.e.read_reg(off::INTR) & 2, 2);
    assert_eq!(
        rig.e.stats().dones[4],
        1,
        "middle BD: interrupt and carry on"
    );
    assert_eq!(rig.e.stats().dones[3], 1, "last BD: stop and interrupt");
}

#[test]
fn memory_copy_without_an_owned_bd_stops_quietly_and_restarts_there() {
    let mut rig = Rig::new();
    let fw = rig.load_open_scripts();
    let src = rig.buffer(64, |i| i as u8);
    let dst = rig.buffer(64, |_| 0);
    let ring = rig.ring(1, &[(mode(64, LAST | INTR, 0), src, dst)]);
    rig.load_context(1, &memcpy_ctx(&fw));
    rig.e.write_reg(off::EVTOVR, 0b11);
    rig.start(1, 4);
    rig.e.run_until(rig.e.now() + 100 * US);
    assert_eq!(rig.e.read_reg(off::STOP_STAT) & 2, 0, "stopped");
    assert_eq!(rig.e.read_reg(off::INTR) & 2, 0, "without an interrupt");
    assert_eq!(rig.read(dst, 64), vec![0; 64], "nothing copied");
    // The host hands the BD over and restarts without a new context.
    rig.e
        .memory_mut()
        .write_u32(ring, mode(64, DONE | LAST | INTR, 0))
        .expect("bd");
    rig.e.write_reg(off::HSTART, 2);
    rig.e.run_until(rig.e.now() + 100 * US);
    assert_eq!(rig.read(dst, 64), rig.read(src, 64));
    assert_eq!(rig.e.read_reg(off::INTR) & 2, 2);
}

#[test]
fn bd_status_is_written_after_the_data_it_describes() {
    // The memory-copy script on the core alone, with every memory write logged.
    let fw = sdma_core::sdma::firmware::Firmware::parse(OPEN_SCRIPTS).expect("parses");
    let words: Vec<u16> = fw.ram_code_words().collect();
    let mut program = vec![0u16; usize::from(open::LOAD_ADDRESS - LOAD)];
    program.extend(words);
    let mut bus = FlatBus::new(program);
    let (bd, src, dst) = (MEM, MEM + 0x100, MEM + 0x200);
    bus.mem[0x100..0x140].copy_from_slice(&[0xA5; 0x40]);
    let bd_words = [mode(0x40, DONE | LAST | INTR, 0), src, dst];
    for (i, w) in bd_words.iter().enumerate() {
        bus.mem[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    let mut s = CoreState {
        pc: Rig::entry(&fw, "ap_2_ap"),
        ..CoreState::default()
    };
    s.r[2] = bd; // as if the CCB had been read
    let mut count = RunCount::default();
    let exit = run(
        &mut s,
        &mut bus,
        &DecodeTable::new(),
        &CycleModel::default(),
        10_000,
        &mut count,
    );
    assert_eq!(exit, Exit::Done(3));
    let status_at = bus
        .writes
        .iter()
        .position(|&(a, _, _)| a == bd)
        .expect("BD written");
    let last_data = bus
        .writes
        .iter()
        .rposition(|&(a, _, _)| (dst..dst + 0x40).contains(&a))
        .expect("data written");
    assert!(last_data < status_at, "data, then status");
    assert_eq!(
        bus.writes.len(),
        status_at + 1,
        "the BD is written once, last"
    );
    assert_eq!(bus.writes[status_at].2, mode(0x40, LAST | INTR, 0));
}

/// A capture or playback rig: `n` BDs of `period` bytes in a cyclic ring on channel 1,
/// SSI1 FIFO with watermark 8, 16-bit samples in `width`-byte slots.
struct Audio {
    rig: Rig,
    ring: u32,
    buf: u32,
    n: u32,
    period: u32,
    fifo: sdma_sim::SsiId,
}

fn audio(rx: bool, n: u32, period: u32, width: u32) -> Audio {
    let mut rig = Rig::new();
    let fw = rig.load_open_scripts();
    let code = match width {
        1 => 1u8,
        2 => 2,
        _ => 0,
    };
    let cfg = if rx {
        SsiConfig::ssi1_rx()
    } else {
        SsiConfig::ssi1_tx()
    };
    let fifo = rig.e.add_ssi(cfg);
    let buf = if rx {
        rig.buffer(n * period, |_| 0)
    } else {
        // Playback data: the pattern the transmit FIFO's checker expects.
        let mut g = sdma_sim::PatternGenerator::new(cfg.sample_bits);
        let samples: Vec<u32> = (0..n * period / width).map(|_| g.next_sample()).collect();
        let a = rig.buffer(n * period, |_| 0);
        let bytes: Vec<u8> = samples
            .iter()
            .flat_map(|s| s.to_le_bytes()[..width as usize].to_vec())
            .collect();
        rig.e.memory_mut().write(a, &bytes).expect("fill");
        a
    };
    let bds: Vec<(u32, u32, u32)> = (0..n)
        .map(|i| {
            let wrap = if i == n - 1 { WRAP } else { 0 };
            (
                mode(period, DONE | CONT | INTR | wrap, code),
                buf + i * period,
                0,
            )
        })
        .collect();
    let ring = rig.ring(1, &bds);
    let name = if rx { "shp_2_mcu" } else { "mcu_2_shp" };
    let mut ctx = ChannelContext::for_script(Rig::entry(&fw, name));
    ctx.g_reg[6] = cfg.fifo_addr;
    ctx.g_reg[7] = 8 * width; // watermark in bytes
    if cfg.event < 32 {
        ctx.g_reg[1] = 1 << cfg.event;
    } else {
        ctx.g_reg[0] = 1 << (cfg.event - 32);
    }
    rig.load_context(1, &ctx);
    rig.e
        .write_reg(off::CHNENBL0 + 4 * usize::from(cfg.event), 1 << 1);
    rig.start(1, 5);
    rig.e.start_ssi(fifo);
    Audio {
        rig,
        ring,
        buf,
        n,
        period,
        fifo,
    }
}

impl Audio {
    /// Runs `periods` periods of audio, handing every completed BD back at once (as a
    /// period callback does); calls `done(bd index)` per completed BD.
    fn run(&mut self, periods: u32, mut done: impl FnMut(&mut Rig, u32)) {
        let mut next = 0u32;
        let mut seen = 0u32;
        // 16-bit stereo at 48 kHz: 96 000 FIFO words per second.
        let words = u64::from(self.period / self.width_bytes());
        let period_ns = words * 1_000_000_000 / 96_000;
        while seen < periods {
            let t = self.rig.e.now() + period_ns / 4;
            self.rig.e.run_until(t);
            if self.rig.e.read_reg(off::INTR) & 2 != 0 {
                self.rig.e.write_reg(off::INTR, 2);
            }
            while self.rig.bd_mode(self.ring, next) & DONE == 0 {
                done(&mut self.rig, next);
                let m = self.rig.bd_mode(self.ring, next);
                self.rig
                    .e
                    .memory_mut()
                    .write_u32(self.ring + 12 * next, m | DONE)
                    .expect("re-arm");
                next = (next + 1) % self.n;
                seen += 1;
            }
            assert!(
                self.rig.e.now() < u64::from(periods + 4) * period_ns + MS,
                "audio stalled after {seen} periods"
            );
        }
    }

    fn width_bytes(&self) -> u32 {
        match (self.rig.bd_mode(self.ring, 0) >> 24) & 3 {
            1 => 1,
            2 => 2,
            _ => 4,
        }
    }
}

#[test]
fn capture_ring_receives_every_sample_in_order() {
    for width in [2u32, 4] {
        let mut a = audio(true, 4, 256, width);
        let mut checker = PatternChecker::from_start(16);
        let (buf, period) = (a.buf, a.period);
        a.run(12, |rig, i| {
            let bytes = rig.read(buf + i * period, period);
            for chunk in bytes.chunks_exact(width as usize) {
                let mut w = [0u8; 4];
                w[..chunk.len()].copy_from_slice(chunk);
                checker.check(u32::from_le_bytes(w));
            }
        });
        let st = checker.stats();
        assert_eq!(
            (st.lost, st.repeated, st.discontinuities),
            (0, 0, 0),
            "width {width}: {st:?}"
        );
        assert_eq!(st.checked, u64::from(12 * period / width));
        let fifo = a.rig.e.ssi_mut(a.fifo).expect("fifo").stats();
        assert_eq!((fifo.overruns, fifo.dma_errors), (0, 0), "width {width}");
        assert!(a.rig.e.faults().is_empty(), "{:?}", a.rig.e.faults());
        // One request, one burst of one watermark: done 2 or done 4 per burst.
        let d = a.rig.e.stats().dones;
        assert_eq!(d[4], 12, "one interrupt per period");
        assert!(d[2] > 0 && d[0] == 0 && d[3] == 0 && d[5] == 0, "{d:?}");
    }
}

#[test]
fn playback_ring_plays_every_sample_in_order() {
    let mut a = audio(false, 4, 256, 2);
    let (buf, period, n) = (a.buf, a.period, a.n);
    let per_period = u64::from(period / 2);
    // Each played period is refilled with the pattern's continuation, as an application
    // writes ahead of the DMA.
    let mut refills = u64::from(n);
    a.run(12, |rig, i| {
        let bytes: Vec<u8> = (0..per_period)
            .flat_map(|k| {
                let v = sdma_sim::pattern::pattern_value(refills * per_period + k, 16);
                v.to_le_bytes()[..2].to_vec()
            })
            .collect();
        rig.e
            .memory_mut()
            .write(buf + i * period, &bytes)
            .expect("refill");
        refills += 1;
    });
    let fifo = a.rig.e.ssi_mut(a.fifo).expect("fifo");
    let played = fifo.played();
    let st = fifo.stats();
    assert_eq!(
        (played.lost, played.repeated, played.discontinuities),
        (0, 0, 0),
        "{played:?}"
    );
    assert!(played.checked > 0);
    assert_eq!(st.dma_errors, 0);
    assert!(a.rig.e.faults().is_empty(), "{:?}", a.rig.e.faults());
}

#[test]
fn a_stop_ends_capture_after_the_burst_in_progress_and_a_restart_continues_in_place() {
    let mut a = audio(true, 4, 256, 2);
    a.run(2, |_, _| {});
    a.rig.e.write_reg(off::STOP_STAT, 2);
    let moved = a.rig.e.ssi_mut(a.fifo).expect("fifo").stats().dma_words;
    let bd = a
        .rig
        .e
        .data_word(sdma_pac::context::data_address(1) as usize + 4);
    let t = a.rig.e.now() + 2 * MS;
    a.rig.e.run_until(t);
    assert_eq!(
        a.rig.e.ssi_mut(a.fifo).expect("fifo").stats().dma_words,
        moved,
        "no FIFO read after the stop"
    );
    assert_eq!(a.rig.e.read_reg(off::STOP_STAT) & 2, 0);
    // Restart without a new context: the same BD position.
    a.rig.e.write_reg(off::HSTART, 2);
    let t = a.rig.e.now() + 200 * US;
    a.rig.e.run_until(t);
    assert!(a.rig.e.ssi_mut(a.fifo).expect("fifo").stats().dma_words > moved);
    assert_eq!(
        a.rig
            .e
            .data_word(sdma_pac::context::data_address(1) as usize + 4),
        bd,
        "r2 (current BD) kept across the stop"
    );
}
