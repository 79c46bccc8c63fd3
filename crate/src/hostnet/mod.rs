//! The host's network stack as BPF programs ask about it: network namespaces with their devices,
//! addresses, routes, neighbours and sysctls, and the sockets bound in them (TCP listeners,
//! established and request/timewait TCP sockets, UDP sockets). The embedder fills it (TypeScript's
//! `HostNet`); the socket-lookup, FIB, MTU and syncookie helpers (`bpf::host_helpers`) and the
//! sockmap/sockhash maps read it, with Linux 6.18's semantics:
//! - socket lookups as `__inet_lookup` / `__inet6_lookup` / `__udp4_lib_lookup` /
//!   `__udp6_lib_lookup` find them ([`sockets`]);
//! - routes as `fib_lookup` / `fib6_lookup` with the default rules (local, main, default tables)
//!   and `bpf_ipv4_fib_lookup` / `bpf_ipv6_fib_lookup` answer ([`fib`]);
//! - syncookies as the kernel builds them, with a hash and secret of uxdp's own ([`syncookie`]).
//!
//! It sits below the BPF engine (which only reads it) and knows nothing of programs. Shared as
//! `Rc<HostNet>`: the embedder keeps changing it while programs and maps hold it.

pub mod conntrack;
pub mod fib;
pub mod sockets;
pub mod storage;
pub mod syncookie;

use std::cell::{Ref, RefCell, RefMut};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::errno::{Errno, Result, XdpError};

pub use fib::{FibAnswer, Route, RouteType};
pub use sockets::{Proto, SockState, Socket, SocketSpec};

pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;

/// The loopback device every namespace has.
pub const LOOPBACK_IFINDEX: u32 = 1;
/// Loopback's MTU (`LOOPBACK_MTU`... 64 KiB, as `loopback_setup` sets it).
pub const LOOPBACK_MTU: u32 = 65536;
/// What Ethernet (and loopback) devices add to an L3 length: `dev->hard_header_len`.
pub const ETH_HLEN: u32 = 14;

/// A network device of a namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub ifindex: u32,
    pub name: String,
    pub mtu: u32,
    pub mac: [u8; 6],
    /// `net.ipv4.conf.<dev>.forwarding` (bpf_fib_lookup answers FWD_DISABLED when off).
    pub forwarding: bool,
    /// `net.ipv6.conf.<dev>.forwarding`.
    pub forwarding6: bool,
    /// Administratively up (routes through a device that is down are not used).
    pub up: bool,
    /// `dev->hard_header_len`.
    pub hard_header_len: u32,
    /// Addresses with their prefix lengths (each adds its connected route and local address).
    pub addrs: Vec<(IpAddr, u8)>,
}

impl Device {
    pub fn new(ifindex: u32, name: impl Into<String>) -> Device {
        Device {
            ifindex,
            name: name.into(),
            mtu: 1500,
            mac: [0; 6],
            forwarding: false,
            forwarding6: false,
            up: true,
            hard_header_len: ETH_HLEN,
            addrs: Vec::new(),
        }
    }

    pub fn loopback() -> Device {
        let mut d = Device::new(LOOPBACK_IFINDEX, "lo");
        d.mtu = LOOPBACK_MTU;
        d.addrs = vec![(IpAddr::V4(Ipv4Addr::LOCALHOST), 8), (IpAddr::V6(Ipv6Addr::LOCALHOST), 128)];
        d
    }
}

/// `NUD_*` states of a neighbour entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum NudState {
    Incomplete = 0x01,
    Reachable = 0x02,
    Stale = 0x04,
    Delay = 0x08,
    Probe = 0x10,
    Failed = 0x20,
    Noarp = 0x40,
    Permanent = 0x80,
}

impl NudState {
    /// `NUD_VALID`: the states whose link-layer address bpf_fib_lookup hands out.
    pub fn valid(self) -> bool {
        matches!(self, NudState::Permanent | NudState::Noarp | NudState::Reachable | NudState::Probe | NudState::Stale | NudState::Delay)
    }

    pub fn from_name(s: &str) -> Option<NudState> {
        Some(match s {
            "incomplete" => NudState::Incomplete,
            "reachable" => NudState::Reachable,
            "stale" => NudState::Stale,
            "delay" => NudState::Delay,
            "probe" => NudState::Probe,
            "failed" => NudState::Failed,
            "noarp" => NudState::Noarp,
            "permanent" => NudState::Permanent,
            _ => return None,
        })
    }
}

/// An entry of the neighbour table (ARP / NDP): an address on a device and its link-layer address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Neighbour {
    pub ifindex: u32,
    pub addr: IpAddr,
    pub mac: [u8; 6],
    pub state: NudState,
}

