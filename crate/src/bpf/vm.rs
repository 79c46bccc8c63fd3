//! (in progress)
use super::machine::{Machine, VmError};
impl Machine<'_> {
    pub fn run(&mut self, _args: [u64; 5]) -> Result<u64, VmError> {
        unimplemented!()
    }
    pub fn call(&mut self, _pc: usize, _args: [u64; 5]) -> Result<u64, VmError> {
        unimplemented!()
    }
}
