//! `cargo xtask qemu PROGRAM`: builds a bare-metal program of `examples/bare-metal`
//! for the i.MX6 and runs it under `qemu-system-arm -M sabrelite`, or, with
//! `--board imx6ull-evk`, built for the i.MX6ULL EVK and run under `-M mcimx6ul-evk`.
//!
//! The program's UART1 output is forwarded to stdout (semihosting output goes to
//! stderr), and the command's exit status is the program's: it ends QEMU through
//! semihosting `SYS_EXIT_EXTENDED` (`imx6_bsp::semihosting::exit`). A run that
//! outlives `--timeout` is killed and exits with 124.
//!
//! QEMU 7.2 flags, checked on 7.2.22 (`docs/hardware-facts.md#qemu-sabrelite`):
//! `-semihosting-config enable=on,target=native` (or `-semihosting`) makes the
//! semihosting `svc` reach QEMU; without it the program hangs in its SVC vector.
//! `-serial stdio` is UART1; `-display none -monitor none` keep stdio for it alone.
//! `-m 1G` matches the SabreLite (the program itself fits QEMU's default 128 MiB).
//!
//! # Guest time is instruction time
//!
//! Every run passes [`ICOUNT`], `-icount shift=0,align=off,sleep=on`: QEMU's virtual
//! clock (which drives the GPT, so every `gpt::now`, deadline and alarm of a program)
//! advances by exactly 2^0 = 1 ns per guest instruction executed, and jumps straight to
//! the next timer deadline while the core sleeps in `wfi`. Guest time therefore no
//! longer follows the host's wall clock: a run gives the same timings whether the host
//! is idle or busy (without it, `qemu-smoke` failed about 1 run in 6 beside two busy
//! loops, because a host stall between reading the counter and arming a compare let
//! the compare time pass). Why this setting:
//!
//! - a fixed shift, not `shift=auto`: `auto` re-tunes the instructions-per-ns ratio to
//!   keep guest time near host time, so it brings the host's load back into guest time;
//! - `shift=0` (1 ns per instruction, a 1 GHz core at one instruction per cycle) is the
//!   closest power of two to a Cortex-A9 at 792 MHz-1 GHz, so a program's time figures
//!   keep their silicon order of magnitude. QEMU executes far fewer than 10^9
//!   instructions per host second, so guest time runs slower than the wall clock: a
//!   2 s guest wait takes several host seconds, well inside `--timeout`;
//! - `align=off` (the default, stated): QEMU does not sleep the host to keep guest time
//!   behind real time, which would again tie the two clocks;
//! - `sleep=on` (the default, stated): an idle `wfi` costs no host time, and a program
//!   that sleeps with no timer armed hangs in guest time until `--timeout` (as it would
//!   hang on silicon), rather than being woken by host time.
//!
//! So every time a QEMU program prints (for instance the GPT interrupt latencies of
//! `qemu-smoke`) is a count of guest instructions at 1 ns each, not a silicon latency.
//! `-icount` also makes TCG single-threaded, which these single-core programs need
//! anyway.
//!
//! `cargo xtask qemu --elf PATH` runs an ELF built elsewhere; `.cargo/config.toml`
//! uses it as the runner of `armv7a-none-eabi`, so `cargo run --target
//! armv7a-none-eabi -p examples-bare-metal --bin qemu-smoke` works too.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use crate::target::{self, Board, BuildRequest, Choice, IMX6_TARGET};
use crate::{setup, util};

/// The package that holds the bare-metal programs.
pub const PROGRAMS_PACKAGE: &str = "examples-bare-metal";

/// QEMU's instruction-count clock for every run: 1 ns of guest time per guest
/// instruction, no alignment to host time, time jumps over idle `wfi` (see the module
/// docs for why).
pub const ICOUNT: [&str; 2] = ["-icount", "shift=0,align=off,sleep=on"];

/// Exit status of a run that hit its time limit (as `timeout(1)` uses).
pub const TIMEOUT_STATUS: u8 = 124;

