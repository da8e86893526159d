//! CPU address to eDMA bus address translation.
//!
//! The eDMA is programmed with 32-bit bus addresses. On i.MX RT1060 the CPU and the eDMA
//! see OCRAM, DTCM and external RAM at the same addresses, so [`Identity`] is right. Some
//! parts (the RT1170's Cortex-M7 tightly coupled memories) and the host tests see memory
//! elsewhere: [`RegionMap`] translates a few fixed windows.

/// Translates CPU addresses of DMA-visible memory into eDMA bus addresses.
pub trait AddressMap {
    /// The bus address of the CPU address `cpu`, or `None` when the eDMA cannot reach it.
    /// Every byte of one buffer must translate linearly (the first byte is translated and
    /// the eDMA walks on from there), so implementations map whole windows.
    fn to_bus(&self, cpu: usize, len: usize) -> Option<u32>;
}

/// The eDMA sees memory at the CPU's addresses (i.MX RT10xx).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Identity;

impl AddressMap for Identity {
    fn to_bus(&self, cpu: usize, len: usize) -> Option<u32> {
        let end = cpu.checked_add(len)?;
        // The last byte must be addressable too.
        u32::try_from(end.saturating_sub(1)).ok()?;
        u32::try_from(cpu).ok()
    }
}

/// One window of a [`RegionMap`]: `len` bytes at CPU address `cpu` appear at bus address
/// `bus`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// First CPU address.
    pub cpu: usize,
    /// Bus address of `cpu`.
    pub bus: u32,
    /// Length in bytes.
    pub len: usize,
}

impl Window {
    fn bus_of(self, cpu: usize, len: usize) -> Option<u32> {
        let off = cpu.checked_sub(self.cpu)?;
        let end = off.checked_add(len)?;
        if end > self.len {
            return None;
        }
        self.bus.checked_add(u32::try_from(off).ok()?)
    }

    fn cpu_of(self, bus: u32, len: usize) -> Option<usize> {
        let off = usize::try_from(bus.checked_sub(self.bus)?).ok()?;
        let end = off.checked_add(len)?;
        if end > self.len {
            return None;
        }
        self.cpu.checked_add(off)
    }
}

/// Up to `K` fixed translation windows, searched in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionMap<const K: usize> {
    windows: [Window; K],
    used: usize,
}

impl<const K: usize> Default for RegionMap<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const K: usize> RegionMap<K> {
    /// No windows.
    pub const fn new() -> Self {
        RegionMap {
            windows: [Window {
                cpu: 0,
                bus: 0,
                len: 0,
            }; K],
            used: 0,
        }
    }

    /// Add a window; `Err(window)` when all `K` are in use.
    pub fn add(&mut self, window: Window) -> Result<(), Window> {
        let slot = self.windows.get_mut(self.used).ok_or(window)?;
        *slot = window;
        self.used += 1;
        Ok(())
    }

    /// The windows in use.
    pub fn windows(&self) -> &[Window] {
        &self.windows[..self.used]
    }

    /// The reverse translation: the CPU address of `len` bytes at bus address `bus`
    /// (used by behavioural models that play the eDMA on the host).
    pub fn to_cpu(&self, bus: u32, len: usize) -> Option<usize> {
        self.windows().iter().find_map(|w| w.cpu_of(bus, len))
    }
}

impl<const K: usize> AddressMap for RegionMap<K> {
    fn to_bus(&self, cpu: usize, len: usize) -> Option<u32> {
        self.windows().iter().find_map(|w| w.bus_of(cpu, len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_refuses_addresses_above_4_gib() {
        assert_eq!(Identity.to_bus(0x2020_0000, 16), Some(0x2020_0000));
        assert_eq!(Identity.to_bus(0xFFFF_FFF0, 16), Some(0xFFFF_FFF0));
        assert_eq!(Identity.to_bus(0xFFFF_FFF0, 17), None);
    }

    #[test]
    fn region_map_translates_both_ways_inside_windows_only() {
        let mut m = RegionMap::<2>::new();
        m.add(Window {
            cpu: 0x7f00_0000_1000,
            bus: 0x2020_0000,
            len: 0x100,
        })
        .unwrap();
        assert_eq!(m.to_bus(0x7f00_0000_1010, 0x10), Some(0x2020_0010));
        assert_eq!(m.to_bus(0x7f00_0000_10f0, 0x11), None, "crosses the end");
        assert_eq!(m.to_bus(0x7f00_0000_0fff, 1), None);
        assert_eq!(m.to_cpu(0x2020_00f0, 0x10), Some(0x7f00_0000_10f0));
        assert_eq!(m.to_cpu(0x2020_0100, 1), None);
        m.add(Window::default()).unwrap();
        assert!(m.add(Window::default()).is_err(), "only K windows");
    }
}
