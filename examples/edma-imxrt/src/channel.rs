//! [`EdmaChannel`]: one eDMA channel + its DMAMUX slot, implementing
//! [`DmaController`]. [`crate::EdmaVChannel`] (a `vchan::VirtualChannel` over it) is the
//! complete client channel.
//!
//! # Timing and behaviour
//!
//! * `start`: reclaims leftover INT/ERR/DONE, routes the DMAMUX, writes the TCD ring to the
//!   pool, installs TCD 0 (`CSR` last), a `SeqCst` fence (DMB), then `SEEI` + `SERQ`.
//!   About 40 register/memory stores; refuses ([`Error::Hardware`]) while a stop is
//!   unconfirmed or `CSR.ACTIVE` reads 1, so a running channel is never rewritten.
//! * `request_stop`: one `CERQ` store. A minor loop already running finishes (at most
//!   `NBYTES` more bytes move); no new one starts.
//! * `stop_confirmed`: `ERQ` reads clear **and** `CSR.ACTIVE` reads 0 twice with the live
//!   `SADDR`, `DADDR`, `CITER`, `DLAST_SGA` unchanged in between (a minor loop that ran
//!   between the two reads would have moved them). Then the channel is disarmed (`CINT`,
//!   `CERR`, `CDNE`, `CSR = 0`, `DLAST_SGA = 0`). With a peripheral request every few
//!   microseconds this is true at the first poll after the minor loop in flight: in
//!   practice a terminate followed by an issue starts the new transfer in the same call.
//! * `progress` (interrupt handler): `ERR` → the transfer failed (`ES` is kept in
//!   [`EdmaStats::last_error_status`]); cyclic: periods = how far the ring advanced,
//!   from the live `DLAST_SGA` (it points at the TCD after the current one), with `INT`
//!   telling a full lap from no progress; one-shot: `INT` = complete (only the last TCD
//!   of a chain has `INTMAJOR`). `INT` is cleared after the position is read, so no
//!   period is lost or counted twice.

use core::ptr::NonNull;
use core::sync::atomic::{fence, Ordering};

use imxrt_ral::{dma, dmamux};
use sdma_core::dmaengine::{
    BusWidth, Capabilities, Cookie, Direction, DmaController, Error, Progress, ResidueGranularity,
    SlaveConfig, TransferDesc, MAX_SG_SEGMENTS,
};

use crate::addr::AddressMap;
use crate::engine::{ChannelRegs, Snapshot, CHANNELS};
use crate::mux;
use crate::tcd::{self, BusAddrs, Piece, Tcd, TcdPool, MAX_PIECE_LEN, MAX_TCDS};

/// Counters a test or a debugger can read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EdmaStats {
    /// Transfers started.
    pub starts: u32,
    /// `start` refused because the channel was not idle (must stay 0).
    pub refused_starts: u32,
    /// Stops requested.
    pub stops_requested: u32,
    /// Stops confirmed.
    pub stops_confirmed: u32,
    /// `stop_confirmed` calls that answered "not yet".
    pub stop_polls_not_yet: u32,
    /// Transfers that failed with an eDMA error.
    pub errors: u32,
    /// `ES` at the last error.
    pub last_error_status: u32,
}

#[derive(Clone, Copy, Debug)]
struct Run {
    cookie: Cookie,
    pieces: [Piece; MAX_TCDS],
    count: usize,
    cyclic: bool,
    /// Index of the TCD that was current at the last `progress`.
    last_index: usize,
    paused: bool,
}

/// One eDMA channel and its DMAMUX slot, driven through `imxrt-ral` register blocks.
/// See the [module docs](self) for what each operation does and costs.
pub struct EdmaChannel<M> {
    regs: ChannelRegs,
    mux: &'static dmamux::RegisterBlock,
    pool: NonNull<TcdPool>,
    pool_bus: u32,
    map: M,
    run: Option<Run>,
    stopping: bool,
    stats: EdmaStats,
}

