//! The helpers that ask the host's network stack ([`crate::hostnet`]): socket lookups and
//! bpf_sk_release, bpf_fib_lookup, bpf_check_mtu and the syncookie helpers, as
//! net/core/filter.c's XDP (and tc) variants answer them. `helpers.rs` binds them by id.
//!
//! A socket a lookup returns is a read-only `struct bpf_sock` in the run's memory (its fields as
//! the kernel's converted loads give them, taken when the reference is), registered as a
//! [`RegionKind::Sock`] region until bpf_sk_release drops the reference.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::rc::Rc;

use super::elf::ProgKind;
use super::helpers::{errno_ret, fault};
use super::machine::{Machine, Trap};
use super::memory::{Region, RegionKind};
use crate::errno::Errno;
use crate::hostnet::sockets::{self, Proto, SockState, Tuple, BPF_SOCK_SIZE};
use crate::hostnet::{fib, syncookie, HostNet, AF_INET6};

/// The host model a run sees and the namespace its device is in.
#[derive(Clone, Debug)]
pub struct HostRef {
    pub net: Rc<HostNet>,
    pub netns: usize,
}

impl HostRef {
    pub fn new(net: Rc<HostNet>, netns: usize) -> HostRef {
        HostRef { net, netns }
    }
}

/// A socket reference a program holds: its `struct bpf_sock` bytes (boxed, so the region's
/// address stays put) and the model socket.
#[derive(Debug)]
pub struct SockRef {
    pub id: u64,
    pub net: Rc<HostNet>,
    pub view: Box<[u8; BPF_SOCK_SIZE]>,
    pub released: bool,
}

impl SockRef {
    fn release(&mut self) {
        if !self.released {
            self.released = true;
            if let Some(x) = self.net.state_mut().sockets.get_mut(&self.id) {
                x.refs = x.refs.saturating_sub(1);
            }
        }
    }

    pub fn addr(&self) -> u64 {
        self.view.as_ptr() as u64
    }
}

impl Drop for SockRef {
    /// A reference the run never gave back (a program loaded without the verifier) goes back
    /// when the run ends.
    fn drop(&mut self) {
        self.release();
    }
}

impl Machine<'_> {
    /// The host model (a default one, loopback only and no sockets, when the run was given none).
    pub fn host(&mut self) -> HostRef {
        self.host.get_or_insert_with(|| HostRef::new(Rc::new(HostNet::new()), 0)).clone()
    }

    /// The device the program runs on: `skb->dev` for tc and socket filters, `ctx->rxq->dev` (the
    /// XDP host's ingress device) for XDP.
    fn ctx_ifindex(&mut self, ctx: u64) -> Result<u32, Trap> {
        if let Some(c) = self.skb.as_deref() {
            if ctx != self.ctx {
                return Err(fault(Errno::EACCES, format!("{ctx:#x} is not the program's context")));
            }
            return Ok(c.ifindex);
        }
        self.xdp_buff(ctx)?;
        Ok(self.xdp.as_deref().map(|h| h.ingress_ifindex()).unwrap_or(crate::hostnet::LOOPBACK_IFINDEX))
    }

    /// Takes a reference on socket `id` and hands the program its `struct bpf_sock`.
    pub(crate) fn acquire_socket(&mut self, net: &Rc<HostNet>, id: u64) -> u64 {
        let view = {
            let mut st = net.state_mut();
            let Some(s) = st.sockets.get_mut(&id) else { return 0 };
            s.refs += 1;
            Box::new(s.bpf_sock())
        };
        let r = SockRef { id, net: net.clone(), view, released: false };
        let addr = r.addr();
        self.mem.push(Region::new(addr, BPF_SOCK_SIZE as u64, false, RegionKind::Sock, addr));
        self.socks.push(r);
        addr
    }

    /// The socket reference behind a pointer a program passes.
    fn sock_at(&self, addr: u64) -> Result<&SockRef, Trap> {
        self.socks
            .iter()
            .find(|s| s.addr() == addr && !s.released)
            .ok_or_else(|| fault(Errno::EINVAL, format!("{addr:#x} is not a socket the program holds")))
    }

    /// Drops every socket reference still held (a run the verifier checked has none left).
    pub fn release_sockets(&mut self) {
        self.release_conns();
        self.release_storage_values();
        if self.socks.is_empty() {
            return;
        }
        self.socks.clear();
        self.mem.retain(|r| r.kind != RegionKind::Sock);
    }
}

