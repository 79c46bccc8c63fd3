//! Sockets and how the kernel finds them for a packet's 4-tuple: the established hash first
//! (established, request and timewait TCP sockets, matched exactly), then listeners (TCP) or bound
//! sockets (UDP) by score, an exact local address before the wildcard one, as `__inet_lookup`,
//! `__inet6_lookup`, `__udp4_lib_lookup` and `__udp6_lib_lookup` do. And `struct bpf_sock` as a
//! program reads it (`bpf_sock_convert_ctx_access`'s sources).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{State, AF_INET, AF_INET6};
use crate::errno::{Errno, Result, XdpError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    /// `sk_protocol`.
    pub fn number(self) -> u32 {
        match self {
            Proto::Tcp => 6,
            Proto::Udp => 17,
        }
    }

    /// `sk_type`: SOCK_STREAM or SOCK_DGRAM.
    pub fn sock_type(self) -> u32 {
        match self {
            Proto::Tcp => 1,
            Proto::Udp => 2,
        }
    }
}

/// `sk_state` values (include/net/tcp_states.h).
pub struct SockState;

impl SockState {
    pub const ESTABLISHED: u8 = 1;
    pub const SYN_SENT: u8 = 2;
    pub const SYN_RECV: u8 = 3;
    pub const FIN_WAIT1: u8 = 4;
    pub const FIN_WAIT2: u8 = 5;
    pub const TIME_WAIT: u8 = 6;
    pub const CLOSE: u8 = 7;
    pub const CLOSE_WAIT: u8 = 8;
    pub const LAST_ACK: u8 = 9;
    pub const LISTEN: u8 = 10;
    pub const CLOSING: u8 = 11;
    pub const NEW_SYN_RECV: u8 = 12;

    pub fn from_name(s: &str) -> Option<u8> {
        Some(match s {
            "established" => Self::ESTABLISHED,
            "syn-sent" => Self::SYN_SENT,
            "syn-recv" => Self::SYN_RECV,
            "fin-wait1" => Self::FIN_WAIT1,
            "fin-wait2" => Self::FIN_WAIT2,
            "time-wait" => Self::TIME_WAIT,
            "close" => Self::CLOSE,
            "close-wait" => Self::CLOSE_WAIT,
            "last-ack" => Self::LAST_ACK,
            "listen" => Self::LISTEN,
            "closing" => Self::CLOSING,
            "new-syn-recv" => Self::NEW_SYN_RECV,
            _ => return None,
        })
    }
}

/// The v4 address an IPv6 socket keeps for a v6 peer or local address that is not v4-mapped
/// (`LOOPBACK4_IPV6`, 127.0.0.6): it never matches an IPv4 lookup.
pub const LOOPBACK4_IPV6: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 6);

/// `sk_rx_queue_mapping` of a socket that has received nothing through a queue.
pub const NO_QUEUE_MAPPING: i32 = -1;

/// What the embedder says about a socket.
#[derive(Clone, Debug)]
pub struct SocketSpec {
    pub netns: usize,
    /// AF_INET or AF_INET6.
    pub family: u16,
    pub proto: Proto,
    /// None: the usual one for what it is (TCP: LISTEN without a peer, ESTABLISHED with one;
    /// UDP: CLOSE unconnected, ESTABLISHED connected).
    pub state: Option<u8>,
    /// Bound address (unspecified: any) and port (host order).
    pub local: (IpAddr, u16),
    /// The peer of a connected socket.
    pub remote: Option<(IpAddr, u16)>,
    pub v6only: bool,
    pub bound_dev_if: u32,
    pub mark: u32,
    pub priority: u32,
    pub rx_queue_mapping: i32,
    pub reuseport: bool,
    /// A request socket's (NEW_SYN_RECV) listener.
    pub listener: Option<u64>,
}

impl SocketSpec {
    pub fn new(netns: usize, proto: Proto, local: (IpAddr, u16)) -> SocketSpec {
        SocketSpec {
            netns,
            family: if local.0.is_ipv4() { AF_INET } else { AF_INET6 },
            proto,
            state: None,
            local,
            remote: None,
            v6only: false,
            bound_dev_if: 0,
            mark: 0,
            priority: 0,
            rx_queue_mapping: NO_QUEUE_MAPPING,
            reuseport: false,
            listener: None,
        }
    }
}

