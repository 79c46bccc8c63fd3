//! The map types of issue 14: per-CPU hash and LRU per-CPU hash, queue and stack, LPM trie, maps
//! of maps, user ring buffers, and the fd table; creation checks, the syscall side and the
//! program side, malformed input included.

use std::rc::Rc;

use uxdp::bpf::maps::*;
use uxdp::errno::Errno;

#[path = "support/map_util.rs"]
mod map_util;
use map_util::*;

fn at(addr: u64, len: usize) -> Vec<u8> {
    // SAFETY: a value address of a map the test holds.
    unsafe { std::slice::from_raw_parts(addr as *const u8, len).to_vec() }
}

// ---- per-CPU hash ----

#[test]
fn percpu_hash_creation_checks() {
    assert_eq!(errno(create(MapType::PercpuHash, 4, 8, 4, BPF_F_NUMA_NODE)), Errno::EINVAL);
    assert_eq!(errno(create(MapType::PercpuHash, 4, 32 * 1024 + 1, 4, 0)), Errno::E2BIG);
    assert_eq!(errno(create(MapType::PercpuHash, 0, 8, 4, 0)), Errno::EINVAL);
    assert_eq!(errno(create(MapType::PercpuHash, 4, 8, 4, BPF_F_NO_COMMON_LRU)), Errno::EINVAL);
    assert_eq!(errno(create(MapType::LruPercpuHash, 4, 8, 4, BPF_F_NO_PREALLOC)), Errno::ENOTSUPP);
    create(MapType::LruPercpuHash, 4, 8, 4, BPF_F_NO_COMMON_LRU).unwrap();
    create(MapType::PercpuHash, 4, 32 * 1024, 4, BPF_F_NO_PREALLOC).unwrap();
}

#[test]
fn percpu_hash_program_updates_its_cpu_and_user_sees_all() {
    let m = create(MapType::PercpuHash, 4, 4, 8, 0).unwrap();
    // A new element from CPU 2: the other CPUs' copies are zero.
    m.update(&7u32.to_le_bytes(), &[1, 2, 3, 4], 0, 2).unwrap();
    let v = user(&m, &7u32.to_le_bytes()).unwrap();
    assert_eq!(v.len(), 4 * 8);
    assert_eq!(&v[16..20], &[1, 2, 3, 4]);
    assert!(v[..16].iter().chain(&v[20..]).all(|&b| b == 0));
    // An existing element from CPU 0 changes CPU 0's copy only.
    m.update(&7u32.to_le_bytes(), &[9, 9, 9, 9], BPF_EXIST, 0).unwrap();
    let v = user(&m, &7u32.to_le_bytes()).unwrap();
    assert_eq!((&v[0..4], &v[16..20]), (&[9u8, 9, 9, 9][..], &[1u8, 2, 3, 4][..]));
    // A program's lookup sees its CPU's copy; lookup_percpu_elem's other CPU too.
    let a = m.lookup(&7u32.to_le_bytes(), 2).unwrap();
    assert_eq!(at(a, 4), [1, 2, 3, 4]);
    assert!(m.lookup(&7u32.to_le_bytes(), 4).is_none());
    // A user update writes every CPU's value from its 8-byte-rounded place.
    let mut all = vec![0u8; 32];
    for c in 0..4 {
        all[c * 8..c * 8 + 4].copy_from_slice(&[c as u8 + 10; 4]);
        all[c * 8 + 4..c * 8 + 8].copy_from_slice(&[0xee; 4]);
    }
    m.update_user(&8u32.to_le_bytes(), &all, 0).unwrap();
    let v = user(&m, &8u32.to_le_bytes()).unwrap();
    for c in 0..4 {
        assert_eq!(&v[c * 8..c * 8 + 4], &[c as u8 + 10; 4]);
    }
    assert_eq!(errno(m.update_user(&8u32.to_le_bytes(), &all[..4], 0)), Errno::EINVAL);
    assert_eq!(errno(m.update(&8u32.to_le_bytes(), &[0; 4], BPF_F_LOCK, 0)), Errno::EINVAL);
    assert_eq!(errno(m.update(&9u32.to_le_bytes(), &[0; 4], BPF_EXIST, 0)), Errno::ENOENT);
    assert_eq!(m.len(), 2);
}

