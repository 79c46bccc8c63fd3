//! The kernel's `struct bpf_map` (and `struct bpf_array` / `struct bpf_htab` around it) as a
//! program reads it through a map pointer (`map->max_entries`, `((struct bpf_array *)map)->
//! index_mask`, ...). An lddw map reference points at this image, so those reads see what the
//! kernel's fields hold. Offsets are Linux 6.18's (x86-64, `pahole` of vmlinux: `sha[32]` and
//! `excl` come first since 6.18). Kernel pointers (`ops`, `inner_map_meta`) are synthetic
//! addresses: non-NULL where the kernel's are, never memory a program can reach.

use std::cell::Cell;

use super::Map;

/// `sizeof(struct bpf_map)`.
const BPF_MAP_SIZE: usize = 296;
/// `sizeof(struct bpf_array)` without its values.
const BPF_ARRAY_SIZE: usize = 312;
/// `sizeof(struct bpf_htab)`.
const BPF_HTAB_SIZE: usize = 832;
/// `sizeof(struct htab_elem)` without its key and value.
const HTAB_ELEM_SIZE: u32 = 48;

mod off {
    pub const OPS: usize = 40;
    pub const INNER_MAP_META: usize = 48;
    pub const MAP_TYPE: usize = 64;
    pub const KEY_SIZE: usize = 68;
    pub const VALUE_SIZE: usize = 72;
    pub const MAX_ENTRIES: usize = 76;
    pub const MAP_FLAGS: usize = 88;
    pub const ID: usize = 92;
    pub const NUMA_NODE: usize = 104;
    pub const NAME: usize = 136;
    pub const BYPASS_SPEC_V1: usize = 256;
    pub const FROZEN: usize = 257;
    pub const ARRAY_ELEM_SIZE: usize = 296;
    pub const ARRAY_INDEX_MASK: usize = 300;
    pub const HTAB_N_BUCKETS: usize = 784;
    pub const HTAB_ELEM_SIZE: usize = 788;
}

/// Where synthetic `bpf_map_ops` addresses start (kernel text's range; one per map type).
const SYNTHETIC_OPS_BASE: u64 = 0xffff_ffff_8260_0000;
/// `NUMA_NO_NODE`.
const NUMA_NO_NODE: i32 = -1;

/// Which kernel struct embeds the map's `struct bpf_map`, by uapi type.
fn struct_size(uapi_type: u32) -> usize {
    match uapi_type {
        // array, prog_array, perf_event_array, percpu_array, cgroup_array, array_of_maps
        2 | 3 | 4 | 6 | 8 | 12 => BPF_ARRAY_SIZE,
        // hash, percpu_hash, lru_hash, lru_percpu_hash, hash_of_maps
        1 | 5 | 9 | 10 | 13 => BPF_HTAB_SIZE,
        _ => BPF_MAP_SIZE,
    }
}

/// A map's kernel-struct image: fixed-address bytes, refreshed before each run.
#[derive(Default)]
pub(super) struct KernelStruct {
    bytes: std::cell::OnceCell<Box<[Cell<u8>]>>,
}

/// Unregistered bytes on both sides of an image: no other allocation (a map's values, a
/// packet) lies within a page of it, so an out-of-bounds access off those is never an access
/// to the image, whatever the allocator placed where.
const IMAGE_GUARD: usize = 8192;

impl KernelStruct {
    fn image(&self, uapi_type: u32) -> &[Cell<u8>] {
        let size = struct_size(uapi_type);
        let guarded = self.bytes.get_or_init(|| (0..size + 2 * IMAGE_GUARD).map(|_| Cell::new(0)).collect());
        &guarded[IMAGE_GUARD..IMAGE_GUARD + size]
    }
}

fn put(image: &[Cell<u8>], at: usize, bytes: &[u8]) {
    for (cell, b) in image[at..at + bytes.len()].iter().zip(bytes) {
        cell.set(*b);
    }
}

impl Map {
    /// The address of the map's kernel-struct image: what an lddw map reference holds.
    pub fn kernel_struct_addr(&self) -> u64 {
        self.kernel_struct.image(self.uapi_type()).as_ptr() as u64
    }

    /// The image's address and length, with its fields written from the map as it is now (frozen
    /// may have changed since the last run).
    pub fn kernel_struct_region(&self) -> (u64, u64) {
        let t = self.uapi_type();
        let image = self.kernel_struct.image(t);
        let def = self.def();
        put(image, off::OPS, &(SYNTHETIC_OPS_BASE + u64::from(t) * 0x400).to_le_bytes());
        let of_maps = matches!(t, 12 | 13);
        put(image, off::INNER_MAP_META, &(if of_maps { SYNTHETIC_OPS_BASE - 0x1000 } else { 0 }).to_le_bytes());
        put(image, off::MAP_TYPE, &t.to_le_bytes());
        put(image, off::KEY_SIZE, &def.key_size.to_le_bytes());
        put(image, off::VALUE_SIZE, &def.value_size.to_le_bytes());
        put(image, off::MAX_ENTRIES, &def.max_entries.to_le_bytes());
        put(image, off::MAP_FLAGS, &def.map_flags.to_le_bytes());
        put(image, off::ID, &self.id().to_le_bytes());
        put(image, off::NUMA_NODE, &NUMA_NO_NODE.to_le_bytes());
        let mut name = [0u8; 16];
        let n = self.name().len().min(15);
        name[..n].copy_from_slice(&self.name().as_bytes()[..n]);
        put(image, off::NAME, &name);
        // Only the array allocator sets it (its index masking), true for a creator with
        // CAP_PERFMON; the kernel leaves it false in other maps.
        put(image, off::BYPASS_SPEC_V1, &[u8::from(struct_size(t) == BPF_ARRAY_SIZE)]);
        put(image, off::FROZEN, &[u8::from(self.is_frozen())]);
        let round8 = |x: u32| x.div_ceil(8) * 8;
        let pow2 = |x: u32| x.max(1).checked_next_power_of_two().unwrap_or(1 << 31);
        match struct_size(t) {
            BPF_ARRAY_SIZE => {
                let elem = round8(def.value_size);
                put(image, off::ARRAY_ELEM_SIZE, &elem.to_le_bytes());
                put(image, off::ARRAY_INDEX_MASK, &(pow2(def.max_entries) - 1).to_le_bytes());
            }
            BPF_HTAB_SIZE => {
                let percpu = matches!(t, 5 | 10);
                let value = if percpu { 8 } else { round8(def.value_size) };
                put(image, off::HTAB_N_BUCKETS, &pow2(def.max_entries).to_le_bytes());
                put(image, off::HTAB_ELEM_SIZE, &(HTAB_ELEM_SIZE + round8(def.key_size) + value).to_le_bytes());
            }
            _ => {}
        }
        (image.as_ptr() as u64, image.len() as u64)
    }
}
