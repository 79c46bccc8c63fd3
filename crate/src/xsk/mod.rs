//! AF_XDP sockets (`net/xdp/xsk.c`, `xsk_buff_pool.c`, `xsk_queue.h` of Linux 6.18, re-described):
//! a UMEM registered by the socket, its four rings (fill, completion, RX, TX: [`ring`]), bind to a
//! device queue, copy-mode receive from a driver's `xdp_buff` (`__xsk_rcv`, chains of
//! `XDP_PKT_CONTD` descriptors with `XDP_USE_SG`), the flush at the end of a NAPI poll, the
//! generic (copy-mode) transmit that turns TX descriptors into packets for the device
//! (`__xsk_generic_xmit`, completions when the packet is freed), and `XDP_STATISTICS`.
//!
//! The socket knows no device: the driver glue (`mvneta::xsk`) checks the device side of a bind
//! (queues, zero-copy support, one buffer pool per queue) and hands [`XskSocket::sendto`] a
//! transmit function. Zero-copy is not modelled: the emulated mvneta, like the real one, has no
//! `ndo_xsk_wakeup`, so `XDP_ZEROCOPY` is refused with EOPNOTSUPP and sockets run in copy mode.
//!
//! As in the kernel, a bound socket takes its buffers from a [`BufferPool`] (`xsk_buff_pool`)
//! that owns the fill and completion rings; the UMEM ([`Umem`]) is shared by reference. Two
//! modes of UMEM: aligned chunks (fill addresses rounded down to their chunk, RX addresses the
//! data's), and unaligned chunks (`XDP_UMEM_UNALIGNED_CHUNK_FLAG`: any byte address, RX
//! addresses the chunk's with the data offset in the upper 16 bits, TX addresses read as base +
//! offset). `XDP_SHARED_UMEM` binds a socket to another's UMEM: on the same device and queue it
//! shares that socket's pool (and so its fill and completion rings), elsewhere it brings its own.

pub mod ring;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

pub use ring::{Ring, RingState, XdpDesc, XDP_RING_NEED_WAKEUP};

use crate::errno::{Errno, Result, XdpError};
use crate::frame::XdpBuff;

/// `sockaddr_xdp.sxdp_flags`.
pub const XDP_SHARED_UMEM: u32 = 1 << 0;
pub const XDP_COPY: u32 = 1 << 1;
pub const XDP_ZEROCOPY: u32 = 1 << 2;
pub const XDP_USE_NEED_WAKEUP: u32 = 1 << 3;
pub const XDP_USE_SG: u32 = 1 << 4;
/// `xdp_umem_reg.flags`.
pub const XDP_UMEM_UNALIGNED_CHUNK_FLAG: u32 = 1 << 0;
pub const XDP_UMEM_TX_SW_CSUM: u32 = 1 << 1;
pub const XDP_UMEM_TX_METADATA_LEN: u32 = 1 << 2;
/// `xdp_desc.options`.
pub const XDP_PKT_CONTD: u32 = 1 << 0;
pub const XDP_TX_METADATA: u32 = 1 << 1;
/// `XDP_UMEM_MIN_CHUNK_SIZE`, and the largest chunk (a page).
pub const XDP_UMEM_MIN_CHUNK_SIZE: u32 = 2048;
pub const PAGE_SIZE: u32 = 4096;
/// `XDP_PACKET_HEADROOM`: the kernel's headroom before the user's, in every RX chunk.
pub const XDP_PACKET_HEADROOM: u32 = 256;
/// The least a chunk keeps besides the user's headroom: XDP_PACKET_HEADROOM and 448 bytes (what
/// Linux 6.18.44 was measured to refuse below: headroom up to chunk_size - 704 is taken).
pub const MIN_CHUNK_ROOM: u32 = XDP_PACKET_HEADROOM + 448;
/// `TX_BATCH_SIZE`: descriptors one sendto handles before it answers EAGAIN.
pub const TX_BATCH_SIZE: u32 = 32;
/// `MAX_SKB_FRAGS`: a copy-mode TX packet is a head and at most 16 more buffers.
pub const MAX_SKB_FRAGS: usize = 17;
/// The emulator's limit on one UMEM (user memory the socket registers).
pub const MAX_UMEM_SIZE: u64 = 1 << 30;

/// `XSK_UNALIGNED_BUF_OFFSET_SHIFT`: in unaligned mode a descriptor's address carries an offset
/// in its upper 16 bits and the buffer's base in the lower 48.
pub const XSK_UNALIGNED_BUF_OFFSET_SHIFT: u32 = 48;
pub const XSK_UNALIGNED_BUF_ADDR_MASK: u64 = (1 << XSK_UNALIGNED_BUF_OFFSET_SHIFT) - 1;
/// `XDP_UMEM_SG_FLAG`: set on the UMEM by the first bind with XDP_USE_SG; sockets sharing the
/// UMEM inherit it.
pub const XDP_UMEM_SG_FLAG: u32 = 1 << 1;

/// `xp_unaligned_add_offset_to_addr`: where an unaligned-mode address points (base + offset).
pub fn unaligned_add_offset_to_addr(addr: u64) -> u64 {
    (addr & XSK_UNALIGNED_BUF_ADDR_MASK) + (addr >> XSK_UNALIGNED_BUF_OFFSET_SHIFT)
}

/// `struct xdp_umem_reg`, without the address: the emulation allocates the area itself (what user
/// space would have mmap'ed), zeroed, and lends it to the embedder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UmemReg {
    pub size: u64,
    pub chunk_size: u32,
    pub headroom: u32,
    pub flags: u32,
}

