//! Clock Controller Module (CCM): peripheral clock gates and the audio clocks.
//!
//! Two concerns live here:
//!
//! * **Clock gates** (`CCGR0`..`CCGR6`): each block's clocks are switched by a 2-bit
//!   field `CGn` at bits `[2n+1:2n]` of one `CCGR` register. A [`Gate`] names that
//!   field; [`Ccm::set_gate`] changes only those two bits (read-modify-write).
//! * **Audio clocks**: the SabreLite codec MCLK (`SYS_MCLK`) comes out of the `CCM_CLKO1`
//!   pad (GPIO_0) and is selected in `CCOSR`; the SSI root clocks (`CSCMR1` selectors,
//!   `CS1CDR`/`CS2CDR` dividers) matter only when an SSI drives the bit clock itself.
//!   The divider searches ([`clko_divider`], [`ssi_root_dividers`]) are pure functions,
//!   apart from the register writes, and are unit-tested.
//!
//! Facts: `docs/hardware-facts.md#ccm`; the SSI root field
//! positions are those of Linux `clk-imx6q.c` (`ssi1_sel` CSCMR1 `[11:10]`, `ssi2_sel`
//! `[13:12]`, `ssi3_sel` `[15:14]`; SSI1/SSI3 dividers in CS1CDR, SSI2 in CS2CDR).
//!
//! Timing: every method is a bounded number of register accesses; nothing waits.

use crate::mmio::Mmio;

/// Physical base address of the CCM.
pub const CCM_BASE: usize = crate::memory_map::CCM;

/// Register offsets inside the CCM.
pub mod reg {
    /// Serial clock multiplexer register 1 (SSI root selectors).
    pub const CSCMR1: usize = 0x1C;
    /// SSI1/SSI3 clock dividers.
    pub const CS1CDR: usize = 0x28;
    /// SSI2 clock dividers (and LDB/ENFC fields that must be preserved).
    pub const CS2CDR: usize = 0x2C;
    /// Clock output source register (CKO1/CKO2 selection for the CLKO pads).
    pub const CCOSR: usize = 0x60;
    /// First clock gating register; `CCGRn` is at `CCGR0 + 4 * n`.
    pub const CCGR0: usize = 0x68;
}

/// One 2-bit clock-gate field `CCGR<reg>.CG<field>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gate {
    /// Index of the `CCGR` register, 0..=6.
    pub reg: u8,
    /// Index of the `CG` field inside it, 0..=15.
    pub field: u8,
}

impl Gate {
    /// Byte offset of the `CCGR` register holding this gate.
    pub const fn offset(self) -> usize {
        reg::CCGR0 + 4 * self.reg as usize
    }
    /// Bit position of the low bit of the 2-bit field.
    pub const fn shift(self) -> u32 {
        2 * self.field as u32
    }
    /// Mask of the 2-bit field inside the register.
    pub const fn mask(self) -> u32 {
        0b11 << self.shift()
    }
}

/// Clock gates of the blocks this BSP uses (`docs/hardware-facts.md#ccm`).
pub mod gates {
    use super::Gate;

    const fn g(reg: u8, field: u8) -> Gate {
        Gate { reg, field }
    }
    /// ASRC: CCGR0 CG3.
    pub const ASRC: Gate = g(0, 3);
    /// EPIT1: CCGR1 CG6.
    pub const EPIT1: Gate = g(1, 6);
    /// EPIT2: CCGR1 CG7.
    pub const EPIT2: Gate = g(1, 7);
    /// ESAI: CCGR1 CG8.
    pub const ESAI: Gate = g(1, 8);
    /// GPT bus clock: CCGR1 CG10.
    pub const GPT_BUS: Gate = g(1, 10);
    /// GPT serial clock: CCGR1 CG11.
    pub const GPT_SERIAL: Gate = g(1, 11);
    /// I2C1: CCGR2 CG3.
    pub const I2C1: Gate = g(2, 3);
    /// I2C2: CCGR2 CG4.
    pub const I2C2: Gate = g(2, 4);
    /// I2C3: CCGR2 CG5.
    pub const I2C3: Gate = g(2, 5);
    /// SDMA: CCGR5 CG3 (absolute 0x020C_407C bits `[7:6]`).
    pub const SDMA: Gate = g(5, 3);
    /// SPBA (shared peripheral bus; the SSIs sit on it): CCGR5 CG6.
    pub const SPBA: Gate = g(5, 6);
    /// SSI1 (ipg and root share the gate): CCGR5 CG9.
    pub const SSI1: Gate = g(5, 9);
    /// SSI2: CCGR5 CG10.
    pub const SSI2: Gate = g(5, 10);
    /// SSI3: CCGR5 CG11.
    pub const SSI3: Gate = g(5, 11);
    /// UART ipg clock (all UARTs): CCGR5 CG12.
    pub const UART_IPG: Gate = g(5, 12);
    /// UART serial clock (all UARTs): CCGR5 CG13.
    pub const UART_SERIAL: Gate = g(5, 13);

