//! Synchronous Serial Interface (SSI) in I2S mode, fed by SDMA or by the CPU.
//!
//! The driver covers what an I2S stream needs: the SSI as I2S **slave** (the codec
//! drives BCLK and LRCLK, the SabreLite case) or **master** (the SSI divides its root
//! clock down to BCLK), word length, slots per frame, FIFO watermarks, DMA request
//! enables, and the per-direction start and stop sequences.
//!
//! # Register sequences
//!
//! * [`Ssi::configure`]: `SCR = 0` (clearing SSIEN soft-resets the state machine and
//!   the status), `SIER = 0`, `STCR`, `SRCR`, `STCCR`, `SRCCR`, `SFCSR`, then `SCR`
//!   with the mode bits but without SSIEN.
//! * [`Ssi::start_tx`] / [`Ssi::start_rx`] (Linux `fsl_ssi_config_enable` order):
//!   flush the direction's FIFO (`SOR.TX_CLR`/`RX_CLR`), set the FIFO enable in
//!   `STCR`/`SRCR`, then the request enables in `SIER`; for transmit with DMA set
//!   `SSIEN` alone and poll until the DMA has put a word in the TX FIFO (at most
//!   [`TX_PREFILL_POLLS`] reads), so that enabling TE does not underrun at once (an
//!   underrun here slips or swaps the channels); finally set `SSIEN | TE` (or `RE`).
//!   The SDMA channel must therefore already be running when `start_tx` is called.
//! * [`Ssi::stop_tx`] / [`Ssi::stop_rx`]: clear TE (or RE), and SSIEN only if the
//!   other direction is idle; clear the direction's FIFO enable and request enables;
//!   flush its FIFO.
//!
//! # As a stream's audio interface
//!
//! [`Ssi::rx`] and [`Ssi::tx`] give the two directions as [`SsiRx`] and [`SsiTx`],
//! which implement [`pcm_dma::AudioInterface`]: the PCM stream sequences them (the
//! application never calls `start_*`/`stop_*` then), and no call waits:
//!
//! * `prepare`: FIFO enable (`SRCR`/`STCR.FEN0`), request enables in `SIER`, `SSIEN`.
//!   The transmit request is raised at once (empty FIFO) and latched by the SDMA, so
//!   the playback channel fills the FIFO as soon as it starts;
//! * `start` (the run's DMA transfer really runs): `SSIEN | RE` (or `TE`). With
//!   `SYNC_TX_FS` set by [`Ssi::configure`] the first word moves at the next frame sync,
//!   in slot 0. The transmit start does not wait for the FIFO (unlike
//!   [`Ssi::start_tx`], HW-028): the transmit request raised at `prepare` is pending in
//!   the SDMA when the channel starts, so its first burst runs at once (HW-013) and
//!   fills the FIFO within a burst time, before the next frame sync takes the first
//!   word. Should it still underrun, `TUE0` is set and `frame_aligned` reports it;
//! * `stop`: as `stop_rx`/`stop_tx` without the flush; `flush`: `SOR.RX_CLR`/`TX_CLR`
//!   pulsed and the direction's error flag (`ROE0`/`TUE0`, write-1-to-clear) cleared;
//! * `frame_aligned`: the error flag is clear (an overrun drops a word, an underrun
//!   sends one twice: either swaps the channels until the next restart).
//!
//! # Values
//!
//! With [`Config::SABRELITE`] (slave, 16-bit, 2 slots, watermark 8) the registers get
//! the Linux values: `SCR = 0x1058` (+ SSIEN/TE/RE when running), `STCR = SRCR = 0x20D`,
//! `STCCR = 0x0004E100`, `SFCSR = 0x00880088`; running TX with DMA adds
//! `SIER = 0x00100001`, RX adds `0x00400004`. Facts:
//! `docs/hardware-facts.md#ssi`. QEMU has no SSI model (reads 0), so the
//! TX prefill wait always runs out there and [`TxStart::prefilled`] is `false`.
//!
//! For DMA, [`Instance::tx_fifo_address`] (STX0) and [`Instance::rx_fifo_address`]
//! (SRX0) are the peripheral addresses, and [`Instance::events`] the SDMA events.
//! Each FIFO holds [`FIFO_DEPTH`] 32-bit words; samples are LSB-aligned (TXBIT0).

use pcm_dma::AudioInterface;

use crate::ccm::{gates, Gate};
use crate::events::{self, EventPair};
use crate::mmio::Mmio;
use crate::soc::imx6q::memory_map;

