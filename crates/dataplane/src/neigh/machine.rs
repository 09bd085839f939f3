//! The neighbour state machine: one single-threaded [`Core`], as `net/core/neighbour.c` and
//! `arp_process` run it.
//!
//! Owns the entries (states, addresses, timestamps, probe counts, timers, unresolved queues),
//! the timer heap, the action queue, garbage collection and the table counters. It publishes
//! every entry's "usable MAC" into the lock-free [`FastCache`] on each change; it never reads
//! a clock (time comes in as `now`, ms) and never does I/O.
//!
//! Functions are named after the kernel's where they do the same thing: `event_send`
//! (`__neigh_event_send`), `update` (`__neigh_update`), `timer` (`neigh_timer_handler`),
//! `probe` (`neigh_probe` + `arp_solicit`), `invalidate` (`neigh_invalidate`),
//! `forced_gc`, `periodic_work`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::net::Ipv4Addr;
use std::sync::Arc;

use hashbrown::HashTable;
use parking_lot::Mutex;

use super::fast::{hash_key, value, FastCache};
use super::pool::{truesize, Frames, List, Pool, NIL};
use super::show::ShowFilter;
use super::{
    Action, AddMode, ArpIn, ArpOp, ArpReply, IfIndex, Mac, NeighError, NeighInfo, Nud, Params,
    Resolve, Stats,
};

/// `HZ/100`: the shortest timer the kernel arms.
const MIN_TIMER_MS: i64 = 10;
/// Forced gc spares entries updated within this (the kernel's `5 * HZ`).
const FORCED_GC_AGE_MS: i64 = 5_000;
/// `reachable_time` is re-randomized this often (the kernel's `300 * HZ`).
const RERANDOMIZE_MS: i64 = 300_000;

struct Entry {
    key: u64,
    state: Nud,
    mac: Mac,
    probes: u32,
    confirmed: i64,
    updated: i64,
    used: i64,
    /// Creation order (the kernel's `gc_list` order).
    seq: u64,
    /// Armed timer deadline (heap items with another deadline are stale).
    timer: Option<i64>,
    queue: List,
    /// Slot in the fast cache, or NIL.
    slot: u32,
    /// Created PERMANENT by the admin: not counted against the gc thresholds.
    gc_exempt: bool,
}

impl Entry {
    fn ifindex(&self) -> IfIndex {
        (self.key >> 32) as IfIndex
    }
    fn ip(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.key as u32)
    }
}

/// The single-threaded neighbour table (see the module doc). [`super::Neigh`] wraps it in a
/// mutex; tests drive it directly.
pub(crate) struct Core {
    p: Params,
    entries: Vec<Option<Entry>>,
    free: Vec<u32>,
    index: HashTable<u32>,
    heap: BinaryHeap<Reverse<(i64, u64)>>,
    actions: VecDeque<Action>,
    max_actions: usize,
    pool: Arc<Mutex<Pool>>,
    fast: Arc<FastCache>,
    fast_tombs: usize,
    /// Current randomized reachable time (`parms->reachable_time`).
    reachable_time: i64,
    last_rand: Option<i64>,
    next_periodic: Option<i64>,
    last_flush: i64,
    /// Entries counted against the thresholds (`gc_entries`).
    gc_entries: usize,
    live: usize,
    seq: u64,
    rng: u64,
    stats: Stats,
    scratch: Vec<(u64, u64)>,
}

impl Core {
    pub(crate) fn new(p: Params, pool: Arc<Mutex<Pool>>, fast: Arc<FastCache>) -> Core {
        let p = p.sanitized();
        let mut rng = p.seed | 1;
        let reachable_time = rand_reach_time(&mut rng, p.base_reachable_time_ms);
        let max_actions = p.gc_thresh3.saturating_mul(4).saturating_add(64);
        Core {
            entries: Vec::new(),
            free: Vec::new(),
            index: HashTable::new(),
            heap: BinaryHeap::new(),
            actions: VecDeque::with_capacity(max_actions.min(4096)),
            max_actions,
            pool,
            fast,
            fast_tombs: 0,
            reachable_time,
            last_rand: None,
            next_periodic: None,
            last_flush: i64::MIN / 2,
            gc_entries: 0,
            live: 0,
            seq: 0,
            rng,
            stats: Stats::default(),
            scratch: Vec::new(),
            p,
        }
    }

