//! Longest-prefix-match tries (`lpm_trie.c`): keys are `{u32 prefixlen; u8 data[key_size - 4]}`,
//! data compared most significant bit first. The tree is the kernel's: real nodes and
//! intermediate ones (no value) where two prefixes branch, so lookups, updates, deletes and the
//! post-order `get_next_key` walk visit nodes as the kernel's do. Values live in a slab of
//! `max_entries` slots that never moves; replacing a key's value writes its slot in place (the
//! kernel links a fresh node).

use std::cell::RefCell;

use super::slab::Slab;
use super::*;

const LPM_DATA_SIZE_MAX: u32 = 256;
const LPM_DATA_SIZE_MIN: u32 = 1;
/// `sizeof(struct lpm_trie_node)` (rcu head, two children, prefixlen, flags).
const LPM_NODE_HDR: u64 = 40;
const LPM_VAL_SIZE_MAX: u64 = KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX as u64 - LPM_NODE_HDR;
const LPM_CREATE_FLAG_MASK: u32 = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
const NONE: u32 = u32::MAX;

#[derive(Clone)]
struct Node {
    child: [u32; 2],
    prefixlen: u32,
    /// LPM_TREE_NODE_FLAG_IM: a branching point without a value of its own.
    intermediate: bool,
    data: Vec<u8>,
    /// Slot in the value slab (real nodes).
    value: u32,
}

pub(super) struct LpmTrie {
    nodes: Vec<Node>,
    free_nodes: Vec<u32>,
    free_values: Vec<u32>,
    fresh_value: u32,
    root: u32,
    pub(super) n_entries: u32,
    max_entries: u32,
    max_prefixlen: u32,
}

/// `trie_alloc`'s checks.
pub(super) fn check_lpm(def: &MapDef) -> Result<()> {
    let f = def.map_flags;
    if def.max_entries == 0 || f & BPF_F_NO_PREALLOC == 0 || f & !LPM_CREATE_FLAG_MASK != 0 || !access_ok(f) {
        return fail(
            Errno::EINVAL,
            OP_CREATE,
            format!("lpm_trie needs max_entries above 0 and BPF_F_NO_PREALLOC, with no flags but BPF_F_NUMA_NODE and the access flags (flags {f:#x})"),
        );
    }
    if def.key_size < 4 + LPM_DATA_SIZE_MIN || def.key_size > 4 + LPM_DATA_SIZE_MAX {
        return Err(XdpError::new(
            Errno::EINVAL,
            OP_CREATE,
            format!("lpm_trie keys are a u32 prefix length and 1 to 256 data bytes: key_size {} is not 5 to 260", def.key_size),
        )
        .len(u64::from(def.key_size)));
    }
    if def.value_size == 0 || u64::from(def.value_size) > LPM_VAL_SIZE_MAX {
        return Err(XdpError::new(
            Errno::EINVAL,
            OP_CREATE,
            format!("lpm_trie value_size {} is not 1 to {LPM_VAL_SIZE_MAX}", def.value_size),
        )
        .len(u64::from(def.value_size)));
    }
    charge(u64::from(def.max_entries) * (round8(def.value_size) + LPM_NODE_HDR + u64::from(def.key_size)), "the trie")
}

fn bit(data: &[u8], index: u32) -> usize {
    usize::from(data[(index / 8) as usize] & (1 << (7 - index % 8)) != 0)
}

impl LpmTrie {
    pub(super) fn new(def: &MapDef) -> LpmTrie {
        let data_size = def.key_size as usize - 4;
        LpmTrie {
            nodes: Vec::new(),
            free_nodes: Vec::new(),
            free_values: Vec::new(),
            fresh_value: 0,
            root: NONE,
            n_entries: 0,
            max_entries: def.max_entries,

            max_prefixlen: data_size as u32 * 8,
        }
    }

    fn prefixlen(key: &[u8]) -> u32 {
        le32(key)
    }

    /// `longest_prefix_match`: the leading bits `node` and `key` share, up to the shorter prefix.
    fn match_len(&self, n: u32, key: &[u8]) -> u32 {
        let node = &self.nodes[n as usize];
        let limit = node.prefixlen.min(Self::prefixlen(key));
        let mut len = 0;
        for (a, b) in node.data.iter().zip(&key[4..]) {
            let diff = a ^ b;
            len += diff.leading_zeros();
            if len >= limit {
                return limit;
            }
            if diff != 0 {
                return len;
            }
        }
        len.min(limit)
    }

