//! The walk: every path from the entry, depth first (a conditional jump continues with the
//! fall-through and keeps the taken side for later, as the kernel's `push_stack` does), with
//! checkpoints at prune points. A path reaching a checkpoint that an explored, finished state
//! covers stops there ("safe"); a path meeting an unfinished ancestor in the same state is an
//! infinite loop. Every instruction processed counts against the complexity limit.

use std::collections::HashMap;

use super::log::Log;
use super::scalar::Scalar;
use super::state::*;
use super::{cfg, refuse, Input, Refusal, Stats, VResult, VerifyOptions};
use crate::bpf::elf::ProgKind;
use crate::bpf::isa::{Callee, Op, Pseudo};
use crate::errno::Errno;

/// A state kept at a prune point, linked to the checkpoint before it on its path. `branches` counts
/// the paths still running below it: while non-zero the state is an ancestor of live work.
pub(super) struct Checkpoint {
    pub state: State,
    pub parent: Option<usize>,
    pub branches: u32,
    pub pc: usize,
    /// How often the state pruned a path, and how often it was compared in vain: one that keeps
    /// missing is dropped from its list, as the kernel drops it.
    pub hits: u32,
    pub misses: u32,
    /// A hash of the current frame's registers: the cheap first look of the loop check.
    pub regs_hash: u64,
    /// Dropped from its list while paths below it were still open: the kernel keeps it (and
    /// counts it among the states it holds) until they end.
    pub evicted: bool,
    /// The instructions that led here from the checkpoint before (precision backtracking):
    /// the first, the last (None: none, the walk started here) and the jump history between.
    pub first_idx: usize,
    pub last_idx: Option<usize>,
    pub hist: Vec<super::precision::HistEntry>,
    /// Its dead stack slots were forgotten (once finished, before it was first compared).
    pub cleaned: bool,
}

/// `(callsite,...,scc)`, as the kernel prints a loop visit.
fn format_scc_callchain((sites, scc): &(Vec<usize>, u32)) -> String {
    let mut s = String::from("(");
    for site in sites {
        s.push_str(&format!("{site},"));
    }
    s.push_str(&format!("{scc})"));
    s
}

fn regs_hash(st: &State) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    st.frames.len().hash(&mut h);
    // Precise marks are not part of a register's value (the kernel's loop check compares
    // registers up to them).
    for r in st.cur().regs.iter() {
        Reg { precise: false, ..*r }.hash(&mut h);
    }
    h.finish()
}

/// The checkpoints kept at one prune point: finished ones (which prune), and unfinished ones by
/// a hash of their registers (which detect loops that make no progress).
#[derive(Default)]
pub(super) struct PcStates {
    pub(super) done: Vec<usize>,
    live: HashMap<u64, Vec<usize>>,
    live_count: usize,
}


/// Whether an unfinished checkpoint kept at a loop's forced checkpoint (an iterator's next(), a
/// callback-calling call, a may_goto) covers the current state (`covers`). One compared in vain
/// much more often than it helped is dropped from the list, as the kernel drops it (its
/// `miss_cnt > hit_cnt * 64 + 64` at forced checkpoints): long loops keep short lists.
fn live_hit(e: &mut PcStates, cps: &mut [Checkpoint], evicted: &mut Vec<usize>, mut covers: impl FnMut(&Checkpoint) -> bool) -> Option<usize> {
    let mut evict = Vec::new();
    let mut hit = None;
    'all: for (&h, v) in e.live.iter() {
        for &ci in v {
            let c = &mut cps[ci];
            if covers(c) {
                c.hits += 1;
                hit = Some(ci);
                break 'all;
            }
            c.misses += 1;
            if c.misses > c.hits * 64 + 64 {
                c.evicted = true;
                evict.push((h, ci));
            }
        }
    }
    for (h, ci) in evict {
        if let Some(v) = e.live.get_mut(&h) {
            if let Some(k) = v.iter().position(|&x| x == ci) {
                v.swap_remove(k);
                e.live_count -= 1;
                evicted.push(ci);
            }
            if v.is_empty() {
                e.live.remove(&h);
            }
        }
    }
    hit
}

/// An active iterator one more level deep than at the checkpoint: a loop that goes on, not one
/// that repeats itself (the depth is left out of state equality, so that loops converge).
fn iter_active_depths_differ(old: &State, cur: &State) -> bool {
    old.frames.iter().zip(&cur.frames).any(|(fo, fc)| {
        fo.stack.iter().zip(&fc.stack).any(|(so, sc)| so.bytes[0] == SlotByte::Iter && so.iter_state == super::dynptr::ITER_ACTIVE && so.iter_depth != sc.iter_depth)
    })
}

/// How many arguments the call at `pc` takes by its prototype (the helper's for the program
/// type, the kfunc's BTF parameters), if the verifier knows it: what the liveness counts it reading.
fn call_params(input: &Input, opts: &VerifyOptions, ops: &[Op], pc: usize) -> Option<u8> {
    match ops[pc] {
        Op::Call(Callee::Helper(id)) => {
            let h = crate::bpf::protos::helpers::helper(i64::from(id))?;
            let proto = h.proto_for(input.kind.prog_type()).filter(|_| opts.caps.allow(h.cap))?;
            Some(proto.args.len() as u8)
        }
        Op::Call(Callee::Kfunc { imm, .. }) => {
            let k = input.kfuncs.get(imm as usize)?.as_ref()?;
            k.proto.filter(|_| k.allowed).map(|p| p.args.len() as u8)
        }
        _ => None,
    }
}

/// A path waiting to be walked.
pub(super) struct Pending {
    pub state: State,
    pub pc: usize,
    pub prev: usize,
    pub parent: Option<usize>,
    /// Pushed by a two-way conditional jump (see `Verifier::glued`).
    pub from_jump: bool,
    /// Where the log ended when it was pushed: at level 1 the log goes back there.
    pub log_pos: usize,
    /// The path's jump history since its checkpoint, and where that checkpoint was.
    pub hist: Vec<super::precision::HistEntry>,
    pub first_idx: usize,
}

