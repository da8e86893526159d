//! Synchronous Audio Interface (SAI) in I2S mode, fed by SDMA (i.MX6UL/ULL: SAI1-3).
//!
//! The driver covers what an I2S stream needs: the SAI as I2S **slave** (the codec
//! drives BCLK and LRCLK, the i.MX6ULL EVK case) or **master** (the SAI divides its
//! MCLK down to BCLK and drives the frame sync), word and slot width, slots per frame,
//! FIFO watermarks, DMA request enables, the safe enable and disable orders, FIFO
//! reset, and the error flags. The receiver runs synchronous to the transmitter (it
//! uses the transmitter's bit clock and frame sync, as on the EVK where one LRCLK
//! serves both directions).
//!
//! # One register block, two directions
//!
//! The receiver's registers are the transmitter's plus `0x80` (`TCSR` 0x00 / `RCSR`
//! 0x80, `TCR1..5` 0x04-0x14 / `RCR1..5` 0x84-0x94, `TDR0` 0x20 / `RDR0` 0xA0, `TMR`
//! 0x60 / `RMR` 0xE0): [`Direction`] carries that offset, so each sequence is written
//! once. `xCSR` holds the enables and three write-1-to-clear flags (`WSF`, `SEF`,
//! `FEF`): every read-modify-write of `xCSR` here masks the flags out of the value it
//! writes back ([`csr::W1C`]), so that enabling something never clears an error the
//! stream has not seen yet.
//!
//! # Register sequences
//!
//! * [`Sai::configure`]: `TCSR = SR`, `RCSR = SR`, `TCSR = 0`, `RCSR = 0` (software
//!   reset of both directions' logic, every enable off); then per direction `xCR1`
//!   (watermark), `xCR2` (sync mode, bit clock polarity/direction/divider), `xCR3`
//!   (channel 0 enabled), `xCR4` (frame size, sync width, MSB first, early and active
//!   low frame sync, its direction), `xCR5` (word widths, first bit), `xMR = 0` (no
//!   slot masked). Nothing is enabled.
//! * Prepare a direction ([`SaiTx::prepare`] / [`SaiRx::prepare`]): `FR` (FIFO reset)
//!   with the error flags cleared, then `FRDE` (DMA request at the watermark). The
//!   transmit request is raised at once (empty FIFO), so a playback DMA fills the
//!   FIFO as soon as it runs.
//! * Start ([`SaiTx::start`] / [`SaiRx::start`], the run's DMA transfer really runs):
//!   `TE` (`RE`). The receiver is synchronous to the transmitter, whose bit clock and
//!   frame sync it needs: starting the receiver also sets `TE` (as Linux does), and
//!   stopping the receiver clears `TE` only when the transmitter is not in use
//!   (`FRDE` clear).
//! * Stop ([`SaiTx::stop`] / [`SaiRx::stop`]): `FRDE` off, then `TE` (`RE`) off. The
//!   hardware finishes the current frame before `TE` reads 0 (at most one frame,
//!   20.8 µs at 48 kHz); nothing waits for it here.
//! * Flush ([`SaiTx::flush`] / [`SaiRx::flush`]): the error flags cleared, and `FR`
//!   if the direction already reads disabled. A FIFO reset while the frame ends is not
//!   allowed, so when `TE` still reads 1 the reset happens at the next `prepare`,
//!   before any DMA request: the next run starts on an empty FIFO either way.
//!
//! # As a stream's audio interface
//!
//! [`Sai::tx`] and [`Sai::rx`] give the two directions as [`SaiTx`] and [`SaiRx`],
//! which implement [`pcm_dma::AudioInterface`]: the PCM stream calls `prepare`,
//! `start` (when its DMA transfer really runs), `stop`, `flush` and `frame_aligned`;
//! the application never sequences the SAI itself.
//!
//! # Frame alignment after a restart
//!
//! The SAI starts a direction on a frame sync: once `TE`/`RE` is set, the first word
//! moves in word 0 (slot 0, the left channel in I2S) of the next frame, and after
//! `FR` the FIFO's read and write pointers are equal, so the first word the DMA
//! writes (reads) is that slot-0 word. With `FCONT` clear (its reset value), a FIFO
//! error stops the direction until `FEF` is cleared, and it then restarts at the start
//! of a frame. The SAI has no "swapped channels" state like the SSI's: a restart is
//! aligned if the FIFO is reset before it, which `prepare` guarantees.
//! [`Errors::fifo`] (`FEF`: transmit underrun or receive overrun) is what
//! `frame_aligned` reports: a word was dropped or repeated since the last start.
//!
//! # The SAI family
//!
//! The same block (Freescale "I2S/SAI") is in the i.MX6SX/6UL/6ULL, i.MX7D, i.MX7ULP,
//! i.MX8M Mini/Nano/Plus and the i.MX RT. What is common and what differs
//! (`docs/hardware-facts.md#sai`, mostly UNVERIFIED against the manuals):
//!
//! | | i.MX6UL/ULL, i.MX7D | i.MX8M, i.MX7ULP, i.MX RT |
//! |---|---|---|
//! | `VERID`/`PARAM` at 0x00/0x04 | no | yes: every other register is 8 bytes higher (`TCSR` at 0x08) |
//! | `xCSR`, `xCR1..5`, `xDR`, `xFR`, `xMR` bit layout | as here | same bits |
//! | FIFO depth per channel | 32 words | 32 (RT1060), 128 (8M) |
//! | data lines per direction | 1 | up to 4 (8M: `TCE` is a 4-bit field, `TDR0..3`) |
//! | `xCR4.FCONT`, `FPACK`, `FCOMB` | not on 6UL | 8M, RT |
//! | `MCLK` direction | IOMUXC `GPR1` (SAI2: bit 20) | `MCR` in the SAI (RT: `GPR1`) |
//! | DMA | SDMA, scripts `app_2_mcu` / `mcu_2_app` | SDMA (8M), eDMA (RT, 7ULP) |
//!
//! A port to the i.MX8M or the RT changes [`Sai::new`]'s base by 8 and the FIFO depth;
//! the sequences stay.
//!
//! # Values
//!
//! With [`Config::EVK`] (slave, 16-bit words in 16-bit slots, 2 slots, burst 8) the
//! registers get `TCR1 = 24`, `RCR1 = 7` (request levels: HW-034), `TCR2 = 0x0200_0000` (BCP), `RCR2 =
//! 0x4200_0000` (sync to TX, BCP), `xCR3 = 0x0001_0000`, `xCR4 = 0x0001_0F1A` (FRSZ 1,
//! SYWD 15, MF, FSE, FSP), `xCR5 = 0x0F0F_0F00` (WNW 15, W0W 15, FBT 15). QEMU 7.2 does
//! not implement the SAIs (reads 0, writes dropped).
//!
//! Timing: every method is a bounded number of register accesses; nothing waits.

