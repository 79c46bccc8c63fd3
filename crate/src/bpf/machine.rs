//! The state of one program run: registers live in the interpreter ([`super::vm`]); everything a
//! helper or kfunc can see lives here.

use std::rc::Rc;

use super::elf::ProgKind;
use super::insn::{Insn, MAX_CALL_FRAMES, STACK_SIZE};
use super::maps::Map;
use super::memory::{Memory, Region, RegionKind, StackBuf};
use crate::errno::{Errno, Result, XdpError};

/// What a helper or kfunc hands back to the interpreter besides a value for r0.
#[derive(Debug)]
pub enum Trap {
    Fault(XdpError),
    /// Stop the whole program with this r0 (bpf_conformance's unwind helper).
    Exit(u64),
    /// bpf_tail_call succeeded: continue in this program, same frame, same registers.
    TailCall(Rc<Prog>),
    /// bpf_throw with this cookie: every frame of the running program unwinds and the program
    /// returns the default exception callback's value, the cookie. A tail-called program is its
    /// own boundary: it returns to where the tail call would have returned.
    Throw(u64),
}

impl From<XdpError> for Trap {
    fn from(e: XdpError) -> Trap {
        Trap::Fault(e)
    }
}

pub type HelperFn = fn(&mut Machine<'_>, &[u64; 5]) -> Result<u64, Trap>;
pub type UserFn = Rc<dyn Fn(&mut Machine<'_>, &[u64; 5]) -> Result<u64, Trap>>;

/// A helper or kfunc as the loader resolved it.
#[derive(Clone)]
pub enum Callable {
    Native(HelperFn),
    /// Registered by the embedder (a TypeScript kfunc).
    User(UserFn),
    /// A `__weak` kfunc the kernel does not have: libbpf leaves the call in, and the verifier
    /// refuses it unless dead code eliminates it; reaching it at run time faults.
    Missing(String),
    /// A helper the program type may call and the verifier checked, which uxdp does not emulate
    /// yet: the program loads, and reaching the call at run time faults with its name.
    Unemulated(&'static str),
}

impl std::fmt::Debug for Callable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Callable::Native(_) => write!(f, "Native"),
            Callable::User(_) => write!(f, "User"),
            Callable::Missing(n) => write!(f, "Missing({n})"),
            Callable::Unemulated(n) => write!(f, "Unemulated({n})"),
        }
    }
}

/// A program ready to run: instructions with map references resolved, and its callables.
#[derive(Debug)]
pub struct Prog {
    pub name: String,
    /// The program type its section selected. What test_run and the NIC run is XDP only: other
    /// types are refused there (see [`Prog::check_xdp`]). A program built from instructions
    /// rather than an object ([`Prog::default`]) is XDP.
    pub kind: ProgKind,
    /// lddw map references hold [`map_handle`]s, map-value references hold value addresses,
    /// function references hold [`func_addr`]s; kfunc calls hold an index into `kfuncs`.
    pub insns: Vec<Insn>,
    /// Indexed by helper id.
    pub helpers: Rc<Vec<Option<Callable>>>,
    pub kfuncs: Vec<Callable>,
    pub maps: Vec<Rc<Map>>,
    /// Whether the program may be given frags (xdp.frags).
    pub frags: bool,
    /// The uapi `enum bpf_attach_type` it was loaded with (0: none), e.g. `BPF_XDP_DEVMAP`.
    pub attach_type: u32,
    /// Its compiled code (see [`super::jit`]), made on first use.
    pub jit: super::jit::JitSlot,
    /// What the verifier saw it do (None when loaded without the verifier).
    pub facts: Option<super::verifier::Facts>,
    /// Where its exception callback starts (the `exception_callback:NAME` decl tag); None: the
    /// default one, which returns bpf_throw's cookie.
    pub exception_cb: Option<usize>,
    /// The program's BTF as the kernel took it: the local types bpf_obj_new allocates.
    pub local_types: Option<Rc<super::btf::Btf>>,
    /// The possible CPUs it was loaded for: a per-CPU object (`bpf_percpu_obj_new`) has a copy for each.
    pub nr_cpus: u32,
}

impl Default for Prog {
    fn default() -> Prog {
        Prog {
            name: String::new(),
            kind: ProgKind::Xdp,
            insns: Vec::new(),
            helpers: Rc::default(),
            kfuncs: Vec::new(),
            maps: Vec::new(),
            frags: false,
            attach_type: 0,
            jit: Default::default(),
            facts: None,
            exception_cb: None,
            local_types: None,
            nr_cpus: 1,
        }
    }
}