pub struct Verifier<'a> {
    pub(super) input: &'a Input<'a>,
    pub(super) opts: &'a VerifyOptions,
    pub(super) ops: Vec<Op>,
    pub(super) info: cfg::Info,
    pub(super) cur: State,
    /// The checkpoint the current path last passed.
    pub(super) parent: Option<usize>,
    pub(super) pc: usize,
    pub(super) prev: usize,
    pub(super) pending: Vec<Pending>,
    pub(super) checkpoints: Vec<Checkpoint>,
    /// Which stack slots may still be read, per call chain (`liveness`).
    pub(super) live: super::liveness::StackLiveness,
    pub(super) explored: HashMap<usize, PcStates>,
    pub(super) id_gen: u32,
    pub(super) processed: u64,
    pub(super) peak_states: u32,
    pub(super) live_states: u32,
    pub(super) max_per_insn: u32,
    pub(super) stack_depth: Vec<u32>,
    pub log: Log,
    /// Privileged (CAP_BPF): bounded loops, pointer comparisons, uninitialised stack reads (with
    /// CAP_PERFMON).
    pub(super) bpf_capable: bool,
    pub(super) allow_ptr_leaks: bool,
    pub(super) allow_uninit_stack: bool,
    /// Each add/sub instruction's Spectre v1 masking (`alu_state`, `alu_limit`), over all paths.
    pub(super) alu_sanitation: Vec<(u8, u32)>,
    /// A masked pointer addition by an unknown offset was seen: scalars must match exactly to prune.
    pub(super) explore_alu_limits: bool,
    /// The program array each tail call site saw first; a second one poisons it.
    pub(super) tail_call_maps: Vec<Option<u32>>,
    pub(super) tail_call_poisoned: bool,
    /// The last instruction printed in the log (so a new path prints "from X to Y").
    pub(super) print_from: bool,
    /// The immediate a BPF_ST stores (the stack tracks constants and zeroes it writes).
    pub(super) store_imm: Option<i32>,
    /// The access being checked is an atomic's (kptr fields take BPF_MEM accesses only).
    pub(super) atomic_access: bool,
    /// The local type (its struct meta: None for a type without special fields) each graph
    /// call site first saw (`insn_aux->kptr_struct_meta`): one call site, one type.
    pub(super) kptr_struct_meta: std::collections::HashMap<usize, Option<u32>>,
    /// The pointer type each load and store was first seen with (`save_aux_ptr_type`).
    pub(super) insn_ptr_type: Vec<u32>,
    /// Jumps and instructions processed when the last checkpoint was added.
    pub(super) jmps_processed: u64,
    pub(super) last_cp_jmps: u64,
    pub(super) last_cp_insns: u64,
    /// Calls of an iterator's next(): the loop heads where states are widened.
    pub(super) iter_next_site: Vec<bool>,
    /// The conditional jump whose pushed branch the walk just took up, until that branch's first
    /// instruction is printed. At log level 1 the kernel rewinds the log to where the branch was
    /// pushed: just past the jump's line, whose newline the jump's own state print has since
    /// turned into a space. A refusal before anything else is printed (the loop check, the
    /// complexity limit) lands on that line: "6: (55) if r0 != 0x0 goto pc-5 infinite loop ...".
    pub(super) glued: Option<usize>,
    /// A glued refusal's own words: the log's rewind glues them onto the jump's line itself.
    pub(super) unglued: Option<String>,
    /// What the log prints after a refusal's line (the two states of an infinite loop).
    pub(super) refusal_trailer: String,
    /// Global functions (by subprogram index) a walked path called: each is walked on its own.
    pub(super) global_called: Vec<usize>,
    /// States kept by the walks of earlier passes (the main program's, global functions').
    pub(super) states_before: u32,
    /// Asynchronous callbacks (timer callbacks) by subprogram index: roots of the stack check.
    pub(super) async_cbs: Vec<usize>,
    /// Calls of a helper or kfunc that calls a callback synchronously, an unknown number of
    /// times: a callback's exit returns here, and a state an unfinished one here covers is pruned.
    pub(super) callback_site: Vec<bool>,
    /// What the walk saw the program do (returns, calls), for policy beyond the kernel.
    pub(super) facts: super::Facts,
    /// Pruned paths whose return values were followed statically, by where and from what.
    pub(super) pruned_followed: std::collections::HashSet<(usize, [super::calls::Small; 11])>,
    /// The first bpf_throw walked inside a callback (its pc and subprogram): refused after the walk.
    pub(super) throw_in_callback: Option<(usize, usize)>,
    /// A walked path made a tail call from a subprogram a synchronous callback called.
    pub(super) tail_call_in_callback: bool,
    /// The walk is the exception callback's.
    pub(super) in_exception_cb: bool,
    /// The structural refusals the walk makes where it reaches an instruction (reserved fields,
    /// bad registers: `validate::check_in_walk`), found once for the program.
    walk_faults: HashMap<usize, String>,
    /// The current path's jump history since its last checkpoint (precision backtracking), the
    /// instruction that checkpoint was at, and whether the current instruction has its entry.
    pub(super) hist: Vec<super::precision::HistEntry>,
    pub(super) first_idx: usize,
    pub(super) hist_ent_this_insn: bool,
    /// No instruction walked yet in this pass (the first checkpoint has no last instruction).
    pub(super) at_entry: bool,
    /// Each instruction's loop (strongly connected component, 0: none), and per
    /// visit of a loop (the call sites leading to it, and the loop) the checkpoint that entered
    /// it while paths from that one are open: the kernel logs a visit's start and end.
    scc: Vec<u32>,
    scc_entry: HashMap<(Vec<usize>, u32), usize>,
    /// Back edges met in each open visit: a checkpoint in a visit that has some was reached by
    /// paths not all explored yet, and is compared with ranges (`incomplete_read_marks`).
    scc_backedges: HashMap<(Vec<usize>, u32), Vec<Backedge>>,
    /// Back edges kept over all open visits: copies of states, counted among the states held.
    num_backedges: u32,
    /// States in each of the kernel's explored-state lists, which are hashed by instruction and
    /// the current frame's call site, modulo the program's length: `max_states_per_insn` counts a
    /// list's states, a colliding instruction's included.
    bucket_states: HashMap<u32, u32>,
    /// Precise marks precision backtracking has added to checkpoints (a back-edge round that
    /// adds none is the fixed point).
    pub(super) checkpoint_marks: u64,
}

