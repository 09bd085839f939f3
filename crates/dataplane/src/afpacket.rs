//! AF_PACKET sockets with memory-mapped rings: how ruta receives and transmits on the
//! Ethernet ports it owns.
//!
//! Owns the low level of a port: [`RxRing`] (an `ETH_P_ALL` socket bound to one interface with a
//! `PACKET_RX_RING`, `TPACKET_V3` block-based or `TPACKET_V2` frame-based, optionally in a
//! `PACKET_FANOUT` group and promiscuous), the two transmit paths behind [`Tx`] ([`TxRing`]: a
//! `PACKET_TX_RING`, `TPACKET_V2` frames, `PACKET_QDISC_BYPASS`, kicked once per batch;
//! [`TxBatch`]: one `sendmmsg` per batch on a plain socket, the daemon's [`TX_MODE`]) and
//! [`KernelGuard`] (keeps the kernel's own IP stack off an owned port). It must not know about routing, frames' contents or workers: the
//! pipeline decides, the worker loop glues.
//!
//! Layout reference: `include/uapi/linux/if_packet.h`, `Documentation/networking/packet_mmap.rst`
//! and `tools/testing/selftests/net/psock_tpacket.c`.
//!
//! Why RX and TX are two sockets: the socket's `PACKET_VERSION` applies to both of its rings,
//! and `TPACKET_V2` frames are the simple, well-trodden TX format whatever the RX version is.
//! The TX socket is bound with protocol 0, which registers no receive hook, so it costs nothing
//! on receive; only the RX sockets join the fanout group.
//!
//! Fast path rules: [`RxRing::recv_batch`] / [`RxRing::recv_batch_held`] /
//! [`RxRing::release_held`], `tx_slot`, `tx_commit`, [`TxBatch::send_borrowed`] and `flush`
//! allocate nothing; receive makes no system call while frames are ready ([`RxRing::wait`]
//! polls only when the ring is empty); transmit makes one `send` / `sendmmsg` per batch.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::process::Command;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::link;

/// `enum tpacket_versions` values (if_packet.h).
const TPACKET_V2: libc::c_int = 1;
const TPACKET_V3: libc::c_int = 2;
/// `ETH_P_ALL` in network byte order, as `sll_protocol` wants it.
const ETH_P_ALL_BE: u16 = (libc::ETH_P_ALL as u16).to_be();
/// `TPACKET_ALIGN(sizeof(struct tpacket2_hdr))`: where `sockaddr_ll` sits in a V2 frame, and
/// where TX data starts (`tp_hdrlen - sizeof(struct sockaddr_ll)` in `tpacket_parse_header`).
const V2_HDR: usize = tpacket_align(std::mem::size_of::<libc::tpacket2_hdr>());
/// `TPACKET_ALIGN(sizeof(struct tpacket3_hdr))`: where `sockaddr_ll` sits in a V3 frame.
const V3_HDR: usize = tpacket_align(std::mem::size_of::<libc::tpacket3_hdr>());
/// Offset of `block_status` in `struct tpacket_block_desc` (version, offset_to_priv, then
/// `struct tpacket_hdr_v1`).
const BD_STATUS: usize = 8;
const BD_NUM_PKTS: usize = 12;
const BD_FIRST: usize = 16;
/// Offset of `sll_pkttype` in `struct sockaddr_ll`.
const SLL_PKTTYPE: usize = 10;

const fn tpacket_align(x: usize) -> usize {
    (x + libc::TPACKET_ALIGNMENT - 1) & !(libc::TPACKET_ALIGNMENT - 1)
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(p).ok().filter(|p| *p > 0).unwrap_or(4096)
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.to_string())
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn setsockopt<T>(fd: RawFd, level: libc::c_int, opt: libc::c_int, val: &T) -> io::Result<()> {
    // SAFETY: val points to a live T of the size given.
    cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            opt,
            (val as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    })
    .map(drop)
}