/// A socket of the model. Addresses of an IPv6 socket are IPv6 (v4-mapped when it talks IPv4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Socket {
    pub id: u64,
    pub netns: usize,
    pub family: u16,
    pub proto: Proto,
    pub state: u8,
    pub local: IpAddr,
    pub local_port: u16,
    /// Unspecified and 0 when not connected.
    pub remote: IpAddr,
    pub remote_port: u16,
    pub v6only: bool,
    pub bound_dev_if: u32,
    pub mark: u32,
    pub priority: u32,
    pub rx_queue_mapping: i32,
    pub reuseport: bool,
    pub listener: Option<u64>,
    /// TCP_MAXSEG set on a listener (0: none): clamps the MSS a syncookie encodes.
    pub user_mss: u16,
    /// The listener's SYN queue is full (`inet_csk_reqsk_queue_is_full`).
    pub syn_queue_full: bool,
    /// Its accept queue is full (`sk_acceptq_is_full`).
    pub accept_queue_full: bool,
    /// A SYN queue overflow was seen recently (within two minutes: `tcp_synq_no_recent_overflow`
    /// is false); bpf_tcp_gen_syncookie sets it, as `tcp_synq_overflow` does.
    pub recent_overflow: bool,
    /// References held on it by programs now.
    pub refs: u32,
}

fn unspecified(family: u16) -> IpAddr {
    if family == AF_INET {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    }
}

/// An address as a socket of `family` keeps it.
fn as_family(a: IpAddr, family: u16) -> Option<IpAddr> {
    match (a, family) {
        (IpAddr::V4(_), AF_INET) | (IpAddr::V6(_), AF_INET6) => Some(a),
        (IpAddr::V4(v4), AF_INET6) => Some(IpAddr::V6(v4.to_ipv6_mapped())),
        _ => None,
    }
}

impl Socket {
    pub(super) fn from_spec(st: &State, s: SocketSpec) -> Result<Socket> {
        const OP: &str = "hostnet";
        let bad = |m: String| XdpError::new(Errno::EINVAL, OP, m);
        st.netns(s.netns)?;
        if s.family != AF_INET && s.family != AF_INET6 {
            return Err(XdpError::new(Errno::EAFNOSUPPORT, OP, format!("address family {} is neither AF_INET nor AF_INET6", s.family)));
        }
        let local = as_family(s.local.0, s.family).ok_or_else(|| bad(format!("an AF_INET socket cannot be bound to {}", s.local.0)))?;
        let (remote, remote_port) = match s.remote {
            Some((a, p)) => (as_family(a, s.family).ok_or_else(|| bad(format!("an AF_INET socket cannot be connected to {a}")))?, p),
            None => (unspecified(s.family), 0),
        };
        let connected = s.remote.is_some();
        let state = s.state.unwrap_or(match (s.proto, connected) {
            (Proto::Tcp, false) => SockState::LISTEN,
            (Proto::Udp, false) => SockState::CLOSE,
            (_, true) => SockState::ESTABLISHED,
        });
        if !(1..=12).contains(&state) {
            return Err(bad(format!("{state} is not a socket state")));
        }
        if s.proto == Proto::Tcp && state != SockState::LISTEN && state != SockState::CLOSE && !connected {
            return Err(bad("a TCP socket in a connected state needs its peer".into()));
        }
        if s.proto == Proto::Tcp && state == SockState::LISTEN && connected {
            return Err(bad("a listening socket has no peer".into()));
        }
        if s.proto == Proto::Udp && !matches!(state, SockState::CLOSE | SockState::ESTABLISHED) {
            return Err(bad("a UDP socket is CLOSE (unconnected) or ESTABLISHED (connected)".into()));
        }
        if s.local.1 == 0 && state != SockState::CLOSE {
            return Err(bad("a bound socket needs a local port".into()));
        }
        if s.v6only && s.family != AF_INET6 {
            return Err(bad("IPV6_V6ONLY is for AF_INET6 sockets".into()));
        }
        if state == SockState::NEW_SYN_RECV {
            let l = s.listener.ok_or_else(|| bad("a request socket (new-syn-recv) names its listener".into()))?;
            let listener = st.socket(l)?;
            if listener.state != SockState::LISTEN || listener.proto != Proto::Tcp {
                return Err(bad(format!("socket {l} is not a TCP listener")));
            }
        } else if s.listener.is_some() {
            return Err(bad("only a request socket (new-syn-recv) has a listener".into()));
        }
        Ok(Socket {
            id: 0,
            netns: s.netns,
            family: s.family,
            proto: s.proto,
            state,
            local,
            local_port: s.local.1,
            remote,
            remote_port,
            v6only: s.v6only,
            bound_dev_if: s.bound_dev_if,
            mark: s.mark,
            priority: s.priority,
            rx_queue_mapping: s.rx_queue_mapping,
            reuseport: s.reuseport,
            listener: s.listener,
            user_mss: 0,
            syn_queue_full: false,
            accept_queue_full: false,
            recent_overflow: false,
            refs: 0,
        })
    }

