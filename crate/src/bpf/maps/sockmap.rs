//! sockmap and sockhash (net/core/sock_map.c): slots holding sockets of the host model
//! ([`crate::hostnet`]). User space puts a socket in with its handle (where the kernel takes an fd)
//! and reads back its cookie (the handle; ENOSPC unless values are 8 bytes); a program's lookup
//! returns the socket itself, referenced (the helper turns the entry into a `struct bpf_sock`). A
//! socket the model closes leaves the maps, as `sock_map_close` unlinks it.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::{fail, le32, Map, MapDef, Store, BPF_EXIST, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, OP_CREATE};
use crate::errno::{Errno, Result, XdpError};
use crate::hostnet::{HostNet, Proto, SockState};

const SOCK_CREATE_FLAG_MASK: u32 = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;
/// `MAX_BPF_STACK`: a sockhash key must fit a program's stack.
const MAX_BPF_STACK: u32 = 512;

/// A socket in a slot: the model it lives in and its handle.
#[derive(Clone, Debug)]
pub struct SockEntry {
    pub host: Rc<HostNet>,
    pub id: u64,
}

impl SockEntry {
    fn alive(&self) -> bool {
        self.host.state().sockets.contains_key(&self.id)
    }
}

#[derive(Debug)]
pub(super) enum SockStore {
    /// sockmap: index → socket.
    Array(BTreeMap<u32, SockEntry>),
    /// sockhash: key → socket, in insertion order.
    Hash(Vec<(Vec<u8>, SockEntry)>),
}

/// `sock_map_alloc` / `sock_hash_alloc`'s checks.
pub(super) fn create(def: &MapDef, hash: bool) -> Result<SockStore> {
    let what = if hash { "sockhash" } else { "sockmap" };
    let key_ok = if hash { def.key_size != 0 } else { def.key_size == 4 };
    if def.max_entries == 0 || !key_ok || !matches!(def.value_size, 4 | 8) || def.map_flags & !SOCK_CREATE_FLAG_MASK != 0 {
        return fail(
            Errno::EINVAL,
            OP_CREATE,
            format!(
                "{what} needs max_entries > 0, {} keys, 4- or 8-byte values (a socket) and no flags but BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY",
                if hash { "non-empty" } else { "4-byte" }
            ),
        );
    }
    if hash && def.key_size > MAX_BPF_STACK {
        return Err(XdpError::new(Errno::E2BIG, OP_CREATE, "a sockhash key must fit the BPF stack (512 bytes)")
            .len(u64::from(def.key_size))
            .limit(u64::from(MAX_BPF_STACK)));
    }
    Ok(if hash { SockStore::Hash(Vec::new()) } else { SockStore::Array(BTreeMap::new()) })
}

impl SockStore {
    pub(super) fn len(&self) -> usize {
        match self {
            SockStore::Array(m) => m.values().filter(|e| e.alive()).count(),
            SockStore::Hash(v) => v.iter().filter(|(_, e)| e.alive()).count(),
        }
    }

    fn get(&self, key: &[u8]) -> Option<&SockEntry> {
        match self {
            SockStore::Array(m) => m.get(&le32(key)),
            SockStore::Hash(v) => v.iter().find(|(k, _)| k == key).map(|(_, e)| e),
        }
        .filter(|e| e.alive())
    }

    /// Drops entries whose socket the model closed.
    fn prune(&mut self) {
        match self {
            SockStore::Array(m) => m.retain(|_, e| e.alive()),
            SockStore::Hash(v) => v.retain(|(_, e)| e.alive()),
        }
    }

    pub(super) fn next_hash_key(&self, key: Option<&[u8]>) -> Option<Vec<u8>> {
        let SockStore::Hash(v) = self else { return None };
        let live: Vec<&Vec<u8>> = v.iter().filter(|(_, e)| e.alive()).map(|(k, _)| k).collect();
        match key.and_then(|k| live.iter().position(|x| x.as_slice() == k)) {
            Some(i) => live.get(i + 1).map(|k| (*k).clone()),
            None => live.first().map(|k| (*k).clone()),
        }
    }
}

