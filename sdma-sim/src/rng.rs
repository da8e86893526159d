//! Seeded pseudo-random numbers for every simulation of the workspace: [`SplitMix`]
//! (SplitMix64, the generator of the PCM XRUN storm, the Linux worker delays of the
//! demo and the seeding below) and [`SimRng`] (xoshiro256** seeded through
//! [`SplitMix`], the engine's generator).
//!
//! Hand-rolled (a few dozen lines) so that the streams are fixed forever by this file
//! and not by a dependency's version: the same seed gives the same run, byte for byte,
//! and the demo's JSON stays the same across releases.

/// A small deterministic generator (SplitMix64, Steele, Lea and Flood). The state is
/// public so that a caller can keep it in an atomic or replay it from a printed seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `lo..=hi` by reduction modulo the span (returns `lo` when
    /// `hi <= lo`). The modulo bias is below 2^-40 for the spans the storms use; the
    /// reduction is part of the recorded streams, so it stays.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// A small, fast, seedable generator (xoshiro256**, Blackman and Vigna).
#[derive(Clone, Debug)]
pub struct SimRng {
    s: [u64; 4],
}

impl SimRng {
    /// A generator whose whole stream is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        // SplitMix64 spreads the 64-bit seed over the 256-bit state.
        let mut sm = SplitMix(seed);
        let s = [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()];
        Self { s }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform value in `lo..=hi` (returns `lo` when `hi <= lo`).
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let span = hi - lo;
        if span == u64::MAX {
            return self.next_u64();
        }
        // Multiply-shift reduction: bias below 2^-64 per draw, irrelevant here.
        lo + ((u128::from(self.next_u64()) * u128::from(span + 1)) >> 64) as u64
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        den != 0 && self.range_inclusive(0, den - 1) < num
    }

    /// Fills `buf` with random bytes.
    pub fn fill_bytes(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // SplitMix64 from seed 0: the published first outputs of the algorithm.
        let mut g = SplitMix(0);
        assert_eq!(g.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(g.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let mut r = SplitMix(9);
        for _ in 0..1000 {
            assert!((3..=5).contains(&r.range(3, 5)));
        }
        assert_eq!(SplitMix(1).range(7, 7), 7);
    }

    #[test]
    fn same_seed_same_stream_and_ranges_hold() {
        let mut a = SimRng::new(42);
        let mut b = SimRng::new(42);
        let mut c = SimRng::new(43);
        let va: Vec<u64> = (0..16).map(|_| a.next_u64()).collect();
        let vb: Vec<u64> = (0..16).map(|_| b.next_u64()).collect();
        let vc: Vec<u64> = (0..16).map(|_| c.next_u64()).collect();
        assert_eq!(va, vb);
        assert_ne!(va, vc);
        let mut r = SimRng::new(7);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let v = r.range_inclusive(10, 14);
            assert!((10..=14).contains(&v));
            seen[(v - 10) as usize] = true;
        }
        assert!(
            seen.iter().all(|&s| s),
            "every value of a small range is drawn"
        );
    }
}
