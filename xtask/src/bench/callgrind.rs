//! A reader for callgrind output files: the total and the inclusive cost of every call
//! edge, enough to take the simulator out of a driver's instruction count.
//!
//! Format (callgrind 3.x, `positions: line`, `events: Ir`): `fn=` / `cfn=` name the
//! current function and a callee (`(id) name` the first time, `(id)` after), `calls=N
//! POS` says the next cost line is the inclusive cost of N calls to the callee, and
//! `summary:` / `totals:` give the total.

use std::collections::HashMap;

use anyhow::{bail, Context as _};

/// One caller -> callee edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Calling function.
    pub caller: String,
    /// Called function.
    pub callee: String,
    /// Number of calls.
    pub calls: u64,
    /// Instructions inside those calls, callees included.
    pub inclusive: u64,
}

/// What a profile says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// Instructions collected in total.
    pub total: u64,
    /// Every call edge.
    pub edges: Vec<Edge>,
}

fn resolve(spec: &str, names: &mut HashMap<String, String>) -> String {
    let spec = spec.trim();
    if let Some(rest) = spec.strip_prefix('(') {
        if let Some((id, name)) = rest.split_once(')') {
            let name = name.trim();
            if name.is_empty() {
                return names.get(id).cloned().unwrap_or_else(|| format!("({id})"));
            }
            names.insert(id.to_string(), name.to_string());
            return name.to_string();
        }
    }
    spec.to_string()
}

/// Parses a callgrind output file with the single event `Ir`.
pub fn parse(text: &str) -> anyhow::Result<Profile> {
    let mut names = HashMap::new();
    let mut p = Profile::default();
    let mut total = None;
    let mut current = String::new();
    let mut callee = String::new();
    let mut pending_calls: Option<u64> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(v) = line.strip_prefix("fn=") {
            current = resolve(v, &mut names);
        } else if let Some(v) = line.strip_prefix("cfn=") {
            callee = resolve(v, &mut names);
        } else if let Some(v) = line.strip_prefix("calls=") {
            let n = v.split_whitespace().next().unwrap_or("");
            pending_calls = Some(
                n.parse()
                    .with_context(|| format!("line {}: bad calls= count", i + 1))?,
            );
        } else if let Some(v) = line
            .strip_prefix("summary:")
            .or_else(|| line.strip_prefix("totals:"))
        {
            total = Some(
                v.trim()
                    .parse::<u64>()
                    .with_context(|| format!("line {}: bad total", i + 1))?,
            );
        } else if line.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-' || c == '*')
        {
            if let Some(calls) = pending_calls.take() {
                let cost = line.split_whitespace().nth(1).unwrap_or("0");
                let inclusive = cost
                    .parse()
                    .with_context(|| format!("line {}: bad call cost", i + 1))?;
                p.edges.push(Edge {
                    caller: current.clone(),
                    callee: callee.clone(),
                    calls,
                    inclusive,
                });
            }
        }
    }
    match total {
        Some(t) => p.total = t,
        None => bail!("no `summary:` or `totals:` line: not a callgrind file?"),
    }
    Ok(p)
}

impl Profile {
    /// Instructions and calls spent in functions matching `is_excluded`, entered from
    /// functions that do not match (so nested matches count once).
    pub fn excluded(&self, is_excluded: impl Fn(&str) -> bool) -> (u64, u64) {
        self.edges
            .iter()
            .filter(|e| is_excluded(&e.callee) && !is_excluded(&e.caller))
            .fold((0, 0), |(i, c), e| (i + e.inclusive, c + e.calls))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# callgrind format\nversion: 1\nevents: Ir\nsummary: 1000\n\n\
        fl=(1) a.rs\nfn=(1) bench_zone\n10 100\ncfn=(2) driver::irq\ncalls=2 5\n11 900\n\
        fn=(2)\n5 300\ncfn=(3) <sim::ThreadHook as Hook>::read\ncalls=6 1\n+1 500\n\
        cfn=(4) <DemoPlatform as Platform>::now_ns\ncalls=1 1\n-1 100\n\
        fn=(3)\n1 400\ncfn=(5) <sim::ThreadHook as Hook>::write\ncalls=1 1\n*2 100\ntotals: 1000\n";

    #[test]
    fn edges_and_totals() {
        let p = parse(FILE).unwrap();
        assert_eq!(p.total, 1000);
        assert_eq!(p.edges.len(), 4);
        assert_eq!(
            p.edges[0],
            Edge {
                caller: "bench_zone".into(),
                callee: "driver::irq".into(),
                calls: 2,
                inclusive: 900
            }
        );
        assert_eq!(
            p.edges[1].caller, "driver::irq",
            "fn=(2) resolved from the cfn= table"
        );
        assert_eq!(p.edges[2].inclusive, 100);
    }

    #[test]
    fn excluded_cost_counts_nested_calls_once() {
        let p = parse(FILE).unwrap();
        let sim = |f: &str| f.contains("ThreadHook") || f.contains("DemoPlatform");
        // read (500, 6 calls) + now_ns (100, 1 call); write is nested inside read.
        assert_eq!(p.excluded(sim), (600, 7));
        let hooks = |f: &str| f.contains("ThreadHook");
        assert_eq!(p.excluded(hooks), (500, 6));
    }

    #[test]
    fn not_a_profile() {
        assert!(parse("hello\n").is_err());
        assert!(parse("summary: x\n").is_err());
    }
}
