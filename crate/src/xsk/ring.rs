//! One AF_XDP ring (`struct xsk_queue` and the `struct xdp_ring` it shares with user space): a
//! power-of-two array of entries, the shared producer and consumer indexes, the flags word
//! (`XDP_RING_NEED_WAKEUP`), and the kernel's private cached indexes.
//!
//! Who produces and who consumes depends on the ring: user space produces on the fill and TX
//! rings and the kernel consumes them; the kernel produces on the RX and completion rings and
//! user space consumes them. The kernel works on its cached index and publishes it later
//! (`xskq_prod_submit`, `__xskq_cons_release`), so what user space sees moves in steps, as on
//! Linux: RX descriptors appear and fill-ring entries are taken back at the end of a NAPI poll.
//! Indexes are free-running u32s; an entry lives at `index & mask`.

/// `XDP_RING_NEED_WAKEUP`.
pub const XDP_RING_NEED_WAKEUP: u32 = 1;

/// `struct xdp_desc`: an RX or TX descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XdpDesc {
    pub addr: u64,
    pub len: u32,
    pub options: u32,
}

/// A ring's shared indexes and flags, as user space sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingState {
    pub size: u32,
    pub producer: u32,
    pub consumer: u32,
    pub flags: u32,
}

/// `struct xsk_queue` with its shared ring.
#[derive(Debug)]
pub struct Ring<T: Copy + Default> {
    mask: u32,
    entries: Box<[T]>,
    /// Shared with user space.
    producer: u32,
    consumer: u32,
    flags: u32,
    /// The kernel's own view.
    cached_prod: u32,
    cached_cons: u32,
    /// `invalid_descs`, `queue_empty_descs`: what XDP_STATISTICS reports.
    pub invalid_descs: u64,
    pub queue_empty_descs: u64,
}

impl<T: Copy + Default> Ring<T> {
    /// `xskq_create`: the caller has checked that `entries` is a power of two.
    pub fn new(entries: u32) -> Ring<T> {
        debug_assert!(entries.is_power_of_two());
        Ring {
            mask: entries - 1,
            entries: vec![T::default(); entries as usize].into_boxed_slice(),
            producer: 0,
            consumer: 0,
            flags: 0,
            cached_prod: 0,
            cached_cons: 0,
            invalid_descs: 0,
            queue_empty_descs: 0,
        }
    }

    pub fn size(&self) -> u32 {
        self.mask + 1
    }

    pub fn state(&self) -> RingState {
        RingState { size: self.size(), producer: self.producer, consumer: self.consumer, flags: self.flags }
    }

    pub fn producer(&self) -> u32 {
        self.producer
    }

    pub fn consumer(&self) -> u32 {
        self.consumer
    }

    pub fn flags(&self) -> u32 {
        self.flags
    }

    pub fn set_flags(&mut self, flags: u32) {
        self.flags = flags;
    }

    // ---- user space's side (libxdp's xsk_ring_prod__* / xsk_ring_cons__*) ----

    /// Reserves room for as many of `items` as fit, writes them and submits them
    /// (`xsk_ring_prod__reserve` + writes + `xsk_ring_prod__submit`). Returns how many.
    pub fn user_produce(&mut self, items: &[T]) -> usize {
        let free = self.size() - self.producer.wrapping_sub(self.consumer);
        let n = items.len().min(free as usize);
        for (i, item) in items[..n].iter().enumerate() {
            let at = self.producer.wrapping_add(i as u32) & self.mask;
            self.entries[at as usize] = *item;
        }
        self.producer = self.producer.wrapping_add(n as u32);
        n
    }

    /// Entries user space may consume now (`xsk_ring_cons__peek`'s count).
    pub fn user_available(&self) -> u32 {
        self.producer.wrapping_sub(self.consumer)
    }

    /// Peeks up to `max` entries and releases them (`xsk_ring_cons__peek` +
    /// `xsk_ring_cons__release`).
    pub fn user_consume(&mut self, max: usize, out: &mut Vec<T>) -> usize {
        let n = (self.user_available() as usize).min(max);
        for i in 0..n {
            out.push(self.entries[(self.consumer.wrapping_add(i as u32) & self.mask) as usize]);
        }
        self.consumer = self.consumer.wrapping_add(n as u32);
        n
    }

    // ---- the kernel as producer (RX, completion) ----

    /// `xskq_prod_nb_free`: free slots, refreshing the consumer only when fewer than `max`
    /// seem free.
    pub fn prod_nb_free(&mut self, max: u32) -> u32 {
        let free = self.size() - self.cached_prod.wrapping_sub(self.cached_cons);
        if free >= max {
            return free;
        }
        self.cached_cons = self.consumer;
        self.size() - self.cached_prod.wrapping_sub(self.cached_cons)
    }

    pub fn prod_is_full(&mut self) -> bool {
        self.prod_nb_free(1) == 0
    }

    /// `xskq_prod_reserve_desc` / `xskq_prod_reserve_addr`: false when the ring is full.
    pub fn prod_reserve(&mut self, item: T) -> bool {
        if self.prod_is_full() {
            return false;
        }
        self.entries[(self.cached_prod & self.mask) as usize] = item;
        self.cached_prod = self.cached_prod.wrapping_add(1);
        true
    }

