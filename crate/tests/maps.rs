//! BPF maps: map_create's checks and errnos per type, the helpers' and the syscall's semantics,
//! LRU eviction order, per-CPU layout, value address stability, value regions, the embedder
//! attachments, and hash and LRU maps against a model.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use proptest::prelude::*;
use uxdp::bpf::elf::{GlobalData, MapSpec};
use uxdp::bpf::maps::*;
use uxdp::bpf::Prog;
use uxdp::errno::{Errno, Result, XdpError};

fn k(i: u32) -> [u8; 4] {
    i.to_le_bytes()
}

#[path = "support/map_util.rs"]
mod map_util;
use map_util::*;

/// The bytes a program sees at a value address (the test holds the map, so the memory is live).
fn read(addr: u64, len: usize) -> Vec<u8> {
    unsafe { std::slice::from_raw_parts(addr as *const u8, len).to_vec() }
}

fn write(addr: u64, bytes: &[u8]) {
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, bytes.len()) }
}

fn in_regions(map: &Map, addr: u64, len: u64) -> Option<bool> {
    map.value_regions().into_iter().find(|&(s, l, _)| addr >= s && addr + len <= s + l).map(|r| r.2)
}

fn prog(name: &str) -> Rc<Prog> {
    Rc::new(Prog { name: name.into(), ..Prog::default() })
}

/// Programs 1..=n by fd (id 100 + fd) and devices by ifindex.
struct Env {
    progs: Vec<Rc<Prog>>,
    devices: Vec<u32>,
}

impl MapEnv for Env {
    fn prog(&self, fd: i32, _map: &Map) -> Result<(Rc<Prog>, u32)> {
        let p =
            usize::try_from(fd - 1).ok().and_then(|i| self.progs.get(i)).ok_or_else(|| XdpError::new(Errno::EBADF, "test", "bad fd"))?;
        Ok((p.clone(), 100 + fd as u32))
    }
    fn device(&self, ifindex: u32) -> Result<Option<Rc<dyn Any>>> {
        if self.devices.contains(&ifindex) {
            Ok(Some(Rc::new(format!("eth{ifindex}"))))
        } else {
            Err(XdpError::new(Errno::ENODEV, "test", "no such device"))
        }
    }
}

#[test]
fn jhash_is_lookup3() {
    // lookup3.c's published self-test values for hashlittle.
    assert_eq!(jhash(b"", 0), 0xdeadbeef);
    assert_eq!(jhash(b"", 0xdeadbeef), 0xbd5b7dde);
    assert_eq!(jhash(b"Four score and seven years ago", 0), 0x17770551);
    assert_eq!(jhash(b"Four score and seven years ago", 1), 0xcd628161);
}

#[test]
fn type_numbers_and_names() {
    let want = [
        (MapType::Hash, 1, "hash"),
        (MapType::Array, 2, "array"),
        (MapType::ProgArray, 3, "prog_array"),
        (MapType::PerfEventArray, 4, "perf_event_array"),
        (MapType::PercpuArray, 6, "percpu_array"),
        (MapType::LruHash, 9, "lru_hash"),
        (MapType::Devmap, 14, "devmap"),
        (MapType::Cpumap, 16, "cpumap"),
        (MapType::DevmapHash, 25, "devmap_hash"),
        (MapType::Ringbuf, 27, "ringbuf"),
    ];
    for (t, n, name) in want {
        assert_eq!((t.uapi(), t.name()), (n, name));
        assert_eq!(MapType::from_uapi(n).unwrap(), t);
    }
    let e = MapType::from_uapi(30).unwrap_err();
    assert_eq!(e.errno, Errno::EINVAL);
    assert!(e.message.contains("bloom_filter") && e.message.contains("not emulated"), "{}", e.message);
    assert_eq!(MapType::from_uapi(0).unwrap_err().errno, Errno::EINVAL);
    assert_eq!(MapType::from_uapi(200).unwrap_err().errno, Errno::EINVAL);
    assert_eq!(map_type_name(11), Some("lpm_trie"));
}

#[test]
fn create_checks_arrays() {
    use MapType::*;
    assert!(create(Array, 4, 8, 1, 0).is_ok());
    assert_eq!(errno(create(Array, 8, 8, 1, 0)), Errno::EINVAL, "key must be 4");
    assert_eq!(errno(create(Array, 4, 0, 1, 0)), Errno::EINVAL);
    assert_eq!(errno(create(Array, 4, 8, 0, 0)), Errno::EINVAL, "max_entries 0");
    assert_eq!(errno(create(Array, 4, 8, 1, 1 << 20)), Errno::EINVAL, "unknown flag");
    assert_eq!(errno(create(Array, 4, 8, 1, BPF_F_NO_PREALLOC)), Errno::EINVAL, "hash flag on an array");
    assert_eq!(errno(create(Array, 4, 8, 1, BPF_F_RDONLY | BPF_F_WRONLY)), Errno::EINVAL);
    assert_eq!(errno(create(Array, 4, 8, 1, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)), Errno::EINVAL);
    assert_eq!(errno(create(Array, 4, 8, 1, BPF_F_PRESERVE_ELEMS)), Errno::EINVAL);
    assert!(create(Array, 4, 8, 1, BPF_F_MMAPABLE | BPF_F_INNER_MAP | BPF_F_RDONLY_PROG).is_ok());
    assert_eq!(errno(create(Array, 4, 1 << 31, 1, 0)), Errno::E2BIG, "value_size above INT_MAX");
    assert_eq!(errno(create(Array, 4, 8, u32::MAX, 0)), Errno::ENOMEM, "32 GiB of values");
    assert_eq!(errno(create(Array, 4, i32::MAX as u32, u32::MAX, 0)), Errno::ENOMEM, "2^63 bytes, no overflow");
    assert_eq!(errno(Map::new("m", MapDef::new(PercpuArray, 4, 32768, u32::MAX, 0), NR_CPUS)), Errno::ENOMEM);
    // percpu_array
    assert!(create(PercpuArray, 4, 32768, 1, 0).is_ok());
    assert_eq!(errno(create(PercpuArray, 4, 32769, 1, 0)), Errno::E2BIG, "per-CPU values up to 32 KiB");
    assert_eq!(errno(create(PercpuArray, 4, 8, 1, BPF_F_MMAPABLE)), Errno::EINVAL);
    assert_eq!(errno(create(PercpuArray, 4, 8, 1, BPF_F_NUMA_NODE)), Errno::EINVAL);
    // fd arrays
    assert!(create(ProgArray, 4, 4, 8, 0).is_ok());
    assert_eq!(errno(create(ProgArray, 4, 8, 8, 0)), Errno::EINVAL, "values are fds");
    assert_eq!(errno(create(ProgArray, 4, 4, 8, BPF_F_RDONLY_PROG)), Errno::EINVAL);
    assert_eq!(errno(create(ProgArray, 4, 4, 0, 0)), Errno::EINVAL);
    assert!(create(PerfEventArray, 4, 4, 4, BPF_F_PRESERVE_ELEMS).is_ok());
    assert_eq!(errno(create(PerfEventArray, 4, 8, 4, 0)), Errno::EINVAL);
}

