//! Kernel error numbers and the engine's one error value.
//!
//! Helpers return what the kernel's helpers return: a negative errno. The engine carries the errno
//! together with enough detail (which operation, offset, length, limit; for programs the pc, the
//! instruction, the faulting address, the loader's log) for a user to act on it. Helper failures,
//! load refusals and run faults are all an [`XdpError`], so nothing is lost between the layers.

use std::fmt;

/// Defines [`Errno`] with [`Errno::ALL`] and [`Errno::name`] from one list.
macro_rules! errnos {
    ($($name:ident = $number:literal,)*) => {
        /// An errno as Linux defines it on x86-64, plus the kernel-internal ones BPF helpers leak
        /// (`ENOTSUPP` = 524 is what `bpf_xdp_adjust_meta` returns, not `EOPNOTSUPP`), and those
        /// file access reports to the facade and the CLI.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum Errno {
            $($name = $number,)*
        }

        impl Errno {
            pub const ALL: [Errno; [$(Errno::$name,)*].len()] = [$(Errno::$name,)*];

            pub const fn name(self) -> &'static str {
                match self {
                    $(Errno::$name => stringify!($name),)*
                }
            }
        }
    };
}

errnos! {
    EPERM = 1,
    ENOENT = 2,
    ESRCH = 3,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    E2BIG = 7,
    EBADF = 9,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    ENODEV = 19,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    EMFILE = 24,
    ENOSPC = 28,
    EROFS = 30,
    EPIPE = 32,
    ERANGE = 34,
    ENAMETOOLONG = 36,
    ELOOP = 40,
    EBADRQC = 56,
    ENODATA = 61,
    ETIME = 62,
    ENONET = 64,
    EPROTO = 71,
    EOVERFLOW = 75,
    ENOTSOCK = 88,
    EMSGSIZE = 90,
    EPROTONOSUPPORT = 93,
    EOPNOTSUPP = 95,
    EAFNOSUPPORT = 97,
    ENETDOWN = 100,
    ENOBUFS = 105,
    ETIMEDOUT = 110,
    EALREADY = 114,
    ENOTSUPP = 524,
}

impl Errno {
    /// The positive number (`EINVAL` → 22).
    pub const fn number(self) -> i32 {
        self as i32
    }

    /// What a helper returns: the negative number (`EINVAL` → -22).
    pub const fn retval(self) -> i32 {
        -(self as i32)
    }

    /// The errno for a helper's negative return value, if it is one we know.
    pub fn from_retval(retval: i64) -> Option<Errno> {
        Errno::ALL.into_iter().find(|e| i64::from(e.retval()) == retval)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where an error happened and against which limit, so the message can say what to change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorDetail {
    /// The helper or engine operation, e.g. `bpf_xdp_adjust_tail`; empty for a fault inside a
    /// program run until the run's boundary names it (see [`XdpError::in_run`]).
    pub op: &'static str,
    pub offset: Option<i64>,
    pub len: Option<u64>,
    pub limit: Option<u64>,
    /// The program address a memory access faulted at.
    pub addr: Option<u64>,
    /// The instruction a load refusal or run fault is blamed on, and its 8 bytes as the kernel's
    /// `struct bpf_insn` lays them out: this module sits below `bpf`, which decodes them.
    pub pc: Option<usize>,
    pub insn: Option<[u8; 8]>,
    /// The program a load refusal is about; empty otherwise.
    pub program: String,
    /// The loader's or verifier's log, as bpftool prints it; empty when there is none.
    pub log: String,
}

/// What an [`XdpError`] says: the kernel's errno plus a human explanation and structured detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorInfo {
    pub errno: Errno,
    pub message: String,
    pub detail: ErrorDetail,
}

/// Lets a run fault read as it always has (`e.pc`, `e.addr`, `e.len`) while helper errors keep
/// `e.detail.limit`: both are the one detail.
impl std::ops::Deref for ErrorInfo {
    type Target = ErrorDetail;

    fn deref(&self) -> &ErrorDetail {
        &self.detail
    }
}

impl std::ops::DerefMut for ErrorInfo {
    fn deref_mut(&mut self) -> &mut ErrorDetail {
        &mut self.detail
    }
}

/// The engine's one error, for helper failures, load refusals and run faults alike. Boxed, so
/// that a helper's `Result` stays a word or two wide on the hot path where it succeeds; its
/// fields read through `Deref` (`e.errno`, `e.detail.limit`, `e.pc`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XdpError(Box<ErrorInfo>);

impl std::ops::Deref for XdpError {
    type Target = ErrorInfo;

    fn deref(&self) -> &ErrorInfo {
        &self.0
    }
}

impl std::ops::DerefMut for XdpError {
    fn deref_mut(&mut self) -> &mut ErrorInfo {
        &mut self.0
    }
}

impl XdpError {
    #[cold]
    pub fn new(errno: Errno, op: &'static str, message: impl Into<String>) -> Self {
        XdpError(Box::new(ErrorInfo { errno, message: message.into(), detail: ErrorDetail { op, ..ErrorDetail::default() } }))
    }

    /// A fault inside a program run, in the interpreter's words; [`XdpError::at`] adds where.
    #[cold]
    pub fn run(errno: Errno, message: impl Into<String>) -> Self {
        XdpError::new(errno, "", message)
    }

    /// A program the loader refuses, with the log line bpftool would print for it.
    #[cold]
    pub fn refused(program: &str, errno: Errno, pc: Option<usize>, message: String) -> Self {
        let log = match pc {
            Some(pc) => format!("{pc}: {message}\n"),
            None => format!("{message}\n"),
        };
        let mut e = XdpError::new(errno, "bpf_prog_load", message);
        e.0.detail.program = program.to_string();
        e.0.detail.pc = pc;
        e.0.detail.log = log;
        e
    }