fn sk_lookup(m: &mut Machine<'_>, a: &[u64; 5], proto: Proto, full: bool) -> Result<u64, Trap> {
    let (ctx, tuple_addr, len, netns, flags) = (a[0], a[1], a[2] as u32, a[3], a[4]);
    let dif = m.ctx_ifindex(ctx)?;
    let bytes = m.read_arg(tuple_addr, u64::from(len))?;
    let Some(t) = Tuple::from_bytes(bytes) else { return Ok(0) };
    // XDP's netns argument is a u32; tc's a u64 whose high half must be clear unless the low
    // half is a negative s32 (the current namespace).
    let netns = if m.prog.kind == ProgKind::Xdp { netns & 0xffff_ffff } else { netns };
    if flags != 0 || !((netns as u32 as i32) < 0 || netns <= i32::MAX as u64) {
        return Ok(0);
    }
    let host = m.host();
    let Some(ns) = host.net.netns_by_id(host.netns, netns as u32) else { return Ok(0) };
    let found = {
        let st = host.net.state();
        sockets::lookup(&st, ns, proto, &t, dif).and_then(|id| if full { sockets::full_sock(&st, id) } else { Some(id) })
    };
    Ok(found.map_or(0, |id| m.acquire_socket(&host.net, id)))
}

pub(crate) fn sk_lookup_tcp(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    sk_lookup(m, a, Proto::Tcp, true)
}

pub(crate) fn sk_lookup_udp(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    sk_lookup(m, a, Proto::Udp, true)
}

pub(crate) fn skc_lookup_tcp(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    sk_lookup(m, a, Proto::Tcp, false)
}

pub(crate) fn sk_release(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let addr = a[0];
    let i = m.socks.iter().position(|s| s.addr() == addr && !s.released);
    let Some(i) = i else { return Err(fault(Errno::EINVAL, format!("bpf_sk_release: {addr:#x} is not a socket the program holds"))) };
    m.socks[i].release();
    m.mem.retain(|r| !(r.kind == RegionKind::Sock && r.tag == addr));
    Ok(0)
}

pub(crate) fn fib_lookup(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let (ctx, params, plen, flags) = (a[0], a[1], a[2] as i32, a[3] as u32);
    m.ctx_ifindex(ctx)?;
    if plen < fib::FIB_PARAMS_SIZE as i32 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let skb = m.skb.as_deref().map(|c| (c.skb.len(), c.gso_size != 0));
    let p = m.write_arg(params, fib::FIB_PARAMS_SIZE as u64)?;
    let host = m.host();
    let st = host.net.state();
    let Some((skb_len, gso)) = skb else {
        // XDP compares tot_len with the path MTU always.
        return Ok(fib::fib_lookup(&st, host.netns, p, flags, true) as u64);
    };
    // tc: tot_len given is checked against the path MTU; without it the skb itself is checked
    // against the egress device (is_skb_forwardable), whose MTU goes back in mtu_result.
    let check_mtu = fib::tot_len(p) != 0;
    let rc = fib::fib_lookup(&st, host.netns, p, flags, check_mtu);
    if rc != fib::FibAnswer::Success as i64 || check_mtu {
        return Ok(rc as u64);
    }
    let ns = st.netns(host.netns).map_err(Trap::Fault)?;
    let Some(dev) = ns.device(fib::egress_ifindex(p)) else { return Ok(rc as u64) };
    let forwardable = dev.up && (skb_len <= dev.mtu + dev.hard_header_len + crate::frame::VLAN_HLEN || gso);
    fib::set_mtu_result(p, dev.mtu as u16);
    Ok(if forwardable { rc } else { fib::FibAnswer::FragNeeded as i64 } as u64)
}

