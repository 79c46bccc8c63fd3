//! The host network model's binding: namespaces, devices, routes, neighbours and sockets as
//! `lib/hostnet.ts` fills them, and the lookups for TypeScript to ask directly.

use std::net::IpAddr;
use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::{err, guard};
use crate::bpf::host_helpers::HostRef;
use crate::errno::Errno;
use crate::hostnet::sockets::{self, Proto, SockState, SocketSpec, Tuple};
use crate::hostnet::{fib, Device, HostNet, Neighbour, NudState, Route, RouteType};

pub(crate) type HostNetHandle = External<Rc<HostNet>>;

const OP: &str = "hostnet";

fn ip(s: &str) -> Result<IpAddr> {
    s.parse().map_err(|_| err(Errno::EINVAL, OP, format!("'{s}' is not an IPv4 or IPv6 address")))
}

fn mac(v: Option<Vec<u32>>) -> Result<Option<[u8; 6]>> {
    match v {
        None => Ok(None),
        Some(b) if b.len() == 6 && b.iter().all(|&x| x < 256) => Ok(Some(std::array::from_fn(|i| b[i] as u8))),
        Some(_) => Err(err(Errno::EINVAL, OP, "a MAC address is 6 bytes")),
    }
}

/// The model a run sees (for test_run and the NIC).
pub(crate) fn host_ref(h: Option<&HostNetHandle>, netns: Option<u32>) -> Option<HostRef> {
    h.map(|h| HostRef::new((**h).clone(), netns.unwrap_or(0) as usize))
}

#[napi]
pub fn host_net_new() -> HostNetHandle {
    External::new(Rc::new(HostNet::new()))
}

#[napi]
pub fn host_net_add_netns(h: &HostNetHandle, name: String) -> Result<u32> {
    guard(OP, || Ok(h.add_netns(&name)? as u32))
}

#[napi]
pub fn host_net_netns_names(h: &HostNetHandle) -> Vec<String> {
    h.state().namespaces.iter().map(|n| n.name.clone()).collect()
}

#[napi]
pub fn host_net_set_peer_id(h: &HostNetHandle, ns: u32, peer: u32, id: u32) -> Result<()> {
    guard(OP, || Ok(h.set_peer_id(ns as usize, peer as usize, id)?))
}

#[napi(object)]
pub struct DeviceSpecJs {
    pub ifindex: Option<u32>,
    pub name: Option<String>,
    pub mtu: Option<u32>,
    pub mac: Option<Vec<u32>>,
    pub forwarding: Option<bool>,
    pub forwarding6: Option<bool>,
    pub up: Option<bool>,
    pub hard_header_len: Option<u32>,
    /// "10.0.0.1/24" each.
    pub addrs: Option<Vec<String>>,
}

fn cidr(s: &str) -> Result<(IpAddr, u8)> {
    let (a, p) = s.split_once('/').ok_or_else(|| err(Errno::EINVAL, OP, format!("'{s}' is not address/prefix")))?;
    let a = ip(a)?;
    let p: u8 = p.parse().map_err(|_| err(Errno::EINVAL, OP, format!("'{s}': bad prefix length")))?;
    if p > if a.is_ipv4() { 32 } else { 128 } {
        return Err(err(Errno::EINVAL, OP, format!("'{s}': prefix length too long")));
    }
    Ok((a, p))
}

fn apply_device(d: &mut Device, s: &DeviceSpecJs) -> Result<()> {
    if let Some(n) = &s.name {
        d.name = n.clone();
    }
    if let Some(m) = s.mtu {
        if m == 0 {
            return Err(err(Errno::EINVAL, OP, "a device's MTU must be at least 1"));
        }
        d.mtu = m;
    }
    if let Some(m) = mac(s.mac.clone())? {
        d.mac = m;
    }
    if let Some(f) = s.forwarding {
        d.forwarding = f;
    }
    if let Some(f) = s.forwarding6 {
        d.forwarding6 = f;
    }
    if let Some(u) = s.up {
        d.up = u;
    }
    if let Some(l) = s.hard_header_len {
        d.hard_header_len = l;
    }
    if let Some(a) = &s.addrs {
        d.addrs = a.iter().map(|x| cidr(x)).collect::<Result<_>>()?;
    }
    Ok(())
}

#[napi]
pub fn host_net_add_device(h: &HostNetHandle, ns: u32, spec: DeviceSpecJs) -> Result<()> {
    guard(OP, || {
        let ifindex = spec.ifindex.ok_or_else(|| err(Errno::EINVAL, OP, "a device needs its ifindex"))?;
        let mut d = Device::new(ifindex, spec.name.clone().unwrap_or_else(|| format!("dev{ifindex}")));
        apply_device(&mut d, &spec)?;
        Ok(h.add_device(ns as usize, d)?)
    })
}

