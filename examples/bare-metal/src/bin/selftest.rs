//! The SabreLite self-test: measures on silicon the hardware facts the driver, the BSP
//! and the simulator rely on (`docs/hardware-assumptions.md`, IDs `HW-001`...) and
//! prints one line per check, then a summary:
//!
//! ```text
//! selftest: HW-004 stop-latency: measured 35200 ns (max 35200 p99.99 30000 p99 9000 p50 2000 min 100 n 40000)
//! selftest: HW-030 gpt-compares: pass
//! selftest: HW-026 ssi-tx-underrun-output: not-emulated
//! selftest: summary: 39 checks: 19 pass, 2 fail, 8 measured, 0 not-emulated, 10 not-run
//! ```
//!
//! `cargo xtask selftest --log FILE` reads a console capture of this program and prints
//! the table with the setting each figure implies. `selftest: note ...` lines add
//! details (per-variant distributions, raw register values, why a check did not run).
//!
//! # What it needs, check by check
//!
//! A SabreLite with its console on UART2 (115200 8N1) and nothing wired:
//!
//! * memory to memory only (no wiring): HW-001 (self-stop), HW-002/003/004 (memcpy stop
//!   runs), HW-006/007/008/010 (two channels released during a 64 KiB step), HW-009
//!   (fence runs), HW-014, HW-015/016 (channel-0 commands), HW-020, HW-023 (ap_2_ap,
//!   cacheable buffers through the driver's clean/invalidate), HW-018 (SDMA interrupt);
//! * SSI1 transmit without bit clocks (no codec needed): HW-011, HW-013, HW-019,
//!   HW-025, HW-027;
//! * the SGTL5000 answering on I2C1 (it is the I2S master: its clocks run the capture):
//!   the capture stop and fence runs (HW-002/004/009), HW-017, shp_2_mcu for HW-023;
//! * the timers and the GIC: HW-018 (GPT), HW-029, HW-030, HW-031, HW-032.
//!
//! HW-012 reads the GIC's pending bit of the SDMA interrupt with INTRMASK all zeros
//! and all ones (no wiring).
//!
//! HW-026/028 use the SGTL5000's digital loopback (SSS_CTRL.I2S_OUT_SEL = I2S_IN, set
//! and restored by the program): no cable either.
//!
//! Not run (`not-run`, with a note): HW-005, HW-021, HW-022 (need raw channel-0
//! commands the driver does not expose), HW-033 (gating the SPBA off may stall the
//! bus). A full run takes about five minutes (eight series of 10 000 stop runs of
//! ~3 ms each, two of 10 000 channel-0 commands, and the rest).
//!
//! The board owner sends back the console capture (for example `picocom -b 115200
//! /dev/ttyUSB0 | tee selftest.log`); `cargo xtask selftest --log selftest.log` turns it
//! into the table.
//!
//! # On QEMU
//!
//! QEMU `-M sabrelite` has no SDMA, SSI or codec: the driver's `init` ends in the typed
//! `Channel0Timeout` within its deadline, which is how the program knows; every check
//! that needs them is `not-emulated`. The GPT, GIC, `wfi` and MMU checks run. It exits
//! with status 0 (`cargo xtask qemu selftest`, CI step `qemu-selftest`); the status is
//! 1 if any check failed, or if the MMU and caches are not on or the DmaArea is not in
//! the non-cacheable window (then no figure would describe the shipped configuration).
//!
//! # How the stop latency is measured (HW-002, HW-003, HW-004)
//!
//! A memcpy (ap_2_ap, 256 KiB in 65535-byte BDs) or a capture (shp_2_mcu from SSI1)
//! into a sentinel-filled buffer in the non-cacheable DMA window runs; after a random
//! delay (0..500 µs) the program writes STOP_STAT with the Cortex-A9 global timer read
//! just before and after the store, then polls for 2 ms the word after the last one the
//! DMA wrote ([`Frontier`]) and the channel's BD mode words, recording the last change.
//! 10 000 runs per variant, alone and with a priority-6 64 KiB memcpy restarted
//! whenever it finishes. The figure is the time from the STOP_STAT write to the last
//! change; a change seen by a poll is seen at most one poll later than it happened, so
//! the figures err on the long side (the safe side for a backstop bound).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(all(target_os = "none", not(feature = "imx6ull-evk")))]
mod app {
    use core::ptr::{addr_of, addr_of_mut};
    use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

    use examples_bare_metal::selftest::{
        ticks_to_ns, Check, Distribution, Frontier, LastChange, Line, Samples, Tally, Verdict,
        WordWatch, CHECKS,
    };
    use imx6_bsp::board::sabrelite::CodecSetup;
    use imx6_bsp::board::{self, Board, GptDelay, Profile, SabreLite};
    use imx6_bsp::memory_map::{self, irq};
    use imx6_bsp::mmio::{Mmio, MmioBlock};
    use imx6_bsp::sdma_platform::{critical_section, Imx6SdmaPlatform, IrqMaskCriticalSection};
    use imx6_bsp::{cache, gic, gpt, println, semihosting, ssi, startup, uart};
    use sdma_core::dmaengine::{
        BusWidth, Cookie, DmaController, Region, SlaveConfig, TransferDesc, TransferKind,
    };
    use sdma_core::sdma::{
        ChannelRequest, DmaArea, PeripheralType, Sdma, SdmaConfig, SdmaError, SdmaHwChannel,
    };
    use sdma_pac::sdma::RegisterBlock;

    critical_section::set_impl!(IrqMaskCriticalSection);
    imx6_bsp::entry!(main);

    type Engine = Sdma<Imx6SdmaPlatform>;
    type Chan = SdmaHwChannel<Imx6SdmaPlatform>;

    /// Runs per stop-latency / fence variant.
    const REPEATS: u32 = 10_000;
    /// How long each run watches the stopped channel.
    const WATCH_NS: u64 = 2_000_000;
    /// Latest random STOP instant after the start.
    const MAX_STOP_DELAY_NS: u64 = 500_000;
    /// Bytes of the stopped memcpy (4 BDs of 65535 bytes and one of 4 bytes).
    const COPY_BYTES: usize = 256 * 1024;
    /// Bytes of the competing memcpy: one BD step of 64 KiB - 4 (word multiple).
    const COMPETE_BYTES: usize = 65_532;
    /// Capture ring: periods x bytes.
    const CAPTURE_PERIODS: usize = 4;
    const CAPTURE_PERIOD_BYTES: usize = 1024;
    /// The loopback's playback ring: 2 periods of 256 bytes (128 stereo frames, 2.7 ms).
    const LOOP_TX_BYTES: usize = 512;
    /// The sentinel the watched buffers are filled with.
    const SENTINEL: u32 = 0x5E17_1E57;
    /// Priorities: the measured channels, the competitor (higher), the fence channel.
    const PRIO_MEASURED: u8 = 2;
    const PRIO_COMPETITOR: u8 = 6;
    const PRIO_FENCE: u8 = 3;
    /// The driver's channel-0 deadline is 500 µs; QEMU's dead engine must be reported
    /// within it plus the time to notice (generous: QEMU time runs on instructions).
    const NO_SDMA_DEADLINE_US: u64 = 20_000;
    /// The codec set-up (microphone input; only its clocks matter here).
    const CODEC: CodecSetup = CodecSetup::SABRELITE_MIC;

    #[repr(C, align(32))]
    struct Words<const N: usize>([u32; N]);

    imx6_bsp::dma_coherent! {
        /// The driver's CCBs, BD rings and staging buffer.
        static mut AREA: DmaArea = DmaArea::new();
    }
    imx6_bsp::dma_coherent! {
        /// Destination of the stopped memcpy (watched: non-cacheable).
        static mut COPY_DST: Words<{ COPY_BYTES / 4 }> = Words([0; COPY_BYTES / 4]);
    }
    imx6_bsp::dma_coherent! {
        /// Destination of the competitor and of the fence copies.
        static mut COMPETE_DST: Words<{ COMPETE_BYTES / 4 + 1 }> = Words([0; COMPETE_BYTES / 4 + 1]);
    }
    imx6_bsp::dma_coherent! {
        /// The capture ring (watched: non-cacheable).
        static mut CAPTURE: Words<{ CAPTURE_PERIODS * CAPTURE_PERIOD_BYTES / 4 }> =
            Words([0; CAPTURE_PERIODS * CAPTURE_PERIOD_BYTES / 4]);
    }
    imx6_bsp::dma_coherent! {
        /// The playback ring of the codec loopback (HW-026/028): two short periods.
        static mut PLAYBACK: Words<{ LOOP_TX_BYTES / 4 }> = Words([0; LOOP_TX_BYTES / 4]);
    }
    /// Source of the memcpys (cacheable: the driver cleans it before each start).
    static mut COPY_SRC: Words<{ COPY_BYTES / 4 }> = Words([0; COPY_BYTES / 4]);
    /// A cacheable destination (HW-023: the driver's invalidation, exercised).
    static mut CACHED_DST: Words<4096> = Words([0; 4096]);
    static mut ENGINE: Option<Engine> = None;

    // ---------------------------------------------------------------------------
    // Report
    // ---------------------------------------------------------------------------

    /// The verdicts so far.
    struct Report {
        tally: Tally,
    }

    impl Report {
        fn line(&mut self, id: &str, verdict: Verdict) {
            let check = CHECKS
                .iter()
                .copied()
                .find(|c| c.id == id)
                .unwrap_or(Check {
                    id: "HW-???",
                    name: "unknown",
                });
            self.tally.add(&verdict);
            println!("{}", Line { check, verdict });
        }

        fn note(&self, id: &str, what: core::fmt::Arguments<'_>) {
            println!("selftest: note {}: {}", id, what);
        }
    }

