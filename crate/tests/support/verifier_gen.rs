//! The verifier soundness fuzzer's generator and oracle, shared by `crate/tests/verifier_fuzz.rs`
//! (bounded proptest in CI, and an `#[ignore]`d long mode) and `crate/fuzz`'s `verifier` target.
//!
//! Programs are not random bytes (the verifier refuses nearly all of those) but a grammar of XDP
//! program shapes ([`Snippet`]) that the verifier mostly accepts and that exercise its risky rules:
//! packet bounds checks with random lengths, offsets and comparison forms (off by one now and
//! then), variable offsets bounded by masks or by signed/unsigned, 32/64-bit branches, map
//! lookups with and without their null check, stack spills, fills and variable-offset accesses,
//! pointer arithmetic, the helpers that move packet data (and accesses through pointers taken
//! before them), bpf_xdp_load_bytes/store_bytes, bounded loops, bpf-to-bpf calls, ring-buffer
//! records and dynptr slices. A mutation pass then flips immediates, offsets, registers, jump
//! targets, comparisons and access sizes in the assembled program.
//!
//! The oracle ([`check`]): every program the verifier accepts runs in the interpreter (never the
//! JIT) on random packets (64 to 73152 bytes, frags when the program has `xdp.frags`), random
//! ctx_in (metadata, linear length) and random map contents, with the main frame's stack the only
//! stack memory when the program makes no calls and array/hash maps of one entry, so that the
//! interpreter's bounds checks are as tight as the verifier's promise. A run that ends in
//! anything but a return value (or the instruction budget, for loops) is a verifier bug; so is
//! a panic in the verifier or the interpreter, or a verification that takes too long.

#![allow(dead_code)]

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};

use uxdp::bpf::disasm;
use uxdp::bpf::elf::{KsymExtern, MapSpec, Object, ProgKind, ProgramSpec};
pub use uxdp::bpf::insn::*;
use uxdp::bpf::loader::{self, LoadOptions};
use uxdp::bpf::memory::{Memory, Region, RegionKind, StackBuf};
use uxdp::bpf::test_run::{build_buff, XdpMd};
use uxdp::bpf::{Machine, Prog};
use uxdp::frame::XdpBuff;
use uxdp::pool::PagePool;
use uxdp::xdp::XdpHost;

// ---------------------------------------------------------------------------------------------
// Randomness: a byte string first (libFuzzer's input, so its mutations steer the choices), then
// splitmix64 from a seed.

pub struct FuzzRng {
    bytes: Vec<u8>,
    pos: usize,
    state: u64,
}