#[test]
fn lru_percpu_hash_evicts_the_least_recently_used() {
    let m = create(MapType::LruPercpuHash, 4, 8, 2, 0).unwrap();
    m.update(&1u32.to_le_bytes(), &[1; 8], 0, 0).unwrap();
    m.update(&2u32.to_le_bytes(), &[2; 8], 0, 1).unwrap();
    assert!(m.lookup(&1u32.to_le_bytes(), 0).is_some());
    m.update(&3u32.to_le_bytes(), &[3; 8], 0, 0).unwrap();
    assert_eq!(errno(user(&m, &2u32.to_le_bytes())), Errno::ENOENT);
    assert_eq!(m.len(), 2);
}

// ---- queue and stack ----

#[test]
fn queue_stack_creation_checks() {
    for t in [MapType::Queue, MapType::Stack] {
        assert_eq!(errno(create(t, 4, 4, 4, 0)), Errno::EINVAL, "key_size must be 0");
        assert_eq!(errno(create(t, 0, 0, 4, 0)), Errno::EINVAL);
        assert_eq!(errno(create(t, 0, 4, 0, 0)), Errno::EINVAL);
        assert_eq!(errno(create(t, 0, 4, 4, BPF_F_NO_PREALLOC)), Errno::EINVAL);
        assert_eq!(errno(create(t, 0, 4, 4, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)), Errno::EINVAL);
        assert_eq!(errno(create(t, 0, 1 << 23, 1, 0)), Errno::E2BIG);
        assert_eq!(errno(create(t, 0, 1 << 16, 1 << 16, 0)), Errno::ENOMEM, "past the emulator's memory cap");
        create(t, 0, 4, 4, BPF_F_RDONLY_PROG).unwrap();
    }
}

#[test]
fn queue_is_fifo_and_bpf_exist_drops_the_oldest() {
    let q = create(MapType::Queue, 0, 4, 3, 0).unwrap();
    let mut out = [0u8; 4];
    assert_eq!(errno(q.pop_or_peek(&mut out, false)), Errno::ENOENT);
    for v in 1..=3u32 {
        q.push(&v.to_le_bytes(), 0).unwrap();
    }
    assert_eq!(errno(q.push(&4u32.to_le_bytes(), 0)), Errno::E2BIG);
    assert_eq!(errno(q.push(&4u32.to_le_bytes(), BPF_NOEXIST)), Errno::EINVAL);
    assert_eq!(errno(q.push(&4u32.to_le_bytes(), 4)), Errno::EINVAL);
    q.push(&4u32.to_le_bytes(), BPF_EXIST).unwrap();
    assert_eq!(q.queued(), vec![2u32.to_le_bytes().to_vec(), 3u32.to_le_bytes().to_vec(), 4u32.to_le_bytes().to_vec()]);
    q.pop_or_peek(&mut out, false).unwrap();
    assert_eq!(u32::from_le_bytes(out), 2);
    q.pop_or_peek(&mut out, true).unwrap();
    assert_eq!(u32::from_le_bytes(out), 2);
    // The syscall: lookup peeks, update pushes, lookup_and_delete pops, the rest is EINVAL.
    assert_eq!(user(&q, &[]).unwrap(), 3u32.to_le_bytes());
    q.update_user(&[], &5u32.to_le_bytes(), 0).unwrap();
    let mut v = Vec::new();
    q.lookup_and_delete_user(&[], &mut v, 0).unwrap();
    assert_eq!(v, 3u32.to_le_bytes());
    assert_eq!(errno(q.lookup_and_delete_user(&[], &mut v, BPF_F_LOCK)), Errno::EINVAL);
    assert_eq!(errno(q.delete_user(&[])), Errno::EINVAL);
    assert_eq!(errno(next(&q, None)), Errno::EINVAL);
    assert_eq!(errno(q.update_user(&[0; 4], &5u32.to_le_bytes(), 0)), Errno::EINVAL);
    assert_eq!(q.len(), 2);
}

