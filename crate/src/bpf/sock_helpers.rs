//! The helpers that take a socket pointer (net/core/filter.c, net/core/bpf_sk_storage.c):
//! bpf_sk_storage_get / bpf_sk_storage_delete, bpf_sk_fullsock, bpf_tcp_sock,
//! bpf_get_listener_sock, the bpf_skc_to_* casts and bpf_get_socket_uid; and test_run's own socket, which
//! `bpf_prog_test_run_skb` hangs on every skb it builds (`skb->sk`: `sk_alloc` of a dummy proto,
//! `sock_init_data(NULL, sk)`, family and addresses from the packet's IP header), freed with its
//! sk_storage when the test_run ends.
//!
//! A socket pointer a program holds is either that test socket's `struct bpf_sock` view
//! ([`TestSocket`], owned by the run's `SkbContext`) or a host-model socket a lookup handed out
//! (`host_helpers::SockRef`). Storage values a run is handed stay alive, and reachable as
//! [`RegionKind::MapValue`] memory, until the run ends (the kernel frees deleted elements after an
//! RCU grace period, so a program may still touch one it deleted).

use std::rc::Rc;

use super::helpers::{errno_ret, fault};
use super::machine::{Machine, Trap};
use super::memory::{Region, RegionKind};
use super::maps::BPF_SK_STORAGE_GET_F_CREATE;
use crate::errno::Errno;
use crate::hostnet::sockets::{Proto, SockState, BPF_SOCK_SIZE};
use crate::hostnet::AF_INET6;
use crate::hostnet::storage::{LocalStorage, StorageValue};

/// `TCP_CLOSE`: the state `sock_init_data` leaves a socket in.
const TCP_CLOSE: u32 = SockState::CLOSE as u32;

/// test_run's socket: its `struct bpf_sock` as programs read it (boxed: the address stays put)
/// and its sk_storage.
#[derive(Debug)]
pub struct TestSocket {
    view: Box<[u8; BPF_SOCK_SIZE]>,
    pub storage: Rc<LocalStorage>,
}

impl TestSocket {
    /// The socket of a run whose packet gave it `family` and these addresses (zero for a packet
    /// that is neither IPv4 nor IPv6: AF_UNSPEC). Not bound, not connected, no type or protocol
    /// (the dummy proto sets none), state TCP_CLOSE, no receive queue (-1).
    pub fn new(family: u16, saddr4: [u8; 4], daddr4: [u8; 4], saddr6: [u8; 16], daddr6: [u8; 16]) -> TestSocket {
        let mut b = [0u8; BPF_SOCK_SIZE];
        let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
        put(4, &u32::from(family).to_le_bytes());
        put(24, &saddr4);
        put(28, &saddr6);
        put(52, &daddr4);
        put(56, &daddr6);
        put(72, &TCP_CLOSE.to_le_bytes());
        put(76, &crate::hostnet::sockets::NO_QUEUE_MAPPING.to_le_bytes());
        TestSocket { view: Box::new(b), storage: LocalStorage::new() }
    }

    pub fn addr(&self) -> u64 {
        self.view.as_ptr() as u64
    }

    fn region(&self) -> Region {
        Region::new(self.addr(), BPF_SOCK_SIZE as u64, false, RegionKind::Sock, self.addr())
    }
}

/// The socket behind a pointer a program passes.
enum SockArg {
    /// test_run's socket (a full socket, not TCP, not listening).
    Test(Rc<LocalStorage>),
    /// A host-model socket a lookup handed out: whether it is full, a TCP socket, a listener;
    /// its family and state (None: the model closed it since).
    Host { storage: Option<Rc<LocalStorage>>, full: bool, tcp: bool, listening: bool, kind: Option<(u16, Proto, u8)> },
}

