//! The control socket and the commands that answer in the kernel tools' formats.
//!
//! Owns: the wire format of a request and its answer ([`Request`], [`Answer`]), the client
//! ([`ask`]), the daemon's listener loop ([`serve`], mio on the control thread, one short
//! thread per connection), and the query commands shared by the daemon and the offline
//! CLI ([`query`]: `ip`, `sysctl`, `iptables`, `iptables-save`, `conntrack -L`, `trace`).
//! It must not touch packets or rings.
//!
//! # Wire format
//!
//! Everything is length-prefixed, lengths are u32 big endian. A request is the magic
//! `RUTA1\n`, the number of words, each word (length, UTF-8 bytes), then an input blob
//! (length, bytes: the packet lines of `trace -f -`, empty otherwise). The answer is stdout
//! (length, bytes), stderr (length, bytes) and the exit code (one byte). One request per
//! connection; the daemon closes it after the answer.

use crate::neigh::{self, Neigh, ShowFilter};
use ruta_config::{ip, CmdError, IpOpts, Router};
use ruta_conntrack::Conntrack;
use ruta_netfilter::{Counters, NfError, Output};
use ruta_pipeline::{trace, Ctx, Snapshot};
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::Ipv4Addr;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// The default control socket.
pub const DEFAULT_SOCKET: &str = "/run/ruta/ruta.sock";
const MAGIC: &[u8; 6] = b"RUTA1\n";
/// Largest request or answer part accepted (64 MiB).
pub const MAX_PART: usize = 64 << 20;
/// Most words in a request.
pub const MAX_WORDS: usize = 4096;

/// What a command printed and its exit code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    pub out: String,
    pub err: String,
    pub code: u8,
}

impl Answer {
    pub fn ok(out: String) -> Answer {
        Answer {
            out,
            err: String::new(),
            code: 0,
        }
    }

    pub fn fail(err: impl Into<String>, code: u8) -> Answer {
        let mut err = err.into();
        if !err.is_empty() && !err.ends_with('\n') {
            err.push('\n');
        }
        Answer {
            out: String::new(),
            err,
            code,
        }
    }
}

/// A request: the command words and the input blob.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    pub words: Vec<String>,
    pub input: String,
}

fn put(buf: &mut Vec<u8>, b: &[u8]) {
    buf.extend_from_slice(&(b.len() as u32).to_be_bytes());
    buf.extend_from_slice(b);
}

fn get_u32<R: Read>(r: &mut R) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_be_bytes(b))
}

fn get_part<R: Read>(r: &mut R) -> io::Result<String> {
    let n = get_u32(r)? as usize;
    if n > MAX_PART {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "part too long"));
    }
    let mut b = vec![0u8; n];
    r.read_exact(&mut b)?;
    String::from_utf8(b).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))
}

impl Request {
    pub fn encode(&self) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&(self.words.len() as u32).to_be_bytes());
        for w in &self.words {
            put(&mut b, w.as_bytes());
        }
        put(&mut b, self.input.as_bytes());
        b
    }

    pub fn decode<R: Read>(r: &mut R) -> io::Result<Request> {
        let mut m = [0u8; 6];
        r.read_exact(&mut m)?;
        if &m != MAGIC {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "bad magic"));
        }
        let n = get_u32(r)? as usize;
        if n > MAX_WORDS {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "too many words"));
        }
        let mut words = Vec::with_capacity(n);
        for _ in 0..n {
            words.push(get_part(r)?);
        }
        let input = get_part(r)?;
        Ok(Request { words, input })
    }
}

impl Answer {
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        put(&mut b, self.out.as_bytes());
        put(&mut b, self.err.as_bytes());
        b.push(self.code);
        b
    }

    pub fn decode<R: Read>(r: &mut R) -> io::Result<Answer> {
        let out = get_part(r)?;
        let err = get_part(r)?;
        let mut c = [0u8; 1];
        r.read_exact(&mut c)?;
        Ok(Answer {
            out,
            err,
            code: c[0],
        })
    }
}