#[test]
fn stack_is_lifo_and_empty_pops_zero_the_value() {
    let s = create(MapType::Stack, 0, 4, 2, 0).unwrap();
    s.push(&1u32.to_le_bytes(), 0).unwrap();
    s.push(&2u32.to_le_bytes(), 0).unwrap();
    s.push(&3u32.to_le_bytes(), BPF_EXIST).unwrap();
    let mut out = [0u8; 4];
    s.pop_or_peek(&mut out, true).unwrap();
    assert_eq!(u32::from_le_bytes(out), 3);
    s.pop_or_peek(&mut out, true).unwrap();
    assert_eq!(u32::from_le_bytes(out), 2);
    out = [0xff; 4];
    assert_eq!(errno(s.pop_or_peek(&mut out, true)), Errno::ENOENT);
    assert_eq!(out, [0; 4]);
    let ro = create(MapType::Stack, 0, 4, 2, BPF_F_RDONLY_PROG).unwrap();
    assert_eq!(errno(ro.push(&[0; 4], 0)), Errno::EACCES);
}

// ---- LPM trie ----

fn lpm_key(prefixlen: u32, data: &[u8]) -> Vec<u8> {
    let mut k = prefixlen.to_le_bytes().to_vec();
    k.extend_from_slice(data);
    k
}

#[test]
fn lpm_creation_checks() {
    assert_eq!(errno(create(MapType::LpmTrie, 8, 4, 8, 0)), Errno::EINVAL, "BPF_F_NO_PREALLOC is required");
    assert_eq!(errno(create(MapType::LpmTrie, 4, 4, 8, BPF_F_NO_PREALLOC)), Errno::EINVAL);
    assert_eq!(errno(create(MapType::LpmTrie, 261, 4, 8, BPF_F_NO_PREALLOC)), Errno::EINVAL);
    assert_eq!(errno(create(MapType::LpmTrie, 8, 0, 8, BPF_F_NO_PREALLOC)), Errno::EINVAL);
    assert_eq!(errno(create(MapType::LpmTrie, 8, 4, 0, BPF_F_NO_PREALLOC)), Errno::EINVAL);
    assert_eq!(errno(create(MapType::LpmTrie, 8, 4, 8, BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED)), Errno::EINVAL);
    create(MapType::LpmTrie, 5, 1, 1, BPF_F_NO_PREALLOC).unwrap();
    create(MapType::LpmTrie, 260, 4, 8, BPF_F_NO_PREALLOC).unwrap();
}

#[test]
fn lpm_longest_prefix_match_and_exact_updates() {
    let t = create(MapType::LpmTrie, 8, 4, 4, BPF_F_NO_PREALLOC).unwrap();
    t.update_user(&lpm_key(8, &[10, 0, 0, 0]), &1u32.to_le_bytes(), 0).unwrap();
    t.update_user(&lpm_key(16, &[10, 1, 0, 0]), &2u32.to_le_bytes(), 0).unwrap();
    t.update_user(&lpm_key(24, &[10, 1, 2, 0]), &3u32.to_le_bytes(), 0).unwrap();
    t.update_user(&lpm_key(16, &[10, 2, 0, 0]), &4u32.to_le_bytes(), 0).unwrap();
    let lookup = |k: &[u8]| user(&t, k).ok().map(|v| u32::from_le_bytes(v.try_into().unwrap()));
    assert_eq!(lookup(&lpm_key(32, &[10, 1, 2, 3])), Some(3));
    assert_eq!(lookup(&lpm_key(32, &[10, 1, 3, 3])), Some(2));
    assert_eq!(lookup(&lpm_key(32, &[10, 9, 9, 9])), Some(1));
    assert_eq!(lookup(&lpm_key(32, &[11, 0, 0, 0])), None);
    // A shorter lookup prefix finds only prefixes within it.
    assert_eq!(lookup(&lpm_key(12, &[10, 1, 2, 3])), Some(1));
    assert_eq!(errno(user(&t, &lpm_key(33, &[10, 1, 2, 3]))), Errno::ENOENT);
    // Full: ENOSPC; exact-prefix flags; prefix lengths past the key: EINVAL.
    assert_eq!(errno(t.update_user(&lpm_key(8, &[11, 0, 0, 0]), &[0; 4], 0)), Errno::ENOSPC);
    assert_eq!(errno(t.update_user(&lpm_key(8, &[10, 0, 0, 0]), &[0; 4], BPF_NOEXIST)), Errno::EEXIST);
    assert_eq!(errno(t.update_user(&lpm_key(9, &[10, 0, 0, 0]), &[0; 4], BPF_EXIST)), Errno::ENOENT);
    assert_eq!(errno(t.update_user(&lpm_key(33, &[10, 0, 0, 0]), &[0; 4], 0)), Errno::EINVAL);
    assert_eq!(errno(t.update_user(&lpm_key(8, &[10, 0, 0, 0]), &[0; 4], 3)), Errno::EINVAL);
    t.update_user(&lpm_key(8, &[10, 0xff, 0, 0]), &5u32.to_le_bytes(), BPF_EXIST).unwrap();
    assert_eq!(lookup(&lpm_key(32, &[10, 9, 9, 9])), Some(5));
    // Program lookups give the value's address.
    let a = t.lookup(&lpm_key(32, &[10, 1, 2, 200]), 0).unwrap();
    assert_eq!(at(a, 4), 3u32.to_le_bytes());
    // Deletes are exact.
    assert_eq!(errno(t.delete_user(&lpm_key(24, &[10, 1, 0, 0]))), Errno::ENOENT);
    assert_eq!(errno(t.delete_user(&lpm_key(33, &[0; 4]))), Errno::EINVAL);
    t.delete_user(&lpm_key(16, &[10, 1, 0, 0])).unwrap();
    assert_eq!(lookup(&lpm_key(32, &[10, 1, 3, 3])), Some(5));
    assert_eq!(lookup(&lpm_key(32, &[10, 1, 2, 3])), Some(3));
    assert_eq!(t.len(), 3);
}