    /// `skc_rcv_saddr`: the local address as IPv4 lookups compare it.
    pub fn rcv_saddr4(&self) -> Ipv4Addr {
        v4_view(self.local)
    }

    /// `skc_daddr`.
    pub fn daddr4(&self) -> Ipv4Addr {
        v4_view(self.remote)
    }

    /// `skc_v6_rcv_saddr`: an AF_INET socket's v4-mapped once TCP connected it (connect and
    /// accept set both families' fields, `sk_rcv_saddr_set`), zero otherwise (bind, UDP).
    pub fn rcv_saddr6(&self) -> Ipv6Addr {
        self.v6_view(self.local)
    }

    /// `skc_v6_daddr`, the same way.
    pub fn daddr6(&self) -> Ipv6Addr {
        self.v6_view(self.remote)
    }

    fn v6_view(&self, a: IpAddr) -> Ipv6Addr {
        match a {
            IpAddr::V6(v6) => v6,
            IpAddr::V4(v4) if self.tcp_connected() => v4.to_ipv6_mapped(),
            IpAddr::V4(_) => Ipv6Addr::UNSPECIFIED,
        }
    }

    fn tcp_connected(&self) -> bool {
        self.proto == Proto::Tcp && !matches!(self.state, SockState::LISTEN | SockState::CLOSE | SockState::TIME_WAIT)
    }

    /// In the IPv4 established hash (`sk_ehashfn`): AF_INET sockets, and AF_INET6 ones talking
    /// to a v4-mapped peer; the others are in the IPv6 one. A lookup searches only its own.
    fn v4_hashed(&self) -> bool {
        match self.remote {
            IpAddr::V4(_) => true,
            IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some(),
        }
    }

    /// A full socket (`sk_fullsock`): not a request or timewait socket.
    pub fn full(&self) -> bool {
        !matches!(self.state, SockState::NEW_SYN_RECV | SockState::TIME_WAIT)
    }

    /// `struct bpf_sock` as a program's loads read it: each field converted from the socket as
    /// `bpf_sock_convert_ctx_access` loads it (ports: src_port host order, dst_port network order
    /// in the low 16 bits; rx_queue_mapping -1 when none).
    pub fn bpf_sock(&self) -> [u8; BPF_SOCK_SIZE] {
        let mut b = [0u8; BPF_SOCK_SIZE];
        let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
        put(0, &self.bound_dev_if.to_le_bytes());
        put(4, &u32::from(self.family).to_le_bytes());
        put(8, &self.proto.sock_type().to_le_bytes());
        put(12, &self.proto.number().to_le_bytes());
        put(16, &self.mark.to_le_bytes());
        put(20, &self.priority.to_le_bytes());
        put(24, &self.rcv_saddr4().octets());
        put(28, &self.rcv_saddr6().octets());
        put(44, &u32::from(self.local_port).to_le_bytes());
        put(48, &self.remote_port.to_be_bytes());
        put(52, &self.daddr4().octets());
        put(56, &self.daddr6().octets());
        put(72, &u32::from(self.state).to_le_bytes());
        put(76, &self.rx_queue_mapping.to_le_bytes());
        b
    }
}

/// `sizeof(struct bpf_sock)`.
pub const BPF_SOCK_SIZE: usize = 80;

