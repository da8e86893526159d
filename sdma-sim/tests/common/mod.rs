//! A raw-register test rig: what a minimal driver does, written with plain register writes
//! so the model is tested without the real driver.
#![allow(dead_code)]

use sdma_sim::layout::{BD_CONT, BD_DONE, BD_EXTD, BD_INTR, BD_LAST, BD_WRAP};
use sdma_sim::regs::*;
use sdma_sim::{Callback, FifoKind, Nanos, PatternChecker, Sim, SimConfig, SsiConfig, SsiId, US};

/// i.MX6Q ROM script addresses.
pub const AP_2_AP: u32 = 642;
pub const SHP_2_MCU: u32 = 891;
pub const MCU_2_SHP: u32 = 960;

pub const SETDM: u8 = 0x01;

pub struct Rig {
    pub sim: Sim,
    pub ccb: u32,
    pub c0_bd: u32,
    pub ctx_buf: u32,
}

impl Rig {
    pub fn new(seed: u64, trace: bool) -> Self {
        let mut cfg = SimConfig::with_seed(seed);
        cfg.trace = trace;
        Self::with_config(cfg)
    }

    /// A rig on a model built from `cfg` (e.g. with a changed [`sdma_sim::Timing`]).
    pub fn with_config(cfg: SimConfig) -> Self {
        let mut sim = Sim::new(cfg).unwrap();
        let mem = sim.memory_mut();
        let ccb = mem.alloc(32 * 16, 16).unwrap();
        let c0_bd = mem.alloc(12, 4).unwrap();
        let ctx_buf = mem.alloc(128, 4).unwrap();
        mem.write_u32(ccb, c0_bd).unwrap();
        mem.write_u32(ccb + 4, c0_bd).unwrap();
        sim.write_reg(MC0PTR, ccb);
        sim.write_reg(CHN0ADDR, 0x4050);
        sim.write_reg(EVTOVR, 1);
        sim.write_reg(CHNPRI0, 7);
        Self {
            sim,
            ccb,
            c0_bd,
            ctx_buf,
        }
    }

    /// Runs one channel-0 command and waits (polling STOP_STAT bit 0) for it.
    pub fn channel0(&mut self, cmd: u8, count: u32, buf: u32, ext: u32, intr: bool) -> u32 {
        let mut mode = BD_DONE | BD_WRAP | BD_EXTD | (u32::from(cmd) << 24) | count;
        if intr {
            mode |= BD_INTR;
        }
        let m = self.sim.memory_mut();
        m.write_u32(self.c0_bd, mode).unwrap();
        m.write_u32(self.c0_bd + 4, buf).unwrap();
        m.write_u32(self.c0_bd + 8, ext).unwrap();
        self.sim.write_reg(HSTART, 1);
        let mut polls = 0;
        while self.sim.read_reg(STOP_STAT) & 1 != 0 {
            self.sim.delay(US);
            polls += 1;
            assert!(polls < 500, "channel 0 did not finish");
        }
        self.sim.memory().read_u32(self.c0_bd).unwrap()
    }

    /// Loads a 32-word context with SETDM (as Linux does).
    pub fn load_context(&mut self, ch: usize, pc: u32, r6: u32, r7: u32) {
        let mut words = [0u32; 32];
        words[0] = pc;
        words[2 + 6] = r6;
        words[2 + 7] = r7;
        for (i, w) in words.iter().enumerate() {
            self.sim
                .memory_mut()
                .write_u32(self.ctx_buf + 4 * i as u32, *w)
                .unwrap();
        }
        let mode = self.channel0(SETDM, 32, self.ctx_buf, 0x800 + 32 * ch as u32, false);
        assert_eq!(mode & BD_DONE, 0);
    }

    pub fn set_ccb(&mut self, ch: usize, base: u32) {
        let m = self.sim.memory_mut();
        m.write_u32(self.ccb + 16 * ch as u32, base).unwrap();
        m.write_u32(self.ccb + 16 * ch as u32 + 4, base).unwrap();
    }

    /// Writes a BD.
    pub fn write_bd(&mut self, addr: u32, mode: u32, buf: u32, ext: u32) {
        let m = self.sim.memory_mut();
        m.write_u32(addr, mode).unwrap();
        m.write_u32(addr + 4, buf).unwrap();
        m.write_u32(addr + 8, ext).unwrap();
    }

    pub fn bd_mode(&self, addr: u32) -> u32 {
        self.sim.memory().read_u32(addr).unwrap()
    }

