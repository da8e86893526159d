//! The engine: bring-up, channel 0, firmware, shared registers, the interrupt handler and
//! the deadline multiplexer.

use core::cell::RefCell;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use critical_section::Mutex;
use sdma_pac::bd::{status, BdMode, BufferDescriptor};
use sdma_pac::ccb::{ChannelControlBlock, NUM_CHANNELS};
use sdma_pac::context::{self, ChannelContext, CONTEXT_WORDS};
use sdma_pac::{cmd, modify_reg, read_reg, write_reg};

use super::area::{AreaPtr, DmaArea, STAGING_WORDS};
use super::channel::{ChannelRequest, SdmaHwChannel};
use super::channel0::{self, Command, Finished, InFlight, Payload, Queue, Status, Ticket};
use super::error::SdmaError;
use super::firmware::{Firmware, ScriptAddrs, SCRIPT_COUNT};
use super::platform::Platform;
use super::script::{self, PeripheralType, Script, ScriptLookup, ScriptSet};
use crate::dmaengine::{Direction, RequestLine};
use crate::vchan::doorbell::Doorbell;

/// Number of DMA events of the i.MX6 (CHNENBL entries).
pub const NUM_EVENTS: u32 = 48;

/// CHN0ADDR value: channel-0 boot script at 0x050, SMSZ = 1 (32-word contexts); what Linux
/// and the NXP SDK write.
pub const CHN0ADDR_BOOT: u32 = 0x4050;

/// Tunables of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SdmaConfig {
    /// How long a channel-0 command may take before it fails with
    /// [`SdmaError::Channel0Timeout`] (Linux: 500 µs; a context load is assumed to take
    /// microseconds, HW-016).
    pub channel0_timeout_ns: u64,
    /// How long the soft reset may take.
    pub reset_timeout_ns: u64,
}

impl Default for SdmaConfig {
    fn default() -> Self {
        SdmaConfig {
            channel0_timeout_ns: 500_000,
            reset_timeout_ns: 100_000,
        }
    }
}

/// Firmware facts reported by [`Sdma::load_firmware`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FirmwareInfo {
    /// Major version.
    pub version_major: u32,
    /// Minor version.
    pub version_minor: u32,
    /// 16-bit words of RAM code loaded with SETPM.
    pub ram_words: usize,
    /// Program address the code was loaded at.
    pub load_address: Option<u16>,
}

/// Engine counters. Times are read from [`Platform::now_ns`].
///
/// The waiting figures separate the two contexts: `blocking_*` counts every wait of the
/// driver on hardware state (today only the thread-context bring-up: [`Sdma::init`] and
/// [`Sdma::load_firmware`] wait for their channel-0 commands), `irq_busy_wait_*` the part
/// spent inside [`Sdma::handle_interrupt`] and [`Sdma::handle_deadline`]. The handlers
/// contain no wait loop, so the latter stays 0; `handler_calls` is its sample count (one
/// sample per handler call).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Calls of [`Sdma::handle_interrupt`].
    pub interrupts: u64,
    /// Calls of [`Sdma::handle_interrupt`] and [`Sdma::handle_deadline`].
    pub handler_calls: u64,
    /// Channel-0 commands completed.
    pub channel0_commands: u64,
    /// Channel-0 commands that timed out.
    pub channel0_timeouts: u64,
    /// Most channel-0 commands queued at once (the queue holds
    /// [`CHANNEL0_QUEUE_LEN`]).
    pub channel0_queue_max: u32,
    /// Longest time from issuing a channel-0 command to noticing it finished (ns).
    pub channel0_latency_max_ns: u64,
    /// EVTERR bits seen (summed over channels).
    pub event_errors: u64,
    /// Waits of the driver on hardware state (thread context only).
    pub blocking_waits: u64,
    /// Time spent in them (ns).
    pub blocking_ns: u64,
    /// Longest of them (ns).
    pub blocking_max_ns: u64,
    /// Time spent waiting on hardware state inside the interrupt and deadline handlers
    /// (ns): no handler waits, so this is 0 by construction; kept as a counter so that a
    /// change adding a wait shows here.
    pub irq_busy_wait_ns: u64,
    /// Longest such wait (ns).
    pub irq_busy_wait_max_ns: u64,
    /// Stops confirmed by the backstop because their channel-0 fence did not complete in
    /// time (an error: the engine or channel 0 is not answering).
    pub stop_backstops: u64,
}

/// Channel-0 commands that may be queued at once.
pub const CHANNEL0_QUEUE_LEN: usize = channel0::QUEUE_LEN;

/// The i.MX6Q ROM script table, in the engine's form.
const ROM_SCRIPTS: [Option<u16>; SCRIPT_COUNT] = ScriptAddrs::imx6q_rom_defaults().to_array();

