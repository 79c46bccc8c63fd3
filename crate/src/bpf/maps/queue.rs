//! Queue and stack maps (`queue_stack_maps.c`): no keys, a ring of `max_entries + 1` value slots
//! with head and tail indexes. A queue pops at the tail (oldest first), a stack at the head
//! (newest first); both push at the head, and a push with BPF_EXIST onto a full map drops the
//! oldest value (the tail) to make room.

use std::cell::RefCell;

use super::*;

const QUEUE_STACK_CREATE_FLAG_MASK: u32 = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;

pub(super) struct QueueStack {
    elements: Vec<u8>,
    value_size: usize,
    /// max_entries + 1: one slot always stays empty, telling full from empty.
    size: u32,
    head: u32,
    tail: u32,
    stack: bool,
}

/// `queue_stack_map_alloc_check`.
pub(super) fn check_queue_stack(def: &MapDef) -> Result<()> {
    let f = def.map_flags;
    if def.max_entries == 0 || def.key_size != 0 || def.value_size == 0 || f & !QUEUE_STACK_CREATE_FLAG_MASK != 0 || !access_ok(f) {
        return fail(
            Errno::EINVAL,
            OP_CREATE,
            format!(
                "{} needs key_size 0 (it has {}), value_size and max_entries above 0, and no flags but BPF_F_NUMA_NODE and the access flags (flags {f:#x})",
                def.map_type, def.key_size
            ),
        );
    }
    if u64::from(def.value_size) > KMALLOC_MAX_SIZE {
        return Err(XdpError::new(Errno::E2BIG, OP_CREATE, "value_size above KMALLOC_MAX_SIZE")
            .len(u64::from(def.value_size))
            .limit(KMALLOC_MAX_SIZE));
    }
    // Linux 6.18 has no `max_entries >= U32_MAX / value_size` check (older kernels' E2BIG): a
    // 4 GiB queue is created (recorded); here the memory cap refuses it.
    charge((u64::from(def.max_entries) + 1) * u64::from(def.value_size), "the queue")
}

impl QueueStack {
    pub(super) fn new(def: &MapDef) -> Result<QueueStack> {
        let size = def.max_entries + 1;
        let elements = super::slab::zeroed_vec::<u8>(size as usize * def.value_size as usize)?;
        Ok(QueueStack { elements, value_size: def.value_size as usize, size, head: 0, tail: 0, stack: def.map_type == MapType::Stack })
    }

    pub(super) fn len(&self) -> usize {
        ((self.head + self.size - self.tail) % self.size) as usize
    }

    fn is_full(&self) -> bool {
        (self.head + 1) % self.size == self.tail
    }

    fn slot(&mut self, i: u32) -> &mut [u8] {
        let vs = self.value_size;
        &mut self.elements[i as usize * vs..(i as usize + 1) * vs]
    }

    /// `queue_stack_map_push_elem`: BPF_ANY or BPF_EXIST (which overwrites the oldest value of a
    /// full map); EINVAL for other flags, E2BIG when full without BPF_EXIST.
    pub(super) fn push(&mut self, value: &[u8], flags: u64, op: &'static str) -> Result<()> {
        if flags & BPF_NOEXIST != 0 || flags > BPF_EXIST {
            return fail(Errno::EINVAL, op, format!("flags {flags:#x}: a push takes BPF_ANY or BPF_EXIST"));
        }
        if self.is_full() {
            if flags & BPF_EXIST == 0 {
                return Err(XdpError::new(Errno::E2BIG, op, "the map is full (BPF_EXIST would drop the oldest value)")
                    .limit(u64::from(self.size - 1)));
            }
            self.tail = (self.tail + 1) % self.size;
        }
        let head = self.head;
        let vs = self.value_size;
        self.slot(head).copy_from_slice(&value[..vs]);
        self.head = (self.head + 1) % self.size;
        Ok(())
    }

    /// Pop (`delete`) or peek into `out` (value_size bytes): the oldest value of a queue, the
    /// newest of a stack. ENOENT when empty, with `out` zeroed as the kernel leaves it.
    pub(super) fn get(&mut self, out: &mut [u8], delete: bool, op: &'static str) -> Result<()> {
        if self.head == self.tail {
            out.fill(0);
            return fail(Errno::ENOENT, op, "the map is empty");
        }
        let index = if self.stack { (self.head + self.size - 1) % self.size } else { self.tail };
        out.copy_from_slice(self.slot(index));
        if delete {
            if self.stack {
                self.head = index;
            } else {
                self.tail = (self.tail + 1) % self.size;
            }
        }
        Ok(())
    }

