//! The netfilter conntrack kfuncs (net/netfilter/nf_conntrack_bpf.c, nf_nat_bpf.c, 6.18) over
//! the host model's table ([`crate::hostnet::conntrack`]): lookup and alloc from XDP and tc, insert,
//! release, timeouts, status and NAT.
//!
//! An entry a program holds is a `struct nf_conn` in the run's memory (a [`RegionKind::CtEntry`]
//! region, built from the entry when the reference is taken and refreshed after each kfunc that
//! changes it); the verifier lets programs store to its `mark` only, which goes back to the
//! table at each kfunc call on it and at release. An allocated entry (`nf_conn___init`) lives in
//! its reference until bpf_ct_insert_entry puts it in the table (same address, now an nf_conn).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::rc::Rc;

use super::helpers::fault;
use super::machine::{Machine, Trap};
use super::memory::{Region, RegionKind};
use crate::errno::Errno;
use crate::hostnet::conntrack::{self, layout, CtEntry, CtNat, CtTuple, IPS_DYING, IPS_FIXED_TIMEOUT};
use crate::hostnet::HostNet;

/// `sizeof(struct bpf_ct_opts)` in 6.18, and the 12 bytes of earlier kernels (no zone fields).
const OPTS_SZ: u32 = 16;
const OPTS_OLD_SZ: u32 = 12;
/// `bpf_xdp_ct_alloc`'s timeout of a new entry, in seconds.
const ALLOC_TIMEOUT_SECS: u64 = 10;

/// An entry a program holds.
#[derive(Debug)]
pub struct CtRef {
    pub net: Rc<HostNet>,
    /// The table's entry, once inserted (or looked up).
    pub id: Option<u64>,
    /// An allocated entry not inserted yet.
    pub pending: Option<CtEntry>,
    pub view: Box<[u8; layout::SIZE as usize]>,
    /// The entry as last seen: what the program still holds once the table reaped it (the
    /// kernel kills a dead entry a lookup passes over even while a program holds it: it is then
    /// IPS_DYING, and bpf_ct_change_timeout says ETIME).
    last: Option<CtEntry>,
}

impl CtRef {
    pub fn addr(&self) -> u64 {
        self.view.as_ptr() as u64
    }

    fn mark(&self) -> u32 {
        let m = layout::MARK as usize;
        u32::from_le_bytes(self.view[m..m + 4].try_into().unwrap())
    }

    /// Runs `f` on the entry (the table's or the pending one) with the program's mark stored
    /// first, then refreshes the view.
    fn with_entry<R>(&mut self, f: impl FnOnce(&mut CtEntry, u32) -> R) -> Option<R> {
        let mark = self.mark();
        let net = self.net.clone();
        let mut st = net.state_mut();
        let now = st.conntrack.jiffies;
        let e = match self.id {
            Some(id) => match st.conntrack.entries.get_mut(&id) {
                Some(e) => e,
                None => {
                    let dying = self.last.as_mut()?;
                    dying.status |= IPS_DYING;
                    dying
                }
            },
            None => self.pending.as_mut()?,
        };
        e.mark = mark;
        let r = f(e, now);
        *self.view = e.view();
        if self.id.is_some() {
            let seen = e.clone();
            self.last = Some(seen);
        }
        Some(r)
    }
}

impl Drop for CtRef {
    /// An entry's mark reaches the table even when the run ends without a release (a program
    /// loaded without the verifier).
    fn drop(&mut self) {
        self.with_entry(|_, _| ());
    }
}

impl Machine<'_> {
    fn hold_conn(&mut self, net: &Rc<HostNet>, id: Option<u64>, pending: Option<CtEntry>) -> u64 {
        let view = {
            let st = net.state();
            let e = match (id, &pending) {
                (Some(id), _) => st.conntrack.entries.get(&id).cloned(),
                (None, p) => p.clone(),
            };
            match e {
                Some(e) => Box::new(e.view()),
                None => return 0,
            }
        };
        let last = id.and_then(|id| net.state().conntrack.entries.get(&id).cloned());
        let r = CtRef { net: net.clone(), id, pending, view, last };
        let addr = r.addr();
        self.mem.push(Region::new(addr, layout::SIZE as u64, true, RegionKind::CtEntry, addr));
        self.conns.push(r);
        addr
    }

    fn conn_at(&mut self, addr: u64) -> Result<usize, Trap> {
        self.conns.iter().position(|c| c.addr() == addr).ok_or_else(|| fault(Errno::EINVAL, format!("{addr:#x} is not a conntrack entry the program holds")))
    }

    fn drop_conn(&mut self, i: usize) {
        let c = self.conns.remove(i);
        let addr = c.addr();
        self.mem.retain(|r| !(r.kind == RegionKind::CtEntry && r.tag == addr));
    }

    /// Drops every entry reference still held (a run the verifier checked has none left).
    pub fn release_conns(&mut self) {
        if self.conns.is_empty() {
            return;
        }
        self.conns.clear();
        self.mem.retain(|r| r.kind != RegionKind::CtEntry);
    }
}

