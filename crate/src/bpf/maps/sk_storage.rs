//! `BPF_MAP_TYPE_SK_STORAGE` (net/core/bpf_sk_storage.c over kernel/bpf/bpf_local_storage.c): a
//! map with no entries of its own; each socket that got a value carries it in its
//! [`LocalStorage`] (a socket of the host model, or test_run's socket). The map keeps weak links
//! to those storages: a map that goes frees its elements in every socket still alive
//! (`bpf_local_storage_map_free`), a socket that goes frees its elements in every map.
//!
//! Programs reach values through bpf_sk_storage_get / bpf_sk_storage_delete
//! (`bpf::sock_helpers`); user space by socket, where the kernel takes a socket fd as the key
//! (`bpf_fd_sk_storage_lookup_elem` / `_update_elem` / `_delete_elem`): [`Map::sk_storage_lookup`],
//! [`Map::sk_storage_update`], [`Map::sk_storage_delete`] with a [`HostNet`] socket. The key
//! bytes alone name no socket here (EBADF), and there is no key to iterate (ENOTSUPP), as
//! `notsupp_get_next_key` answers.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use super::{fail, Map, BPF_F_CLONE, MapDef, Store, BPF_EXIST, BPF_F_LOCK, BPF_F_NO_PREALLOC, BPF_NOEXIST, OP_CREATE};
use crate::errno::{Errno, Result, XdpError};
use crate::hostnet::storage::{LocalStorage, StorageError, StorageValue, SELEM_HEADER};
use crate::hostnet::HostNet;

/// `BPF_LOCAL_STORAGE_CREATE_FLAG_MASK`.
const CREATE_FLAG_MASK: u32 = BPF_F_NO_PREALLOC | BPF_F_CLONE;
/// `BPF_LOCAL_STORAGE_MAX_VALUE_SIZE` on x86-64: `U16_MAX - sizeof(struct bpf_local_storage_elem)`
/// (128), the smaller of its two bounds.
pub const MAX_VALUE_SIZE: u32 = 65_535 - 128;
/// `BPF_SK_STORAGE_GET_F_CREATE`.
pub const BPF_SK_STORAGE_GET_F_CREATE: u64 = 1;

#[derive(Debug, Default)]
pub(super) struct SkStore {
    /// The map's id (set once the map has one): what its elements are known by in a storage.
    map_id: Cell<u32>,
    value_size: u32,
    /// Storages holding an element of this map (some perhaps gone, or emptied since).
    owners: RefCell<Vec<Weak<LocalStorage>>>,
}

impl SkStore {
    pub(super) fn set_map_id(&self, id: u32) {
        self.map_id.set(id);
    }

    fn link(&self, owner: &Rc<LocalStorage>) {
        let mut owners = self.owners.borrow_mut();
        owners.retain(|w| w.upgrade().is_some_and(|o| o.has(self.map_id.get())));
        if !owners.iter().any(|w| w.as_ptr() == Rc::as_ptr(owner)) {
            owners.push(Rc::downgrade(owner));
        }
    }

    /// Sockets holding a value of this map now.
    pub(super) fn len(&self) -> usize {
        let id = self.map_id.get();
        self.owners.borrow().iter().filter_map(Weak::upgrade).filter(|o| o.has(id)).count()
    }
}

impl Drop for SkStore {
    fn drop(&mut self) {
        let id = self.map_id.get();
        for owner in self.owners.get_mut().drain(..).filter_map(|w| w.upgrade()) {
            owner.remove(id, self.value_size);
        }
    }
}

/// `bpf_local_storage_map_alloc_check`'s checks (the BTF of key and value, which the kernel
/// also demands, is not asked for).
pub(super) fn create(def: &MapDef) -> Result<SkStore> {
    if def.map_flags & !CREATE_FLAG_MASK != 0 || def.map_flags & BPF_F_NO_PREALLOC == 0 || def.max_entries != 0 || def.key_size != 4 || def.value_size == 0 {
        return fail(
            Errno::EINVAL,
            OP_CREATE,
            "sk_storage needs BPF_F_NO_PREALLOC (and no flag but BPF_F_CLONE), max_entries 0, 4-byte keys (a socket fd) and a value",
        );
    }
    if def.value_size > MAX_VALUE_SIZE {
        return Err(XdpError::new(Errno::E2BIG, OP_CREATE, format!("an sk_storage value is at most {MAX_VALUE_SIZE} bytes"))
            .len(u64::from(def.value_size))
            .limit(u64::from(MAX_VALUE_SIZE)));
    }
    Ok(SkStore { map_id: Cell::new(0), value_size: def.value_size, owners: RefCell::default() })
}

