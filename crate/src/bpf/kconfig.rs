//! `.kconfig` externs: the values libbpf writes into an object's `.kconfig` map before the
//! program loads (`bpf_object__resolve_externs`), in its words when one does not fit.
//!
//! - `LINUX_KERNEL_VERSION`: `KERNEL_VERSION(major, minor, patch)` of the kernel release
//!   (patch capped at 255), as libbpf reads `uname -r`; uxdp's model is 6.18.44.
//! - `LINUX_HAS_BPF_COOKIE`: 1 (6.18 has it). `LINUX_HAS_SYSCALL_WRAPPER`: what libbpf's probe
//!   finds, a kprobe on `__x64_sys_bpf`: 1 when the config has both `CONFIG_ARCH_HAS_SYSCALL_WRAPPER`
//!   and `CONFIG_KPROBES` (the model's config has no kprobes: 0). Another `LINUX_` name is refused
//!   unless weak (then 0).
//! - `CONFIG_*`: the user's lines first (libbpf's `kconfig` open option), then the model's config
//!   ([`super::target::UXDP_618_CONFIG`], this machine's 6.18.44 config). `y`/`n`/`m` set a
//!   bool (not `m`), tristate or char; a quoted string a char array; a number an integer or char
//!   of a size it fits. A strong extern no line sets is refused; a weak one reads 0.
//!
//! uxdp goes beyond libbpf in one way: the user may also set a `LINUX_` value (to model another
//! release), which libbpf computes from the running kernel.

use super::elf::{KcfgType, KconfigExtern};
use crate::errno::Errno;

/// libbpf's `KERNEL_VERSION(a, b, c)` of a release string (`6.18.44-...` → 0x06122c); None when
/// it does not start with three numbers.
pub fn kernel_version(release: &str) -> Option<u32> {
    let mut parts = release.splitn(3, '.');
    let num = |s: &str| -> Option<u32> {
        let d: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
        d.parse().ok()
    };
    let major = num(parts.next()?)?;
    let minor = num(parts.next()?)?;
    let patch = num(parts.next()?)?;
    Some((major << 16) + (minor << 8) + patch.min(255))
}

/// Why the values cannot be set: the errno the load fails with and libbpf's warning lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KconfigError {
    pub errno: Errno,
    pub lines: Vec<String>,
}

fn einval(lines: Vec<String>) -> KconfigError {
    KconfigError { errno: Errno::EINVAL, lines }
}

/// `strtoull(value, &end, 0)` as libbpf's `parse_u64` uses it.
fn parse_u64(value: &str) -> Result<u64, String> {
    let s = value.trim_start();
    let (neg, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let end = digits.find(|c: char| !c.is_digit(radix)).unwrap_or(digits.len());
    if end == 0 && radix != 8 {
        return Err(format!("failed to parse '{value}' as integer completely"));
    }
    if end != digits.len() {
        return Err(format!("failed to parse '{value}' as integer completely"));
    }
    let v = if end == 0 { 0 } else { u64::from_str_radix(&digits[..end], radix).map_err(|_| format!("failed to parse '{value}' as integer: -34"))? };
    Ok(if neg { v.wrapping_neg() } else { v })
}

struct Slot<'a> {
    ext: &'a KconfigExtern,
    set: bool,
}

fn in_range(ext: &KconfigExtern, v: u64) -> bool {
    let bits = ext.size * 8;
    if ext.size >= 8 {
        return true;
    }
    if ext.signed {
        v.wrapping_add(1u64 << (bits - 1)) < (1u64 << bits)
    } else {
        v >> bits == 0
    }
}

fn set_num(slot: &mut Slot, data: &mut [u8], v: u64) -> Result<(), String> {
    let e = slot.ext;
    if !matches!(e.kind, KcfgType::Int | KcfgType::Char | KcfgType::Bool) {
        return Err(format!("extern (kcfg) '{}': value '{v}' implies integer, char, or boolean type", e.name));
    }
    if e.kind == KcfgType::Bool && v > 1 {
        return Err(format!("extern (kcfg) '{}': value '{v}' isn't boolean compatible", e.name));
    }
    if !in_range(e, v) {
        return Err(format!("extern (kcfg) '{}': value '{v}' doesn't fit in {} bytes", e.name, e.size));
    }
    write(data, e, &v.to_le_bytes()[..e.size.min(8) as usize]);
    slot.set = true;
    Ok(())
}