/// A registered UMEM (`struct xdp_umem`): the area and its geometry. Shared (`Rc`) by every
/// socket and buffer pool on it (XDP_SHARED_UMEM); the area never moves while one holds it.
pub struct Umem {
    pub reg: UmemReg,
    /// `XDP_UMEM_SG_FLAG`, set by a bind with XDP_USE_SG.
    sg: bool,
    mem: Box<[u8]>,
}

pub type SharedUmem = Rc<RefCell<Umem>>;

impl Umem {
    /// `xdp_umem_reg`'s checks, in the kernel's order. Unaligned chunks
    /// (`XDP_UMEM_UNALIGNED_CHUNK_FLAG`) lift the power-of-two and whole-chunks rules.
    pub fn new(reg: UmemReg) -> Result<Umem> {
        const OP: &str = "xdp_umem_reg";
        let einval = |m: &str| XdpError::new(Errno::EINVAL, OP, m.to_string());
        if reg.chunk_size < XDP_UMEM_MIN_CHUNK_SIZE || reg.chunk_size > PAGE_SIZE {
            return Err(einval("chunk_size must be 2048 to 4096 (the page size)")
                .len(u64::from(reg.chunk_size))
                .limit(u64::from(PAGE_SIZE)));
        }
        if reg.flags & !(XDP_UMEM_UNALIGNED_CHUNK_FLAG | XDP_UMEM_TX_SW_CSUM | XDP_UMEM_TX_METADATA_LEN) != 0 {
            return Err(einval("unknown UMEM flags"));
        }
        let unaligned = reg.flags & XDP_UMEM_UNALIGNED_CHUNK_FLAG != 0;
        if !unaligned && !reg.chunk_size.is_power_of_two() {
            return Err(einval("chunk_size must be a power of two without XDP_UMEM_UNALIGNED_CHUNK_FLAG").len(u64::from(reg.chunk_size)));
        }
        if reg.size == 0 || reg.size / u64::from(reg.chunk_size) == 0 {
            return Err(einval("the UMEM holds no chunk").len(reg.size));
        }
        if !unaligned && !reg.size.is_multiple_of(u64::from(reg.chunk_size)) {
            return Err(einval("the UMEM size is not a whole number of chunks").len(reg.size).limit(u64::from(reg.chunk_size)));
        }
        if reg.headroom > reg.chunk_size - MIN_CHUNK_ROOM {
            return Err(einval(&format!(
                "headroom leaves less than {} bytes of a chunk after XDP_PACKET_HEADROOM",
                MIN_CHUNK_ROOM - XDP_PACKET_HEADROOM
            ))
            .len(u64::from(reg.headroom))
            .limit(u64::from(reg.chunk_size - MIN_CHUNK_ROOM)));
        }
        if reg.flags & (XDP_UMEM_TX_METADATA_LEN | XDP_UMEM_TX_SW_CSUM) != 0 {
            return Err(XdpError::new(Errno::EOPNOTSUPP, OP, "TX metadata is not emulated"));
        }
        if reg.size > MAX_UMEM_SIZE {
            return Err(XdpError::new(Errno::ENOMEM, OP, "the UMEM is larger than the emulator allows").len(reg.size).limit(MAX_UMEM_SIZE));
        }
        Ok(Umem { reg, sg: false, mem: vec![0u8; reg.size as usize].into_boxed_slice() })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.mem
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.mem
    }

    pub fn chunk_size(&self) -> u32 {
        self.reg.chunk_size
    }

    /// `umem->chunks`: whole chunks in the area (in unaligned mode the rest is usable too).
    pub fn chunks(&self) -> u64 {
        self.reg.size / u64::from(self.reg.chunk_size)
    }

    /// `XDP_UMEM_UNALIGNED_CHUNK_FLAG`.
    pub fn unaligned(&self) -> bool {
        self.reg.flags & XDP_UMEM_UNALIGNED_CHUNK_FLAG != 0
    }

    /// `xsk_pool_get_rx_frame_size`: data bytes a chunk takes on RX.
    pub fn rx_frame_size(&self) -> u32 {
        self.reg.chunk_size - self.reg.headroom - XDP_PACKET_HEADROOM
    }

    /// Where RX data starts in a chunk (the descriptor's address relative to the chunk).
    pub fn rx_data_offset(&self) -> u64 {
        u64::from(self.reg.headroom + XDP_PACKET_HEADROOM)
    }

    /// `xp_get_handle`: the RX descriptor's address of a buffer whose chunk starts at `chunk`:
    /// the data's address in aligned mode; in unaligned mode the chunk's address with the data's
    /// offset in the upper 16 bits.
    pub fn rx_handle(&self, chunk: u64) -> u64 {
        if self.unaligned() {
            chunk + (self.rx_data_offset() << XSK_UNALIGNED_BUF_OFFSET_SHIFT)
        } else {
            chunk + self.rx_data_offset()
        }
    }

    /// `xp_check_aligned` / `xp_check_unaligned`: the chunk a fill-ring address gives, or None
    /// when it is invalid. Aligned: rounded down to its chunk, inside the UMEM. Unaligned: any
    /// byte address (the upper 16 bits dropped) with a whole chunk after it inside the UMEM; a
    /// chunk may cross pages, as copy mode has no DMA mapping whose page contiguity would matter.
    pub fn fill_chunk(&self, addr: u64) -> Option<u64> {
        let size = self.reg.size;
        if self.unaligned() {
            let base = addr & XSK_UNALIGNED_BUF_ADDR_MASK;
            (base < size && base + u64::from(self.reg.chunk_size) <= size).then_some(base)
        } else {
            let chunk = addr & !(u64::from(self.reg.chunk_size) - 1);
            (chunk < size).then_some(chunk)
        }
    }

