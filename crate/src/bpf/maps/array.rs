//! Array and per-CPU array maps (and the fd arrays' shared creation checks): `array_map_alloc_check`
//! and the element update paths.

use super::slab::Slab;
use super::*;

/// `array_map_alloc_check` (with `fd_array_map_alloc_check` before it for prog and perf arrays).
pub(super) fn check_array(def: &MapDef) -> Result<()> {
    let t = def.map_type;
    let f = def.map_flags;
    let e = |msg: String| fail(Errno::EINVAL, OP_CREATE, msg);
    if matches!(t, MapType::ProgArray | MapType::PerfEventArray) {
        if def.value_size != 4 {
            return e(format!("{t} values are 4-byte fds, not {} bytes", def.value_size));
        }
        if f & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) != 0 {
            return e(format!("{t} maps take neither BPF_F_RDONLY_PROG nor BPF_F_WRONLY_PROG"));
        }
    }
    if def.max_entries == 0 {
        return e("max_entries is 0".into());
    }
    if def.key_size != 4 {
        return e(format!("{t} keys are 4-byte indexes, not {} bytes", def.key_size));
    }
    if def.value_size == 0 {
        return e("value_size is 0".into());
    }
    if f & !ARRAY_CREATE_FLAG_MASK != 0 {
        return e(format!("flags {:#x} are not {t} flags", f & !ARRAY_CREATE_FLAG_MASK));
    }
    if !access_ok(f) {
        return e("BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together".into());
    }
    if t == MapType::PercpuArray && f & BPF_F_NUMA_NODE != 0 {
        return e("a percpu_array cannot be placed on a NUMA node".into());
    }
    if t != MapType::Array && f & (BPF_F_MMAPABLE | BPF_F_INNER_MAP) != 0 {
        return e(format!("BPF_F_MMAPABLE and BPF_F_INNER_MAP are for array maps, not {t}"));
    }
    if t != MapType::PerfEventArray && f & BPF_F_PRESERVE_ELEMS != 0 {
        return e(format!("BPF_F_PRESERVE_ELEMS is for perf_event_array maps, not {t}"));
    }
    if def.value_size > i32::MAX as u32 {
        return fail(Errno::E2BIG, OP_CREATE, format!("value_size {} is above INT_MAX", def.value_size));
    }
    if t == MapType::PercpuArray && round8(def.value_size) > PCPU_MIN_UNIT_SIZE {
        return Err(XdpError::new(Errno::E2BIG, OP_CREATE, "per-CPU values are at most 32 KiB")
            .len(u64::from(def.value_size))
            .limit(PCPU_MIN_UNIT_SIZE));
    }
    Ok(())
}

impl Map {
    pub(super) fn array_update(&self, values: &Slab, key: &[u8], value: &[u8], flags: u64) -> Result<()> {
        if flags & !BPF_F_LOCK > BPF_EXIST {
            return fail(Errno::EINVAL, OP_UPDATE, format!("unknown flags {flags:#x}"));
        }
        let i = le32(key);
        if i >= self.def.max_entries {
            return Err(XdpError::new(Errno::E2BIG, OP_UPDATE, format!("index {i} is past the array's {} entries", self.def.max_entries))
                .offset(i64::from(i))
                .limit(u64::from(self.def.max_entries)));
        }
        if flags & BPF_NOEXIST != 0 {
            return fail(Errno::EEXIST, OP_UPDATE, "array elements always exist: BPF_NOEXIST cannot succeed");
        }
        if flags & BPF_F_LOCK != 0 && self.spin_lock.get().is_none() {
            return fail(Errno::EINVAL, OP_UPDATE, "BPF_F_LOCK on a value without a bpf_spin_lock");
        }
        let value = detach(values, value);
        self.put_value(values, i as usize * self.stride, &value);
        // The old value's kptrs, lists and trees go (`bpf_obj_free_fields` after the copy).
        if flags & BPF_F_LOCK == 0 {
            self.free_fields(values, i as usize * self.stride);
        }
        Ok(())
    }

    /// The checks every fixed-slot map (array, devmap, cpumap) makes on an update: flags, the
    /// index against max_entries (E2BIG), and BPF_NOEXIST (EEXIST: slots always exist).
    pub(super) fn slot_update_check(&self, key: &[u8], flags: u64, unit: &str, map: &str, noexist: &'static str) -> Result<u32> {
        if flags > BPF_EXIST {
            return fail(Errno::EINVAL, OP_UPDATE, format!("unknown flags {flags:#x}"));
        }
        let i = le32(key);
        if i >= self.def.max_entries {
            return Err(XdpError::new(Errno::E2BIG, OP_UPDATE, format!("{unit} {i} is past the {map}'s {} entries", self.def.max_entries))
                .offset(i64::from(i))
                .limit(u64::from(self.def.max_entries)));
        }
        if flags == BPF_NOEXIST {
            return fail(Errno::EEXIST, OP_UPDATE, noexist);
        }
        Ok(i)
    }

    pub(super) fn percpu_check(&self, key: &[u8], flags: u64) -> Result<()> {
        self.slot_update_check(key, flags, "index", "array", "array elements always exist: BPF_NOEXIST cannot succeed")?;
        Ok(())
    }
}
