//! (in progress: the interface the engine codes against; the real maps land from bpf-maps)
use std::any::Any;
use std::cell::RefMut;
use std::rc::Rc;

use super::elf::MapSpec;
use super::machine::Prog;
use crate::errno::Result;
use crate::ringbuf::RingBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapType {
    Hash = 1,
    Array = 2,
    ProgArray = 3,
    PerfEventArray = 4,
    PercpuArray = 6,
    LruHash = 9,
    Devmap = 14,
    Cpumap = 16,
    DevmapHash = 25,
    Ringbuf = 27,
}

#[derive(Clone, Copy, Debug)]
pub struct MapDef {
    pub map_type: MapType,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
}

#[derive(Debug)]
pub struct Map {
    pub name: String,
    pub def: MapDef,
}

impl Map {
    pub fn from_spec(_spec: &MapSpec, _nr_cpus: u32) -> Result<Map> {
        unimplemented!()
    }
    pub fn value_regions(&self) -> Vec<(u64, u64, bool)> {
        Vec::new()
    }
    pub fn lookup(&self, _key: &[u8], _cpu: u32) -> Option<u64> {
        unimplemented!()
    }
    pub fn update(&self, _key: &[u8], _value: &[u8], _flags: u64, _cpu: u32) -> Result<()> {
        unimplemented!()
    }
    pub fn delete(&self, _key: &[u8]) -> Result<()> {
        unimplemented!()
    }
    pub fn ringbuf(&self) -> Option<RefMut<'_, RingBuf>> {
        unimplemented!()
    }
    pub fn prog(&self, _index: u32) -> Option<Rc<Prog>> {
        unimplemented!()
    }
    pub fn set_prog(&self, _index: u32, _prog: Option<Rc<Prog>>) -> Result<()> {
        unimplemented!()
    }
    pub fn target(&self, _key: u32) -> Option<Rc<dyn Any>> {
        unimplemented!()
    }
    pub fn push_sample(&self, _cpu: u32, _bytes: &[u8]) {
        unimplemented!()
    }
    pub fn freeze(&self) {}
    pub fn lookup_user(&self, _key: &[u8], _out: &mut Vec<u8>) -> Result<()> {
        unimplemented!()
    }
    pub fn update_user(&self, _key: &[u8], _value: &[u8], _flags: u64) -> Result<()> {
        unimplemented!()
    }
    pub fn delete_user(&self, _key: &[u8]) -> Result<()> {
        unimplemented!()
    }
    pub fn keys(&self) -> Vec<Vec<u8>> {
        unimplemented!()
    }
    pub fn drain_samples(&self) -> Vec<(u32, Vec<u8>)> {
        unimplemented!()
    }
    pub fn set_target(&self, _key: u32, _target: Option<Rc<dyn Any>>) {
        unimplemented!()
    }
}