impl Map {
    fn sk_store(&self, op: &'static str) -> Result<&SkStore> {
        match &self.store {
            Store::SkStorage(s) => Ok(s),
            _ => fail(Errno::EINVAL, op, format!("map '{}' is a {}, not an sk_storage map", self.name, self.def.map_type)),
        }
    }

    /// bpf_sk_storage_get on a full socket's storage: its value, or with `create` a new one
    /// holding `init` (zeroes when None); None when absent and not created (or the socket's
    /// optmem is spent).
    pub fn sk_storage_get(&self, owner: &Rc<LocalStorage>, init: Option<&[u8]>, create: bool) -> Option<Rc<StorageValue>> {
        let s = self.sk_store("bpf_sk_storage_get").ok()?;
        if let Some(v) = owner.get(s.map_id.get()) {
            return Some(v);
        }
        if !create {
            return None;
        }
        let (v, _) = owner.update(s.map_id.get(), s.value_size, init, Some(false)).ok()?;
        s.link(owner);
        Some(v)
    }

    /// bpf_sk_storage_delete's unlink: false when the socket has no value of this map.
    pub fn sk_storage_remove(&self, owner: &LocalStorage) -> bool {
        self.sk_store("bpf_sk_storage_delete").is_ok_and(|s| owner.remove(s.map_id.get(), s.value_size))
    }

    /// The user's lookup with a socket (`bpf_fd_sk_storage_lookup_elem`): the value, ENOENT when
    /// the socket has none, EBADF for a socket the model does not have.
    pub fn sk_storage_lookup(&self, host: &HostNet, socket: u64) -> Result<Vec<u8>> {
        const OP: &str = "bpf_map_lookup_elem";
        let s = self.sk_store(OP)?;
        let owner = storage_of(host, socket, OP)?;
        owner.get(s.map_id.get()).map(|v| v.to_vec()).ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("socket {socket} has no value in '{}'", self.name)))
    }

    /// The user's update with a socket (`bpf_fd_sk_storage_update_elem`): flags BPF_ANY,
    /// BPF_NOEXIST (EEXIST), BPF_EXIST (ENOENT); BPF_F_LOCK only with a bpf_spin_lock in the
    /// value (EINVAL); ENOMEM past the socket's optmem_max.
    pub fn sk_storage_update(&self, host: &HostNet, socket: u64, value: &[u8], flags: u64) -> Result<()> {
        const OP: &str = "bpf_map_update_elem";
        let s = self.sk_store(OP)?;
        if value.len() != s.value_size as usize {
            return Err(XdpError::new(Errno::EINVAL, OP, format!("the value is {} bytes, not {}", value.len(), s.value_size)).len(value.len() as u64));
        }
        if (flags & !BPF_F_LOCK) > BPF_EXIST || (flags & BPF_F_LOCK != 0 && self.spin_lock.get().is_none()) {
            return fail(Errno::EINVAL, OP, format!("flags {flags:#x}: BPF_ANY, BPF_NOEXIST or BPF_EXIST (BPF_F_LOCK with a bpf_spin_lock in the value)"));
        }
        let owner = storage_of(host, socket, OP)?;
        let exist = match flags & !BPF_F_LOCK {
            BPF_NOEXIST => Some(false),
            BPF_EXIST => Some(true),
            _ => None,
        };
        let id = s.map_id.get();
        if flags & BPF_F_LOCK != 0 {
            if let Some(v) = owner.get(id) {
                if exist == Some(false) {
                    return fail(Errno::EEXIST, OP, format!("socket {socket} has a value (BPF_NOEXIST)"));
                }
                // copy_map_value_locked: the value in place, its lock left alone
                let mut bytes = v.to_vec();
                let lock = self.spin_lock.get().unwrap_or(0) as usize;
                for (i, b) in value.iter().enumerate() {
                    if !(lock..lock + 4).contains(&i) {
                        bytes[i] = *b;
                    }
                }
                v.write(&bytes);
                return Ok(());
            }
        }
        match owner.update(id, s.value_size, Some(value), exist) {
            Ok(_) => {
                s.link(&owner);
                Ok(())
            }
            Err(StorageError::Exists) => fail(Errno::EEXIST, OP, format!("socket {socket} has a value (BPF_NOEXIST)")),
            Err(StorageError::Missing) => fail(Errno::ENOENT, OP, format!("socket {socket} has no value (BPF_EXIST)")),
            Err(StorageError::NoMemory) => Err(XdpError::new(
                Errno::ENOMEM,
                OP,
                format!("socket {socket}'s storage would pass net.core.optmem_max ({} bytes charged)", owner.charged()),
            )
            .len(u64::from(SELEM_HEADER + s.value_size))),
        }
    }

    /// The user's delete with a socket (`bpf_fd_sk_storage_delete_elem`): ENOENT when it has none.
    pub fn sk_storage_delete(&self, host: &HostNet, socket: u64) -> Result<()> {
        const OP: &str = "bpf_map_delete_elem";
        let s = self.sk_store(OP)?;
        let owner = storage_of(host, socket, OP)?;
        if owner.remove(s.map_id.get(), s.value_size) {
            Ok(())
        } else {
            fail(Errno::ENOENT, OP, format!("socket {socket} has no value in '{}'", self.name))
        }
    }

    /// The refusal of a user operation that names a socket by its key bytes (an fd, which uxdp
    /// has none of).
    pub(super) fn sk_storage_by_key(&self, op: &'static str) -> XdpError {
        XdpError::new(
            Errno::EBADF,
            op,
            format!("sk_storage map '{}' is keyed by a socket's fd: pass a socket of the host model (Map.socketStorage / setSocketStorage / deleteSocketStorage)", self.name),
        )
    }
}

