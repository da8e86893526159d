//! [`IsaSdma`]: the SDMA engine with every script channel run instruction by instruction.
//!
//! The host interface has the same register semantics as the behavioural engine
//! ([`Sim`](crate::Sim)): HSTART write-1-to-set, STOP_STAT and INTR write-1-to-clear,
//! EVTERR clear-on-read, the run condition `CHNPRI != 0 && (HE|HOSTOVR) && (EP|EVTOVR) &&
//! DSPOVR`, CHNENBL routing of peripheral requests to EP. What differs is where behaviour
//! comes from:
//!
//! - **Scripts** (channels 1..31) run on the core ([`super::core`]) from their context in
//!   data memory (`0x800 + 32 ch`, 32-word contexts: CHN0ADDR.SMSZ is assumed set, as every
//!   driver sets it). A *slice* runs from a context restore to the next `done`; its effects
//!   happen at the virtual time the slice starts, and time then advances by its cycles.
//! - **Scheduler** (ISA-005): at `done 0` (`yield`) the channel keeps the core unless a
//!   runnable channel of strictly higher priority waits; at `done 1` (`yieldge`) it gives
//!   way to a waiting channel of equal or higher priority. Among channels of equal
//!   priority the next one after the last to run goes first (round robin).
//! - **`done` variants** (ISA-006): `done 2` clears the channel's EP and gives up the core
//!   (wait for the next request); `done 3` clears HE and EP and sets the channel's INTR
//!   bit (stop and interrupt the host); `done 4` clears EP and sets INTR (interrupt, then
//!   wait for the next request); `done 5` clears HE and EP without an interrupt (stop
//!   quietly); 6 and 7 stop the channel with [`IsaError::UnmodelledDone`]. A cleared EP
//!   is set again at once when a request line routed to the channel is still high (the
//!   line is sampled at `done`).
//! - **A stop takes effect at the next `done`**: clearing HE does not interrupt a slice;
//!   the script gives up the core at its next `done` and is not scheduled again.
//! - **Channel 0** runs the host's command BDs natively (SETDM, GETDM, SETPM, GETPM,
//!   SETCTX, GETCTX): on silicon its boot script is NXP ROM code, which this model never
//!   executes.
//! - **Open code only**: the core fetches only from program memory that holds code
//!   registered with [`IsaSdma::register_open_code`] (our assembled scripts), loaded there
//!   by SETPM. A PC in the ROM or anywhere else stops the channel with
//!   [`IsaError::RomCode`] / [`IsaError::ForeignCode`].
//! - **Script view of the engine**: `ld` at data address 0x7002 reads the bus address of
//!   the running channel's CCB entry (ISA-008), which is how a script finds its BDs.
//!
//! Timing: one core cycle is [`IsaConfig::cycle_ns`] (ISA-007), costs per instruction from
//! [`CycleModel`]; a context switch costs [`IsaConfig::context_switch_cycles`].

use crate::layout::{decode_command, Bd, Command, BD_CONT, BD_DONE, BD_INTR, BD_RROR, BD_WRAP};
use crate::memory::{MemError, SimMemory, DEFAULT_BUS_BASE};
use crate::regs::*;
use crate::ssi::{Direction, Ssi, SsiConfig};
use crate::time::Nanos;
use crate::SsiId;

use super::core::{self, Bus, CoreState, CycleModel, Exit, IsaError, RunCount};
use super::encoding::DecodeTable;
use sdma_pac::context::CONTEXT_WORDS;

/// Words of SDMA data memory.
pub const DATA_WORDS: usize = 0x2000;
/// Words of SDMA program memory.
pub const PROGRAM_WORDS: usize = 0x4000;
/// Program addresses below this are ROM.
pub const ROM_END: u16 = 0x0800;
/// Data address of the internal register holding the running channel's CCB entry address
/// (ISA-008).
pub const CCB_ENTRY_REG: u32 = 0x7002;