impl Map {
    fn socks(&self) -> Option<&std::cell::RefCell<SockStore>> {
        match &self.store {
            Store::Sock(s) => Some(s),
            _ => None,
        }
    }

    /// A program's lookup: the live socket under `key` (the helper takes the reference).
    pub fn sock_lookup(&self, key: &[u8]) -> Option<SockEntry> {
        if key.len() != self.def.key_size as usize {
            return None;
        }
        self.socks()?.borrow().get(key).cloned()
    }

    /// Puts socket `id` of `host` under `key` (`sock_map_update_common` / `sock_hash_update_common`
    /// after `sock_map_sk_state_allowed`): TCP sockets must be established or listening, a UDP
    /// socket may be any (EOPNOTSUPP otherwise); flags BPF_ANY, BPF_NOEXIST, BPF_EXIST.
    pub fn sock_update(&self, key: &[u8], host: &Rc<HostNet>, id: u64, flags: u64, op: &'static str) -> Result<()> {
        self.emulated(op)?;
        self.check_key(key, op)?;
        let Some(store) = self.socks() else { return fail(Errno::EINVAL, op, format!("{} holds no sockets", self.def.map_type)) };
        {
            let st = host.state();
            let s = st.socket(id).map_err(|_| XdpError::new(Errno::EBADF, op, format!("no socket {id} in the host model")))?;
            if s.proto == Proto::Tcp && !matches!(s.state, SockState::ESTABLISHED | SockState::LISTEN) {
                return fail(Errno::EOPNOTSUPP, op, format!("a TCP socket in state {} cannot go into a {}: established or listening only", s.state, self.def.map_type));
            }
        }
        if flags > BPF_EXIST {
            return fail(Errno::EINVAL, op, format!("unknown flags {flags:#x}"));
        }
        let mut store = store.borrow_mut();
        store.prune();
        let exists = store.get(key).is_some();
        if exists && flags == super::BPF_NOEXIST {
            return fail(Errno::EEXIST, op, "the slot holds a socket (BPF_NOEXIST)");
        }
        let entry = SockEntry { host: host.clone(), id };
        match &mut *store {
            SockStore::Array(m) => {
                let i = le32(key);
                if i >= self.def.max_entries {
                    return Err(XdpError::new(Errno::E2BIG, op, format!("index {i} is past the {} entries", self.def.max_entries))
                        .offset(i64::from(i))
                        .limit(u64::from(self.def.max_entries)));
                }
                if !exists && flags == BPF_EXIST {
                    return fail(Errno::ENOENT, op, "the slot is empty (BPF_EXIST)");
                }
                m.insert(i, entry);
            }
            SockStore::Hash(v) => {
                if !exists && flags == BPF_EXIST {
                    return fail(Errno::ENOENT, op, "no such key (BPF_EXIST)");
                }
                match v.iter_mut().find(|(k, _)| k == key) {
                    Some(slot) => slot.1 = entry,
                    None => {
                        if v.len() >= self.def.max_entries as usize {
                            return fail(Errno::E2BIG, op, format!("the sockhash is full ({} entries)", self.def.max_entries));
                        }
                        v.push((key.to_vec(), entry));
                    }
                }
            }
        }
        Ok(())
    }

    /// Removes a socket: sockmap EINVAL past the end or for an empty slot, sockhash ENOENT.
    pub(super) fn sock_delete(&self, store: &std::cell::RefCell<SockStore>, key: &[u8], op: &'static str) -> Result<()> {
        let mut store = store.borrow_mut();
        store.prune();
        match &mut *store {
            SockStore::Array(m) => {
                let i = le32(key);
                if i >= self.def.max_entries || m.remove(&i).is_none() {
                    return fail(Errno::EINVAL, op, format!("slot {i} holds no socket"));
                }
            }
            SockStore::Hash(v) => {
                let n = v.len();
                v.retain(|(k, _)| k != key);
                if v.len() == n {
                    return fail(Errno::ENOENT, op, "no such key");
                }
            }
        }
        Ok(())
    }

