//! TCP connection tracking: the kernel's `nf_conntrack_proto_tcp.c` state machine
//! (`tcp_conntracks`), its special cases (ignored packets and re-sync on a SYN/ACK that
//! answers an ignored SYN, reopening from TIME_WAIT / CLOSE, simultaneous open, RFC 5961
//! challenge ACKs, RST handling) and its timeout selection (max_retrans, unacknowledged data,
//! zero window, mid-stream pickup capped to the unacknowledged timeout).
//!
//! Window tracking (`tcp_in_window`'s sequence / window checks) is not done: ruta behaves as
//! the kernel with `nf_conntrack_tcp_be_liberal=1`, where only out-of-window RSTs would be
//! INVALID; here no segment is refused for its sequence numbers, and the `td_maxack` RST
//! sequence check is skipped. The bookkeeping that feeds the timeouts is kept: per-direction
//! `td_end` with the DATA_UNACKNOWLEDGED flag, and the retransmission counter.
//!
//! Pure functions over [`TcpCt`]: no table, no locks.

use crate::{PacketInfo, Timeouts};

/// TCP flag bits as in the header's flags byte.
pub const TH_FIN: u8 = 0x01;
pub const TH_SYN: u8 = 0x02;
pub const TH_RST: u8 = 0x04;
pub const TH_PUSH: u8 = 0x08;
pub const TH_ACK: u8 = 0x10;
pub const TH_URG: u8 = 0x20;
pub const TH_ECE: u8 = 0x40;
pub const TH_CWR: u8 = 0x80;

/// Conntrack TCP states, numbered as the kernel's `enum tcp_conntrack`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TcpState {
    None = 0,
    SynSent = 1,
    SynRecv = 2,
    Established = 3,
    FinWait = 4,
    CloseWait = 5,
    LastAck = 6,
    TimeWait = 7,
    Close = 8,
    SynSent2 = 9,
}

impl TcpState {
    /// The name `conntrack -L` prints.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::None => "NONE",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynRecv => "SYN_RECV",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait => "FIN_WAIT",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::LastAck => "LAST_ACK",
            TcpState::TimeWait => "TIME_WAIT",
            TcpState::Close => "CLOSE",
            TcpState::SynSent2 => "SYN_SENT2",
        }
    }

    pub fn from_u8(v: u8) -> TcpState {
        match v {
            1 => TcpState::SynSent,
            2 => TcpState::SynRecv,
            3 => TcpState::Established,
            4 => TcpState::FinWait,
            5 => TcpState::CloseWait,
            6 => TcpState::LastAck,
            7 => TcpState::TimeWait,
            8 => TcpState::Close,
            9 => TcpState::SynSent2,
            _ => TcpState::None,
        }
    }
}

const S_NO: u8 = 0;
const S_SS: u8 = 1;
const S_SR: u8 = 2;
const S_ES: u8 = 3;
const S_FW: u8 = 4;
const S_CW: u8 = 5;
const S_LA: u8 = 6;
const S_TW: u8 = 7;
const S_CL: u8 = 8;
const S_S2: u8 = 9;
const S_IV: u8 = 10;
const S_IG: u8 = 11;

/// Packet classes (`enum tcp_bit_set`).
pub(crate) const IDX_SYN: u8 = 0;
pub(crate) const IDX_SYNACK: u8 = 1;
pub(crate) const IDX_FIN: u8 = 2;
pub(crate) const IDX_ACK: u8 = 3;
pub(crate) const IDX_RST: u8 = 4;
pub(crate) const IDX_NONE: u8 = 5;