    /// `xp_aligned_validate_desc` / `xp_unaligned_validate_desc`: where a TX descriptor's data
    /// starts, or None when it is invalid. Both modes: non-empty, no option bits but
    /// XDP_PKT_CONTD and XDP_TX_METADATA. Aligned: within one chunk, inside the UMEM. Unaligned:
    /// base + offset and at most chunk_size bytes from there inside the UMEM, anywhere (pages
    /// may be crossed in copy mode).
    pub fn tx_data_addr(&self, d: &XdpDesc) -> Option<u64> {
        let len = u64::from(d.len);
        let size = self.reg.size;
        let chunk = u64::from(self.reg.chunk_size);
        if len == 0 || d.options & !(XDP_PKT_CONTD | XDP_TX_METADATA) != 0 {
            return None;
        }
        if self.unaligned() {
            let addr = unaligned_add_offset_to_addr(d.addr);
            (len <= chunk && addr < size && addr + len <= size).then_some(addr)
        } else {
            let offset = d.addr & (chunk - 1);
            (offset + len <= chunk && d.addr < size).then_some(d.addr)
        }
    }
}

/// `struct xsk_buff_pool` in copy mode: what one device queue takes buffers from. It owns the
/// fill and completion rings; sockets bound to the same device and queue with XDP_SHARED_UMEM
/// share it (and so those two rings), a socket sharing the UMEM on another queue or device has
/// a pool of its own with its own fill and completion rings.
pub struct BufferPool {
    umem: SharedUmem,
    fill: Ring<u64>,
    /// Shared with the completions of packets in flight.
    completion: Rc<RefCell<Ring<u64>>>,
    /// Chunks the kernel took off the fill ring and holds (a copy that found the RX ring full
    /// gives its chunk back here, not to user space). Newest first out.
    free_list: Vec<u64>,
    /// `uses_need_wakeup`: XDP_USE_NEED_WAKEUP at the bind that made the pool.
    uses_need_wakeup: bool,
}

pub type SharedPool = Rc<RefCell<BufferPool>>;

impl BufferPool {
    /// `xp_alloc`: a chunk from the free list, else from the fill ring (invalid entries are
    /// skipped; an empty ring is counted).
    fn alloc_chunk(&mut self) -> Option<u64> {
        if let Some(c) = self.free_list.pop() {
            return Some(c);
        }
        let umem = self.umem.borrow();
        loop {
            let raw = self.fill.cons_peek()?;
            self.fill.cons_release();
            if let Some(chunk) = umem.fill_chunk(raw) {
                return Some(chunk);
            }
            self.fill.invalid_descs += 1;
        }
    }

    /// `xp_can_alloc`.
    fn can_alloc(&mut self, n: u32) -> bool {
        let held = self.free_list.len() as u32;
        if held >= n {
            return true;
        }
        let want = n - held;
        let avail = self.fill.cons_nb_entries(want);
        if avail == 0 {
            self.fill.queue_empty_descs += 1;
        }
        avail >= want
    }
}

/// `struct xdp_statistics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XdpStatistics {
    pub rx_dropped: u64,
    pub rx_invalid_descs: u64,
    pub tx_invalid_descs: u64,
    pub rx_ring_full: u64,
    pub rx_fill_ring_empty_descs: u64,
    pub tx_ring_empty_descs: u64,
}

/// Which ring a `setsockopt` creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingKind {
    Rx,
    Tx,
    Fill,
    Completion,
}

impl RingKind {
    pub fn option(self) -> &'static str {
        match self {
            RingKind::Rx => "XDP_RX_RING",
            RingKind::Tx => "XDP_TX_RING",
            RingKind::Fill => "XDP_UMEM_FILL_RING",
            RingKind::Completion => "XDP_UMEM_COMPLETION_RING",
        }
    }
}

/// What the device offers a bind (the driver glue fills it in).
#[derive(Clone, Copy, Debug)]
pub struct BindTarget {
    pub ifindex: u32,
    pub queue_id: u32,
    /// `max(real_num_rx_queues, real_num_tx_queues)`.
    pub queues: u32,
    /// Another socket's pool is on this queue already.
    pub queue_taken: bool,
    /// The driver implements `ndo_xsk_wakeup` (zero-copy).
    pub zerocopy: bool,
}

/// Where a socket is bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    pub ifindex: u32,
    pub queue_id: u32,
    pub flags: u32,
}

/// How the device took one packet of a `sendto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XmitStatus {
    /// Queued (`NETDEV_TX_OK`); the completion comes when the device frees it.
    Sent,
    /// The queue is stopped (`NETDEV_TX_BUSY`): the descriptors go back on the TX ring; the
    /// device must [`TxCompletion::disarm`] the packet's completion.
    Busy,
    /// Freed without being sent (`NET_XMIT_DROP`, the device is down).
    Dropped,
}

/// The completion a transmitted packet owes: its descriptors' addresses, written to the
/// completion ring when the device frees the packet (`xsk_destruct_skb`). Dropping it is that
/// moment.
pub struct TxCompletion {
    cq: Weak<RefCell<Ring<u64>>>,
    addrs: Vec<u64>,
}

impl TxCompletion {
    pub fn descs(&self) -> usize {
        self.addrs.len()
    }

    /// The completion of a descriptor that never reached a device: its slot reserved now (the
    /// address is dropped from it when the ring is full).
    fn reserved(mut self) -> TxCompletion {
        if let Some(cq) = self.cq.upgrade() {
            let mut cq = cq.borrow_mut();
            let room = (cq.prod_nb_free(self.addrs.len() as u32) as usize).min(self.addrs.len());
            self.addrs.truncate(room);
            for _ in 0..room {
                cq.prod_reserve_slot();
            }
        }
        self
    }

