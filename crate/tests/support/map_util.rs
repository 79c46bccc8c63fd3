//! Helpers the map tests share: create a map, read an errno, look up and walk from user space.

use uxdp::bpf::maps::*;
use uxdp::errno::{Errno, Result};

pub fn create(t: MapType, key: u32, value: u32, max: u32, flags: u32) -> Result<Map> {
    Map::new("m", MapDef::new(t, key, value, max, flags), 4)
}

pub fn errno<T>(r: Result<T>) -> Errno {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.errno,
    }
}

pub fn user(map: &Map, key: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    map.lookup_user(key, &mut out).map(|()| out)
}

pub fn next(map: &Map, key: Option<&[u8]>) -> Result<Vec<u8>> {
    let mut out = vec![0u8; map.def().key_size as usize];
    map.next_key(key, &mut out).map(|()| out)
}