// SAFETY: an `EdmaChannel` is the only user of its channel number (constructor contract):
// its TCD registers, its DMAMUX `CHCFG` and its pool. The registers it shares with
// other channels are only read (ERQ, INT, ERR, ES) or changed through per-channel command
// bytes (SERQ, CERQ, CINT, ...), which the hardware applies atomically. Moving it to
// another thread or interrupt context is therefore sound when its address map is.
unsafe impl<M: Send> Send for EdmaChannel<M> {}

impl<M> core::fmt::Debug for EdmaChannel<M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EdmaChannel")
            .field("channel", &self.regs.ch)
            .field("pool_bus", &self.pool_bus)
            .field("running", &self.run.map(|r| r.cookie))
            .field("stopping", &self.stopping)
            .field("stats", &self.stats)
            .finish()
    }
}

/// What an eDMA channel supports (the same for every channel).
pub const CAPABILITIES: Capabilities = Capabilities {
    mem_to_dev: true,
    dev_to_mem: true,
    mem_to_mem: true,
    bus_widths: BusWidth::Bits8.mask_bit()
        | BusWidth::Bits16.mask_bit()
        | BusWidth::Bits32.mask_bit(),
    cyclic: true,
    scatter_gather: true,
    pause: true,
    max_periods: MAX_TCDS,
    max_segment_len: MAX_PIECE_LEN,
    max_segments: if MAX_SG_SEGMENTS < MAX_TCDS {
        MAX_SG_SEGMENTS
    } else {
        MAX_TCDS
    },
    residue: ResidueGranularity::Burst,
};

impl<M: AddressMap> EdmaChannel<M> {
    /// Take channel `channel` of the eDMA at `dma` with the DMAMUX at `mux`, using `pool`
    /// for its in-memory TCDs and `map` to translate buffer addresses. Clears the
    /// channel's ERQ, INT, ERR and DONE, its TCD and its DMAMUX route.
    ///
    /// Errors: [`Error::Unsupported`] if `channel >= 32` or `map` cannot translate the
    /// pool.
    ///
    /// # Safety
    ///
    /// * `dma` and `mux` point to the eDMA and DMAMUX register blocks (e.g.
    ///   `imxrt_ral::dma::DMA`, `imxrt_ral::dmamux::DMAMUX`) or to RAM stand-ins, valid
    ///   for the rest of the program.
    /// * Nothing else uses channel `channel` (its TCD, its ERQ/INT/ERR bits through
    ///   read-modify-writes, its DMAMUX slot) while this value exists.
    /// * [`crate::init_controller`] ran before, or the controller is configured
    ///   compatibly (`CR.HOE = 0` recommended).
    pub unsafe fn new(
        dma: *const dma::RegisterBlock,
        mux: *const dmamux::RegisterBlock,
        channel: u8,
        pool: &'static mut TcdPool,
        map: M,
    ) -> Result<Self, Error> {
        if usize::from(channel) >= CHANNELS {
            return Err(Error::Unsupported);
        }
        let pool_cpu = pool as *mut TcdPool as usize;
        let pool_bus = map
            .to_bus(pool_cpu, core::mem::size_of::<TcdPool>())
            .filter(|b| b % 32 == 0)
            .ok_or(Error::Unsupported)?;
        // SAFETY: the caller guarantees both pointers are valid for 'static; the blocks
        // are made of `UnsafeCell`-based registers, so shared references are fine.
        let (dma, mux) = unsafe { (&*dma, &*mux) };
        let regs = ChannelRegs { dma, ch: channel };
        regs.clear_erq();
        mux::disable(mux, usize::from(channel));
        regs.install(&Tcd::ZERO);
        regs.clear_int();
        regs.clear_err();
        regs.clear_done();
        Ok(EdmaChannel {
            regs,
            mux,
            pool: NonNull::from(pool),
            pool_bus,
            map,
            run: None,
            stopping: false,
            stats: EdmaStats::default(),
        })
    }

    /// The channel number.
    pub fn channel(&self) -> u8 {
        self.regs.ch
    }

    /// Counters.
    pub fn stats(&self) -> EdmaStats {
        self.stats
    }

    /// Bus address of the pool's TCD 0.
    pub fn pool_bus_addr(&self) -> u32 {
        self.pool_bus
    }

    /// The channel's TCD registers as they read now.
    pub fn registers(&self) -> Tcd {
        self.regs.read_tcd()
    }