/// Depth of each SSI FIFO in words (HW-027).
pub const FIFO_DEPTH: u8 = 15;

/// Maximum number of `SFCSR` reads [`Ssi::start_tx`] spends waiting for the DMA to put
/// the first word into the TX FIFO (Linux uses 100). The prefill before TE: HW-028.
pub const TX_PREFILL_POLLS: u32 = 100;

/// Register offsets.
pub mod reg {
    /// Transmit data register 0 (TX FIFO 0).
    pub const STX0: usize = 0x00;
    /// Transmit data register 1 (TX FIFO 1).
    pub const STX1: usize = 0x04;
    /// Receive data register 0 (RX FIFO 0).
    pub const SRX0: usize = 0x08;
    /// Receive data register 1 (RX FIFO 1).
    pub const SRX1: usize = 0x0C;
    /// Control register.
    pub const SCR: usize = 0x10;
    /// Interrupt status register (error bits are write-1-to-clear).
    pub const SISR: usize = 0x14;
    /// Interrupt and DMA request enable register.
    pub const SIER: usize = 0x18;
    /// Transmit configuration register.
    pub const STCR: usize = 0x1C;
    /// Receive configuration register.
    pub const SRCR: usize = 0x20;
    /// Transmit clock control register (also used by RX in synchronous mode).
    pub const STCCR: usize = 0x24;
    /// Receive clock control register.
    pub const SRCCR: usize = 0x28;
    /// FIFO control and status register.
    pub const SFCSR: usize = 0x2C;
    /// Option register (FIFO clears).
    pub const SOR: usize = 0x34;
}

/// `SCR` bits.
pub mod scr {
    /// SSI enable; clearing it resets the state machine and status.
    pub const SSIEN: u32 = 1 << 0;
    /// Transmit enable.
    pub const TE: u32 = 1 << 1;
    /// Receive enable.
    pub const RE: u32 = 1 << 2;
    /// Network mode (several slots per frame).
    pub const NET: u32 = 1 << 3;
    /// Synchronous mode: RX uses the TX clock and frame sync.
    pub const SYN: u32 = 1 << 4;
    /// I2S mode field: master.
    pub const I2S_MASTER: u32 = 1 << 5;
    /// I2S mode field: slave.
    pub const I2S_SLAVE: u32 = 2 << 5;
    /// System clock (MCLK) output enable.
    pub const SYS_CLK_EN: u32 = 1 << 7;
    /// Transmit frame sync starts with the first frame after enable.
    pub const SYNC_TX_FS: u32 = 1 << 12;
}

/// `SIER`/`SISR` bits (same positions).
pub mod sier {
    /// TX FIFO 0 empty (request when at or below the watermark).
    pub const TFE0: u32 = 1 << 0;
    /// RX FIFO 0 full (request when at or above the watermark).
    pub const RFF0: u32 = 1 << 2;
    /// TX underrun on FIFO 0.
    pub const TUE0: u32 = 1 << 8;
    /// RX overrun on FIFO 0.
    pub const ROE0: u32 = 1 << 10;
    /// Transmit interrupt enable (SIER only).
    pub const TIE: u32 = 1 << 19;
    /// Transmit DMA request enable (SIER only).
    pub const TDMAE: u32 = 1 << 20;
    /// Receive interrupt enable (SIER only).
    pub const RIE: u32 = 1 << 21;
    /// Receive DMA request enable (SIER only).
    pub const RDMAE: u32 = 1 << 22;
}

/// `STCR`/`SRCR` bits (same positions).
pub mod xcr {
    /// Frame sync one bit early.
    pub const EFS: u32 = 1 << 0;
    /// Frame sync one bit long.
    pub const FSL: u32 = 1 << 1;
    /// Frame sync active low.
    pub const FSI: u32 = 1 << 2;
    /// Clock polarity: data changes on the falling edge, sampled on the rising edge.
    pub const SCKP: u32 = 1 << 3;
    /// Bit clock is an output.
    pub const XDIR: u32 = 1 << 5;
    /// Frame sync is an output.
    pub const FDIR: u32 = 1 << 6;
    /// FIFO 0 enable.
    pub const FEN0: u32 = 1 << 7;
    /// Data is LSB-aligned in the 32-bit FIFO word.
    pub const XBIT0: u32 = 1 << 9;
}

