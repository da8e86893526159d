//! Virtual time and the event queue.
//!
//! Time is a `u64` count of nanoseconds since the simulation started ([`Nanos`]). Nothing
//! in the simulator steps per nanosecond: state changes are events in a queue ordered by
//! (time, insertion number), so two events due at the same instant always run in the order
//! they were scheduled and a run is reproducible from its seed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Virtual time or a duration, in nanoseconds.
pub type Nanos = u64;

/// One microsecond in [`Nanos`].
pub const US: Nanos = 1_000;
/// One millisecond in [`Nanos`].
pub const MS: Nanos = 1_000_000;
/// One second in [`Nanos`].
pub const SECOND: Nanos = 1_000_000_000;

/// A deterministic priority queue of timed events of type `E`.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<(Nanos, u64, Slot<E>)>>,
    seq: u64,
}

/// Wrapper so that ordering never looks at the payload.
#[derive(Debug)]
struct Slot<E>(E);

impl<E> PartialEq for Slot<E> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl<E> Eq for Slot<E> {}
impl<E> PartialOrd for Slot<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Slot<E> {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }

    /// Schedules `event` at time `at`.
    pub fn push(&mut self, at: Nanos, event: E) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, Slot(event))));
    }

    /// Takes the next insertion number without queueing anything: for an event kept
    /// outside the queue that must still order against the queued ones as if it had
    /// been pushed now (same time: the earlier number runs first).
    pub fn reserve_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The last insertion number handed out (a run that reserves numbers itself
    /// continues from here and stores its last back with [`EventQueue::set_last_seq`]).
    pub(crate) fn last_seq(&self) -> u64 {
        self.seq
    }

    /// See [`EventQueue::last_seq`]: `seq` is at least the last number handed out.
    pub(crate) fn set_last_seq(&mut self, seq: u64) {
        debug_assert!(seq >= self.seq);
        self.seq = seq;
    }

    /// (time, insertion number) of the earliest event, if any.
    pub fn peek_key(&self) -> Option<(Nanos, u64)> {
        self.heap.peek().map(|Reverse((t, n, _))| (*t, *n))
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(Nanos, E)> {
        self.heap.pop().map(|Reverse((t, _, Slot(e)))| (t, e))
    }

    /// The time of the earliest event, if any.
    pub fn next_time(&self) -> Option<Nanos> {
        self.heap.peek().map(|Reverse((t, _, _))| *t)
    }

    /// Removes and returns the earliest event if it is due at or before `limit`.
    pub fn pop_due(&mut self, limit: Nanos) -> Option<(Nanos, E)> {
        if self.next_time()? > limit {
            return None;
        }
        self.heap.pop().map(|Reverse((t, _, Slot(e)))| (t, e))
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no event is queued.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_pop_in_time_then_insertion_order() {
        let mut q = EventQueue::new();
        q.push(30, "c");
        q.push(10, "a1");
        q.push(10, "a2");
        q.push(20, "b");
        assert_eq!(q.pop_due(15), Some((10, "a1")));
        assert_eq!(q.pop_due(15), Some((10, "a2")));
        assert_eq!(q.pop_due(15), None);
        assert_eq!(q.pop_due(100), Some((20, "b")));
        assert_eq!(q.pop_due(100), Some((30, "c")));
        assert!(q.is_empty());
    }
}
