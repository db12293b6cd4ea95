//! The scenario format: what a differential test does, step by step, in JSON that is easy to
//! read and to write by hand. The same file is played on the simulator and on a real Winsock.
//!
//! ```json
//! { "name": "truncation", "covers": ["A12"],
//!   "steps": [
//!     { "op": "startup" },
//!     { "op": "socket", "id": "rx" },
//!     { "op": "bind", "sock": "rx", "addr": "127.0.0.1:0" },
//!     { "op": "socket", "id": "tx" },
//!     { "op": "send", "sock": "tx", "to": "rx", "len": 100 },
//!     { "op": "recv", "sock": "rx", "api": "wsarecvmsg", "bufs": [{ "len": 10 }],
//!       "name": { "len": 16 }, "control": { "len": 64 } } ] }
//! ```
//!
//! This file has no dependency but serde: the Windows executor includes it as it is.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A number that a scenario may also give by its Winsock name ("SOL_SOCKET", "FIONREAD",
/// "MSG_PEEK|MSG_OOB"...).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Num(pub i64);

/// The names a scenario can use.
const NAMES: &[(&str, i64)] = &[
    ("AF_UNSPEC", 0),
    ("AF_INET", 2),
    ("AF_INET6", 23),
    ("SOCK_STREAM", 1),
    ("SOCK_DGRAM", 2),
    ("SOCK_RAW", 3),
    ("SOCK_RDM", 4),
    ("IPPROTO_IP", 0),
    ("IPPROTO_ICMP", 1),
    ("IPPROTO_TCP", 6),
    ("IPPROTO_UDP", 17),
    ("IPPROTO_IPV6", 41),
    ("SOL_SOCKET", 0xFFFF),
    ("SO_REUSEADDR", 4),
    ("SO_BROADCAST", 0x20),
    ("SO_RCVBUF", 0x1002),
    ("SO_RCVTIMEO", 0x1006),
    ("SO_ERROR", 0x1007),
    ("SO_TYPE", 0x1008),
    ("SO_MAX_MSG_SIZE", 0x2003),
    ("SO_PROTOCOL_INFOW", 0x2005),
    ("SO_SNDBUF", 0x1001),
    ("SO_DEBUG", 1),
    ("SO_EXCLUSIVEADDRUSE", -5),
    ("IP_TTL", 4),
    ("IP_TOS", 3),
    ("IP_MULTICAST_LOOP", 11),
    ("IP_MULTICAST_IF", 9),
    ("IP_ADD_MEMBERSHIP", 12),
    ("IP_PKTINFO", 19),
    ("IP_RECVTTL", 21),
    ("IP_RECVTOS", 40),
    ("IPV6_V6ONLY", 27),
    ("IPV6_PKTINFO", 19),
    ("IPV6_HOPLIMIT", 21),
    ("IPV6_RECVTCLASS", 40),
    ("FIONBIO", 0x8004_667E),
    ("FIONREAD", 0x4004_667F),
    ("SIOCATMARK", 0x4004_7307),
    ("SIO_UDP_CONNRESET", 0x9800_000C),
    ("SIO_UDP_NETRESET", 0x9800_000F),
    ("SIO_BASE_HANDLE", 0x4800_0022),
    ("IP_HDRINCL", 2),
    ("IP_DONTFRAGMENT", 14),
    ("IP_DROP_MEMBERSHIP", 13),
    ("IPV6_UNICAST_HOPS", 4),
    ("MSG_OOB", 1),
    ("MSG_PEEK", 2),
    ("MSG_WAITALL", 8),
    ("MSG_TRUNC", 0x100),
    ("MSG_CTRUNC", 0x200),
    ("MSG_PARTIAL", 0x8000),
    ("WSA_FLAG_OVERLAPPED", 1),
    ("SD_RECEIVE", 0),
    ("SD_SEND", 1),
    ("SD_BOTH", 2),
];

impl Num {
    /// As a 32-bit signed value.
    pub fn i(self) -> i32 {
        self.0 as i32
    }