    /// In-memory TCD `i` of the pool (`None` past [`MAX_TCDS`]).
    pub fn pool_tcd(&self, i: usize) -> Option<Tcd> {
        (i < MAX_TCDS).then(|| {
            // SAFETY: `i < MAX_TCDS` keeps the pointer inside the pool, which this value
            // owns for 'static; a volatile read of plain data the eDMA only reads.
            unsafe { TcdPool::slot_ptr(self.pool.as_ptr(), i).read_volatile() }
        })
    }

    /// Whether a stop was requested and not confirmed yet.
    pub fn stop_in_progress(&self) -> bool {
        self.stopping
    }

    /// For the interrupt handler when no transfer runs on this channel: clear a stray
    /// `INT`/`ERR` (left by a transfer that was retired) so the interrupt does not fire
    /// again. Does nothing while a transfer runs or stops.
    pub fn ack_idle_interrupt(&mut self) {
        if self.run.is_none() && !self.stopping {
            self.regs.clear_int();
            self.regs.clear_err();
        }
    }

    fn mapped(&self, addr: usize, len: usize) -> Result<u32, Error> {
        self.map.to_bus(addr, len).ok_or(Error::Unsupported)
    }

    /// Index of the TCD the channel is executing, from the live `DLAST_SGA`.
    fn current_index(&self, run: &Run, dlast_sga: u32) -> Option<usize> {
        let off = dlast_sga.wrapping_sub(self.pool_bus);
        let next = (off % 32 == 0)
            .then_some((off / 32) as usize)
            .filter(|n| *n < run.count);
        match (next, run.cyclic) {
            (Some(n), _) => Some((n + run.count - 1) % run.count),
            // The last TCD of a chain has no link.
            (None, false) => Some(run.count - 1),
            (None, true) => None,
        }
    }

    /// Two reads of the live state that agree (the eDMA updates the registers while we
    /// read them); the last read after four attempts.
    fn stable_snapshot(&self) -> Snapshot {
        let mut a = self.regs.snapshot();
        for _ in 0..3 {
            let b = self.regs.snapshot();
            if a == b {
                break;
            }
            a = b;
        }
        a
    }
}

impl<M: AddressMap> DmaController for EdmaChannel<M> {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn check_config(&self, config: &SlaveConfig) -> Result<(), Error> {
        if config.direction == Direction::MemToMem {
            return Ok(());
        }
        match config.event {
            Some(e) if u32::from(e) <= mux::MAX_SOURCE => {}
            _ => return Err(Error::Unsupported),
        }
        if config.peripheral_addr.bus() as usize % config.bus_width.bytes() != 0 {
            return Err(Error::Unaligned);
        }
        Ok(())
    }

    unsafe fn start(&mut self, cookie: Cookie, desc: &TransferDesc) -> Result<(), Error> {
        // `ERQ` is not read back here: after a failed transfer it was cleared by a `CERQ`
        // in this same interrupt, and the software state already says the channel is
        // idle; `ACTIVE` is the hardware fact that matters.
        if self.stopping || self.regs.snapshot().active() {
            self.stats.refused_starts += 1;
            return Err(Error::Hardware);
        }
        let mem = self.mapped(desc.mem.addr, desc.mem.len)?;
        let mem_dst = match desc.mem_dst {
            Some(d) => Some(self.mapped(d.addr, d.len)?),
            None => None,
        };
        let plan = tcd::plan(
            desc,
            BusAddrs {
                mem,
                mem_dst,
                pool: self.pool_bus,
            },
        )?;
        self.regs.clear_int();
        self.regs.clear_err();
        self.regs.clear_done();
        mux::set_route(self.mux, usize::from(self.regs.ch), plan.route);
        for (i, t) in plan.tcds.iter().take(plan.count).enumerate() {
            // SAFETY: `i < plan.count <= MAX_TCDS` keeps the pointer inside the pool this
            // value owns; the channel is idle (checked above), so the eDMA cannot be
            // reading the pool while it is rewritten.
            unsafe { TcdPool::slot_ptr(self.pool.as_ptr(), i).write_volatile(*t) };
        }
        self.regs.install(&plan.tcds[0]);
        // The pool and buffer writes must be visible before the first request is served.
        fence(Ordering::SeqCst);
        self.regs.enable_error_irq();
        self.regs.set_erq();
        self.run = Some(Run {
            cookie,
            pieces: plan.pieces,
            count: plan.count,
            cyclic: plan.cyclic,
            last_index: 0,
            paused: false,
        });
        self.stats.starts += 1;
        Ok(())
    }

