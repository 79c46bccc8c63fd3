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

use super::machine::Machine;
use crate::errno::XdpError;

/// Whether the JIT may be used at all: `UXDP_JIT=0` in the environment turns it off (read once).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| supported() && std::env::var("UXDP_JIT").map(|v| v != "0").unwrap_or(true))
}

/// Whether this build has a JIT.
pub const fn supported() -> bool {
    cfg!(all(target_arch = "x86_64", target_os = "linux"))
}

/// A program's compiled code, made on first use.
#[derive(Default)]
pub struct JitSlot {
    /// Set to keep this program in the interpreter (the `jit: false` load option).
    pub disabled: Cell<bool>,
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    /// (counting basic blocks for `executed`, not counting).
    code: OnceCell<Option<(imp::JitCode, imp::JitCode)>>,
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    code: OnceCell<Option<()>>,
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
    /// Whether the program has (or now gets) compiled code.
    /// `prog` is the program this slot belongs to (its instructions, helpers and maps).
    pub fn compiled(&self, prog: &super::machine::Prog) -> bool {
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        {
            self.code.get_or_init(|| Some((imp::compile(prog, true)?, imp::compile(prog, false)?))).is_some()
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
            imp::run_repeat(self, args, repeat, budget, refreshed)
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
            imp::run(self, args)
        }
        #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
        {
            self.run(args)
        }
    }
}