    /// The gates the SabreLite audio path needs: SDMA, SPBA, SSI1 and I2C1.
    ///
    /// SPBA is included because whether the SSI needs it is unverified (HW-033); leaving it on
    /// costs nothing.
    pub const SABRELITE_AUDIO: [Gate; 4] = [SDMA, SPBA, SSI1, I2C1];
}

/// Value of a clock-gate field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateMode {
    /// `00`: clock off in all modes.
    Off,
    /// `01`: on in run mode, off in wait and stop.
    RunOnly,
    /// `11`: on in all modes except stop (what Linux writes).
    On,
}

impl GateMode {
    const fn bits(self) -> u32 {
        match self {
            GateMode::Off => 0b00,
            GateMode::RunOnly => 0b01,
            GateMode::On => 0b11,
        }
    }
    /// Decodes a field value; the reserved value `10` reads as [`GateMode::Off`]
    /// because the clock is not running in run mode then.
    const fn from_bits(bits: u32) -> Self {
        match bits & 0b11 {
            0b01 => GateMode::RunOnly,
            0b11 => GateMode::On,
            _ => GateMode::Off,
        }
    }
}

/// Errors from clock configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockError {
    /// A frequency of zero was given.
    ZeroFrequency,
    /// No divider setting produces the target exactly from the given source.
    NoExactDivider {
        /// Source frequency in Hz.
        source_hz: u32,
        /// Requested frequency in Hz.
        target_hz: u32,
    },
    /// The target is outside what the divider chain can produce from the source.
    OutOfRange {
        /// Source frequency in Hz.
        source_hz: u32,
        /// Requested frequency in Hz.
        target_hz: u32,
    },
}

/// Frequency of the 24 MHz crystal oscillator (`osc`).
pub const OSC_HZ: u32 = 24_000_000;

/// Sources for the `CKO2` clock output mux (`CCOSR.CLKO2_SEL`), the subset useful for
/// audio. Values from the `cko2_sels` order in Linux `clk-imx6q.c`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cko2Source {
    /// The 24 MHz oscillator (0x0E): what mainline Linux uses for the SabreLite codec.
    Osc,
    /// The SSI1 root clock (0x12).
    Ssi1,
    /// The SSI2 root clock (0x13).
    Ssi2,
    /// The SSI3 root clock (0x14).
    Ssi3,
}

impl Cko2Source {
    const fn sel(self) -> u32 {
        match self {
            Cko2Source::Osc => 0x0E,
            Cko2Source::Ssi1 => 0x12,
            Cko2Source::Ssi2 => 0x13,
            Cko2Source::Ssi3 => 0x14,
        }
    }
}

/// `CCOSR` fields.
mod ccosr {
    pub const CLKO_SEL: u32 = 1 << 8;
    pub const CLKO2_SEL_SHIFT: u32 = 16;
    pub const CLKO2_SEL_MASK: u32 = 0x1F << CLKO2_SEL_SHIFT;
    pub const CLKO2_DIV_SHIFT: u32 = 21;
    pub const CLKO2_DIV_MASK: u32 = 0x7 << CLKO2_DIV_SHIFT;
    pub const CLKO2_EN: u32 = 1 << 24;
}