fn packet_socket() -> io::Result<OwnedFd> {
    // Protocol 0: the socket receives nothing until bind() names ETH_P_ALL, so no frame lands
    // in the ring before it is set up.
    // SAFETY: plain socket(2) call.
    let fd = cvt(unsafe {
        libc::socket(
            libc::AF_PACKET,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        )
    })?;
    // SAFETY: fd is a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn bind(fd: RawFd, ifindex: u32, protocol_be: u16) -> io::Result<()> {
    // SAFETY: sockaddr_ll is plain old data.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = protocol_be;
    sll.sll_ifindex = i32::try_from(ifindex).map_err(|_| invalid("ifindex out of range"))?;
    // SAFETY: sll is a valid sockaddr_ll of the length given.
    cvt(unsafe {
        libc::bind(
            fd,
            (&sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// A shared mapping of a packet ring.
struct Mmap {
    ptr: NonNull<u8>,
    len: usize,
}

impl Mmap {
    fn new(fd: RawFd, len: usize) -> io::Result<Mmap> {
        // SAFETY: mapping a packet socket's ring; the kernel checks len against the ring size.
        // (The ring pages are kernel memory and never swapped: MAP_LOCKED would add nothing.)
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                fd,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave NULL"))?;
        Ok(Mmap { ptr, len })
    }

    /// The status word at `off` (4-byte aligned, inside the mapping: callers guarantee it).
    #[inline]
    fn status(&self, off: usize) -> &AtomicU32 {
        debug_assert!(off & 3 == 0 && off + 4 <= self.len);
        // SAFETY: off is in bounds and aligned (ring offsets are multiples of 16 plus 0/8/12);
        // the word is shared with the kernel, so it is accessed atomically.
        unsafe { &*self.ptr.as_ptr().add(off).cast::<AtomicU32>() }
    }

    #[inline]
    fn u32_at(&self, off: usize) -> u32 {
        self.status(off).load(Ordering::Relaxed)
    }

    #[inline]
    fn u16_at(&self, off: usize) -> u16 {
        debug_assert!(off & 1 == 0 && off + 2 <= self.len);
        // SAFETY: in bounds and aligned; the kernel does not write a frame owned by user space.
        unsafe { self.ptr.as_ptr().add(off).cast::<u16>().read() }
    }

    #[inline]
    fn u8_at(&self, off: usize) -> u8 {
        debug_assert!(off < self.len);
        // SAFETY: in bounds.
        unsafe { self.ptr.as_ptr().add(off).read() }
    }

    /// `len` bytes at `off`; callers check `off + len <= self.len`.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    fn bytes(&self, off: usize, len: usize) -> &mut [u8] {
        debug_assert!(off + len <= self.len);
        // SAFETY: in bounds; the frame belongs to user space (status checked by the caller)
        // and the ring hands out one frame at a time through &mut self methods.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().add(off), len) }
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: ptr/len came from a successful mmap and are unmapped once.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// The RX ring format.
///
/// Measured (release build, 2 shared vCPUs, veth, `ns0 -> fwd -> ns1`, 64-byte frames, a copy
/// loop from one port's RX ring into the other's TX ring, see `measure_forwarding` in
/// `tests/afpacket.rs`):
///
/// | ring        | forwarded under overload | one-way latency, 1 frame at a time (p50 / p99) |
/// |-------------|--------------------------|------------------------------------------------|
/// | V2          | 650-720 kpps (ring drops)| 6.3 us / 17-26 us                              |
/// | V3, tov 1ms | 810-830 kpps             | 0.91 ms / 0.94-1.26 ms                         |
/// | V3, tov 8ms | 820-835 kpps             | 5.9 ms / 6.0-6.3 ms                            |
///
/// V3 forwards ~15-25% more under saturation (one status round trip per 64 KiB block instead
/// of per frame, denser packing, fewer cache lines touched), but at low rates a frame waits in
/// the open block until `tp_retire_blk_tov` retires it (jiffy granularity: never below ~1 ms),
/// so every lone packet (a ping, a TCP handshake, the first packet of each burst) gets that
/// much latency per hop. V2 hands each frame over as soon as it is written. A router's latency
/// is part of its correctness for interactive traffic, so [`RxConfig::default`] is V2; V3 is
/// the choice for bulk-only ports where throughput matters more than the millisecond.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingVersion {
    /// `TPACKET_V2`: fixed-size frame slots, each handed back to the kernel on its own. A frame
    /// is visible to user space as soon as it is written: lowest latency.
    V2,
    /// `TPACKET_V3`: variable-size frames packed into blocks; a block is handed over when full
    /// or when `block_timeout_ms` expires. Denser and fewer status round trips, but a lone
    /// frame waits up to the block timeout.
    V3,
}

/// RX ring geometry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RxConfig {
    pub version: RingVersion,
    /// Bytes per block: a multiple of the page size and a power of two (kernel rule).
    pub block_size: u32,
    pub block_count: u32,
    /// V2: bytes per frame slot (multiple of 16, must hold header + `sockaddr_ll` + the frame).
    /// V3: only the kernel's `tp_frame_nr` accounting uses it; frames are packed.
    pub frame_size: u32,
    /// V3 `tp_retire_blk_tov`: a partly filled block is handed over after this many ms
    /// (rounded up to jiffies by the kernel). 0 lets the kernel pick from the link speed.
    pub block_timeout_ms: u32,
}

impl RxConfig {
    /// A ring for frames up to `mtu` bytes of payload (plus Ethernet and one VLAN tag), with
    /// about `bytes` of memory.
    pub fn for_mtu(version: RingVersion, mtu: u32, bytes: u32) -> RxConfig {
        let need = V2_HDR.max(V3_HDR) as u32 + 20 + 14 + 4 + mtu;
        let frame_size = need.next_power_of_two().max(2048);
        let block_size = frame_size.max(1 << 16);
        let block_count = (bytes / block_size).max(2);
        RxConfig {
            version,
            block_size,
            block_count,
            frame_size,
            block_timeout_ms: 1,
        }
    }
}

impl Default for RxConfig {
    /// V2, 2 KiB frames, 64 blocks of 64 KiB (4 MiB, 2048 frames).
    fn default() -> RxConfig {
        RxConfig::for_mtu(RingVersion::V2, 1500, 4 << 20)
    }
}

/// `PACKET_FANOUT` modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanoutMode {
    /// `PACKET_FANOUT_HASH`: by the skb flow hash, so one flow stays on one socket.
    Hash,
    /// `PACKET_FANOUT_LB`: round robin.
    RoundRobin,
    /// `PACKET_FANOUT_CPU`: by the receiving CPU.
    Cpu,
    /// `PACKET_FANOUT_QM`: by the NIC's receive queue.
    QueueMapping,
}

impl FanoutMode {
    fn raw(self) -> u32 {
        match self {
            FanoutMode::Hash => libc::PACKET_FANOUT_HASH,
            FanoutMode::RoundRobin => libc::PACKET_FANOUT_LB,
            FanoutMode::Cpu => libc::PACKET_FANOUT_CPU,
            FanoutMode::QueueMapping => libc::PACKET_FANOUT_QM,
        }
    }
}

/// Membership in a fanout group. All sockets of a group must be bound to the same interface
/// and use the same mode. `PACKET_FANOUT_FLAG_DEFRAG` is never set: ruta reassembles nothing
/// before routing, like the kernel's forwarding path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fanout {
    /// Group id, unique per network namespace (see [`fanout_group_id`]).
    pub group: u16,
    pub mode: FanoutMode,
}

/// The fanout group id ruta uses for an interface: derived from the ifindex, which is unique
/// per namespace, so two ports never share a group. (Another program using the same id on the
/// same interface with another mode makes the join fail with `EINVAL`, not silently mix.)
pub fn fanout_group_id(ifindex: u32) -> u16 {
    // Fold the 32-bit ifindex; ifindexes above 65535 are rare but legal.
    (ifindex as u16) ^ ((ifindex >> 16) as u16).rotate_left(8)
}

/// Socket options of an RX socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RxOptions {
    pub ring: RxConfig,
    /// `PACKET_ADD_MEMBERSHIP` / `PACKET_MR_PROMISC` (dropped by the kernel when the socket closes).
    pub promiscuous: bool,
    /// `PACKET_IGNORE_OUTGOING`: do not see frames this host transmits (including our own TX).
    pub ignore_outgoing: bool,
    pub fanout: Option<Fanout>,
}

impl Default for RxOptions {
    fn default() -> RxOptions {
        RxOptions {
            ring: RxConfig::default(),
            promiscuous: false,
            ignore_outgoing: true,
            fanout: None,
        }
    }
}

/// Counters of one ring, kept by ruta (user-space side).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RxCounters {
    /// Frames handed to the callback.
    pub frames: u64,
    /// Units (V3 blocks, V2 frames) returned to the kernel.
    pub released: u64,
    /// Frames the kernel cut short (`tp_snaplen < tp_len`: slot too small), still handed over.
    pub truncated: u64,
    /// Frame descriptors pointing outside their block: skipped (should never happen).
    pub bad_desc: u64,
    /// `poll` calls made by [`RxRing::wait`].
    pub polls: u64,
}

/// `PACKET_STATISTICS`, accumulated (the kernel resets its counters on every read).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelStats {
    /// Frames the socket saw, received or dropped (the kernel adds drops to `tp_packets`).
    pub packets: u64,
    /// Frames dropped because the ring was full (or the filter/memory said no).
    pub drops: u64,
    /// V3: times the queue froze because no block was free (`tp_freeze_q_cnt`).
    pub freeze_q_cnt: u64,
}

/// What the kernel says about one received frame.
#[derive(Debug)]
pub struct RxFrame<'a> {
    /// The frame from its Ethernet header, `snaplen` bytes, writable in place.
    pub data: &'a mut [u8],
    /// Length on the wire (`tp_len`); larger than `data.len()` when truncated.
    pub wire_len: u32,
    /// `sll_pkttype`: `PACKET_HOST`, `PACKET_BROADCAST`, `PACKET_MULTICAST`, `PACKET_OTHERHOST`.
    pub pkt_type: u8,
    /// The VLAN tag the device stripped (`TP_STATUS_VLAN_VALID`), TCI only.
    pub vlan_tci: Option<u16>,
    /// `TP_STATUS_*` bits (e.g. `TP_STATUS_CSUMNOTREADY` for locally generated, not yet
    /// checksummed frames, `TP_STATUS_LOSING` when the kernel dropped frames before this one).
    pub status: u32,
}

impl RxFrame<'_> {
    pub fn truncated(&self) -> bool {
        (self.data.len() as u64) < u64::from(self.wire_len)
    }
}

#[derive(Debug)]
enum Layout {
    V2 {
        frame_size: usize,
        frames_per_block: usize,
        frame_count: usize,
    },
    V3 {
        block_count: usize,
    },
}

/// An RX socket bound to one interface (`ETH_P_ALL`) with its memory-mapped ring.
///
/// One worker owns one `RxRing` per interface (it is `Send`, not `Sync`). Several `RxRing`s of
/// one interface in one [`Fanout`] group share the interface's traffic by flow.
pub struct RxRing {
    fd: OwnedFd,
    map: Mmap,
    layout: Layout,
    block_size: usize,
    version: RingVersion,
    /// Next V3 block or V2 frame to look at.
    cur: usize,
    /// Units (V2 frames, V3 blocks) before `cur` handed over by [`RxRing::recv_batch_held`]
    /// and not yet returned by [`RxRing::release_held`].
    held: usize,
    ifindex: u32,
    counters: RxCounters,
    kstats: KernelStats,
}

// SAFETY: the mapping is owned by this value and only reached through &mut self / &self
// methods of it; moving it to another thread is fine.
unsafe impl Send for RxRing {}