    /// Reserves a slot to be written later (`xskq_prod_reserve`), false when full.
    pub fn prod_reserve_slot(&mut self) -> bool {
        if self.prod_is_full() {
            return false;
        }
        self.cached_prod = self.cached_prod.wrapping_add(1);
        true
    }

    /// Writes `item` into the oldest reserved, unsubmitted slot and submits it
    /// (`xskq_prod_write_addr` + `xskq_prod_submit_n(1)`); the completion ring's destructor path.
    pub fn prod_write_submit(&mut self, item: T) {
        debug_assert!(self.cached_prod != self.producer, "a slot was reserved");
        self.entries[(self.producer & self.mask) as usize] = item;
        self.producer = self.producer.wrapping_add(1);
    }

    /// Gives back `n` reserved, unwritten slots (`xskq_prod_cancel_n`).
    pub fn prod_cancel(&mut self, n: u32) {
        self.cached_prod = self.cached_prod.wrapping_sub(n);
    }

    /// `xskq_prod_submit`: publishes every reserved entry.
    pub fn prod_submit(&mut self) {
        self.producer = self.cached_prod;
    }

    /// Entries the kernel reserved and has not published.
    pub fn prod_unsubmitted(&self) -> u32 {
        self.cached_prod.wrapping_sub(self.producer)
    }

    // ---- the kernel as consumer (fill, TX) ----

    /// `xskq_cons_nb_entries`: entries available, refreshing the producer only when fewer than
    /// `max` are cached.
    pub fn cons_nb_entries(&mut self, max: u32) -> u32 {
        let n = self.cached_prod.wrapping_sub(self.cached_cons);
        if n >= max {
            return max;
        }
        self.cached_prod = self.producer;
        self.cached_prod.wrapping_sub(self.cached_cons).min(max)
    }

    /// `xskq_cons_peek_*`: the next entry, or None (counted in `queue_empty_descs`).
    pub fn cons_peek(&mut self) -> Option<T> {
        if self.cached_cons == self.cached_prod {
            // `xskq_cons_get_entries`: publish what was consumed, then look for more.
            self.consumer = self.cached_cons;
            self.cached_prod = self.producer;
        }
        if self.cached_cons == self.cached_prod {
            self.queue_empty_descs += 1;
            return None;
        }
        Some(self.entries[(self.cached_cons & self.mask) as usize])
    }

    /// `xskq_cons_release`: the peeked entry is used (not yet visible to user space).
    pub fn cons_release(&mut self) {
        self.cached_cons = self.cached_cons.wrapping_add(1);
    }

    /// `xskq_cons_cancel_n`.
    pub fn cons_cancel(&mut self, n: u32) {
        self.cached_cons = self.cached_cons.wrapping_sub(n);
    }

    /// `xskq_has_descs`: entries cached and not consumed.
    pub fn cons_has_cached(&self) -> bool {
        self.cached_cons != self.cached_prod
    }

    /// `__xskq_cons_release`: publishes the consumer index.
    pub fn cons_publish(&mut self) {
        self.consumer = self.cached_cons;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_producer_stops_at_full_and_wraps() {
        let mut r: Ring<u64> = Ring::new(4);
        assert_eq!(r.user_produce(&[1, 2, 3, 4, 5]), 4, "only 4 fit");
        assert_eq!(r.user_produce(&[6]), 0, "full");
        // The kernel consumes two and publishes; user space can produce two more, wrapping.
        for want in [1, 2] {
            assert_eq!(r.cons_peek(), Some(want));
            r.cons_release();
        }
        assert_eq!(r.user_produce(&[6]), 0, "not published yet");
        r.cons_publish();
        assert_eq!(r.user_produce(&[6, 7, 8]), 2);
        let mut seen = Vec::new();
        while let Some(x) = r.cons_peek() {
            seen.push(x);
            r.cons_release();
        }
        assert_eq!(seen, [3, 4, 6, 7]);
        assert_eq!(r.queue_empty_descs, 1, "the last peek found the ring empty");
    }

    #[test]
    fn indexes_wrap_around_u32() {
        let mut r: Ring<XdpDesc> = Ring::new(2);
        r.producer = u32::MAX - 1;
        r.consumer = u32::MAX - 1;
        r.cached_prod = u32::MAX - 1;
        r.cached_cons = u32::MAX - 1;
        for i in 0..5u64 {
            assert!(r.prod_reserve(XdpDesc { addr: i, len: 1, options: 0 }));
            r.prod_submit();
            let mut out = Vec::new();
            assert_eq!(r.user_consume(8, &mut out), 1);
            assert_eq!(out[0].addr, i);
        }
        assert_eq!(r.producer(), 3);
    }

    #[test]
    fn kernel_producer_sees_user_consumer_only_when_short() {
        let mut r: Ring<u64> = Ring::new(2);
        assert!(r.prod_reserve(1));
        assert!(r.prod_reserve(2));
        assert!(!r.prod_reserve(3), "full");
        assert_eq!(r.user_available(), 0, "nothing submitted");
        r.prod_submit();
        let mut out = Vec::new();
        assert_eq!(r.user_consume(1, &mut out), 1);
        assert!(r.prod_reserve(3), "the consumer moved");
        assert_eq!(r.prod_unsubmitted(), 1);
    }
}