/// Arguments of `cargo xtask qemu`.
#[derive(clap::Args)]
pub struct Args {
    /// The bare-metal program: a binary of `examples/bare-metal` (e.g. `qemu-smoke`).
    #[arg(required_unless_present = "elf")]
    pub program: Option<String>,
    /// Cargo features of `examples-bare-metal` (comma-separated or repeated), e.g.
    /// `fail`.
    #[arg(long, value_delimiter = ',')]
    pub features: Vec<String>,
    /// Kill QEMU after this many seconds (the run then fails with status 124).
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// Build with the debug profile instead of release.
    #[arg(long)]
    pub debug: bool,
    /// Force a cross toolchain path (see `cargo xtask build-target --help`).
    #[arg(long, value_enum)]
    pub toolchain: Option<Choice>,
    /// Fail (status 1) unless the program's output contains this text.
    #[arg(long)]
    pub expect: Option<String>,
    /// Show the SabreLite console UART2 on stdout instead of UART1.
    #[arg(long)]
    pub uart2: bool,
    /// The board to build for and the QEMU machine that models it: `sabrelite`
    /// (`-M sabrelite`) or `imx6ull-evk` (`-M mcimx6ul-evk`). With `--elf`, the
    /// board is found from the ELF's entry address unless given.
    #[arg(long, value_enum)]
    pub board: Option<Board>,
    /// Run this ELF instead of building a program (the cargo runner mode).
    #[arg(long, hide = true)]
    pub elf: Option<PathBuf>,
    /// Extra QEMU arguments (after `--`).
    #[arg(last = true)]
    pub qemu_args: Vec<String>,
}

/// The QEMU command line for `elf` on the model of `board`. Pure.
pub fn qemu_command_for(board: Board, elf: &Path, uart2: bool, extra: &[String]) -> Command {
    let mut cmd = Command::new("qemu-system-arm");
    cmd.args([
        "-M",
        board.qemu_machine(),
        "-m",
        board.qemu_ram(),
        "-display",
        "none",
        "-monitor",
        "none",
    ]);
    if uart2 {
        cmd.args(["-serial", "null", "-serial", "stdio"]);
    } else {
        cmd.args(["-serial", "stdio"]);
    }
    cmd.args(["-semihosting-config", "enable=on,target=native"]);
    cmd.args(ICOUNT);
    cmd.arg("-kernel").arg(elf);
    cmd.args(extra);
    cmd
}

/// How a QEMU run ended.
#[derive(Debug)]
pub struct Outcome {
    /// The exit status byte to return.
    pub status: u8,
    /// Killed at the time limit.
    pub timed_out: bool,
    /// Everything the program printed on the console UART.
    pub output: String,
}

/// Runs `elf` under QEMU's model of `board`, forwarding its console to stdout, with a
/// time limit.
pub fn run_elf_on(
    board: Board,
    elf: &Path,
    timeout: Duration,
    uart2: bool,
    extra: &[String],
) -> anyhow::Result<Outcome> {
    setup::ensure_program("qemu-system-arm")?;
    let mut cmd = qemu_command_for(board, elf, uart2, extra);
    eprintln!("qemu: board {}", board.name());
    eprintln!("$ {}", util::display_command(&cmd));
    eprintln!("qemu: time limit {} s", timeout.as_secs());
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start `{}`", util::display_command(&cmd)))?;

    // Forward and collect the console output as it comes.
    let output = Arc::new(Mutex::new(String::new()));
    let stdout = child.stdout.take().context("no stdout pipe")?;
    let sink = Arc::clone(&output);
    let reader = std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        let mut line = Vec::new();
        while let Ok(n) = r.read_until(b'\n', &mut line) {
            if n == 0 {
                break;
            }
            let text = String::from_utf8_lossy(&line).replace('\r', "");
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            if let Ok(mut s) = sink.lock() {
                s.push_str(&text);
            }
            line.clear();
        }
    });

    let start = Instant::now();
    let (status, timed_out) = loop {
        if let Some(st) = child.try_wait()? {
            break (util::exit_code_of(st), false);
        }
        if start.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            break (TIMEOUT_STATUS, true);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = reader.join();
    let output = output.lock().map(|s| s.clone()).unwrap_or_default();
    Ok(Outcome {
        status,
        timed_out,
        output,
    })
}

