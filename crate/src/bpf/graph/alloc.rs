//! The objects `bpf_obj_new` allocates and the lists and trees made of them, as the kernel's
//! kernel/bpf/helpers.c keeps them (behaviour re-implemented, no kernel code):
//!
//! - an object is zeroed memory of its local type's size, its `bpf_refcount` set to 1; it lives
//!   in this thread's heap (counted: [`live_objects`]) until dropped, however many runs later;
//! - `struct bpf_list_head` (16 bytes) holds the first and last node's addresses;
//!   `struct bpf_list_node` (24 bytes) the next and previous node's and the head that owns it;
//! - `struct bpf_rb_root` (16 bytes, `rb_root_cached`) holds the root node and the leftmost;
//!   `struct bpf_rb_node` (32 bytes) its parent, right and left child and the owning root. The
//!   tree is a binary search tree ordered by the program's less() (equal keys go right, as the
//!   kernel's `rb_add_cached` walk sends them).
//!
//! - a per-CPU object (`bpf_percpu_obj_new`) is one copy of its type per possible CPU, each
//!   rounded up to 8 bytes, back to back: the program's pointer is the first copy's address (the
//!   verifier never lets it be dereferenced), bpf_this_cpu_ptr / bpf_per_cpu_ptr give a copy;
//! - a `__kptr` or `__percpu_kptr` field (of a map value or of an object) owns the object it
//!   points to: emptying the holder ([`contained`]) takes it out and drops that reference.
//!
//! Every address read out of a head, node or kptr field is checked against the heap before use:
//! an address is only ever followed when it lies inside a live object.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::Record;

/// One allocated object.
struct Obj {
    mem: Box<[u64]>,
    size: u32,
    record: Rc<Record>,
    /// The kernel's `bpf_refcount` (1 for types without one: dropped once).
    refs: u32,
    /// A per-CPU object: its copies (each `stride` bytes apart).
    percpu: Option<(u32, u32)>,
}

#[derive(Default)]
struct Heap {
    objects: BTreeMap<u64, Obj>,
}

thread_local! {
    static HEAP: RefCell<Heap> = RefCell::new(Heap::default());
}

/// Objects allocated and not yet freed (on this thread).
pub fn live_objects() -> usize {
    HEAP.with(|h| h.borrow().objects.len())
}

/// A new zeroed object of the record's type; its address.
pub fn alloc(record: Rc<Record>) -> u64 {
    let words = (record.size as usize).div_ceil(8).max(1);
    let mem = vec![0u64; words].into_boxed_slice();
    let addr = mem.as_ptr() as u64;
    let size = record.size;
    HEAP.with(|h| h.borrow_mut().objects.insert(addr, Obj { mem, size, record, refs: 1, percpu: None }));
    addr
}

/// A new zeroed per-CPU object: `nr_cpus` copies of the record's type; the first one's address.
pub fn alloc_percpu(record: Rc<Record>, nr_cpus: u32) -> u64 {
    let stride = record.size.div_ceil(8).max(1) * 8;
    let copies = nr_cpus.max(1);
    let mem = vec![0u64; (stride / 8 * copies) as usize].into_boxed_slice();
    let addr = mem.as_ptr() as u64;
    HEAP.with(|h| h.borrow_mut().objects.insert(addr, Obj { mem, size: stride * copies, record, refs: 1, percpu: Some((copies, stride)) }));
    addr
}

/// One CPU's copy of the per-CPU object starting at `start`: None when `start` is no per-CPU
/// object's start or the CPU is not one of its copies.
pub fn percpu_copy(start: u64, cpu: u32) -> Option<u64> {
    HEAP.with(|h| {
        let h = h.borrow();
        let (copies, stride) = h.objects.get(&start)?.percpu?;
        (cpu < copies).then(|| start + u64::from(cpu) * u64::from(stride))
    })
}

/// Whether an object starts at `addr` (`per_cpu`: a per-CPU one, or not).
pub fn is_object_start(addr: u64, per_cpu: bool) -> bool {
    HEAP.with(|h| h.borrow().objects.get(&addr).is_some_and(|o| o.percpu.is_some() == per_cpu))
}