/// `tcp_conntracks[dir][index][old_state]`, the kernel's table verbatim.
#[rustfmt::skip]
const TCP_CONNTRACKS: [[[u8; 10]; 6]; 2] = [
    [
        // ORIGINAL  sNO   sSS   sSR   sES   sFW   sCW   sLA   sTW   sCL   sS2
        /* syn    */ [S_SS, S_SS, S_IG, S_IG, S_IG, S_IG, S_IG, S_SS, S_SS, S_S2],
        /* synack */ [S_IV, S_IV, S_SR, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_SR],
        /* fin    */ [S_IV, S_IV, S_FW, S_FW, S_LA, S_LA, S_LA, S_TW, S_CL, S_IV],
        /* ack    */ [S_ES, S_IV, S_ES, S_ES, S_CW, S_CW, S_TW, S_TW, S_CL, S_IV],
        /* rst    */ [S_IV, S_CL, S_CL, S_CL, S_CL, S_CL, S_CL, S_CL, S_CL, S_CL],
        /* none   */ [S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV],
    ],
    [
        // REPLY     sNO   sSS   sSR   sES   sFW   sCW   sLA   sTW   sCL   sS2
        /* syn    */ [S_IV, S_S2, S_IV, S_IV, S_IV, S_IV, S_IV, S_SS, S_IV, S_S2],
        /* synack */ [S_IV, S_SR, S_IG, S_IG, S_IG, S_IG, S_IG, S_IG, S_IG, S_SR],
        /* fin    */ [S_IV, S_IV, S_FW, S_FW, S_LA, S_LA, S_LA, S_TW, S_CL, S_IV],
        /* ack    */ [S_IV, S_IG, S_SR, S_ES, S_CW, S_CW, S_TW, S_TW, S_CL, S_IG],
        /* rst    */ [S_IV, S_CL, S_CL, S_CL, S_CL, S_CL, S_CL, S_CL, S_CL, S_CL],
        /* none   */ [S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV, S_IV],
    ],
];

/// `get_conntrack_index`.
pub(crate) fn conntrack_index(flags: u8) -> u8 {
    if flags & TH_RST != 0 {
        IDX_RST
    } else if flags & TH_SYN != 0 {
        if flags & TH_ACK != 0 {
            IDX_SYNACK
        } else {
            IDX_SYN
        }
    } else if flags & TH_FIN != 0 {
        IDX_FIN
    } else if flags & TH_ACK != 0 {
        IDX_ACK
    } else {
        IDX_NONE
    }
}

/// `tcp_valid_flags` (ECE, CWR and PSH ignored): a packet with any other combination is
/// INVALID before any lookup.
pub fn tcp_flags_valid(flags: u8) -> bool {
    let f = flags & !(TH_ECE | TH_CWR | TH_PUSH);
    matches!(
        f,
        x if x == TH_SYN
            || x == TH_SYN | TH_URG
            || x == TH_SYN | TH_ACK
            || x == TH_RST
            || x == TH_RST | TH_ACK
            || x == TH_FIN | TH_ACK
            || x == TH_FIN | TH_ACK | TH_URG
            || x == TH_ACK
            || x == TH_ACK | TH_URG
    )
}

// Packed bits of `TcpCt::bits`.
const B_LAST_INDEX: u16 = 0x7; // bits 0..3
const B_LAST_DIR: u16 = 1 << 3;
const B_RETRANS_SHIFT: u16 = 4; // bits 4..7, saturating at 7
const B_RETRANS: u16 = 0x7 << B_RETRANS_SHIFT;
const B_SIMOPEN: u16 = 1 << 7;
const B_CHALLENGE: u16 = 1 << 8;
const B_DIR_SHIFT: [u16; 2] = [9, 12];
/// Per-direction flags (shifted by `B_DIR_SHIFT[dir]`).
const F_CLOSE_INIT: u16 = 1;
const F_UNACK: u16 = 2;
const F_INIT: u16 = 4;

/// Per-flow TCP tracking state, packed as it is stored in the table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpCt {
    pub state: u8,
    pub bits: u16,
    pub td_end: [u32; 2],
    pub last_seq: u32,
    pub last_ack: u32,
    pub last_end: u32,
    pub last_win: u16,
}

