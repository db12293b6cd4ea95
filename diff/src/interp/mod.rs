//! Plays a scenario through Winsock functions with windows-sys's names and signatures:
//! `crate::platform::api` is the simulator's `ws2` face in the simulator runner, and
//! windows-sys's `WinSock` module in the Windows executor, which includes these very files;
//! `crate::platform::k32` likewise for the kernel32 functions.
//!
//! Every pointer a real Winsock may write later (an overlapped request's buffers, name,
//! WSAMSG, flags, OVERLAPPED) lives in a box owned by the interpreter until the end.

mod io;
mod mem;
mod recv;
mod req;
mod send;
mod sock;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::mem::zeroed;
use std::net::{IpAddr, SocketAddr};

use crate::platform::{api, k32};
use crate::scenario::{FaultSpec, Scenario, Step};
use crate::trace::{Record, RoutineCall, Trace};
use mem::{parse, raw, ws};
use recv::RecvSpec;
use req::Req;
use send::SendSpec;

/// What differs between the places a scenario is played.
pub trait Host {
    /// The executor's name for the trace.
    fn name(&self) -> String;
    /// Lets asynchronous completions land after a step that may complete requests (a real
    /// Winsock completes them on another thread; the simulator at once).
    fn settle(&mut self);
    /// Arms a fault for the next datagram sent (the simulator only; `None` disarms).
    fn fault(&mut self, fault: Option<FaultSpec>);
    /// Step `step` is recorded (the simulator marks where each step's events end in its own
    /// trace, for an annotated listing).
    fn after_step(&mut self, _step: usize) {}
}

thread_local! {
    /// Completion routine calls: (OVERLAPPED, dwError, cbTransferred, dwFlags).
    static ROUTINES: RefCell<Vec<(usize, u32, u32, u32)>> = const { RefCell::new(Vec::new()) };
}

unsafe extern "system" fn routine(error: u32, bytes: u32, ov: *mut k32::OVERLAPPED, flags: u32) {
    ROUTINES.with(|r| r.borrow_mut().push((ov as usize, error, bytes, flags)));
}

/// The interpreter's state.
struct Interp<'h> {
    host: &'h mut dyn Host,
    socks: BTreeMap<String, api::SOCKET>,
    /// Addresses of the scenario's sockets (by name), for naming senders.
    addrs: BTreeMap<String, SocketAddr>,
    events: BTreeMap<String, k32::HANDLE>,
    ports: BTreeMap<String, k32::HANDLE>,
    reqs: Vec<Req>,
    closed: Option<SocketAddr>,
}

/// Plays `sc` and returns its trace.
pub fn play(sc: &Scenario, host: &mut dyn Host) -> Trace {
    ROUTINES.with(|r| r.borrow_mut().clear());
    io::APCS.with(|a| a.borrow_mut().clear());
    let executor = host.name();
    let mut it = Interp {
        host,
        socks: BTreeMap::new(),
        addrs: BTreeMap::new(),
        events: BTreeMap::new(),
        ports: BTreeMap::new(),
        reqs: Vec::new(),
        closed: None,
    };
    let mut records = Vec::new();
    for (i, step) in sc.steps.iter().enumerate() {
        let mut r = Record {
            op: op_name(step).to_string(),
            ..Record::default()
        };
        // SAFETY: every call a step makes passes pointers to live locals or to boxes the
        // interpreter owns until the end, with the lengths of that memory (or the NULL
        // pointers and lengths the scenario asks for, which the Winsock must refuse).
        unsafe {
            api::WSASetLastError(0x7777);
            it.step(&mut r, i, step);
        }
        // Routines and APCs run only inside the step's alertable waits: collected here.
        let calls = it.routines();
        r.routines = (!calls.is_empty()).then_some(calls);
        let apcs = io::APCS.with(|a| std::mem::take(&mut *a.borrow_mut()));
        r.apcs = (!apcs.is_empty()).then_some(apcs);
        r.step = i;
        records.push(r);
        it.host.after_step(i);
    }
    Trace {
        scenario: sc.name.clone(),
        executor,
        records,
    }
}

