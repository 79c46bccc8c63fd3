//! Routes and `bpf_fib_lookup`'s answer over them (`bpf_ipv4_fib_lookup` / `bpf_ipv6_fib_lookup`
//! in net/core/filter.c): the device's forwarding switch, the default rules (local, main, default
//! tables) or one table (BPF_FIB_LOOKUP_DIRECT, _TBID), the longest prefix, the route's type, the
//! path MTU, the gateway, the source address (_SRC) and the neighbour (unless _SKIP_NEIGH), written
//! back into `struct bpf_fib_lookup` field by field where the kernel writes them.
//!
//! Not modelled: policy routing rules (BPF_FIB_LOOKUP_MARK is accepted and changes nothing, as
//! with the default rules), multipath routes, TOS-specific routes, lightweight tunnels, VRFs,
//! PMTU exceptions.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Netns, State, AF_INET, AF_INET6};
use crate::errno::{Errno, Result, XdpError};

pub const RT_TABLE_DEFAULT: u32 = 253;
pub const RT_TABLE_MAIN: u32 = 254;
pub const RT_TABLE_LOCAL: u32 = 255;

/// `BPF_FIB_LOOKUP_*` flags.
pub const DIRECT: u32 = 1 << 0;
pub const OUTPUT: u32 = 1 << 1;
pub const SKIP_NEIGH: u32 = 1 << 2;
pub const TBID: u32 = 1 << 3;
pub const SRC: u32 = 1 << 4;
pub const MARK: u32 = 1 << 5;
pub const FLAGS: u32 = DIRECT | OUTPUT | SKIP_NEIGH | TBID | SRC | MARK;

/// `BPF_FIB_LKUP_RET_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum FibAnswer {
    Success = 0,
    Blackhole = 1,
    Unreachable = 2,
    Prohibit = 3,
    NotFwded = 4,
    FwdDisabled = 5,
    UnsuppLwt = 6,
    NoNeigh = 7,
    FragNeeded = 8,
    NoSrcAddr = 9,
}

/// `sizeof(struct bpf_fib_lookup)`.
pub const FIB_PARAMS_SIZE: usize = 64;
const IP_MAX_MTU: u32 = 0xffff;
const IP6_MAX_MTU: u32 = 0xffff + 40;

/// A route's type (`RTN_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteType {
    Unicast,
    Local,
    Broadcast,
    Multicast,
    Blackhole,
    Unreachable,
    Prohibit,
    Throw,
}

impl RouteType {
    pub fn from_name(s: &str) -> Option<RouteType> {
        Some(match s {
            "unicast" => RouteType::Unicast,
            "local" => RouteType::Local,
            "broadcast" => RouteType::Broadcast,
            "multicast" => RouteType::Multicast,
            "blackhole" => RouteType::Blackhole,
            "unreachable" => RouteType::Unreachable,
            "prohibit" => RouteType::Prohibit,
            "throw" => RouteType::Throw,
            _ => return None,
        })
    }
}

/// A route of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub dst: IpAddr,
    pub prefix_len: u8,
    pub kind: RouteType,
    pub gateway: Option<IpAddr>,
    /// Its device (0 for the types without a next hop: blackhole, unreachable, prohibit, throw).
    pub ifindex: u32,
    pub table: u32,
    /// Its priority (`ip route ... metric N`): the lowest wins among routes of one prefix.
    pub metric: u32,
    /// The route's MTU metric (0: the device's). IPv4 uses it only when locked (`mtu lock N`),
    /// as `ip_mtu_from_fib_result` does with the default `ip_forward_use_pmtu` = 0.
    pub mtu: u32,
    pub mtu_locked: bool,
    pub prefsrc: Option<IpAddr>,
}

impl Route {
    pub fn new(dst: IpAddr, prefix_len: u8, kind: RouteType) -> Route {
        Route {
            dst,
            prefix_len,
            kind,
            gateway: None,
            ifindex: 0,
            table: RT_TABLE_MAIN,
            metric: if dst.is_ipv4() { 0 } else { 1024 },
            mtu: 0,
            mtu_locked: false,
            prefsrc: None,
        }
    }