use crate::mmio::Mmio;

/// Words each FIFO holds (i.MX6UL/ULL SAI; `docs/hardware-facts.md#sai`).
pub const FIFO_DEPTH: u8 = 32;

/// `TFR0` reads [`Sai::probe_tx_prefill`] spends waiting for a DMA word in the
/// transmit FIFO (as the SSI's prefill bound).
pub const TX_PREFILL_POLLS: u32 = 100;

/// Register offsets of the transmitter; the receiver's are `+ 0x80` ([`Direction`]).
pub mod reg {
    /// Control and status (enables, FIFO reset, software reset, flags, DMA enables).
    pub const XCSR: usize = 0x00;
    /// Configuration 1: FIFO watermark.
    pub const XCR1: usize = 0x04;
    /// Configuration 2: sync mode, bit clock.
    pub const XCR2: usize = 0x08;
    /// Configuration 3: channel enables, word flag.
    pub const XCR3: usize = 0x0C;
    /// Configuration 4: frame size, sync width and polarity, bit order.
    pub const XCR4: usize = 0x10;
    /// Configuration 5: word widths, first bit shifted.
    pub const XCR5: usize = 0x14;
    /// Data register of channel 0 (the FIFO; the DMA's peripheral address).
    pub const XDR0: usize = 0x20;
    /// FIFO pointers of channel 0.
    pub const XFR0: usize = 0x40;
    /// Word mask.
    pub const XMR: usize = 0x60;
    /// Offset of the receiver's block from the transmitter's.
    pub const RX_OFFSET: usize = 0x80;
    /// Transmit control and status.
    pub const TCSR: usize = XCSR;
    /// Receive control and status.
    pub const RCSR: usize = RX_OFFSET + XCSR;
}