/// A network namespace.
#[derive(Clone, Debug)]
pub struct Netns {
    pub name: String,
    pub devices: Vec<Device>,
    pub routes: Vec<Route>,
    pub neighbours: Vec<Neighbour>,
    /// Ids this namespace gives other namespaces (`ip netns set`): what a lookup helper's `netns`
    /// argument names. Values are namespace indexes.
    pub peer_ids: BTreeMap<u32, usize>,
    /// `net.ipv4.tcp_syncookies` (0, 1 or 2; Linux's default is 1).
    pub tcp_syncookies: u8,
    /// `net->net_cookie` (bpf_get_netns_cookie): the kernel numbers namespaces from one counter
    /// as they are made; the model does the same from 1, and the embedder may set the host's.
    pub cookie: u64,
}

impl Netns {
    fn new(name: impl Into<String>, cookie: u64) -> Netns {
        Netns { name: name.into(), devices: vec![Device::loopback()], routes: Vec::new(), neighbours: Vec::new(), peer_ids: BTreeMap::new(), tcp_syncookies: 1, cookie }
    }

    pub fn device(&self, ifindex: u32) -> Option<&Device> {
        self.devices.iter().find(|d| d.ifindex == ifindex)
    }

    /// Whether `addr` is one of the namespace's own addresses (the local table's RTN_LOCAL
    /// routes; all of 127/8 on an up loopback).
    pub fn is_local(&self, addr: IpAddr) -> bool {
        self.devices.iter().filter(|d| d.up).any(|d| {
            d.addrs.iter().any(|&(a, plen)| a == addr || (d.ifindex == LOOPBACK_IFINDEX && a.is_ipv4() && addr.is_ipv4() && fib::prefix_match(a, plen, addr)))
        })
    }
}

/// The whole model: namespaces (index 0 is the initial one, where programs run unless told
/// otherwise) and every socket.
#[derive(Debug, Default)]
pub struct HostNet {
    state: RefCell<State>,
}

#[derive(Debug)]
pub struct State {
    pub namespaces: Vec<Netns>,
    pub sockets: BTreeMap<u64, Socket>,
    next_socket: u64,
    /// The syncookie hash's key (see [`syncookie`]).
    pub syncookie_secret: [u64; 2],
    /// The syncookie clock in minutes (`tcp_cookie_time()`); None: the host's monotonic clock.
    pub syncookie_minute: Option<u32>,
    /// The connection tracking table (all namespaces).
    pub conntrack: conntrack::Conntrack,
    /// Sockets' local storage (`sk->sk_bpf_storage`), by socket, made on first use.
    pub sk_storage: BTreeMap<u64, std::rc::Rc<storage::LocalStorage>>,
}

impl Default for State {
    fn default() -> State {
        State {
            namespaces: vec![Netns::new("init", 1)],
            sockets: BTreeMap::new(),
            next_socket: 1,
            syncookie_secret: syncookie::DEFAULT_SECRET,
            syncookie_minute: None,
            conntrack: conntrack::Conntrack::default(),
            sk_storage: BTreeMap::new(),
        }
    }
}

const OP: &str = "hostnet";

fn einval(msg: impl Into<String>) -> XdpError {
    XdpError::new(Errno::EINVAL, OP, msg)
}

impl State {
    pub fn netns(&self, ns: usize) -> Result<&Netns> {
        self.namespaces.get(ns).ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("no network namespace {ns}")))
    }

    pub fn netns_mut(&mut self, ns: usize) -> Result<&mut Netns> {
        self.namespaces.get_mut(ns).ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("no network namespace {ns}")))
    }

    pub fn socket(&self, id: u64) -> Result<&Socket> {
        self.sockets.get(&id).ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("no socket {id}")))
    }
}

impl HostNet {
    pub fn new() -> HostNet {
        HostNet::default()
    }