/// `STCCR`/`SRCCR` fields.
pub mod xccr {
    /// Prescaler modulus `PM` `[7:0]` = prescale - 1.
    pub const PM_MASK: u32 = 0xFF;
    /// Frame rate divider `DC` `[12:8]` = words per frame - 1.
    pub const DC_SHIFT: u32 = 8;
    /// Word length `WL` `[16:13]` = bits / 2 - 1.
    pub const WL_SHIFT: u32 = 13;
    /// Prescaler range: divide by 8.
    pub const PSR: u32 = 1 << 17;
    /// Divide by 2.
    pub const DIV2: u32 = 1 << 18;
}

/// `SOR` bits.
pub mod sor {
    /// Flush the TX FIFO.
    pub const TX_CLR: u32 = 1 << 4;
    /// Flush the RX FIFO.
    pub const RX_CLR: u32 = 1 << 5;
}

/// One SSI instance: addresses, DMA events, clock gate and interrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance {
    /// Register base address.
    pub base: usize,
    /// SDMA events of FIFO 0.
    pub events: EventPair,
    /// Clock gate (ipg and root).
    pub gate: Gate,
    /// GIC interrupt ID.
    pub irq: u32,
}

impl Instance {
    /// Bus address of STX0, the peripheral address of a memory-to-SSI DMA channel.
    pub const fn tx_fifo_address(&self) -> u32 {
        (self.base + reg::STX0) as u32
    }
    /// Bus address of SRX0, the peripheral address of an SSI-to-memory DMA channel.
    pub const fn rx_fifo_address(&self) -> u32 {
        (self.base + reg::SRX0) as u32
    }
}

/// SSI1 (used by the SabreLite audio path).
pub const SSI1: Instance = Instance {
    base: memory_map::SSI1,
    events: events::SSI1,
    gate: gates::SSI1,
    irq: memory_map::irq::SSI1,
};
/// SSI2.
pub const SSI2: Instance = Instance {
    base: memory_map::SSI2,
    events: events::SSI2,
    gate: gates::SSI2,
    irq: memory_map::irq::SSI2,
};
/// SSI3.
pub const SSI3: Instance = Instance {
    base: memory_map::SSI3,
    events: events::SSI3,
    gate: gates::SSI3,
    irq: memory_map::irq::SSI3,
};

/// FIFO 0 of one SSI direction as a DMA endpoint
/// ([`FifoEndpoint`](sdma_core::dmaengine::FifoEndpoint)): the data register (SRX0 or
/// STX0), the SDMA event, 32-bit accesses and the watermark. Only the constants below
/// ([`SSI1_RX`] ... [`SSI3_TX`]) exist, so a DMA configured from one is aimed at that
/// SSI's FIFO and nowhere else.
///
/// ```
/// use imx6_bsp::ssi::SSI1_RX;
/// use sdma_core::dmaengine::{BusWidth, Direction, SlaveConfig};
///
/// let config = SlaveConfig::for_endpoint(&SSI1_RX, BusWidth::Bits16);
/// assert_eq!(config.peripheral_addr.bus(), 0x0202_8008);
/// assert_eq!(config.event.map(|e| e.number()), Some(37));
/// assert_eq!((config.direction, config.burst), (Direction::DevToMem, 8));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SsiFifo {
    instance: Instance,
    receive: bool,
    watermark: u8,
}

impl SsiFifo {
    const fn of(instance: Instance, receive: bool) -> Self {
        SsiFifo {
            instance,
            receive,
            watermark: Config::SABRELITE.rx_watermark,
        }
    }

    /// The same FIFO with another watermark (words per DMA request, clamped to
    /// 1..=[`FIFO_DEPTH`]); keep it equal to the watermark [`Ssi::configure`] programs.
    pub const fn with_watermark(mut self, watermark: u8) -> Self {
        self.watermark = if watermark == 0 {
            1
        } else if watermark > FIFO_DEPTH {
            FIFO_DEPTH
        } else {
            watermark
        };
        self
    }

    /// The SSI this FIFO belongs to.
    pub const fn instance(&self) -> &Instance {
        &self.instance
    }
}

// SAFETY: `SsiFifo` values exist only as the constants below (private fields), each the
// SRX0 or STX0 data register of an i.MX6 SSI (HW-027): a DMA read of SRX0 pops a received
// word and a write to STX0 pushes one, with no other effect, for 8-, 16- or 32-bit
// accesses. The values are constants.
unsafe impl sdma_core::dmaengine::FifoEndpoint for SsiFifo {
    fn bus_address(&self) -> u32 {
        if self.receive {
            self.instance.rx_fifo_address()
        } else {
            self.instance.tx_fifo_address()
        }
    }
    fn request(&self) -> Option<sdma_core::dmaengine::RequestLine> {
        Some(if self.receive {
            self.instance.events.rx
        } else {
            self.instance.events.tx
        })
    }
    fn direction(&self) -> sdma_core::dmaengine::Direction {
        if self.receive {
            sdma_core::dmaengine::Direction::DevToMem
        } else {
            sdma_core::dmaengine::Direction::MemToDev
        }
    }
    fn access_width(&self) -> sdma_core::dmaengine::BusWidth {
        sdma_core::dmaengine::BusWidth::Bits32
    }
    fn watermark(&self) -> u16 {
        u16::from(self.watermark)
    }
}

