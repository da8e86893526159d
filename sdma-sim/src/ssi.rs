//! SSI-like peripheral FIFO model with a sample clock and watermark DMA requests.
//!
//! Models one direction of an i.MX6 SSI: a FIFO of [`SSI_FIFO_DEPTH`] (15) 32-bit words,
//! filled (receive) or drained (transmit) by the codec at a fixed word rate, and a DMA
//! request line:
//!
//! - receive: the line is high while the FIFO holds at least `watermark` words; a word that
//!   arrives at a full FIFO is dropped and counted as an overrun; a DMA read of an empty
//!   FIFO returns 0 and is counted;
//! - transmit: the line is high while at least `watermark` slots are free; a sample slot
//!   that finds the FIFO empty is counted as an underrun and the previous word is sent
//!   again (the SSI retransmits its shift register on a transmit underrun, TUE0: see
//!   `docs/hardware-facts.md#ssi`); a DMA write to a full FIFO is dropped and counted.
//!
//! Hardware assumptions (`docs/hardware-assumptions.md`): HW-025 (the request levels
//! above), HW-026 (the underrun repeat), HW-027 (depth and events).
//!
//! The codec side is slot-timed: every slot puts one word on the wire whatever happens,
//! and [`Ssi::take_played_slots`] hands them out with their slot number since the clock
//! started (slot 0 is the left channel of a frame), so a checker outside the model hears
//! what a codec would: a slip by one word is a left/right swap.
//!
//! The SDMA event is the rising edge of the line (see the engine docs for how a line that
//! stays high re-arms the event). The FIFO is evaluated lazily: word `k` moves at
//! `start + k * 1e9 / rate` ns (exact integer arithmetic, no drift), and the model only
//! schedules an event for the instant the line next rises, so simulating minutes of audio
//! costs one event per DMA burst, not one per sample.
//!
//! Receive data is the [`pattern`](crate::pattern) generator; transmit data goes through a
//! [`PatternChecker`], so both directions detect every lost, repeated or reordered sample.

use crate::pattern::{pattern_value, CheckStats, PatternChecker};
use crate::time::{Nanos, SECOND};

/// FIFO depth of the i.MX6 SSI in words (`fsl,fifo-depth = <15>`).
pub const SSI_FIFO_DEPTH: usize = 15;

/// Slots per frame of the modelled interface: I2S stereo, slot 0 left, slot 1 right.
pub const SLOTS_PER_FRAME: usize = 2;

/// Which way the data flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Codec -> FIFO -> DMA -> memory (capture).
    Receive,
    /// Memory -> DMA -> FIFO -> codec (playback).
    Transmit,
}

/// Static configuration of one SSI FIFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SsiConfig {
    /// Bus address of the FIFO register the DMA script reads or writes (SSI1: SRX0 =
    /// 0x0202_8008, STX0 = 0x0202_8000).
    pub fifo_addr: u32,
    /// SDMA event number driven by the request line (SSI1: 37 receive, 38 transmit).
    pub event: u8,
    /// Receive or transmit.
    pub direction: Direction,
    /// FIFO words per second (sample rate x channels: 96 000 for 48 kHz stereo).
    pub words_per_second: u64,
    /// Watermark in words (SFCSR RFWM0 / TFWM0; Linux uses 8).
    pub watermark: usize,
    /// Sample width in bits, for the pattern (16 for S16_LE).
    pub sample_bits: u32,
    /// Which interface the FIFO belongs to: its depth ([`FifoKind::depth`]) and the
    /// DMA scripts a driver runs for it (an SSI on the SPBA: `shp_2_mcu`/`mcu_2_shp`;
    /// a SAI: `app_2_mcu`/`mcu_2_app`). See [`crate::sai`].
    pub kind: FifoKind,
}

/// The interface a FIFO model stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FifoKind {
    /// An i.MX6 SSI: [`SSI_FIFO_DEPTH`] words.
    Ssi,
    /// An i.MX6UL SAI: [`crate::sai::SAI_FIFO_DEPTH`] words.
    Sai,
}

impl FifoKind {
    /// The FIFO depth in words.
    pub const fn depth(self) -> usize {
        match self {
            FifoKind::Ssi => SSI_FIFO_DEPTH,
            FifoKind::Sai => crate::sai::SAI_FIFO_DEPTH,
        }
    }
}

impl SsiConfig {
    /// SSI1 receive (capture) with the default audio set-up: 48 kHz stereo, 16-bit,
    /// watermark 8, event 37.
    pub fn ssi1_rx() -> Self {
        Self {
            fifo_addr: 0x0202_8008,
            event: 37,
            direction: Direction::Receive,
            words_per_second: 96_000,
            watermark: 8,
            sample_bits: 16,
            kind: FifoKind::Ssi,
        }
    }

    /// SSI1 transmit (playback) with the default audio set-up, event 38.
    pub fn ssi1_tx() -> Self {
        Self {
            fifo_addr: 0x0202_8000,
            event: 38,
            direction: Direction::Transmit,
            ..Self::ssi1_rx()
        }
    }
}

/// Counters of one SSI FIFO.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SsiStats {
    /// Words moved by the codec side (received or played slots).
    pub codec_words: u64,
    /// Words moved by DMA.
    pub dma_words: u64,
    /// Receive: words dropped at a full FIFO.
    pub overruns: u64,
    /// Transmit: sample slots that found the FIFO empty.
    pub underruns: u64,
    /// DMA reads of an empty receive FIFO / writes to a full transmit FIFO.
    pub dma_errors: u64,
    /// Of those, the ones while the interface is stopped (a burst still in flight when
    /// the DAI stopped and flushed it: the stream's data no longer depends on it).
    pub dma_errors_stopped: u64,
    /// Rising edges of the DMA request line.
    pub requests: u64,
}

impl SsiStats {
    /// DMA accesses to an empty receive / full transmit FIFO while the interface runs
    /// (the storm's `fifo_errors`).
    pub fn running_dma_errors(&self) -> u64 {
        self.dma_errors - self.dma_errors_stopped
    }
}

/// One transmit slot as the codec hears it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PlayedSlot {
    /// Slot number since the clock last started (even: left, odd: right, for stereo).
    pub slot: u64,
    /// The word on the wire.
    pub value: u32,
    /// The FIFO was empty: the previous word was sent again (TUE0).
    pub underrun: bool,
    /// The write tag the word was written to the FIFO under ([`Ssi::set_write_tag`]).
    pub tag: u64,
}