impl Prog {
    /// The XDP features it needs from a device (see [`super::needs`]); none when it was loaded
    /// without the verifier or is not an XDP program.
    pub fn xdp_needs(&self) -> Vec<super::needs::Need> {
        match (&self.facts, self.kind) {
            (Some(f), ProgKind::Xdp) => super::needs::infer(f, &self.maps, self.frags),
            _ => Vec::new(),
        }
    }

    /// Its slots pre-decoded for the interpreter, made on first use.
    pub(crate) fn flat(&self) -> &[super::isa::Flat] {
        self.jit.flat(self)
    }

    /// Refuses a program that is not XDP where only XDP programs can run: `op` says where
    /// (test_run, attach), `errno` what the caller answers (the kernel: ENOTSUPP for a test_run
    /// it cannot do, EINVAL for a program of the wrong type at attach).
    pub fn check_xdp(&self, errno: Errno, op: &'static str, what: &str) -> Result<()> {
        self.check_kind(&[ProgKind::Xdp], errno, op, what)
    }

    /// Refuses a program whose type is not one of `kinds`, or which uses a map the engine only
    /// describes (see [`Prog::check_xdp`]).
    pub fn check_kind(&self, kinds: &[ProgKind], errno: Errno, op: &'static str, what: &str) -> Result<()> {
        // Only the maps its instructions name (the kernel's used_maps): another program of the
        // object may hold a map uxdp only describes without this one ever reaching it.
        if let Some(m) = self.maps.iter().find(|m| m.described().is_some() && self.names_map(m)) {
            let t = crate::bpf::mapdef::map_type_name(m.uapi_type()).unwrap_or("?");
            return Err(XdpError::new(
                Errno::EOPNOTSUPP,
                op,
                format!(
                    "'{}' uses map '{}' of type {t}, which uxdp verifies programs against but does not emulate: it cannot run",
                    self.name,
                    m.name()
                ),
            ));
        }
        if kinds.contains(&self.kind) {
            return Ok(());
        }
        Err(XdpError::new(errno, op, format!("{what}; '{}' is a {} program", self.name, self.kind.name())))
    }
}

impl Prog {
    /// Whether an lddw of the program holds `map`'s reference.
    fn names_map(&self, map: &Rc<Map>) -> bool {
        let handle = map_handle(map);
        self.insns.windows(2).any(|w| w[0].is_lddw() && (w[0].imm as u32 as u64 | (w[1].imm as u32 as u64) << 32) == handle)
    }
}

pub use super::insn::{func_addr, FUNC_ADDR_BASE};

/// The value of an lddw map reference: the map's own address, checked against the program's maps.
pub fn map_handle(map: &Rc<Map>) -> u64 {
    map.kernel_struct_addr()
}

pub use crate::xdp::XdpHost;

/// bpf_redirect_info: what bpf_redirect / bpf_redirect_map asked for, read after XDP_REDIRECT.
#[derive(Clone, Debug, Default)]
pub struct RedirectInfo {
    pub ifindex: u32,
    pub map: Option<Rc<Map>>,
    pub key: u32,
    pub flags: u64,
}