/// SSI1 receive FIFO 0 (SRX0, event 37).
pub const SSI1_RX: SsiFifo = SsiFifo::of(SSI1, true);
/// SSI1 transmit FIFO 0 (STX0, event 38).
pub const SSI1_TX: SsiFifo = SsiFifo::of(SSI1, false);
/// SSI2 receive FIFO 0 (event 41).
pub const SSI2_RX: SsiFifo = SsiFifo::of(SSI2, true);
/// SSI2 transmit FIFO 0 (event 42).
pub const SSI2_TX: SsiFifo = SsiFifo::of(SSI2, false);
/// SSI3 receive FIFO 0 (event 45).
pub const SSI3_RX: SsiFifo = SsiFifo::of(SSI3, true);
/// SSI3 transmit FIFO 0 (event 46).
pub const SSI3_TX: SsiFifo = SsiFifo::of(SSI3, false);

/// Bit-clock prescaler of an SSI master: `BCLK = root / (2 * div2 * psr * (pm + 1))`
/// with `div2` ∈ {1, 2} and `psr` ∈ {1, 8}.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prescaler {
    /// `PM` field (prescale - 1), 0..=255.
    pub pm: u8,
    /// `PSR`: extra divide by 8.
    pub psr: bool,
    /// `DIV2`: extra divide by 2.
    pub div2: bool,
}

impl Prescaler {
    /// Total division from the root clock to BCLK.
    pub const fn ratio(self) -> u32 {
        2 * (if self.div2 { 2 } else { 1 }) * (if self.psr { 8 } else { 1 }) * (self.pm as u32 + 1)
    }

    /// Finds a prescaler giving exactly `bclk_hz` from `root_hz`, preferring the
    /// smallest fixed dividers (finest `PM`).
    pub const fn for_bit_clock(root_hz: u32, bclk_hz: u32) -> Result<Self, SsiError> {
        // In 64 bits: twice a bit clock above 2^31 Hz must not overflow.
        let frame_half = 2 * bclk_hz as u64;
        if bclk_hz == 0 || root_hz == 0 || root_hz as u64 % frame_half != 0 {
            return Err(SsiError::NoExactPrescaler { root_hz, bclk_hz });
        }
        let n = (root_hz as u64 / frame_half) as u32;
        // (div2, psr) in order of increasing fixed division.
        let options = [(false, false), (true, false), (false, true), (true, true)];
        let mut i = 0;
        while i < options.len() {
            let (div2, psr) = options[i];
            let fixed = (if div2 { 2 } else { 1 }) * (if psr { 8 } else { 1 });
            if n % fixed == 0 && n / fixed >= 1 && n / fixed <= 256 {
                return Ok(Prescaler {
                    pm: (n / fixed - 1) as u8,
                    psr,
                    div2,
                });
            }
            i += 1;
        }
        Err(SsiError::NoExactPrescaler { root_hz, bclk_hz })
    }

    const fn bits(self) -> u32 {
        let mut v = self.pm as u32;
        if self.psr {
            v |= xccr::PSR;
        }
        if self.div2 {
            v |= xccr::DIV2;
        }
        v
    }
}

/// Who drives the I2S bit clock and frame sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The codec drives BCLK and LRCLK (SabreLite). The prescaler is unused.
    Slave,
    /// The SSI drives them, dividing its root clock by the prescaler. The caller must
    /// make sure `BCLK <= ipg / 5` (see [`bit_clock_within_limit`]).
    Master(Prescaler),
}

/// Bits per sample on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordLength {
    /// 16 bits (`WL` = 7).
    Bits16,
    /// 20 bits (`WL` = 9).
    Bits20,
    /// 24 bits (`WL` = 11).
    Bits24,
}

impl WordLength {
    /// Number of bits.
    pub const fn bits(self) -> u32 {
        match self {
            WordLength::Bits16 => 16,
            WordLength::Bits20 => 20,
            WordLength::Bits24 => 24,
        }
    }
    const fn field(self) -> u32 {
        self.bits() / 2 - 1
    }
}