/// Construction parameters of an [`IsaSdma`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IsaConfig {
    /// Bus address of the DMA memory window.
    pub mem_base: u32,
    /// Size of the DMA memory window in bytes.
    pub mem_size: u32,
    /// Length of one core cycle (ISA-007).
    pub cycle_ns: Nanos,
    /// Cycle costs of instructions.
    pub cycles: CycleModel,
    /// Cycles of a context switch (save one context, restore another).
    pub context_switch_cycles: u64,
    /// Cost of one host register access.
    pub reg_access_ns: Nanos,
    /// Channel 0: fixed cost per command.
    pub channel0_cmd_ns: Nanos,
    /// Channel 0: cost per word moved.
    pub channel0_ns_per_word: Nanos,
    /// Instructions a slice may run before it counts as a runaway script.
    pub slice_budget: u64,
}

impl Default for IsaConfig {
    fn default() -> Self {
        Self {
            mem_base: DEFAULT_BUS_BASE,
            mem_size: 16 << 20,
            cycle_ns: 15,
            cycles: CycleModel::default(),
            context_switch_cycles: 27,
            reg_access_ns: 30,
            channel0_cmd_ns: 1_000,
            channel0_ns_per_word: 10,
            slice_budget: 1 << 20,
        }
    }
}

/// Counters of the ISA engine.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IsaStats {
    /// Instructions executed by scripts.
    pub instructions: u64,
    /// Core cycles spent in scripts (context switches excluded).
    pub cycles: u64,
    /// Slices run (context restore or continuation to a `done`).
    pub slices: u64,
    /// Context switches.
    pub context_switches: u64,
    /// Channel-0 commands executed.
    pub channel0_commands: u64,
    /// Events that hit a channel whose EP was already set (EVTERR set).
    pub event_errors: u64,
    /// `done` executions by number.
    pub dones: [u64; 6],
}

/// A script failure the engine recorded (the channel was stopped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IsaFault {
    /// Virtual time.
    pub time: Nanos,
    /// Channel.
    pub channel: u8,
    /// What went wrong.
    pub error: IsaError,
}

#[derive(Clone, Debug)]
struct HostRegs {
    mc0ptr: u32,
    intr: u32,
    he: u32,
    evtovr: u32,
    dspovr: u32,
    hostovr: u32,
    evtpend: u32,
    evterr: u32,
    intrmask: u32,
    config: u32,
    illinstaddr: u32,
    chn0addr: u32,
    chnpri: [u32; CHANNELS],
    chnenbl: [u32; EVENTS],
}

impl HostRegs {
    fn reset() -> Self {
        Self {
            mc0ptr: 0,
            intr: 0,
            he: 0,
            evtovr: 0,
            dspovr: DSPOVR_RESET,
            hostovr: 0,
            evtpend: 0,
            evterr: 0,
            intrmask: 0,
            config: 0,
            illinstaddr: 0,
            chn0addr: 0,
            chnpri: [0; CHANNELS],
            chnenbl: [0; EVENTS],
        }
    }
}

/// A region of program memory holding code of ours.
#[derive(Clone, Debug)]
struct OpenCode {
    load: u16,
    words: Vec<u16>,
}

/// The SDMA engine with an instruction-level core. See the module docs.
#[derive(Debug)]
pub struct IsaSdma {
    now: Nanos,
    cfg: IsaConfig,
    mem: SimMemory,
    ssi: Vec<Ssi>,
    lines: Vec<bool>,
    started: Vec<bool>,
    regs: HostRegs,
    data: Vec<u32>,
    program: Vec<Option<u16>>,
    open: Vec<OpenCode>,
    dec: DecodeTable,
    /// The channel whose context the core holds (no switch cost to continue it).
    loaded: Option<usize>,
    /// The channel that ran last (round robin among equal priorities).
    last: usize,
    /// The channel that kept the core at its last `yield` (false) / `yieldge` (true).
    holder: Option<(usize, bool)>,
    faults: Vec<IsaFault>,
    stats: IsaStats,
}

fn bit(c: usize) -> u32 {
    1 << c
}

