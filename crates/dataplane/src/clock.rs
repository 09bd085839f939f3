//! The daemon's coarse clock: milliseconds and seconds since the daemon started, read from
//! `CLOCK_MONOTONIC_COARSE` (answered by the vDSO: no system call, a few ns, millisecond-ish
//! resolution). Workers read it once per batch (`ctx.now` in seconds for conntrack, ms for
//! the neighbour table and the ICMP rate limits). It must not know about packets.

/// A monotonic clock starting near 0 when the daemon starts.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start_ms: u64,
}

/// Seconds the clock starts at: conntrack treats 0 as "no time yet" nowhere, but a start
/// above 0 keeps `now - timeout` arithmetic of the stage crates away from underflow.
pub const EPOCH_S: u64 = 1000;

fn mono_coarse_ms() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec to write into.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    if r != 0 {
        // SAFETY: as above; CLOCK_MONOTONIC exists on every Linux.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    }
    (ts.tv_sec as u64) * 1000 + (ts.tv_nsec as u64) / 1_000_000
}

impl Clock {
    pub fn new() -> Clock {
        Clock {
            start_ms: mono_coarse_ms().saturating_sub(EPOCH_S * 1000),
        }
    }

    /// Milliseconds (starting at [`EPOCH_S`] s).
    #[inline]
    pub fn now_ms(&self) -> u64 {
        mono_coarse_ms().saturating_sub(self.start_ms)
    }

    /// Seconds (starting at [`EPOCH_S`]), for `Ctx::now` and conntrack.
    #[inline]
    pub fn now_s(&self) -> u32 {
        (self.now_ms() / 1000).min(u32::MAX as u64) as u32
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_epoch_and_advances() {
        let c = Clock::new();
        let a = c.now_ms();
        assert!((EPOCH_S * 1000..EPOCH_S * 1000 + 1000).contains(&a), "{a}");
        std::thread::sleep(std::time::Duration::from_millis(30));
        let b = c.now_ms();
        assert!(b >= a + 20, "{a} {b}");
        assert_eq!(c.now_s() as u64, b / 1000);
    }
}