impl TcpCt {
    fn last_index(&self) -> u8 {
        (self.bits & B_LAST_INDEX) as u8
    }
    fn last_dir(&self) -> usize {
        usize::from(self.bits & B_LAST_DIR != 0)
    }
    fn set_last(&mut self, index: u8, dir: usize) {
        self.bits = (self.bits & !(B_LAST_INDEX | B_LAST_DIR))
            | u16::from(index)
            | if dir == 1 { B_LAST_DIR } else { 0 };
    }
    pub(crate) fn retrans(&self) -> u8 {
        ((self.bits & B_RETRANS) >> B_RETRANS_SHIFT) as u8
    }
    fn set_retrans(&mut self, r: u8) {
        self.bits = (self.bits & !B_RETRANS) | (u16::from(r.min(7)) << B_RETRANS_SHIFT);
    }
    fn flag(&self, dir: usize, f: u16) -> bool {
        self.bits & (f << B_DIR_SHIFT[dir]) != 0
    }
    fn set_flag(&mut self, dir: usize, f: u16, on: bool) {
        let m = f << B_DIR_SHIFT[dir];
        if on {
            self.bits |= m
        } else {
            self.bits &= !m
        }
    }
    fn bit(&self, b: u16) -> bool {
        self.bits & b != 0
    }
    fn set_bit(&mut self, b: u16, on: bool) {
        if on {
            self.bits |= b
        } else {
            self.bits &= !b
        }
    }
    pub fn tcp_state(&self) -> TcpState {
        TcpState::from_u8(self.state)
    }
}

/// `after(a, b)` in sequence space.
fn after(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) < 0
}

/// `segment_seq_plus_len`: seq + payload + SYN + FIN.
fn seg_end(p: &PacketInfo) -> u32 {
    p.seq
        .wrapping_add(u32::from(p.payload_len))
        .wrapping_add(u32::from(p.tcp_flags & TH_SYN != 0))
        .wrapping_add(u32::from(p.tcp_flags & TH_FIN != 0))
}

/// Why a TCP packet is INVALID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpInvalid {
    /// Flag combination `tcp_valid_flags` refuses.
    Flags,
    /// The packet cannot start a flow (not a SYN, and not an ACK for a loose pickup).
    New,
    /// `tcp_conntracks` says sIV for this packet in the flow's state.
    Transition(TcpState),
}

/// What the state machine decided for a packet of a known flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TcpVerdict {
    /// In-state packet: refresh the timeout to `timeout` seconds (`None`: do not refresh, a
    /// SYN retransmission before any reply). `assure`: set ASSURED. `kill`: the flow ends
    /// now (an RST before any reply).
    Accept {
        timeout: Option<u32>,
        assure: bool,
        kill: bool,
    },
    /// Ignored (sIG): accepted, state and timeout unchanged, annotations kept.
    Ignore,
    /// INVALID: nothing may be changed (the caller discards the modified copy).
    Invalid(TcpInvalid),
    /// A SYN reopening a closed / aborted flow: delete the entry and look the packet up again.
    Reopen,
}

/// `tcp_new`: state for the first packet of a flow, or why it cannot start one.
pub(crate) fn tcp_new(p: &PacketInfo, loose: bool) -> Result<TcpCt, TcpInvalid> {
    let index = conntrack_index(p.tcp_flags);
    let new_state = TCP_CONNTRACKS[0][usize::from(index)][usize::from(S_NO)];
    if new_state >= S_IV {
        return Err(TcpInvalid::New);
    }
    if new_state != S_SS && !loose {
        return Err(TcpInvalid::New);
    }
    let mut t = TcpCt {
        td_end: [seg_end(p), 0],
        ..TcpCt::default()
    };
    t.set_flag(0, F_INIT, true);
    t.set_last(IDX_NONE, 0);
    Ok(t)
}

/// The liberal part of `tcp_in_window`: td_end / unacknowledged-data bookkeeping and the
/// retransmission counter.
fn in_window(t: &mut TcpCt, old_state: u8, dir: usize, index: u8, p: &PacketInfo) {
    let s = dir;
    let r = 1 - dir;
    let end = seg_end(p);
    if !t.flag(s, F_INIT) {
        t.td_end[s] = end;
        t.set_flag(s, F_INIT, true);
    } else if ((old_state == S_SS && dir == 0) || (old_state == S_SR && dir == 1))
        && after(end, t.td_end[s])
    {
        // A new SYN / SYN-ACK with higher sequence numbers re-initialises the sender.
        t.td_end[s] = end;
    }
    let ack = if p.tcp_flags & TH_ACK == 0 || (p.tcp_flags & TH_RST != 0 && p.ack == 0) {
        t.td_end[r]
    } else {
        p.ack
    };
    if after(end, t.td_end[s]) {
        t.td_end[s] = end;
        t.set_flag(s, F_UNACK, true);
    }
    if ack == t.td_end[r] {
        t.set_flag(r, F_UNACK, false);
    }
    if index == IDX_ACK {
        if t.last_dir() == dir
            && t.last_seq == p.seq
            && t.last_ack == ack
            && t.last_end == end
            && t.last_win == p.window
        {
            let n = t.retrans().saturating_add(1);
            t.set_retrans(n);
        } else {
            t.set_last(t.last_index(), dir);
            t.last_seq = p.seq;
            t.last_ack = ack;
            t.last_end = end;
            t.last_win = p.window;
            t.set_retrans(0);
        }
    }
}