    pub fn state(&self) -> Ref<'_, State> {
        self.state.borrow()
    }

    pub fn state_mut(&self) -> RefMut<'_, State> {
        self.state.borrow_mut()
    }

    /// A new namespace (with its loopback device); returns its index.
    pub fn add_netns(&self, name: &str) -> Result<usize> {
        let mut st = self.state_mut();
        if st.namespaces.iter().any(|n| n.name == name) {
            return Err(XdpError::new(Errno::EEXIST, OP, format!("network namespace '{name}' exists")));
        }
        let cookie = st.namespaces.iter().map(|n| n.cookie).max().unwrap_or(0) + 1;
        st.namespaces.push(Netns::new(name, cookie));
        Ok(st.namespaces.len() - 1)
    }

    /// Sets a namespace's `net_cookie` (what bpf_get_netns_cookie answers for it).
    pub fn set_netns_cookie(&self, ns: usize, cookie: u64) -> Result<()> {
        self.state_mut().netns_mut(ns)?.cookie = cookie;
        Ok(())
    }

    /// Adds a confirmed conntrack entry (as the kernel's own tracking or `conntrack -I` would):
    /// its id. Its `timeout` is relative, in jiffies, as an unconfirmed entry's; EEXIST when
    /// either tuple is tracked already.
    pub fn ct_add(&self, entry: conntrack::CtEntry) -> Result<u64> {
        let mut st = self.state_mut();
        st.netns(entry.netns)?;
        st.conntrack.insert(entry)
    }

    /// The confirmed entries, by id: the live ones (a listing reaps the dead, as ctnetlink's
    /// dump evicts them).
    pub fn ct_list(&self) -> Vec<(u64, conntrack::CtEntry)> {
        let mut st = self.state_mut();
        st.conntrack.reap();
        st.conntrack.entries.iter().map(|(&id, e)| (id, e.clone())).collect()
    }

    /// Removes an entry (`conntrack -D`).
    pub fn ct_remove(&self, id: u64) -> Result<()> {
        self.state_mut().conntrack.entries.remove(&id).map(|_| ()).ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("no conntrack entry {id}")))
    }

    /// Sets the conntrack clock (jiffies, `HZ` a second); entries it leaves expired are reaped.
    pub fn ct_set_jiffies(&self, jiffies: u32) {
        self.state_mut().conntrack.set_jiffies(jiffies);
    }

    /// `ip netns set`: namespace `ns` calls namespace `peer` by `id`.
    pub fn set_peer_id(&self, ns: usize, peer: usize, id: u32) -> Result<()> {
        let mut st = self.state_mut();
        st.netns(peer)?;
        if id > i32::MAX as u32 {
            return Err(einval(format!("netns id {id} is negative as the kernel's s32")));
        }
        let n = st.netns_mut(ns)?;
        if n.peer_ids.get(&id).is_some_and(|&p| p != peer) {
            return Err(XdpError::new(Errno::EEXIST, OP, format!("netns id {id} names another namespace")));
        }
        n.peer_ids.insert(id, peer);
        Ok(())
    }

    pub fn add_device(&self, ns: usize, dev: Device) -> Result<()> {
        let mut st = self.state_mut();
        let n = st.netns_mut(ns)?;
        if dev.ifindex == 0 || dev.ifindex > i32::MAX as u32 {
            return Err(einval(format!("ifindex {} is not a device index", dev.ifindex)));
        }
        if n.devices.iter().any(|d| d.ifindex == dev.ifindex || d.name == dev.name) {
            return Err(XdpError::new(Errno::EEXIST, OP, format!("device {} (ifindex {}) exists", dev.name, dev.ifindex)));
        }
        if dev.mtu == 0 {
            return Err(einval("a device's MTU must be at least 1"));
        }
        n.devices.push(dev);
        Ok(())
    }

    /// Changes a device in place (MTU, MAC, forwarding, up, addresses).
    pub fn update_device(&self, ns: usize, ifindex: u32, f: impl FnOnce(&mut Device)) -> Result<()> {
        let mut st = self.state_mut();
        let n = st.netns_mut(ns)?;
        let d = n.devices.iter_mut().find(|d| d.ifindex == ifindex).ok_or_else(|| XdpError::new(Errno::ENODEV, OP, format!("no device with ifindex {ifindex}")))?;
        f(d);
        Ok(())
    }

    pub fn add_route(&self, ns: usize, route: Route) -> Result<()> {
        let mut st = self.state_mut();
        let n = st.netns_mut(ns)?;
        route.check(n)?;
        n.routes.push(route);
        Ok(())
    }

    pub fn add_neighbour(&self, ns: usize, neigh: Neighbour) -> Result<()> {
        let mut st = self.state_mut();
        let n = st.netns_mut(ns)?;
        if n.device(neigh.ifindex).is_none() {
            return Err(XdpError::new(Errno::ENODEV, OP, format!("no device with ifindex {}", neigh.ifindex)));
        }
        n.neighbours.retain(|x| !(x.ifindex == neigh.ifindex && x.addr == neigh.addr));
        n.neighbours.push(neigh);
        Ok(())
    }

    pub fn set_tcp_syncookies(&self, ns: usize, value: u8) -> Result<()> {
        if value > 2 {
            return Err(einval("net.ipv4.tcp_syncookies is 0, 1 or 2"));
        }
        self.state_mut().netns_mut(ns)?.tcp_syncookies = value;
        Ok(())
    }

    /// Adds a socket; returns its handle (what sockmaps hold and `remove_socket` takes).
    pub fn add_socket(&self, spec: SocketSpec) -> Result<u64> {
        let mut st = self.state_mut();
        let sock = sockets::Socket::from_spec(&st, spec)?;
        let id = st.next_socket;
        st.next_socket += 1;
        st.sockets.insert(id, Socket { id, ..sock });
        Ok(id)
    }

    /// Closes a socket. The kernel frees it once the last reference goes: a program or map still
    /// holding one keeps the view it has.
    /// Its sk_storage elements go with it (`bpf_sk_storage_free`).
    pub fn remove_socket(&self, id: u64) -> Result<()> {
        let storage = {
            let mut st = self.state_mut();
            st.sockets.remove(&id).ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("no socket {id}")))?;
            st.sk_storage.remove(&id)
        };
        if let Some(s) = storage {
            s.destroy();
        }
        Ok(())
    }

    /// Socket `id`'s local storage (made on first use); ENOENT for a socket the model lacks.
    pub fn socket_storage(&self, id: u64) -> Result<std::rc::Rc<storage::LocalStorage>> {
        let mut st = self.state_mut();
        st.socket(id)?;
        Ok(st.sk_storage.entry(id).or_insert_with(storage::LocalStorage::new).clone())
    }

    /// Changes a socket in place (mark, priority, flags of the syncookie model).
    pub fn update_socket(&self, id: u64, f: impl FnOnce(&mut Socket)) -> Result<()> {
        let mut st = self.state_mut();
        let s = st.sockets.get_mut(&id).ok_or_else(|| XdpError::new(Errno::ENOENT, OP, format!("no socket {id}")))?;
        f(s);
        Ok(())
    }

    /// References programs hold on a socket now (every one taken by a lookup goes back at
    /// bpf_sk_release).
    pub fn socket_refs(&self, id: u64) -> Result<u32> {
        Ok(self.state().socket(id)?.refs)
    }

    /// The namespace a lookup helper's `netns` argument names, seen from `caller`: a negative s32
    /// (BPF_F_CURRENT_NETNS) is the caller's own, otherwise an id `caller` gave a peer (None: no
    /// such namespace, the lookup finds nothing).
    pub fn netns_by_id(&self, caller: usize, id: u32) -> Option<usize> {
        if (id as i32) < 0 {
            return Some(caller);
        }
        self.state().namespaces.get(caller)?.peer_ids.get(&id).copied()
    }
}

