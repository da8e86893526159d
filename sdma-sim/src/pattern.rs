//! Sample pattern generator and checker: detects every lost, repeated or reordered sample.
//!
//! Sample number `n` of a stream (counting interleaved samples: frame `n / channels`,
//! channel `n % channels`) carries the value `n mod 2^bits`, where `bits` is the sample
//! width. With 2 channels this is a per-channel frame counter in the upper bits and the
//! channel number in bit 0, so a channel swap shows up as well as a lost frame. The checker
//! compares each sample with the one it expects next; any difference is a discontinuity,
//! classified by its signed distance as lost (forward jump) or repeated (backward jump,
//! which includes reordering). A jump of exactly a multiple of `2^bits` samples (32 768
//! samples for 16-bit data) is the only loss it cannot see.

/// The value of sample number `index` in a stream of `bits`-wide samples.
pub fn pattern_value(index: u64, bits: u32) -> u32 {
    (index & mask(bits)) as u32
}

fn mask(bits: u32) -> u64 {
    if bits >= 32 {
        u64::from(u32::MAX)
    } else {
        (1u64 << bits) - 1
    }
}

/// Produces the pattern, one sample at a time.
#[derive(Clone, Debug)]
pub struct PatternGenerator {
    next: u64,
    bits: u32,
}

impl PatternGenerator {
    /// A generator of `bits`-wide samples (1..=32) starting at sample 0.
    pub fn new(bits: u32) -> Self {
        Self {
            next: 0,
            bits: bits.clamp(1, 32),
        }
    }

    /// The next sample's value.
    pub fn next_sample(&mut self) -> u32 {
        let v = pattern_value(self.next, self.bits);
        self.next += 1;
        v
    }

    /// Number of samples produced so far.
    pub fn produced(&self) -> u64 {
        self.next
    }
}

/// What a [`PatternChecker`] has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckStats {
    /// Samples checked.
    pub checked: u64,
    /// Samples that arrived exactly as expected.
    pub in_order: u64,
    /// Samples missing at forward jumps (sum of the jump sizes).
    pub lost: u64,
    /// Samples replayed at backward jumps (sum of the jump sizes; reordering counts here).
    pub repeated: u64,
    /// Number of jumps (each lost/repeated/reordered run counts once).
    pub discontinuities: u64,
}

/// Checks a stream against the pattern.
#[derive(Clone, Debug)]
pub struct PatternChecker {
    expected: Option<u64>,
    /// `mask(bits)` of the sample width, computed once.
    mask: u64,
    stats: CheckStats,
}

impl PatternChecker {
    /// A checker for `bits`-wide samples that syncs to the first sample it sees.
    pub fn new(bits: u32) -> Self {
        Self {
            expected: None,
            mask: mask(bits.clamp(1, 32)),
            stats: CheckStats::default(),
        }
    }

    /// A checker that expects the stream to start at sample 0.
    pub fn from_start(bits: u32) -> Self {
        let mut c = Self::new(bits);
        c.expected = Some(0);
        c
    }

    /// Forgets the expected value: the next sample starts a new run (used after an XRUN,
    /// where a jump is legitimate).
    pub fn resync(&mut self) {
        self.expected = None;
    }

    /// Checks one sample; returns false if it was not the expected one.
    #[inline]
    pub fn check(&mut self, value: u32) -> bool {
        let m = self.mask;
        let v = u64::from(value) & m;
        self.stats.checked += 1;
        let ok = match self.expected {
            None => true,
            Some(e) => {
                let d = v.wrapping_sub(e) & m;
                if d == 0 {
                    true
                } else {
                    self.stats.discontinuities += 1;
                    if d <= m / 2 {
                        self.stats.lost += d;
                    } else {
                        self.stats.repeated += m + 1 - d;
                    }
                    false
                }
            }
        };
        if ok {
            self.stats.in_order += 1;
        }
        self.expected = Some((v + 1) & m);
        ok
    }

    /// Checks `values` in order, exactly as [`PatternChecker::check`] on each would
    /// (the counters kept in registers for the run: a burst's words at once).
    pub fn check_each(&mut self, values: impl IntoIterator<Item = u32>) {
        let m = self.mask;
        let mut values = values.into_iter();
        // The first word after a resync has nothing to compare with: in order.
        let expected = match self.expected {
            Some(e) => e,
            None => match values.next() {
                Some(value) => {
                    self.stats.checked += 1;
                    self.stats.in_order += 1;
                    (u64::from(value) + 1) & m
                }
                None => return,
            },
        };
        // The counters in locals for the loop.
        let mut t = Tally::new(m, expected);
        for value in values {
            t.word(u64::from(value));
        }
        self.add(&t);
    }