    /// The values in pop order (what `bpftool map dump` cannot show, but the CLI does).
    pub(super) fn values(&self) -> Vec<Vec<u8>> {
        let vs = self.value_size;
        let n = self.len() as u32;
        (0..n)
            .map(|k| {
                let i = if self.stack { (self.head + self.size - 1 - k) % self.size } else { (self.tail + k) % self.size };
                self.elements[i as usize * vs..(i as usize + 1) * vs].to_vec()
            })
            .collect()
    }
}

impl Map {
    fn queue(&self, op: &'static str) -> Result<&RefCell<QueueStack>> {
        self.emulated(op)?;
        match &self.store {
            Store::QueueStack(q) => Ok(q),
            _ => fail(Errno::EINVAL, op, format!("map {} is a {}, not a queue or stack", self.name, self.def.map_type)),
        }
    }

    /// `bpf_map_push_elem` from a program (EACCES on a map programs may only read).
    pub fn push(&self, value: &[u8], flags: u64) -> Result<()> {
        let q = self.queue(OP_PUSH)?;
        self.check_len(value, self.def.value_size as usize, OP_PUSH)?;
        if self.def.map_flags & BPF_F_RDONLY_PROG != 0 {
            return fail(Errno::EACCES, OP_PUSH, format!("write into map {} forbidden: it is read-only for programs", self.name));
        }
        q.borrow_mut().push(value, flags, OP_PUSH)
    }

    /// `bpf_map_pop_elem` (`delete`) or `bpf_map_peek_elem` from a program, into `out`
    /// (value_size bytes; zeroed with ENOENT when empty).
    pub fn pop_or_peek(&self, out: &mut [u8], delete: bool) -> Result<()> {
        let op = if delete { OP_POP } else { OP_PEEK };
        let q = self.queue(op)?;
        self.check_len(out, self.def.value_size as usize, op)?;
        if delete && self.def.map_flags & BPF_F_RDONLY_PROG != 0 {
            return fail(Errno::EACCES, op, format!("write into map {} forbidden: it is read-only for programs", self.name));
        }
        q.borrow_mut().get(out, delete, op)
    }

    /// `BPF_MAP_LOOKUP_AND_DELETE_ELEM`: a queue's or stack's pop (no key, flags 0), or a hash
    /// map's lookup then delete (flags: BPF_F_LOCK only). ENOTSUPP for the other types, EPERM
    /// unless the map is readable and writable.
    pub fn lookup_and_delete_user(&self, key: &[u8], out: &mut Vec<u8>, flags: u64) -> Result<()> {
        const OP: &str = OP_LOOKUP_AND_DELETE;
        self.emulated(OP)?;
        if flags & !BPF_F_LOCK != 0 {
            return fail(Errno::EINVAL, OP, format!("unknown flags {flags:#x}"));
        }
        self.readable(OP)?;
        self.writable(OP)?;
        match &self.store {
            Store::QueueStack(q) => {
                if flags != 0 {
                    return fail(Errno::EINVAL, OP, "queues and stacks take no flags here");
                }
                out.clear();
                out.resize(self.def.value_size as usize, 0);
                q.borrow_mut().get(out, true, OP)
            }
            Store::Hash { table, .. } => {
                if flags & BPF_F_LOCK != 0 && self.spin_lock.get().is_none() {
                    return fail(Errno::EINVAL, OP, "BPF_F_LOCK on a value without a bpf_spin_lock");
                }
                self.lookup_user(key, out).map_err(|e| XdpError::new(e.errno, OP, e.message.clone()))?;
                self.hash_delete(table, key)
            }
            _ => fail(Errno::ENOTSUPP, OP, format!("{} maps have no lookup-and-delete", self.def.map_type)),
        }
    }

    /// A queue's or stack's values in pop order, without popping them.
    pub fn queued(&self) -> Vec<Vec<u8>> {
        match &self.store {
            Store::QueueStack(q) => q.borrow().values(),
            _ => Vec::new(),
        }
    }
}
