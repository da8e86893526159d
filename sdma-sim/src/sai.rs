//! The i.MX6UL/ULL SAI as the simulator models it: the FIFO model of [`crate::ssi`]
//! configured as a SAI FIFO ([`FifoKind::Sai`]), and the audio ports a storm can run
//! on ([`AudioPort`]).
//!
//! What a SAI direction is, for the engine and the stream
//! (`docs/hardware-facts.md#sai`):
//!
//! - **Depth**: [`SAI_FIFO_DEPTH`] (32) words per direction (the SSI has 15).
//! - **Watermark requests**: the SAI raises its transmit request while the FIFO holds at
//!   most `TFW` words and its receive request while it holds more than `RFW`; with a
//!   burst of `b` words the BSP programs `TFW = depth - b`, `RFW = b - 1`
//!   (`imx6_bsp::sai`). That is the model's rule with `watermark = b`: transmit while
//!   at least `b` slots are free, receive while at least `b` words are held.
//! - **FIFO error** (`FEF`): a receive word that finds the FIFO full (overrun) or a
//!   transmit slot that finds it empty (underrun): the model's `overruns`/`underruns`
//!   counters, which the stream reads as "not frame-aligned" (`SimSsiInterface`).
//! - **Slot-timed output**: as the SSI's model, every slot puts one word on the wire
//!   and the first slot after a start is slot 0 of a frame; an underrun slot repeats
//!   the previous word, as the SSI does (what the SAI sends on an underrun is
//!   UNVERIFIED; the storm stops the interface before its FIFO can run dry, so no
//!   figure depends on it).
//! - **DMA scripts**: a SAI channel runs the ROM scripts `app_2_mcu` (receive) and
//!   `mcu_2_app` (transmit), Linux's `IMX_DMATYPE_SAI`; the engine models every
//!   peripheral script by its kind ([`crate::ScriptKind`]), so the SAI's run exactly as
//!   the SSI's `shp_2_mcu`/`mcu_2_shp` do, with the SAI's FIFO address and events.
//!
//! SAI2 on the i.MX6ULL EVK: `RDR0` at `0x0202_C0A0`, `TDR0` at `0x0202_C020`, SDMA
//! events 37 (receive) and 38 (transmit), 48 kHz stereo 16-bit, bursts of 8.

use crate::ssi::{Direction, FifoKind, SsiConfig};

/// FIFO depth of the i.MX6UL SAI in words.
pub const SAI_FIFO_DEPTH: usize = 32;

/// SAI2 receive (capture) as on the EVK: 48 kHz stereo, 16-bit, burst 8, event 37.
pub fn sai2_rx() -> SsiConfig {
    SsiConfig {
        fifo_addr: 0x0202_C0A0,
        event: 37,
        direction: Direction::Receive,
        words_per_second: 96_000,
        watermark: 8,
        sample_bits: 16,
        kind: FifoKind::Sai,
    }
}

/// SAI2 transmit (playback), event 38.
pub fn sai2_tx() -> SsiConfig {
    SsiConfig {
        fifo_addr: 0x0202_C020,
        event: 38,
        direction: Direction::Transmit,
        ..sai2_rx()
    }
}

/// SAI1 receive (a companion port on the i.MX6UL), event 35.
pub fn sai1_rx() -> SsiConfig {
    SsiConfig {
        fifo_addr: 0x0202_80A0,
        event: 35,
        ..sai2_rx()
    }
}

/// SAI1 transmit, event 36.
pub fn sai1_tx() -> SsiConfig {
    SsiConfig {
        fifo_addr: 0x0202_8020,
        event: 36,
        ..sai2_tx()
    }
}

/// SSI2 receive on the i.MX6Q (the SabreLite's companion port), event 41.
pub fn ssi2_rx() -> SsiConfig {
    SsiConfig {
        fifo_addr: 0x0202_C008,
        event: 41,
        ..SsiConfig::ssi1_rx()
    }
}

/// SSI2 transmit, event 42.
pub fn ssi2_tx() -> SsiConfig {
    SsiConfig {
        fifo_addr: 0x0202_C000,
        event: 42,
        ..SsiConfig::ssi1_tx()
    }
}

/// The audio port a storm runs its stream on, and the board it stands for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AudioPort {
    /// SSI1 of the i.MX6Q (SabreLite): scripts `shp_2_mcu`/`mcu_2_shp`.
    #[default]
    Ssi1,
    /// SAI2 of the i.MX6ULL (EVK): scripts `app_2_mcu`/`mcu_2_app`.
    Sai2,
}