fn v4_view(a: IpAddr) -> Ipv4Addr {
    match a {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(v6) if v6.is_unspecified() => Ipv4Addr::UNSPECIFIED,
        IpAddr::V6(v6) => v6.to_ipv4_mapped().unwrap_or(LOOPBACK4_IPV6),
    }
}


/// A lookup's question: `struct bpf_sock_tuple` (saddr/sport the packet's source, the peer;
/// daddr/dport its destination, the local side; ports in network order as the tuple has them,
/// converted here) and the device it arrived on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuple {
    pub saddr: IpAddr,
    pub sport: u16,
    pub daddr: IpAddr,
    pub dport: u16,
}

impl Tuple {
    /// From the tuple's bytes: 12 (ipv4) or 36 (ipv6); None for any other length.
    pub fn from_bytes(b: &[u8]) -> Option<Tuple> {
        let port = |o: usize| u16::from_be_bytes([b[o], b[o + 1]]);
        match b.len() {
            12 => Some(Tuple {
                saddr: IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
                daddr: IpAddr::V4(Ipv4Addr::new(b[4], b[5], b[6], b[7])),
                sport: port(8),
                dport: port(10),
            }),
            36 => {
                let a = |o: usize| IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&b[o..o + 16]).unwrap()));
                Some(Tuple { saddr: a(0), daddr: a(16), sport: port(32), dport: port(34) })
            }
            _ => None,
        }
    }
}

fn dev_ok(s: &Socket, dif: u32) -> bool {
    s.bound_dev_if == 0 || s.bound_dev_if == dif
}

/// The socket (any kind) a packet with `t` arriving on `dif` in namespace `ns` belongs to: what
/// `sk_lookup` in net/core/filter.c finds (bpf_skc_lookup_tcp's answer).
pub fn lookup(st: &State, ns: usize, proto: Proto, t: &Tuple, dif: u32) -> Option<u64> {
    let v4 = t.saddr.is_ipv4();
    let in_ns = |s: &&Socket| s.netns == ns && s.proto == proto;
    match proto {
        Proto::Tcp => {
            // The established hash: every TCP socket that is neither listening nor closed.
            let established = st.sockets.values().filter(in_ns).find(|s| {
                if matches!(s.state, SockState::LISTEN | SockState::CLOSE) || s.local_port != t.dport || s.remote_port != t.sport || !dev_ok(s, dif) {
                    return false;
                }
                match (t.saddr, t.daddr) {
                    (IpAddr::V4(sa), IpAddr::V4(da)) => s.v4_hashed() && s.daddr4() == sa && s.rcv_saddr4() == da,
                    // a v4-mapped tuple hashes into the IPv6 table, where v4-mapped sockets are not
                    _ => s.family == AF_INET6 && !s.v4_hashed() && IpAddr::V6(s.daddr6()) == t.saddr && IpAddr::V6(s.rcv_saddr6()) == t.daddr,
                }
            });
            if let Some(s) = established {
                return Some(s.id);
            }
            let score = |s: &Socket, addr: IpAddr| -> Option<u32> {
                if s.state != SockState::LISTEN || s.local_port != t.dport || !dev_ok(s, dif) {
                    return None;
                }
                let bound = if s.bound_dev_if != 0 { 2 } else { 1 };
                match addr {
                    IpAddr::V4(a) => {
                        if (s.family == AF_INET6 && s.v6only) || s.rcv_saddr4() != a {
                            return None;
                        }
                        Some(bound + u32::from(s.family == AF_INET))
                    }
                    IpAddr::V6(a) => (s.family == AF_INET6 && s.rcv_saddr6() == a).then_some(bound),
                }
            };
            best_of_two_passes(st, ns, proto, t.daddr, v4, score)
        }
        Proto::Udp => {
            let score = |s: &Socket, addr: IpAddr| -> Option<u32> {
                if s.local_port != t.dport || !dev_ok(s, dif) {
                    return None;
                }
                let bound = if s.bound_dev_if != 0 { 4 } else { 0 };
                match addr {
                    IpAddr::V4(a) => {
                        if (s.family == AF_INET6 && s.v6only) || s.rcv_saddr4() != a {
                            return None;
                        }
                        let mut score = if s.family == AF_INET { 2 } else { 1 };
                        let peer = s.daddr4();
                        if !peer.is_unspecified() {
                            if IpAddr::V4(peer) != t.saddr {
                                return None;
                            }
                            score += 4;
                        }
                        if s.remote_port != 0 {
                            if s.remote_port != t.sport {
                                return None;
                            }
                            score += 4;
                        }
                        Some(score + bound)
                    }
                    IpAddr::V6(a) => {
                        if s.family != AF_INET6 || s.rcv_saddr6() != a {
                            return None;
                        }
                        let mut score = 0;
                        if s.remote_port != 0 {
                            if s.remote_port != t.sport {
                                return None;
                            }
                            score += 1;
                        }
                        if !s.daddr6().is_unspecified() {
                            if IpAddr::V6(s.daddr6()) != t.saddr {
                                return None;
                            }
                            score += 1;
                        }
                        Some(score + u32::from(bound != 0))
                    }
                }
            };
            best_of_two_passes(st, ns, proto, t.daddr, v4, score)
        }
    }
}