fn op_name(step: &Step) -> &'static str {
    match step {
        Step::Startup { .. } => "startup",
        Step::Cleanup => "cleanup",
        Step::Socket { .. } => "socket",
        Step::Bind { .. } => "bind",
        Step::Connect { .. } => "connect",
        Step::Shutdown { .. } => "shutdown",
        Step::Close { .. } => "close",
        Step::Setopt { .. } => "setopt",
        Step::Getopt { .. } => "getopt",
        Step::Ioctl { .. } => "ioctl",
        Step::Send { .. } => "send",
        Step::Recv { .. } => "recv",
        Step::Event { .. } => "event",
        Step::Port { .. } => "port",
        Step::Wait { .. } => "wait",
        Step::Sleep { .. } => "sleep",
        Step::Result { .. } => "result",
        Step::Cancel { .. } => "cancel",
        Step::Dequeue { .. } => "dequeue",
        Step::Sockname { .. } => "sockname",
        Step::Extension { .. } => "extension",
        Step::Apc { .. } => "apc",
        Step::LastError { .. } => "last_error",
        Step::Enum { .. } => "enum",
    }
}

impl Interp<'_> {
    fn sock(&self, name: &str) -> api::SOCKET {
        *self
            .socks
            .get(name)
            .unwrap_or_else(|| panic!("no socket {name:?}"))
    }

    /// The name a trace gives an address: a socket's; "name@ip" for a socket bound to a
    /// wildcard address that sent from `ip`; or the address itself.
    fn name_of(&self, a: SocketAddr) -> String {
        let unmapped = match a {
            SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
                Some(v4) => SocketAddr::new(IpAddr::V4(v4), v6.port()),
                None => a,
            },
            a => a,
        };
        for (name, &b) in &self.addrs {
            if b == a || b == unmapped {
                return name.clone();
            }
        }
        for (name, &b) in &self.addrs {
            if b.ip().is_unspecified() && b.port() == a.port() {
                return format!("{name}@{}", unmapped.ip());
            }
        }
        if Some(a) == self.closed {
            return "closed".to_string();
        }
        a.to_string()
    }

    /// A destination: a socket's name, "closed", an address, or "ip@name" (that address
    /// with the port of socket `name`: a group or broadcast address).
    fn resolve(&mut self, to: &str) -> SocketAddr {
        if let Some(&a) = self.addrs.get(to) {
            return a;
        }
        if let Some((ip, name)) = to.split_once('@') {
            let port = self.addrs.get(name).map_or(0, |a| a.port());
            let ip: IpAddr = ip.parse().unwrap_or_else(|_| panic!("bad address {to:?}"));
            return SocketAddr::new(ip, port);
        }
        if to == "closed" {
            return self.closed_port();
        }
        to.parse().unwrap_or_else(|_| panic!("bad address {to:?}"))
    }

    /// The address of a port nobody has: bound, then closed.
    fn closed_port(&mut self) -> SocketAddr {
        if let Some(a) = self.closed {
            return a;
        }
        // SAFETY: plain calls with valid locals.
        let a = unsafe {
            let s = api::socket(api::AF_INET as i32, api::SOCK_DGRAM, api::IPPROTO_UDP);
            let (b, len) = raw("127.0.0.1:0".parse().unwrap());
            api::bind(s, b.as_ptr() as *const api::SOCKADDR, len);
            let a = self.local_of(s).expect("bound");
            api::closesocket(s);
            a
        };
        self.closed = Some(a);
        a
    }

    fn local_of(&self, s: api::SOCKET) -> Option<SocketAddr> {
        let mut b = [0u8; 128];
        let mut len = 128i32;
        // SAFETY: valid locals.
        let r = unsafe { api::getsockname(s, b.as_mut_ptr() as *mut api::SOCKADDR, &mut len) };
        (r == 0).then(|| parse(&b, len)).flatten()
    }

    /// Remembers where socket `name` is now bound, to name it as a sender later.
    fn learn(&mut self, name: &str) {
        if let Some(a) = self.local_of(self.sock(name)) {
            self.addrs.insert(name.to_string(), a);
        }
    }

    /// The routines that ran since the last look, by request.
    fn routines(&self) -> Vec<RoutineCall> {
        ROUTINES
            .with(|r| r.borrow_mut().drain(..).collect::<Vec<_>>())
            .into_iter()
            .map(|(ov, error, bytes, flags)| RoutineCall {
                req: self.req_of(ov as *const k32::OVERLAPPED),
                error,
                bytes,
                flags,
            })
            .collect()
    }

    /// One step.
    unsafe fn step(&mut self, r: &mut Record, i: usize, step: &Step) {
        match step {
            Step::Startup { version } => {
                let mut wsa: api::WSADATA = zeroed();
                (r.ret, r.error) = ws(api::WSAStartup(version.unwrap_or(0x0202), &mut wsa));
                r.value = (r.ret == 0).then_some(i64::from(wsa.wVersion));
            }
            Step::Cleanup => (r.ret, r.error) = ws(api::WSACleanup()),
            Step::Socket {
                id,
                af,
                ty,
                protocol,
                flags,
                info_of,
            } => self.socket(r, id, (*af, *ty, *protocol), *flags, info_of.as_deref()),
            Step::Bind { sock, addr } => self.bind(r, sock, addr),
            Step::Connect { sock, to } => self.connect(r, sock, to.as_deref()),
            Step::Shutdown { sock, how } => {
                (r.ret, r.error) = ws(api::shutdown(self.sock(sock), how.i()));
                self.host.settle();
            }
            Step::Close { sock } => {
                (r.ret, r.error) = ws(api::closesocket(self.sock(sock)));
                self.host.settle();
            }
            Step::Setopt {
                sock,
                level,
                name,
                value,
                hex,
                len,
            } => self.setopt(
                r,
                self.sock(sock),
                (*level, *name),
                *value,
                hex.as_deref(),
                *len,
            ),
            Step::Getopt {
                sock,
                level,
                name,
                len,
            } => self.getopt(r, self.sock(sock), (*level, *name), *len),
            Step::Ioctl {
                sock,
                ioctlsocket: true,
                code,
                input,
                ..
            } => self.ioctlsocket(r, self.sock(sock), *code, *input),
            Step::Ioctl {
                sock,
                code,
                input,
                out,
                overlapped,
                ..
            } => {
                self.ioctl(r, self.sock(sock), *code, *input, *out, overlapped.as_ref());
                self.host.settle();
            }
            Step::Send {
                sock,
                to,
                len,
                api: which,
                fault,
                gather,
                src,
                null_msg,
                count,
                overlapped,
            } => {
                let s = self.sock(sock);
                let spec = SendSpec {
                    api: *which,
                    to: to.as_deref().map(|t| self.resolve(t)),
                    payload: (0..*len).map(|k| ((k + i * 7) % 200) as u8).collect(),
                    gather: gather.as_deref(),
                    src: src.as_deref().map(|a| self.resolve(a)),
                    null_msg: *null_msg,
                    count: *count,
                    overlapped: overlapped.as_ref(),
                };
                self.host.fault(*fault);
                self.send(r, s, spec);
                self.host.fault(None);
                self.learn(sock);
                self.host.settle();
            }
            Step::Recv {
                sock,
                api: which,
                bufs,
                flags,
                name,
                control,
                count,
                overlapped,
                null_msg,
                summary,
            } => {
                let spec = RecvSpec {
                    api: *which,
                    bufs,
                    flags: flags.u(),
                    name: *name,
                    control: *control,
                    count: *count,
                    overlapped: overlapped.as_ref(),
                    null_msg: *null_msg,
                    summary: *summary,
                };
                self.recv(r, self.sock(sock), spec);
            }
            Step::Event { id, auto } => self.event(r, id, *auto),
            Step::Port {
                id,
                sock,
                key,
                skip_on_success,
            } => self.port(r, id, self.sock(sock), *key, *skip_on_success),
            Step::Wait {
                events,
                all,
                ms,
                alertable,
            } => self.wait(r, events, *all, *ms, *alertable),
            Step::Sleep { ms, alertable } => {
                r.ret = i64::from(k32::SleepEx(*ms, i32::from(*alertable)))
            }
            Step::Result { req, wait } => self.result(r, *req, *wait),
            Step::Cancel { sock, req } => self.cancel(r, self.sock(sock), *req),
            Step::Dequeue {
                port,
                ms,
                ex,
                alertable,
            } => self.dequeue(r, port, *ms, *ex, *alertable),
            Step::Sockname { sock, peer } => self.sockname(r, self.sock(sock), *peer),
            Step::Extension {
                sock,
                guid,
                out,
                count,
            } => self.extension(r, self.sock(sock), guid, *out, *count),
            Step::Apc { tag } => self.queue_apc(r, *tag),
            Step::LastError { value } => self.last_error(r, *value),
            Step::Enum {
                len,
                ansi,
                null_len,
                filter,
            } => self.enumerate(r, (*len, *null_len), *ansi, filter.as_deref()),
        }
    }
}
