//! The Internet checksum (RFC 1071), pseudo-header sums, and the RFC 1624 incremental update.
//!
//! Partial sums are `u32` values holding a one's complement sum already folded to 16 bits
//! (at most `0xffff`), so a few of them can be added and passed back as `initial` without
//! overflow. [`finish`] folds and complements. All values are in host order: a checksum read
//! with `u16::from_be_bytes` is compared and updated directly.

use std::net::Ipv4Addr;

/// Folds a 32-bit one's complement accumulator to 16 bits (end-around carry). Never returns
/// 0 for a non-zero input.
#[inline(always)]
pub const fn fold(mut sum: u32) -> u16 {
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    sum as u16
}

#[inline(always)]
const fn fold64(mut acc: u64) -> u32 {
    // 2^16 - 1 divides 2^64 - 1: folding a 64-bit one's complement sum to 16 bits gives the
    // 16-bit one's complement sum of the same words.
    acc = (acc & 0xffff_ffff) + (acc >> 32);
    acc = (acc & 0xffff_ffff) + (acc >> 32);
    fold(acc as u32) as u32
}

/// One's complement sum of `data` as big-endian 16-bit words (an odd last byte is padded
/// with zero), added to `initial`. Returns a folded partial sum (`<= 0xffff`).
///
/// Sums 8 bytes at a time in a 64-bit accumulator with end-around carry.
#[inline]
pub fn sum(data: &[u8], initial: u32) -> u32 {
    let mut acc: u64 = initial as u64;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let (s, carry) = acc.overflowing_add(u64::from_be_bytes(w));
        acc = s + carry as u64;
    }
    let rest = chunks.remainder();
    let mut words = rest.chunks_exact(2);
    let mut tail: u64 = 0;
    for w in &mut words {
        tail += u16::from_be_bytes([w[0], w[1]]) as u64;
    }
    if let [b] = words.remainder() {
        tail += (*b as u64) << 8;
    }
    let (s, carry) = acc.overflowing_add(tail);
    acc = s + carry as u64;
    fold64(acc)
}

/// Adds two partial sums.
#[inline(always)]
pub const fn add(a: u32, b: u32) -> u32 {
    fold(a + b) as u32
}

/// Complement of the folded sum: the value to store in a checksum field.
#[inline(always)]
pub const fn finish(sum: u32) -> u16 {
    !fold(sum)
}

/// The Internet checksum of `data` (store it as is; a buffer including a correct checksum
/// gives 0).
#[inline]
pub fn checksum(data: &[u8]) -> u16 {
    finish(sum(data, 0))
}

/// Partial sum of the IPv4 pseudo-header (source, destination, zero, protocol, L4 length).
#[inline]
pub fn pseudo_header_sum(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, l4_len: u16) -> u32 {
    let s = u32::from(src);
    let d = u32::from(dst);
    let acc = (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) + proto as u32 + l4_len as u32;
    fold(acc) as u32
}

/// Checksum of a TCP segment (or UDP datagram before the zero rule) with its pseudo-header.
/// `segment` must have its checksum field zeroed, or verify by comparing with 0.
#[inline]
pub fn l4_checksum(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, segment: &[u8]) -> u16 {
    let len = segment.len().min(u16::MAX as usize) as u16;
    finish(sum(segment, pseudo_header_sum(src, dst, proto, len)))
}

/// UDP's checksum: as [`l4_checksum`], but a computed 0 is sent as `0xffff` (RFC 768; the
/// kernel's `CSUM_MANGLED_0`), since 0 means "no checksum".
#[inline]
pub fn udp_checksum(src: Ipv4Addr, dst: Ipv4Addr, segment: &[u8]) -> u16 {
    match l4_checksum(src, dst, crate::ip_proto::UDP, segment) {
        0 => 0xffff,
        c => c,
    }
}

/// RFC 1624 eqn. 3: the checksum after a 16-bit field changes from `old` to `new`:
/// `HC' = ~(~HC + ~m + m')`.
#[inline(always)]
pub const fn update16(check: u16, old: u16, new: u16) -> u16 {
    !fold((!check) as u32 + (!old) as u32 + new as u32)
}

