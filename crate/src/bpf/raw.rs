//! Bare instructions run the way bpf_conformance runs a plugin: no object, no maps, r1 = a
//! writable copy of the memory given (0 when there is none), r2 = its length, and helper #5 =
//! "unwind" (returns its argument; zero stops the program with r0 = 0). The program is checked by
//! [`super::validate::validate`] first. What a `.data` vector expects of the run is the runner's
//! business (crate/tests/support/conformance.rs, and the CLI's `uxdp conformance`).

use std::rc::Rc;

use super::insn::{self, Insn};
use super::machine::{Callable, Machine, Prog, Trap};
use super::memory::{Region, RegionKind};
use super::validate::validate;

/// bpf_conformance's helper #5: returns its argument; zero stops the program with r0 = 0.
fn unwind(_: &mut Machine<'_>, args: &[u64; 5]) -> Result<u64, Trap> {
    if args[0] == 0 {
        Err(Trap::Exit(0))
    } else {
        Ok(args[0])
    }
}

/// The helper table bare programs run with.
pub fn helpers() -> Rc<Vec<Option<Callable>>> {
    let mut h = vec![None; 6];
    h[5] = Some(Callable::Native(unwind));
    Rc::new(h)
}

/// Why a program did not produce an r0: the bare message (what an expected error is compared
/// with) and the message with where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub detail: String,
}

impl Failure {
    pub fn plain(message: String) -> Failure {
        Failure { detail: message.clone(), message }
    }
}

/// Validates and runs `insns`: r0, or why it stopped.
pub fn execute(insns: Vec<Insn>, mem: Option<&[u8]>) -> Result<u64, Failure> {
    execute_with(insns, mem, false)
}

/// [`execute`], compiled by the JIT when `jit` (the interpreter runs what it does not compile).
pub fn execute_with(insns: Vec<Insn>, mem: Option<&[u8]>, jit: bool) -> Result<u64, Failure> {
    if insns.len() > insn::MAX_INSNS {
        return Err(Failure::plain(format!("{} instructions", insns.len())));
    }
    validate(&insns).map_err(|e| Failure { detail: format!("rejected: {e}"), message: e.message.clone() })?;
    let prog = Rc::new(Prog { name: "conformance".into(), insns, helpers: helpers(), ..Prog::default() });
    let mut m = Machine::new(prog);
    // Far above any vector's needs, so that a runaway loop ends as an error rather than a hang.
    m.budget = 1 << 24;
    let mut copy = mem.map(<[u8]>::to_vec);
    let (r1, r2) = match copy.as_mut() {
        Some(buf) => {
            m.mem.push(Region::of_slice(buf, true, RegionKind::Mem, 0));
            (buf.as_mut_ptr() as u64, buf.len() as u64)
        }
        None => (0, 0),
    };
    let r = if jit { m.run_jit([r1, r2, 0, 0, 0]) } else { m.run([r1, r2, 0, 0, 0]) };
    let r = r.map_err(|e| Failure { detail: format!("run failed: {e}"), message: e.message.clone() });
    // The region must not outlive the buffer it describes.
    drop(m);
    drop(copy);
    r
}
