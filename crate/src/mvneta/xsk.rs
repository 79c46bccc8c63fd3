//! The device's side of AF_XDP sockets ([`crate::xsk`]): bind (the queues, one buffer pool per
//! queue, no zero-copy: mvneta has no `ndo_xsk_wakeup`), delivery of XDP_REDIRECT into an
//! xskmap slot (copied into the socket's UMEM at once, the driver's pages freed, the RX ring
//! published when the poll flushes), and copy-mode transmit: `sendto` turns TX descriptors into
//! packets that go out through the TX ring of the socket's queue as the host stack's packets do
//! (`__dev_direct_xmit` → `mvneta_tx`, one descriptor per buffer), their completions written when
//! TX completion frees them.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::device::Mvneta;
use crate::errno::{Errno, Result, XdpError};
use crate::frame::XdpBuff;
use crate::xsk::{BindTarget, SharedUmemSource, TxPacket, XmitStatus, XskSocket};

pub type SharedSocket = Rc<RefCell<XskSocket>>;

impl Mvneta {
    /// `xsk_bind` on this device: queue `queue_id` (of `max(rx, tx)` queues) with `flags`, and
    /// with XDP_SHARED_UMEM what `shared` names. A queue is taken while a bound socket's buffer
    /// pool is on it (sockets sharing that pool may still join it).
    pub fn xsk_bind(&mut self, sock: &SharedSocket, queue_id: u32, flags: u32, shared: Option<SharedUmemSource>) -> Result<()> {
        let queue_taken = self
            .xsk_sockets
            .iter()
            .filter_map(Weak::upgrade)
            .any(|s| !Rc::ptr_eq(&s, sock) && s.try_borrow().is_ok_and(|s| s.bound().is_some_and(|b| b.queue_id == queue_id)));
        let target = BindTarget {
            ifindex: self.ifindex(),
            queue_id,
            queues: self.config().rx_queues.max(self.config().tx_queues),
            queue_taken,
            zerocopy: false,
        };
        sock.try_borrow_mut().map_err(|_| XdpError::new(Errno::EBUSY, "xsk_bind", "the socket is in use"))?.bind(flags, target, shared)?;
        self.xsk_sockets.retain(|w| w.strong_count() > 0);
        self.xsk_sockets.push(Rc::downgrade(sock));
        Ok(())
    }

    /// `__xsk_map_redirect`: the frame is copied into the socket now; false when the socket
    /// refused it (the caller counts a redirect error). The buffer is freed either way.
    pub(super) fn xsk_redirect(&mut self, buff: XdpBuff, sock: &Weak<RefCell<XskSocket>>) -> bool {
        let Some(s) = sock.upgrade() else { return false };
        let rxq = buff.rxq();
        let ok = match s.try_borrow_mut() {
            Ok(mut s) => s.rcv(&buff, rxq.ifindex, rxq.queue_index).is_ok(),
            Err(_) => false,
        };
        drop(buff);
        ok
    }

    /// One packet from a socket's `sendto`, on TX queue `queue` (`__dev_direct_xmit`): the
    /// buffers as descriptors of the queue's ring, the completion held with the last one.
    fn xsk_xmit_one(&mut self, queue: u32, packet: TxPacket<'_>) -> XmitStatus {
        if !self.is_up() {
            return XmitStatus::Dropped;
        }
        let TxPacket { segments, completion } = packet;
        match self.xmit_segments(queue, &segments, Box::new(completion)) {
            Ok(()) => XmitStatus::Sent,
            Err(owner) => {
                if let Ok(c) = owner.downcast::<crate::xsk::TxCompletion>() {
                    c.disarm();
                }
                XmitStatus::Busy
            }
        }
    }
}

/// `sendto()` on a bound socket: its TX descriptors go out through `dev`. ENXIO when the
/// socket is not bound to this device; see [`XskSocket::sendto`].
pub fn sendto(sock: &SharedSocket, dev: &Rc<RefCell<Mvneta>>) -> Result<u32> {
    const OP: &str = "xsk_sendmsg";
    let mut s = sock.try_borrow_mut().map_err(|_| XdpError::new(Errno::EBUSY, OP, "the socket is in use"))?;
    let mut d = dev.try_borrow_mut().map_err(|_| XdpError::new(Errno::EBUSY, OP, "the device is in use"))?;
    let Some(b) = s.bound() else { return Err(XdpError::new(Errno::ENXIO, OP, "the socket is not bound")) };
    if b.ifindex != d.ifindex() {
        return Err(XdpError::new(Errno::ENXIO, OP, "the socket is bound to another device"));
    }
    if b.queue_id >= d.config().tx_queues {
        // `xs->queue_id >= real_num_tx_queues`: nothing is sent, and no error.
        return Ok(0);
    }
    s.sendto(&mut |p| d.xsk_xmit_one(b.queue_id, p))
}