/// `TCSR`/`RCSR` bits.
pub mod csr {
    /// Transmitter/receiver enable (`TE`/`RE`); reads 1 until the current frame ends.
    pub const XE: u32 = 1 << 31;
    /// Bit clock enable (master mode only).
    pub const BCE: u32 = 1 << 28;
    /// FIFO reset (write-only, reads 0): read and write pointers to 0.
    pub const FR: u32 = 1 << 25;
    /// Software reset of the direction's logic (not of its configuration).
    pub const SR: u32 = 1 << 24;
    /// Word start flag (write 1 to clear).
    pub const WSF: u32 = 1 << 20;
    /// Sync error flag (write 1 to clear): a frame sync came early.
    pub const SEF: u32 = 1 << 19;
    /// FIFO error flag (write 1 to clear): transmit underrun / receive overrun.
    pub const FEF: u32 = 1 << 18;
    /// FIFO warning flag (read-only): FIFO empty (TX) or full (RX).
    pub const FWF: u32 = 1 << 17;
    /// FIFO request flag (read-only): the watermark is crossed.
    pub const FRF: u32 = 1 << 16;
    /// FIFO error interrupt enable.
    pub const FEIE: u32 = 1 << 10;
    /// FIFO warning DMA enable.
    pub const FWDE: u32 = 1 << 1;
    /// FIFO request DMA enable: a DMA request at the watermark.
    pub const FRDE: u32 = 1 << 0;
    /// The write-1-to-clear flags, masked out of every read-modify-write.
    pub const W1C: u32 = WSF | SEF | FEF;
}

/// `xCR2` fields.
pub mod cr2 {
    /// Synchronous mode: the receiver uses the transmitter's clock and frame sync.
    pub const SYNC_WITH_OTHER: u32 = 1 << 30;
    /// MCLK select shift (2 bits: 0 = bus clock, 1..3 = MCLK 1..3).
    pub const MSEL_SHIFT: u32 = 26;
    /// Bit clock polarity: drive on the falling edge, sample on the rising (I2S).
    pub const BCP: u32 = 1 << 25;
    /// Bit clock direction: generated here (master).
    pub const BCD: u32 = 1 << 24;
    /// Bit clock divider mask: `BCLK = MCLK / ((DIV + 1) * 2)`.
    pub const DIV_MASK: u32 = 0xFF;
}

/// `xCR3` bits.
pub mod cr3 {
    /// Channel 0 (the one data line of the i.MX6UL SAI) enabled.
    pub const CE0: u32 = 1 << 16;
}

/// `xCR4` fields.
pub mod cr4 {
    /// Frame size - 1 (words per frame), shift.
    pub const FRSZ_SHIFT: u32 = 16;
    /// Sync width - 1 (bit clocks), shift.
    pub const SYWD_SHIFT: u32 = 8;
    /// MSB first.
    pub const MF: u32 = 1 << 4;
    /// Frame sync one bit early (I2S: LRCLK changes one BCLK before the MSB).
    pub const FSE: u32 = 1 << 3;
    /// Frame sync active low (I2S: left channel while LRCLK is low).
    pub const FSP: u32 = 1 << 1;
    /// Frame sync direction: generated here (master).
    pub const FSD: u32 = 1 << 0;
}

/// `xCR5` fields.
pub mod cr5 {
    /// Width - 1 of words 1..N, shift.
    pub const WNW_SHIFT: u32 = 24;
    /// Width - 1 of word 0, shift.
    pub const W0W_SHIFT: u32 = 16;
    /// First bit shifted (MSB first: the word width - 1), shift.
    pub const FBT_SHIFT: u32 = 8;
}

/// One direction of the SAI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Transmitter (memory to codec: playback).
    Tx,
    /// Receiver (codec to memory: capture).
    Rx,
}

impl Direction {
    /// Offset of this direction's register block.
    pub const fn offset(self) -> usize {
        match self {
            Direction::Tx => 0,
            Direction::Rx => reg::RX_OFFSET,
        }
    }

    /// The other direction.
    pub const fn other(self) -> Direction {
        match self {
            Direction::Tx => Direction::Rx,
            Direction::Rx => Direction::Tx,
        }
    }
}

/// Who drives the bit clock and the frame sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The codec (I2S slave): the EVK with the WM8960 as master.
    Slave,
    /// The SAI (I2S master): `BCLK = MCLK / ((div + 1) * 2)` from MCLK `mclk`.
    Master {
        /// MCLK select (1..=3; on the i.MX6UL MCLK 1 is the SAI's CCM clock root).
        mclk: u8,
        /// The `DIV` field.
        div: u8,
    },
}