/// Builds program `name` of `examples-bare-metal` for the i.MX6; returns its ELF.
pub fn build_program(
    name: &str,
    features: &[String],
    release: bool,
    choice: Choice,
) -> anyhow::Result<PathBuf> {
    let sel = target::select_or_setup(IMX6_TARGET, choice)?;
    eprintln!("qemu: building `{name}` for {sel}");
    let req = BuildRequest {
        packages: vec![PROGRAMS_PACKAGE.to_string()],
        bin: Some(name.to_string()),
        features: features.to_vec(),
        release,
    };
    let exes = target::build(&sel, &req)?;
    exes.into_iter()
        .find(|p| p.file_name().is_some_and(|f| f == name))
        .with_context(|| format!("the build produced no executable `{name}`"))
}

/// The board an ELF was linked for, from its entry address (the cargo runner mode
/// passes an ELF without a `--board`).
fn board_of_elf(elf: &Path) -> anyhow::Result<Board> {
    let bytes = std::fs::read(elf).with_context(|| format!("cannot read {}", elf.display()))?;
    let entry = target::elf32_entry(&bytes)
        .with_context(|| format!("{} is not a 32-bit little-endian ELF", elf.display()))?;
    Board::from_entry(entry).with_context(|| {
        format!(
            "{}: entry {entry:#010x} is in no board's DDR; pass --board",
            elf.display()
        )
    })
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let choice = match args.toolchain {
        Some(c) => c,
        None => target::choice_from_env()?,
    };
    let board = args.board;
    let elf = match (&args.elf, &args.program) {
        (Some(elf), _) => elf.clone(),
        (None, Some(name)) => build_program(
            name,
            &board.unwrap_or_default().features_with(&args.features),
            !args.debug,
            choice,
        )?,
        (None, None) => bail!("name a program (e.g. `cargo xtask qemu qemu-smoke`)"),
    };
    if !elf.exists() {
        bail!("{} does not exist", elf.display());
    }
    let board = match board {
        Some(b) => b,
        None => board_of_elf(&elf)?,
    };
    let out = run_elf_on(
        board,
        &elf,
        Duration::from_secs(args.timeout),
        args.uart2,
        &args.qemu_args,
    )?;
    if out.timed_out {
        eprintln!(
            "qemu: TIMEOUT: killed after {} s (exit status {TIMEOUT_STATUS})",
            args.timeout
        );
        return Ok(ExitCode::from(TIMEOUT_STATUS));
    }
    eprintln!("qemu: the program exited with status {}", out.status);
    if let Some(want) = &args.expect {
        if !out.output.contains(want.as_str()) {
            eprintln!("qemu: FAILED: the output does not contain {want:?}");
            return Ok(ExitCode::from(if out.status == 0 { 1 } else { out.status }));
        }
    }
    Ok(ExitCode::from(out.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_flags() {
        let line = util::display_command(&qemu_command_for(
            Board::Sabrelite,
            Path::new("/t/app"),
            false,
            &[],
        ));
        assert_eq!(
            line,
            "qemu-system-arm -M sabrelite -m 1G -display none -monitor none -serial stdio \
             -semihosting-config enable=on,target=native -icount shift=0,align=off,sleep=on \
             -kernel /t/app"
        );
        let line = util::display_command(&qemu_command_for(
            Board::Sabrelite,
            Path::new("/t/app"),
            true,
            &["-smp".into(), "4".into()],
        ));
        assert!(line.contains("-serial null -serial stdio"), "{line}");
        assert!(line.ends_with("-kernel /t/app -smp 4"), "{line}");
    }
}