/// Stream configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Clock role.
    pub role: Role,
    /// Word length (keep it equal to the codec's slot width).
    pub word_length: WordLength,
    /// Words (slots) per frame; 2 for stereo I2S.
    pub slots: u8,
    /// TX FIFO watermark, 1..=15: a request is raised when the TX FIFO has about this
    /// many free words ("about": the exact comparison is HW-025).
    pub tx_watermark: u8,
    /// RX FIFO watermark, 1..=15: a request is raised when the RX FIFO holds about
    /// this many words.
    pub rx_watermark: u8,
}

impl Config {
    /// SabreLite: SSI slave, 16-bit stereo, watermark 8 (the Linux values).
    pub const SABRELITE: Config = Config {
        role: Role::Slave,
        word_length: WordLength::Bits16,
        slots: 2,
        tx_watermark: 8,
        rx_watermark: 8,
    };

    /// The register values this configuration produces (without the run-time enables).
    pub const fn registers(&self) -> Result<Registers, SsiError> {
        if self.slots == 0 || self.slots > 32 {
            return Err(SsiError::InvalidSlots(self.slots));
        }
        if self.tx_watermark == 0 || self.tx_watermark > FIFO_DEPTH {
            return Err(SsiError::InvalidWatermark(self.tx_watermark));
        }
        if self.rx_watermark == 0 || self.rx_watermark > FIFO_DEPTH {
            return Err(SsiError::InvalidWatermark(self.rx_watermark));
        }
        // I2S: data changes on the falling edge, frame sync active low and one bit
        // early, samples LSB-aligned in the FIFO word.
        let mut xcr_bits = xcr::XBIT0 | xcr::SCKP | xcr::FSI | xcr::EFS;
        let mut scr_bits = scr::SYNC_TX_FS | scr::NET | scr::SYN;
        let prescale = match self.role {
            Role::Slave => {
                scr_bits |= scr::I2S_SLAVE;
                // Unused in slave mode; keep the reset value (DIV2), as Linux does.
                xccr::DIV2
            }
            Role::Master(p) => {
                scr_bits |= scr::I2S_MASTER;
                xcr_bits |= xcr::XDIR | xcr::FDIR;
                p.bits()
            }
        };
        let ccr = prescale
            | ((self.slots as u32 - 1) << xccr::DC_SHIFT)
            | (self.word_length.field() << xccr::WL_SHIFT);
        let wm = (self.tx_watermark as u32) | ((self.rx_watermark as u32) << 4);
        Ok(Registers {
            scr: scr_bits,
            stcr: xcr_bits,
            srcr: xcr_bits,
            stccr: ccr,
            srccr: ccr,
            sfcsr: wm | (wm << 16),
        })
    }
}

/// Register values of a configuration (run-time enable bits excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registers {
    /// `SCR` without SSIEN/TE/RE.
    pub scr: u32,
    /// `STCR` without TFEN0.
    pub stcr: u32,
    /// `SRCR` without RFEN0.
    pub srcr: u32,
    /// `STCCR`.
    pub stccr: u32,
    /// `SRCCR` (written although synchronous mode uses `STCCR` for both directions, so
    /// that switching to asynchronous mode later stays consistent).
    pub srccr: u32,
    /// `SFCSR` (both FIFO copies get the same watermarks).
    pub sfcsr: u32,
}

/// Whether an SSI master's bit clock respects the `BCLK <= ipg / 5` limit Linux
/// enforces.
pub const fn bit_clock_within_limit(ipg_hz: u32, bclk_hz: u32) -> bool {
    bclk_hz as u64 * 5 <= ipg_hz as u64
}

/// SSI errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsiError {
    /// Slots per frame outside 1..=32.
    InvalidSlots(u8),
    /// FIFO watermark outside 1..=15.
    InvalidWatermark(u8),
    /// No prescaler divides the root clock exactly to the bit clock.
    NoExactPrescaler {
        /// Root clock in Hz.
        root_hz: u32,
        /// Requested bit clock in Hz.
        bclk_hz: u32,
    },
}

/// How a DMA transmit start went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxStart {
    /// The TX FIFO held data before TE was set (always `true` without DMA, since the
    /// CPU is expected to fill it before starting; always `false` on QEMU).
    pub prefilled: bool,
    /// `SFCSR` reads spent waiting for the prefill.
    pub polls: u32,
}

