//! SDMA request (event) numbers of the i.MX6UL/ULL.
//!
//! From the Linux device tree `imx6ul.dtsi` (`dmas = <&sdma EVENT TYPE PRIO>`); the
//! SAIs use peripheral type 24 (`IMX_DMATYPE_SAI`), whose channels run the ROM scripts
//! `app_2_mcu` (receive) and `mcu_2_app` (transmit), so no RAM firmware is needed.
//! The event numbers of the SAIs sit where the i.MX6Q has its SSI events (37/38 is
//! SSI1 there, SAI2 here): a program must take them from its own SoC's module.

use crate::events::EventPair;

/// Number of SDMA events (`CHNENBL0..CHNENBL47`), as on the i.MX6Q.
pub const NUM_EVENTS: u8 = 48;

/// SAI1 (RX = 35, TX = 36).
pub const SAI1: EventPair = EventPair::new(35, 36);
/// SAI2 (RX = 37, TX = 38): the EVK's WM8960 port.
pub const SAI2: EventPair = EventPair::new(37, 38);
/// SAI3 (RX = 39, TX = 40).
pub const SAI3: EventPair = EventPair::new(39, 40);
/// SPDIF (RX = 41, TX = 42).
pub const SPDIF: EventPair = EventPair::new(41, 42);
/// UART7 (RX = 43, TX = 44).
pub const UART7: EventPair = EventPair::new(43, 44);
/// UART8 (RX = 45, TX = 46).
pub const UART8: EventPair = EventPair::new(45, 46);
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

/// The SAI events by SAI index (0 = SAI1).
pub const SAI: [EventPair; 3] = [SAI1, SAI2, SAI3];

/// Every event pair listed in this module, with a name, for reports and checks.
pub const ALL: [(&str, EventPair); 13] = [
    ("SAI1", SAI1),
    ("SAI2", SAI2),
    ("SAI3", SAI3),
    ("SPDIF", SPDIF),
    ("UART7", UART7),
    ("UART8", UART8),
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
        assert_eq!(
            SAI.map(|p| (p.rx.number(), p.tx.number())),
            [(35, 36), (37, 38), (39, 40)]
        );
        assert_eq!((SPDIF.rx.number(), SPDIF.tx.number()), (41, 42));
        // The SoC trap: SAI2's events are the i.MX6Q's SSI1 events.
        assert_eq!(SAI2, crate::events::SSI1);
    }
}