#[napi]
pub fn host_net_update_device(h: &HostNetHandle, ns: u32, ifindex: u32, spec: DeviceSpecJs) -> Result<()> {
    guard(OP, || {
        let mut result = Ok(());
        h.update_device(ns as usize, ifindex, |d| {
            let mut copy = d.clone();
            result = apply_device(&mut copy, &spec).map(|()| *d = copy);
        })?;
        result
    })
}

#[napi(object)]
pub struct RouteSpecJs {
    /// "10.1.0.0/16", "default" or "default6".
    pub dst: String,
    /// unicast (default), blackhole, unreachable, prohibit, throw, local, broadcast, multicast.
    pub kind: Option<String>,
    pub gateway: Option<String>,
    pub ifindex: Option<u32>,
    pub table: Option<u32>,
    pub metric: Option<u32>,
    pub mtu: Option<u32>,
    pub mtu_locked: Option<bool>,
    pub prefsrc: Option<String>,
}

#[napi]
pub fn host_net_add_route(h: &HostNetHandle, ns: u32, spec: RouteSpecJs) -> Result<()> {
    guard(OP, || {
        let (dst, plen) = match spec.dst.as_str() {
            "default" => (ip("0.0.0.0")?, 0),
            "default6" => (ip("::")?, 0),
            s if s.contains('/') => cidr(s)?,
            s => {
                let a = ip(s)?;
                (a, if a.is_ipv4() { 32 } else { 128 })
            }
        };
        let kind = match &spec.kind {
            None => RouteType::Unicast,
            Some(k) => RouteType::from_name(k).ok_or_else(|| err(Errno::EINVAL, OP, format!("'{k}' is not a route type")))?,
        };
        let mut r = Route::new(dst, plen, kind);
        r.gateway = spec.gateway.as_deref().map(ip).transpose()?;
        r.ifindex = spec.ifindex.unwrap_or(0);
        if let Some(t) = spec.table {
            r.table = t;
        }
        if let Some(m) = spec.metric {
            r.metric = m;
        }
        r.mtu = spec.mtu.unwrap_or(0);
        r.mtu_locked = spec.mtu_locked.unwrap_or(false);
        r.prefsrc = spec.prefsrc.as_deref().map(ip).transpose()?;
        Ok(h.add_route(ns as usize, r)?)
    })
}

#[napi(object)]
pub struct NeighbourSpecJs {
    pub ifindex: u32,
    pub addr: String,
    pub mac: Vec<u32>,
    /// permanent (default), reachable, stale, delay, probe, noarp, incomplete, failed.
    pub state: Option<String>,
}

#[napi]
pub fn host_net_add_neighbour(h: &HostNetHandle, ns: u32, spec: NeighbourSpecJs) -> Result<()> {
    guard(OP, || {
        let state = match &spec.state {
            None => NudState::Permanent,
            Some(s) => NudState::from_name(s).ok_or_else(|| err(Errno::EINVAL, OP, format!("'{s}' is not a neighbour state")))?,
        };
        let n = Neighbour { ifindex: spec.ifindex, addr: ip(&spec.addr)?, mac: mac(Some(spec.mac))?.unwrap(), state };
        Ok(h.add_neighbour(ns as usize, n)?)
    })
}

#[napi]
pub fn host_net_set_tcp_syncookies(h: &HostNetHandle, ns: u32, value: u32) -> Result<()> {
    guard(OP, || Ok(h.set_tcp_syncookies(ns as usize, value.min(255) as u8)?))
}

/// A namespace's `net_cookie` (bpf_get_netns_cookie's answer for it).
#[napi]
pub fn host_net_set_netns_cookie(h: &HostNetHandle, ns: u32, cookie: BigInt) -> Result<()> {
    guard(OP, || Ok(h.set_netns_cookie(ns as usize, cookie.get_u64().1)?))
}

/// The syncookie hash's key (two u64 as BigInts) and clock (minutes; null: the host's clock).
#[napi]
pub fn host_net_set_syncookie(h: &HostNetHandle, secret: Option<Vec<BigInt>>, minute: Option<u32>) -> Result<()> {
    guard(OP, || {
        let mut st = h.state_mut();
        if let Some(k) = secret {
            if k.len() != 2 {
                return Err(err(Errno::EINVAL, OP, "the syncookie secret is two 64-bit words"));
            }
            st.syncookie_secret = [k[0].get_u64().1, k[1].get_u64().1];
        }
        st.syncookie_minute = minute;
        Ok(())
    })
}