pub struct Machine<'a> {
    pub mem: Memory,
    pub stack: StackBuf,
    pub prog: Rc<Prog>,
    /// Instructions left before the run is stopped with E2BIG.
    pub budget: u64,
    pub executed: u64,
    pub(crate) tail_calls: u32,
    /// Call frames in use (0 while no frame runs).
    pub depth: usize,
    /// The address the program got in r1 as its context.
    pub ctx: u64,
    pub xdp: Option<&'a mut dyn XdpHost>,
    /// The skb a tc or socket-filter program runs on (see [`super::context_skb`]).
    pub skb: Option<&'a mut super::context_skb::SkbContext>,
    pub redirect: RedirectInfo,
    /// The CPU a per-CPU map resolves to.
    pub cpu: u32,
    /// bpf_get_prandom_u32's state.
    pub(crate) rng: u64,
    /// What bpf_trace_printk wrote.
    pub trace: Vec<String>,
    /// The context's converted fields (as [`Machine::ctx_load`] gives them, by 4-byte offset) while
    /// an XDP host is attached, kept by [`Machine::refresh_packet`] for compiled code.
    pub(crate) ctx_shadow: Option<[u64; 6]>,
    /// Whether compiled runs keep `executed` (they count basic blocks and add them up at the
    /// end); test_run turns it off for all but its last run, the one it reports.
    pub count_executed: bool,
    /// The host's sockets and routes the socket, FIB and MTU helpers ask (None: a default model,
    /// made on first use).
    pub host: Option<super::host_helpers::HostRef>,
    /// Socket references taken in this run (see [`super::host_helpers`]).
    pub socks: Vec<super::host_helpers::SockRef>,
    /// Conntrack entries held in this run (see [`super::conntrack_kfuncs`]).
    pub conns: Vec<super::conntrack_kfuncs::CtRef>,
    /// sk_storage values handed to this run (see [`super::sock_helpers`]).
    pub(crate) sk_values: Vec<Rc<crate::hostnet::storage::StorageValue>>,
    /// Stacks of frames past [`MAX_CALL_FRAMES`], which only tail calls from subprograms reach
    /// (see [`Machine::frame_limit`]): made on first use, one [`STACK_SIZE`] block per depth.
    deep_stacks: Vec<Box<[u8; STACK_SIZE]>>,
}

/// The most frames a run can stack: the kernel limits each program's own call chain to
/// [`MAX_CALL_FRAMES`], and a tail call from a subprogram keeps the frames below it, so each of
/// the [`MAX_TAIL_CALLS`](super::insn::MAX_TAIL_CALLS) tail calls can add `MAX_CALL_FRAMES - 1`.
pub const MAX_RUN_FRAMES: usize = MAX_CALL_FRAMES + super::insn::MAX_TAIL_CALLS as usize * (MAX_CALL_FRAMES - 1);

/// bpf_get_prandom_u32's state in a new machine.
pub const RNG_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// Default instruction budget: bpf_loop's 8M iterations of a small callback fit.
pub const DEFAULT_BUDGET: u64 = 1 << 28;