fn context_addr(c: usize) -> usize {
    sdma_pac::context::data_address(c as u32) as usize
}

impl IsaSdma {
    /// An engine in reset state at time 0.
    pub fn new(cfg: IsaConfig) -> Result<Self, MemError> {
        Ok(Self {
            now: 0,
            cfg,
            mem: SimMemory::new(cfg.mem_base, cfg.mem_size)?,
            ssi: Vec::new(),
            lines: Vec::new(),
            started: Vec::new(),
            regs: HostRegs::reset(),
            data: vec![0; DATA_WORDS],
            program: vec![None; PROGRAM_WORDS],
            open: Vec::new(),
            dec: DecodeTable::new(),
            loaded: None,
            last: 0,
            holder: None,
            faults: Vec::new(),
            stats: IsaStats::default(),
        })
    }

    // ------------------------------------------------------------------ accessors

    /// Virtual time in ns.
    pub fn now(&self) -> Nanos {
        self.now
    }

    /// The DMA memory.
    pub fn memory(&self) -> &SimMemory {
        &self.mem
    }

    /// The DMA memory, mutable (allocation, host-side writes).
    pub fn memory_mut(&mut self) -> &mut SimMemory {
        &mut self.mem
    }

    /// Counters.
    pub fn stats(&self) -> &IsaStats {
        &self.stats
    }

    /// Script failures so far.
    pub fn faults(&self) -> &[IsaFault] {
        &self.faults
    }

    /// A word of data memory.
    pub fn data_word(&self, addr: usize) -> Option<u32> {
        self.data.get(addr).copied()
    }

    /// A word of program memory, `None` if never written.
    pub fn program_word(&self, addr: usize) -> Option<u16> {
        self.program.get(addr).copied().flatten()
    }

    /// The interrupt line to the host: `INTR & !INTRMASK != 0`.
    pub fn irq_line(&self) -> bool {
        self.regs.intr & !self.regs.intrmask != 0
    }

    /// Declares `words` at program address `load` as code of ours: the core runs program
    /// memory only where it holds registered code (loaded there by SETPM).
    pub fn register_open_code(&mut self, load: u16, words: &[u16]) {
        self.open.push(OpenCode {
            load,
            words: words.to_vec(),
        });
    }

    /// Registers the RAM code of a firmware image of ours (such as
    /// `sdma_core::sdma::script::OPEN_SCRIPTS`) as open code at its load address.
    pub fn register_open_image(
        &mut self,
        image: &[u8],
    ) -> Result<(), sdma_core::sdma::firmware::FirmwareError> {
        let fw = sdma_core::sdma::firmware::Firmware::parse(image)?;
        if let Some(load) = fw.load_address() {
            let words: Vec<u16> = fw.ram_code_words().collect();
            self.register_open_code(load, &words);
        }
        Ok(())
    }

    /// Adds a peripheral FIFO; its clock is stopped until [`IsaSdma::start_ssi`].
    pub fn add_ssi(&mut self, cfg: SsiConfig) -> SsiId {
        self.ssi.push(Ssi::new(cfg));
        self.lines.push(false);
        self.started.push(false);
        SsiId(self.ssi.len() - 1)
    }

    /// A FIFO, brought up to the current time.
    pub fn ssi_mut(&mut self, id: SsiId) -> Option<&mut Ssi> {
        let now = self.now;
        let s = self.ssi.get_mut(id.0)?;
        s.advance(now);
        Some(s)
    }

    /// Starts a FIFO's codec clock now.
    pub fn start_ssi(&mut self, id: SsiId) {
        let now = self.now;
        if let Some(s) = self.ssi.get_mut(id.0) {
            s.start(now);
            self.started[id.0] = true;
        }
        self.sync_peripherals();
    }

    /// Raises DMA event `event` now, as a request edge would.
    pub fn raise_event(&mut self, event: usize) {
        self.event_edge(event);
    }

    // ------------------------------------------------------------------ host registers