#[napi(object)]
pub struct SocketSpecJs {
    pub netns: Option<u32>,
    /// "tcp" or "udp".
    pub protocol: String,
    /// 4 or 6 (default: the local address's).
    pub family: Option<u32>,
    pub local_addr: String,
    pub local_port: u32,
    pub remote_addr: Option<String>,
    pub remote_port: Option<u32>,
    /// listen, established, syn-recv, time-wait, new-syn-recv, close, ... (default: by kind).
    pub state: Option<String>,
    pub v6only: Option<bool>,
    pub bound_dev_if: Option<u32>,
    pub mark: Option<u32>,
    pub priority: Option<u32>,
    pub rx_queue_mapping: Option<i32>,
    pub reuseport: Option<bool>,
    pub listener: Option<f64>,
    pub user_mss: Option<u32>,
    pub syn_queue_full: Option<bool>,
    pub accept_queue_full: Option<bool>,
}

fn port(p: u32) -> Result<u16> {
    u16::try_from(p).map_err(|_| err(Errno::EINVAL, OP, format!("port {p} is past 65535")))
}

#[napi]
pub fn host_net_add_socket(h: &HostNetHandle, spec: SocketSpecJs) -> Result<f64> {
    guard(OP, || {
        let proto = match spec.protocol.as_str() {
            "tcp" => Proto::Tcp,
            "udp" => Proto::Udp,
            p => return Err(err(Errno::EPROTONOSUPPORT, OP, format!("protocol '{p}' is neither tcp nor udp"))),
        };
        let mut s = SocketSpec::new(spec.netns.unwrap_or(0) as usize, proto, (ip(&spec.local_addr)?, port(spec.local_port)?));
        match spec.family {
            None => {}
            Some(4) => s.family = crate::hostnet::AF_INET,
            Some(6) => s.family = crate::hostnet::AF_INET6,
            Some(f) => return Err(err(Errno::EAFNOSUPPORT, OP, format!("family {f} is neither 4 nor 6"))),
        }
        if let Some(a) = &spec.remote_addr {
            s.remote = Some((ip(a)?, port(spec.remote_port.unwrap_or(0))?));
        }
        if let Some(st) = &spec.state {
            s.state = Some(SockState::from_name(st).ok_or_else(|| err(Errno::EINVAL, OP, format!("'{st}' is not a socket state")))?);
        }
        s.v6only = spec.v6only.unwrap_or(false);
        s.bound_dev_if = spec.bound_dev_if.unwrap_or(0);
        s.mark = spec.mark.unwrap_or(0);
        s.priority = spec.priority.unwrap_or(0);
        s.rx_queue_mapping = spec.rx_queue_mapping.unwrap_or(sockets::NO_QUEUE_MAPPING);
        s.reuseport = spec.reuseport.unwrap_or(false);
        s.listener = spec.listener.map(|l| l as u64);
        let id = h.add_socket(s)?;
        h.update_socket(id, |x| {
            x.user_mss = spec.user_mss.unwrap_or(0).min(65535) as u16;
            x.syn_queue_full = spec.syn_queue_full.unwrap_or(false);
            x.accept_queue_full = spec.accept_queue_full.unwrap_or(false);
        })?;
        Ok(id as f64)
    })
}

#[napi]
pub fn host_net_remove_socket(h: &HostNetHandle, id: f64) -> Result<()> {
    guard(OP, || Ok(h.remove_socket(id as u64)?))
}

#[napi]
pub fn host_net_socket_refs(h: &HostNetHandle, id: f64) -> Result<u32> {
    guard(OP, || Ok(h.socket_refs(id as u64)?))
}

/// `struct bpf_sock` of a socket, as a program reading it would see it now.
#[napi]
pub fn host_net_socket_view(h: &HostNetHandle, id: f64) -> Result<Buffer> {
    guard(OP, || Ok(h.state().socket(id as u64)?.bpf_sock().to_vec().into()))
}

/// The socket a `struct bpf_sock_tuple` (12 or 36 bytes) arriving on `ifindex` finds: what
/// bpf_skc_lookup_tcp (`full`: bpf_sk_lookup_tcp/udp) would return; null for none.
#[napi]
pub fn host_net_lookup(h: &HostNetHandle, ns: u32, protocol: String, tuple: &[u8], ifindex: u32, full: bool) -> Result<Option<f64>> {
    guard(OP, || {
        let proto = if protocol == "udp" { Proto::Udp } else { Proto::Tcp };
        let t = Tuple::from_bytes(tuple).ok_or_else(|| err(Errno::EINVAL, OP, format!("a tuple is 12 or 36 bytes, not {}", tuple.len())))?;
        let st = h.state();
        let id = sockets::lookup(&st, ns as usize, proto, &t, ifindex).and_then(|id| if full { sockets::full_sock(&st, id) } else { Some(id) });
        Ok(id.map(|x| x as f64))
    })
}

