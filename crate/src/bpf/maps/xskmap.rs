//! `BPF_MAP_TYPE_XSKMAP` (`kernel/bpf/xskmap.c`, re-described): slots keyed by index (by
//! convention the RX queue) holding AF_XDP sockets. User space puts a socket in a slot (the
//! embedder's socket object, standing for its fd) and deletes it; user lookups are refused
//! (EOPNOTSUPP) as `xsk_map_lookup_elem_sys_only` refuses them. A program's lookup returns the
//! socket as `struct bpf_xdp_sock`, whose one field is `queue_id`: the slot's 8 bytes of value
//! memory hold it, read-only. `bpf_redirect_map` finds the slot's socket through
//! [`Map::target`]. Stored as the devmap's `DevArray`.

use std::any::Any;
use std::rc::Rc;

use super::*;

/// What an xskmap takes at creation (`xsk_map_alloc`).
const XSKMAP_CREATE_FLAG_MASK: u32 = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;

/// The bytes per slot in value memory: `struct bpf_xdp_sock` (queue_id), padded.
const XSK_SLOT: usize = 8;

/// `xsk_map_alloc`'s checks: 4-byte keys and values, max_entries > 0, no flags but NUMA and
/// the fd's permissions.
pub(super) fn check_xskmap(def: &MapDef) -> Result<()> {
    if def.max_entries == 0 || def.key_size != 4 || def.value_size != 4 || def.map_flags & !XSKMAP_CREATE_FLAG_MASK != 0 {
        return fail(
            Errno::EINVAL,
            OP_CREATE,
            "xskmap needs max_entries > 0, 4-byte keys, 4-byte values (socket fds) and no flags but BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY",
        );
    }
    charge(u64::from(def.max_entries) * XSK_SLOT as u64, "the xskmap")
}

/// A socket as an xskmap slot takes it: the embedder's object (what `bpf_redirect_map`
/// delivers to) and what the checks need.
pub struct XskEntry {
    pub target: Rc<dyn Any>,
    /// The socket's bound queue (`xs->queue_id`, 0 before bind): what programs read.
    pub queue_id: u32,
}

impl Map {
    /// `xsk_map_update_elem` with a socket: EINVAL for flags past BPF_EXIST, E2BIG past the end,
    /// EEXIST (BPF_NOEXIST on a taken slot), ENOENT (BPF_EXIST on an empty one). EPERM on a
    /// read-only or frozen map. Any AF_XDP socket is taken, set up or not (Linux 6.18.44 takes
    /// one without a UMEM or an RX ring; frames redirected to it are dropped until it is bound).
    pub fn xsk_update(&self, key: u32, entry: XskEntry, flags: u64) -> Result<()> {
        self.writable(OP_UPDATE)?;
        let Store::DevArray { values, slots } = &self.store else {
            return fail(Errno::EINVAL, OP_UPDATE, format!("map '{}' is a {}, not an xskmap", self.name, self.def.map_type));
        };
        if self.def.map_type != MapType::Xskmap {
            return fail(Errno::EINVAL, OP_UPDATE, format!("map '{}' is a {}, not an xskmap", self.name, self.def.map_type));
        }
        self.xsk_slot_check(key, flags)?;
        let taken = slots.borrow().contains_key(&key);
        if taken && flags == BPF_NOEXIST {
            return fail(Errno::EEXIST, OP_UPDATE, "the slot holds a socket and BPF_NOEXIST was given");
        }
        if !taken && flags == BPF_EXIST {
            return fail(Errno::ENOENT, OP_UPDATE, "the slot is empty and BPF_EXIST was given");
        }
        let mut v = [0u8; XSK_SLOT];
        v[..4].copy_from_slice(&entry.queue_id.to_le_bytes());
        values.write(key as usize * XSK_SLOT, &v);
        let old = slots.borrow_mut().insert(key, Slot { id: 0, prog: None, target: Some(entry.target) });
        drop(old);
        Ok(())
    }

    /// The checks before the socket is looked at: flags (EINVAL), the index (E2BIG).
    pub(super) fn xsk_slot_check(&self, key: u32, flags: u64) -> Result<()> {
        if flags > BPF_EXIST {
            return fail(Errno::EINVAL, OP_UPDATE, format!("unknown flags {flags:#x}"));
        }
        if key >= self.def.max_entries {
            return Err(XdpError::new(Errno::E2BIG, OP_UPDATE, format!("index {key} is past the {} entries", self.def.max_entries))
                .offset(i64::from(key))
                .limit(u64::from(self.def.max_entries)));
        }
        Ok(())
    }

    /// Empties every slot holding `target` (`xsk_delete_from_maps`, when a socket is closed).
    pub fn xsk_remove_target(&self, target: &Rc<dyn Any>) {
        if let Store::DevArray { slots, .. } = &self.store {
            let mut slots = slots.borrow_mut();
            let keys: Vec<u32> =
                slots.iter().filter(|(_, s)| s.target.as_ref().is_some_and(|t| Rc::ptr_eq(t, target))).map(|(k, _)| *k).collect();
            for k in keys {
                let old = slots.remove(&k);
                drop(old);
            }
        }
    }

    /// Refreshes the `queue_id` programs read for every slot holding `target` (after the
    /// socket was bound).
    pub fn xsk_set_queue(&self, target: &Rc<dyn Any>, queue_id: u32) {
        if let Store::DevArray { values, slots } = &self.store {
            for (k, s) in slots.borrow().iter() {
                if s.target.as_ref().is_some_and(|t| Rc::ptr_eq(t, target)) {
                    values.write(*k as usize * XSK_SLOT, &queue_id.to_le_bytes());
                }
            }
        }
    }

    pub(super) fn xskmap_new(def: &MapDef) -> Result<Store> {
        check_xskmap(def)?;
        Ok(Store::DevArray { values: Slab::zeroed(u64::from(def.max_entries) * XSK_SLOT as u64)?, slots: RefCell::default() })
    }
}