/// The object holding `[addr, addr + len)`: its start, size and record.
pub fn object_at(addr: u64, len: u64) -> Option<(u64, u32, Rc<Record>)> {
    HEAP.with(|h| {
        let h = h.borrow();
        let (&start, o) = h.objects.range(..=addr).next_back()?;
        (addr.checked_add(len)? <= start + u64::from(o.size)).then(|| (start, o.size, o.record.clone()))
    })
}

/// `refcount_inc_not_zero`: whether the object took one more reference.
pub fn acquire(start: u64) -> bool {
    HEAP.with(|h| match h.borrow_mut().objects.get_mut(&start) {
        Some(o) if o.refs > 0 => {
            o.refs += 1;
            true
        }
        _ => false,
    })
}

/// Drops one reference to the object at `start`; at the last one its lists and trees are
/// emptied (their objects dropped in turn) and it is freed. Returns the addresses freed.
pub fn drop_obj(start: u64) -> Vec<u64> {
    let mut freed = Vec::new();
    let mut pending = vec![start];
    while let Some(s) = pending.pop() {
        let last = HEAP.with(|h| {
            let mut h = h.borrow_mut();
            let Some(o) = h.objects.get_mut(&s) else { return None };
            o.refs = o.refs.saturating_sub(1);
            if o.refs > 0 && o.record.has_refcount() {
                return None;
            }
            h.objects.remove(&s)
        });
        let Some(o) = last else { continue };
        pending.extend(contained(o.mem.as_ptr() as u64, &o.record));
        freed.push(s);
        drop(o);
    }
    freed
}

/// The objects the lists, trees and kptr fields in `[base, base + record.size)` hold, unlinked
/// from them (`bpf_obj_free_fields`): what a drop of the holder, or a map losing the value, must
/// drop.
pub fn contained(base: u64, record: &Record) -> Vec<u64> {
    let mut out = Vec::new();
    for f in &record.fields {
        if !matches!(f.kind, crate::bpf::verifier::FieldKind::KptrRef | crate::bpf::verifier::FieldKind::KptrPercpu) {
            continue;
        }
        let at = base + u64::from(f.off);
        let p = read(at);
        if p != 0 && is_object_start(p, f.kind == crate::bpf::verifier::FieldKind::KptrPercpu) {
            write(at, 0);
            out.push(p);
        } else if super::kernel_obj::is_object(p) {
            // A kernel object: its type's destructor drops the reference the field held.
            write(at, 0);
            super::kernel_obj::release(p);
        }
    }
    for root in &record.roots {
        let head = base + u64::from(root.off);
        let mut nodes = Vec::new();
        if root.kind == super::LIST_HEAD {
            let mut n = read(head);
            while n != 0 && object_at(n, 24).is_some() && nodes.len() < 1 << 24 {
                nodes.push(n);
                n = read(n);
            }
        } else {
            collect_tree(read(head), &mut nodes);
        }
        write(head, 0);
        write(head + 8, 0);
        for n in nodes {
            if let Some((start, _, _)) = object_at(n, 8) {
                clear_node(n, root.kind == super::LIST_HEAD);
                out.push(start);
            }
        }
    }
    out
}

fn collect_tree(n: u64, out: &mut Vec<u64>) {
    let mut stack = vec![n];
    while let Some(n) = stack.pop() {
        if n == 0 || object_at(n, 32).is_none() || out.len() > 1 << 24 {
            continue;
        }
        out.push(n);
        stack.push(read(n + RB_RIGHT));
        stack.push(read(n + RB_LEFT));
    }
}

fn clear_node(n: u64, list: bool) {
    let words = if list { 3 } else { 4 };
    for i in 0..words {
        write(n + 8 * i, 0);
    }
}

// Node and head words.
const LIST_NEXT: u64 = 0;
const LIST_PREV: u64 = 8;
const LIST_OWNER: u64 = 16;
const RB_PARENT: u64 = 0;
const RB_RIGHT: u64 = 8;
const RB_LEFT: u64 = 16;
const RB_OWNER: u64 = 24;