    /// As a 32-bit unsigned value (control codes, flags).
    pub fn u(self) -> u32 {
        self.0 as u32
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Name(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(v) => Ok(Num(v)),
            Raw::Name(n) => {
                let mut v = 0;
                for part in n.split('|') {
                    let part = part.trim();
                    match NAMES.iter().find(|(k, _)| *k == part) {
                        Some(&(_, x)) => v |= x,
                        None => {
                            return Err(serde::de::Error::custom(format!("unknown name {part:?}")))
                        }
                    }
                }
                Ok(Num(v))
            }
        }
    }
}

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

/// A scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A short name (the file name, usually).
    pub name: String,
    /// What it shows, in a sentence.
    #[serde(default)]
    pub about: String,
    /// The contract-table rows (CONTRACT.md) it exercises.
    #[serde(default)]
    pub covers: Vec<String>,
    /// Where it can run: a scenario that needs the simulator (fault rules, virtual hosts)
    /// says so, and the real executors skip it.
    #[serde(default)]
    pub sim_only: bool,
    /// Real executors ("wine", "windows") that must not play it, each with the reason.
    #[serde(default)]
    pub skip: BTreeMap<String, String>,
    /// Where the simulator's Windows personality and Wine differ on it: CONTRACT.md section W
    /// rows, each with the steps (from 0) whose records it explains.
    #[serde(default)]
    pub wine_differs: BTreeMap<String, Vec<usize>>,
    /// The steps.
    pub steps: Vec<Step>,
}

/// A memory argument: `len` bytes of real memory, or NULL with that length claimed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buf {
    /// The length passed.
    pub len: i64,
    /// Pass NULL instead of memory.
    #[serde(default)]
    pub null: bool,
}

/// Which receive function.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecvApi {
    /// recv.
    Recv,
    /// recvfrom.
    Recvfrom,
    /// WSARecv.
    Wsarecv,
    /// WSARecvFrom.
    Wsarecvfrom,
    /// WSARecvMsg, through WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER).
    Wsarecvmsg,
}

/// Which send function.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendApi {
    /// sendto (send when there is no destination).
    #[default]
    Sendto,
    /// WSASendTo.
    Wsasendto,
    /// WSASendMsg.
    Wsasendmsg,
}

/// How an overlapped receive announces its completion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlapped {
    /// hEvent: the id of an event made by an `event` step.
    #[serde(default)]
    pub event: Option<String>,
    /// Set hEvent's low bit (no completion-port packet).
    #[serde(default)]
    pub low_bit: bool,
    /// Pass a completion routine (it records its calls, in order).
    #[serde(default)]
    pub routine: bool,
    /// Pass NULL for the OVERLAPPED itself (with `routine`: a routine without one).
    #[serde(default)]
    pub null: bool,
    /// Once the call returns, overwrite the WSABUF array it was given (zero lengths, NULL
    /// pointers): a Winsock that captured the array at the call is unaffected.
    #[serde(default)]
    pub clobber: bool,
}

/// A fault the simulator injects for one datagram (simulator-only scenarios).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultSpec {
    /// Lost.
    Drop,
    /// Arrives twice.
    Duplicate,
    /// Expires in transit (an ICMP time exceeded comes back).
    ExpireTtl,
}

fn yes() -> bool {
    true
}