/// `BPF_MTU_CHK_RET_*`.
const MTU_CHK_RET_SUCCESS: u64 = 0;
const MTU_CHK_RET_FRAG_NEEDED: u64 = 1;

/// BPF_MTU_CHK_SEGS: check the segments a GSO skb will be cut into (tc only).
const MTU_CHK_SEGS: u64 = 1;

pub(crate) fn check_mtu(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    if m.skb.is_some() {
        return skb_check_mtu(m, a);
    }
    let (ctx, ifindex, mtu_len, len_diff, flags) = (a[0], a[1] as u32, a[2], a[3] as i32, a[4]);
    let ctx_dev = m.ctx_ifindex(ctx)?;
    let linear = {
        let l = m.xdp_buff(ctx)?.layout();
        (l.data_end - l.data) as i64
    };
    // The XDP variant checks no segments yet: any flag is refused.
    if flags != 0 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let host = m.host();
    let dev = {
        let st = host.net.state();
        let ns = st.netns(host.netns).map_err(Trap::Fault)?;
        ns.device(if ifindex == 0 { ctx_dev } else { ifindex }).map(|d| (d.mtu, d.hard_header_len))
    };
    let Some((mtu, hard_header_len)) = dev else { return Ok(errno_ret(Errno::ENODEV)) };
    let slot = m.write_arg(mtu_len, 4)?;
    let given = u32::from_le_bytes(slot[..4].try_into().unwrap());
    let dev_len = i64::from(mtu as i32) + i64::from(hard_header_len);
    // The kernel's lengths are ints: an L3 length given plus the header wraps as one would.
    let mut len = if given != 0 { i64::from(given.wrapping_add(hard_header_len) as i32) } else { linear };
    len = i64::from((len as i32).wrapping_add(len_diff));
    let r = if len > dev_len { MTU_CHK_RET_FRAG_NEEDED } else { MTU_CHK_RET_SUCCESS };
    slot[..4].copy_from_slice(&mtu.to_le_bytes());
    Ok(r)
}

/// tc's `bpf_skb_check_mtu`: the skb's length (or an L3 length given in *mtu_len, plus the device's
/// hard header) against the device's MTU plus hard header; the device is the skb's unless
/// `ifindex` names another of the namespace.
fn skb_check_mtu(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let (ctx, ifindex, mtu_len, len_diff, flags) = (a[0], a[1] as u32, a[2], a[3] as i32, a[4]);
    if ctx != m.ctx {
        return Err(fault(Errno::EACCES, format!("{ctx:#x} is not the program's context")));
    }
    let given = u32::from_le_bytes(m.read_arg(mtu_len, 4)?[..4].try_into().unwrap());
    if flags & !MTU_CHK_SEGS != 0 || (flags & MTU_CHK_SEGS != 0 && (len_diff != 0 || given != 0)) {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let (skb_dev, skb_len, gso) = {
        let c = m.skb.as_deref().expect("an skb run");
        (c.ifindex, c.skb.len(), c.gso_size != 0)
    };
    let host = m.host();
    let dev = {
        let st = host.net.state();
        let ns = st.netns(host.netns).map_err(Trap::Fault)?;
        ns.device(if ifindex == 0 { skb_dev } else { ifindex }).map(|d| (d.mtu, d.hard_header_len))
    };
    let Some((mtu, hard_header_len)) = dev else { return Ok(errno_ret(Errno::ENODEV)) };
    let dev_len = i64::from(mtu as i32) + i64::from(hard_header_len);
    let len = if given != 0 { given.wrapping_add(hard_header_len) as i32 } else { skb_len as i32 };
    let len = i64::from(len.wrapping_add(len_diff));
    let r = if len <= dev_len {
        MTU_CHK_RET_SUCCESS
    } else if gso {
        // Past the MTU but GSO: re-segmented at transmit, so it passes unless its segments are
        // checked, which takes the headers' lengths the test skb does not model.
        if flags & MTU_CHK_SEGS != 0 {
            return Err(fault(Errno::EOPNOTSUPP, "bpf_check_mtu with BPF_MTU_CHK_SEGS on a GSO skb is not emulated"));
        }
        MTU_CHK_RET_SUCCESS
    } else {
        MTU_CHK_RET_FRAG_NEEDED
    };
    m.write_arg(mtu_len, 4)?.copy_from_slice(&mtu.to_le_bytes());
    Ok(r)
}

// struct tcphdr's flag bits (byte 13).
const TH_FIN: u8 = 0x01;
const TH_SYN: u8 = 0x02;
const TH_RST: u8 = 0x04;
const TH_ACK: u8 = 0x10;

/// The flow and the family an IP header names (the version nibble), or the helper's answer.
fn ip_flow(iph: &[u8], th: &[u8]) -> Result<(syncookie::Flow, bool), u64> {
    let ports = (u16::from_be_bytes([th[0], th[1]]), u16::from_be_bytes([th[2], th[3]]));
    match iph[0] >> 4 {
        4 => Ok((
            syncookie::Flow {
                saddr: IpAddr::V4(Ipv4Addr::new(iph[12], iph[13], iph[14], iph[15])),
                daddr: IpAddr::V4(Ipv4Addr::new(iph[16], iph[17], iph[18], iph[19])),
                sport: ports.0,
                dport: ports.1,
            },
            false,
        )),
        6 => {
            if iph.len() < 40 {
                return Err(errno_ret(Errno::EINVAL));
            }
            let a = |o: usize| IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&iph[o..o + 16]).unwrap()));
            Ok((syncookie::Flow { saddr: a(8), daddr: a(24), sport: ports.0, dport: ports.1 }, true))
        }
        _ => Err(errno_ret(Errno::EPROTONOSUPPORT)),
    }
}