    /// A core with its own pool and fast cache (tests drive it directly).
    #[cfg(test)]
    pub(crate) fn standalone(p: Params) -> Core {
        let p = p.sanitized();
        let pool = Arc::new(Mutex::new(Pool::new(p.pool_frames, p.max_frame_len)));
        let fast = Arc::new(FastCache::new(p.gc_thresh3.saturating_mul(4), p.seed));
        Core::new(p, pool, fast)
    }

    /// The current randomized reachable time (ms).
    #[cfg(test)]
    pub(crate) fn reachable_time(&self) -> u64 {
        self.reachable_time as u64
    }

    pub(crate) fn len(&self) -> usize {
        self.live
    }

    pub(crate) fn stats(&self) -> Stats {
        self.stats
    }

    pub(crate) fn queued_frames(&self) -> usize {
        self.entries
            .iter()
            .flatten()
            .map(|e| e.queue.len as usize)
            .sum()
    }

    // ---- bookkeeping -------------------------------------------------------------------

    fn start_clock(&mut self, now: i64) {
        if self.next_periodic.is_none() {
            self.next_periodic = Some(now + (self.p.base_reachable_time_ms as i64 / 2).max(1));
            self.last_rand = Some(now);
        }
    }

    fn find(&self, key: u64) -> Option<usize> {
        let h = hash_key(self.p.seed, key);
        let entries = &self.entries;
        self.index
            .find(h, |&i| {
                entries[i as usize].as_ref().is_some_and(|e| e.key == key)
            })
            .map(|&i| i as usize)
    }

    fn e(&self, i: usize) -> &Entry {
        self.entries[i].as_ref().expect("live entry index")
    }

    fn em(&mut self, i: usize) -> &mut Entry {
        self.entries[i].as_mut().expect("live entry index")
    }

    /// `used`, including what readers of the fast cache stamped.
    fn used(&self, i: usize) -> i64 {
        let e = self.e(i);
        if e.slot == NIL {
            e.used
        } else {
            e.used.max(self.fast.used(e.slot))
        }
    }

    fn set_used(&mut self, i: usize, now: i64) {
        let slot = {
            let e = self.em(i);
            e.used = now;
            e.slot
        };
        if slot != NIL {
            self.fast.set_used(slot, now);
        }
    }

    /// Writes the entry's usable MAC to the fast cache (inserting it if it has no slot).
    fn publish(&mut self, i: usize) {
        let (key, val, slot, used) = {
            let e = self.e(i);
            (e.key, value(e.state.usable(), e.mac), e.slot, e.used)
        };
        if slot != NIL {
            self.fast.set(slot, val);
            return;
        }
        if val == 0 {
            // Not usable: readers go to the slow path on a miss anyway.
            return;
        }
        if let Some(s) = self.fast.insert(key, val, used) {
            self.em(i).slot = s;
        }
    }

    /// Deletes a fast-cache slot; rebuilds the cache when tombstones pile up. The caller has
    /// already taken the entry out of `entries` (or cleared its slot), so that a rebuild does
    /// not publish it again.
    fn unpublish_slot(&mut self, slot: u32) {
        if slot == NIL {
            return;
        }
        self.fast.remove(slot);
        self.fast_tombs += 1;
        if self.fast_tombs > self.fast.capacity() / 4 {
            self.rebuild_fast();
        }
    }

    fn rebuild_fast(&mut self) {
        self.fast.clear();
        self.fast_tombs = 0;
        for e in self.entries.iter_mut().flatten() {
            e.slot = NIL;
        }
        for i in 0..self.entries.len() {
            if self.entries[i].is_some() {
                self.publish(i);
            }
        }
    }