    fn pass_if(ok: bool) -> Verdict {
        if ok {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }

    // ---------------------------------------------------------------------------
    // Fine time: the Cortex-A9 global timer, calibrated against the GPT
    // ---------------------------------------------------------------------------

    mod fine {
        use super::*;

        const CNT_LO: usize = 0x00;
        const CNT_HI: usize = 0x04;
        const CTRL: usize = 0x08;
        static HZ: AtomicU64 = AtomicU64::new(0);

        fn block() -> MmioBlock {
            // SAFETY: the A9 global timer registers of the i.MX6Q private region
            // (Device memory in the BSP's map; emulated by QEMU's a9mpcore).
            unsafe { MmioBlock::new(memory_map::GLOBAL_TIMER) }
        }

        /// Starts the timer (prescaler 1) and measures its rate over 10 ms of GPT.
        pub fn init() -> u64 {
            block().write32(CTRL, 1);
            let (g0, f0) = (gpt::now(), now());
            gpt::delay_us(10_000);
            let (g1, f1) = (gpt::now(), now());
            let hz = (f1 - f0) * u64::from(gpt::TICK_HZ) / (g1 - g0).max(1);
            HZ.store(hz, Ordering::Relaxed);
            hz
        }

        /// The 64-bit count (high word read twice around the low one).
        pub fn now() -> u64 {
            let b = block();
            loop {
                let hi = b.read32(CNT_HI);
                let lo = b.read32(CNT_LO);
                if b.read32(CNT_HI) == hi {
                    return (u64::from(hi) << 32) | u64::from(lo);
                }
            }
        }

        pub fn hz() -> u64 {
            HZ.load(Ordering::Relaxed)
        }

        pub fn ns(ticks: u64) -> u64 {
            ticks_to_ns(ticks, hz())
        }

        pub fn ticks(ns: u64) -> u64 {
            (u128::from(ns) * u128::from(hz()) / 1_000_000_000) as u64
        }
    }

    /// A small deterministic generator for the STOP instants (xorshift32).
    struct Rng(u32);

    impl Rng {
        fn next(&mut self) -> u32 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            self.0 = x;
            x
        }
    }

    // ---------------------------------------------------------------------------
    // Entry
    // ---------------------------------------------------------------------------

    fn main() -> ! {
        let Some((profile, blocks)) = board::start() else {
            semihosting::exit(1)
        };
        println!();
        println!(
            "selftest: imx6-bsp {} on {} ({})",
            env!("CARGO_PKG_VERSION"),
            profile.machine.name(),
            board::Selected::NAME
        );
        let caches = cache::state();
        println!("selftest: note memory: {}", caches);
        let mut report = Report {
            tally: Tally::default(),
        };
        // Every figure below assumes the BSP's memory system: MMU and caches on, the
        // DmaArea non-cacheable. Without it the run still reports, but fails.
        let mut memory_ok = caches.all_on();
        if startup::memory_setup() != startup::MemorySetup::Done || !memory_ok {
            memory_ok = false;
            report.note("MMU", format_args!("{:?}", startup::memory_setup()));
        }
        let fine_hz = fine::init();
        println!(
            "selftest: note timer: global timer at {} Hz (against the 3 MHz GPT)",
            fine_hz
        );
        gic::init();

        let mut delay = GptDelay;
        let board = match SabreLite::bring_up(blocks, profile, &mut delay) {
            Ok((b, r)) => {
                println!("{}", r);
                Some(b)
            }
            Err(e) => {
                println!("selftest: note board: bring-up failed: {}", e);
                None
            }
        };

        enable_sdma_gate();
        // SAFETY: an i.MX6Q or QEMU sabrelite, identity-mapped, SDMA gate open
        // (`enable_sdma_gate`), GPT running; the SDMA registers go to this one driver.
        let platform = unsafe { Imx6SdmaPlatform::new() };
        // SAFETY: `main` runs once; these statics are only reached through the
        // references made here.
        let (area, engine) = unsafe { (&mut *addr_of_mut!(AREA), &mut *addr_of_mut!(ENGINE)) };
        let area_addr = area as *const DmaArea as usize;
        if !startup::is_dma_coherent(area_addr, core::mem::size_of::<DmaArea>()) {
            memory_ok = false;
            report.note(
                "DMA",
                format_args!("the DmaArea is not in the non-cacheable window"),
            );
        }
        let sdma: &'static Engine = engine.insert(Sdma::new(platform, area, SdmaConfig::default()));
        let t0 = gpt::now();
        let init = sdma.init();
        let init_us = gpt::ticks_to_us(gpt::now() - t0);
        let has_sdma = match init {
            Ok(()) => {
                println!("selftest: note sdma: engine up in {} us", init_us);
                true
            }
            Err(SdmaError::Channel0Timeout { command }) if init_us <= NO_SDMA_DEADLINE_US => {
                println!(
                    "selftest: note sdma: init ended in Channel0Timeout (command {:#04x}) after {} us: no SDMA on this machine",
                    command, init_us
                );
                false
            }
            Err(e) => {
                println!(
                    "selftest: note sdma: init failed after {} us: {}",
                    init_us, e
                );
                false
            }
        };
        let sdma_missing_verdict = if profile.has_sdma {
            Verdict::Fail
        } else {
            Verdict::NotEmulated
        };

        let mut ctx = Ctx {
            sdma,
            board,
            profile,
            rng: Rng(0x1234_5678),
            cookie: 0,
        };
        if has_sdma {
            sdma_checks(&mut ctx, &mut report);
        } else {
            for c in CHECKS.iter().take(28) {
                if c.id == "HW-018" {
                    // The GPT half runs anywhere; the SDMA half needs the engine.
                    let v = interrupt_latency(&mut ctx, &mut report, None);
                    report.line(c.id, v);
                } else {
                    report.line(c.id, sdma_missing_verdict);
                }
            }
        }
        platform_checks(&ctx, &mut report);

        println!("{}", report.tally);
        uart::console().flush();
        semihosting::exit(if report.tally.fail == 0 && memory_ok {
            0
        } else {
            1
        })
    }

    fn enable_sdma_gate() {
        use imx6_bsp::ccm::{gates, Ccm};
        // SAFETY: the CCM block is mapped for the whole program; opening one gate is a
        // read-modify-write that leaves the other gates alone.
        let ccm = Ccm::new(unsafe { MmioBlock::new(memory_map::CCM) });
        ccm.enable_all(&[gates::SDMA]);
    }

    /// What the checks share.
    struct Ctx {
        sdma: &'static Engine,
        board: Option<SabreLite<MmioBlock>>,
        profile: Profile,
        rng: Rng,
        cookie: u32,
    }

    impl Ctx {
        fn regs(&self) -> &RegisterBlock {
            sdma_core::sdma::Platform::registers(self.sdma.platform())
        }

        fn cookie(&mut self) -> Cookie {
            self.cookie = self.cookie.wrapping_add(1);
            Cookie(self.cookie)
        }

        fn he(&self, ch: u8) -> bool {
            self.regs().STOP_STAT.read() & (1 << ch) != 0
        }

        /// Waits (bounded) until channel 0 is idle and `ch` has HE in state `set`,
        /// servicing the driver's interrupt state by polling (IRQs stay masked).
        /// What the interrupt handlers would do, by polling (IRQs stay masked): the
        /// SDMA top half (channel-0 completions, EVTERR) and the driver's deadline.
        fn service(&self) -> u32 {
            let mut mask = self.sdma.handle_interrupt();
            if gpt::deadline_pending() && gpt::handle_interrupt().deadline {
                mask |= self.sdma.handle_deadline();
            }
            mask
        }

        /// Starts `desc` on `ch` and drives the driver's asynchronous start (the
        /// channel-0 context load, then BDs, CCB and HSTART from `progress`) until the
        /// transfer runs; returns the fine ticks from the call to the HSTART write.
        /// `progress` is not called again afterwards, so a cyclic ring is not re-armed.
        fn start(&self, ch: &mut Chan, cookie: Cookie, desc: &TransferDesc) -> Option<u64> {
            let t0 = fine::now();
            // SAFETY: every transfer of this program names its own static buffers,
            // which the CPU does not write while the transfer may run (the watches only
            // read), and each runs until its completion or a confirmed stop.
            unsafe { ch.start(cookie, desc) }.ok()?;
            if ch.started_at_once() {
                return Some(fine::now() - t0);
            }
            let limit = fine::ticks(10_000_000);
            loop {
                let _ = self.service();
                let p = ch.progress(cookie, desc);
                if p.started {
                    return Some(fine::now() - t0);
                }
                if p.error || fine::now() - t0 > limit {
                    return None;
                }
            }
        }

        fn wait_he(&self, ch: u8, set: bool, limit_ns: u64) -> Option<u64> {
            let t0 = fine::now();
            let limit = fine::ticks(limit_ns);
            loop {
                let _ = self.service();
                let now = fine::now();
                if !self.he(0) && self.he(ch) == set {
                    return Some(now - t0);
                }
                if now - t0 > limit {
                    return None;
                }
            }
        }
    }

    // ---------------------------------------------------------------------------
    // Transfers
    // ---------------------------------------------------------------------------

    fn memcpy_desc(src: usize, dst: usize, len: usize) -> TransferDesc {
        TransferDesc {
            kind: TransferKind::Memcpy,
            config: SlaveConfig::memcpy(BusWidth::Bits32),
            mem: Region { addr: src, len },
            mem_dst: Some(Region { addr: dst, len }),
        }
    }

    fn copy_src() -> usize {
        addr_of!(COPY_SRC) as usize
    }
    fn copy_dst() -> usize {
        addr_of!(COPY_DST) as usize
    }
    fn compete_dst() -> usize {
        addr_of!(COMPETE_DST) as usize
    }
    fn capture_buf() -> usize {
        addr_of!(CAPTURE) as usize
    }

