//! Hash, LRU hash and devmap_hash tables: the kernel's buckets and chains, the creation checks of
//! `htab_map_alloc_check`, and the update and delete paths of hash and LRU hash maps.

use std::cell::RefCell;

use super::jhash::jhash;
use super::lru::{Lru, LruList, NIL};
use super::slab::{zeroed_vec, Slab};
use super::*;

/// The hash table of hash, LRU hash and devmap_hash maps: the kernel's bucket structure (chains
/// with new elements at the head), over preallocated slots whose values live in a separate slab.
pub(super) struct HashTable {
    pub(super) key_size: usize,
    /// devmap_hash indexes buckets by the key (an ifindex) itself.
    pub(super) identity: bool,
    pub(super) mask: u32,
    pub(super) heads: Vec<u32>,
    pub(super) chain: Vec<u32>,
    pub(super) hashes: Vec<u32>,
    pub(super) keys: Vec<u8>,
    /// Slots given back, reused last-in first-out.
    pub(super) free: Vec<u32>,
    /// Slots from here on have never been used.
    pub(super) fresh: u32,
    pub(super) cap: u32,
    pub(super) len: u32,
    pub(super) lru: Option<Lru>,
}

impl HashTable {
    /// `lru`: the number of LRU lists, each taking `cap / lists` elements.
    pub(super) fn new(key_size: u32, cap: u32, identity: bool, lru: Option<u32>) -> Result<HashTable> {
        let n_buckets = cap.checked_next_power_of_two().ok_or_else(|| XdpError::new(Errno::E2BIG, OP_CREATE, "too many entries"))?;
        let n = cap as usize;
        let lru = match lru {
            Some(lists) => {
                let lists = lists.max(1);
                Some(Lru {
                    prev: zeroed_vec(n)?,
                    next: zeroed_vec(n)?,
                    owner: zeroed_vec(n)?,
                    lists: vec![LruList { cap: cap / lists, ..LruList::default() }; lists as usize],
                })
            }
            None => None,
        };
        Ok(HashTable {
            key_size: key_size as usize,
            identity,
            mask: n_buckets - 1,
            heads: zeroed_vec(n_buckets as usize)?,
            chain: zeroed_vec(n)?,
            hashes: zeroed_vec(n)?,
            keys: zeroed_vec(n * key_size as usize)?,
            free: Vec::new(),
            fresh: 0,
            cap,
            len: 0,
            lru,
        })
    }

    pub(super) fn hash(&self, key: &[u8]) -> u32 {
        if self.identity {
            le32(key)
        } else {
            jhash(key, 0)
        }
    }

    pub(super) fn key(&self, s: usize) -> &[u8] {
        &self.keys[s * self.key_size..(s + 1) * self.key_size]
    }

    pub(super) fn bucket(&self, h: u32) -> usize {
        (h & self.mask) as usize
    }

    pub(super) fn find(&self, key: &[u8]) -> Option<usize> {
        if key.len() != self.key_size {
            return None;
        }
        let h = self.hash(key);
        let mut link = self.heads[self.bucket(h)];
        while link != NIL {
            let s = link as usize - 1;
            if self.hashes[s] == h && self.key(s) == key {
                return Some(s);
            }
            link = self.chain[s];
        }
        None
    }

    pub(super) fn link_head(&mut self, s: usize) {
        let b = self.bucket(self.hashes[s]);
        self.chain[s] = self.heads[b];
        self.heads[b] = s as u32 + 1;
    }

    pub(super) fn unlink(&mut self, s: usize) {
        let b = self.bucket(self.hashes[s]);
        let mut prev: Option<usize> = None;
        let mut link = self.heads[b];
        while link != NIL {
            let cur = link as usize - 1;
            if cur == s {
                match prev {
                    None => self.heads[b] = self.chain[s],
                    Some(p) => self.chain[p] = self.chain[s],
                }
                self.chain[s] = NIL;
                return;
            }
            prev = Some(cur);
            link = self.chain[cur];
        }
    }

    /// Moves a replaced element to the front of its bucket, where the kernel links the element
    /// that replaces it.
    pub(super) fn move_to_front(&mut self, s: usize) {
        self.unlink(s);
        self.link_head(s);
    }

    /// A new element for `key` (known absent), on LRU list `list`; None when no slot is free.
    pub(super) fn insert(&mut self, key: &[u8], list: u32) -> Option<usize> {
        let s = match self.free.pop() {
            Some(s) => s as usize,
            None if self.fresh < self.cap => {
                self.fresh += 1;
                self.fresh as usize - 1
            }
            None => return None,
        };
        let ks = self.key_size;
        self.keys[s * ks..(s + 1) * ks].copy_from_slice(key);
        self.hashes[s] = self.hash(key);
        self.link_head(s);
        self.len += 1;
        if let Some(lru) = self.lru.as_mut() {
            lru.push_front(s, list);
        }
        Some(s)
    }