    fn set_timer(&mut self, i: usize, at: i64) {
        let key = {
            let e = self.em(i);
            e.timer = Some(at);
            e.key
        };
        self.heap.push(Reverse((at, key)));
        // Stale heap items pile up when timers are re-armed; compact now and then.
        if self.heap.len() > 2 * self.live + 64 {
            let entries = &self.entries;
            let index = &self.index;
            let seed = self.p.seed;
            self.heap.retain(|Reverse((at, key))| {
                let h = hash_key(seed, *key);
                index
                    .find(h, |&j| {
                        entries[j as usize].as_ref().is_some_and(|e| e.key == *key)
                    })
                    .is_some_and(|&j| {
                        entries[j as usize]
                            .as_ref()
                            .is_some_and(|e| e.timer == Some(*at))
                    })
            });
        }
    }

    fn del_timer(&mut self, i: usize) {
        self.em(i).timer = None;
    }

    fn push_action(&mut self, a: Action) {
        if self.actions.len() >= self.max_actions {
            self.stats.actions_dropped += 1;
            return; // dropping the action frees its frames
        }
        self.actions.push_back(a);
    }

    fn take_queue(&mut self, i: usize) -> Option<Frames> {
        let q = std::mem::take(&mut self.em(i).queue);
        (q.len > 0).then(|| Frames::new(self.pool.clone(), q))
    }

