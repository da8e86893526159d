//! The functional units a transfer script drives with `ldf`/`stf`: the burst DMA unit
//! (memory side) and the peripheral DMA unit (peripheral side).
//!
//! The operand byte of `ldf`/`stf` selects the unit and register. Its bits are
//! community-derived (no reference-manual text was available): see `ISA-001` and `ISA-002`
//! in `docs/hardware-assumptions.md`. Operands this module does not decode end the run
//! with [`IsaError::UnmodelledUnit`] instead of guessing.
//!
//! - Burst unit, operand bits 7:6 = `00`; bits 3:2 select MSA (00), MDA (01), MD (10),
//!   MS (11). `stf MSA`: bit 5 prefetch, bit 4 freeze (the address does not advance).
//!   `stf MDA`: bit 4 freeze. `ldf MD`: bits 1:0 size (00 = SZ0, no access: the last
//!   data word is returned; 01 = 8 bits, 10 = 16, 11 = 32), bit 5 prefetch. `stf MD`:
//!   bits 1:0 size (SZ0 writes nothing: with bit 5 it is a pure flush), bit 5 flush,
//!   bit 4 copy (the register holds a byte count copied from MSA to MDA). `ldf MS` reads the status (0:
//!   idle, no error; the model completes every write at once, so a flush is immediate);
//!   `stf MS` clears the unit's error.
//! - Peripheral unit, bits 7:6 = `11`. `0xFF`: PS (status). `0xCC`: clear the error.
//!   Bits 3:2 = `10` with bit 4 clear: PD, the data register (`ldf`: read from PSA;
//!   `stf`: write to PDA; bit 5 prefetch/flush, ignored). Otherwise bit 4 selects PDA (1)
//!   or PSA (0), bits 3:2 the address mode (00 frozen, 01 increment, 10 decrement, 11
//!   taken as frozen) and bits 1:0 the access size; PSA/PDA are written with `stf` and
//!   read back with `ldf`.
//!
//! A bus error on a read sets SF, on a write DF; the access has no other effect.

use super::core::{Bus, IsaError};

/// Burst-unit access size in bytes of a size field (bits 1:0); `None` for SZ0 (no
/// data access).
fn burst_size(bits: u8) -> Option<u32> {
    match bits & 3 {
        0 => None,
        b => Some(size_bytes(b)),
    }
}

/// Peripheral access size in bytes of a size field (bits 1:0); `00` is taken as 32 bits
/// (ISA-002).
fn size_bytes(bits: u8) -> u32 {
    match bits & 3 {
        1 => 1,
        2 => 2,
        _ => 4,
    }
}

/// Mask of the low `bytes` bytes.
fn low_mask(bytes: u32) -> u32 {
    if bytes >= 4 {
        u32::MAX
    } else {
        (1 << (8 * bytes)) - 1
    }
}

/// The burst DMA unit's registers (saved in the context as MDA, MSA, MS, MD).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BurstUnit {
    /// Source address (next read).
    pub msa: u32,
    /// Destination address (next write).
    pub mda: u32,
    /// Status; the model keeps its address modes here: bit 0 MSA frozen, bit 1 MDA
    /// frozen, bit 31 error.
    pub ms: u32,
    /// Last data word read or written.
    pub md: u32,
}

const MS_MSA_FROZEN: u32 = 1 << 0;
const MS_MDA_FROZEN: u32 = 1 << 1;
const MS_ERROR: u32 = 1 << 31;

/// The peripheral DMA unit's registers (saved in the context as PDA, PSA, PS, PD).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeripheralUnit {
    /// Source address (the FIFO read by `ldf PD`).
    pub psa: u32,
    /// Destination address (the FIFO written by `stf PD`).
    pub pda: u32,
    /// Status; the model keeps the access modes here: bits 1:0 PSA size, 3:2 PSA mode,
    /// 5:4 PDA size, 7:6 PDA mode, bit 31 error.
    pub ps: u32,
    /// Last data word read or written.
    pub pd: u32,
}

const PS_ERROR: u32 = 1 << 31;

/// What a unit access did to the fault flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnitEffect {
    /// A read failed (sets SF).
    pub source_fault: bool,
    /// A write failed (sets DF).
    pub dest_fault: bool,
    /// Bus accesses made (for the cycle count).
    pub bus_accesses: u32,
}

