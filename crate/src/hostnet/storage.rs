//! Socket-local storage as a socket holds it (`sk->sk_bpf_storage`, kernel/bpf/bpf_local_storage.c
//! and net/core/bpf_sk_storage.c): one [`LocalStorage`] per socket, holding one element per
//! `BPF_MAP_TYPE_SK_STORAGE` map that gave the socket a value. The map side (`bpf::maps`) keeps
//! weak links to the storages it has elements in, so that whichever goes first — the socket
//! ([`crate::hostnet::HostNet::remove_socket`], or test_run's socket at the end of its run) or the
//! map — frees the elements at once, as `bpf_local_storage_destroy` and
//! `bpf_local_storage_map_free` do.
//!
//! Memory is charged to the socket as `bpf_sk_storage_charge` does: an element costs
//! [`SELEM_HEADER`] + value_size bytes and the socket's first element also the storage itself
//! ([`STORAGE_SIZE`]); a charge passes while `sk_omem_alloc + size < optmem_max`
//! ([`OPTMEM_MAX`], `net.core.optmem_max`'s 6.18 default). Every value allocated is counted
//! ([`live_values`]), so tests can prove that all of them went back.

use std::cell::{Cell, RefCell};
use std::ptr::NonNull;
use std::rc::Rc;

/// `offsetof(struct bpf_local_storage_elem, sdata.data)` on x86-64 6.18: an element's bytes
/// before its value (`smap->elem_size` is this plus value_size).
pub const SELEM_HEADER: u32 = 72;
/// `sizeof(struct bpf_local_storage)` on x86-64 6.18: charged with a socket's first element.
pub const STORAGE_SIZE: u32 = 176;
/// `net.core.optmem_max` (131072 since 6.9): what a socket may charge in all.
pub const OPTMEM_MAX: u32 = 131_072;

thread_local! {
    static LIVE_VALUES: Cell<u64> = const { Cell::new(0) };
}

/// Socket-storage values allocated on this thread and not yet freed.
pub fn live_values() -> u64 {
    LIVE_VALUES.with(Cell::get)
}

/// One element's value: zeroed bytes at an address that never moves (programs hold pointers to
/// it while they run), freed when the last holder — the socket's storage, a run that was handed
/// the pointer — lets go.
#[derive(Debug)]
pub struct StorageValue {
    ptr: NonNull<u8>,
    len: usize,
}

impl StorageValue {
    fn zeroed(len: usize) -> StorageValue {
        let b: Box<[u8]> = vec![0u8; len.max(1)].into_boxed_slice();
        let ptr = NonNull::new(Box::into_raw(b).cast::<u8>()).expect("a box is never null");
        LIVE_VALUES.with(|c| c.set(c.get() + 1));
        StorageValue { ptr, len }
    }

    pub fn addr(&self) -> u64 {
        self.ptr.as_ptr() as u64
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A copy of the bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        // SAFETY: `len` bytes owned by this value; programs write them only while they run, on
        // this thread, never during this call.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }.to_vec()
    }

    /// Overwrites the bytes (`copy_map_value`); `bytes` is exactly `len` long.
    pub fn write(&self, bytes: &[u8]) {
        debug_assert_eq!(bytes.len(), self.len);
        // SAFETY: as in `to_vec`; the lengths match.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.as_ptr(), self.len.min(bytes.len())) }
    }
}

impl Drop for StorageValue {
    fn drop(&mut self) {
        // SAFETY: made by `Box::into_raw` of a `len.max(1)`-byte slice in `zeroed`.
        unsafe { drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len.max(1)))) };
        LIVE_VALUES.with(|c| c.set(c.get() - 1));
    }
}

#[derive(Debug)]
struct Elem {
    /// The map's id (uxdp-wide, as `bpftool map show` prints it).
    map: u32,
    value: Rc<StorageValue>,
}

/// Why an element could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageError {
    /// BPF_NOEXIST and the socket has one for this map.
    Exists,
    /// BPF_EXIST and it has none.
    Missing,
    /// The socket's optmem charge would pass `optmem_max`.
    NoMemory,
}

/// A socket's storage: its elements, newest first (the kernel adds at the list's head), and what
/// they charge the socket.
#[derive(Debug, Default)]
pub struct LocalStorage {
    elems: RefCell<Vec<Elem>>,
    /// `sk_omem_alloc`'s share of this storage (elements, and the storage while it has any).
    charged: Cell<u32>,
}

impl LocalStorage {
    pub fn new() -> Rc<LocalStorage> {
        Rc::new(LocalStorage::default())
    }

    /// The value map `map` keeps on this socket.
    pub fn get(&self, map: u32) -> Option<Rc<StorageValue>> {
        self.elems.borrow().iter().find(|e| e.map == map).map(|e| e.value.clone())
    }

    /// Elements of map `map` here (0 or 1).
    pub fn has(&self, map: u32) -> bool {
        self.elems.borrow().iter().any(|e| e.map == map)
    }

    /// Elements held, all maps.
    pub fn len(&self) -> usize {
        self.elems.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.elems.borrow().is_empty()
    }