    pub(super) fn check(&self, ns: &Netns) -> Result<()> {
        const OP: &str = "hostnet";
        let max = if self.dst.is_ipv4() { 32 } else { 128 };
        if self.prefix_len > max {
            return Err(XdpError::new(Errno::EINVAL, OP, format!("prefix length {} is past {max}", self.prefix_len)));
        }
        if self.table == 0 {
            return Err(XdpError::new(Errno::EINVAL, OP, "table 0 is no table"));
        }
        let needs_dev = matches!(self.kind, RouteType::Unicast | RouteType::Local | RouteType::Broadcast | RouteType::Multicast);
        if needs_dev && ns.device(self.ifindex).is_none() {
            return Err(XdpError::new(Errno::ENODEV, OP, format!("a {:?} route needs a device of the namespace (ifindex {})", self.kind, self.ifindex)));
        }
        if !needs_dev && (self.ifindex != 0 || self.gateway.is_some()) {
            return Err(XdpError::new(Errno::EINVAL, OP, format!("a {:?} route has no next hop", self.kind)));
        }
        if let Some(g) = self.gateway {
            if g.is_ipv4() != self.dst.is_ipv4() {
                return Err(XdpError::new(Errno::EINVAL, OP, "a gateway of the route's own family only"));
            }
        }
        Ok(())
    }
}

/// Whether `addr` is in `net`/`plen`.
pub fn prefix_match(net: IpAddr, plen: u8, addr: IpAddr) -> bool {
    match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = if plen == 0 { 0 } else { u32::MAX << (32 - u32::from(plen.min(32))) };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = if plen == 0 { 0 } else { u128::MAX << (128 - u32::from(plen.min(128))) };
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// The routes the kernel adds for the devices' addresses: connected subnets in main, local
/// addresses and broadcasts in local.
fn kernel_routes(ns: &Netns) -> Vec<Route> {
    let mut out = Vec::new();
    for d in &ns.devices {
        for &(a, plen) in &d.addrs {
            let mut local = Route::new(a, if a.is_ipv4() { 32 } else { 128 }, RouteType::Local);
            local.table = RT_TABLE_LOCAL;
            local.ifindex = d.ifindex;
            local.metric = 0;
            local.prefsrc = Some(a);
            if d.ifindex == super::LOOPBACK_IFINDEX && a.is_ipv4() {
                local.prefix_len = plen;
            }
            out.push(local);
            if d.ifindex == super::LOOPBACK_IFINDEX {
                continue;
            }
            let mut connected = Route::new(a, plen, RouteType::Unicast);
            connected.ifindex = d.ifindex;
            connected.prefsrc = Some(a);
            connected.metric = if a.is_ipv4() { 0 } else { 256 };
            out.push(connected);
            if let IpAddr::V4(v4) = a {
                if plen < 31 {
                    let bcast = u32::from(v4) | (u32::MAX >> plen);
                    let mut b = Route::new(IpAddr::V4(Ipv4Addr::from(bcast)), 32, RouteType::Broadcast);
                    b.table = RT_TABLE_LOCAL;
                    b.ifindex = d.ifindex;
                    out.push(b);
                }
            }
        }
    }
    out
}

/// The best route for `dst` in `table`: the longest prefix, then the lowest metric; among routes
/// with a device, `oif` (when strict) must be theirs, else it is preferred.
fn table_lookup<'r>(ns: &Netns, routes: &'r [Route], table: u32, dst: IpAddr, oif: u32, strict_oif: bool) -> Option<&'r Route> {
    let mut best: Option<(&Route, (u8, bool, std::cmp::Reverse<u32>))> = None;
    for r in routes.iter().filter(|r| r.table == table && r.dst.is_ipv4() == dst.is_ipv4()) {
        if !prefix_match(r.dst, r.prefix_len, dst) {
            continue;
        }
        let has_dev = r.ifindex != 0;
        if has_dev && !ns.device(r.ifindex).is_some_and(|d| d.up) {
            continue;
        }
        if has_dev && strict_oif && oif != 0 && r.ifindex != oif {
            continue;
        }
        let key = (r.prefix_len, !strict_oif && oif != 0 && r.ifindex == oif, std::cmp::Reverse(r.metric));
        if best.as_ref().is_none_or(|(_, k)| key > *k) {
            best = Some((r, key));
        }
    }
    best.map(|(r, _)| r)
}