impl FuzzRng {
    pub fn seeded(seed: u64) -> FuzzRng {
        FuzzRng { bytes: Vec::new(), pos: 0, state: seed }
    }
    pub fn from_bytes(bytes: &[u8]) -> FuzzRng {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
        FuzzRng { bytes: bytes.to_vec(), pos: 0, state: h }
    }
    pub fn u64(&mut self) -> u64 {
        if self.pos < self.bytes.len() {
            let mut b = [0u8; 8];
            let n = (self.bytes.len() - self.pos).min(2);
            b[..n].copy_from_slice(&self.bytes[self.pos..self.pos + n]);
            self.pos += n;
            // Two bytes of input per choice, spread over the word (choices are mostly small).
            let v = u64::from_le_bytes(b);
            return v.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (v << 48) ^ v;
        }
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.u64() % n
        }
    }
    /// Inclusive range.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
    pub fn fill(&mut self, out: &mut [u8]) {
        for c in out.chunks_mut(8) {
            let v = self.u64().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Instruction builders.

pub fn mov(d: u8, s: u8) -> Insn {
    Insn::new(ALU64 | MOV | X, d, s, 0, 0)
}
pub fn movi(d: u8, imm: i32) -> Insn {
    Insn::new(ALU64 | MOV | K, d, 0, 0, imm)
}
pub fn alui(op: u8, d: u8, imm: i32) -> Insn {
    Insn::new(ALU64 | op | K, d, 0, 0, imm)
}
pub fn alu(op: u8, d: u8, s: u8) -> Insn {
    Insn::new(ALU64 | op | X, d, s, 0, 0)
}
pub fn alu32i(op: u8, d: u8, imm: i32) -> Insn {
    Insn::new(ALU | op | K, d, 0, 0, imm)
}
pub fn ldx(size: u8, d: u8, s: u8, off: i16) -> Insn {
    Insn::new(LDX | MEM | size, d, s, off, 0)
}
pub fn stx(size: u8, d: u8, s: u8, off: i16) -> Insn {
    Insn::new(STX | MEM | size, d, s, off, 0)
}
pub fn st(size: u8, d: u8, off: i16, imm: i32) -> Insn {
    Insn::new(ST | MEM | size, d, 0, off, imm)
}
pub fn call(id: i32) -> Insn {
    Insn::new(JMP | CALL, 0, 0, 0, id)
}
pub fn kcall(extern_index: i32) -> Insn {
    Insn::new(JMP | CALL, 0, PSEUDO_KFUNC_CALL, 0, extern_index)
}
pub fn exit() -> Insn {
    Insn::new(JMP | EXIT, 0, 0, 0, 0)
}

pub const SIZES: [u8; 4] = [B, H, W, DW];
pub fn bytes_of(size: u8) -> i64 {
    match size {
        B => 1,
        H => 2,
        W => 4,
        _ => 8,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Label {
    Out,
    L(u32),
    Sub(u32),
}

/// Instructions with symbolic jump targets, resolved by [`Asm::finish`].
#[derive(Default)]
pub struct Asm {
    pub insns: Vec<Insn>,
    fixups: Vec<(usize, Label, bool)>,
    labels: HashMap<Label, usize>,
    next: u32,
}

impl Asm {
    fn push(&mut self, i: Insn) {
        self.insns.push(i);
    }
    fn fresh(&mut self) -> Label {
        self.next += 1;
        Label::L(self.next)
    }
    fn bind(&mut self, l: Label) {
        self.labels.insert(l, self.insns.len());
    }
    /// `if dst OP imm goto l` (class JMP or JMP32).
    fn jif(&mut self, class: u8, op: u8, d: u8, imm: i32, l: Label) {
        self.fixups.push((self.insns.len(), l, false));
        self.insns.push(Insn::new(class | op | K, d, 0, 0, imm));
    }
    fn jifr(&mut self, class: u8, op: u8, d: u8, s: u8, l: Label) {
        self.fixups.push((self.insns.len(), l, false));
        self.insns.push(Insn::new(class | op | X, d, s, 0, 0));
    }
    fn ja(&mut self, l: Label) {
        self.fixups.push((self.insns.len(), l, false));
        self.insns.push(Insn::new(JMP | JA, 0, 0, 0, 0));
    }
    fn call_sub(&mut self, l: Label) {
        self.fixups.push((self.insns.len(), l, true));
        self.insns.push(Insn::new(JMP | CALL, 0, PSEUDO_CALL, 0, 0));
    }
    /// `r<d> = <subprogram l>` (lddw src=BPF_PSEUDO_FUNC): a callback's address.
    fn ld_func(&mut self, d: u8, l: Label) {
        self.fixups.push((self.insns.len(), l, true));
        self.insns.push(Insn::new(LD | DW | IMM, d, PSEUDO_FUNC, 0, 0));
        self.insns.push(Insn::new(0, 0, 0, 0, 0));
    }
    fn ld_map(&mut self, d: u8, map: i32) {
        self.insns.push(Insn::new(LD | DW | IMM, d, PSEUDO_MAP_IDX, 0, map));
        self.insns.push(Insn::new(0, 0, 0, 0, 0));
    }
    pub fn finish(mut self) -> Vec<Insn> {
        for (at, l, is_call) in std::mem::take(&mut self.fixups) {
            let target = self.labels[&l];
            let rel = target as i64 - at as i64 - 1;
            if is_call {
                self.insns[at].imm = rel as i32;
            } else {
                self.insns[at].off = rel as i16;
            }
        }
        self.insns
    }
}

// ---------------------------------------------------------------------------------------------
// The fixture: maps and kfunc externs every generated program may refer to.

pub const MAP_ARRAY: i32 = 0;
pub const MAP_HASH: i32 = 1;
pub const MAP_RINGBUF: i32 = 2;
pub const MAP_ARRAY4: i32 = 3;

pub const K_FROM_XDP: i32 = 0;
pub const K_SLICE: i32 = 1;
pub const K_SLICE_RDWR: i32 = 2;

const KFUNCS: [&str; 3] = ["bpf_dynptr_from_xdp", "bpf_dynptr_slice", "bpf_dynptr_slice_rdwr"];

#[derive(Clone, Debug)]
pub struct Fixture {
    pub array_value: u32,
    pub hash_value: u32,
    pub array4_value: u32,
}

impl Fixture {
    pub fn random(r: &mut FuzzRng) -> Fixture {
        let sz = |r: &mut FuzzRng| if r.chance(1, 2) { 8 * r.range(1, 8) as u32 } else { r.range(1, 64) as u32 };
        Fixture { array_value: sz(r), hash_value: sz(r), array4_value: 8 * r.range(1, 4) as u32 }
    }
    fn value_size(&self, map: i32) -> u32 {
        match map {
            MAP_ARRAY => self.array_value,
            MAP_HASH => self.hash_value,
            _ => self.array4_value,
        }
    }
    pub fn maps(&self) -> Vec<MapSpec> {
        let m = |name: &str, map_type: u32, key_size: u32, value_size: u32, max_entries: u32| MapSpec {
            name: name.into(),
            map_type,
            key_size,
            value_size,
            max_entries,
            ..MapSpec::default()
        };
        vec![
            m("array", 2, 4, self.array_value, 1),
            m("hash", 1, 4, self.hash_value, 1),
            m("ringbuf", 27, 0, 0, 4096),
            m("array4", 2, 4, self.array4_value, 4),
        ]
    }
    pub fn object(&self, insns: Vec<Insn>, frags: bool) -> Object {
        let spec = ProgramSpec {
            name: "fuzz".into(),
            section: if frags { "xdp.frags".into() } else { "xdp".into() },
            kind: ProgKind::Xdp,
            frags,
            autoload: true,
            insns,
            core_relos: Vec::new(),
            raw_map_fd: None,
            funcs: Vec::new(),
            lines: Vec::new(),
        };
        let externs = KFUNCS.iter().map(|n| KsymExtern { name: (*n).into(), weak: false, func: true, btf_type_id: 0 }).collect();
        Object { license: "GPL".into(), programs: vec![spec], maps: self.maps(), externs, ..Object::default() }
    }
}

// ---------------------------------------------------------------------------------------------
// The grammar. Between snippets r6 = ctx, r7 = data, r8 = data_end; r0-r5 and r9 are scratch.

const CTX: u8 = 6;
const DATA: u8 = 7;
const END: u8 = 8;

pub struct Gen<'r> {
    pub r: &'r mut FuzzRng,
    pub a: Asm,
    pub fx: Fixture,
    pub subs: Vec<Vec<Insn>>,
    /// Subprogram bodies by label, appended after the main program.
    sub_bodies: Vec<(Label, Box<dyn Fn(&mut Asm)>)>,
    nsub: u32,
    /// Per mille: how often a choice goes the wrong way (an off-by-one, a missing check).
    pub bad: u64,
}

impl<'r> Gen<'r> {
    /// Whether this choice is a wrong one.
    fn wrong(&mut self) -> bool {
        self.r.below(1000) < self.bad
    }

    fn off(&mut self) -> i16 {
        self.r.range(-4, 4) as i16
    }

    /// A length to check for: mostly small, sometimes around the MTU or huge.
    fn len(&mut self) -> i32 {
        if self.wrong() {
            return self.r.pick(&[0xffff, 0x7fff_ffff, -1, 0x10000, 0x1_0000 - 1, 0, -14]);
        }
        match self.r.below(10) {
            0 => self.r.range(1500, 4000) as i32,
            1 => self.r.range(3500, 3530) as i32,
            _ => self.r.range(1, 80) as i32,
        }
    }

    /// An access at `[off, off + size)` that a check for `n` bytes covers, mostly; now and then
    /// one byte past (or before).
    fn access_off(&mut self, n: i64, size: i64) -> i64 {
        if self.wrong() {
            return match self.r.below(3) {
                0 => n - size + 1,
                1 => -1,
                _ => self.r.range(-8, n + 8),
            };
        }
        if n >= size {
            // The edges more often than the middle.
            match self.r.below(4) {
                0 => 0,
                1 => n - size,
                _ => self.r.range(0, n - size),
            }
        } else {
            0
        }
    }

    fn access_p(&mut self, base: u8, off: i64, size: u8, num: u64, den: u64) {
        let write = self.r.chance(num, den);
        self.access(base, off, size, write);
    }

    fn access(&mut self, base: u8, off: i64, size: u8, write: bool) {
        let off = off.clamp(i16::MIN as i64, i16::MAX as i64) as i16;
        if write {
            if self.r.chance(1, 2) {
                let imm = self.r.u64() as i32;
                self.a.push(st(size, base, off, imm));
            } else {
                self.a.push(movi(0, self.r.u64() as i32));
                self.a.push(stx(size, base, 0, off));
            }
        } else {
            let d = self.r.pick(&[0, 1, 2, 5]);
            self.a.push(ldx(size, d, base, off));
        }
    }

    /// `if rd > rlimit goto out` in one of its forms, leaving the fall-through side as the one
    /// where `rd <= rlimit` (or, now and then, a wrong form).
    fn bound_check(&mut self, rd: u8, rlimit: u8) {
        let out = Label::Out;
        let form = if self.wrong() { self.r.range(6, 8) } else { self.r.range(0, 5) };
        match form {
            0 => self.a.jifr(JMP, JGT, rd, rlimit, out),
            1 => self.a.jifr(JMP, JLT, rlimit, rd, out),
            2 => self.a.jifr(JMP, JGE, rd, rlimit, out),
            3 => self.a.jifr(JMP, JLE, rlimit, rd, out),
            4 => {
                // if rd <= rlimit goto ok; goto out; ok:
                let ok = self.a.fresh();
                self.a.jifr(JMP, JLE, rd, rlimit, ok);
                self.a.ja(out);
                self.a.bind(ok);
            }
            5 => {
                let ok = self.a.fresh();
                self.a.jifr(JMP, JGE, rlimit, rd, ok);
                self.a.ja(out);
                self.a.bind(ok);
            }
            // Wrong ones: the branch taken the other way, a 32-bit compare, a signed compare.
            6 => self.a.jifr(JMP, JLE, rd, rlimit, out),
            7 => self.a.jifr(JMP32, JGT, rd, rlimit, out),
            _ => self.a.jifr(JMP, self.r.pick(&[JSGT, JNE, JEQ, JSGE]), rd, rlimit, out),
        }
    }

    /// r3 = data + n; check against data_end.
    fn pkt_check(&mut self, n: i32) {
        self.a.push(mov(3, DATA));
        self.a.push(alui(ADD, 3, n));
        self.bound_check(3, END);
    }

    fn reload_pkt(&mut self) {
        self.a.push(ldx(W, DATA, CTX, 0));
        self.a.push(ldx(W, END, CTX, 4));
    }

    /// An unknown scalar in `d`: a random number, a ctx field, a packet byte, a map value.
    fn unknown(&mut self, d: u8) {
        match self.r.below(4) {
            0 | 1 => {
                self.a.push(call(7)); // bpf_get_prandom_u32
                if self.r.chance(1, 5) {
                    // A full 64-bit unknown.
                    self.a.push(alui(LSH, 0, 32));
                    self.a.push(mov(1, 0));
                    self.a.push(call(7));
                    self.a.push(alu(OR, 0, 1));
                }
                self.a.push(mov(d, 0));
            }
            2 => {
                self.pkt_check(8);
                self.a.push(ldx(self.r.pick(&SIZES), d, DATA, 0));
            }
            _ => {
                if self.wrong() {
                    let size = self.r.pick(&[B, H, W]);
                    self.a.push(ldx(size, d, CTX, self.r.pick(&[0, 4, 8, 12, 16]) as i16 + self.r.range(0, 3) as i16));
                } else {
                    self.a.push(ldx(W, d, CTX, self.r.pick(&[12, 16])));
                }
            }
        }
    }

    /// Bounds `d` by a mask or by branches; returns the largest value the fall-through side
    /// should have if the bound is one the verifier understands.
    fn bound(&mut self, d: u8) -> i64 {
        let out = Label::Out;
        match self.r.below(10) {
            0 | 1 => {
                let m = self.r.pick(&[0x7, 0xf, 0x3f, 0xff, 0x7ff, 0xffff, 0x1f8, 0x3c]);
                if self.r.chance(1, 3) {
                    self.a.push(alu32i(AND, d, m));
                } else {
                    self.a.push(alui(AND, d, m));
                }
                m as i64
            }
            2 => {
                let k = self.r.range(0, 300) as i32;
                self.a.jif(JMP, self.r.pick(&[JGT, JGE]), d, k, out);
                k as i64
            }
            3 => {
                let k = self.r.range(0, 300) as i32;
                self.a.jif(JMP32, self.r.pick(&[JGT, JGE]), d, k, out);
                k as i64
            }
            4 => {
                let k = self.r.range(0, 300) as i32;
                self.a.jif(JMP, JSGT, d, k, out);
                if !self.wrong() {
                    self.a.jif(self.r.pick(&[JMP, JMP32]), self.r.pick(&[JSLT, JSLE]), d, self.r.range(-1, 1) as i32, out);
                }
                k as i64
            }
            5 => {
                // if d < k goto ok; goto out; ok:
                let k = self.r.range(0, 300) as i32;
                let ok = self.a.fresh();
                self.a.jif(self.r.pick(&[JMP, JMP32]), self.r.pick(&[JLT, JLE, JSLT]), d, k, ok);
                self.a.ja(out);
                self.a.bind(ok);
                k as i64
            }
            6 => {
                // Compared with a register holding the bound.
                let k = self.r.range(0, 300) as i32;
                self.a.push(movi(9, k));
                self.a.jifr(self.r.pick(&[JMP, JMP32]), self.r.pick(&[JGT, JGE, JSGT]), d, 9, out);
                k as i64
            }
            7 => {
                let s = self.r.range(50, 60) as i32;
                self.a.push(alui(LSH, d, s));
                self.a.push(alui(self.r.pick(&[RSH, ARSH]), d, s));
                (1i64 << (64 - s)) - 1
            }
            8 => {
                let k = self.r.range(1, 64) as i32;
                self.a.push(Insn::new(self.r.pick(&[ALU64, ALU]) | self.r.pick(&[MOD, DIV]) | K, d, 0, 0, k));
                k as i64
            }
            _ => {
                // Mask then shift or add a constant.
                self.a.push(alui(AND, d, 0xff));
                let c = self.r.range(-8, 64) as i32;
                self.a.push(alui(self.r.pick(&[ADD, SUB, LSH, RSH, MUL, OR, XOR]), d, c.max(0) % 8 + if c < 0 { 0 } else { 0 }));
                0x7f8
            }
        }
    }

    /// A bound learnt through a linked copy: a register copy (64- or 32-bit, maybe plus a
    /// constant) or a stack spill bounded on one side and used on the other.
    fn linked(&mut self, d: u8) -> i64 {
        let k = if self.r.chance(2, 3) { self.r.range(0, 40) } else { 0 };
        match self.r.below(4) {
            0 => {
                self.a.push(mov(5, d));
                if k != 0 {
                    self.a.push(alui(ADD, 5, k as i32));
                }
                let max = self.bound(d);
                self.a.push(mov(d, 5));
                max + k
            }
            1 => {
                self.a.push(mov(5, d));
                if k != 0 {
                    self.a.push(alui(self.r.pick(&[ADD, SUB]), 5, k as i32));
                }
                self.bound(5)
            }
            2 => {
                self.a.push(Insn::new(ALU | MOV | X, 5, d, 0, 0));
                let max = self.bound(5);
                self.a.push(mov(d, 5));
                max
            }
            _ => {
                let size = self.r.pick(&[B, H, W, DW]);
                self.a.push(stx(size, 10, d, -24));
                let max = self.bound(d);
                self.a.push(ldx(self.r.pick(&[B, W, DW]), d, 10, -24));
                max
            }
        }
    }

    /// Transforms a scalar through ALU ops the bounds domain must follow (32-bit wrap-arounds,
    /// sign extensions, negations, shifts, byte swaps), then bounds it again.
    fn scalar_chain(&mut self, d: u8) -> i64 {
        let mut max = if self.r.chance(1, 4) { self.linked(d) } else { self.bound(d) };
        for _ in 0..self.r.range(0, 3) {
            let k = self.r.range(-40, 40) as i32;
            let i = match self.r.below(16) {
                0 => alu32i(SUB, d, k),
                1 => alu32i(ADD, d, k),
                2 => alui(SUB, d, k),
                3 => alui(ARSH, d, self.r.range(0, 7) as i32),
                4 => Insn::new(ALU64 | NEG, d, 0, 0, 0),
                5 => Insn::new(ALU | NEG, d, 0, 0, 0),
                6 => Insn::new(ALU | MOV | X, d, d, 0, 0),
                7 => Insn::new(ALU64 | MOV | X, d, d, self.r.pick(&[8, 16, 32]), 0),
                8 => Insn::new(ALU | MOV | X, d, d, self.r.pick(&[8, 16]), 0),
                9 => alui(XOR, d, k),
                10 => alui(OR, d, k.abs()),
                11 => alu32i(LSH, d, self.r.range(0, 31) as i32),
                12 => Insn::new(ALU | END | self.r.pick(&[TO_LE, TO_BE]), d, 0, 0, self.r.pick(&[16, 32, 64])),
                13 => alu32i(self.r.pick(&[MUL, AND, RSH, ARSH, MOD, DIV]), d, k.abs().max(1)),
                14 => Insn::new(ALU64 | self.r.pick(&[MOD, DIV]) | K, d, 0, 1, k.abs().max(1)),
                _ => alu32i(XOR, d, k),
            };
            self.a.push(i);
        }
        let out = Label::Out;
        // A second bound, sometimes in two halves.
        match self.r.below(4) {
            0 => {
                let k = self.r.range(0, 255) as i32;
                self.a.jif(self.r.pick(&[JMP, JMP32]), self.r.pick(&[JSLT, JLT]), d, 0, out);
                self.a.jif(self.r.pick(&[JMP, JMP32]), self.r.pick(&[JSGT, JGT]), d, k, out);
                max = k as i64;
            }
            1 => {
                // jset / jeq refinements
                let m = self.r.pick(&[0xffff_ff00u32 as i32, !0xff, -256, 0x100, 1]);
                self.a.jif(JMP, JSET, d, m, out);
                max = max.max(0xff);
            }
            2 => max = self.bound(d),
            _ => {
                let k = self.r.range(0, 255) as i32;
                self.a.push(movi(9, k));
                self.a.jifr(self.r.pick(&[JMP, JMP32]), self.r.pick(&[JLT, JSLT]), 9, d, out);
                self.a.jif(JMP, self.r.pick(&[JSLT, JSLE]), d, self.r.range(-1, 0) as i32, out);
                max = k as i64;
            }
        }
        max
    }

    fn pkt_const(&mut self) {
        let n = self.len();
        let size = self.r.pick(&SIZES);
        let write = self.r.chance(1, 3);
        let off = self.access_off(n as i64, bytes_of(size));
        self.pkt_check(n);
        if self.r.chance(1, 3) {
            // Through the checked register, with a negative offset.
            self.access(3, off - n as i64, size, write);
        } else {
            self.access(DATA, off, size, write);
        }
    }

    fn pkt_var(&mut self) {
        self.unknown(4);
        let max = if self.r.chance(1, 2) { self.scalar_chain(4) } else { self.bound(4) };
        let size = self.r.pick(&SIZES);
        let write = self.r.chance(1, 3);
        self.a.push(mov(3, DATA));
        if self.r.chance(1, 2) {
            // Add, then check the sum (plus the access's size) against data_end.
            let n = (bytes_of(size) + self.r.range(0, 16)) as i32;
            self.a.push(alu(ADD, 3, 4));
            self.a.push(mov(5, 3));
            self.a.push(alui(ADD, 5, n));
            self.bound_check(5, END);
            let off = self.access_off(n as i64, bytes_of(size));
            self.access(3, off, size, write);
        } else {
            // Add the bounded offset and a constant, then check.
            let c = self.r.range(-4, 20) as i32;
            self.a.push(alu(ADD, 3, 4));
            self.a.push(alui(ADD, 3, c));
            let n = (bytes_of(size) + self.r.range(0, 16)) as i32;
            self.a.push(mov(5, 3));
            self.a.push(alui(ADD, 5, n));
            self.bound_check(5, END);
            let off = self.access_off(n as i64, bytes_of(size));
            self.access(3, off, size, write);
            let _ = max;
        }
    }

    /// r0 = lookup(map, &key); maybe a null check. Leaves the value pointer in r0 (and r9).
    fn lookup(&mut self, map: i32) -> bool {
        let key = if self.r.chance(3, 4) { 0 } else { self.r.range(-1, 5) as i32 };
        self.a.push(st(W, 10, -4, key));
        self.a.push(mov(2, 10));
        self.a.push(alui(ADD, 2, -4));
        self.a.ld_map(1, map);
        self.a.push(call(1));
        let form = if self.wrong() { self.r.below(2) } else { self.r.range(2, 9) as u64 };
        let checked = match form {
            0 => false,
            1 => {
                // The check the wrong way round.
                self.a.jif(JMP, JNE, 0, 0, Label::Out);
                false
            }
            2 => {
                let ok = self.a.fresh();
                self.a.jif(JMP, JNE, 0, 0, ok);
                self.a.ja(Label::Out);
                self.a.bind(ok);
                true
            }
            _ => {
                self.a.jif(JMP, JEQ, 0, 0, Label::Out);
                true
            }
        };
        self.a.push(mov(9, 0));
        checked
    }

    fn map_access(&mut self) {
        let map = self.r.pick(&[MAP_ARRAY, MAP_HASH, MAP_ARRAY4]);
        let vs = self.fx.value_size(map) as i64;
        let var = self.r.chance(1, 3);
        if var {
            self.unknown(4);
            let max = if self.r.chance(1, 2) { self.scalar_chain(4) } else { self.bound(4) };
            self.a.push(stx(DW, 10, 4, -16));
            self.lookup(map);
            self.a.push(ldx(DW, 4, 10, -16));
            self.a.push(alu(ADD, 9, 4));
            let size = self.r.pick(&SIZES);
            let off = self.access_off((vs - max).max(0), bytes_of(size));
            self.access_p(9, off, size, 1, 2);
        } else {
            self.lookup(map);
            for _ in 0..self.r.range(1, 3) {
                let size = self.r.pick(&SIZES);
                let off = self.access_off(vs, bytes_of(size));
                self.access_p(9, off, size, 1, 2);
            }
        }
        if self.wrong() {
            // Pointer arithmetic on the value pointer, then an access back inside.
            let d = self.r.range(-16, 16) as i32;
            self.a.push(alui(self.r.pick(&[ADD, SUB]), 9, d));
            let size = self.r.pick(&SIZES);
            let off = self.r.range(-20, vs + 4);
            self.access(9, off, size, false);
        }
    }

    fn stack(&mut self) {
        for _ in 0..self.r.range(1, 4) {
            match self.r.below(8) {
                0 | 1 => {
                    let size = self.r.pick(&SIZES);
                    let off = if self.wrong() {
                        self.r.range(-530, 8)
                    } else {
                        -8 * self.r.range(1, 64) + bytes_of(size) * self.r.range(0, 8 / bytes_of(size) - 1)
                    };
                    self.access_p(10, off, size, 1, 2);
                }
                2 => {
                    // Spill data, fill it (maybe partially, maybe after clobbering a byte), use it.
                    let slot = -8 * self.r.range(1, 8) as i16;
                    self.a.push(stx(DW, 10, DATA, slot));
                    if self.wrong() {
                        self.a.push(st(B, 10, slot + self.r.range(0, 7) as i16, 0));
                    }
                    let (size, d) = if self.wrong() { (self.r.pick(&[W, H, B]), self.r.range(0, 4) as i16) } else { (DW, 0) };
                    self.a.push(ldx(size, 3, 10, slot + d));
                    self.a.push(mov(4, 3));
                    let n = self.r.range(1, 40) as i32;
                    self.a.push(alui(ADD, 4, n));
                    self.bound_check(4, END);
                    let sz = self.r.pick(&SIZES);
                    let off = self.access_off(n as i64, bytes_of(sz));
                    self.access_p(3, off, sz, 1, 3);
                }
                3 => {
                    // Variable-offset stack access.
                    self.unknown(4);
                    let max = self.bound(4);
                    let base = if self.wrong() { self.r.range(1, 80) } else { (max + 8 + self.r.range(0, 16)).min(512) } as i32;
                    if self.r.chance(1, 2) {
                        for i in 0..((base + 7) / 8).min(64) {
                            self.a.push(st(DW, 10, (-8 * (i + 1)) as i16, 0));
                        }
                    }
                    self.a.push(mov(3, 10));
                    self.a.push(alui(ADD, 3, -base));
                    self.a.push(alu(ADD, 3, 4));
                    let sz = self.r.pick(&SIZES);
                    let off = self.off() as i64;
                    self.access_p(3, off, sz, 1, 2);
                }
                4 => {
                    // Spill a map value pointer or ctx, fill, use.
                    self.a.push(stx(DW, 10, CTX, -24));
                    self.a.push(ldx(DW, 1, 10, -24));
                    if self.wrong() {
                        let off = self.r.pick(&[0, 4, 8, 12, 16, 20, 24, 2, -4]);
                        self.a.push(ldx(self.r.pick(&[W, W, W, DW, B]), 0, 1, off));
                    } else {
                        self.a.push(ldx(W, 0, 1, self.r.pick(&[0, 4, 8, 12, 16])));
                    }
                }
                5 => {
                    // Scalar spill/fill keeps bounds: a bounded index through the stack.
                    self.unknown(4);
                    let max = self.bound(4);
                    self.a.push(stx(self.r.pick(&[DW, DW, W]), 10, 4, -32));
                    self.a.push(ldx(self.r.pick(&[DW, DW, W, H]), 4, 10, -32));
                    let slack = if self.wrong() { self.r.range(-2, 0) } else { self.r.range(0, 8) };
                    let n = (max + slack).clamp(0, 0xffff) as i32;
                    self.a.push(mov(3, DATA));
                    self.a.push(alui(ADD, 3, n + 1));
                    self.bound_check(3, END);
                    self.a.push(mov(3, DATA));
                    self.a.push(alu(ADD, 3, 4));
                    self.access(3, 0, B, false);
                }
                6 => {
                    // An atomic on the stack.
                    self.a.push(st(DW, 10, -40, 1));
                    self.a.push(movi(1, self.r.range(-3, 3) as i32));
                    let op = self.r.pick(&[ADD, OR, AND, XOR, ADD | ATOMIC_FETCH as u8]);
                    let size = self.r.pick(&[W, DW]);
                    self.a.push(Insn::new(STX | ATOMIC | size, 10, 1, -40 + self.r.range(-1, 1) as i16 * 4, op as i32));
                }
                _ => {
                    // Uninitialised read of a fresh slot.
                    let off = -8 * self.r.range(48, 64);
                    self.a.push(ldx(self.r.pick(&SIZES), 0, 10, off as i16));
                }
            }
        }
    }

    fn adjust(&mut self) {
        let (id, delta) = match self.r.below(3) {
            0 => (44, self.r.pick(&[-64, -14, -1, 0, 1, 14, 64, 256, -256, 4000])),
            1 => (65, self.r.pick(&[-64, -14, -1, 0, 1, 14, 64, 256, -256, 4000])),
            _ => (54, self.r.pick(&[-64, -32, -8, -4, 0, 4, 8, -3, 32])),
        };
        let use_old = self.wrong();
        if use_old {
            self.pkt_check(16);
            self.a.push(mov(9, DATA));
        }
        self.a.push(mov(1, CTX));
        self.a.push(movi(2, delta));
        self.a.push(call(id));
        if self.r.chance(1, 2) {
            self.a.jif(JMP, JNE, 0, 0, Label::Out);
        }
        if use_old {
            self.a.push(ldx(B, 0, self.r.pick(&[9, DATA, END]), 0));
        }
        self.reload_pkt();
        if id == 54 || self.r.chance(1, 4) {
            // Metadata: data_meta + n <= data.
            self.a.push(ldx(W, 2, CTX, 8));
            self.a.push(mov(3, 2));
            let n = self.r.range(1, 40) as i32;
            self.a.push(alui(ADD, 3, n));
            self.bound_check(3, DATA);
            let sz = self.r.pick(&SIZES);
            let off = self.access_off(n as i64, bytes_of(sz));
            self.access_p(2, off, sz, 1, 2);
        }
    }

    fn load_bytes(&mut self) {
        let id = if self.r.chance(1, 2) { 189 } else { 190 };
        let buf = 8 * self.r.range(1, 16) as i32;
        if id == 190 || self.r.chance(1, 3) {
            for i in 0..buf / 8 {
                self.a.push(st(DW, 10, (-8 * (i + 1)) as i16, i));
            }
        }
        let var_len = self.r.chance(1, 3);
        if var_len {
            self.unknown(4);
            let _ = self.bound(4);
            self.a.push(stx(DW, 10, 4, -(buf as i16) - 8));
        }
        self.a.push(mov(1, CTX));
        if self.r.chance(1, 4) {
            self.a.push(call(7));
            self.a.push(alui(AND, 0, 0xffff));
            self.a.push(mov(2, 0));
            self.a.push(mov(1, CTX));
        } else {
            self.a.push(movi(2, self.r.pick(&[0, 1, 14, 60, 1500, 3600, 70000, -1])));
        }
        self.a.push(mov(3, 10));
        self.a.push(alui(ADD, 3, -buf));
        if var_len {
            self.a.push(ldx(DW, 4, 10, -(buf as i16) - 8));
        } else {
            let len = if self.wrong() { self.r.pick(&[buf + 1, 0, buf + 8]) } else { self.r.range(1, buf as i64) as i32 };
            self.a.push(movi(4, len));
        }
        self.a.push(call(id));
        if self.r.chance(1, 3) {
            self.a.push(ldx(self.r.pick(&SIZES), 0, 10, -(self.r.range(1, buf as i64 + 8) as i16)));
        }
    }

    fn lp(&mut self) {
        let n = self.r.range(1, 40) as i32;
        self.a.push(movi(9, 0));
        let top = self.a.fresh();
        self.a.bind(top);
        match self.r.below(3) {
            0 => {
                self.a.push(mov(3, DATA));
                self.a.push(alu(ADD, 3, 9));
                self.a.push(mov(4, 3));
                self.a.push(alui(ADD, 4, 1));
                self.bound_check(4, END);
                self.access_p(3, 0, B, 1, 3);
            }
            1 => {
                // The counter indexes the stack.
                self.a.push(mov(3, 10));
                self.a.push(alui(ADD, 3, -8 * (n.min(60) + 1)));
                self.a.push(alu(ADD, 3, 9));
                let o = self.off();
                self.access(3, o.into(), B, true);
            }
            _ => {
                self.a.push(stx(DW, 10, 9, -48));
                self.lookup(MAP_ARRAY);
                self.a.push(ldx(DW, 9, 10, -48));
                let size = self.r.pick(&SIZES);
                let vs = self.fx.array_value as i64;
                let off = self.access_off(vs, bytes_of(size));
                self.a.push(mov(3, 0));
                self.access(3, off, size, false);
            }
        }
        if self.r.chance(1, 4) {
            self.a.push(stx(DW, 10, 9, -48));
        }
        let step = if self.wrong() { self.r.pick(&[2, 3]) } else { 1 };
        self.a.push(alui(ADD, 9, step));
        if self.r.chance(1, 3) {
            self.a.push(stx(DW, 10, 9, -48));
        }
        self.a.jif(self.r.pick(&[JMP, JMP32]), self.r.pick(&[JLT, JLT, JLE, JNE, JSLT]), 9, n, top);
    }

    fn subprog(&mut self) {
        self.nsub += 1;
        let l = Label::Sub(self.nsub);
        let size = self.r.pick(&SIZES);
        let kind = self.r.below(4);
        let n = self.r.range(1, 48);
        let off = self.access_off(n, bytes_of(size));
        let write = self.r.chance(1, 3);
        match kind {
            0 => {
                // A stack pointer into the callee.
                for i in 0..(n + 7) / 8 {
                    self.a.push(st(DW, 10, (-8 * (i + 1) - 64) as i16, 0));
                }
                self.a.push(mov(1, 10));
                self.a.push(alui(ADD, 1, -64 - 8 * ((n as i32 + 7) / 8)));
            }
            1 => {
                self.pkt_check(n as i32);
                self.a.push(mov(1, DATA));
            }
            2 => {
                let vs = self.fx.array_value as i64;
                self.lookup(MAP_ARRAY);
                self.a.push(mov(1, 0));
                let _ = vs;
            }
            _ => {
                // ctx: the callee checks the packet itself.
                self.a.push(mov(1, CTX));
            }
        }
        self.a.push(movi(2, n as i32));
        self.a.call_sub(l);
        if self.r.chance(1, 4) {
            // A callee's return used as an offset.
            self.a.push(alui(AND, 0, 0xf));
            self.pkt_check(16);
            self.a.push(mov(3, DATA));
            self.a.push(alu(ADD, 3, 0));
            self.access(3, 0, B, false);
        }
        let vs = self.fx.array_value as i64;
        let moff = self.access_off(vs, bytes_of(size));
        let poff = self.access_off(n, bytes_of(size));
        let deep = self.r.chance(1, 4);
        self.sub_bodies.push((
            l,
            Box::new(move |a: &mut Asm| {
                match kind {
                    0 | 1 => {
                        if write {
                            a.push(st(size, 1, off as i16, 7));
                        } else {
                            a.push(ldx(size, 0, 1, off as i16));
                        }
                    }
                    2 => a.push(ldx(size, 0, 1, moff as i16)),
                    _ => {
                        a.push(ldx(W, 2, 1, 0));
                        a.push(ldx(W, 3, 1, 4));
                        a.push(mov(4, 2));
                        a.push(alui(ADD, 4, poff as i32 + bytes_of(size) as i32));
                        let l = a.fresh();
                        a.jifr(JMP, JGT, 4, 3, l);
                        a.push(ldx(size, 0, 2, poff as i16));
                        a.bind(l);
                    }
                }
                if deep {
                    // The callee's own stack, and a pointer to it kept in r0.
                    a.push(st(DW, 10, -8, 1));
                    a.push(mov(0, 10));
                    a.push(alui(ADD, 0, -8));
                    a.push(ldx(DW, 0, 0, 0));
                }
                a.push(movi(0, 3));
                a.push(exit());
            }),
        ));
    }

    /// bpf_loop with a callback that counts into the caller's stack (fp-88) through its ctx,
    /// the count then used by the caller as an index into a map value or the stack: the
    /// verifier must see every count the loop can reach (its nr: constant, masked or unknown),
    /// and the interpreter runs the loop for real.
    fn bpf_loop(&mut self) {
        self.nsub += 1;
        let l = Label::Sub(self.nsub);
        let init = if self.r.chance(3, 4) { 0 } else { self.r.range(0, 8) as i32 };
        self.a.push(st(DW, 10, -88, init));
        match self.r.below(3) {
            0 => self.a.push(movi(1, self.r.range(0, 20) as i32)),
            1 => {
                self.a.push(call(7));
                self.a.push(mov(1, 0));
                self.a.push(alui(AND, 1, self.r.pick(&[3, 7, 15, 31])));
            }
            _ => {
                self.a.push(call(7));
                self.a.push(mov(1, 0));
            }
        }
        self.a.ld_func(2, l);
        self.a.push(mov(3, 10));
        self.a.push(alui(ADD, 3, -88));
        self.a.push(movi(4, 0));
        self.a.push(call(181));
        let step = if self.r.chance(3, 4) { 1 } else { self.r.range(2, 4) as i32 };
        let ret = if self.wrong() { self.r.pick(&[2, -1]) } else { self.r.pick(&[0, 0, 0, 1]) };
        let stop_early = self.r.chance(1, 4);
        let clobber = self.r.chance(1, 8);
        self.sub_bodies.push((
            l,
            Box::new(move |a: &mut Asm| {
                if clobber {
                    // The count made unknown: the caller must not trust it.
                    a.push(mov(6, 2));
                    a.push(call(7));
                    a.push(stx(DW, 6, 0, 0));
                } else {
                    a.push(ldx(DW, 3, 2, 0));
                    a.push(alui(ADD, 3, step));
                    a.push(stx(DW, 2, 3, 0));
                }
                a.push(movi(0, ret));
                if stop_early {
                    // Stop when the index (r1) reaches 2.
                    let l = a.fresh();
                    a.jif(JMP, JLT, 1, 2, l);
                    a.push(movi(0, 1));
                    a.bind(l);
                }
                a.push(exit());
            }),
        ));
        // The count as an index.
        self.a.push(ldx(DW, 9, 10, -88));
        if self.r.chance(1, 3) {
            self.a.push(alui(AND, 9, self.r.pick(&[7, 15, 31, 63])));
        }
        if self.r.chance(1, 2) {
            let vs = self.fx.array_value as i64;
            let _ = vs;
            if !self.lookup(MAP_ARRAY) && !self.wrong() {
                return;
            }
            self.a.push(ldx(DW, 9, 10, -88));
            self.a.push(mov(3, 0));
            self.a.push(alu(ADD, 3, 9));
            let write = self.r.chance(1, 2);
            self.access(3, 0, B, write);
        } else {
            self.a.push(mov(3, 10));
            self.a.push(alui(ADD, 3, -64));
            self.a.push(alu(ADD, 3, 9));
            self.access(3, 0, B, true);
        }
    }

    fn ringbuf(&mut self) {
        let size = if self.wrong() { self.r.pick(&[4096, 5000, 0, -1]) } else { self.r.pick(&[8, 16, 24, 64, 1, 3, 40]) };
        self.a.ld_map(1, MAP_RINGBUF);
        self.a.push(movi(2, size));
        self.a.push(movi(3, 0));
        self.a.push(call(131));
        if !self.wrong() {
            self.a.jif(JMP, JEQ, 0, 0, Label::Out);
        }
        self.a.push(mov(9, 0));
        for _ in 0..self.r.range(1, 3) {
            let sz = self.r.pick(&SIZES);
            let off = self.access_off(size as i64, bytes_of(sz));
            self.access_p(9, off, sz, 2, 3);
        }
        match if self.wrong() { self.r.below(3) } else { 3 } {
            0 => {} // leaked
            1 => {
                self.a.push(mov(1, 9));
                self.a.push(movi(2, 0));
                self.a.push(call(132));
                self.a.push(ldx(B, 0, 9, 0)); // after submit
            }
            2 => {
                self.a.push(mov(1, 9));
                self.a.push(alui(ADD, 1, self.r.pick(&[1, 8, -8])));
                self.a.push(movi(2, 0));
                self.a.push(call(132));
            }
            _ => {
                self.a.push(mov(1, 9));
                self.a.push(movi(2, 0));
                self.a.push(call(self.r.pick(&[132, 133])));
            }
        }
    }

    fn dynptr(&mut self) {
        self.a.push(mov(1, CTX));
        self.a.push(movi(2, 0));
        self.a.push(mov(3, 10));
        self.a.push(alui(ADD, 3, -16));
        self.a.push(kcall(K_FROM_XDP));
        let buf = self.r.pick(&[1, 4, 8, 14, 16, 32, 40, 64]);
        let len = if self.wrong() { self.r.pick(&[buf + 1, 0]) } else { self.r.range(1, buf as i64) as i32 };
        let rdwr = self.r.chance(1, 3);
        self.a.push(mov(1, 10));
        self.a.push(alui(ADD, 1, -16));
        if self.r.chance(1, 4) {
            self.a.push(call(7));
            self.a.push(alui(AND, 0, 0x3fff));
            self.a.push(mov(2, 0));
            self.a.push(mov(1, 10));
            self.a.push(alui(ADD, 1, -16));
        } else {
            self.a.push(movi(2, self.r.pick(&[0, 1, 14, 100, 3500, 3519, 3600, 5000, 70000])));
        }
        if self.r.chance(1, 5) {
            self.a.push(movi(3, 0));
        } else {
            self.a.push(mov(3, 10));
            self.a.push(alui(ADD, 3, -16 - ((buf + 7) / 8 * 8)));
        }
        self.a.push(movi(4, len));
        self.a.push(kcall(if rdwr { K_SLICE_RDWR } else { K_SLICE }));
        if !self.wrong() {
            self.a.jif(JMP, JEQ, 0, 0, Label::Out);
        }
        for _ in 0..self.r.range(1, 3) {
            let sz = self.r.pick(&SIZES);
            let off = self.access_off(len as i64, bytes_of(sz));
            self.access_p(0, off, sz, 1, 2);
        }
        if self.r.chance(1, 4) {
            // bpf_dynptr_read / bpf_dynptr_write.
            let n = self.r.range(1, 24) as i32;
            self.a.push(mov(1, 10));
            self.a.push(alui(ADD, 1, -96));
            self.a.push(movi(2, n));
            self.a.push(mov(3, 10));
            self.a.push(alui(ADD, 3, -16));
            self.a.push(movi(4, self.r.pick(&[0, 10, 3510, 3600])));
            self.a.push(movi(5, 0));
            if self.r.chance(1, 2) {
                self.a.push(call(201));
            } else {
                self.a.push(mov(3, 1));
                self.a.push(mov(1, 10));
                self.a.push(alui(ADD, 1, -16));
                self.a.push(mov(2, 4));
                self.a.push(movi(4, n));
                self.a.push(call(202));
            }
        }
    }

    fn ctx_load(&mut self) {
        let (size, off) = if self.wrong() {
            (self.r.pick(&[W, DW, H, B]), self.r.pick(&[0, 4, 8, 12, 16, 20, 24, 1, 2, 3, -4, 28]))
        } else {
            (W, self.r.pick(&[0, 4, 8, 12, 16, 20]))
        };
        let d = self.r.pick(&[0, 1, 2]);
        self.a.push(ldx(size, d, CTX, off));
        if self.wrong() {
            self.a.push(st(W, CTX, off, 0));
        }
    }

    fn ptr_arith(&mut self) {
        self.a.push(mov(3, DATA));
        let mut acc = 0i64;
        for _ in 0..self.r.range(1, 3) {
            let form = if self.wrong() { self.r.range(4, 8) } else { self.r.range(0, 3) };
            match form {
                0 | 1 => {
                    let k = self.r.range(-16, 64);
                    self.a.push(alui(ADD, 3, k as i32));
                    acc += k;
                }
                2 => {
                    let k = self.r.range(-16, 64);
                    self.a.push(alui(SUB, 3, k as i32));
                    acc -= k;
                }
                3 => {
                    self.a.push(movi(4, self.r.range(0, 32) as i32));
                    self.a.push(alu(self.r.pick(&[ADD, SUB]), 3, 4));
                }
                4 => self.a.push(alui(self.r.pick(&[MUL, AND, OR, LSH, XOR]), 3, self.r.range(0, 3) as i32)),
                5 => self.a.push(alu32i(ADD, 3, 4)),
                6 => {
                    // pkt_end - pkt and pkt - pkt as scalars.
                    self.a.push(mov(4, self.r.pick(&[END, DATA])));
                    self.a.push(alu(SUB, 4, 3));
                    self.a.push(mov(3, DATA));
                    self.a.push(alu(ADD, 3, 4));
                    acc = 0;
                }
                7 => {
                    self.a.push(mov(4, END));
                    self.a.push(alui(ADD, 4, self.r.range(-8, 8) as i32));
                    self.a.push(ldx(B, 0, 4, 0));
                }
                _ => {
                    self.a.push(Insn::new(ALU64 | NEG, 3, 0, 0, 0));
                }
            }
        }
        let n = self.r.range(1, 32);
        self.a.push(mov(4, 3));
        self.a.push(alui(ADD, 4, n as i32));
        self.bound_check(4, END);
        let sz = self.r.pick(&SIZES);
        let off = self.access_off(n, bytes_of(sz));
        self.access_p(3, off, sz, 1, 3);
        let _ = acc;
    }

    fn noise(&mut self) {
        for r in [0, 1, 2] {
            self.a.push(movi(r, self.r.u64() as i32));
        }
        for _ in 0..self.r.range(1, 4) {
            let d = self.r.pick(&[0, 1, 2]);
            match self.r.below(4) {
                0 => self.a.push(movi(d, self.r.u64() as i32)),
                1 => self.a.push(alui(self.r.pick(&[ADD, SUB, MUL, OR, AND, XOR, LSH, RSH, ARSH]), d, self.r.range(0, 63) as i32)),
                2 => self.a.push(Insn::new(ALU | self.r.pick(&[ADD, MOV, OR, AND]) | X, d, self.r.pick(&[0, 1, 2]), 0, 0)),
                _ => self.a.push(Insn::new(ALU64 | END | TO_LE, d, 0, 0, self.r.pick(&[16, 32, 64]))),
            }
        }
    }

    pub fn snippet(&mut self) {
        match self.r.below(15) {
            0 | 1 => self.pkt_const(),
            2 | 3 => self.pkt_var(),
            4 | 5 => self.map_access(),
            6 => self.stack(),
            7 => self.adjust(),
            8 => self.load_bytes(),
            9 => self.lp(),
            10 => self.subprog(),
            11 => self.ringbuf(),
            12 => {
                if self.r.chance(1, 2) {
                    self.dynptr()
                } else {
                    self.bpf_loop()
                }
            }
            13 => {
                if self.r.chance(1, 2) {
                    self.ctx_load()
                } else {
                    self.noise()
                }
            }
            _ => self.ptr_arith(),
        }
    }
}

/// One generated case: the program, its fixture and whether it is `xdp.frags`.
#[derive(Clone)]
pub struct Case {
    pub insns: Vec<Insn>,
    pub fx: Fixture,
    pub frags: bool,
}

pub fn generate(r: &mut FuzzRng) -> Case {
    let fx = Fixture::random(r);
    let frags = r.chance(2, 3);
    let bad = r.pick(&[0, 5, 20, 20, 60, 150]);
    let mut g = Gen { r, a: Asm::default(), fx: fx.clone(), subs: Vec::new(), sub_bodies: Vec::new(), nsub: 0, bad };
    g.a.push(mov(CTX, 1));
    g.a.push(ldx(W, DATA, CTX, 0));
    g.a.push(ldx(W, END, CTX, 4));
    let n = g.r.range(1, 5);
    for _ in 0..n {
        g.snippet();
    }
    g.a.bind(Label::Out);
    let action = g.r.pick(&[1, 2, 2, 2, 3]);
    g.a.push(movi(0, action));
    g.a.push(exit());
    let bodies = std::mem::take(&mut g.sub_bodies);
    for (l, body) in bodies {
        g.a.bind(l);
        body(&mut g.a);
    }
    let mut insns = g.a.finish();
    if g.r.chance(1, 3) {
        let k = g.r.range(1, 3);
        for _ in 0..k {
            mutate(g.r, &mut insns);
        }
    }
    Case { insns, fx, frags }
}

/// One mutation: an immediate, an offset, a register, a jump target, a comparison or an access
/// size, of one instruction (the second half of an lddw is left alone).
pub fn mutate(r: &mut FuzzRng, insns: &mut [Insn]) {
    let mut pcs = Vec::new();
    let mut pc = 0;
    while pc < insns.len() {
        pcs.push(pc);
        pc += if insns[pc].is_lddw() { 2 } else { 1 };
    }
    let pc = pcs[r.below(pcs.len() as u64) as usize];
    let i = &mut insns[pc];
    let class = i.class();
    let is_jump = (class == JMP || class == JMP32) && i.code & 0xf0 != CALL && i.code & 0xf0 != EXIT;
    let has_imm = match class {
        ALU | ALU64 => (i.code & X) == 0 && (i.code & 0xf0) != NEG && (i.code & 0xf0) != END,
        JMP | JMP32 => is_jump && i.code & X == 0,
        ST => true,
        _ => false,
    };
    let has_off = matches!(class, LDX | STX | ST);
    match r.below(6) {
        0 if has_imm => {
            i.imm = match r.below(5) {
                0 => i.imm.wrapping_add(1),
                1 => i.imm.wrapping_sub(1),
                2 => i.imm.wrapping_add(8),
                3 => i.imm.wrapping_neg(),
                _ => r.u64() as i32,
            }
        }
        1 if has_off => i.off = i.off.wrapping_add(r.pick(&[-8, -4, -1, 1, 4, 8])),
        2 if class != JMP || is_jump => {
            let reg = r.range(0, 10) as u8;
            let has_src = (matches!(class, ALU | ALU64 | JMP | JMP32) && i.code & X != 0) || class == LDX || class == STX;
            if r.chance(1, 2) || !has_src {
                i.regs = (i.regs & 0xf0) | reg;
            } else {
                i.regs = (i.regs & 0x0f) | (reg << 4);
            }
        }
        3 if is_jump => {
            let target = pc as i64 + 1 + i64::from(i.off) + r.range(-3, 3);
            if target >= 0 && (target as usize) < insns.len() {
                insns[pc].off = (target - pc as i64 - 1) as i16;
            }
        }
        4 if is_jump && i.code & 0xf0 != JA => {
            let op = r.pick(&[JEQ, JGT, JGE, JSET, JNE, JSGT, JSGE, JLT, JLE, JSLT, JSLE]);
            i.code = (i.code & 0x0f) | op;
        }
        5 if matches!(class, LDX | STX | ST) && i.code & 0xe0 == MEM => {
            i.code = (i.code & !0x18) | r.pick(&SIZES);
        }
        _ => {
            if class == JMP && i.code & 0xf0 == JA {
                i.off = i.off.wrapping_add(r.range(-2, 2) as i16);
            } else if has_imm {
                i.imm ^= 1 << r.below(32);
            } else if has_off {
                i.off ^= 1 << r.below(4);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The oracle.

/// What a case came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Refused,
    /// Accepted and run `n` times without a fault.
    Ran(u32),
    Bug(String),
}

struct Host {
    buff: XdpBuff,
}

impl XdpHost for Host {
    fn buff(&mut self) -> &mut XdpBuff {
        &mut self.buff
    }
}

/// One run's input: packet bytes, ctx_in, map contents.
#[derive(Clone, Debug)]
pub struct RunInput {
    pub packet: Vec<u8>,
    pub ctx: Option<XdpMd>,
    pub array: Vec<u8>,
    pub hash: Option<(u32, Vec<u8>)>,
    pub array4: Vec<(u32, Vec<u8>)>,
}

pub fn random_input(r: &mut FuzzRng, fx: &Fixture, frags: bool) -> RunInput {
    let max = if frags { 73152 } else { 3520 };
    let len = match r.below(8) {
        // Short packets, so that an access one byte past a check meets data_end.
        6 | 7 => r.range(14, 100),
        0 => r.range(64, 128),
        1 => max,
        2 => r.range(3400, 3600).min(max),
        3 => r.range(64, max),
        _ => r.range(64, 1600),
    } as usize;
    let mut packet = vec![0u8; len];
    r.fill(&mut packet);
    let ctx = if r.chance(1, 2) {
        let meta = if r.chance(1, 2) { 4 * r.range(0, 8) as u32 } else { 0 };
        let linear = if frags && r.chance(1, 2) {
            if r.chance(1, 2) {
                r.range(0, (len as i64).min(100)) as u32
            } else {
                r.range(0, (len as i64).min(3520)) as u32
            }
        } else {
            (len as u32).min(3520)
        };
        let data_end = (meta + linear).min(len as u32);
        Some(XdpMd { data: meta, data_end, ..XdpMd::default() })
    } else {
        None
    };
    let mut array = vec![0u8; fx.array_value as usize];
    r.fill(&mut array);
    let hash = if r.chance(3, 4) {
        let mut v = vec![0u8; fx.hash_value as usize];
        r.fill(&mut v);
        Some((if r.chance(3, 4) { 0 } else { r.range(0, 5) as u32 }, v))
    } else {
        None
    };
    let mut array4 = Vec::new();
    for k in 0..4 {
        let mut v = vec![0u8; fx.array4_value as usize];
        r.fill(&mut v);
        array4.push((k, v));
    }
    RunInput { packet, ctx, array, hash, array4 }
}

/// The verifier's complexity limit while fuzzing (`UXDP_FUZZ_INSN_LIMIT`, default 8000): the
/// grammar's programs need far less, and an endless loop then ends soon (see
/// `bug_endless_loop_with_a_moving_pointer_is_quadratic`).
pub fn verify_limit() -> u64 {
    std::env::var("UXDP_FUZZ_INSN_LIMIT").ok().and_then(|v| v.parse().ok()).unwrap_or(8000)
}
pub const RUN_BUDGET: u64 = 200_000;

/// Loads a case; Ok(Some(prog)) when the verifier accepts it, Ok(None) when it refuses, Err for
/// a panic or a slow verdict.
pub fn load(case: &Case) -> Result<Option<(uxdp::bpf::loader::LoadedObject, Rc<Prog>)>, String> {
    let obj = case.fx.object(case.insns.clone(), case.frags);
    let opts = LoadOptions { insn_limit: Some(verify_limit()), ..LoadOptions::default() };
    let start = Instant::now();
    let r = catch_unwind(AssertUnwindSafe(|| loader::load(obj, &opts)));
    let took = start.elapsed();
    if took > Duration::from_secs(if cfg!(debug_assertions) { 20 } else { 5 }) {
        return Err(format!("the verifier took {took:?}"));
    }
    match r {
        Err(p) => Err(format!("panic in load: {}", panic_text(&p))),
        Ok(Err(_)) => Ok(None),
        Ok(Ok(lo)) => {
            let prog = lo.programs[0].prog.clone().expect("loaded");
            prog.jit.disabled.set(true);
            Ok(Some((lo, prog)))
        }
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

/// Whether the program makes bpf-to-bpf calls (then the whole stack buffer is memory).
fn has_calls(insns: &[Insn]) -> bool {
    insns.iter().any(|i| (i.code == JMP | CALL && i.src() == PSEUDO_CALL) || (i.is_lddw() && i.src() == PSEUDO_FUNC))
}

/// Runs an accepted program once in the interpreter; Err(description) on a fault.
pub fn run_once(lo: &uxdp::bpf::loader::LoadedObject, prog: &Rc<Prog>, input: &RunInput) -> Result<(), String> {
    for m in &lo.maps {
        let _ = m;
    }
    lo.maps[MAP_ARRAY as usize].update(&0u32.to_le_bytes(), &input.array, 0, 0).map_err(|e| format!("array update: {e}"))?;
    if let Some((k, v)) = &input.hash {
        let _ = lo.maps[MAP_HASH as usize].delete(&0u32.to_le_bytes());
        for key in 0..6u32 {
            let _ = lo.maps[MAP_HASH as usize].delete(&key.to_le_bytes());
        }
        lo.maps[MAP_HASH as usize].update(&k.to_le_bytes(), v, 0, 0).map_err(|e| format!("hash update: {e}"))?;
    }
    for (k, v) in &input.array4 {
        lo.maps[MAP_ARRAY4 as usize].update(&k.to_le_bytes(), v, 0, 0).map_err(|e| format!("array4 update: {e}"))?;
    }
    let pool = PagePool::new(uxdp::pool::PoolConfig::default()).expect("pool");
    let Ok(buff) = build_buff(&pool, &input.packet, input.ctx.as_ref()) else { return Ok(()) };
    let mut host = Host { buff };
    let mut stack = StackBuf::new();
    let mut mem = Memory::new();
    let calls = has_calls(&prog.insns);
    {
        let len = stack.len();
        let frame = if calls { &mut stack[..] } else { &mut stack[len - STACK_SIZE..] };
        mem.push(Region::of_slice(frame, true, RegionKind::Stack, 0));
    }
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut m = Machine::with_parts(prog.clone(), Some((stack, mem)));
        m.add_map_regions();
        m.set_xdp_ctx(false);
        m.xdp = Some(&mut host);
        m.reset(RUN_BUDGET);
        m.refresh_packet();
        let ctx = m.ctx;
        m.run([ctx, 0, 0, 0, 0])
    }));
    drop(host);
    match result {
        Err(p) => Err(format!("panic in the interpreter: {}", panic_text(&p))),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) if e.message.contains("instruction limit") => Ok(()),
        Ok(Err(e)) => Err(format!("{} (errno {:?}, pc {:?}, addr {:?})", e.message, e.errno, e.pc, e.addr)),
    }
}

/// The whole property for one case: verify; if accepted, run on `runs` random inputs.
pub fn check(case: &Case, r: &mut FuzzRng, runs: u32) -> Outcome {
    let loaded = match load(case) {
        Err(e) => return Outcome::Bug(e),
        Ok(None) => return Outcome::Refused,
        Ok(Some(l)) => l,
    };
    let (lo, prog) = loaded;
    for _ in 0..runs {
        let input = random_input(r, &case.fx, case.frags);
        if let Err(e) = run_once(&lo, &prog, &input) {
            return Outcome::Bug(e);
        }
    }
    Outcome::Ran(runs)
}

/// Whether an accepted program faults on this input.
pub fn faults(case: &Case, input: &RunInput) -> Option<String> {
    match load(case) {
        Err(e) => Some(e),
        Ok(None) => None,
        Ok(Some((lo, prog))) => run_once(&lo, &prog, input).err(),
    }
}

/// Removes instruction `at`, keeping every jump, call and function reference pointing at the
/// same instruction (one aimed at `at` then aims at what follows it).
pub fn remove_insn(insns: &[Insn], at: usize) -> Option<Vec<Insn>> {
    if insns[at].is_lddw() || (at > 0 && insns[at - 1].is_lddw()) {
        return None;
    }
    let mut out = insns.to_vec();
    for (pc, i) in out.iter_mut().enumerate() {
        let class = i.class();
        let rel: Option<(i64, bool)> = if (class == JMP || class == JMP32) && i.code & 0xf0 != EXIT {
            if i.code & 0xf0 == CALL {
                if i.src() == PSEUDO_CALL {
                    Some((i64::from(i.imm), true))
                } else {
                    None
                }
            } else if class == JMP && i.code & 0xf0 == JA && i.off == 0 && i.imm != 0 {
                None
            } else {
                Some((i64::from(i.off), false))
            }
        } else if i.is_lddw() && i.src() == PSEUDO_FUNC {
            Some((i64::from(i.imm), true))
        } else {
            None
        };
        let Some((rel, in_imm)) = rel else { continue };
        let target = pc as i64 + 1 + rel;
        let npc = if pc > at { pc as i64 - 1 } else { pc as i64 };
        let ntarget = if target > at as i64 { target - 1 } else { target };
        let nrel = ntarget - npc - 1;
        if in_imm {
            i.imm = nrel as i32;
        } else {
            i.off = nrel as i16;
        }
    }
    out.remove(at);
    Some(out)
}

/// Shrinks a failing case instruction by instruction while it still fails on `input`.
pub fn minimize(case: &Case, input: &RunInput) -> Case {
    let mut cur = case.clone();
    loop {
        let mut progress = false;
        let mut at = 0;
        while at < cur.insns.len() {
            if let Some(insns) = remove_insn(&cur.insns, at) {
                let cand = Case { insns, ..cur.clone() };
                if faults(&cand, input).is_some() {
                    cur = cand;
                    progress = true;
                    continue;
                }
            }
            at += 1;
        }
        if !progress {
            return cur;
        }
    }
}

pub fn listing(insns: &[Insn]) -> String {
    disasm::kernel_listing(insns, &|_| None)
}

/// Runs `n` cases from `seed`; returns (cases, accepted, runs, bugs as reports).
pub fn campaign(seed: u64, n: u64, runs_per_case: u32, stop: Option<Instant>) -> (u64, u64, u64, Vec<String>) {
    let mut bugs = Vec::new();
    let (mut cases, mut accepted, mut runs) = (0, 0, 0);
    for i in 0..n {
        if stop.is_some_and(|s| Instant::now() >= s) {
            break;
        }
        let case_seed = seed.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut r = FuzzRng::seeded(case_seed);
        let case = generate(&mut r);
        cases += 1;
        let mut rr = FuzzRng::seeded(case_seed ^ 0x5555);
        match check(&case, &mut rr, runs_per_case) {
            Outcome::Refused => {}
            Outcome::Ran(k) => {
                accepted += 1;
                runs += u64::from(k);
            }
            Outcome::Bug(e) => {
                accepted += 1;
                bugs.push(report(&case, case_seed, &e));
            }
        }
    }
    (cases, accepted, runs, bugs)
}

/// A bug's report: the error and the minimized program, found again from the seed.
pub fn report(case: &Case, seed: u64, err: &str) -> String {
    // Find the input again, then minimize against it.
    let mut rr = FuzzRng::seeded(seed ^ 0x5555);
    let mut small = case.clone();
    let mut last = err.to_string();
    for _ in 0..16 {
        let input = random_input(&mut rr, &case.fx, case.frags);
        if let Some(e) = faults(case, &input) {
            small = minimize(case, &input);
            last = faults(&small, &input).unwrap_or(e);
            break;
        }
    }
    format!("seed {seed:#x}: {last}\nfixture {:?} frags {}\nminimized:\n{}", small.fx, small.frags, listing(&small.insns))
}

/// The verifier's message for a refused case (None when accepted): for tuning the grammar.
pub fn refusal(case: &Case) -> Option<String> {
    let obj = case.fx.object(case.insns.clone(), case.frags);
    let opts = LoadOptions { insn_limit: Some(verify_limit()), ..LoadOptions::default() };
    loader::load(obj, &opts).err().map(|e| e.message.clone())
}

/// A case loaded without the verifier (to show that the oracle sees what the verifier would
/// have refused).
pub fn load_unverified(case: &Case) -> (uxdp::bpf::loader::LoadedObject, Rc<Prog>) {
    let obj = case.fx.object(case.insns.clone(), case.frags);
    let lo = loader::load(obj, &LoadOptions { no_verify: true, ..LoadOptions::default() }).expect("structurally valid");
    let prog = lo.programs[0].prog.clone().expect("loaded");
    prog.jit.disabled.set(true);
    (lo, prog)
}