    /// Reads a register (offset from the SDMA base).
    pub fn read_reg(&mut self, offset: usize) -> u32 {
        self.tick();
        let r = &mut self.regs;
        match offset {
            MC0PTR => r.mc0ptr,
            INTR => r.intr,
            STOP_STAT | HSTART => r.he,
            EVTOVR => r.evtovr,
            DSPOVR => r.dspovr,
            HOSTOVR => r.hostovr,
            EVTPEND => r.evtpend,
            EVTERR => std::mem::take(&mut r.evterr),
            EVTERRDBG => r.evterr,
            INTRMASK => r.intrmask,
            CONFIG => r.config,
            ILLINSTADDR => r.illinstaddr,
            CHN0ADDR => r.chn0addr,
            o if (CHNPRI0..CHNPRI0 + 4 * CHANNELS).contains(&o) && o % 4 == 0 => {
                r.chnpri[(o - CHNPRI0) / 4]
            }
            o if (CHNENBL0..CHNENBL0 + 4 * EVENTS).contains(&o) && o % 4 == 0 => {
                r.chnenbl[(o - CHNENBL0) / 4]
            }
            _ => 0,
        }
    }

    /// Writes a register (offset from the SDMA base).
    pub fn write_reg(&mut self, offset: usize, value: u32) {
        self.tick();
        let r = &mut self.regs;
        match offset {
            MC0PTR => r.mc0ptr = value,
            INTR => r.intr &= !value,
            STOP_STAT => r.he &= !value,
            HSTART => r.he |= value,
            EVTOVR => r.evtovr = value,
            DSPOVR => r.dspovr = value,
            HOSTOVR => r.hostovr = value,
            EVTPEND => r.evtpend |= value,
            INTRMASK => r.intrmask = value,
            CONFIG => r.config = value,
            ILLINSTADDR => r.illinstaddr = value & 0x3FFF,
            CHN0ADDR => r.chn0addr = value & 0x7FFF,
            RESET if value & RESET_RESET != 0 => {
                self.regs = HostRegs::reset();
                self.loaded = None;
            }
            o if (CHNPRI0..CHNPRI0 + 4 * CHANNELS).contains(&o) && o % 4 == 0 => {
                r.chnpri[(o - CHNPRI0) / 4] = value & 7;
            }
            o if (CHNENBL0..CHNENBL0 + 4 * EVENTS).contains(&o) && o % 4 == 0 => {
                r.chnenbl[(o - CHNENBL0) / 4] = value;
            }
            _ => {}
        }
    }

    fn tick(&mut self) {
        let t = self.now + self.cfg.reg_access_ns;
        self.run_until(t);
    }

    // ------------------------------------------------------------------ time

    /// Runs the engine until virtual time `limit` (a slice that starts before `limit`
    /// completes, so time may end slightly past it).
    pub fn run_until(&mut self, limit: Nanos) {
        loop {
            self.sync_peripherals();
            if let Some(c) = self.pick() {
                self.run_channel(c, limit);
                if self.now >= limit {
                    return;
                }
                continue;
            }
            let wake = self
                .ssi
                .iter()
                .filter_map(|s| s.next_rise())
                .min()
                .filter(|&t| t <= limit);
            match wake {
                Some(t) => self.now = self.now.max(t),
                None => {
                    self.now = self.now.max(limit);
                    return;
                }
            }
        }
    }

    /// Brings the FIFOs to now and turns rising request lines into events.
    fn sync_peripherals(&mut self) {
        let now = self.now;
        let mut edges = Vec::new();
        for (i, s) in self.ssi.iter_mut().enumerate() {
            s.advance(now);
            // A FIFO whose clock never started has its DMA request disabled.
            let level = self.started[i] && s.request_level();
            if level && !self.lines[i] {
                edges.push(usize::from(s.config().event));
            }
            self.lines[i] = level;
        }
        for e in edges {
            self.event_edge(e);
        }
    }

