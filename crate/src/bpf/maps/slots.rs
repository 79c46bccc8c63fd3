//! Entries that name other objects: prog array, devmap, devmap_hash and cpumap slots, their user
//! updates (a program fd, an ifindex or a queue size, an optional program), and the programs and
//! redirect targets the embedder binds to them.

use std::any::Any;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::hash::HashTable;
use super::slab::Slab;
use super::*;

/// What a prog array, devmap, devmap_hash or cpumap slot holds besides its value bytes.
#[derive(Default)]
pub(super) struct Slot {
    /// The id user lookups report for the slot's program (prog arrays), or the perf event fd.
    pub(super) id: u32,
    pub(super) prog: Option<Rc<Prog>>,
    pub(super) target: Option<Rc<dyn Any>>,
}

impl Map {
    /// `bpf_fd_array_map_update_elem`'s checks.
    pub(super) fn fd_slot_check(&self, key: &[u8], flags: u64) -> Result<u32> {
        if flags != BPF_ANY {
            return fail(Errno::EINVAL, OP_UPDATE, format!("{} updates take BPF_ANY only", self.def.map_type));
        }
        let i = le32(key);
        if i >= self.def.max_entries {
            return Err(XdpError::new(Errno::E2BIG, OP_UPDATE, format!("index {i} is past the {} entries", self.def.max_entries))
                .offset(i64::from(i))
                .limit(u64::from(self.def.max_entries)));
        }
        Ok(i)
    }

    /// The program a devmap or cpumap value names, fd > 0; `devmap` maps every failure to EINVAL
    /// as `__dev_map_alloc_node` does.
    pub(super) fn entry_prog(&self, value: &[u8], env: &dyn MapEnv, devmap: bool) -> Result<Option<(Rc<Prog>, u32)>> {
        let fd = if value.len() >= 8 { le32(&value[4..8]) as i32 } else { 0 };
        if fd <= 0 {
            return Ok(None);
        }
        env.prog(fd, self).map(Some).map_err(|e| if devmap { XdpError::new(Errno::EINVAL, OP_UPDATE, e.message.clone()) } else { e })
    }

    pub(super) fn entry_value(ifindex_or_qsize: u32, id: u32) -> [u8; 8] {
        let mut v = [0u8; 8];
        v[..4].copy_from_slice(&ifindex_or_qsize.to_le_bytes());
        v[4..].copy_from_slice(&id.to_le_bytes());
        v
    }

    pub(super) fn devmap_update(
        &self,
        values: &Slab,
        slots: &RefCell<BTreeMap<u32, Slot>>,
        key: &[u8],
        value: &[u8],
        flags: u64,
        env: &dyn MapEnv,
    ) -> Result<()> {
        let i = self.slot_update_check(key, flags, "index", "devmap", "devmap entries cannot be added with BPF_NOEXIST")?;
        let ifindex = le32(value);
        if ifindex == 0 {
            if value.len() >= 8 && (le32(&value[4..8]) as i32) > 0 {
                return fail(Errno::EINVAL, OP_UPDATE, "a program fd without an ifindex");
            }
            let old = slots.borrow_mut().remove(&i);
            drop(old);
            return Ok(());
        }
        let target = env.device(ifindex).map_err(|e| XdpError::new(Errno::EINVAL, OP_UPDATE, e.message.clone()))?;
        let prog = self.entry_prog(value, env, true)?;
        let id = prog.as_ref().map_or(0, |p| p.1);
        values.write(i as usize * 8, &Self::entry_value(ifindex, id));
        let old = slots.borrow_mut().insert(i, Slot { id, prog: prog.map(|p| p.0), target });
        drop(old);
        Ok(())
    }

