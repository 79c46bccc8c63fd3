//! The rules for a loader without CAP_PERFMON (the kernel's `bypass_spec_v1` off, as
//! `allow_ptr_leaks`): Spectre v1 sanitation of pointer arithmetic (the masking window each
//! `ptr += reg` gets, the bounds a pointer must stay in, one window per instruction over all
//! paths), the speculative paths the kernel walks besides (the side of a decided branch not taken,
//! the pointer a masked offset leaves), and the capability checks made before the walk. A
//! refusal on a speculative path ends that path only (6.18 fences it with a nospec instead).

use super::explore::Verifier;
use super::state::*;
use super::{refuse, VResult};
use crate::bpf::isa::{AluOp, Callee, Op, Pseudo};
use crate::errno::Errno;

/// `alu_state` bits of an instruction's masking (`BPF_ALU_*`).
const SANITIZE_SRC: u8 = 1;
const SANITIZE_DST: u8 = 2;
const NEG_VALUE: u8 = 4;
const NON_POINTER: u8 = 8;
const IMMEDIATE: u8 = 16;

/// Why sanitation refuses (`REASON_*`).
#[derive(Clone, Copy)]
enum Reason {
    Bounds,
    Type,
    Paths,
    Limit,
}

/// What the first half of `sanitize_ptr_alu` saw, for the second (the commit of the window).
#[derive(Clone, Copy, Default)]
pub(super) struct Sanitize {
    active: bool,
    mask_to_left: bool,
    state: u8,
    limit: u32,
}

const PROHIBITED: &str = "pointer arithmetic with it prohibited for !root";