#[test]
fn lpm_get_next_key_is_post_order() {
    let t = create(MapType::LpmTrie, 8, 4, 16, BPF_F_NO_PREALLOC).unwrap();
    let keys = [
        (8, [192u8, 0, 0, 0]),
        (16, [192, 168, 0, 0]),
        (24, [192, 168, 1, 0]),
        (24, [192, 168, 0, 0]),
        (8, [10, 0, 0, 0]),
        (32, [192, 168, 1, 1]),
    ];
    for (i, (p, d)) in keys.iter().enumerate() {
        t.update_user(&lpm_key(*p, d), &(i as u32).to_le_bytes(), 0).unwrap();
    }
    let mut order = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    while let Ok(k) = next(&t, cur.as_deref()) {
        order.push((u32::from_le_bytes(k[..4].try_into().unwrap()), k[4..].to_vec()));
        cur = Some(k);
        assert!(order.len() <= keys.len());
    }
    // Children before parents, the 0 side first: 10/8 (under the root's intermediate 0 side),
    // then 192.168.0/24, 192.168.1.1/32, 192.168.1/24, 192.168/16, 192/8.
    let want: Vec<(u32, Vec<u8>)> = vec![
        (8, vec![10, 0, 0, 0]),
        (24, vec![192, 168, 0, 0]),
        (32, vec![192, 168, 1, 1]),
        (24, vec![192, 168, 1, 0]),
        (16, vec![192, 168, 0, 0]),
        (8, vec![192, 0, 0, 0]),
    ];
    assert_eq!(order, want);
    // An absent key starts over.
    assert_eq!(next(&t, Some(&lpm_key(20, &[1, 2, 3, 4]))).unwrap(), lpm_key(8, &[10, 0, 0, 0]));
    let empty = create(MapType::LpmTrie, 8, 4, 16, BPF_F_NO_PREALLOC).unwrap();
    assert_eq!(errno(next(&empty, None)), Errno::ENOENT);
}

// ---- maps of maps and the fd table ----