/// One SSI FIFO with its codec-side clock.
#[derive(Clone, Debug)]
pub struct Ssi {
    cfg: SsiConfig,
    /// Words with the write tag they were written under (transmit; 0 on receive).
    fifo: Fifo,
    running: bool,
    /// Time of codec word 0.
    start: Nanos,
    /// Codec words moved so far (the next one is number `ticks`).
    ticks: u64,
    /// `tick_time(ticks)`: when the next codec word moves (kept with `ticks`).
    next_at: Nanos,
    /// `ticks * num % den`: what `next_at` was rounded down by, in units of `1 / den`
    /// ns, so the next word time is a few additions away (no division per word).
    next_rem: u64,
    /// The word [`Ssi::next_rise`] last found the line rising at: (number, time,
    /// remainder as in `next_rem`). When that word is the last one due, the clock moves
    /// there without stepping word by word.
    rise_word: Option<(u64, Nanos, u64)>,
    /// Receive: next pattern sample number.
    gen_next: u64,
    /// Receive: the value of codec word `k`, when not the built-in counter pattern.
    source: Option<fn(u64) -> u32>,
    /// Receive: the codec is the clock master and keeps sending while this receiver is
    /// stopped ([`Ssi::set_codec_free_running`]).
    codec_free_running: bool,
    /// When the clock last stopped (receive, free-running codec: the words sent since
    /// are skipped at the next start).
    stopped_at: Option<Nanos>,
    /// Transmit: every slot's word, when recording (for a checker outside the model).
    played_log: Option<Vec<PlayedSlot>>,
    /// Transmit: the word in the shift register (sent again on an underrun slot).
    last_sent: (u32, u64),
    /// Transmit: the tag DMA writes are stored with ([`Ssi::set_write_tag`]).
    write_tag: u64,
    /// Transmit: start the clock once the FIFO holds this many words.
    armed: Option<usize>,
    /// The DMA request is enabled (SIER TDMAE/RDMAE); off, the line stays low.
    requests_enabled: bool,
    /// Transmit: checks the played stream.
    checker: PatternChecker,
    /// Current level of the request line as last evaluated.
    line: bool,
    /// Bumped whenever a scheduled wake-up becomes stale.
    pub(crate) generation: u64,
    /// The word period `SECOND / words_per_second` as a reduced fraction `num / den`
    /// (word `k` moves at `start + k * num / den`, rounded down).
    num: u64,
    den: u64,
    /// `num / den` and `num % den`: one word period, whole and remainder.
    period_whole: u64,
    period_rem: u64,
    stats: SsiStats,
}

/// The FIFO's words with their write tags: a fixed ring as deep as the deepest
/// interface modelled ([`FifoKind::depth`] bounds what is stored in it).
#[derive(Clone, Copy, Debug)]
struct Fifo {
    words: [(u32, u64); FIFO_CAPACITY],
    head: usize,
    len: usize,
}

const FIFO_CAPACITY: usize = 32;
const _: () =
    assert!(SSI_FIFO_DEPTH <= FIFO_CAPACITY && crate::sai::SAI_FIFO_DEPTH <= FIFO_CAPACITY);

impl Default for Fifo {
    fn default() -> Self {
        Self {
            words: [(0, 0); FIFO_CAPACITY],
            head: 0,
            len: 0,
        }
    }
}

impl Fifo {
    /// Index of the `i`-th word from the head (the capacity is a power of two, so the
    /// mask keeps every index in bounds without a check).
    #[inline]
    fn slot(&self, i: usize) -> usize {
        (self.head + i) & (FIFO_CAPACITY - 1)
    }

    #[inline]
    fn len(&self) -> usize {
        self.len
    }

    /// Callers keep `len` at most the interface depth (<= the capacity).
    #[inline]
    fn push_back(&mut self, w: (u32, u64)) {
        if self.len < FIFO_CAPACITY {
            let i = self.slot(self.len);
            self.words[i] = w;
            self.len += 1;
        }
    }

    #[inline]
    fn pop_front(&mut self) -> Option<(u32, u64)> {
        if self.len == 0 {
            return None;
        }
        let w = self.words[self.head & (FIFO_CAPACITY - 1)];
        self.head = self.slot(1);
        self.len -= 1;
        Some(w)
    }

    fn clear(&mut self) {
        self.len = 0;
    }
}

