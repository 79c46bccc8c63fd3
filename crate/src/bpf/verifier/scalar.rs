//! Placeholder scalar domain (constants only) until the tnum/bounds domain lands.
use crate::bpf::isa::{sem, AluOp, ByteOrder, Cond, Size, Width};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Tnum { pub value: u64, pub mask: u64 }
impl Tnum {
    pub const UNKNOWN: Tnum = Tnum { value: 0, mask: u64::MAX };
    pub const fn constant(v: u64) -> Tnum { Tnum { value: v, mask: 0 } }
    pub fn is_const(&self) -> bool { self.mask == 0 }
    pub fn is_aligned(&self, size: u64) -> bool { size == 0 || ((self.value | self.mask) & (size - 1)) == 0 }
    pub fn add(self, o: Tnum) -> Tnum { if self.mask == 0 && o.mask == 0 { Tnum::constant(self.value.wrapping_add(o.value)) } else { Tnum::UNKNOWN } }
    pub fn sub(self, o: Tnum) -> Tnum { if self.mask == 0 && o.mask == 0 { Tnum::constant(self.value.wrapping_sub(o.value)) } else { Tnum::UNKNOWN } }
    pub fn log(&self) -> String { format!("(0x{:x}; 0x{:x})", self.value, self.mask) }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Scalar { pub var_off: Tnum, pub smin: i64, pub smax: i64, pub umin: u64, pub umax: u64, pub s32min: i32, pub s32max: i32, pub u32min: u32, pub u32max: u32 }
impl Scalar {
    pub const UNKNOWN: Scalar = Scalar { var_off: Tnum::UNKNOWN, smin: i64::MIN, smax: i64::MAX, umin: 0, umax: u64::MAX, s32min: i32::MIN, s32max: i32::MAX, u32min: 0, u32max: u32::MAX };
    pub fn unknown() -> Scalar { Self::UNKNOWN }
    pub fn constant(v: u64) -> Scalar { Scalar { var_off: Tnum::constant(v), smin: v as i64, smax: v as i64, umin: v, umax: v, s32min: v as i32, s32max: v as i32, u32min: v as u32, u32max: v as u32 } }
    pub fn is_const(&self) -> Option<u64> { self.var_off.is_const().then_some(self.var_off.value) }
    pub fn is_const32(&self) -> Option<u32> { (self.var_off.mask as u32 == 0).then_some(self.var_off.value as u32) }
    pub fn sync(&mut self) {}
    pub fn alu(&mut self, op: AluOp, w: Width, src: &Scalar) {
        match (self.is_const(), src.is_const()) {
            (Some(a), Some(b)) => *self = Scalar::constant(sem::alu(op, w, a, b)),
            _ => *self = if w == Width::W32 { Scalar::load(Size::W, false) } else { Scalar::UNKNOWN },
        }
    }
    pub fn end(&mut self, order: ByteOrder, bits: i32) { *self = match self.is_const().and_then(|v| sem::end(order, bits, v)) { Some(v) => Scalar::constant(v), None => Scalar::UNKNOWN } }
    pub fn load(size: Size, sx: bool) -> Scalar {
        if sx || size == Size::DW { return Scalar::UNKNOWN }
        let max = (1u64 << (size.bytes() * 8)) - 1;
        Scalar { var_off: Tnum { value: 0, mask: max }, smin: 0, smax: max as i64, umin: 0, umax: max, s32min: if size == Size::W { i32::MIN } else { 0 }, s32max: if size == Size::W { i32::MAX } else { max as i32 }, u32min: 0, u32max: max as u32 }
    }
    pub fn truncate(&mut self, size: Size, sx: bool) { *self = match self.is_const() { Some(v) => Scalar::constant(sem::extend(size, sx, v)), None => Scalar::load(size, sx) } }
    pub fn branch(cond: Cond, w: Width, a: &Scalar, b: &Scalar) -> Option<bool> { Some(sem::cond(cond, w, a.is_const()?, b.is_const()?)) }
    pub fn refine(_cond: Cond, _w: Width, _a: &mut Scalar, _b: &mut Scalar) {}
    pub fn negate(c: Cond) -> Cond { c }
    pub fn within(&self, old: &Scalar) -> bool { old == &Scalar::UNKNOWN || old == self }
    pub fn log(&self) -> String { match self.is_const() { Some(v) => format!("{}", v as i64), None => format!("scalar({})", self.log_fields()) } }
    pub fn log_fields(&self) -> String { String::new() }
}