/// Finds the `CLKO` divider (1..=8) that turns `source_hz` into exactly `target_hz`.
pub const fn clko_divider(source_hz: u32, target_hz: u32) -> Result<u8, ClockError> {
    if source_hz == 0 || target_hz == 0 {
        return Err(ClockError::ZeroFrequency);
    }
    if target_hz > source_hz || source_hz / target_hz > 8 {
        return Err(ClockError::OutOfRange {
            source_hz,
            target_hz,
        });
    }
    if source_hz % target_hz != 0 {
        return Err(ClockError::NoExactDivider {
            source_hz,
            target_hz,
        });
    }
    Ok((source_hz / target_hz) as u8)
}

/// Computes the new `CCOSR` value that routes `source / divider` to the CLKO1 pad via
/// CKO2 (`CLKO_SEL = 1`) and enables it, leaving the CKO1 fields untouched.
///
/// `divider` must be 1..=8 (as returned by [`clko_divider`]); other values are clamped.
pub const fn ccosr_cko2_on_pad(current: u32, source: Cko2Source, divider: u8) -> u32 {
    let div = if divider == 0 {
        0
    } else if divider > 8 {
        7
    } else {
        divider as u32 - 1
    };
    let cleared = current
        & !(ccosr::CLKO2_SEL_MASK | ccosr::CLKO2_DIV_MASK | ccosr::CLKO2_EN | ccosr::CLKO_SEL);
    cleared
        | (source.sel() << ccosr::CLKO2_SEL_SHIFT)
        | (div << ccosr::CLKO2_DIV_SHIFT)
        | ccosr::CLKO2_EN
        | ccosr::CLKO_SEL
}

/// Source of an SSI root clock (`CSCMR1.ssiN_sel`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsiClockSource {
    /// PLL3 PFD2, nominally 508.2 MHz (selector 0).
    Pll3Pfd2,
    /// PLL3 PFD3, nominally 454.7 MHz (selector 1).
    Pll3Pfd3,
    /// The audio PLL (PLL4) after its dividers (selector 2).
    Pll4Audio,
}

impl SsiClockSource {
    const fn sel(self) -> u32 {
        match self {
            SsiClockSource::Pll3Pfd2 => 0,
            SsiClockSource::Pll3Pfd3 => 1,
            SsiClockSource::Pll4Audio => 2,
        }
    }
}

/// The two cascaded SSI root dividers: `root = source / pred / podf`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SsiRootDividers {
    /// Pre-divider, 1..=8 (field value `pred - 1`).
    pub pred: u8,
    /// Post-divider, 1..=64 (field value `podf - 1`).
    pub podf: u8,
}

impl SsiRootDividers {
    /// The resulting root frequency from `source_hz`.
    pub const fn output_hz(self, source_hz: u32) -> u32 {
        source_hz / (self.pred as u32 * self.podf as u32)
    }
}

/// Chooses SSI root dividers giving the highest root frequency that does not exceed
/// `target_hz`, preferring the smallest pre-divider among equal results.
///
/// Not exceeding matters because the SSI then divides the root further down to the bit
/// clock, and the root must stay within what the block is clocked for.
pub const fn ssi_root_dividers(
    source_hz: u32,
    target_hz: u32,
) -> Result<SsiRootDividers, ClockError> {
    if source_hz == 0 || target_hz == 0 {
        return Err(ClockError::ZeroFrequency);
    }
    let mut best: Option<(SsiRootDividers, u32)> = None;
    let mut pred = 1u32;
    while pred <= 8 {
        // Smallest podf whose output does not exceed the target (in 64 bits: the
        // product of a divider and a target above 512 MHz does not fit 32).
        let mut podf = (source_hz as u64).div_ceil(pred as u64 * target_hz as u64) as u32;
        if podf == 0 {
            podf = 1;
        }
        if podf <= 64 {
            let out = source_hz / (pred * podf);
            let better = match best {
                None => true,
                Some((_, best_out)) => out > best_out,
            };
            if better {
                best = Some((
                    SsiRootDividers {
                        pred: pred as u8,
                        podf: podf as u8,
                    },
                    out,
                ));
            }
        }
        pred += 1;
    }
    match best {
        Some((d, _)) => Ok(d),
        None => Err(ClockError::OutOfRange {
            source_hz,
            target_hz,
        }),
    }
}