    /// Forgets the addresses without writing them: for a packet the device refused as busy,
    /// whose reserved completion slots [`XskSocket::sendto`] gives back.
    pub fn disarm(mut self) {
        self.addrs.clear();
    }
}

impl Drop for TxCompletion {
    fn drop(&mut self) {
        if let Some(cq) = self.cq.upgrade() {
            let mut cq = cq.borrow_mut();
            for &a in &self.addrs {
                cq.prod_write_submit(a);
            }
        }
    }
}

/// One packet a `sendto` hands the device: its buffers (head, then frags) and its completion.
pub struct TxPacket<'a> {
    pub segments: Vec<&'a [u8]>,
    pub completion: TxCompletion,
}

/// What a bind with XDP_SHARED_UMEM learns of the socket named by `sxdp_shared_umem_fd`, read
/// before the binding socket is borrowed (it may name itself).
#[derive(Clone)]
pub enum SharedUmemSource {
    /// The handle names no socket (closed): `xsk_lookup_xsk_from_fd`'s ENOTSOCK.
    NotASocket,
    Socket {
        bound: Option<Bound>,
        umem: Option<SharedUmem>,
        pool: Option<SharedPool>,
    },
}

/// An AF_XDP socket (`struct xdp_sock`): its RX and TX rings, the UMEM it registered or shares,
/// the fill and completion rings it set up before bind (`fq_tmp`, `cq_tmp`), and once bound the
/// buffer pool that owns the fill and completion rings in use.
#[derive(Default)]
pub struct XskSocket {
    umem: Option<SharedUmem>,
    rx: Option<Ring<XdpDesc>>,
    tx: Option<Ring<XdpDesc>>,
    fill_tmp: Option<Ring<u64>>,
    completion_tmp: Option<Ring<u64>>,
    pool: Option<SharedPool>,
    bound: Option<Bound>,
    /// `xs->sg`: the UMEM's XDP_UMEM_SG_FLAG when bound.
    sg: bool,
    rx_dropped: u64,
    rx_queue_full: u64,
    /// A multi-buffer packet whose last descriptor has not come yet (`xs->skb`): its
    /// descriptors are consumed and their completion slots reserved.
    partial_tx: Vec<XdpDesc>,
    /// Redirected frames wait for the end of the poll (`xs->flush_node`).
    flush_pending: bool,
}

impl std::fmt::Debug for XskSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XskSocket").field("bound", &self.bound).finish()
    }
}

fn einval(op: &'static str, msg: impl Into<String>) -> XdpError {
    XdpError::new(Errno::EINVAL, op, msg)
}

impl XskSocket {
    pub fn new() -> XskSocket {
        XskSocket::default()
    }

    /// `setsockopt(XDP_UMEM_REG)`: EBUSY once bound or with a UMEM (its own or shared).
    pub fn register_umem(&mut self, reg: UmemReg) -> Result<()> {
        if self.bound.is_some() || self.umem.is_some() {
            return Err(XdpError::new(Errno::EBUSY, "xdp_umem_reg", "the socket already has a UMEM"));
        }
        self.umem = Some(Rc::new(RefCell::new(Umem::new(reg)?)));
        Ok(())
    }

    /// `setsockopt(XDP_{RX,TX}_RING, XDP_UMEM_{FILL,COMPLETION}_RING)`: EBUSY once bound; EINVAL
    /// for 0, a size that is not a power of two, or a ring that exists (`xsk_init_queue`). Fill
    /// and completion rings need no UMEM yet (a socket that will share one brings its own for
    /// another queue).
    pub fn create_ring(&mut self, kind: RingKind, entries: u32) -> Result<()> {
        let op = kind.option();
        if self.bound.is_some() {
            return Err(XdpError::new(Errno::EBUSY, op, "the socket is bound"));
        }
        let exists = match kind {
            RingKind::Rx => self.rx.is_some(),
            RingKind::Tx => self.tx.is_some(),
            RingKind::Fill => self.fill_tmp.is_some(),
            RingKind::Completion => self.completion_tmp.is_some(),
        };
        if entries == 0 || !entries.is_power_of_two() || exists {
            let why =
                if exists { "the ring exists already".to_string() } else { format!("{entries} entries: a ring size is a power of two") };
            return Err(einval(op, why).len(u64::from(entries)));
        }
        match kind {
            RingKind::Rx => self.rx = Some(Ring::new(entries)),
            RingKind::Tx => {
                // The TX ring needs a first explicit wakeup, and copy mode never clears it
                // (Linux 6.18.44 shows XDP_RING_NEED_WAKEUP with or without
                // XDP_USE_NEED_WAKEUP).
                let mut tx = Ring::new(entries);
                tx.set_flags(XDP_RING_NEED_WAKEUP);
                self.tx = Some(tx);
            }
            RingKind::Fill => self.fill_tmp = Some(Ring::new(entries)),
            RingKind::Completion => self.completion_tmp = Some(Ring::new(entries)),
        }
        Ok(())
    }

    /// What a socket binding with XDP_SHARED_UMEM and this socket's fd learns of it.
    pub fn shared_umem_source(&self) -> SharedUmemSource {
        SharedUmemSource::Socket { bound: self.bound, umem: self.umem.clone(), pool: self.pool.clone() }
    }