    /// Volatile read of word `i` of the buffer at `base`.
    fn word(base: usize, i: usize) -> u32 {
        // SAFETY: callers pass one of this program's static buffers and an index
        // inside it; volatile because the DMA writes it.
        unsafe { ((base + 4 * i) as *const u32).read_volatile() }
    }

    /// Fills `words` words of the buffer at `base` with the sentinel.
    fn fill(base: usize, words: usize, value: u32) {
        for i in 0..words {
            // SAFETY: as in `word`; no DMA targets the buffer while it is filled.
            unsafe { ((base + 4 * i) as *mut u32).write_volatile(value) };
        }
    }

    /// The first `N` BD mode words of channel `ch`, found through its CCB (MC0PTR:
    /// identity bus addresses).
    fn bd_modes<const N: usize>(ctx: &Ctx, ch: u8) -> [u32; N] {
        let ccb = ctx.regs().MC0PTR.read() as usize + 16 * usize::from(ch);
        // SAFETY: MC0PTR holds the CCB array of the driver's DmaArea (non-cacheable,
        // live for the program); word 1 of a CCB is its BD ring's base address.
        let base = unsafe { ((ccb + 4) as *const u32).read_volatile() } as usize;
        core::array::from_fn(|i| {
            // SAFETY: the ring has RING_LEN >= N BDs of 12 bytes in the DmaArea.
            unsafe { ((base + 12 * i) as *const u32).read_volatile() }
        })
    }

    /// A started competitor, restarted whenever it finishes.
    struct Competitor {
        ch: Chan,
        cookie: Cookie,
        desc: TransferDesc,
    }

    impl Competitor {
        fn new(ctx: &mut Ctx) -> Option<Competitor> {
            let ch = ctx
                .sdma
                .request_channel(ChannelRequest::memory(PRIO_COMPETITOR))
                .ok()?;
            Some(Competitor {
                ch,
                cookie: ctx.cookie(),
                desc: memcpy_desc(copy_src(), compete_dst(), COMPETE_BYTES),
            })
        }

        fn start(&mut self, ctx: &mut Ctx) {
            self.cookie = ctx.cookie();
            let _ = ctx.start(&mut self.ch, self.cookie, &self.desc);
        }

        /// Restarts it if it finished (called from the watch loops).
        fn keep_running(&mut self, ctx: &mut Ctx) {
            if !ctx.he(self.ch.number()) {
                let _ = self.ch.progress(self.cookie, &self.desc);
                self.start(ctx);
            }
        }

        fn stop(&mut self, ctx: &Ctx) {
            self.ch.request_stop(self.cookie);
            let _ = confirm_stop(ctx, &mut self.ch);
        }
    }

    /// One stop run's observations.
    struct StopRun {
        /// STOP_STAT write to the last change.
        latency: u64,
        /// BDs whose DONE cleared after the STOP_STAT write.
        bds_after: u32,
        /// Words written after the STOP_STAT write.
        words_after: usize,
        /// Changes seen after the fence completed (fence runs only).
        violations: u32,
    }

    /// What a stop run watches: channel `ch` and the buffer at `base` (`words` long)
    /// that it fills from its start.
    #[derive(Clone, Copy)]
    struct Watched {
        ch: u8,
        base: usize,
        words: usize,
    }

    /// Writes STOP_STAT for `ch` and returns the fine time of the store (mid-point of
    /// the reads around it).
    fn stop_now(ctx: &Ctx, ch: u8) -> u64 {
        let t0 = fine::now();
        ctx.regs().STOP_STAT.write(1 << ch);
        let t1 = fine::now();
        t0 + (t1 - t0) / 2
    }

    /// Watches the buffer and the first BD mode words of `target` for `WATCH_NS`
    /// after `stop_at`; a fence completing
    /// at `fence_at` makes later changes violations.
    fn watch(
        ctx: &mut Ctx,
        target: Watched,
        frontier: &mut Frontier,
        stop_at: u64,
        fence_at: Option<u64>,
        mut competitor: Option<&mut Competitor>,
    ) -> StopRun {
        let Watched { ch, base, words } = target;
        let mut last = LastChange::from(stop_at);
        let written_at_stop = frontier.written();
        let mut bds: WordWatch<8> = WordWatch::new(bd_modes(ctx, ch));
        let done_at_stop = bd_modes::<8>(ctx, ch);
        let mut violations = 0;
        let end = stop_at + fine::ticks(WATCH_NS);
        loop {
            let now = fine::now();
            if now >= end {
                break;
            }
            let moved = frontier.advance(words, |i| word(base, i));
            let bd_changed = bds.update(bd_modes(ctx, ch));
            let changed = moved || bd_changed;
            last.observe(now, changed);
            if changed && fence_at.is_some_and(|f| now > f) {
                violations += 1;
            }
            if let Some(c) = competitor.as_deref_mut() {
                c.keep_running(ctx);
            }
        }
        let done_now = bd_modes::<8>(ctx, ch);
        let dne = sdma_pac::bd::status::DONE;
        let bds_after = done_at_stop
            .iter()
            .zip(done_now.iter())
            .filter(|(a, b)| **a & dne != 0 && **b & dne == 0)
            .count() as u32;
        StopRun {
            latency: last.latency(),
            bds_after,
            words_after: frontier.written() - written_at_stop,
            violations,
        }
    }

    /// What one stop variant measured.
    struct Variant {
        latency: Option<Distribution>,
        max_bds_after: u32,
        max_words_after: usize,
        violations: u64,
        failed_starts: u32,
    }

    static mut LATENCIES: Samples<{ REPEATS as usize }> = Samples::new();
    static mut ALL_LATENCIES: Samples<{ 4 * REPEATS as usize }> = Samples::new();

    /// What a series of stop runs starts and watches.
    struct StopSetup {
        /// The transfer (a memcpy, or a capture ring with the SSI receiver running).
        desc: TransferDesc,
        /// The buffer it fills from its start, and its length in words.
        buf: usize,
        words: usize,
    }

    /// Confirms a stop through the driver, bounded (100 ms).
    fn confirm_stop(ctx: &Ctx, ch: &mut Chan) -> bool {
        let t0 = fine::now();
        while fine::now() - t0 < fine::ticks(100_000_000) {
            let _ = ctx.service();
            if ch.stop_confirmed() {
                return true;
            }
        }
        false
    }

    /// Issues a fence (a 4-byte copy on `f`, whose start runs a channel-0 context
    /// load) and returns the instant channel 0 reads idle again.
    fn fence_now(ctx: &mut Ctx, f: &mut Chan) -> Option<(u64, Cookie)> {
        let c = ctx.cookie();
        let desc = memcpy_desc(copy_src(), compete_dst(), 4);
        // Started = its context load on channel 0 has completed: the fence.
        ctx.start(f, c, &desc)?;
        Some((fine::now(), c))
    }

    /// `REPEATS` stop runs of `setup` on `ch` at random instants; with `fence`, a
    /// channel-0 command follows each STOP_STAT write and later changes are counted as
    /// violations; with `competitor`, a priority-6 64 KiB memcpy runs throughout.
    /// Latencies of runs without a fence also go to `ALL_LATENCIES` (HW-004).
    fn stop_runs(
        ctx: &mut Ctx,
        ch: &mut Chan,
        setup: &StopSetup,
        mut fence: Option<&mut Chan>,
        mut competitor: Option<&mut Competitor>,
    ) -> Variant {
        // SAFETY: only the stop runs use LATENCIES, one call at a time.
        let samples = unsafe { &mut *addr_of_mut!(LATENCIES) };
        samples.clear();
        let mut v = Variant {
            latency: None,
            max_bds_after: 0,
            max_words_after: 0,
            violations: 0,
            failed_starts: 0,
        };
        fill(setup.buf, setup.words, SENTINEL);
        let mut dirty = 0;
        if let Some(c) = competitor.as_deref_mut() {
            c.start(ctx);
        }
        for _ in 0..REPEATS {
            fill(setup.buf, dirty, SENTINEL);
            let cookie = ctx.cookie();
            if ctx.start(ch, cookie, &setup.desc).is_none() {
                v.failed_starts += 1;
                let _ = confirm_stop(ctx, ch);
                continue;
            }
            let delay = u64::from(ctx.rng.next()) % MAX_STOP_DELAY_NS;
            let until = fine::now() + fine::ticks(delay);
            while fine::now() < until {
                if let Some(c) = competitor.as_deref_mut() {
                    c.keep_running(ctx);
                }
            }
            let mut frontier = Frontier::new(SENTINEL);
            frontier.advance(setup.words, |i| word(setup.buf, i));
            let running = ctx.he(ch.number());
            let stop_at = stop_now(ctx, ch.number());
            let fence_at = match fence.as_deref_mut() {
                Some(f) => fence_now(ctx, f),
                None => None,
            };
            let target = Watched {
                ch: ch.number(),
                base: setup.buf,
                words: setup.words,
            };
            let run = watch(
                ctx,
                target,
                &mut frontier,
                stop_at,
                fence_at.map(|(t, _)| t),
                competitor.as_deref_mut(),
            );
            dirty = frontier.written();
            ch.request_stop(cookie);
            let _ = confirm_stop(ctx, ch);
            if let (Some(f), Some((_, c))) = (fence.as_deref_mut(), fence_at) {
                let _ = f.progress(c, &memcpy_desc(copy_src(), compete_dst(), 4));
            }
            if !running {
                // The transfer ended before the STOP: nothing to measure.
                continue;
            }
            samples.push(fine::ns(run.latency));
            if fence.is_none() {
                // SAFETY: only the stop runs use ALL_LATENCIES, sequentially.
                unsafe { (*addr_of_mut!(ALL_LATENCIES)).push(fine::ns(run.latency)) };
            }
            v.max_bds_after = v.max_bds_after.max(run.bds_after);
            v.max_words_after = v.max_words_after.max(run.words_after);
            v.violations += u64::from(run.violations);
        }
        if let Some(c) = competitor {
            c.stop(ctx);
        }
        v.latency = samples.distribution();
        v
    }

