//! An x86-64 JIT for the engine's programs (Linux only), with the interpreter ([`super::vm`]) as the
//! reference for every result, error and pc.
//!
//! What is compiled: the whole ISA except bpf-to-bpf calls. A program containing anything the
//! compiler does not take (a `call` of a local function, an unknown opcode, legacy packet access, a
//! reserved field the interpreter faults on, a register above r10, a write to r10, a jump outside
//! the program or into an lddw, an instruction that can run off the end) is not compiled at all,
//! and the interpreter runs it. Callbacks a helper runs (bpf_loop, for_each_map_elem) always run in
//! the interpreter, through [`Machine::call`].
//!
//! Memory: every load, store and atomic is checked as the interpreter checks it. Accesses through
//! r10 with a constant offset inside frame 1's stack need no check (r10 is never written in a
//! compiled program); others are checked inline against the stack and against the cached "hot"
//! region (the last region a slow lookup found), and 4-byte loads against the context, whose
//! converted fields are kept in a shadow array refreshed with the packet regions
//! ([`Machine::refresh_packet`]); a 4-byte load whose base is the context's own address takes two
//! compares. Anything else calls into Rust ([`Machine::load_slow`] and friends), which records the
//! fault with the pc and makes the code return. After a register-register bounds test, the loads
//! and stores of the straight line of blocks that follows, through bases known as a register's
//! starting value plus a constant, are checked together at its start (one range check of their
//! whole span against the hot region per starting register); the line is emitted twice, without
//! their checks for when that passes and with every check for when it does not (see `plan`).
//!
//! Helpers, kfuncs and callx go through one Rust trampoline, except `bpf_map_lookup_elem` on a map
//! an lddw names earlier in the block with its key in the stack: inlined for array and per-CPU
//! array maps, a direct call of [`super::maps::Map::lookup`] for the others. A tail call returns to
//! the driver, which continues in the next program (compiled or interpreted) with the same registers.
//!
//! Budget: the instruction budget is charged on backward jumps (by the length of the jump's span)
//! and on calls, not per instruction, so a run that exhausts it faults E2BIG at a backward jump
//! rather than at the exact instruction the interpreter stops at. `Machine::executed` counts each
//! basic block entered (a counter per block), so it is exact for runs that end with `exit`; for a
//! run that faults it counts the whole faulting block.

use std::cell::{Cell, OnceCell};
use std::sync::OnceLock;

use super::isa::Flat;
use super::machine::Machine;
use crate::errno::XdpError;

// The phases: which programs compile and what a block's lookups name (analysis), how the body is
// laid out (plan), the x86-64 code (emit), and running it (run).
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod analysis;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod emit;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod plan;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod run;

/// Whether the JIT may be used at all: `UXDP_JIT=0` in the environment turns it off (read once).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| supported() && std::env::var("UXDP_JIT").map(|v| v != "0").unwrap_or(true))
}

/// Whether this build has a JIT.
pub const fn supported() -> bool {
    cfg!(all(target_arch = "x86_64", target_os = "linux"))
}

/// A program's compiled forms, made on first use: its machine code, and the pre-decoded form the
/// interpreter's inner loop runs.
#[derive(Default)]
pub struct JitSlot {
    /// Set to keep this program in the interpreter (the `jit: false` load option).
    pub disabled: Cell<bool>,
    flat: OnceCell<Box<[Flat]>>,
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    /// (counting basic blocks for `executed`, not counting).
    code: OnceCell<Option<(run::JitCode, run::JitCode)>>,
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    code: OnceCell<Option<()>>,
    /// What the code works on besides its registers, kept between runs (see [`run::JitCtx`]): it
    /// belongs with the code, and a machine holds only the state of a run. A run takes it and puts
    /// it back; one that finds it taken (a run inside a run) makes its own.
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    scratch: Cell<Option<Box<run::JitCtx>>>,
}

impl std::fmt::Debug for JitSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code.get() {
            Some(Some(_)) => write!(f, "JitSlot(compiled)"),
            Some(None) => write!(f, "JitSlot(interpreted)"),
            None => write!(f, "JitSlot(not yet)"),
        }
    }
}

impl JitSlot {
    /// The program's slots pre-decoded for the interpreter ([`Flat::program`]).
    pub(crate) fn flat(&self, prog: &super::machine::Prog) -> &[Flat] {
        self.flat.get_or_init(|| Flat::program(&prog.insns))
    }

    /// Whether the program has (or now gets) compiled code.
    /// `prog` is the program this slot belongs to (its instructions, helpers and maps).
    pub fn compiled(&self, prog: &super::machine::Prog) -> bool {
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        {
            self.code.get_or_init(|| Some((emit::compile(prog, true)?, emit::compile(prog, false)?))).is_some()
        }
        #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
        {
            let _ = prog;
            false
        }
    }
}

/// The machine code compiled for `prog` (compiling it if needed), for inspection.
#[doc(hidden)]
pub fn code_bytes(prog: &super::machine::Prog) -> Option<Vec<u8>> {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        prog.jit.compiled(prog);
        let code = &prog.jit.code.get()?.as_ref()?.1;
        // SAFETY: the mapping is readable for its whole length while the program lives.
        Some(unsafe { std::slice::from_raw_parts(code.ptr, code.len) }.to_vec())
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        let _ = prog;
        None
    }
}

impl Machine<'_> {
    /// Runs the program as [`Machine::run`] does, compiled when the JIT is enabled and takes it.
    pub fn run_auto(&mut self, args: [u64; 5]) -> Result<u64, XdpError> {
        if enabled() && !self.prog.jit.disabled.get() {
            #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
            if self.prog.jit.compiled(&self.prog) {
                return self.run_jit(args);
            }
        }
        self.run(args)
    }

    /// Whether [`Machine::run_auto`] would run the program compiled.
    pub fn jit_runs(&self) -> bool {
        enabled() && !self.prog.jit.disabled.get() && self.prog.jit.compiled(&self.prog)
    }

    /// test_run's repeat loop around compiled code, with the run's set-up made once: `repeat`
    /// runs (at least one), each after [`Machine::reset`] with `budget` and, when the regions
    /// changed since the last refresh (`refreshed` holds that refresh's generation), a
    /// [`Machine::refresh_packet`]; `executed` is counted on the last run only. The same runs as
    /// `reset` + `run_jit` in a loop; stops at the first error.
    pub fn run_jit_repeat(&mut self, args: [u64; 5], repeat: u32, budget: u64, refreshed: &mut Option<u64>) -> Result<u64, XdpError> {
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        {
            run::run_repeat(self, args, repeat, budget, refreshed)
        }
        #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
        {
            let mut r = Ok(0);
            for i in 0..repeat.max(1) {
                self.reset(budget);
                self.count_executed = i + 1 == repeat.max(1);
                if *refreshed != Some(self.mem.generation()) {
                    self.refresh_packet();
                    *refreshed = Some(self.mem.generation());
                }
                r = self.run(args);
                if r.is_err() {
                    break;
                }
            }
            r
        }
    }

    /// Runs the program compiled, whether or not the JIT is enabled; falls back to the interpreter
    /// for a program the compiler does not take. For tests and benchmarks.
    pub fn run_jit(&mut self, args: [u64; 5]) -> Result<u64, XdpError> {
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        {
            run::run(self, args)
        }
        #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
        {
            self.run(args)
        }
    }
}