    /// A cyclic ring of `n` BDs of `period` bytes with 16-bit width; returns (ring, buffer).
    pub fn cyclic_ring(&mut self, ch: usize, n: u32, period: u32) -> (u32, u32) {
        let ring = self.sim.memory_mut().alloc(12 * n, 4).unwrap();
        let buf = self.sim.memory_mut().alloc(n * period, 64).unwrap();
        for i in 0..n {
            let mut mode = BD_DONE | BD_EXTD | BD_CONT | BD_INTR | (2 << 24) | period;
            if i == n - 1 {
                mode |= BD_WRAP;
            }
            self.write_bd(ring + 12 * i, mode, buf + i * period, 0);
        }
        self.set_ccb(ch, ring);
        (ring, buf)
    }

    /// Channel 1 capturing from SSI1 RX (event 37) into a cyclic ring; returns
    /// (ssi, ring, buffer). The channel is started (HSTART) and the SSI clock runs.
    pub fn capture(&mut self, n: u32, period: u32) -> (SsiId, u32, u32) {
        let ssi = self.sim.add_ssi(SsiConfig::ssi1_rx());
        self.load_context(1, SHP_2_MCU, 0x0202_8008, 16);
        let (ring, buf) = self.cyclic_ring(1, n, period);
        self.sim.write_reg(CHNENBL0 + 4 * 37, 1 << 1);
        self.sim.write_reg(CHNPRI0 + 4, 3);
        self.sim.write_reg(HSTART, 1 << 1);
        self.sim.start_ssi(ssi);
        (ssi, ring, buf)
    }

    /// A one-shot memcpy of `len` bytes on channel `ch` in BDs of at most `chunk` bytes.
    /// Returns the BD addresses.
    pub fn memcpy(&mut self, ch: usize, src: u32, dst: u32, len: u32, chunk: u32) -> Vec<u32> {
        let n = len.div_ceil(chunk);
        let ring = self.sim.memory_mut().alloc(12 * n, 4).unwrap();
        let mut bds = Vec::new();
        for i in 0..n {
            let off = i * chunk;
            let count = chunk.min(len - off);
            let mut mode = BD_DONE | BD_EXTD | count;
            if i == n - 1 {
                mode |= BD_INTR | BD_LAST;
            } else {
                mode |= BD_CONT;
            }
            self.write_bd(ring + 12 * i, mode, src + off, dst + off);
            bds.push(ring + 12 * i);
        }
        self.set_ccb(ch, ring);
        self.load_context(ch, AP_2_AP, 0, 0);
        let evtovr = self.sim.read_reg(EVTOVR);
        self.sim.write_reg(EVTOVR, evtovr | 1 << ch);
        self.sim.write_reg(CHNPRI0 + 4 * ch, 1);
        bds
    }
}

/// A tiny cyclic-capture "driver": on each interrupt, acknowledges INTR, hands every
/// completed BD's period to `checker` in ring order and re-arms it.
pub struct CaptureIrq {
    pub ring: u32,
    pub n: u32,
    pub period: u32,
    pub next: u32,
    pub periods: u64,
}

impl CaptureIrq {
    pub fn new(ring: u32, n: u32, period: u32) -> Self {
        Self {
            ring,
            n,
            period,
            next: 0,
            periods: 0,
        }
    }

    pub fn handle(&mut self, sim: &mut Sim, checker: &mut PatternChecker) {
        let pending = sim.read_reg(INTR);
        sim.write_reg(INTR, pending);
        loop {
            let bd = self.ring + 12 * self.next;
            let mode = sim.memory().read_u32(bd).unwrap();
            if mode & BD_DONE != 0 {
                break;
            }
            assert_eq!(mode & 0xFFFF, self.period, "BD count written back");
            let buf = sim.memory().read_u32(bd + 4).unwrap();
            let mut data = vec![0u8; self.period as usize];
            sim.memory().read(buf, &mut data).unwrap();
            checker.check_all(
                data.chunks_exact(2)
                    .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]]))),
            );
            sim.memory_mut().write_u32(bd, mode | BD_DONE).unwrap();
            self.periods += 1;
            self.next = (self.next + 1) % self.n;
        }
    }
}

/// Runs `sim` to `until`, servicing interrupts with `irq`.
pub fn run_capture(
    sim: &mut Sim,
    until: Nanos,
    irq: &mut CaptureIrq,
    checker: &mut PatternChecker,
) {
    while let Some(cb) = sim.advance_to(until) {
        if cb == Callback::Irq {
            irq.handle(sim, checker);
            sim.irq_done();
        }
    }
}

/// FNV-1a, 64 bit: a digest that does not depend on the standard library's hasher.
pub struct Fnv(pub u64);

impl Fnv {
    pub fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    pub fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
        self.bytes(&[0xff]);
    }
}

