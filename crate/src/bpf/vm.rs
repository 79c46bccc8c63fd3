//! The interpreter: the whole ISA (RFC 9669, v1 to v4) with the kernel's semantics.
//!
//! Registers live in a local array, instructions come from a local clone of the program, and the
//! stack (the common case for memory) is range-checked inline before any region lookup. Every
//! other address goes through [`super::memory::Memory::check`], so no instruction stream, validated
//! or not, can touch memory the run was not given. [`super::validate`] is about matching the
//! kernel, not about safety: what it would refuse either runs with some meaning or faults here.

use std::rc::Rc;

use super::insn::*;
use super::isa::{decode, flat_kinds, sem, AluOp, AtomicOp, ByteOrder, Callee, Cond, Flat, Kind, LegacyMode, Op, Operand, Size, Width};
use super::machine::{Callable, Machine, Prog, Trap};
use super::memory::RegionKind;
use crate::errno::{Errno, XdpError};

/// What a bpf-to-bpf call saves: where to return, the caller's r6..r10 and its may_goto count.
#[derive(Clone, Copy, Default)]
struct Frame {
    ret: usize,
    saved: [u64; 5],
    may_goto_left: u64,
}

impl Machine<'_> {
    /// Runs `self.prog` from its first instruction as frame 1 with r1..r5 = `args`, until its
    /// `exit`; returns r0. The tail-call count starts again from zero, as it does per invocation in
    /// the kernel, and the machine's program and depth are what they were before, whatever the run
    /// did.
    ///
    /// From inside a run (a helper) it refuses with EBUSY: frame 1's stack is in use; a helper
    /// calls back into the program with [`Machine::call`].
    pub fn run(&mut self, args: [u64; 5]) -> Result<u64, XdpError> {
        if self.depth != 0 {
            return Err(XdpError::run(
                Errno::EBUSY,
                format!("run() inside a run ({} frames in use): a helper calls back with call()", self.depth),
            ));
        }
        self.tail_calls = 0;
        self.enter(0, args)
    }

    /// Runs the function at `pc` of `self.prog` as a new frame on top of the frames in use, for a
    /// helper that calls back into the program (bpf_loop, bpf_for_each_map_elem): it may be called
    /// from inside a helper the interpreter is running. A helper's `Trap::Exit` inside it ends only
    /// this call, with that value.
    pub fn call(&mut self, pc: usize, args: [u64; 5]) -> Result<u64, XdpError> {
        self.enter(pc, args)
    }

    fn enter(&mut self, pc: usize, args: [u64; 5]) -> Result<u64, XdpError> {
        let depth = self.depth;
        let prog = self.prog.clone();
        let r = self.exec(pc, args);
        self.depth = depth;
        self.prog = prog;
        r
    }

    fn exec(&mut self, entry: usize, args: [u64; 5]) -> Result<u64, XdpError> {
        if self.depth >= self.frame_limit() {
            return Err(too_deep(self.depth + 1, self.frame_limit()));
        }
        self.depth += 1;
        let mut reg = [0u64; 16];
        // One 8-byte read per argument: callers build `args` with stores of their own widths, and a
        // wider (vector) read across two of them cannot be forwarded from the store buffer, which
        // stalled every run by ~15 cycles per read.
        for (r, a) in reg[1..6].iter_mut().zip(&args) {
            // SAFETY: a read of a live, aligned u64.
            *r = unsafe { std::ptr::read_volatile(a) };
        }
        reg[10] = self.frame_pointer_at(self.depth);
        self.exec_regs(entry, reg)
    }

    /// Runs `self.prog` from `entry` in the frame already counted in `depth`, with the registers
    /// as given (the JIT continues here after a tail call into a program it did not compile).
    pub(crate) fn exec_regs(&mut self, entry: usize, mut reg: [u64; 16]) -> Result<u64, XdpError> {
        // Written by a call before the exit that reads it: no need to clear 384 bytes per run.
        let mut frames = [std::mem::MaybeUninit::<Frame>::uninit(); MAX_CALL_FRAMES];
        // Frames past the array's, which only tail calls from subprograms reach.
        let mut deep_frames: Vec<Frame> = Vec::new();
        let mut nframes = 0usize;
        // Programs to go back to when a frame that tail-called returns: (frame count at the tail
        // call, the caller's program). Empty unless a subprogram tail-calls.
        let mut resume: Vec<(usize, Rc<Prog>)> = Vec::new();

        let mut prog = self.prog.clone();
        let mut pc = entry;
        let mut cur = usize::MAX;
        let mut left = self.budget;
        // may_goto's hidden counter: BPF_MAX_LOOPS times it falls through, then it jumps. The
        // kernel keeps one in each function's frame, set as the function is entered, so a call
        // starts a count of its own and the caller's resumes after it.
        let mut may_goto_left = super::helpers::BPF_MAX_LOOPS;
        let mut stack_lo = self.stack.as_ptr() as u64;

        macro_rules! sync {
            () => {{
                self.executed += self.budget.wrapping_sub(left);
                self.budget = left;
            }};
        }

        loop {
            let insns: &[Insn] = &prog.insns;
            let flat: &[Flat] = prog.flat();
            let (next_prog, next_pc): (Rc<Prog>, usize) = loop {
                // The straight-line instructions run in `fast`, which stops before anything else
                // (and before faults, the budget's end or a fetch outside the program), so that the
                // instruction it stopped at runs below exactly as it would without it.
                let mut st = Fast { pc, cur, left };
                let exited = fast(&mut reg, flat, &mut st, stack_lo, Hot::of(self.mem.last_found()), nframes == 0);
                (pc, cur, left) = (st.pc, st.cur, st.left);
                if exited {
                    sync!();
                    return Ok(reg[0]);
                }

                let Some(&insn) = insns.get(pc) else {
                    sync!();
                    return Err(out_of_range(insns, cur, pc));
                };
                cur = pc;
                pc += 1;

                macro_rules! fault {
                    ($e:expr) => {{
                        sync!();
                        return Err(($e).at(cur, insn));
                    }};
                }
                macro_rules! tri {
                    ($e:expr) => {
                        match $e {
                            Ok(v) => v,
                            Err(e) => fault!(e),
                        }
                    };
                }

                if left == 0 {
                    fault!(XdpError::run(Errno::E2BIG, "instruction limit reached"));
                }
                left -= 1;

                // Rebuilt from the pre-decoded slot where it says enough; decoded otherwise.
                let op = flat[cur].op().unwrap_or_else(|| decode(insns, cur));
                let operand = |reg: &[u64; 16], o: Operand| match o {
                    Operand::Imm(imm) => imm as i64 as u64,
                    Operand::Reg(r) => reg[usize::from(r)],
                };
                macro_rules! load {
                    ($size:expr, $src:expr, $off:expr) => {{
                        let addr = reg[usize::from($src)].wrapping_add($off as i64 as u64);
                        tri!(self.load_sized(stack_lo, addr, $size))
                    }};
                }
                // A helper, kfunc or callx: r1..r5 in, r0 out, or the run ends or moves on.
                macro_rules! invoke {
                    ($callable:expr, $missing:expr) => {{
                        let args = [reg[1], reg[2], reg[3], reg[4], reg[5]];
                        let res = match $callable {
                            Some(Callable::Native(f)) => {
                                sync!();
                                f(self, &args)
                            }
                            Some(Callable::User(f)) => {
                                sync!();
                                f(self, &args)
                            }
                            Some(Callable::Missing(name)) => {
                                fault!(XdpError::run(Errno::EINVAL, format!("call to kfunc {name}, which the kernel does not have")))
                            }
                            Some(Callable::Unemulated(name)) => {
                                fault!(XdpError::run(Errno::EOPNOTSUPP, format!("call to {name}, which uxdp does not emulate")))
                            }
                            None => fault!(XdpError::run(Errno::EINVAL, $missing)),
                        };
                        // Callbacks the helper ran drew from the same budget, and nothing stops a
                        // helper from giving the machine another stack buffer.
                        left = self.budget;
                        stack_lo = self.stack.as_ptr() as u64;
                        match res {
                            Ok(v) => reg[0] = v,
                            Err(Trap::Exit(v)) => return Ok(v),
                            Err(Trap::Throw(v)) => {
                                // Unwind to the running program's entry: the run's, or, for a
                                // program tail-called from a subprogram, the frame it replaced.
                                let base = resume.last().map_or(0, |r| r.0);
                                self.depth = self.depth.saturating_sub(nframes - base);
                                nframes = base;
                                // Its exception callback runs there, with the cookie, and its
                                // exit is the program's.
                                if let Some(cb) = prog.exception_cb {
                                    reg[1] = v;
                                    reg[10] = self.frame_pointer(self.depth);
                                    pc = cb;
                                    continue;
                                }
                                // The default one returns the cookie: from the run, or to the
                                // caller of the frame the tail-called program replaced.
                                if base == 0 {
                                    return Ok(v);
                                }
                                nframes = base - 1;
                                // SAFETY: frames[0..base] were written by the calls that counted them.
                                let f = unsafe { frames[nframes].assume_init() };
                                reg[0] = v;
                                reg[6..11].copy_from_slice(&f.saved);
                                self.depth = self.depth.saturating_sub(1);
                                let (_, p) = resume.pop().expect("a resume point");
                                self.prog = p.clone();
                                break (p, f.ret);
                            }
                            Err(Trap::Fault(e)) => return Err(e.at(cur, insn)),
                            Err(Trap::TailCall(p)) => {
                                if nframes > 0 && resume.last().map(|r| r.0) != Some(nframes) {
                                    resume.push((nframes, prog.clone()));
                                }
                                self.prog = p.clone();
                                // The program tail-called sets its own count as it starts.
                                may_goto_left = super::helpers::BPF_MAX_LOOPS;
                                break (p, 0);
                            }
                        }
                    }};
                }

                match op {
                    Op::Alu { op, w, dst, src } => {
                        let d = usize::from(dst);
                        reg[d] = sem::alu(op, w, reg[d], operand(&reg, src));
                    }
                    Op::End { order, bits, dst } => {
                        let d = usize::from(dst);
                        reg[d] = match sem::end(order, bits, reg[d]) {
                            Some(v) => v,
                            None => fault!(bad_end(bits)),
                        }
                    }
                    Op::Jump { cond, w, dst, src, off } => {
                        if sem::cond(cond, w, reg[usize::from(dst)], operand(&reg, src)) {
                            pc = pc.wrapping_add(off as isize as usize);
                        }
                    }
                    Op::Ja { off, .. } => pc = pc.wrapping_add(off as isize as usize),
                    Op::MayGoto { off } => {
                        if may_goto_left == 0 {
                            pc = pc.wrapping_add(off as isize as usize);
                        } else {
                            may_goto_left -= 1;
                        }
                    }
                    Op::Load { size, sx, dst, src, off } => reg[usize::from(dst)] = sem::extend(size, sx, load!(size, src, off)),
                    Op::Store { size, dst, off, val } => {
                        let addr = reg[usize::from(dst)].wrapping_add(off as i64 as u64);
                        let v = operand(&reg, val);
                        tri!(self.store_sized(stack_lo, addr, size, v))
                    }
                    Op::Atomic { size: size @ (Size::W | Size::DW), op, dst, src, off } => {
                        let addr = reg[usize::from(dst)].wrapping_add(off as i64 as u64);
                        let old = tri!(self.atomic(stack_lo, addr, size == Size::DW, op, insn.imm, reg[usize::from(src)], reg[0]));
                        if let Some(r) = op.writes(src) {
                            reg[usize::from(r)] = old;
                        }
                    }
                    Op::Lddw { dst, imm, .. } => {
                        reg[usize::from(dst)] = imm;
                        pc += 1;
                    }
                    Op::TruncatedLddw { .. } => {
                        fault!(XdpError::run(Errno::EINVAL, "invalid bpf_ld_imm64 insn: the program ends after its first half"))
                    }
                    Op::Call(Callee::Helper(id)) => {
                        let callable = usize::try_from(id).ok().and_then(|i| prog.helpers.get(i)).and_then(Option::as_ref);
                        invoke!(callable, format!("invalid func unknown#{id}"))
                    }
                    Op::Call(Callee::Local(rel)) => {
                        let limit = self.frame_limit();
                        if self.depth >= limit {
                            fault!(too_deep(self.depth + 1, limit));
                        }
                        let frame = Frame { ret: pc, saved: [reg[6], reg[7], reg[8], reg[9], reg[10]], may_goto_left };
                        may_goto_left = super::helpers::BPF_MAX_LOOPS;
                        match frames.get_mut(nframes) {
                            Some(f) => {
                                f.write(frame);
                            }
                            None => deep_frames.push(frame),
                        }
                        nframes += 1;
                        self.depth += 1;
                        reg[10] = self.frame_pointer_at(self.depth);
                        pc = pc.wrapping_add(rel as isize as usize);
                    }
                    Op::Call(Callee::Kfunc { imm: idx, .. }) => {
                        let callable = usize::try_from(idx).ok().and_then(|i| prog.kfuncs.get(i));
                        invoke!(
                            callable,
                            format!("invalid kernel function call: index {idx} is not one of the program's {} kfuncs", prog.kfuncs.len())
                        )
                    }
                    Op::Call(Callee::Reserved { src, .. }) => {
                        fault!(XdpError::run(Errno::EINVAL, format!("BPF_CALL uses reserved fields (src_reg {src})")))
                    }
                    // callx: the helper id is in dst (uBPF, bpf_conformance).
                    Op::Callx { dst } => {
                        let id = reg[usize::from(dst)];
                        let callable = usize::try_from(id).ok().and_then(|i| prog.helpers.get(i)).and_then(Option::as_ref);
                        invoke!(callable, format!("invalid func unknown#{id} (callx r{dst})"))
                    }
                    Op::Exit => {
                        if nframes == 0 {
                            sync!();
                            return Ok(reg[0]);
                        }
                        let back = resume.last().is_some_and(|r| r.0 == nframes);
                        nframes -= 1;
                        let f = match deep_frames.pop() {
                            Some(f) => f,
                            // SAFETY: frames[0..nframes] were written by the calls that counted them.
                            None => unsafe { frames[nframes].assume_init() },
                        };
                        reg[6..11].copy_from_slice(&f.saved);
                        may_goto_left = f.may_goto_left;
                        pc = f.ret;
                        self.depth = self.depth.saturating_sub(1);
                        if back {
                            if let Some((_, p)) = resume.pop() {
                                self.prog = p.clone();
                                break (p, pc);
                            }
                        }
                    }
                    Op::Legacy { mode, size: size @ (Size::B | Size::H | Size::W), src, imm } => {
                        // The kernel's rewrite: r2 = imm (ABS) or src + imm (IND, 64-bit), passed
                        // as the load helper's int offset; a failed load returns 0 from the program.
                        let offset = match mode {
                            LegacyMode::Abs => imm,
                            LegacyMode::Ind => reg[usize::from(src)].wrapping_add(imm as i64 as u64) as i32,
                        };
                        let bytes = match size {
                            Size::B => 1,
                            Size::H => 2,
                            _ => 4,
                        };
                        match tri!(self.ld_abs(offset, bytes)) {
                            Some(v) => reg[0] = v,
                            None => {
                                sync!();
                                return Ok(0);
                            }
                        }
                    }
                    Op::Atomic { .. } | Op::Legacy { .. } | Op::Nospec | Op::Unknown { .. } => {
                        fault!(XdpError::run(Errno::EINVAL, format!("unknown opcode {:02x}", insn.code)))
                    }
                }
            };
            prog = next_prog;
            pc = next_pc;
        }
    }

    #[inline(always)]
    fn load<const N: usize>(&mut self, stack_lo: u64, addr: u64) -> Result<u64, XdpError> {
        if addr.wrapping_sub(stack_lo) <= STACK_TOTAL - N as u64 {
            // SAFETY: inside the machine's stack buffer.
            return Ok(unsafe { read::<N>(addr) });
        }
        self.load_slow(addr, N as u64)
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn load_slow(&mut self, addr: u64, size: u64) -> Result<u64, XdpError> {
        let region = match self.mem.check(addr, size, false) {
            Err(_) if self.reach_object(addr, size) => self.mem.check(addr, size, false)?,
            r => r?,
        };
        if region.kind == RegionKind::Ctx {
            return self.ctx_load(addr, size);
        }
        // SAFETY: the regions describe live memory for the whole run (Memory's contract).
        Ok(unsafe {
            match size {
                1 => read::<1>(addr),
                2 => read::<2>(addr),
                4 => read::<4>(addr),
                _ => read::<8>(addr),
            }
        })
    }

    #[inline(always)]
    fn store<const N: usize>(&mut self, stack_lo: u64, addr: u64, v: u64) -> Result<(), XdpError> {
        if addr.wrapping_sub(stack_lo) <= STACK_TOTAL - N as u64 {
            // SAFETY: inside the machine's stack buffer.
            unsafe { write::<N>(addr, v) };
            return Ok(());
        }
        self.store_slow(addr, N as u64, v)
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn store_slow(&mut self, addr: u64, size: u64, v: u64) -> Result<(), XdpError> {
        if self.skb.is_some() && self.mem.find(addr, size).is_some_and(|r| r.kind == RegionKind::Ctx) {
            return self.skb_ctx_store(addr, size, v);
        }
        self.writable(addr, size)?;
        // SAFETY: checked writable above; regions describe live memory.
        unsafe {
            match size {
                1 => write::<1>(addr, v),
                2 => write::<2>(addr, v),
                4 => write::<4>(addr, v),
                _ => write::<8>(addr, v),
            }
        }
        Ok(())
    }

    /// A write check that names the context: the kernel refuses every store into `xdp_md`.
    pub(crate) fn writable(&mut self, addr: u64, size: u64) -> Result<(), XdpError> {
        if let Some(r) = self.mem.find(addr, size) {
            if r.kind == RegionKind::Ctx {
                let off = addr.wrapping_sub(self.ctx);
                return Err(XdpError::run(
                    Errno::EACCES,
                    format!("invalid bpf_context access off={off} size={size}: the context is read-only"),
                )
                .access(addr, size));
            }
        }
        match self.mem.check(addr, size, true) {
            Err(_) if self.reach_object(addr, size) => self.mem.check(addr, size, true).map(|_| ()),
            r => r.map(|_| ()),
        }
    }

    /// One read-modify-write; returns the old value (zero-extended for 32-bit operations). `imm`
    /// names an operation that does not run in the error.
    #[allow(clippy::too_many_arguments)]
    fn atomic(&mut self, stack_lo: u64, addr: u64, wide: bool, op: AtomicOp, imm: i32, src: u64, r0: u64) -> Result<u64, XdpError> {
        let size = if wide { 8 } else { 4 };
        if !op.runs() {
            return Err(XdpError::run(Errno::EINVAL, format!("BPF_ATOMIC uses invalid atomic opcode {imm:02x}")));
        }
        if addr.wrapping_sub(stack_lo) > STACK_TOTAL - size {
            self.writable(addr, size)?;
        }
        // SAFETY: in the stack or checked writable; the interpreter is single-threaded, so a plain
        // read-modify-write is atomic with respect to everything that can observe it.
        let old = unsafe {
            if wide {
                read::<8>(addr)
            } else {
                read::<4>(addr)
            }
        };
        let new = sem::atomic(op, wide, old, src, r0).unwrap_or(old);
        unsafe {
            if wide {
                write::<8>(addr, new)
            } else {
                write::<4>(addr, new)
            }
        }
        Ok(old)
    }

    #[inline(always)]
    fn load_sized(&mut self, stack_lo: u64, addr: u64, size: Size) -> Result<u64, XdpError> {
        match size {
            Size::B => self.load::<1>(stack_lo, addr),
            Size::H => self.load::<2>(stack_lo, addr),
            Size::W => self.load::<4>(stack_lo, addr),
            Size::DW => self.load::<8>(stack_lo, addr),
        }
    }

    #[inline(always)]
    fn store_sized(&mut self, stack_lo: u64, addr: u64, size: Size, v: u64) -> Result<(), XdpError> {
        match size {
            Size::B => self.store::<1>(stack_lo, addr, v),
            Size::H => self.store::<2>(stack_lo, addr, v),
            Size::W => self.store::<4>(stack_lo, addr, v),
            Size::DW => self.store::<8>(stack_lo, addr, v),
        }
    }
}

/// Where [`fast`] starts and where it stopped: the next instruction, the last one it executed (for
/// the error of a jump out of the program) and the budget left.
struct Fast {
    pc: usize,
    cur: usize,
    left: u64,
}

/// The memory region [`fast`] may access without a lookup besides the stack: the one the last
/// lookup found ([`Memory::find`](super::memory::Memory::find) tries it first too), unless it is the
/// context, whose loads are converted. `wlen` is 0 when the region is read-only, so that stores to
/// it take the general path and its error.
#[derive(Clone, Copy)]
struct Hot {
    lo: u64,
    len: u64,
    wlen: u64,
}

impl Hot {
    #[inline(always)]
    fn of(r: Option<&super::memory::Region>) -> Hot {
        match r {
            Some(r) if r.kind != RegionKind::Ctx => Hot { lo: r.start, len: r.len, wlen: if r.writable { r.len } else { 0 } },
            _ => Hot { lo: 0, len: 0, wlen: 0 },
        }
    }
}

/// The interpreter's inner loop for what needs neither the machine nor an error: ALU, jumps, lddw,
/// and loads and stores that fall in the stack or the hot region. It returns at the first
/// instruction it does not complete (a call, exit, atomic, a fault, a load elsewhere, the end of the
/// budget, a fetch outside the program) without having consumed it, and [`Machine::exec`] runs that
/// one: same results, same errors, same instruction count as the general loop alone. It is kept
/// out of line, with no calls, so that its state stays in registers. With `top` (no bpf-to-bpf
/// frame to return to) it also runs an `exit`, and returns true: the program has ended with r0.
#[inline(never)]
#[allow(clippy::int_plus_one, clippy::while_let_loop)]
fn fast(reg: &mut [u64; 16], code: &[Flat], st: &mut Fast, stack_lo: u64, hot: Hot, top: bool) -> bool {
    let (mut pc, mut cur, mut left) = (st.pc, st.cur, st.left);
    loop {
        let Some(&f) = code.get(pc) else { break };
        if left == 0 {
            break;
        }
        let next = pc.wrapping_add(1);
        let dst = f.dst() as usize;
        let src = f.src() as usize;
        let imm64 = f.imm as i64 as u64;

        macro_rules! operand {
            (K) => {
                imm64
            };
            (X) => {
                reg[src]
            };
        }
        macro_rules! load {
            ($n:expr) => {{
                let addr = reg[src].wrapping_add(f.off as i64 as u64);
                let o = addr.wrapping_sub(hot.lo);
                if addr.wrapping_sub(stack_lo) <= STACK_TOTAL - $n || (o <= hot.len && $n <= hot.len - o) {
                    // SAFETY: inside the machine's stack, or inside a region, which describes live
                    // memory while the program runs (Memory's contract); no helper runs in here.
                    unsafe { read::<{ $n as usize }>(addr) }
                } else {
                    break;
                }
            }};
        }
        macro_rules! store {
            ($n:expr, $v:expr) => {{
                let addr = reg[dst].wrapping_add(f.off as i64 as u64);
                let o = addr.wrapping_sub(hot.lo);
                if addr.wrapping_sub(stack_lo) <= STACK_TOTAL - $n || (o <= hot.wlen && $n <= hot.wlen - o) {
                    // SAFETY: as for loads, and the region is writable.
                    unsafe { write::<{ $n as usize }>(addr, $v) };
                    next
                } else {
                    break;
                }
            }};
        }
        // One arm per kind, each with its op's fields as constants, so that the pure semantics
        // fold to the one operation.
        macro_rules! dispatch {
            (
                alu: [$(($an:ident, $aop:ident, $aw:ident, $as:ident)),* $(,)?],
                end: [$(($en:ident, $eo:ident, $eb:literal)),* $(,)?],
                jump: [$(($jn:ident, $jc:ident, $jw:ident, $js:ident)),* $(,)?],
                load: [$(($ln:ident, $lsz:ident, $lsx:literal)),* $(,)?],
                store: [$(($sn:ident, $ssz:ident, $ss:ident)),* $(,)?],
            ) => {
                match f.kind {
                    $(Kind::$an => {
                        reg[dst] = sem::alu(AluOp::$aop, Width::$aw, reg[dst], operand!($as));
                        next
                    })*
                    $(Kind::$en => {
                        // Never None: only widths 16, 32 and 64 have a kind of their own.
                        reg[dst] = match sem::end(ByteOrder::$eo, $eb, reg[dst]) {
                            Some(v) => v,
                            None => break,
                        };
                        next
                    })*
                    $(Kind::$jn => {
                        if sem::cond(Cond::$jc, Width::$jw, reg[dst], operand!($js)) {
                            next.wrapping_add(f.off as isize as usize)
                        } else {
                            next
                        }
                    })*
                    $(Kind::$ln => {
                        reg[dst] = sem::extend(Size::$lsz, $lsx, load!(Size::$lsz.bytes()));
                        next
                    })*
                    $(Kind::$sn => store!(Size::$ssz.bytes(), operand!($ss)),)*
                    Kind::Ja => next.wrapping_add(f.off as isize as usize),
                    Kind::JaLong => next.wrapping_add(f.imm as isize as usize),
                    Kind::Lddw => {
                        let Some(hi) = code.get(next) else { break };
                        reg[dst] = (f.imm as u32 as u64) | ((hi.imm as u32 as u64) << 32);
                        next.wrapping_add(1)
                    }
                    Kind::Exit if top => {
                        *st = Fast { pc: next, cur: pc, left: left - 1 };
                        return true;
                    }
                    Kind::Exit | Kind::CallHelper | Kind::CallLocal | Kind::Other => break,
                }
            };
        }

        let npc = flat_kinds!(dispatch);
        cur = pc;
        pc = npc;
        left -= 1;
    }
    *st = Fast { pc, cur, left };
    false
}

/// # Safety
/// `addr..addr + N` must be readable.
#[inline(always)]
unsafe fn read<const N: usize>(addr: u64) -> u64 {
    match N {
        1 => *(addr as *const u8) as u64,
        2 => (addr as *const u16).read_unaligned() as u64,
        4 => (addr as *const u32).read_unaligned() as u64,
        _ => (addr as *const u64).read_unaligned(),
    }
}

/// # Safety
/// `addr..addr + N` must be writable.
#[inline(always)]
unsafe fn write<const N: usize>(addr: u64, v: u64) {
    match N {
        1 => *(addr as *mut u8) = v as u8,
        2 => (addr as *mut u16).write_unaligned(v as u16),
        4 => (addr as *mut u32).write_unaligned(v as u32),
        _ => (addr as *mut u64).write_unaligned(v),
    }
}

#[cold]
fn bad_end(imm: i32) -> XdpError {
    XdpError::run(Errno::EINVAL, format!("BPF_END uses reserved fields: imm {imm} is not 16, 32 or 64"))
}

#[cold]
fn too_deep(frames: usize, limit: usize) -> XdpError {
    XdpError::run(Errno::E2BIG, format!("the call stack of {frames} frames is too deep (at most {limit})"))
}

/// The error for an instruction fetch outside the program, blamed on the instruction that led there.
#[cold]
fn out_of_range(insns: &[Insn], from: usize, to: usize) -> XdpError {
    let n = insns.len();
    let Some(&insn) = insns.get(from) else {
        return XdpError::run(Errno::EINVAL, format!("entry point {to} is outside the program ({n} instructions)"));
    };
    let jumped = matches!(decode(insns, from), Op::Ja { .. } | Op::Jump { .. } | Op::Call(Callee::Local(_)));
    let msg = if jumped && to != from + 1 {
        format!("jump out of range from insn {from} to {} (the program has {n} instructions)", to as isize)
    } else {
        format!("fell off the end of the program after insn {from} (the program has {n} instructions)")
    };
    XdpError::run(Errno::EINVAL, msg).at(from, insn)
}