struct EngineState {
    /// ROM defaults merged with a loaded firmware's table, indexed by `ScriptId`.
    scripts: [Option<u16>; SCRIPT_COUNT],
    ram_loaded: bool,
    /// Per-channel deadline (ns), 0 = none. Entry 0 is channel 0's own: the timeout of
    /// the command in flight.
    deadlines: [u64; NUM_CHANNELS],
    channel0: Queue,
    stats: EngineStats,
}

/// The SDMA engine. Create it with [`Sdma::new`], bring it up with [`Sdma::init`], then
/// request channels with [`Sdma::request_channel`].
///
/// # Interrupts and deadlines
///
/// One handler serves every channel: call [`Sdma::handle_interrupt`] from the SDMA
/// interrupt (GIC ID 34) and [`Sdma::handle_deadline`] when the platform deadline fires.
/// Both return a mask of channels to service; service them with
/// [`Sdma::for_each_fair`] by calling `vchan::VirtualChannel::on_interrupt` and dispatching
/// events for each.
pub struct Sdma<P: Platform> {
    platform: P,
    area: AreaPtr,
    config: SdmaConfig,
    state: Mutex<RefCell<EngineState>>,
    initialized: AtomicBool,
    /// Channels handed out (bit 0: channel 0, always taken).
    allocated: AtomicU32,
    /// EVTERR bits read by the interrupt handler, not yet taken by their channel.
    evterr: Doorbell,
    /// Channels with a STOP_STAT write (or a release) since their last launch: a request
    /// that was pending at that stop may still be pending (HW-040).
    stopped: AtomicU32,
    /// First channel the next fair walk starts at.
    rr_next: AtomicU32,
}

// SAFETY: the only non-thread-safe field is the `DmaArea` pointer. The area is owned
// exclusively by this engine (`&'static mut` in `new`); its parts are partitioned: the
// channel-0 BD, the CCB[0] entry and the staging buffer are only written when a channel-0
// command is issued or finished (one at a time: inside the critical section that owns the
// queue), and CCB[n] and ring n only by the single `SdmaHwChannel` that owns hardware
// channel n. Everything else is atomics or
// behind a critical-section mutex; `P: Sync` covers the platform.
unsafe impl<P: Platform + Sync> Sync for Sdma<P> {}
// SAFETY: as above; moving the engine moves the exclusive ownership of the area with it.
unsafe impl<P: Platform + Send> Send for Sdma<P> {}