impl Machine<'_> {
    /// Makes test_run's socket readable (again, after a reset dropped the socket regions).
    pub(crate) fn expose_test_socket(&mut self) {
        let Some(r) = self.skb.as_deref().and_then(|c| c.test_sock.as_ref()).map(TestSocket::region) else { return };
        if self.mem.find(r.start, r.len).is_none() {
            self.mem.push(r);
        }
    }

    /// Whether `addr` is test_run's socket (`skb->sk`).
    pub(crate) fn is_test_socket(&self, addr: u64) -> bool {
        self.skb.as_deref().and_then(|c| c.test_sock.as_ref()).is_some_and(|t| t.addr() == addr)
    }

    fn sock_arg(&mut self, addr: u64) -> Result<SockArg, Trap> {
        if let Some(t) = self.skb.as_deref().and_then(|c| c.test_sock.as_ref()).filter(|t| t.addr() == addr) {
            return Ok(SockArg::Test(t.storage.clone()));
        }
        let Some(s) = self.socks.iter().find(|s| s.addr() == addr && !s.released) else {
            return Err(fault(Errno::EINVAL, format!("{addr:#x} is not a socket the program holds")));
        };
        let st = s.net.state();
        // A socket the model closed while the program held it: what the reference kept is the
        // view; its storage went with it.
        let Some(sock) = st.sockets.get(&s.id) else { return Ok(SockArg::Host { storage: None, full: true, tcp: false, listening: false, kind: None }) };
        let (full, tcp, listening) = (sock.full(), sock.proto == Proto::Tcp, sock.state == SockState::LISTEN);
        let kind = Some((sock.family, sock.proto, sock.state));
        drop(st);
        let storage = if full { s.net.socket_storage(s.id).ok() } else { None };
        Ok(SockArg::Host { storage, full, tcp, listening, kind })
    }

    /// Hands the run a storage value: reachable until the run ends, alive as long.
    fn expose_storage_value(&mut self, v: Rc<StorageValue>, writable: bool) -> u64 {
        let addr = v.addr();
        if !self.sk_values.iter().any(|x| x.addr() == addr) {
            self.mem.push(Region::new(addr, v.len() as u64, writable, RegionKind::MapValue, u64::MAX - 1));
            self.sk_values.push(v);
        }
        addr
    }

    /// Lets go of the storage values this run was handed (their regions with them).
    pub(crate) fn release_storage_values(&mut self) {
        if self.sk_values.is_empty() {
            return;
        }
        let addrs: Vec<u64> = self.sk_values.drain(..).map(|v| v.addr()).collect();
        self.mem.retain(|r| !(r.kind == RegionKind::MapValue && addrs.contains(&r.start)));
    }
}

/// bpf_sk_storage_get(map, sk, value, flags): NULL for a NULL or non-full socket or flags past
/// BPF_SK_STORAGE_GET_F_CREATE; the socket's value; or, with F_CREATE, a new one holding `value`'s
/// bytes (zeroes for NULL) unless the socket's optmem is spent.
pub(crate) fn sk_storage_get(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = m.map(a[0])?;
    let (sk, value, flags) = (a[1], a[2], a[3]);
    if sk == 0 || flags > BPF_SK_STORAGE_GET_F_CREATE {
        return Ok(0);
    }
    let storage = match m.sock_arg(sk)? {
        SockArg::Test(s) => s,
        SockArg::Host { storage: Some(s), full: true, .. } => s,
        SockArg::Host { .. } => return Ok(0),
    };
    let init = if value != 0 { Some(m.read_arg(value, u64::from(map.def().value_size))?.to_vec()) } else { None };
    let writable = map.def().map_flags & super::maps::BPF_F_RDONLY_PROG == 0;
    Ok(match map.sk_storage_get(&storage, init.as_deref(), flags == BPF_SK_STORAGE_GET_F_CREATE) {
        Some(v) => m.expose_storage_value(v, writable),
        None => 0,
    })
}

/// bpf_sk_storage_delete(map, sk): EINVAL for a NULL or non-full socket, ENOENT without a value.
pub(crate) fn sk_storage_delete(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    let map = m.map(a[0])?;
    if a[1] == 0 {
        return Ok(errno_ret(Errno::EINVAL));
    }
    let storage = match m.sock_arg(a[1])? {
        SockArg::Test(s) => s,
        SockArg::Host { storage: Some(s), full: true, .. } => s,
        SockArg::Host { full: false, .. } => return Ok(errno_ret(Errno::EINVAL)),
        SockArg::Host { .. } => return Ok(errno_ret(Errno::ENOENT)),
    };
    Ok(if map.sk_storage_remove(&storage) { 0 } else { errno_ret(Errno::ENOENT) })
}

/// bpf_sk_fullsock(sk): the socket itself when it is a full one (not a request or timewait
/// socket), else NULL.
pub(crate) fn sk_fullsock(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    Ok(match m.sock_arg(a[0])? {
        SockArg::Test(_) | SockArg::Host { full: true, .. } => a[0],
        SockArg::Host { .. } => 0,
    })
}