    /// Bytes charged to the socket.
    pub fn charged(&self) -> u32 {
        self.charged.get()
    }

    fn charge(&self, size: u32) -> bool {
        let now = self.charged.get();
        if size <= OPTMEM_MAX && now.saturating_add(size) < OPTMEM_MAX {
            self.charged.set(now + size);
            true
        } else {
            false
        }
    }

    /// `bpf_local_storage_update` without BPF_F_LOCK: a new element of `value_size` bytes holding
    /// `init` (zeroes when None) where `exist` allows it (None: BPF_ANY, Some(false): BPF_NOEXIST,
    /// Some(true): BPF_EXIST); an existing element is replaced by a new one (its old value stays
    /// valid for whoever still holds it). Returns the new value and whether the socket had no
    /// element of this map before (the map then links the storage).
    pub fn update(&self, map: u32, value_size: u32, init: Option<&[u8]>, exist: Option<bool>) -> Result<(Rc<StorageValue>, bool), StorageError> {
        let had = self.has(map);
        match (exist, had) {
            (Some(false), true) => return Err(StorageError::Exists),
            (Some(true), false) => return Err(StorageError::Missing),
            _ => {}
        }
        let elem_size = SELEM_HEADER + value_size;
        if !self.charge(elem_size) {
            return Err(StorageError::NoMemory);
        }
        if self.is_empty() && !self.charge(STORAGE_SIZE) {
            self.charged.set(self.charged.get() - elem_size);
            return Err(StorageError::NoMemory);
        }
        let value = Rc::new(StorageValue::zeroed(value_size as usize));
        if let Some(b) = init {
            value.write(&b[..value_size as usize]);
        }
        let mut elems = self.elems.borrow_mut();
        let old = elems.iter().position(|e| e.map == map).map(|i| elems.remove(i));
        elems.insert(0, Elem { map, value: value.clone() });
        drop(elems);
        if old.is_some() {
            self.charged.set(self.charged.get() - elem_size);
        }
        Ok((value, !had))
    }

    /// Unlinks map `map`'s element (`bpf_selem_unlink`); false when there is none. The last
    /// element takes the storage's own charge with it.
    pub fn remove(&self, map: u32, value_size: u32) -> bool {
        let mut elems = self.elems.borrow_mut();
        let Some(i) = elems.iter().position(|e| e.map == map) else { return false };
        elems.remove(i);
        let empty = elems.is_empty();
        drop(elems);
        let mut c = self.charged.get() - (SELEM_HEADER + value_size);
        if empty {
            c -= STORAGE_SIZE;
        }
        self.charged.set(c);
        true
    }

    /// Frees every element (the socket goes: `bpf_sk_storage_free`).
    pub fn destroy(&self) {
        self.elems.borrow_mut().clear();
        self.charged.set(0);
    }
}

impl Drop for LocalStorage {
    fn drop(&mut self) {
        self.destroy();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_charge_the_socket_and_go_back() {
        let base = live_values();
        let s = LocalStorage::new();
        let (v, first) = s.update(7, 8, Some(&[1, 2, 3, 4, 5, 6, 7, 8]), Some(false)).unwrap();
        assert!(first);
        assert_eq!(v.to_vec(), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(s.charged(), SELEM_HEADER + 8 + STORAGE_SIZE);
        assert_eq!(s.update(7, 8, None, Some(false)).unwrap_err(), StorageError::Exists);
        assert_eq!(s.update(8, 4, None, Some(true)).unwrap_err(), StorageError::Missing);
        // a replacing update: a new zeroed value, the old one still readable by its holder
        let (w, first) = s.update(7, 8, None, None).unwrap();
        assert!(!first);
        assert_eq!(w.to_vec(), [0; 8]);
        assert_eq!(v.to_vec(), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(live_values() - base, 2);
        drop(v);
        assert_eq!(live_values() - base, 1);
        assert_eq!(s.charged(), SELEM_HEADER + 8 + STORAGE_SIZE);
        s.update(9, 16, None, None).unwrap();
        assert!(s.remove(7, 8));
        assert!(!s.remove(7, 8));
        assert_eq!(s.charged(), SELEM_HEADER + 16 + STORAGE_SIZE);
        assert!(s.remove(9, 16));
        assert_eq!(s.charged(), 0);
        drop(w);
        assert_eq!(live_values(), base);
    }

    #[test]
    fn optmem_max_bounds_what_a_socket_holds() {
        let s = LocalStorage::new();
        let big = 65_000;
        s.update(1, big, None, None).unwrap();
        s.update(2, big, None, None).unwrap();
        // 2 × (72 + 65000) + 176 = 130320; a third would pass 131072
        assert_eq!(s.update(3, big, None, None).unwrap_err(), StorageError::NoMemory);
        assert_eq!(s.update(3, 700, None, None).unwrap_err(), StorageError::NoMemory, "130320 + 772 is not below 131072");
        s.update(3, 600, None, None).unwrap();
        assert_eq!(s.len(), 3);
        s.destroy();
        assert_eq!((s.len(), s.charged()), (0, 0));
    }
}