impl std::fmt::Debug for RxRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RxRing")
            .field("fd", &self.fd.as_raw_fd())
            .field("ifindex", &self.ifindex)
            .field("version", &self.version)
            .field("layout", &self.layout)
            .finish()
    }
}

fn check_geometry(block_size: u32, block_count: u32, frame_size: u32) -> io::Result<()> {
    let page = page_size() as u32;
    // Both powers of two: a multiple of the page iff not smaller.
    if !block_size.is_power_of_two() || block_size < page {
        return Err(invalid(
            "block_size must be a power of two multiple of the page size",
        ));
    }
    if block_count == 0 {
        return Err(invalid("block_count must be > 0"));
    }
    if frame_size < (V2_HDR.max(V3_HDR) + 64) as u32
        || frame_size & (libc::TPACKET_ALIGNMENT as u32 - 1) != 0
        || frame_size > block_size
    {
        return Err(invalid(
            "frame_size must be a multiple of 16, hold a header and a frame, and fit a block",
        ));
    }
    (block_size as usize)
        .checked_mul(block_count as usize)
        .filter(|n| *n <= 1 << 34)
        .ok_or_else(|| invalid("ring too large"))?;
    Ok(())
}

impl RxRing {
    /// Opens an RX ring on interface `ifname` (looked up in the calling thread's namespace; the
    /// socket stays in that namespace whatever thread uses it later).
    pub fn open(ifname: &str, opts: &RxOptions) -> io::Result<RxRing> {
        let ifindex = link::ifindex(ifname).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("no interface {ifname}"))
        })?;
        Self::open_index(ifindex, opts)
    }

    /// As [`RxRing::open`], by ifindex.
    pub fn open_index(ifindex: u32, opts: &RxOptions) -> io::Result<RxRing> {
        let c = &opts.ring;
        check_geometry(c.block_size, c.block_count, c.frame_size)?;
        let fd = packet_socket()?;
        let raw = fd.as_raw_fd();
        let version = match c.version {
            RingVersion::V2 => TPACKET_V2,
            RingVersion::V3 => TPACKET_V3,
        };
        setsockopt(
            raw,
            libc::SOL_PACKET,
            libc::PACKET_VERSION,
            &(version as libc::c_int),
        )?;
        if opts.ignore_outgoing {
            setsockopt(
                raw,
                libc::SOL_PACKET,
                libc::PACKET_IGNORE_OUTGOING,
                &1 as &libc::c_int,
            )?;
        }
        let frames_per_block = (c.block_size / c.frame_size) as usize;
        let frame_nr = (frames_per_block as u32)
            .checked_mul(c.block_count)
            .ok_or_else(|| invalid("too many frames"))?;
        let layout = match c.version {
            RingVersion::V2 => {
                let req = libc::tpacket_req {
                    tp_block_size: c.block_size,
                    tp_block_nr: c.block_count,
                    tp_frame_size: c.frame_size,
                    tp_frame_nr: frame_nr,
                };
                setsockopt(raw, libc::SOL_PACKET, libc::PACKET_RX_RING, &req)?;
                Layout::V2 {
                    frame_size: c.frame_size as usize,
                    frames_per_block,
                    frame_count: frame_nr as usize,
                }
            }
            RingVersion::V3 => {
                let req = libc::tpacket_req3 {
                    tp_block_size: c.block_size,
                    tp_block_nr: c.block_count,
                    tp_frame_size: c.frame_size,
                    tp_frame_nr: frame_nr,
                    tp_retire_blk_tov: c.block_timeout_ms,
                    tp_sizeof_priv: 0,
                    tp_feature_req_word: 0,
                };
                setsockopt(raw, libc::SOL_PACKET, libc::PACKET_RX_RING, &req)?;
                Layout::V3 {
                    block_count: c.block_count as usize,
                }
            }
        };
        let map = Mmap::new(raw, c.block_size as usize * c.block_count as usize)?;
        bind(raw, ifindex, ETH_P_ALL_BE)?;
        if opts.promiscuous {
            let mreq = libc::packet_mreq {
                mr_ifindex: ifindex as libc::c_int,
                mr_type: libc::PACKET_MR_PROMISC as libc::c_ushort,
                mr_alen: 0,
                mr_address: [0; 8],
            };
            setsockopt(raw, libc::SOL_PACKET, libc::PACKET_ADD_MEMBERSHIP, &mreq)?;
        }
        if let Some(f) = opts.fanout {
            let arg: u32 = u32::from(f.group) | (f.mode.raw() << 16);
            setsockopt(raw, libc::SOL_PACKET, libc::PACKET_FANOUT, &arg)?;
        }
        Ok(RxRing {
            fd,
            map,
            layout,
            block_size: c.block_size as usize,
            version: c.version,
            cur: 0,
            held: 0,
            ifindex,
            counters: RxCounters::default(),
            kstats: KernelStats::default(),
        })
    }

    /// Opens `n` RX rings on one interface in one fanout group (id [`fanout_group_id`] unless
    /// `opts.fanout` names one), one per worker.
    ///
    /// The kernel only accepts `PACKET_FANOUT` on a bound socket, so each socket receives on
    /// its own for the instant between its `bind` and its join: a frame arriving then can be
    /// seen by two rings. Harmless at port start-up (before traffic is expected).
    pub fn open_group(
        ifname: &str,
        n: usize,
        mode: FanoutMode,
        opts: &RxOptions,
    ) -> io::Result<Vec<RxRing>> {
        let ifindex = link::ifindex(ifname).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("no interface {ifname}"))
        })?;
        let mut o = opts.clone();
        o.fanout = Some(Fanout {
            group: opts.fanout.map_or(fanout_group_id(ifindex), |f| f.group),
            mode,
        });
        (0..n).map(|_| Self::open_index(ifindex, &o)).collect()
    }

    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    pub fn version(&self) -> RingVersion {
        self.version
    }

    pub fn counters(&self) -> RxCounters {
        self.counters
    }

    /// Is a V3 block or V2 frame ready? (No system call.)
    pub fn ready(&self) -> bool {
        let off = self.unit_offset(self.cur);
        let st = match self.layout {
            Layout::V2 { .. } => self.map.status(off),
            Layout::V3 { .. } => self.map.status(off + BD_STATUS),
        };
        st.load(Ordering::Acquire) & libc::TP_STATUS_USER != 0
    }

    #[inline]
    fn unit_offset(&self, i: usize) -> usize {
        match self.layout {
            Layout::V2 {
                frame_size,
                frames_per_block,
                ..
            } => (i / frames_per_block) * self.block_size + (i % frames_per_block) * frame_size,
            Layout::V3 { .. } => i * self.block_size,
        }
    }

    /// Hands every ready frame to `f` (in ring order), returning each V3 block / V2 frame to
    /// the kernel after its frames were processed, until the ring is empty or at least
    /// `budget` frames were handed over (checked between units: a V3 block is always finished).
    /// Returns the number of frames. No allocation, no system call.
    pub fn recv_batch<F: FnMut(RxFrame<'_>)>(&mut self, budget: usize, f: F) -> usize {
        self.recv(budget, false, f)
    }

    /// As [`RxRing::recv_batch`], but the frames stay user space's after the callback (the
    /// kernel does not write over them) until [`RxRing::release_held`], so that their bytes
    /// can be handed to the kernel by address (a [`TxBatch`] sends them from the ring). At
    /// most all but one unit of the ring is held: then it returns early.
    pub fn recv_batch_held<F: FnMut(RxFrame<'_>)>(&mut self, budget: usize, f: F) -> usize {
        self.recv(budget, true, f)
    }

    /// Returns every unit [`RxRing::recv_batch_held`] handed over to the kernel, in ring
    /// order. No system call.
    pub fn release_held(&mut self) {
        let units = self.unit_count();
        for i in 0..self.held {
            let u = (self.cur + units - self.held + i) % units;
            let off = self.unit_offset(u);
            let st = match self.layout {
                Layout::V2 { .. } => off,
                Layout::V3 { .. } => off + BD_STATUS,
            };
            self.map
                .status(st)
                .store(libc::TP_STATUS_KERNEL, Ordering::Release);
        }
        self.counters.released += self.held as u64;
        self.held = 0;
    }

    /// Units held by [`RxRing::recv_batch_held`] and not yet released.
    pub fn held(&self) -> usize {
        self.held
    }

    fn unit_count(&self) -> usize {
        match self.layout {
            Layout::V2 { frame_count, .. } => frame_count,
            Layout::V3 { block_count } => block_count,
        }
    }

    fn recv<F: FnMut(RxFrame<'_>)>(&mut self, budget: usize, hold: bool, mut f: F) -> usize {
        let mut n = 0;
        let units = self.unit_count();
        while n < budget {
            // never hold the whole ring: the unit at `cur` would be a held one again
            if hold && self.held >= units.saturating_sub(1).max(1) {
                break;
            }
            let got = match self.layout {
                Layout::V2 { .. } => self.take_v2(hold, &mut f),
                Layout::V3 { .. } => self.take_v3(hold, &mut f),
            };
            match got {
                Some(k) => n += k,
                None => break,
            }
        }
        self.counters.frames += n as u64;
        n
    }

    fn take_v2<F: FnMut(RxFrame<'_>)>(&mut self, hold: bool, f: &mut F) -> Option<usize> {
        let Layout::V2 {
            frame_size,
            frame_count,
            ..
        } = self.layout
        else {
            return None;
        };
        let off = self.unit_offset(self.cur);
        let status = self.map.status(off).load(Ordering::Acquire);
        if status & libc::TP_STATUS_USER == 0 {
            return None;
        }
        // struct tpacket2_hdr: status, len, snaplen, mac(u16), net(u16), sec, nsec,
        // vlan_tci(u16), vlan_tpid(u16).
        let wire_len = self.map.u32_at(off + 4);
        let snaplen = self.map.u32_at(off + 8) as usize;
        let mac = self.map.u16_at(off + 12) as usize;
        let vlan = self.map.u16_at(off + 24);
        let mut k = 0;
        if mac >= V2_HDR && mac.saturating_add(snaplen) <= frame_size {
            let pkt_type = self.map.u8_at(off + V2_HDR + SLL_PKTTYPE);
            let frame = RxFrame {
                data: self.map.bytes(off + mac, snaplen),
                wire_len,
                pkt_type,
                vlan_tci: (status & libc::TP_STATUS_VLAN_VALID != 0).then_some(vlan),
                status,
            };
            if frame.truncated() {
                self.counters.truncated += 1;
            }
            f(frame);
            k = 1;
        } else {
            self.counters.bad_desc += 1;
        }
        if hold {
            self.held += 1;
        } else {
            self.map
                .status(off)
                .store(libc::TP_STATUS_KERNEL, Ordering::Release);
            self.counters.released += 1;
        }
        self.cur = (self.cur + 1) % frame_count;
        Some(k)
    }

    fn take_v3<F: FnMut(RxFrame<'_>)>(&mut self, hold: bool, f: &mut F) -> Option<usize> {
        let Layout::V3 { block_count } = self.layout else {
            return None;
        };
        let base = self.cur * self.block_size;
        let status = self.map.status(base + BD_STATUS).load(Ordering::Acquire);
        if status & libc::TP_STATUS_USER == 0 {
            return None;
        }
        let num = self.map.u32_at(base + BD_NUM_PKTS) as usize;
        let mut pos = self.map.u32_at(base + BD_FIRST) as usize;
        let bs = self.block_size;
        let mut k = 0;
        for i in 0..num {
            // struct tpacket3_hdr: next_offset, sec, nsec, snaplen, len, status, mac(u16),
            // net(u16), hv1 { rxhash, vlan_tci, vlan_tpid(u16), pad(u16) }, pad[8].
            if pos < BD_FIRST || pos & 3 != 0 || pos + V3_HDR + 16 > bs {
                self.counters.bad_desc += 1;
                break;
            }
            let off = base + pos;
            let next = self.map.u32_at(off) as usize;
            let snaplen = self.map.u32_at(off + 12) as usize;
            let wire_len = self.map.u32_at(off + 16);
            let fstatus = self.map.u32_at(off + 20);
            let mac = self.map.u16_at(off + 24) as usize;
            let vlan = self.map.u32_at(off + 32) as u16;
            if mac < V3_HDR || pos + mac + snaplen > bs {
                self.counters.bad_desc += 1;
                break;
            }
            let pkt_type = self.map.u8_at(off + V3_HDR + SLL_PKTTYPE);
            let frame = RxFrame {
                data: self.map.bytes(off + mac, snaplen),
                wire_len,
                pkt_type,
                vlan_tci: (fstatus & libc::TP_STATUS_VLAN_VALID != 0).then_some(vlan),
                status: fstatus,
            };
            if frame.truncated() {
                self.counters.truncated += 1;
            }
            f(frame);
            k += 1;
            if i + 1 < num {
                if next == 0 {
                    self.counters.bad_desc += 1;
                    break;
                }
                pos += next;
            }
        }
        if hold {
            self.held += 1;
        } else {
            self.map
                .status(base + BD_STATUS)
                .store(libc::TP_STATUS_KERNEL, Ordering::Release);
            self.counters.released += 1;
        }
        self.cur = (self.cur + 1) % block_count;
        Some(k)
    }

    /// Waits until a frame is ready or `timeout_ms` passes (-1: forever): returns at once
    /// without a system call if one is ready, else one `poll`. Returns whether one is ready.
    pub fn wait(&mut self, timeout_ms: i32) -> io::Result<bool> {
        if self.ready() {
            return Ok(true);
        }
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN | libc::POLLERR,
            revents: 0,
        };
        self.counters.polls += 1;
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                return Ok(self.ready());
            }
            return Err(e);
        }
        Ok(self.ready())
    }

    /// `PACKET_STATISTICS`, accumulated since the ring was opened.
    pub fn kernel_stats(&mut self) -> io::Result<KernelStats> {
        let mut st = libc::tpacket_stats_v3 {
            tp_packets: 0,
            tp_drops: 0,
            tp_freeze_q_cnt: 0,
        };
        let mut len = std::mem::size_of::<libc::tpacket_stats_v3>() as libc::socklen_t;
        // SAFETY: st has room for the largest answer (tpacket_stats_v3); len says so.
        cvt(unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut st as *mut libc::tpacket_stats_v3).cast(),
                &mut len,
            )
        })?;
        self.kstats.packets += u64::from(st.tp_packets);
        self.kstats.drops += u64::from(st.tp_drops);
        if self.version == RingVersion::V3 {
            self.kstats.freeze_q_cnt += u64::from(st.tp_freeze_q_cnt);
        }
        Ok(self.kstats)
    }
}