    /// The memcpy stop runs' set-up: 256 KiB from the source into the watched buffer.
    fn memcpy_setup() -> StopSetup {
        StopSetup {
            desc: memcpy_desc(copy_src(), copy_dst(), COPY_BYTES),
            buf: copy_dst(),
            words: COPY_BYTES / 4,
        }
    }

    /// The capture ring on SSI1 RX (16-bit samples, the SSI's watermark as burst).
    fn capture_setup() -> StopSetup {
        let words = CAPTURE_PERIODS * CAPTURE_PERIOD_BYTES / 4;
        StopSetup {
            desc: TransferDesc {
                kind: TransferKind::Cyclic {
                    period_len: CAPTURE_PERIOD_BYTES,
                    periods: CAPTURE_PERIODS,
                },
                config: SlaveConfig::for_endpoint(&ssi::SSI1_RX, BusWidth::Bits16),
                mem: Region {
                    addr: capture_buf(),
                    len: words * 4,
                },
                mem_dst: None,
            },
            buf: capture_buf(),
            words,
        }
    }

    /// Reports one variant as a note.
    fn note_variant(report: &Report, id: &str, name: &str, v: &Variant) {
        match v.latency {
            Some(d) => report.note(
                id,
                format_args!(
                    "{}: max {} p99.99 {} p50 {} ns, n {}, failed starts {}, BDs after STOP max {}, words after STOP max {}, violations {}",
                    name, d.max, d.p9999, d.p50, d.count, v.failed_starts, v.max_bds_after, v.max_words_after, v.violations
                ),
            ),
            None => report.note(id, format_args!("{}: no run completed ({} failed starts)", name, v.failed_starts)),
        }
    }

    // ---------------------------------------------------------------------------
    // The SDMA checks (silicon)
    // ---------------------------------------------------------------------------

    /// Stop runs with and without the competitor (a no-run variant without it).
    fn both_variants(
        ctx: &mut Ctx,
        ch: &mut Chan,
        setup: &StopSetup,
        mut fence: Option<&mut Chan>,
        competitor: Option<&mut Competitor>,
    ) -> [Variant; 2] {
        let alone = stop_runs(ctx, ch, setup, fence.as_deref_mut(), None);
        let with = match competitor {
            Some(c) => stop_runs(ctx, ch, setup, fence, Some(c)),
            None => Variant {
                latency: None,
                max_bds_after: 0,
                max_words_after: 0,
                violations: 0,
                failed_starts: REPEATS,
            },
        };
        [alone, with]
    }

    fn not_implemented(report: &mut Report, ids: &[&str]) {
        for id in ids {
            report.note(
                id,
                format_args!("not implemented in this version of the self-test"),
            );
            report.line(id, Verdict::NotRun);
        }
    }

    fn sdma_checks(ctx: &mut Ctx, report: &mut Report) {
        // Source pattern for every copy (cacheable: each start cleans it for real).
        for i in 0..COPY_BYTES / 4 {
            // SAFETY: no DMA runs yet; the static is only written here.
            unsafe { (*addr_of_mut!(COPY_SRC)).0[i] = 0xC0DE_0000 ^ i as u32 };
        }
        let (Ok(mut ch), Ok(mut fence)) = (
            ctx.sdma
                .request_channel(ChannelRequest::memory(PRIO_MEASURED)),
            ctx.sdma.request_channel(ChannelRequest::memory(PRIO_FENCE)),
        ) else {
            report.note("SDMA", format_args!("no memory channel could be requested"));
            for c in CHECKS.iter().take(28) {
                report.line(c.id, Verdict::Fail);
            }
            return;
        };
        let mut competitor = Competitor::new(ctx);

        // HW-001: a memcpy that completes by itself: no write after HE reads clear.
        let self_stop = self_stop_writes(ctx, &mut ch);
        report.line("HW-001", pass_if(self_stop == Some(0)));

        // Memcpy stop runs (HW-002/003/004) and fence runs (HW-009).
        let memcpy = memcpy_setup();
        let m = both_variants(ctx, &mut ch, &memcpy, None, competitor.as_mut());
        let mf = both_variants(ctx, &mut ch, &memcpy, Some(&mut fence), competitor.as_mut());
        for (name, v) in [("memcpy alone", &m[0]), ("memcpy + competitor", &m[1])] {
            note_variant(report, "HW-004", name, v);
        }
        for (name, v) in [
            ("memcpy fence alone", &mf[0]),
            ("memcpy fence + competitor", &mf[1]),
        ] {
            note_variant(report, "HW-009", name, v);
        }

        // The SSI transmit request without bit clocks: HW-011/013/019/025/027.
        let ssi = ssi_request_checks(ctx, report);
        report.line("HW-011", ssi.evterr);

        // Capture (the codec drives the bit clocks): stop and fence runs, self-stop.
        let capture = capture_checks(ctx, report, &mut fence, competitor.as_mut());

        let burst_words = ssi::Config::SABRELITE.rx_watermark as usize * 2 / 4;
        let capture_ok = capture
            .runs
            .as_ref()
            .is_none_or(|c| c.iter().all(|v| v.max_words_after <= burst_words + 1));
        report.line(
            "HW-002",
            pass_if(m.iter().all(|v| v.max_bds_after <= 1) && capture_ok && m[0].latency.is_some()),
        );
        report.line(
            "HW-003",
            Verdict::measured(u64::from(m[1].max_bds_after), "bds"),
        );
        // SAFETY: the stop runs are over; nothing else uses ALL_LATENCIES.
        let all = unsafe { (*addr_of_mut!(ALL_LATENCIES)).distribution() };
        report.line(
            "HW-004",
            all.map_or(Verdict::Fail, |d| Verdict::latency(d, "ns")),
        );
        not_implemented(report, &["HW-005"]);
        // HW-006/007/008/010: two channels held at priority 0, released together
        // during the competitor's 64 KiB step.
        let order = competitor
            .as_mut()
            .and_then(|c| race(ctx, c, PRIO_MEASURED, PRIO_FENCE + 2));
        let tie = competitor
            .as_mut()
            .and_then(|c| race(ctx, c, PRIO_FENCE, PRIO_FENCE));
        for (name, r) in [
            ("priorities 2 and 5", &order),
            ("equal priorities 3 and 3", &tie),
        ] {
            match r {
                Some(r) => report.note(
                    "HW-008",
                    format_args!(
                        "{}: channels {} (prio {}) and {} (prio {}); still at priority 0 after 1 ms: {}; competitor step running at release: {}; first to move: channel {}",
                        name, r.a, r.prio_a, r.b, r.prio_b, r.held, r.released_in_step, r.first
                    ),
                ),
                None => report.note("HW-008", format_args!("{}: race not run", name)),
            }
        }
        report.line(
            "HW-006",
            order.as_ref().map_or(Verdict::Fail, |r| pass_if(r.held)),
        );
        report.line(
            "HW-007",
            order
                .as_ref()
                .map_or(Verdict::Fail, |r| pass_if(r.released_in_step && r.waited)),
        );
        report.line(
            "HW-008",
            order
                .as_ref()
                .map_or(Verdict::Fail, |r| pass_if(r.first == r.b)),
        );
        let violations =
            mf.iter().map(|v| v.violations).sum::<u64>() + capture.fence_violations.unwrap_or(0);
        report.line(
            "HW-009",
            if mf[0].latency.is_some() {
                Verdict::measured(violations, "violations")
            } else {
                Verdict::Fail
            },
        );
        // HW-010: the model's tie rule (lowest channel number first).
        report.line(
            "HW-010",
            tie.as_ref()
                .map_or(Verdict::Fail, |r| pass_if(r.first == r.a.min(r.b))),
        );
        report.line("HW-012", intrmask_sense(ctx, report, &mut fence));
        report.line("HW-013", ssi.hstart_with_request);
        report.line("HW-014", w1s_w1c(ctx, &mut fence));

        // HW-015/016: channel-0 commands (the fence channel's context loads).
        let (c0_ok, c0) = channel0_latency(ctx, &mut fence, competitor.as_mut());
        report.line("HW-015", pass_if(c0_ok));
        report.line(
            "HW-016",
            c0.map_or(Verdict::Fail, |d| Verdict::latency(d, "ns")),
        );
        report.line("HW-017", capture.self_stop);
        let irq_latency = interrupt_latency(ctx, report, Some(&mut fence));
        report.line("HW-018", irq_latency);
        report.line("HW-019", ssi.evt_mirror);
        let bd = bd_write_back(ctx, &mut ch);
        report.line("HW-020", pass_if(bd));
        not_implemented(report, &["HW-021", "HW-022"]);
        let cached = cached_copy(ctx, &mut ch);
        let scripts = bd && cached && ssi.tx_moved && capture.moved;
        report.note(
            "HW-023",
            format_args!(
                "ap_2_ap data {} (cacheable source and destination: {}), mcu_2_shp moved {}, shp_2_mcu moved {}",
                bd, cached, ssi.tx_moved, capture.moved
            ),
        );
        report.line("HW-023", pass_if(scripts));
        report.line("HW-024", pass_if(scripts));
        report.line("HW-025", ssi.watermark);
        let looped = codec_loopback(ctx, report);
        report.line("HW-026", looped.underrun);
        report.line("HW-027", ssi.events);
        report.line("HW-028", looped.slot_order);
    }