fn table_exists(routes: &[Route], table: u32, v4: bool) -> bool {
    table == RT_TABLE_MAIN || table == RT_TABLE_LOCAL || routes.iter().any(|r| r.table == table && r.dst.is_ipv4() == v4)
}

/// `struct bpf_fib_lookup`'s fields by offset.
mod field {
    pub const FAMILY: usize = 0;
    pub const TOT_LEN: usize = 6; // union with mtu_result
    pub const IFINDEX: usize = 8;
    pub const RT_METRIC: usize = 12; // union with tos, flowinfo
    pub const SRC: usize = 16;
    pub const DST: usize = 32;
    pub const TBID: usize = 48; // union with h_vlan_proto, h_vlan_TCI
    pub const SMAC: usize = 52;
    pub const DMAC: usize = 58;
}

fn rd16(p: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([p[o], p[o + 1]])
}
fn rd32(p: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(p[o..o + 4].try_into().unwrap())
}
fn wr16(p: &mut [u8], o: usize, v: u16) {
    p[o..o + 2].copy_from_slice(&v.to_le_bytes());
}
fn wr32(p: &mut [u8], o: usize, v: u32) {
    p[o..o + 4].copy_from_slice(&v.to_le_bytes());
}
fn addr(p: &[u8], o: usize, v4: bool) -> IpAddr {
    if v4 {
        IpAddr::V4(Ipv4Addr::new(p[o], p[o + 1], p[o + 2], p[o + 3]))
    } else {
        IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&p[o..o + 16]).unwrap()))
    }
}
fn put_addr(p: &mut [u8], o: usize, a: IpAddr) {
    match a {
        IpAddr::V4(v4) => p[o..o + 4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => p[o..o + 16].copy_from_slice(&v6.octets()),
    }
}

/// bpf_fib_lookup on `params` (at least [`FIB_PARAMS_SIZE`] bytes, checked by the caller) in
/// namespace `ns`: a `BPF_FIB_LKUP_RET_*` value, or a negative errno. `check_mtu`: compare
/// `tot_len` with the path MTU (XDP always; tc when tot_len is given).
pub fn fib_lookup(st: &State, ns: usize, params: &mut [u8], flags: u32, check_mtu: bool) -> i64 {
    if flags & !FLAGS != 0 {
        return Errno::EINVAL.retval().into();
    }
    let Ok(n) = st.netns(ns) else { return Errno::ENODEV.retval().into() };
    match u16::from(params[field::FAMILY]) {
        AF_INET => lookup_family(n, params, flags, check_mtu, true),
        AF_INET6 => lookup_family(n, params, flags, check_mtu, false),
        _ => Errno::EAFNOSUPPORT.retval().into(),
    }
}

/// `params->tot_len` (tc checks the path MTU only when it is given).
pub fn tot_len(params: &[u8]) -> u16 {
    rd16(params, field::TOT_LEN)
}

/// `params->ifindex`: after a successful lookup, the egress device.
pub fn egress_ifindex(params: &[u8]) -> u32 {
    rd32(params, field::IFINDEX)
}

/// `params->mtu_result` (a union with tot_len).
pub fn set_mtu_result(params: &mut [u8], mtu: u16) {
    wr16(params, field::TOT_LEN, mtu)
}

fn ret(a: FibAnswer) -> i64 {
    a as i64
}

fn lookup_family(n: &Netns, p: &mut [u8], flags: u32, check_mtu: bool, v4: bool) -> i64 {
    let dst = addr(p, field::DST, v4);
    let src = addr(p, field::SRC, v4);
    if let (IpAddr::V6(d), IpAddr::V6(s)) = (dst, src) {
        // link-local (and multicast, loopback) addresses are never forwarded
        let strict = |a: Ipv6Addr| a.is_multicast() || a.is_unicast_link_local() || a.is_loopback();
        if strict(d) || strict(s) {
            return ret(FibAnswer::NotFwded);
        }
    }
    let ifindex = rd32(p, field::IFINDEX);
    let Some(dev) = n.device(ifindex) else { return Errno::ENODEV.retval().into() };
    if !(if v4 { dev.forwarding } else { dev.forwarding6 }) {
        return ret(FibAnswer::FwdDisabled);
    }
    let mut routes = kernel_routes(n);
    routes.extend(n.routes.iter().cloned());
    // IPv4 restricts to the output device; IPv6 only prefers the given device.
    let (oif, strict) = if flags & OUTPUT != 0 { (ifindex, v4) } else { (if v4 { 0 } else { ifindex }, false) };
    let found = if flags & DIRECT != 0 {
        let mut tbid = RT_TABLE_MAIN;
        if flags & TBID != 0 {
            tbid = rd32(p, field::TBID);
            wr32(p, field::TBID, 0);
        }
        if !table_exists(&routes, tbid, v4) {
            return ret(FibAnswer::NotFwded);
        }
        // Without policy rules of its own a namespace keeps its IPv4 local and main tables in
        // one trie: a lookup in main sees the local routes too.
        if v4 && tbid == RT_TABLE_MAIN {
            for r in routes.iter_mut().filter(|r| r.table == RT_TABLE_LOCAL) {
                r.table = RT_TABLE_MAIN;
            }
        }
        match table_lookup(n, &routes, tbid, dst, oif, strict) {
            Some(r) if r.kind == RouteType::Throw => None,
            r => r,
        }
    } else {
        let mut found = None;
        for t in [RT_TABLE_LOCAL, RT_TABLE_MAIN, RT_TABLE_DEFAULT] {
            match table_lookup(n, &routes, t, dst, oif, strict) {
                Some(r) if r.kind == RouteType::Throw => continue,
                Some(r) => {
                    found = Some(r);
                    break;
                }
                None => {}
            }
        }
        found
    };
    let Some(route) = found else { return ret(FibAnswer::NotFwded) };
    match route.kind {
        RouteType::Unicast => {}
        RouteType::Blackhole => return ret(FibAnswer::Blackhole),
        RouteType::Unreachable => return ret(FibAnswer::Unreachable),
        RouteType::Prohibit => return ret(FibAnswer::Prohibit),
        _ => return ret(FibAnswer::NotFwded),
    }
    let out = n.device(route.ifindex).expect("a unicast route's device");
    let mut mtu = 0;
    if check_mtu {
        mtu = if v4 {
            let m = if route.mtu_locked { route.mtu } else { 0 };
            if m != 0 { m } else { out.mtu.min(IP_MAX_MTU) }
        } else {
            let m = if route.mtu != 0 { route.mtu } else { out.mtu };
            m.min(IP6_MAX_MTU)
        };
        if u32::from(rd16(p, field::TOT_LEN)) > mtu {
            wr16(p, field::TOT_LEN, mtu as u16);
            return ret(FibAnswer::FragNeeded);
        }
    }
    let mut next = dst;
    if let Some(g) = route.gateway {
        next = g;
    }
    wr32(p, field::RT_METRIC, route.metric);
    wr32(p, field::IFINDEX, route.ifindex);
    if v4 {
        if flags & SRC != 0 {
            let s = route.prefsrc.or_else(|| select_src(n, out.ifindex, next, true)).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            put_addr(p, field::SRC, s);
        }
        put_addr(p, field::DST, next);
    } else {
        put_addr(p, field::DST, next);
        if flags & SRC != 0 {
            match route.prefsrc.or_else(|| select_src(n, out.ifindex, dst, false)) {
                Some(s) => put_addr(p, field::SRC, s),
                None => return ret(FibAnswer::NoSrcAddr),
            }
        }
    }
    if flags & SKIP_NEIGH == 0 {
        let neigh = n.neighbours.iter().find(|x| x.ifindex == out.ifindex && x.addr == next && x.state.valid());
        let Some(neigh) = neigh else { return ret(FibAnswer::NoNeigh) };
        p[field::DMAC..field::DMAC + 6].copy_from_slice(&neigh.mac);
        p[field::SMAC..field::SMAC + 6].copy_from_slice(&out.mac);
    }
    // bpf_fib_set_fwd_params: no VLAN, the MTU when it was looked at
    wr16(p, field::TBID, 0);
    wr16(p, field::TBID + 2, 0);
    if mtu != 0 {
        wr16(p, field::TOT_LEN, mtu as u16);
    }
    ret(FibAnswer::Success)
}

/// A source address for a packet to `to` out of device `ifindex`: one of its addresses (one
/// whose subnet holds `to` first), else one of another device (not loopback's); IPv6 never picks
/// a link-local one for a global destination.
fn select_src(n: &Netns, ifindex: u32, to: IpAddr, v4: bool) -> Option<IpAddr> {
    let usable = |a: &IpAddr| a.is_ipv4() == v4 && !matches!(a, IpAddr::V6(x) if x.is_unicast_link_local() || x.is_loopback());
    let dev = n.device(ifindex)?;
    let own: Vec<&(IpAddr, u8)> = dev.addrs.iter().filter(|(a, _)| usable(a)).collect();
    if let Some((a, _)) = own.iter().find(|(a, plen)| prefix_match(*a, *plen, to)) {
        return Some(*a);
    }
    if let Some((a, _)) = own.first() {
        return Some(*a);
    }
    n.devices.iter().filter(|d| d.ifindex != super::LOOPBACK_IFINDEX).flat_map(|d| d.addrs.iter()).map(|(a, _)| *a).find(|a| usable(a))
}

#[cfg(test)]
mod tests {
    use super::super::{Device, HostNet, Neighbour, NudState};
    use super::*;

    fn v4(s: &str) -> IpAddr {
        IpAddr::V4(s.parse().unwrap())
    }

    fn net() -> HostNet {
        let h = HostNet::new();
        let mut d = Device::new(10, "dummy0");
        d.mac = [2, 0, 0, 0, 0, 1];
        d.forwarding = true;
        d.addrs.push((v4("10.0.0.1"), 24));
        h.add_device(0, d).unwrap();
        let mut gw = Route::new(v4("10.1.0.0"), 16, RouteType::Unicast);
        gw.gateway = Some(v4("10.0.0.2"));
        gw.ifindex = 10;
        h.add_route(0, gw).unwrap();
        for (net, kind) in [("10.2.0.0", RouteType::Blackhole), ("10.3.0.0", RouteType::Unreachable), ("10.4.0.0", RouteType::Prohibit)] {
            h.add_route(0, Route::new(v4(net), 16, kind)).unwrap();
        }
        let mut t = Route::new(v4("10.6.0.0"), 16, RouteType::Unicast);
        t.table = 100;
        t.ifindex = 10;
        t.gateway = Some(v4("10.0.0.3"));
        h.add_route(0, t).unwrap();
        h.add_neighbour(0, Neighbour { ifindex: 10, addr: v4("10.0.0.2"), mac: [2, 0, 0, 0, 0, 2], state: NudState::Permanent }).unwrap();
        h
    }

    fn params(dst: &str, ifindex: u32, tot_len: u16) -> [u8; 64] {
        let mut p = [0u8; 64];
        p[0] = 2;
        wr16(&mut p, field::TOT_LEN, tot_len);
        wr32(&mut p, field::IFINDEX, ifindex);
        put_addr(&mut p, field::DST, v4(dst));
        p
    }

    #[test]
    fn answers_per_route_type() {
        let h = net();
        let st = h.state();
        let run = |dst: &str, flags: u32| {
            let mut p = params(dst, 10, 100);
            (fib_lookup(&st, 0, &mut p, flags, true), p)
        };
        let (r, p) = run("10.1.2.3", 0);
        assert_eq!(r, 0);
        assert_eq!(addr(&p, field::DST, true), v4("10.0.0.2"));
        assert_eq!(rd32(&p, field::IFINDEX), 10);
        assert_eq!(&p[field::DMAC..field::DMAC + 6], &[2, 0, 0, 0, 0, 2]);
        assert_eq!(&p[field::SMAC..field::SMAC + 6], &[2, 0, 0, 0, 0, 1]);
        assert_eq!(rd16(&p, field::TOT_LEN), 1500);
        assert_eq!(run("10.2.0.1", 0).0, 1);
        assert_eq!(run("10.3.0.1", 0).0, 2);
        assert_eq!(run("10.4.0.1", 0).0, 3);
        // no route; a local address; the subnet's broadcast
        assert_eq!(run("192.168.0.1", 0).0, 4);
        assert_eq!(run("10.0.0.1", 0).0, 4);
        assert_eq!(run("10.0.0.255", 0).0, 4);
        // on-link, without a neighbour entry
        assert_eq!(run("10.0.0.7", 0).0, 7);
        assert_eq!(run("10.0.0.7", SKIP_NEIGH).0, 0);
        // table 100 only with DIRECT|TBID
        assert_eq!(run("10.6.0.1", 0).0, 4);
        let mut p = params("10.6.0.1", 10, 0);
        wr32(&mut p, field::TBID, 100);
        assert_eq!(fib_lookup(&st, 0, &mut p, DIRECT | TBID | SKIP_NEIGH, true), 0);
        assert_eq!(addr(&p, field::DST, true), v4("10.0.0.3"));
        // main shares its trie with local: DIRECT still sees local addresses
        let mut p = params("10.0.0.1", 10, 0);
        assert_eq!(fib_lookup(&st, 0, &mut p, DIRECT | SKIP_NEIGH, true), 4);
        let mut p = params("10.0.0.9", 10, 0);
        assert_eq!(fib_lookup(&st, 0, &mut p, DIRECT | SKIP_NEIGH, true), 0);
        let mut p = params("10.6.0.1", 10, 0);
        wr32(&mut p, field::TBID, 101);
        assert_eq!(fib_lookup(&st, 0, &mut p, DIRECT | TBID, true), 4);
        assert_eq!(rd32(&p, field::TBID), 0);
    }

    #[test]
    fn mtu_at_the_boundary_forwarding_and_bad_arguments() {
        let h = net();
        let st = h.state();
        let mut p = params("10.1.2.3", 10, 1500);
        assert_eq!(fib_lookup(&st, 0, &mut p, 0, true), 0);
        let mut p = params("10.1.2.3", 10, 1501);
        assert_eq!(fib_lookup(&st, 0, &mut p, 0, true), 8);
        assert_eq!(rd16(&p, field::TOT_LEN), 1500);
        // loopback does not forward; an unknown device
        let mut p = params("10.1.2.3", 1, 0);
        assert_eq!(fib_lookup(&st, 0, &mut p, 0, true), 5);
        let mut p = params("10.1.2.3", 77, 0);
        assert_eq!(fib_lookup(&st, 0, &mut p, 0, true), -19);
        let mut p = params("10.1.2.3", 10, 0);
        assert_eq!(fib_lookup(&st, 0, &mut p, 1 << 6, true), -22);
        p[0] = 3;
        assert_eq!(fib_lookup(&st, 0, &mut p, 0, true), -97);
    }

    #[test]
    fn output_restricts_v4_routes_to_the_device_and_src_picks_the_device_address() {
        let h = net();
        let st = h.state();
        let mut p = params("10.1.2.3", 10, 0);
        assert_eq!(fib_lookup(&st, 0, &mut p, OUTPUT | SRC | SKIP_NEIGH, true), 0);
        assert_eq!(addr(&p, field::SRC, true), v4("10.0.0.1"));
        drop(st);
        let mut d = Device::new(11, "dummy1");
        d.forwarding = true;
        h.add_device(0, d).unwrap();
        let st = h.state();
        let mut p = params("10.1.2.3", 11, 0);
        assert_eq!(fib_lookup(&st, 0, &mut p, OUTPUT, true), 4);
    }
}