/// Sends `req` to the daemon at `socket` and returns its answer. `timeout` bounds each
/// read and write (None: wait as long as the command runs, e.g. a capture).
pub fn ask(socket: &Path, req: &Request, timeout: Option<Duration>) -> io::Result<Answer> {
    let mut s = UnixStream::connect(socket)?;
    s.set_write_timeout(timeout)?;
    s.set_read_timeout(timeout)?;
    s.write_all(&req.encode())?;
    Answer::decode(&mut s)
}

// ------------------------------------------------------------------------------------------
// Queries

/// Who answers: the offline CLI (`-c FILE`) or the running daemon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Offline,
    Live,
}

/// The state a query reads.
pub struct View<'a> {
    pub snap: &'a Snapshot,
    /// netfilter counters (offline: none; live: the sum of every worker's).
    pub nf: Option<&'a Counters>,
    pub ct: &'a Conntrack,
    /// Conntrack clock (seconds).
    pub now: u32,
    /// The live neighbour table and its clock (ms).
    pub neigh: Option<(&'a Neigh, u64)>,
    pub mode: Mode,
}

impl View<'_> {
    fn change_msg(&self, what: &str) -> String {
        match self.mode {
            Mode::Offline => format!(
                "ruta: offline (-c) evaluation answers queries only ({what}); change the config file instead"
            ),
            Mode::Live => format!(
                "ruta: the running daemon answers queries only ({what}); change the config file and run `ruta reload`"
            ),
        }
    }
}

/// Runs a query command (`ip`, `sysctl`, `iptables`, `iptables-save`, `conntrack`, `trace`):
/// `words` start with the command name; `input` is the packet text of `trace -f -`.
pub fn query(v: &View, words: &[String], input: &str) -> Answer {
    let Some(first) = words.first() else {
        return Answer::fail("ruta: no command", 1);
    };
    let rest = &words[1..];
    match first.as_str() {
        "ip" => ip_cmd(v, rest),
        "sysctl" => sysctl_cmd(&v.snap.router, rest),
        "iptables" => iptables_cmd(v, rest),
        "iptables-save" => iptables_save_cmd(&v.snap.router, rest, v.nf),
        "conntrack" => conntrack_cmd(v, rest),
        "trace" => trace_cmd(v, rest, input),
        other => Answer::fail(
            format!("ruta: unknown command \"{other}\" (try ruta -h)"),
            1,
        ),
    }
}

/// `sysctl -a` / `sysctl KEY...` for the keys routing depends on, in sysctl's format.
pub fn sysctl_cmd(rt: &Router, words: &[String]) -> Answer {
    let all = rt.sysctl.dump(rt.links());
    let keys: Vec<&String> = words.iter().filter(|w| !w.starts_with('-')).collect();
    let mut a = Answer::default();
    if keys.is_empty() {
        for (k, v) in &all {
            let _ = writeln!(a.out, "{k} = {v}");
        }
        return a;
    }
    for k in keys {
        let k2 = k.replace('/', ".");
        match all.iter().find(|(n, _)| *n == k2) {
            Some((n, v)) => {
                let _ = writeln!(a.out, "{n} = {v}");
            }
            None => {
                let _ = writeln!(
                    a.err,
                    "sysctl: cannot stat /proc/sys/{}: No such file or directory",
                    k2.replace('.', "/")
                );
                a.code = 255;
            }
        }
    }
    a
}

/// Is this `ip` command line a query (show, list, get)?
fn ip_is_query(words: &[String]) -> bool {
    words
        .iter()
        .skip_while(|w| w.starts_with('-'))
        .nth(1)
        .is_none_or(|v| {
            ["show", "list", "lst", "get"]
                .iter()
                .any(|q| ip::matches(v, q))
        })
}