/// What the kfuncs read of `struct bpf_ct_opts` and the tuple, checked in the kernel's order;
/// Err: the negative errno for `opts->error`.
struct Request {
    tuple: CtTuple,
    netns_id: i32,
    zone: u16,
    zone_dir: u8,
    /// The options gave no zone direction: the kernel writes back the default it takes.
    default_zone_dir: bool,
}

fn parse(m: &mut Machine<'_>, a: &[u64; 5], lookup: bool) -> Result<Result<Request, i32>, Trap> {
    let (tuple_addr, tuple_sz, opts, opts_sz) = (a[1], a[2] as u32, a[3], a[4] as u32);
    let einval = Errno::EINVAL.retval();
    if opts == 0 || tuple_addr == 0 || (opts_sz != OPTS_SZ && opts_sz != OPTS_OLD_SZ) {
        return Ok(Err(einval));
    }
    let o = m.read_arg(opts, u64::from(opts_sz))?.to_vec();
    let netns_id = i32::from_le_bytes(o[0..4].try_into().unwrap());
    let l4proto = o[8];
    let zone = u16::from_le_bytes([o[10], o[11]]);
    if opts_sz == OPTS_SZ {
        if o[13..16].iter().any(|&b| b != 0) {
            return Ok(Err(einval));
        }
    } else if zone != 0 {
        return Ok(Err(einval));
    }
    let proto_ok = l4proto == conntrack::IPPROTO_TCP || l4proto == conntrack::IPPROTO_UDP;
    // A lookup checks the protocol before the namespace id; alloc's tuple parse checks it after.
    if lookup && !proto_ok {
        return Ok(Err(Errno::EPROTO.retval()));
    }
    if netns_id < -1 {
        return Ok(Err(einval));
    }
    if !proto_ok {
        return Ok(Err(Errno::EPROTO.retval()));
    }
    let t = match tuple_sz {
        12 => {
            let b = m.read_arg(tuple_addr, 12)?;
            let ip = |o: usize| IpAddr::V4(Ipv4Addr::new(b[o], b[o + 1], b[o + 2], b[o + 3]));
            CtTuple { src: ip(0), dst: ip(4), sport: u16::from_be_bytes([b[8], b[9]]), dport: u16::from_be_bytes([b[10], b[11]]), proto: l4proto }
        }
        36 => {
            let b = m.read_arg(tuple_addr, 36)?;
            let ip = |o: usize| IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&b[o..o + 16]).unwrap()));
            CtTuple { src: ip(0), dst: ip(16), sport: u16::from_be_bytes([b[32], b[33]]), dport: u16::from_be_bytes([b[34], b[35]]), proto: l4proto }
        }
        _ => return Ok(Err(Errno::EAFNOSUPPORT.retval())),
    };
    let default_zone_dir = opts_sz == OPTS_SZ && o[12] == 0;
    let zone_dir = if opts_sz == OPTS_SZ && o[12] != 0 { o[12] } else { conntrack::ZONE_DIR_DEFAULT };
    Ok(Ok(Request { tuple: t, netns_id, zone, zone_dir, default_zone_dir }))
}

fn set_error(m: &mut Machine<'_>, opts: u64, err: i32) -> Result<u64, Trap> {
    if opts != 0 {
        m.write_arg(opts + 4, 4)?.copy_from_slice(&err.to_le_bytes());
    }
    Ok(0)
}

/// The namespace a request names (`get_net_ns_by_id` for an id, the caller's for -1); once found,
/// a zone direction the options left zero is written back as the default taken.
fn netns_of(m: &mut Machine<'_>, req: &Request, opts: u64) -> Result<(Rc<HostNet>, Option<usize>), Trap> {
    let host = m.host();
    let ns = if req.netns_id < 0 { Some(host.netns) } else { host.net.netns_by_id(host.netns, req.netns_id as u32) };
    if ns.is_some() && req.default_zone_dir {
        m.write_arg(opts + 12, 1)?[0] = conntrack::ZONE_DIR_DEFAULT;
    }
    Ok((host.net, ns))
}