/// Sticky error flags of FIFO 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Errors {
    /// The transmitter needed a word and the TX FIFO was empty.
    pub tx_underrun: bool,
    /// A word arrived and the RX FIFO was full.
    pub rx_overrun: bool,
}

/// The SSI driver.
#[derive(Debug)]
pub struct Ssi<M: Mmio> {
    regs: M,
}

impl<M: Mmio> Ssi<M> {
    /// Wraps an SSI register block.
    pub const fn new(regs: M) -> Self {
        Self { regs }
    }

    /// Gives the register block back.
    pub fn free(self) -> M {
        self.regs
    }

    /// Stops everything and programs a configuration (see the module docs for the
    /// order). The SSI is left disabled; start a direction with
    /// [`start_tx`](Self::start_tx) / [`start_rx`](Self::start_rx).
    pub fn configure(&self, config: &Config) -> Result<Registers, SsiError> {
        let r = config.registers()?;
        self.regs.write32(reg::SCR, 0);
        self.regs.write32(reg::SIER, 0);
        self.regs.write32(reg::STCR, r.stcr);
        self.regs.write32(reg::SRCR, r.srcr);
        self.regs.write32(reg::STCCR, r.stccr);
        self.regs.write32(reg::SRCCR, r.srccr);
        self.regs.write32(reg::SFCSR, r.sfcsr);
        self.regs.write32(reg::SCR, r.scr);
        Ok(r)
    }

    fn pulse_sor(&self, bit: u32) {
        // Linux only sets the bit; clearing it again makes the sequence correct
        // whether the hardware self-clears it or holds the FIFO in reset while set.
        self.regs.modify32(reg::SOR, 0, bit);
        self.regs.modify32(reg::SOR, bit, 0);
    }

    /// Starts transmission. With `dma`, the SDMA channel feeding STX0 must already be
    /// running: the SSI raises the TX request from here on, and TE is only set once
    /// the FIFO holds data (or after [`TX_PREFILL_POLLS`] reads).
    pub fn start_tx(&self, dma: bool) -> TxStart {
        self.pulse_sor(sor::TX_CLR);
        self.regs.modify32(reg::STCR, 0, xcr::FEN0);
        let mut result = TxStart {
            prefilled: true,
            polls: 0,
        };
        if dma {
            self.regs.modify32(reg::SIER, 0, sier::TFE0 | sier::TDMAE);
            self.regs.modify32(reg::SCR, 0, scr::SSIEN);
            result.prefilled = false;
            while result.polls < TX_PREFILL_POLLS {
                result.polls += 1;
                if self.tx_fifo_level() != 0 {
                    result.prefilled = true;
                    break;
                }
            }
        }
        self.regs.modify32(reg::SCR, 0, scr::SSIEN | scr::TE);
        result
    }

    /// Starts reception. With `dma`, the RX request is enabled; the SDMA channel
    /// draining SRX0 should be running before the first watermark's worth of data.
    pub fn start_rx(&self, dma: bool) {
        self.pulse_sor(sor::RX_CLR);
        self.regs.modify32(reg::SRCR, 0, xcr::FEN0);
        if dma {
            self.regs.modify32(reg::SIER, 0, sier::RFF0 | sier::RDMAE);
        }
        self.regs.modify32(reg::SCR, 0, scr::SSIEN | scr::RE);
    }

    /// Stops transmission; the SSI stays enabled if reception is running.
    pub fn stop_tx(&self) {
        let scr_now = self.regs.read32(reg::SCR);
        let mut clear = scr::TE;
        if scr_now & scr::RE == 0 {
            clear |= scr::SSIEN;
        }
        self.regs.write32(reg::SCR, scr_now & !clear);
        self.regs.modify32(reg::STCR, xcr::FEN0, 0);
        self.regs.modify32(reg::SIER, sier::TFE0 | sier::TDMAE, 0);
        self.pulse_sor(sor::TX_CLR);
    }

    /// Stops reception; the SSI stays enabled if transmission is running.
    pub fn stop_rx(&self) {
        let scr_now = self.regs.read32(reg::SCR);
        let mut clear = scr::RE;
        if scr_now & scr::TE == 0 {
            clear |= scr::SSIEN;
        }
        self.regs.write32(reg::SCR, scr_now & !clear);
        self.regs.modify32(reg::SRCR, xcr::FEN0, 0);
        self.regs.modify32(reg::SIER, sier::RFF0 | sier::RDMAE, 0);
        self.pulse_sor(sor::RX_CLR);
    }