const _: () = assert!(FIFO_CAPACITY.is_power_of_two());

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Ssi {
    /// A stopped FIFO with the given configuration.
    pub fn new(cfg: SsiConfig) -> Self {
        let mut cfg = cfg;
        cfg.watermark = cfg.watermark.clamp(1, cfg.kind.depth());
        cfg.words_per_second = cfg.words_per_second.max(1);
        let g = gcd(SECOND, cfg.words_per_second);
        let (num, den) = (SECOND / g, cfg.words_per_second / g);
        Self {
            num,
            den,
            period_whole: num / den,
            period_rem: num % den,
            next_rem: 0,
            rise_word: None,
            checker: PatternChecker::new(cfg.sample_bits),
            cfg,
            fifo: Fifo::default(),
            running: false,
            start: 0,
            ticks: 0,
            next_at: 0,
            gen_next: 0,
            codec_free_running: false,
            stopped_at: None,
            source: None,
            played_log: None,
            last_sent: (0, 0),
            write_tag: 0,
            armed: None,
            requests_enabled: true,
            line: false,
            generation: 0,
            stats: SsiStats::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SsiConfig {
        &self.cfg
    }

    /// Time of codec word `k`.
    fn tick_time(&self, k: u64) -> Nanos {
        // `k * SECOND / words_per_second` with the fraction reduced: the same value,
        // in 64-bit arithmetic for any run shorter than centuries.
        let t = match k.checked_mul(self.num) {
            Some(p) => p / self.den,
            None => {
                let t = u128::from(k) * u128::from(self.num) / u128::from(self.den);
                u64::try_from(t).unwrap_or(u64::MAX)
            }
        };
        self.start.saturating_add(t)
    }

    /// Makes word `k` the next to move.
    fn set_clock(&mut self, k: u64) {
        self.ticks = k;
        self.next_at = self.tick_time(k);
        self.next_rem = match k.checked_mul(self.num) {
            Some(p) => p % self.den,
            None => {
                let r = u128::from(k) * u128::from(self.num) % u128::from(self.den);
                u64::try_from(r).unwrap_or(0)
            }
        };
    }

    /// The number of the last codec word due at or before `now` (0 if none is; word 0
    /// never moves, the first is word 1).
    fn last_due(&self, now: Nanos) -> u64 {
        if now < self.start {
            return 0;
        }
        // The largest `k` with `floor(k * num / den) <= d`, i.e. `k * num < (d + 1) * den`.
        let d = u128::from(now - self.start);
        let k = ((d + 1) * u128::from(self.den) - 1) / u128::from(self.num);
        u64::try_from(k).unwrap_or(u64::MAX)
    }

    /// Starts the codec clock at `now`; the first word moves one word period later.
    /// The frame sync starts with the clock, so the first slot is a frame's first
    /// ([`SLOTS_PER_FRAME`]): a receiver that starts again hears the codec from its next
    /// frame on, never from the middle of one.
    pub fn start(&mut self, now: Nanos) {
        let slots = SLOTS_PER_FRAME as u64;
        self.gen_next = self.gen_next.div_ceil(slots) * slots;
        self.running = true;
        self.start = now;
        self.set_clock(1);
        self.rise_word = None;
        self.generation += 1;
        if self.cfg.direction == Direction::Receive {
            if let Some(stopped) = self.stopped_at.take().filter(|_| self.codec_free_running) {
                // The codec went on sending while the receiver was off: those words
                // were never received, the next one is the codec's current word.
                let missed = u128::from(now.saturating_sub(stopped)) * u128::from(self.den)
                    / u128::from(self.num);
                self.gen_next = self
                    .gen_next
                    .saturating_add(u64::try_from(missed).unwrap_or(u64::MAX));
            }
            // The receiver starts on a frame sync: its first word is slot 0 (the left
            // channel) of a stereo frame, whatever slot the codec was in at the stop.
            self.gen_next = self.gen_next.next_multiple_of(2);
        }
    }

    /// Stops the codec clock (the FIFO keeps its contents).
    ///
    /// The interface completes the frame in progress first (SISR TFRC/RFRC: the frame
    /// during which the transmitter or receiver is disabled is completed): the words of
    /// its remaining slots move at once.
    pub fn stop(&mut self, now: Nanos) {
        self.advance(now);
        if self.running {
            while (self.ticks - 1) % SLOTS_PER_FRAME as u64 != 0 {
                let t = self.tick_time(self.ticks);
                self.advance(t);
            }
        }
        if self.running {
            self.stopped_at = Some(now);
        }
        self.running = false;
        self.armed = None;
        self.generation += 1;
    }

    /// Transmit: start the clock as soon as the FIFO holds `words` words (now, if it
    /// already does): the DAI enables the transmitter only once the DMA has filled the
    /// FIFO, so the first slots never underrun (an odd number of underrun slots would
    /// swap left and right for the rest of the run).
    pub fn start_when_filled(&mut self, words: usize, now: Nanos) {
        self.armed = Some(words.clamp(1, self.depth()));
        self.start_if_armed(now);
    }

    /// Starts an armed clock whose FIFO is filled enough (see
    /// [`Ssi::start_when_filled`]); returns whether it started.
    pub fn start_if_armed(&mut self, now: Nanos) -> bool {
        match self.armed {
            Some(words) if self.fifo.len() >= words => {
                self.armed = None;
                self.start(now);
                true
            }
            _ => false,
        }
    }

    /// Moves every codec word due at or before `now`.
    #[inline]
    pub fn advance(&mut self, now: Nanos) {
        if self.running && self.next_at <= now {
            self.advance_due(now);
        }
    }

    /// [`Ssi::advance`] when at least one word is due.
    fn advance_due(&mut self, now: Nanos) {
        let first = self.clock_to(now);
        let n = self.ticks - first;
        self.stats.codec_words += n;
        match self.cfg.direction {
            Direction::Receive => self.receive_words(n),
            Direction::Transmit => self.send_words(first - 1, n),
        }
    }

    /// Moves the clock past every codec word due at or before `now` (at least one is);
    /// returns the number of the first word that moved.
    fn clock_to(&mut self, now: Nanos) -> u64 {
        // A burst's worth of words is usually due: step the clock word by word (a few
        // additions each); after a long pause, jump.
        const STEPS: u64 = 64;
        let first = self.ticks;
        let (whole, rem, den) = (self.period_whole, self.period_rem, self.den);
        let (mut k, mut at, mut r) = (self.ticks, self.next_at, self.next_rem);
        if let Some((rk, rt, rr)) = self.rise_word.take() {
            // The usual wake-up: the word the line rises at is due and the next is not.
            let r1 = rr + rem;
            let carry = r1 >= den;
            let t1 = rt.saturating_add(whole + u64::from(carry));
            if rk >= k && rt <= now && t1 > now {
                (k, at, r) = (rk + 1, t1, r1 - if carry { den } else { 0 });
            }
        }
        while at <= now && k - first < STEPS {
            k += 1;
            r += rem;
            let carry = r >= den;
            r -= if carry { den } else { 0 };
            at = at.saturating_add(whole + u64::from(carry));
        }
        (self.ticks, self.next_at, self.next_rem) = (k, at, r);
        if self.next_at <= now {
            let last = self.last_due(now);
            self.set_clock(last + 1);
        }
        debug_assert_eq!(self.ticks, self.last_due(now) + 1);
        debug_assert_eq!(self.next_at, self.tick_time(self.ticks));
        first
    }

    /// The lean tier of the fast path can run this FIFO in direction `dir`: running,
    /// its request enabled, no start armed (see [`LeanFifo`] and [`Ssi::lean_finish`]).
    pub(crate) fn lean_ok(&self, dir: Direction) -> bool {
        self.running
            && self.requests_enabled
            && self.armed.is_none()
            && self.cfg.direction == dir
            && self.fifo.len <= self.depth()
    }

    /// The lean tier's working copy of this FIFO's level, line and clock
    /// ([`LeanFifo`]); `None` unless [`Ssi::lean_ok`].
    pub(crate) fn lean_fifo(&self) -> LeanFifo {
        LeanFifo {
            dir: self.cfg.direction,
            depth: self.depth(),
            watermark: self.cfg.watermark,
            fill: match self.cfg.direction {
                Direction::Receive => self.fifo.len,
                Direction::Transmit => self.depth().saturating_sub(self.fifo.len),
            },
            line: self.line,
            generation: self.generation,
            requests: 0,
            ticks: self.ticks,
            next_at: self.next_at,
            next_rem: self.next_rem,
            rise_word: self.rise_word,
            period_whole: self.period_whole,
            period_rem: self.period_rem,
            den: self.den,
            span: (0, 0, 0),
        }
    }

    /// Stores back what a lean run did to [`Ssi::lean_fifo`]'s copy (the words follow
    /// with [`Ssi::lean_finish`]).
    pub(crate) fn lean_store(&mut self, f: &LeanFifo) {
        self.fifo.len = match f.dir {
            Direction::Receive => f.fill,
            Direction::Transmit => f.depth - f.fill,
        };
        self.line = f.line;
        self.generation = f.generation;
        self.stats.requests += f.requests;
        self.ticks = f.ticks;
        self.next_at = f.next_at;
        self.next_rem = f.next_rem;
        self.rise_word = f.rise_word;
    }

    /// The lean tier's words, at its end: the FIFO held `len0` words when it began,
    /// `codec` codec words and `dma` DMA words have moved since (the level is already
    /// right), none dropped or missing ([`LeanFifo::codec_and_dma`] refused those). `mem` is the
    /// memory the DMA words went to (receive) or came from (transmit), contiguous, in
    /// words of `width` bytes, written under `tag`. Leaves the ring, the pattern, the
    /// checker, the last word sent and the counters as the word-by-word functions would.
    pub(crate) fn lean_finish(
        &mut self,
        len0: usize,
        codec: u64,
        dma: usize,
        mem: LeanMemory<'_>,
        width: usize,
        tag: u64,
    ) {
        let h0 = self.fifo.head;
        let at = |s: usize| (h0 + s) & (FIFO_CAPACITY - 1);
        let len_end = self.fifo.len;
        let w = width.max(1);
        match (self.cfg.direction, mem) {
            (Direction::Receive, LeanMemory::Receive(out)) => {
                // The stream: the FIFO's words, then the pattern from `gen_next` on.
                let (bits, gen) = (self.cfg.sample_bits, self.gen_next);
                let from_ring = len0.min(dma);
                let (head, tail) = out.split_at_mut((from_ring * w).min(out.len()));
                for (s, c) in head.chunks_exact_mut(w).enumerate() {
                    put_word(c, self.fifo.words[at(s)].0);
                }
                // Then the source from `gen` on (only when every FIFO word went out).
                let n = dma - from_ring;
                let source = self.source;
                let value = |k: u64| match source {
                    Some(f) => f(k),
                    None => pattern_value(k, bits),
                };
                match (w, source) {
                    (2, None) => {
                        // The pattern is the word number under the sample mask: four
                        // words per 8-byte store, then the rest one by one.
                        let mask = u64::from(pattern_value(u64::MAX, bits)) & 0xFFFF;
                        let mut quads = tail[..2 * n].chunks_exact_mut(8);
                        let mut k = gen;
                        for q in &mut quads {
                            let first = k & mask;
                            let packed = if first + 3 <= mask {
                                first * crate::pattern::REPEAT + crate::pattern::STEPS
                            } else {
                                first
                                    | ((k + 1) & mask) << 16
                                    | ((k + 2) & mask) << 32
                                    | ((k + 3) & mask) << 48
                            };
                            q.copy_from_slice(&packed.to_le_bytes());
                            k += 4;
                        }
                        for c in quads.into_remainder().chunks_exact_mut(2) {
                            c.copy_from_slice(&((k & mask) as u16).to_le_bytes());
                            k += 1;
                        }
                    }
                    _ => tail
                        .chunks_exact_mut(w)
                        .take(n)
                        .zip(gen..)
                        .for_each(|(c, k)| put_word(c, value(k))),
                }
                for s in dma.max(len0)..dma + len_end {
                    self.fifo.words[at(s)] = (value(gen + (s - len0) as u64), 0);
                }
                self.fifo.head = at(dma);
                self.gen_next += codec;
            }
            (Direction::Transmit, LeanMemory::Transmit(src)) => {
                // The stream: the FIFO's words, then the burst words from memory.
                let played = codec as usize;
                let from_ring = len0.min(played);
                let fifo = &self.fifo;
                if let Some(log) = &mut self.played_log {
                    // The slots are consecutive (no restart in a lean run): the clock has
                    // moved `codec` words since the first.
                    let slot0 = self.ticks - codec - 1;
                    let from_mem = |s: usize| get_word(&src[(s - len0) * w..(s - len0 + 1) * w]);
                    log.extend((0..played).map(|s| {
                        let (value, tag) = if s < len0 {
                            fifo.words[at(s)]
                        } else {
                            (from_mem(s), tag)
                        };
                        PlayedSlot {
                            slot: slot0 + s as u64,
                            value,
                            underrun: false,
                            tag,
                        }
                    }));
                }
                self.checker
                    .check_each((0..from_ring).map(|s| fifo.words[at(s)].0));
                let words = &src[..(played - from_ring) * w];
                match w {
                    2 => self.checker.check_each_le16(words),
                    _ => self.checker.check_each(words.chunks_exact(w).map(get_word)),
                }
                let from_mem = |s: usize| (get_word(&src[(s - len0) * w..(s - len0 + 1) * w]), tag);
                if played > 0 {
                    let s = played - 1;
                    self.last_sent = if s < len0 {
                        fifo.words[at(s)]
                    } else {
                        from_mem(s)
                    };
                }
                for s in played.max(len0)..played + len_end {
                    self.fifo.words[at(s)] = from_mem(s);
                }
                self.fifo.head = at(played);
                if dma > 0 {
                    self.write_tag = tag;
                }
            }
            // Not reached: the engine passes the memory of the FIFO's direction.
            _ => {}
        }
        self.stats.codec_words += codec;
        self.stats.dma_words += dma as u64;
    }

    /// Receive: `n` codec words arrive. Words that find the FIFO full are dropped (the
    /// source is a pure function of the word number: it is not asked for them).
    fn receive_words(&mut self, n: u64) {
        let room = (self.depth() - self.fifo.len().min(self.depth())) as u64;
        let kept = n.min(room);
        let first = self.gen_next;
        match self.source {
            Some(f) => (first..first + kept).for_each(|k| self.fifo.push_back((f(k), 0))),
            None => {
                let bits = self.cfg.sample_bits;
                let at = self.fifo.len;
                for (i, k) in (first..first + kept).enumerate() {
                    let slot = self.fifo.slot(at + i);
                    self.fifo.words[slot] = (pattern_value(k, bits), 0);
                }
                // `kept` is at most the room left below the depth.
                self.fifo.len += kept as usize;
            }
        }
        self.gen_next += kept;
        self.stats.overruns += n - kept;
        self.gen_next += n - kept;
    }

    /// Transmit: `n` slots from slot number `slot` on go out; a slot that finds the FIFO
    /// empty sends the previous word again.
    fn send_words(&mut self, slot: u64, n: u64) {
        let from_fifo = n.min(self.fifo.len() as u64) as usize;
        let fifo = &self.fifo;
        self.checker
            .check_each((0..from_fifo).map(|i| fifo.words[fifo.slot(i)].0));
        if let Some(log) = &mut self.played_log {
            for i in 0..from_fifo {
                let (value, tag) = self.fifo.words[self.fifo.slot(i)];
                log.push(PlayedSlot {
                    slot: slot + i as u64,
                    value,
                    underrun: false,
                    tag,
                });
            }
        }
        if from_fifo > 0 {
            self.last_sent = self.fifo.words[self.fifo.slot(from_fifo - 1)];
            self.fifo.head = self.fifo.slot(from_fifo);
            self.fifo.len -= from_fifo;
        }
        let dry = n - from_fifo as u64;
        self.stats.underruns += dry;
        if let Some(log) = &mut self.played_log {
            let (value, tag) = self.last_sent;
            let from = slot + from_fifo as u64;
            for s in from..from + dry {
                log.push(PlayedSlot {
                    slot: s,
                    value,
                    underrun: true,
                    tag,
                });
            }
        }
    }

    /// Level of the request line from the current FIFO state.
    pub fn request_level(&self) -> bool {
        if !self.requests_enabled {
            return false;
        }
        match self.cfg.direction {
            Direction::Receive => self.fifo.len() >= self.cfg.watermark,
            Direction::Transmit => self.depth() - self.fifo.len() >= self.cfg.watermark,
        }
    }

    /// Re-evaluates the line at `now` (after [`advance`](Self::advance)); returns true on a
    /// rising edge.
    pub(crate) fn update_line(&mut self) -> bool {
        let level = self.request_level();
        let rising = level && !self.line;
        self.line = level;
        if rising {
            self.stats.requests += 1;
        }
        rising
    }

    /// The last evaluated line level.
    pub fn line(&self) -> bool {
        self.line
    }

    /// When the line will next rise if nothing but the codec acts, or `None` if it is
    /// already high or the clock is stopped.
    pub(crate) fn next_rise(&self) -> Option<Nanos> {
        self.rise_word_number().map(|k| self.tick_time(k))
    }

    /// [`Ssi::next_rise`], remembering the word for the next [`Ssi::advance`].
    pub(crate) fn arm_next_rise(&mut self) -> Option<Nanos> {
        let k = self.rise_word_number()?;
        // From the next word's time, a few periods on by additions (no division): the
        // rise is at most a FIFO's depth of words away.
        let (mut at, mut r) = (self.next_at, self.next_rem);
        for _ in self.ticks..k {
            r += self.period_rem;
            let carry = r >= self.den;
            r -= if carry { self.den } else { 0 };
            at = at.saturating_add(self.period_whole + u64::from(carry));
        }
        debug_assert_eq!(at, self.tick_time(k));
        self.rise_word = Some((k, at, r));
        Some(at)
    }

    /// The number of the codec word the line next rises at (see [`Ssi::next_rise`]).
    fn rise_word_number(&self) -> Option<u64> {
        if !self.running || !self.requests_enabled || self.request_level() {
            return None;
        }
        let words_needed = match self.cfg.direction {
            Direction::Receive => self.cfg.watermark - self.fifo.len(),
            Direction::Transmit => self.fifo.len() - (self.depth() - self.cfg.watermark),
        } as u64;
        Some(self.ticks + words_needed - 1)
    }

    /// DMA side: reads one word (receive FIFO).
    #[inline]
    pub(crate) fn dma_read(&mut self) -> u32 {
        self.stats.dma_words += 1;
        match self.fifo.pop_front() {
            Some((v, _)) => v,
            None => {
                self.count_dma_error();
                0
            }
        }
    }

    /// DMA side: reads one word per `width`-byte chunk of `out` (receive FIFO) and stores
    /// it little-endian, as `out.len() / width` calls of [`Ssi::dma_read`] would.
    pub(crate) fn dma_read_into(&mut self, out: &mut [u8], width: usize) {
        let width = width.max(1);
        let words = words_of(out.len(), width);
        let from_fifo = words.min(self.fifo.len());
        let mut chunks = out.chunks_exact_mut(width);
        let fifo = &self.fifo;
        match width {
            // The common widths with fixed-size stores.
            2 => (0..from_fifo).zip(chunks.by_ref()).for_each(|(i, chunk)| {
                chunk.copy_from_slice(&(fifo.words[fifo.slot(i)].0 as u16).to_le_bytes())
            }),
            4 => (0..from_fifo).zip(chunks.by_ref()).for_each(|(i, chunk)| {
                chunk.copy_from_slice(&fifo.words[fifo.slot(i)].0.to_le_bytes())
            }),
            _ => (0..from_fifo)
                .zip(chunks.by_ref())
                .for_each(|(i, chunk)| put_word(chunk, fifo.words[fifo.slot(i)].0)),
        }
        self.fifo.head = self.fifo.slot(from_fifo);
        self.fifo.len -= from_fifo;
        for chunk in chunks {
            put_word(chunk, 0);
        }
        self.stats.dma_words += words as u64;
        for _ in from_fifo..words {
            self.count_dma_error();
        }
    }

    /// DMA side: writes one word (transmit FIFO).
    #[inline]
    pub(crate) fn dma_write(&mut self, value: u32) {
        self.stats.dma_words += 1;
        if self.fifo.len() < self.depth() {
            self.fifo.push_back((value, self.write_tag));
        } else {
            self.count_dma_error();
        }
    }

    /// DMA side: writes one little-endian word per `width`-byte chunk of `src` (transmit
    /// FIFO), as `src.len() / width` calls of [`Ssi::dma_write`] would.
    pub(crate) fn dma_write_from(&mut self, src: &[u8], width: usize) {
        let width = width.max(1);
        let words = words_of(src.len(), width);
        let kept = words.min(self.depth().saturating_sub(self.fifo.len()));
        let tag = self.write_tag;
        let at = self.fifo.len;
        let words_in = src.chunks_exact(width).take(kept).enumerate();
        match width {
            // The common widths with fixed-size loads.
            2 => words_in.for_each(|(i, c)| {
                let slot = self.fifo.slot(at + i);
                self.fifo.words[slot] = (u32::from(u16::from_le_bytes([c[0], c[1]])), tag);
            }),
            _ => words_in.for_each(|(i, c)| {
                let slot = self.fifo.slot(at + i);
                self.fifo.words[slot] = (get_word(c), tag);
            }),
        }
        // `kept` is at most the room left below the depth.
        self.fifo.len += kept;
        self.stats.dma_words += words as u64;
        for _ in kept..words {
            self.count_dma_error();
        }
    }

    /// The FIFO depth in words.
    pub fn depth(&self) -> usize {
        self.cfg.kind.depth()
    }

    fn count_dma_error(&mut self) {
        self.stats.dma_errors += 1;
        if !self.running {
            self.stats.dma_errors_stopped += 1;
        }
    }

    /// Enables or disables the DMA request (SIER TDMAE/RDMAE; enabled after reset in
    /// this model): disabled, the request line stays low whatever the FIFO holds, so a
    /// script still running gets no further request.
    pub fn set_requests_enabled(&mut self, on: bool) {
        self.requests_enabled = on;
        self.generation += 1;
    }

    /// Words in the FIFO now.
    pub fn level(&self) -> usize {
        self.fifo.len()
    }

    /// Empties the FIFO (SOR RX_CLR / TX_CLR).
    pub fn clear_fifo(&mut self) {
        self.fifo.clear();
        self.generation += 1;
    }

    /// The counters.
    pub fn stats(&self) -> SsiStats {
        self.stats
    }

    /// Transmit: what the checker saw of the played stream.
    pub fn played(&self) -> CheckStats {
        self.checker.stats()
    }

    /// Receive: codec word `k` (counting from 0 over the FIFO's life) carries
    /// `source(k)` instead of the built-in counter pattern, e.g. another crate's test
    /// pattern. The built-in transmit checker is unaffected. `source` must be a pure
    /// function of `k`: the model asks only for the words that enter the FIFO (not for
    /// those an overrun drops).
    pub fn set_receive_source(&mut self, source: fn(u64) -> u32) {
        self.source = Some(source);
    }

    /// Receive: the codec is the clock master (as on the boards: SSI and SAI are I2S
    /// slaves) and keeps sending while this receiver is stopped, so a restart hears the
    /// codec's current word, not the one after the last word received. Off by default
    /// (the clock stops with the receiver), which keeps the data continuous across a
    /// stop; on, words left in a FIFO that was not flushed are older than the first
    /// word after the restart by the time the receiver was off.
    pub fn set_codec_free_running(&mut self, on: bool) {
        self.codec_free_running = on;
    }

    /// Transmit: start (or stop) keeping every played word for [`Ssi::take_played`], for
    /// a checker outside the model.
    pub fn record_played(&mut self, on: bool) {
        self.played_log = on.then(Vec::new);
    }

    /// Transmit: the words the FIFO delivered since the last call (empty unless
    /// recording); underrun slots, which repeat the previous word, are left out. See
    /// [`Ssi::take_played_slots`] for what the codec hears.
    pub fn take_played(&mut self) -> Vec<u32> {
        self.take_played_slots()
            .into_iter()
            .filter(|s| !s.underrun)
            .map(|s| s.value)
            .collect()
    }

    /// Transmit: every slot since the last call, as the codec hears it (empty unless
    /// recording): one word per slot, the previous word again on an underrun slot.
    pub fn take_played_slots(&mut self) -> Vec<PlayedSlot> {
        match &mut self.played_log {
            Some(log) => core::mem::take(log),
            None => Vec::new(),
        }
    }

    /// Transmit: DMA writes from now on are stored with `tag`, which comes back with
    /// the word in [`PlayedSlot::tag`]. The engine sets it before each burst to the
    /// writing channel's context-load count: the number of the DMA run that wrote it.
    pub fn set_write_tag(&mut self, tag: u64) {
        self.write_tag = tag;
    }

    /// Transmit: restart the played-stream check at the next word (after an XRUN).
    pub fn resync_checker(&mut self) {
        self.checker.resync();
    }
}

/// The lean tier's copy of a running FIFO's level, request line and codec clock
/// ([`Ssi::lean_fifo`], [`Ssi::lean_store`]): the state the engine's events depend on,
/// in a value the run keeps in registers. Its methods do what [`Ssi::advance`],
/// [`Ssi::update_line`] and [`Ssi::arm_next_rise`] do to those fields, for a FIFO that
/// runs with its request enabled and no start armed; the words wait for
/// [`Ssi::lean_finish`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct LeanFifo {
    dir: Direction,
    depth: usize,
    watermark: usize,
    /// What the request line compares with the watermark: the level (receive) or the
    /// free slots (transmit). Codec words add to it, DMA words take from it, in either
    /// direction, and it stays within 0..=depth.
    fill: usize,
    line: bool,
    generation: u64,
    /// Rising edges since the copy was made.
    requests: u64,
    ticks: u64,
    next_at: Nanos,
    next_rem: u64,
    rise_word: Option<(u64, Nanos, u64)>,
    period_whole: u64,
    period_rem: u64,
    den: u64,
    /// The last span used by [`LeanFifo::line`]: `m` word periods as whole ns and a
    /// remainder below `den` (a run mostly needs one).
    span: (usize, u64, u64),
}

impl LeanFifo {
    /// The codec words due at `now`, then a DMA access of `dma` words: the clock and
    /// the level move, the number of codec words is returned. Refuses (changes nothing,
    /// `None`) if a word would be dropped or a slot or an access would find the FIFO
    /// empty or full (the general functions count those), or if the words due are not
    /// the usual wake-up's (none, or up to the word the line rises at).
    #[inline]
    pub(crate) fn codec_and_dma(&mut self, now: Nanos, dma: usize) -> Option<u64> {
        // `clock_to`'s shortcut, worked out before anything changes.
        let (n, clock) = if self.next_at > now {
            (0, None)
        } else {
            let (rk, rt, rr) = self.rise_word?;
            let r1 = rr + self.period_rem;
            let carry = r1 >= self.den;
            let t1 = rt.saturating_add(self.period_whole + u64::from(carry));
            if rk < self.ticks || rt > now || t1 <= now {
                return None;
            }
            let r1 = r1 - if carry { self.den } else { 0 };
            (rk + 1 - self.ticks, Some((rk + 1, t1, r1)))
        };
        // Codec words fill, DMA words drain, in either direction (see `fill`).
        let (fill, depth, d) = (self.fill as u64, self.depth as u64, dma as u64);
        if fill + n > depth || fill + n < d {
            return None;
        }
        if let Some((k, at, r)) = clock {
            (self.ticks, self.next_at, self.next_rem, self.rise_word) = (k, at, r, None);
        }
        self.fill = (fill + n - d) as usize;
        Some(n)
    }

    /// [`Ssi::update_line`], the generation bump and [`Ssi::arm_next_rise`]: returns
    /// (rising edge, next rise).
    #[inline]
    pub(crate) fn line(&mut self) -> (bool, Option<Nanos>) {
        let (fill, wm) = (self.fill, self.watermark);
        let (level, needed) = (fill >= wm, wm.saturating_sub(fill));
        let rising = level && !self.line;
        self.line = level;
        self.requests += u64::from(rising);
        self.generation += 1;
        if level {
            return (rising, None);
        }
        // `m` word periods on from the next word, without a division (`m` is below the
        // depth: the rise is at most a FIFO's depth of words away).
        let m = needed - 1;
        if self.span.0 != m {
            let mm = m as u64;
            let rems = mm * self.period_rem;
            self.span = (m, mm * self.period_whole + rems / self.den, rems % self.den);
        }
        let (_, whole, rem) = self.span;
        let total = self.next_rem + rem;
        let carry = total >= self.den;
        let at = self.next_at.saturating_add(whole + u64::from(carry));
        self.rise_word = Some((
            self.ticks + m as u64,
            at,
            total - if carry { self.den } else { 0 },
        ));
        (rising, Some(at))
    }

    /// [`LeanFifo::line`] at the usual wake-up, where the level has just reached the
    /// watermark with the line low: a rising edge and no next rise. Anything else is
    /// [`LeanFifo::line`] itself.
    #[inline]
    pub(crate) fn line_at_wake(&mut self) -> (bool, Option<Nanos>) {
        if self.fill != self.watermark || self.line {
            return self.line();
        }
        self.line = true;
        self.requests += 1;
        self.generation += 1;
        (true, None)
    }

    /// The line as last evaluated.
    pub(crate) fn line_high(&self) -> bool {
        self.line
    }

    /// The generation (bumped by every [`LeanFifo::line`]).
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }
}

