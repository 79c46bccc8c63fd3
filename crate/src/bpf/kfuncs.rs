//! kfuncs by name: every dynptr kfunc of the dynptr engine (the kernel's and the seed's), the
//! XDP metadata kfuncs and bpf_xdp_pull_data, dispatched natively. What each is and which a
//! program may call is the prototype table's (`bpf::protos::kfuncs`).

use super::helpers::{errno_ret, ret};
use super::machine::{HelperFn, Machine, Trap};
use super::memory::{Region, RegionKind};
use crate::dynptr::{self, Backing, Dynptr, DynptrKind, IterStep, Slice};
use crate::errno::{Errno, Result};

fn ret_u32(r: Result<u32>) -> u64 {
    match r {
        Ok(v) => u64::from(v),
        Err(e) => i64::from(e.retval()) as u64,
    }
}

fn dynptr_from_xdp(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let ctx = a[0];
    let (d, r) = {
        let buff = m.xdp_buff(ctx)?;
        Dynptr::from_xdp(ctx, buff, a[1])
    };
    m.put_dynptr(a[2], &d)?;
    Ok(ret(r))
}

fn dynptr_from_skb(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let ctx = a[0];
    let (d, r) = {
        let s = m.skb_ctx(ctx)?;
        let prog = match s.kind {
            super::context_skb::SkbProgKind::Tc => dynptr::ProgType::SchedCls,
            super::context_skb::SkbProgKind::SocketFilter => dynptr::ProgType::SocketFilter,
        };
        Dynptr::from_skb(ctx, &s.skb, a[1], prog)
    };
    m.put_dynptr(a[2], &d)?;
    Ok(ret(r))
}

fn slice(m: &mut Machine<'_>, a: &[u64; 5], rdwr: bool) -> Result<u64, Trap> {
    let d = m.dynptr_at(a[0])?;
    let (offset, buffer, len) = (a[1] as u32, a[2], a[3] as u32);
    if d.is_null() {
        return Ok(0);
    }
    let buf = if buffer == 0 { None } else { Some(m.write_arg(buffer, u64::from(len))?) };
    let mut b = m.backing(&d)?;
    let s = if rdwr { d.slice_rdwr(&mut b, offset, buf, len) } else { d.slice(&mut b, offset, buf, len) };
    let writable = !d.rdonly_bit();
    Ok(match s {
        None => 0,
        Some(Slice::Copied(c)) => c.as_mut_ptr() as u64,
        Some(Slice::Direct(bytes)) if matches!(d.kind(), DynptrKind::Xdp | DynptrKind::Skb) => m.expose(bytes, writable || rdwr),
        Some(Slice::Direct(bytes)) => bytes.as_mut_ptr() as u64,
    })
}

fn dynptr_slice(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    slice(m, a, false)
}

fn dynptr_slice_rdwr(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    slice(m, a, true)
}

/// Reads the dynptr at a[0], applies `f`, writes it back.
fn update(m: &mut Machine<'_>, at: u64, f: impl FnOnce(&mut Dynptr) -> Result<()>) -> Result<u64, Trap> {
    let mut d = m.dynptr_at(at)?;
    let r = f(&mut d);
    m.put_dynptr(at, &d)?;
    Ok(ret(r))
}

fn dynptr_adjust(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let (start, end) = (a[1] as u32, a[2] as u32);
    update(m, a[0], |d| d.adjust(start, end))
}

fn dynptr_is_null(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    Ok(u64::from(m.dynptr_at(a[0])?.kfunc_is_null()))
}

fn dynptr_is_rdonly(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    Ok(u64::from(m.dynptr_at(a[0])?.kfunc_is_rdonly()))
}

fn dynptr_size(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    Ok(u64::from(m.dynptr_at(a[0])?.kfunc_size()))
}

fn dynptr_clone(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let d = m.dynptr_at(a[0])?;
    let mut c = Dynptr::default();
    let r = d.clone_into(&mut c);
    m.put_dynptr(a[1], &c)?;
    Ok(ret(r))
}