impl AudioPort {
    /// The port of a board name (`sabrelite`, `imx6ull-evk`).
    pub fn from_board(name: &str) -> Option<AudioPort> {
        match name {
            "sabrelite" => Some(AudioPort::Ssi1),
            "imx6ull-evk" => Some(AudioPort::Sai2),
            _ => None,
        }
    }

    /// The board's name.
    pub const fn board(self) -> &'static str {
        match self {
            AudioPort::Ssi1 => "sabrelite",
            AudioPort::Sai2 => "imx6ull-evk",
        }
    }

    /// The port's name.
    pub const fn name(self) -> &'static str {
        match self {
            AudioPort::Ssi1 => "SSI1",
            AudioPort::Sai2 => "SAI2",
        }
    }

    /// Receive and transmit FIFOs of the port.
    pub fn rx_tx(self) -> (SsiConfig, SsiConfig) {
        match self {
            AudioPort::Ssi1 => (SsiConfig::ssi1_rx(), SsiConfig::ssi1_tx()),
            AudioPort::Sai2 => (sai2_rx(), sai2_tx()),
        }
    }

    /// The second port of the same SoC, for companion streams (SSI2, SAI1).
    pub fn companion_pair(self) -> (SsiConfig, SsiConfig) {
        match self {
            AudioPort::Ssi1 => (ssi2_rx(), ssi2_tx()),
            AudioPort::Sai2 => (sai1_rx(), sai1_tx()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssi::Ssi;

    #[test]
    fn sai2_is_the_evk_port() {
        let (rx, tx) = AudioPort::Sai2.rx_tx();
        assert_eq!((rx.event, tx.event), (37, 38));
        assert_eq!((rx.fifo_addr, tx.fifo_addr), (0x0202_C0A0, 0x0202_C020));
        assert_eq!(rx.kind.depth(), 32);
        assert_eq!(AudioPort::from_board("imx6ull-evk"), Some(AudioPort::Sai2));
        assert_eq!(AudioPort::from_board("sabrelite"), Some(AudioPort::Ssi1));
        assert_eq!(AudioPort::from_board("rpi"), None);
        let (c_rx, c_tx) = AudioPort::Sai2.companion_pair();
        assert_eq!((c_rx.event, c_tx.event), (35, 36));
    }

    #[test]
    fn transmit_requests_while_a_burst_fits_like_tfw() {
        // TFW = 32 - 8 = 24: request while the FIFO holds at most 24 words.
        let mut tx = Ssi::new(sai2_tx());
        for level in 0..SAI_FIFO_DEPTH {
            assert_eq!(tx.request_level(), level <= 24, "level {level}");
            tx.dma_write(level as u32);
        }
        assert!(!tx.request_level());
        assert_eq!(tx.level(), 32);
        // A 33rd word does not fit (the SAI would drop it; the model counts it).
        tx.dma_write(99);
        assert_eq!(tx.level(), 32);
        assert_eq!(tx.stats().dma_errors, 1);
    }

    #[test]
    fn receive_requests_once_a_burst_is_held_and_overruns_past_32() {
        // RFW = 8 - 1 = 7: request once the FIFO holds more than 7 words.
        let mut rx = Ssi::new(sai2_rx());
        rx.start(0);
        let word_at = |k: u64| k * crate::time::SECOND / 96_000;
        for k in 1..=40u64 {
            rx.advance(word_at(k));
            let held = (k as usize).min(SAI_FIFO_DEPTH);
            assert_eq!(rx.level(), held);
            assert_eq!(rx.request_level(), held >= 8, "after {k} words");
        }
        // Words 33..=40 found the FIFO full: 8 overruns (the SAI's FEF).
        assert_eq!(rx.stats().overruns, 8);
    }

    #[test]
    fn an_underrun_slot_repeats_the_last_word_and_counts() {
        let mut tx = Ssi::new(sai2_tx());
        tx.record_played(true);
        tx.dma_write(7);
        tx.start(0);
        tx.advance(3 * crate::time::SECOND / 96_000);
        let slots = tx.take_played_slots();
        assert_eq!(slots.len(), 3);
        assert_eq!(slots[0].value, 7);
        assert!(!slots[0].underrun && slots[1].underrun && slots[2].underrun);
        assert_eq!(tx.stats().underruns, 2);
    }
}