    pub(super) fn remove(&mut self, s: usize) {
        self.unlink(s);
        if let Some(lru) = self.lru.as_mut() {
            lru.unlink(s);
        }
        self.free.push(s as u32);
        self.len -= 1;
    }

    /// `htab_map_get_next_key`: the element after `key` in its bucket, else the first element of
    /// the buckets after it; from the very first bucket when `key` is None or absent.
    pub(super) fn next(&self, key: Option<&[u8]>) -> Option<usize> {
        let mut b = 0;
        if let Some(s) = key.and_then(|k| self.find(k)) {
            if self.chain[s] != NIL {
                return Some(self.chain[s] as usize - 1);
            }
            b = self.bucket(self.hashes[s]) + 1;
        }
        self.heads.get(b..)?.iter().find(|&&h| h != NIL).map(|&h| h as usize - 1)
    }
}

/// `htab_map_alloc_check` and the size checks of `htab_map_alloc`; returns the effective
/// max_entries and the number of LRU lists.
pub(super) fn check_hash(def: &MapDef, nr_cpus: u32) -> Result<(u32, Option<u32>)> {
    let f = def.map_flags;
    let lru = matches!(def.map_type, MapType::LruHash | MapType::LruPercpuHash);
    let percpu = def.map_type.is_percpu();
    let percpu_lru = f & BPF_F_NO_COMMON_LRU != 0;
    let e = |msg: String| fail(Errno::EINVAL, OP_CREATE, msg);
    if f & !HTAB_CREATE_FLAG_MASK != 0 {
        return e(format!("flags {:#x} are not {} flags", f & !HTAB_CREATE_FLAG_MASK, def.map_type));
    }
    if !access_ok(f) {
        return e("BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together".into());
    }
    if !lru && percpu_lru {
        return e("BPF_F_NO_COMMON_LRU is for LRU maps".into());
    }
    if lru && f & BPF_F_NO_PREALLOC != 0 {
        return fail(Errno::ENOTSUPP, OP_CREATE, "LRU maps are always preallocated: BPF_F_NO_PREALLOC is not supported");
    }
    if (percpu || percpu_lru) && f & BPF_F_NUMA_NODE != 0 {
        return e("per-CPU values and per-CPU LRU lists cannot be placed on a NUMA node".into());
    }
    if def.max_entries == 0 || def.key_size == 0 || def.value_size == 0 {
        return e(format!(
            "max_entries ({}), key_size ({}) and value_size ({}) must not be 0",
            def.max_entries, def.key_size, def.value_size
        ));
    }
    if u64::from(def.key_size) + u64::from(def.value_size) >= KMALLOC_MAX_SIZE - HTAB_ELEM_HDR {
        return Err(XdpError::new(Errno::E2BIG, OP_CREATE, "key and value together must fit a 4 MiB element")
            .len(u64::from(def.key_size) + u64::from(def.value_size))
            .limit(KMALLOC_MAX_SIZE - HTAB_ELEM_HDR));
    }
    if percpu && round8(def.value_size) > PCPU_MIN_UNIT_SIZE {
        return Err(XdpError::new(Errno::E2BIG, OP_CREATE, "per-CPU values are at most 32 KiB")
            .len(u64::from(def.value_size))
            .limit(PCPU_MIN_UNIT_SIZE));
    }
    let mut max_entries = def.max_entries;
    if percpu_lru {
        // Every CPU's list gets the same share, at least one element.
        let up = u64::from(max_entries).div_ceil(u64::from(nr_cpus)) * u64::from(nr_cpus);
        max_entries = u32::try_from(up).unwrap_or(max_entries / nr_cpus * nr_cpus);
    }
    if max_entries > 1 << 31 {
        return Err(XdpError::new(Errno::E2BIG, OP_CREATE, "more than 2^31 entries").len(u64::from(max_entries)).limit(1 << 31));
    }
    let n_buckets = u64::from(max_entries.next_power_of_two());
    if n_buckets > u64::from(u32::MAX) / HTAB_BUCKET_SIZE {
        return Err(XdpError::new(Errno::E2BIG, OP_CREATE, "the bucket array would pass 4 GiB").len(u64::from(max_entries)));
    }
    let copies = if percpu { u64::from(nr_cpus) } else { 1 };
    let per_elem = round8(def.value_size) * copies + u64::from(def.key_size) + if lru { 20 } else { 8 };
    charge((n_buckets * 4).saturating_add(u64::from(max_entries).saturating_mul(per_elem)), "the hash table")?;
    let lists = lru.then_some(if percpu_lru { nr_cpus } else { 1 });
    Ok((max_entries, lists))
}