    /// [`PatternChecker::check_each`] on the little-endian 16-bit words of `bytes` (a
    /// trailing odd byte is ignored), read four at a time.
    pub fn check_each_le16(&mut self, bytes: &[u8]) {
        let Some(first) = bytes.get(..2) else {
            return;
        };
        self.check(u32::from(u16::from_le_bytes([first[0], first[1]])));
        let m = self.mask;
        let mut t = Tally::new(m, self.expected.unwrap_or(0));
        let mut quads = bytes[2..].chunks_exact(8);
        // 16-bit samples: four words in order, or the last word four times again
        // (silence), are recognised whole.
        let whole = m == 0xFFFF;
        for q in &mut quads {
            // Always eight bytes (`chunks_exact`).
            let Ok(q) = <[u8; 8]>::try_from(q) else {
                continue;
            };
            let v = u64::from_le_bytes(q);
            if whole {
                let e = t.expected;
                // `e, e + 1, e + 2, e + 3` in the four words (no wrap unless `e` is one
                // of the last three values).
                let in_order = if e + 3 <= m {
                    e * REPEAT + STEPS
                } else {
                    e | ((e + 1) & m) << 16 | ((e + 2) & m) << 32 | ((e + 3) & m) << 48
                };
                if v == in_order {
                    t.n += 4;
                    t.expected = (e + 4) & m;
                    continue;
                }
                if v == ((e + m) & m) * REPEAT {
                    // Each word is the previous again: a gap of one repeated word each.
                    t.n += 4;
                    t.gaps += 4;
                    t.repeated += 4;
                    continue;
                }
            }
            t.word(v & 0xFFFF);
            t.word((v >> 16) & 0xFFFF);
            t.word((v >> 32) & 0xFFFF);
            t.word(v >> 48);
        }
        for c in quads.remainder().chunks_exact(2) {
            t.word(u64::from(u16::from_le_bytes([c[0], c[1]])));
        }
        self.add(&t);
    }

    /// Adds a run's counts and takes its next expected word.
    fn add(&mut self, t: &Tally) {
        let st = &mut self.stats;
        st.checked += t.n;
        st.in_order += t.n - t.gaps;
        st.discontinuities += t.gaps;
        st.lost += t.lost;
        st.repeated += t.repeated;
        self.expected = Some(t.expected);
    }

    /// Checks every sample of `values`; returns the number of unexpected ones.
    pub fn check_all(&mut self, values: impl IntoIterator<Item = u32>) -> u64 {
        values.into_iter().map(|v| u64::from(!self.check(v))).sum()
    }

    /// The counters so far.
    pub fn stats(&self) -> CheckStats {
        self.stats
    }
}

/// One 16-bit value in each of four words.
pub(crate) const REPEAT: u64 = 0x0001_0001_0001_0001;
/// 0, 1, 2 and 3 in four 16-bit words (added to `v * REPEAT`: four values from `v` on).
pub(crate) const STEPS: u64 = 0x0003_0002_0001_0000;

/// The counts of a run of words ([`PatternChecker::check_each`], `check_each_le16`).
#[derive(Default)]
struct Tally {
    mask: u64,
    half: u64,
    expected: u64,
    n: u64,
    gaps: u64,
    lost: u64,
    repeated: u64,
}

impl Tally {
    /// No words yet, under `mask`, `expected` next.
    fn new(mask: u64, expected: u64) -> Self {
        Tally {
            mask,
            half: mask / 2,
            expected,
            ..Tally::default()
        }
    }