fn write(data: &mut [u8], e: &KconfigExtern, bytes: &[u8]) {
    let off = e.data_off as usize;
    if let Some(dst) = data.get_mut(off..off + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}

fn set_tri(slot: &mut Slot, data: &mut [u8], c: char) -> Result<(), String> {
    let e = slot.ext;
    let v: u8 = match e.kind {
        KcfgType::Bool => {
            if c == 'm' {
                return Err(format!("extern (kcfg) '{}': value '{c}' implies tristate or char type", e.name));
            }
            (c == 'y') as u8
        }
        KcfgType::Tristate => match c {
            'y' => 1,
            'm' => 2,
            _ => 0,
        },
        KcfgType::Char => c as u8,
        _ => return Err(format!("extern (kcfg) '{}': value '{c}' implies bool, tristate, or char type", e.name)),
    };
    // A tristate is a 4-byte enum; the others one byte.
    let mut bytes = vec![0u8; if e.kind == KcfgType::Tristate { e.size as usize } else { 1 }];
    bytes[0] = v;
    write(data, e, &bytes);
    slot.set = true;
    Ok(())
}

fn set_str(slot: &mut Slot, data: &mut [u8], value: &str) -> Result<(), String> {
    let e = slot.ext;
    if e.kind != KcfgType::CharArr {
        return Err(format!("extern (kcfg) '{}': value '{value}' implies char array type", e.name));
    }
    if value.len() < 2 || !value.ends_with('"') {
        return Err(format!("extern (kcfg) '{}': invalid string config '{value}'", e.name));
    }
    let inner = &value.as_bytes()[1..value.len() - 1];
    // libbpf warns and truncates a string too long for the array.
    let len = inner.len().min(e.size as usize - 1);
    let mut bytes = inner[..len].to_vec();
    bytes.push(0);
    write(data, e, &bytes);
    slot.set = true;
    Ok(())
}

/// libbpf's `bpf_object__process_kconfig_line`: Ok when the line sets nothing or sets a value.
fn process_line(slots: &mut [Slot], data: &mut [u8], line: &str) -> Result<(), Vec<String>> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    if !line.starts_with("CONFIG_") {
        return Ok(());
    }
    let Some((name, value)) = line.split_once('=') else { return Err(vec![format!("failed to parse '{line}': no separator")]) };
    if value.is_empty() {
        return Err(vec![format!("failed to parse '{line}': no value")]);
    }
    let Some(slot) = slots.iter_mut().find(|s| s.ext.name == name) else { return Ok(()) };
    if slot.set {
        return Ok(());
    }
    let r = match value.chars().next() {
        Some(c @ ('y' | 'n' | 'm')) => set_tri(slot, data, c),
        Some('"') => set_str(slot, data, value),
        _ => match parse_u64(value) {
            Err(why) => return Err(vec![why, format!("extern (kcfg) '{name}': value '{value}' isn't a valid integer")]),
            Ok(_) if !matches!(slot.ext.kind, KcfgType::Int | KcfgType::Char) => {
                Err(format!("extern (kcfg) '{name}': value '{value}' implies integer type"))
            }
            Ok(v) => set_num(slot, data, v),
        },
    };
    r.map_err(|l| vec![l])
}

/// The line as libbpf prints it after a failure: it has cut the line at its `=` (unless no value
/// follows it).
fn shown_line(line: &str) -> &str {
    match line.split_once('=') {
        Some((name, value)) if !value.is_empty() => name,
        _ => line,
    }
}

/// Whether a bool option is `y` (the user's setting first, then the config text).
pub fn enabled(user: &[(String, String)], config: &str, name: &str) -> bool {
    if let Some((_, v)) = user.iter().find(|(n, _)| n == name) {
        return v == "y";
    }
    let want = format!("{name}=y");
    config.lines().any(|l| l == want)
}

