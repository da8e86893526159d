//! The i.MX RT1062 peripheral FIFOs this port serves, as DMA endpoints
//! ([`FifoEndpoint`]): the only safe way to put a peripheral address into a
//! [`SlaveConfig`](sdma_core::dmaengine::SlaveConfig) for the eDMA.
//!
//! ```
//! use edma_imxrt::endpoint::SAI1_TX;
//! use sdma_core::dmaengine::{BusWidth, SlaveConfig};
//!
//! let config = SlaveConfig::for_endpoint(&SAI1_TX, BusWidth::Bits32);
//! assert_eq!(config.peripheral_addr.bus(), 0x4038_4020);
//! assert_eq!(config.event.map(|e| e.number()), Some(20));
//! ```

use sdma_core::dmaengine::{BusWidth, Direction, FifoEndpoint, RequestLine};

/// Data register 0 of one SAI direction with its DMAMUX source. Only the constants of
/// this module exist (private fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaiFifo {
    register: u32,
    source: u16,
    receive: bool,
    watermark: u16,
}

/// SAI register blocks on RT1062 (reference manual memory map).
const SAI1: u32 = 0x4038_4000;
const SAI2: u32 = 0x4038_8000;
const SAI3: u32 = 0x4038_C000;
/// Transmit data register 0 (`TDR0`) and receive data register 0 (`RDR0`) offsets.
const TDR0: u32 = 0x20;
const RDR0: u32 = 0xA0;

impl SaiFifo {
    const fn new(base: u32, source: u16, receive: bool) -> Self {
        SaiFifo {
            register: base + if receive { RDR0 } else { TDR0 },
            source,
            receive,
            watermark: 1,
        }
    }

    /// The same FIFO with `watermark` words per request (at least 1; keep it equal to
    /// the SAI's `TCR1`/`RCR1` watermark).
    pub const fn with_watermark(mut self, watermark: u16) -> Self {
        self.watermark = if watermark == 0 { 1 } else { watermark };
        self
    }
}

/// SAI1 receive (`RDR0`, DMAMUX source 19).
pub const SAI1_RX: SaiFifo = SaiFifo::new(SAI1, 19, true);
/// SAI1 transmit (`TDR0`, DMAMUX source 20).
pub const SAI1_TX: SaiFifo = SaiFifo::new(SAI1, 20, false);
/// SAI2 receive (DMAMUX source 21).
pub const SAI2_RX: SaiFifo = SaiFifo::new(SAI2, 21, true);
/// SAI2 transmit (DMAMUX source 22).
pub const SAI2_TX: SaiFifo = SaiFifo::new(SAI2, 22, false);
/// SAI3 receive (DMAMUX source 83).
pub const SAI3_RX: SaiFifo = SaiFifo::new(SAI3, 83, true);
/// SAI3 transmit (DMAMUX source 84).
pub const SAI3_TX: SaiFifo = SaiFifo::new(SAI3, 84, false);

// SAFETY: the values are the constants above (private fields): each the `TDR0` or `RDR0`
// data register of an RT1062 SAI, where a DMA write pushes a word into the transmit FIFO
// and a read pops one from the receive FIFO, for 8-, 16- or 32-bit accesses, with no
// other effect. The values never change.
unsafe impl FifoEndpoint for SaiFifo {
    fn bus_address(&self) -> u32 {
        self.register
    }
    fn request(&self) -> Option<RequestLine> {
        Some(RequestLine::new(self.source))
    }
    fn direction(&self) -> Direction {
        if self.receive {
            Direction::DevToMem
        } else {
            Direction::MemToDev
        }
    }
    fn access_width(&self) -> BusWidth {
        BusWidth::Bits32
    }
    fn watermark(&self) -> u16 {
        self.watermark
    }
}