    /// A user lookup: the socket's cookie (its handle), for 8-byte values only (ENOSPC).
    pub(super) fn sock_lookup_user(&self, store: &std::cell::RefCell<SockStore>, key: &[u8], out: &mut Vec<u8>, op: &'static str) -> Result<()> {
        if self.def.value_size != 8 {
            return fail(Errno::ENOSPC, op, "a socket's cookie is read back from maps with 8-byte values only");
        }
        let id = store.borrow().get(key).map(|e| e.id).ok_or_else(|| XdpError::new(Errno::ENOENT, op, "no socket under this key"))?;
        out.clear();
        out.extend_from_slice(&id.to_le_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Map, MapDef, MapType, BPF_ANY, BPF_EXIST, BPF_NOEXIST};
    use super::*;
    use crate::hostnet::SocketSpec;

    #[test]
    fn sockets_in_and_out_with_the_kernels_errors() {
        let h = Rc::new(HostNet::new());
        let l = h.add_socket(SocketSpec::new(0, Proto::Tcp, ("127.0.0.1".parse().unwrap(), 80))).unwrap();
        let mut tw = SocketSpec::new(0, Proto::Tcp, ("127.0.0.1".parse().unwrap(), 80));
        tw.remote = Some(("127.0.0.1".parse().unwrap(), 5000));
        tw.state = Some(SockState::TIME_WAIT);
        let tw = h.add_socket(tw).unwrap();
        let m = Map::new("socks", MapDef::new(MapType::Sockmap, 4, 8, 2, 0), 1).unwrap();
        let k0 = 0u32.to_le_bytes();
        m.sock_update(&k0, &h, l, BPF_ANY, "t").unwrap();
        assert_eq!(m.sock_update(&k0, &h, l, BPF_NOEXIST, "t").unwrap_err().errno, Errno::EEXIST);
        assert_eq!(m.sock_update(&1u32.to_le_bytes(), &h, l, BPF_EXIST, "t").unwrap_err().errno, Errno::ENOENT);
        assert_eq!(m.sock_update(&2u32.to_le_bytes(), &h, l, BPF_ANY, "t").unwrap_err().errno, Errno::E2BIG);
        assert_eq!(m.sock_update(&1u32.to_le_bytes(), &h, tw, BPF_ANY, "t").unwrap_err().errno, Errno::EOPNOTSUPP);
        assert_eq!(m.sock_update(&1u32.to_le_bytes(), &h, l, 4, "t").unwrap_err().errno, Errno::EINVAL);
        let mut out = Vec::new();
        m.lookup_user(&k0, &mut out).unwrap();
        assert_eq!(out, l.to_le_bytes());
        assert_eq!(m.sock_lookup(&k0).map(|e| e.id), Some(l));
        assert_eq!(m.update_user(&k0, &[0; 8], 0).unwrap_err().errno, Errno::EOPNOTSUPP);
        // a closed socket leaves the map
        h.remove_socket(l).unwrap();
        assert!(m.sock_lookup(&k0).is_none());
        assert_eq!(m.delete_user(&k0).unwrap_err().errno, Errno::EINVAL);
        // 4-byte values: no cookie
        let m4 = Map::new("s4", MapDef::new(MapType::Sockhash, 2, 4, 1, 0), 1).unwrap();
        let l2 = h.add_socket(SocketSpec::new(0, Proto::Udp, ("0.0.0.0".parse().unwrap(), 53))).unwrap();
        m4.sock_update(&[1, 2], &h, l2, BPF_ANY, "t").unwrap();
        assert_eq!(m4.lookup_user(&[1, 2], &mut out).unwrap_err().errno, Errno::ENOSPC);
        assert_eq!(m4.sock_update(&[1, 3], &h, l2, BPF_ANY, "t").unwrap_err().errno, Errno::E2BIG);
        m4.delete_user(&[1, 2]).unwrap();
        assert_eq!(m4.delete_user(&[1, 2]).unwrap_err().errno, Errno::ENOENT);
        assert_eq!(Map::new("bad", MapDef::new(MapType::Sockmap, 8, 8, 1, 0), 1).unwrap_err().errno, Errno::EINVAL);
        assert_eq!(Map::new("bad", MapDef::new(MapType::Sockhash, 600, 8, 1, 0), 1).unwrap_err().errno, Errno::E2BIG);
    }
}
