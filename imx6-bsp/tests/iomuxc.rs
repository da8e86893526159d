//! IOMUXC driver against the register-recording fake: the SabreLite pad values of the
//! facts (`docs/hardware-facts.md#iomuxc`), written select-input first, pad control, then mux.

mod common;

use common::RecordingMmio;
use imx6_bsp::iomuxc::{Iomuxc, SABRELITE_I2C1, SABRELITE_UART2};

#[test]
fn sabrelite_audio_pads_in_order_with_reference_values() {
    let fake = RecordingMmio::new();
    Iomuxc::new(&fake).configure_sabrelite_audio();
    // Offsets are IOMUXC-relative (absolute minus 0x020E0000), values from the table.
    let expected = vec![
        // CCM_CLKO1 on GPIO_0.
        (0x5F0, 0x030B0),
        (0x220, 0),
        // AUD4_RXD on SD2_DAT0.
        (0x7B4, 0),
        (0x368, 0x130B0),
        (0x054, 3),
        // AUD4_TXC on SD2_DAT3 (select input = 1).
        (0x7C4, 1),
        (0x744, 0x130B0),
        (0x35C, 3),
        // AUD4_TXD on SD2_DAT2.
        (0x7B8, 0),
        (0x364, 0x110B0),
        (0x050, 3),
        // AUD4_TXFS on SD2_DAT1.
        (0x7C8, 0),
        (0x360, 0x130B0),
        (0x04C, 3),
        // I2C1_SCL on EIM_D21 (ALT6 + SION).
        (0x898, 0),
        (0x3B8, 0x1B8B1),
        (0x0A4, 0x16),
        // I2C1_SDA on EIM_D28 (ALT1 + SION).
        (0x89C, 0),
        (0x3D8, 0x1B8B1),
        (0x0C4, 0x11),
    ];
    assert_eq!(fake.writes(), expected);
    // Pure writes: no read-modify-write on the IOMUXC (QEMU reads it as zero).
    assert_eq!(fake.log().len(), expected.len());
}

#[test]
fn i2c_recovery_and_back() {
    let fake = RecordingMmio::new();
    let iomuxc = Iomuxc::new(&fake);
    iomuxc.i2c1_to_gpio();
    assert_eq!(fake.writes(), vec![(0x0A4, 5), (0x0C4, 5)]);
    iomuxc.configure_all(&SABRELITE_I2C1);
    assert_eq!(fake.value(0x0A4), 0x16);
    assert_eq!(fake.value(0x0C4), 0x11);
}

#[test]
fn console_uart2_pads() {
    let fake = RecordingMmio::new();
    Iomuxc::new(&fake).configure_all(&SABRELITE_UART2);
    assert_eq!(
        fake.writes(),
        vec![
            (0x3D0, 0x1B0B1),
            (0x0BC, 4),
            (0x928, 1),
            (0x3D4, 0x1B0B1),
            (0x0C0, 4)
        ]
    );
}
