//! BPF ring buffer maps: libbpf's size rounding and the ring the map holds.

use std::cell::RefMut;

use super::*;
use crate::ringbuf::RingBuf;

/// libbpf's `adjust_ringbuf_sz`: the smallest power-of-two number of pages holding `sz` bytes.
pub(super) fn adjust_ringbuf_sz(sz: u32) -> u32 {
    if sz == 0 || (sz.is_multiple_of(PAGE_SIZE) && (sz / PAGE_SIZE).is_power_of_two()) {
        return sz;
    }
    let mut mul: u32 = 1;
    while mul <= u32::MAX / PAGE_SIZE {
        if mul * PAGE_SIZE > sz {
            return mul * PAGE_SIZE;
        }
        mul <<= 1;
    }
    sz
}

impl Map {
    /// The ring buffer of a ringbuf map; None for other maps, and while the ring is already
    /// borrowed.
    pub fn ringbuf(&self) -> Option<RefMut<'_, RingBuf>> {
        match &self.store {
            Store::Ringbuf(rb) => rb.try_borrow_mut().ok(),
            _ => None,
        }
    }
}