/// A path pruned around a loop, kept until its loop visit ends: then what the covering
/// checkpoint needs precise is propagated along it again, until nothing changes
/// (`propagate_backedges`), since paths explored after the pruning may have added marks.
pub(super) struct Backedge {
    covering: usize,
    state: State,
    pc: usize,
    first_idx: usize,
    parent: Option<usize>,
    hist: Vec<super::precision::HistEntry>,
}

impl<'a> Verifier<'a> {
    pub fn new(input: &'a Input<'a>, opts: &'a VerifyOptions) -> Verifier<'a> {
        let ops = super::decode(input.insns);
        let roots: Vec<usize> = input.global_funcs.iter().filter(|g| g.exception_cb).map(|g| g.start).collect();
        let info = cfg::Info::new(input.insns, &ops, &roots, &|pc| call_params(input, opts, &ops, pc));
        let perfmon = opts.caps.perfmon && opts.caps.bpf;
        let walk_faults = (0..ops.len())
            .filter(|&pc| !info.second_half[pc])
            .filter_map(|pc| crate::bpf::validate::check_in_walk(input.insns, pc, ops[pc]).err().map(|e| (pc, e.message.clone())))
            .collect();
        Verifier {
            input,
            opts,
            ops,
            stack_depth: vec![0; info.subprogs.len().max(1)],
            info,
            cur: State {
                frames: Vec::new(),
                refs: Vec::new(),
                active_rcu: 0,
                active_preempt: 0,
                active_lock: 0,
                lock_map: 0,
                lock_id: 0,
                lock_seq: 0,
                in_sleepable: false,
                speculative: false,
                callback_unroll: 0,
                may_goto_depth: 0,
            },
            parent: None,
            pc: 0,
            prev: 0,
            pending: Vec::new(),
            checkpoints: Vec::new(),
            live: Default::default(),
            explored: HashMap::new(),
            id_gen: 0,
            processed: 0,
            peak_states: 0,
            live_states: 0,
            max_per_insn: 0,
            log: Log::new(opts.log_level),
            bpf_capable: opts.caps.bpf,
            allow_ptr_leaks: perfmon,
            allow_uninit_stack: perfmon,
            alu_sanitation: vec![(0, 0); input.insns.len()],
            explore_alu_limits: false,
            tail_call_maps: vec![None; input.insns.len()],
            tail_call_poisoned: false,
            print_from: false,
            store_imm: None,
            atomic_access: false,
            kptr_struct_meta: Default::default(),
            insn_ptr_type: vec![NOT_INIT; input.insns.len()],
            jmps_processed: 0,
            last_cp_jmps: 0,
            last_cp_insns: 0,
            iter_next_site: Vec::new(),
            glued: None,
            unglued: None,
            refusal_trailer: String::new(),
            global_called: Vec::new(),
            states_before: 0,
            async_cbs: Vec::new(),
            callback_site: Vec::new(),
            scc: Vec::new(),
            scc_entry: HashMap::new(),
            scc_backedges: HashMap::new(),
            num_backedges: 0,
            bucket_states: HashMap::new(),
            checkpoint_marks: 0,
            facts: super::Facts::default(),
            pruned_followed: Default::default(),
            throw_in_callback: None,
            tail_call_in_callback: false,
            in_exception_cb: false,
            walk_faults,
            hist: Vec::new(),
            first_idx: 0,
            hist_ent_this_insn: false,
            at_entry: true,
        }
    }

    pub(super) fn new_id(&mut self) -> u32 {
        self.id_gen += 1;
        self.id_gen
    }

    pub(super) fn prog_type(&self) -> ProgKind {
        self.input.kind
    }

    pub fn stats(&self) -> Stats {
        Stats {
            processed: self.processed,
            max_states_per_insn: self.max_per_insn,
            total_states: self.states_before + self.checkpoints.len() as u32,
            peak_states: self.peak_states,
            mark_read: 0,
            stack_depth: self.stack_depth.clone(),
            time_us: 0,
        }
    }

    pub fn log_stats(&mut self, s: &Stats) {
        if self.log.level == 0 {
            return;
        }
        if self.log.stats_on() {
            let depth: Vec<String> = s.stack_depth.iter().map(|d| d.to_string()).collect();
            self.log.line(&format!("verification time {} usec", s.time_us));
            self.log.line(&format!("stack depth {}", depth.join("+")));
        }
        self.log.line(&format!(
            "processed {} insns (limit {}) max_states_per_insn {} total_states {} peak_states {} mark_read {}",
            s.processed, self.opts.insn_limit, s.max_states_per_insn, s.total_states, s.peak_states, s.mark_read
        ));
    }

    /// The entry state: r1 the context, r10 the frame pointer.
    fn entry_state(&mut self) -> State {
        let mut f = Frame::new(0, -1, 0);
        f.regs[1] = Reg::ptr(PTR_TO_CTX);
        f.regs[10] = Reg { frameno: 0, ..Reg::ptr(PTR_TO_STACK) };
        State {
            frames: vec![f],
            refs: Vec::new(),
            active_rcu: 0,
            active_preempt: 0,
            active_lock: 0,
            lock_map: 0,
            lock_id: 0,
            lock_seq: 0,
            in_sleepable: false,
            speculative: false,
            callback_unroll: 0,
            may_goto_depth: 0,
        }
    }

    pub fn run(&mut self) -> VResult<()> {
        let declared = self.input.kind == ProgKind::StructOps && self.opts.ctx_layout.is_some();
        if !super::modelled(self.input.kind) && !declared {
            return refuse(
                Errno::EINVAL,
                format!(
                    "uxdp: the verifier does not model {} programs yet (XDP, socket filter and tc are modelled)",
                    self.input.kind.name()
                ),
            );
        }
        self.check_calls_capable()?;
        if self.log.level2() {
            // The subprograms as found, before any later check (`add_subprog_and_kfunc`).
            for (i, start) in self.info.subprogs.iter().enumerate() {
                self.log.line(&format!("func#{i} @{start}"));
            }
        }
        self.check_btf_returns()?;
        self.check_map_prog_compat()?;
        cfg::check(self)?;
        self.iter_next_site = (0..self.ops.len())
            .map(|pc| match self.ops[pc] {
                Op::Call(Callee::Kfunc { imm, .. }) => self
                    .input
                    .kfuncs
                    .get(imm as usize)
                    .and_then(|k| k.as_ref())
                    .and_then(|k| k.proto)
                    .is_some_and(|k| k.flags & crate::bpf::protos::kfuncs::KF_ITER_NEXT != 0),
                _ => false,
            })
            .collect();
        self.callback_site = (0..self.ops.len()).map(|pc| self.calls_sync_callback(pc)).collect();
        for pc in 0..self.ops.len() {
            if matches!(self.ops[pc], Op::Call(Callee::Kfunc { .. })) && (self.iter_next_site[pc] || self.callback_site[pc]) {
                self.info.prune_point[pc] = true;
                self.info.force_checkpoint[pc] = true;
            }
            if self.callback_site[pc] {
                self.info.jmp_point[pc] = true;
            }
        }
        self.cur = self.entry_state();
        self.live = super::liveness::StackLiveness::new(&self.ops, &self.info.subprogs);
        self.scc = cfg::loops(&self.ops, &self.info.second_half, &self.callback_site);
        if self.log.level2() {
            self.log_live_regs();
        }
        self.log.scratch_all();
        if let Some(note) = self.input.main_proto_note {
            self.log.line(note);
        }
        self.walk()?;
        self.log.pass_succeeded();
        self.verify_global_funcs()?;
        self.check_throw_sites()?;
        self.check_stack_depth()?;
        self.check_tail_call_maps()
    }

    /// Level 2's table of the registers live before each instruction (r0-r9), under the number
    /// of the loop (strongly connected component) it is part of, if any.
    fn log_live_regs(&mut self) {
        let scc = &self.scc;
        self.log.line("Live regs before insn:");
        let mut pc = 0;
        while pc < self.ops.len() {
            let mark = if scc[pc] != 0 { format!("{:3} ", scc[pc]) } else { "    ".to_string() };
            let regs: String = (0..10).map(|r| if self.info.live_in[pc] & (1 << r) != 0 { char::from(b'0' + r) } else { '.' }).collect();
            let text = self.log.insn(self.input.insns, pc, &self.ops[pc], self.input, self.allow_ptr_leaks);
            self.log.line(&format!("{mark}{pc:3}: {regs} {text}"));
            pc += self.ops[pc].width();
        }
    }

    /// Maps the program refers to that its type may not use (`check_map_prog_compatibility`,
    /// as each map reference is resolved before the walk).
    fn check_map_prog_compat(&self) -> VResult<()> {
        for op in &self.ops {
            let Op::Lddw { pseudo: Pseudo::MapFd | Pseudo::MapIdx | Pseudo::MapValue | Pseudo::MapIdxValue, imm, .. } = *op else {
                continue;
            };
            let Some(m) = self.input.maps.get(imm as u32 as usize) else { continue };
            let lock = m.fields.iter().any(|f| matches!(f.kind, super::FieldKind::SpinLock | super::FieldKind::Other("bpf_res_spin_lock")));
            if lock && self.input.kind == ProgKind::SocketFilter {
                return refuse(Errno::EINVAL, "socket filter progs cannot use bpf_spin_lock yet");
            }
        }
        Ok(())
    }

    /// Before another pass (a global function's own walk): no paths, no checkpoints. The kernel
    /// carries its counters over: the jumps and instructions since the last checkpoint (which
    /// decide the next one) and the states it counts as kept (freed only at the very end).
    pub(super) fn reset_walk(&mut self) {
        self.states_before += self.checkpoints.len() as u32;
        self.checkpoints.clear();
        self.scc_entry.clear();
        self.scc_backedges.clear();
        self.num_backedges = 0;
        self.bucket_states.clear();
        self.explored.clear();
        self.pending.clear();
        self.parent = None;
        self.hist.clear();
        self.at_entry = true;
        self.print_from = false;
    }

    pub(super) fn walk(&mut self) -> VResult<()> {
        let n = self.input.insns.len();
        loop {
            if self.pc >= n {
                return refuse(Errno::EFAULT, format!("invalid insn idx {} insn_cnt {}", self.pc, n));
            }
            self.processed += 1;
            self.hist_ent_this_insn = false;
            if self.processed > self.opts.insn_limit {
                return Err(self
                    .glue(Refusal { errno: Errno::E2BIG, line: format!("BPF program is too large. Processed {} insn", self.processed) }));
            }
            if self.info.prune_point[self.pc] {
                let visited = self.visit();
                if visited.map_err(|r| self.glue(r))? {
                    if self.log.on() {
                        if self.print_from {
                            let spec = if self.cur.speculative { " (speculative execution)" } else { "" };
                            self.log.line(&format!("\nfrom {} to {}{spec}: safe", self.prev, self.pc));
                        } else {
                            self.log.line(&format!("{}: safe", self.pc));
                        }
                    }
                    if !self.end_path()? {
                        return Ok(());
                    }
                    continue;
                }
            }
            if self.info.jmp_point[self.pc] {
                self.push_hist(0, Default::default());
            }
            if self.log.level2() && self.print_from {
                let spec = if self.cur.speculative { " (speculative execution)" } else { "" };
                self.log.write(&format!("\nfrom {} to {}{spec}:", self.prev, self.pc));
                self.log.verifier_state(&self.cur, self.cur.curframe(), true, self.input);
                self.print_from = false;
            }
            if self.log.on() {
                self.log.insn_state(&self.cur, self.pc, self.input);
                self.log.source_line(self.input.lines, self.pc, "; ");
                let line = self.insn_line(self.pc);
                self.log.insn_line(&line);
            }
            self.glued = None;
            let pc = self.pc;
            let op = self.ops[pc];
            if matches!(op, Op::Jump { .. } | Op::Ja { .. } | Op::Call(_) | Op::Exit | Op::MayGoto { .. }) {
                self.jmps_processed += 1;
            }
            self.live_begin_insn(pc);
            let next = match self.step(pc, op) {
                // a refusal on a speculative path fences the instruction and ends the path
                Err(r) if self.fenced(r.errno) => None,
                other => other?,
            };
            self.live_commit_insn();
            // A conditional jump prints the state it goes on with at once (after pushing the
            // other branch), not when the next instruction is: a pruned or looping next
            // instruction does not lose it, and a branch taken up later rewinds onto its line.
            self.at_entry = false;
            // Without CAP_BPF every scalar is precise as it is made.
            if !self.bpf_capable {
                super::precision::mark_all_precise(&mut self.cur);
            }
            if matches!(op, Op::Jump { .. }) && next.is_some() && self.log.on() {
                self.log.insn_state(&self.cur, pc, self.input);
            }
            // A call clobbers r0-r5 (`clear_caller_saved_regs`); LD_ABS also reads its ctx in r6.
            match op {
                Op::Call(Callee::Helper(_) | Callee::Kfunc { .. } | Callee::Local(_)) => (0..=5).for_each(|r| self.log.scratch_reg(r)),
                Op::Legacy { .. } => (0..=6).for_each(|r| self.log.scratch_reg(r)),
                _ => {}
            }
            match next {
                Some(t) => {
                    self.prev = pc;
                    self.pc = t;
                }
                None => {
                    if !self.end_path()? {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Executes one instruction on the current state; the next pc, or None when the path ended.
    fn step(&mut self, pc: usize, op: Op) -> VResult<Option<usize>> {
        if let Some(line) = self.walk_faults.get(&pc) {
            return refuse(Errno::EINVAL, line.clone());
        }
        match op {
            Op::Alu { .. } | Op::End { .. } => {
                self.check_alu(pc, op)?;
                Ok(Some(pc + 1))
            }
            Op::Load { size, sx, dst, src, off } => {
                self.check_reg_read(src)?;
                self.check_reg_write(dst)?;
                let ty = self.cur.reg(src).ty;
                self.check_mem(pc, src, off as i32, size, false, Some(dst), sx)?;
                self.save_aux_ptr_type(pc, ty)?;
                Ok(Some(pc + 1))
            }
            Op::Store { size, dst, off, val } => {
                match val {
                    crate::bpf::isa::Operand::Reg(s) => {
                        self.check_reg_read(s)?;
                        self.check_reg_read(dst)?;
                        let ty = self.cur.reg(dst).ty;
                        self.check_mem(pc, dst, off as i32, size, true, Some(s), false)?;
                        self.save_aux_ptr_type(pc, ty)?;
                    }
                    crate::bpf::isa::Operand::Imm(imm) => {
                        self.check_reg_read(dst)?;
                        self.store_imm = Some(imm);
                        let ty = self.cur.reg(dst).ty;
                        let r = self.check_mem(pc, dst, off as i32, size, true, None, false);
                        self.store_imm = None;
                        r?;
                        self.save_aux_ptr_type(pc, ty)?;
                    }
                }
                Ok(Some(pc + 1))
            }
            Op::Atomic { .. } => {
                self.check_atomic(pc, op)?;
                Ok(Some(pc + 1))
            }
            Op::Ja { off, .. } => Ok(Some((pc as i64 + 1 + off as i64) as usize)),
            Op::Jump { .. } => self.check_cond_jmp(pc, op).map(Some),
            Op::Call(Callee::Local(_)) => self.check_subprog_call(pc).map(Some),
            Op::Call(Callee::Helper(id)) => {
                // Under a bpf_spin_lock only the unlock may be called (and bpf-to-bpf calls).
                const SPIN_LOCK: i32 = 93;
                const SPIN_UNLOCK: i32 = 94;
                if self.cur.active_lock > 0 && id != SPIN_UNLOCK {
                    return refuse(Errno::EINVAL, "function calls are not allowed while holding a lock");
                }
                self.check_helper_call(pc, id)?;
                match id {
                    SPIN_LOCK => self.cur.active_lock += 1,
                    SPIN_UNLOCK => {
                        self.cur.active_lock -= 1;
                        self.invalidate_non_owning_refs();
                    }
                    // A tail call in a subprogram may return from it (with the callee's r0).
                    12 => return self.implicit_subprog_exit(pc, Reg::unknown(), true),
                    _ => {}
                }
                Ok(Some(pc + 1))
            }
            Op::Call(Callee::Kfunc { imm, off }) => {
                let graph_api = self.input.kfuncs.get(imm as usize).cloned().flatten().is_some_and(|k| super::graph::is_graph_api(&k.name));
                if self.cur.active_lock > 0 && !graph_api {
                    return refuse(Errno::EINVAL, "function calls are not allowed while holding a lock");
                }
                // A reached call of a missing __weak kfunc: the kernel refuses the invalid helper
                // call libbpf poisoned it into, and libbpf rewrites the line.
                if let Some(k) = self.input.kfuncs.get(imm as usize).and_then(|k| k.as_ref()).filter(|k| k.unresolved) {
                    return refuse(Errno::EINVAL, format!("kfunc '{}' is referenced but wasn't resolved", k.name));
                }
                self.check_kfunc_call(pc, imm, off)?;
                if self.is_throw(imm) {
                    return self.check_throw(pc);
                }
                Ok(Some(pc + 1))
            }
            Op::Call(Callee::Reserved { .. }) | Op::Callx { .. } => refuse(Errno::EINVAL, "BPF_CALL uses reserved fields"),
            Op::Exit => self.check_exit(pc),
            Op::Lddw { dst, pseudo, imm } => {
                self.check_ld_imm(pc, dst, pseudo, imm)?;
                Ok(Some(pc + 2))
            }
            Op::TruncatedLddw { .. } => refuse(Errno::EINVAL, "invalid bpf_ld_imm64 insn"),
            Op::Legacy { .. } => self.check_ld_abs(pc, op),
            Op::MayGoto { off } => {
                // may_goto: both ways are possible (the kernel bounds it with a hidden counter). As
                // the kernel: the walk goes on at the target (out of the loop); the fall-through
                // (the loop body) is queued one may_goto level deeper, its imprecise scalars
                // widened against the previous visit of this may_goto on the path.
                let target = (pc as i64 + 1 + off as i64) as usize;
                let mut body = self.cur.clone();
                body.may_goto_depth += 1;
                if let Some(prev) = self.prev_entry(pc) {
                    super::dynptr::widen_imprecise(&self.checkpoints[prev].state, &mut body);
                }
                let keep = std::mem::replace(&mut self.cur, body);
                let pushed = self.push_branch(pc + 1, pc);
                self.cur = keep;
                pushed?;
                Ok(Some(target))
            }
            Op::Nospec => Ok(Some(pc + 1)),
            Op::Unknown { code } => refuse(Errno::EINVAL, format!("unknown opcode {code:02x}")),
        }
    }

    /// A conditional jump's other side, walked later from a copy of the current state.
    pub(super) fn push_branch(&mut self, pc: usize, from: usize) -> VResult<()> {
        if let Some(p) = self.parent {
            self.checkpoints[p].branches += 1;
        }
        let from_jump = matches!(self.ops.get(from), Some(Op::Jump { .. }));
        let log_pos = self.log.end_pos();
        let (hist, first_idx) = (self.hist.clone(), self.first_idx);
        self.pending.push(Pending { state: self.cur.clone(), pc, prev: from, parent: self.parent, from_jump, log_pos, hist, first_idx });
        if self.pending.len() > 8192 {
            return refuse(Errno::E2BIG, format!("The sequence of {} jumps is too complex.", self.pending.len()));
        }
        Ok(())
    }

    /// Ends the current path (exit or pruned) and takes the next pending one. false: none left.
    fn end_path(&mut self) -> VResult<bool> {
        self.release_branch(self.parent);
        self.live_update();
        self.log.scratch_all();
        match self.pending.pop() {
            Some(p) => {
                self.log.rewind_to_push(p.log_pos);
                self.cur = p.state;
                self.pc = p.pc;
                self.prev = p.prev;
                self.parent = p.parent;
                self.hist = p.hist;
                self.first_idx = p.first_idx;
                self.at_entry = false;
                if !self.bpf_capable {
                    super::precision::mark_all_precise(&mut self.cur);
                }
                self.print_from = true;
                self.glued = p.from_jump.then_some(p.prev);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn release_branch(&mut self, mut at: Option<usize>) {
        while let Some(i) = at {
            let c = &mut self.checkpoints[i];
            c.branches -= 1;
            if c.branches > 0 {
                break;
            }
            let (pc, hash, parent, evicted) = (c.pc, c.regs_hash, c.parent, c.evicted);
            self.exit_scc(i);
            // An explored state stays (and counts) for later paths to be pruned against; one
            // already dropped is freed now.
            if evicted {
                self.live_states = self.live_states.saturating_sub(1);
            }
            if let Some(e) = self.explored.get_mut(&pc) {
                if let Some(v) = e.live.get_mut(&hash) {
                    if let Some(k) = v.iter().position(|&x| x == i) {
                        v.swap_remove(k);
                        e.live_count -= 1;
                        e.done.push(i);
                    }
                    if v.is_empty() {
                        e.live.remove(&hash);
                    }
                }
            }
            at = parent;
        }
    }

    /// At a prune point: true when an explored state covers this one. Otherwise records it (when
    /// enough happened since the last checkpoint on this path, as the kernel spaces them).
    fn visit(&mut self) -> VResult<bool> {
        let pc = self.pc;
        let live = self.info.live_in[pc];
        let force = self.info.force_checkpoint[pc];
        let loop_head = self.iter_next_site[pc];
        let may_goto = matches!(self.ops[pc], Op::MayGoto { .. });
        let iter_active = loop_head && self.iter_arg_active();
        let callback_site = self.callback_site[pc];
        let cur_hash = regs_hash(&self.cur);
        let uninit = self.allow_uninit_stack;
        // `max_states_per_insn` counts the states in this one's list before this visit adds one.
        let bucket = self.state_bucket(pc, &self.cur);
        let states_here = self.bucket_states.get(&bucket).copied().unwrap_or(0);
        let mut evicted = Vec::new();
        let e = self.explored.entry(pc).or_default();
        let in_loop = e.live_count > 0;
        if callback_site {
            // Back at a callback-calling call (from the callback's exit, or around a loop): a
            // state an unfinished one here covers adds nothing, that one's walk queues every
            // further visit of the callback (the iteration's fixed point). Never a loop error.
            let cur = &self.cur;
            if let Some(ci) = live_hit(e, &mut self.checkpoints, &mut evicted, |c| super::dynptr::states_equal(&c.state, cur, &live, true, false, uninit)) {
                {
                    self.forget_states(&evicted);
                    return self.pruned_by_loop(ci, live);
                }
            }
        } else if loop_head {
            // An iterator's next() on an active iterator from a state an unfinished one at the
            // same call covers (ranges within): that one's exploration covers this path (the
            // loop's fixed point). A drained one is never pruned so, nor taken for a loop.
            let cur = &self.cur;
            if iter_active {
                if let Some(ci) = live_hit(e, &mut self.checkpoints, &mut evicted, |c| {
                    cur.frames.len() == c.state.frames.len() && super::dynptr::states_equal(&c.state, cur, &live, true, false, uninit)
                }) {
                    {
                    self.forget_states(&evicted);
                    return self.pruned_by_loop(ci, live);
                }
                }
            }
        } else {
            if may_goto {
                // Another iteration of the may_goto loop (another depth) whose ranges are within
                // an unfinished one's: covered by that one's walk.
                let cur = &self.cur;
                if let Some(ci) = live_hit(e, &mut self.checkpoints, &mut evicted, |c| {
                    c.state.may_goto_depth != cur.may_goto_depth && super::dynptr::states_equal(&c.state, cur, &live, true, false, uninit)
                }) {
                    {
                    self.forget_states(&evicted);
                    return self.pruned_by_loop(ci, live);
                }
                }
            }
            if let Some(v) = e.live.get(&cur_hash) {
                for &ci in v {
                    let c = &self.checkpoints[ci];
                    if self.cur.frames.len() == c.state.frames.len()
                        && c.state.callback_unroll == self.cur.callback_unroll
                        && c.state.may_goto_depth == self.cur.may_goto_depth
                        && !iter_active_depths_differ(&c.state, &self.cur)
                        && super::dynptr::states_equal(&c.state, &self.cur, &live, false, true, uninit)
                    {
                        // The log shows both states after the line.
                        let frame = self.cur.curframe();
                        let mut dump = String::from("cur state:");
                        dump.push_str(&super::log::frame_text(&self.cur, frame, !0, !0, self.input));
                        dump.push_str("\nold state:");
                        dump.push_str(&super::log::frame_text(&c.state, frame, !0, !0, self.input));
                        dump.push('\n');
                        self.refusal_trailer = dump;
                        return refuse(Errno::EINVAL, format!("infinite loop detected at insn {pc}"));
                    }
                }
            }
        }
        // Loop heads compare scalar ranges whatever their use (the kernel's RANGE_WITHIN).
        let range_within = loop_head || callback_site || may_goto;
        self.clean_explored_stack(pc);
        let (jmps, insns) = (self.jmps_processed - self.last_cp_jmps, self.processed - self.last_cp_insns);
        // A long jump history gets a checkpoint of its own, as the kernel bounds it; inside a
        // loop, checkpoints are spaced further apart.
        let force = force || self.hist.len() > 40;
        let spaced = jmps >= 2 && insns >= 8 && (!in_loop || jmps >= 20 || insns >= 100);
        let add_new_state = force || spaced;
        let e = self.explored.get_mut(&pc).expect("this instruction's list");
        let mut i = 0;
        while i < e.done.len() {
            let ci = e.done[i];
            let c = &mut self.checkpoints[ci];
            if super::dynptr::states_equal(&c.state, &self.cur, &live, range_within, false, uninit) {
                c.hits += 1;
                // Covered only up to imprecise values: what this path returns is followed on.
                let covers_all = super::dynptr::states_equal(&c.state, &self.cur, &live, true, false, uninit);
                if !covers_all && self.input.kind == ProgKind::Xdp {
                    self.note_pruned_exits(pc);
                }
                // In a loop visit with back edges pending, this is another one.
                if self.loop_visit_open(ci) {
                    {
                    self.forget_states(&evicted);
                    return self.pruned_by_loop(ci, live);
                }
                }
                {
                    self.forget_states(&evicted);
                    return self.pruned_by(ci, live);
                }
            }
            // A state counts a miss only where a new one would join the list (several turns
            // of a loop do not push out the states of earlier ones).
            if add_new_state {
                c.misses += 1;
            }
            if c.misses > c.hits * 3 + 3 {
                e.done.swap_remove(i);
                evicted.push(ci);
                self.live_states = self.live_states.saturating_sub(1);
                continue;
            }
            i += 1;
        }
        self.max_per_insn = self.max_per_insn.max(states_here);
        if !add_new_state {
            self.forget_states(&evicted);
            return Ok(false);
        }
        // The new checkpoint starts imprecise: what its children need they mark.
        if self.bpf_capable {
            super::precision::mark_all_imprecise(&mut self.cur);
        }
        self.last_cp_jmps = self.jmps_processed;
        self.last_cp_insns = self.processed;
        let idx = self.checkpoints.len();
        e.live.entry(cur_hash).or_default().push(idx);
        e.live_count += 1;
        self.checkpoints.push(Checkpoint {
            state: self.cur.clone(),
            parent: self.parent,
            branches: 1,
            pc,
            hits: 0,
            misses: 0,
            regs_hash: cur_hash,
            evicted: false,
            first_idx: self.first_idx,
            last_idx: if self.at_entry { None } else { Some(self.prev) },
            hist: std::mem::take(&mut self.hist),
            cleaned: false,
        });
        self.parent = Some(idx);
        self.first_idx = pc;
        self.forget_states(&evicted);
        *self.bucket_states.entry(bucket).or_default() += 1;
        self.enter_scc(idx);
        self.live_states += 1;
        self.peak_states = self.peak_states.max(self.live_states + self.num_backedges);
        Ok(false)
    }

    /// The kernel's explored-state list a state at `pc` goes to (`explored_state`).
    fn state_bucket(&self, pc: usize, st: &State) -> u32 {
        let callsite = st.frames.last().map_or(-1, |f| f.callsite) as u32;
        (pc as u32 ^ callsite) % (self.ops.len().max(1) as u32)
    }

    /// Checkpoints dropped from their lists.
    fn forget_states(&mut self, dropped: &[usize]) {
        for &ci in dropped {
            let c = &self.checkpoints[ci];
            let bucket = self.state_bucket(c.pc, &c.state);
            if let Some(n) = self.bucket_states.get_mut(&bucket) {
                *n = n.saturating_sub(1);
            }
        }
    }

    /// The current path is covered by checkpoint `ci`: what that one needed precise, this path's
    /// chain needs too (`propagate_precision`).
    fn pruned_by(&mut self, ci: usize, live: u16) -> VResult<bool> {
        if self.info.jmp_point[self.pc] {
            self.push_hist(0, Default::default());
        }
        self.propagate_precision(ci, live)?;
        Ok(true)
    }

    /// Pruned around a loop (an iterator's, a callback's, may_goto's: ranges within): the path
    /// is a back edge of the loop visit the covering checkpoint is in.
    fn pruned_by_loop(&mut self, ci: usize, live: u16) -> VResult<bool> {
        self.pruned_by(ci, live)?;
        if let Some(chain) = self.scc_callchain(ci) {
            if self.log.level2() {
                self.log.line(&format!("SCC backedge {}", format_scc_callchain(&chain)));
            }
            let edge = Backedge { covering: ci, state: self.cur.clone(), pc: self.pc, first_idx: self.first_idx, parent: self.parent, hist: self.hist.clone() };
            self.scc_backedges.entry(chain).or_default().push(edge);
            self.num_backedges += 1;
            self.peak_states = self.peak_states.max(self.live_states + self.num_backedges);
        }
        Ok(true)
    }

    /// Whether the checkpoint is in a loop visit with back edges still pending: its read marks
    /// are not complete yet (`incomplete_read_marks`).
    pub(super) fn loop_visit_open(&self, ci: usize) -> bool {
        self.scc_callchain(ci).is_some_and(|chain| self.scc_backedges.get(&chain).is_some_and(|v| !v.is_empty()))
    }

    /// The loop visit a checkpoint is in (`compute_scc_callchain`): the call sites of the frames
    /// up to the first whose instruction is in a loop, and that loop. None outside loops.
    fn scc_callchain(&self, ci: usize) -> Option<(Vec<usize>, u32)> {
        if self.scc.is_empty() {
            return None;
        }
        let c = &self.checkpoints[ci];
        let frames = &c.state.frames;
        let mut sites = Vec::new();
        for i in 0..frames.len() {
            let pc = if i + 1 < frames.len() { usize::try_from(frames[i + 1].callsite).ok()? } else { c.pc };
            match self.scc.get(pc).copied().unwrap_or(0) {
                0 if i + 1 < frames.len() => sites.push(pc),
                0 => return None,
                scc => return Some((sites, scc)),
            }
        }
        None
    }

    /// A new checkpoint inside a loop starts a visit of it unless one is open (`maybe_enter_scc`).
    fn enter_scc(&mut self, ci: usize) {
        let Some(chain) = self.scc_callchain(ci) else { return };
        if let std::collections::hash_map::Entry::Vacant(v) = self.scc_entry.entry(chain) {
            let line = format!("SCC enter {}", format_scc_callchain(v.key()));
            v.insert(ci);
            if self.log.level2() {
                self.log.line(&line);
            }
        }
    }

    /// The visit's entry checkpoint has no open path left: the visit ends (`maybe_exit_scc`).
    fn exit_scc(&mut self, ci: usize) {
        let Some(chain) = self.scc_callchain(ci) else { return };
        if self.scc_entry.get(&chain) == Some(&ci) {
            if self.log.level2() {
                self.log.line(&format!("SCC exit {}", format_scc_callchain(&chain)));
            }
            self.scc_entry.remove(&chain);
            if let Some(edges) = self.scc_backedges.remove(&chain) {
                self.num_backedges -= edges.len() as u32;
                self.propagate_backedges(&edges);
            }
        }
    }

    /// Precision along every back edge of a finished loop visit, newest first, until a round
    /// adds no mark (at most 64 rounds, as the kernel bounds it).
    fn propagate_backedges(&mut self, edges: &[Backedge]) {
        if !self.bpf_capable {
            return;
        }
        for _ in 0..64 {
            let before = self.checkpoint_marks;
            for e in edges.iter().rev() {
                let cur = std::mem::replace(&mut self.cur, e.state.clone());
                let saved = (self.pc, self.first_idx, self.parent, std::mem::replace(&mut self.hist, e.hist.clone()));
                (self.pc, self.first_idx, self.parent) = (e.pc, e.first_idx, e.parent);
                let live = self.info.live_in[e.pc];
                // A failure here is one the walk already met on that path.
                let _ = self.propagate_precision(e.covering, live);
                self.cur = cur;
                (self.pc, self.first_idx, self.parent, self.hist) = saved;
            }
            if self.checkpoint_marks == before {
                return;
            }
        }
    }


    /// `check_btf_func`: a subprogram with LD_ABS or a tail call must return a scalar (both
    /// leave the program with r0 as their result).
    fn check_btf_returns(&self) -> VResult<()> {
        for &start in self.input.non_scalar_returns {
            let Some(sub) = self.info.subprogs.iter().position(|&s| s == start) else { continue };
            let end = self.info.subprogs.get(sub + 1).copied().unwrap_or(self.ops.len());
            let body = &self.ops[start..end];
            if body.iter().any(|op| matches!(op, Op::Legacy { .. })) {
                return refuse(Errno::EINVAL, "LD_ABS is only allowed in functions that return 'int'.");
            }
            if body.iter().any(|op| matches!(op, Op::Call(Callee::Helper(12)))) {
                return refuse(Errno::EINVAL, "tail_call is only allowed in functions that return 'int'.");
            }
        }
        Ok(())
    }

    /// An instruction as the log prints it: `6: (55) if r0 != 0x0 goto pc-5`.
    pub(super) fn insn_line(&self, pc: usize) -> String {
        format!("{pc}: {}", self.log.insn(self.input.insns, pc, &self.ops[pc], self.input, self.allow_ptr_leaks))
    }

    /// A refusal on the line of the jump whose branch was just taken up (see `glued`).
    fn glue(&mut self, r: Refusal) -> Refusal {
        match self.glued {
            Some(jump) => {
                self.unglued = Some(r.line.clone());
                Refusal { errno: r.errno, line: format!("{} {}", self.insn_line(jump), r.line) }
            }
            None => r,
        }
    }

    // ---- register reads and writes

    pub(super) fn check_reg_read(&self, r: u8) -> VResult<()> {
        if r > 10 {
            return refuse(Errno::EINVAL, format!("R{r} is invalid"));
        }
        self.log.scratch_reg(r);
        if !self.cur.reg(r).is_init() {
            return refuse(Errno::EACCES, format!("R{r} !read_ok"));
        }
        Ok(())
    }

    pub(super) fn check_reg_write(&self, r: u8) -> VResult<()> {
        if r > 10 {
            return refuse(Errno::EINVAL, format!("R{r} is invalid"));
        }
        self.log.scratch_reg(r);
        if r == 10 {
            return refuse(Errno::EACCES, "frame pointer is read only");
        }
        Ok(())
    }

    /// One instruction may not access the context on one path and other memory on another: the
    /// kernel rewrites context accesses per instruction.
    fn save_aux_ptr_type(&mut self, pc: usize, ty: u32) -> VResult<()> {
        let fixed = |t: u32| {
            matches!(
                base(t),
                PTR_TO_CTX | PTR_TO_SOCKET | PTR_TO_SOCK_COMMON | PTR_TO_TCP_SOCK | PTR_TO_XDP_SOCK | PTR_TO_BTF_ID | PTR_TO_ARENA
            )
        };
        let prev = self.insn_ptr_type[pc];
        if prev == NOT_INIT {
            self.insn_ptr_type[pc] = ty;
        } else if prev != ty && (fixed(ty) || fixed(prev)) {
            return refuse(Errno::EINVAL, "same insn cannot be used with different pointers");
        }
        Ok(())
    }

    pub(super) fn set_unknown(&mut self, r: u8) {
        *self.cur.reg_mut(r) = Reg::unknown();
    }

    pub(super) fn set_scalar(&mut self, r: u8, s: Scalar) {
        *self.cur.reg_mut(r) = Reg::scalar(s);
    }

    /// The kernel's "pointer value" test: in privileged mode no value counts as a leak.
    pub(super) fn is_pointer_value(&self, r: u8) -> bool {
        !self.allow_ptr_leaks && self.cur.reg(r).is_pointer()
    }
}
