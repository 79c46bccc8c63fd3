//! The 32-byte RX and TX DMA descriptors of the Marvell NETA controller, in the little-endian
//! layout, and the rings that hold them. Fields are read and written as the hardware and driver
//! do: plain little-endian integers at fixed offsets.

/// `MVNETA_DESC_ALIGNED_SIZE`.
pub const DESC_SIZE: usize = 32;

// RX descriptor fields (byte offsets).
const RX_STATUS: usize = 0;
const RX_DATA_SIZE: usize = 6;
const RX_BUF_PHYS_ADDR: usize = 8;

// TX descriptor fields (byte offsets).
const TX_COMMAND: usize = 0;
const TX_DATA_SIZE: usize = 6;
const TX_BUF_PHYS_ADDR: usize = 8;

/// RX status bits.
pub mod rx {
    /// Error code 0 under ERR_SUMMARY: a CRC error.
    pub const ERR_CRC: u32 = 0;
    pub const ERR_SUMMARY: u32 = 1 << 16;
    pub const ERR_OVERRUN: u32 = 1 << 17;
    pub const ERR_LEN: u32 = 1 << 18;
    pub const ERR_RESOURCE: u32 = (1 << 17) | (1 << 18);
    pub const ERR_CODE_MASK: u32 = (1 << 17) | (1 << 18);
    pub const L3_IP4: u32 = 1 << 25;
    pub const LAST_DESC: u32 = 1 << 26;
    pub const FIRST_DESC: u32 = 1 << 27;
    pub const FIRST_LAST_DESC: u32 = FIRST_DESC | LAST_DESC;
    pub const L4_CSUM_OK: u32 = 1 << 30;
}

/// TX command bits.
pub mod tx {
    pub const L3_OFF_SHIFT: u32 = 0;
    pub const IP_HLEN_SHIFT: u32 = 8;
    pub const L4_UDP: u32 = 1 << 16;
    pub const L3_IP6: u32 = 1 << 17;
    pub const IP_CSUM: u32 = 1 << 18;
    pub const Z_PAD: u32 = 1 << 19;
    pub const L_DESC: u32 = 1 << 20;
    pub const F_DESC: u32 = 1 << 21;
    pub const FLZ_DESC: u32 = Z_PAD | L_DESC | F_DESC;
    pub const L4_CSUM_FULL: u32 = 1 << 30;
    pub const L4_CSUM_NOT: u32 = 1 << 31;
}

/// A ring of descriptors in one block of "coherent DMA" memory.
#[derive(Clone)]
pub struct DescRing {
    bytes: Box<[u8]>,
}

impl std::fmt::Debug for DescRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DescRing({} descriptors)", self.len())
    }
}

impl DescRing {
    pub fn new(size: u32) -> DescRing {
        DescRing { bytes: vec![0u8; size as usize * DESC_SIZE].into_boxed_slice() }
    }

    pub fn len(&self) -> u32 {
        (self.bytes.len() / DESC_SIZE) as u32
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The 32 bytes of descriptor `i`.
    pub fn desc(&self, i: u32) -> &[u8; DESC_SIZE] {
        let at = i as usize * DESC_SIZE;
        self.bytes[at..at + DESC_SIZE].try_into().expect("32 bytes")
    }

    #[inline]
    fn u32_at(&self, i: u32, field: usize) -> u32 {
        let at = i as usize * DESC_SIZE + field;
        u32::from_le_bytes(self.bytes[at..at + 4].try_into().expect("4 bytes"))
    }

    #[inline]
    fn set_u32_at(&mut self, i: u32, field: usize, v: u32) {
        let at = i as usize * DESC_SIZE + field;
        self.bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    #[inline]
    fn u16_at(&self, i: u32, field: usize) -> u16 {
        let at = i as usize * DESC_SIZE + field;
        u16::from_le_bytes([self.bytes[at], self.bytes[at + 1]])
    }

    #[inline]
    fn set_u16_at(&mut self, i: u32, field: usize, v: u16) {
        let at = i as usize * DESC_SIZE + field;
        self.bytes[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }

    /// Zeroes descriptor `i`, as ring allocation leaves it.
    pub fn clear(&mut self, i: u32) {
        let at = i as usize * DESC_SIZE;
        self.bytes[at..at + DESC_SIZE].fill(0);
    }

    // RX view

    pub fn rx_status(&self, i: u32) -> u32 {
        self.u32_at(i, RX_STATUS)
    }

    pub fn set_rx_status(&mut self, i: u32, v: u32) {
        self.set_u32_at(i, RX_STATUS, v)
    }

    pub fn rx_data_size(&self, i: u32) -> u16 {
        self.u16_at(i, RX_DATA_SIZE)
    }

    pub fn set_rx_data_size(&mut self, i: u32, v: u16) {
        self.set_u16_at(i, RX_DATA_SIZE, v)
    }

    pub fn rx_buf_phys_addr(&self, i: u32) -> u32 {
        self.u32_at(i, RX_BUF_PHYS_ADDR)
    }

    pub fn set_rx_buf_phys_addr(&mut self, i: u32, v: u32) {
        self.set_u32_at(i, RX_BUF_PHYS_ADDR, v)
    }

    // TX view

    pub fn tx_command(&self, i: u32) -> u32 {
        self.u32_at(i, TX_COMMAND)
    }

    pub fn set_tx_command(&mut self, i: u32, v: u32) {
        self.set_u32_at(i, TX_COMMAND, v)
    }

    pub fn tx_data_size(&self, i: u32) -> u16 {
        self.u16_at(i, TX_DATA_SIZE)
    }

    pub fn set_tx_data_size(&mut self, i: u32, v: u16) {
        self.set_u16_at(i, TX_DATA_SIZE, v)
    }

    pub fn tx_buf_phys_addr(&self, i: u32) -> u32 {
        self.u32_at(i, TX_BUF_PHYS_ADDR)
    }

    pub fn set_tx_buf_phys_addr(&mut self, i: u32, v: u32) {
        self.set_u32_at(i, TX_BUF_PHYS_ADDR, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_sit_at_the_little_endian_offsets() {
        let mut r = DescRing::new(4);
        r.set_rx_status(1, rx::FIRST_LAST_DESC | rx::L3_IP4);
        r.set_rx_data_size(1, 0x1234);
        r.set_rx_buf_phys_addr(1, 0xdead_beef);
        let d = r.desc(1);
        assert_eq!(&d[0..4], &(0x0e00_0000u32).to_le_bytes());
        assert_eq!(&d[6..8], &[0x34, 0x12]);
        assert_eq!(&d[8..12], &[0xef, 0xbe, 0xad, 0xde]);
        assert_eq!(r.desc(0), &[0u8; 32]);
        assert_eq!(tx::FLZ_DESC, 0x0038_0000);
    }
}