fn read(addr: u64) -> u64 {
    // SAFETY: callers pass addresses inside a live object or a checked map value / region.
    unsafe { (addr as *const u64).read_unaligned() }
}

fn write(addr: u64, v: u64) {
    // SAFETY: as `read`.
    unsafe { (addr as *mut u64).write_unaligned(v) }
}

/// A node address read from a head or node: followed only inside a live object.
fn node(addr: u64, len: u64) -> u64 {
    if addr != 0 && object_at(addr, len).is_some() {
        addr
    } else {
        0
    }
}

/// `__bpf_list_add`: links the node (in a live object) at the front or back of the head; a node
/// already in a list is refused (-EINVAL) and its object dropped, as the kernel does. Returns 0
/// or -EINVAL, and the addresses freed.
pub fn list_push(head: u64, n: u64, back: bool) -> (i64, Vec<u64>) {
    let Some((start, _, _)) = object_at(n, 24) else { return (-22, Vec::new()) };
    if read(n + LIST_OWNER) != 0 {
        return (-22, drop_obj(start));
    }
    let (first, last) = (node(read(head), 24), node(read(head + 8), 24));
    if first == 0 {
        write(head, n);
        write(head + 8, n);
        write(n + LIST_NEXT, 0);
        write(n + LIST_PREV, 0);
    } else if back {
        write(last + LIST_NEXT, n);
        write(n + LIST_PREV, last);
        write(n + LIST_NEXT, 0);
        write(head + 8, n);
    } else {
        write(first + LIST_PREV, n);
        write(n + LIST_NEXT, first);
        write(n + LIST_PREV, 0);
        write(head, n);
    }
    write(n + LIST_OWNER, head);
    (0, Vec::new())
}

/// `__bpf_list_del`: unlinks and returns the first (or last) node, 0 when empty.
pub fn list_pop(head: u64, back: bool) -> u64 {
    let n = list_peek(head, back);
    if n == 0 || read(n + LIST_OWNER) != head {
        return 0;
    }
    let (next, prev) = (node(read(n + LIST_NEXT), 24), node(read(n + LIST_PREV), 24));
    if prev == 0 {
        write(head, next);
    } else {
        write(prev + LIST_NEXT, next);
    }
    if next == 0 {
        write(head + 8, prev);
    } else {
        write(next + LIST_PREV, prev);
    }
    clear_node(n, true);
    n
}

/// bpf_list_front / bpf_list_back: the first (last) node without unlinking it.
pub fn list_peek(head: u64, back: bool) -> u64 {
    node(read(head + if back { 8 } else { 0 }), 24)
}

/// `__bpf_rbtree_add`: the walk from the root asks `less(node, parent)` (left when true, right
/// otherwise), then links the node there. A node already in a tree: -EINVAL, its object dropped.
pub fn rb_add(root: u64, n: u64, less: &mut dyn FnMut(u64, u64) -> Result<bool, crate::errno::XdpError>) -> Result<(i64, Vec<u64>), crate::errno::XdpError> {
    let Some((start, _, _)) = object_at(n, 32) else { return Ok((-22, Vec::new())) };
    if read(n + RB_OWNER) != 0 {
        return Ok((-22, drop_obj(start)));
    }
    let mut parent = 0u64;
    let mut cur = node(read(root), 32);
    let mut went_left = false;
    let mut leftmost = true;
    while cur != 0 {
        parent = cur;
        if less(n, cur)? {
            went_left = true;
            cur = node(read(cur + RB_LEFT), 32);
        } else {
            went_left = false;
            leftmost = false;
            cur = node(read(cur + RB_RIGHT), 32);
        }
    }
    write(n + RB_PARENT, parent);
    write(n + RB_LEFT, 0);
    write(n + RB_RIGHT, 0);
    if parent == 0 {
        write(root, n);
    } else if went_left {
        write(parent + RB_LEFT, n);
    } else {
        write(parent + RB_RIGHT, n);
    }
    if leftmost {
        write(root + 8, n);
    }
    write(n + RB_OWNER, root);
    Ok((0, Vec::new()))
}