#[test]
fn maps_of_maps_check_inner_maps_against_the_template() {
    let template = create(MapType::Array, 4, 8, 4, 0).unwrap();
    assert_eq!(errno(create(MapType::ArrayOfMaps, 4, 4, 4, 0)), Errno::EINVAL);
    let outer = Map::new_map_of_maps("outer", MapDef::new(MapType::ArrayOfMaps, 4, 4, 2, 0), &template, 4).unwrap();
    assert_eq!(errno(Map::new_map_of_maps("o", MapDef::new(MapType::ArrayOfMaps, 4, 8, 2, 0), &template, 4)), Errno::EINVAL);
    assert_eq!(
        errno(Map::new_map_of_maps("o", MapDef::new(MapType::ArrayOfMaps, 4, 4, 2, BPF_F_RDONLY_PROG), &template, 4)),
        Errno::EINVAL
    );
    assert_eq!(errno(Map::new_map_of_maps("o", MapDef::new(MapType::ArrayOfMaps, 4, 4, 2, 0), &outer, 4)), Errno::EINVAL);
    let good = Rc::new(create(MapType::Array, 4, 8, 4, 0).unwrap());
    let bigger = Rc::new(create(MapType::Array, 4, 8, 5, 0).unwrap());
    let hash = Rc::new(create(MapType::Hash, 4, 8, 4, 0).unwrap());
    assert_eq!(errno(outer.set_inner(&0u32.to_le_bytes(), bigger.clone(), 0)), Errno::EINVAL);
    assert_eq!(errno(outer.set_inner(&0u32.to_le_bytes(), hash.clone(), 0)), Errno::EINVAL);
    assert_eq!(errno(outer.set_inner(&0u32.to_le_bytes(), good.clone(), BPF_NOEXIST)), Errno::EINVAL);
    assert_eq!(errno(outer.set_inner(&2u32.to_le_bytes(), good.clone(), 0)), Errno::E2BIG);
    outer.set_inner(&1u32.to_le_bytes(), good.clone(), 0).unwrap();
    // Programs get the map, users its id.
    assert!(Rc::ptr_eq(&outer.inner_map(&1u32.to_le_bytes()).unwrap(), &good));
    assert_eq!(outer.lookup(&1u32.to_le_bytes(), 0), Some(good.kernel_struct_addr()), "its struct bpf_map, as an lddw holds it");
    assert_eq!(outer.lookup(&0u32.to_le_bytes(), 0), None);
    assert_eq!(user(&outer, &1u32.to_le_bytes()).unwrap(), good.id().to_le_bytes());
    assert_eq!(errno(user(&outer, &0u32.to_le_bytes())), Errno::ENOENT);
    // The syscall update takes an fd of uxdp's table.
    let fd = map_fd(&good);
    assert_eq!(map_fd(&good), fd);
    outer.update_user(&0u32.to_le_bytes(), &(fd as u32).to_le_bytes(), 0).unwrap();
    assert_eq!(errno(outer.update_user(&0u32.to_le_bytes(), &99999u32.to_le_bytes(), 0)), Errno::EBADF);
    assert_eq!(errno(map_by_fd(-1)), Errno::EBADF);
    assert_eq!(next(&outer, Some(&0u32.to_le_bytes())).unwrap(), 1u32.to_le_bytes());
    outer.delete_user(&0u32.to_le_bytes()).unwrap();
    assert_eq!(errno(outer.delete_user(&0u32.to_le_bytes())), Errno::ENOENT);
    assert_eq!(errno(outer.delete_user(&9u32.to_le_bytes())), Errno::E2BIG);
    // BPF_F_INNER_MAP templates let arrays of other sizes in.
    let flexible = create(MapType::Array, 4, 8, 4, BPF_F_INNER_MAP).unwrap();
    let outer2 = Map::new_map_of_maps("o2", MapDef::new(MapType::HashOfMaps, 4, 4, 2, 0), &flexible, 4).unwrap();
    let big = Rc::new(create(MapType::Array, 4, 8, 100, BPF_F_INNER_MAP).unwrap());
    outer2.set_inner(&7u32.to_le_bytes(), big.clone(), BPF_NOEXIST).unwrap();
    assert_eq!(errno(outer2.set_inner(&7u32.to_le_bytes(), big.clone(), BPF_NOEXIST)), Errno::EEXIST);
    assert_eq!(errno(outer2.set_inner(&8u32.to_le_bytes(), big.clone(), BPF_EXIST)), Errno::ENOENT);
    outer2.set_inner(&8u32.to_le_bytes(), big.clone(), 0).unwrap();
    assert_eq!(errno(outer2.set_inner(&9u32.to_le_bytes(), big.clone(), 0)), Errno::E2BIG);
    assert_eq!(outer2.len(), 2);
    assert_eq!(errno(outer2.delete_user(&9u32.to_le_bytes())), Errno::ENOENT);
}

// ---- user ring buffer ----