/// The best-scoring socket bound to `daddr` exactly, else to the wildcard address; among equals
/// the one bound last (the kernel adds to the head of a bucket). Reuseport groups are not
/// modelled: the group's last socket answers, where the kernel picks one by the tuple's hash.
fn best_of_two_passes(st: &State, ns: usize, proto: Proto, daddr: IpAddr, v4: bool, score: impl Fn(&Socket, IpAddr) -> Option<u32>) -> Option<u64> {
    let any = if v4 { IpAddr::V4(Ipv4Addr::UNSPECIFIED) } else { IpAddr::V6(Ipv6Addr::UNSPECIFIED) };
    let passes: &[IpAddr] = if daddr == any { &[any] } else { &[daddr, any] };
    for &addr in passes {
        let mut best: Option<(u32, u64)> = None;
        for s in st.sockets.values().filter(|s| s.netns == ns && s.proto == proto) {
            if let Some(sc) = score(s, addr) {
                if best.is_none_or(|(b, _)| sc >= b) {
                    best = Some((sc, s.id));
                }
            }
        }
        if let Some((_, id)) = best {
            return Some(id);
        }
    }
    None
}

/// bpf_sk_lookup_*'s answer from bpf_skc_lookup's: a full socket only. A request socket stands
/// for its listener (`sk_to_full_sk`); a timewait socket for nothing.
pub fn full_sock(st: &State, id: u64) -> Option<u64> {
    let s = st.sockets.get(&id)?;
    match s.state {
        SockState::NEW_SYN_RECV => s.listener.filter(|l| st.sockets.contains_key(l)),
        SockState::TIME_WAIT => None,
        _ => Some(id),
    }
}

#[cfg(test)]
mod tests {
    use super::super::HostNet;
    use super::*;

    fn v4(s: &str) -> IpAddr {
        IpAddr::V4(s.parse().unwrap())
    }
    fn v6(s: &str) -> IpAddr {
        IpAddr::V6(s.parse().unwrap())
    }
    fn tuple(sa: IpAddr, sp: u16, da: IpAddr, dp: u16) -> Tuple {
        Tuple { saddr: sa, sport: sp, daddr: da, dport: dp }
    }

    #[test]
    fn established_before_listener_and_exact_address_before_wildcard() {
        let h = HostNet::new();
        let any = h.add_socket(SocketSpec::new(0, Proto::Tcp, (v4("0.0.0.0"), 80))).unwrap();
        let exact = h.add_socket(SocketSpec::new(0, Proto::Tcp, (v4("127.0.0.1"), 80))).unwrap();
        let mut e = SocketSpec::new(0, Proto::Tcp, (v4("127.0.0.1"), 80));
        e.remote = Some((v4("127.0.0.2"), 4000));
        let est = h.add_socket(e).unwrap();
        let st = h.state();
        assert_eq!(lookup(&st, 0, Proto::Tcp, &tuple(v4("127.0.0.2"), 4000, v4("127.0.0.1"), 80), 1), Some(est));
        assert_eq!(lookup(&st, 0, Proto::Tcp, &tuple(v4("127.0.0.2"), 4001, v4("127.0.0.1"), 80), 1), Some(exact));
        assert_eq!(lookup(&st, 0, Proto::Tcp, &tuple(v4("127.0.0.2"), 4001, v4("10.0.0.1"), 80), 1), Some(any));
        assert_eq!(lookup(&st, 0, Proto::Tcp, &tuple(v4("127.0.0.2"), 4001, v4("10.0.0.1"), 81), 1), None);
        // another namespace sees none of them
        assert_eq!(lookup(&st, 1, Proto::Tcp, &tuple(v4("127.0.0.2"), 4000, v4("127.0.0.1"), 80), 1), None);
        // UDP sees no TCP socket
        assert_eq!(lookup(&st, 0, Proto::Udp, &tuple(v4("127.0.0.2"), 4000, v4("127.0.0.1"), 80), 1), None);
    }