    /// `xsk_bind` with the device's side checked by the caller into `target`, in the kernel's
    /// order: flags, state (EBUSY), rings (EINVAL); then either XDP_SHARED_UMEM with `shared`
    /// (no other flag, no UMEM of its own: EINVAL; the socket named: ENOTSOCK, EBADF unbound;
    /// the same device and queue: the other socket's buffer pool, EINVAL with fill or
    /// completion rings of its own; another queue or device: a pool of its own on the shared
    /// UMEM, EINVAL without both rings, the device's checks with the first socket's mode) or a
    /// pool on its own UMEM (EINVAL without it or its rings), the device's checks being: copy
    /// and zero-copy together (EINVAL), the queue taken (EBUSY), the queue id (EINVAL),
    /// zero-copy where the driver has none (EOPNOTSUPP; without XDP_ZEROCOPY the socket falls
    /// back to copy mode).
    pub fn bind(&mut self, flags: u32, target: BindTarget, shared: Option<SharedUmemSource>) -> Result<()> {
        const OP: &str = "xsk_bind";
        if flags & !(XDP_SHARED_UMEM | XDP_COPY | XDP_ZEROCOPY | XDP_USE_NEED_WAKEUP | XDP_USE_SG) != 0 {
            return Err(einval(OP, format!("unknown bind flags {flags:#x}")));
        }
        if self.bound.is_some() {
            return Err(XdpError::new(Errno::EBUSY, OP, "the socket is bound already"));
        }
        if self.rx.is_none() && self.tx.is_none() {
            return Err(einval(OP, "the socket has neither an RX nor a TX ring"));
        }
        let pool = if flags & XDP_SHARED_UMEM != 0 {
            if flags & (XDP_COPY | XDP_ZEROCOPY | XDP_USE_NEED_WAKEUP | XDP_USE_SG) != 0 {
                return Err(einval(OP, "XDP_SHARED_UMEM takes no other flag: the mode is the UMEM owner's"));
            }
            if self.umem.is_some() {
                return Err(einval(OP, "XDP_SHARED_UMEM on a socket with a UMEM of its own"));
            }
            let (other_bound, other_umem, other_pool) = match shared {
                None | Some(SharedUmemSource::NotASocket) => {
                    return Err(XdpError::new(Errno::ENOTSOCK, OP, "sxdp_shared_umem_fd names no socket"));
                }
                Some(SharedUmemSource::Socket { bound, umem, pool }) => (bound, umem, pool),
            };
            let (Some(other), Some(umem), Some(other_pool)) = (other_bound, other_umem, other_pool) else {
                return Err(XdpError::new(Errno::EBADF, OP, "the socket whose UMEM is shared is not bound"));
            };
            if other.queue_id != target.queue_id || other.ifindex != target.ifindex {
                // One fill and one completion ring per queue: this socket's own.
                if self.fill_tmp.is_none() || self.completion_tmp.is_none() {
                    return Err(einval(OP, "sharing a UMEM on another queue or device needs a fill and a completion ring of its own"));
                }
                let sg = umem.borrow().sg;
                let op = other_pool.borrow();
                let mode = XDP_COPY | if sg { XDP_USE_SG } else { 0 } | if op.uses_need_wakeup { XDP_USE_NEED_WAKEUP } else { 0 };
                drop(op);
                Self::check_device(mode, &target)?;
                self.new_pool(umem, mode)
            } else {
                if self.fill_tmp.is_some() || self.completion_tmp.is_some() {
                    return Err(einval(OP, "sharing the buffer pool of a socket on the same queue: no fill or completion ring of its own"));
                }
                self.umem = Some(umem);
                other_pool
            }
        } else {
            let Some(umem) = self.umem.clone() else {
                return Err(einval(OP, "the socket needs a UMEM with a fill and a completion ring"));
            };
            if self.fill_tmp.is_none() || self.completion_tmp.is_none() {
                return Err(einval(OP, "the socket needs a UMEM with a fill and a completion ring"));
            }
            Self::check_device(flags, &target)?;
            self.new_pool(umem, flags)
        };
        self.sg = pool.borrow().umem.borrow().sg;
        self.pool = Some(pool);
        self.bound = Some(Bound { ifindex: target.ifindex, queue_id: target.queue_id, flags });
        Ok(())
    }

    /// `xp_assign_dev`'s checks (copy mode).
    fn check_device(flags: u32, target: &BindTarget) -> Result<()> {
        const OP: &str = "xsk_bind";
        if flags & XDP_COPY != 0 && flags & XDP_ZEROCOPY != 0 {
            return Err(einval(OP, "XDP_COPY and XDP_ZEROCOPY together"));
        }
        if target.queue_taken {
            return Err(XdpError::new(Errno::EBUSY, OP, format!("queue {} already has an AF_XDP buffer pool", target.queue_id)));
        }
        if target.queue_id >= target.queues {
            return Err(einval(OP, format!("queue {} is not one of the device's {} queues", target.queue_id, target.queues))
                .limit(u64::from(target.queues)));
        }
        if flags & XDP_ZEROCOPY != 0 && !target.zerocopy {
            return Err(XdpError::new(Errno::EOPNOTSUPP, OP, "the driver has no zero-copy support (ndo_xsk_wakeup)"));
        }
        Ok(())
    }

    /// `xp_create_and_assign_umem` + `xp_assign_dev` once the checks passed: the pool takes the
    /// socket's fill and completion rings; XDP_USE_SG marks the UMEM.
    fn new_pool(&mut self, umem: SharedUmem, flags: u32) -> SharedPool {
        if flags & XDP_USE_SG != 0 {
            umem.borrow_mut().sg = true;
        }
        self.umem = Some(Rc::clone(&umem));
        let fill = self.fill_tmp.take().expect("checked");
        let completion = Rc::new(RefCell::new(self.completion_tmp.take().expect("checked")));
        Rc::new(RefCell::new(BufferPool {
            umem,
            fill,
            completion,
            free_list: Vec::new(),
            uses_need_wakeup: flags & XDP_USE_NEED_WAKEUP != 0,
        }))
    }