fn ip_cmd(v: &View, words: &[String]) -> Answer {
    if !ip_is_query(words) {
        return Answer::fail(v.change_msg("show, get"), 1);
    }
    if let Some((n, now)) = v.neigh {
        let obj = words.iter().find(|w| !w.starts_with('-'));
        if obj.is_some_and(|o| ip::matches(o, "neighbour") || ip::matches(o, "neighbor")) {
            return neigh_show(v.snap, n, now, words);
        }
    }
    let mut rt = v.snap.router.clone();
    let mut opts = IpOpts::default();
    match ip::ip(&mut rt, words, &mut opts) {
        Ok(out) => Answer::ok(out),
        Err(CmdError::Rtnetlink(m)) => Answer::fail(format!("RTNETLINK answers: {m}"), 2),
        Err(CmdError::Refused(m)) => Answer::fail(format!("Error: {m}"), 2),
        Err(CmdError::Partial { out, err }) => Answer {
            out,
            err: format!("Error: {err}\n"),
            code: 2,
        },
        Err(e) => Answer::fail(e.to_string(), 1),
    }
}

/// `ip [-j] [-s] neigh [show|list] [to PREFIX] [dev DEV] [nud STATE]...` from the live
/// table, in iproute2's format.
pub fn neigh_show(snap: &Snapshot, n: &Neigh, now_ms: u64, words: &[String]) -> Answer {
    let (mut json, mut stats) = (false, false);
    let mut i = 0;
    while i < words.len() && words[i].starts_with('-') {
        match words[i].trim_start_matches('-') {
            "j" | "json" => json = true,
            "s" | "stats" | "statistics" => stats = true,
            "4" | "family=inet" => {}
            o => {
                return Answer::fail(
                    format!("Option \"-{o}\" is unknown, try \"ip -help\"."),
                    255,
                )
            }
        }
        i += 1;
    }
    i += 1; // the object
    if words
        .get(i)
        .is_some_and(|w| ip::matches(w, "show") || ip::matches(w, "list"))
    {
        i += 1;
    }
    let mut f = ShowFilter::show();
    while i < words.len() {
        let w = words[i].as_str();
        let arg = words.get(i + 1).map(|s| s.as_str());
        match w {
            "dev" => {
                let Some(d) = arg else {
                    return Answer::fail("Command line is not complete. Try option \"help\"", 255);
                };
                let Some(p) = snap.port_by_name(d) else {
                    return Answer::fail(format!("Cannot find device \"{d}\""), 1);
                };
                f = f.dev(p.index);
                i += 2;
            }
            "nud" => {
                let Some(s) = arg else {
                    return Answer::fail("Command line is not complete. Try option \"help\"", 255);
                };
                match f.nud(s) {
                    Ok(nf) => f = nf,
                    Err(e) => return Answer::fail(e, 255),
                }
                i += 2;
            }
            _ => {
                let t = if w == "to" {
                    i += 1;
                    arg.unwrap_or("")
                } else {
                    w
                };
                let (a, l) = t.split_once('/').unwrap_or((t, "32"));
                match (a.parse::<Ipv4Addr>(), l.parse::<u8>()) {
                    (Ok(a), Ok(l)) if l <= 32 => f = f.to(a, l),
                    _ => {
                        return Answer::fail(
                            format!("Error: any valid prefix is expected rather than \"{t}\"."),
                            1,
                        )
                    }
                }
                i += 1;
            }
        }
    }
    let entries = n.entries(now_ms);
    let name = |i: u32| {
        snap.port(i)
            .map_or_else(|| format!("if{i}"), |p| p.name.clone())
    };
    Answer::ok(neigh::render(&entries, &f, &name, json, stats))
}