/// Which SSI a root-clock setting applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsiIndex {
    /// SSI1.
    Ssi1,
    /// SSI2.
    Ssi2,
    /// SSI3.
    Ssi3,
}

impl SsiIndex {
    /// (CSCMR1 selector shift, divider register, pred shift, podf shift).
    const fn fields(self) -> (u32, usize, u32, u32) {
        match self {
            SsiIndex::Ssi1 => (10, reg::CS1CDR, 6, 0),
            SsiIndex::Ssi2 => (12, reg::CS2CDR, 6, 0),
            SsiIndex::Ssi3 => (14, reg::CS1CDR, 22, 16),
        }
    }
}

/// The CCM driver.
#[derive(Debug)]
pub struct Ccm<M: Mmio> {
    regs: M,
}

impl<M: Mmio> Ccm<M> {
    /// Wraps the CCM register block.
    pub const fn new(regs: M) -> Self {
        Self { regs }
    }

    /// Gives the register block back.
    pub fn free(self) -> M {
        self.regs
    }

    /// Sets one gate to `mode`, leaving the other fields of its `CCGR` untouched.
    pub fn set_gate(&self, gate: Gate, mode: GateMode) {
        self.regs
            .modify32(gate.offset(), gate.mask(), mode.bits() << gate.shift());
    }

    /// Turns a gate fully on (`11`, as Linux does).
    pub fn enable(&self, gate: Gate) {
        self.set_gate(gate, GateMode::On);
    }

    /// Turns a gate off.
    pub fn disable(&self, gate: Gate) {
        self.set_gate(gate, GateMode::Off);
    }

    /// Turns several gates on, in order.
    pub fn enable_all(&self, gates: &[Gate]) {
        for &gate in gates {
            self.enable(gate);
        }
    }

    /// Reads back the current mode of a gate.
    pub fn gate_mode(&self, gate: Gate) -> GateMode {
        GateMode::from_bits(self.regs.read32(gate.offset()) >> gate.shift())
    }

    /// Drives `source / divider` out of the CLKO1 pad through CKO2 (read-modify-write
    /// of `CCOSR`; the CKO1 fields are preserved).
    ///
    /// With [`Cko2Source::Osc`] and divider 1 this is exactly what mainline Linux sets up
    /// for the SabreLite codec: `SYS_MCLK` = 24 MHz. The pad must also be muxed to
    /// `CCM_CLKO1` (see [`crate::iomuxc`]). The codec needs this clock running before
    /// any I2C access.
    pub fn route_cko2_to_clko1(&self, source: Cko2Source, divider: u8) {
        let current = self.regs.read32(reg::CCOSR);
        self.regs
            .write32(reg::CCOSR, ccosr_cko2_on_pad(current, source, divider));
    }

    /// Sets up the SabreLite codec MCLK: 24 MHz oscillator on the CLKO1 pad.
    /// Returns the MCLK frequency in Hz.
    pub fn enable_sabrelite_codec_mclk(&self) -> u32 {
        self.route_cko2_to_clko1(Cko2Source::Osc, 1);
        OSC_HZ
    }