/// The memory of a lean run's bursts ([`Ssi::lean_finish`]).
pub(crate) enum LeanMemory<'a> {
    /// Where a receive FIFO's DMA words went.
    Receive(&'a mut [u8]),
    /// Where a transmit FIFO's DMA words came from.
    Transmit(&'a [u8]),
}

/// `len / width` for a width of at least 1, without a division for the usual widths (a
/// 64-bit division costs tens of cycles on every burst).
#[inline]
pub(crate) fn words_of(len: usize, width: usize) -> usize {
    match width {
        1 => len,
        2 => len >> 1,
        4 => len >> 2,
        w => len / w.max(1),
    }
}

/// Stores the low `chunk.len()` (1..=4) bytes of `v`, little-endian (the common widths
/// with fixed-size copies).
#[inline]
pub(crate) fn put_word(chunk: &mut [u8], v: u32) {
    match chunk.len() {
        1 => chunk[0] = v as u8,
        2 => chunk.copy_from_slice(&(v as u16).to_le_bytes()),
        4 => chunk.copy_from_slice(&v.to_le_bytes()),
        n => chunk.copy_from_slice(&v.to_le_bytes()[..n]),
    }
}

/// A little-endian word of `chunk.len()` (1..=4) bytes.
#[inline]
pub(crate) fn get_word(chunk: &[u8]) -> u32 {
    match *chunk {
        [a] => u32::from(a),
        [a, b] => u32::from(u16::from_le_bytes([a, b])),
        [a, b, c, d] => u32::from_le_bytes([a, b, c, d]),
        _ => {
            let mut v = [0u8; 4];
            v[..chunk.len()].copy_from_slice(chunk);
            u32::from_le_bytes(v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_due_word_matches_the_word_times() {
        for wps in [96_000u64, 88_200, 44_100, 3, 1_000_000_007] {
            let mut s = Ssi::new(SsiConfig {
                words_per_second: wps,
                ..SsiConfig::ssi1_rx()
            });
            s.start(12_345);
            for k in 1..2_000u64 {
                let t = s.tick_time(k);
                assert_eq!(s.last_due(t), k.max(s.last_due(t)), "{wps} {k}");
                assert!(s.tick_time(s.last_due(t)) <= t);
                assert!(s.tick_time(s.last_due(t) + 1) > t, "{wps} {k}");
                assert!(s.tick_time(s.last_due(t - 1)) < t || s.last_due(t - 1) == 0);
            }
            assert_eq!(s.last_due(12_344), 0);
        }
    }

    #[test]
    fn receive_fifo_fills_raises_request_and_overruns() {
        let mut s = Ssi::new(SsiConfig::ssi1_rx());
        s.start(0);
        let rise = s.next_rise().unwrap();
        // 8th word at 8 * 1e9 / 96000 ns
        assert_eq!(rise, 8 * SECOND / 96_000);
        s.advance(rise - 1);
        assert_eq!(s.level(), 7);
        assert!(!s.update_line());
        s.advance(rise);
        assert!(s.update_line());
        assert_eq!(s.next_rise(), None);
        assert_eq!(
            (0..8).map(|_| s.dma_read()).collect::<Vec<_>>(),
            (0..8).collect::<Vec<_>>()
        );
        assert!(!s.update_line());
        // no service for a long time: the FIFO overruns and keeps the oldest words
        s.advance(SECOND / 1000); // 96 words in 1 ms
        assert_eq!(s.stats().codec_words, 96);
        assert_eq!(s.level(), 15);
        assert_eq!(s.stats().overruns, 96 - 8 - 15);
        assert_eq!(s.dma_read(), 8);
    }

    #[test]
    fn receive_source_and_played_words_for_outside_checkers() {
        let mut rx = Ssi::new(SsiConfig::ssi1_rx());
        rx.set_receive_source(|k| 0x8000 | k as u32);
        rx.start(0);
        rx.advance(rx.tick_time(3));
        assert_eq!(
            (0..3).map(|_| rx.dma_read()).collect::<Vec<_>>(),
            [0x8000, 0x8001, 0x8002]
        );
        let mut tx = Ssi::new(SsiConfig::ssi1_tx());
        tx.record_played(true);
        tx.start(0);
        for v in [7, 8, 9] {
            tx.dma_write(v);
        }
        tx.advance(tx.tick_time(2));
        assert_eq!(tx.take_played(), [7, 8]);
        tx.advance(tx.tick_time(5));
        let slots = tx.take_played_slots();
        let heard: Vec<_> = slots
            .iter()
            .map(|s| (s.slot, s.value, s.underrun))
            .collect();
        assert_eq!(
            heard,
            [(2, 9, false), (3, 9, true), (4, 9, true)],
            "an underrun slot sends the previous word again"
        );
        assert_eq!(tx.stats().underruns, 2);
    }

    #[test]
    fn a_free_running_codec_goes_on_sending_while_the_receiver_is_stopped() {
        // 96 000 words/s: word k at k * 31 250 / 3 ns.
        let run = |free: bool| {
            let mut rx = Ssi::new(SsiConfig::ssi1_rx());
            rx.set_receive_source(|k| 0x8000 | k as u32);
            rx.set_codec_free_running(free);
            rx.start(0);
            rx.advance(rx.tick_time(4));
            let first: Vec<_> = (0..4).map(|_| rx.dma_read()).collect();
            let stopped = rx.tick_time(4);
            rx.stop(stopped);
            // Off for 100 word periods (about 1.04 ms), then on again.
            let again = stopped + 100 * 31_250 / 3;
            rx.start(again);
            rx.advance(rx.tick_time(2));
            (first, [rx.dma_read(), rx.dma_read()])
        };
        let (first, after) = run(false);
        assert_eq!(first, [0x8000, 0x8001, 0x8002, 0x8003]);
        assert_eq!(after, [0x8004, 0x8005], "a stopped clock: continuous data");
        let (first, after) = run(true);
        assert_eq!(first, [0x8000, 0x8001, 0x8002, 0x8003]);
        assert_eq!(
            after,
            [0x8068, 0x8069],
            "100 words went by unheard (4 + 100 = 104 = 0x68, on a frame's first slot)"
        );
    }

    /// A receive FIFO's bursts word by word, and the same with only the level moved
    /// and [`Ssi::lean_finish`] at the end, from every pattern position near the
    /// sample mask's wrap, every starting level and width: the same buffer, ring,
    /// pattern position and counters.
    #[test]
    fn lean_finish_moves_the_receive_words_as_the_word_functions_do() {
        for bits in [8u32, 16, 24] {
            for gen in (0..8).map(|i| (1u64 << bits.min(16)) - 6 + i) {
                for (len0, source) in [0usize, 1, 2, 3, 7]
                    .into_iter()
                    .zip([false, true].into_iter().cycle())
                {
                    for width in [1usize, 2, 3, 4] {
                        let cfg = SsiConfig {
                            sample_bits: bits,
                            ..SsiConfig::ssi1_rx()
                        };
                        let (mut word, mut lean) = (Ssi::new(cfg), Ssi::new(cfg));
                        for s in [&mut word, &mut lean] {
                            if source {
                                s.set_receive_source(|k| (k as u32).wrapping_mul(0x9E37_79B9));
                            }
                            s.gen_next = gen;
                            s.receive_words(len0 as u64);
                        }
                        // Bursts of 3, 5 and 8 words, codec words in between; the
                        // level stays within the depth (a lean run ends before an overrun).
                        let steps = [(3u64, 3usize), (5, 5), (8, 8), (4, 3), (7, 8)];
                        let total: usize = steps.iter().map(|&(_, d)| d).sum();
                        let mut by_word = vec![0u8; total * width];
                        let mut at = 0;
                        for &(n, d) in &steps {
                            word.stats.codec_words += n;
                            word.receive_words(n);
                            word.dma_read_into(&mut by_word[at..at + d * width], width);
                            at += d * width;
                        }
                        let codec: u64 = steps.iter().map(|&(n, _)| n).sum();
                        lean.fifo.len = len0 + codec as usize - total;
                        let mut by_lean = vec![0u8; total * width];
                        let mem = LeanMemory::Receive(&mut by_lean);
                        lean.lean_finish(len0, codec, total, mem, width, 0);
                        let what = format!(
                            "bits {bits} gen {gen} len0 {len0} width {width} source {source}"
                        );
                        assert_eq!(by_lean, by_word, "{what}");
                        assert_eq!(lean.gen_next, word.gen_next, "{what}");
                        assert_eq!(lean.stats(), word.stats(), "{what}");
                        let (mut rest_w, mut rest_l) = (vec![0u8; 64], vec![0u8; 64]);
                        word.dma_read_into(&mut rest_w, 4);
                        lean.dma_read_into(&mut rest_l, 4);
                        assert_eq!(rest_l, rest_w, "{what}: the words left in the FIFO");
                    }
                }
            }
        }
    }

    /// The same for a transmit FIFO: the checker, the played-slot log, the last word
    /// sent (an underrun slot repeats it) and the words left in the FIFO.
    #[test]
    fn lean_finish_moves_the_transmit_words_as_the_word_functions_do() {
        for len0 in [0usize, 1, 3, 6] {
            for width in [1usize, 2, 3, 4] {
                for log in [false, true] {
                    let cfg = SsiConfig::ssi1_tx();
                    let (mut word, mut lean) = (Ssi::new(cfg), Ssi::new(cfg));
                    let first: Vec<u8> = (0..len0 * width).map(|i| (i * 7 + 1) as u8).collect();
                    for s in [&mut word, &mut lean] {
                        s.record_played(log);
                        s.set_write_tag(3);
                        s.dma_write_from(&first, width);
                        s.start(0);
                    }
                    // DMA bursts and the slots between them, never empty nor full.
                    let steps = [(4usize, 3u64), (5, 6), (3, 3), (8, 6), (3, 4)];
                    let total: usize = steps.iter().map(|&(d, _)| d).sum();
                    let src: Vec<u8> = (0..total * width).map(|i| (i * 13 + 5) as u8).collect();
                    let (mut at, mut slot) = (0, 0u64);
                    for &(d, n) in &steps {
                        word.set_write_tag(9);
                        word.dma_write_from(&src[at..at + d * width], width);
                        at += d * width;
                        word.stats.codec_words += n;
                        word.send_words(slot, n);
                        slot += n;
                    }
                    let codec = slot;
                    lean.fifo.len = len0 + total - codec as usize;
                    lean.ticks += codec;
                    lean.lean_finish(len0, codec, total, LeanMemory::Transmit(&src), width, 9);
                    let what = format!("len0 {len0} width {width} log {log}");
                    assert_eq!(lean.played(), word.played(), "{what}");
                    assert_eq!(lean.last_sent, word.last_sent, "{what}");
                    assert_eq!(lean.stats(), word.stats(), "{what}");
                    assert_eq!(lean.write_tag, word.write_tag, "{what}");
                    // The rest of the FIFO, then two underrun slots.
                    for s in [&mut word, &mut lean] {
                        s.send_words(codec, 15 + 2);
                    }
                    assert_eq!(lean.played(), word.played(), "{what}");
                    assert_eq!(lean.take_played_slots(), word.take_played_slots(), "{what}");
                }
            }
        }
    }

    #[test]
    fn dma_moves_take_whole_words_of_every_width() {
        // 24-bit words are 3 bytes on the bus: 9 bytes are 3 words, stored
        // little-endian, the FIFO's fourth word stays.
        for (width, bytes, words) in [(1usize, 5usize, 5u64), (2, 10, 5), (3, 9, 3), (4, 12, 3)] {
            assert_eq!(words_of(bytes, width) as u64, words);
            let mut rx = Ssi::new(SsiConfig::ssi1_rx());
            rx.set_receive_source(|k| 0x0A0B_0C00 | k as u32);
            rx.start(0);
            rx.advance(rx.tick_time(4));
            let mut out = vec![0u8; bytes];
            rx.dma_read_into(&mut out, width);
            assert_eq!(rx.stats().dma_words, words, "width {width}");
            assert_eq!(rx.level() as u64, 4 - words.min(4), "width {width}");
            if width == 3 {
                assert_eq!(out, [0x00, 0x0C, 0x0B, 0x01, 0x0C, 0x0B, 0x02, 0x0C, 0x0B]);
            }
            let mut tx = Ssi::new(SsiConfig::ssi1_tx());
            tx.dma_write_from(&out, width);
            assert_eq!((tx.level() as u64, tx.stats().dma_words), (words, words));
        }
    }

    #[test]
    fn transmit_fifo_requests_drains_and_underruns() {
        let mut s = Ssi::new(SsiConfig::ssi1_tx());
        s.start(0);
        assert!(s.update_line(), "an empty TX FIFO requests at once");
        for v in 0..15 {
            s.dma_write(v);
        }
        assert!(!s.update_line());
        // line rises when 8 slots are free: after 8 words have been played
        let rise = s.next_rise().unwrap();
        assert_eq!(rise, s.tick_time(8));
        s.advance(rise);
        assert!(s.update_line());
        s.advance(SECOND / 1000);
        assert_eq!(s.stats().underruns, 96 - 15);
        assert_eq!(s.played().lost, 0);
        assert_eq!(s.played().in_order, 15);
    }
}