    fn event_edge(&mut self, event: usize) {
        let Some(&mask) = self.regs.chnenbl.get(event) else {
            return;
        };
        for c in 0..CHANNELS {
            if mask & bit(c) != 0 {
                if self.regs.evtpend & bit(c) != 0 {
                    self.regs.evterr |= bit(c);
                    self.stats.event_errors += 1;
                }
                self.regs.evtpend |= bit(c);
            }
        }
    }

    /// Whether a request line routed to `c` is high now (the FIFO state after the
    /// slice, not the level last sampled).
    fn line_high_for(&self, c: usize) -> bool {
        self.ssi.iter().zip(&self.started).any(|(s, &on)| {
            on && s.request_level()
                && self
                    .regs
                    .chnenbl
                    .get(usize::from(s.config().event))
                    .is_some_and(|m| m & bit(c) != 0)
        })
    }

    // ------------------------------------------------------------------ scheduler

    fn runnable(&self, c: usize) -> bool {
        let (b, r) = (bit(c), &self.regs);
        r.chnpri[c] != 0
            && (r.he | r.hostovr) & b != 0
            && (r.evtpend | r.evtovr) & b != 0
            && r.dspovr & b != 0
    }

    /// The channel that holds the core after a `yield`/`yieldge` if the scheduler still
    /// lets it keep it, else the highest-priority runnable channel; equal priorities in
    /// round robin after the last channel that ran.
    fn pick(&self) -> Option<usize> {
        if let Some((c, or_equal)) = self.holder {
            if self.keeps_core(c, or_equal) {
                return Some(c);
            }
        }
        let mut best: Option<usize> = None;
        for k in 1..=CHANNELS {
            let c = (self.last + k) % CHANNELS;
            if self.runnable(c) && best.is_none_or(|b| self.regs.chnpri[c] > self.regs.chnpri[b]) {
                best = Some(c);
            }
        }
        best
    }

    /// After `yield` (`or_equal` false) or `yieldge` (true): whether `c` keeps the core.
    fn keeps_core(&self, c: usize, or_equal: bool) -> bool {
        if !self.runnable(c) {
            return false;
        }
        let p = self.regs.chnpri[c];
        !(0..CHANNELS).any(|o| {
            o != c
                && self.runnable(o)
                && (self.regs.chnpri[o] > p || (or_equal && self.regs.chnpri[o] == p))
        })
    }

    fn run_channel(&mut self, c: usize, limit: Nanos) {
        self.holder = None;
        if c == 0 {
            self.switch_to(0);
            self.run_channel0();
            self.last = 0;
            return;
        }
        // A script keeps the core across `yield`s for as long as the scheduler lets it
        // (until `limit`: the caller then continues it through `holder`).
        loop {
            self.switch_to(c);
            let keep = self.run_slice(c);
            self.last = c;
            match keep {
                None => {
                    self.loaded = None;
                    return;
                }
                Some(or_equal) => {
                    self.sync_peripherals();
                    if self.now >= limit || !self.keeps_core(c, or_equal) {
                        self.holder = Some((c, or_equal));
                        return;
                    }
                }
            }
        }
    }

    fn switch_to(&mut self, c: usize) {
        if self.loaded != Some(c) {
            self.now += self.cfg.context_switch_cycles * self.cfg.cycle_ns;
            self.stats.context_switches += 1;
            self.loaded = Some(c);
        }
    }