    /// Words currently in TX FIFO 0 (`SFCSR.TFCNT0`).
    pub fn tx_fifo_level(&self) -> u8 {
        ((self.regs.read32(reg::SFCSR) >> 8) & 0xF) as u8
    }

    /// Words currently in RX FIFO 0 (`SFCSR.RFCNT0`).
    pub fn rx_fifo_level(&self) -> u8 {
        ((self.regs.read32(reg::SFCSR) >> 12) & 0xF) as u8
    }

    /// Pushes one word into TX FIFO 0 (CPU-driven transfers).
    pub fn write_word(&self, word: u32) {
        self.regs.write32(reg::STX0, word);
    }

    /// Pops one word from RX FIFO 0 (CPU-driven transfers).
    pub fn read_word(&self) -> u32 {
        self.regs.read32(reg::SRX0)
    }

    /// The receive direction as a stream's audio interface (see the module docs).
    pub fn rx(&self) -> SsiRx<&M> {
        SsiRx { regs: &self.regs }
    }

    /// The transmit direction as a stream's audio interface (see the module docs).
    pub fn tx(&self) -> SsiTx<&M> {
        SsiTx { regs: &self.regs }
    }

    /// Reads the underrun/overrun flags and clears the ones that were set
    /// (write-1-to-clear on i.MX6).
    pub fn take_errors(&self) -> Errors {
        let status = self.regs.read32(reg::SISR);
        let set = status & (sier::TUE0 | sier::ROE0);
        if set != 0 {
            self.regs.write32(reg::SISR, set);
        }
        Errors {
            tx_underrun: set & sier::TUE0 != 0,
            rx_overrun: set & sier::ROE0 != 0,
        }
    }
}

/// Clears the direction bit `enable` (TE or RE) of `SCR`, and `SSIEN` too when the other
/// direction (`other`) is off, in one write.
fn disable_direction(regs: &impl Mmio, enable: u32, other: u32) {
    let scr_now = regs.read32(reg::SCR);
    let mut clear = enable;
    if scr_now & other == 0 {
        clear |= scr::SSIEN;
    }
    regs.write32(reg::SCR, scr_now & !clear);
}

/// Pulses a `SOR` FIFO clear bit (see [`Ssi::start_tx`] for why it is cleared again).
fn pulse_sor(regs: &impl Mmio, bit: u32) {
    regs.modify32(reg::SOR, 0, bit);
    regs.modify32(reg::SOR, bit, 0);
}

/// The receive direction of an SSI, driven by a capture stream as its audio interface
/// (module docs, "As a stream's audio interface"). `M` is usually `&MmioBlock`; both
/// halves of one SSI share `SCR`, so use them from one context at a time (the stream's
/// lock).
#[derive(Debug)]
pub struct SsiRx<M: Mmio> {
    regs: M,
}

/// The transmit direction of an SSI, driven by a playback stream (see [`SsiRx`]).
#[derive(Debug)]
pub struct SsiTx<M: Mmio> {
    regs: M,
}

impl<M: Mmio> SsiRx<M> {
    /// The receive half of the SSI whose registers are `regs` (configured with
    /// [`Ssi::configure`]).
    pub const fn new(regs: M) -> Self {
        SsiRx { regs }
    }
}

impl<M: Mmio> SsiTx<M> {
    /// The transmit half of the SSI whose registers are `regs` (configured with
    /// [`Ssi::configure`]).
    pub const fn new(regs: M) -> Self {
        SsiTx { regs }
    }
}

impl<M: Mmio> AudioInterface for SsiRx<M> {
    fn prepare(&mut self) {
        self.regs.modify32(reg::SRCR, 0, xcr::FEN0);
        self.regs.modify32(reg::SIER, 0, sier::RFF0 | sier::RDMAE);
        self.regs.modify32(reg::SCR, 0, scr::SSIEN);
    }

    fn start(&mut self) {
        self.regs.modify32(reg::SCR, 0, scr::SSIEN | scr::RE);
    }

    fn stop(&mut self) {
        disable_direction(&self.regs, scr::RE, scr::TE);
        self.regs.modify32(reg::SIER, sier::RFF0 | sier::RDMAE, 0);
        self.regs.modify32(reg::SRCR, xcr::FEN0, 0);
    }

    fn flush(&mut self) {
        pulse_sor(&self.regs, sor::RX_CLR);
        self.regs.write32(reg::SISR, sier::ROE0);
    }

    fn frame_aligned(&mut self) -> bool {
        self.regs.read32(reg::SISR) & sier::ROE0 == 0
    }

    fn fifo_words(&self) -> u32 {
        u32::from(FIFO_DEPTH)
    }
}