    pub(super) fn cpumap_update(
        &self,
        values: &Slab,
        slots: &RefCell<BTreeMap<u32, Slot>>,
        key: &[u8],
        value: &[u8],
        flags: u64,
        env: &dyn MapEnv,
    ) -> Result<()> {
        let qsize = le32(value);
        let i = self.slot_update_check(key, flags, "CPU", "cpumap", "cpumap entries cannot be added with BPF_NOEXIST")?;
        if qsize > CPUMAP_MAX_QSIZE {
            return Err(XdpError::new(Errno::EOVERFLOW, OP_UPDATE, "queue size above cpumap's limit")
                .len(u64::from(qsize))
                .limit(u64::from(CPUMAP_MAX_QSIZE)));
        }
        if i >= self.nr_cpus {
            return fail(Errno::ENODEV, OP_UPDATE, format!("CPU {i} is not one of the {} possible CPUs", self.nr_cpus));
        }
        if qsize == 0 {
            let old = slots.borrow_mut().remove(&i);
            drop(old);
            return Ok(());
        }
        let prog = self.entry_prog(value, env, false)?;
        let id = prog.as_ref().map_or(0, |p| p.1);
        values.write(i as usize * 8, &Self::entry_value(qsize, id));
        let old = slots.borrow_mut().insert(i, Slot { id, prog: prog.map(|p| p.0), target: None });
        drop(old);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn devmap_hash_update(
        &self,
        table: &RefCell<HashTable>,
        values: &Slab,
        slots: &RefCell<BTreeMap<u32, Slot>>,
        key: &[u8],
        value: &[u8],
        flags: u64,
        env: &dyn MapEnv,
    ) -> Result<()> {
        let ifindex = le32(value);
        if flags > BPF_EXIST || ifindex == 0 {
            return fail(
                Errno::EINVAL,
                OP_UPDATE,
                if ifindex == 0 { "devmap_hash entries need an ifindex".to_string() } else { format!("unknown flags {flags:#x}") },
            );
        }
        let old = table.borrow().find(key);
        if old.is_some() && flags & BPF_NOEXIST != 0 {
            return fail(Errno::EEXIST, OP_UPDATE, "the key exists and BPF_NOEXIST was given");
        }
        let target = env.device(ifindex).map_err(|e| XdpError::new(Errno::EINVAL, OP_UPDATE, e.message.clone()))?;
        let prog = self.entry_prog(value, env, true)?;
        let id = prog.as_ref().map_or(0, |p| p.1);
        let mut t = table.borrow_mut();
        // BPF_EXIST on an absent key inserts: the kernel's devmap_hash does not check for it.
        let s = match old {
            Some(s) => {
                t.move_to_front(s);
                s
            }
            None => t.insert(key, 0).ok_or_else(|| {
                XdpError::new(Errno::E2BIG, OP_UPDATE, format!("the map is full ({} entries)", self.def.max_entries))
                    .limit(u64::from(self.def.max_entries))
            })?,
        };
        drop(t);
        values.write(s * 8, &Self::entry_value(ifindex, id));
        let old = slots.borrow_mut().insert(s as u32, Slot { id, prog: prog.map(|p| p.0), target });
        drop(old);
        Ok(())
    }

    /// Sets a prog array slot (None empties it), or the program of a devmap, devmap_hash or
    /// cpumap entry (run on frames redirected there). The id is what user lookups report (and
    /// what a devmap or cpumap value's second word shows).
    pub fn set_prog_with_id(&self, index: u32, prog: Option<Rc<Prog>>, id: u32) -> Result<()> {
        const OP: &str = "set_prog";
        let max = self.def.max_entries;
        let id = if prog.is_some() { id } else { 0 };
        let old = match &self.store {
            Store::Progs(slots) => {
                if index >= max {
                    return Err(XdpError::new(Errno::E2BIG, OP, format!("index {index} is past the {max} slots"))
                        .offset(i64::from(index))
                        .limit(u64::from(max)));
                }
                let mut slots = slots.borrow_mut();
                match prog {
                    Some(prog) => slots.insert(index, Slot { id, prog: Some(prog), target: None }),
                    None => slots.remove(&index),
                }
            }
            Store::DevArray { values, slots } => {
                let mut slots = slots.borrow_mut();
                let slot = slots.get_mut(&index).ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("entry {index} is empty")))?;
                slot.id = id;
                values.write(index as usize * 8 + 4, &id.to_le_bytes());
                Some(Slot { prog: std::mem::replace(&mut slot.prog, prog), ..Slot::default() })
            }
            Store::DevHash { table, values, slots } => {
                let s = table
                    .borrow()
                    .find(&index.to_le_bytes())
                    .ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("no entry for key {index}")))?;
                let mut slots = slots.borrow_mut();
                let slot = slots.entry(s as u32).or_default();
                slot.id = id;
                values.write(s * 8 + 4, &id.to_le_bytes());
                Some(Slot { prog: std::mem::replace(&mut slot.prog, prog), ..Slot::default() })
            }
            _ => return fail(Errno::EINVAL, OP, format!("{} maps hold no programs", self.def.map_type)),
        };
        drop(old);
        Ok(())
    }

    /// [`Map::set_prog_with_id`] with id 0.
    pub fn set_prog(&self, index: u32, prog: Option<Rc<Prog>>) -> Result<()> {
        self.set_prog_with_id(index, prog, 0)
    }

    /// The program in a prog array slot (what bpf_tail_call jumps to), or of a devmap, devmap_hash
    /// or cpumap entry.
    pub fn prog(&self, index: u32) -> Option<Rc<Prog>> {
        match &self.store {
            Store::Progs(slots) | Store::DevArray { slots, .. } => slots.borrow().get(&index)?.prog.clone(),
            Store::DevHash { table, slots, .. } => {
                let s = table.borrow().find(&index.to_le_bytes())?;
                slots.borrow().get(&(s as u32))?.prog.clone()
            }
            _ => None,
        }
    }

    /// Binds an embedder object (a device, a CPU's queue) to a devmap, devmap_hash or cpumap
    /// entry; ENOENT when the entry is empty (an update or delete of the entry drops it).
    pub fn set_target(&self, key: u32, target: Option<Rc<dyn Any>>) -> Result<()> {
        const OP: &str = "set_target";
        let old = match &self.store {
            Store::DevArray { slots, .. } => {
                let mut slots = slots.borrow_mut();
                let slot = slots.get_mut(&key).ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("entry {key} is empty")))?;
                std::mem::replace(&mut slot.target, target)
            }
            Store::DevHash { table, slots, .. } => {
                let s = table
                    .borrow()
                    .find(&key.to_le_bytes())
                    .ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("no entry for key {key}")))?;
                std::mem::replace(&mut slots.borrow_mut().entry(s as u32).or_default().target, target)
            }
            _ => return fail(Errno::EINVAL, OP, format!("{} maps have no targets", self.def.map_type)),
        };
        drop(old);
        Ok(())
    }

    pub fn target(&self, key: u32) -> Option<Rc<dyn Any>> {
        match &self.store {
            Store::DevArray { slots, .. } => slots.borrow().get(&key)?.target.clone(),
            Store::DevHash { table, slots, .. } => {
                let s = table.borrow().find(&key.to_le_bytes())?;
                slots.borrow().get(&(s as u32))?.target.clone()
            }
            _ => None,
        }
    }

    /// Every embedder object bound to an entry of a devmap, devmap_hash or cpumap, by slot.
    pub fn targets(&self) -> Vec<Rc<dyn Any>> {
        match &self.store {
            Store::DevArray { slots, .. } | Store::DevHash { slots, .. } => slots.borrow().values().filter_map(|s| s.target.clone()).collect(),
            _ => Vec::new(),
        }
    }

    /// Drops every program and target the map holds, emptying prog arrays and devmap, devmap_hash
    /// and cpumap entries (what the kernel does to a prog array when its last user reference
    /// goes): breaks the Rc cycles a program and a map holding it form.
    pub fn release(&self) {
        let taken = match &self.store {
            Store::Progs(slots) | Store::DevArray { slots, .. } => std::mem::take(&mut *slots.borrow_mut()),
            Store::DevHash { table, slots, .. } => {
                let mut t = table.borrow_mut();
                let taken = std::mem::take(&mut *slots.borrow_mut());
                for &s in taken.keys() {
                    t.remove(s as usize);
                }
                taken
            }
            _ => BTreeMap::new(),
        };
        drop(taken);
    }
}
