//! tests/vm.rs's cases with every run through `Machine::run_jit` (the JIT falls back to the
//! interpreter for what it does not compile), and the JIT's own budget rules.

mod common;

const JIT: bool = true;

#[path = "common/vm_cases.rs"]
mod cases;

use cases::*;

/// The JIT's budget differs from the interpreter's by design: it charges backward jumps (by their
/// span) and calls, not every instruction, and `executed` counts whole basic blocks.
#[test]
fn the_jits_budget_charges_backward_jumps_and_calls() {
    let p = vec![mov(0, 1), mov(1, 2), exit()];
    let mut m = Machine::new(prog(p.clone()));
    m.budget = 3;
    assert_eq!(m.run_jit([0; 5]).unwrap(), 1);
    assert!(m.prog.jit.compiled(&m.prog));
    assert_eq!((m.budget, m.executed), (3, 3), "straight-line code is not charged; executed is exact");
    let mut m = Machine::new(prog(vec![ja(-1), exit()]));
    m.budget = 100_000;
    let e = m.run_jit([0; 5]).unwrap_err();
    assert_eq!((e.errno, e.pc, e.message.as_str()), (Errno::E2BIG, Some(0), "instruction limit reached"));
    assert_eq!(m.budget, 0);
    // A counted loop: 3 instructions a round, 10 rounds.
    let p = vec![mov(0, 0), mov(1, 10), alu64k(ADD, 0, 2), alu64k(SUB, 1, 1), jk(JNE, 1, 0, -3), exit()];
    let mut m = Machine::new(prog(p.clone()));
    assert_eq!(m.run_jit([0; 5]).unwrap(), 20);
    assert_eq!(m.executed, 2 + 30 + 1);
    let mut m = Machine::new(prog(p));
    m.budget = 20;
    assert_eq!(m.run_jit([0; 5]).unwrap_err().errno, Errno::E2BIG);
    // Callbacks draw from the same budget.
    let helpers = vec![None, Some(Callable::Native(looper))];
    let mut p = vec![mov(1, 1000)];
    p.extend(lddw(2, func_addr(5)));
    p.extend([call(1), exit(), mov(0, 0), exit()]);
    let mut m = Machine::new(prog_with(p, helpers, Vec::new()));
    m.budget = 500;
    let e = m.run_jit([0; 5]).unwrap_err();
    assert_eq!(e.errno, Errno::E2BIG);
    assert!(m.prog.jit.compiled(&m.prog));
}
