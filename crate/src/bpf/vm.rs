//! The interpreter: the whole ISA (RFC 9669, v1 to v4) with the kernel's semantics.
//!
//! Registers live in a local array, instructions come from a local clone of the program, and the
//! stack (the common case for memory) is range-checked inline before any region lookup. Every
//! other address goes through [`super::memory::Memory::check`], so no instruction stream, validated
//! or not, can touch memory the run was not given. [`super::validate`] is about matching the
//! kernel, not about safety: what it would refuse either runs with some meaning or faults here.

use std::rc::Rc;

use super::insn::*;
use super::machine::{Callable, Machine, Prog, Trap};
use super::memory::RegionKind;
use crate::errno::{Errno, XdpError};

const STACK_TOTAL: u64 = (STACK_SIZE * MAX_CALL_FRAMES) as u64;

/// What a bpf-to-bpf call saves: where to return, and the caller's r6..r10.
#[derive(Clone, Copy, Default)]
struct Frame {
    ret: usize,
    saved: [u64; 5],
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
        if self.depth >= MAX_CALL_FRAMES {
            return Err(too_deep(self.depth + 1));
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
        reg[10] = self.frame_pointer(self.depth);
        self.exec_regs(entry, reg)
    }

    /// Runs `self.prog` from `entry` in the frame already counted in `depth`, with the registers
    /// as given (the JIT continues here after a tail call into a program it did not compile).
    pub(crate) fn exec_regs(&mut self, entry: usize, mut reg: [u64; 16]) -> Result<u64, XdpError> {
        // Written by a call before the exit that reads it: no need to clear 384 bytes per run.
        let mut frames = [std::mem::MaybeUninit::<Frame>::uninit(); MAX_CALL_FRAMES];
        let mut nframes = 0usize;
        // Programs to go back to when a frame that tail-called returns: (frame count at the tail
        // call, the caller's program). Empty unless a subprogram tail-calls.
        let mut resume: Vec<(usize, Rc<Prog>)> = Vec::new();

        let mut prog = self.prog.clone();
        let mut pc = entry;
        let mut cur = usize::MAX;
        let mut left = self.budget;
        let mut stack_lo = self.stack.as_ptr() as u64;

        macro_rules! sync {
            () => {{
                self.executed += self.budget.wrapping_sub(left);
                self.budget = left;
            }};
        }

        loop {
            let insns: &[Insn] = &prog.insns;
            let (next_prog, next_pc): (Rc<Prog>, usize) = loop {
                // The straight-line instructions run in `fast`, which stops before anything else
                // (and before faults, the budget's end or a fetch outside the program), so that the
                // instruction it stopped at runs below exactly as it would without it.
                let mut st = Fast { pc, cur, left };
                let exited = fast(&mut reg, insns, &mut st, stack_lo, Hot::of(self.mem.last_found()), nframes == 0);
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

                let dst = insn.dst() as usize;
                let src = insn.src() as usize;
                let imm64 = insn.imm as i64 as u64;
                let imm32 = insn.imm as u32;
                let d32 = reg[dst] as u32;
                let s32 = reg[src] as u32;

                macro_rules! set32 {
                    ($v:expr) => {{
                        reg[dst] = ($v) as u32 as u64;
                    }};
                }
                macro_rules! jump_if {
                    ($c:expr) => {{
                        if $c {
                            pc = pc.wrapping_add(insn.off as isize as usize);
                        }
                    }};
                }
                macro_rules! load {
                    ($n:literal) => {{
                        let addr = reg[src].wrapping_add(insn.off as i64 as u64);
                        tri!(self.load::<$n>(stack_lo, addr))
                    }};
                }
                macro_rules! store {
                    ($n:literal, $v:expr) => {{
                        let addr = reg[dst].wrapping_add(insn.off as i64 as u64);
                        tri!(self.store::<$n>(stack_lo, addr, $v))
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
                            None => fault!(XdpError::run(Errno::EINVAL, $missing)),
                        };
                        // Callbacks the helper ran drew from the same budget, and nothing stops a
                        // helper from giving the machine another stack buffer.
                        left = self.budget;
                        stack_lo = self.stack.as_ptr() as u64;
                        match res {
                            Ok(v) => reg[0] = v,
                            Err(Trap::Exit(v)) => return Ok(v),
                            Err(Trap::Fault(e)) => return Err(e.at(cur, insn)),
                            Err(Trap::TailCall(p)) => {
                                if nframes > 0 && resume.last().map(|r| r.0) != Some(nframes) {
                                    resume.push((nframes, prog.clone()));
                                }
                                self.prog = p.clone();
                                break (p, 0);
                            }
                        }
                    }};
                }

                match insn.code {
                    // ALU64, immediate and register forms.
                    0x07 => reg[dst] = reg[dst].wrapping_add(imm64),
                    0x0f => reg[dst] = reg[dst].wrapping_add(reg[src]),
                    0x17 => reg[dst] = reg[dst].wrapping_sub(imm64),
                    0x1f => reg[dst] = reg[dst].wrapping_sub(reg[src]),
                    0x27 => reg[dst] = reg[dst].wrapping_mul(imm64),
                    0x2f => reg[dst] = reg[dst].wrapping_mul(reg[src]),
                    0x37 => reg[dst] = div64(reg[dst], imm64, insn.off),
                    0x3f => reg[dst] = div64(reg[dst], reg[src], insn.off),
                    0x47 => reg[dst] |= imm64,
                    0x4f => reg[dst] |= reg[src],
                    0x57 => reg[dst] &= imm64,
                    0x5f => reg[dst] &= reg[src],
                    0x67 => reg[dst] <<= imm64 & 63,
                    0x6f => reg[dst] <<= reg[src] & 63,
                    0x77 => reg[dst] >>= imm64 & 63,
                    0x7f => reg[dst] >>= reg[src] & 63,
                    0x87 => reg[dst] = reg[dst].wrapping_neg(),
                    0x97 => reg[dst] = mod64(reg[dst], imm64, insn.off),
                    0x9f => reg[dst] = mod64(reg[dst], reg[src], insn.off),
                    0xa7 => reg[dst] ^= imm64,
                    0xaf => reg[dst] ^= reg[src],
                    0xb7 => reg[dst] = imm64,
                    0xbf => {
                        let s = reg[src];
                        reg[dst] = match insn.off {
                            8 => s as i8 as u64,
                            16 => s as i16 as u64,
                            32 => s as i32 as u64,
                            _ => s,
                        }
                    }
                    0xc7 => reg[dst] = ((reg[dst] as i64) >> (imm64 & 63)) as u64,
                    0xcf => reg[dst] = ((reg[dst] as i64) >> (reg[src] & 63)) as u64,
                    0xd7 => {
                        reg[dst] = match insn.imm {
                            16 => (reg[dst] as u16).swap_bytes() as u64,
                            32 => (reg[dst] as u32).swap_bytes() as u64,
                            64 => reg[dst].swap_bytes(),
                            _ => fault!(bad_end(insn.imm)),
                        }
                    }

                    // ALU (32-bit): results are zero-extended into the 64-bit register.
                    0x04 => set32!(d32.wrapping_add(imm32)),
                    0x0c => set32!(d32.wrapping_add(s32)),
                    0x14 => set32!(d32.wrapping_sub(imm32)),
                    0x1c => set32!(d32.wrapping_sub(s32)),
                    0x24 => set32!(d32.wrapping_mul(imm32)),
                    0x2c => set32!(d32.wrapping_mul(s32)),
                    0x34 => set32!(div32(d32, imm32, insn.off)),
                    0x3c => set32!(div32(d32, s32, insn.off)),
                    0x44 => set32!(d32 | imm32),
                    0x4c => set32!(d32 | s32),
                    0x54 => set32!(d32 & imm32),
                    0x5c => set32!(d32 & s32),
                    0x64 => set32!(d32 << (imm32 & 31)),
                    0x6c => set32!(d32 << (s32 & 31)),
                    0x74 => set32!(d32 >> (imm32 & 31)),
                    0x7c => set32!(d32 >> (s32 & 31)),
                    0x84 => set32!(d32.wrapping_neg()),
                    0x94 => set32!(mod32(d32, imm32, insn.off)),
                    0x9c => set32!(mod32(d32, s32, insn.off)),
                    0xa4 => set32!(d32 ^ imm32),
                    0xac => set32!(d32 ^ s32),
                    0xb4 => set32!(imm32),
                    0xbc => set32!(match insn.off {
                        8 => s32 as i8 as u32,
                        16 => s32 as i16 as u32,
                        _ => s32,
                    }),
                    0xc4 => set32!((d32 as i32) >> (imm32 & 31)),
                    0xcc => set32!((d32 as i32) >> (s32 & 31)),
                    // On a little-endian host to_le only truncates; to_be swaps.
                    0xd4 => {
                        reg[dst] = match insn.imm {
                            16 => reg[dst] as u16 as u64,
                            32 => reg[dst] as u32 as u64,
                            64 => reg[dst],
                            _ => fault!(bad_end(insn.imm)),
                        }
                    }
                    0xdc => {
                        reg[dst] = match insn.imm {
                            16 => (reg[dst] as u16).swap_bytes() as u64,
                            32 => (reg[dst] as u32).swap_bytes() as u64,
                            64 => reg[dst].swap_bytes(),
                            _ => fault!(bad_end(insn.imm)),
                        }
                    }

                    // JMP: 64-bit comparisons.
                    0x05 => jump_if!(true),
                    0x15 => jump_if!(reg[dst] == imm64),
                    0x1d => jump_if!(reg[dst] == reg[src]),
                    0x25 => jump_if!(reg[dst] > imm64),
                    0x2d => jump_if!(reg[dst] > reg[src]),
                    0x35 => jump_if!(reg[dst] >= imm64),
                    0x3d => jump_if!(reg[dst] >= reg[src]),
                    0x45 => jump_if!(reg[dst] & imm64 != 0),
                    0x4d => jump_if!(reg[dst] & reg[src] != 0),
                    0x55 => jump_if!(reg[dst] != imm64),
                    0x5d => jump_if!(reg[dst] != reg[src]),
                    0x65 => jump_if!((reg[dst] as i64) > insn.imm as i64),
                    0x6d => jump_if!((reg[dst] as i64) > reg[src] as i64),
                    0x75 => jump_if!((reg[dst] as i64) >= insn.imm as i64),
                    0x7d => jump_if!((reg[dst] as i64) >= reg[src] as i64),
                    0xa5 => jump_if!(reg[dst] < imm64),
                    0xad => jump_if!(reg[dst] < reg[src]),
                    0xb5 => jump_if!(reg[dst] <= imm64),
                    0xbd => jump_if!(reg[dst] <= reg[src]),
                    0xc5 => jump_if!((reg[dst] as i64) < insn.imm as i64),
                    0xcd => jump_if!((reg[dst] as i64) < reg[src] as i64),
                    0xd5 => jump_if!((reg[dst] as i64) <= insn.imm as i64),
                    0xdd => jump_if!((reg[dst] as i64) <= reg[src] as i64),

                    // JMP32: comparisons of the low halves; gotol takes its offset from imm.
                    0x06 => pc = pc.wrapping_add(insn.imm as isize as usize),
                    0x16 => jump_if!(d32 == imm32),
                    0x1e => jump_if!(d32 == s32),
                    0x26 => jump_if!(d32 > imm32),
                    0x2e => jump_if!(d32 > s32),
                    0x36 => jump_if!(d32 >= imm32),
                    0x3e => jump_if!(d32 >= s32),
                    0x46 => jump_if!(d32 & imm32 != 0),
                    0x4e => jump_if!(d32 & s32 != 0),
                    0x56 => jump_if!(d32 != imm32),
                    0x5e => jump_if!(d32 != s32),
                    0x66 => jump_if!((d32 as i32) > insn.imm),
                    0x6e => jump_if!((d32 as i32) > s32 as i32),
                    0x76 => jump_if!((d32 as i32) >= insn.imm),
                    0x7e => jump_if!((d32 as i32) >= s32 as i32),
                    0xa6 => jump_if!(d32 < imm32),
                    0xae => jump_if!(d32 < s32),
                    0xb6 => jump_if!(d32 <= imm32),
                    0xbe => jump_if!(d32 <= s32),
                    0xc6 => jump_if!((d32 as i32) < insn.imm),
                    0xce => jump_if!((d32 as i32) < s32 as i32),
                    0xd6 => jump_if!((d32 as i32) <= insn.imm),
                    0xde => jump_if!((d32 as i32) <= s32 as i32),

                    // Loads, sign-extending loads, stores.
                    0x61 => reg[dst] = load!(4),
                    0x69 => reg[dst] = load!(2),
                    0x71 => reg[dst] = load!(1),
                    0x79 => reg[dst] = load!(8),
                    0x81 => reg[dst] = load!(4) as u32 as i32 as u64,
                    0x89 => reg[dst] = load!(2) as u16 as i16 as u64,
                    0x91 => reg[dst] = load!(1) as u8 as i8 as u64,
                    0x62 => store!(4, imm64),
                    0x6a => store!(2, imm64),
                    0x72 => store!(1, imm64),
                    0x7a => store!(8, imm64),
                    0x63 => store!(4, reg[src]),
                    0x6b => store!(2, reg[src]),
                    0x73 => store!(1, reg[src]),
                    0x7b => store!(8, reg[src]),

                    0xc3 | 0xdb => {
                        let addr = reg[dst].wrapping_add(insn.off as i64 as u64);
                        let wide = insn.code == 0xdb;
                        let old = tri!(self.atomic(stack_lo, addr, wide, insn.imm, reg[src], reg[0]));
                        if insn.imm == ATOMIC_CMPXCHG {
                            reg[0] = old;
                        } else if insn.imm & ATOMIC_FETCH != 0 {
                            reg[src] = old;
                        }
                    }

                    0x18 => {
                        let Some(next) = insns.get(pc) else {
                            fault!(XdpError::run(Errno::EINVAL, "invalid bpf_ld_imm64 insn: the program ends after its first half"));
                        };
                        reg[dst] = (insn.imm as u32 as u64) | ((next.imm as u32 as u64) << 32);
                        pc += 1;
                    }

                    0x85 => match insn.src() {
                        0 => {
                            let id = insn.imm;
                            let callable = usize::try_from(id).ok().and_then(|i| prog.helpers.get(i)).and_then(Option::as_ref);
                            invoke!(callable, format!("invalid func unknown#{id}"))
                        }
                        PSEUDO_CALL => {
                            if self.depth >= MAX_CALL_FRAMES {
                                fault!(too_deep(self.depth + 1));
                            }
                            let Some(frame) = frames.get_mut(nframes) else { fault!(too_deep(self.depth + 1)) };
                            frame.write(Frame { ret: pc, saved: [reg[6], reg[7], reg[8], reg[9], reg[10]] });
                            nframes += 1;
                            self.depth += 1;
                            reg[10] = self.frame_pointer(self.depth);
                            pc = pc.wrapping_add(insn.imm as isize as usize);
                        }
                        PSEUDO_KFUNC_CALL => {
                            let idx = insn.imm;
                            let callable = usize::try_from(idx).ok().and_then(|i| prog.kfuncs.get(i));
                            invoke!(
                                callable,
                                format!(
                                    "invalid kernel function call: index {idx} is not one of the program's {} kfuncs",
                                    prog.kfuncs.len()
                                )
                            )
                        }
                        s => fault!(XdpError::run(Errno::EINVAL, format!("BPF_CALL uses reserved fields (src_reg {s})"))),
                    },
                    // callx: the helper id is in dst (uBPF, bpf_conformance).
                    0x8d => {
                        let id = reg[dst];
                        let callable = usize::try_from(id).ok().and_then(|i| prog.helpers.get(i)).and_then(Option::as_ref);
                        invoke!(callable, format!("invalid func unknown#{id} (callx r{dst})"))
                    }
                    0x95 => {
                        if nframes == 0 {
                            sync!();
                            return Ok(reg[0]);
                        }
                        let back = resume.last().is_some_and(|r| r.0 == nframes);
                        nframes -= 1;
                        // SAFETY: frames[0..nframes] were written by the calls that counted them.
                        let f = unsafe { frames[nframes].assume_init() };
                        reg[6..11].copy_from_slice(&f.saved);
                        pc = f.ret;
                        self.depth = self.depth.saturating_sub(1);
                        if back {
                            if let Some((_, p)) = resume.pop() {
                                self.prog = p.clone();
                                break (p, pc);
                            }
                        }
                    }

                    0x20 | 0x28 | 0x30 | 0x40 | 0x48 | 0x50 => {
                        fault!(XdpError::run(Errno::EINVAL, "legacy packet access (BPF_LD_[ABS|IND]) is not supported"))
                    }
                    code => fault!(XdpError::run(Errno::EINVAL, format!("unknown opcode {code:02x}"))),
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
        let region = self.mem.check(addr, size, false)?;
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
        self.mem.check(addr, size, true).map(|_| ())
    }

    /// One read-modify-write; returns the old value (zero-extended for 32-bit operations).
    fn atomic(&mut self, stack_lo: u64, addr: u64, wide: bool, op: i32, src: u64, r0: u64) -> Result<u64, XdpError> {
        let size = if wide { 8 } else { 4 };
        let known = matches!(op & !ATOMIC_FETCH, 0x00 | 0x40 | 0x50 | 0xa0) || op == ATOMIC_XCHG || op == ATOMIC_CMPXCHG;
        if !known {
            return Err(XdpError::run(Errno::EINVAL, format!("BPF_ATOMIC uses invalid atomic opcode {op:02x}")));
        }
        if addr.wrapping_sub(stack_lo) > STACK_TOTAL - size {
            self.writable(addr, size)?;
        }
        let mask = if wide { u64::MAX } else { u32::MAX as u64 };
        // SAFETY: in the stack or checked writable; the interpreter is single-threaded, so a plain
        // read-modify-write is atomic with respect to everything that can observe it.
        let old = unsafe {
            if wide {
                read::<8>(addr)
            } else {
                read::<4>(addr)
            }
        };
        let new = match op {
            ATOMIC_XCHG => src,
            ATOMIC_CMPXCHG => {
                if old == r0 & mask {
                    src
                } else {
                    old
                }
            }
            _ => match op & !ATOMIC_FETCH {
                0x00 => old.wrapping_add(src),
                0x40 => old | src,
                0x50 => old & src,
                _ => old ^ src,
            },
        };
        unsafe {
            if wide {
                write::<8>(addr, new)
            } else {
                write::<4>(addr, new)
            }
        }
        Ok(old)
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
fn fast(reg: &mut [u64; 16], insns: &[Insn], st: &mut Fast, stack_lo: u64, hot: Hot, top: bool) -> bool {
    let (mut pc, mut cur, mut left) = (st.pc, st.cur, st.left);
    loop {
        let Some(&insn) = insns.get(pc) else { break };
        if left == 0 {
            break;
        }
        let next = pc.wrapping_add(1);
        let dst = insn.dst() as usize;
        let src = insn.src() as usize;
        let imm64 = insn.imm as i64 as u64;
        let imm32 = insn.imm as u32;

        macro_rules! alu64 {
            ($v:expr) => {{
                reg[dst] = $v;
                next
            }};
        }
        macro_rules! alu32 {
            ($v:expr) => {{
                reg[dst] = ($v) as u32 as u64;
                next
            }};
        }
        macro_rules! d32 {
            () => {
                reg[dst] as u32
            };
        }
        macro_rules! s32 {
            () => {
                reg[src] as u32
            };
        }
        macro_rules! jump_if {
            ($c:expr) => {{
                if $c {
                    next.wrapping_add(insn.off as isize as usize)
                } else {
                    next
                }
            }};
        }
        macro_rules! load {
            ($n:literal) => {{
                let addr = reg[src].wrapping_add(insn.off as i64 as u64);
                let o = addr.wrapping_sub(hot.lo);
                if addr.wrapping_sub(stack_lo) <= STACK_TOTAL - $n || (o <= hot.len && $n <= hot.len - o) {
                    // SAFETY: inside the machine's stack, or inside a region, which describes live
                    // memory while the program runs (Memory's contract); no helper runs in here.
                    unsafe { read::<$n>(addr) }
                } else {
                    break;
                }
            }};
        }
        macro_rules! store {
            ($n:literal, $v:expr) => {{
                let addr = reg[dst].wrapping_add(insn.off as i64 as u64);
                let o = addr.wrapping_sub(hot.lo);
                if addr.wrapping_sub(stack_lo) <= STACK_TOTAL - $n || (o <= hot.wlen && $n <= hot.wlen - o) {
                    // SAFETY: as for loads, and the region is writable.
                    unsafe { write::<$n>(addr, $v) };
                    next
                } else {
                    break;
                }
            }};
        }
        macro_rules! end {
            ($v16:expr, $v32:expr, $v64:expr) => {{
                let v = reg[dst];
                reg[dst] = match insn.imm {
                    16 => $v16(v),
                    32 => $v32(v),
                    64 => $v64(v),
                    _ => break,
                };
                next
            }};
        }

        let npc = match insn.code {
            0x07 => alu64!(reg[dst].wrapping_add(imm64)),
            0x0f => alu64!(reg[dst].wrapping_add(reg[src])),
            0x17 => alu64!(reg[dst].wrapping_sub(imm64)),
            0x1f => alu64!(reg[dst].wrapping_sub(reg[src])),
            0x27 => alu64!(reg[dst].wrapping_mul(imm64)),
            0x2f => alu64!(reg[dst].wrapping_mul(reg[src])),
            0x37 => alu64!(div64(reg[dst], imm64, insn.off)),
            0x3f => alu64!(div64(reg[dst], reg[src], insn.off)),
            0x47 => alu64!(reg[dst] | imm64),
            0x4f => alu64!(reg[dst] | reg[src]),
            0x57 => alu64!(reg[dst] & imm64),
            0x5f => alu64!(reg[dst] & reg[src]),
            0x67 => alu64!(reg[dst] << (imm64 & 63)),
            0x6f => alu64!(reg[dst] << (reg[src] & 63)),
            0x77 => alu64!(reg[dst] >> (imm64 & 63)),
            0x7f => alu64!(reg[dst] >> (reg[src] & 63)),
            0x87 => alu64!(reg[dst].wrapping_neg()),
            0x97 => alu64!(mod64(reg[dst], imm64, insn.off)),
            0x9f => alu64!(mod64(reg[dst], reg[src], insn.off)),
            0xa7 => alu64!(reg[dst] ^ imm64),
            0xaf => alu64!(reg[dst] ^ reg[src]),
            0xb7 => alu64!(imm64),
            0xbf => {
                let s = reg[src];
                alu64!(match insn.off {
                    8 => s as i8 as u64,
                    16 => s as i16 as u64,
                    32 => s as i32 as u64,
                    _ => s,
                })
            }
            0xc7 => alu64!(((reg[dst] as i64) >> (imm64 & 63)) as u64),
            0xcf => alu64!(((reg[dst] as i64) >> (reg[src] & 63)) as u64),
            0xd7 => end!(|v: u64| (v as u16).swap_bytes() as u64, |v: u64| (v as u32).swap_bytes() as u64, |v: u64| v.swap_bytes()),

            0x04 => alu32!(d32!().wrapping_add(imm32)),
            0x0c => alu32!(d32!().wrapping_add(s32!())),
            0x14 => alu32!(d32!().wrapping_sub(imm32)),
            0x1c => alu32!(d32!().wrapping_sub(s32!())),
            0x24 => alu32!(d32!().wrapping_mul(imm32)),
            0x2c => alu32!(d32!().wrapping_mul(s32!())),
            0x34 => alu32!(div32(d32!(), imm32, insn.off)),
            0x3c => alu32!(div32(d32!(), s32!(), insn.off)),
            0x44 => alu32!(d32!() | imm32),
            0x4c => alu32!(d32!() | s32!()),
            0x54 => alu32!(d32!() & imm32),
            0x5c => alu32!(d32!() & s32!()),
            0x64 => alu32!(d32!() << (imm32 & 31)),
            0x6c => alu32!(d32!() << (s32!() & 31)),
            0x74 => alu32!(d32!() >> (imm32 & 31)),
            0x7c => alu32!(d32!() >> (s32!() & 31)),
            0x84 => alu32!(d32!().wrapping_neg()),
            0x94 => alu32!(mod32(d32!(), imm32, insn.off)),
            0x9c => alu32!(mod32(d32!(), s32!(), insn.off)),
            0xa4 => alu32!(d32!() ^ imm32),
            0xac => alu32!(d32!() ^ s32!()),
            0xb4 => alu32!(imm32),
            0xbc => {
                let s = s32!();
                alu32!(match insn.off {
                    8 => s as i8 as u32,
                    16 => s as i16 as u32,
                    _ => s,
                })
            }
            0xc4 => alu32!((d32!() as i32) >> (imm32 & 31)),
            0xcc => alu32!((d32!() as i32) >> (s32!() & 31)),
            0xd4 => end!(|v: u64| v as u16 as u64, |v: u64| v as u32 as u64, |v: u64| v),
            0xdc => end!(|v: u64| (v as u16).swap_bytes() as u64, |v: u64| (v as u32).swap_bytes() as u64, |v: u64| v.swap_bytes()),

            0x05 => jump_if!(true),
            0x15 => jump_if!(reg[dst] == imm64),
            0x1d => jump_if!(reg[dst] == reg[src]),
            0x25 => jump_if!(reg[dst] > imm64),
            0x2d => jump_if!(reg[dst] > reg[src]),
            0x35 => jump_if!(reg[dst] >= imm64),
            0x3d => jump_if!(reg[dst] >= reg[src]),
            0x45 => jump_if!(reg[dst] & imm64 != 0),
            0x4d => jump_if!(reg[dst] & reg[src] != 0),
            0x55 => jump_if!(reg[dst] != imm64),
            0x5d => jump_if!(reg[dst] != reg[src]),
            0x65 => jump_if!((reg[dst] as i64) > insn.imm as i64),
            0x6d => jump_if!((reg[dst] as i64) > reg[src] as i64),
            0x75 => jump_if!((reg[dst] as i64) >= insn.imm as i64),
            0x7d => jump_if!((reg[dst] as i64) >= reg[src] as i64),
            0xa5 => jump_if!(reg[dst] < imm64),
            0xad => jump_if!(reg[dst] < reg[src]),
            0xb5 => jump_if!(reg[dst] <= imm64),
            0xbd => jump_if!(reg[dst] <= reg[src]),
            0xc5 => jump_if!((reg[dst] as i64) < insn.imm as i64),
            0xcd => jump_if!((reg[dst] as i64) < reg[src] as i64),
            0xd5 => jump_if!((reg[dst] as i64) <= insn.imm as i64),
            0xdd => jump_if!((reg[dst] as i64) <= reg[src] as i64),

            0x06 => next.wrapping_add(insn.imm as isize as usize),
            0x16 => jump_if!(d32!() == imm32),
            0x1e => jump_if!(d32!() == s32!()),
            0x26 => jump_if!(d32!() > imm32),
            0x2e => jump_if!(d32!() > s32!()),
            0x36 => jump_if!(d32!() >= imm32),
            0x3e => jump_if!(d32!() >= s32!()),
            0x46 => jump_if!(d32!() & imm32 != 0),
            0x4e => jump_if!(d32!() & s32!() != 0),
            0x56 => jump_if!(d32!() != imm32),
            0x5e => jump_if!(d32!() != s32!()),
            0x66 => jump_if!((d32!() as i32) > insn.imm),
            0x6e => jump_if!((d32!() as i32) > s32!() as i32),
            0x76 => jump_if!((d32!() as i32) >= insn.imm),
            0x7e => jump_if!((d32!() as i32) >= s32!() as i32),
            0xa6 => jump_if!(d32!() < imm32),
            0xae => jump_if!(d32!() < s32!()),
            0xb6 => jump_if!(d32!() <= imm32),
            0xbe => jump_if!(d32!() <= s32!()),
            0xc6 => jump_if!((d32!() as i32) < insn.imm),
            0xce => jump_if!((d32!() as i32) < s32!() as i32),
            0xd6 => jump_if!((d32!() as i32) <= insn.imm),
            0xde => jump_if!((d32!() as i32) <= s32!() as i32),

            0x61 => alu64!(load!(4)),
            0x69 => alu64!(load!(2)),
            0x71 => alu64!(load!(1)),
            0x79 => alu64!(load!(8)),
            0x81 => alu64!(load!(4) as u32 as i32 as u64),
            0x89 => alu64!(load!(2) as u16 as i16 as u64),
            0x91 => alu64!(load!(1) as u8 as i8 as u64),
            0x62 => store!(4, imm64),
            0x6a => store!(2, imm64),
            0x72 => store!(1, imm64),
            0x7a => store!(8, imm64),
            0x63 => store!(4, reg[src]),
            0x6b => store!(2, reg[src]),
            0x73 => store!(1, reg[src]),
            0x7b => store!(8, reg[src]),

            0x18 => {
                let Some(hi) = insns.get(next) else { break };
                reg[dst] = (insn.imm as u32 as u64) | ((hi.imm as u32 as u64) << 32);
                next.wrapping_add(1)
            }
            0x95 if top => {
                *st = Fast { pc: next, cur: pc, left: left - 1 };
                return true;
            }
            _ => break,
        };
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

/// Division by zero gives 0 (the kernel's rule, and RFC 9669's); off = 1 is sdiv, where
/// INT_MIN / -1 wraps back to INT_MIN.
#[inline(always)]
fn div64(a: u64, b: u64, off: i16) -> u64 {
    if b == 0 {
        0
    } else if off == 1 {
        (a as i64).wrapping_div(b as i64) as u64
    } else {
        a / b
    }
}

/// Modulo by zero leaves dst alone; smod's result takes the dividend's sign (INT_MIN % -1 = 0).
#[inline(always)]
fn mod64(a: u64, b: u64, off: i16) -> u64 {
    if b == 0 {
        a
    } else if off == 1 {
        (a as i64).wrapping_rem(b as i64) as u64
    } else {
        a % b
    }
}

#[inline(always)]
fn div32(a: u32, b: u32, off: i16) -> u32 {
    if b == 0 {
        0
    } else if off == 1 {
        (a as i32).wrapping_div(b as i32) as u32
    } else {
        a / b
    }
}

#[inline(always)]
fn mod32(a: u32, b: u32, off: i16) -> u32 {
    if b == 0 {
        a
    } else if off == 1 {
        (a as i32).wrapping_rem(b as i32) as u32
    } else {
        a % b
    }
}

#[cold]
fn bad_end(imm: i32) -> XdpError {
    XdpError::run(Errno::EINVAL, format!("BPF_END uses reserved fields: imm {imm} is not 16, 32 or 64"))
}

#[cold]
fn too_deep(frames: usize) -> XdpError {
    XdpError::run(Errno::E2BIG, format!("the call stack of {frames} frames is too deep (at most {MAX_CALL_FRAMES})"))
}

/// The error for an instruction fetch outside the program, blamed on the instruction that led there.
#[cold]
fn out_of_range(insns: &[Insn], from: usize, to: usize) -> XdpError {
    let n = insns.len();
    let Some(&insn) = insns.get(from) else {
        return XdpError::run(Errno::EINVAL, format!("entry point {to} is outside the program ({n} instructions)"));
    };
    let class = insn.class();
    let jumped = (class == JMP || class == JMP32) && insn.code & 0xf0 != EXIT && (insn.code & 0xf0 != CALL || insn.src() == PSEUDO_CALL);
    let msg = if jumped && to != from + 1 {
        format!("jump out of range from insn {from} to {} (the program has {n} instructions)", to as isize)
    } else {
        format!("fell off the end of the program after insn {from} (the program has {n} instructions)")
    };
    XdpError::run(Errno::EINVAL, msg).at(from, insn)
}