    #[test]
    fn dual_stack_v6_listeners_answer_v4_unless_v6only_and_af_inet_wins_a_tie() {
        let h = HostNet::new();
        let dual = h.add_socket(SocketSpec::new(0, Proto::Tcp, (v6("::"), 80))).unwrap();
        let mut only = SocketSpec::new(0, Proto::Tcp, (v6("::"), 81));
        only.v6only = true;
        h.add_socket(only).unwrap();
        let t = |p| tuple(v4("10.0.0.2"), 999, v4("10.0.0.1"), p);
        assert_eq!(lookup(&h.state(), 0, Proto::Tcp, &t(80), 1), Some(dual));
        assert_eq!(lookup(&h.state(), 0, Proto::Tcp, &t(81), 1), None);
        let inet = h.add_socket(SocketSpec::new(0, Proto::Tcp, (v4("0.0.0.0"), 80))).unwrap();
        assert_eq!(lookup(&h.state(), 0, Proto::Tcp, &t(80), 1), Some(inet));
        // a v6 tuple never finds the AF_INET socket, the dual-stack one answers v4-mapped addresses
        let t6 = tuple(v6("::ffff:10.0.0.2"), 999, v6("::ffff:10.0.0.1"), 80);
        assert_eq!(lookup(&h.state(), 0, Proto::Tcp, &t6, 1), Some(dual));
    }

    #[test]
    fn v4_mapped_established_v6_socket_answers_a_v4_tuple() {
        let h = HostNet::new();
        let mut e = SocketSpec::new(0, Proto::Tcp, (v6("::ffff:127.0.0.1"), 80));
        e.remote = Some((v4("127.0.0.1"), 5000));
        let id = h.add_socket(e).unwrap();
        let st = h.state();
        assert_eq!(lookup(&st, 0, Proto::Tcp, &tuple(v4("127.0.0.1"), 5000, v4("127.0.0.1"), 80), 1), Some(id));
        // the v4-mapped v6 tuple hashes into the IPv6 table, where the socket is not
        assert_eq!(lookup(&st, 0, Proto::Tcp, &tuple(v6("::ffff:127.0.0.1"), 5000, v6("::ffff:127.0.0.1"), 80), 1), None);
        let b = st.sockets[&id].bpf_sock();
        assert_eq!(&b[4..8], &10u32.to_le_bytes());
        assert_eq!(&b[24..28], &[127, 0, 0, 1]);
        assert_eq!(&b[48..50], &5000u16.to_be_bytes());
        assert_eq!(&b[44..48], &80u32.to_le_bytes());
        assert_eq!(&b[76..80], &(-1i32).to_le_bytes());
        // a v6 socket bound to a plain v6 address keeps 127.0.0.6 as its v4 address
        drop(st);
        let l = h.add_socket(SocketSpec::new(0, Proto::Tcp, (v6("::1"), 81))).unwrap();
        assert_eq!(&h.state().sockets[&l].bpf_sock()[24..28], &[127, 0, 0, 6]);
        // an AF_INET socket's v6 fields: zero when bound, v4-mapped once TCP connected it
        let l4 = h.add_socket(SocketSpec::new(0, Proto::Tcp, (v4("127.0.0.1"), 82))).unwrap();
        let mut c = SocketSpec::new(0, Proto::Tcp, (v4("127.0.0.1"), 83));
        c.remote = Some((v4("127.0.0.2"), 84));
        let c = h.add_socket(c).unwrap();
        let st = h.state();
        assert_eq!(&st.sockets[&l4].bpf_sock()[28..44], &[0; 16]);
        assert_eq!(&st.sockets[&c].bpf_sock()[28..44], &Ipv6Addr::from(v4_to_mapped("127.0.0.1")).octets());
        assert_eq!(&st.sockets[&c].bpf_sock()[56..72], &Ipv6Addr::from(v4_to_mapped("127.0.0.2")).octets());
    }