    fn request_stop(&mut self, _cookie: Cookie) {
        self.regs.clear_erq();
        self.stopping = true;
        self.stats.stops_requested += 1;
    }

    fn stop_confirmed(&mut self) -> bool {
        if !self.stopping {
            return true;
        }
        let confirmed = !self.regs.erq() && {
            let a = self.regs.snapshot();
            let b = self.regs.snapshot();
            !a.active() && !b.active() && a == b
        };
        if !confirmed {
            self.stats.stop_polls_not_yet += 1;
            return false;
        }
        self.regs.clear_int();
        self.regs.clear_err();
        self.regs.clear_done();
        self.regs.disarm();
        self.run = None;
        self.stopping = false;
        self.stats.stops_confirmed += 1;
        true
    }

    fn progress(&mut self, cookie: Cookie, _desc: &TransferDesc) -> Progress {
        if self.stopping {
            return Progress::default();
        }
        let Some(mut run) = self.run.filter(|r| r.cookie == cookie) else {
            return Progress::default();
        };
        if self.regs.err() {
            self.stats.errors += 1;
            self.stats.last_error_status = self.regs.error_status();
            // An eDMA error does not disable the channel.
            self.regs.clear_erq();
            self.regs.clear_err();
            self.regs.clear_int();
            self.run = None;
            return Progress {
                error: true,
                ..Progress::default()
            };
        }
        // Order matters: INT first, then the position, then CINT (see the module docs).
        let int = self.regs.int();
        let progress = if run.cyclic {
            let snap = self.stable_snapshot();
            self.regs.clear_int();
            match self.current_index(&run, snap.dlast_sga) {
                Some(cur) => {
                    let mut periods = (cur + run.count - run.last_index) % run.count;
                    if int && periods == 0 {
                        // INT came after the last read of the position, and the position
                        // is where it was: the ring went round once.
                        periods = run.count;
                    }
                    run.last_index = cur;
                    Progress {
                        periods: periods as u32,
                        ..Progress::default()
                    }
                }
                None => Progress::default(),
            }
        } else if int {
            self.regs.clear_int();
            Progress {
                complete: true,
                ..Progress::default()
            }
        } else {
            Progress::default()
        };
        if progress.complete {
            self.run = None;
        } else {
            self.run = Some(run);
        }
        progress
    }

    fn residue(&self, cookie: Cookie, desc: &TransferDesc) -> usize {
        let Some(run) = self.run.filter(|r| r.cookie == cookie) else {
            return desc.total_len();
        };
        if !run.cyclic && !run.paused && !self.regs.erq() && !self.stopping {
            // DREQ cleared ERQ: the last TCD completed.
            return 0;
        }
        let snap = self.stable_snapshot();
        let Some(cur) = self.current_index(&run, snap.dlast_sga) else {
            return desc.total_len();
        };
        let p = run.pieces[cur];
        let in_current = usize::from(snap.citer) * p.nbytes as usize;
        let later: usize = run.pieces[cur + 1..run.count].iter().map(|p| p.len).sum();
        (in_current.min(p.len)) + later
    }

    fn pause(&mut self, cookie: Cookie) -> Result<(), Error> {
        match self.run.as_mut().filter(|r| r.cookie == cookie) {
            Some(run) if !self.stopping => {
                self.regs.clear_erq();
                run.paused = true;
                Ok(())
            }
            _ => Err(Error::NotRunning),
        }
    }

    fn resume(&mut self, cookie: Cookie) -> Result<(), Error> {
        match self.run.as_mut().filter(|r| r.cookie == cookie && r.paused) {
            Some(run) if !self.stopping => {
                run.paused = false;
                fence(Ordering::SeqCst);
                self.regs.set_erq();
                Ok(())
            }
            _ => Err(Error::NotPaused),
        }
    }
}