/// An I2S configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Who drives the clocks.
    pub role: Role,
    /// Bits per sample (8..=32), LSB-aligned in each FIFO word.
    pub word_bits: u8,
    /// Bit clocks per slot (`word_bits..=32`).
    pub slot_bits: u8,
    /// Slots per frame (2 for I2S stereo; up to 32).
    pub slots: u8,
    /// Words per DMA request (the SDMA script's burst), 1..=[`FIFO_DEPTH`] - 1: the
    /// transmit request is raised while the FIFO has room for a burst, the receive
    /// request once it holds one.
    pub burst: u8,
}

impl Config {
    /// The i.MX6ULL EVK: SAI2 as I2S slave of the WM8960, 16-bit stereo in 16-bit
    /// slots (BCLK = 32 fs), bursts of 8 words.
    pub const EVK: Config = Config {
        role: Role::Slave,
        word_bits: 16,
        slot_bits: 16,
        slots: 2,
        burst: 8,
    };
}

/// A configuration the SAI cannot take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaiError {
    /// `word_bits` outside 8..=32 or above `slot_bits`, or `slot_bits` above 32.
    Width {
        /// Bits per sample.
        word_bits: u8,
        /// Bits per slot.
        slot_bits: u8,
    },
    /// `slots` outside 1..=32.
    Slots(u8),
    /// `burst` outside 1..FIFO_DEPTH.
    Burst(u8),
    /// MCLK select outside 1..=3.
    MclkSelect(u8),
}

/// The configuration register values of both directions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registers {
    /// `TCR1` (transmit watermark).
    pub tcr1: u32,
    /// `TCR2`.
    pub tcr2: u32,
    /// `RCR1` (receive watermark).
    pub rcr1: u32,
    /// `RCR2`.
    pub rcr2: u32,
    /// `TCR3` = `RCR3`.
    pub cr3: u32,
    /// `TCR4` = `RCR4`.
    pub cr4: u32,
    /// `TCR5` = `RCR5`.
    pub cr5: u32,
}

impl Registers {
    /// The register values for `config`. Pure.
    pub const fn for_config(config: &Config) -> Result<Registers, SaiError> {
        let (w, s) = (config.word_bits, config.slot_bits);
        if w < 8 || w > 32 || s < w || s > 32 {
            return Err(SaiError::Width {
                word_bits: w,
                slot_bits: s,
            });
        }
        if config.slots == 0 || config.slots > 32 {
            return Err(SaiError::Slots(config.slots));
        }
        if config.burst == 0 || config.burst >= FIFO_DEPTH {
            return Err(SaiError::Burst(config.burst));
        }
        let mut tcr2 = cr2::BCP;
        let mut cr4 = ((config.slots as u32 - 1) << cr4::FRSZ_SHIFT)
            | ((s as u32 - 1) << cr4::SYWD_SHIFT)
            | cr4::MF
            | cr4::FSE
            | cr4::FSP;
        if let Role::Master { mclk, div } = config.role {
            if mclk == 0 || mclk > 3 {
                return Err(SaiError::MclkSelect(mclk));
            }
            tcr2 |= cr2::BCD | ((mclk as u32) << cr2::MSEL_SHIFT) | div as u32;
            cr4 |= cr4::FSD;
        }
        let cr5 = ((s as u32 - 1) << cr5::WNW_SHIFT)
            | ((s as u32 - 1) << cr5::W0W_SHIFT)
            | ((w as u32 - 1) << cr5::FBT_SHIFT);
        Ok(Registers {
            // Transmit request while at most `depth - burst` words are queued: room
            // for one burst. Receive request once more than `burst - 1` are held.
            tcr1: (FIFO_DEPTH - config.burst) as u32,
            tcr2,
            rcr1: (config.burst - 1) as u32,
            // The receiver takes the transmitter's clocks, whoever drives them: its
            // own clock direction bits stay clear.
            rcr2: cr2::SYNC_WITH_OTHER | cr2::BCP,
            cr3: cr3::CE0,
            // The receiver's frame-sync direction follows the transmitter's too.
            cr4,
            cr5,
        })
    }
}

/// The error flags of one direction, as read (and cleared) by [`Sai::take_errors`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Errors {
    /// `FEF`: the FIFO under- (TX) or overran (RX): a word was repeated or dropped.
    pub fifo: bool,
    /// `SEF`: a frame sync came before the frame ended.
    pub sync: bool,
}