#[test]
fn create_checks_hashes() {
    use MapType::*;
    assert!(create(Hash, 13, 7, 10, BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED).is_ok());
    assert_eq!(errno(create(Hash, 0, 8, 1, 0)), Errno::EINVAL);
    assert_eq!(errno(create(Hash, 4, 0, 1, 0)), Errno::EINVAL);
    assert_eq!(errno(create(Hash, 4, 8, 0, 0)), Errno::EINVAL);
    assert_eq!(errno(create(Hash, 4, 8, 1, BPF_F_NO_COMMON_LRU)), Errno::EINVAL, "per-CPU LRU lists on a plain hash");
    assert_eq!(errno(create(Hash, 4, 8, 1, BPF_F_MMAPABLE)), Errno::EINVAL);
    assert_eq!(errno(create(Hash, 4, (4 << 20) - 52, 1, 0)), Errno::E2BIG, "key + value past KMALLOC_MAX_SIZE - 48");
    assert!(create(Hash, 4, (4 << 20) - 53, 1, 0).is_ok());
    assert_eq!(errno(create(Hash, 4, 8, (1 << 31) + 1, 0)), Errno::E2BIG);
    assert_eq!(errno(create(Hash, 4, 8, (1 << 27) + 1, 0)), Errno::E2BIG, "2^28 buckets overflow the bucket array");
    assert_eq!(errno(create(Hash, 4, 64, 1 << 27, 0)), Errno::ENOMEM);
    assert_eq!(errno(create(LruHash, 4, 8, 8, BPF_F_NO_PREALLOC)), Errno::ENOTSUPP);
    assert_eq!(errno(create(LruHash, 4, 8, 8, BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE)), Errno::EINVAL);
    // Per-CPU LRU lists: max_entries rounded up to a multiple of the CPUs.
    let m = create(LruHash, 4, 8, 10, BPF_F_NO_COMMON_LRU).unwrap();
    assert_eq!(m.def().max_entries, 12);
}

#[test]
fn create_checks_xdp_maps() {
    use MapType::*;
    for t in [Devmap, DevmapHash] {
        let m = create(t, 4, 4, 8, 0).unwrap();
        assert_eq!(m.def().map_flags, BPF_F_RDONLY_PROG, "{t}: programs may not write devmap values");
        assert!(create(t, 4, 8, 8, BPF_F_NUMA_NODE | BPF_F_RDONLY).is_ok());
        assert_eq!(errno(create(t, 4, 6, 8, 0)), Errno::EINVAL, "{t}: value 4 or 8");
        assert_eq!(errno(create(t, 8, 4, 8, 0)), Errno::EINVAL);
        assert_eq!(errno(create(t, 4, 4, 0, 0)), Errno::EINVAL);
        assert_eq!(errno(create(t, 4, 4, 8, BPF_F_RDONLY_PROG)), Errno::EINVAL, "{t}: no program access flags");
    }
    assert_eq!(errno(create(DevmapHash, 4, 4, (1 << 31) + 1, 0)), Errno::EINVAL);
    assert!(create(Cpumap, 4, 8, 64, BPF_F_NUMA_NODE).is_ok());
    assert_eq!(errno(create(Cpumap, 4, 12, 64, 0)), Errno::EINVAL);
    assert_eq!(errno(create(Cpumap, 4, 4, 64, BPF_F_RDONLY)), Errno::EINVAL);
    assert_eq!(errno(create(Cpumap, 4, 4, NR_CPUS + 1, 0)), Errno::E2BIG);
    // ringbuf
    assert!(create(Ringbuf, 0, 0, 4096, 0).is_ok());
    assert!(create(Ringbuf, 0, 0, 1 << 20, BPF_F_NUMA_NODE).is_ok());
    assert_eq!(errno(create(Ringbuf, 4, 0, 4096, 0)), Errno::EINVAL);
    assert_eq!(errno(create(Ringbuf, 0, 8, 4096, 0)), Errno::EINVAL);
    assert_eq!(errno(create(Ringbuf, 0, 0, 3 * 4096, 0)), Errno::EINVAL, "not a power of two");
    assert_eq!(errno(create(Ringbuf, 0, 0, 2048, 0)), Errno::EINVAL, "not whole pages");
    assert_eq!(errno(create(Ringbuf, 0, 0, 0, 0)), Errno::EINVAL);
    assert_eq!(errno(create(Ringbuf, 0, 0, 4096, BPF_F_RDONLY_PROG)), Errno::EINVAL);
    assert_eq!(errno(create(Ringbuf, 0, 0, 1 << 31, 0)), Errno::ENOMEM, "over the emulator's per-map memory");
}

#[test]
fn create_checks_names_and_cpus() {
    let def = MapDef::new(MapType::Array, 4, 4, 1, 0);
    assert!(Map::new("fifteen_chars.x", def, 1).is_ok());
    assert!(Map::new("", def, 1).is_ok());
    assert_eq!(errno(Map::new("sixteen_chars.xy", def, 1)), Errno::EINVAL);
    assert_eq!(errno(Map::new("a-b", def, 1)), Errno::EINVAL);
    assert_eq!(errno(Map::new("m", def, 0)), Errno::EINVAL);
    // The type's checks come before the name's, as in map_create.
    assert_eq!(errno(Map::new("a-b", MapDef::new(MapType::Array, 4, 4, 1 << 31, 0), 1)), Errno::ENOMEM);
}

#[test]
fn array_semantics() {
    let m = create(MapType::Array, 4, 12, 3, 0).unwrap();
    assert_eq!(user(&m, &k(1)).unwrap(), vec![0; 12], "arrays start zeroed");
    m.update(&k(1), &[7; 12], BPF_ANY, 0).unwrap();
    m.update(&k(1), &[8; 12], BPF_EXIST, 0).unwrap();
    assert_eq!(user(&m, &k(1)).unwrap(), vec![8; 12]);
    assert_eq!(errno(m.update(&k(1), &[0; 12], BPF_NOEXIST, 0)), Errno::EEXIST);
    assert_eq!(errno(m.update(&k(3), &[0; 12], BPF_ANY, 0)), Errno::E2BIG);
    assert_eq!(errno(m.update(&k(1), &[0; 12], 3, 0)), Errno::EINVAL);
    assert_eq!(errno(m.update(&k(1), &[0; 12], BPF_F_LOCK, 0)), Errno::EINVAL, "no spin lock in the value");
    assert_eq!(errno(m.update(&k(1), &[0; 11], BPF_ANY, 0)), Errno::EINVAL, "short value");
    assert_eq!(errno(m.update_user(&k(3), &[0; 12], BPF_ANY)), Errno::E2BIG);
    assert_eq!(errno(m.delete(&k(1))), Errno::EINVAL);
    assert_eq!(errno(m.delete_user(&k(1))), Errno::EINVAL);
    assert_eq!(errno(user(&m, &k(3))), Errno::ENOENT);
    assert_eq!(m.lookup(&k(3), 0), None);
    // A program's store through the value address is what user space reads.
    let a = m.lookup(&k(2), 0).unwrap();
    assert_eq!(a - m.lookup(&k(1), 0).unwrap(), 16, "values 8-byte aligned");
    write(a + 4, &[0xaa, 0xbb]);
    assert_eq!(user(&m, &k(2)).unwrap()[4..6], [0xaa, 0xbb]);
    // next_key walks every index.
    assert_eq!(next(&m, None).unwrap(), k(0));
    assert_eq!(next(&m, Some(&k(0))).unwrap(), k(1));
    assert_eq!(errno(next(&m, Some(&k(2)))), Errno::ENOENT);
    assert_eq!(next(&m, Some(&k(100))).unwrap(), k(0), "past the end restarts");
    assert_eq!(m.keys().collect::<Vec<_>>(), vec![k(0).to_vec(), k(1).to_vec(), k(2).to_vec()]);
    assert_eq!(m.len(), 3);
}

#[test]
fn program_update_from_its_own_value() {
    let m = create(MapType::Hash, 4, 16, 4, 0).unwrap();
    m.update(&k(1), &[1; 16], BPF_ANY, 0).unwrap();
    let a = m.lookup(&k(1), 0).unwrap();
    // bpf_map_update_elem(&map, &key2, value_ptr_into_the_map, 0)
    let value = unsafe { std::slice::from_raw_parts(a as *const u8, 16) };
    m.update(&k(2), value, BPF_ANY, 0).unwrap();
    m.update(&k(1), value, BPF_ANY, 0).unwrap();
    assert_eq!(user(&m, &k(2)).unwrap(), vec![1; 16]);
    assert_eq!(user(&m, &k(1)).unwrap(), vec![1; 16]);
}