    /// HW-012: with the SDMA interrupt enabled in the GIC but IRQs masked in the core,
    /// complete one interrupting BD with INTRMASK all zeros, then all ones, and read
    /// whether GIC ID 34 is pending. The model's reading (a mask of the line) predicts
    /// pending with zeros and not pending with ones.
    fn intrmask_sense(ctx: &mut Ctx, report: &Report, ch: &mut Chan) -> Verdict {
        if gic::enable(irq::SDMA).is_err() {
            return Verdict::Fail;
        }
        let desc = memcpy_desc(copy_src(), compete_dst(), 4);
        let mut pending = [false; 2];
        for (i, mask) in [0u32, !0u32].into_iter().enumerate() {
            ctx.regs().INTRMASK.write(mask);
            let cookie = ctx.cookie();
            if ctx.start(ch, cookie, &desc).is_none() {
                continue;
            }
            // Not `wait_he`: it polls `handle_interrupt`, which would clear INTR.
            let t0 = fine::now();
            while ctx.he(ch.number()) && fine::now() - t0 < fine::ticks(1_000_000) {}
            gpt::delay_us(10);
            pending[i] = gic::is_pending(irq::SDMA).unwrap_or(false);
            let _ = ctx.sdma.handle_interrupt();
            let _ = ch.progress(cookie, &desc);
            let _ = gic::clear_pending(irq::SDMA);
        }
        ctx.regs().INTRMASK.write(0);
        let _ = gic::disable(irq::SDMA);
        report.note(
            "HW-012",
            format_args!(
                "GIC ID 34 pending after an interrupting BD: INTRMASK 0 -> {}, INTRMASK all ones -> {}",
                pending[0], pending[1]
            ),
        );
        pass_if(pending[0] && !pending[1])
    }

    /// The codec loopback's results.
    struct Loopback {
        underrun: Verdict,
        slot_order: Verdict,
    }

    /// Left and right samples of loopback frame `i` (never 0, never equal).
    const fn loop_sample(i: usize, right: bool) -> u16 {
        (if right { 0x6000 } else { 0x4000 }) + i as u16
    }

    /// HW-026/028 through the SGTL5000's digital loopback (SSS_CTRL.I2S_OUT_SEL =
    /// I2S_IN: what the SSI transmits comes back on its receiver): a capture ring is
    /// started, then a 128-frame playback ring that nobody re-arms, so the transmitter
    /// underruns after 2.7 ms. The capture shows what the SSI sends then (zeros, the
    /// last frame again, or something else: HW-026) and whether the first frame came
    /// back left sample first (HW-028: TE set only with data in the FIFO).
    fn codec_loopback(ctx: &mut Ctx, report: &Report) -> Loopback {
        let mut out = Loopback {
            underrun: Verdict::Fail,
            slot_order: Verdict::Fail,
        };
        let Some(board) = ctx.board.as_mut() else {
            return out;
        };
        if board.codec().modify(0x000A, 0x3, 0x1).is_err() {
            report.note(
                "HW-026",
                format_args!("SSS_CTRL write failed: no codec loopback"),
            );
            return out;
        }
        let events = ssi::SSI1.events;
        let (Ok(mut rx), Ok(mut tx)) = (
            ctx.sdma.request_channel(ChannelRequest::peripheral(
                events.rx,
                PeripheralType::SsiSp,
                PRIO_MEASURED,
            )),
            ctx.sdma.request_channel(ChannelRequest::peripheral(
                events.tx,
                PeripheralType::SsiSp,
                PRIO_MEASURED,
            )),
        ) else {
            return out;
        };
        let frames = LOOP_TX_BYTES / 4;
        for i in 0..frames {
            let w = u32::from(loop_sample(i, false)) | u32::from(loop_sample(i, true)) << 16;
            // SAFETY: no DMA reads the ring yet; this is its only writer.
            unsafe { (*addr_of_mut!(PLAYBACK)).0[i] = w };
        }
        let capture = capture_setup();
        fill(capture.buf, capture.words, 0);
        let tx_desc = TransferDesc {
            kind: TransferKind::Cyclic {
                period_len: LOOP_TX_BYTES / 2,
                periods: 2,
            },
            config: SlaveConfig::for_endpoint(&ssi::SSI1_TX, BusWidth::Bits16),
            mem: Region {
                addr: addr_of!(PLAYBACK) as usize,
                len: LOOP_TX_BYTES,
            },
            mem_dst: None,
        };
        let (c_rx, c_tx) = (ctx.cookie(), ctx.cookie());
        let rx_ok = ctx.start(&mut rx, c_rx, &capture.desc).is_some();
        if let Some(ssi) = ctx.board.as_ref().map(|b| b.ssi()) {
            ssi.start_rx(true);
        }
        let tx_ok = ctx.start(&mut tx, c_tx, &tx_desc).is_some();
        if let Some(ssi) = ctx.board.as_ref().map(|b| b.ssi()) {
            let _ = ssi.start_tx(true);
        }
        // The capture ring (21 ms) fills and stops itself; the playback ran dry long
        // before.
        let _ = ctx.wait_he(rx.number(), false, 100_000_000);
        if let Some(ssi) = ctx.board.as_ref().map(|b| b.ssi()) {
            ssi.stop_tx();
            ssi.stop_rx();
        }
        for (ch, c) in [(&mut rx, c_rx), (&mut tx, c_tx)] {
            ch.request_stop(c);
            let _ = confirm_stop(ctx, ch);
        }
        if let Some(board) = ctx.board.as_mut() {
            let _ = board.codec().modify(0x000A, 0x3, 0x0);
        }
        if !(rx_ok && tx_ok) {
            return out;
        }
        // The capture as 16-bit samples, left then right.
        let samples = capture.words * 2;
        let sample = |i: usize| -> u16 {
            let w = word(capture.buf, i / 2);
            if i % 2 == 0 {
                w as u16
            } else {
                (w >> 16) as u16
            }
        };
        let is_pattern = |v: u16| {
            (0x4000..0x4000 + frames as u16).contains(&v)
                || (0x6000..0x6000 + frames as u16).contains(&v)
        };
        let first = (0..samples).find(|&i| is_pattern(sample(i)));
        let last = (0..samples).rev().find(|&i| is_pattern(sample(i)));
        let (Some(first), Some(last)) = (first, last) else {
            report.note("HW-026", format_args!("the played pattern never came back"));
            return out;
        };
        // HW-028: frame 0 comes back as (left 0, right 0), left on an even sample.
        let order_ok = first % 2 == 0
            && sample(first) == loop_sample(0, false)
            && first + 1 < samples
            && sample(first + 1) == loop_sample(0, true);
        // HW-026: what follows the last played sample (compared with the sample of the
        // same slot in the last played frame).
        let after = 16.min(samples - last - 1);
        let (mut zeros, mut frame_again, mut word_again) = (0u64, 0u64, 0u64);
        for k in 1..=after {
            let v = sample(last + k);
            let same_slot_in_last_frame = sample(last + k - 2 * k.div_ceil(2));
            zeros += u64::from(v == 0);
            frame_again += u64::from(v == same_slot_in_last_frame);
            word_again += u64::from(v == sample(last));
        }
        let all = after as u64;
        let kind = if zeros == all {
            "zeros"
        } else if frame_again == all {
            "the last frame again"
        } else if word_again == all {
            "the last word again"
        } else {
            "something else"
        };
        let repeats = frame_again.max(word_again);
        report.note(
            "HW-026",
            format_args!(
                "pattern back at samples {}..{} of {}; the {} samples after it: {} ({} zero, {} repeats); first frame {:#06x} {:#06x}",
                first,
                last,
                samples,
                after,
                kind,
                zeros,
                repeats,
                sample(first),
                sample((first + 1).min(samples - 1))
            ),
        );
        out.underrun = Verdict::measured(repeats, "repeated-samples");
        out.slot_order = pass_if(order_ok);
        out
    }

    /// What [`race`] saw.
    struct Race {
        a: u8,
        prio_a: u8,
        b: u8,
        prio_b: u8,
        /// Neither moved while at priority 0 with HE set (the run condition).
        held: bool,
        /// The competitor's step was running when both were released.
        released_in_step: bool,
        /// Neither moved before the competitor's step had finished (no pre-emption).
        waited: bool,
        /// The channel whose destination moved first.
        first: u8,
    }