/// bpf_tcp_sock(sk): NULL unless a full TCP socket. uxdp has no `struct bpf_tcp_sock` model of a
/// host socket's TCP state: that case faults rather than answering wrongly.
pub(crate) fn tcp_sock(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    match m.sock_arg(a[0])? {
        SockArg::Test(_) | SockArg::Host { full: false, .. } | SockArg::Host { tcp: false, .. } => Ok(0),
        SockArg::Host { .. } => Err(fault(Errno::EOPNOTSUPP, "bpf_tcp_sock: uxdp does not model a TCP socket's struct bpf_tcp_sock")),
    }
}

/// bpf_get_listener_sock(sk): a TCP listener itself, NULL for the other full sockets. A request
/// socket's listener is not handed out here (it would be a socket the program does not hold):
/// that case faults.
pub(crate) fn get_listener_sock(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    match m.sock_arg(a[0])? {
        SockArg::Test(_) => Ok(0),
        SockArg::Host { full: true, tcp, listening, .. } => Ok(if tcp && listening { a[0] } else { 0 }),
        SockArg::Host { .. } => Err(fault(Errno::EOPNOTSUPP, "bpf_get_listener_sock: a request socket's listener is not modelled")),
    }
}

/// bpf_get_socket_uid(skb): the owner of `skb->sk`; test_run's socket belongs to uid 0
/// (`sock_init_data` without a `struct socket`); an skb without a socket gives overflowuid.
pub(crate) fn get_socket_uid(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    /// `overflowuid`'s default.
    const OVERFLOWUID: u64 = 65534;
    if a[0] != m.ctx {
        return Err(fault(Errno::EACCES, format!("{:#x} is not the program's context", a[0])));
    }
    Ok(if m.skb.as_deref().is_some_and(|c| c.test_sock.is_some()) { 0 } else { OVERFLOWUID })
}

/// The bpf_skc_to_* casts: the socket when it is of the kind asked, else NULL. test_run's socket
/// has no protocol and is of no kind. uxdp does not model the kernel structs these casts return
/// (`struct tcp_sock`, `udp6_sock`, …): a cast that would succeed on a host-model socket faults
/// rather than handing out a wrong object.
fn skc_cast(m: &mut Machine<'_>, sk: u64, what: &str, is: impl Fn(u16, Proto, u8) -> bool) -> Result<u64, Trap> {
    if sk == 0 {
        return Ok(0);
    }
    match m.sock_arg(sk)? {
        SockArg::Host { kind: Some((family, proto, state)), .. } if is(family, proto, state) => {
            Err(fault(Errno::EOPNOTSUPP, format!("bpf_skc_to_{what}: uxdp does not model the kernel's struct {what}")))
        }
        _ => Ok(0),
    }
}

fn full_state(state: u8) -> bool {
    !matches!(state, SockState::NEW_SYN_RECV | SockState::TIME_WAIT)
}

pub(crate) fn skc_to_tcp6_sock(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    skc_cast(m, a[0], "tcp6_sock", |f, p, s| full_state(s) && p == Proto::Tcp && f == AF_INET6)
}

pub(crate) fn skc_to_tcp_sock(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    skc_cast(m, a[0], "tcp_sock", |_, p, s| full_state(s) && p == Proto::Tcp)
}

pub(crate) fn skc_to_tcp_timewait_sock(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    skc_cast(m, a[0], "tcp_timewait_sock", |_, _, s| s == SockState::TIME_WAIT)
}

pub(crate) fn skc_to_tcp_request_sock(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    skc_cast(m, a[0], "tcp_request_sock", |_, _, s| s == SockState::NEW_SYN_RECV)
}

pub(crate) fn skc_to_udp6_sock(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    skc_cast(m, a[0], "udp6_sock", |f, p, s| full_state(s) && p == Proto::Udp && f == AF_INET6)
}

/// bpf_skc_to_unix_sock and bpf_skc_to_mptcp_sock: the host model has neither kind: NULL.
pub(crate) fn skc_to_none(m: &mut Machine<'_>, a: &[u64; 5]) -> Result<u64, Trap> {
    skc_cast(m, a[0], "unix_sock", |_, _, _| false)
}