#[test]
fn hash_semantics() {
    let m = create(MapType::Hash, 4, 8, 3, 0).unwrap();
    assert_eq!(errno(m.update(&k(1), &[0; 8], BPF_EXIST, 0)), Errno::ENOENT);
    m.update(&k(1), &[1; 8], BPF_NOEXIST, 0).unwrap();
    assert_eq!(errno(m.update(&k(1), &[0; 8], BPF_NOEXIST, 0)), Errno::EEXIST);
    m.update(&k(1), &[2; 8], BPF_EXIST, 0).unwrap();
    m.update_user(&k(2), &[3; 8], BPF_ANY).unwrap();
    m.update(&k(3), &[4; 8], BPF_ANY, 0).unwrap();
    assert_eq!(errno(m.update(&k(4), &[0; 8], BPF_ANY, 0)), Errno::E2BIG, "full");
    m.update(&k(3), &[5; 8], BPF_ANY, 0).unwrap();
    assert_eq!(user(&m, &k(3)).unwrap(), vec![5; 8], "replacing works when full");
    assert_eq!(errno(m.update(&k(3), &[5; 8], 3, 0)), Errno::EINVAL);
    assert_eq!(errno(m.update(&k(3), &[5; 8], BPF_F_LOCK, 0)), Errno::EINVAL, "no spin lock");
    assert_eq!(errno(m.delete(&k(9))), Errno::ENOENT);
    m.delete(&k(3)).unwrap();
    assert_eq!(m.lookup(&k(3), 0), None);
    assert_eq!(errno(user(&m, &k(3))), Errno::ENOENT);
    m.delete_user(&k(2)).unwrap();
    assert_eq!(errno(m.delete_user(&k(2))), Errno::ENOENT);
    assert_eq!(m.len(), 1);
    assert_eq!(errno(m.update(&[1, 2], &[0; 8], BPF_ANY, 0)), Errno::EINVAL, "short key");
    assert_eq!(m.lookup(&[1, 2], 0), None);
}

#[test]
fn hash_iterates_in_kernel_bucket_order() {
    let m = create(MapType::Hash, 4, 8, 16, BPF_F_ZERO_SEED).unwrap();
    for i in 0..12 {
        m.update(&k(i), &[0; 8], BPF_ANY, 0).unwrap();
    }
    // Buckets by jhash(key, 0) & 15 in turn; the newest element first within a bucket.
    let mut want: Vec<(u32, i64, u32)> = (0..12).map(|i| (jhash(&k(i), 0) & 15, -i64::from(i), i)).collect();
    want.sort();
    let want: Vec<Vec<u8>> = want.into_iter().map(|w| k(w.2).to_vec()).collect();
    assert_eq!(m.keys().collect::<Vec<_>>(), want);
    // Updating a key moves it to the front of its bucket, where the kernel links the new element.
    let bucket = |i: u32| jhash(&k(i), 0) & 15;
    if let Some((a, b)) = (0..12).flat_map(|a| (a + 1..12).map(move |b| (a, b))).find(|&(a, b)| bucket(a) == bucket(b)) {
        let pos = |m: &Map, i: u32| m.keys().position(|x| x == k(i)).unwrap();
        assert!(pos(&m, b) < pos(&m, a));
        m.update(&k(a), &[1; 8], BPF_EXIST, 0).unwrap();
        assert!(pos(&m, a) < pos(&m, b));
    }
    // An absent key starts over; the last key ends the walk.
    let first = next(&m, None).unwrap();
    assert_eq!(next(&m, Some(&k(999))).unwrap(), first);
    let last = m.keys().last().unwrap();
    assert_eq!(errno(next(&m, Some(&last))), Errno::ENOENT);
    // Deleting the key a walk stands on restarts the walk, as with the kernel.
    let second = next(&m, Some(&first)).unwrap();
    m.delete_user(&second).unwrap();
    assert_eq!(next(&m, Some(&second)).unwrap(), first);
}

#[test]
fn hash_values_never_move() {
    let m = create(MapType::Hash, 8, 24, 64, 0).unwrap();
    let key = |i: u64| i.to_le_bytes();
    let mut addrs = HashMap::new();
    for i in 0..64 {
        m.update(&key(i), &[i as u8; 24], BPF_ANY, 0).unwrap();
        addrs.insert(i, m.lookup(&key(i), 0).unwrap());
    }
    for i in (0..64).step_by(2) {
        m.delete(&key(i)).unwrap();
    }
    for i in (0..64).step_by(4) {
        m.update(&key(1000 + i), &[0; 24], BPF_ANY, 0).unwrap();
    }
    for i in (1..64).step_by(2) {
        m.update(&key(i), &[9; 24], BPF_EXIST, 0).unwrap();
        assert_eq!(m.lookup(&key(i), 0), Some(addrs[&i]), "key {i} kept its value's address");
        assert_eq!(read(addrs[&i], 24), vec![9; 24]);
    }
    // Every value address lies in the map's single writable region.
    for key in m.keys() {
        let a = m.lookup(&key, 0).unwrap();
        assert_eq!(in_regions(&m, a, 24), Some(true));
    }
}

#[test]
fn regions_cover_exactly_the_values() {
    let a = create(MapType::Array, 4, 5, 3, 0).unwrap();
    let r = a.value_regions();
    assert_eq!(r, vec![(a.lookup(&k(0), 0).unwrap(), 2 * 8 + 5, true)]);
    let h = create(MapType::Hash, 4, 12, 10, 0).unwrap();
    let r = h.value_regions();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].1, 9 * 16 + 12, "ten value slots of 16 bytes, the last one's padding excluded");
    h.update(&k(1), &[0; 12], BPF_ANY, 0).unwrap();
    assert_eq!(h.lookup(&k(1), 0), Some(r[0].0), "the first element takes the first slot");
    let p = create(MapType::PercpuArray, 4, 8, 2, 0).unwrap();
    assert_eq!(p.value_regions(), vec![(p.lookup(&k(0), 0).unwrap(), 8 * 8, true)]);
    let ro = create(MapType::Array, 4, 8, 1, BPF_F_RDONLY_PROG).unwrap();
    assert!(!ro.value_regions()[0].2);
    let d = create(MapType::Devmap, 4, 8, 4, 0).unwrap();
    assert_eq!(d.value_regions().len(), 1);
    assert!(!d.value_regions()[0].2, "devmap values are read-only for programs");
    for t in [MapType::Cpumap, MapType::ProgArray, MapType::PerfEventArray] {
        assert!(create(t, 4, 4, 4, 0).unwrap().value_regions().is_empty(), "{t}");
    }
    assert!(create(MapType::Ringbuf, 0, 0, 4096, 0).unwrap().value_regions().is_empty());
}