    /// Two 16 KiB copies started at priority 0 (HE set, so only the priority holds
    /// them), released to `prio_a`/`prio_b` while the priority-6 competitor runs a
    /// 64 KiB step; which moves first, and whether either moved before that step ended.
    fn race(ctx: &mut Ctx, competitor: &mut Competitor, prio_a: u8, prio_b: u8) -> Option<Race> {
        const WORDS: usize = 4096;
        let mut a = ctx
            .sdma
            .request_channel(ChannelRequest::memory(prio_a))
            .ok()?;
        let mut b = ctx
            .sdma
            .request_channel(ChannelRequest::memory(prio_b))
            .ok()?;
        let (dst_a, dst_b) = (copy_dst(), copy_dst() + COPY_BYTES / 2);
        fill(dst_a, WORDS, SENTINEL);
        fill(dst_b, WORDS, SENTINEL);
        let regs = ctx.regs();
        regs.CHNPRI[usize::from(a.number())].write(0);
        regs.CHNPRI[usize::from(b.number())].write(0);
        let (da, db) = (
            memcpy_desc(copy_src(), dst_a, WORDS * 4),
            memcpy_desc(copy_src(), dst_b, WORDS * 4),
        );
        let (ca, cb) = (ctx.cookie(), ctx.cookie());
        ctx.start(&mut a, ca, &da)?;
        ctx.start(&mut b, cb, &db)?;
        gpt::delay_us(1_000);
        let (mut fa, mut fb) = (Frontier::new(SENTINEL), Frontier::new(SENTINEL));
        let held = !fa.advance(WORDS, |i| word(dst_a, i)) & !fb.advance(WORDS, |i| word(dst_b, i));
        // The competitor's step, then release both during it.
        fill(compete_dst(), COMPETE_BYTES / 4, SENTINEL);
        competitor.start(ctx);
        let mut fc = Frontier::new(SENTINEL);
        let t0 = fine::now();
        while !fc.advance(COMPETE_BYTES / 4, |i| word(compete_dst(), i))
            && fine::now() - t0 < fine::ticks(1_000_000)
        {}
        let regs = ctx.regs();
        regs.CHNPRI[usize::from(a.number())].write(u32::from(prio_a));
        regs.CHNPRI[usize::from(b.number())].write(u32::from(prio_b));
        fc.advance(COMPETE_BYTES / 4, |i| word(compete_dst(), i));
        let released_in_step = fc.written() > 0 && fc.written() < COMPETE_BYTES / 4;
        let mut first = None;
        let mut waited = true;
        let t0 = fine::now();
        while first.is_none() && fine::now() - t0 < fine::ticks(10_000_000) {
            let ma = fa.advance(WORDS, |i| word(dst_a, i));
            let mb = fb.advance(WORDS, |i| word(dst_b, i));
            if ma || mb {
                fc.advance(COMPETE_BYTES / 4, |i| word(compete_dst(), i));
                waited = fc.written() == COMPETE_BYTES / 4;
                first = Some(if ma && mb {
                    if fa.written() >= fb.written() {
                        a.number()
                    } else {
                        b.number()
                    }
                } else if ma {
                    a.number()
                } else {
                    b.number()
                });
            }
        }
        let _ = ctx.wait_he(a.number(), false, 10_000_000);
        let _ = ctx.wait_he(b.number(), false, 10_000_000);
        let _ = a.progress(ca, &da);
        let _ = b.progress(cb, &db);
        competitor.stop(ctx);
        Some(Race {
            a: a.number(),
            prio_a,
            b: b.number(),
            prio_b,
            held,
            released_in_step,
            waited,
            first: first?,
        })
    }

    /// A memcpy between cacheable buffers through the driver's cache maintenance: the
    /// CPU has the destination's stale lines in its caches before the copy (it read
    /// them), so only a working invalidation shows the copied data.
    fn cached_copy(ctx: &mut Ctx, ch: &mut Chan) -> bool {
        const WORDS: usize = 4096;
        // SAFETY: only used here, while no DMA targets it.
        let dst = unsafe { &mut *addr_of_mut!(CACHED_DST) };
        for w in dst.0.iter_mut() {
            *w = SENTINEL;
        }
        // Pull the (sentinel) lines into L1/L2.
        let mut sum = 0u32;
        for w in dst.0.iter() {
            sum = sum.wrapping_add(core::hint::black_box(*w));
        }
        let _ = core::hint::black_box(sum);
        let dst_addr = dst.0.as_ptr() as usize;
        let desc = memcpy_desc(copy_src(), dst_addr, WORDS * 4);
        let cookie = ctx.cookie();
        // The CPU leaves both buffers alone until the transfer completed and `progress`
        // invalidated the destination.
        if ctx.start(ch, cookie, &desc).is_none()
            || ctx.wait_he(ch.number(), false, 10_000_000).is_none()
        {
            return false;
        }
        let _ = ch.progress(cookie, &desc);
        (0..WORDS).all(|i| word(dst_addr, i) == word(copy_src(), i))
    }

    /// Completes a 1 KiB memcpy and watches its destination for 2 ms after HE reads
    /// clear: the number of changes then (0 expected).
    fn self_stop_writes(ctx: &mut Ctx, ch: &mut Chan) -> Option<u32> {
        fill(copy_dst(), 256, SENTINEL);
        let desc = memcpy_desc(copy_src(), copy_dst(), 1024);
        let cookie = ctx.cookie();
        ctx.start(ch, cookie, &desc)?;
        ctx.wait_he(ch.number(), false, 10_000_000)?;
        let clear_at = fine::now();
        let mut frontier = Frontier::new(SENTINEL);
        frontier.advance(256, |i| word(copy_dst(), i));
        let mut bds: WordWatch<8> = WordWatch::new(bd_modes(ctx, ch.number()));
        let mut changes = 0;
        while fine::now() < clear_at + fine::ticks(WATCH_NS) {
            if frontier.advance(256, |i| word(copy_dst(), i))
                | bds.update(bd_modes(ctx, ch.number()))
            {
                changes += 1;
            }
        }
        let _ = ch.progress(cookie, &desc);
        Some(changes)
    }

    /// A 3-BD memcpy: every BD written back (DONE clear, count kept) and the data right.
    fn bd_write_back(ctx: &mut Ctx, ch: &mut Chan) -> bool {
        let len = 2 * 65_535 + 1_000;
        let len = len & !3;
        fill(copy_dst(), len / 4, SENTINEL);
        let desc = memcpy_desc(copy_src(), copy_dst(), len);
        let cookie = ctx.cookie();
        if ctx.start(ch, cookie, &desc).is_none()
            || ctx.wait_he(ch.number(), false, 10_000_000).is_none()
        {
            return false;
        }
        let modes = bd_modes::<3>(ctx, ch.number());
        let _ = ch.progress(cookie, &desc);
        let done_clear = modes.iter().all(|m| m & sdma_pac::bd::status::DONE == 0);
        let data = (0..len / 4).all(|i| word(copy_dst(), i) == word(copy_src(), i));
        println!(
            "selftest: note HW-020: BD modes {:#010x} {:#010x} {:#010x}, data {}",
            modes[0],
            modes[1],
            modes[2],
            if data { "matches" } else { "differs" }
        );
        done_clear && data
    }

    /// HW-014: HSTART/STOP_STAT write-one semantics on a channel at priority 0.
    fn w1s_w1c(ctx: &Ctx, ch: &mut Chan) -> Verdict {
        let n = usize::from(ch.number());
        let bit = 1u32 << n;
        let regs = ctx.regs();
        let prio = regs.CHNPRI[n].read();
        regs.CHNPRI[n].write(0);
        regs.HSTART.write(0);
        let untouched = regs.STOP_STAT.read() & bit == 0;
        regs.HSTART.write(bit);
        let set = regs.STOP_STAT.read() & bit != 0;
        regs.STOP_STAT.write(0);
        let kept = regs.STOP_STAT.read() & bit != 0;
        regs.STOP_STAT.write(bit);
        let cleared = regs.STOP_STAT.read() & bit == 0;
        regs.CHNPRI[n].write(prio);
        pass_if(untouched && set && kept && cleared)
    }

    /// HW-015/016: 10 000 context loads (starts of a 4-byte copy), idle then behind
    /// the competitor; whether all completed, and the distribution of the slower set.
    fn channel0_latency(
        ctx: &mut Ctx,
        ch: &mut Chan,
        competitor: Option<&mut Competitor>,
    ) -> (bool, Option<Distribution>) {
        // SAFETY: only used here, after the stop runs.
        let samples = unsafe { &mut *addr_of_mut!(LATENCIES) };
        let desc = memcpy_desc(copy_src(), compete_dst(), 4);
        let mut all_ok = true;
        let mut worst: Option<Distribution> = None;
        let mut competitor = competitor;
        for with in [false, true] {
            if with && competitor.is_none() {
                break;
            }
            samples.clear();
            if with {
                if let Some(c) = competitor.as_deref_mut() {
                    c.start(ctx);
                }
            }
            for _ in 0..REPEATS {
                let cookie = ctx.cookie();
                // From `start` to HSTART: the context load on channel 0 plus the
                // driver's continuation (a few hundred instructions).
                let took = ctx.start(ch, cookie, &desc);
                if let Some(t) = took {
                    samples.push(fine::ns(t));
                }
                all_ok &= took.is_some();
                let _ = ctx.wait_he(ch.number(), false, 1_000_000);
                let _ = ch.progress(cookie, &desc);
                if with {
                    if let Some(c) = competitor.as_deref_mut() {
                        c.keep_running(ctx);
                    }
                }
            }
            if with {
                if let Some(c) = competitor.as_deref_mut() {
                    c.stop(ctx);
                }
            }
            let d = samples.distribution();
            if let Some(d) = d {
                println!(
                    "selftest: note HW-016: {}: max {} p99.99 {} p50 {} ns, n {}",
                    if with {
                        "behind a 64 KiB memcpy"
                    } else {
                        "idle engine"
                    },
                    d.max,
                    d.p9999,
                    d.p50,
                    d.count
                );
            }
            worst = match (worst, d) {
                (Some(w), Some(d)) if d.max > w.max => Some(d),
                (None, d) => d,
                (w, _) => w,
            };
        }
        (all_ok, worst)
    }

    /// The SSI request checks' results.
    struct SsiChecks {
        evterr: Verdict,
        hstart_with_request: Verdict,
        evt_mirror: Verdict,
        watermark: Verdict,
        events: Verdict,
        tx_moved: bool,
    }