/// The `.kconfig` map's value for `externs` (of `size` bytes), from the user's settings
/// (`NAME`, value as a config line writes it) and the model's config text and release.
pub fn values(
    externs: &[KconfigExtern],
    size: usize,
    user: &[(String, String)],
    config: &str,
    release: &str,
) -> Result<Vec<u8>, KconfigError> {
    let mut data = vec![0u8; size];
    let mut slots: Vec<Slot> = externs.iter().map(|ext| Slot { ext, set: false }).collect();
    for i in 0..slots.len() {
        let name = slots[i].ext.name.clone();
        if name.starts_with("CONFIG_") {
            continue;
        }
        let user_value = user.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        let value = if let Some(v) = user_value {
            parse_u64(v).map_err(|why| einval(vec![why, format!("extern (kcfg) '{name}': value '{v}' isn't a valid integer")]))?
        } else if name == "LINUX_KERNEL_VERSION" {
            kernel_version(release).ok_or_else(|| einval(vec![format!("extern (kcfg) '{name}': failed to get kernel version")]))? as u64
        } else if name == "LINUX_HAS_BPF_COOKIE" {
            1
        } else if name == "LINUX_HAS_SYSCALL_WRAPPER" {
            (enabled(user, config, "CONFIG_ARCH_HAS_SYSCALL_WRAPPER") && enabled(user, config, "CONFIG_KPROBES")) as u64
        } else if !name.starts_with("LINUX_") || !slots[i].ext.weak {
            return Err(einval(vec![format!("extern (kcfg) '{name}': unrecognized virtual extern")]));
        } else {
            0
        };
        set_num(&mut slots[i], &mut data, value).map_err(|l| einval(vec![l]))?;
    }
    if slots.iter().any(|s| s.ext.name.starts_with("CONFIG_")) {
        for (name, value) in user.iter().filter(|(n, _)| n.starts_with("CONFIG_")) {
            let line = format!("{name}={value}");
            process_line(&mut slots, &mut data, &line).map_err(|mut lines| {
                lines.push(format!("error parsing in-memory Kconfig line '{}': -22", shown_line(&line)));
                einval(lines)
            })?;
        }
        for line in config.lines() {
            process_line(&mut slots, &mut data, line).map_err(|mut lines| {
                lines.push(format!("error parsing system Kconfig line '{}': -22", shown_line(line)));
                einval(lines)
            })?;
        }
    }
    if let Some(s) = slots.iter().find(|s| !s.set && !s.ext.weak) {
        return Err(KconfigError { errno: Errno::ESRCH, lines: vec![format!("extern '{}' (strong): not resolved", s.ext.name)] });
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(name: &str, kind: KcfgType, size: u32, signed: bool, weak: bool, data_off: u32) -> KconfigExtern {
        KconfigExtern { name: name.into(), weak, kind, size, align: size.min(8), signed, data_off }
    }

    #[test]
    fn kernel_version_as_libbpf_computes_it() {
        assert_eq!(kernel_version("6.18.44-fc-v1294"), Some(0x06122c));
        assert_eq!(kernel_version("6.18.300"), Some(0x0612ff));
        assert_eq!(kernel_version("6.18"), None);
    }

    #[test]
    fn values_by_kind_and_the_refusals() {
        let exts = [
            ext("LINUX_KERNEL_VERSION", KcfgType::Int, 4, false, false, 0),
            ext("CONFIG_A", KcfgType::Bool, 1, false, false, 4),
            ext("CONFIG_B", KcfgType::Tristate, 4, false, false, 8),
            ext("CONFIG_C", KcfgType::Char, 1, true, false, 5),
            ext("CONFIG_S", KcfgType::CharArr, 4, false, false, 12),
            ext("CONFIG_N", KcfgType::Int, 2, true, true, 6),
            ext("CONFIG_MISSING", KcfgType::Int, 4, false, true, 16),
        ];
        let config = "CONFIG_A=y\nCONFIG_B=m\nCONFIG_C=y\nCONFIG_S=\"hello\"\n# CONFIG_N is not set\n";
        let user = [("CONFIG_N".to_string(), "-2".to_string())];
        let d = values(&exts, 20, &user, config, "6.18.44").unwrap();
        assert_eq!(u32::from_le_bytes(d[0..4].try_into().unwrap()), 0x06122c);
        assert_eq!(d[4], 1);
        assert_eq!(d[5], b'y');
        assert_eq!(i16::from_le_bytes([d[6], d[7]]), -2);
        assert_eq!(u32::from_le_bytes(d[8..12].try_into().unwrap()), 2);
        assert_eq!(&d[12..16], b"hel\0");
        assert_eq!(&d[16..20], &[0, 0, 0, 0]);
        let refuse = |e: KconfigExtern, line: &str| values(&[e], 8, &[], line, "6.18.44").unwrap_err();
        assert_eq!(refuse(ext("CONFIG_A", KcfgType::Bool, 1, false, false, 0), "CONFIG_A=m").lines[0], "extern (kcfg) 'CONFIG_A': value 'm' implies tristate or char type");
        assert_eq!(refuse(ext("CONFIG_A", KcfgType::Int, 1, false, false, 0), "CONFIG_A=300").lines[0], "extern (kcfg) 'CONFIG_A': value '300' doesn't fit in 1 bytes");
        assert_eq!(refuse(ext("CONFIG_A", KcfgType::Int, 4, false, false, 0), "CONFIG_A=\"x\"").lines[0], "extern (kcfg) 'CONFIG_A': value '\"x\"' implies char array type");
        assert_eq!(refuse(ext("CONFIG_A", KcfgType::Int, 4, false, false, 0), "CONFIG_A=12z").lines[1], "extern (kcfg) 'CONFIG_A': value '12z' isn't a valid integer");
        let e = refuse(ext("CONFIG_A", KcfgType::Int, 4, false, false, 0), "");
        assert_eq!((e.errno, e.lines[0].as_str()), (Errno::ESRCH, "extern 'CONFIG_A' (strong): not resolved"));
        assert_eq!(refuse(ext("LINUX_X", KcfgType::Int, 4, false, false, 0), "").lines[0], "extern (kcfg) 'LINUX_X': unrecognized virtual extern");
        assert!(values(&[ext("LINUX_X", KcfgType::Int, 4, false, true, 0)], 4, &[], "", "6.18.44").is_ok());
    }
}
