//! The interpreter and the validator, from instruction sequences built here (no assembler): each
//! operation's corner cases with the kernel's results, calls and frames, helpers and their traps,
//! memory faults, the budget, and random streams that must neither panic nor hang. The cases are in
//! common/vm_cases.rs, shared with tests/vm_jit.rs; the interpreter's budget rule is here.

mod common;

const JIT: bool = false;

#[path = "common/vm_cases.rs"]
mod cases;

use cases::*;

#[test]
fn the_interpreters_budget_counts_every_instruction_and_stops_runaways() {
    let p = vec![mov(0, 1), mov(1, 2), exit()];
    let mut m = Machine::new(prog(p.clone()));
    m.budget = 3;
    assert_eq!(m.run([0; 5]).unwrap(), 1);
    assert_eq!((m.budget, m.executed), (0, 3));
    let mut m = Machine::new(prog(p));
    m.budget = 2;
    let e = m.run([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc, e.message.as_str()), (Errno::E2BIG, Some(2), "instruction limit reached"));
    assert_eq!(m.executed, 2);
    let mut m = Machine::new(prog(vec![ja(-1), exit()]));
    m.budget = 100_000;
    assert_eq!(m.run([0; 5]).unwrap_err().errno, Errno::E2BIG);
    assert_eq!(m.executed, 100_000);
    // Callbacks draw from the same budget.
    let helpers = vec![None, Some(Callable::Native(looper))];
    let mut p = vec![mov(1, 1000)];
    p.extend(lddw(2, func_addr(5)));
    p.extend([call(1), exit(), mov(0, 0), exit()]);
    let mut m = Machine::new(prog_with(p, helpers, Vec::new()));
    m.budget = 500;
    let e = m.run([0; 5]).unwrap_err();
    assert_eq!(e.errno, Errno::E2BIG);
    assert_eq!(m.executed, 500);
}