impl AsRawFd for RxRing {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl mio::event::Source for RxRing {
    fn register(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        mio::unix::SourceFd(&self.fd.as_raw_fd()).register(registry, token, interests)
    }
    fn reregister(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        mio::unix::SourceFd(&self.fd.as_raw_fd()).reregister(registry, token, interests)
    }
    fn deregister(&mut self, registry: &mio::Registry) -> io::Result<()> {
        mio::unix::SourceFd(&self.fd.as_raw_fd()).deregister(registry)
    }
}

/// TX ring geometry and options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxConfig {
    /// Bytes per frame slot (multiple of 16; the frame starts 32 bytes in).
    pub frame_size: u32,
    pub frame_count: u32,
    /// `PACKET_QDISC_BYPASS`: hand frames straight to the driver (`dev_direct_xmit`), skipping
    /// the qdisc layer. A full driver queue then drops instead of queueing.
    pub qdisc_bypass: bool,
}

impl Default for TxConfig {
    /// 2 KiB frames, 1024 of them (2 MiB).
    fn default() -> TxConfig {
        TxConfig {
            frame_size: 2048,
            frame_count: 1024,
            qdisc_bypass: true,
        }
    }
}

/// Counters of a TX ring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxCounters {
    /// Frames committed to the ring.
    pub committed: u64,
    /// `send` kicks made.
    pub kicks: u64,
    /// `tx_slot` found no free slot (ring full): the frame was not sent.
    pub full: u64,
    /// Kicks that failed (e.g. `ENOBUFS`, `ENETDOWN`); frames stay queued for the next kick.
    pub kick_errors: u64,
    /// `tx_commit` refused (length 0, larger than the slot, or no slot reserved).
    pub bad_commit: u64,
    /// [`TxBatch`] only: committed frames a flush could not send (see [`TxBatch`]).
    pub dropped: u64,
}