/// bpf_fib_lookup on a `struct bpf_fib_lookup` (64 bytes, changed in place) as XDP calls it.
#[napi]
pub fn host_net_fib_lookup(h: &HostNetHandle, ns: u32, mut params: Buffer, flags: u32) -> Result<i32> {
    guard(OP, || {
        if params.len() < fib::FIB_PARAMS_SIZE {
            return Err(err(Errno::EINVAL, OP, "struct bpf_fib_lookup is 64 bytes"));
        }
        Ok(fib::fib_lookup(&h.state(), ns as usize, &mut params[..fib::FIB_PARAMS_SIZE], flags, true) as i32)
    })
}

/// A conntrack entry as TypeScript gives and reads it (`HostNet.addConntrack`, `conntrack()`).
#[napi(object)]
pub struct CtEntryJs {
    pub id: Option<f64>,
    pub netns: Option<u32>,
    pub protocol: String,
    pub src: String,
    pub sport: u32,
    pub dst: String,
    pub dport: u32,
    /// Read back: the reply direction (NAT rewrites it).
    pub reply_src: Option<String>,
    pub reply_sport: Option<u32>,
    pub reply_dst: Option<String>,
    pub reply_dport: Option<u32>,
    pub status: Option<u32>,
    /// Given: milliseconds to live; read back: the jiffy it expires at (`nf_conn.timeout`).
    pub timeout: Option<u32>,
    pub mark: Option<u32>,
    pub zone: Option<u32>,
    pub zone_dir: Option<u32>,
}

fn ct_port(p: u32) -> Result<u16> {
    u16::try_from(p).map_err(|_| err(Errno::EINVAL, OP, format!("port {p} is not 0..65535")))
}

#[napi]
pub fn host_net_ct_add(h: &HostNetHandle, e: CtEntryJs) -> Result<f64> {
    use crate::hostnet::conntrack::{self, CtEntry, CtTuple};
    guard(OP, || {
        let proto = match e.protocol.as_str() {
            "tcp" => conntrack::IPPROTO_TCP,
            "udp" => conntrack::IPPROTO_UDP,
            p => return Err(err(Errno::EPROTO, OP, format!("protocol '{p}' is neither tcp nor udp"))),
        };
        let (src, dst) = (ip(&e.src)?, ip(&e.dst)?);
        if src.is_ipv4() != dst.is_ipv4() {
            return Err(err(Errno::EAFNOSUPPORT, OP, "src and dst are of different families"));
        }
        let mut c = CtEntry::new(e.netns.unwrap_or(0) as usize, CtTuple { src, sport: ct_port(e.sport)?, dst, dport: ct_port(e.dport)?, proto });
        c.status = u64::from(e.status.unwrap_or(0)) & !conntrack::IPS_CONFIRMED;
        c.timeout = conntrack::msecs_to_jiffies(e.timeout.unwrap_or(30_000)).min(i32::MAX as u64) as u32;
        c.mark = e.mark.unwrap_or(0);
        c.zone = u16::try_from(e.zone.unwrap_or(0)).map_err(|_| err(Errno::EINVAL, OP, "zone is 0..65535"))?;
        c.zone_dir = match e.zone_dir.unwrap_or(3) {
            d @ 1..=3 => d as u8,
            d => return Err(err(Errno::EINVAL, OP, format!("zoneDir {d} is not 1 (original), 2 (reply) or 3 (both)"))),
        };
        Ok(h.ct_add(c)? as f64)
    })
}

#[napi]
pub fn host_net_ct_list(h: &HostNetHandle) -> Vec<CtEntryJs> {
    h.ct_list()
        .into_iter()
        .map(|(id, e)| CtEntryJs {
            id: Some(id as f64),
            netns: Some(e.netns as u32),
            protocol: if e.orig.proto == crate::hostnet::conntrack::IPPROTO_TCP { "tcp".into() } else { "udp".into() },
            src: e.orig.src.to_string(),
            sport: u32::from(e.orig.sport),
            dst: e.orig.dst.to_string(),
            dport: u32::from(e.orig.dport),
            reply_src: Some(e.reply.src.to_string()),
            reply_sport: Some(u32::from(e.reply.sport)),
            reply_dst: Some(e.reply.dst.to_string()),
            reply_dport: Some(u32::from(e.reply.dport)),
            status: Some(e.status as u32),
            timeout: Some(e.timeout),
            mark: Some(e.mark),
            zone: Some(u32::from(e.zone)),
            zone_dir: Some(u32::from(e.zone_dir)),
        })
        .collect()
}

#[napi]
pub fn host_net_ct_remove(h: &HostNetHandle, id: f64) -> Result<()> {
    guard(OP, || Ok(h.ct_remove(id as u64)?))
}

#[napi]
pub fn host_net_ct_set_jiffies(h: &HostNetHandle, jiffies: u32) {
    h.ct_set_jiffies(jiffies)
}