/// The listener a syncookie helper was given, checked as both helpers check it: its id, its
/// namespace's tcp_syncookies, its family and v6only. Err: the helper's answer.
fn cookie_listener(m: &Machine<'_>, sk: u64, iph: &[u8], v6: bool) -> Result<(u64, u8, bool), u64> {
    let r = m.sock_at(sk).map_err(|_| errno_ret(Errno::EINVAL))?;
    let st = r.net.state();
    let Some(s) = st.sockets.get(&r.id) else { return Err(errno_ret(Errno::EINVAL)) };
    if s.state != SockState::LISTEN || s.proto != Proto::Tcp {
        return Err(errno_ret(Errno::EINVAL));
    }
    let sysctl = st.namespaces.get(s.netns).map_or(1, |n| n.tcp_syncookies);
    let _ = iph;
    let v6only = s.family == AF_INET6 && s.v6only;
    let family_ok = if v6 { s.family == AF_INET6 } else { !v6only };
    Ok((r.id, sysctl, family_ok))
}

pub(crate) fn tcp_check_syncookie(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let (sk, iph_len, th_len) = (a[0], a[2] as u32, a[4] as u32);
    let iph = m.read_arg(a[1], u64::from(iph_len))?;
    let th = m.read_arg(a[3], u64::from(th_len))?;
    if th_len < 20 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    // test_run's socket is no TCP listener
    if m.is_test_socket(sk) {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let net = m.sock_at(sk).map(|r| r.net.clone()).map_err(|_| fault(Errno::EINVAL, "bpf_tcp_check_syncookie needs a socket"))?;
    // listener and sysctl checks come before the header's
    let (id, sysctl) = match cookie_listener(m, sk, iph, false) {
        Ok((id, sysctl, _)) => (id, sysctl),
        Err(r) => return Ok(r),
    };
    if sysctl == 0 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let flags = th[13];
    if flags & TH_ACK == 0 || flags & (TH_RST | TH_SYN) != 0 {
        return Ok(errno_ret(Errno::ENOENT));
    }
    if iph_len < 20 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    if !net.state().sockets.get(&id).is_some_and(|s| s.recent_overflow) {
        return Ok(errno_ret(Errno::ENOENT));
    }
    let (flow, v6) = match ip_flow(iph, th) {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let family_ok = cookie_listener(m, sk, iph, v6).map(|x| x.2).unwrap_or(false);
    if !family_ok {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let st = net.state();
    let minute = st.syncookie_minute.unwrap_or_else(syncookie::clock_minute);
    let seq = u32::from_be_bytes(th[4..8].try_into().unwrap()).wrapping_sub(1);
    let cookie = u32::from_be_bytes(th[8..12].try_into().unwrap()).wrapping_sub(1);
    Ok(match syncookie::check(st.syncookie_secret, minute, &flow, seq, cookie) {
        Some(_) => 0,
        None => errno_ret(Errno::ENOENT),
    })
}

pub(crate) fn tcp_gen_syncookie(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let (sk, iph_len, th_len) = (a[0], a[2] as u32, a[4] as u32);
    let iph = m.read_arg(a[1], u64::from(iph_len))?;
    let th = m.read_arg(a[3], u64::from(th_len))?;
    if th_len < 20 || th_len != u32::from(th[12] >> 4) * 4 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    // test_run's socket is no TCP listener
    if m.is_test_socket(sk) {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let net = m.sock_at(sk).map(|r| r.net.clone()).map_err(|_| fault(Errno::EINVAL, "bpf_tcp_gen_syncookie needs a socket"))?;
    let (id, sysctl) = match cookie_listener(m, sk, iph, false) {
        Ok((id, sysctl, _)) => (id, sysctl),
        Err(r) => return Ok(r),
    };
    if sysctl == 0 {
        return Ok(errno_ret(Errno::ENOENT));
    }
    let flags = th[13];
    if flags & TH_SYN == 0 || flags & (TH_ACK | TH_FIN | TH_RST) != 0 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    if iph_len < 20 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let (flow, v6) = match ip_flow(iph, th) {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    if !cookie_listener(m, sk, iph, v6).map(|x| x.2).unwrap_or(false) {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let mut st = net.state_mut();
    let (key, minute) = (st.syncookie_secret, st.syncookie_minute.unwrap_or_else(syncookie::clock_minute));
    let Some(s) = st.sockets.get_mut(&id) else { return Ok(errno_ret(Errno::EINVAL)) };
    // tcp_get_syncookie_mss: cookies only when always on (2) or the SYN queue is full, and not
    // when the accept queue is full.
    if (sysctl != 2 && !s.syn_queue_full) || s.accept_queue_full {
        return Ok(errno_ret(Errno::ENOENT));
    }
    let (table, clamp) = if v6 { (&syncookie::MSSTAB6, syncookie::MSS_CLAMP6) } else { (&syncookie::MSSTAB4, syncookie::MSS_CLAMP4) };
    let mut mss = syncookie::parse_mss_option(th, s.user_mss);
    if mss == 0 {
        mss = clamp;
    }
    let index = syncookie::mss_index(table, mss);
    let seq = u32::from_be_bytes(th[4..8].try_into().unwrap());
    let cookie = syncookie::make(key, minute, &flow, seq, index);
    s.recent_overflow = true;
    Ok(u64::from(cookie) | (u64::from(table[index as usize]) << 32))
}

/// bpf_map_lookup_elem on a sockmap or sockhash: the socket, referenced (NULL when the slot is
/// empty or its socket closed).
pub(crate) fn sockmap_lookup(m: &mut Machine<'_>, map: &super::maps::Map, key: &[u8]) -> u64 {
    match map.sock_lookup(key) {
        Some(e) => m.acquire_socket(&e.host, e.id),
        None => 0,
    }
}

/// bpf_map_update_elem on a sockmap or sockhash from a program: the value is a socket it holds.
pub(crate) fn sockmap_update(m: &mut Machine<'_>, map: &super::maps::Map, key: &[u8], sk: u64, flags: u64) -> Result<u64, Trap> {
    // test_run's socket has a protocol no sockmap takes (`sock_map_sk_is_suitable`)
    if m.is_test_socket(sk) {
        return Ok(errno_ret(Errno::EOPNOTSUPP));
    }
    let (net, id) = {
        let r = m.sock_at(sk)?;
        (r.net.clone(), r.id)
    };
    // sock_map_update_elem: a request or timewait socket (bpf_skc_lookup_tcp's) is no full socket
    if !net.state().sockets.get(&id).is_some_and(|s| s.full()) {
        return Ok(errno_ret(Errno::EINVAL));
    }
    Ok(super::helpers::ret(map.sock_update(key, &net, id, flags, "bpf_map_update_elem")))
}

/// bpf_tcp_raw_gen_syncookie_ipv4/_ipv6 (6.0, xdp_synproxy's): a cookie for a SYN without a
/// listener, from the headers alone. The low 32 bits are the cookie, the high the MSS it encodes
/// (the option's MSS, or the family's default, rounded down to the cookie table).
fn raw_gen_syncookie(m: &mut Machine<'_>, a: &[u64; 5], v6: bool) -> Result<u64, Trap> {
    let th_len = a[2] as u32;
    let iph = m.read_arg(a[0], if v6 { 40 } else { 20 })?.to_vec();
    let th = m.read_arg(a[1], u64::from(th_len))?;
    if th_len < 20 || th_len != u32::from(th[12] >> 4) * 4 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let iph = if v6 { iph } else { [iph, vec![0; 20]].concat() };
    let Ok((flow, _)) = ip_flow(&[&[if v6 { 0x60 } else { 0x45 }], &iph[1..]].concat(), th) else { return Ok(errno_ret(Errno::EINVAL)) };
    let (table, default_mss) = if v6 { (&syncookie::MSSTAB6, syncookie::MSS_CLAMP6) } else { (&syncookie::MSSTAB4, syncookie::MSS_CLAMP4) };
    let mut mss = syncookie::parse_mss_option(th, 0);
    if mss == 0 {
        mss = default_mss;
    }
    let index = syncookie::mss_index(table, mss);
    let seq = u32::from_be_bytes(th[4..8].try_into().unwrap());
    let host = m.host();
    let st = host.net.state();
    let cookie = syncookie::make(st.syncookie_secret, st.syncookie_minute.unwrap_or_else(syncookie::clock_minute), &flow, seq, index);
    Ok(u64::from(cookie) | (u64::from(table[index as usize]) << 32))
}

/// bpf_tcp_raw_check_syncookie_ipv4/_ipv6: 0 when the ACK's cookie checks out, else -EACCES.
fn raw_check_syncookie(m: &mut Machine<'_>, a: &[u64; 5], v6: bool) -> Result<u64, Trap> {
    let iph = m.read_arg(a[0], if v6 { 40 } else { 20 })?.to_vec();
    let th = m.read_arg(a[1], 20)?;
    let iph = if v6 { iph } else { [iph, vec![0; 20]].concat() };
    let Ok((flow, _)) = ip_flow(&[&[if v6 { 0x60 } else { 0x45 }], &iph[1..]].concat(), th) else { return Ok(errno_ret(Errno::EACCES)) };
    let seq = u32::from_be_bytes(th[4..8].try_into().unwrap()).wrapping_sub(1);
    let cookie = u32::from_be_bytes(th[8..12].try_into().unwrap()).wrapping_sub(1);
    let host = m.host();
    let st = host.net.state();
    let minute = st.syncookie_minute.unwrap_or_else(syncookie::clock_minute);
    Ok(match syncookie::check(st.syncookie_secret, minute, &flow, seq, cookie) {
        Some(_) => 0,
        None => errno_ret(Errno::EACCES),
    })
}

pub(crate) fn tcp_raw_gen_syncookie_ipv4(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    raw_gen_syncookie(m, a, false)
}

pub(crate) fn tcp_raw_gen_syncookie_ipv6(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    raw_gen_syncookie(m, a, true)
}

pub(crate) fn tcp_raw_check_syncookie_ipv4(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    raw_check_syncookie(m, a, false)
}

pub(crate) fn tcp_raw_check_syncookie_ipv6(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    raw_check_syncookie(m, a, true)
}
