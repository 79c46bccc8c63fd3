//! The device's counters: the MAC's MIB registers, the driver's per-CPU software counters (the
//! ones ethtool and `ndo_get_stats64` report), and diagnostics for events the kernel only shows
//! through tracepoints or not at all.

use super::wire::ETH_FCS_LEN;

/// The MIB counters the MAC keeps (ethtool names), clear-on-read in hardware, accumulated by the
/// driver; here simply accumulated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mib {
    pub good_octets_received: u64,
    pub good_frames_received: u64,
    pub bad_octets_received: u64,
    pub bad_frames_received: u64,
    pub broadcast_frames_received: u64,
    pub multicast_frames_received: u64,
    pub undersize_received: u64,
    pub oversize_received: u64,
    pub mac_receive_error: u64,
    pub bad_crc_event: u64,
    pub rx_discard: u64,
    pub rx_overrun: u64,
    pub frames_64_octets: u64,
    pub frames_65_to_127_octets: u64,
    pub frames_128_to_255_octets: u64,
    pub frames_256_to_511_octets: u64,
    pub frames_512_to_1023_octets: u64,
    pub frames_1024_to_max_octets: u64,
    pub good_octets_sent: u64,
    pub good_frames_sent: u64,
    pub multicast_frames_sent: u64,
    pub broadcast_frames_sent: u64,
    pub internal_mac_transmit_err: u64,
}

impl Mib {
    fn size_bucket(&mut self, wire_len: u32) {
        match wire_len {
            0..=64 => self.frames_64_octets += 1,
            65..=127 => self.frames_65_to_127_octets += 1,
            128..=255 => self.frames_128_to_255_octets += 1,
            256..=511 => self.frames_256_to_511_octets += 1,
            512..=1023 => self.frames_512_to_1023_octets += 1,
            _ => self.frames_1024_to_max_octets += 1,
        }
    }

    /// A good frame received; `wire_len` counts the FCS.
    pub fn count_received(&mut self, frame: &[u8], wire_len: u32) {
        self.good_octets_received += u64::from(wire_len);
        self.good_frames_received += 1;
        if frame.first().is_some_and(|b| b & 1 != 0) {
            if frame.get(..6) == Some(&[0xff; 6]) {
                self.broadcast_frames_received += 1;
            } else {
                self.multicast_frames_received += 1;
            }
        }
        self.size_bucket(wire_len);
    }

    /// A frame sent: its destination address and its length without FCS.
    pub fn count_sent(&mut self, dst: &[u8; 6], len: usize) {
        let wire_len = len as u32 + ETH_FCS_LEN;
        self.good_octets_sent += u64::from(wire_len);
        self.good_frames_sent += 1;
        if dst[0] & 1 != 0 {
            if dst == &[0xff; 6] {
                self.broadcast_frames_sent += 1;
            } else {
                self.multicast_frames_sent += 1;
            }
        }
        self.size_bucket(wire_len);
    }

    /// `(ethtool name, value)` in the driver's order.
    pub fn entries(&self) -> [(&'static str, u64); 23] {
        [
            ("good_octets_received", self.good_octets_received),
            ("good_frames_received", self.good_frames_received),
            ("bad_octets_received", self.bad_octets_received),
            ("bad_frames_received", self.bad_frames_received),
            ("broadcast_frames_received", self.broadcast_frames_received),
            ("multicast_frames_received", self.multicast_frames_received),
            ("undersize_received", self.undersize_received),
            ("oversize_received", self.oversize_received),
            ("mac_receive_error", self.mac_receive_error),
            ("bad_crc_event", self.bad_crc_event),
            ("rx_discard", self.rx_discard),
            ("rx_overrun", self.rx_overrun),
            ("frames_64_octets", self.frames_64_octets),
            ("frames_65_to_127_octets", self.frames_65_to_127_octets),
            ("frames_128_to_255_octets", self.frames_128_to_255_octets),
            ("frames_256_to_511_octets", self.frames_256_to_511_octets),
            ("frames_512_to_1023_octets", self.frames_512_to_1023_octets),
            ("frames_1024_to_max_octets", self.frames_1024_to_max_octets),
            ("good_octets_sent", self.good_octets_sent),
            ("good_frames_sent", self.good_frames_sent),
            ("multicast_frames_sent", self.multicast_frames_sent),
            ("broadcast_frames_sent", self.broadcast_frames_sent),
            ("internal_mac_transmit_err", self.internal_mac_transmit_err),
        ]
    }
}

/// `struct mvneta_pcpu_stats` (one CPU: the emulation runs NAPI on CPU 0, as the Armada 3700 does).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SwStats {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    pub xdp_redirect: u64,
    pub xdp_pass: u64,
    pub xdp_drop: u64,
    pub xdp_xmit: u64,
    pub xdp_xmit_err: u64,
    pub xdp_tx: u64,
    pub xdp_tx_err: u64,
    pub skb_alloc_error: u64,
    pub refill_error: u64,
    pub rx_dropped: u64,
    pub rx_errors: u64,
}

impl SwStats {
    /// The driver's software counters under their ethtool names, in ethtool order.
    pub fn ethtool(&self) -> [(&'static str, u64); 10] {
        [
            ("eee_wakeup_errors", 0),
            ("skb_alloc_errors", self.skb_alloc_error),
            ("refill_errors", self.refill_error),
            ("rx_xdp_redirect", self.xdp_redirect),
            ("rx_xdp_pass", self.xdp_pass),
            ("rx_xdp_drop", self.xdp_drop),
            ("rx_xdp_tx", self.xdp_tx),
            ("rx_xdp_tx_errors", self.xdp_tx_err),
            ("tx_xdp_xmit", self.xdp_xmit),
            ("tx_xdp_xmit_errors", self.xdp_xmit_err),
        ]
    }
}

/// Events the kernel reports only through tracepoints (`xdp:*`) or not at all; counted so tests
/// and users can see where every frame went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Diag {
    /// `xdp:xdp_exception`: XDP_ABORTED, or an action the driver does not know.
    pub xdp_exception: u64,
    /// `xdp:xdp_redirect_err`: the redirect failed in `xdp_do_redirect`.
    pub xdp_redirect_err: u64,
    /// Frames dropped at XDP_TX because `xdp_convert_buff_to_frame` failed (no counter upstream).
    pub xdp_tx_convert_err: u64,
    /// A frame still open when the poll budget ran out, dropped (no counter upstream).
    pub rx_split_dropped: u64,
    /// The rest of a dropped frame, recycled descriptor by descriptor.
    pub rx_orphans: u64,
    /// A frame whose descriptor lengths did not add up, dropped at LAST.
    pub rx_length_mismatch_dropped: u64,
    /// A FIRST descriptor while another frame was open.
    pub rx_unterminated_dropped: u64,
    /// The text `mvneta_rx_error` last logged.
    pub last_rx_error: Option<&'static str>,
    /// `dma_map_single` failures on the ndo_xdp_xmit path.
    pub tx_dma_map_errors: u64,
    /// Descriptors the hardware read whose buffer was not mapped (or not the one mapped there).
    pub tx_dma_faults: u64,
    /// Completions that would free a frame the driver had already handed back (after a failed
    /// submit's unwind left its slot behind).
    pub tx_stale_frame_returns: u64,
    /// Frames found in TX slots at teardown that the driver's count no longer covered.
    pub tx_leaked_frames: u64,
}