    fn alloc_node(&mut self, node: Node) -> u32 {
        match self.free_nodes.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() as u32 - 1
            }
        }
    }

    fn free_node(&mut self, n: u32) {
        let node = &mut self.nodes[n as usize];
        if !node.intermediate && node.value != NONE {
            self.free_values.push(node.value);
        }
        node.value = NONE;
        node.data = Vec::new();
        self.free_nodes.push(n);
    }

    fn alloc_value(&mut self) -> u32 {
        self.free_values.pop().unwrap_or_else(|| {
            self.fresh_value += 1;
            self.fresh_value - 1
        })
    }

    /// `trie_lookup_elem`: the value slot of the longest prefix containing the key's.
    pub(super) fn lookup(&self, key: &[u8]) -> Option<u32> {
        if Self::prefixlen(key) > self.max_prefixlen {
            return None;
        }
        let mut found = NONE;
        let mut n = self.root;
        while n != NONE {
            let node = &self.nodes[n as usize];
            let m = self.match_len(n, key);
            if m == self.max_prefixlen {
                found = n;
                break;
            }
            if m < node.prefixlen {
                break;
            }
            if !node.intermediate {
                found = n;
            }
            n = node.child[bit(&key[4..], node.prefixlen)];
        }
        (found != NONE).then(|| self.nodes[found as usize].value)
    }

    fn check_add(&mut self, flags: u64, op: &'static str) -> Result<()> {
        if flags == BPF_EXIST {
            return fail(Errno::ENOENT, op, "the prefix does not exist and BPF_EXIST was given");
        }
        if self.n_entries == self.max_entries {
            return Err(XdpError::new(Errno::ENOSPC, op, format!("the trie is full ({} entries)", self.max_entries))
                .limit(u64::from(self.max_entries)));
        }
        self.n_entries += 1;
        Ok(())
    }

    /// `trie_update_elem`: the value slot to write the key's value to (zeroed when new).
    pub(super) fn update(&mut self, key: &[u8], flags: u64, op: &'static str) -> Result<(u32, bool)> {
        if flags > BPF_EXIST {
            return fail(Errno::EINVAL, op, format!("unknown flags {flags:#x}"));
        }
        let plen = Self::prefixlen(key);
        if plen > self.max_prefixlen {
            return Err(XdpError::new(
                Errno::EINVAL,
                op,
                format!("prefix length {plen} is longer than the key's {} bits", self.max_prefixlen),
            )
            .len(u64::from(plen))
            .limit(u64::from(self.max_prefixlen)));
        }
        let data = key[4..].to_vec();
        // `slot`: None is the root, Some((parent, bit)) a child link.
        let mut slot: Option<(u32, usize)> = None;
        let mut n = self.root;
        let mut matchlen = 0;
        while n != NONE {
            matchlen = self.match_len(n, key);
            let node = &self.nodes[n as usize];
            if node.prefixlen != matchlen || node.prefixlen == plen || node.prefixlen == self.max_prefixlen {
                break;
            }
            let b = bit(&data, node.prefixlen);
            slot = Some((n, b));
            n = node.child[b];
        }
        let new = |value: u32, child: [u32; 2]| Node { child, prefixlen: plen, intermediate: false, data: data.clone(), value };
        if n == NONE {
            self.check_add(flags, op)?;
            let v = self.alloc_value();
            let nn = self.alloc_node(new(v, [NONE, NONE]));
            self.set_slot(slot, nn);
            return Ok((v, true));
        }
        if self.nodes[n as usize].prefixlen == matchlen {
            // The very prefix: a real node gets the new value, an intermediate one becomes real.
            let node = &self.nodes[n as usize];
            if !node.intermediate {
                if flags == BPF_NOEXIST {
                    return fail(Errno::EEXIST, op, "the prefix exists and BPF_NOEXIST was given");
                }
                return Ok((node.value, false));
            }
            self.check_add(flags, op)?;
            let v = self.alloc_value();
            let node = &mut self.nodes[n as usize];
            node.intermediate = false;
            node.value = v;
            node.data = data;
            return Ok((v, true));
        }
        self.check_add(flags, op)?;
        let v = self.alloc_value();
        if matchlen == plen {
            // The new prefix contains the node's: it goes above it.
            let b = bit(&self.nodes[n as usize].data, matchlen);
            let mut child = [NONE, NONE];
            child[b] = n;
            let nn = self.alloc_node(new(v, child));
            self.set_slot(slot, nn);
            return Ok((v, true));
        }
        // They branch below a common prefix: an intermediate node holds both.
        let nn = self.alloc_node(new(v, [NONE, NONE]));
        let im_data = self.nodes[n as usize].data.clone();
        let child = if bit(&data, matchlen) == 1 { [n, nn] } else { [nn, n] };
        let im = self.alloc_node(Node { child, prefixlen: matchlen, intermediate: true, data: im_data, value: NONE });
        self.set_slot(slot, im);
        Ok((v, true))
    }

    fn set_slot(&mut self, slot: Option<(u32, usize)>, n: u32) {
        match slot {
            None => self.root = n,
            Some((p, b)) => self.nodes[p as usize].child[b] = n,
        }
    }

    /// `trie_delete_elem`: ENOENT unless the exact prefix is a real node.
    pub(super) fn delete(&mut self, key: &[u8], op: &'static str) -> Result<()> {
        let plen = Self::prefixlen(key);
        if plen > self.max_prefixlen {
            return fail(Errno::EINVAL, op, format!("prefix length {plen} is longer than the key's {} bits", self.max_prefixlen));
        }
        let mut trim: Option<(u32, usize)> = None;
        let mut trim2: Option<(u32, usize)> = None;
        let mut parent = NONE;
        let mut n = self.root;
        let mut matchlen = 0;
        while n != NONE {
            matchlen = self.match_len(n, key);
            let node = &self.nodes[n as usize];
            if node.prefixlen != matchlen || node.prefixlen == plen {
                break;
            }
            parent = n;
            trim2 = trim;
            let b = bit(&key[4..], node.prefixlen);
            trim = Some((n, b));
            n = node.child[b];
        }
        if n == NONE || {
            let node = &self.nodes[n as usize];
            node.prefixlen != plen || node.prefixlen != matchlen || node.intermediate
        } {
            return fail(Errno::ENOENT, op, "no such prefix");
        }
        self.n_entries -= 1;
        let [c0, c1] = self.nodes[n as usize].child;
        if c0 != NONE && c1 != NONE {
            // Still a branching point: it becomes intermediate.
            let v = self.nodes[n as usize].value;
            self.free_values.push(v);
            let node = &mut self.nodes[n as usize];
            node.intermediate = true;
            node.value = NONE;
            return Ok(());
        }
        if parent != NONE && self.nodes[parent as usize].intermediate && c0 == NONE && c1 == NONE {
            // A leaf under an intermediate node: the node's sibling takes the parent's place.
            let p = &self.nodes[parent as usize];
            let sibling = if p.child[0] == n { p.child[1] } else { p.child[0] };
            self.set_slot(trim2, sibling);
            self.free_node(parent);
            self.free_node(n);
            return Ok(());
        }
        let replacement = if c0 != NONE { c0 } else { c1 };
        self.set_slot(trim, replacement);
        self.free_node(n);
        Ok(())
    }

    fn key_of(&self, n: u32, out: &mut [u8]) {
        let node = &self.nodes[n as usize];
        out[..4].copy_from_slice(&node.prefixlen.to_le_bytes());
        out[4..].copy_from_slice(&node.data);
    }

    /// `trie_get_next_key`: real nodes in post-order (children before their parent, the 0 side
    /// first); an absent key (or none) gives the first. ENOENT after the last (and when empty).
    pub(super) fn next_key(&self, key: Option<&[u8]>, out: &mut [u8]) -> bool {
        if self.root == NONE {
            return false;
        }
        let mut search_root = self.root;
        let leftmost = |mut n: u32| -> u32 {
            let mut next = NONE;
            while n != NONE {
                let node = &self.nodes[n as usize];
                if node.intermediate {
                    n = node.child[0];
                } else {
                    next = n;
                    n = node.child[0];
                    if n == NONE {
                        n = self.nodes[next as usize].child[1];
                    }
                }
            }
            next
        };
        if let Some(key) = key.filter(|k| Self::prefixlen(k) <= self.max_prefixlen) {
            let plen = Self::prefixlen(key);
            let mut stack = Vec::new();
            let mut n = self.root;
            let mut matchlen = 0;
            while n != NONE {
                stack.push(n);
                matchlen = self.match_len(n, key);
                let node = &self.nodes[n as usize];
                if node.prefixlen != matchlen || node.prefixlen == plen {
                    break;
                }
                n = node.child[bit(&key[4..], node.prefixlen)];
            }
            let found = n != NONE && {
                let node = &self.nodes[n as usize];
                node.prefixlen == matchlen && !node.intermediate
            };
            if found {
                let mut node = *stack.last().unwrap();
                let mut sp = stack.len() - 1;
                loop {
                    if sp == 0 {
                        return false;
                    }
                    let parent = stack[sp - 1];
                    let p = &self.nodes[parent as usize];
                    if p.child[0] == node && p.child[1] != NONE {
                        search_root = p.child[1];
                        break;
                    }
                    if !p.intermediate {
                        self.key_of(parent, out);
                        return true;
                    }
                    node = parent;
                    sp -= 1;
                }
            }
        }
        let next = leftmost(search_root);
        if next == NONE {
            return false;
        }
        self.key_of(next, out);
        true
    }
}

impl Map {
    pub(super) fn lpm_update(&self, trie: &RefCell<LpmTrie>, values: &Slab, key: &[u8], value: &[u8], flags: u64) -> Result<()> {
        if flags & BPF_F_LOCK != 0 {
            return fail(Errno::EINVAL, OP_UPDATE, format!("unknown flags {flags:#x}"));
        }
        let value = detach(values, value);
        let (slot, fresh) = trie.borrow_mut().update(key, flags, OP_UPDATE)?;
        if fresh {
            values.zero(slot as usize * self.stride, self.stride);
        }
        values.write(slot as usize * self.stride, &value);
        Ok(())
    }
}