    /// One word, as [`PatternChecker::check`] counts it.
    #[inline]
    fn word(&mut self, v: u64) {
        let v = v & self.mask;
        let d = v.wrapping_sub(self.expected) & self.mask;
        self.n += 1;
        if d != 0 {
            self.gaps += 1;
            if d <= self.half {
                self.lost += d;
            } else {
                self.repeated += self.mask + 1 - d;
            }
        }
        self.expected = (v + 1) & self.mask;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_each_counts_as_check_on_every_word() {
        // In order, jumps both ways, a wrap at the width, resyncs: word by word and at
        // once must agree, whatever the chunking.
        let mut x = 0x1234_5678u32;
        let mut values = Vec::new();
        for i in 0..4_000u32 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            values.push(match x % 7 {
                0 => x,
                1 => i.wrapping_sub(3),
                _ => i,
            });
        }
        for bits in [8, 16, 24, 32] {
            let mut one = PatternChecker::new(bits);
            let mut many = PatternChecker::new(bits);
            for (n, chunk) in values.chunks(1 + bits as usize % 9).enumerate() {
                if n % 50 == 49 {
                    one.resync();
                    many.resync();
                }
                chunk.iter().for_each(|&v| {
                    one.check(v);
                });
                many.check_each(chunk.iter().copied());
            }
            assert_eq!(one.stats(), many.stats(), "{bits} bits");
            assert!(one.stats().discontinuities > 100 && one.stats().in_order > 100);
        }
    }

    #[test]
    fn check_each_le16_counts_as_check_on_every_word() {
        // Buffers of every length (odd byte counts, fewer than four words, a remainder
        // after the quads), runs in order, jumps, resyncs: the same counts and the same
        // next expected word as word-by-word checks.
        let mut x = 0x9e37_79b9u32;
        let mut bytes = Vec::new();
        for i in 0..3_000u32 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let v = match x % 5 {
                0 => x,
                1 => 0,
                _ => i,
            } as u16;
            // Runs of silence and of ordered words too (the whole-quad cases).
            let run = match (i / 97) % 3 {
                0 => 1,
                1 => 9,
                _ => 1,
            };
            for k in 0..run {
                let w = if (i / 97) % 3 == 1 {
                    v
                } else {
                    v.wrapping_add(k as u16)
                };
                bytes.extend_from_slice(&w.to_le_bytes());
            }
        }
        for bits in [8, 12, 16, 24] {
            let mut one = PatternChecker::new(bits);
            let mut many = PatternChecker::new(bits);
            let mut at = 0;
            for len in (0..).map(|n: usize| n * 7 % 37) {
                if at + len > bytes.len() {
                    break;
                }
                let chunk = &bytes[at..at + len];
                at += len;
                if len % 11 == 3 {
                    one.resync();
                    many.resync();
                }
                for w in chunk.chunks_exact(2) {
                    one.check(u32::from(u16::from_le_bytes([w[0], w[1]])));
                }
                many.check_each_le16(chunk);
                assert_eq!(one.expected, many.expected, "{bits} bits at {at}");
            }
            assert_eq!(one.stats(), many.stats(), "{bits} bits");
            assert!(one.stats().discontinuities > 100 && one.stats().in_order > 100);
        }
    }

    #[test]
    fn check_each_le16_takes_an_ordered_run_across_the_wrap_at_any_alignment() {
        for start in 0xFFF0u16..0xFFF8 {
            let words: Vec<u16> = (0..40u16).map(|i| start.wrapping_add(i)).collect();
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            let mut one = PatternChecker::from_start(16);
            let mut many = PatternChecker::from_start(16);
            one.check_all(words.iter().map(|&w| u32::from(w)));
            many.check_each_le16(&bytes);
            assert_eq!(one.stats(), many.stats(), "from {start:#x}");
            assert_eq!(one.expected, many.expected, "from {start:#x}");
            assert_eq!(
                many.stats().discontinuities,
                1,
                "only the jump to {start:#x}"
            );
        }
    }

    #[test]
    fn classifies_lost_repeated_and_reordered() {
        let mut c = PatternChecker::from_start(16);
        assert_eq!(c.check_all([0, 1, 2, 3]), 0);
        // lose 4 and 5
        assert!(!c.check(6));
        assert_eq!(c.stats().lost, 2);
        // repeat 6
        assert!(!c.check(6));
        assert_eq!(c.stats().repeated, 1);
        // 7 then swapped 9, 8
        assert!(c.check(7));
        assert!(!c.check(9));
        assert!(!c.check(8));
        let s = c.stats();
        assert_eq!(s.discontinuities, 4);
        assert_eq!(s.lost, 3);
        assert_eq!(s.repeated, 3);
        // wrap-around is not a discontinuity
        let mut w = PatternChecker::new(16);
        assert_eq!(w.check_all([0xFFFE, 0xFFFF, 0, 1]), 0);
        let mut g = PatternGenerator::new(16);
        let mut c2 = PatternChecker::from_start(16);
        assert_eq!(c2.check_all((0..70_000).map(|_| g.next_sample())), 0);
    }
}