/// A TX socket bound to one interface with a `TPACKET_V2` `PACKET_TX_RING`.
///
/// Fill with [`TxRing::tx_slot`] + [`TxRing::tx_commit`], send the batch with one
/// [`TxRing::flush`]. `PACKET_LOSS` is on, so a malformed frame (shorter than an Ethernet
/// header, longer than MTU + 14 + 4) is dropped by the kernel instead of stalling the ring.
pub struct TxRing {
    fd: OwnedFd,
    map: Mmap,
    frame_size: usize,
    frames_per_block: usize,
    block_size: usize,
    frame_count: usize,
    head: usize,
    /// Committed but not yet kicked.
    pending: usize,
    /// tx_slot reserved the frame at `head`.
    reserved: bool,
    ifindex: u32,
    counters: TxCounters,
}

// SAFETY: as for RxRing.
unsafe impl Send for TxRing {}

impl std::fmt::Debug for TxRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxRing")
            .field("fd", &self.fd.as_raw_fd())
            .field("ifindex", &self.ifindex)
            .field("frame_size", &self.frame_size)
            .field("frame_count", &self.frame_count)
            .finish()
    }
}

impl TxRing {
    /// Opens a TX ring on `ifname` (calling thread's namespace).
    pub fn open(ifname: &str, cfg: &TxConfig) -> io::Result<TxRing> {
        let ifindex = link::ifindex(ifname).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("no interface {ifname}"))
        })?;
        Self::open_index(ifindex, cfg)
    }

    /// As [`TxRing::open`], by ifindex.
    pub fn open_index(ifindex: u32, cfg: &TxConfig) -> io::Result<TxRing> {
        let page = page_size() as u32;
        if cfg.frame_count == 0 {
            return Err(invalid("frame_count must be > 0"));
        }
        // Smallest power-of-two multiple of the page that holds at least one frame.
        let block_size = cfg.frame_size.max(page).next_power_of_two();
        let frames_per_block = block_size / cfg.frame_size.max(1);
        let block_count = cfg.frame_count.div_ceil(frames_per_block.max(1));
        check_geometry(block_size, block_count, cfg.frame_size)?;
        let frame_nr = frames_per_block * block_count;
        let fd = packet_socket()?;
        let raw = fd.as_raw_fd();
        setsockopt(
            raw,
            libc::SOL_PACKET,
            libc::PACKET_VERSION,
            &(TPACKET_V2 as libc::c_int),
        )?;
        setsockopt(raw, libc::SOL_PACKET, libc::PACKET_LOSS, &1 as &libc::c_int)?;
        if cfg.qdisc_bypass {
            setsockopt(
                raw,
                libc::SOL_PACKET,
                libc::PACKET_QDISC_BYPASS,
                &1 as &libc::c_int,
            )?;
        }
        let req = libc::tpacket_req {
            tp_block_size: block_size,
            tp_block_nr: block_count,
            tp_frame_size: cfg.frame_size,
            tp_frame_nr: frame_nr,
        };
        setsockopt(raw, libc::SOL_PACKET, libc::PACKET_TX_RING, &req)?;
        let map = Mmap::new(raw, block_size as usize * block_count as usize)?;
        // Protocol 0: no receive hook; frames' protocol is taken from their Ethernet header.
        bind(raw, ifindex, 0)?;
        Ok(TxRing {
            fd,
            map,
            frame_size: cfg.frame_size as usize,
            frames_per_block: frames_per_block as usize,
            block_size: block_size as usize,
            frame_count: frame_nr as usize,
            head: 0,
            pending: 0,
            reserved: false,
            ifindex,
            counters: TxCounters::default(),
        })
    }

    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    pub fn counters(&self) -> TxCounters {
        self.counters
    }

    /// Largest frame a slot holds.
    pub fn slot_capacity(&self) -> usize {
        self.frame_size - V2_HDR
    }

    /// Frames committed and not yet kicked.
    pub fn pending(&self) -> usize {
        self.pending
    }

    #[inline]
    fn frame_offset(&self, i: usize) -> usize {
        (i / self.frames_per_block) * self.block_size
            + (i % self.frames_per_block) * self.frame_size
    }

    #[inline]
    fn head_free(&self) -> bool {
        let off = self.frame_offset(self.head);
        let st = self.map.status(off).load(Ordering::Acquire);
        // WRONG_FORMAT only stays when PACKET_LOSS is off; reclaim it anyway.
        st == libc::TP_STATUS_AVAILABLE || st == libc::TP_STATUS_WRONG_FORMAT
    }

    /// The next free slot to write a whole Ethernet frame into ([`TxRing::slot_capacity`]
    /// bytes), or `None` when the ring is full (counted in `full`). When the ring is full and
    /// frames are still waiting for a kick, it kicks once and looks again.
    pub fn tx_slot(&mut self) -> Option<&mut [u8]> {
        if !self.head_free() {
            if self.pending > 0 {
                let _ = self.flush();
            }
            if !self.head_free() {
                self.counters.full += 1;
                self.reserved = false;
                return None;
            }
        }
        self.reserved = true;
        let off = self.frame_offset(self.head) + V2_HDR;
        Some(self.map.bytes(off, self.frame_size - V2_HDR))
    }

    /// Queues the first `len` bytes of the slot [`TxRing::tx_slot`] returned. Returns false
    /// (and queues nothing) when no slot was reserved or `len` is 0 or too large.
    pub fn tx_commit(&mut self, len: usize) -> bool {
        if !self.reserved || len == 0 || len > self.slot_capacity() {
            self.counters.bad_commit += 1;
            return false;
        }
        self.reserved = false;
        let off = self.frame_offset(self.head);
        // tpacket2_hdr.tp_len and tp_snaplen, then hand the frame over.
        self.map
            .status(off + 4)
            .store(len as u32, Ordering::Relaxed);
        self.map
            .status(off + 8)
            .store(len as u32, Ordering::Relaxed);
        self.map
            .status(off)
            .store(libc::TP_STATUS_SEND_REQUEST, Ordering::Release);
        self.head = (self.head + 1) % self.frame_count;
        self.pending += 1;
        self.counters.committed += 1;
        true
    }

    /// Copies `frame` into the next slot and commits it; false when the ring is full or the
    /// frame does not fit.
    pub fn send_frame(&mut self, frame: &[u8]) -> bool {
        let cap = self.slot_capacity();
        if frame.is_empty() || frame.len() > cap {
            self.counters.bad_commit += 1;
            return false;
        }
        match self.tx_slot() {
            Some(slot) => slot[..frame.len()].copy_from_slice(frame),
            None => return false,
        }
        self.tx_commit(frame.len())
    }

    /// Kicks the kernel to send every committed frame: one `send(fd, NULL, 0, MSG_DONTWAIT)`.
    /// Returns the number of frames that were waiting. Does nothing when none is.
    pub fn flush(&mut self) -> io::Result<usize> {
        if self.pending == 0 {
            return Ok(0);
        }
        self.counters.kicks += 1;
        // SAFETY: a NULL buffer of length 0 is how a TX ring is kicked (tpacket_snd).
        let r = unsafe { libc::send(self.fd.as_raw_fd(), std::ptr::null(), 0, libc::MSG_DONTWAIT) };
        if r < 0 {
            let e = io::Error::last_os_error();
            self.counters.kick_errors += 1;
            return Err(e);
        }
        let n = self.pending;
        self.pending = 0;
        Ok(n)
    }

    /// Frames the kernel still holds (`SEND_REQUEST` or `SENDING`): 0 once all were sent.
    /// Walks the ring: for tests and shutdown, not the fast path.
    pub fn in_flight(&self) -> usize {
        (0..self.frame_count)
            .filter(|i| {
                let st = self
                    .map
                    .status(self.frame_offset(*i))
                    .load(Ordering::Acquire);
                st & (libc::TP_STATUS_SEND_REQUEST | libc::TP_STATUS_SENDING) != 0
            })
            .count()
    }
}