/// `iptables ...`: listings only, printed and exiting as iptables does.
pub fn iptables_cmd(v: &View, words: &[String]) -> Answer {
    let args: Vec<&str> = words.iter().map(|s| s.as_str()).collect();
    let listing = args.iter().any(|a| {
        matches!(*a, "-L" | "--list" | "-S" | "--list-rules")
            || (a.starts_with('-') && !a.starts_with("--") && (a.contains('L') || a.contains('S')))
    });
    if !listing {
        return Answer::fail(v.change_msg("-L, -S"), 1);
    }
    let mut rs = v.snap.router.netfilter.clone();
    match rs.apply_with(&args, v.nf) {
        Ok(Output::Text(t)) => Answer::ok(t),
        Ok(_) => Answer::default(),
        Err(e) => nf_error(&e),
    }
}

/// An iptables error the way iptables 1.8.9 prints it, with its exit code.
fn nf_error(e: &NfError) -> Answer {
    match e {
        NfError::Param(m) => Answer::fail(
            format!(
                "iptables v1.8.9 (nf_tables): {m}\nTry `iptables -h' or 'iptables --help' for more information."
            ),
            2,
        ),
        NfError::Kernel(_) => Answer::fail(e.to_string(), 1),
    }
}

/// `iptables-save [-t TABLE] [-c]`.
pub fn iptables_save_cmd(rt: &Router, words: &[String], ctr: Option<&Counters>) -> Answer {
    let mut table = None;
    let mut counters = false;
    let mut i = 0;
    while i < words.len() {
        match words[i].as_str() {
            "-c" | "--counters" => counters = true,
            "-t" | "--table" => {
                i += 1;
                match words
                    .get(i)
                    .and_then(|t| ruta_netfilter::TableId::from_name(t))
                {
                    Some(t) => table = Some(t),
                    None => {
                        return Answer::fail(
                            format!(
                                "iptables-save: table '{}' does not exist",
                                words.get(i).map_or("", |s| s)
                            ),
                            1,
                        )
                    }
                }
            }
            w => return Answer::fail(format!("iptables-save: unknown option \"{w}\""), 1),
        }
        i += 1;
    }
    let ts = ctime_now();
    Answer::ok(match table {
        Some(t) => rt.netfilter.save_table(t, ctr, counters, &ts),
        None => rt.netfilter.save(ctr, counters, &ts),
    })
}

/// `conntrack -L` (also `-L conntrack`).
pub fn conntrack_cmd(v: &View, words: &[String]) -> Answer {
    let list = words.iter().any(|w| matches!(w.as_str(), "-L" | "--dump"));
    if !list {
        return Answer::fail(
            match v.mode {
                Mode::Offline => "ruta: offline (-c) evaluation answers conntrack -L only",
                Mode::Live => "ruta: the running daemon answers conntrack -L only",
            },
            1,
        );
    }
    let mut entries = Vec::new();
    v.ct.list(v.now, &mut entries);
    let mut a = Answer::default();
    ruta_conntrack::render_list(&entries, &mut a.out, &mut a.err);
    a
}

