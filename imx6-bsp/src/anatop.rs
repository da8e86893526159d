//! The CCM analog part (ANATOP): the audio PLL (PLL4), the source of an audio clock
//! that divides down to 48 kHz multiples exactly.
//!
//! `PLL4 = 24 MHz × (DIV_SELECT + NUM / DENOM)`, then a post divider (`POST_DIV_SELECT`:
//! ÷4, ÷2 or ÷1) and the `MISC2` audio divider (÷1 here) give `pll4_audio_div`, which
//! the SAI/SSI clock roots divide further in the CCM ([`crate::ccm::Ccm::set_ssi_root`]).
//! The same registers serve the i.MX6Q and the i.MX6UL (Linux `clk-pllv3` "av" PLL);
//! offsets and bits: `docs/hardware-facts.md#audio-pll` (one source, UNVERIFIED
//! against the reference manual).
//!
//! # Register sequence ([`Anatop::start_audio_pll`])
//!
//! 1. `PLL_AUDIO = BYPASS | POST_DIV | DIV_SELECT` (powered up, output from the
//!    bypass, not enabled), 2. `PLL_AUDIO_NUM`, 3. `PLL_AUDIO_DENOM`, 4. poll `LOCK`
//!    at most [`LOCK_POLLS`] times, 5. `PLL_AUDIO = ENABLE | POST_DIV | DIV_SELECT`
//!    (bypass off, output on), 6. `MISC2` audio divider ÷1. The output is switched on
//!    only after the lock (or the bound), so no unlocked clock reaches a SAI.
//!
//! Timing: at most [`LOCK_POLLS`] + 6 register accesses; nothing else waits.

use crate::mmio::Mmio;

/// Register offsets in the CCM analog block.
pub mod reg {
    /// Audio PLL control.
    pub const PLL_AUDIO: usize = 0x70;
    /// Audio PLL fractional numerator (30 bits).
    pub const PLL_AUDIO_NUM: usize = 0x80;
    /// Audio PLL fractional denominator (30 bits).
    pub const PLL_AUDIO_DENOM: usize = 0x90;
    /// Miscellaneous 2 (audio and video post dividers).
    pub const MISC2: usize = 0x170;
}

/// `PLL_AUDIO` bits.
pub mod pll {
    /// The PLL is locked (read-only).
    pub const LOCK: u32 = 1 << 31;
    /// Output from the bypass clock (the 24 MHz oscillator).
    pub const BYPASS: u32 = 1 << 16;
    /// Output enable.
    pub const ENABLE: u32 = 1 << 13;
    /// Power down.
    pub const POWERDOWN: u32 = 1 << 12;
    /// Post divider shift (2 bits: 0 = ÷4, 1 = ÷2, 2 = ÷1).
    pub const POST_DIV_SHIFT: u32 = 19;
    /// Loop divider mask (27..=54).
    pub const DIV_SELECT_MASK: u32 = 0x7F;
}

/// `MISC2` audio divider bits (both clear: ÷1).
pub const MISC2_AUDIO_DIV: u32 = (1 << 15) | (1 << 23);

/// `LOCK` reads before [`Anatop::start_audio_pll`] gives up (the PLL locks in tens of
/// µs; a read costs about 0.1 µs on the bus).
pub const LOCK_POLLS: u32 = 10_000;

/// Reference clock of the PLL (the 24 MHz oscillator).
pub const REF_HZ: u64 = 24_000_000;

/// An audio PLL setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AudioPll {
    /// Loop divider (27..=54).
    pub div_select: u8,
    /// Fraction numerator (below `denom`).
    pub num: u32,
    /// Fraction denominator (non-zero, below 2^30).
    pub denom: u32,
    /// `POST_DIV_SELECT` field (0 = ÷4, 1 = ÷2, 2 = ÷1).
    pub post_div_field: u8,
}

impl AudioPll {
    /// 786.432 MHz (= 16 384 × 48 kHz): 24 MHz × 32.768, post divider ÷1. Divided by
    /// 64 in the SAI clock root it gives the 12.288 MHz MCLK of 48 kHz streams.
    pub const MHZ_786_432: AudioPll = AudioPll {
        div_select: 32,
        num: 768,
        denom: 1000,
        post_div_field: 2,
    };

    /// The post divider's ratio. Pure.
    pub const fn post_divider(self) -> u64 {
        match self.post_div_field {
            0 => 4,
            1 => 2,
            _ => 1,
        }
    }

    /// The output frequency in Hz (rounded down). Pure.
    pub const fn output_hz(self) -> u64 {
        let vco = REF_HZ * self.div_select as u64 + REF_HZ * self.num as u64 / self.denom as u64;
        vco / self.post_divider()
    }

    /// The `PLL_AUDIO` value without the mode bits. Pure.
    pub const fn control(self) -> u32 {
        ((self.post_div_field as u32 & 0b11) << pll::POST_DIV_SHIFT)
            | (self.div_select as u32 & pll::DIV_SELECT_MASK)
    }
}

/// What [`Anatop::start_audio_pll`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PllStart {
    /// `LOCK` was seen within [`LOCK_POLLS`] reads.
    pub locked: bool,
    /// `LOCK` reads made.
    pub polls: u32,
}

/// The CCM analog block driver.
#[derive(Debug)]
pub struct Anatop<M: Mmio> {
    regs: M,
}

impl<M: Mmio> Anatop<M> {
    /// Wraps the CCM analog register block.
    pub const fn new(regs: M) -> Self {
        Self { regs }
    }

    /// Gives the register block back.
    pub fn free(self) -> M {
        self.regs
    }

    /// Programs and starts the audio PLL (see the module docs for the order).
    pub fn start_audio_pll(&self, setting: AudioPll) -> PllStart {
        let control = setting.control();
        self.regs.write32(reg::PLL_AUDIO, pll::BYPASS | control);
        self.regs.write32(reg::PLL_AUDIO_NUM, setting.num);
        self.regs.write32(reg::PLL_AUDIO_DENOM, setting.denom);
        let mut polls = 0;
        let mut locked = false;
        while polls < LOCK_POLLS {
            polls += 1;
            if self.regs.read32(reg::PLL_AUDIO) & pll::LOCK != 0 {
                locked = true;
                break;
            }
        }
        self.regs.write32(reg::PLL_AUDIO, pll::ENABLE | control);
        self.regs.modify32(reg::MISC2, MISC2_AUDIO_DIV, 0);
        PllStart { locked, polls }
    }

    /// The `PLL_AUDIO` register as it reads now.
    pub fn audio_pll_control(&self) -> u32 {
        self.regs.read32(reg::PLL_AUDIO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_evk_setting_is_exactly_16384_fs() {
        let p = AudioPll::MHZ_786_432;
        assert_eq!(p.output_hz(), 786_432_000);
        assert_eq!(p.output_hz() % 48_000, 0);
        assert_eq!(p.output_hz() / 64, 12_288_000);
        assert_eq!(p.control(), (2 << 19) | 32);
        let half = AudioPll {
            post_div_field: 1,
            ..p
        };
        assert_eq!(half.output_hz(), 393_216_000);
    }
}