/// Which copies of a per-CPU hash value an update writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Copies {
    /// A map with one value per element.
    One,
    /// A program's update of a per-CPU map: its CPU's copy (a new element's other copies zeroed).
    Cpu(u32),
    /// A user update of a per-CPU map: every CPU's, each from its 8-byte-rounded place.
    All,
}

impl Map {
    /// Offset of element `s`'s value (CPU `cpu`'s copy in a per-CPU map).
    pub(super) fn hash_value_off(&self, s: usize, cpu: u32) -> usize {
        if self.def.map_type.is_percpu() {
            (s * self.nr_cpus as usize + cpu as usize) * self.stride
        } else {
            s * self.stride
        }
    }

    pub(super) fn lru_list(&self, cpu: u32) -> u32 {
        if self.def.map_flags & BPF_F_NO_COMMON_LRU != 0 {
            cpu % self.nr_cpus
        } else {
            0
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn hash_update(
        &self,
        table: &RefCell<HashTable>,
        values: &Slab,
        key: &[u8],
        value: &[u8],
        flags: u64,
        cpu: u32,
        copies: Copies,
    ) -> Result<()> {
        let lru = matches!(self.def.map_type, MapType::LruHash | MapType::LruPercpuHash);
        if ((lru || copies != Copies::One) && flags > BPF_EXIST) || flags & !BPF_F_LOCK > BPF_EXIST {
            return fail(Errno::EINVAL, OP_UPDATE, format!("unknown flags {flags:#x}"));
        }
        let locked = flags & BPF_F_LOCK != 0;
        if locked && self.spin_lock.get().is_none() {
            return fail(Errno::EINVAL, OP_UPDATE, "BPF_F_LOCK on a value without a bpf_spin_lock");
        }
        let value = detach(values, value);
        let mut t = table.borrow_mut();
        let found = t.find(key);
        match (found, flags & !BPF_F_LOCK) {
            (Some(_), BPF_NOEXIST) => return fail(Errno::EEXIST, OP_UPDATE, "the key exists and BPF_NOEXIST was given"),
            (None, BPF_EXIST) => return fail(Errno::ENOENT, OP_UPDATE, "the key does not exist and BPF_EXIST was given"),
            _ => {}
        }
        let s = match found {
            Some(s) => {
                if !locked {
                    t.move_to_front(s);
                    // A new element replaces the old, whose kptrs, lists and trees go.
                    if copies == Copies::One {
                        self.free_fields(values, s * self.stride);
                    }
                }
                if let Some(l) = t.lru.as_mut() {
                    l.touch(s);
                }
                s
            }
            None => {
                let list = self.lru_list(cpu);
                if let Some(l) = t.lru.as_ref() {
                    let ll = l.lists[list as usize];
                    if ll.len >= ll.cap && ll.tail != NIL {
                        let evicted = ll.tail as usize - 1;
                        t.remove(evicted);
                        if copies == Copies::One {
                            self.free_fields(values, evicted * self.stride);
                        }
                    }
                }
                let Some(s) = t.insert(key, list) else {
                    return Err(XdpError::new(Errno::E2BIG, OP_UPDATE, format!("the map is full ({} entries)", self.def.max_entries))
                        .limit(u64::from(self.def.max_entries)));
                };
                let n = if copies == Copies::One { 1 } else { self.nr_cpus as usize };
                values.zero(self.hash_value_off(s, 0), n * self.stride);
                s
            }
        };
        drop(t);
        match copies {
            Copies::One => self.put_value(values, s * self.stride, &value),
            Copies::Cpu(c) => values.write(self.hash_value_off(s, c), &value),
            Copies::All => {
                let vs = self.def.value_size as usize;
                for c in 0..self.nr_cpus {
                    let from = c as usize * self.stride;
                    values.write(self.hash_value_off(s, c), &value[from..from + vs]);
                }
            }
        }
        Ok(())
    }

    pub(super) fn hash_delete(&self, table: &RefCell<HashTable>, key: &[u8]) -> Result<()> {
        let mut t = table.borrow_mut();
        let s = t.find(key).ok_or_else(|| XdpError::new(Errno::ENOENT, OP_DELETE, "no such key"))?;
        t.remove(s);
        drop(t);
        if !self.def.map_type.is_percpu() {
            if let Store::Hash { values, .. } = &self.store {
                self.free_fields(values, s * self.stride);
            }
        }
        Ok(())
    }
}