#[test]
fn percpu_array_layout() {
    let m = Map::new("pc", MapDef::new(MapType::PercpuArray, 4, 12, 2, 0), 4).unwrap();
    let addrs: Vec<u64> = (0..4).map(|c| m.lookup(&k(1), c).unwrap()).collect();
    for w in addrs.windows(2) {
        assert_eq!(w[1] - w[0], 16, "one copy per CPU, 8-byte aligned");
    }
    assert_eq!(m.lookup(&k(1), 4), None, "no CPU 4");
    assert_eq!(m.lookup(&k(2), 0), None);
    m.update(&k(1), &[0x11; 12], BPF_ANY, 2).unwrap();
    assert_eq!(read(addrs[2], 12), vec![0x11; 12]);
    assert_eq!(read(addrs[1], 12), vec![0; 12], "other CPUs' copies untouched");
    assert_eq!(errno(m.update(&k(1), &[0; 12], BPF_ANY, 4)), Errno::EINVAL);
    assert_eq!(errno(m.update(&k(1), &[0; 12], BPF_F_LOCK, 0)), Errno::EINVAL);
    // User space sees all CPUs, each rounded up to 8 bytes.
    let v = user(&m, &k(1)).unwrap();
    assert_eq!(v.len(), 4 * 16);
    assert_eq!(&v[32..44], &[0x11; 12]);
    assert_eq!(&v[0..16], &[0; 16]);
    let all: Vec<u8> = (0..64).collect();
    assert_eq!(errno(m.update_user(&k(1), &all[..12], BPF_ANY)), Errno::EINVAL, "takes every CPU's value");
    m.update_user(&k(1), &all, BPF_ANY).unwrap();
    assert_eq!(user(&m, &k(1)).unwrap(), all, "padding included, as bpf_long_memcpy copies it");
    assert_eq!(read(addrs[3], 12), all[48..60].to_vec());
    assert_eq!(errno(m.update_user(&k(1), &all, BPF_NOEXIST)), Errno::EEXIST);
    assert_eq!(errno(m.update_user(&k(2), &all, BPF_ANY)), Errno::E2BIG);
    assert_eq!(errno(m.update_user(&k(1), &all, BPF_F_LOCK)), Errno::EINVAL);
    assert_eq!(errno(user(&m, &k(2))), Errno::ENOENT);
}

#[test]
fn lru_evicts_the_least_recently_used() {
    let m = create(MapType::LruHash, 4, 8, 4, 0).unwrap();
    for i in 1..=4 {
        m.update(&k(i), &[i as u8; 8], BPF_ANY, 0).unwrap();
    }
    let a1 = m.lookup(&k(1), 0).unwrap(); // 1 becomes the most recent: order 1 4 3 2
    m.update(&k(5), &[5; 8], BPF_ANY, 0).unwrap(); // evicts 2
    assert_eq!(errno(user(&m, &k(2))), Errno::ENOENT);
    assert_eq!(m.lookup(&k(1), 0), Some(a1));
    user(&m, &k(3)).unwrap(); // a user lookup does not count: order 1 5 4 3
    m.update(&k(6), &[6; 8], BPF_ANY, 0).unwrap(); // evicts 3
    assert_eq!(errno(user(&m, &k(3))), Errno::ENOENT);
    m.update_user(&k(4), &[44; 8], BPF_EXIST).unwrap(); // order 4 6 1 5
    assert_eq!(errno(m.update(&k(4), &[0; 8], BPF_NOEXIST, 0)), Errno::EEXIST);
    assert_eq!(errno(m.update(&k(9), &[0; 8], BPF_EXIST, 0)), Errno::ENOENT);
    assert_eq!(m.len(), 4, "failed updates evict nothing");
    m.update(&k(7), &[7; 8], BPF_ANY, 0).unwrap(); // evicts 5
    m.update(&k(8), &[8; 8], BPF_ANY, 0).unwrap(); // evicts 1
    let mut left: Vec<u32> = m.keys().map(|x| u32::from_le_bytes(x.try_into().unwrap())).collect();
    left.sort();
    assert_eq!(left, vec![4, 6, 7, 8]);
    assert_eq!(user(&m, &k(4)).unwrap(), vec![44; 8]);
    assert_eq!(errno(m.update(&k(4), &[0; 8], BPF_F_LOCK, 0)), Errno::EINVAL, "LRU maps take no BPF_F_LOCK");
    m.delete(&k(6)).unwrap();
    m.update(&k(9), &[9; 8], BPF_ANY, 0).unwrap();
    assert_eq!(m.len(), 4, "a deleted element's room is reused without eviction");
}

#[test]
fn lru_per_cpu_lists() {
    let m = Map::new("lru", MapDef::new(MapType::LruHash, 4, 8, 4, BPF_F_NO_COMMON_LRU), 2).unwrap();
    m.update(&k(1), &[0; 8], BPF_ANY, 0).unwrap();
    m.update(&k(2), &[0; 8], BPF_ANY, 0).unwrap();
    m.update(&k(3), &[0; 8], BPF_ANY, 0).unwrap(); // CPU 0's list holds 2: evicts 1
    assert_eq!(m.len(), 2);
    assert_eq!(m.lookup(&k(1), 0), None);
    m.update(&k(4), &[0; 8], BPF_ANY, 1).unwrap();
    m.update(&k(5), &[0; 8], BPF_ANY, 1).unwrap();
    assert_eq!(m.len(), 4);
    m.update(&k(6), &[0; 8], BPF_ANY, 1).unwrap(); // evicts 4, CPU 1's oldest
    assert!(m.lookup(&k(2), 0).is_some() && m.lookup(&k(3), 0).is_some() && m.lookup(&k(4), 1).is_none());
}

#[test]
fn spin_lock_values() {
    let h = create(MapType::Hash, 4, 16, 4, 0).unwrap();
    assert_eq!(errno(h.set_spin_lock(Some(2))), Errno::EINVAL, "aligned");
    assert_eq!(errno(h.set_spin_lock(Some(16))), Errno::EINVAL, "inside the value");
    h.set_spin_lock(Some(4)).unwrap();
    h.update(&k(1), &[1; 16], BPF_F_LOCK, 0).unwrap(); // absent: inserted
    let a = h.lookup(&k(1), 0).unwrap();
    assert_eq!(read(a, 8), vec![1, 1, 1, 1, 0, 0, 0, 0], "copies skip the lock");
    write(a + 4, &[1, 0, 0, 0]); // a program holds the lock
    h.update(&k(1), &[2; 16], BPF_F_LOCK | BPF_EXIST, 0).unwrap();
    assert_eq!(read(a + 4, 4), vec![1, 0, 0, 0], "the lock is not overwritten");
    let mut out = Vec::new();
    h.lookup_user_flags(&k(1), &mut out, BPF_F_LOCK).unwrap();
    assert_eq!(out, [&[2u8; 4][..], &[0; 4], &[2; 8]].concat(), "lookups report the lock as 0");
    assert_eq!(errno(h.lookup_user_flags(&k(1), &mut out, 1)), Errno::EINVAL);
    assert_eq!(errno(h.freeze()), Errno::ENOTSUPP);
    let plain = create(MapType::Array, 4, 8, 1, 0).unwrap();
    assert_eq!(errno(plain.lookup_user_flags(&k(0), &mut out, BPF_F_LOCK)), Errno::EINVAL);
    assert_eq!(errno(create(MapType::LruHash, 4, 8, 1, 0).unwrap().set_spin_lock(Some(0))), Errno::EOPNOTSUPP);
}

#[test]
fn freeze_and_fd_permissions() {
    let m = create(MapType::Array, 4, 4, 2, 0).unwrap();
    m.update_user(&k(0), &[1; 4], BPF_ANY).unwrap();
    m.freeze().unwrap();
    assert!(m.is_frozen());
    assert_eq!(errno(m.update_user(&k(0), &[2; 4], BPF_ANY)), Errno::EPERM);
    assert_eq!(errno(m.freeze()), Errno::EPERM, "a frozen map has no write permission left");
    assert_eq!(user(&m, &k(0)).unwrap(), vec![1; 4]);
    m.update(&k(0), &[3; 4], BPF_ANY, 0).unwrap();
    assert_eq!(user(&m, &k(0)).unwrap(), vec![3; 4], "freezing leaves programs alone");
    let h = create(MapType::Hash, 4, 4, 2, 0).unwrap();
    h.update(&k(0), &[0; 4], BPF_ANY, 0).unwrap();
    h.freeze().unwrap();
    assert_eq!(errno(h.delete_user(&k(0))), Errno::EPERM);
    h.delete(&k(0)).unwrap();

    let ro = create(MapType::Hash, 4, 4, 2, BPF_F_RDONLY).unwrap();
    assert_eq!(ro.def().map_flags, 0, "fd permissions are not map flags");
    assert_eq!(errno(ro.update_user(&k(0), &[0; 4], BPF_ANY)), Errno::EPERM);
    assert_eq!(errno(ro.freeze()), Errno::EPERM);
    ro.update(&k(0), &[5; 4], BPF_ANY, 0).unwrap();
    assert_eq!(user(&ro, &k(0)).unwrap(), vec![5; 4]);
    let wo = create(MapType::Hash, 4, 4, 2, BPF_F_WRONLY).unwrap();
    wo.update_user(&k(0), &[0; 4], BPF_ANY).unwrap();
    assert_eq!(errno(user(&wo, &k(0))), Errno::EPERM);
    assert_eq!(errno(next(&wo, None)), Errno::EPERM);

    let rdprog = create(MapType::Hash, 4, 4, 2, BPF_F_RDONLY_PROG).unwrap();
    rdprog.update_user(&k(0), &[0; 4], BPF_ANY).unwrap();
    assert_eq!(errno(rdprog.update(&k(0), &[0; 4], BPF_ANY, 0)), Errno::EACCES);
    assert_eq!(errno(rdprog.delete(&k(0))), Errno::EACCES);
    assert!(rdprog.lookup(&k(0), 0).is_some());
}