    /// `neigh_alloc` + `___neigh_create`: a new NONE entry, subject to the gc thresholds.
    fn create(&mut self, key: u64, now: i64, exempt: bool) -> Option<usize> {
        if !exempt {
            let entries = self.gc_entries;
            if entries >= self.p.gc_thresh3
                || (entries >= self.p.gc_thresh2 && now > self.last_flush + FORCED_GC_AGE_MS)
            {
                let shrunk = self.forced_gc(now);
                if !shrunk && entries >= self.p.gc_thresh3 {
                    self.stats.table_fulls += 1;
                    return None;
                }
            }
            self.gc_entries += 1;
        }
        self.seq += 1;
        let e = Entry {
            key,
            state: Nud::None,
            mac: [0; 6],
            probes: 0,
            // `neigh_alloc`: used = now, confirmed = now - 2 * base_reachable_time, updated = now.
            confirmed: now - 2 * self.p.base_reachable_time_ms as i64,
            updated: now,
            used: now,
            seq: self.seq,
            timer: None,
            queue: List::default(),
            slot: NIL,
            gc_exempt: exempt,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.entries[i as usize] = Some(e);
                i
            }
            None => {
                self.entries.push(Some(e));
                (self.entries.len() - 1) as u32
            }
        };
        let seed = self.p.seed;
        let entries = &self.entries;
        self.index.insert_unique(hash_key(seed, key), i, |&j| {
            hash_key(seed, entries[j as usize].as_ref().map_or(0, |e| e.key))
        });
        self.live += 1;
        self.stats.allocs += 1;
        Some(i as usize)
    }

    /// Removes entry `i`; its queued frames (if any) are freed silently.
    fn remove(&mut self, i: usize) {
        let Some(mut e) = self.entries[i].take() else {
            return;
        };
        self.unpublish_slot(e.slot);
        self.pool.lock().purge(&mut e.queue);
        let h = hash_key(self.p.seed, e.key);
        if let Ok(o) = self.index.find_entry(h, |&j| j as usize == i) {
            o.remove();
        }
        self.free.push(i as u32);
        if !e.gc_exempt {
            self.gc_entries -= 1;
        }
        self.live -= 1;
        self.stats.destroys += 1;
    }

    // ---- output ----------------------------------------------------------------------

    /// `neigh_event_send` for output to `key`, creating the entry on a miss, with the frame
    /// to queue if the entry is (or becomes) INCOMPLETE.
    pub(crate) fn event_send(&mut self, key: u64, now: i64, frame: Option<&[u8]>) -> Resolve {
        self.start_clock(now);
        let ip = Ipv4Addr::from(key as u32);
        if !unicast_neighbour(ip) {
            return Resolve::Failed;
        }
        let i = match self.find(key) {
            Some(i) => i,
            None => match self.create(key, now, false) {
                Some(i) => i,
                None => return Resolve::Failed,
            },
        };
        self.set_used(i, now);
        let state = self.e(i).state;
        if state.connected() || matches!(state, Nud::Delay | Nud::Probe) {
            return Resolve::Mac(self.e(i).mac);
        }
        let mut immediate = false;
        match state {
            Nud::Stale => {
                self.del_timer(i);
                let e = self.em(i);
                e.state = Nud::Delay;
                e.updated = now;
                let mac = e.mac;
                self.set_timer(i, now + self.p.delay_first_probe_time_ms as i64);
                self.publish(i);
                return Resolve::Mac(mac);
            }
            Nud::Incomplete => {}
            _ => {
                if self.p.mcast_solicit.saturating_add(self.p.app_solicit) > 0 {
                    let ucast = self.p.ucast_solicit;
                    self.del_timer(i);
                    let e = self.em(i);
                    e.probes = ucast;
                    e.state = Nud::Incomplete;
                    e.updated = now;
                    self.set_timer(i, now + (self.p.retrans_time_ms as i64).max(MIN_TIMER_MS));
                    self.publish(i);
                    immediate = true;
                } else {
                    let e = self.em(i);
                    e.state = Nud::Failed;
                    e.updated = now;
                    self.publish(i);
                    return Resolve::Failed;
                }
            }
        }
        if let Some(f) = frame {
            self.enqueue(i, f);
        }
        if immediate {
            self.probe(i);
        }
        Resolve::Queue
    }

    /// Appends a frame to the entry's `arp_queue`, dropping the oldest over `unres_qlen_bytes`.
    fn enqueue(&mut self, i: usize, frame: &[u8]) {
        let limit = self.p.unres_qlen_bytes;
        let mut pool = self.pool.lock();
        if frame.len() > pool.slot_size() {
            self.stats.too_long += 1;
            return;
        }
        let Some(e) = self.entries[i].as_mut() else {
            return;
        };
        let ts = truesize(frame.len());
        while e.queue.bytes + ts > limit {
            if !pool.drop_front(&mut e.queue) {
                break;
            }
            self.stats.unres_discards += 1;
        }
        let slot = match pool.alloc(frame) {
            Some(s) => s,
            None => {
                // The shared pool is empty: this entry's oldest frame makes room, if it has one.
                if pool.drop_front(&mut e.queue) {
                    self.stats.unres_discards += 1;
                    match pool.alloc(frame) {
                        Some(s) => s,
                        None => {
                            self.stats.pool_exhausted += 1;
                            return;
                        }
                    }
                } else {
                    self.stats.pool_exhausted += 1;
                    return;
                }
            }
        };
        pool.push_back(&mut e.queue, slot);
    }

    /// `neigh_probe` + `arp_solicit`: one probe, unicast while `probes < ucast_solicit`.
    fn probe(&mut self, i: usize) {
        let (ifindex, ip, mac, probes, tail) = {
            let e = self.em(i);
            let probes = e.probes;
            e.probes = e.probes.saturating_add(1);
            (e.ifindex(), e.ip(), e.mac, probes, e.queue.tail)
        };
        let dst = if probes < self.p.ucast_solicit {
            Some(mac)
        } else if probes - self.p.ucast_solicit < self.p.app_solicit {
            self.stats.app_probes += 1;
            return;
        } else {
            None
        };
        let src_hint = if tail == NIL {
            None
        } else {
            ipv4_source(self.pool.lock().frame(tail))
        };
        self.push_action(Action::Solicit {
            ifindex,
            target: ip,
            dst,
            src_hint,
        });
    }

    /// `neigh_max_probes`.
    fn max_probes(&self, state: Nud) -> u32 {
        let p = &self.p;
        let m = if state == Nud::Probe {
            p.mcast_resolicit
        } else {
            p.mcast_solicit
        };
        p.ucast_solicit
            .saturating_add(p.app_solicit)
            .saturating_add(m)
    }

    /// `neigh_invalidate`: the entry failed; its queued frames become ICMP unreachables.
    fn invalidate(&mut self, i: usize, now: i64) {
        self.stats.res_failed += 1;
        self.em(i).updated = now;
        if let Some(frames) = self.take_queue(i) {
            let e = self.e(i);
            let (ifindex, ip) = (e.ifindex(), e.ip());
            self.push_action(Action::Unreachable {
                ifindex,
                ip,
                frames,
            });
        }
    }

    // ---- updates -----------------------------------------------------------------------

    /// `__neigh_update`. `Err` only for the admin's errors; ARP ignores the result.
    fn update(
        &mut self,
        i: usize,
        lladdr: Option<Mac>,
        mut new: Nud,
        override_: bool,
        admin: bool,
        now: i64,
    ) -> Result<(), NeighError> {
        let old = self.e(i).state;
        if !admin && matches!(old, Nud::Noarp | Nud::Permanent) {
            return Ok(());
        }
        if !new.valid() {
            self.del_timer(i);
            self.em(i).state = new;
            self.publish(i);
            if matches!(old, Nud::Incomplete | Nud::Probe) && new == Nud::Failed {
                self.invalidate(i, now);
            }
            return Ok(());
        }
        let cur = self.e(i).mac;
        let (ll, ll_changed) = match lladdr {
            Some(m) if old.valid() && m == cur => (cur, false),
            Some(m) => (m, true),
            None if old.valid() => (cur, false),
            None => return Err(NeighError::NoLladdr),
        };
        if new.connected() {
            self.em(i).confirmed = now;
        }
        if old.valid() {
            if ll_changed && !override_ {
                return Ok(());
            }
            if !ll_changed && new == Nud::Stale && !admin {
                new = old;
            }
        }
        if new != old || ll_changed {
            self.em(i).updated = now;
        }
        if new != old {
            self.del_timer(i);
            if new == Nud::Probe {
                self.em(i).probes = 0;
            }
            if new.in_timer() {
                let d = if new == Nud::Reachable {
                    self.reachable_time
                } else {
                    0
                };
                self.set_timer(i, now + d);
            }
            self.em(i).state = new;
        }
        if ll_changed {
            let base2 = 2 * self.p.base_reachable_time_ms as i64;
            let e = self.em(i);
            e.mac = ll;
            if !new.connected() {
                e.confirmed = now - base2;
            }
        }
        self.publish(i);
        if new != old && !old.valid() {
            if let Some(frames) = self.take_queue(i) {
                let e = self.e(i);
                let (ifindex, ip, mac) = (e.ifindex(), e.ip(), e.mac);
                self.push_action(Action::Release {
                    ifindex,
                    ip,
                    mac,
                    frames,
                });
            }
        }
        Ok(())
    }

    /// `arp_process` for a packet the caller parsed.
    pub(crate) fn on_arp(&mut self, a: &ArpIn, now: i64) -> Option<ArpReply> {
        self.start_clock(now);
        let (sip, tip) = (a.sender_ip, a.target_ip);
        // Requests for multicast or loopback targets are bogus; so is a multicast sender MAC.
        if tip.is_multicast() || tip.is_loopback() || a.sender_mac[0] & 1 == 1 {
            return None;
        }
        // Duplicate address detection probe (RFC 2131/5227): sender 0.0.0.0.
        if sip.is_unspecified() {
            if a.op == ArpOp::Request && a.target_is_local {
                return Some(ArpReply {
                    ifindex: a.ifindex,
                    dst_mac: a.sender_mac,
                    sender_ip: tip,
                    target_ip: sip,
                    target_mac: a.sender_mac,
                });
            }
            return None;
        }
        let key = super::key_of(a.ifindex, sip);
        // A request for one of our addresses from a routable source: `neigh_event_ns` (the
        // sender's entry becomes at least STALE) and the reply.
        if a.op == ArpOp::Request && a.target_is_local && !martian_source(sip) {
            let i = match self.find(key) {
                Some(i) => Some(i),
                None => self.create(key, now, false),
            };
            let i = i?;
            let _ = self.update(i, Some(a.sender_mac), Nud::Stale, true, false, now);
            return Some(ArpReply {
                ifindex: a.ifindex,
                dst_mac: a.sender_mac,
                sender_ip: tip,
                target_ip: sip,
                target_mac: a.sender_mac,
            });
        }
        let sender_unicast = !a.sender_is_local && !martian_source(sip);
        let mut i = self.find(key);
        let is_garp = (i.is_some() || self.p.arp_accept)
            && sender_unicast
            && sip == tip
            && (a.op == ArpOp::Request || a.target_mac == a.sender_mac);
        if i.is_none() && self.p.arp_accept && (is_garp || (a.op == ArpOp::Reply && sender_unicast))
        {
            i = self.create(key, now, false);
        }
        let i = i?;
        let updated = self.e(i).updated;
        let override_ = now > updated + self.p.locktime_ms as i64 || is_garp;
        // Broadcast replies and requests do not prove reachability.
        let state = if a.op != ArpOp::Reply || !a.to_us {
            Nud::Stale
        } else {
            Nud::Reachable
        };
        let _ = self.update(i, Some(a.sender_mac), state, override_, false, now);
        None
    }

    /// `neigh_confirm`.
    pub(crate) fn confirm(&mut self, key: u64, now: i64) {
        if let Some(i) = self.find(key) {
            self.em(i).confirmed = now;
        }
    }

    pub(crate) fn announce(&mut self, ifindex: IfIndex, ip: Ipv4Addr) {
        self.push_action(Action::Announce { ifindex, ip });
    }

    // ---- timers ------------------------------------------------------------------------

    pub(crate) fn poll(&mut self, now: i64) -> Option<Action> {
        self.start_clock(now);
        while let Some(&Reverse((at, key))) = self.heap.peek() {
            if at > now {
                break;
            }
            self.heap.pop();
            if let Some(i) = self.find(key) {
                if self.e(i).timer == Some(at) {
                    self.em(i).timer = None;
                    self.timer(i, now);
                }
            }
        }
        if self.next_periodic.is_some_and(|t| now >= t) {
            self.periodic_work(now);
        }
        self.actions.pop_front()
    }

    pub(crate) fn next_timeout(&self) -> Option<u64> {
        if !self.actions.is_empty() {
            return Some(0);
        }
        let t = self.heap.peek().map(|Reverse((at, _))| *at);
        let t = match (t, self.next_periodic) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        t.map(|t| t.max(0) as u64)
    }

    /// `neigh_timer_handler`.
    fn timer(&mut self, i: usize, now: i64) {
        let state = self.e(i).state;
        if !state.in_timer() {
            return;
        }
        let retrans = (self.p.retrans_time_ms as i64).max(MIN_TIMER_MS);
        let delay = self.p.delay_first_probe_time_ms as i64;
        let mut next = now + 1000;
        let confirmed = self.e(i).confirmed;
        match state {
            Nud::Reachable => {
                if now <= confirmed + self.reachable_time {
                    next = confirmed + self.reachable_time;
                } else if now <= self.used(i) + delay {
                    let e = self.em(i);
                    e.state = Nud::Delay;
                    e.updated = now;
                    next = now + delay;
                } else {
                    let e = self.em(i);
                    e.state = Nud::Stale;
                    e.updated = now;
                }
            }
            Nud::Delay => {
                if now <= confirmed + delay {
                    let e = self.em(i);
                    e.state = Nud::Reachable;
                    e.updated = now;
                    next = confirmed + self.reachable_time;
                } else {
                    let e = self.em(i);
                    e.state = Nud::Probe;
                    e.updated = now;
                    e.probes = 0;
                    next = now + retrans;
                }
            }
            _ => next = now + retrans,
        }
        let state = self.e(i).state;
        if matches!(state, Nud::Incomplete | Nud::Probe)
            && self.e(i).probes >= self.max_probes(state)
        {
            self.em(i).state = Nud::Failed;
            self.publish(i);
            self.invalidate(i, now);
            return;
        }
        if state.in_timer() {
            self.set_timer(i, next.max(now + MIN_TIMER_MS));
        }
        self.publish(i);
        if matches!(state, Nud::Incomplete | Nud::Probe) {
            self.probe(i);
        }
    }

    /// `neigh_forced_gc`: drops old non-busy entries, oldest first, down to `gc_thresh2`.
    fn forced_gc(&mut self, now: i64) -> bool {
        self.stats.forced_gc_runs += 1;
        let max_clean = self.gc_entries.saturating_sub(self.p.gc_thresh2);
        let tref = now - FORCED_GC_AGE_MS;
        let mut cand = std::mem::take(&mut self.scratch);
        cand.clear();
        cand.extend(
            self.entries
                .iter()
                .flatten()
                .filter(|e| !e.gc_exempt)
                .map(|e| (e.seq, e.key)),
        );
        cand.sort_unstable();
        let mut shrunk = 0usize;
        for &(_, key) in &cand {
            let Some(i) = self.find(key) else { continue };
            let e = self.e(i);
            // Entries with a running timer hold a reference in the kernel: never collected here.
            if e.timer.is_some() || e.state == Nud::Permanent {
                continue;
            }
            if matches!(e.state, Nud::Failed | Nud::Noarp) || !(tref..=now).contains(&e.updated) {
                self.remove(i);
                shrunk += 1;
                if shrunk >= max_clean {
                    break;
                }
            }
        }
        self.scratch = cand;
        self.last_flush = now;
        shrunk > 0
    }

    /// `neigh_periodic_work`: every `base_reachable_time / 2`.
    fn periodic_work(&mut self, now: i64) {
        self.stats.periodic_gc_runs += 1;
        self.next_periodic = Some(now + (self.p.base_reachable_time_ms as i64 / 2).max(1));
        if self.last_rand.is_some_and(|t| now > t + RERANDOMIZE_MS) {
            self.last_rand = Some(now);
            self.reachable_time = rand_reach_time(&mut self.rng, self.p.base_reachable_time_ms);
        }
        if self.live < self.p.gc_thresh1 {
            return;
        }
        let stale = self.p.gc_stale_time_ms as i64;
        for i in 0..self.entries.len() {
            let Some(e) = self.entries[i].as_ref() else {
                continue;
            };
            if e.state == Nud::Permanent || e.state.in_timer() {
                continue;
            }
            let confirmed = e.confirmed;
            let mut used = self.used(i);
            if used < confirmed && confirmed <= now {
                used = confirmed;
                self.set_used(i, used);
            }
            let state = self.e(i).state;
            if state == Nud::Failed || !(now >= used && now < used + stale) {
                self.remove(i);
            }
        }
    }

    // ---- administration ------------------------------------------------------------------

    /// `neigh_add` for `ip neigh add|replace|change`.
    pub(crate) fn admin_add(
        &mut self,
        key: u64,
        lladdr: Option<Mac>,
        state: Nud,
        mode: AddMode,
        now: i64,
    ) -> Result<(), NeighError> {
        self.start_clock(now);
        if !unicast_neighbour(Ipv4Addr::from(key as u32)) {
            return Err(NeighError::BadAddress);
        }
        if state.valid() && lladdr.is_none() && self.find(key).is_none() {
            return Err(NeighError::NoLladdr);
        }
        let i = match (self.find(key), mode) {
            (Some(_), AddMode::Add) => return Err(NeighError::Exists),
            (Some(i), _) => i,
            (None, AddMode::Change) => return Err(NeighError::NotFound),
            (None, _) => self
                .create(key, now, state == Nud::Permanent)
                .ok_or(NeighError::TableFull)?,
        };
        // Replace/change override the address; add creates, so it is new anyway.
        let exempt = state == Nud::Permanent;
        if self.e(i).gc_exempt != exempt {
            self.em(i).gc_exempt = exempt;
            if exempt {
                self.gc_entries -= 1;
            } else {
                self.gc_entries += 1;
            }
        }
        self.update(i, lladdr, state, true, true, now)
    }

    /// `neigh_delete`.
    pub(crate) fn admin_del(&mut self, key: u64, now: i64) -> Result<(), NeighError> {
        let i = self.find(key).ok_or(NeighError::NotFound)?;
        let _ = self.update(i, None, Nud::Failed, true, true, now);
        self.remove(i);
        Ok(())
    }

    pub(crate) fn flush(&mut self, f: &ShowFilter, now: i64) -> usize {
        let mut n = 0;
        for i in 0..self.entries.len() {
            let Some(e) = self.entries[i].as_ref() else {
                continue;
            };
            if !f.matches_flush(e.ifindex(), e.ip(), e.state) {
                continue;
            }
            let _ = self.update(i, None, Nud::Failed, true, true, now);
            self.remove(i);
            n += 1;
        }
        n
    }

    pub(crate) fn ifdown(&mut self, ifindex: IfIndex, now: i64) {
        for i in 0..self.entries.len() {
            if self.entries[i]
                .as_ref()
                .is_some_and(|e| e.ifindex() == ifindex)
            {
                let _ = self.update(i, None, Nud::Failed, true, true, now);
                self.remove(i);
            }
        }
    }

    pub(crate) fn entries(&self, now: i64) -> Vec<NeighInfo> {
        let ago = |t: i64| (now - t).max(0) as u64;
        let mut v: Vec<NeighInfo> = (0..self.entries.len())
            .filter_map(|i| {
                let e = self.entries[i].as_ref()?;
                Some(NeighInfo {
                    ifindex: e.ifindex(),
                    dst: e.ip(),
                    lladdr: e.state.valid().then_some(e.mac),
                    state: e.state,
                    probes: e.probes,
                    used_ago_ms: ago(self.used(i)),
                    confirmed_ago_ms: ago(e.confirmed),
                    updated_ago_ms: ago(e.updated),
                    timer: e.timer.is_some(),
                    queued: e.queue.len as usize,
                })
            })
            .collect();
        v.sort_by_key(|n| (n.ifindex, u32::from(n.dst)));
        v
    }

    /// Test hook: the state of an entry.
    #[cfg(test)]
    pub(crate) fn state_of(&self, ifindex: IfIndex, ip: Ipv4Addr) -> Option<(Nud, Mac, u32)> {
        self.find(super::key_of(ifindex, ip)).map(|i| {
            let e = self.e(i);
            (e.state, e.mac, e.probes)
        })
    }

    /// Test hook: the fast path (what `Neigh::resolve` does before locking).
    #[cfg(test)]
    pub(crate) fn fast_lookup(&self, ifindex: IfIndex, ip: Ipv4Addr, now: i64) -> Option<Mac> {
        self.fast.lookup(super::key_of(ifindex, ip), now)
    }

    #[cfg(test)]
    pub(crate) fn pending_actions(&self) -> usize {
        self.actions.len()
    }

    #[cfg(test)]
    pub(crate) fn pool_free(&self) -> usize {
        self.pool.lock().free_slots()
    }

    /// Test hook: internal consistency (counts, index, queue bounds).
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        let live: Vec<&Entry> = self.entries.iter().flatten().collect();
        assert_eq!(live.len(), self.live);
        assert_eq!(
            live.iter().filter(|e| !e.gc_exempt).count(),
            self.gc_entries
        );
        let mut queued = 0;
        for e in &live {
            assert!(self.find(e.key).is_some());
            if e.queue.len > 1 {
                assert!(
                    e.queue.bytes <= self.p.unres_qlen_bytes,
                    "queue over unres_qlen_bytes"
                );
            }
            if e.queue.len > 0 {
                assert!(
                    !e.state.valid(),
                    "frames queued in valid state {:?}",
                    e.state
                );
            }
            if e.state.in_timer() && e.state != Nud::Incomplete {
                assert!(e.timer.is_some(), "{:?} without a timer", e.state);
            }
            queued += e.queue.len as usize;
        }
        let pool = self.pool.lock();
        assert!(queued + pool.free_slots() <= self.p.pool_frames);
    }
}