    /// Selects the source of an SSI root clock and programs its two dividers.
    ///
    /// Only needed when the SSI is the I2S master; with the SabreLite default (codec
    /// master) the SSI root is not used. The SSI's gate should be off while its root
    /// changes, to avoid glitches.
    pub fn set_ssi_root(&self, ssi: SsiIndex, source: SsiClockSource, dividers: SsiRootDividers) {
        let (sel_shift, div_reg, pred_shift, podf_shift) = ssi.fields();
        self.regs
            .modify32(reg::CSCMR1, 0b11 << sel_shift, source.sel() << sel_shift);
        let pred = (dividers.pred.clamp(1, 8) - 1) as u32;
        let podf = (dividers.podf.clamp(1, 64) - 1) as u32;
        self.regs.modify32(
            div_reg,
            (0x7 << pred_shift) | (0x3F << podf_shift),
            (pred << pred_shift) | (podf << podf_shift),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdma_gate_is_ccgr5_bits_7_6() {
        assert_eq!(CCM_BASE + gates::SDMA.offset(), 0x020C_407C);
        assert_eq!(gates::SDMA.mask(), 0b11 << 6);
        assert_eq!(gates::SSI1.mask(), 0b11 << 18);
        assert_eq!(gates::SSI3.mask(), 0b11 << 22);
        assert_eq!(gates::I2C1.offset(), 0x70);
        assert_eq!(gates::I2C1.mask(), 0b11 << 6);
    }

    #[test]
    fn clko_divider_exact_only() {
        assert_eq!(clko_divider(24_000_000, 24_000_000), Ok(1));
        assert_eq!(clko_divider(24_000_000, 12_000_000), Ok(2));
        assert_eq!(clko_divider(24_000_000, 3_000_000), Ok(8));
        assert!(matches!(
            clko_divider(24_000_000, 2_000_000),
            Err(ClockError::OutOfRange { .. })
        ));
        assert!(matches!(
            clko_divider(24_000_000, 7_000_000),
            Err(ClockError::NoExactDivider { .. })
        ));
        assert_eq!(clko_divider(0, 1), Err(ClockError::ZeroFrequency));
        assert!(matches!(
            clko_divider(24_000_000, 48_000_000),
            Err(ClockError::OutOfRange { .. })
        ));
    }

    #[test]
    fn ccosr_matches_linux_sabrelite_value() {
        // `docs/hardware-facts.md#ccm` (CLKO1): clear 0x01FF0100, OR in 0x010E0100. From the QEMU reset value.
        let qemu_reset = 0x000A_0001;
        let expected = (qemu_reset & !0x01FF_0100) | 0x010E_0100;
        assert_eq!(ccosr_cko2_on_pad(qemu_reset, Cko2Source::Osc, 1), expected);
        // CKO1 fields (bits 7:0) are preserved.
        assert_eq!(ccosr_cko2_on_pad(0xFF, Cko2Source::Osc, 1) & 0xFF, 0xFF);
        // Divider 2 lands in CLKO2_DIV [23:21].
        assert_eq!(
            ccosr_cko2_on_pad(0, Cko2Source::Osc, 2) & (0x7 << 21),
            1 << 21
        );
    }

    #[test]
    fn ssi_root_dividers_never_exceed_target_and_are_tight() {
        // 508.2 MHz PFD to about 49.152 MHz (1024 fs at 48 kHz): best <= target.
        let src = 508_235_294;
        for target in [12_288_000u32, 24_576_000, 49_152_000, 11_289_600, 3_072_000] {
            let d = ssi_root_dividers(src, target).expect("reachable");
            let out = d.output_hz(src);
            assert!(out <= target, "target {target}: out {out}");
            // No other legal pair is closer without exceeding.
            for pred in 1..=8u32 {
                for podf in 1..=64u32 {
                    let o = src / (pred * podf);
                    assert!(
                        o > target || o <= out,
                        "target {target}: {pred}x{podf} gives {o} > {out}"
                    );
                }
            }
        }
        // Exact when possible: 24.576 MHz from 786.432 MHz = /32.
        let d = ssi_root_dividers(786_432_000, 24_576_000).expect("reachable");
        assert_eq!(d.output_hz(786_432_000), 24_576_000);
        // A target above the source is the source itself, without overflow.
        assert_eq!(
            ssi_root_dividers(src, u32::MAX),
            Ok(SsiRootDividers { pred: 1, podf: 1 })
        );
        // Too low to reach: 508 MHz / 512 is about 0.99 MHz.
        assert!(matches!(
            ssi_root_dividers(src, 500_000),
            Err(ClockError::OutOfRange { .. })
        ));
    }
}
