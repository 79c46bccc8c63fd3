//! Running compiled code: the state it works on, its executable memory, the driver that runs a
//! program and what it tail-calls, and the trampolines the code calls back into Rust through.

use std::rc::Rc;

use super::super::isa::{sem, Size};
use super::super::machine::{Callable, Machine, Prog, Trap};
use super::super::maps::Map;
use super::super::memory::{Region, RegionKind};

use crate::errno::{Errno, XdpError};

// Run status, as the code leaves it in JitCtx::status.
const ST_OK: u64 = 0;
const ST_FAULT: u64 = 1;
pub(super) const ST_BUDGET: u64 = 2;
const ST_EXIT: u64 = 3;
const ST_TAIL: u64 = 4;

/// What the code reads and writes besides its registers; r12 points at it. Kept with the program's
/// code between runs; what it copied from a machine is keyed by the regions' generation (which no
/// two Memory states share), so a run on another machine than the last one re-reads it.
#[repr(C)]
pub struct JitCtx {
    pub(super) machine: *mut (),
    pub(super) stack_lo: u64,
    /// Regions checked inline: [0] the packet (or the first Mem region), checked in the hot
    /// path; [1] the last region a slow lookup found, checked before calling one.
    pub(super) hot: [Hot; 2],
    pub(super) ctx_addr: u64,
    /// 24 while the shadow holds the context's converted fields, else 0.
    pub(super) ctx_lim: u64,
    pub(super) left: u64,
    pub(super) shadow: [u64; 6],
    pub(super) regs: [u64; 11],
    pub(super) args: [u64; 5],
    pub(super) status: u64,
    pub(super) fault_pc: u64,
    pub(super) ret: u64,
    pub(super) counts_ptr: *mut u64,
    /// The machine's CPU, for inlined per-CPU lookups.
    pub(super) cpu: u64,
    /// What sync_machine last read: (regions' generation, stack, ctx, has a host).
    pub(super) synced: (u64, u64, u64, bool),
    pub(super) err: Option<XdpError>,
    pub(super) counts: Vec<u64>,
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
                RegionKind::Ctx if r.start == m.ctx && r.len as usize >= crate::xdp::XDP_MD_SIZE => ctx_ok = true,
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
pub(super) struct Hot {
    pub(super) lo: u64,
    pub(super) r: [u64; 4],
    pub(super) w: [u64; 4],
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
    pub(super) fn new(code: &[u8], block_lens: Vec<u64>) -> Option<JitCode> {
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

impl JitCtx {
    /// Frame 1's registers for a run: r1..r5 the arguments, r10 its frame pointer, the rest 0.
    #[inline(always)]
    fn enter(&mut self, m: &Machine<'_>, args: &[u64; 5]) {
        // One 8-byte access per register: wider copies across the caller's 8-byte stores would
        // miss store-to-load forwarding (see Machine::exec).
        self.regs[0] = 0;
        for (k, a) in args.iter().enumerate() {
            // SAFETY: a read of a live, aligned u64.
            self.regs[k + 1] = unsafe { std::ptr::read_volatile(a) };
        }
        for r in &mut self.regs[6..10] {
            *r = 0;
        }
        self.regs[10] = m.frame_pointer(1);
    }
}

/// The program's run state, taken for a run (see [`super::JitSlot`]).
#[inline(always)]
fn scratch(prog: &Prog) -> Box<JitCtx> {
    prog.jit.scratch.take().unwrap_or_else(|| Box::new(JitCtx::new()))
}

/// Ends a run: the state goes back to the program's code, the machine to no frame and the
/// program it started with, and the outcome becomes the run's result.
#[inline(always)]
fn finish(m: &mut Machine<'_>, prog: Rc<Prog>, mut st: Box<JitCtx>, r: Result<u64, ()>) -> Result<u64, XdpError> {
    let err = if r.is_err() { st.err.take() } else { None };
    st.machine = std::ptr::null_mut();
    prog.jit.scratch.set(Some(st));
    m.depth = 0;
    m.prog = prog;
    match r {
        Ok(v) => Ok(v),
        Err(()) => Err(err.unwrap_or_else(|| XdpError::run(Errno::EFAULT, "fault"))),
    }
}

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
    let mut st = scratch(&prog);
    st.enter(m, &args);
    // The outcome comes back in registers (a Result with a XdpError in it is returned through
    // memory, and copying it cost a store-forwarding stall per run); an error waits in st.err.
    let r = run_regs(m, &mut st, &prog);
    finish(m, prog, st, r)
}

pub fn run_repeat(m: &mut Machine<'_>, args: [u64; 5], repeat: u32, budget: u64, refreshed: &mut Option<u64>) -> Result<u64, XdpError> {
    if m.depth != 0 {
        return Err(XdpError::run(
            Errno::EBUSY,
            format!("run() inside a run ({} frames in use): a helper calls back with call()", m.depth),
        ));
    }
    let prog = m.prog.clone();
    let mut st = scratch(&prog);
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
        st.enter(m, &args);
        r = run_regs(m, &mut st, &prog);
        // A tail call left m.prog at the program it called.
        if !Rc::ptr_eq(&m.prog, &prog) {
            m.prog = prog.clone();
        }
        if r.is_err() {
            break;
        }
    }
    finish(m, prog, st, r)
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

/// A load the inline checks did not place. `info`: size in bits 0..8, sign-extending in bit 8,
/// pc from bit 16.
pub(super) unsafe extern "C" fn slow_load(c: *mut JitCtx, addr: u64, info: u64) -> u64 {
    let c = &mut *c;
    let m = machine(c);
    let size = info & 0xff;
    match m.load_slow(addr, size) {
        Ok(v) => {
            c.set_hot(1, m.mem.last_found());
            let size = match size {
                1 => Size::B,
                2 => Size::H,
                4 => Size::W,
                _ => Size::DW,
            };
            sem::extend(size, info & 0x100 != 0, v)
        }
        Err(e) => {
            c.fault(info >> 16, e);
            0
        }
    }
}

pub(super) unsafe extern "C" fn slow_store(c: *mut JitCtx, addr: u64, v: u64, info: u64) {
    let c = &mut *c;
    let m = machine(c);
    match m.store_slow(addr, info & 0xff, v) {
        Ok(()) => c.set_hot(1, m.mem.last_found()),
        Err(e) => c.fault(info >> 16, e),
    }
}

/// The address check of an atomic the inline checks did not place; the code does the rest.
pub(super) unsafe extern "C" fn slow_atomic(c: *mut JitCtx, addr: u64, info: u64) {
    let c = &mut *c;
    let m = machine(c);
    if let Err(e) = m.writable(addr, info & 0xff) {
        c.fault(info >> 16, e);
    }
}

pub(super) const CALL_HELPER: u64 = 0;
pub(super) const CALL_KFUNC: u64 = 1;
pub(super) const CALL_X: u64 = 2;

/// A helper, kfunc or callx. `what`: the helper id, kfunc index or callx register value;
/// `kind`: CALL_* in the low byte, callx's register from bit 8.
pub(super) unsafe extern "C" fn call(c: *mut JitCtx, what: u64, pc: u64, kind: u64) -> u64 {
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
        Some(Callable::Unemulated(name)) => {
            c.fault(pc, XdpError::run(Errno::EOPNOTSUPP, format!("call to {name}, which uxdp does not emulate")));
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
        // Compiled programs have no subprograms: a throw leaves the program as its exit would.
        Err(Trap::Exit(v) | Trap::Throw(v)) => {
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
pub(super) unsafe extern "C" fn map_lookup(map: *const Map, key: *const u8, c: *const JitCtx) -> u64 {
    let map = &*map;
    let key = std::slice::from_raw_parts(key, map.def().key_size as usize);
    map.lookup(key, (*c).cpu as u32).unwrap_or(0)
}