    /// A structural check's refusal at instruction `pc` (also the offset, as JS has always read it).
    #[cold]
    pub fn invalid(pc: usize, message: impl Into<String>) -> Self {
        let mut e = XdpError::new(Errno::EINVAL, "bpf_prog_load", message).offset(pc as i64);
        e.0.detail.pc = Some(pc);
        e
    }

    pub fn offset(mut self, offset: i64) -> Self {
        self.0.detail.offset = Some(offset);
        self
    }

    pub fn len(mut self, len: u64) -> Self {
        self.0.detail.len = Some(len);
        self
    }

    pub fn limit(mut self, limit: u64) -> Self {
        self.0.detail.limit = Some(limit);
        self
    }

    /// The memory access that faulted.
    pub fn access(mut self, addr: u64, len: u64) -> Self {
        self.0.detail.addr = Some(addr);
        self.0.detail.len = Some(len);
        self
    }

    /// Attaches the faulting instruction unless an inner frame already did.
    pub fn at(mut self, pc: usize, insn: impl Into<[u8; 8]>) -> Self {
        if self.pc.is_none() {
            self.0.detail.pc = Some(pc);
            self.0.detail.insn = Some(insn.into());
        }
        self
    }

    /// The error as `BPF_PROG_TEST_RUN` reports a run that faulted: the operation is the run,
    /// the message says where (what the kernel's log would), and the offset is the pc. The
    /// helper's own operation, if any, gives way to the run's.
    pub fn in_run(mut self) -> Self {
        self.0.message = self.run_description();
        self.0.detail.op = "bpf_prog_run";
        self.0.detail.offset = self.pc.map(|pc| pc as i64);
        self
    }

    /// A load refusal as `bpf_object__load` reports it: named after its program.
    pub fn in_load(mut self) -> Self {
        if !self.program.is_empty() {
            self.0.message = format!("prog '{}': {}", self.program, self.message);
        }
        self.0.detail.op = "bpf_prog_load";
        self.0.detail.offset = self.pc.map(|pc| pc as i64);
        self
    }

    fn run_description(&self) -> String {
        match self.pc {
            Some(pc) => format!("{} at pc {pc}: {}", self.errno.name(), self.message),
            None => format!("{}: {}", self.errno.name(), self.message),
        }
    }

    /// The value the kernel helper would have returned.
    pub fn retval(&self) -> i32 {
        self.errno.retval()
    }
}

impl fmt::Display for XdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail.op {
            "" => f.write_str(&self.run_description()),
            op => write!(f, "{op}: {} ({})", self.message, self.errno),
        }
    }
}

impl std::error::Error for XdpError {}

pub type Result<T, E = XdpError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_linux_x86_64() {
        assert_eq!(Errno::EINVAL.retval(), -22);
        assert_eq!(Errno::EFAULT.retval(), -14);
        assert_eq!(Errno::ENOMEM.retval(), -12);
        assert_eq!(Errno::EOPNOTSUPP.retval(), -95);
        assert_eq!(Errno::ENOTSUPP.retval(), -524);
        assert_eq!(Errno::EACCES.retval(), -13);
        assert_eq!(Errno::ENOSPC.retval(), -28);
        assert_eq!(Errno::E2BIG.retval(), -7);
        assert_eq!(Errno::ERANGE.retval(), -34);
    }

    #[test]
    fn retval_round_trips_and_names_are_unique() {
        for e in Errno::ALL {
            assert_eq!(Errno::from_retval(i64::from(e.retval())), Some(e));
        }
        let mut names: Vec<_> = Errno::ALL.iter().map(|e| e.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Errno::ALL.len());
        assert_eq!(Errno::from_retval(-9999), None);
    }

    #[test]
    fn display_names_the_operation_and_errno() {
        let e = XdpError::new(Errno::EINVAL, "bpf_xdp_adjust_tail", "grow beyond tailroom").offset(10).limit(4);
        assert_eq!(e.to_string(), "bpf_xdp_adjust_tail: grow beyond tailroom (EINVAL)");
        assert_eq!(e.detail.offset, Some(10));
        assert_eq!(e.retval(), -22);
    }

    #[test]
    fn a_run_fault_keeps_where_it_happened_through_the_run_boundary() {
        let inner = XdpError::run(Errno::EFAULT, "out of bounds").access(0x1004, 4).at(3, [0x61, 0x10, 4, 0, 0, 0, 0, 0]);
        let e = inner.clone().at(7, [0; 8]);
        assert_eq!((e.pc, e.insn, e.addr, e.len), (Some(3), Some([0x61, 0x10, 4, 0, 0, 0, 0, 0]), Some(0x1004), Some(4)));
        assert_eq!(e.to_string(), "EFAULT at pc 3: out of bounds");
        let run = e.in_run();
        assert_eq!((run.detail.op, run.detail.offset, run.pc), ("bpf_prog_run", Some(3), Some(3)));
        assert_eq!(run.to_string(), "bpf_prog_run: EFAULT at pc 3: out of bounds (EFAULT)");
    }

    #[test]
    fn a_load_refusal_names_its_program_and_keeps_its_log() {
        let e = XdpError::refused("p", Errno::EINVAL, Some(2), "R1 !read_ok".into());
        assert_eq!((e.program.as_str(), e.pc, e.log.as_str()), ("p", Some(2), "2: R1 !read_ok\n"));
        let x = e.in_load();
        assert_eq!((x.message.as_str(), x.detail.op, x.detail.offset), ("prog 'p': R1 !read_ok", "bpf_prog_load", Some(2)));
    }
}