impl Verifier<'_> {
    /// `sanitize_err`'s line for `reason` (the kernel copies the offset register, so a bounds
    /// complaint names the source register and a type complaint the destination).
    fn sanitize_refusal<T>(&self, reason: Reason, op: AluOp, dst: u8, src: u8) -> VResult<T> {
        let verb = if op == AluOp::Add { "add" } else { "sub" };
        refuse(
            Errno::EACCES,
            match reason {
                Reason::Bounds => format!("R{src} has unknown scalar with mixed signed bounds, {PROHIBITED}"),
                Reason::Type => format!("R{dst} has pointer with unsupported alu operation, {PROHIBITED}"),
                Reason::Paths => format!("R{dst} tried to {verb} from different maps, paths or scalars, {PROHIBITED}"),
                Reason::Limit => format!("R{dst} tried to {verb} beyond pointer bounds, {PROHIBITED}"),
            },
        )
    }

    /// `retrieve_ptr_limit`: how far the pointer may move in the masked direction.
    fn ptr_limit(&self, ptr: &Reg, mask_to_left: bool) -> Result<u32, Reason> {
        let (max, limit) = match ptr.ty {
            PTR_TO_STACK => (512 + mask_to_left as u32, (ptr.var.var_off.value as i64 + ptr.off as i64).wrapping_neg() as u32),
            PTR_TO_MAP_VALUE => {
                let base = if mask_to_left { ptr.var.smin } else { ptr.var.umax as i64 };
                (self.input.maps[ptr.map as usize].value_size, base.wrapping_add(ptr.off as i64) as u32)
            }
            _ => return Err(Reason::Type),
        };
        if limit >= max {
            return Err(Reason::Limit);
        }
        Ok(limit)
    }

    /// `update_alu_sanitation_state`: one masking per instruction, whatever the path.
    fn record_sanitation(&mut self, pc: usize, state: u8, limit: u32) -> Result<(), Reason> {
        let aux = &mut self.alu_sanitation[pc];
        if aux.0 != 0 && (aux.0 != state || aux.1 != limit) {
            return Err(Reason::Paths);
        }
        *aux = (state, limit);
        Ok(())
    }

    fn skip_sanitation(&self, src_is_reg: bool) -> bool {
        self.allow_ptr_leaks || !src_is_reg
    }

    /// `sanitize_val_alu`: a scalar add or sub by a register where another path made it a
    /// pointer's is refused.
    pub(super) fn sanitize_val_alu(&mut self, op: AluOp, dst: u8, src_is_reg: bool) -> VResult<()> {
        if !matches!(op, AluOp::Add | AluOp::Sub) || self.skip_sanitation(src_is_reg) {
            return Ok(());
        }
        let pc = self.pc;
        match self.record_sanitation(pc, NON_POINTER, 0) {
            Ok(()) => Ok(()),
            Err(r) => self.sanitize_refusal(r, op, dst, 0),
        }
    }

    /// The first half of `sanitize_ptr_alu`, before the arithmetic: the offset's sign, the
    /// window's limit; an unknown offset also queues the path where masking zeroed it (the
    /// destination left holding the unmoved pointer).
    pub(super) fn sanitize_ptr_alu_pre(&mut self, op: AluOp, dst: u8, src: Option<u8>, ptr: &Reg, off: &Reg, ptr_is_dst: bool) -> VResult<Sanitize> {
        if !matches!(op, AluOp::Add | AluOp::Sub) || self.skip_sanitation(src.is_some()) {
            return Ok(Sanitize::default());
        }
        let src = src.unwrap_or(0);
        let o = &off.var;
        let off_is_imm = o.is_const().is_some();
        let mut info = Sanitize { active: true, ..Sanitize::default() };
        if !self.cur.speculative {
            if !off_is_imm && (o.smin < 0) != (o.smax < 0) {
                return self.sanitize_refusal(Reason::Bounds, op, dst, src);
            }
            let neg = o.smin < 0;
            info.mask_to_left = (op == AluOp::Add && neg) || (op == AluOp::Sub && !neg);
            info.limit = match self.ptr_limit(ptr, info.mask_to_left) {
                Ok(l) => l,
                Err(r) => return self.sanitize_refusal(r, op, dst, src),
            };
            info.state = if neg { NEG_VALUE } else { 0 } | if off_is_imm { IMMEDIATE } else { 0 } | if ptr_is_dst { SANITIZE_SRC } else { SANITIZE_DST };
            if !off_is_imm {
                self.explore_alu_limits = true;
            }
        } else {
            info.active = false;
        }
        if !off_is_imm {
            // The speculative path: the offset masked to 0, the destination the pointer itself.
            let keep = *self.cur.reg(dst);
            *self.cur.reg_mut(dst) = *ptr;
            let spec = self.cur.speculative;
            self.cur.speculative = true;
            let pushed = self.push_branch(self.pc + 1, self.pc);
            self.cur.speculative = spec;
            *self.cur.reg_mut(dst) = keep;
            pushed?;
        }
        Ok(info)
    }

    /// `sanitize_check_bounds`, then the commit of the window (`sanitize_ptr_alu` with
    /// commit_window): the pointer after the arithmetic must stay where masking can follow it.
    pub(super) fn sanitize_ptr_alu_post(&mut self, op: AluOp, dst: u8, src: Option<u8>, r: &Reg, info: Sanitize) -> VResult<()> {
        if self.allow_ptr_leaks {
            return Ok(());
        }
        match r.ty {
            PTR_TO_STACK => {
                let off = r.off as i64 + r.var.var_off.value as i64;
                if r.var.is_const().is_none() {
                    return refuse(
                        Errno::EACCES,
                        format!("R{dst} variable stack access prohibited for !root, var_off={} off={}", r.var.var_off.strn(), off as i32),
                    );
                }
                if off >= 0 || off < -512 {
                    return refuse(Errno::EACCES, format!("R{dst} stack pointer arithmetic goes out of range, prohibited for !root; off={}", off as i32));
                }
            }
            PTR_TO_MAP_VALUE => {
                let vs = self.input.maps[r.map as usize].value_size;
                let ok = self.check_region(dst, r, r.off, 1, vs, false).and_then(|_| self.check_map_fields(r, r.off, 1, false));
                if let Err(e) = ok {
                    // the access check's own words come first
                    self.log.line(&e.line);
                    return refuse(Errno::EACCES, format!("R{dst} pointer arithmetic of map value goes out of range, prohibited for !root"));
                }
            }
            _ => {}
        }
        if !info.active {
            return Ok(());
        }
        let now = match self.ptr_limit(r, info.mask_to_left) {
            Ok(l) => l,
            Err(reason) => return self.sanitize_refusal(reason, op, dst, src.unwrap_or(0)),
        };
        let pc = self.pc;
        let limit = (info.limit as i64 - now as i64).unsigned_abs() as u32;
        match self.record_sanitation(pc, info.state, limit) {
            Ok(()) => Ok(()),
            Err(reason) => self.sanitize_refusal(reason, op, dst, src.unwrap_or(0)),
        }
    }

    /// `sanitize_speculative_path` of a decided jump: the side not taken is walked too, as
    /// speculative, with the compared registers unknown.
    pub(super) fn push_speculative_branch(&mut self, to: usize, dst: u8, src: Option<u8>) -> VResult<()> {
        if self.allow_ptr_leaks {
            return Ok(());
        }
        let keep = self.cur.clone();
        self.cur.speculative = true;
        self.set_unknown(dst);
        if let Some(s) = src {
            self.set_unknown(s);
        }
        let pushed = self.push_branch(to, self.pc);
        self.cur = keep;
        pushed
    }

    /// Whether a refusal on the current path only ends it: on a speculative path the kernel
    /// fences the instruction (`error_recoverable_with_nospec`).
    pub(super) fn fenced(&self, errno: Errno) -> bool {
        self.cur.speculative && matches!(errno, Errno::EPERM | Errno::EACCES | Errno::EINVAL)
    }

    /// Before the walk: without CAP_BPF a program may neither call nor refer to another BPF
    /// function or a kfunc.
    pub(super) fn check_calls_capable(&self) -> VResult<()> {
        if self.bpf_capable {
            return Ok(());
        }
        let calls = self.ops.iter().any(|op| {
            matches!(op, Op::Call(Callee::Local(_) | Callee::Kfunc { .. }) | Op::Lddw { pseudo: Pseudo::Func, .. })
        });
        if calls {
            return refuse(Errno::EPERM, "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN");
        }
        Ok(())
    }

    /// A tail call site that saw two program arrays: without CAP_PERFMON the kernel cannot
    /// bound its map pointer under speculation (`bpf_map_ptr_poisoned`, found at fix-up).
    pub(super) fn record_tail_call_map(&mut self, pc: usize, map: u32) {
        let seen = &mut self.tail_call_maps[pc];
        match *seen {
            None => *seen = Some(map),
            Some(m) if m != map => self.tail_call_poisoned = true,
            _ => {}
        }
    }

    /// An atomic without fetch reads its old value as a scalar: without CAP_PERFMON a whole
    /// spilled pointer may not be read so (`check_stack_read_fixed_off` with no destination).
    pub(super) fn check_atomic_spill_leak(&self, d: &Reg, off: i32, size: crate::bpf::isa::Size) -> VResult<()> {
        if self.allow_ptr_leaks || d.ty != PTR_TO_STACK || size.bytes() != 8 {
            return Ok(());
        }
        let Some(v) = d.var.is_const() else { return Ok(()) };
        let off = d.off + off + v as i32;
        if !(-512..0).contains(&off) {
            return Ok(());
        }
        let spi = ((-off - 1) / 8) as usize;
        let st = &self.cur.frames[self.frame_of(d)].stack[spi];
        let full = st.bytes.iter().all(|b| *b == SlotByte::Spill);
        if st.is_spill() && full && st.spilled.ty != SCALAR {
            return refuse(Errno::EACCES, format!("leaking pointer from stack off {off}"));
        }
        Ok(())
    }

    pub(super) fn check_tail_call_maps(&self) -> VResult<()> {
        if self.tail_call_poisoned && !self.allow_ptr_leaks {
            return refuse(Errno::EINVAL, "tail_call abusing map_ptr");
        }
        Ok(())
    }
}