fn same_object(a: &Dynptr, b: &Dynptr, m: &mut Machine<'_>) -> bool {
    match (a.kind(), b.kind()) {
        (DynptrKind::Xdp, DynptrKind::Xdp) => true,
        (DynptrKind::Local | DynptrKind::Ringbuf, DynptrKind::Local | DynptrKind::Ringbuf) => {
            let ra = m.mem.find(a.data, 0).map(|r| r.start);
            ra.is_some() && ra == m.mem.find(b.data, 0).map(|r| r.start)
        }
        _ => false,
    }
}

fn dynptr_copy(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let dst = m.dynptr_at(a[0])?;
    let src = m.dynptr_at(a[2])?;
    let (dst_off, src_off, size) = (a[1] as u32, a[3] as u32, a[4] as u32);
    if dst.is_null() || src.is_null() {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let shared = same_object(&dst, &src, m);
    let mut db: Backing = m.backing(&dst)?;
    let r = if shared {
        dynptr::copy(&dst, dst_off, &src, src_off, size, &mut db, None)
    } else {
        let mut sb = m.backing(&src)?;
        dynptr::copy(&dst, dst_off, &src, src_off, size, &mut db, Some(&mut sb))
    };
    Ok(ret(r))
}

fn dynptr_memset(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let d = m.dynptr_at(a[0])?;
    if d.is_null() {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let mut b = m.backing(&d)?;
    Ok(ret(d.memset(&mut b, a[1] as u32, a[2] as u32, a[3] as u8)))
}

fn dynptr_advance(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let len = a[1] as u32;
    update(m, a[0], |d| d.advance(len))
}

fn dynptr_trim(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let len = a[1] as u32;
    update(m, a[0], |d| d.trim(len))
}

fn dynptr_get_size(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    Ok(ret_u32(m.dynptr_at(a[0])?.get_size()))
}

fn dynptr_get_offset(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    Ok(ret_u32(m.dynptr_at(a[0])?.get_offset()))
}

fn seed_dynptr_clone(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let d = m.dynptr_at(a[0])?;
    let mut c = Dynptr::default();
    let r = d.seed_clone(a[2] as u32, &mut c);
    m.put_dynptr(a[1], &c)?;
    Ok(ret(r))
}

fn metadata_rx_timestamp(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    m.xdp_buff(a[0])?;
    let r = m.xdp.as_deref_mut().expect("xdp host").rx_timestamp();
    match r {
        Ok(ts) => {
            m.write_arg(a[1], 8)?.copy_from_slice(&ts.to_le_bytes());
            Ok(0)
        }
        Err(e) => Ok(i64::from(e.retval()) as u64),
    }
}

fn metadata_rx_hash(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    m.xdp_buff(a[0])?;
    let r = m.xdp.as_deref_mut().expect("xdp host").rx_hash();
    match r {
        Ok((hash, kind)) => {
            m.write_arg(a[1], 4)?.copy_from_slice(&hash.to_le_bytes());
            m.write_arg(a[2], 4)?.copy_from_slice(&kind.to_le_bytes());
            Ok(0)
        }
        Err(e) => Ok(i64::from(e.retval()) as u64),
    }
}

fn metadata_rx_vlan_tag(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    m.xdp_buff(a[0])?;
    let r = m.xdp.as_deref_mut().expect("xdp host").rx_vlan_tag();
    match r {
        Ok((proto, tci)) => {
            // vlan_proto is __be16 as the kfunc writes it; tci is host order.
            m.write_arg(a[1], 2)?.copy_from_slice(&proto.to_be_bytes());
            m.write_arg(a[2], 2)?.copy_from_slice(&tci.to_le_bytes());
            Ok(0)
        }
        Err(e) => Ok(i64::from(e.retval()) as u64),
    }
}

fn xdp_pull_data(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let r = m.xdp_buff(a[0])?.pull_data(a[1] as u32);
    m.refresh_packet();
    Ok(ret(r))
}

/// `struct bpf_iter_num`'s 8 bytes: the current value (starting one before `start`) and the end.
fn iter_num_state(m: &mut Machine<'_>, it: u64) -> Result<&'static mut [u8], Trap> {
    // SAFETY: as for every helper argument, the region is live for the run.
    let b = m.write_arg(it, 8)?;
    Ok(unsafe { std::slice::from_raw_parts_mut(b.as_mut_ptr(), 8) })
}

fn iter_num_set(b: &mut [u8], cur: i32, end: i32) {
    b[..4].copy_from_slice(&cur.to_le_bytes());
    b[4..].copy_from_slice(&end.to_le_bytes());
}

fn iter_num_new(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let (start, end) = (a[1] as i32, a[2] as i32);
    let s = iter_num_state(m, a[0])?;
    if start > end {
        iter_num_set(s, 0, 0);
        return Ok(errno_ret(Errno::EINVAL));
    }
    if i64::from(end) - i64::from(start) > i64::from(super::helpers::BPF_MAX_LOOPS as u32) {
        iter_num_set(s, 0, 0);
        return Ok(errno_ret(Errno::E2BIG));
    }
    iter_num_set(s, start.wrapping_sub(1), end);
    Ok(0)
}

fn iter_num_next(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let s = iter_num_state(m, a[0])?;
    let cur = i32::from_le_bytes(s[..4].try_into().unwrap());
    let end = i32::from_le_bytes(s[4..].try_into().unwrap());
    if i64::from(cur) + 1 >= i64::from(end) {
        iter_num_set(s, 0, 0);
        return Ok(0);
    }
    iter_num_set(s, cur + 1, end);
    Ok(a[0])
}

fn iter_num_destroy(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    iter_num_set(iter_num_state(m, a[0])?, 0, 0);
    Ok(0)
}

/// bpf_rcu_read_lock/unlock and bpf_preempt_disable/enable: a run is one CPU's, start to end, with
/// nothing to be protected from; the verifier has already checked that they pair up.
/// `bpf_throw(cookie)`: the program ends with the default exception callback's value, the cookie
/// (the verifier saw to it that nothing is held).
fn throw(_: &mut Machine<'_>, args: &[u64; 5]) -> Result<u64, Trap> {
    Err(Trap::Throw(args[0]))
}

fn critical_section_mark(_: &mut Machine<'_>, _: &[u64; 5]) -> Result<u64, Trap> {
    Ok(0)
}

/// The seed's `bpf_dynptr_iterator(ptr, callback, ctx, flags)`: the callback gets a view of the
/// dynptr (a pointer to a 16-byte dynptr the engine holds) and the context; its return value
/// advances the view (0 or negative ends the walk with that value).
fn dynptr_iterator(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let d = m.dynptr_at(a[0])?;
    let (ctx, flags) = (a[2], a[3]);
    let pc = m.func_pc(a[1])?;
    let mut slot = Box::new([0u8; 16]);
    let addr = slot.as_mut_ptr() as u64;
    m.mem.push(Region::new(addr, 16, true, RegionKind::Mem, addr));
    let mut failed = None;
    let r = d.iterator(flags, |view| {
        if failed.is_some() {
            return IterStep::Advance(0);
        }
        // SAFETY: the slot outlives the walk; the program reaches it only through the region.
        unsafe { std::ptr::copy_nonoverlapping(view.to_bytes().as_ptr(), addr as *mut u8, 16) };
        match m.call(pc, [addr, ctx, 0, 0, 0]) {
            Ok(v) => IterStep::Advance(v as i32),
            Err(e) => {
                failed = Some(e);
                IterStep::Advance(0)
            }
        }
    });
    m.mem.retain(|x| !(x.kind == RegionKind::Mem && x.tag == addr));
    drop(slot);
    if let Some(e) = failed {
        return Err(Trap::Fault(e));
    }
    Ok(i64::from(r) as u64)
}

/// The kernel's kfuncs the engine implements (Linux 6.18 names).
pub const NATIVE_KFUNCS: &[(&str, HelperFn)] = &[
    ("bpf_dynptr_from_xdp", dynptr_from_xdp),
    ("bpf_dynptr_from_skb", dynptr_from_skb),
    ("bpf_dynptr_slice", dynptr_slice),
    ("bpf_dynptr_slice_rdwr", dynptr_slice_rdwr),
    ("bpf_dynptr_adjust", dynptr_adjust),
    ("bpf_dynptr_is_null", dynptr_is_null),
    ("bpf_dynptr_is_rdonly", dynptr_is_rdonly),
    ("bpf_dynptr_size", dynptr_size),
    ("bpf_dynptr_clone", dynptr_clone),
    ("bpf_dynptr_copy", dynptr_copy),
    ("bpf_dynptr_memset", dynptr_memset),
    ("bpf_xdp_metadata_rx_timestamp", metadata_rx_timestamp),
    ("bpf_xdp_metadata_rx_hash", metadata_rx_hash),
    ("bpf_xdp_metadata_rx_vlan_tag", metadata_rx_vlan_tag),
    ("bpf_xdp_pull_data", xdp_pull_data),
    ("bpf_iter_num_new", iter_num_new),
    ("bpf_iter_num_next", iter_num_next),
    ("bpf_iter_num_destroy", iter_num_destroy),
    ("bpf_rcu_read_lock", critical_section_mark),
    ("bpf_rcu_read_unlock", critical_section_mark),
    ("bpf_preempt_disable", critical_section_mark),
    ("bpf_preempt_enable", critical_section_mark),
    ("bpf_throw", throw),
];

/// The seed's convenience API as kfuncs; `bpf_dynptr_clone` here takes the seed's offset.
pub const SEED_KFUNCS: &[(&str, HelperFn)] = &[
    ("bpf_dynptr_advance", dynptr_advance),
    ("bpf_dynptr_trim", dynptr_trim),
    ("bpf_dynptr_is_null", dynptr_is_null),
    ("bpf_dynptr_is_rdonly", dynptr_is_rdonly),
    ("bpf_dynptr_get_size", dynptr_get_size),
    ("bpf_dynptr_get_offset", dynptr_get_offset),
    ("bpf_dynptr_clone", seed_dynptr_clone),
    ("bpf_dynptr_iterator", dynptr_iterator),
];

/// The native kfunc called `name`: the seed's variant when `seed` and the seed has one.
pub fn native_kfunc(name: &str, seed: bool) -> Option<HelperFn> {
    let pick = |t: &[(&str, HelperFn)]| t.iter().find(|k| k.0 == name).map(|k| k.1);
    if seed {
        pick(SEED_KFUNCS).or_else(|| pick(NATIVE_KFUNCS)).or_else(|| pick(super::conntrack_kfuncs::CONNTRACK_KFUNCS)).or_else(|| pick(super::graph::kfuncs::GRAPH_KFUNCS)).or_else(|| pick(super::graph::kernel_obj::KERNEL_OBJ_KFUNCS))
    } else {
        pick(NATIVE_KFUNCS).or_else(|| pick(super::conntrack_kfuncs::CONNTRACK_KFUNCS)).or_else(|| pick(super::graph::kfuncs::GRAPH_KFUNCS)).or_else(|| pick(super::graph::kernel_obj::KERNEL_OBJ_KFUNCS)).or_else(|| pick(SEED_KFUNCS))
    }
}

#[cfg(test)]
mod tests {
    use super::super::protos::kfuncs::{kernel_kfunc, seed_kfuncs};
    use super::{NATIVE_KFUNCS, SEED_KFUNCS};

    #[test]
    fn dispatch_names_are_the_prototype_tables() {
        for (name, _) in NATIVE_KFUNCS {
            assert!(kernel_kfunc(name).is_some(), "{name} is no kernel kfunc");
        }
        for (name, _) in SEED_KFUNCS {
            assert!(seed_kfuncs().iter().any(|k| k.name == *name), "{name} is not in the seed's set");
        }
        assert_eq!(SEED_KFUNCS.len(), seed_kfuncs().len(), "the engine implements the whole seed set");
    }
}