impl<M: Mmio> AudioInterface for SsiTx<M> {
    fn prepare(&mut self) {
        self.regs.modify32(reg::STCR, 0, xcr::FEN0);
        self.regs.modify32(reg::SIER, 0, sier::TFE0 | sier::TDMAE);
        self.regs.modify32(reg::SCR, 0, scr::SSIEN);
    }

    fn start(&mut self) {
        self.regs.modify32(reg::SCR, 0, scr::SSIEN | scr::TE);
    }

    fn stop(&mut self) {
        disable_direction(&self.regs, scr::TE, scr::RE);
        self.regs.modify32(reg::SIER, sier::TFE0 | sier::TDMAE, 0);
        self.regs.modify32(reg::STCR, xcr::FEN0, 0);
    }

    fn flush(&mut self) {
        pulse_sor(&self.regs, sor::TX_CLR);
        self.regs.write32(reg::SISR, sier::TUE0);
    }

    fn frame_aligned(&mut self) -> bool {
        self.regs.read32(reg::SISR) & sier::TUE0 == 0
    }

    fn fifo_words(&self) -> u32 {
        u32::from(FIFO_DEPTH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sabrelite_registers_match_linux() {
        let r = Config::SABRELITE.registers().expect("valid");
        assert_eq!(r.scr, 0x1058);
        assert_eq!(r.stcr, 0x20D);
        assert_eq!(r.srcr, 0x20D);
        assert_eq!(r.stccr, 0x0004_E100);
        assert_eq!(r.sfcsr, 0x0088_0088);
    }

    #[test]
    fn fifo_addresses_and_events() {
        assert_eq!(SSI1.tx_fifo_address(), 0x0202_8000);
        assert_eq!(SSI1.rx_fifo_address(), 0x0202_8008);
        assert_eq!(SSI2.rx_fifo_address(), 0x0202_C008);
        assert_eq!(SSI1.events, EventPair::new(37, 38));
        assert_eq!(SSI1.irq, 78);
    }

    #[test]
    fn master_mode_sets_clock_outputs() {
        let p = Prescaler::for_bit_clock(24_576_000, 1_536_000).expect("exact");
        assert_eq!(p.ratio(), 16);
        let cfg = Config {
            role: Role::Master(p),
            ..Config::SABRELITE
        };
        let r = cfg.registers().expect("valid");
        assert_eq!(r.scr, 0x1038);
        assert_eq!(r.stcr, 0x26D);
        assert_eq!(r.stccr & 0xFF, 7);
        assert_eq!(r.stccr & (xccr::DIV2 | xccr::PSR), 0);
    }

    #[test]
    fn prescaler_search_is_exact_and_minimal() {
        // 48 kHz * 32 bits = 1.536 MHz from a few roots.
        for root in [24_576_000u32, 49_152_000, 98_304_000, 786_432_000] {
            let p = Prescaler::for_bit_clock(root, 1_536_000).expect("exact");
            assert_eq!(root / p.ratio(), 1_536_000, "root {root}");
        }
        // 786.432 MHz / 1.536 MHz = 512 = 2 * 256: needs DIV2 (n = 256 fits PM alone).
        let p = Prescaler::for_bit_clock(786_432_000, 1_536_000).expect("exact");
        assert_eq!((p.pm, p.div2, p.psr), (255, false, false));
        let p = Prescaler::for_bit_clock(786_432_000 * 2, 1_536_000).expect("exact");
        assert_eq!((p.pm, p.div2, p.psr), (255, true, false));
        assert!(Prescaler::for_bit_clock(24_000_000, 1_536_000).is_err());
        assert!(Prescaler::for_bit_clock(24_576_000, 0).is_err());
        // Twice a bit clock above 2^31 Hz does not overflow.
        assert!(Prescaler::for_bit_clock(u32::MAX, 0x8000_0000).is_err());
        assert!(bit_clock_within_limit(66_000_000, 1_536_000));
        assert!(!bit_clock_within_limit(66_000_000, 14_000_000));
    }

    #[test]
    fn invalid_configs_are_rejected() {
        let mut c = Config::SABRELITE;
        c.tx_watermark = 0;
        assert_eq!(c.registers(), Err(SsiError::InvalidWatermark(0)));
        c.tx_watermark = 16;
        assert_eq!(c.registers(), Err(SsiError::InvalidWatermark(16)));
        let mut c = Config::SABRELITE;
        c.slots = 0;
        assert_eq!(c.registers(), Err(SsiError::InvalidSlots(0)));
    }
}