/// Executes `ldf r, operand`: returns the value read.
pub fn ldf(
    burst: &mut BurstUnit,
    periph: &mut PeripheralUnit,
    bus: &mut dyn Bus,
    operand: u8,
    pc: u16,
) -> Result<(u32, UnitEffect), IsaError> {
    let mut fx = UnitEffect::default();
    let value = match operand >> 6 {
        0b00 => match (operand >> 2) & 3 {
            0 => burst.msa,
            1 => burst.mda,
            2 => {
                let Some(n) = burst_size(operand) else {
                    return Ok((burst.md, fx));
                };
                fx.bus_accesses = 1;
                match bus.mem_read(burst.msa, n) {
                    Some(v) => {
                        if burst.ms & MS_MSA_FROZEN == 0 {
                            burst.msa = burst.msa.wrapping_add(n);
                        }
                        burst.md = v & low_mask(n);
                        burst.md
                    }
                    None => {
                        fx.source_fault = true;
                        burst.ms |= MS_ERROR;
                        0
                    }
                }
            }
            _ => burst.ms & MS_ERROR,
        },
        0b11 => match operand {
            0xFF => periph.ps & PS_ERROR,
            o if o & 0x1C == 0x08 => {
                let n = size_bytes(periph.ps as u8);
                fx.bus_accesses = 1;
                match bus.periph_read(periph.psa, n) {
                    Some(v) => {
                        periph.psa = advance(periph.psa, (periph.ps >> 2) as u8, n);
                        periph.pd = v & low_mask(n);
                        periph.pd
                    }
                    None => {
                        fx.source_fault = true;
                        periph.ps |= PS_ERROR;
                        0
                    }
                }
            }
            o if o & 0x10 != 0 && o != 0xCC => periph.pda,
            o if o != 0xCC => periph.psa,
            _ => return Err(IsaError::UnmodelledUnit { pc, operand }),
        },
        _ => return Err(IsaError::UnmodelledUnit { pc, operand }),
    };
    Ok((value, fx))
}

/// Executes `stf r, operand` with `value` = the register.
pub fn stf(
    burst: &mut BurstUnit,
    periph: &mut PeripheralUnit,
    bus: &mut dyn Bus,
    operand: u8,
    value: u32,
    pc: u16,
) -> Result<UnitEffect, IsaError> {
    let mut fx = UnitEffect::default();
    match operand >> 6 {
        0b00 => match (operand >> 2) & 3 {
            0 => {
                burst.msa = value;
                set(&mut burst.ms, MS_MSA_FROZEN, operand & 0x10 != 0);
            }
            1 => {
                burst.mda = value;
                set(&mut burst.ms, MS_MDA_FROZEN, operand & 0x10 != 0);
            }
            2 if operand & 0x10 != 0 => copy(burst, bus, value, &mut fx),
            2 => {
                let Some(n) = burst_size(operand) else {
                    // SZ0: a flush; the model completes writes at once.
                    return Ok(fx);
                };
                fx.bus_accesses = 1;
                burst.md = value & low_mask(n);
                if bus.mem_write(burst.mda, n, burst.md) {
                    if burst.ms & MS_MDA_FROZEN == 0 {
                        burst.mda = burst.mda.wrapping_add(n);
                    }
                } else {
                    fx.dest_fault = true;
                    burst.ms |= MS_ERROR;
                }
            }
            _ => burst.ms &= !MS_ERROR,
        },
        0b11 => match operand {
            0xCC => periph.ps &= !PS_ERROR,
            0xFF => return Err(IsaError::UnmodelledUnit { pc, operand }),
            o if o & 0x1C == 0x08 => {
                let n = size_bytes((periph.ps >> 4) as u8);
                fx.bus_accesses = 1;
                periph.pd = value & low_mask(n);
                if bus.periph_write(periph.pda, n, periph.pd) {
                    periph.pda = advance(periph.pda, (periph.ps >> 6) as u8, n);
                } else {
                    fx.dest_fault = true;
                    periph.ps |= PS_ERROR;
                }
            }
            o if o & 0x10 != 0 => {
                periph.pda = value;
                periph.ps = (periph.ps & !0xF0) | u32::from(o & 0x0F) << 4;
            }
            o => {
                periph.psa = value;
                periph.ps = (periph.ps & !0x0F) | u32::from(o & 0x0F);
            }
        },
        _ => return Err(IsaError::UnmodelledUnit { pc, operand }),
    }
    Ok(fx)
}

fn set(reg: &mut u32, bit: u32, on: bool) {
    if on {
        *reg |= bit;
    } else {
        *reg &= !bit;
    }
}

/// The next peripheral address after an access of `n` bytes in address mode `mode`
/// (bits 1:0 of `mode`: 00 frozen, 01 increment, 10 decrement, 11 taken as frozen).
fn advance(addr: u32, mode: u8, n: u32) -> u32 {
    match mode & 3 {
        1 => addr.wrapping_add(n),
        2 => addr.wrapping_sub(n),
        _ => addr,
    }
}

/// Copy mode: `count` bytes from MSA to MDA, 32 bits at a time, the tail bytewise.
fn copy(burst: &mut BurstUnit, bus: &mut dyn Bus, count: u32, fx: &mut UnitEffect) {
    let mut left = count;
    while left > 0 {
        let n = if left >= 4 { 4 } else { 1 };
        // Read and write overlap in copy mode: one bus slot per word (ISA-007).
        fx.bus_accesses += 1;
        let Some(v) = bus.mem_read(burst.msa, n) else {
            fx.source_fault = true;
            burst.ms |= MS_ERROR;
            return;
        };
        if !bus.mem_write(burst.mda, n, v) {
            fx.dest_fault = true;
            burst.ms |= MS_ERROR;
            return;
        }
        burst.md = v;
        if burst.ms & MS_MSA_FROZEN == 0 {
            burst.msa = burst.msa.wrapping_add(n);
        }
        if burst.ms & MS_MDA_FROZEN == 0 {
            burst.mda = burst.mda.wrapping_add(n);
        }
        left -= n;
    }
}