    fn v4_to_mapped(s: &str) -> Ipv6Addr {
        s.parse::<Ipv4Addr>().unwrap().to_ipv6_mapped()
    }

    #[test]
    fn udp_connected_beats_unconnected_and_bound_device_must_match() {
        let h = HostNet::new();
        let open = h.add_socket(SocketSpec::new(0, Proto::Udp, (v4("0.0.0.0"), 53))).unwrap();
        let mut c = SocketSpec::new(0, Proto::Udp, (v4("0.0.0.0"), 53));
        c.remote = Some((v4("10.0.0.9"), 7));
        let conn = h.add_socket(c).unwrap();
        let mut d = SocketSpec::new(0, Proto::Udp, (v4("0.0.0.0"), 54));
        d.bound_dev_if = 3;
        let dev = h.add_socket(d).unwrap();
        let st = h.state();
        assert_eq!(lookup(&st, 0, Proto::Udp, &tuple(v4("10.0.0.9"), 7, v4("1.2.3.4"), 53), 1), Some(conn));
        assert_eq!(lookup(&st, 0, Proto::Udp, &tuple(v4("10.0.0.9"), 8, v4("1.2.3.4"), 53), 1), Some(open));
        assert_eq!(lookup(&st, 0, Proto::Udp, &tuple(v4("10.0.0.9"), 8, v4("1.2.3.4"), 54), 1), None);
        assert_eq!(lookup(&st, 0, Proto::Udp, &tuple(v4("10.0.0.9"), 8, v4("1.2.3.4"), 54), 3), Some(dev));
    }

    #[test]
    fn request_sockets_stand_for_their_listener_and_timewait_for_nothing() {
        let h = HostNet::new();
        let l = h.add_socket(SocketSpec::new(0, Proto::Tcp, (v4("10.0.0.1"), 80))).unwrap();
        let mut r = SocketSpec::new(0, Proto::Tcp, (v4("10.0.0.1"), 80));
        r.remote = Some((v4("10.0.0.2"), 1000));
        r.state = Some(SockState::NEW_SYN_RECV);
        r.listener = Some(l);
        let req = h.add_socket(r).unwrap();
        let mut w = SocketSpec::new(0, Proto::Tcp, (v4("10.0.0.1"), 80));
        w.remote = Some((v4("10.0.0.2"), 1001));
        w.state = Some(SockState::TIME_WAIT);
        let tw = h.add_socket(w).unwrap();
        let st = h.state();
        assert_eq!(lookup(&st, 0, Proto::Tcp, &tuple(v4("10.0.0.2"), 1000, v4("10.0.0.1"), 80), 1), Some(req));
        assert_eq!(full_sock(&st, req), Some(l));
        assert_eq!(lookup(&st, 0, Proto::Tcp, &tuple(v4("10.0.0.2"), 1001, v4("10.0.0.1"), 80), 1), Some(tw));
        assert_eq!(full_sock(&st, tw), None);
    }

    #[test]
    fn tuples_of_other_sizes_are_no_tuples() {
        assert!(Tuple::from_bytes(&[0; 12]).is_some());
        assert!(Tuple::from_bytes(&[0; 36]).is_some());
        for n in [0, 11, 13, 35, 37] {
            assert!(Tuple::from_bytes(&vec![0; n]).is_none());
        }
    }

    #[test]
    fn bad_sockets_are_refused() {
        let h = HostNet::new();
        let mut s = SocketSpec::new(0, Proto::Udp, (v4("0.0.0.0"), 1));
        s.state = Some(SockState::LISTEN);
        assert_eq!(h.add_socket(s).unwrap_err().errno, Errno::EINVAL);
        let mut s = SocketSpec::new(0, Proto::Tcp, (v6("::1"), 1));
        s.family = AF_INET;
        assert_eq!(h.add_socket(s).unwrap_err().errno, Errno::EINVAL);
        assert_eq!(h.add_socket(SocketSpec::new(5, Proto::Tcp, (v4("0.0.0.0"), 1))).unwrap_err().errno, Errno::ENOENT);
    }
}