/// One step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// WSAStartup(version, default 2.2).
    Startup {
        /// The version requested.
        #[serde(default)]
        version: Option<u16>,
    },
    /// WSACleanup.
    Cleanup,
    /// socket (or WSASocketW with `flags`), known afterwards as `id`.
    Socket {
        /// Its name in later steps.
        id: String,
        /// Address family (default AF_INET).
        #[serde(default)]
        af: Option<Num>,
        /// Type (default SOCK_DGRAM).
        #[serde(default)]
        ty: Option<Num>,
        /// Protocol (default 0).
        #[serde(default)]
        protocol: Num,
        /// WSASocketW flags; `None` calls socket() (which makes an overlapped socket).
        #[serde(default)]
        flags: Option<Num>,
        /// Call WSASocketW with the WSAPROTOCOL_INFOW that getsockopt(SO_PROTOCOL_INFOW)
        /// reads from this socket (af, type and protocol default to 0 then).
        #[serde(default)]
        info_of: Option<String>,
    },
    /// bind to an address ("127.0.0.1:0", "[::1]:0", "0.0.0.0:0").
    Bind {
        /// The socket.
        sock: String,
        /// The address.
        addr: String,
    },
    /// connect (to an address, as in `send`; `None`: AF_UNSPEC, which disconnects).
    Connect {
        /// The socket.
        sock: String,
        /// The peer.
        to: Option<String>,
    },
    /// shutdown.
    Shutdown {
        /// The socket.
        sock: String,
        /// SD_RECEIVE 0, SD_SEND 1, SD_BOTH 2.
        how: Num,
    },
    /// closesocket.
    Close {
        /// The socket.
        sock: String,
    },
    /// setsockopt with a 4-byte integer (or `len` bytes of it), or with the bytes `hex`.
    Setopt {
        /// The socket.
        sock: String,
        /// Level.
        level: Num,
        /// Option.
        name: Num,
        /// Value.
        #[serde(default)]
        value: Num,
        /// The value's bytes in hex (a structure: "e70102037f000001" is an ip_mreq).
        #[serde(default)]
        hex: Option<String>,
        /// optlen (default 4).
        #[serde(default)]
        len: Option<i32>,
    },
    /// getsockopt into a `len`-byte buffer (reports the first 4 bytes and the new length).
    Getopt {
        /// The socket.
        sock: String,
        /// Level.
        level: Num,
        /// Option.
        name: Num,
        /// optlen.
        len: i32,
    },
    /// WSAIoctl with a 4-byte input (or none) and an output of `out` bytes; or, with
    /// `ioctlsocket`, ioctlsocket with one u32 argument holding `input` (or 0) beforehand.
    Ioctl {
        /// The socket.
        sock: String,
        /// Call ioctlsocket instead of WSAIoctl.
        #[serde(default)]
        ioctlsocket: bool,
        /// The control code.
        code: Num,
        /// The input value.
        #[serde(default)]
        input: Option<Num>,
        /// Output buffer size (0: none).
        #[serde(default)]
        out: u32,
        /// Overlapped (WSAIoctl only): numbered with the receives for `result`.
        #[serde(default)]
        overlapped: Option<Overlapped>,
    },
    /// A datagram of `len` bytes (a fixed pattern) to `to`: a socket's name (its bound
    /// address), "closed" (a port nobody has), an address, or nothing (the connected peer).
    Send {
        /// The sender.
        sock: String,
        /// The destination.
        #[serde(default)]
        to: Option<String>,
        /// Payload length.
        len: usize,
        /// The function.
        #[serde(default)]
        api: SendApi,
        /// A fault for this datagram (simulator only).
        #[serde(default)]
        fault: Option<FaultSpec>,
        /// WSASendTo / WSASendMsg: gather the payload from buffers of these lengths (their
        /// sum is `len`).
        #[serde(default)]
        gather: Option<Vec<usize>>,
        /// WSASendMsg: an IP_PKTINFO / IPV6_PKTINFO control message with this source
        /// address.
        #[serde(default)]
        src: Option<String>,
        /// WSASendMsg with a NULL lpMsg.
        #[serde(default)]
        null_msg: bool,
        /// WSASendTo / WSASendMsg: pass a byte-count pointer.
        #[serde(default = "yes")]
        count: bool,
        /// WSASendTo / WSASendMsg overlapped: numbered with the receives for `result`.
        #[serde(default)]
        overlapped: Option<Overlapped>,
    },
    /// A receive. With `overlapped`, the request is numbered (from 0, in posting order) for
    /// `result`, `cancel` and the routine calls.
    Recv {
        /// The socket.
        sock: String,
        /// The function.
        api: RecvApi,
        /// The buffers (one for recv / recvfrom).
        bufs: Vec<Buf>,
        /// Input flags.
        #[serde(default)]
        flags: Num,
        /// The name buffer and length (`None`: both NULL).
        #[serde(default)]
        name: Option<Buf>,
        /// The control buffer (WSARecvMsg; `None`: NULL and 0).
        #[serde(default)]
        control: Option<Buf>,
        /// Pass a byte-count pointer (WSARecv*, WSARecvMsg).
        #[serde(default = "yes")]
        count: bool,
        /// Overlapped.
        #[serde(default)]
        overlapped: Option<Overlapped>,
        /// WSARecvMsg with a NULL lpMsg.
        #[serde(default)]
        null_msg: bool,
        /// Report only each buffer's length received and its first byte ("20:45"), for
        /// datagrams whose bytes differ from stack to stack (raw sockets' IP headers).
        #[serde(default)]
        summary: bool,
    },
    /// WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER) for "wsarecvmsg", "wsasendmsg" or
    /// "bogus" (an unknown GUID), with an output buffer of `out` bytes; reports whether a
    /// pointer came back.
    Extension {
        /// The socket.
        sock: String,
        /// Which function.
        guid: String,
        /// Output buffer size.
        out: u32,
        /// Pass lpcbBytesReturned.
        #[serde(default = "yes")]
        count: bool,
    },
    /// WSACreateEvent (manual reset), or CreateEventW for an auto-reset event with `auto`;
    /// known afterwards as `id`.
    Event {
        /// Its name.
        id: String,
        /// An auto-reset event.
        #[serde(default)]
        auto: bool,
    },
    /// CreateIoCompletionPort: `sock` associated under `key` with a new port `id`, or with
    /// the existing port `id` when there is one.
    Port {
        /// Its name.
        id: String,
        /// The socket to associate.
        sock: String,
        /// The completion key.
        #[serde(default)]
        key: usize,
        /// Then SetFileCompletionNotificationModes(FILE_SKIP_COMPLETION_PORT_ON_SUCCESS).
        #[serde(default)]
        skip_on_success: bool,
    },
    /// WSAWaitForMultipleEvents.
    Wait {
        /// Events.
        events: Vec<String>,
        /// fWaitAll.
        #[serde(default)]
        all: bool,
        /// Timeout in milliseconds.
        ms: u32,
        /// fAlertable.
        #[serde(default)]
        alertable: bool,
    },
    /// SleepEx (an alertable one runs completion routines).
    Sleep {
        /// Milliseconds.
        ms: u32,
        /// bAlertable.
        #[serde(default)]
        alertable: bool,
    },
    /// WSAGetOverlappedResult for request `req`, with its OVERLAPPED and what it wrote.
    Result {
        /// The request.
        req: usize,
        /// fWait.
        #[serde(default)]
        wait: bool,
    },
    /// CancelIoEx for request `req`, or every request on `sock`.
    Cancel {
        /// The socket.
        sock: String,
        /// The request (None: all).
        #[serde(default)]
        req: Option<usize>,
    },
    /// GetQueuedCompletionStatus on a port, or GetQueuedCompletionStatusEx for up to `ex`
    /// packets.
    Dequeue {
        /// The port.
        port: String,
        /// Timeout in milliseconds.
        #[serde(default)]
        ms: u32,
        /// GetQueuedCompletionStatusEx with this many entries.
        #[serde(default)]
        ex: Option<u32>,
        /// fAlertable (Ex only).
        #[serde(default)]
        alertable: bool,
    },
    /// QueueUserAPC to the current thread; the APC records `tag` when it runs.
    Apc {
        /// What the APC records.
        tag: u32,
    },
    /// WSASetLastError(value), then report GetLastError (one slot for both).
    LastError {
        /// The value.
        value: u32,
    },
    /// WSAEnumProtocolsW (WSAEnumProtocolsA with `ansi`) with `len` bytes of buffer (NULL
    /// for 0) and an optional filter.
    Enum {
        /// The buffer length passed.
        len: u32,
        /// WSAEnumProtocolsA.
        #[serde(default)]
        ansi: bool,
        /// Pass NULL for lpdwBufferLength.
        #[serde(default)]
        null_len: bool,
        /// The protocols to list (a 0-terminated array; `None`: NULL).
        #[serde(default)]
        filter: Option<Vec<Num>>,
    },
    /// getsockname (reports the family and the length), or getpeername with `peer`.
    Sockname {
        /// The socket.
        sock: String,
        /// getpeername instead, reporting the peer's name.
        #[serde(default)]
        peer: bool,
    },
}