impl Errors {
    /// The errors of an `xCSR` value. Pure.
    pub const fn from_csr(csr_value: u32) -> Errors {
        Errors {
            fifo: csr_value & csr::FEF != 0,
            sync: csr_value & csr::SEF != 0,
        }
    }

    /// Whether any flag was set.
    pub const fn any(self) -> bool {
        self.fifo || self.sync
    }
}

/// One SAI instance: base address, SDMA events, clock gate, interrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance {
    /// Register base address.
    pub base: usize,
    /// SDMA request numbers (RX, TX).
    pub events: crate::events::EventPair,
    /// Clock gate (bus and MCLK share it).
    pub gate: crate::ccm::Gate,
    /// GIC interrupt ID.
    pub irq: u32,
}

impl Instance {
    /// Bus address of `TDR0`, the peripheral address of a memory-to-SAI DMA channel.
    pub const fn tx_fifo_address(&self) -> u32 {
        (self.base + reg::XDR0) as u32
    }
    /// Bus address of `RDR0`, the peripheral address of a SAI-to-memory DMA channel.
    pub const fn rx_fifo_address(&self) -> u32 {
        (self.base + reg::RX_OFFSET + reg::XDR0) as u32
    }
}

/// SAI2 of the i.MX6UL/ULL (the EVK's codec port).
pub const SAI2: Instance = Instance {
    base: crate::soc::imx6ul::memory_map::SAI2,
    events: crate::soc::imx6ul::events::SAI2,
    gate: crate::soc::imx6ul::gates::SAI2,
    irq: crate::soc::imx6ul::memory_map::irq::SAI2,
};

/// One direction's FIFO data register of a SAI (`RDR0` or `TDR0`) as a DMA endpoint:
/// bus address, SDMA request, access width and watermark (the burst of
/// [`Config::burst`]). The only values are the constants [`SAI2_RX`] and [`SAI2_TX`]
/// (and [`SaiFifo::with_burst`] of them), so safe code cannot aim a DMA elsewhere.
///
/// ```
/// use imx6_bsp::sai::SAI2_RX;
/// use sdma_core::dmaengine::{BusWidth, Direction, SlaveConfig};
///
/// let config = SlaveConfig::for_endpoint(&SAI2_RX, BusWidth::Bits16);
/// assert_eq!(config.peripheral_addr.bus(), 0x0202_C0A0);
/// assert_eq!(config.event.map(|e| e.number()), Some(37));
/// assert_eq!((config.direction, config.burst), (Direction::DevToMem, 8));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaiFifo {
    instance: Instance,
    receive: bool,
    burst: u8,
}

impl SaiFifo {
    const fn of(instance: Instance, receive: bool) -> Self {
        SaiFifo {
            instance,
            receive,
            burst: Config::EVK.burst,
        }
    }

    /// The same FIFO with another burst (words per DMA request, clamped to
    /// 1..[`FIFO_DEPTH`]); keep it equal to the [`Config::burst`] the SAI was
    /// configured with.
    pub const fn with_burst(mut self, burst: u8) -> Self {
        self.burst = if burst == 0 {
            1
        } else if burst >= FIFO_DEPTH {
            FIFO_DEPTH - 1
        } else {
            burst
        };
        self
    }

    /// The SAI this FIFO belongs to.
    pub const fn instance(&self) -> &Instance {
        &self.instance
    }
}

// SAFETY: `SaiFifo` values exist only as the constants below (private fields), each the
// RDR0 or TDR0 data register of an i.MX6UL SAI (`docs/hardware-facts.md#sai`): a DMA
// read of RDR0 pops a received word and a write to TDR0 pushes one, with no other
// effect, for accesses of up to 32 bits. The values are constants.
unsafe impl sdma_core::dmaengine::FifoEndpoint for SaiFifo {
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
        u16::from(self.burst)
    }
}

/// SAI2 receive FIFO (`RDR0`, event 37): the EVK's capture endpoint.
pub const SAI2_RX: SaiFifo = SaiFifo::of(SAI2, true);
/// SAI2 transmit FIFO (`TDR0`, event 38): the EVK's playback endpoint.
pub const SAI2_TX: SaiFifo = SaiFifo::of(SAI2, false);

/// The SAI driver on one register block.
#[derive(Debug)]
pub struct Sai<M: Mmio> {
    regs: M,
}