    /// Runs `c` from its context to the next `done`. `Some(or_equal)` after a `yield`
    /// (false) or `yieldge` (true) that let it keep the core, `None` when it gave it up.
    fn run_slice(&mut self, c: usize) -> Option<bool> {
        let base = context_addr(c);
        let mut words = [0u32; CONTEXT_WORDS];
        words.copy_from_slice(&self.data[base..base + CONTEXT_WORDS]);
        let mut state = CoreState::from_context(&words);
        let mut count = RunCount::default();
        let ccb_entry = self
            .regs
            .mc0ptr
            .wrapping_add(c as u32 * crate::layout::CCB_SIZE);
        let exit = {
            let mut bus = CoreBus {
                mem: &mut self.mem,
                ssi: &mut self.ssi,
                data: &mut self.data,
                program: &self.program,
                open: &self.open,
                ccb_entry,
            };
            core::run(
                &mut state,
                &mut bus,
                &self.dec,
                &self.cfg.cycles,
                self.cfg.slice_budget,
                &mut count,
            )
        };
        self.data[base..base + CONTEXT_WORDS].copy_from_slice(&state.to_context());
        self.stats.slices += 1;
        self.stats.instructions += count.instructions;
        self.stats.cycles += count.cycles;
        self.now += count.cycles * self.cfg.cycle_ns;
        match exit {
            Exit::Done(j) => {
                self.stats.dones[usize::from(j)] += 1;
                self.apply_done(c, j)
            }
            Exit::Error(error) => {
                let pc = match error {
                    IsaError::RomCode { pc } | IsaError::ForeignCode { pc } => pc,
                    _ => state.pc,
                };
                self.regs.illinstaddr = u32::from(pc);
                self.regs.he &= !bit(c);
                self.faults.push(IsaFault {
                    time: self.now,
                    channel: c as u8,
                    error,
                });
                None
            }
        }
    }

    fn clear_ep(&mut self, c: usize) {
        self.regs.evtpend &= !bit(c);
        if self.line_high_for(c) {
            self.regs.evtpend |= bit(c);
        }
    }

    fn apply_done(&mut self, c: usize, j: u8) -> Option<bool> {
        match j {
            0 | 1 => {
                let or_equal = j == 1;
                self.keeps_core(c, or_equal).then_some(or_equal)
            }
            2 => {
                self.clear_ep(c);
                None
            }
            3 => {
                self.regs.he &= !bit(c);
                self.clear_ep(c);
                self.regs.intr |= bit(c);
                None
            }
            4 => {
                self.clear_ep(c);
                self.regs.intr |= bit(c);
                None
            }
            _ => {
                self.regs.he &= !bit(c);
                self.clear_ep(c);
                None
            }
        }
    }

    // ------------------------------------------------------------------ channel 0

    fn run_channel0(&mut self) {
        let ccb = self.regs.mc0ptr;
        let mut spent = 0;
        if let Ok(mut addr) = self.mem.read_u32(ccb) {
            for _ in 0..64 {
                let Some(bd) = self.read_bd(addr) else {
                    break;
                };
                if !bd.has(BD_DONE) {
                    break;
                }
                let ok = self.channel0_command(&bd);
                spent += self.cfg.channel0_cmd_ns
                    + u64::from(bd.count()) * self.cfg.channel0_ns_per_word;
                let mut mode = bd.mode & !BD_DONE;
                if !ok {
                    mode |= BD_RROR;
                }
                let _ = self.mem.write_u32(addr, mode);
                self.stats.channel0_commands += 1;
                if bd.has(BD_INTR) {
                    self.regs.intr |= 1;
                }
                if bd.has(BD_WRAP) || !bd.has(BD_CONT) {
                    break;
                }
                addr = addr.wrapping_add(crate::layout::BD_SIZE);
            }
        }
        self.regs.he &= !1;
        self.now += spent;
    }

    fn read_bd(&self, addr: u32) -> Option<Bd> {
        let w = |i: u32| self.mem.read_u32(addr.wrapping_add(4 * i)).ok();
        Some(Bd {
            mode: w(0)?,
            buffer: w(1)?,
            ext: w(2)?,
        })
    }