/// The compiler's own per-machine state, kept between runs.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub type JitState = imp::JitCtx;
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
pub type JitState = ();

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod imp {
    use std::mem::offset_of;
    use std::rc::Rc;

    use super::super::insn::*;
    use super::super::machine::{Callable, Machine, Prog, Trap};
    use super::super::maps::{JitLookup, Map};
    use super::super::memory::{Region, RegionKind};

    use crate::errno::{Errno, XdpError};

    const STACK_TOTAL: u64 = (STACK_SIZE * MAX_CALL_FRAMES) as u64;

    // Run status, as the code leaves it in JitCtx::status.
    const ST_OK: u64 = 0;
    const ST_FAULT: u64 = 1;
    const ST_BUDGET: u64 = 2;
    const ST_EXIT: u64 = 3;
    const ST_TAIL: u64 = 4;

    /// What the code reads and writes besides its registers; r12 points at it.
    #[repr(C)]
    pub struct JitCtx {
        machine: *mut (),
        stack_lo: u64,
        /// Regions checked inline: [0] the packet (or the first Mem region), checked in the hot
        /// path; [1] the last region a slow lookup found, checked before calling one.
        hot: [Hot; 2],
        ctx_addr: u64,
        /// 24 while the shadow holds the context's converted fields, else 0.
        ctx_lim: u64,
        left: u64,
        shadow: [u64; 6],
        regs: [u64; 11],
        args: [u64; 5],
        status: u64,
        fault_pc: u64,
        ret: u64,
        counts_ptr: *mut u64,
        /// The machine's CPU, for inlined per-CPU lookups.
        cpu: u64,
        /// What sync_machine last read: (regions' generation, stack, ctx, has a host).
        synced: (u64, u64, u64, bool),
        err: Option<XdpError>,
        counts: Vec<u64>,
    }

    impl JitCtx {
        fn new() -> JitCtx {
            JitCtx {
                machine: std::ptr::null_mut(),
                stack_lo: 0,
                hot: [Hot::NONE; 2],
                ctx_addr: 0,
                ctx_lim: 0,
                left: 0,
                shadow: [0; 6],
                regs: [0; 11],
                args: [0; 5],
                status: 0,
                fault_pc: 0,
                ret: 0,
                counts_ptr: std::ptr::null_mut(),
                cpu: 0,
                synced: (0, 0, 0, false),
                err: None,
                counts: Vec::new(),
            }
        }

        fn set_hot(&mut self, slot: usize, r: Option<&Region>) {
            self.hot[slot] = match r {
                Some(r) if r.kind != RegionKind::Ctx => {
                    let mut h = Hot { lo: r.start, r: [0; 4], w: [0; 4] };
                    for (k, n) in [1u64, 2, 4, 8].into_iter().enumerate() {
                        let lim = if r.len >= n { r.len - n + 1 } else { 0 };
                        h.r[k] = lim;
                        h.w[k] = if r.writable { lim } else { 0 };
                    }
                    h
                }
                _ => Hot::NONE,
            };
        }

        /// Re-reads what a helper may have changed: the regions, the context's fields, the stack.
        #[inline(always)]
        fn sync_machine(&mut self, m: &Machine<'_>) {
            let key = (m.mem.generation(), m.stack.as_ptr() as u64, m.ctx, m.xdp.is_some());
            if key != self.synced {
                self.resync(m, key);
            }
        }

        #[inline(never)]
        fn resync(&mut self, m: &Machine<'_>, key: (u64, u64, u64, bool)) {
            self.synced = key;
            self.stack_lo = m.stack.as_ptr() as u64;
            self.ctx_addr = m.ctx;
            self.ctx_lim = 0;
            // One pass: the packet region (else the first Mem region) becomes the hot one; the
            // shadow answers for the context only when its region is there and nothing else
            // overlaps the context's 24 bytes (a lookup could find that one instead).
            let (mut packet, mut memr, mut ctx_ok, mut overlapping) = (None, None, false, 0u32);
            let (c0, c1) = (m.ctx, m.ctx.saturating_add(24));
            for r in m.mem.regions() {
                match r.kind {
                    RegionKind::Packet if packet.is_none() => packet = Some(r),
                    RegionKind::Mem if memr.is_none() => memr = Some(r),
                    RegionKind::Ctx if r.start == m.ctx && r.len >= 24 => ctx_ok = true,
                    _ => {}
                }
                if r.start < c1 && c0 < r.start.saturating_add(r.len) {
                    overlapping += 1;
                }
            }
            let hot = packet.or_else(|| m.mem.last_found().filter(|r| r.kind != RegionKind::Ctx && r.kind != RegionKind::Stack)).or(memr);
            self.set_hot(0, hot);
            self.set_hot(1, m.mem.last_found().filter(|r| r.kind != RegionKind::Stack));
            if let Some(s) = &m.ctx_shadow {
                if ctx_ok && overlapping == 1 && m.xdp.is_some() {
                    self.shadow = *s;
                    self.ctx_lim = 24;
                }
            }
        }

        #[cold]
        fn fault(&mut self, pc: u64, e: XdpError) {
            self.status = ST_FAULT;
            self.fault_pc = pc;
            self.err = Some(e);
        }
    }

    /// A region for inline checks: exclusive limits of `addr - lo` for 1-, 2-, 4- and 8-byte reads
    /// and writes (0: never).
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct Hot {
        lo: u64,
        r: [u64; 4],
        w: [u64; 4],
    }

    impl Hot {
        const NONE: Hot = Hot { lo: 0, r: [0; 4], w: [0; 4] };
    }

    /// Executable memory holding one program's code; unmapped on drop.
    pub struct JitCode {
        pub(super) ptr: *mut u8,
        pub(super) len: usize,
        /// Instructions in the basic block starting at each counter's index.
        block_lens: Vec<u64>,
    }

    extern "C" {
        fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut u8;
        fn mprotect(addr: *mut u8, len: usize, prot: i32) -> i32;
        fn munmap(addr: *mut u8, len: usize) -> i32;
    }
    const PROT_READ: i32 = 1;
    const PROT_WRITE: i32 = 2;
    const PROT_EXEC: i32 = 4;
    const MAP_PRIVATE: i32 = 2;
    const MAP_ANONYMOUS: i32 = 0x20;

    impl JitCode {
        fn new(code: &[u8], block_lens: Vec<u64>) -> Option<JitCode> {
            let len = code.len().max(1);
            // SAFETY: a fresh private anonymous mapping, written while writable, then made
            // read+exec (never both writable and executable).
            unsafe {
                let ptr = mmap(std::ptr::null_mut(), len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if ptr as isize == -1 || ptr.is_null() {
                    return None;
                }
                std::ptr::copy_nonoverlapping(code.as_ptr(), ptr, code.len());
                if mprotect(ptr, len, PROT_READ | PROT_EXEC) != 0 {
                    munmap(ptr, len);
                    return None;
                }
                Some(JitCode { ptr, len, block_lens })
            }
        }
    }

    impl Drop for JitCode {
        fn drop(&mut self) {
            // SAFETY: our own mapping, unmapped once.
            unsafe {
                munmap(self.ptr, self.len);
            }
        }
    }

    // ---- The driver.

    pub fn run(m: &mut Machine<'_>, args: [u64; 5]) -> Result<u64, XdpError> {
        if m.depth != 0 {
            return Err(XdpError::run(
                Errno::EBUSY,
                format!("run() inside a run ({} frames in use): a helper calls back with call()", m.depth),
            ));
        }
        m.tail_calls = 0;
        let prog = m.prog.clone();
        m.depth = 1;
        let mut st = m.jit_state.take().unwrap_or_else(|| Box::new(JitCtx::new()));
        // One 8-byte access per register: wider copies across the caller's 8-byte stores would
        // miss store-to-load forwarding (see Machine::exec).
        st.regs[0] = 0;
        for (k, a) in args.iter().enumerate() {
            // SAFETY: a read of a live, aligned u64.
            st.regs[k + 1] = unsafe { std::ptr::read_volatile(a) };
        }
        for r in &mut st.regs[6..10] {
            *r = 0;
        }
        st.regs[10] = m.frame_pointer(1);
        // The outcome comes back in registers (a Result with a XdpError in it is returned through
        // memory, and copying it cost a store-forwarding stall per run); an error waits in st.err.
        let r = run_regs(m, &mut st, &prog);
        let err = if r.is_err() { st.err.take() } else { None };
        st.machine = std::ptr::null_mut();
        m.jit_state = Some(st);
        m.depth = 0;
        m.prog = prog;
        match r {
            Ok(v) => Ok(v),
            Err(()) => Err(err.unwrap_or_else(|| XdpError::run(Errno::EFAULT, "fault"))),
        }
    }

    pub fn run_repeat(m: &mut Machine<'_>, args: [u64; 5], repeat: u32, budget: u64, refreshed: &mut Option<u64>) -> Result<u64, XdpError> {
        if m.depth != 0 {
            return Err(XdpError::run(
                Errno::EBUSY,
                format!("run() inside a run ({} frames in use): a helper calls back with call()", m.depth),
            ));
        }
        let prog = m.prog.clone();
        let mut st = m.jit_state.take().unwrap_or_else(|| Box::new(JitCtx::new()));
        let repeat = repeat.max(1);
        let mut r = Ok(0);
        let mut clean = None;
        for i in 0..repeat {
            m.reset_repeat(budget, &mut clean);
            m.count_executed = i + 1 == repeat;
            if *refreshed != Some(m.mem.generation()) {
                m.refresh_packet();
                *refreshed = Some(m.mem.generation());
            }
            m.depth = 1;
            st.regs[0] = 0;
            for (k, a) in args.iter().enumerate() {
                // SAFETY: a read of a live, aligned u64 (see run).
                st.regs[k + 1] = unsafe { std::ptr::read_volatile(a) };
            }
            for r in &mut st.regs[6..10] {
                *r = 0;
            }
            st.regs[10] = m.frame_pointer(1);
            r = run_regs(m, &mut st, &prog);
            // A tail call left m.prog at the program it called.
            if !Rc::ptr_eq(&m.prog, &prog) {
                m.prog = prog.clone();
            }
            if r.is_err() {
                break;
            }
        }
        let err = if r.is_err() { st.err.take() } else { None };
        st.machine = std::ptr::null_mut();
        m.jit_state = Some(st);
        m.depth = 0;
        m.prog = prog;
        match r {
            Ok(v) => Ok(v),
            Err(()) => Err(err.unwrap_or_else(|| XdpError::run(Errno::EFAULT, "fault"))),
        }
    }

    /// Runs m.prog (and what it tail-calls) with the registers in `st.regs`.
    #[inline(always)]
    fn run_regs(m: &mut Machine<'_>, st: &mut JitCtx, first: &Rc<Prog>) -> Result<u64, ()> {
        let mut next: Option<Rc<Prog>> = None;
        loop {
            // The first program is the caller's (alive for the whole run); a tail-called one is
            // held here while it runs, whatever m.prog becomes.
            let prog: &Rc<Prog> = match &next {
                None => first,
                Some(p) => p,
            };
            let code = match prog.jit.disabled.get() || !prog.jit.compiled(prog) {
                false => prog.jit.code.get().and_then(Option::as_ref).map(|c| if m.count_executed { &c.0 } else { &c.1 }),
                true => None,
            };
            let Some(code) = code else {
                let mut regs = [0u64; 16];
                regs[..11].copy_from_slice(&st.regs);
                return m.exec_regs(0, regs).map_err(|e| st.err = Some(e));
            };
            st.sync_machine(m);
            st.left = m.budget;
            st.status = ST_OK;
            let nblocks = code.block_lens.len();
            if st.counts.len() < nblocks {
                st.counts.resize(nblocks, 0);
            }
            let counting = m.count_executed && nblocks > 0;
            if counting {
                for c in &mut st.counts[..nblocks] {
                    *c = 0;
                }
            }
            st.counts_ptr = st.counts.as_mut_ptr();
            st.cpu = u64::from(m.cpu);
            st.machine = m as *mut Machine<'_> as *mut ();
            // SAFETY: the code was generated for this layout of JitCtx; it reads and writes only
            // the context, the checked regions and its own stack frame, and calls back into
            // Rust through the trampolines below with the same context.
            let f: unsafe extern "C" fn(*mut JitCtx) -> u64 = unsafe { std::mem::transmute(code.ptr) };
            let rax = unsafe { f(st) };
            let mut counted = 0u64;
            if counting {
                for (l, c) in code.block_lens.iter().zip(&st.counts[..nblocks]) {
                    counted = counted.wrapping_add(l.wrapping_mul(*c));
                }
            }
            // Helper calls synced the budget; what the code charged since is in `left`.
            if st.status == ST_BUDGET {
                m.budget = 0;
            } else {
                m.budget = st.left;
            }
            // `executed` counts blocks (exact for runs that exit), not budget charges.
            m.executed = m.executed.wrapping_add(counted);
            let at = |pc: u64, e: XdpError| {
                let pc = pc as usize;
                Some(match prog.insns.get(pc) {
                    Some(&i) => e.at(pc, i),
                    None => e,
                })
            };
            match st.status {
                ST_OK => return Ok(rax),
                ST_EXIT => return Ok(st.ret),
                ST_FAULT => {
                    let e = st.err.take().unwrap_or_else(|| XdpError::run(Errno::EFAULT, "fault"));
                    st.err = at(st.fault_pc, e);
                    return Err(());
                }
                ST_BUDGET => {
                    st.err = at(st.fault_pc, XdpError::run(Errno::E2BIG, "instruction limit reached"));
                    return Err(());
                }
                // A tail call: m.prog is the next program; same frame, same registers (st.regs).
                _ => {
                    next = Some(m.prog.clone());
                    continue;
                }
            }
        }
    }

    // ---- Trampolines: called from the code with the System V ABI; they never unwind.

    unsafe fn machine<'m>(c: &JitCtx) -> &'m mut Machine<'static> {
        &mut *(c.machine as *mut Machine<'static>)
    }

    fn sign(v: u64, size: u64) -> u64 {
        match size {
            1 => v as u8 as i8 as u64,
            2 => v as u16 as i16 as u64,
            4 => v as u32 as i32 as u64,
            _ => v,
        }
    }

    /// A load the inline checks did not place. `info`: size in bits 0..8, sign-extending in bit 8,
    /// pc from bit 16.
    unsafe extern "C" fn slow_load(c: *mut JitCtx, addr: u64, info: u64) -> u64 {
        let c = &mut *c;
        let m = machine(c);
        let size = info & 0xff;
        match m.load_slow(addr, size) {
            Ok(v) => {
                c.set_hot(1, m.mem.last_found());
                if info & 0x100 != 0 {
                    sign(v, size)
                } else {
                    v
                }
            }
            Err(e) => {
                c.fault(info >> 16, e);
                0
            }
        }
    }

    unsafe extern "C" fn slow_store(c: *mut JitCtx, addr: u64, v: u64, info: u64) {
        let c = &mut *c;
        let m = machine(c);
        match m.store_slow(addr, info & 0xff, v) {
            Ok(()) => c.set_hot(1, m.mem.last_found()),
            Err(e) => c.fault(info >> 16, e),
        }
    }

    /// The address check of an atomic the inline checks did not place; the code does the rest.
    unsafe extern "C" fn slow_atomic(c: *mut JitCtx, addr: u64, info: u64) {
        let c = &mut *c;
        let m = machine(c);
        if let Err(e) = m.writable(addr, info & 0xff) {
            c.fault(info >> 16, e);
        }
    }

    const CALL_HELPER: u64 = 0;
    const CALL_KFUNC: u64 = 1;
    const CALL_X: u64 = 2;

    /// A helper, kfunc or callx. `what`: the helper id, kfunc index or callx register value;
    /// `kind`: CALL_* in the low byte, callx's register from bit 8.
    unsafe extern "C" fn call(c: *mut JitCtx, what: u64, pc: u64, kind: u64) -> u64 {
        let c = &mut *c;
        let m = machine(c);
        if c.left == 0 {
            c.status = ST_BUDGET;
            c.fault_pc = pc;
            return 0;
        }
        c.left -= 1;
        let prog: Rc<Prog> = m.prog.clone();
        let (callable, missing) = match kind & 0xff {
            CALL_HELPER => {
                let id = what as i64 as i32;
                (usize::try_from(id).ok().and_then(|i| prog.helpers.get(i)).and_then(Option::as_ref), 0)
            }
            CALL_KFUNC => (usize::try_from(what as i64 as i32).ok().and_then(|i| prog.kfuncs.get(i)), 1),
            _ => (usize::try_from(what).ok().and_then(|i| prog.helpers.get(i)).and_then(Option::as_ref), 2),
        };
        // One 8-byte read each: the code stored them one by one (a wider read would stall).
        let mut args = [0u64; 5];
        for (a, v) in args.iter_mut().zip(&c.args) {
            *a = std::ptr::read_volatile(v);
        }
        // `executed` counts the compiled code's blocks, not its budget charges: only the budget.
        let sync = |m: &mut Machine<'_>, left: u64| m.budget = left;
        let res = match callable {
            Some(Callable::Native(f)) => {
                sync(m, c.left);
                f(m, &args)
            }
            Some(Callable::User(f)) => {
                sync(m, c.left);
                f(m, &args)
            }
            Some(Callable::Missing(name)) => {
                c.fault(pc, XdpError::run(Errno::EINVAL, format!("call to kfunc {name}, which the kernel does not have")));
                return 0;
            }
            None => {
                let msg = match missing {
                    0 => format!("invalid func unknown#{}", what as i64 as i32),
                    1 => format!(
                        "invalid kernel function call: index {} is not one of the program's {} kfuncs",
                        what as i64 as i32,
                        prog.kfuncs.len()
                    ),
                    _ => format!("invalid func unknown#{what} (callx r{})", kind >> 8),
                };
                c.fault(pc, XdpError::run(Errno::EINVAL, msg));
                return 0;
            }
        };
        // Callbacks the helper ran drew from the same budget (and counted themselves).
        c.left = m.budget;
        let stack_moved = m.stack.as_ptr() as u64 != c.stack_lo;
        c.sync_machine(m);
        if stack_moved {
            // Compiled code addresses frame 1 through r10 without checks: it cannot go on.
            c.fault(pc, XdpError::run(Errno::EFAULT, "a helper replaced the machine's stack during a compiled run"));
            return 0;
        }
        match res {
            Ok(v) => v,
            Err(Trap::Exit(v)) => {
                c.status = ST_EXIT;
                c.ret = v;
                0
            }
            Err(Trap::Fault(e)) => {
                c.fault(pc, e);
                0
            }
            Err(Trap::TailCall(p)) => {
                m.prog = p;
                c.status = ST_TAIL;
                0
            }
        }
    }

    /// bpf_map_lookup_elem on a map whose lookup is not inlined, from compiled code that checked
    /// that the key's `key_size` bytes are in the stack.
    unsafe extern "C" fn map_lookup(map: *const Map, key: *const u8, c: *const JitCtx) -> u64 {
        let map = &*map;
        let key = std::slice::from_raw_parts(key, map.def().key_size as usize);
        map.lookup(key, (*c).cpu as u32).unwrap_or(0)
    }

    /// For a `call 1` at `pc`: the map it looks up, when r1 is set by an lddw of one of the
    /// program's maps earlier in the same basic block, helper 1 is the engine's own
    /// bpf_map_lookup_elem, and the map's lookup can be done without the helper (see
    /// [`Map::jit_lookup`]); None otherwise.
    fn lookup_target<'p>(prog: &'p Prog, leader: &[bool], second: &[bool], pc: usize) -> Option<(&'p Rc<Map>, JitLookup)> {
        if prog.insns[pc].imm != 1 {
            return None;
        }
        match prog.helpers.get(1) {
            Some(Some(Callable::Native(f))) if super::super::helpers::native_helper(1).is_some_and(|g| std::ptr::fn_addr_eq(*f, g)) => {}
            _ => return None,
        }
        // Walk back through the block to the instruction that last wrote r1.
        let mut q = pc;
        loop {
            if leader[q] || q == 0 {
                return None;
            }
            q -= 1;
            let i = prog.insns[q];
            // An lddw's second half: look at its first.
            if second[q] {
                let l = prog.insns[q - 1];
                if l.dst() == 1 {
                    let handle = (l.imm as u32 as u64) | ((i.imm as u32 as u64) << 32);
                    let map = prog.maps.iter().find(|m| super::super::machine::map_handle(m) == handle)?;
                    let how = map.jit_lookup()?;
                    let ks = u64::from(map.def().key_size);
                    if ks == 0 || ks > STACK_TOTAL {
                        return None;
                    }
                    if let JitLookup::Array { stride, .. } | JitLookup::PercpuArray { stride, .. } = how {
                        if ks != 4 || i32::try_from(stride).is_err() {
                            return None;
                        }
                    }
                    if let JitLookup::PercpuArray { nr_cpus, .. } = how {
                        if i32::try_from(nr_cpus).is_err() {
                            return None;
                        }
                    }
                    return Some((map, how));
                }
                q -= 1;
                continue;
            }
            let writes_r1 = match i.class() {
                ALU | ALU64 | LDX => i.dst() == 1,
                ST => false,
                // Atomics with a fetch write their source register.
                STX => i.code & 0xe0 == ATOMIC && i.src() == 1,
                _ => true,
            };
            if writes_r1 {
                return None;
            }
        }
    }

    // ---- The compiler.

    // x86 registers.
    const RAX: u8 = 0;
    const RCX: u8 = 1;
    const RDX: u8 = 2;
    const RBX: u8 = 3;
    const RSP: u8 = 4;
    const RBP: u8 = 5;
    const RSI: u8 = 6;
    const RDI: u8 = 7;
    const R8: u8 = 8;
    const R9: u8 = 9;
    const R10: u8 = 10;
    const R11: u8 = 11;
    const R12: u8 = 12;
    const R13: u8 = 13;
    const R14: u8 = 14;
    const R15: u8 = 15;
    /// BPF r0..r10. rax, rcx and rdx are scratch; r12 holds the JitCtx.
    const MAP: [u8; 11] = [RBX, RDI, RSI, R8, R9, R10, R11, R13, R14, R15, RBP];
    /// Caller-saved registers holding BPF registers, pushed around calls into Rust (an even count
    /// keeps the stack 16-byte aligned).
    const SAVED: [u8; 6] = [RDI, RSI, R8, R9, R10, R11];
    const CTXR: u8 = R12;

    // Condition codes.
    const CC_B: u8 = 2;
    const CC_AE: u8 = 3;
    const CC_E: u8 = 4;
    const CC_NE: u8 = 5;
    const CC_BE: u8 = 6;
    const CC_A: u8 = 7;
    const CC_L: u8 = 12;
    const CC_GE: u8 = 13;
    const CC_LE: u8 = 14;
    const CC_G: u8 = 15;

    type Label = usize;

    struct Asm {
        c: Vec<u8>,
        labels: Vec<usize>,
        fixups: Vec<(usize, Label)>,
    }

    const UNBOUND: usize = usize::MAX;

    impl Asm {
        fn label(&mut self) -> Label {
            self.labels.push(UNBOUND);
            self.labels.len() - 1
        }
        fn bind(&mut self, l: Label) {
            self.labels[l] = self.c.len();
        }
        fn b(&mut self, b: u8) {
            self.c.push(b);
        }
        fn d32(&mut self, v: i32) {
            self.c.extend_from_slice(&v.to_le_bytes());
        }
        fn rex(&mut self, w: bool, r: u8, x: u8, b: u8, force: bool) {
            let v = 0x40 | ((w as u8) << 3) | ((r >> 3) << 2) | ((x >> 3) << 1) | (b >> 3);
            if v != 0x40 || force {
                self.b(v);
            }
        }
        /// `op reg, rm` with a register rm. `byte`: rm/reg are byte registers (REX needed for
        /// sil, dil, bpl).
        fn rr(&mut self, w: bool, op: &[u8], reg: u8, rm: u8, byte: bool) {
            self.rex(w, reg, 0, rm, byte && (reg >= 4 || rm >= 4));
            self.c.extend_from_slice(op);
            self.b(0xc0 | ((reg & 7) << 3) | (rm & 7));
        }
        /// `op reg, [base + disp]`.
        fn rm(&mut self, w: bool, op: &[u8], reg: u8, base: u8, disp: i32, byte: bool) {
            self.rex(w, reg, 0, base, byte && reg >= 4);
            self.c.extend_from_slice(op);
            self.modrm_mem(reg, base, disp);
        }
        fn modrm_mem(&mut self, reg: u8, base: u8, disp: i32) {
            let short = (-128..=127).contains(&disp);
            self.b(if short { 0x40 } else { 0x80 } | ((reg & 7) << 3) | (base & 7));
            if base & 7 == 4 {
                self.b(0x24);
            }
            if short {
                self.b(disp as i8 as u8);
            } else {
                self.d32(disp);
            }
        }
        fn jcc(&mut self, cc: u8, l: Label) {
            self.b(0x0f);
            self.b(0x80 | cc);
            self.fixups.push((self.c.len(), l));
            self.d32(0);
        }
        fn jmp(&mut self, l: Label) {
            self.b(0xe9);
            self.fixups.push((self.c.len(), l));
            self.d32(0);
        }
        fn mov(&mut self, w: bool, dst: u8, src: u8) {
            self.rr(w, &[0x89], src, dst, false);
        }
        /// mov dst, [base + disp] (64-bit).
        fn ld(&mut self, dst: u8, base: u8, disp: i32) {
            self.rm(true, &[0x8b], dst, base, disp, false);
        }
        fn st(&mut self, base: u8, disp: i32, src: u8) {
            self.rm(true, &[0x89], src, base, disp, false);
        }
        fn mov_imm64(&mut self, dst: u8, v: u64) {
            if v <= u32::MAX as u64 {
                self.rex(false, 0, 0, dst, false);
                self.b(0xb8 | (dst & 7));
                self.d32(v as u32 as i32);
            } else if v as i64 >= i32::MIN as i64 && v as i64 <= i32::MAX as i64 {
                self.rr(true, &[0xc7], 0, dst, false);
                self.d32(v as i32);
            } else {
                self.rex(true, 0, 0, dst, false);
                self.b(0xb8 | (dst & 7));
                self.c.extend_from_slice(&v.to_le_bytes());
            }
        }
        /// Group-1 ALU with an immediate: ext 0 add, 1 or, 4 and, 5 sub, 6 xor, 7 cmp.
        fn alu_ri(&mut self, w: bool, ext: u8, dst: u8, imm: i32) {
            if (-128..=127).contains(&imm) {
                self.rr(w, &[0x83], ext, dst, false);
                self.b(imm as i8 as u8);
            } else {
                self.rr(w, &[0x81], ext, dst, false);
                self.d32(imm);
            }
        }
        fn push(&mut self, r: u8) {
            self.rex(false, 0, 0, r, false);
            self.b(0x50 | (r & 7));
        }
        fn pop(&mut self, r: u8) {
            self.rex(false, 0, 0, r, false);
            self.b(0x58 | (r & 7));
        }
        fn call_abs(&mut self, f: u64) {
            self.mov_imm64(RAX, f);
            self.b(0xff);
            self.b(0xd0);
        }
        fn finish(mut self) -> Option<Vec<u8>> {
            for &(at, l) in &self.fixups {
                let target = *self.labels.get(l)?;
                if target == UNBOUND {
                    return None;
                }
                let rel = i32::try_from(target as i64 - (at as i64 + 4)).ok()?;
                self.c[at..at + 4].copy_from_slice(&rel.to_le_bytes());
            }
            Some(self.c)
        }
    }

    fn size_class(n: u64) -> usize {
        match n {
            1 => 0,
            2 => 1,
            4 => 2,
            _ => 3,
        }
    }

    /// The out-of-line halves of memory accesses and budget faults, emitted after the body.
    enum Cold {
        Load { entry: Label, ok: Label, done: Label, pc: usize, size: u64, signed: bool, dst: u8, ctx: bool },
        Store { entry: Label, ok: Label, done: Label, pc: usize, size: u64, val: Result<u8, i32> },
        Atomic { entry: Label, ok: Label, pc: usize, size: u64, base: u8, off: i32 },
        Budget { entry: Label, pc: usize },
    }

    /// Whether the compiler takes the program (see the module's documentation).
    fn acceptable(insns: &[Insn]) -> Option<Vec<bool>> {
        let n = insns.len();
        if n == 0 || n > 1 << 20 {
            return None;
        }
        // Second halves of lddw, which no jump may target.
        let mut second = vec![false; n];
        let mut leader = vec![false; n + 1];
        leader[0] = true;
        let mut pc = 0;
        while pc < n {
            let i = insns[pc];
            let (dst, src) = (i.dst(), i.src());
            let code = i.code;
            let class = i.class();
            if dst > 10 || src > 10 {
                return None;
            }
            let mut falls = true;
            let mut width = 1;
            match class {
                ALU | ALU64 => {
                    if dst == 10 {
                        return None;
                    }
                    let op = code & 0xf0;
                    match op {
                        ADD | SUB | MUL | DIV | OR | AND | LSH | RSH | MOD | XOR | MOV | ARSH => {}
                        NEG => {
                            if code & 0x08 != 0 {
                                return None;
                            }
                        }
                        END => {
                            if !matches!(i.imm, 16 | 32 | 64) || (class == ALU64 && code & 0x08 != 0) {
                                return None;
                            }
                        }
                        _ => return None,
                    }
                }
                JMP | JMP32 => {
                    let op = code & 0xf0;
                    match op {
                        CALL => {
                            if class != JMP || code & 0x08 != 0 && code != 0x8d {
                                return None;
                            }
                            if code == 0x85 && !(src == 0 || src == PSEUDO_KFUNC_CALL) {
                                return None;
                            }
                        }
                        EXIT => {
                            if class != JMP || code != 0x95 {
                                return None;
                            }
                            falls = false;
                        }
                        JA => {
                            if code & 0x08 != 0 {
                                return None;
                            }
                            falls = false;
                            let off = if class == JMP32 { i.imm as i64 } else { i.off as i64 };
                            jump_target(pc, off, n, &mut leader)?;
                        }
                        JEQ | JGT | JGE | JSET | JNE | JSGT | JSGE | JLT | JLE | JSLT | JSLE => {
                            jump_target(pc, i.off as i64, n, &mut leader)?;
                        }
                        _ => return None,
                    }
                    leader[pc + 1] = true;
                }
                LD => {
                    if code != 0x18 || pc + 1 >= n || dst == 10 {
                        return None;
                    }
                    second[pc + 1] = true;
                    width = 2;
                }
                LDX => {
                    if !matches!(code, 0x61 | 0x69 | 0x71 | 0x79 | 0x81 | 0x89 | 0x91) || dst == 10 {
                        return None;
                    }
                }
                ST => {
                    if !matches!(code, 0x62 | 0x6a | 0x72 | 0x7a) {
                        return None;
                    }
                }
                _ => {
                    // STX
                    match code {
                        0x63 | 0x6b | 0x73 | 0x7b => {}
                        0xc3 | 0xdb => {
                            let op = i.imm;
                            let known =
                                matches!(op & !ATOMIC_FETCH, 0x00 | 0x40 | 0x50 | 0xa0) || op == ATOMIC_XCHG || op == ATOMIC_CMPXCHG;
                            if !known || (op & ATOMIC_FETCH != 0 && op != ATOMIC_CMPXCHG && src == 10) {
                                return None;
                            }
                        }
                        _ => return None,
                    }
                }
            }
            if falls && pc + width >= n {
                return None;
            }
            pc += width;
        }
        for (t, l) in leader.iter().enumerate().take(n) {
            if *l && second[t] {
                return None;
            }
        }
        leader.truncate(n);
        Some(leader)
    }

    fn jump_target(pc: usize, off: i64, n: usize, leader: &mut [bool]) -> Option<usize> {
        let t = pc as i64 + 1 + off;
        if t < 0 || t >= n as i64 {
            return None;
        }
        leader[t as usize] = true;
        Some(t as usize)
    }

    /// Compiles the program; with `counting`, each basic block counts its runs for `executed`.
    pub fn compile(prog: &Prog, counting: bool) -> Option<JitCode> {
        let insns = &prog.insns[..];
        let leader = acceptable(insns)?;
        let n = insns.len();
        // Second halves of lddw, as the loop below walks them.
        let mut second = vec![false; n];
        let mut q = 0;
        while q < n {
            if insns[q].code == 0x18 && q + 1 < n {
                second[q + 1] = true;
                q += 2;
            } else {
                q += 1;
            }
        }
        let mut a = Asm { c: Vec::with_capacity(n * 24 + 256), labels: Vec::new(), fixups: Vec::new() };
        let pcl: Vec<Label> = (0..n).map(|_| a.label()).collect();
        let epi_save = a.label();
        let epi_ret = a.label();
        let mut cold: Vec<Cold> = Vec::new();

        let o_stack = offset_of!(JitCtx, stack_lo) as i32;
        let o_hot = offset_of!(JitCtx, hot) as i32;
        let hot_size = std::mem::size_of::<Hot>() as i32;
        let o_hot_lo = o_hot + offset_of!(Hot, lo) as i32;
        let o_hot_r = o_hot + offset_of!(Hot, r) as i32;
        let o_hot_w = o_hot + offset_of!(Hot, w) as i32;
        // The second region, checked in the cold stubs.
        let hot2 = |a: &mut Asm, ar: u8, size: u64, write: bool, ok: Label| {
            a.mov(true, RCX, ar);
            a.rm(true, &[0x2b], RCX, CTXR, o_hot_lo + hot_size, false);
            let lims = if write { o_hot_w } else { o_hot_r } + hot_size;
            a.rm(true, &[0x3b], RCX, CTXR, lims + 8 * size_class(size) as i32, false);
            a.jcc(CC_B, ok);
        };
        let o_ctx_addr = offset_of!(JitCtx, ctx_addr) as i32;
        let o_ctx_lim = offset_of!(JitCtx, ctx_lim) as i32;
        let o_left = offset_of!(JitCtx, left) as i32;
        let o_shadow = offset_of!(JitCtx, shadow) as i32;
        let o_regs = offset_of!(JitCtx, regs) as i32;
        let o_args = offset_of!(JitCtx, args) as i32;
        let o_status = offset_of!(JitCtx, status) as i32;
        let o_fault_pc = offset_of!(JitCtx, fault_pc) as i32;
        let o_counts = offset_of!(JitCtx, counts_ptr) as i32;
        let o_cpu = offset_of!(JitCtx, cpu) as i32;

        // Prologue: callee-saved registers, 8 more bytes to align, the context, the registers.
        for r in [RBX, RBP, R12, R13, R14, R15] {
            a.push(r);
        }
        a.alu_ri(true, 5, RSP, 8);
        a.mov(true, CTXR, RDI);
        for (i, &r) in MAP.iter().enumerate() {
            a.ld(r, CTXR, o_regs + 8 * i as i32);
        }

        let mut block_lens: Vec<u64> = Vec::new();
        let steps = plan(insns, &leader, &mut a);
        for step in steps {
            let (pc, count, fast, head) = match step {
                Step::Insn { pc, bind, count, fast } => {
                    if bind {
                        a.bind(pcl[pc]);
                    }
                    (pc, count, fast, false)
                }
                Step::Guard { groups, slow } => {
                    for g in groups {
                        // rax = base + lo - hot.lo; the span [rax, rax + len) must lie under the
                        // region's 1-byte limit (its length; 0 when not readable/writable).
                        let lims = if g.store { o_hot_w } else { o_hot_r };
                        a.rm(true, &[0x8d], RAX, MAP[g.reg as usize], g.lo, false);
                        a.rm(true, &[0x2b], RAX, CTXR, o_hot_lo, false);
                        a.rm(true, &[0x3b], RAX, CTXR, lims, false);
                        a.jcc(CC_AE, slow);
                        a.alu_ri(true, 0, RAX, g.end - g.lo);
                        a.rm(true, &[0x3b], RAX, CTXR, lims, false);
                        a.jcc(CC_A, slow);
                    }
                    continue;
                }
                Step::Head(pc) => {
                    a.bind(pcl[pc]);
                    (pc, true, false, true)
                }
                Step::Count(pc) => (pc, true, false, true),
                Step::Bind(l) => {
                    a.bind(l);
                    continue;
                }
                Step::Jmp(t) => {
                    a.jmp(pcl[t]);
                    continue;
                }
            };
            let i = insns[pc];
            if count && counting {
                // Count the block: its instructions up to the next leader (lddw counts once).
                let mut len = 0u64;
                let mut q = pc;
                loop {
                    len += 1;
                    q += if insns[q].code == 0x18 { 2 } else { 1 };
                    if q >= n || leader[q] {
                        break;
                    }
                }
                let idx = block_lens.len() as i32;
                block_lens.push(len);
                a.ld(RAX, CTXR, o_counts);
                // inc qword [rax + idx*8]
                a.rm(true, &[0xff], 0, RAX, idx.checked_mul(8)?, false);
            }
            if head {
                continue;
            }
            let dst = MAP[i.dst() as usize];
            let src = MAP[i.src() as usize];
            let imm = i.imm;
            let off = i.off as i32;
            let class = i.class();
            let w = class == ALU64 || class == JMP;
            let code = i.code;
            match class {
                ALU | ALU64 => {
                    let x = code & 0x08 != 0;
                    let op = code & 0xf0;
                    match op {
                        ADD | SUB | OR | AND | XOR => {
                            let (ext, opc) = match op {
                                ADD => (0, 0x01),
                                SUB => (5, 0x29),
                                OR => (1, 0x09),
                                AND => (4, 0x21),
                                _ => (6, 0x31),
                            };
                            if x {
                                a.rr(w, &[opc], src, dst, false);
                            } else {
                                a.alu_ri(w, ext, dst, imm);
                            }
                        }
                        MUL => {
                            if x {
                                a.rr(w, &[0x0f, 0xaf], dst, src, false);
                            } else {
                                a.rr(w, &[0x69], dst, dst, false);
                                a.d32(imm);
                            }
                        }
                        MOV => {
                            if x {
                                match (w, i.off) {
                                    (true, 8) => a.rr(true, &[0x0f, 0xbe], dst, src, true),
                                    (true, 16) => a.rr(true, &[0x0f, 0xbf], dst, src, false),
                                    (true, 32) => a.rr(true, &[0x63], dst, src, false),
                                    (false, 8) => a.rr(false, &[0x0f, 0xbe], dst, src, true),
                                    (false, 16) => a.rr(false, &[0x0f, 0xbf], dst, src, false),
                                    _ => a.mov(w, dst, src),
                                }
                            } else if w {
                                a.mov_imm64(dst, imm as i64 as u64);
                            } else {
                                a.mov_imm64(dst, imm as u32 as u64);
                            }
                        }
                        NEG => a.rr(w, &[0xf7], 3, dst, false),
                        LSH | RSH | ARSH => {
                            let ext = match op {
                                LSH => 4,
                                RSH => 5,
                                _ => 7,
                            };
                            if x {
                                a.mov(false, RCX, src);
                                a.rr(w, &[0xd3], ext, dst, false);
                                if !w {
                                    a.mov(false, dst, dst);
                                }
                            } else {
                                let sh = (imm as u32 & if w { 63 } else { 31 }) as u8;
                                if sh != 0 {
                                    a.rr(w, &[0xc1], ext, dst, false);
                                    a.b(sh);
                                } else if !w {
                                    a.mov(false, dst, dst);
                                }
                            }
                        }
                        DIV | MOD => emit_divmod(&mut a, w, op == MOD, i.off == 1, dst, if x { Ok(src) } else { Err(imm) }),
                        _ => {
                            // END
                            let swap = class == ALU64 || x;
                            match (swap, imm) {
                                (false, 16) => a.rr(false, &[0x0f, 0xb7], dst, dst, false),
                                (false, 32) => a.mov(false, dst, dst),
                                (false, _) => {}
                                (true, 16) => {
                                    a.rex(false, 0, 0, dst, false);
                                    a.b(0x0f);
                                    a.b(0xc8 | (dst & 7));
                                    a.rr(false, &[0xc1], 5, dst, false);
                                    a.b(16);
                                }
                                (true, 32) => {
                                    a.rex(false, 0, 0, dst, false);
                                    a.b(0x0f);
                                    a.b(0xc8 | (dst & 7));
                                }
                                (true, _) => {
                                    a.rex(true, 0, 0, dst, false);
                                    a.b(0x0f);
                                    a.b(0xc8 | (dst & 7));
                                }
                            }
                        }
                    }
                }
                JMP | JMP32 => {
                    let op = code & 0xf0;
                    match op {
                        CALL => {
                            // bpf_map_lookup_elem on a map the code names: without the helper
                            // when the key is in the stack, else through it as any call.
                            let fast = if code == 0x85 && i.src() == 0 { lookup_target(prog, &leader, &second, pc) } else { None };
                            let done = a.label();
                            if let Some((map, how)) = fast {
                                let generic = a.label();
                                let ks = u64::from(map.def().key_size);
                                // The key's bytes must lie in the stack (r2 is rsi).
                                a.mov(true, RAX, RSI);
                                a.rm(true, &[0x2b], RAX, CTXR, o_stack, false);
                                a.alu_ri(true, 7, RAX, (STACK_TOTAL - ks + 1) as i32);
                                a.jcc(CC_AE, generic);
                                // The call's budget charge, as the trampoline makes it.
                                a.rm(true, &[0x83], 5, CTXR, o_left, false);
                                a.b(1);
                                let entry = a.label();
                                a.jcc(CC_B, entry);
                                cold.push(Cold::Budget { entry, pc });
                                match how {
                                    JitLookup::Array { base, max, stride } | JitLookup::PercpuArray { base, max, stride, .. } => {
                                        // mov eax, [rsi]: the index; r0 = 0 unless it is in range.
                                        a.rm(false, &[0x8b], RAX, RSI, 0, false);
                                        a.rr(false, &[0x31], RBX, RBX, false);
                                        a.alu_ri(false, 7, RAX, max as i32);
                                        a.jcc(CC_AE, done);
                                        if let JitLookup::PercpuArray { nr_cpus, .. } = how {
                                            a.ld(RCX, CTXR, o_cpu);
                                            a.alu_ri(true, 7, RCX, nr_cpus as i32);
                                            a.jcc(CC_AE, done);
                                            a.rr(true, &[0x69], RAX, RAX, false);
                                            a.d32(nr_cpus as i32);
                                            a.rr(true, &[0x01], RCX, RAX, false);
                                        }
                                        a.rr(true, &[0x69], RAX, RAX, false);
                                        a.d32(stride as i32);
                                        a.mov_imm64(RBX, base);
                                        a.rr(true, &[0x01], RAX, RBX, false);
                                    }
                                    JitLookup::Call => {
                                        for r in SAVED {
                                            a.push(r);
                                        }
                                        a.mov_imm64(RDI, Rc::as_ptr(map) as u64);
                                        a.mov(true, RDX, CTXR);
                                        a.call_abs(map_lookup as *const () as u64);
                                        for r in SAVED.iter().rev() {
                                            a.pop(*r);
                                        }
                                        a.mov(true, RBX, RAX);
                                    }
                                }
                                a.jmp(done);
                                a.bind(generic);
                            }
                            for (k, &r) in MAP[1..=5].iter().enumerate() {
                                a.st(CTXR, o_args + 8 * k as i32, r);
                            }
                            if code == 0x8d {
                                a.mov(true, RAX, dst);
                            }
                            for r in SAVED {
                                a.push(r);
                            }
                            a.mov(true, RDI, CTXR);
                            let kind = if code == 0x8d {
                                a.mov(true, RSI, RAX);
                                CALL_X | ((i.dst() as u64) << 8)
                            } else {
                                a.mov_imm64(RSI, imm as i64 as u64);
                                if i.src() == PSEUDO_KFUNC_CALL {
                                    CALL_KFUNC
                                } else {
                                    CALL_HELPER
                                }
                            };
                            a.mov_imm64(RDX, pc as u64);
                            a.mov_imm64(RCX, kind);
                            a.call_abs(call as *const () as u64);
                            for r in SAVED.iter().rev() {
                                a.pop(*r);
                            }
                            // cmp qword [r12+status], 0
                            a.rm(true, &[0x83], 7, CTXR, o_status, false);
                            a.b(0);
                            a.jcc(CC_NE, epi_save);
                            a.mov(true, RBX, RAX);
                            a.bind(done);
                        }
                        EXIT => {
                            a.mov(true, RAX, RBX);
                            a.jmp(epi_ret);
                        }
                        _ => {
                            let rel = if code == 0x06 { imm as i64 } else { off as i64 };
                            let t = (pc as i64 + 1 + rel) as usize;
                            let back = t <= pc;
                            let cc = match op {
                                JA => None,
                                JEQ => Some(CC_E),
                                JNE => Some(CC_NE),
                                JGT => Some(CC_A),
                                JGE => Some(CC_AE),
                                JLT => Some(CC_B),
                                JLE => Some(CC_BE),
                                JSGT => Some(CC_G),
                                JSGE => Some(CC_GE),
                                JSLT => Some(CC_L),
                                JSLE => Some(CC_LE),
                                _ => Some(CC_NE), // JSET
                            };
                            if let Some(cc) = cc {
                                let x = code & 0x08 != 0;
                                if op == JSET {
                                    if x {
                                        a.rr(w, &[0x85], src, dst, false);
                                    } else {
                                        a.rr(w, &[0xf7], 0, dst, false);
                                        a.d32(imm);
                                    }
                                } else if x {
                                    a.rr(w, &[0x39], src, dst, false);
                                } else {
                                    a.alu_ri(w, 7, dst, imm);
                                }
                                if back {
                                    let skip = a.label();
                                    a.jcc(cc ^ 1, skip);
                                    charge(&mut a, &mut cold, o_left, pc, t);
                                    a.jmp(pcl[t]);
                                    a.bind(skip);
                                } else {
                                    a.jcc(cc, pcl[t]);
                                }
                            } else {
                                if back {
                                    charge(&mut a, &mut cold, o_left, pc, t);
                                }
                                a.jmp(pcl[t]);
                            }
                        }
                    }
                }
                LD => {
                    let hi = insns[pc + 1].imm as u32 as u64;
                    a.mov_imm64(dst, (imm as u32 as u64) | (hi << 32));
                }
                LDX => {
                    let size = match code & 0x18 {
                        W => 4u64,
                        H => 2,
                        B => 1,
                        _ => 8,
                    };
                    let signed = code & 0xe0 == MEMSX;
                    let load = |a: &mut Asm, base: u8, disp: i32| match (size, signed) {
                        (1, false) => a.rm(false, &[0x0f, 0xb6], dst, base, disp, false),
                        (2, false) => a.rm(false, &[0x0f, 0xb7], dst, base, disp, false),
                        (4, false) => a.rm(false, &[0x8b], dst, base, disp, false),
                        (1, true) => a.rm(true, &[0x0f, 0xbe], dst, base, disp, false),
                        (2, true) => a.rm(true, &[0x0f, 0xbf], dst, base, disp, false),
                        (4, true) => a.rm(true, &[0x63], dst, base, disp, false),
                        _ => a.rm(true, &[0x8b], dst, base, disp, false),
                    };
                    if (i.src() == 10 && off >= -(STACK_TOTAL as i32) && off <= -(size as i32)) || fast {
                        load(&mut a, src, off);
                    } else {
                        let entry = a.label();
                        let done = a.label();
                        if code == 0x61 && (0..24).contains(&off) && off % 4 == 0 {
                            // Likely a context field: the shadow first. The common case, the
                            // base being the context's address itself, takes two compares.
                            let general = a.label();
                            a.rm(true, &[0x3b], src, CTXR, o_ctx_addr, false);
                            a.jcc(CC_NE, general);
                            a.rm(true, &[0x83], 7, CTXR, o_ctx_lim, false);
                            a.b(24);
                            a.jcc(CC_NE, general);
                            a.ld(dst, CTXR, o_shadow + 2 * off);
                            a.jmp(done);
                            a.bind(general);
                            let not_ctx = a.label();
                            a.rm(true, &[0x8d], RAX, src, off, false);
                            a.mov(true, RCX, RAX);
                            a.rm(true, &[0x2b], RCX, CTXR, o_ctx_addr, false);
                            a.rm(true, &[0x3b], RCX, CTXR, o_ctx_lim, false);
                            a.jcc(CC_AE, not_ctx);
                            a.b(0xf6);
                            a.b(0xc1);
                            a.b(3);
                            a.jcc(CC_NE, not_ctx);
                            shadow_load(&mut a, dst, o_shadow);
                            a.jmp(done);
                            a.bind(not_ctx);
                        }
                        let ok = emit_check(&mut a, RAX, src, off, size, o_stack, o_hot_lo, o_hot_r, entry);
                        load(&mut a, RAX, 0);
                        a.bind(done);
                        cold.push(Cold::Load { entry, ok, done, pc, size, signed, dst, ctx: code == 0x61 });
                    }
                }
                ST | STX => {
                    let size = match code & 0x18 {
                        W => 4u64,
                        H => 2,
                        B => 1,
                        _ => 8,
                    };
                    if code & 0xe0 == ATOMIC {
                        let entry = a.label();
                        let ok = emit_check(&mut a, RDX, dst, off, size, o_stack, o_hot_lo, o_hot_w, entry);
                        emit_atomic(&mut a, size == 8, imm, src);
                        cold.push(Cold::Atomic { entry, ok, pc, size, base: dst, off });
                    } else {
                        let val = if class == STX { Ok(src) } else { Err(imm) };
                        let store = |a: &mut Asm, base: u8, disp: i32| emit_store(a, size, val, base, disp);
                        if (i.dst() == 10 && off >= -(STACK_TOTAL as i32) && off <= -(size as i32)) || fast {
                            store(&mut a, dst, off);
                        } else {
                            let entry = a.label();
                            let done = a.label();
                            let ok = emit_check(&mut a, RAX, dst, off, size, o_stack, o_hot_lo, o_hot_w, entry);
                            store(&mut a, RAX, 0);
                            a.bind(done);
                            cold.push(Cold::Store { entry, ok, done, pc, size, val });
                        }
                    }
                }
                _ => return None,
            }
        }

        // Epilogues.
        a.bind(epi_save);
        for (k, &r) in MAP.iter().enumerate() {
            a.st(CTXR, o_regs + 8 * k as i32, r);
        }
        a.bind(epi_ret);
        a.alu_ri(true, 0, RSP, 8);
        for r in [R15, R14, R13, R12, RBP, RBX] {
            a.pop(r);
        }
        a.b(0xc3);

        for c in cold {
            match c {
                Cold::Load { entry, ok, done, pc, size, signed, dst, ctx } => {
                    a.bind(entry);
                    hot2(&mut a, RAX, size, false, ok);
                    if ctx {
                        // The context's converted fields: 4-byte aligned loads in the first 24 bytes.
                        let slow = a.label();
                        a.mov(true, RCX, RAX);
                        a.rm(true, &[0x2b], RCX, CTXR, o_ctx_addr, false);
                        a.rm(true, &[0x3b], RCX, CTXR, o_ctx_lim, false);
                        a.jcc(CC_AE, slow);
                        // test cl, 3
                        a.b(0xf6);
                        a.b(0xc1);
                        a.b(3);
                        a.jcc(CC_NE, slow);
                        shadow_load(&mut a, dst, o_shadow);
                        a.jmp(done);
                        a.bind(slow);
                    }
                    for r in SAVED {
                        a.push(r);
                    }
                    a.mov(true, RSI, RAX);
                    a.mov(true, RDI, CTXR);
                    a.mov_imm64(RDX, size | ((signed as u64) << 8) | ((pc as u64) << 16));
                    a.call_abs(slow_load as *const () as u64);
                    for r in SAVED.iter().rev() {
                        a.pop(*r);
                    }
                    a.rm(true, &[0x83], 7, CTXR, o_status, false);
                    a.b(0);
                    a.jcc(CC_NE, epi_save);
                    a.mov(true, dst, RAX);
                    a.jmp(done);
                }
                Cold::Store { entry, ok, done, pc, size, val } => {
                    a.bind(entry);
                    hot2(&mut a, RAX, size, true, ok);
                    for r in SAVED {
                        a.push(r);
                    }
                    match val {
                        Ok(r) => a.mov(true, RDX, r),
                        Err(imm) => a.mov_imm64(RDX, imm as i64 as u64),
                    }
                    a.mov(true, RSI, RAX);
                    a.mov(true, RDI, CTXR);
                    a.mov_imm64(RCX, size | ((pc as u64) << 16));
                    a.call_abs(slow_store as *const () as u64);
                    for r in SAVED.iter().rev() {
                        a.pop(*r);
                    }
                    a.rm(true, &[0x83], 7, CTXR, o_status, false);
                    a.b(0);
                    a.jcc(CC_NE, epi_save);
                    a.jmp(done);
                }
                Cold::Atomic { entry, ok, pc, size, base, off } => {
                    a.bind(entry);
                    hot2(&mut a, RDX, size, true, ok);
                    for r in SAVED {
                        a.push(r);
                    }
                    a.mov(true, RSI, RDX);
                    a.mov(true, RDI, CTXR);
                    a.mov_imm64(RDX, size | ((pc as u64) << 16));
                    a.call_abs(slow_atomic as *const () as u64);
                    for r in SAVED.iter().rev() {
                        a.pop(*r);
                    }
                    a.rm(true, &[0x83], 7, CTXR, o_status, false);
                    a.b(0);
                    a.jcc(CC_NE, epi_save);
                    a.rm(true, &[0x8d], RDX, base, off, false);
                    a.jmp(ok);
                }
                Cold::Budget { entry, pc } => {
                    a.bind(entry);
                    // mov qword [r12+fault_pc], pc; mov qword [r12+status], ST_BUDGET
                    a.rm(true, &[0xc7], 0, CTXR, o_fault_pc, false);
                    a.d32(pc as i32);
                    a.rm(true, &[0xc7], 0, CTXR, o_status, false);
                    a.d32(ST_BUDGET as i32);
                    a.jmp(epi_save);
                }
            }
        }
        let code = a.finish()?;
        JitCode::new(&code, block_lens)
    }

    /// One base register's packet accesses in a block, checked together at the block's start.
    struct Group {
        reg: u8,
        /// The span [reg + lo, reg + end) covering every access in the group.
        lo: i32,
        end: i32,
        store: bool,
    }

    /// What the body loop emits, in order.
    enum Step {
        /// One instruction: bind its label, count its block, access memory without a check.
        Insn {
            pc: usize,
            bind: bool,
            count: bool,
            fast: bool,
        },
        /// The block's group checks; any failing one jumps to `slow`.
        Guard {
            groups: Vec<Group>,
            slow: Label,
        },
        /// A block's label and counter, before its group checks.
        Head(usize),
        /// A block's counter alone (a later block of a trace's checked-together copy).
        Count(usize),
        Bind(Label),
        Jmp(usize),
    }

    /// Lays the body out. After a register-register bounds test, the blocks that follow it in a
    /// straight line (the fall-through of conditional jumps and forward `ja`s, up to six blocks,
    /// to the first call, exit or backward jump) form a trace. The loads and stores in the trace
    /// whose base register is, at that point, a register's value at the trace's start plus a
    /// constant (tracked through 64-bit `mov` and `add`/`sub` of a constant; any other write, a
    /// call or an atomic forgets it) are grouped by that starting register; a register with two or
    /// more of them gets a group check at the trace's start, which asks at run time whether the
    /// whole span they cover lies in the hot region (the packet), readable or (when one of them is
    /// a store) writable. When every check passes, a copy of the trace runs in which those
    /// accesses use their register and offset directly (the same address: start value plus the
    /// tracked constant plus the offset, inside the checked span); when one fails, the ordinary
    /// code with every check runs from the trace's first block. Regions change only in helper
    /// calls, which end a trace, so what the checks saw holds for the whole trace. The bounds test
    /// only decides where checks are worth emitting; nothing rests on what the program compared.
    fn plan(insns: &[Insn], leader: &[bool], a: &mut Asm) -> Vec<Step> {
        const MAX_BLOCKS: usize = 6;
        const MAX_DELTA: i64 = 1 << 20;
        let n = insns.len();
        let width = |q: usize| if insns[q].code == 0x18 { 2 } else { 1 };
        let block_end = |pc: usize| {
            let mut e = pc + width(pc);
            while e < n && !leader[e] {
                e += width(e);
            }
            e
        };
        // The last instruction of the block [pc, e).
        let last = |pc: usize, e: usize| {
            let mut q = pc;
            while q + width(q) < e {
                q += width(q);
            }
            q
        };
        let mut steps = Vec::with_capacity(n + 16);
        let mut pc = 0;
        while pc < n {
            let e0 = block_end(pc);
            let bounds_test = pc > 0 && {
                let t = insns[pc - 1];
                let op = t.code & 0xf0;
                (t.class() == JMP || t.class() == JMP32) && t.code & 0x08 != 0 && matches!(op, JGT | JGE | JLT | JLE)
            };
            // The trace: blocks (start, end, whether its closing `ja` is followed).
            let mut trace: Vec<(usize, usize, bool)> = Vec::new();
            if bounds_test {
                let (mut s, mut e) = (pc, e0);
                loop {
                    let l = last(s, e);
                    let t = insns[l];
                    let class = t.class();
                    let op = t.code & 0xf0;
                    let jumps = class == JMP || class == JMP32;
                    let next = if !jumps {
                        Some((e, false))
                    } else if t.code == JMP | JA {
                        let target = l as i64 + 1 + t.off as i64;
                        if target > l as i64 {
                            Some((target as usize, true))
                        } else {
                            None
                        }
                    } else if op == CALL || op == EXIT || t.code == JMP32 | JA {
                        None
                    } else {
                        // A conditional jump: the trace follows its fall-through (a forward
                        // taken branch leaves it; a backward one ends it).
                        let target = l as i64 + 1 + t.off as i64;
                        if target > l as i64 {
                            Some((e, false))
                        } else {
                            None
                        }
                    };
                    match next {
                        Some((ns, via_ja)) if ns < n && trace.len() + 1 < MAX_BLOCKS => {
                            trace.push((s, e, via_ja));
                            s = ns;
                            e = block_end(ns);
                        }
                        _ => {
                            trace.push((s, e, false));
                            break;
                        }
                    }
                }
            }
            // Scan the trace: each register's (starting register, constant) while known.
            let mut rel: [Option<(u8, i64)>; 11] = std::array::from_fn(|r| if r < 10 { Some((r as u8, 0)) } else { None });
            let mut span: [Option<(i64, i64, bool, u32)>; 10] = [None; 10];
            let mut ctxlike = [false; 10];
            let mut accesses: Vec<(usize, u8)> = Vec::new();
            'scan: for &(s, e, _) in &trace {
                let mut q = s;
                while q < e {
                    let i = insns[q];
                    let class = i.class();
                    let size = match i.code & 0x18 {
                        W => 4i64,
                        H => 2,
                        B => 1,
                        _ => 8,
                    };
                    let mut access = |reg: u8, store: bool| {
                        if let Some((b, d)) = rel[reg as usize] {
                            let (lo, hi) = (d + i.off as i64, d + i.off as i64 + size);
                            let b = b as usize;
                            span[b] = Some(match span[b] {
                                None => (lo, hi, store, 1),
                                Some((l, h, st, c)) => (l.min(lo), h.max(hi), st || store, c + 1),
                            });
                            accesses.push((q, b as u8));
                            if !store && i.code == 0x61 && (0..24).contains(&lo) && lo % 4 == 0 {
                                // Likely a context field: leave this register to the usual path.
                                ctxlike[b] = true;
                            }
                        }
                    };
                    match class {
                        LDX => {
                            if i.code & 0xe0 == MEM || i.code & 0xe0 == MEMSX {
                                access(i.src(), false);
                            }
                            rel[i.dst() as usize] = None;
                        }
                        ST | STX => {
                            if i.code & 0xe0 == MEM {
                                access(i.dst(), true);
                            } else {
                                // Atomics (and anything else): nothing after this is grouped.
                                break 'scan;
                            }
                        }
                        ALU64 if i.code == ALU64 | MOV | X && i.off == 0 => rel[i.dst() as usize] = rel[i.src() as usize],
                        ALU64 if i.code == ALU64 | ADD | K || i.code == ALU64 | SUB | K => {
                            let k = if i.code & 0xf0 == ADD { i.imm as i64 } else { -(i.imm as i64) };
                            let d = i.dst() as usize;
                            rel[d] = rel[d].and_then(|(b, x)| Some((b, x + k)).filter(|(_, y)| y.abs() <= MAX_DELTA));
                        }
                        ALU | ALU64 | LD => rel[i.dst() as usize] = None,
                        _ => {
                            if i.code & 0xf0 == CALL {
                                break 'scan;
                            }
                        }
                    }
                    q += width(q);
                }
            }
            let mut groups = Vec::new();
            let mut grouped = [false; 10];
            for r in 0..10 {
                if let Some((lo, end, store, count)) = span[r] {
                    if count >= 2 && !ctxlike[r] {
                        grouped[r] = true;
                        groups.push(Group { reg: r as u8, lo: lo as i32, end: end as i32, store });
                    }
                }
            }
            let plain = |steps: &mut Vec<Step>, bind: bool, count: bool| {
                let mut q = pc;
                while q < e0 {
                    steps.push(Step::Insn { pc: q, bind, count: count && q == pc, fast: false });
                    q += width(q);
                }
            };
            if groups.is_empty() {
                plain(&mut steps, true, true);
            } else {
                let fast: Vec<usize> = accesses.iter().filter(|(_, r)| grouped[*r as usize]).map(|(q, _)| *q).collect();
                let slow = a.label();
                // The first block's label and counter, the checks, the trace's copy, then the
                // first block's ordinary code (falling through to the next block's).
                steps.push(Step::Head(pc));
                steps.push(Step::Guard { groups, slow });
                for (k, &(s, e, via_ja)) in trace.iter().enumerate() {
                    if k > 0 {
                        steps.push(Step::Count(s));
                    }
                    let l = last(s, e);
                    let mut q = s;
                    while q < e {
                        if !(via_ja && q == l) {
                            steps.push(Step::Insn { pc: q, bind: false, count: false, fast: fast.contains(&q) });
                        }
                        q += width(q);
                    }
                }
                let &(_, e_last, _) = trace.last().expect("a trace has a block");
                if e_last < n {
                    steps.push(Step::Jmp(e_last));
                }
                steps.push(Step::Bind(slow));
                plain(&mut steps, false, false);
            }
            pc = e0;
        }
        steps
    }

    /// mov dst, [r12 + rcx*2 + shadow]: the context field at offset rcx.
    fn shadow_load(a: &mut Asm, dst: u8, o_shadow: i32) {
        a.rex(true, dst, RCX, CTXR, false);
        a.b(0x8b);
        a.b(0x80 | ((dst & 7) << 3) | 4);
        a.b((1 << 6) | ((RCX & 7) << 3) | (CTXR & 7));
        a.d32(o_shadow);
    }

    /// Charges a backward jump from `pc` to `t` against the budget; faults E2BIG when it is spent.
    fn charge(a: &mut Asm, cold: &mut Vec<Cold>, o_left: i32, pc: usize, t: usize) {
        let span = (pc - t + 1) as i32;
        // sub qword [r12+left], span
        a.rm(true, &[0x81], 5, CTXR, o_left, false);
        a.d32(span);
        let entry = a.label();
        a.jcc(CC_B, entry);
        cold.push(Cold::Budget { entry, pc });
    }

    /// addr = base + off into `ar` (rax or rdx); falls through when [addr, addr + size) is in the
    /// stack or under the given limits of the hot region, else jumps to `slow` (rcx clobbered).
    #[allow(clippy::too_many_arguments)]
    fn emit_check(a: &mut Asm, ar: u8, base: u8, off: i32, size: u64, o_stack: i32, o_hot_lo: i32, o_lims: i32, slow: Label) -> Label {
        let ok = a.label();
        a.rm(true, &[0x8d], ar, base, off, false); // lea ar, [base+off]
                                                   // The first hot region (the packet) first: the stack is mostly reached through r10, which
                                                   // needs no check.
        a.mov(true, RCX, ar);
        a.rm(true, &[0x2b], RCX, CTXR, o_hot_lo, false);
        a.rm(true, &[0x3b], RCX, CTXR, o_lims + 8 * size_class(size) as i32, false);
        a.jcc(CC_B, ok);
        a.mov(true, RCX, ar);
        a.rm(true, &[0x2b], RCX, CTXR, o_stack, false); // sub rcx, [stack_lo]
        a.alu_ri(true, 7, RCX, (STACK_TOTAL - size + 1) as i32);
        a.jcc(CC_AE, slow);
        a.bind(ok);
        ok
    }

    fn emit_store(a: &mut Asm, size: u64, val: Result<u8, i32>, base: u8, disp: i32) {
        match val {
            Ok(r) => match size {
                1 => a.rm(false, &[0x88], r, base, disp, true),
                2 => {
                    a.b(0x66);
                    a.rm(false, &[0x89], r, base, disp, false)
                }
                4 => a.rm(false, &[0x89], r, base, disp, false),
                _ => a.rm(true, &[0x89], r, base, disp, false),
            },
            Err(imm) => match size {
                1 => {
                    a.rm(false, &[0xc6], 0, base, disp, false);
                    a.b(imm as u8);
                }
                2 => {
                    a.b(0x66);
                    a.rm(false, &[0xc7], 0, base, disp, false);
                    a.c.extend_from_slice(&(imm as u16).to_le_bytes());
                }
                4 => {
                    a.rm(false, &[0xc7], 0, base, disp, false);
                    a.d32(imm);
                }
                _ => {
                    a.rm(true, &[0xc7], 0, base, disp, false);
                    a.d32(imm);
                }
            },
        }
    }

    /// The read-modify-write at [rdx] (checked); rax and rcx are scratch.
    fn emit_atomic(a: &mut Asm, w: bool, op: i32, src: u8) {
        let lock = |a: &mut Asm| a.b(0xf0);
        match op {
            ATOMIC_XCHG => {
                // xchg [rdx], src (locked by definition); a 32-bit xchg zero-extends src.
                a.rm(w, &[0x87], src, RDX, 0, false);
            }
            ATOMIC_CMPXCHG => {
                a.mov(w, RAX, RBX);
                lock(a);
                a.rm(w, &[0x0f, 0xb1], src, RDX, 0, false);
                a.mov(w, RBX, RAX);
            }
            _ => {
                let fetch = op & ATOMIC_FETCH != 0;
                let base = op & !ATOMIC_FETCH;
                if !fetch {
                    let opc = match base {
                        0x00 => 0x01,
                        0x40 => 0x09,
                        0x50 => 0x21,
                        _ => 0x31,
                    };
                    lock(a);
                    a.rm(w, &[opc], src, RDX, 0, false);
                } else if base == 0x00 {
                    // lock xadd [rdx], src: src gets the old value.
                    lock(a);
                    a.rm(w, &[0x0f, 0xc1], src, RDX, 0, false);
                    if !w {
                        a.mov(false, src, src);
                    }
                } else {
                    // A compare-exchange loop: rax = old, rcx = old op src.
                    let again = a.label();
                    a.bind(again);
                    a.rm(w, &[0x8b], RAX, RDX, 0, false);
                    a.mov(w, RCX, RAX);
                    let opc = match base {
                        0x40 => 0x09,
                        0x50 => 0x21,
                        _ => 0x31,
                    };
                    a.rr(w, &[opc], src, RCX, false);
                    lock(a);
                    a.rm(w, &[0x0f, 0xb1], RCX, RDX, 0, false);
                    a.jcc(CC_NE, again);
                    a.mov(w, src, RAX);
                }
            }
        }
    }

    /// Division and modulo with the interpreter's rules: x / 0 = 0, x % 0 = x, signed forms when
    /// `signed` (off = 1), where INT_MIN / -1 wraps and INT_MIN % -1 = 0.
    fn emit_divmod(a: &mut Asm, w: bool, is_mod: bool, signed: bool, dst: u8, by: Result<u8, i32>) {
        let zero_result = |a: &mut Asm| {
            if is_mod {
                if !w {
                    a.mov(false, dst, dst);
                }
            } else {
                a.rr(false, &[0x31], dst, dst, false);
            }
        };
        let divisor = match by {
            Err(imm) => {
                let v = if w { imm as i64 as u64 } else { imm as u32 as u64 };
                if v == 0 {
                    zero_result(a);
                    return;
                }
                if signed && imm == -1 {
                    if is_mod {
                        a.rr(false, &[0x31], dst, dst, false);
                    } else {
                        a.rr(w, &[0xf7], 3, dst, false);
                    }
                    return;
                }
                a.mov_imm64(RCX, v);
                RCX
            }
            Ok(r) => r,
        };
        let done = a.label();
        let special = a.label();
        if by.is_ok() {
            let nonzero = a.label();
            a.rr(w, &[0x85], divisor, divisor, false);
            a.jcc(CC_NE, nonzero);
            zero_result(a);
            a.jmp(done);
            a.bind(nonzero);
            if signed {
                a.alu_ri(w, 7, divisor, -1);
                a.jcc(CC_E, special);
            }
        }
        a.mov(true, RAX, dst);
        if signed {
            a.rex(w, 0, 0, 0, false);
            a.b(0x99); // cqo / cdq
            a.rr(w, &[0xf7], 7, divisor, false);
        } else {
            a.rr(false, &[0x31], RDX, RDX, false);
            a.rr(w, &[0xf7], 6, divisor, false);
        }
        a.mov(w, dst, if is_mod { RDX } else { RAX });
        a.jmp(done);
        a.bind(special);
        if signed && by.is_ok() {
            if is_mod {
                a.rr(false, &[0x31], dst, dst, false);
            } else {
                a.rr(w, &[0xf7], 3, dst, false);
            }
            a.jmp(done);
        }
        a.bind(done);
    }
}