/// Read-modify-write of a direction's `xCSR` that never clears a flag by accident:
/// the write-1-to-clear flags are masked out of the value written back.
fn update_csr(regs: &impl Mmio, dir: Direction, clear: u32, set: u32) {
    let at = dir.offset() + reg::XCSR;
    let now = regs.read32(at);
    regs.write32(at, (now & !(clear | csr::W1C)) | set);
}

impl<M: Mmio> Sai<M> {
    /// Wraps the SAI register block.
    pub const fn new(regs: M) -> Self {
        Self { regs }
    }

    /// Gives the register block back.
    pub fn free(self) -> M {
        self.regs
    }

    /// Resets both directions and writes `config` (see the module docs); nothing is
    /// enabled afterwards. Returns the register values written.
    pub fn configure(&self, config: &Config) -> Result<Registers, SaiError> {
        let r = Registers::for_config(config)?;
        self.regs.write32(reg::TCSR, csr::SR);
        self.regs.write32(reg::RCSR, csr::SR);
        self.regs.write32(reg::TCSR, 0);
        self.regs.write32(reg::RCSR, 0);
        for (dir, cr1, cr2) in [
            (Direction::Tx, r.tcr1, r.tcr2),
            (Direction::Rx, r.rcr1, r.rcr2),
        ] {
            let o = dir.offset();
            self.regs.write32(o + reg::XCR1, cr1);
            self.regs.write32(o + reg::XCR2, cr2);
            self.regs.write32(o + reg::XCR3, r.cr3);
            self.regs.write32(o + reg::XCR4, r.cr4);
            self.regs.write32(o + reg::XCR5, r.cr5);
            self.regs.write32(o + reg::XMR, 0);
        }
        Ok(r)
    }

    /// Reads the configuration registers back (for a bring-up report).
    pub fn read_registers(&self) -> Registers {
        let rx = reg::RX_OFFSET;
        Registers {
            tcr1: self.regs.read32(reg::XCR1),
            tcr2: self.regs.read32(reg::XCR2),
            rcr1: self.regs.read32(rx + reg::XCR1),
            rcr2: self.regs.read32(rx + reg::XCR2),
            cr3: self.regs.read32(reg::XCR3),
            cr4: self.regs.read32(reg::XCR4),
            cr5: self.regs.read32(reg::XCR5),
        }
    }

    /// Resets `dir`'s FIFO and clears its error flags, then enables its DMA request:
    /// the direction is ready, still disabled (FR only while disabled: HW-036).
    pub fn prepare(&self, dir: Direction) {
        let at = dir.offset() + reg::XCSR;
        let now = self.regs.read32(at) & !csr::W1C;
        self.regs.write32(at, now | csr::FR | csr::W1C);
        update_csr(&self.regs, dir, 0, csr::FRDE);
    }

    /// Enables `dir` (it starts at the next frame sync, in slot 0: HW-038). A receiver
    /// synchronous to the transmitter needs the transmitter running (HW-039): starting
    /// the receiver enables the transmitter too.
    pub fn start(&self, dir: Direction) {
        if dir == Direction::Rx {
            update_csr(&self.regs, Direction::Tx, 0, csr::XE);
        }
        update_csr(&self.regs, dir, 0, csr::XE);
    }

    /// Disables `dir`'s DMA request, then `dir` itself (it ends its frame first: HW-037). The
    /// transmitter keeps running while the receiver uses it (its `FRDE` is set when
    /// the receiver stops, or the receiver is enabled when it stops).
    pub fn stop(&self, dir: Direction) {
        update_csr(&self.regs, dir, csr::FRDE, 0);
        match dir {
            Direction::Rx => {
                update_csr(&self.regs, Direction::Rx, csr::XE, 0);
                // The transmitter ran for the receiver's clocks only if playback is
                // not in use.
                if self.regs.read32(reg::TCSR) & csr::FRDE == 0 {
                    update_csr(&self.regs, Direction::Tx, csr::XE, 0);
                }
            }
            Direction::Tx => {
                if self.regs.read32(reg::RCSR) & csr::XE == 0 {
                    update_csr(&self.regs, Direction::Tx, csr::XE, 0);
                }
            }
        }
    }

    /// Clears `dir`'s error flags and, if `dir` already reads disabled, resets its
    /// FIFO (otherwise [`Sai::prepare`] does it before the next run). Returns the
    /// flags that were set.
    pub fn flush(&self, dir: Direction) -> Errors {
        let at = dir.offset() + reg::XCSR;
        let now = self.regs.read32(at);
        let reset = if now & csr::XE == 0 { csr::FR } else { 0 };
        // Writing the flags back as read clears exactly the ones that were set (HW-035).
        self.regs.write32(at, now | reset);
        Errors::from_csr(now)
    }

