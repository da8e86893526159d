//! SDMA request (event) numbers of the i.MX6Q/DL.
//!
//! An SDMA channel serving a peripheral is bound to the event its FIFO raises: the
//! driver sets the channel's bit in `CHNENBL[event]` and puts the event into the
//! channel context's event mask. The numbers below are those of the Linux device tree
//! for i.MX6Q/DL (`dmas = <&sdma EVENT TYPE PRIO>` in `imx6qdl.dtsi`), collected in
//! `docs/hardware-facts.md#sdma-events`. The SoC has [`NUM_EVENTS`] events.
//!
//! Only the FIFO-0 requests of the SSIs are listed; the SSI dual-FIFO (FIFO 1) events
//! are not used by Linux on this SoC and their numbers are not verified here.

pub use sdma_core::dmaengine::RequestLine;

/// Number of SDMA events on i.MX6Q/DL (`CHNENBL0..CHNENBL47`).
pub const NUM_EVENTS: u8 = 48;

/// The receive and transmit requests of one peripheral, as the DMA's request-line type
/// (`sdma_core::dmaengine::RequestLine`, the one type for an SDMA event number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventPair {
    /// Request raised when the receive FIFO holds data (peripheral to memory).
    pub rx: RequestLine,
    /// Request raised when the transmit FIFO has room (memory to peripheral).
    pub tx: RequestLine,
}

impl EventPair {
    /// Receive event `rx` and transmit event `tx`.
    pub const fn new(rx: u16, tx: u16) -> Self {
        EventPair {
            rx: RequestLine::new(rx),
            tx: RequestLine::new(tx),
        }
    }
}

/// SSI1 FIFO 0 (RX0 = 37, TX0 = 38; HW-027).
pub const SSI1: EventPair = EventPair::new(37, 38);
/// SSI2 FIFO 0 (RX0 = 41, TX0 = 42).
pub const SSI2: EventPair = EventPair::new(41, 42);
/// SSI3 FIFO 0 (RX0 = 45, TX0 = 46).
pub const SSI3: EventPair = EventPair::new(45, 46);
/// ESAI (RX = 23, TX = 24).
pub const ESAI: EventPair = EventPair::new(23, 24);
/// SPDIF (RX = 14, TX = 15).
pub const SPDIF: EventPair = EventPair::new(14, 15);
/// UART1 (RX = 25, TX = 26).
pub const UART1: EventPair = EventPair::new(25, 26);
/// UART2 (RX = 27, TX = 28).
pub const UART2: EventPair = EventPair::new(27, 28);
/// UART3 (RX = 29, TX = 30).
pub const UART3: EventPair = EventPair::new(29, 30);
/// UART4 (RX = 31, TX = 32).
pub const UART4: EventPair = EventPair::new(31, 32);
/// UART5 (RX = 33, TX = 34).
pub const UART5: EventPair = EventPair::new(33, 34);
/// ECSPI1 (RX = 3, TX = 4).
pub const ECSPI1: EventPair = EventPair::new(3, 4);
/// ECSPI2 (RX = 5, TX = 6).
pub const ECSPI2: EventPair = EventPair::new(5, 6);
/// ECSPI3 (RX = 7, TX = 8).
pub const ECSPI3: EventPair = EventPair::new(7, 8);
/// ECSPI4 (RX = 9, TX = 10).
pub const ECSPI4: EventPair = EventPair::new(9, 10);
/// ASRC pair A (output to memory RX = 17, input from memory TX = 20).
pub const ASRC_A: EventPair = EventPair::new(17, 20);
/// ASRC pair B (RX = 18, TX = 21).
pub const ASRC_B: EventPair = EventPair::new(18, 21);
/// ASRC pair C (RX = 19, TX = 22).
pub const ASRC_C: EventPair = EventPair::new(19, 22);

/// The SSI FIFO-0 events by SSI index (0 = SSI1).
pub const SSI: [EventPair; 3] = [SSI1, SSI2, SSI3];
/// The UART events by UART index (0 = UART1).
pub const UART: [EventPair; 5] = [UART1, UART2, UART3, UART4, UART5];
/// The ECSPI events by ECSPI index (0 = ECSPI1).
pub const ECSPI: [EventPair; 4] = [ECSPI1, ECSPI2, ECSPI3, ECSPI4];
/// The ASRC events by pair (0 = A).
pub const ASRC: [EventPair; 3] = [ASRC_A, ASRC_B, ASRC_C];

/// Every event pair listed in this module, with a name, for reports and checks.
pub const ALL: [(&str, EventPair); 17] = [
    ("SSI1", SSI1),
    ("SSI2", SSI2),
    ("SSI3", SSI3),
    ("ESAI", ESAI),
    ("SPDIF", SPDIF),
    ("UART1", UART1),
    ("UART2", UART2),
    ("UART3", UART3),
    ("UART4", UART4),
    ("UART5", UART5),
    ("ECSPI1", ECSPI1),
    ("ECSPI2", ECSPI2),
    ("ECSPI3", ECSPI3),
    ("ECSPI4", ECSPI4),
    ("ASRC_A", ASRC_A),
    ("ASRC_B", ASRC_B),
    ("ASRC_C", ASRC_C),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_distinct_and_in_range() {
        let mut seen = [false; NUM_EVENTS as usize];
        for (name, pair) in ALL {
            for e in [pair.rx.number(), pair.tx.number()] {
                assert!(e < u16::from(NUM_EVENTS), "{name}: {e}");
                assert!(!seen[e as usize], "{name}: event {e} listed twice");
                seen[e as usize] = true;
            }
        }
    }

    #[test]
    fn values_of_the_device_tree() {
        // imx6qdl.dtsi `dmas` cells (`docs/hardware-facts.md#sdma-events`).
        assert_eq!(
            SSI.map(|p| (p.rx.number(), p.tx.number())),
            [(37, 38), (41, 42), (45, 46)]
        );
        assert_eq!(UART.map(|p| p.rx.number()), [25, 27, 29, 31, 33]);
        assert_eq!(ECSPI.map(|p| p.tx.number()), [4, 6, 8, 10]);
        assert_eq!(
            ASRC.map(|p| (p.rx.number(), p.tx.number())),
            [(17, 20), (18, 21), (19, 22)]
        );
        assert_eq!(
            (
                ESAI.rx.number(),
                ESAI.tx.number(),
                SPDIF.rx.number(),
                SPDIF.tx.number()
            ),
            (23, 24, 14, 15)
        );
    }
}