    /// `close()`: the socket leaves its queue and takes no more frames; its pool lives on while
    /// another socket shares it (the queue stays taken then), and its UMEM while anyone holds it.
    pub fn close(&mut self) {
        self.bound = None;
        self.pool = None;
        self.flush_pending = false;
    }

    pub fn bound(&self) -> Option<Bound> {
        self.bound
    }

    /// `xs->sg`: XDP_USE_SG at the bind that made the UMEM's first pool.
    pub fn sg(&self) -> bool {
        self.bound.is_some() && self.sg
    }

    /// The UMEM (registered or shared).
    pub fn umem(&self) -> Option<std::cell::Ref<'_, Umem>> {
        self.umem.as_ref().map(|u| u.borrow())
    }

    /// The UMEM itself, to lend its memory.
    pub fn shared_umem(&self) -> Option<SharedUmem> {
        self.umem.clone()
    }

    /// Whether this socket and `other` use one buffer pool (XDP_SHARED_UMEM on one queue).
    pub fn shares_pool_with(&self, other: &XskSocket) -> bool {
        matches!((&self.pool, &other.pool), (Some(a), Some(b)) if Rc::ptr_eq(a, b))
    }

    /// The chunks the kernel holds in its buffer pool's free list (base addresses).
    pub fn kernel_chunks(&self) -> Vec<u64> {
        self.pool.as_ref().map_or_else(Vec::new, |p| p.borrow().free_list.clone())
    }

    /// Descriptors of a packet whose last TX descriptor has not come yet.
    pub fn partial_tx(&self) -> &[XdpDesc] {
        &self.partial_tx
    }

    /// `getsockopt(XDP_STATISTICS)`: the fill ring's empty count is the pool's (shared).
    pub fn statistics(&self) -> XdpStatistics {
        XdpStatistics {
            rx_dropped: self.rx_dropped,
            rx_invalid_descs: self.rx.as_ref().map_or(0, |r| r.invalid_descs),
            tx_invalid_descs: self.tx.as_ref().map_or(0, |r| r.invalid_descs),
            rx_ring_full: self.rx_queue_full,
            rx_fill_ring_empty_descs: self.pool.as_ref().map_or(0, |p| p.borrow().fill.queue_empty_descs),
            tx_ring_empty_descs: self.tx.as_ref().map_or(0, |r| r.queue_empty_descs),
        }
    }

    fn ring_missing(kind: RingKind) -> XdpError {
        einval("xsk_ring", format!("the socket has no {} ring", kind.option()))
    }

    pub fn rx_ring(&self) -> Option<&Ring<XdpDesc>> {
        self.rx.as_ref()
    }

    pub fn tx_ring(&self) -> Option<&Ring<XdpDesc>> {
        self.tx.as_ref()
    }

    /// The fill ring user space maps: its own before bind, its pool's after (`xsk_mmap`).
    pub fn fill_state(&self) -> Option<RingState> {
        match &self.pool {
            Some(p) => Some(p.borrow().fill.state()),
            None => self.fill_tmp.as_ref().map(Ring::state),
        }
    }

    /// The completion ring user space maps: its own before bind, its pool's after.
    pub fn completion_state(&self) -> Option<RingState> {
        match &self.pool {
            Some(p) => Some(p.borrow().completion.borrow().state()),
            None => self.completion_tmp.as_ref().map(Ring::state),
        }
    }

    // ---- user space's ring operations ----

    /// Puts chunk addresses on the fill ring; returns how many fit.
    pub fn fill(&mut self, addrs: &[u64]) -> Result<usize> {
        match &self.pool {
            Some(p) => Ok(p.borrow_mut().fill.user_produce(addrs)),
            None => Ok(self.fill_tmp.as_mut().ok_or_else(|| Self::ring_missing(RingKind::Fill))?.user_produce(addrs)),
        }
    }

    /// Takes up to `max` RX descriptors.
    pub fn receive(&mut self, max: usize, out: &mut Vec<XdpDesc>) -> Result<usize> {
        Ok(self.rx.as_mut().ok_or_else(|| Self::ring_missing(RingKind::Rx))?.user_consume(max, out))
    }

    /// Puts descriptors on the TX ring; returns how many fit.
    pub fn transmit(&mut self, descs: &[XdpDesc]) -> Result<usize> {
        Ok(self.tx.as_mut().ok_or_else(|| Self::ring_missing(RingKind::Tx))?.user_produce(descs))
    }

    /// Takes up to `max` completed addresses.
    pub fn complete(&mut self, max: usize, out: &mut Vec<u64>) -> Result<usize> {
        match &self.pool {
            Some(p) => Ok(p.borrow().completion.borrow_mut().user_consume(max, out)),
            None => Ok(self.completion_tmp.as_mut().ok_or_else(|| Self::ring_missing(RingKind::Completion))?.user_consume(max, out)),
        }
    }

    // ---- receive (the driver's XDP_REDIRECT into an xskmap slot) ----

    /// `xsk_rcv` in copy mode: checks the binding against the frame's device and queue, then
    /// copies metadata and data into chunks from the pool (its free list, then the fill ring),
    /// one RX descriptor per chunk of `rx_frame_size` bytes (all but the last with
    /// XDP_PKT_CONTD; a frame larger than one chunk needs XDP_USE_SG). A descriptor's address is
    /// `xp_get_handle`'s ([`Umem::rx_handle`]). Ok: the caller frees the buffer
    /// (`xdp_return_buff`); Err: the driver's redirect fails and it frees the buffer. ENXIO
    /// unbound, EINVAL another device/queue, ENOSPC too large without SG, ENOMEM no chunk,
    /// ENOBUFS the RX ring full.
    pub fn rcv(&mut self, buff: &XdpBuff, ifindex: u32, queue: u32) -> std::result::Result<(), Errno> {
        let Some(b) = self.bound else { return Err(Errno::ENXIO) };
        if b.ifindex != ifindex || b.queue_id != queue {
            return Err(Errno::EINVAL);
        }
        let Some(pool) = self.pool.clone() else { return Err(Errno::ENXIO) };
        let Ok(mut pool) = pool.try_borrow_mut() else { return Err(Errno::EBUSY) };
        let umem_rc = Rc::clone(&pool.umem);
        let (frame_size, data_off) = {
            let u = umem_rc.borrow();
            (u.rx_frame_size(), u.rx_data_offset())
        };
        if self.rx.is_none() {
            return Err(Errno::ENXIO);
        }
        let len = buff.len();
        if len > frame_size && !self.sg() {
            self.rx_dropped += 1;
            return Err(Errno::ENOSPC);
        }
        let meta = buff.meta();
        if len <= frame_size && !buff.has_frags() {
            let Some(chunk) = pool.alloc_chunk() else {
                self.rx_dropped += 1;
                return Err(Errno::ENOMEM);
            };
            let at = (chunk + data_off) as usize;
            let mut umem = umem_rc.borrow_mut();
            umem.mem[at - meta.len()..at].copy_from_slice(meta);
            umem.mem[at..at + len as usize].copy_from_slice(buff.linear());
            let rx = self.rx.as_mut().expect("checked");
            if !rx.prod_reserve(XdpDesc { addr: umem.rx_handle(chunk), len, options: 0 }) {
                self.rx_queue_full += 1;
                pool.free_list.push(chunk);
                return Err(Errno::ENOBUFS);
            }
            self.flush_pending = true;
            return Ok(());
        }
        let num = (len - 1) / frame_size + 1;
        if !pool.can_alloc(num) {
            self.rx_dropped += 1;
            return Err(Errno::ENOMEM);
        }
        if self.rx.as_mut().expect("checked").prod_nb_free(num) < num {
            self.rx_queue_full += 1;
            return Err(Errno::ENOBUFS);
        }
        // Metadata goes before the first chunk's data; then the packet, linear part and frags,
        // in frame_size pieces.
        let mut source = buff.segments().map(|s| s.bytes).filter(|s| !s.is_empty());
        let mut cur: &[u8] = &[];
        let mut rem = len;
        let mut first = true;
        let mut taken = Vec::new();
        while rem > 0 {
            let Some(chunk) = pool.alloc_chunk() else {
                // Only when the fill ring held invalid entries: give back what this frame took.
                self.rx.as_mut().expect("checked").prod_cancel(taken.len() as u32);
                pool.free_list.extend(taken.into_iter().rev());
                self.rx_dropped += 1;
                return Err(Errno::ENOMEM);
            };
            taken.push(chunk);
            let at = (chunk + data_off) as usize;
            let mut umem = umem_rc.borrow_mut();
            if first {
                umem.mem[at - meta.len()..at].copy_from_slice(meta);
                first = false;
            }
            let want = rem.min(frame_size) as usize;
            let mut put = 0;
            while put < want {
                if cur.is_empty() {
                    match source.next() {
                        Some(seg) => cur = seg,
                        None => {
                            // `len` counts more than the buffers hold (mvneta's frags size with
                            // the FCS): the kernel copies on from a stale frag slot; zeros here.
                            umem.mem[at + put..at + want].fill(0);
                            break;
                        }
                    }
                }
                let n = cur.len().min(want - put);
                umem.mem[at + put..at + put + n].copy_from_slice(&cur[..n]);
                cur = &cur[n..];
                put += n;
            }
            rem -= want as u32;
            let options = if rem > 0 { XDP_PKT_CONTD } else { 0 };
            let desc = XdpDesc { addr: umem.rx_handle(chunk), len: want as u32, options };
            let reserved = self.rx.as_mut().expect("checked").prod_reserve(desc);
            debug_assert!(reserved, "room was checked");
        }
        self.flush_pending = true;
        Ok(())
    }

    /// `xsk_flush` at the end of the poll: RX descriptors become visible, the pool's fill ring
    /// consumer moves. False when nothing was pending.
    pub fn flush(&mut self) -> bool {
        if !std::mem::take(&mut self.flush_pending) {
            return false;
        }
        if let Some(rx) = self.rx.as_mut() {
            rx.prod_submit();
        }
        if let Some(pool) = self.pool.as_ref() {
            if let Ok(mut p) = pool.try_borrow_mut() {
                p.fill.cons_publish();
            }
        }
        true
    }

    // ---- transmit (copy mode) ----

    /// The TX ring's next descriptor, validated: Ok(None) when the ring is empty (counted),
    /// Err(desc) when it is invalid (counted; it stays until the batch ends). Chains are taken
    /// from sockets bound without XDP_USE_SG too, as the kernel's copy mode takes them.
    fn tx_peek(&mut self, umem: &Umem) -> std::result::Result<Option<XdpDesc>, XdpDesc> {
        let tx = self.tx.as_mut().expect("checked by sendto");
        let Some(d) = tx.cons_peek() else { return Ok(None) };
        if umem.tx_data_addr(&d).is_none() {
            tx.invalid_descs += 1;
            return Err(d);
        }
        Ok(Some(d))
    }

    /// Drops the partial packet (`xsk_drop_skb`): its descriptors count as invalid, their
    /// completions are written (the skb is freed).
    fn drop_partial(&mut self, cq: &Rc<RefCell<Ring<u64>>>) {
        if self.partial_tx.is_empty() {
            return;
        }
        let descs = std::mem::take(&mut self.partial_tx);
        if let Some(tx) = self.tx.as_mut() {
            tx.invalid_descs += descs.len() as u64;
        }
        drop(Self::completion_for(cq, &descs));
    }

    /// The completion of `descs`: the addresses as the descriptors gave them (in unaligned mode
    /// with their offsets).
    fn completion_for(cq: &Rc<RefCell<Ring<u64>>>, descs: &[XdpDesc]) -> TxCompletion {
        TxCompletion { cq: Rc::downgrade(cq), addrs: descs.iter().map(|d| d.addr).collect() }
    }

    /// `sendto` / `xsk_generic_xmit`: takes descriptors off the TX ring (at most
    /// TX_BATCH_SIZE, then EAGAIN), each with a slot reserved first on the pool's completion
    /// ring (EAGAIN when it is full), assembles multi-buffer packets (XDP_PKT_CONTD) and hands
    /// each packet to `xmit`. The completion ring gets the addresses when the device frees the
    /// packet. An invalid descriptor ends the batch: it is skipped, with the partial packet
    /// before it. ENXIO unbound; EBUSY when the device dropped a packet. Returns the packets
    /// the device took.
    pub fn sendto(&mut self, xmit: &mut dyn FnMut(TxPacket<'_>) -> XmitStatus) -> Result<u32> {
        const OP: &str = "xsk_generic_xmit";
        let (Some(_), Some(pool)) = (self.bound, self.pool.clone()) else {
            return Err(XdpError::new(Errno::ENXIO, OP, "the socket is not bound"));
        };
        if self.tx.is_none() {
            return Err(XdpError::new(Errno::ENOBUFS, OP, "the socket has no TX ring"));
        }
        let (cq, umem_rc) = {
            let p = pool.try_borrow().map_err(|_| XdpError::new(Errno::EBUSY, OP, "the buffer pool is in use"))?;
            (Rc::clone(&p.completion), Rc::clone(&p.umem))
        };
        let umem = umem_rc.try_borrow().map_err(|_| XdpError::new(Errno::EBUSY, OP, "the UMEM is in use"))?;
        let mut budget = TX_BATCH_SIZE;
        let mut sent = 0u32;
        let result = loop {
            let d = match self.tx_peek(&umem) {
                Ok(Some(d)) => d,
                Ok(None) => break Ok(()),
                Err(bad) => {
                    // The invalid descriptor is skipped with the partial packet before it, and
                    // its address handed back on the completion ring (when there is room), as
                    // Linux 6.18.44 was seen to do.
                    self.drop_partial(&cq);
                    self.tx.as_mut().expect("checked").cons_release();
                    drop(Self::completion_for(&cq, &[bad]).reserved());
                    break Ok(());
                }
            };
            if budget == 0 {
                break Err(XdpError::new(Errno::EAGAIN, OP, "TX_BATCH_SIZE descriptors sent: call again"));
            }
            budget -= 1;
            if !cq.borrow_mut().prod_reserve_slot() {
                break Err(XdpError::new(Errno::EAGAIN, OP, "the completion ring is full"));
            }
            if d.options & XDP_TX_METADATA != 0 {
                // The UMEM has no TX metadata area: the packet cannot be built (EINVAL) and the
                // descriptor stays at the head of the ring, so every sendto fails alike.
                cq.borrow_mut().prod_cancel(1);
                break Err(einval(OP, "XDP_TX_METADATA on a UMEM without tx_metadata_len"));
            }
            if d.options & XDP_PKT_CONTD != 0 && self.partial_tx.len() + 1 >= MAX_SKB_FRAGS {
                // Too many buffers for one packet: the packet is dropped (EOVERFLOW) and the
                // batch goes on.
                self.tx.as_mut().expect("checked").cons_release();
                self.partial_tx.push(d);
                self.drop_partial(&cq);
                continue;
            }
            self.tx.as_mut().expect("checked").cons_release();
            self.partial_tx.push(d);
            if d.options & XDP_PKT_CONTD != 0 {
                continue;
            }
            let descs = std::mem::take(&mut self.partial_tx);
            let completion = Self::completion_for(&cq, &descs);
            let segments = descs
                .iter()
                .map(|d| {
                    let at = umem.tx_data_addr(d).expect("validated") as usize;
                    &umem.mem[at..at + d.len as usize]
                })
                .collect();
            match xmit(TxPacket { segments, completion }) {
                XmitStatus::Sent => sent += 1,
                XmitStatus::Busy => {
                    // The descriptors go back on the ring and their completion slots are freed.
                    self.tx.as_mut().expect("checked").cons_cancel(descs.len() as u32);
                    cq.borrow_mut().prod_cancel(descs.len() as u32);
                    break Err(XdpError::new(Errno::EAGAIN, OP, "the device's TX queue is stopped"));
                }
                XmitStatus::Dropped => break Err(XdpError::new(Errno::EBUSY, OP, "the device dropped the packet")),
            }
        };
        if let Some(tx) = self.tx.as_mut() {
            tx.cons_publish();
        }
        result.map(|()| sent)
    }
}

#[cfg(test)]
mod tests;