    /// SSI1 TX with DMA requests and no bit clock (the FIFO does not drain): the
    /// request is high with an empty FIFO before the channel starts (HW-013, HW-019,
    /// HW-027), the DMA fills the FIFO until the request drops (HW-025), a stopped
    /// channel with a pending request reports EVTERR on a second one (HW-011).
    fn ssi_request_checks(ctx: &mut Ctx, report: &mut Report) -> SsiChecks {
        let mut out = SsiChecks {
            evterr: Verdict::Fail,
            hstart_with_request: Verdict::Fail,
            evt_mirror: Verdict::Fail,
            watermark: Verdict::Fail,
            events: Verdict::Fail,
            tx_moved: false,
        };
        let cookie = ctx.cookie();
        let Some(board) = ctx.board.as_ref() else {
            return out;
        };
        let events = ssi::SSI1.events;
        let Ok(mut tx) = ctx.sdma.request_channel(ChannelRequest::peripheral(
            events.tx,
            PeripheralType::SsiSp,
            PRIO_MEASURED,
        )) else {
            return out;
        };
        let tx_bit = 1u64 << events.tx.number();
        let regs = ctx.regs();
        let mirror = |offset: usize| -> u32 {
            // SAFETY: an aligned read inside the SDMA register block (0x054 or 0x060).
            unsafe { ((memory_map::SDMA + offset) as *const u32).read_volatile() }
        };
        // Request high: FIFO empty, TDMAE + SSIEN (the prefill wait runs out: no DMA).
        let _ = board.ssi().start_tx(true);
        let level_before = board.ssi().tx_fifo_level();
        let (m60, m54) = (mirror(0x060), mirror(0x054));
        let bit = 1u32 << (events.tx.number() - 32);
        report.note(
            "HW-019",
            format_args!(
                "TX request high, FIFO level {}: EVT_MIRROR@0x060 {:#010x}, @0x054 {:#010x}, EVT_MIRROR2 {:#010x}",
                level_before,
                m60,
                m54,
                regs.EVT_MIRROR2.read()
            ),
        );
        // EVT_MIRROR covers events 0-31, EVT_MIRROR2 events 32-47.
        let mirror2 = regs.EVT_MIRROR2.read();
        out.evt_mirror = pass_if(mirror2 & bit != 0 || m60 & bit != 0);

        // HW-011: two requests on the stopped channel.
        let _ = regs.EVTERR.read();
        let ch_bit = 1u32 << tx.number();
        regs.EVTPEND.write(ch_bit);
        regs.EVTPEND.write(ch_bit);
        let dbg = regs.EVTERRDBG.read();
        let first = regs.EVTERR.read();
        let second = regs.EVTERR.read();
        report.note(
            "HW-011",
            format_args!(
                "EVTERRDBG {:#010x}, EVTERR {:#010x} then {:#010x}",
                dbg, first, second
            ),
        );
        out.evterr = pass_if(first & ch_bit != 0 && second & ch_bit == 0 && dbg & ch_bit != 0);
        // Drop the pending request again before the real start.
        regs.STOP_STAT.write(ch_bit);

        // HW-013/025: start the TX channel with the request already high.
        let ring = capture_buf();
        let desc = TransferDesc {
            kind: TransferKind::Cyclic {
                period_len: CAPTURE_PERIOD_BYTES,
                periods: CAPTURE_PERIODS,
            },
            config: SlaveConfig::for_endpoint(&ssi::SSI1_TX, BusWidth::Bits16),
            mem: Region {
                addr: ring,
                len: CAPTURE_PERIODS * CAPTURE_PERIOD_BYTES,
            },
            mem_dst: None,
        };

        let started = ctx.start(&mut tx, cookie, &desc).is_some();
        let t0 = fine::now();
        let mut level = board.ssi().tx_fifo_level();
        while started && fine::now() - t0 < fine::ticks(1_000_000) {
            level = board.ssi().tx_fifo_level();
            if level >= 15 {
                break;
            }
        }
        let first_ns = fine::ns(fine::now() - t0);
        out.tx_moved = level > level_before;
        report.note(
            "HW-013",
            format_args!(
                "FIFO level {} -> {} within {} ns of HSTART",
                level_before, level, first_ns
            ),
        );
        out.hstart_with_request = pass_if(out.tx_moved);
        // Settled level: the DMA stops when the request drops.
        gpt::delay_us(100);
        let settled = board.ssi().tx_fifo_level();
        out.watermark = Verdict::measured(u64::from(settled), "words");
        let mirror2 = regs.EVT_MIRROR2.read();
        out.events = pass_if(out.tx_moved && (mirror2 & bit == 0 || settled < 15));
        let _ = tx_bit;
        tx.request_stop(cookie);
        let _ = confirm_stop(ctx, &mut tx);
        board.ssi().stop_tx();
        out
    }

    /// The capture checks' results.
    struct CaptureChecks {
        self_stop: Verdict,
        moved: bool,
        /// The stop variants (alone, with competitor), if the codec clocks ran.
        runs: Option<[Variant; 2]>,
        fence_violations: Option<u64>,
    }

    /// Starts the codec (it drives the bit clocks) and the SSI receiver, then: stop
    /// runs of a capture ring (HW-002/004), fence runs (HW-009), and one ring that
    /// nobody re-arms, which must move data (shp_2_mcu) and stop itself (HW-017).
    fn capture_checks(
        ctx: &mut Ctx,
        report: &mut Report,
        fence: &mut Chan,
        mut competitor: Option<&mut Competitor>,
    ) -> CaptureChecks {
        let mut out = CaptureChecks {
            self_stop: Verdict::Fail,
            moved: false,
            runs: None,
            fence_violations: None,
        };
        let Some(board) = ctx.board.as_mut() else {
            return out;
        };
        let mut delay = GptDelay;
        if let Err(e) = board.start_codec(&CODEC, &mut delay) {
            report.note("HW-017", format_args!("codec start failed: {:?}", e));
            return out;
        }
        let events = ssi::SSI1.events;
        let Ok(mut rx) = ctx.sdma.request_channel(ChannelRequest::peripheral(
            events.rx,
            PeripheralType::SsiSp,
            PRIO_MEASURED,
        )) else {
            return out;
        };
        if let Some(ssi) = ctx.board.as_ref().map(|b| b.ssi()) {
            ssi.start_rx(true);
        }
        let setup = capture_setup();
        let runs = both_variants(ctx, &mut rx, &setup, None, competitor.as_deref_mut());
        let fenced = both_variants(ctx, &mut rx, &setup, Some(fence), competitor);
        for (name, v) in [
            ("capture alone", &runs[0]),
            ("capture + competitor", &runs[1]),
        ] {
            note_variant(report, "HW-004", name, v);
        }
        for (name, v) in [
            ("capture fence alone", &fenced[0]),
            ("capture fence + competitor", &fenced[1]),
        ] {
            note_variant(report, "HW-009", name, v);
        }
        out.fence_violations = Some(fenced.iter().map(|v| v.violations).sum());
        out.runs = Some(runs);

        // One lap nobody re-arms: 4 KiB at 48 kHz x 2 x 16 bit is 21 ms.
        fill(setup.buf, setup.words, SENTINEL);
        let cookie = ctx.cookie();
        if ctx.start(&mut rx, cookie, &setup.desc).is_some() {
            let stopped = ctx.wait_he(rx.number(), false, 100_000_000).is_some();
            let mut frontier = Frontier::new(SENTINEL);
            frontier.advance(setup.words, |i| word(setup.buf, i));
            out.moved = frontier.written() > 0;
            report.note(
                "HW-017",
                format_args!(
                    "capture wrote {} of {} words; HE cleared by itself: {}",
                    frontier.written(),
                    setup.words,
                    stopped
                ),
            );
            out.self_stop = pass_if(stopped);
            rx.request_stop(cookie);
            let _ = confirm_stop(ctx, &mut rx);
        }
        if let Some(ssi) = ctx.board.as_ref().map(|b| b.ssi()) {
            ssi.stop_rx();
        }
        out
    }

    // ---------------------------------------------------------------------------
    // Interrupts (GPT on every machine, SDMA on silicon)
    // ---------------------------------------------------------------------------

    static GPT_AT: AtomicU64 = AtomicU64::new(0);
    static GPT_RAW_AT: AtomicU32 = AtomicU32::new(0);
    static GPT_IRQS: AtomicU32 = AtomicU32::new(0);
    static SDMA_AT: AtomicU64 = AtomicU64::new(0);

    fn on_gpt() {
        GPT_AT.store(fine::now(), Ordering::Relaxed);
        GPT_RAW_AT.store(gpt::raw(), Ordering::Relaxed);
        let _ = gpt::handle_interrupt();
        GPT_IRQS.fetch_add(1, Ordering::Release);
    }

    fn on_sdma() {
        SDMA_AT.store(fine::now(), Ordering::Release);
        // SAFETY: ENGINE is set before the SDMA interrupt is enabled and never changed.
        if let Some(sdma) = unsafe { (*addr_of!(ENGINE)).as_ref() } {
            let _ = sdma.handle_interrupt();
        }
    }

    static mut IRQ_SAMPLES: Samples<1000> = Samples::new();

    /// HW-018: GPT compare to handler entry (1000 times), and on silicon BD completion
    /// (seen by a poll) to SDMA handler entry.
    fn interrupt_latency(
        ctx: &mut Ctx,
        report: &mut Report,
        sdma_ch: Option<&mut Chan>,
    ) -> Verdict {
        // SAFETY: only used here, sequentially.
        let samples = unsafe { &mut *addr_of_mut!(IRQ_SAMPLES) };
        samples.clear();
        if gic::register(irq::GPT, on_gpt)
            .and_then(|()| gic::enable(irq::GPT))
            .is_err()
        {
            return Verdict::Fail;
        }
        for _ in 0..1000 {
            let before = GPT_IRQS.load(Ordering::Acquire);
            let at = gpt::now() + gpt::us_to_ticks(200);
            if gpt::set_deadline(at) != gpt::Deadline::Armed {
                continue;
            }
            // SAFETY: the only enabled interrupts have handlers that clear their source.
            unsafe { startup::enable_irq() };
            let limit = gpt::now() + gpt::us_to_ticks(10_000);
            while GPT_IRQS.load(Ordering::Acquire) == before && gpt::now() < limit {}
            startup::disable_irq();
            if GPT_IRQS.load(Ordering::Acquire) == before {
                continue;
            }
            let late_ticks = GPT_RAW_AT.load(Ordering::Relaxed).wrapping_sub(at as u32);
            samples.push(ticks_to_ns(u64::from(late_ticks), u64::from(gpt::TICK_HZ)));
        }
        let gpt_d = samples.distribution();
        if let Some(d) = gpt_d {
            report.note(
                "HW-018",
                format_args!(
                    "GPT compare -> handler: max {} p99.99 {} p50 {} ns (GPT resolution 333 ns), n {}",
                    d.max, d.p9999, d.p50, d.count
                ),
            );
        }
        let mut worst = gpt_d;
        if let Some(ch) = sdma_ch {
            if let Some(d) = sdma_irq_latency(ctx, ch) {
                report.note(
                    "HW-018",
                    format_args!(
                        "SDMA BD completion -> handler: max {} p99.99 {} p50 {} ns, n {}",
                        d.max, d.p9999, d.p50, d.count
                    ),
                );
                if worst.is_none_or(|w| d.max > w.max) {
                    worst = Some(d);
                }
            }
        }
        let _ = gic::disable(irq::GPT);
        worst.map_or(Verdict::Fail, |d| Verdict::latency(d, "ns"))
    }