fn ct_lookup(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let opts = a[3];
    let req = match parse(m, a, true)? {
        Ok(r) => r,
        Err(e) => return set_error(m, opts, e),
    };
    let (net, ns) = netns_of(m, &req, opts)?;
    let Some(ns) = ns else { return set_error(m, opts, Errno::ENONET.retval()) };
    let found = net.state_mut().conntrack.find(ns, req.zone, req.zone_dir, &req.tuple);
    let Some((id, dir)) = found else { return set_error(m, opts, Errno::ENOENT.retval()) };
    m.write_arg(opts + 9, 1)?[0] = dir;
    Ok(m.hold_conn(&net, Some(id), None))
}

fn ct_alloc(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let opts = a[3];
    let req = match parse(m, a, false)? {
        Ok(r) => r,
        Err(e) => return set_error(m, opts, e),
    };
    let (net, ns) = netns_of(m, &req, opts)?;
    let Some(ns) = ns else { return set_error(m, opts, Errno::ENONET.retval()) };
    let mut e = CtEntry::new(ns, req.tuple);
    e.zone = req.zone;
    e.zone_dir = req.zone_dir;
    e.timeout = (ALLOC_TIMEOUT_SECS * conntrack::HZ) as u32;
    Ok(m.hold_conn(&net, None, Some(e)))
}

fn ct_insert_entry(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let i = m.conn_at(a[0])?;
    let c = &mut m.conns[i];
    c.with_entry(|_, _| ());
    let Some(e) = c.pending.take() else { return Err(fault(Errno::EINVAL, "bpf_ct_insert_entry: the entry is in the table already")) };
    let inserted = c.net.state_mut().conntrack.insert(e);
    match inserted {
        Ok(id) => {
            c.id = Some(id);
            c.with_entry(|_, _| ());
            Ok(c.addr())
        }
        Err(_) => {
            m.drop_conn(i);
            Ok(0)
        }
    }
}

fn ct_release(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let i = m.conn_at(a[0])?;
    m.drop_conn(i);
    Ok(0)
}

fn on_entry(m: &mut Machine<'_>, addr: u64, f: impl FnOnce(&mut CtEntry, u32) -> i32) -> Result<u64, Trap> {
    let i = m.conn_at(addr)?;
    let r = m.conns[i].with_entry(f).ok_or_else(|| fault(Errno::EINVAL, "the conntrack entry is gone"))?;
    Ok(i64::from(r) as u64)
}

fn ct_set_timeout(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    on_entry(m, a[0], |e, now| {
        e.set_timeout(conntrack::msecs_to_jiffies(a[1] as u32), now);
        0
    })?;
    Ok(0)
}

fn ct_change_timeout(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    on_entry(m, a[0], |e, now| {
        if e.status & IPS_FIXED_TIMEOUT != 0 {
            return Errno::EPERM.retval();
        }
        e.set_timeout(conntrack::msecs_to_jiffies(a[1] as u32), now);
        if e.status & IPS_DYING != 0 {
            return Errno::ETIME.retval();
        }
        0
    })
}

fn ct_change_status(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    on_entry(m, a[0], |e, _| e.change_status(u64::from(a[1] as u32)))
}

fn ct_set_nat_info(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let b = m.read_arg(a[1], 16)?.to_vec();
    let (port, manip) = (a[2] as i32, a[3] as u32);
    on_entry(m, a[0], |e, _| {
        let addr = if e.orig.src.is_ipv4() {
            IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
        } else {
            IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&b[..]).unwrap()))
        };
        // cpu_to_be16(port): the low 16 bits.
        let port = (port > 0).then_some(port as u16);
        e.set_nat(CtNat { manip: u8::from(manip != 0), addr, port })
    })
}

/// The conntrack kfuncs, bound by name in `kfuncs::NATIVE_KFUNCS`.
pub const CONNTRACK_KFUNCS: &[(&str, super::machine::HelperFn)] = &[
    ("bpf_xdp_ct_lookup", ct_lookup),
    ("bpf_skb_ct_lookup", ct_lookup),
    ("bpf_xdp_ct_alloc", ct_alloc),
    ("bpf_skb_ct_alloc", ct_alloc),
    ("bpf_ct_insert_entry", ct_insert_entry),
    ("bpf_ct_release", ct_release),
    ("bpf_ct_set_timeout", ct_set_timeout),
    ("bpf_ct_change_timeout", ct_change_timeout),
    ("bpf_ct_set_status", ct_change_status),
    ("bpf_ct_change_status", ct_change_status),
    ("bpf_ct_set_nat_info", ct_set_nat_info),
];