impl AsRawFd for TxRing {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Which transmit path a port's [`Tx`] uses.
///
/// Measured with `seedperf` (docs/PERFORMANCE.md, "Worker loop and TX path"): on veth the TX
/// ring's frames reach the skb as page fragments pointing into the ring, so every hop that
/// must own its data (`skb_copy_ubufs` on the veth hand-off to another namespace) allocates a
/// page and copies, and every kick walks the ring (`packet_lookup_frame`) frame by frame;
/// `sendmmsg` copies each frame once into a linear skb, in one system call per batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxMode {
    /// `PACKET_TX_RING` ([`TxRing`]): frames written into shared memory, one `send` kick.
    Ring,
    /// `sendmmsg` on a plain AF_PACKET socket ([`TxBatch`]): frames written into a user
    /// buffer, one `sendmmsg` per batch, copied by the kernel into ordinary skbs.
    Mmsg,
}

/// The transmit path the daemon opens for every AF_PACKET port (see [`TxMode`] for why).
pub const TX_MODE: TxMode = TxMode::Mmsg;

/// Most messages one `sendmmsg` takes (`UIO_MAXIOV`).
const MMSG_MAX: usize = 1024;

/// A TX socket bound to one interface, sending batches with `sendmmsg`.
///
/// Same interface as [`TxRing`]: fill with [`TxBatch::tx_slot`] + [`TxBatch::tx_commit`],
/// send with one [`TxBatch::flush`]. The slots are a user-space buffer of
/// `min(frame_count, 1024)` frames of `frame_size - 32` bytes (the same largest frame as the
/// ring of the same [`TxConfig`]); the `iovec`/`mmsghdr` arrays pointing at them are built once,
/// so a flush only fills in lengths. A full batch is flushed by [`TxBatch::tx_slot`] before it
/// hands out a slot, so `tx_slot` never returns `None`.
///
/// Unlike the ring, frames the kernel refuses are not kept for the next kick: `EAGAIN` /
/// `ENOBUFS` (socket send buffer or driver queue full) and link errors drop the rest of the
/// batch, a frame-specific error (`EMSGSIZE`, `EINVAL`) drops that frame and the flush goes
/// on; both are counted in `dropped`. A router drops there too (a full driver queue is a full
/// queue), and keeping them would let a stuck link block the worker's batch.
pub struct TxBatch {
    fd: OwnedFd,
    /// `slots * stride` bytes; slot `i` starts at `i * stride`.
    buf: Box<[u8]>,
    stride: usize,
    capacity: usize,
    /// One iovec per slot (base fixed, length filled at commit).
    iov: Box<[libc::iovec]>,
    /// One header per slot, pointing at its iovec.
    msgs: Box<[libc::mmsghdr]>,
    pending: usize,
    reserved: bool,
    ifindex: u32,
    counters: TxCounters,
}

// SAFETY: the raw pointers in `iov` and `msgs` point into `buf` and `iov`, heap memory owned
// by this value that does not move when the value moves; nothing else reaches them.
unsafe impl Send for TxBatch {}