    /// BD completion of a 4-byte copy seen by polling the BD's DONE bit, to SDMA
    /// handler entry (the poll runs with IRQs enabled: the handler interrupts it).
    fn sdma_irq_latency(ctx: &mut Ctx, ch: &mut Chan) -> Option<Distribution> {
        // SAFETY: only used here, sequentially.
        let samples = unsafe { &mut *addr_of_mut!(IRQ_SAMPLES) };
        samples.clear();
        gic::register(irq::SDMA, on_sdma)
            .and_then(|()| gic::enable(irq::SDMA))
            .ok()?;
        // 16 KiB: the copy is still running when IRQs are unmasked below.
        let desc = memcpy_desc(copy_src(), copy_dst(), 16 * 1024);
        for _ in 0..1000 {
            SDMA_AT.store(0, Ordering::Release);
            let cookie = ctx.cookie();
            if ctx.start(ch, cookie, &desc).is_none() {
                continue;
            }
            let mut seen = 0u64;
            // SAFETY: the enabled interrupts' handlers clear their sources.
            unsafe { startup::enable_irq() };
            let t0 = fine::now();
            while fine::now() - t0 < fine::ticks(1_000_000) {
                let now = fine::now();
                if seen == 0 && bd_modes::<1>(ctx, ch.number())[0] & sdma_pac::bd::status::DONE == 0
                {
                    seen = now;
                }
                if SDMA_AT.load(Ordering::Acquire) != 0 {
                    break;
                }
            }
            startup::disable_irq();
            let at = SDMA_AT.load(Ordering::Acquire);
            if at != 0 && seen != 0 {
                samples.push(fine::ns(at.saturating_sub(seen)));
            }
            let _ = ch.progress(cookie, &desc);
        }
        let _ = gic::disable(irq::SDMA);
        samples.distribution()
    }

    // ---------------------------------------------------------------------------
    // Platform checks (every machine): HW-029..HW-033
    // ---------------------------------------------------------------------------

    fn platform_checks(ctx: &Ctx, report: &mut Report) {
        let silicon = ctx.profile.has_sdma;
        report.line("HW-029", gpt_rate(silicon, report));
        report.line("HW-030", gpt_compares());
        report.line("HW-031", gic_check());
        report.line("HW-032", wfi_wakes_masked());
        if silicon {
            report.note(
                "HW-033",
                format_args!("gating SPBA off may stall the bus on an SSI access: run by hand"),
            );
            report.line("HW-033", Verdict::NotRun);
        } else {
            report.line("HW-033", Verdict::NotEmulated);
        }
        // HW-034..HW-039 are SAI facts: the i.MX6Q has no SAI (an i.MX6ULL EVK port of
        // this program would measure them).
        for c in CHECKS.iter().filter(|c| c.name.starts_with("sai-")) {
            report.note(
                c.id,
                format_args!("the i.MX6Q has no SAI: needs an i.MX6ULL EVK"),
            );
            report.line(c.id, Verdict::NotRun);
        }
        // HW-040/HW-041 (a request pending across a stop; WRAP back to the base BD): the
        // steps are planned in the register, not written yet, so a board reports them
        // not-run rather than a verdict nobody measured.
        for id in ["HW-040", "HW-041"] {
            if silicon {
                report.note(
                    id,
                    format_args!("no step in this program yet: see the register's plan"),
                );
                report.line(id, Verdict::NotRun);
            } else {
                report.line(id, Verdict::NotEmulated);
            }
        }
    }

    /// HW-029: the GPT rate against the global timer, whose clock (PERIPHCLK = ARM
    /// clock / 2) follows from the ARM PLL and divider. QEMU's global timer runs on its
    /// own clock, so the comparison means nothing there.
    fn gpt_rate(silicon: bool, report: &Report) -> Verdict {
        if !silicon {
            return Verdict::NotEmulated;
        }
        // SAFETY: CCM_ANALOG and CCM register blocks (Device memory), read only.
        let (analog, ccm) = unsafe {
            (
                MmioBlock::new(memory_map::CCM_ANALOG),
                MmioBlock::new(memory_map::CCM),
            )
        };
        let div_select = u64::from(analog.read32(0x000) & 0x7F);
        let podf = u64::from(ccm.read32(0x010) & 0x7) + 1;
        let arm_hz = 24_000_000 * div_select / 2 / podf;
        let gt_hz = arm_hz / 2;
        let (g0, f0) = (gpt::now(), fine::now());
        gpt::delay_us(100_000);
        let (g1, f1) = (gpt::now(), fine::now());
        let gpt_hz = (g1 - g0) * gt_hz / (f1 - f0).max(1);
        report.note(
            "HW-029",
            format_args!(
                "ARM clock {} Hz (PLL1 DIV_SELECT {}, ARM_PODF {}), global timer {} Hz",
                arm_hz, div_select, podf, gt_hz
            ),
        );
        Verdict::measured(gpt_hz, "Hz")
    }

    /// HW-030: both compares set their status and raise GIC ID 87.
    fn gpt_compares() -> Verdict {
        GPT_IRQS.store(0, Ordering::Relaxed);
        if gic::register(irq::GPT, on_gpt)
            .and_then(|()| gic::enable(irq::GPT))
            .is_err()
        {
            return Verdict::Fail;
        }
        let now = gpt::now();
        let ok = gpt::set_deadline(now + gpt::us_to_ticks(300)) == gpt::Deadline::Armed
            && gpt::set_alarm(now + gpt::us_to_ticks(600)) == gpt::Deadline::Armed;
        // SAFETY: the only enabled interrupt's handler clears both compares.
        unsafe { startup::enable_irq() };
        let limit = gpt::now() + gpt::us_to_ticks(100_000);
        while GPT_IRQS.load(Ordering::Acquire) < 2 && gpt::now() < limit {}
        startup::disable_irq();
        let _ = gic::disable(irq::GPT);
        pass_if(ok && GPT_IRQS.load(Ordering::Acquire) >= 2)
    }

    /// HW-031: the interrupts so far came with their IDs; nothing unhandled.
    fn gic_check() -> Verdict {
        let (unhandled, last) = gic::unhandled();
        if unhandled != 0 {
            println!(
                "selftest: note HW-031: {} unhandled interrupts, last ID {}",
                unhandled, last
            );
        }
        pass_if(unhandled == 0 && GPT_IRQS.load(Ordering::Relaxed) > 0)
    }

    /// HW-032: a pending GPT interrupt ends `wfi` with IRQs masked.
    fn wfi_wakes_masked() -> Verdict {
        if gic::register(irq::GPT, on_gpt)
            .and_then(|()| gic::enable(irq::GPT))
            .is_err()
        {
            return Verdict::Fail;
        }
        let at = gpt::now() + gpt::us_to_ticks(500);
        if gpt::set_alarm(at) != gpt::Deadline::Armed {
            return Verdict::Fail;
        }
        let before = GPT_IRQS.load(Ordering::Acquire);
        let mut sleeps = 0;
        while gpt::now() < at && sleeps < 1_000 {
            startup::wfi();
            sleeps += 1;
        }
        let woke_in_time = gpt::now() >= at && sleeps < 1_000;
        let not_taken = GPT_IRQS.load(Ordering::Acquire) == before;
        // Take it now, so that its status is cleared.
        // SAFETY: the GPT handler clears its source.
        unsafe { startup::enable_irq() };
        let limit = gpt::now() + gpt::us_to_ticks(10_000);
        while GPT_IRQS.load(Ordering::Acquire) == before && gpt::now() < limit {}
        startup::disable_irq();
        let _ = gic::disable(irq::GPT);
        pass_if(woke_in_time && not_taken)
    }
}

/// Built for the i.MX6ULL EVK: the checks are written for the SabreLite's SSI, codec
/// and Cortex-A9 timers; every check reports `not-run`.
#[cfg(all(target_os = "none", feature = "imx6ull-evk"))]
mod app {
    use examples_bare_metal::selftest::{Line, Tally, Verdict, CHECKS};
    use imx6_bsp::{board, println, semihosting, uart};

    imx6_bsp::entry!(main);

    fn main() -> ! {
        if board::start().is_none() {
            semihosting::exit(1)
        }
        println!();
        println!("selftest: note board: written for the SabreLite; nothing runs on this board");
        let mut tally = Tally::default();
        for check in CHECKS {
            tally.add(&Verdict::NotRun);
            println!(
                "{}",
                Line {
                    check,
                    verdict: Verdict::NotRun
                }
            );
        }
        println!("{}", tally);
        uart::console().flush();
        semihosting::exit(0)
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("selftest is a bare-metal program: run it with `cargo xtask qemu selftest`");
    std::process::exit(2);
}