impl<P: Platform> core::fmt::Debug for Sdma<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sdma")
            .field("area", &(self.area.addr() as *const u8))
            .field("initialized", &self.initialized.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<P: Platform> Sdma<P> {
    /// An engine over `platform` using `area` as its DMA-visible memory. Touches no
    /// hardware.
    pub fn new(platform: P, area: &'static mut DmaArea, config: SdmaConfig) -> Self {
        Sdma {
            platform,
            area: AreaPtr::new(area),
            config,
            state: Mutex::new(RefCell::new(EngineState {
                scripts: ROM_SCRIPTS,
                ram_loaded: false,
                deadlines: [0; NUM_CHANNELS],
                channel0: Queue::new(),
                stats: EngineStats::default(),
            })),
            initialized: AtomicBool::new(false),
            allocated: AtomicU32::new(1),
            evterr: Doorbell::new(),
            stopped: AtomicU32::new(0),
            rr_next: AtomicU32::new(1),
        }
    }

    /// The platform.
    pub fn platform(&self) -> &P {
        &self.platform
    }

    pub(crate) fn area(&self) -> &AreaPtr {
        &self.area
    }

    /// [`Platform::now_ns`], called out of line: every timeout, stop bound and deadline of
    /// the driver reads the time, and a platform's tick-to-ns conversion (a 64- or 128-bit
    /// multiply and divide on a 32-bit core) would otherwise be inlined at each of those
    /// call sites. One call costs a few cycles next to that conversion.
    #[inline(never)]
    pub(crate) fn now_ns(&self) -> u64 {
        self.platform.now_ns()
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut EngineState) -> R) -> R {
        critical_section::with(|cs| f(&mut self.state.borrow_ref_mut(cs)))
    }

    /// Engine counters.
    pub fn stats(&self) -> EngineStats {
        self.with_state(|s| s.stats)
    }

    /// The script table in use (ROM defaults merged with a loaded firmware).
    pub fn scripts(&self) -> ScriptAddrs {
        self.with_state(|s| ScriptAddrs::from_array(&s.scripts))
    }

    /// Whether a firmware's RAM code is loaded.
    pub fn ram_scripts_loaded(&self) -> bool {
        self.with_state(|s| s.ram_loaded)
    }

    /// Bus address of a byte offset inside the area.
    fn area_bus(&self, offset: usize) -> Result<u32, SdmaError> {
        let addr = self.area.addr() + offset;
        self.platform
            .bus_address(addr, 4)
            .ok_or(SdmaError::NotBusAddressable { addr })
    }

    pub(crate) fn area_bus_of(&self, offset: usize) -> Result<u32, SdmaError> {
        self.area_bus(offset)
    }

    /// Brings the engine up (reset, stale state cleared, CCBs, channel 0, CONFIG,
    /// priorities, CHN0ADDR), then clears the contexts of channels 1..=31 through channel
    /// 0, which proves the command path: on a dead engine this returns
    /// [`SdmaError::Channel0Timeout`] after [`SdmaConfig::channel0_timeout_ns`] instead
    /// of hanging.
    pub fn init(&self) -> Result<(), SdmaError> {
        let regs = self.platform.registers();
        let size = core::mem::size_of::<DmaArea>();
        if self.platform.bus_address(self.area.addr(), size).is_none() {
            return Err(SdmaError::NotBusAddressable {
                addr: self.area.addr(),
            });
        }
        self.initialized.store(false, Ordering::Release);
        // A warm restart forgets the commands of the previous run.
        self.with_state(|s| {
            s.channel0 = Queue::new();
            s.deadlines = [0; NUM_CHANNELS];
        });
        // Soft reset; the bit clears itself.
        write_reg!(sdma_pac::sdma, regs, RESET, RESET: 1);
        let limit = self.now_ns().saturating_add(self.config.reset_timeout_ns);
        while read_reg!(sdma_pac::sdma, regs, RESET, RESET) != 0 {
            if self.now_ns() > limit {
                return Err(SdmaError::ResetTimeout);
            }
        }
        write_reg!(sdma_pac::sdma, regs, MC0PTR, 0);
        // Stale state: stop every channel, acknowledge every interrupt, drop old errors.
        write_reg!(sdma_pac::sdma, regs, STOP_STAT, u32::MAX);
        write_reg!(sdma_pac::sdma, regs, INTR, u32::MAX);
        let _stale = read_reg!(sdma_pac::sdma, regs, EVTERR);
        for e in 0..NUM_EVENTS as usize {
            write_reg!(sdma_pac::sdma, regs, CHNENBL[e], 0);
        }
        for c in 0..NUM_CHANNELS {
            write_reg!(sdma_pac::sdma, regs, CHNPRI[c], 0);
        }
        // Ownership: channel 0 runs on HSTART without events (EO = 1, HO = 0); no DSP
        // (the run condition, HW-006).
        write_reg!(sdma_pac::sdma, regs, EVTOVR, 1);
        write_reg!(sdma_pac::sdma, regs, HOSTOVR, 0);
        write_reg!(sdma_pac::sdma, regs, DSPOVR, u32::MAX);
        // HW-012: INTRMASK's sense is unverified; 0 is neutral either way.
        write_reg!(sdma_pac::sdma, regs, INTRMASK, 0);
        let bd0 = self.area_bus(self.area.ch0_bd_offset())?;
        for c in 0..NUM_CHANNELS {
            self.area.write_ccb(c, ChannelControlBlock::new(0));
        }
        self.area.write_ccb(0, ChannelControlBlock::new(bd0));
        let ccb_bus = self.area_bus(self.area.ccb_offset(0))?;
        write_reg!(sdma_pac::sdma, regs, CHN0ADDR, CHN0ADDR_BOOT);
        // Static context switch until channel 0 has run once (Linux), ACR = 0 on i.MX6.
        write_reg!(sdma_pac::sdma, regs, CONFIG, 0);
        write_reg!(sdma_pac::sdma, regs, MC0PTR, ccb_bus);
        // HW-008: 7 is the highest priority, so channel 0 goes before every client.
        write_reg!(sdma_pac::sdma, regs, CHNPRI[0], 7);
        self.initialized.store(true, Ordering::Release);
        // Clear every client channel's context (no stale script state survives a warm
        // restart); the first command also switches CONFIG to dynamic.
        let per_chunk = STAGING_WORDS / CONTEXT_WORDS;
        let mut ch = 1;
        while ch < NUM_CHANNELS {
            let n = per_chunk.min(NUM_CHANNELS - ch);
            let words = n * CONTEXT_WORDS;
            let r = self.channel0_blocking(
                cmd::SETDM,
                words as u16,
                context::data_address(ch as u32),
                |area| {
                    area.fill_staging(core::iter::repeat_n(0, words));
                },
            );
            if let Err(e) = r {
                self.initialized.store(false, Ordering::Release);
                return Err(e);
            }
            ch += n;
        }
        Ok(())
    }

    /// Runs one channel-0 command from thread context and waits (bounded) for it: the
    /// blocking wrapper of bring-up and firmware loading. `fill` writes the staging buffer
    /// just before the command is issued. Waits first for the queue to drain (commands of
    /// running channels go first), then for the command; every wait is counted in
    /// [`EngineStats::blocking_ns`]. Never call it from an interrupt handler.
    fn channel0_blocking(
        &self,
        command: u8,
        count: u16,
        ext: u32,
        fill: impl Fn(&AreaPtr),
    ) -> Result<(), SdmaError> {
        if !self.initialized.load(Ordering::Acquire) {
            return Err(SdmaError::NotInitialized);
        }
        let began = self.now_ns();
        let drain_limit = began.saturating_add(
            self.config
                .channel0_timeout_ns
                .saturating_mul(CHANNEL0_QUEUE_LEN as u64 + 1),
        );
        let cmd = Command {
            owner: 0,
            command,
            count,
            ext,
            payload: Payload::Staged,
        };
        let result = loop {
            let issued = critical_section::with(|cs| {
                let mut st = self.state.borrow_ref_mut(cs);
                let now = self.now_ns();
                let f = st.channel0.start_now(cmd, now)?;
                fill(&self.area);
                Some(self.issue(&mut st, f))
            });
            match issued {
                Some(Ok(ticket)) => break self.wait_channel0(ticket),
                Some(Err(e)) => break Err(e),
                None if self.now_ns() > drain_limit => break Err(SdmaError::Channel0Busy),
                None => {
                    self.poll_channel0();
                }
            }
        };
        let waited = self.now_ns().saturating_sub(began);
        self.with_state(|s| {
            s.stats.blocking_waits += 1;
            s.stats.blocking_ns += waited;
            s.stats.blocking_max_ns = s.stats.blocking_max_ns.max(waited);
        });
        result.map(|_| ())
    }

    /// Thread-context wait for `ticket` (bounded by the command timeout, which
    /// [`Sdma::poll_channel0`] enforces).
    fn wait_channel0(&self, ticket: Ticket) -> Result<Finished, SdmaError> {
        loop {
            if let Status::Done(r) = self.channel0_status(ticket) {
                return r;
            }
            self.poll_channel0();
        }
    }

    /// Looks once at channel 0 (no interrupt needed, never waits): the same completion and
    /// timeout check as the interrupt handler. Channels whose command finished here are
    /// serviced through an immediate deadline.
    pub(crate) fn poll_channel0(&self) {
        let owners = self.service_channel0(false);
        let now = self.now_ns();
        for ch in 1..NUM_CHANNELS as u8 {
            if owners & (1 << ch) != 0 {
                self.request_deadline(ch, now);
            }
        }
    }

    /// Queues a channel-0 command for client channel `cmd.owner` and issues it at once if
    /// channel 0 is free. Never waits. The owner is serviced (its bit in the handler's
    /// mask) when the command finishes or times out.
    pub(crate) fn submit_channel0(&self, cmd: Command) -> Result<Ticket, SdmaError> {
        if !self.initialized.load(Ordering::Acquire) {
            return Err(SdmaError::NotInitialized);
        }
        critical_section::with(|cs| {
            let mut st = self.state.borrow_ref_mut(cs);
            let t = st.channel0.push(cmd)?;
            let queued =
                t.0.wrapping_sub(st.channel0.in_flight().map_or(t.0, |f| f.ticket.0));
            st.stats.channel0_queue_max = st.stats.channel0_queue_max.max(queued + 1);
            self.issue_next(&mut st);
            Ok(t)
        })
    }

    /// Where a queued channel-0 command is.
    pub(crate) fn channel0_status(&self, t: Ticket) -> Status {
        self.with_state(|s| s.channel0.status(t))
    }

    /// Issues the next queued command if channel 0 is free.
    fn issue_next(&self, st: &mut EngineState) {
        let now = self.now_ns();
        while let Some(f) = st.channel0.start_next(now) {
            match f.cmd.payload {
                Payload::Context(words) => {
                    self.area.fill_staging(words);
                }
                Payload::Read | Payload::Staged => {}
            }
            if let Err(e) = self.issue(st, f) {
                // No bus address for the area: finish it failed and try the next.
                st.channel0.finish(Err(e));
                continue;
            }
            return;
        }
    }

    /// Writes channel 0's BD for `f` (DONE, WRAP, EXTD and INTR: the engine raises INTR
    /// bit 0 when it is done), cleans the area, orders the writes before HSTART, starts
    /// channel 0 and arms the command's timeout.
    fn issue(&self, st: &mut EngineState, f: InFlight) -> Result<Ticket, SdmaError> {
        let regs = self.platform.registers();
        let staging = match self.area_bus(self.area.staging_offset()) {
            Ok(b) => b,
            Err(e) => {
                st.channel0.finish(Err(e));
                return Err(e);
            }
        };
        let off = self.area.ch0_bd_offset();
        let bits = status::DONE | status::WRAP | status::EXTD | status::INTR;
        let mode = BdMode::from_parts(f.cmd.count, bits, f.cmd.command);
        self.area
            .write_bd_at(off, BufferDescriptor::new(mode, staging, f.cmd.ext));
        // What the engine reads: its BD and, for a write command, the staged words.
        self.platform.clean_dcache(self.area.addr() + off, 12);
        if f.cmd.payload != Payload::Read {
            let words = usize::from(f.cmd.count).min(STAGING_WORDS);
            self.platform
                .clean_dcache(self.area.addr() + self.area.staging_offset(), words * 4);
        }
        self.platform.dma_barrier();
        // HW-015: HSTART bit 0 runs channel 0; it is done when HE0 reads clear (and, with
        // INTR in its BD, INTR bit 0 is raised).
        write_reg!(sdma_pac::sdma, regs, HSTART, 1);
        st.deadlines[0] = f.issued_at.saturating_add(self.config.channel0_timeout_ns);
        if let Some(t) = st.deadlines.iter().copied().filter(|&d| d != 0).min() {
            self.platform.request_deadline(t);
        }
        Ok(f.ticket)
    }

    /// Checks the command in flight: finished (the engine handed its BD back, or raised
    /// INTR bit 0, and channel 0's HE is clear), or past its timeout (withdrawn:
    /// [`SdmaError::Channel0Timeout`]). Then issues the next one. Reads each register once;
    /// never waits. Returns the owners (client channels) of what finished.
    ///
    /// A dead register window (QEMU: reads 0, writes dropped) never hands the BD back nor
    /// raises INTR, so its commands end by the timeout.
    fn service_channel0(&self, intr0: bool) -> u32 {
        critical_section::with(|cs| {
            let mut st = self.state.borrow_ref_mut(cs);
            let Some(f) = st.channel0.in_flight() else {
                st.deadlines[0] = 0;
                return 0;
            };
            let regs = self.platform.registers();
            let now = self.now_ns();
            let off = self.area.ch0_bd_offset();
            self.platform.invalidate_dcache(self.area.addr() + off, 12);
            let m = BdMode(self.area.read_word(off));
            let he0 = read_reg!(sdma_pac::sdma, regs, STOP_STAT) & 1 != 0;
            let handed_back = !m.done() || intr0;
            let result = if handed_back && !he0 {
                st.stats.channel0_commands += 1;
                let took = now.saturating_sub(f.issued_at);
                st.stats.channel0_latency_max_ns = st.stats.channel0_latency_max_ns.max(took);
                write_reg!(sdma_pac::sdma, regs, INTR, 1);
                if read_reg!(sdma_pac::sdma, regs, CONFIG, CSM) == 0 {
                    modify_reg!(sdma_pac::sdma, regs, CONFIG, CSM: 3);
                }
                if m.error() {
                    Err(SdmaError::Channel0Failed {
                        command: f.cmd.command,
                    })
                } else {
                    let first_word = match f.cmd.payload {
                        Payload::Read => {
                            let s = self.area.staging_offset();
                            self.platform.invalidate_dcache(self.area.addr() + s, 4);
                            self.area.read_word(s)
                        }
                        _ => 0,
                    };
                    Ok(Finished { first_word })
                }
            } else if now >= f.issued_at.saturating_add(self.config.channel0_timeout_ns) {
                // Give up: withdraw the command so a late engine does not run it.
                write_reg!(sdma_pac::sdma, regs, STOP_STAT, 1);
                st.stats.channel0_timeouts += 1;
                Err(SdmaError::Channel0Timeout {
                    command: f.cmd.command,
                })
            } else {
                // Not done yet (or its BD is back but channel 0 still finishing its
                // script): look again at its interrupt or a little later.
                let again = if handed_back {
                    now.saturating_add(1_000)
                } else {
                    f.issued_at.saturating_add(self.config.channel0_timeout_ns)
                };
                st.deadlines[0] = again;
                if let Some(t) = st.deadlines.iter().copied().filter(|&d| d != 0).min() {
                    self.platform.request_deadline(t);
                }
                return 0;
            };
            st.channel0.finish(result);
            st.deadlines[0] = 0;
            self.issue_next(&mut st);
            1u32 << (f.cmd.owner % NUM_CHANNELS as u8)
        })
    }

    /// Queues the load of `ctx` as the context of channel `ch` (channel-0 SETDM of 32
    /// words). The caller guarantees the channel's script cannot run again before the
    /// command finishes (its stop is confirmed, or it never ran). The load also resets
    /// the script's position, so the next run starts at the CCB's current BD (HW-005).
    /// Never waits.
    pub(crate) fn load_context(&self, ch: u8, ctx: &ChannelContext) -> Result<Ticket, SdmaError> {
        self.submit_channel0(Command {
            owner: ch,
            command: cmd::SETDM,
            count: CONTEXT_WORDS as u16,
            ext: context::data_address(u32::from(ch)),
            payload: Payload::Context(ctx.to_words()),
        })
    }

    /// Queues a read of channel `ch`'s saved context (channel-0 GETDM of 32 words into the
    /// staging buffer): the stop fence. Channel 0 can only run it once the engine is
    /// between two steps, so when it finishes, every step of `ch` begun before it was
    /// queued is over. Its result's word is the PC word of where the script stopped.
    /// Never waits.
    pub(crate) fn read_context(&self, ch: u8) -> Result<Ticket, SdmaError> {
        self.submit_channel0(Command {
            owner: ch,
            command: cmd::GETDM,
            count: CONTEXT_WORDS as u16,
            ext: context::data_address(u32::from(ch)),
            payload: Payload::Read,
        })
    }

    /// Parses `bytes` as an SDMA firmware file, loads its RAM code into program memory
    /// (channel-0 SETPM, in chunks through the staging buffer) and merges its script table
    /// over the i.MX6Q ROM defaults. A rejected file changes nothing: the engine keeps
    /// running on the ROM scripts (and any firmware loaded before).
    pub fn load_firmware(&self, bytes: &[u8]) -> Result<FirmwareInfo, SdmaError> {
        self.load_image(bytes, ScriptAddrs::imx6q_rom_defaults())
    }

    /// Loads a script set. [`ScriptSet::Open`] loads this project's open scripts through
    /// the firmware path (SETPM) and then runs *only* them: a peripheral they do not
    /// serve gets [`SdmaError::ScriptNotLoaded`] instead of a ROM script. Not the default
    /// on silicon until a board has confirmed the scripts (see `ScriptSet`).
    pub fn load_script_set(&self, set: ScriptSet) -> Result<FirmwareInfo, SdmaError> {
        match set {
            ScriptSet::Open => self.load_image(script::OPEN_SCRIPTS, ScriptAddrs::none()),
        }
    }

    /// Loads `bytes` with SETPM and merges its table over `base`.
    fn load_image(&self, bytes: &[u8], base: ScriptAddrs) -> Result<FirmwareInfo, SdmaError> {
        let fw = Firmware::parse(bytes)?;
        let words = fw.ram_code_words_len();
        if let Some(load) = fw.load_address() {
            let code = fw.ram_code();
            let chunk_bytes = STAGING_WORDS * 4;
            for (i, chunk) in code.chunks(chunk_bytes).enumerate() {
                let packed = chunk.chunks(4).map(|b| {
                    let mut w = [0u8; 4];
                    w[..b.len()].copy_from_slice(b);
                    u32::from_le_bytes(w)
                });
                let halfwords = chunk.len() / 2;
                let at = u32::from(load) + (i * chunk_bytes / 2) as u32;
                self.channel0_blocking(cmd::SETPM, halfwords as u16, at, |area| {
                    area.fill_staging(packed.clone());
                })?;
            }
        }
        let table = fw.script_addrs();
        self.with_state(|s| {
            s.scripts = base.merge(&table).to_array();
            s.ram_loaded = words > 0;
        });
        Ok(FirmwareInfo {
            version_major: fw.header().version_major,
            version_minor: fw.header().version_minor,
            ram_words: words,
            load_address: fw.load_address(),
        })
    }

    /// The script for `(peripheral, direction)`, or why there is none.
    pub fn script_for(
        &self,
        peripheral: PeripheralType,
        direction: Direction,
    ) -> Result<Script, SdmaError> {
        // Resolved in place: copying the 47-entry table out would cost more than the
        // lookup it protects.
        let lookup = self
            .with_state(|s| script::resolve_in(&s.scripts, s.ram_loaded, peripheral, direction));
        match lookup {
            ScriptLookup::Found(s) => Ok(s),
            ScriptLookup::NotLoaded(script) => Err(SdmaError::ScriptNotLoaded { script }),
            ScriptLookup::NoScript => Err(SdmaError::NoScript {
                peripheral,
                direction,
            }),
        }
    }

    /// Requests a channel (see [`ChannelRequest`]): validates the event, priority and
    /// channel number, picks the lowest free channel unless one is named, sets its
    /// priority, ownership (event-driven, or free-running for memory) and enables its
    /// DMA event at once (so a request raised before the first transfer is latched, as
    /// Linux does at `device_config`).
    pub fn request_channel(
        &'static self,
        req: ChannelRequest,
    ) -> Result<SdmaHwChannel<P>, SdmaError> {
        if !self.initialized.load(Ordering::Acquire) {
            return Err(SdmaError::NotInitialized);
        }
        if let Some(e) = req.event.map(u32::from) {
            if e >= NUM_EVENTS {
                return Err(SdmaError::InvalidEvent(e));
            }
        }
        if !(1..=7).contains(&req.priority) {
            return Err(SdmaError::InvalidPriority(req.priority));
        }
        let ch = self.allocate(req.channel)?;
        let regs = self.platform.registers();
        let b = 1u32 << ch;
        critical_section::with(|_| {
            // EVTOVR/HOSTOVR/DSPOVR/CHNENBL are plain read/write masks shared by all
            // channels: read-modify-write them only inside the critical section.
            if req.peripheral.is_memory() {
                modify_reg!(sdma_pac::sdma, regs, EVTOVR, |r| r | b);
            } else {
                modify_reg!(sdma_pac::sdma, regs, EVTOVR, |r| r & !b);
            }
            modify_reg!(sdma_pac::sdma, regs, HOSTOVR, |r| r & !b);
            modify_reg!(sdma_pac::sdma, regs, DSPOVR, |r| r | b);
            if let Some(e) = req.event {
                modify_reg!(sdma_pac::sdma, regs, CHNENBL[usize::from(e)], |r| r | b);
            }
        });
        write_reg!(
            sdma_pac::sdma,
            regs,
            CHNPRI[ch as usize],
            u32::from(req.priority)
        );
        Ok(SdmaHwChannel::new(self, ch, req))
    }

    fn allocate(&self, want: Option<u8>) -> Result<u8, SdmaError> {
        if let Some(c) = want {
            if c == 0 || c as usize >= NUM_CHANNELS {
                return Err(SdmaError::InvalidChannel(c));
            }
        }
        let mut cur = self.allocated.load(Ordering::Acquire);
        loop {
            let ch = match want {
                Some(c) if cur & (1 << c) != 0 => return Err(SdmaError::ChannelInUse(c)),
                Some(c) => c,
                None => {
                    let free = !cur;
                    if free == 0 {
                        return Err(SdmaError::NoFreeChannel);
                    }
                    free.trailing_zeros() as u8
                }
            };
            match self.allocated.compare_exchange(
                cur,
                cur | (1 << ch),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(ch),
                Err(now) => cur = now,
            }
        }
    }

    /// Releases a channel: stopped, event disabled, priority 0 (never runs), freed.
    pub(crate) fn release(&self, ch: u8, event: Option<RequestLine>) {
        let regs = self.platform.registers();
        let b = 1u32 << ch;
        write_reg!(sdma_pac::sdma, regs, STOP_STAT, b);
        self.stopped.fetch_or(b, Ordering::AcqRel);
        write_reg!(sdma_pac::sdma, regs, CHNPRI[ch as usize], 0);
        critical_section::with(|_| {
            if let Some(e) = event {
                modify_reg!(sdma_pac::sdma, regs, CHNENBL[usize::from(e)], |r| r & !b);
            }
        });
        self.evterr.take_masked(b);
        self.with_state(|s| {
            if let Some(d) = s.deadlines.get_mut(usize::from(ch)) {
                *d = 0;
            }
        });
        self.allocated.fetch_and(!b, Ordering::AcqRel);
    }

    /// Counts a stop confirmed by the backstop (its fence did not finish).
    pub(crate) fn count_stop_backstop(&self) {
        self.with_state(|s| s.stats.stop_backstops += 1);
    }

    /// HE bit of `ch` (STOP_STAT read).
    pub(crate) fn enabled(&self, ch: u8) -> bool {
        read_reg!(sdma_pac::sdma, self.platform.registers(), STOP_STAT) & (1 << ch) != 0
    }

    /// HSTART for `ch` only (write-1-to-set, never read-modify-write: HW-014).
    pub(crate) fn hstart(&self, ch: u8) {
        write_reg!(sdma_pac::sdma, self.platform.registers(), HSTART, 1 << ch);
    }

    /// STOP_STAT for `ch` only (write-1-to-clear HE).
    pub(crate) fn hstop(&self, ch: u8) {
        write_reg!(
            sdma_pac::sdma,
            self.platform.registers(),
            STOP_STAT,
            1 << ch
        );
        self.stopped.fetch_or(1 << ch, Ordering::AcqRel);
    }

    /// Whether the driver wrote STOP_STAT for `ch` (or released it) since the last call;
    /// clears the mark. A launch calls it: only a stop can leave a stale request pending.
    pub(crate) fn take_stopped(&self, ch: u8) -> bool {
        let b = 1u32 << ch;
        self.stopped.fetch_and(!b, Ordering::AcqRel) & b != 0
    }

    /// EVTPEND bit of `ch`: a DMA request is pending for it (one register read, no wait).
    pub(crate) fn event_pending(&self, ch: u8) -> bool {
        read_reg!(sdma_pac::sdma, self.platform.registers(), EVTPEND) & (1 << ch) != 0
    }

    /// Takes the EVTERR bit of `ch` latched by the interrupt handler.
    pub(crate) fn take_evterr(&self, ch: u8) -> bool {
        self.evterr.take_masked(1 << ch) != 0
    }

    /// Reads EVTERR now (HW-011: it clears on read) and latches its bits as the interrupt
    /// handler does, then takes the bit of `ch`: whether `ch` had an event error not yet
    /// taken, read or not. One register read, no wait.
    pub(crate) fn take_evterr_now(&self, ch: u8) -> bool {
        let evterr = read_reg!(sdma_pac::sdma, self.platform.registers(), EVTERR);
        if evterr != 0 {
            self.evterr.raise(evterr);
            self.with_state(|s| s.stats.event_errors += u64::from(evterr.count_ones()));
        }
        self.take_evterr(ch)
    }

    /// Asks to have `ch` serviced at `at_ns` (through [`Sdma::handle_deadline`]).
    pub(crate) fn request_deadline(&self, ch: u8, at_ns: u64) {
        let at_ns = at_ns.max(1);
        let earliest = self.with_state(|s| {
            let d = &mut s.deadlines[ch as usize % NUM_CHANNELS];
            if *d == 0 || at_ns < *d {
                *d = at_ns;
            }
            s.deadlines.iter().copied().filter(|&d| d != 0).min()
        });
        if let Some(t) = earliest {
            self.platform.request_deadline(t);
        }
    }

    /// Channels whose deadline has passed (cleared; bit 0: channel 0's command timeout),
    /// and re-arms the platform deadline for the rest.
    fn take_due(&self) -> u32 {
        let now = self.now_ns();
        let (due, next) = self.with_state(|s| {
            let mut due = 0u32;
            for (c, d) in s.deadlines.iter_mut().enumerate() {
                if *d != 0 && *d <= now {
                    *d = 0;
                    due |= 1 << c;
                }
            }
            (due, s.deadlines.iter().copied().filter(|&d| d != 0).min())
        });
        if let Some(t) = next {
            self.platform.request_deadline(t);
        }
        due
    }

    /// Counts one handler call (the sample of the in-handler busy-wait figure, which is 0:
    /// no handler path waits on hardware state).
    fn count_handler_call(&self, s: &mut EngineState) {
        s.stats.handler_calls += 1;
    }

    /// The SDMA interrupt handler (top half), for all channels at once. Never waits.
    ///
    /// Reads INTR **once** and writes exactly that value back (write-1-to-clear: an
    /// interrupt raised after the read stays pending and fires again), reads EVTERR once
    /// (it clears on read) and latches its bits for the channels, and adds the channels
    /// whose deadline has passed. INTR bit 0 (channel 0 finished a command) finishes the
    /// command in flight, issues the next queued one and adds the channel that queued it.
    /// Returns the mask of client channels to service; service them with
    /// [`Sdma::for_each_fair`].
    pub fn handle_interrupt(&self) -> u32 {
        let regs = self.platform.registers();
        let intr = read_reg!(sdma_pac::sdma, regs, INTR);
        if intr != 0 {
            write_reg!(sdma_pac::sdma, regs, INTR, intr);
        }
        // HW-011: EVTERR clears on read, so it is read once here and latched.
        let evterr = read_reg!(sdma_pac::sdma, regs, EVTERR);
        if evterr != 0 {
            self.evterr.raise(evterr);
        }
        self.with_state(|s| {
            s.stats.interrupts += 1;
            s.stats.event_errors += u64::from(evterr.count_ones());
            self.count_handler_call(s);
        });
        let due = self.take_due();
        let mut mask = (intr | evterr | due) & !1;
        if (intr | due) & 1 != 0 {
            mask |= self.service_channel0(intr & 1 != 0);
        }
        mask & !1
    }

    /// The deadline entry: call it when the platform deadline fires. Never waits. Returns
    /// the mask of channels to service, like [`Sdma::handle_interrupt`] (a channel-0
    /// command that timed out adds the channel that queued it).
    pub fn handle_deadline(&self) -> u32 {
        self.with_state(|s| self.count_handler_call(s));
        let due = self.take_due();
        let mut mask = due & !1;
        if due & 1 != 0 {
            mask |= self.service_channel0(false);
        }
        mask & !1
    }

    /// Calls `f` for every channel in `mask`, in round-robin order: the walk starts after
    /// the channel served first last time, so under a storm of interrupts no channel is
    /// always served last. Each channel's work per call is bounded by its ring size.
    pub fn for_each_fair(&self, mask: u32, mut f: impl FnMut(u8)) {
        if mask == 0 {
            return;
        }
        let start = self.rr_next.load(Ordering::Relaxed) % NUM_CHANNELS as u32;
        let rotated = mask.rotate_right(start);
        let mut bits = rotated;
        let mut first = None;
        while bits != 0 {
            let i = bits.trailing_zeros();
            bits &= bits - 1;
            let ch = ((i + start) % NUM_CHANNELS as u32) as u8;
            first.get_or_insert(ch);
            f(ch);
        }
        if let Some(c) = first {
            self.rr_next.store(u32::from(c) + 1, Ordering::Relaxed);
        }
    }
}