/// The test's own choices (stop instants, which channel), independent of the model's RNG.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The FIFOs of the equality workloads: SSI1 capture, SSI1 playback (every slot
/// recorded) and a SAI capture at 44.1 kHz on its own FIFO address and event 35 (a word
/// period that is not a whole number of nanoseconds). Clocks stopped.
pub fn add_audio_fifos(sim: &mut Sim) -> [SsiId; 3] {
    let rx = sim.add_ssi(SsiConfig::ssi1_rx());
    let tx = sim.add_ssi(SsiConfig::ssi1_tx());
    let sai = sim.add_ssi(SsiConfig {
        fifo_addr: 0x0202_C0A0,
        event: 35,
        words_per_second: 88_200,
        watermark: 6,
        kind: FifoKind::Sai,
        ..SsiConfig::ssi1_rx()
    });
    sim.ssi_mut(tx).unwrap().record_played(true);
    [rx, tx, sai]
}

/// A memory copy on channel 3 of `len` bytes in BDs of `chunk` (see [`Rig::memcpy`]),
/// its source a recognisable ramp: (source, destination, BDs, their modes as written).
pub fn ramp_memcpy(rig: &mut Rig, len: u32, chunk: u32) -> (u32, u32, Vec<u32>, Vec<u32>) {
    let src = rig.sim.memory_mut().alloc(len, 64).unwrap();
    let dst = rig.sim.memory_mut().alloc(len, 64).unwrap();
    let fill: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
    rig.sim.memory_mut().write(src, &fill).unwrap();
    let bds = rig.memcpy(3, src, dst, len, chunk);
    let modes = bds.iter().map(|&b| rig.bd_mode(b)).collect();
    (src, dst, bds, modes)
}

/// Starts the memory copy of [`ramp_memcpy`] again (fresh BDs and context) once its
/// script has stopped.
pub fn restart_memcpy(rig: &mut Rig, bds: &[u32], modes: &[u32]) {
    if rig.sim.script_may_run(3) {
        return;
    }
    for (&bd, &m) in bds.iter().zip(modes) {
        rig.sim.memory_mut().write_u32(bd, m).unwrap();
    }
    rig.load_context(3, AP_2_AP, 0, 0);
    rig.sim.write_reg(HSTART, 1 << 3);
}

/// Routes the FIFOs of [`add_audio_fifos`] to channels 1, 2 and 4 (events 37, 38, 35)
/// at priority 3, sets the copy's channel 3 to `memcpy_priority` and starts 1, 2 and 4.
pub fn route_and_start_audio(sim: &mut Sim, memcpy_priority: u32) {
    sim.write_reg(CHNPRI0 + 4 * 3, memcpy_priority);
    sim.write_reg(CHNENBL0 + 4 * 37, 1 << 1);
    sim.write_reg(CHNENBL0 + 4 * 38, 1 << 2);
    sim.write_reg(CHNENBL0 + 4 * 35, 1 << 4);
    for c in [1usize, 2, 4] {
        sim.write_reg(CHNPRI0 + 4 * c, 3);
    }
    sim.write_reg(HSTART, (1 << 1) | (1 << 2) | (1 << 4));
}

/// A channel's cyclic ring as a test application keeps it: `n` BDs of `period` bytes
/// over `buf`, in words of width code `width_code`, with or without BD interrupts, and
/// the next BD to hand back.
pub struct CyclicRing {
    pub ch: usize,
    pub ring: u32,
    pub buf: u32,
    pub n: u32,
    pub period: u32,
    pub width_code: u32,
    /// No BD interrupts (the application polls and re-arms).
    pub quiet: bool,
    pub next: u32,
}

impl CyclicRing {
    /// The mode word of BD `i` handed to the engine.
    pub fn mode(&self, i: u32) -> u32 {
        let wrap = if i == self.n - 1 { BD_WRAP } else { 0 };
        let intr = if self.quiet { 0 } else { BD_INTR };
        BD_DONE | BD_EXTD | BD_CONT | intr | (self.width_code << 24) | self.period | wrap
    }

    /// Hands every completed BD back in ring order.
    pub fn rearm(&mut self, sim: &mut Sim) {
        for _ in 0..self.n {
            let bd = self.ring + 12 * self.next;
            if sim.memory().read_u32(bd).unwrap() & BD_DONE != 0 {
                return;
            }
            sim.memory_mut()
                .write_u32(bd, self.mode(self.next))
                .unwrap();
            self.next = (self.next + 1) % self.n;
        }
    }
}

/// The interrupt handler of the test applications: acknowledges INTR and hands back the
/// completed BDs of every ring whose channel interrupted.
pub fn ack_and_rearm<'a>(sim: &mut Sim, rings: impl IntoIterator<Item = &'a mut CyclicRing>) {
    let pending = sim.read_reg(INTR);
    sim.write_reg(INTR, pending);
    for r in rings {
        if pending & (1 << r.ch) != 0 {
            r.rearm(sim);
        }
    }
    sim.irq_done();
}