/// RFC 1624 eqn. 3 for a 32-bit field (two 16-bit words), e.g. an IPv4 address.
#[inline(always)]
pub const fn update32(check: u16, old: u32, new: u32) -> u16 {
    !fold(
        (!check) as u32 + (!(old >> 16) & 0xffff) + (!old & 0xffff) + (new >> 16) + (new & 0xffff),
    )
}

/// [`update16`] with the UDP rule: a checksum of 0 means "none" and stays 0; a result of 0
/// is sent as `0xffff`.
#[inline(always)]
pub const fn update16_udp(check: u16, old: u16, new: u16) -> u16 {
    if check == 0 {
        return 0;
    }
    match update16(check, old, new) {
        0 => 0xffff,
        c => c,
    }
}

/// [`update32`] with the UDP rule (see [`update16_udp`]).
#[inline(always)]
pub const fn update32_udp(check: u16, old: u32, new: u32) -> u16 {
    if check == 0 {
        return 0;
    }
    match update32(check, old, new) {
        0 => 0xffff,
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The textbook RFC 1071 sum, 16 bits at a time.
    fn naive(data: &[u8]) -> u16 {
        let mut acc: u32 = 0;
        for c in data.chunks(2) {
            let w = if c.len() == 2 {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], 0])
            };
            acc += w as u32;
            acc = (acc & 0xffff) + (acc >> 16);
        }
        !(acc as u16)
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3 example: the sum of these words is 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum(&data, 0)), 0xddf2);
        assert_eq!(checksum(&data), !0xddf2);
    }

    #[test]
    fn known_ipv4_header() {
        // A header from a capture (checksum 0xb861).
        let h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(checksum(&h), 0);
        let mut z = h;
        z[10] = 0;
        z[11] = 0;
        assert_eq!(checksum(&z), 0xb861);
    }

    #[test]
    fn udp_zero_rule() {
        assert_eq!(update16_udp(0, 1, 2), 0);
        // A change that makes the eqn. 3 result 0 must give 0xffff.
        // ~HC + ~m + m' folding to 0xffff gives HC' = 0: HC = 0x0001, m = 0, m' = 1 sums
        // 0xfffe + 0xffff + 1 = 0x1fffe, which folds to 0xffff.
        assert_eq!(update16(0x0001, 0x0000, 0x0001), 0);
        assert_eq!(update16_udp(0x0001, 0x0000, 0x0001), 0xffff);
    }

    proptest! {
        #[test]
        fn sum_matches_naive(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(checksum(&data), naive(&data));
        }

        #[test]
        fn sum_with_offset_slices(data in proptest::collection::vec(any::<u8>(), 0..100),
                                  start in 0usize..8) {
            // Unaligned starts (relative to the allocation) must not matter.
            let s = start.min(data.len()) & !1;
            prop_assert_eq!(checksum(&data[s..]), naive(&data[s..]));
        }

        #[test]
        fn incremental16_matches_full(mut data in proptest::collection::vec(any::<u8>(), 4..64),
                                      word in 0usize..32, new in any::<u16>()) {
            let n = data.len() & !1;
            data.truncate(n);
            // Put a correct checksum in word 0, then change another word.
            data[0] = 0;
            data[1] = 0;
            let c = checksum(&data);
            data[0..2].copy_from_slice(&c.to_be_bytes());
            let w = 1 + word % (n / 2 - 1);
            let old = u16::from_be_bytes([data[2 * w], data[2 * w + 1]]);
            data[2 * w..2 * w + 2].copy_from_slice(&new.to_be_bytes());
            let inc = update16(c, old, new);
            data[0] = 0;
            data[1] = 0;
            let full = checksum(&data);
            // Equal except for the one's complement zero ambiguity on an all-zero buffer.
            if data.iter().any(|&b| b != 0) {
                prop_assert_eq!(inc, full);
            }
        }

        #[test]
        fn incremental32_matches_full(mut data in proptest::collection::vec(any::<u8>(), 8..64),
                                      new in any::<u32>()) {
            let n = data.len() & !1;
            data.truncate(n);
            data[0] = 0;
            data[1] = 0;
            let c = checksum(&data);
            let old = u32::from_be_bytes([data[2], data[3], data[4], data[5]]);
            data[2..6].copy_from_slice(&new.to_be_bytes());
            let inc = update32(c, old, new);
            let full = checksum(&data);
            if data.iter().any(|&b| b != 0) {
                prop_assert_eq!(inc, full);
            }
        }
    }
}