/// A v4 address as an IPv6 socket stores it: v4-mapped.
pub fn mapped(a: Ipv4Addr) -> Ipv6Addr {
    a.to_ipv6_mapped()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netns_ids_as_the_lookup_helpers_see_them() {
        let h = HostNet::new();
        let b = h.add_netns("b").unwrap();
        h.set_peer_id(0, b, 7).unwrap();
        // a negative s32 is the caller's own namespace
        assert_eq!(h.netns_by_id(0, u32::MAX), Some(0));
        assert_eq!(h.netns_by_id(b, 0x8000_0000), Some(b));
        assert_eq!(h.netns_by_id(0, 7), Some(b));
        // ids are per namespace: b gave none
        assert_eq!(h.netns_by_id(b, 7), None);
        assert_eq!(h.netns_by_id(0, 0), None);
        assert_eq!(h.set_peer_id(0, b, 0x8000_0000).unwrap_err().errno, Errno::EINVAL);
        assert_eq!(h.add_netns("b").unwrap_err().errno, Errno::EEXIST);
    }

    #[test]
    fn devices_and_routes_are_checked() {
        let h = HostNet::new();
        assert_eq!(h.add_device(0, Device::new(1, "lo2")).unwrap_err().errno, Errno::EEXIST);
        assert_eq!(h.add_device(0, Device::new(0, "x")).unwrap_err().errno, Errno::EINVAL);
        let r = Route::new("10.0.0.0".parse().unwrap(), 33, RouteType::Unicast);
        assert_eq!(h.add_route(0, r).unwrap_err().errno, Errno::EINVAL);
        let mut r = Route::new("10.0.0.0".parse().unwrap(), 8, RouteType::Unicast);
        r.ifindex = 5;
        assert_eq!(h.add_route(0, r).unwrap_err().errno, Errno::ENODEV);
        let mut r = Route::new("10.0.0.0".parse().unwrap(), 8, RouteType::Blackhole);
        r.ifindex = 1;
        assert_eq!(h.add_route(0, r).unwrap_err().errno, Errno::EINVAL);
    }
}