    /// Reads `dir`'s error flags and clears the ones that were set (write 1).
    pub fn take_errors(&self, dir: Direction) -> Errors {
        let at = dir.offset() + reg::XCSR;
        let now = self.regs.read32(at);
        if now & csr::W1C != 0 {
            self.regs.write32(at, now);
        }
        Errors::from_csr(now)
    }

    /// `dir`'s error flags, without clearing them.
    pub fn errors(&self, dir: Direction) -> Errors {
        Errors::from_csr(self.regs.read32(dir.offset() + reg::XCSR))
    }

    /// Words in `dir`'s FIFO: write pointer minus read pointer (`xFR0.WFP`, bits
    /// 21:16, and `RFP`, bits 5:0; the pointers carry one bit more than the depth).
    pub fn fifo_level(&self, dir: Direction) -> u32 {
        let fr = self.regs.read32(dir.offset() + reg::XFR0);
        ((fr >> 16) & 0x3F).wrapping_sub(fr & 0x3F) & 0x3F
    }

    /// Prepares the transmitter (FIFO reset, DMA request on) and reads `TFR0` until a
    /// word arrived, at most [`TX_PREFILL_POLLS`] times, then stops and flushes it
    /// again: the bring-up's check that a running DMA feeds the FIFO. Returns whether
    /// a word came and the reads made.
    pub fn probe_tx_prefill(&self) -> (bool, u32) {
        self.prepare(Direction::Tx);
        let mut polls = 0;
        let mut filled = false;
        while polls < TX_PREFILL_POLLS {
            polls += 1;
            if self.fifo_level(Direction::Tx) != 0 {
                filled = true;
                break;
            }
        }
        self.stop(Direction::Tx);
        self.flush(Direction::Tx);
        (filled, polls)
    }

    /// Whether `dir` reads enabled (it stays so until its current frame ends).
    pub fn is_enabled(&self, dir: Direction) -> bool {
        self.regs.read32(dir.offset() + reg::XCSR) & csr::XE != 0
    }

    /// The transmit half, as a stream drives it.
    pub fn tx(&self) -> SaiTx<&M> {
        SaiTx::new(&self.regs)
    }

    /// The receive half, as a stream drives it.
    pub fn rx(&self) -> SaiRx<&M> {
        SaiRx::new(&self.regs)
    }
}

/// The transmit direction of a SAI, driven by a playback stream: `prepare`, `start`
/// (the run's DMA really runs), `stop`, `flush`, `frame_aligned` (see the module docs
/// for the sequences). Both halves share `TCSR` (the receiver needs the transmitter's
/// clocks), so use them from one context at a time (the stream's lock).
#[derive(Debug)]
pub struct SaiTx<M: Mmio> {
    sai: Sai<M>,
}

/// The receive direction of a SAI, driven by a capture stream (see [`SaiTx`]).
#[derive(Debug)]
pub struct SaiRx<M: Mmio> {
    sai: Sai<M>,
}

macro_rules! half {
    ($half:ident, $dir:expr) => {
        impl<M: Mmio> $half<M> {
            /// The half of the SAI whose registers are `regs` (configured with
            /// [`Sai::configure`]).
            pub const fn new(regs: M) -> Self {
                Self {
                    sai: Sai::new(regs),
                }
            }
            /// FIFO reset and flags cleared, DMA request on; still disabled.
            pub fn prepare(&mut self) {
                self.sai.prepare($dir)
            }
            /// Enables the direction (first word in slot 0 of the next frame).
            pub fn start(&mut self) {
                self.sai.start($dir)
            }
            /// DMA request off, direction off (it ends its frame).
            pub fn stop(&mut self) {
                self.sai.stop($dir)
            }
            /// Error flags cleared; FIFO reset once the direction reads disabled.
            pub fn flush(&mut self) {
                self.sai.flush($dir);
            }
            /// No FIFO error since the last start: no word dropped or repeated.
            pub fn frame_aligned(&mut self) -> bool {
                !self.sai.errors($dir).fifo
            }
            /// Words the FIFO holds at most.
            pub fn fifo_words(&self) -> u32 {
                u32::from(FIFO_DEPTH)
            }
        }
    };
}