/// `trace [-j] -f FILE [--counters] [--conntrack]`; `input` is the packet text (the CLI
/// reads FILE or stdin). Runs against a copy: a fresh conntrack table and worker context,
/// never the live ones, so a trace neither sees nor changes live flows or counters.
pub fn trace_cmd(v: &View, words: &[String], input: &str) -> Answer {
    let mut json = false;
    let mut file = None;
    let mut counters = false;
    let mut conntrack = false;
    let mut i = 0;
    while i < words.len() {
        match words[i].as_str() {
            "-j" | "-json" | "--json" => json = true,
            "-f" | "--file" => {
                i += 1;
                match words.get(i) {
                    Some(f) => file = Some(f.clone()),
                    None => return Answer::fail("ruta: -f needs a file", 1),
                }
            }
            "--counters" => counters = true,
            "--conntrack" => conntrack = true,
            w => return Answer::fail(format!("ruta: trace: unknown argument \"{w}\""), 1),
        }
        i += 1;
    }
    let Some(file) = file else {
        return Answer::fail(
            "ruta: trace needs -f PACKETS (one packet per line, see docs/TRACE.md)",
            1,
        );
    };
    let ct = Conntrack::new(ruta_conntrack::Config::default());
    let mut ctx = Ctx::new(v.snap);
    let res = match trace::run(v.snap, &ct, &mut ctx, input) {
        Ok(r) => r,
        Err(e) => return Answer::fail(format!("ruta: {file}: {e}"), 1),
    };
    let mut a = Answer::ok(if json {
        trace::render_json(v.snap, &res)
    } else {
        trace::render_text(v.snap, &res)
    });
    let copy = View {
        snap: v.snap,
        nf: Some(&ctx.nf_counters),
        ct: &ct,
        now: trace::TRACE_NOW,
        neigh: None,
        mode: v.mode,
    };
    if counters {
        for t in ["mangle", "nat", "filter"] {
            let _ = write!(a.out, "\n# iptables -t {t} -nvL\n");
            let words: Vec<String> = ["-t", t, "-nvL"].iter().map(|s| s.to_string()).collect();
            let r = iptables_cmd(&copy, &words);
            a.out.push_str(&r.out);
            a.err.push_str(&r.err);
        }
    }
    if conntrack {
        a.out.push_str("\n# conntrack -L\n");
        let r = conntrack_cmd(&copy, &["-L".to_string()]);
        a.out.push_str(&r.out);
        a.err.push_str(&r.err);
    }
    a
}

/// The time as `ctime` prints it (UTC here), for iptables-save's comments.
pub fn ctime_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // civil from days (Howard Hinnant's algorithm)
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    let wd = (days + 4).rem_euclid(7) as usize;
    const WD: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MO: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        WD[wd],
        MO[(mo - 1) as usize],
        d,
        h,
        m,
        s,
        y
    )
}

// ------------------------------------------------------------------------------------------
// The daemon's side