#[test]
fn user_ringbuf_reserve_submit_discard_and_peek() {
    assert_eq!(errno(create(MapType::UserRingbuf, 0, 0, 4000, 0)), Errno::EINVAL);
    assert_eq!(errno(create(MapType::UserRingbuf, 4, 0, 4096, 0)), Errno::EINVAL);
    let m = create(MapType::UserRingbuf, 0, 0, 4096, 0).unwrap();
    assert_eq!(errno(user(&m, &[])), Errno::ENOTSUPP);
    let mut rb = m.user_ringbuf().unwrap();
    assert_eq!(errno(rb.reserve(4096)), Errno::E2BIG);
    assert_eq!(errno(rb.reserve(1 << 31)), Errno::E2BIG);
    let a = rb.reserve(5).unwrap();
    let b = rb.reserve(3).unwrap();
    assert!(matches!(rb.peek(), Peek::NoData), "a busy record holds the consumer");
    rb.write(a, 0, b"hello").unwrap();
    assert_eq!(errno(rb.write(a, 1, b"hello")), Errno::EINVAL);
    rb.commit(a, false).unwrap();
    rb.commit(b, true).unwrap();
    assert_eq!(errno(rb.commit(b, false)), Errno::EINVAL);
    let Peek::Sample { at, len } = rb.peek() else { panic!("a sample") };
    assert_eq!(len, 5);
    // SAFETY: the ring's own memory.
    assert_eq!(unsafe { std::slice::from_raw_parts(rb.host_addr(at) as *const u8, 5) }, b"hello");
    rb.release(len);
    assert!(matches!(rb.peek(), Peek::Discarded));
    assert!(matches!(rb.peek(), Peek::NoData));
    // Wrapping records are contiguous; a full ring refuses with ENOSPC.
    let mut n = 0;
    while rb.reserve(1000).is_ok() {
        n += 1;
    }
    assert_eq!(n, 4);
    assert_eq!(errno(rb.reserve(1000)), Errno::ENOSPC);
}

// ---- raw lddw map fds ----

fn raw_object(insns: Vec<uxdp::bpf::insn::Insn>, fd: i32) -> uxdp::bpf::elf::Object {
    use uxdp::bpf::elf::{Object, ProgKind, ProgramSpec};
    let spec = ProgramSpec {
        name: "raw".into(),
        section: "xdp".into(),
        kind: ProgKind::Xdp,
        frags: false,
        autoload: true,
        insns,
        core_relos: Vec::new(),
        raw_map_fd: Some((0, fd)),
        funcs: vec![(0, "raw".into())],
        lines: Vec::new(),
    };
    Object { license: "GPL".into(), programs: vec![spec], ..Object::default() }
}

#[test]
fn raw_lddw_map_fd_names_a_map_of_the_fd_table() {
    use uxdp::bpf::insn::*;
    use uxdp::bpf::loader::{load, LoadOptions};
    use uxdp::bpf::test_run::{test_run_xdp, TestRunOptions};
    use uxdp::pool::PagePool;
    let i = Insn::new;
    let q = Rc::new(create(MapType::Queue, 0, 8, 4, 0).unwrap());
    let fd = map_fd(&q);
    // r1 = map (by fd); *(u64 *)(r10 - 8) = 42; r2 = r10 - 8; r3 = 0; r0 = push(); exit with XDP_PASS
    let prog = |fd: i32| {
        vec![
            i(LD | DW | IMM, 1, PSEUDO_MAP_FD, 0, fd),
            i(0, 0, 0, 0, 0),
            i(ST | MEM | DW, 10, 0, -8, 42),
            i(ALU64 | MOV | X, 2, 10, 0, 0),
            i(ALU64 | ADD | K, 2, 0, 0, -8),
            i(ALU64 | MOV | K, 3, 0, 0, 0),
            i(JMP | CALL, 0, 0, 0, 87),
            i(ALU64 | MOV | K, 0, 0, 0, 2),
            i(JMP | EXIT, 0, 0, 0, 0),
        ]
    };
    let loaded = load(raw_object(prog(fd), fd), &LoadOptions::default()).unwrap();
    assert!(loaded.maps.is_empty(), "the object has no maps of its own");
    let p = loaded.program("raw").unwrap().prog.clone().unwrap();
    let pool = PagePool::default();
    let out = test_run_xdp(&p, &pool, &[0u8; 64], &TestRunOptions::default()).unwrap();
    assert_eq!(out.retval, 2);
    assert_eq!(q.queued(), vec![42u64.to_le_bytes().to_vec()]);
    // An fd naming no map: the kernel's line and EBADF.
    let e = load(raw_object(prog(1 << 20), 1 << 20), &LoadOptions::default()).err().expect("refused");
    assert_eq!(e.errno, Errno::EBADF);
    assert!(e.message.contains("fd 1048576 is not pointing to valid bpf_map"), "{}", e.message);
}
