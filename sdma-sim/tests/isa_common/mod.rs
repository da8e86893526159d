//! A register-level rig for the ISA engine: what the driver does at bring-up (CCB,
//! channel 0, SETPM of the open scripts, SETDM of contexts), without the driver.
#![allow(dead_code)]

use std::collections::VecDeque;

use sdma_pac::bd::status;
use sdma_pac::context::{data_address, ChannelContext};
use sdma_pac::{cmd, sdma::offsets as off};
use sdma_sim::isa::{Bus, IsaConfig, IsaError, IsaSdma};
use sdma_sim::US;

pub const DONE: u32 = status::DONE;
pub const WRAP: u32 = status::WRAP;
pub const CONT: u32 = status::CONT;
pub const INTR: u32 = status::INTR;
pub const LAST: u32 = status::LAST;
pub const ERROR: u32 = status::ERROR;

/// A BD's mode word: count, status bits, command byte.
pub fn mode(count: u32, status_bits: u32, command: u8) -> u32 {
    count | status_bits | u32::from(command) << 24
}

pub struct Rig {
    pub e: IsaSdma,
    pub ccb: u32,
    c0bd: u32,
    staging: u32,
}

impl Rig {
    /// Engine after the driver's bring-up: CCB, CHN0ADDR, channel 0 at priority 7.
    pub fn new() -> Self {
        let mut e = IsaSdma::new(IsaConfig::default()).expect("engine");
        let m = e.memory_mut();
        let ccb = m.alloc(32 * 16, 16).expect("ccb");
        let c0bd = m.alloc(12, 4).expect("bd");
        let staging = m.alloc(0x4000, 4).expect("staging");
        m.write_u32(ccb, c0bd).expect("ccb0");
        m.write_u32(ccb + 4, c0bd).expect("ccb0");
        e.write_reg(off::MC0PTR, ccb);
        e.write_reg(off::CHN0ADDR, 0x4050);
        e.write_reg(off::EVTOVR, 1);
        e.write_reg(off::CHNPRI0, 7);
        Self {
            e,
            ccb,
            c0bd,
            staging,
        }
    }

    /// Runs one channel-0 command to completion; returns the BD's mode word after it.
    pub fn channel0(&mut self, command: u8, count: u16, buffer: u32, ext: u32) -> u32 {
        let m = self.e.memory_mut();
        let bd = self.c0bd;
        m.write_u32(bd, mode(u32::from(count), DONE | WRAP | INTR, command))
            .expect("bd");
        m.write_u32(bd + 4, buffer).expect("bd");
        m.write_u32(bd + 8, ext).expect("bd");
        self.e.write_reg(off::HSTART, 1);
        let t = self.e.now() + 200 * US;
        self.e.run_until(t);
        assert_eq!(self.e.read_reg(off::INTR) & 1, 1, "channel 0 finished");
        self.e.write_reg(off::INTR, 1);
        self.e.memory().read_u32(bd).expect("bd")
    }

    /// Loads a firmware image of ours with SETPM and registers it as open code.
    pub fn load_image(&mut self, image: &[u8]) -> sdma_core::sdma::firmware::Firmware<'static> {
        let image: &'static [u8] = image.to_vec().leak();
        let fw = sdma_core::sdma::firmware::Firmware::parse(image).expect("image parses");
        let load = fw.load_address().expect("load address");
        let code = fw.ram_code();
        self.e
            .memory_mut()
            .write(self.staging, code)
            .expect("staging");
        let m = self.channel0(
            cmd::SETPM,
            (code.len() / 2) as u16,
            self.staging,
            u32::from(load),
        );
        assert_eq!(m & ERROR, 0, "SETPM ok");
        self.e.register_open_image(image).expect("registered");
        fw
    }

    /// Loads the checked-in open scripts; returns the entry of `name`.
    pub fn load_open_scripts(&mut self) -> sdma_core::sdma::firmware::Firmware<'static> {
        self.load_image(sdma_core::sdma::script::OPEN_SCRIPTS)
    }

    /// Loads `ctx` as channel `ch`'s context with SETDM (as the driver does).
    pub fn load_context(&mut self, ch: u8, ctx: &ChannelContext) {
        let words = ctx.to_words();
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.e
            .memory_mut()
            .write(self.staging, &bytes)
            .expect("staging");
        let m = self.channel0(cmd::SETDM, 32, self.staging, data_address(u32::from(ch)));
        assert_eq!(m & ERROR, 0, "SETDM ok");
    }

    /// Writes a BD ring for `ch` (mode, buffer, ext per BD) and points its CCB at it.
    pub fn ring(&mut self, ch: u8, bds: &[(u32, u32, u32)]) -> u32 {
        let m = self.e.memory_mut();
        let base = m.alloc(12 * bds.len() as u32, 4).expect("ring");
        for (i, &(mo, b, x)) in bds.iter().enumerate() {
            let a = base + 12 * i as u32;
            m.write_u32(a, mo).expect("bd");
            m.write_u32(a + 4, b).expect("bd");
            m.write_u32(a + 8, x).expect("bd");
        }
        let entry = self.ccb + 16 * u32::from(ch);
        m.write_u32(entry, base).expect("ccb");
        m.write_u32(entry + 4, base).expect("ccb");
        base
    }

    /// The mode word of BD `i` of the ring at `base`.
    pub fn bd_mode(&self, base: u32, i: u32) -> u32 {
        self.e.memory().read_u32(base + 12 * i).expect("bd")
    }

    /// Sets a channel's priority and starts it.
    pub fn start(&mut self, ch: u8, priority: u32) {
        self.e
            .write_reg(off::CHNPRI0 + 4 * usize::from(ch), priority);
        self.e.write_reg(off::HSTART, 1 << ch);
    }

    /// Allocates `len` bytes filled with `f(i)`.
    pub fn buffer(&mut self, len: u32, f: impl Fn(u32) -> u8) -> u32 {
        let m = self.e.memory_mut();
        let a = m.alloc(len, 4).expect("buffer");
        let bytes: Vec<u8> = (0..len).map(f).collect();
        m.write(a, &bytes).expect("fill");
        a
    }

    pub fn read(&self, addr: u32, len: u32) -> Vec<u8> {
        let mut b = vec![0u8; len as usize];
        self.e.memory().read(addr, &mut b).expect("read");
        b
    }

    /// The entry address the image gives `name`.
    pub fn entry(fw: &sdma_core::sdma::firmware::Firmware<'_>, name: &str) -> u16 {
        fw.script_addrs().get(name).expect("script in the image")
    }
}