impl std::fmt::Debug for TxBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxBatch")
            .field("fd", &self.fd.as_raw_fd())
            .field("ifindex", &self.ifindex)
            .field("slots", &self.msgs.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl TxBatch {
    /// Opens a batch sender on `ifname` (calling thread's namespace).
    pub fn open(ifname: &str, cfg: &TxConfig) -> io::Result<TxBatch> {
        let ifindex = link::ifindex(ifname).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("no interface {ifname}"))
        })?;
        Self::open_index(ifindex, cfg)
    }

    /// As [`TxBatch::open`], by ifindex.
    pub fn open_index(ifindex: u32, cfg: &TxConfig) -> io::Result<TxBatch> {
        if cfg.frame_count == 0 {
            return Err(invalid("frame_count must be > 0"));
        }
        if cfg.frame_size < (V2_HDR + 64) as u32
            || cfg.frame_size & (libc::TPACKET_ALIGNMENT as u32 - 1) != 0
            || cfg.frame_size > 1 << 20
        {
            return Err(invalid(
                "frame_size must be a multiple of 16, hold a header and a frame, at most 1 MiB",
            ));
        }
        let slots = (cfg.frame_count as usize).min(MMSG_MAX);
        let stride = cfg.frame_size as usize;
        let capacity = stride - V2_HDR;
        let fd = packet_socket()?;
        let raw = fd.as_raw_fd();
        if cfg.qdisc_bypass {
            setsockopt(
                raw,
                libc::SOL_PACKET,
                libc::PACKET_QDISC_BYPASS,
                &1 as &libc::c_int,
            )?;
        }
        // Room for a whole batch of skbs in flight (a NIC holds them until TX completion):
        // SO_SNDBUFFORCE needs CAP_NET_ADMIN, which owning ports needs anyway; without it
        // the default (net.core.wmem_default) stays.
        let want = libc::c_int::try_from((slots * (stride + 1024)).min(64 << 20)).unwrap_or(0);
        let _ = setsockopt(raw, libc::SOL_SOCKET, libc::SO_SNDBUFFORCE, &want);
        // Protocol 0: no receive hook; frames' protocol is taken from their Ethernet header
        // (packet_parse_headers).
        bind(raw, ifindex, 0)?;
        let mut buf = vec![0u8; slots * stride].into_boxed_slice();
        let base = buf.as_mut_ptr();
        let mut iov: Box<[libc::iovec]> = (0..slots)
            .map(|i| libc::iovec {
                // SAFETY: i * stride < slots * stride = buf.len().
                iov_base: unsafe { base.add(i * stride) }.cast(),
                iov_len: 0,
            })
            .collect();
        let iov_base = iov.as_mut_ptr();
        let msgs: Box<[libc::mmsghdr]> = (0..slots)
            .map(|i| {
                // SAFETY: msghdr / mmsghdr are plain old data; all-zero is a valid value
                // (no name, no control data).
                let mut m: libc::mmsghdr = unsafe { std::mem::zeroed() };
                // SAFETY: i < slots = iov.len().
                m.msg_hdr.msg_iov = unsafe { iov_base.add(i) };
                m.msg_hdr.msg_iovlen = 1;
                m
            })
            .collect();
        Ok(TxBatch {
            fd,
            buf,
            stride,
            capacity,
            iov,
            msgs,
            pending: 0,
            reserved: false,
            ifindex,
            counters: TxCounters::default(),
        })
    }

    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    pub fn counters(&self) -> TxCounters {
        self.counters
    }

    /// Largest frame a slot holds.
    pub fn slot_capacity(&self) -> usize {
        self.capacity
    }

    /// Frames committed and not yet sent.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// The next free slot ([`TxBatch::slot_capacity`] bytes). When every slot is taken it
    /// flushes first, so there always is one.
    pub fn tx_slot(&mut self) -> Option<&mut [u8]> {
        if self.pending == self.msgs.len() {
            let _ = self.flush();
        }
        self.reserved = true;
        let off = self.pending * self.stride;
        self.buf.get_mut(off..off + self.capacity)
    }

    /// Queues the first `len` bytes of the slot [`TxBatch::tx_slot`] returned. Returns false
    /// (and queues nothing) when no slot was reserved or `len` is 0 or too large.
    pub fn tx_commit(&mut self, len: usize) -> bool {
        if !self.reserved || len == 0 || len > self.capacity || self.pending >= self.iov.len() {
            self.counters.bad_commit += 1;
            return false;
        }
        self.reserved = false;
        let i = self.pending;
        // the slot's own buffer (a borrowed frame may have pointed this iovec elsewhere)
        self.iov[i].iov_base = self.buf[i * self.stride..].as_mut_ptr().cast();
        self.iov[i].iov_len = len;
        self.pending += 1;
        self.counters.committed += 1;
        true
    }

    /// Queues `frame` to be sent by address, without copying it here (the kernel copies it
    /// at the flush). Flushes first when every slot is taken. Returns false (and queues
    /// nothing) when `frame` is empty or longer than [`TxBatch::slot_capacity`].
    ///
    /// # Safety
    ///
    /// The bytes must stay valid and unchanged until the next [`TxBatch::flush`] (including
    /// the implicit one of [`TxBatch::tx_slot`] / `send_borrowed`) returns: e.g. a frame in an
    /// [`RxRing`] held by [`RxRing::recv_batch_held`] and released after the flush.
    pub unsafe fn send_borrowed(&mut self, frame: &[u8]) -> bool {
        if frame.is_empty() || frame.len() > self.capacity {
            self.counters.bad_commit += 1;
            return false;
        }
        if self.pending == self.msgs.len() {
            let _ = self.flush();
        }
        self.reserved = false;
        let i = self.pending;
        // sendmmsg only reads through iov_base; the mutable pointer type is the C struct's.
        self.iov[i].iov_base = frame.as_ptr().cast_mut().cast();
        self.iov[i].iov_len = frame.len();
        self.pending += 1;
        self.counters.committed += 1;
        true
    }

    /// Copies `frame` into the next slot and commits it; false when it does not fit.
    pub fn send_frame(&mut self, frame: &[u8]) -> bool {
        if frame.is_empty() || frame.len() > self.capacity {
            self.counters.bad_commit += 1;
            return false;
        }
        match self.tx_slot() {
            Some(slot) => slot[..frame.len()].copy_from_slice(frame),
            None => return false,
        }
        self.tx_commit(frame.len())
    }

    /// Sends every committed frame: one `sendmmsg(MSG_DONTWAIT)`, more only when the kernel
    /// stops early. Returns the number of frames sent, or the first error after dropping what
    /// could not be sent (see the type's doc). Does nothing when no frame waits.
    pub fn flush(&mut self) -> io::Result<usize> {
        let n = self.pending;
        if n == 0 {
            return Ok(0);
        }
        self.pending = 0;
        self.reserved = false;
        let mut off = 0;
        let mut sent = 0;
        let mut first_err = None;
        let mut interrupted = 0;
        while off < n {
            self.counters.kicks += 1;
            // SAFETY: msgs[off..n] are valid headers whose iovecs point into buf with the
            // committed lengths; the count is at most 1024.
            let r = unsafe {
                libc::sendmmsg(
                    self.fd.as_raw_fd(),
                    self.msgs.as_mut_ptr().add(off),
                    (n - off) as libc::c_uint,
                    libc::MSG_DONTWAIT,
                )
            };
            if r > 0 {
                let r = (r as usize).min(n - off);
                off += r;
                sent += r;
                continue;
            }
            let e = if r == 0 {
                io::Error::from(io::ErrorKind::WriteZero)
            } else {
                io::Error::last_os_error()
            };
            self.counters.kick_errors += 1;
            let skip = match e.raw_os_error() {
                Some(libc::EINTR) if interrupted < 4 => {
                    interrupted += 1;
                    0
                }
                // this frame is refused; the next ones may go
                Some(libc::EMSGSIZE) | Some(libc::EINVAL) => 1,
                _ => n - off,
            };
            self.counters.dropped += skip as u64;
            off += skip;
            if skip > 0 {
                first_err.get_or_insert(e);
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(sent),
        }
    }
}

impl AsRawFd for TxBatch {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// A port's transmit side, whichever path ([`TxMode`]) it uses: the worker writes frames
/// through this without knowing which.
#[derive(Debug)]
pub enum Tx {
    Ring(TxRing),
    Batch(TxBatch),
}

impl Tx {
    /// Opens `mode`'s transmit path on `ifname` (calling thread's namespace).
    pub fn open(ifname: &str, mode: TxMode, cfg: &TxConfig) -> io::Result<Tx> {
        Ok(match mode {
            TxMode::Ring => Tx::Ring(TxRing::open(ifname, cfg)?),
            TxMode::Mmsg => Tx::Batch(TxBatch::open(ifname, cfg)?),
        })
    }

    pub fn mode(&self) -> TxMode {
        match self {
            Tx::Ring(_) => TxMode::Ring,
            Tx::Batch(_) => TxMode::Mmsg,
        }
    }

    pub fn counters(&self) -> TxCounters {
        match self {
            Tx::Ring(t) => t.counters(),
            Tx::Batch(t) => t.counters(),
        }
    }

    pub fn slot_capacity(&self) -> usize {
        match self {
            Tx::Ring(t) => t.slot_capacity(),
            Tx::Batch(t) => t.slot_capacity(),
        }
    }

    #[inline]
    pub fn pending(&self) -> usize {
        match self {
            Tx::Ring(t) => t.pending(),
            Tx::Batch(t) => t.pending(),
        }
    }

    #[inline]
    pub fn tx_slot(&mut self) -> Option<&mut [u8]> {
        match self {
            Tx::Ring(t) => t.tx_slot(),
            Tx::Batch(t) => t.tx_slot(),
        }
    }

    #[inline]
    pub fn tx_commit(&mut self, len: usize) -> bool {
        match self {
            Tx::Ring(t) => t.tx_commit(len),
            Tx::Batch(t) => t.tx_commit(len),
        }
    }

    pub fn send_frame(&mut self, frame: &[u8]) -> bool {
        match self {
            Tx::Ring(t) => t.send_frame(frame),
            Tx::Batch(t) => t.send_frame(frame),
        }
    }

    pub fn flush(&mut self) -> io::Result<usize> {
        match self {
            Tx::Ring(t) => t.flush(),
            Tx::Batch(t) => t.flush(),
        }
    }
}

/// Keeps the kernel's own IP stack off an owned port while ruta runs: everything that arrives
/// on the interface is dropped at tc ingress, after the AF_PACKET taps have seen it.
///
/// Installs `tc qdisc add dev IF clsact` (unless a clsact qdisc is already there) and
/// `tc filter add dev IF ingress pref 1 protocol all matchall action drop` (or, on kernels
/// without matchall/gact, the equivalent `bpf da` filter: see [`GuardFilter`]), with the `tc`
/// binary of iproute2; [`KernelGuard::uninstall`] or `Drop` removes the filter, and the qdisc
/// if the guard added it.
///
/// Why the taps still see the frames: in `net/core/dev.c` `__netif_receive_skb_core` walks
/// `ptype_all` and `skb->dev->ptype_all` (where `ETH_P_ALL` packet sockets, fanout groups
/// included, register) *before* the `skip_taps:` label and `sch_handle_ingress()`; the last tap
/// is held in `pt_prev` and `sch_handle_ingress` delivers it (`deliver_skb(skb, *pt_prev, ..)`)
/// before running the ingress filters. A `TC_ACT_SHOT` verdict then frees the skb before
/// `ip_rcv` / `arp_rcv` (the `ptype_base` handlers) or bridging could see it: the kernel
/// neither answers ARP/ICMP for its addresses on the port nor forwards what arrives there.
///
/// Not covered: what the kernel itself originates on the port (its own ARP requests, IPv6
/// router solicitations / DAD if IPv6 is enabled there); the admin should not give the port
/// kernel addresses, and ruta's own transmissions do not pass tc ingress.
///
/// The commands run in the network namespace the guard was installed from (the calling
/// thread's), also when it is dropped on another thread.
#[derive(Debug)]
pub struct KernelGuard {
    ifname: String,
    netns: OwnedFd,
    created_qdisc: bool,
    installed: bool,
    filter: Option<GuardFilter>,
}

/// The tc filter a [`KernelGuard`] drops with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardFilter {
    /// `matchall action drop` (needs `cls_matchall` and `act_gact`).
    Matchall,
    /// `bpf da bytecode "1,6 0 0 2"`: a one-instruction classic BPF program in direct-action
    /// mode returning `TC_ACT_SHOT` (2); needs only `cls_bpf`. Used when matchall or gact is
    /// missing from the kernel (as on kernels built without `CONFIG_NET_CLS_MATCHALL`).
    CbpfShot,
}