/// Listens on `listener` until `stop()` says so (checked whenever `poll` wakes: a waker
/// registered under any token other than [`LISTENER`] ends the wait). Each connection is
/// answered on its own thread by `handle`.
pub fn serve<H>(
    mut listener: mio::net::UnixListener,
    mut poll: mio::Poll,
    stop: &dyn Fn() -> bool,
    handle: H,
) where
    H: Fn(UnixStream) + Send + Sync + Clone + 'static,
{
    if poll
        .registry()
        .register(&mut listener, LISTENER, mio::Interest::READABLE)
        .is_err()
    {
        return;
    }
    let mut events = mio::Events::with_capacity(16);
    while !stop() {
        if let Err(e) = poll.poll(&mut events, Some(Duration::from_millis(500))) {
            if e.kind() != io::ErrorKind::Interrupted {
                return;
            }
        }
        loop {
            match listener.accept() {
                Ok((s, _)) => {
                    // back to a blocking std stream, bounded by timeouts
                    use std::os::fd::{FromRawFd, IntoRawFd};
                    // SAFETY: the fd comes from a mio UnixStream we own and give up here.
                    let s = unsafe { UnixStream::from_raw_fd(s.into_raw_fd()) };
                    let _ = s.set_nonblocking(false);
                    let h = handle.clone();
                    let _ = std::thread::Builder::new()
                        .name("ruta-ctl-conn".into())
                        .spawn(move || h(s));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
    }
}

/// The listener's token in [`serve`]'s poll.
pub const LISTENER: mio::Token = mio::Token(0);
/// The token a stop waker uses.
pub const WAKER: mio::Token = mio::Token(1);

/// Reads one request from `s` (bounded by a 5 s timeout), answers it with `f`, closes.
pub fn answer_one(mut s: UnixStream, f: &dyn Fn(&Request, &UnixStream) -> Answer) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let req = match Request::decode(&mut s) {
        Ok(r) => r,
        Err(e) => {
            let _ = s.write_all(&Answer::fail(format!("ruta: bad request: {e}"), 1).encode());
            return;
        }
    };
    let a = f(&req, &s);
    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
    let _ = s.write_all(&a.encode());
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruta_config::{apply_text, Source};

    #[test]
    fn wire_round_trip_and_hostile_input() {
        let r = Request {
            words: vec!["ip".into(), "route".into(), "show".into(), "ünï".into()],
            input: "iif eth0 icmp 1.2.3.4 > 5.6.7.8 echo-request\n".into(),
        };
        let b = r.encode();
        assert_eq!(Request::decode(&mut &b[..]).unwrap(), r);
        for cut in 0..b.len() {
            assert!(Request::decode(&mut &b[..cut]).is_err());
        }
        let mut bad = b.clone();
        bad[0] = b'X';
        assert!(Request::decode(&mut &bad[..]).is_err());
        // a huge word count is refused before allocating
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(Request::decode(&mut &huge[..]).is_err());
        let a = Answer {
            out: "x\n".into(),
            err: "y".into(),
            code: 2,
        };
        assert_eq!(Answer::decode(&mut &a.encode()[..]).unwrap(), a);
    }

    fn view_of(text: &str) -> (Snapshot, Conntrack) {
        let mut rt = Router::new();
        apply_text(&mut rt, text, &Source::default(), false).unwrap();
        (
            Snapshot::new(rt),
            Conntrack::new(ruta_conntrack::Config::default()),
        )
    }

    const CONF: &str = "ip link add eth0 type dummy\nip link add eth1 type dummy\n\
        ip link set eth0 up\nip link set eth1 up\n\
        ip addr add 198.18.0.1/24 dev eth0\nip addr add 198.18.1.1/24 dev eth1\n\
        iptables -A FORWARD -p udp -j ACCEPT\n";

    #[test]
    fn queries_answer_and_refuse_changes() {
        let (snap, ct) = view_of(CONF);
        let n = Neigh::new(neigh::Params::default());
        let v = View {
            snap: &snap,
            nf: None,
            ct: &ct,
            now: 1000,
            neigh: Some((&n, 5000)),
            mode: Mode::Live,
        };
        let w = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let a = query(&v, &w("ip route show"), "");
        assert_eq!(a.code, 0);
        assert!(a.out.contains("198.18.0.0/24 dev eth0"), "{}", a.out);
        let a = query(&v, &w("ip route add 10.0.0.0/8 dev eth0"), "");
        assert_eq!(a.code, 1);
        assert!(a.err.contains("ruta reload"));
        n.add(
            snap.port_by_name("eth1").unwrap().index,
            Ipv4Addr::new(198, 18, 1, 7),
            Some([2, 0, 0, 0, 0, 7]),
            neigh::Nud::Permanent,
            neigh::AddMode::Add,
            5000,
        )
        .unwrap();
        let a = query(&v, &w("ip neigh show"), "");
        assert_eq!(
            a.out,
            "198.18.1.7 dev eth1 lladdr 02:00:00:00:00:07 PERMANENT \n"
        );
        let a = query(&v, &w("ip neigh show dev eth0"), "");
        assert_eq!(a.out, "");
        let a = query(&v, &w("iptables -nvL FORWARD"), "");
        assert_eq!(a.code, 0, "{}", a.err);
        assert!(a.out.contains("ACCEPT"));
        let a = query(&v, &w("iptables -A FORWARD -j DROP"), "");
        assert_eq!(a.code, 1);
        let a = query(&v, &w("conntrack -L"), "");
        assert_eq!(a.code, 0);
        // trace runs on a copy: the live table stays empty
        let a = query(
            &v,
            &w("trace -f -"),
            "iif eth0 udp 198.18.0.5:1000 > 198.18.1.7:53\n",
        );
        assert_eq!(a.code, 0, "{}", a.err);
        assert!(a.out.contains("forward"), "{}", a.out);
        assert!(ct.is_empty());
        let a = query(&v, &w("frobnicate"), "");
        assert_eq!(a.code, 1);
    }
}
