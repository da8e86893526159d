//! The counter test pattern of `docs/scenarios.md`: every sample carries a counter, so a
//! lost, repeated or reordered frame, and a channel slip, is detected exactly. Silence
//! (all bits zero) is never a pattern value.
//!
//! Sample `ch` of frame `f` is `marker | ((f * channels + ch) mod M)`: the marker is
//! the format's top significant bit, `M = 2^(bits - 1)` (16 384 stereo frames for
//! S16_LE, far more than any ring, so a whole lost ring is still seen). Each channel's
//! samples thus count up by `channels` per frame.

use crate::params::Format;

fn modulus_samples(format: Format) -> u64 {
    1u64 << (format.significant_bits() - 1)
}

/// The pattern value of `channel` in frame number `frame` of a `channels`-channel
/// stream.
pub fn encode(format: Format, channels: u16, frame: u64, channel: u16) -> u32 {
    let marker = 1u32 << (format.significant_bits() - 1);
    let index = frame
        .wrapping_mul(u64::from(channels))
        .wrapping_add(u64::from(channel));
    marker | (index % modulus_samples(format)) as u32
}

/// Decode a sample: its counter (`frame * channels + channel` modulo
/// [`modulus`]), or `None` for silence / garbage (no marker bit).
pub fn decode(format: Format, value: u32) -> Option<u32> {
    let marker = 1u32 << (format.significant_bits() - 1);
    let value = value & (u32::MAX >> (32 - format.significant_bits()));
    if value & marker == 0 {
        return None;
    }
    Some(value & (marker - 1))
}

/// The sample counter modulus `M`.
pub fn modulus(format: Format) -> u32 {
    modulus_samples(format) as u32
}

/// Write frame `frame` of `channels` channels into `out` (one frame, little-endian).
/// Samples that do not fit whole into `out` are not written (a short `out` is a caller
/// bug the checker then reports as missing data; it never panics).
pub fn write_frame(format: Format, channels: u16, frame: u64, out: &mut [u8]) {
    for ch in 0..channels {
        write_sample(format, out, ch, encode(format, channels, frame, ch));
    }
}

/// Write `value` (its low `sample_bytes`, little-endian) as sample `channel` of the
/// frame in `frame_bytes`; nothing when the sample does not lie whole inside
/// `frame_bytes`. The inverse of [`read_sample`]: a peripheral FIFO word to a sample.
pub fn write_sample(format: Format, frame_bytes: &mut [u8], channel: u16, value: u32) {
    let sb = format.sample_bytes();
    let at = usize::from(channel) * sb;
    if let Some(dst) = frame_bytes.get_mut(at..at + sb) {
        dst.copy_from_slice(&value.to_le_bytes()[..sb]);
    }
}

/// Read sample `channel` of the frame in `frame_bytes`; 0 (silence, which [`decode`]
/// rejects) when the sample lies outside `frame_bytes`.
pub fn read_sample(format: Format, frame_bytes: &[u8], channel: u16) -> u32 {
    let sb = format.sample_bytes();
    let at = usize::from(channel) * sb;
    let mut b = [0u8; 4];
    if let (Some(src), Some(dst)) = (frame_bytes.get(at..at + sb), b.get_mut(..sb)) {
        dst.copy_from_slice(src);
    }
    u32::from_le_bytes(b)
}

/// Frame-by-frame continuity checker: feed it frames (or silence) in order, and mark
/// run boundaries; it counts every frame that breaks the counter sequence inside a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checker {
    format: Format,
    channels: u16,
    /// The frame counter expected next in this run, once the run has data.
    expect: Option<u32>,
    /// Silence followed data in this run (playback: the hardware ran past the data).
    tail: bool,
    /// Silence may separate data frames (see [`Checker::allow_gaps`]).
    gaps: bool,
    /// Frames accepted in order.
    pub good: u64,
    /// Frames inside a run that were not the expected next frame (lost, repeated,
    /// reordered, channel-slipped, or data after the run fell silent).
    pub bad: u64,
    /// Silent frames.
    pub silent: u64,
    /// Runs seen.
    pub runs: u64,
}

impl Checker {
    /// A checker for frames of `channels` channels in `format`.
    pub fn new(format: Format, channels: u16) -> Self {
        Checker {
            format,
            channels,
            expect: None,
            tail: false,
            gaps: false,
            good: 0,
            bad: 0,
            silent: 0,
            runs: 0,
        }
    }

    /// Accept silence between any two data frames, and never expect a boundary: the
    /// whole sequence of data frames must be continuous (playback output, where no
    /// accepted frame may be lost even across XRUNs, but silence is played while the
    /// stream recovers).
    pub fn allow_gaps(mut self) -> Self {
        self.gaps = true;
        self
    }

    /// A new run starts: the next frame may be any frame.
    pub fn boundary(&mut self) {
        self.expect = None;
        self.tail = false;
    }

    /// Check one frame (`channels * sample_bytes` bytes). Returns whether it was fine.
    pub fn frame(&mut self, frame: &[u8]) -> bool {
        let first = decode(self.format, read_sample(self.format, frame, 0));
        let all_silent = (0..self.channels).all(|c| read_sample(self.format, frame, c) == 0);
        if all_silent {
            self.silent += 1;
            if self.expect.is_some() && !self.gaps {
                self.tail = true;
            }
            return true;
        }
        let m = modulus(self.format);
        let ch = u32::from(self.channels);
        let ok = match first {
            Some(counter) if !self.tail => {
                let in_order = self.expect.is_none_or(|e| e == counter);
                // The first channel of a frame sits on a multiple of `channels` (exact
                // when `channels` divides the modulus, i.e. is a power of two).
                let aligned = m % ch != 0 || counter % ch == 0;
                let channels_ok = (1..self.channels).all(|c| {
                    decode(self.format, read_sample(self.format, frame, c))
                        == Some((counter + u32::from(c)) % m)
                });
                if self.expect.is_none() {
                    self.runs += 1;
                }
                self.expect = Some((counter + ch) % m);
                in_order && aligned && channels_ok
            }
            _ => false,
        };
        if ok {
            self.good += 1;
        } else {
            self.bad += 1;
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_short_buffers_do_not_panic() {
        let f = Format::S16Le;
        let mut frame = [0u8; 4];
        write_frame(f, 2, 5, &mut frame);
        assert_eq!(decode(f, read_sample(f, &frame, 0)), Some(10));
        assert_eq!(decode(f, read_sample(f, &frame, 1)), Some(11));
        // A buffer with room for one sample only gets that sample.
        let mut short = [0u8; 3];
        write_frame(f, 2, 5, &mut short);
        assert_eq!(&short[..2], &frame[..2]);
        assert_eq!(short[2], 0);
        // A sample outside the frame reads as silence, which decodes to nothing.
        assert_eq!(read_sample(f, &frame, 2), 0);
        assert_eq!(decode(f, read_sample(f, &frame, 2)), None);
        assert_eq!(read_sample(Format::S32Le, &frame[..3], 0), 0);
        // `write_sample` is `read_sample`'s inverse, and skips what does not fit.
        let mut out = [0u8; 4];
        write_sample(f, &mut out, 1, read_sample(f, &frame, 1));
        write_sample(f, &mut out, 2, 0xFFFF);
        assert_eq!(out, [0, 0, frame[2], frame[3]]);
    }
}
