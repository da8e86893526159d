//! CCM driver against the register-recording fake.

mod common;

use common::{Access, RecordingMmio};
use imx6_bsp::ccm::{
    gates, reg, Ccm, Cko2Source, GateMode, SsiClockSource, SsiIndex, SsiRootDividers,
};

/// CCGR values QEMU 7.2 reports after reset (`docs/hardware-facts.md#ccm`).
fn qemu_reset() -> RecordingMmio {
    let fake = RecordingMmio::new();
    for n in 0..7 {
        fake.set(reg::CCGR0 + 4 * n, 0xFFFF_FFFF);
    }
    fake.set(reg::CCGR0 + 8, 0xFC3F_FFFF);
    fake
}

#[test]
fn audio_gates_are_set_one_field_at_a_time() {
    let fake = RecordingMmio::new();
    let ccm = Ccm::new(&fake);
    ccm.enable_all(&gates::SABRELITE_AUDIO);
    // SDMA CG3, SPBA CG6, SSI1 CG9 in CCGR5 (0x7C), then I2C1 CG3 in CCGR2 (0x70).
    assert_eq!(
        fake.writes(),
        vec![
            (0x7C, 0x0000_00C0),
            (0x7C, 0x0000_30C0),
            (0x7C, 0x000C_30C0),
            (0x70, 0x0000_00C0),
        ]
    );
    // Each write is a read-modify-write of the same register.
    let log = fake.log();
    assert_eq!(log[0], Access::Read32(0x7C, 0));
    assert_eq!(log[1], Access::Write32(0x7C, 0xC0));
}

#[test]
fn disable_clears_only_its_field() {
    let fake = qemu_reset();
    let ccm = Ccm::new(&fake);
    ccm.disable(gates::SSI1);
    assert_eq!(fake.value(0x7C), 0xFFF3_FFFF);
    assert_eq!(ccm.gate_mode(gates::SSI1), GateMode::Off);
    assert_eq!(ccm.gate_mode(gates::SDMA), GateMode::On);
    ccm.set_gate(gates::SSI1, GateMode::RunOnly);
    assert_eq!(fake.value(0x7C), 0xFFF7_FFFF);
    assert_eq!(ccm.gate_mode(gates::SSI1), GateMode::RunOnly);
    // QEMU's CCGR2 has I2C1 (bits 7:6) on already; I2C2/3 fields differ.
    assert_eq!(ccm.gate_mode(gates::I2C1), GateMode::On);
    assert_eq!(ccm.gate_mode(gates::I2C3), GateMode::On);
}

#[test]
fn codec_mclk_is_the_oscillator_on_clko1() {
    let fake = RecordingMmio::with_values(&[(reg::CCOSR, 0x000A_0001)]);
    let ccm = Ccm::new(&fake);
    assert_eq!(ccm.enable_sabrelite_codec_mclk(), 24_000_000);
    // `docs/hardware-facts.md#ccm` (CLKO1): clear 0x01FF0100, OR in 0x010E0100.
    assert_eq!(
        fake.writes(),
        vec![(reg::CCOSR, (0x000A_0001 & !0x01FF_0100) | 0x010E_0100)]
    );
}

#[test]
fn ssi_root_fields_land_where_linux_puts_them() {
    let fake = RecordingMmio::with_values(&[
        (reg::CSCMR1, 0xFFFF_FFFF),
        (reg::CS1CDR, 0xFFFF_FFFF),
        (reg::CS2CDR, 0),
    ]);
    let ccm = Ccm::new(&fake);
    let d = SsiRootDividers { pred: 2, podf: 5 };
    ccm.set_ssi_root(SsiIndex::Ssi3, SsiClockSource::Pll4Audio, d);
    // ssi3_sel [15:14] = 2; ssi3 pred [24:22] = 1, podf [21:16] = 4; rest untouched.
    assert_eq!(fake.value(reg::CSCMR1), 0xFFFF_BFFF);
    assert_eq!(
        fake.value(reg::CS1CDR),
        !0x01FF_0000 | (1 << 22) | (4 << 16)
    );
    ccm.set_ssi_root(
        SsiIndex::Ssi2,
        SsiClockSource::Pll3Pfd2,
        SsiRootDividers { pred: 8, podf: 64 },
    );
    assert_eq!(fake.value(reg::CS2CDR), (7 << 6) | 63);
    assert_eq!(fake.value(reg::CSCMR1) & (0b11 << 12), 0);
}

#[test]
fn cko2_source_and_divider_fields() {
    let fake = RecordingMmio::new();
    let ccm = Ccm::new(&fake);
    ccm.route_cko2_to_clko1(Cko2Source::Ssi1, 3);
    // CLKO2_SEL 0x12, CLKO2_DIV = 2, CLKO2_EN, CLKO_SEL.
    assert_eq!(
        fake.value(reg::CCOSR),
        (0x12 << 16) | (2 << 21) | (1 << 24) | (1 << 8)
    );
}
