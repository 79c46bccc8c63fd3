//! Map definitions: the uapi map types with bpftool's names, `BPF_MAP_CREATE`'s attributes and
//! what `bpftool map show` prints. Their own module, below both the object loader ([`super::elf`])
//! and the maps themselves ([`super::maps`]), so that neither imports the other for them.

use std::fmt;

use crate::errno::{Errno, Result, XdpError};

pub(crate) const OP_CREATE: &str = "bpf_map_create";

/// The map types emulated, with their uapi numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum MapType {
    Hash = 1,
    Array = 2,
    ProgArray = 3,
    PerfEventArray = 4,
    PercpuHash = 5,
    PercpuArray = 6,
    LruHash = 9,
    LruPercpuHash = 10,
    LpmTrie = 11,
    ArrayOfMaps = 12,
    HashOfMaps = 13,
    Devmap = 14,
    Sockmap = 15,
    Cpumap = 16,
    Queue = 22,
    Stack = 23,
    Xskmap = 17,
    Sockhash = 18,
    SkStorage = 24,
    DevmapHash = 25,
    Ringbuf = 27,
    UserRingbuf = 31,
}

/// uapi numbers of map types the verifier treats specially, emulated or not.
pub mod uapi {
    pub const SOCKMAP: u32 = 15;
    pub const XSKMAP: u32 = 17;
    pub const SOCKHASH: u32 = 18;
}

/// bpftool's (libbpf's) name of every uapi map type, indexed by number.
const MAP_TYPE_NAMES: [&str; 34] = [
    "unspec",
    "hash",
    "array",
    "prog_array",
    "perf_event_array",
    "percpu_hash",
    "percpu_array",
    "stack_trace",
    "cgroup_array",
    "lru_hash",
    "lru_percpu_hash",
    "lpm_trie",
    "array_of_maps",
    "hash_of_maps",
    "devmap",
    "sockmap",
    "cpumap",
    "xskmap",
    "sockhash",
    "cgroup_storage",
    "reuseport_sockarray",
    "percpu_cgroup_storage",
    "queue",
    "stack",
    "sk_storage",
    "devmap_hash",
    "struct_ops",
    "ringbuf",
    "inode_storage",
    "task_storage",
    "bloom_filter",
    "user_ringbuf",
    "cgrp_storage",
    "arena",
];

/// The name bpftool prints for a uapi map type number, emulated or not.
pub fn map_type_name(t: u32) -> Option<&'static str> {
    MAP_TYPE_NAMES.get(t as usize).copied()
}

impl MapType {
    pub const ALL: [MapType; 22] = [
        MapType::Hash,
        MapType::Array,
        MapType::ProgArray,
        MapType::PerfEventArray,
        MapType::PercpuHash,
        MapType::PercpuArray,
        MapType::LruHash,
        MapType::LruPercpuHash,
        MapType::LpmTrie,
        MapType::ArrayOfMaps,
        MapType::HashOfMaps,
        MapType::Devmap,
        MapType::Cpumap,
        MapType::Queue,
        MapType::Stack,
        MapType::Xskmap,
        MapType::DevmapHash,
        MapType::Ringbuf,
        MapType::UserRingbuf,
        MapType::Sockmap,
        MapType::Sockhash,
        MapType::SkStorage,
    ];

    /// The type a uapi number names; EINVAL for the kernel's other types (the message names them)
    /// and for numbers the kernel does not know.
    pub fn from_uapi(t: u32) -> Result<MapType> {
        MapType::ALL.into_iter().find(|m| m.uapi() == t).ok_or_else(|| {
            let supported: Vec<&str> = MapType::ALL.iter().map(|m| m.name()).collect();
            let msg = match map_type_name(t) {
                Some(name) if t != 0 => format!("map type {name} ({t}) is not emulated; the emulated types are {}", supported.join(", ")),
                _ => format!("{t} is not a map type"),
            };
            XdpError::new(Errno::EINVAL, OP_CREATE, msg)
        })
    }

    pub const fn uapi(self) -> u32 {
        self as u32
    }

    /// Whether user space sees one value per possible CPU (each rounded up to 8 bytes).
    pub const fn is_percpu(self) -> bool {
        matches!(self, MapType::PercpuArray | MapType::PercpuHash | MapType::LruPercpuHash)
    }

    /// Whether the values are other maps (array_of_maps, hash_of_maps).
    pub const fn is_map_of_maps(self) -> bool {
        matches!(self, MapType::ArrayOfMaps | MapType::HashOfMaps)
    }

    /// As bpftool prints it.
    pub fn name(self) -> &'static str {
        MAP_TYPE_NAMES[self as usize]
    }
}

impl fmt::Display for MapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `BPF_MAP_CREATE`'s attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapDef {
    pub map_type: MapType,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
}

impl MapDef {
    pub const fn new(map_type: MapType, key_size: u32, value_size: u32, max_entries: u32, map_flags: u32) -> MapDef {
        MapDef { map_type, key_size, value_size, max_entries, map_flags }
    }
}

/// What `bpftool map show` prints about a map (without the id, which the embedder assigns).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInfo {
    pub name: String,
    pub map_type: MapType,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    /// As the kernel keeps them: without BPF_F_RDONLY/BPF_F_WRONLY (the fd's permissions), with
    /// what it adds (BPF_F_RDONLY_PROG on devmaps).
    pub map_flags: u32,
    pub frozen: bool,
    /// Elements present: every index of an array, the occupied slots of the others.
    pub entries: usize,
}

impl fmt::Display for MapInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}  ", self.map_type.name())?;
        if !self.name.is_empty() {
            write!(f, "name {}  ", self.name)?;
        }
        write!(f, "flags {:#x}\n\tkey {}B  value {}B  max_entries {}", self.map_flags, self.key_size, self.value_size, self.max_entries)?;
        if self.frozen {
            write!(f, "\n\tfrozen")?;
        }
        Ok(())
    }
}
