//! `ruta capture PORT -w FILE.pcap [-c N]`: what a port receives and sends, as a classic
//! pcap file (LINKTYPE_ETHERNET for AF_PACKET ports, LINKTYPE_RAW for TUN ports) that
//! tcpdump and wireshark read.
//!
//! Owns the tap the workers copy frames into ([`Tap`]) and the writer thread's loop
//! ([`write_pcap`]). While no capture runs, a worker's only cost is one relaxed atomic load
//! per frame ([`Tap::port`]); while one runs, each frame of that port is copied into a
//! bounded crossbeam channel (allocation per captured frame; a full channel drops the copy and
//! counts it). One capture at a time. It must not know about routing.

use crossbeam_channel::{Receiver, Sender, TrySendError};
use parking_lot::Mutex;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `LINKTYPE_ETHERNET`.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// `LINKTYPE_RAW` (IPv4/IPv6 without a link header).
pub const LINKTYPE_RAW: u32 = 101;
/// Frames buffered between the workers and the writer.
pub const CHANNEL_FRAMES: usize = 8192;
/// Bytes kept of each frame.
pub const SNAPLEN: u32 = 65535;

/// One captured frame: wall-clock time and bytes.
pub struct Captured {
    pub ts: Duration,
    pub data: Vec<u8>,
}

/// Where workers copy frames while a capture runs.
pub struct Tap {
    /// The ruta ifindex being captured, 0 when none.
    port: AtomicU32,
    tx: Mutex<Option<Sender<Captured>>>,
    /// Copies dropped because the channel was full.
    pub dropped: AtomicU64,
}

impl Default for Tap {
    fn default() -> Self {
        Tap::new()
    }
}

impl Tap {
    pub fn new() -> Tap {
        Tap {
            port: AtomicU32::new(0),
            tx: Mutex::new(None),
            dropped: AtomicU64::new(0),
        }
    }

    /// The port being captured (0: none). One relaxed load: call per frame.
    #[inline]
    pub fn port(&self) -> u32 {
        self.port.load(Ordering::Relaxed)
    }

    /// Starts capturing `ifindex`; the frames arrive on the returned receiver. Fails when a
    /// capture already runs.
    pub fn start(&self, ifindex: u32) -> Result<Receiver<Captured>, String> {
        let mut g = self.tx.lock();
        if g.is_some() {
            return Err("a capture is already running (one at a time)".into());
        }
        let (tx, rx) = crossbeam_channel::bounded(CHANNEL_FRAMES);
        *g = Some(tx);
        self.dropped.store(0, Ordering::Relaxed);
        self.port.store(ifindex, Ordering::Release);
        Ok(rx)
    }

    /// Stops the capture (the receiver sees the channel close once the copies in flight are
    /// read).
    pub fn stop(&self) {
        self.port.store(0, Ordering::Release);
        *self.tx.lock() = None;
    }

    /// Copies `frame` if `ifindex` is the captured port. Cheap when nothing is captured.
    #[inline]
    pub fn offer(&self, ifindex: u32, frame: &[u8]) {
        if self.port() != ifindex || ifindex == 0 {
            return;
        }
        self.push(frame);
    }

    #[cold]
    fn push(&self, frame: &[u8]) {
        let g = self.tx.lock();
        let Some(tx) = g.as_ref() else { return };
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let n = frame.len().min(SNAPLEN as usize);
        match tx.try_send(Captured {
            ts,
            data: frame[..n].to_vec(),
        }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The pcap global header (magic a1b2c3d4, version 2.4, microseconds).
pub fn pcap_header(linktype: u32) -> [u8; 24] {
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    // thiszone, sigfigs: 0
    h[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
    h[20..24].copy_from_slice(&linktype.to_le_bytes());
    h
}

/// One pcap record header.
pub fn record_header(ts: Duration, caplen: usize, wirelen: usize) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[0..4].copy_from_slice(&(ts.as_secs() as u32).to_le_bytes());
    h[4..8].copy_from_slice(&ts.subsec_micros().to_le_bytes());
    h[8..12].copy_from_slice(&(caplen as u32).to_le_bytes());
    h[12..16].copy_from_slice(&(wirelen as u32).to_le_bytes());
    h
}

/// Writes frames from `rx` to `w` as pcap until `count` frames were written (None: no
/// limit), `keep_going` says stop, or the channel closes. Returns the frames written.
pub fn write_pcap<W: Write>(
    w: &mut W,
    linktype: u32,
    rx: &Receiver<Captured>,
    count: Option<u64>,
    keep_going: &mut dyn FnMut() -> bool,
) -> io::Result<u64> {
    w.write_all(&pcap_header(linktype))?;
    w.flush()?;
    let mut n = 0u64;
    while count.is_none_or(|c| n < c) {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(c) => {
                w.write_all(&record_header(c.ts, c.data.len(), c.data.len()))?;
                w.write_all(&c.data)?;
                n += 1;
                if rx.is_empty() {
                    w.flush()?;
                }
            }
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                w.flush()?;
                if !keep_going() {
                    break;
                }
            }
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        }
    }
    w.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tap_copies_only_the_captured_port_and_writes_pcap() {
        let tap = Tap::new();
        tap.offer(3, b"nothing yet");
        let rx = tap.start(3).unwrap();
        assert!(tap.start(4).is_err());
        tap.offer(2, b"other port");
        tap.offer(3, &[0xaa; 60]);
        tap.offer(3, &[0xbb; 42]);
        let mut out = Vec::new();
        let n = write_pcap(&mut out, LINKTYPE_ETHERNET, &rx, Some(2), &mut || true).unwrap();
        assert_eq!(n, 2);
        tap.stop();
        assert_eq!(tap.port(), 0);
        assert_eq!(out.len(), 24 + 16 + 60 + 16 + 42);
        assert_eq!(&out[0..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(u32::from_le_bytes(out[20..24].try_into().unwrap()), 1);
        assert_eq!(u32::from_le_bytes(out[32..36].try_into().unwrap()), 60);
        assert_eq!(out[40], 0xaa);
        assert_eq!(out[24 + 16 + 60 + 16], 0xbb);
        // a new capture may start after stop
        let rx = tap.start(5).unwrap();
        drop(rx);
        tap.offer(5, &[1, 2, 3]);
        assert_eq!(tap.dropped.load(Ordering::Relaxed), 1);
        tap.stop();
    }
}
