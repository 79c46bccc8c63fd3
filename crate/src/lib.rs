//! uxdp: Linux XDP and BPF in userspace.
//!
//! The engine is plain Rust, free of N-API types: [`pool`] (page pools), [`frame`] (xdp_buff,
//! xdp_frame and skb with frags, and the XDP helpers), [`dynptr`] and [`ringbuf`], [`mvneta`] (an emulated
//! NIC and its driver's XDP paths), and [`xdp`], the contract between XDP programs and drivers
//! that both build on. The `napi` feature adds the one binding
//! module the Node package is built from.

pub mod bpf;
pub mod dynptr;
pub mod errno;
pub mod frame;
pub mod hostnet;
pub mod mvneta;
pub mod pool;
pub mod ringbuf;
pub mod xdp;
pub mod xsk;

pub use errno::{Errno, XdpError};

#[cfg(feature = "napi")]
mod binding;