impl<'a> Machine<'a> {
    pub fn new(prog: Rc<Prog>) -> Machine<'a> {
        Machine::with_stack(prog, None)
    }

    /// A machine reusing a stack from an earlier run (see [`Machine::into_stack`]).
    pub fn with_stack(prog: Rc<Prog>, stack: Option<StackBuf>) -> Machine<'a> {
        Machine::build(prog, stack, None)
    }

    /// A machine over the stack and memory of an earlier one (see [`Machine::into_parts`]): the
    /// regions it registered (stack, context, map values) are kept, so a driver running one
    /// program per frame builds them once, not per frame.
    pub fn with_parts(prog: Rc<Prog>, parts: Option<(StackBuf, Memory)>) -> Machine<'a> {
        match parts {
            Some((stack, mem)) => Machine::build(prog, Some(stack), Some(mem)),
            None => Machine::build(prog, None, None),
        }
    }

    fn build(prog: Rc<Prog>, stack: Option<StackBuf>, mem: Option<Memory>) -> Machine<'a> {
        let (stack, mem) = match stack.filter(|s| s.len() == STACK_SIZE * MAX_CALL_FRAMES) {
            Some(stack) => (stack, mem),
            // A new stack: regions made for another one cannot be kept.
            None => (StackBuf::new(), None),
        };
        let fresh = mem.is_none();
        let mut m = Machine {
            mem: mem.unwrap_or_default(),
            stack,
            prog,
            budget: DEFAULT_BUDGET,
            executed: 0,
            tail_calls: 0,
            depth: 0,
            ctx: 0,
            xdp: None,
            skb: None,
            redirect: RedirectInfo::default(),
            cpu: 0,
            rng: RNG_SEED,
            trace: Vec::new(),
            ctx_shadow: None,
            count_executed: true,
            host: None,
            socks: Vec::new(),
            conns: Vec::new(),
            sk_values: Vec::new(),
            deep_stacks: Vec::new(),
        };
        if fresh {
            let stack = Region::of_slice(&mut m.stack, true, RegionKind::Stack, 0);
            m.mem.push(stack);
            m.add_map_regions();
        }
        m
    }

    pub fn into_stack(self) -> StackBuf {
        self.stack
    }

    pub fn into_parts(mut self) -> (StackBuf, Memory) {
        // socket views and deep frames' stacks live in the machine: their regions may not outlive it
        self.release_sockets();
        if !self.deep_stacks.is_empty() {
            let deep: Vec<u64> = self.deep_stacks.iter().map(|b| b.as_ptr() as u64).collect();
            self.mem.retain(|r| !(r.kind == RegionKind::Stack && deep.contains(&r.start)));
        }
        (self.stack, self.mem)
    }

    /// How many frames the run may stack now: [`MAX_CALL_FRAMES`], and `MAX_CALL_FRAMES - 1`
    /// more for each tail call made (the kernel checks no depth at run time; its verifier bounds
    /// each program's chain, and the tail-call count bounds the chains).
    pub fn frame_limit(&self) -> usize {
        MAX_CALL_FRAMES + self.tail_calls as usize * (MAX_CALL_FRAMES - 1)
    }

    /// r10 of frame `depth` (1-based), for any depth up to [`MAX_RUN_FRAMES`]: past
    /// [`MAX_CALL_FRAMES`] a block of its own, zeroed as the main stack is.
    pub fn frame_pointer_at(&mut self, depth: usize) -> u64 {
        if depth <= MAX_CALL_FRAMES {
            return self.frame_pointer(depth);
        }
        let i = depth - MAX_CALL_FRAMES - 1;
        while self.deep_stacks.len() <= i {
            let mut block = Box::new([0u8; STACK_SIZE]);
            let region = Region::of_slice(&mut block[..], true, RegionKind::Stack, 0);
            self.mem.push(region);
            self.deep_stacks.push(block);
        }
        let block = &mut self.deep_stacks[i];
        block.fill(0);
        block.as_ptr() as u64 + STACK_SIZE as u64
    }

    /// Registers the value memory of the program's maps.
    pub fn add_map_regions(&mut self) {
        let prog = self.prog.clone();
        for (i, map) in prog.maps.iter().enumerate() {
            for (start, len, writable) in map.value_regions() {
                self.mem.push(Region::new(start, len, writable, RegionKind::MapValue, i as u64));
            }
            let (start, len) = map.kernel_struct_region();
            self.mem.push(Region::new(start, len, false, RegionKind::MapStruct, i as u64));
        }
    }

    /// r10 of frame `depth` (1-based): frames grow down from the top of the stack buffer.
    pub fn frame_pointer(&self, depth: usize) -> u64 {
        self.stack.as_ptr() as u64 + (STACK_SIZE * (MAX_CALL_FRAMES + 1 - depth)) as u64
    }

    /// The map an lddw map reference in a register names, or an inner map a map of maps of the
    /// program holds (what a lookup in it returned).
    pub fn map(&self, handle: u64) -> Result<Rc<Map>, XdpError> {
        if let Some(m) = self.prog.maps.iter().find(|m| map_handle(m) == handle) {
            return Ok(m.clone());
        }
        self.prog
            .maps
            .iter()
            .filter(|m| m.map_type().is_map_of_maps())
            .flat_map(|m| m.inner_maps())
            .find(|m| map_handle(m) == handle)
            .ok_or_else(|| XdpError::run(Errno::EINVAL, format!("{handle:#x} is not one of the program's maps")))
    }

    /// Makes an inner map's values reachable, when they are not yet (an inner map from outside
    /// the program's object). The outer map keeps the inner map alive as long as it lives.
    pub fn add_inner_map_regions(&mut self, inner: &Rc<Map>) {
        for (start, len, writable) in inner.value_regions() {
            if self.mem.find(start, len).is_none() {
                self.mem.push(Region::new(start, len, writable, RegionKind::MapValue, u64::MAX));
            }
        }
        let (start, len) = inner.kernel_struct_region();
        if self.mem.find(start, len).is_none() {
            self.mem.push(Region::new(start, len, false, RegionKind::MapStruct, u64::MAX));
        }
    }

    /// The instruction a callback address points at.
    pub fn func_pc(&self, addr: u64) -> Result<usize, XdpError> {
        let pc = addr.wrapping_sub(FUNC_ADDR_BASE) / 8;
        if addr < FUNC_ADDR_BASE || !(addr - FUNC_ADDR_BASE).is_multiple_of(8) || pc as usize >= self.prog.insns.len() {
            return Err(XdpError::run(Errno::EINVAL, format!("{addr:#x} is not a function of the program")));
        }
        Ok(pc as usize)
    }
}