impl GuardFilter {
    fn tc_words(self) -> &'static [&'static str] {
        match self {
            GuardFilter::Matchall => &["matchall", "action", "drop"],
            GuardFilter::CbpfShot => &["bpf", "da", "bytecode", "1,6 0 0 2"],
        }
    }
    fn kind(self) -> &'static str {
        match self {
            GuardFilter::Matchall => "matchall",
            GuardFilter::CbpfShot => "bpf",
        }
    }
}

/// The filter priority the guard uses (the highest, so it runs first).
pub const GUARD_PREF: u16 = 1;

impl KernelGuard {
    /// Installs the guard on `ifname` in the calling thread's network namespace.
    pub fn install(ifname: &str) -> io::Result<KernelGuard> {
        link::check_name(ifname)?;
        let path = c"/proc/thread-self/ns/net";
        // SAFETY: valid path string.
        let fd = cvt(unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) })?;
        // SAFETY: fresh descriptor we own.
        let netns = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut g = KernelGuard {
            ifname: ifname.to_string(),
            netns,
            created_qdisc: false,
            installed: false,
            filter: None,
        };
        let qdiscs = g.tc(&["qdisc", "show", "dev", ifname])?;
        if !qdiscs.lines().any(|l| l.starts_with("qdisc clsact")) {
            g.tc(&["qdisc", "add", "dev", ifname, "clsact"])?;
            g.created_qdisc = true;
        }
        let pref = GUARD_PREF.to_string();
        let mut last = None;
        for filter in [GuardFilter::Matchall, GuardFilter::CbpfShot] {
            let mut args = vec![
                "filter", "add", "dev", ifname, "ingress", "pref", &pref, "protocol", "all",
            ];
            args.extend_from_slice(filter.tc_words());
            match g.tc(&args) {
                Ok(_) => {
                    g.filter = Some(filter);
                    last = None;
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        if let Some(e) = last {
            if g.created_qdisc {
                let _ = g.tc(&["qdisc", "del", "dev", ifname, "clsact"]);
                g.created_qdisc = false;
            }
            return Err(e);
        }
        g.installed = true;
        Ok(g)
    }

    pub fn ifname(&self) -> &str {
        &self.ifname
    }

    /// The filter in use.
    pub fn filter(&self) -> Option<GuardFilter> {
        self.filter
    }

    /// Removes the filter (and the clsact qdisc if the guard added it).
    pub fn uninstall(mut self) -> io::Result<()> {
        self.remove()
    }

    fn remove(&mut self) -> io::Result<()> {
        if !self.installed {
            return Ok(());
        }
        self.installed = false;
        let ifname = self.ifname.clone();
        let pref = GUARD_PREF.to_string();
        let kind = self.filter.map_or("matchall", GuardFilter::kind);
        let r1 = self
            .tc(&[
                "filter", "del", "dev", &ifname, "ingress", "pref", &pref, "protocol", "all", kind,
            ])
            .map(drop);
        let r2 = if self.created_qdisc {
            self.tc(&["qdisc", "del", "dev", &ifname, "clsact"])
                .map(drop)
        } else {
            Ok(())
        };
        r1.and(r2)
    }

    /// Runs `tc ARGS` in the guard's namespace; its stdout, or an error with its stderr.
    fn tc(&self, args: &[&str]) -> io::Result<String> {
        use std::os::unix::process::CommandExt;
        let ns = self.netns.as_raw_fd();
        let mut cmd = Command::new("tc");
        cmd.args(args);
        // SAFETY: only setns(2) runs in the child, which is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setns(ns, libc::CLONE_NEWNET) < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let out = cmd.output()?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(io::Error::other(format!(
                "tc {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }
}

impl Drop for KernelGuard {
    fn drop(&mut self) {
        let _ = self.remove();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_sizes_match_if_packet_h() {
        assert_eq!(std::mem::size_of::<libc::tpacket2_hdr>(), 32);
        assert_eq!(V2_HDR, 32);
        assert_eq!(std::mem::size_of::<libc::tpacket3_hdr>(), 48);
        assert_eq!(V3_HDR, 48);
        assert_eq!(std::mem::offset_of!(libc::tpacket2_hdr, tp_vlan_tci), 24);
        assert_eq!(std::mem::offset_of!(libc::tpacket3_hdr, tp_mac), 24);
        assert_eq!(std::mem::offset_of!(libc::tpacket3_hdr, hv1), 28);
        assert_eq!(std::mem::offset_of!(libc::tpacket_block_desc, hdr), 8);
        assert_eq!(
            std::mem::offset_of!(libc::sockaddr_ll, sll_pkttype),
            SLL_PKTTYPE
        );
    }

    #[test]
    fn geometry_is_checked_before_any_syscall() {
        let bad = [
            (1000, 4, 2048),     // block not a page multiple
            (3 * 4096, 4, 2048), // not a power of two
            (65536, 0, 2048),    // no blocks
            (65536, 4, 2050),    // frame not 16-aligned
            (65536, 4, 64),      // frame too small
            (4096, 4, 8192),     // frame larger than block
        ];
        for (bs, bc, fs) in bad {
            assert!(check_geometry(bs, bc, fs).is_err(), "{bs} {bc} {fs}");
        }
        assert!(check_geometry(65536, 64, 2048).is_ok());
        let c = RxConfig::for_mtu(RingVersion::V3, 9000, 8 << 20);
        assert!(c.frame_size >= 9000 + 14 + 48);
        assert!(check_geometry(c.block_size, c.block_count, c.frame_size).is_ok());
        assert!(check_geometry(
            RxConfig::default().block_size,
            RxConfig::default().block_count,
            RxConfig::default().frame_size
        )
        .is_ok());
    }

    #[test]
    fn tx_batch_geometry_is_checked_before_any_syscall() {
        // ifindex 0 would fail at bind: these must fail earlier, on the numbers
        for (fs, fc) in [(2048, 0), (2050, 16), (64, 16), (2 << 20, 16)] {
            let cfg = TxConfig {
                frame_size: fs,
                frame_count: fc,
                qdisc_bypass: true,
            };
            let e = TxBatch::open_index(0, &cfg).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{fs} {fc}: {e}");
        }
    }

    #[test]
    fn fanout_ids_differ_per_interface() {
        let ids: std::collections::HashSet<u16> = (1..5000).map(fanout_group_id).collect();
        assert_eq!(ids.len(), 4999);
        assert_eq!(fanout_group_id(7), 7);
    }

    #[test]
    fn opening_a_missing_interface_is_an_error() {
        assert!(RxRing::open("no-such-if0", &RxOptions::default()).is_err());
        assert!(TxRing::open("no-such-if0", &TxConfig::default()).is_err());
        assert!(TxBatch::open("no-such-if0", &TxConfig::default()).is_err());
        assert!(Tx::open("no-such-if0", TxMode::Mmsg, &TxConfig::default()).is_err());
        assert!(RxRing::open("bad/name", &RxOptions::default()).is_err());
    }
}
