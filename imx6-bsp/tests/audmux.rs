//! AUDMUX driver against the register-recording fake.

mod common;

use common::RecordingMmio;
use imx6_bsp::audmux::{Audmux, ClockMaster, Port, Routing, SABRELITE};

#[test]
fn sabrelite_routing_writes_linux_values_in_order() {
    let fake = RecordingMmio::new();
    Audmux::new(&fake).apply(&SABRELITE);
    assert_eq!(
        fake.writes(),
        vec![
            (0x00, 0x9CC0_0800),
            (0x04, 0x0000_6000),
            (0x18, 0x0000_0800),
            (0x1C, 0)
        ]
    );
}

#[test]
fn read_back_on_qemu_is_zero_and_other_ports_are_untouched() {
    let fake = RecordingMmio::new();
    let mux = Audmux::new(&fake);
    let r = Routing::synchronous(Port::Port2, Port::Port5, ClockMaster::External);
    mux.apply(&r);
    let written: Vec<usize> = fake.writes().iter().map(|w| w.0).collect();
    assert_eq!(written, vec![0x08, 0x0C, 0x20, 0x24]);
    let p2 = mux.read_port(Port::Port2);
    assert_eq!(p2.ptcr, 0x8000_0800 | (4 << 27) | (1 << 26) | (4 << 22));
    assert_eq!(p2.pdcr, 4 << 13);
    assert_eq!(mux.read_port(Port::Port1).ptcr, 0);
}