#[test]
fn global_data_from_spec() {
    let spec = |name: &str, global, initial: Option<Vec<u8>>| MapSpec {
        name: name.into(),
        map_type: 2,
        key_size: 4,
        value_size: 8,
        max_entries: 1,
        global: Some(global),
        initial,
        ..MapSpec::default()
    };
    let ro = Map::from_spec(&spec("prog.rodata", GlobalData::Rodata, Some(vec![1, 2, 3])), 2).unwrap();
    assert_eq!(ro.def().map_flags, BPF_F_RDONLY_PROG);
    assert!(ro.is_frozen());
    assert_eq!(user(&ro, &k(0)).unwrap(), vec![1, 2, 3, 0, 0, 0, 0, 0]);
    assert_eq!(errno(ro.update_user(&k(0), &[0; 8], BPF_ANY)), Errno::EPERM);
    assert_eq!(errno(ro.update(&k(0), &[0; 8], BPF_ANY, 0)), Errno::EACCES);
    let a = ro.lookup(&k(0), 0).unwrap();
    assert_eq!(in_regions(&ro, a, 8), Some(false), ".rodata is read-only for programs");
    let data = Map::from_spec(&spec("prog.data", GlobalData::Data, Some(vec![9; 8])), 2).unwrap();
    assert!(!data.is_frozen());
    assert_eq!(in_regions(&data, data.lookup(&k(0), 0).unwrap(), 8), Some(true));
    assert_eq!(user(&data, &k(0)).unwrap(), vec![9; 8]);
    let bss = Map::from_spec(&spec("prog.bss", GlobalData::Bss, None), 2).unwrap();
    assert_eq!(user(&bss, &k(0)).unwrap(), vec![0; 8]);
    assert_eq!(errno(Map::from_spec(&spec("prog.data", GlobalData::Data, Some(vec![0; 9])), 2)), Errno::EINVAL);

    let long =
        MapSpec { name: "a_very_long_map_name".into(), map_type: 1, key_size: 4, value_size: 4, max_entries: 4, ..MapSpec::default() };
    assert_eq!(Map::from_spec(&long, 1).unwrap().name(), "a_very_long_map");
    let rb = MapSpec { name: "events".into(), map_type: 27, max_entries: 5000, ..MapSpec::default() };
    assert_eq!(Map::from_spec(&rb, 1).unwrap().def().max_entries, 8192, "libbpf rounds ring sizes up");
    let perf = MapSpec { name: "perf".into(), map_type: 4, key_size: 4, value_size: 4, ..MapSpec::default() };
    assert_eq!(Map::from_spec(&perf, 6).unwrap().def().max_entries, 6, "one slot per CPU");
    let lpm = MapSpec { name: "bloom".into(), map_type: 30, key_size: 8, value_size: 4, max_entries: 4, ..MapSpec::default() };
    // A type uxdp does not emulate is described for the verifier; using it is refused.
    let lpm = Map::from_spec(&lpm, 1).unwrap();
    assert_eq!((lpm.described(), lpm.uapi_type(), lpm.def().key_size, lpm.def().value_size), (Some(30), 30, 8, 4));
    assert_eq!(errno(lpm.update_user(&[0; 8], &k(1), BPF_ANY)), Errno::EOPNOTSUPP);
    let mut out = Vec::new();
    assert_eq!(errno(lpm.lookup_user(&[0; 8], &mut out)), Errno::EOPNOTSUPP);
    let not_a_type = MapSpec { name: "x".into(), map_type: 99, key_size: 4, value_size: 4, max_entries: 1, ..MapSpec::default() };
    assert_eq!(errno(Map::from_spec(&not_a_type, 1)), Errno::EINVAL);
}

#[test]
fn prog_array() {
    let m = create(MapType::ProgArray, 4, 4, 4, 0).unwrap();
    let (p1, p2) = (prog("one"), prog("two"));
    m.set_prog(1, Some(p1.clone())).unwrap();
    assert_eq!(errno(m.set_prog(4, Some(p1.clone()))), Errno::E2BIG);
    assert!(Rc::ptr_eq(&m.prog(1).unwrap(), &p1));
    assert!(m.prog(0).is_none() && m.prog(99).is_none());
    assert_eq!(user(&m, &k(1)).unwrap(), vec![0; 4], "id 0 when none was given");
    m.set_prog_with_id(2, Some(p2.clone()), 42).unwrap();
    assert_eq!(user(&m, &k(2)).unwrap(), 42u32.to_le_bytes(), "user lookups give the program's id");
    assert_eq!(errno(user(&m, &k(0))), Errno::ENOENT);
    // User updates resolve fds.
    assert_eq!(errno(m.update_user(&k(0), &1u32.to_le_bytes(), BPF_ANY)), Errno::EBADF, "no fd table");
    let env = Env { progs: vec![p1.clone(), p2.clone()], devices: vec![] };
    m.update_user_with(&k(0), &2u32.to_le_bytes(), BPF_ANY, &env).unwrap();
    assert!(Rc::ptr_eq(&m.prog(0).unwrap(), &p2));
    assert_eq!(user(&m, &k(0)).unwrap(), 102u32.to_le_bytes());
    assert_eq!(errno(m.update_user_with(&k(0), &2u32.to_le_bytes(), BPF_NOEXIST, &env)), Errno::EINVAL, "BPF_ANY only");
    assert_eq!(errno(m.update_user_with(&k(4), &2u32.to_le_bytes(), BPF_ANY, &env)), Errno::E2BIG);
    assert_eq!(errno(m.update_user_with(&k(0), &9u32.to_le_bytes(), BPF_ANY, &env)), Errno::EBADF);
    // Programs only tail-call into prog arrays.
    assert_eq!(m.lookup(&k(0), 0), None);
    assert_eq!(errno(m.update(&k(0), &[0; 4], BPF_ANY, 0)), Errno::EINVAL);
    assert_eq!(errno(m.delete(&k(0))), Errno::EINVAL);
    assert_eq!(m.len(), 3);
    m.delete_user(&k(1)).unwrap();
    assert_eq!(errno(m.delete_user(&k(1))), Errno::ENOENT);
    assert_eq!(errno(m.delete_user(&k(4))), Errno::E2BIG);
    assert_eq!(m.keys().count(), 4, "next_key walks every index");
    assert_eq!(m.entries().len(), 2);
    m.set_prog(2, None).unwrap();
    m.release();
    assert!(m.is_empty());
    assert_eq!(Rc::strong_count(&p2), 2, "only the test and env hold it now");
}