/// A flat test bus for the core alone: program at [`LOAD`], 64 KiB of memory at [`MEM`],
/// one receive and one transmit FIFO, and a log of memory writes.
pub const LOAD: u16 = 0x1800;
pub const MEM: u32 = 0x1000_0000;
pub const FIFO_RX: u32 = 0x0202_8010;
pub const FIFO_TX: u32 = 0x0202_8000;

#[derive(Default)]
pub struct FlatBus {
    pub program: Vec<u16>,
    pub data: Vec<u32>,
    pub mem: Vec<u8>,
    pub rx: VecDeque<u32>,
    pub tx: Vec<u32>,
    /// Every memory write: (address, bytes, value).
    pub writes: Vec<(u32, u32, u32)>,
}

impl FlatBus {
    pub fn new(program: Vec<u16>) -> Self {
        Self {
            program,
            data: vec![0; 0x2000],
            mem: vec![0; 0x1_0000],
            ..Self::default()
        }
    }
    fn range(&self, addr: u32, bytes: u32) -> Option<std::ops::Range<usize>> {
        let off = addr.checked_sub(MEM)? as usize;
        (off + bytes as usize <= self.mem.len()).then_some(off..off + bytes as usize)
    }
    pub fn word(&self, addr: u32) -> u32 {
        let r = self.range(addr, 4).expect("in memory");
        u32::from_le_bytes(self.mem[r].try_into().expect("4 bytes"))
    }
}

impl Bus for FlatBus {
    fn fetch(&mut self, pc: u16) -> Result<u16, IsaError> {
        if pc < 0x800 {
            return Err(IsaError::RomCode { pc });
        }
        pc.checked_sub(LOAD)
            .and_then(|i| self.program.get(usize::from(i)).copied())
            .ok_or(IsaError::ForeignCode { pc })
    }
    fn data_read(&mut self, addr: u32) -> Option<u32> {
        self.data.get(addr as usize).copied()
    }
    fn data_write(&mut self, addr: u32, value: u32) -> bool {
        self.data
            .get_mut(addr as usize)
            .map(|w| *w = value)
            .is_some()
    }
    fn mem_read(&mut self, addr: u32, bytes: u32) -> Option<u32> {
        let r = self.range(addr, bytes)?;
        let mut b = [0u8; 4];
        b[..bytes as usize].copy_from_slice(&self.mem[r]);
        Some(u32::from_le_bytes(b))
    }
    fn mem_write(&mut self, addr: u32, bytes: u32, value: u32) -> bool {
        let Some(r) = self.range(addr, bytes) else {
            return false;
        };
        self.mem[r].copy_from_slice(&value.to_le_bytes()[..bytes as usize]);
        self.writes.push((addr, bytes, value));
        true
    }
    fn periph_read(&mut self, addr: u32, _bytes: u32) -> Option<u32> {
        (addr == FIFO_RX).then(|| self.rx.pop_front().unwrap_or(0xDEAD))
    }
    fn periph_write(&mut self, addr: u32, _bytes: u32, value: u32) -> bool {
        (addr == FIFO_TX).then(|| self.tx.push(value)).is_some()
    }
}
