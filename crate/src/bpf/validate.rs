//! (in progress: structural checks land from bpf-isa)
use super::insn::Insn;
pub struct ValidateError {
    pub pc: usize,
    pub message: String,
}
pub fn validate(_insns: &[Insn]) -> Result<(), ValidateError> {
    Ok(())
}