pub fn rb_first(root: u64) -> u64 {
    node(read(root + 8), 32)
}

pub fn rb_root(root: u64) -> u64 {
    node(read(root), 32)
}

/// The left or right child of a node in this tree, 0 if none (or the node is not in it).
pub fn rb_child(root: u64, n: u64, left: bool) -> u64 {
    if object_at(n, 32).is_none() || read(n + RB_OWNER) != root {
        return 0;
    }
    node(read(n + if left { RB_LEFT } else { RB_RIGHT }), 32)
}

/// `bpf_rbtree_remove`: unlinks the node from this tree (0 when it is in no tree or another).
pub fn rb_remove(root: u64, n: u64) -> u64 {
    if object_at(n, 32).is_none() || read(n + RB_OWNER) != root {
        return 0;
    }
    let (left, right, parent) = (node(read(n + RB_LEFT), 32), node(read(n + RB_RIGHT), 32), node(read(n + RB_PARENT), 32));
    // The in-order successor replaces a node with two children.
    let replacement = if left == 0 {
        right
    } else if right == 0 {
        left
    } else {
        let mut s = right;
        while node(read(s + RB_LEFT), 32) != 0 {
            s = node(read(s + RB_LEFT), 32);
        }
        if s != right {
            let (sp, sr) = (node(read(s + RB_PARENT), 32), node(read(s + RB_RIGHT), 32));
            write(sp + RB_LEFT, sr);
            if sr != 0 {
                write(sr + RB_PARENT, sp);
            }
            write(s + RB_RIGHT, right);
            write(right + RB_PARENT, s);
        }
        write(s + RB_LEFT, left);
        write(left + RB_PARENT, s);
        s
    };
    if replacement != 0 {
        write(replacement + RB_PARENT, parent);
    }
    if parent == 0 {
        write(root, replacement);
    } else if node(read(parent + RB_LEFT), 32) == n {
        write(parent + RB_LEFT, replacement);
    } else {
        write(parent + RB_RIGHT, replacement);
    }
    if read(root + 8) == n {
        // The new leftmost: the leftmost of what remains.
        let mut m = node(read(root), 32);
        while m != 0 && node(read(m + RB_LEFT), 32) != 0 {
            m = node(read(m + RB_LEFT), 32);
        }
        write(root + 8, m);
    }
    clear_node(n, false);
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::graph::{GraphRoot, LIST_HEAD, LIST_NODE, RB_NODE};
    use crate::bpf::verifier::SpecialField;

    fn item() -> Rc<Record> {
        // struct { long v; struct bpf_list_node l; struct bpf_rb_node r; struct bpf_refcount c; }.
        Rc::new(Record {
            name: "item".into(),
            size: 72,
            fields: vec![
                SpecialField { off: 8, size: 24, kind: LIST_NODE, kptr_type: 0 },
                SpecialField { off: 32, size: 32, kind: RB_NODE, kptr_type: 0 },
                SpecialField { off: 64, size: 4, kind: crate::bpf::graph::REFCOUNT, kptr_type: 0 },
            ],
            roots: vec![],
        })
    }

    #[test]
    fn list_push_pop_and_drop_count() {
        let before = live_objects();
        let mut head = [0u64; 2];
        let h = head.as_mut_ptr() as u64;
        let objs: Vec<u64> = (0..3).map(|_| alloc(item())).collect();
        for (i, &o) in objs.iter().enumerate() {
            write(o, i as u64);
            assert_eq!(list_push(h, o + 8, true).0, 0);
        }
        assert_eq!(live_objects(), before + 3);
        // A node already in a list (a second reference, bpf_refcount_acquire's): refused, that
        // reference dropped; the list's keeps the object.
        assert!(acquire(objs[1]));
        let (r, freed) = list_push(h, objs[1] + 8, false);
        assert_eq!((r, freed), (-22, vec![]));
        assert_eq!(live_objects(), before + 3);
        assert_eq!(list_peek(h, false), objs[0] + 8);
        let n = list_pop(h, true);
        assert_eq!(n, objs[2] + 8);
        drop_obj(objs[2]);
        // A holder with a list drops what the list holds.
        let holder = Rc::new(Record {
            name: "holder".into(),
            size: 16,
            fields: vec![],
            roots: vec![GraphRoot { off: 0, kind: LIST_HEAD, value_type: 0, value_name: "item".into(), node_off: 8 }],
        });
        let hobj = alloc(holder);
        let n0 = list_pop(h, false);
        assert_eq!(n0, objs[0] + 8);
        assert_eq!(list_push(hobj, n0, false).0, 0);
        assert_eq!(drop_obj(hobj).len(), 2);
        let n1 = list_pop(h, false);
        assert_eq!(n1, objs[1] + 8);
        assert_eq!(drop_obj(objs[1]), vec![objs[1]]);
        assert_eq!(list_pop(h, false), 0);
        assert_eq!(live_objects(), before);
    }

    #[test]
    fn rbtree_orders_by_less() {
        let before = live_objects();
        let mut root = [0u64; 2];
        let r = root.as_mut_ptr() as u64;
        let mut objs = Vec::new();
        for key in [5u64, 2, 8, 1, 9, 3] {
            let o = alloc(item());
            write(o, key);
            objs.push(o);
            let mut less = |a: u64, b: u64| Ok(read(a - 32) < read(b - 32));
            assert_eq!(rb_add(r, o + 32, &mut less).unwrap().0, 0);
        }
        let mut keys = Vec::new();
        while rb_first(r) != 0 {
            let n = rb_remove(r, rb_first(r));
            keys.push(read(n - 32));
            drop_obj(n - 32);
        }
        assert_eq!(keys, vec![1, 2, 3, 5, 8, 9]);
        assert_eq!(live_objects(), before);
        let _ = objs;
    }

    #[test]
    fn percpu_objects_have_a_copy_per_cpu() {
        let before = live_objects();
        let rec = Rc::new(Record { name: "pcpu".into(), size: 12, fields: vec![], roots: vec![] });
        let p = alloc_percpu(rec, 3);
        assert!(is_object_start(p, true));
        assert!(!is_object_start(p, false));
        let copies: Vec<u64> = (0..4).map(|c| percpu_copy(p, c).unwrap_or(0)).collect();
        assert_eq!(copies, vec![p, p + 16, p + 32, 0], "12 bytes rounded to 16; no CPU 3");
        write(copies[1], 7);
        assert_eq!((read(copies[0]), read(copies[1]), read(copies[2])), (0, 7, 0));
        assert_eq!(live_objects(), before + 1);
        assert_eq!(drop_obj(p), vec![p]);
        assert_eq!(live_objects(), before);
    }

    #[test]
    fn kptr_fields_own_their_objects() {
        use crate::bpf::verifier::FieldKind;
        let before = live_objects();
        let plain = Rc::new(Record { name: "plain".into(), size: 16, fields: vec![], roots: vec![] });
        // struct holder { long k; struct plain __kptr *inner; struct plain __kptr_untrusted *seen; }
        let holder = Rc::new(Record {
            name: "holder".into(),
            size: 24,
            fields: vec![
                SpecialField { off: 8, size: 8, kind: FieldKind::KptrRef, kptr_type: 1 },
                SpecialField { off: 16, size: 8, kind: FieldKind::KptrUnref, kptr_type: 1 },
            ],
            roots: vec![],
        });
        let h = alloc(holder.clone());
        let inner = alloc(plain.clone());
        let other = alloc(plain);
        write(h + 8, inner);
        write(h + 16, other);
        // The holder goes: what its referenced kptr owns goes with it, an untrusted one's does not.
        assert_eq!(drop_obj(h), vec![h, inner]);
        assert_eq!(live_objects(), before + 1);
        // A value emptied (a map update): the field reads 0 and its object is handed back.
        let mut value = [0u64; 3];
        let v = value.as_mut_ptr() as u64;
        write(v + 8, other);
        assert_eq!(contained(v, &holder), vec![other]);
        assert_eq!(value[1], 0);
        assert_eq!(drop_obj(other), vec![other]);
        assert_eq!(live_objects(), before);
    }
}