/// `neigh_rand_reach_time`: uniform in [base/2, 3*base/2).
fn rand_reach_time(rng: &mut u64, base: u64) -> i64 {
    if base == 0 {
        return 0;
    }
    // xorshift64*
    let mut x = *rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *rng = x;
    let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
    ((r % base) + base / 2) as i64
}

/// Addresses that can be a neighbour at all: not 0.0.0.0, multicast, limited broadcast.
fn unicast_neighbour(ip: Ipv4Addr) -> bool {
    !(ip.is_unspecified() || ip.is_multicast() || ip.is_broadcast())
}

/// Sources `ip_route_input` refuses (`ip_route_input_slow`'s martian source checks).
fn martian_source(ip: Ipv4Addr) -> bool {
    ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_loopback()
        || ip.octets()[0] == 0
        || ip.octets()[0] >= 240
}

/// The IPv4 source of an Ethernet/IPv4 frame (`arp_solicit` prefers it as sender).
fn ipv4_source(frame: &[u8]) -> Option<Ipv4Addr> {
    if frame.len() >= 34 && frame[12] == 0x08 && frame[13] == 0x00 && frame[14] >> 4 == 4 {
        Some(Ipv4Addr::new(frame[26], frame[27], frame[28], frame[29]))
    } else {
        None
    }
}