half!(SaiTx, Direction::Tx);
half!(SaiRx, Direction::Rx);

/// The PCM stream's view of a SAI direction: a thin adapter over the half's methods
/// (the sequences are in the module docs; none waits).
macro_rules! audio_interface {
    ($half:ident) => {
        impl<M: Mmio> pcm_dma::AudioInterface for $half<M> {
            fn prepare(&mut self) {
                $half::prepare(self)
            }
            fn start(&mut self) {
                $half::start(self)
            }
            fn stop(&mut self) {
                $half::stop(self)
            }
            fn flush(&mut self) {
                $half::flush(self)
            }
            fn frame_aligned(&mut self) -> bool {
                $half::frame_aligned(self)
            }
            fn fifo_words(&self) -> u32 {
                $half::fifo_words(self)
            }
        }
    };
}

audio_interface!(SaiTx);
audio_interface!(SaiRx);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evk_values() {
        let r = Registers::for_config(&Config::EVK).expect("valid");
        assert_eq!(r.tcr1, 24);
        assert_eq!(r.rcr1, 7);
        assert_eq!(r.tcr2, 0x0200_0000);
        assert_eq!(r.rcr2, 0x4200_0000);
        assert_eq!(r.cr3, 0x0001_0000);
        assert_eq!(r.cr4, 0x0001_0F1A);
        assert_eq!(r.cr5, 0x0F0F_0F00);
    }

    #[test]
    fn master_drives_bit_clock_and_frame_sync() {
        let cfg = Config {
            role: Role::Master { mclk: 1, div: 3 },
            word_bits: 24,
            slot_bits: 32,
            ..Config::EVK
        };
        let r = Registers::for_config(&cfg).expect("valid");
        assert_eq!(r.tcr2, cr2::BCP | cr2::BCD | (1 << cr2::MSEL_SHIFT) | 3);
        assert_ne!(r.cr4 & cr4::FSD, 0);
        assert_eq!((r.cr4 >> cr4::SYWD_SHIFT) & 0x1F, 31);
        assert_eq!((r.cr5 >> cr5::FBT_SHIFT) & 0x1F, 23);
        // The receiver still takes the transmitter's clocks.
        assert_eq!(r.rcr2 & (cr2::BCD | cr2::DIV_MASK), 0);
    }

    #[test]
    fn invalid_configurations_are_typed_errors() {
        let bad = |c: Config| Registers::for_config(&c).err();
        assert_eq!(
            bad(Config {
                word_bits: 24,
                slot_bits: 16,
                ..Config::EVK
            }),
            Some(SaiError::Width {
                word_bits: 24,
                slot_bits: 16
            })
        );
        assert_eq!(
            bad(Config {
                slots: 0,
                ..Config::EVK
            }),
            Some(SaiError::Slots(0))
        );
        assert_eq!(
            bad(Config {
                burst: FIFO_DEPTH,
                ..Config::EVK
            }),
            Some(SaiError::Burst(FIFO_DEPTH))
        );
        assert_eq!(
            bad(Config {
                role: Role::Master { mclk: 0, div: 1 },
                ..Config::EVK
            }),
            Some(SaiError::MclkSelect(0))
        );
    }

    #[test]
    fn sai2_endpoints() {
        use sdma_core::dmaengine::{Direction as D, FifoEndpoint};
        assert_eq!(SAI2_RX.bus_address(), 0x0202_C0A0);
        assert_eq!(SAI2_TX.bus_address(), 0x0202_C020);
        assert_eq!(SAI2_RX.request().map(|r| r.number()), Some(37));
        assert_eq!(SAI2_TX.request().map(|r| r.number()), Some(38));
        assert_eq!(
            (SAI2_RX.direction(), SAI2_TX.direction()),
            (D::DevToMem, D::MemToDev)
        );
        assert_eq!(SAI2_TX.watermark(), 8);
        assert_eq!(SAI2_TX.with_burst(0).watermark(), 1);
        assert_eq!(SAI2_TX.with_burst(40).watermark(), 31);
    }

    #[test]
    fn fifo_addresses_and_events_of_sai2() {
        assert_eq!(SAI2.tx_fifo_address(), 0x0202_C020);
        assert_eq!(SAI2.rx_fifo_address(), 0x0202_C0A0);
        assert_eq!((SAI2.events.rx.number(), SAI2.events.tx.number()), (37, 38));
        assert_eq!(SAI2.irq, 130);
    }
}