    fn channel0_command(&mut self, bd: &Bd) -> bool {
        let Some(cmd) = decode_command(bd.command()) else {
            return false;
        };
        let count = bd.count() as usize;
        let (to_data, from_data) = match cmd {
            Command::SetDm => (Some(bd.ext as usize), None),
            Command::GetDm => (None, Some(bd.ext as usize)),
            Command::SetCtx(ch) => (Some(context_addr(usize::from(ch))), None),
            Command::GetCtx(ch) => (None, Some(context_addr(usize::from(ch)))),
            Command::SetPm | Command::GetPm => (None, None),
        };
        if let Some(dst) = to_data {
            if dst + count > DATA_WORDS {
                return false;
            }
            let mut words = Vec::with_capacity(count);
            for i in 0..count as u32 {
                match self.mem.read_u32(bd.buffer.wrapping_add(4 * i)) {
                    Ok(w) => words.push(w),
                    Err(_) => return false,
                }
            }
            self.data[dst..dst + count].copy_from_slice(&words);
            // A context replaced under the core: the next run restores the new one.
            self.loaded = None;
            return true;
        }
        if let Some(src) = from_data {
            if src + count > DATA_WORDS {
                return false;
            }
            let bytes: Vec<u8> = self.data[src..src + count]
                .iter()
                .flat_map(|w| w.to_le_bytes())
                .collect();
            return self.mem.write(bd.buffer, &bytes).is_ok();
        }
        let pa = bd.ext as usize;
        if pa + count > PROGRAM_WORDS {
            return false;
        }
        if cmd == Command::SetPm {
            let mut buf = vec![0u8; count * 2];
            if self.mem.read(bd.buffer, &mut buf).is_err() {
                return false;
            }
            for (i, w) in buf.chunks_exact(2).enumerate() {
                self.program[pa + i] = Some(u16::from_le_bytes([w[0], w[1]]));
            }
            true
        } else {
            let bytes: Vec<u8> = self.program[pa..pa + count]
                .iter()
                .flat_map(|w| w.unwrap_or(0).to_le_bytes())
                .collect();
            self.mem.write(bd.buffer, &bytes).is_ok()
        }
    }
}

/// The core's view of the engine during one slice.
struct CoreBus<'a> {
    mem: &'a mut SimMemory,
    ssi: &'a mut [Ssi],
    data: &'a mut [u32],
    program: &'a [Option<u16>],
    open: &'a [OpenCode],
    ccb_entry: u32,
}

impl CoreBus<'_> {
    fn fifo(&mut self, addr: u32, dir: Direction) -> Option<&mut Ssi> {
        self.ssi
            .iter_mut()
            .find(|s| s.config().fifo_addr == addr && s.config().direction == dir)
    }
}

impl Bus for CoreBus<'_> {
    fn fetch(&mut self, pc: u16) -> Result<u16, IsaError> {
        if pc < ROM_END {
            return Err(IsaError::RomCode { pc });
        }
        let want = self.open.iter().find_map(|o| {
            let i = usize::from(pc.checked_sub(o.load)?);
            o.words.get(i).copied()
        });
        match (want, self.program.get(usize::from(pc)).copied().flatten()) {
            (Some(w), Some(p)) if w == p => Ok(w),
            _ => Err(IsaError::ForeignCode { pc }),
        }
    }

    fn data_read(&mut self, addr: u32) -> Option<u32> {
        if addr == CCB_ENTRY_REG {
            return Some(self.ccb_entry);
        }
        self.data.get(addr as usize).copied()
    }

    fn data_write(&mut self, addr: u32, value: u32) -> bool {
        match self.data.get_mut(addr as usize) {
            Some(w) => {
                *w = value;
                true
            }
            None => false,
        }
    }

    fn mem_read(&mut self, addr: u32, bytes: u32) -> Option<u32> {
        let mut b = [0u8; 4];
        self.mem.read(addr, &mut b[..bytes as usize]).ok()?;
        Some(u32::from_le_bytes(b))
    }

    fn mem_write(&mut self, addr: u32, bytes: u32, value: u32) -> bool {
        self.mem
            .write(addr, &value.to_le_bytes()[..bytes as usize])
            .is_ok()
    }

    fn periph_read(&mut self, addr: u32, _bytes: u32) -> Option<u32> {
        Some(self.fifo(addr, Direction::Receive)?.dma_read())
    }

    fn periph_write(&mut self, addr: u32, _bytes: u32, value: u32) -> bool {
        match self.fifo(addr, Direction::Transmit) {
            Some(s) => {
                s.dma_write(value);
                true
            }
            None => false,
        }
    }
}
