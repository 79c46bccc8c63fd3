//! The kernel's `jhash`, by which hash maps place and order their keys.

#[cfg(test)]
use super::le32;

/// The kernel's `jhash` (Bob Jenkins' lookup3 `hashlittle`), which `htab_map_hash` uses; `jhash2`
/// over the same bytes as u32 words gives the same value on a little-endian host, so this is the
/// hash of every key size.
pub fn jhash(key: &[u8], seed: u32) -> u32 {
    // Straight-line rounds (the same as the table-driven form below, which is the test's
    // reference): one word per 4 key bytes, a short tail zero-padded.
    #[inline(always)]
    pub(super) fn word(b: &[u8]) -> u32 {
        match *b {
            [x0, x1, x2, x3, ..] => u32::from_le_bytes([x0, x1, x2, x3]),
            [x0, x1, x2] => u32::from_le_bytes([x0, x1, x2, 0]),
            [x0, x1] => u32::from_le_bytes([x0, x1, 0, 0]),
            [x0] => u32::from(x0),
            [] => 0,
        }
    }
    let init = 0xdead_beef_u32.wrapping_add(key.len() as u32).wrapping_add(seed);
    let (mut a, mut b, mut c) = (init, init, init);
    let mut rest = key;
    while rest.len() > 12 {
        a = a.wrapping_add(word(&rest[0..4]));
        b = b.wrapping_add(word(&rest[4..8]));
        c = c.wrapping_add(word(&rest[8..12]));
        a = a.wrapping_sub(c) ^ c.rotate_left(4);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a) ^ a.rotate_left(6);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b) ^ b.rotate_left(8);
        b = b.wrapping_add(a);
        a = a.wrapping_sub(c) ^ c.rotate_left(16);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a) ^ a.rotate_left(19);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b) ^ b.rotate_left(4);
        b = b.wrapping_add(a);
        rest = &rest[12..];
    }
    if rest.is_empty() {
        return c;
    }
    a = a.wrapping_add(word(rest));
    if rest.len() > 4 {
        b = b.wrapping_add(word(&rest[4..]));
    }
    if rest.len() > 8 {
        c = c.wrapping_add(word(&rest[8..]));
    }
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(14));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(11));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(25));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(16));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(4));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(14));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(24));
    c
}

#[cfg(test)]
pub(super) fn jhash_rounds(key: &[u8], seed: u32) -> u32 {
    pub(super) fn mix(s: &mut [u32; 3]) {
        for (i, r) in [4u32, 6, 8, 16, 19, 4].into_iter().enumerate() {
            // Rounds rotate the roles of a, b, c: (a, c, b), (b, a, c), (c, b, a), …
            let (x, y, z) = [(0, 2, 1), (1, 0, 2), (2, 1, 0)][i % 3];
            s[x] = s[x].wrapping_sub(s[y]);
            s[x] ^= s[y].rotate_left(r);
            s[y] = s[y].wrapping_add(s[z]);
        }
    }
    pub(super) fn finish(s: &mut [u32; 3]) {
        for (i, r) in [14u32, 11, 25, 16, 4, 14, 24].into_iter().enumerate() {
            let (x, y) = [(2, 1), (0, 2), (1, 0)][i % 3];
            s[x] ^= s[y];
            s[x] = s[x].wrapping_sub(s[y].rotate_left(r));
        }
    }
    pub(super) fn absorb(s: &mut [u32; 3], block: &[u8]) {
        for (w, chunk) in s.iter_mut().zip(block.chunks(4)) {
            *w = w.wrapping_add(le32(chunk));
        }
    }
    let init = 0xdead_beef_u32.wrapping_add(key.len() as u32).wrapping_add(seed);
    let mut s = [init; 3];
    let mut rest = key;
    while rest.len() > 12 {
        absorb(&mut s, &rest[..12]);
        mix(&mut s);
        rest = &rest[12..];
    }
    if rest.is_empty() {
        return s[2];
    }
    absorb(&mut s, rest);
    finish(&mut s);
    s[2]
}

#[cfg(test)]
mod jhash_tests {
    #[test]
    pub(super) fn straight_line_jhash_matches_the_rounds() {
        let mut x = 0x1234_5678_9abc_def0_u64;
        for len in 0..64usize {
            for _ in 0..50 {
                let key: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect();
                let seed = x as u32;
                assert_eq!(super::jhash(&key, seed), super::jhash_rounds(&key, seed), "len {len}");
                assert_eq!(super::jhash(&key, 0), super::jhash_rounds(&key, 0), "len {len}");
            }
        }
    }
}
