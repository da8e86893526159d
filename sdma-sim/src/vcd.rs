//! A minimal Value Change Dump writer (IEEE 1364 §18), viewable in GTKWave or Surfer.
//!
//! Signals are declared up front; afterwards [`Vcd::change`] appends a value change only
//! when the value differs from the last one, preceded by a `#time` line when time moved.
//! Output is a pure function of the calls, so the same seed gives the same bytes.

use std::fmt::Write as _;

use crate::time::Nanos;

/// Handle of a declared signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignalId(usize);

#[derive(Debug)]
struct Signal {
    code: String,
    width: u32,
    last: Option<u64>,
}

/// An in-memory VCD document.
#[derive(Debug)]
pub struct Vcd {
    header: String,
    body: String,
    signals: Vec<Signal>,
    scope: Option<String>,
    last_time: Option<Nanos>,
}

fn id_code(mut n: usize) -> String {
    // Printable ASCII 33..=126, little-endian base 94.
    let mut s = String::new();
    loop {
        s.push(char::from(33 + (n % 94) as u8));
        n /= 94;
        if n == 0 {
            return s;
        }
    }
}

impl Vcd {
    /// A document with a 1 ns timescale.
    pub fn new() -> Self {
        let mut header = String::new();
        header.push_str("$version sdma-sim $end\n$timescale 1ns $end\n");
        Self {
            header,
            body: String::new(),
            signals: Vec::new(),
            scope: None,
            last_time: None,
        }
    }

    /// Opens a module scope for the following declarations (closing the previous one).
    pub fn scope(&mut self, name: &str) {
        if self.scope.is_some() {
            self.header.push_str("$upscope $end\n");
        }
        let _ = writeln!(self.header, "$scope module {name} $end");
        self.scope = Some(name.to_string());
    }

    /// Declares a `width`-bit wire.
    pub fn declare(&mut self, name: &str, width: u32) -> SignalId {
        let code = id_code(self.signals.len());
        let _ = writeln!(self.header, "$var wire {width} {code} {name} $end");
        self.signals.push(Signal {
            code,
            width,
            last: None,
        });
        SignalId(self.signals.len() - 1)
    }

    /// Records `value` for `sig` at `time` if it changed (time must not go backwards).
    pub fn change(&mut self, time: Nanos, sig: SignalId, value: u64) {
        let Some(s) = self.signals.get_mut(sig.0) else {
            return;
        };
        if s.last == Some(value) {
            return;
        }
        s.last = Some(value);
        if self.last_time != Some(time) {
            self.last_time = Some(time);
            let _ = writeln!(self.body, "#{time}");
        }
        if s.width == 1 {
            let _ = writeln!(self.body, "{}{}", value & 1, s.code);
        } else {
            let _ = writeln!(self.body, "b{value:b} {}", s.code);
        }
    }

    /// The complete document.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header.clone();
        if self.scope.is_some() {
            out.push_str("$upscope $end\n");
        }
        out.push_str("$enddefinitions $end\n");
        out.push_str(&self.body);
        out.into_bytes()
    }
}

impl Default for Vcd {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_changes_only() {
        let mut v = Vcd::new();
        v.scope("top");
        let a = v.declare("a", 1);
        let b = v.declare("b", 8);
        v.change(0, a, 0);
        v.change(0, b, 5);
        v.change(10, a, 0);
        v.change(20, a, 1);
        let s = String::from_utf8(v.to_bytes()).unwrap();
        assert!(s.contains("$var wire 1 ! a $end"));
        assert!(s.contains("$var wire 8 \" b $end"));
        assert!(s.ends_with("#0\n0!\nb101 \"\n#20\n1!\n"), "{s}");
        assert_eq!(id_code(94), "!\"");
    }
}