fn can_early_drop(state: u8) -> bool {
    matches!(state, S_FW | S_LA | S_TW | S_CL | S_CW)
}

/// Flow facts the state machine reads from the entry's status.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FlowFacts {
    pub seen_reply: bool,
    pub assured: bool,
}

/// `nf_conntrack_tcp_packet` for one packet in direction `dir` (0 original, 1 reply).
pub(crate) fn tcp_packet(
    t: &mut TcpCt,
    facts: FlowFacts,
    dir: usize,
    p: &PacketInfo,
    to: &Timeouts,
    max_retrans: u8,
) -> TcpVerdict {
    let index = conntrack_index(p.tcp_flags);
    let mut old_state = t.state;
    let mut new_state = TCP_CONNTRACKS[dir][usize::from(index)][usize::from(old_state.min(S_S2))];
    let end = seg_end(p);
    let mut skip_window = false;

    let ignore = |t: &mut TcpCt, old_state: u8| {
        t.set_last(index, dir);
        t.last_seq = p.seq;
        t.last_end = end;
        t.last_win = p.window;
        if index == IDX_SYN && dir == 0 {
            t.set_bit(B_SIMOPEN, false);
            t.set_bit(B_CHALLENGE, old_state == S_LA);
        }
        TcpVerdict::Ignore
    };

    match new_state {
        S_SS if old_state < S_TW => {
            // plain SYN / retransmitted SYN
        }
        S_SS | S_IG => {
            if new_state == S_SS
                && (t.flag(0, F_CLOSE_INIT)
                    || t.flag(1, F_CLOSE_INIT)
                    || (t.last_dir() == dir && t.last_index() == IDX_RST))
            {
                return TcpVerdict::Reopen;
            }
            // Ignored packets; a SYN/ACK answering a SYN we ignored re-syncs us.
            if index == IDX_SYNACK
                && t.last_index() == IDX_SYN
                && t.last_dir() != dir
                && p.ack == t.last_end
            {
                old_state = S_SS;
                new_state = S_SR;
                let ld = t.last_dir();
                t.td_end[ld] = t.last_end;
                t.set_flag(ld, F_INIT, true);
            } else {
                return ignore(t, old_state);
            }
        }
        S_IV => return TcpVerdict::Invalid(TcpInvalid::Transition(TcpState::from_u8(old_state))),
        S_TW if old_state == S_LA
            && index == IDX_ACK
            && t.last_dir() != dir
            && t.last_index() == IDX_SYN
            && t.bit(B_CHALLENGE) =>
        {
            // RFC 5961 challenge ACK: not the ACK of the last FIN.
            t.set_bit(B_CHALLENGE, false);
            return TcpVerdict::Ignore;
        }
        S_S2 => t.set_bit(B_SIMOPEN, true),
        S_SR if dir == 1 && index == IDX_ACK && t.bit(B_SIMOPEN) => new_state = S_ES,
        // RST to a SYN or ACK we let through, or in a closing state: delete, skipping the
        // window bookkeeping.
        S_CL if index == IDX_RST
            && (can_early_drop(old_state)
                || (((facts.seen_reply && t.last_index() == IDX_SYN)
                    || (!facts.assured && t.last_index() == IDX_ACK))
                    && p.ack == t.last_end)
                || (old_state == S_SS
                    && t.last_index() == IDX_ACK
                    && t.last_dir() == 1
                    && p.seq == t.last_ack)) =>
        {
            skip_window = true;
        }
        _ => {}
    }

    if !skip_window {
        in_window(t, old_state, dir, index, p);
    }

    t.set_last(index, dir);
    t.state = new_state;
    if old_state != new_state && new_state == S_FW {
        t.set_flag(dir, F_CLOSE_INIT, true);
    }

    let base = to.tcp(new_state);
    let mut timeout = if t.retrans() >= max_retrans && base > to.tcp_max_retrans {
        to.tcp_max_retrans
    } else if index == IDX_RST {
        to.tcp_close
    } else if (t.flag(0, F_UNACK) || t.flag(1, F_UNACK)) && base > to.tcp_unacknowledged {
        to.tcp_unacknowledged
    } else if t.last_win == 0 && base > to.tcp_max_retrans {
        to.tcp_max_retrans
    } else {
        base
    };

    if !facts.seen_reply {
        if p.tcp_flags & TH_RST != 0 {
            return TcpVerdict::Accept {
                timeout: Some(timeout),
                assure: false,
                kill: true,
            };
        }
        if index == IDX_SYN && old_state == S_SS {
            return TcpVerdict::Accept {
                timeout: None,
                assure: false,
                kill: false,
            };
        }
        if new_state == S_ES && timeout > to.tcp_unacknowledged {
            timeout = to.tcp_unacknowledged;
        }
        TcpVerdict::Accept {
            timeout: Some(timeout),
            assure: false,
            kill: false,
        }
    } else {
        let assure =
            !facts.assured && (old_state == S_SR || old_state == S_ES) && new_state == S_ES;
        TcpVerdict::Accept {
            timeout: Some(timeout),
            assure,
            kill: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(flags: u8, seq: u32, ack: u32, len: u16) -> PacketInfo {
        PacketInfo {
            tcp_flags: flags,
            seq,
            ack,
            window: 1000,
            payload_len: len,
            ..PacketInfo::default()
        }
    }

    const F: FlowFacts = FlowFacts {
        seen_reply: false,
        assured: false,
    };
    const R: FlowFacts = FlowFacts {
        seen_reply: true,
        assured: false,
    };
    const A: FlowFacts = FlowFacts {
        seen_reply: true,
        assured: true,
    };

    #[test]
    fn flags_validity() {
        assert!(tcp_flags_valid(TH_SYN));
        assert!(tcp_flags_valid(TH_SYN | TH_ACK | TH_ECE | TH_CWR));
        assert!(tcp_flags_valid(TH_ACK | TH_PUSH));
        assert!(tcp_flags_valid(TH_RST | TH_ACK));
        assert!(!tcp_flags_valid(TH_SYN | TH_FIN));
        assert!(!tcp_flags_valid(TH_SYN | TH_RST));
        assert!(!tcp_flags_valid(0));
        assert!(!tcp_flags_valid(TH_FIN));
        assert!(!tcp_flags_valid(0xff));
    }

    #[test]
    fn handshake_and_close() {
        let to = Timeouts::default();
        let syn = pkt(TH_SYN, 100, 0, 0);
        let mut t = tcp_new(&syn, true).unwrap();
        assert_eq!(
            tcp_packet(&mut t, F, 0, &syn, &to, 3),
            TcpVerdict::Accept {
                timeout: Some(120),
                assure: false,
                kill: false
            }
        );
        assert_eq!(t.tcp_state(), TcpState::SynSent);
        // SYN retransmission: no refresh.
        assert_eq!(
            tcp_packet(&mut t, F, 0, &syn, &to, 3),
            TcpVerdict::Accept {
                timeout: None,
                assure: false,
                kill: false
            }
        );
        let synack = pkt(TH_SYN | TH_ACK, 500, 101, 0);
        assert_eq!(
            tcp_packet(&mut t, F, 1, &synack, &to, 3),
            TcpVerdict::Accept {
                timeout: Some(60),
                assure: false,
                kill: false
            }
        );
        assert_eq!(t.tcp_state(), TcpState::SynRecv);
        let ack = pkt(TH_ACK, 101, 501, 0);
        assert_eq!(
            tcp_packet(&mut t, R, 0, &ack, &to, 3),
            TcpVerdict::Accept {
                timeout: Some(432000),
                assure: true,
                kill: false
            }
        );
        assert_eq!(t.tcp_state(), TcpState::Established);
        // Data not yet acknowledged: unacknowledged timeout.
        let data = pkt(TH_ACK | TH_PUSH, 101, 501, 10);
        assert_eq!(
            tcp_packet(&mut t, A, 0, &data, &to, 3),
            TcpVerdict::Accept {
                timeout: Some(300),
                assure: false,
                kill: false
            }
        );
        let ackd = pkt(TH_ACK, 501, 111, 0);
        assert_eq!(
            tcp_packet(&mut t, A, 1, &ackd, &to, 3),
            TcpVerdict::Accept {
                timeout: Some(432000),
                assure: false,
                kill: false
            }
        );
        // Client closes.
        let fin = pkt(TH_FIN | TH_ACK, 111, 501, 0);
        assert_eq!(
            tcp_packet(&mut t, A, 0, &fin, &to, 3),
            TcpVerdict::Accept {
                timeout: Some(120),
                assure: false,
                kill: false
            }
        );
        assert_eq!(t.tcp_state(), TcpState::FinWait);
        let ack2 = pkt(TH_ACK, 501, 112, 0);
        tcp_packet(&mut t, A, 1, &ack2, &to, 3);
        assert_eq!(t.tcp_state(), TcpState::CloseWait);
        let fin2 = pkt(TH_FIN | TH_ACK, 501, 112, 0);
        assert_eq!(
            tcp_packet(&mut t, A, 1, &fin2, &to, 3),
            TcpVerdict::Accept {
                timeout: Some(30),
                assure: false,
                kill: false
            }
        );
        assert_eq!(t.tcp_state(), TcpState::LastAck);
        let last = pkt(TH_ACK, 112, 502, 0);
        assert_eq!(
            tcp_packet(&mut t, A, 0, &last, &to, 3),
            TcpVerdict::Accept {
                timeout: Some(120),
                assure: false,
                kill: false
            }
        );
        assert_eq!(t.tcp_state(), TcpState::TimeWait);
        // A new SYN after a close reopens the flow.
        assert_eq!(
            tcp_packet(&mut t, A, 0, &pkt(TH_SYN, 9000, 0, 0), &to, 3),
            TcpVerdict::Reopen
        );
    }

    #[test]
    fn invalid_transitions_change_nothing_in_state() {
        let to = Timeouts::default();
        let syn = pkt(TH_SYN, 1, 0, 0);
        let mut t = tcp_new(&syn, true).unwrap();
        tcp_packet(&mut t, F, 0, &syn, &to, 3);
        // FIN before a SYN/ACK: invalid.
        assert_eq!(
            tcp_packet(&mut t, F, 0, &pkt(TH_FIN | TH_ACK, 2, 0, 0), &to, 3),
            TcpVerdict::Invalid(TcpInvalid::Transition(TcpState::SynSent))
        );
        // ACK from the client before a SYN/ACK: invalid.
        assert!(matches!(
            tcp_packet(&mut t, F, 0, &pkt(TH_ACK, 2, 0, 0), &to, 3),
            TcpVerdict::Invalid(_)
        ));
        // ACK in the reply direction in SYN_SENT: ignored.
        assert_eq!(
            tcp_packet(&mut t, F, 1, &pkt(TH_ACK, 7, 2, 0), &to, 3),
            TcpVerdict::Ignore
        );
        assert_eq!(t.tcp_state(), TcpState::SynSent);
    }

    #[test]
    fn new_flow_rules() {
        assert_eq!(
            tcp_new(&pkt(TH_SYN | TH_ACK, 1, 1, 0), true),
            Err(TcpInvalid::New)
        );
        assert_eq!(tcp_new(&pkt(TH_RST, 1, 1, 0), true), Err(TcpInvalid::New));
        assert_eq!(
            tcp_new(&pkt(TH_FIN | TH_ACK, 1, 1, 0), true),
            Err(TcpInvalid::New)
        );
        assert!(tcp_new(&pkt(TH_ACK, 1, 1, 0), true).is_ok());
        assert_eq!(tcp_new(&pkt(TH_ACK, 1, 1, 0), false), Err(TcpInvalid::New));
    }

    #[test]
    fn loose_pickup_is_capped_until_reply() {
        let to = Timeouts::default();
        let a = pkt(TH_ACK, 1000, 2000, 0);
        let mut t = tcp_new(&a, true).unwrap();
        assert_eq!(
            tcp_packet(&mut t, F, 0, &a, &to, 3),
            TcpVerdict::Accept {
                timeout: Some(300),
                assure: false,
                kill: false
            }
        );
        assert_eq!(t.tcp_state(), TcpState::Established);
        tcp_packet(&mut t, F, 1, &pkt(TH_ACK, 2000, 1000, 0), &to, 3);
        // Next packet after a reply: ASSURED, full established timeout.
        assert_eq!(
            tcp_packet(&mut t, R, 0, &pkt(TH_ACK, 1000, 2000, 0), &to, 3),
            TcpVerdict::Accept {
                timeout: Some(432000),
                assure: true,
                kill: false
            }
        );
    }

    #[test]
    fn rst_handling() {
        let to = Timeouts::default();
        let syn = pkt(TH_SYN, 1, 0, 0);
        let mut t = tcp_new(&syn, true).unwrap();
        tcp_packet(&mut t, F, 0, &syn, &to, 3);
        // RST as the only answer: the flow is deleted.
        assert_eq!(
            tcp_packet(&mut t, F, 1, &pkt(TH_RST | TH_ACK, 0, 2, 0), &to, 3),
            TcpVerdict::Accept {
                timeout: Some(10),
                assure: false,
                kill: true
            }
        );
        assert_eq!(t.tcp_state(), TcpState::Close);
        // In an established flow, RST moves to CLOSE with the close timeout.
        let mut e = TcpCt {
            state: S_ES,
            ..TcpCt::default()
        };
        assert_eq!(
            tcp_packet(&mut e, A, 0, &pkt(TH_RST, 5, 0, 0), &to, 3),
            TcpVerdict::Accept {
                timeout: Some(10),
                assure: false,
                kill: false
            }
        );
        assert_eq!(e.tcp_state(), TcpState::Close);
        // SYN after our own RST: reopen.
        assert_eq!(
            tcp_packet(&mut e, A, 0, &pkt(TH_SYN, 50, 0, 0), &to, 3),
            TcpVerdict::Reopen
        );
    }

    #[test]
    fn simultaneous_open() {
        let to = Timeouts::default();
        let syn = pkt(TH_SYN, 1, 0, 0);
        let mut t = tcp_new(&syn, true).unwrap();
        tcp_packet(&mut t, F, 0, &syn, &to, 3);
        tcp_packet(&mut t, F, 1, &pkt(TH_SYN, 100, 0, 0), &to, 3);
        assert_eq!(t.tcp_state(), TcpState::SynSent2);
        tcp_packet(&mut t, F, 0, &pkt(TH_SYN | TH_ACK, 1, 101, 0), &to, 3);
        assert_eq!(t.tcp_state(), TcpState::SynRecv);
        tcp_packet(&mut t, R, 1, &pkt(TH_ACK, 101, 2, 0), &to, 3);
        assert_eq!(t.tcp_state(), TcpState::Established);
    }

    #[test]
    fn retransmissions_shorten_timeout() {
        let to = Timeouts::default();
        let mut t = TcpCt {
            state: S_ES,
            ..TcpCt::default()
        };
        let p = pkt(TH_ACK, 10, 20, 0);
        let mut last = None;
        for _ in 0..5 {
            last = Some(tcp_packet(&mut t, A, 0, &p, &to, 3));
        }
        assert!(t.retrans() >= 3);
        assert_eq!(
            last,
            Some(TcpVerdict::Accept {
                timeout: Some(300),
                assure: false,
                kill: false
            })
        );
    }

    #[test]
    fn synack_resyncs_after_ignored_syn() {
        let to = Timeouts::default();
        let mut t = TcpCt {
            state: S_ES,
            ..TcpCt::default()
        };
        // SYN in ESTABLISHED: ignored but annotated.
        assert_eq!(
            tcp_packet(&mut t, A, 0, &pkt(TH_SYN, 5000, 0, 0), &to, 3),
            TcpVerdict::Ignore
        );
        // The server answers it: we get in sync, SYN_RECV.
        let v = tcp_packet(&mut t, A, 1, &pkt(TH_SYN | TH_ACK, 9000, 5001, 0), &to, 3);
        assert!(matches!(v, TcpVerdict::Accept { .. }));
        assert_eq!(t.tcp_state(), TcpState::SynRecv);
    }
}