#[test]
fn devmap() {
    let m = create(MapType::Devmap, 4, 8, 4, 0).unwrap();
    let env = Env { progs: vec![prog("devmap_prog")], devices: vec![3, 5] };
    m.update_user_with(&k(1), &[3, 0, 0, 0, 0, 0, 0, 0], BPF_ANY, &env).unwrap();
    assert_eq!(user(&m, &k(1)).unwrap(), [3, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(m.target(1).unwrap().downcast_ref::<String>().unwrap(), "eth3");
    let a = m.lookup(&k(1), 0).unwrap();
    assert_eq!(read(a, 4), [3, 0, 0, 0]);
    assert_eq!(in_regions(&m, a, 8), Some(false));
    assert_eq!(m.lookup(&k(0), 0), None, "empty entries are not found");
    assert_eq!(errno(user(&m, &k(0))), Errno::ENOENT);
    // With a program: the value shows its id.
    let mut v = [5u8, 0, 0, 0, 0, 0, 0, 0];
    v[4..].copy_from_slice(&1i32.to_le_bytes());
    m.update_user_with(&k(2), &v, BPF_EXIST, &env).unwrap();
    assert_eq!(user(&m, &k(2)).unwrap()[4..], 101u32.to_le_bytes());
    assert_eq!(m.prog(2).unwrap().name, "devmap_prog");
    // The kernel's update checks.
    assert_eq!(errno(m.update_user_with(&k(2), &v, BPF_NOEXIST, &env)), Errno::EEXIST);
    assert_eq!(errno(m.update_user_with(&k(2), &v, 3, &env)), Errno::EINVAL);
    assert_eq!(errno(m.update_user_with(&k(4), &v, BPF_ANY, &env)), Errno::E2BIG);
    assert_eq!(errno(m.update_user_with(&k(2), &[9, 0, 0, 0, 0, 0, 0, 0], BPF_ANY, &env)), Errno::EINVAL, "no such device");
    assert_eq!(errno(m.update_user(&k(2), &v, BPF_ANY)), Errno::EINVAL, "a bad program fd is EINVAL for devmaps");
    assert_eq!(errno(m.update_user_with(&k(2), &[0, 0, 0, 0, 1, 0, 0, 0], BPF_ANY, &env)), Errno::EINVAL, "fd without ifindex");
    m.update_user_with(&k(2), &[0; 8], BPF_ANY, &env).unwrap();
    assert_eq!(errno(user(&m, &k(2))), Errno::ENOENT, "ifindex 0 empties the entry");
    // Targets bind to present entries.
    let nic: Rc<dyn Any> = Rc::new(7u32);
    assert_eq!(errno(m.set_target(0, Some(nic.clone()))), Errno::ENOENT);
    m.set_target(1, Some(nic.clone())).unwrap();
    assert_eq!(*m.target(1).unwrap().downcast_ref::<u32>().unwrap(), 7);
    // Delete: EINVAL past the end, success on empty entries.
    m.delete_user(&k(0)).unwrap();
    m.delete_user(&k(1)).unwrap();
    assert!(m.target(1).is_none());
    assert_eq!(errno(m.delete_user(&k(4))), Errno::EINVAL);
    assert_eq!(errno(m.update(&k(1), &[0; 8], BPF_ANY, 0)), Errno::EACCES);
    assert_eq!(next(&m, Some(&k(1))).unwrap(), k(2), "array-like walk");
    // Without an fd table any ifindex is taken, unbound.
    m.update_user(&k(3), &[77, 0, 0, 0, 0, 0, 0, 0], BPF_ANY).unwrap();
    assert!(m.target(3).is_none());
    assert_eq!(m.occupied(), vec![3]);
}

#[test]
fn devmap_hash() {
    let m = create(MapType::DevmapHash, 4, 4, 8, 0).unwrap();
    let env = Env { progs: vec![], devices: vec![1, 2, 9, 17, 25, 33, 41, 49, 57] };
    assert_eq!(errno(m.update_user_with(&k(1), &[0; 4], BPF_ANY, &env)), Errno::EINVAL, "ifindex 0");
    m.update_user_with(&k(9), &k(9), BPF_EXIST, &env).unwrap(); // BPF_EXIST on an absent key inserts
    m.update_user_with(&k(1), &k(1), BPF_ANY, &env).unwrap();
    m.update_user_with(&k(17), &k(17), BPF_NOEXIST, &env).unwrap();
    m.update_user_with(&k(2), &k(2), BPF_ANY, &env).unwrap();
    assert_eq!(errno(m.update_user_with(&k(17), &k(17), BPF_NOEXIST, &env)), Errno::EEXIST);
    // Buckets by key & 7, newest first within each.
    let keys: Vec<u32> = m.keys().map(|x| u32::from_le_bytes(x.try_into().unwrap())).collect();
    assert_eq!(keys, vec![17, 1, 9, 2]);
    assert_eq!(m.occupied(), keys);
    assert_eq!(m.target(17).unwrap().downcast_ref::<String>().unwrap(), "eth17");
    let a = m.lookup(&k(2), 0).unwrap();
    assert_eq!(read(a, 4), k(2));
    assert_eq!(in_regions(&m, a, 4), Some(false));
    for i in [25, 33, 41, 49] {
        m.update_user_with(&k(i), &k(i), BPF_ANY, &env).unwrap();
    }
    assert_eq!(errno(m.update_user_with(&k(57), &k(57), BPF_ANY, &env)), Errno::E2BIG, "full");
    m.delete_user(&k(9)).unwrap();
    assert_eq!(errno(m.delete_user(&k(9))), Errno::ENOENT);
    assert_eq!(m.lookup(&k(9), 0), None);
    m.update_user_with(&k(57), &k(57), BPF_ANY, &env).unwrap();
    assert_eq!(m.len(), 8);
    m.release();
    assert!(m.is_empty() && m.keys().next().is_none());
}

#[test]
fn cpumap() {
    let m = Map::new("cpus", MapDef::new(MapType::Cpumap, 4, 8, 8, 0), 4).unwrap();
    m.update_user(&k(1), &[0, 2, 0, 0, 0, 0, 0, 0], BPF_ANY).unwrap();
    assert_eq!(user(&m, &k(1)).unwrap(), [0, 2, 0, 0, 0, 0, 0, 0]);
    assert_eq!(errno(m.update_user(&k(1), &[0x01, 0x40, 0, 0, 0, 0, 0, 0], BPF_ANY)), Errno::EOVERFLOW, "qsize 16385");
    assert_eq!(errno(m.update_user(&k(5), &[1, 0, 0, 0, 0, 0, 0, 0], BPF_ANY)), Errno::ENODEV, "CPU 5 of 4");
    assert_eq!(errno(m.update_user(&k(8), &[1, 0, 0, 0, 0, 0, 0, 0], BPF_ANY)), Errno::E2BIG);
    assert_eq!(errno(m.update_user(&k(1), &[1, 0, 0, 0, 0, 0, 0, 0], BPF_NOEXIST)), Errno::EEXIST);
    assert_eq!(errno(m.update_user(&k(1), &[1, 0, 0, 0, 3, 0, 0, 0], BPF_ANY)), Errno::EBADF, "the fd's error comes through");
    let env = Env { progs: vec![prog("cpumap_prog")], devices: vec![] };
    m.update_user_with(&k(2), &[1, 0, 0, 0, 1, 0, 0, 0], BPF_ANY, &env).unwrap();
    assert_eq!(user(&m, &k(2)).unwrap()[4..], 101u32.to_le_bytes());
    assert_eq!(m.prog(2).unwrap().name, "cpumap_prog");
    assert_eq!(m.lookup(&k(2), 0), None, "programs only redirect into cpumaps");
    m.update_user(&k(2), &[0; 8], BPF_ANY).unwrap();
    assert_eq!(errno(user(&m, &k(2))), Errno::ENOENT, "qsize 0 deletes");
    m.delete_user(&k(2)).unwrap();
    assert_eq!(errno(m.delete_user(&k(8))), Errno::EINVAL);
    let q: Rc<dyn Any> = Rc::new("queue");
    m.set_target(1, Some(q)).unwrap();
    assert!(m.target(1).is_some());
    assert_eq!(m.len(), 1);
}

#[test]
fn ringbuf_map() {
    let m = create(MapType::Ringbuf, 0, 0, 4096, 0).unwrap();
    {
        let mut rb = m.ringbuf().unwrap();
        assert_eq!(rb.size(), 4096);
        rb.output(b"hello", 0).unwrap();
        assert!(m.ringbuf().is_none(), "already borrowed");
    }
    let mut got = Vec::new();
    m.ringbuf().unwrap().consume(|s| {
        got.push(s.to_vec());
        0
    });
    assert_eq!(got, vec![b"hello".to_vec()]);
    assert_eq!(errno(user(&m, &[])), Errno::ENOTSUPP);
    assert_eq!(errno(m.update_user(&[], &[], BPF_ANY)), Errno::ENOTSUPP);
    assert_eq!(errno(m.delete_user(&[])), Errno::ENOTSUPP);
    assert_eq!(errno(next(&m, None)), Errno::ENOTSUPP);
    assert_eq!(m.lookup(&[], 0), None);
    assert!(create(MapType::Array, 4, 4, 1, 0).unwrap().ringbuf().is_none());
}

#[test]
fn perf_event_array() {
    let m = Map::new("events", MapDef::new(MapType::PerfEventArray, 4, 4, 2, 0), 2).unwrap();
    m.push_sample(0, b"a").unwrap();
    m.push_sample(1, b"bc").unwrap();
    assert_eq!(errno(m.push_sample(2, b"x")), Errno::E2BIG);
    assert_eq!(m.drain_samples(), vec![(0, b"a".to_vec()), (1, b"bc".to_vec())]);
    assert!(m.drain_samples().is_empty());
    let big = vec![0u8; MAX_PERF_QUEUE_BYTES];
    m.push_sample(0, &big).unwrap();
    assert_eq!(errno(m.push_sample(0, b"x")), Errno::ENOSPC);
    assert_eq!(m.lost_samples(), 1);
    assert_eq!(m.drain_samples().len(), 1);
    m.push_sample(0, b"x").unwrap();
    // Slots hold perf event fds for user space.
    m.update_user(&k(0), &7u32.to_le_bytes(), BPF_ANY).unwrap();
    assert_eq!(errno(m.update_user(&k(0), &7u32.to_le_bytes(), BPF_EXIST)), Errno::EINVAL);
    assert_eq!(errno(user(&m, &k(0))), Errno::ENOTSUPP);
    m.delete_user(&k(0)).unwrap();
    assert_eq!(errno(m.delete_user(&k(0))), Errno::ENOENT);
    assert_eq!(m.lookup(&k(0), 0), None);
    assert_eq!(errno(create(MapType::Array, 4, 4, 1, 0).unwrap().push_sample(0, b"x")), Errno::EINVAL);
}

#[test]
fn describe_like_bpftool() {
    let m = Map::new("counts", MapDef::new(MapType::Hash, 4, 8, 16, BPF_F_NO_PREALLOC | BPF_F_RDONLY), 1).unwrap();
    m.update(&k(1), &[0; 8], BPF_ANY, 0).unwrap();
    let info = m.describe();
    assert_eq!((info.map_flags, info.entries, info.frozen), (BPF_F_NO_PREALLOC, 1, false));
    assert_eq!(info.to_string(), "hash  name counts  flags 0x1\n\tkey 4B  value 8B  max_entries 16");
    let d = create(MapType::Devmap, 4, 4, 2, 0).unwrap();
    d.freeze().unwrap();
    assert_eq!(d.describe().to_string(), "devmap  name m  flags 0x80\n\tkey 4B  value 4B  max_entries 2\n\tfrozen");
    assert!(format!("{m:?}").contains("counts"));
}

#[derive(Clone, Debug)]
enum Op {
    Update(u32, u8, u64),
    UserUpdate(u32, u8, u64),
    Delete(u32),
    Lookup(u32),
    UserLookup(u32),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0u32..12;
    prop_oneof![
        4 => (key.clone(), any::<u8>(), 0u64..4).prop_map(|(k, v, f)| Op::Update(k, v, f)),
        2 => (key.clone(), any::<u8>(), 0u64..4).prop_map(|(k, v, f)| Op::UserUpdate(k, v, f)),
        2 => key.clone().prop_map(Op::Delete),
        2 => key.clone().prop_map(Op::Lookup),
        1 => key.prop_map(Op::UserLookup),
    ]
}

/// A hash map (LRU or not) as a list in recency order, most recent first.
struct Model {
    lru: bool,
    cap: usize,
    entries: Vec<(u32, u8)>,
}

impl Model {
    fn pos(&self, key: u32) -> Option<usize> {
        self.entries.iter().position(|e| e.0 == key)
    }
    fn touch(&mut self, i: usize) {
        let e = self.entries.remove(i);
        self.entries.insert(0, e);
    }
    fn update(&mut self, key: u32, v: u8, flags: u64) -> std::result::Result<(), Errno> {
        if flags > BPF_EXIST {
            return Err(Errno::EINVAL);
        }
        match (self.pos(key), flags) {
            (Some(_), BPF_NOEXIST) => Err(Errno::EEXIST),
            (None, BPF_EXIST) => Err(Errno::ENOENT),
            (Some(i), _) => {
                self.entries[i].1 = v;
                self.touch(i);
                Ok(())
            }
            (None, _) if self.entries.len() == self.cap => {
                if !self.lru {
                    return Err(Errno::E2BIG);
                }
                self.entries.pop();
                self.entries.insert(0, (key, v));
                Ok(())
            }
            (None, _) => {
                self.entries.insert(0, (key, v));
                Ok(())
            }
        }
    }
}

fn run_model(t: MapType, ops: Vec<Op>) -> std::result::Result<(), TestCaseError> {
    const CAP: usize = 6;
    let m = create(t, 4, 8, CAP as u32, 0).unwrap();
    let mut model = Model { lru: t == MapType::LruHash, cap: CAP, entries: Vec::new() };
    let mut addrs: HashMap<u32, u64> = HashMap::new();
    for op in ops {
        match op {
            Op::Update(key, v, flags) | Op::UserUpdate(key, v, flags) => {
                let got = match op {
                    Op::Update(..) => m.update(&k(key), &[v; 8], flags, 0),
                    _ => m.update_user(&k(key), &[v; 8], flags),
                };
                let before: Vec<u32> = model.entries.iter().map(|e| e.0).collect();
                let want = model.update(key, v, flags);
                prop_assert_eq!(got.map_err(|e| e.errno), want, "update {} {:#x}", key, flags);
                for gone in before.iter().filter(|&&b| model.pos(b).is_none()) {
                    addrs.remove(gone);
                }
            }
            Op::Delete(key) => {
                let want = model.pos(key).map(|i| model.entries.remove(i)).map(|_| ()).ok_or(Errno::ENOENT);
                prop_assert_eq!(m.delete(&k(key)).map_err(|e| e.errno), want);
                addrs.remove(&key);
            }
            Op::Lookup(key) => {
                let got = m.lookup(&k(key), 0);
                match model.pos(key) {
                    Some(i) => {
                        let a = got.expect("present");
                        prop_assert_eq!(read(a, 8), vec![model.entries[i].1; 8]);
                        if model.lru {
                            model.touch(i);
                        }
                    }
                    None => prop_assert_eq!(got, None),
                }
            }
            Op::UserLookup(key) => {
                let want = model.pos(key).map(|i| vec![model.entries[i].1; 8]).ok_or(Errno::ENOENT);
                prop_assert_eq!(user(&m, &k(key)).map_err(|e| e.errno), want);
            }
        }
        // Same elements; every key once in the walk; values where they were.
        prop_assert_eq!(m.len(), model.entries.len());
        let mut keys: Vec<u32> = m.keys().map(|x| u32::from_le_bytes(x.try_into().unwrap())).collect();
        keys.sort();
        let mut want: Vec<u32> = model.entries.iter().map(|e| e.0).collect();
        want.sort();
        prop_assert_eq!(keys, want);
        for &(key, v) in &model.entries {
            let mut out = Vec::new();
            m.lookup_user(&k(key), &mut out).unwrap();
            prop_assert_eq!(out, vec![v; 8]);
        }
        for (key, _) in model.entries.clone() {
            // A program lookup would reorder the LRU model: read addresses through a user-side
            // walk of the regions instead, by remembering what lookups returned.
            if let Some(&a) = addrs.get(&key) {
                prop_assert_eq!(in_regions(&m, a, 8), Some(true));
                prop_assert_eq!(read(a, 8), vec![model.entries[model.pos(key).unwrap()].1; 8], "key {} moved", key);
            }
        }
        if let Some(&(key, _)) = model.entries.first() {
            if let std::collections::hash_map::Entry::Vacant(e) = addrs.entry(key) {
                // Recording an address needs a program lookup: keep the model in step.
                let a = m.lookup(&k(key), 0).unwrap();
                e.insert(a);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn hash_matches_model(ops in proptest::collection::vec(op(), 1..120)) {
        run_model(MapType::Hash, ops)?;
    }

    #[test]
    fn lru_matches_exact_lru_model(ops in proptest::collection::vec(op(), 1..120)) {
        run_model(MapType::LruHash, ops)?;
    }

    /// Whatever the attributes, creation returns a map or an errno, and a created map takes any
    /// key and value bytes without panicking.
    #[test]
    fn create_and_use_never_panic(t in 0u32..30, key in 0u32..20, value in 0u32..40, max in 0u32..70, flags in any::<u32>(),
                                  keyb in proptest::collection::vec(any::<u8>(), 0..24), valb in proptest::collection::vec(any::<u8>(), 0..48),
                                  uflags in 0u64..8, cpu in 0u32..6) {
        let t = match MapType::from_uapi(t) { Ok(t) => t, Err(_) => return Ok(()) };
        let max = if t == MapType::Ringbuf { max * 4096 } else { max };
        if let Ok(m) = Map::new("fuzz", MapDef::new(t, key, value, max, flags & 0x3fff), 4) {
            let _ = m.lookup(&keyb, cpu);
            let _ = m.update(&keyb, &valb, uflags, cpu);
            let _ = m.update_user(&keyb, &valb, uflags);
            let _ = m.delete(&keyb);
            let _ = m.delete_user(&keyb);
            let mut out = Vec::new();
            let _ = m.lookup_user(&keyb, &mut out);
            let mut nk = vec![0u8; keyb.len()];
            let _ = m.next_key(Some(&keyb), &mut nk);
            let _ = m.keys().take(100).count();
            let _ = m.set_prog(le(&keyb), None);
            let _ = m.set_target(le(&keyb), None);
            let _ = m.push_sample(cpu, &valb);
            let _ = m.describe().to_string();
            for (s, l, _) in m.value_regions() {
                prop_assert!(l > 0 && s != 0);
            }
        }
    }
}

fn le(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    let n = b.len().min(4);
    a[..n].copy_from_slice(&b[..n]);
    u32::from_le_bytes(a)
}

#[test]
fn lookups_share_the_map_between_users() {
    // The coordinator's shape: programs and user space hold the same Rc<Map>.
    let m = Rc::new(create(MapType::Array, 4, 8, 2, 0).unwrap());
    let prog_side = m.clone();
    let a = prog_side.lookup(&k(0), 0).unwrap();
    write(a, &42u64.to_le_bytes());
    assert_eq!(user(&m, &k(0)).unwrap(), 42u64.to_le_bytes());
    let mut seen = BTreeMap::new();
    for (key, v) in m.entries() {
        seen.insert(key, v);
    }
    assert_eq!(seen.len(), 2);
}
/// A prog array filled from `.values` holds programs that hold the prog array: dropping the loaded
/// object must still free them all (the kernel clears prog arrays when their last user reference
/// goes).
#[test]
fn dropping_a_loaded_object_frees_its_prog_array_cycle() {
    use std::process::Command;
    let dir = std::env::temp_dir().join(format!("uxdp-cycle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("cycle.bpf.c");
    std::fs::write(
        &src,
        r#"#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int(void *));
} jt SEC(".maps");
SEC("xdp") int leaf(struct xdp_md *ctx) { return XDP_PASS; }
SEC("xdp") int entry(struct xdp_md *ctx) { bpf_tail_call(ctx, &jt, 0); return XDP_DROP; }
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int(void *));
} jt2 SEC(".maps") = { .values = { [0] = (void *)&entry } };
char LICENSE[] SEC("license") = "GPL";
"#,
    )
    .unwrap();
    let obj = dir.join("cycle.o");
    let arch = if cfg!(target_arch = "aarch64") { "aarch64" } else { "x86_64" };
    let st = Command::new("clang")
        .args(["-O2", "-g", "-target", "bpf", &format!("-I/usr/include/{arch}-linux-gnu"), "-c"])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .status()
        .expect("clang (installed by .ci/run) runs");
    assert!(st.success());
    let bytes = std::fs::read(&obj).unwrap();
    let loaded = uxdp::bpf::loader::load_bytes(&bytes, &Default::default()).unwrap();
    let entry = loaded.program("entry").unwrap().prog.clone().unwrap();
    loaded.map("jt").unwrap().set_prog(0, Some(entry.clone())).unwrap();
    let weak = std::rc::Rc::downgrade(&entry);
    drop(entry);
    assert!(weak.upgrade().is_some(), "the object keeps its programs while it lives");
    drop(loaded);
    assert!(weak.upgrade().is_none(), "the prog-array cycle was not broken");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The kernel's struct bpf_map a map pointer reads (6.18 offsets), with bpf_array's and
/// bpf_htab's fields; `test/kernel-tcrun.spec.ts` checks the same values against the kernel.
#[test]
fn kernel_struct_image_holds_the_maps_fields() {
    let read = |m: &Map, off: usize, len: usize| -> Vec<u8> {
        let (addr, size) = m.kernel_struct_region();
        assert!(off + len <= size as usize, "inside the image");
        // SAFETY: the image's own bytes, alive as long as the map.
        unsafe { std::slice::from_raw_parts((addr as usize + off) as *const u8, len).to_vec() }
    };
    let u32_at = |m: &Map, off: usize| u32::from_le_bytes(read(m, off, 4).try_into().unwrap());
    let array = create(MapType::Array, 4, 12, 5, 0).unwrap();
    assert_eq!([64, 68, 72, 76, 88].map(|o| u32_at(&array, o)), [2, 4, 12, 5, 0], "map_type, key/value size, max_entries, flags");
    assert_eq!(u32_at(&array, 104) as i32, -1, "numa_node");
    assert_eq!((u32_at(&array, 296), u32_at(&array, 300)), (16, 7), "bpf_array's elem_size and index_mask");
    assert_eq!(read(&array, 256, 2), [1, 0], "bypass_spec_v1 (arrays only), frozen");
    assert_ne!(read(&array, 40, 8), [0; 8], "ops is set");
    assert_eq!(array.kernel_struct_region().0, array.kernel_struct_addr(), "what an lddw holds");
    let hash = create(MapType::PercpuHash, 8, 4, 33, 0).unwrap();
    assert_eq!((u32_at(&hash, 784), u32_at(&hash, 788)), (64, 48 + 8 + 8), "n_buckets, elem_size (a per-CPU pointer)");
    assert_eq!(read(&hash, 256, 1), [0]);
    let queue = create(MapType::Queue, 0, 4, 4, 0).unwrap();
    assert_eq!(queue.kernel_struct_region().1, 296, "a plain struct bpf_map");
}