fn storage_of(host: &HostNet, socket: u64, op: &'static str) -> Result<Rc<LocalStorage>> {
    host.socket_storage(socket).map_err(|_| XdpError::new(Errno::EBADF, op, format!("no socket {socket} in the host model")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::mapdef::MapType;
    use crate::hostnet::storage::live_values;
    use crate::hostnet::{Proto, SocketSpec};

    fn map(value_size: u32) -> Map {
        Map::new("sk_stg", MapDef::new(MapType::SkStorage, 4, value_size, 0, BPF_F_NO_PREALLOC), 1).unwrap()
    }

    #[test]
    fn creation_checks_are_the_kernels() {
        let bad = |d: MapDef| Map::new("x", d, 1).unwrap_err().errno;
        assert_eq!(bad(MapDef::new(MapType::SkStorage, 4, 8, 0, 0)), Errno::EINVAL, "BPF_F_NO_PREALLOC is required");
        assert_eq!(bad(MapDef::new(MapType::SkStorage, 4, 8, 1, BPF_F_NO_PREALLOC)), Errno::EINVAL, "max_entries must be 0");
        assert_eq!(bad(MapDef::new(MapType::SkStorage, 8, 8, 0, BPF_F_NO_PREALLOC)), Errno::EINVAL);
        assert_eq!(bad(MapDef::new(MapType::SkStorage, 4, 0, 0, BPF_F_NO_PREALLOC)), Errno::EINVAL);
        assert_eq!(bad(MapDef::new(MapType::SkStorage, 4, 8, 0, BPF_F_NO_PREALLOC | 2)), Errno::EINVAL);
        assert_eq!(bad(MapDef::new(MapType::SkStorage, 4, MAX_VALUE_SIZE + 1, 0, BPF_F_NO_PREALLOC)), Errno::E2BIG);
        Map::new("x", MapDef::new(MapType::SkStorage, 4, MAX_VALUE_SIZE, 0, BPF_F_NO_PREALLOC | BPF_F_CLONE), 1).unwrap();
    }

    #[test]
    fn user_side_by_socket_and_what_goes_with_a_socket_or_a_map() {
        let base = live_values();
        let host = Rc::new(HostNet::new());
        let a = host.add_socket(SocketSpec::new(0, Proto::Tcp, ("127.0.0.1".parse().unwrap(), 80))).unwrap();
        let b = host.add_socket(SocketSpec::new(0, Proto::Udp, ("127.0.0.1".parse().unwrap(), 53))).unwrap();
        let m = map(8);
        let m2 = map(4);
        assert_eq!(m.sk_storage_lookup(&host, a).unwrap_err().errno, Errno::ENOENT);
        assert_eq!(m.sk_storage_lookup(&host, 99).unwrap_err().errno, Errno::EBADF);
        assert_eq!(m.sk_storage_update(&host, a, &[1; 8], BPF_EXIST).unwrap_err().errno, Errno::ENOENT);
        m.sk_storage_update(&host, a, &[1; 8], BPF_NOEXIST).unwrap();
        assert_eq!(m.sk_storage_update(&host, a, &[2; 8], BPF_NOEXIST).unwrap_err().errno, Errno::EEXIST);
        assert_eq!(m.sk_storage_update(&host, a, &[2; 8], BPF_F_LOCK).unwrap_err().errno, Errno::EINVAL, "no lock in the value");
        assert_eq!(m.sk_storage_update(&host, a, &[2; 8], 3).unwrap_err().errno, Errno::EINVAL);
        assert_eq!(m.sk_storage_update(&host, a, &[2; 4], 0).unwrap_err().errno, Errno::EINVAL);
        m.sk_storage_update(&host, a, &[2; 8], BPF_EXIST).unwrap();
        assert_eq!(m.sk_storage_lookup(&host, a).unwrap(), [2; 8]);
        m.sk_storage_update(&host, b, &[3; 8], 0).unwrap();
        m2.sk_storage_update(&host, a, &[4; 4], 0).unwrap();
        assert_eq!((m.len(), m2.len()), (2, 1));
        assert_eq!(live_values() - base, 3);
        // the socket goes: its values in both maps with it
        host.remove_socket(a).unwrap();
        assert_eq!((m.len(), m2.len()), (1, 0));
        assert_eq!(live_values() - base, 1);
        // the map goes: its value on b with it
        drop(m);
        assert_eq!(live_values(), base);
        assert!(host.socket_storage(b).unwrap().is_empty());
        assert_eq!(m2.sk_storage_delete(&host, b).unwrap_err().errno, Errno::ENOENT);
        // key bytes name no socket
        assert_eq!(m2.lookup_user(&[0; 4], &mut Vec::new()).unwrap_err().errno, Errno::EBADF);
        assert_eq!(m2.update_user(&[0; 4], &[0; 4], 0).unwrap_err().errno, Errno::EBADF);
        assert_eq!(m2.delete_user(&[0; 4]).unwrap_err().errno, Errno::EBADF);
        assert_eq!(m2.next_key(None, &mut [0; 4]).unwrap_err().errno, Errno::ENOTSUPP);
    }

    #[test]
    fn program_side_get_create_and_remove() {
        let base = live_values();
        let m = map(8);
        let owner = LocalStorage::new();
        assert!(m.sk_storage_get(&owner, None, false).is_none());
        let v = m.sk_storage_get(&owner, Some(&[9; 8]), true).unwrap();
        assert_eq!(v.to_vec(), [9; 8]);
        let again = m.sk_storage_get(&owner, None, true).unwrap();
        assert_eq!(again.addr(), v.addr(), "an existing value, not a new one");
        assert!(m.sk_storage_remove(&owner));
        assert!(!m.sk_storage_remove(&owner));
        assert_eq!(v.to_vec(), [9; 8], "a value the run holds stays readable after its delete");
        drop((v, again));
        m.sk_storage_get(&owner, None, true).unwrap();
        drop(owner);
        assert_eq!(m.len(), 0);
        assert_eq!(live_values(), base);
    }
}
