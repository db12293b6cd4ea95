//! Socket steps: creation (from a protocol-info structure too), options, ioctls, names,
//! the extension-function pointer and the catalogue.

use std::mem::{size_of, zeroed};

use super::mem::{last_error, parse, raw, unhex, ws, FILL};
use super::req::{Req, ReqKind};
use super::Interp;
use crate::platform::api;
use crate::scenario::{Num, Overlapped};
use crate::trace::Record;

/// A GUID as it lies in memory.
fn guid_bytes(g: &windows_sys::core::GUID) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[0..4].copy_from_slice(&g.data1.to_le_bytes());
    b[4..6].copy_from_slice(&g.data2.to_le_bytes());
    b[6..8].copy_from_slice(&g.data3.to_le_bytes());
    b[8..16].copy_from_slice(&g.data4);
    b
}

/// sizeof(WSAPROTOCOL_INFOW).
const INFO_SIZE: usize = std::mem::size_of::<api::WSAPROTOCOL_INFOW>();

impl Interp<'_> {
    pub(super) unsafe fn socket(
        &mut self,
        r: &mut Record,
        id: &str,
        args: (Option<Num>, Option<Num>, Num),
        flags: Option<Num>,
        info_of: Option<&str>,
    ) {
        let (af, ty, protocol) = args;
        let s = if let Some(of) = info_of {
            let mut info: api::WSAPROTOCOL_INFOW = zeroed();
            let mut len = INFO_SIZE as i32;
            api::getsockopt(
                self.sock(of),
                api::SOL_SOCKET,
                api::SO_PROTOCOL_INFOW,
                &mut info as *mut _ as *mut u8,
                &mut len,
            );
            api::WSASocketW(
                af.map_or(0, |n| n.i()),
                ty.map_or(0, |n| n.i()),
                protocol.i(),
                &info,
                0,
                flags.map_or(api::WSA_FLAG_OVERLAPPED, |f| f.u()),
            )
        } else {
            let af = af.map_or(api::AF_INET as i32, |n| n.i());
            let ty = ty.map_or(api::SOCK_DGRAM, |n| n.i());
            match flags {
                None => api::socket(af, ty, protocol.i()),
                Some(f) => api::WSASocketW(af, ty, protocol.i(), std::ptr::null(), 0, f.u()),
            }
        };
        (r.ret, r.error) = if s == api::INVALID_SOCKET {
            (-1, last_error())
        } else {
            (0, 0)
        };
        self.socks.insert(id.to_string(), s);
    }

    pub(super) unsafe fn setopt(
        &mut self,
        r: &mut Record,
        s: api::SOCKET,
        (level, name): (Num, Num),
        value: Num,
        hexv: Option<&str>,
        len: Option<i32>,
    ) {
        let v = hexv.map_or_else(|| value.u().to_le_bytes().to_vec(), unhex);
        let l = len.unwrap_or(v.len() as i32);
        (r.ret, r.error) = ws(api::setsockopt(s, level.i(), name.i(), v.as_ptr(), l));
    }

    pub(super) unsafe fn getopt(
        &mut self,
        r: &mut Record,
        s: api::SOCKET,
        (level, name): (Num, Num),
        len: i32,
    ) {
        let mut b = vec![FILL; len.clamp(0, 1024) as usize];
        let mut l = len;
        (r.ret, r.error) = ws(api::getsockopt(
            s,
            level.i(),
            name.i(),
            b.as_mut_ptr(),
            &mut l,
        ));
        r.len = Some(i64::from(l));
        if r.ret == 0 && b.len() >= 4 {
            r.value = Some(i64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])));
        }
    }

    pub(super) unsafe fn ioctl(
        &mut self,
        r: &mut Record,
        s: api::SOCKET,
        code: Num,
        input: Option<Num>,
        out: u32,
        ov: Option<&Overlapped>,
    ) {
        let mut q = Req::new(
            s,
            ReqKind::Ioctl,
            vec![vec![FILL; out as usize].into_boxed_slice()],
        );
        q.control = input
            .map_or_else(Vec::new, |v| v.u().to_le_bytes().to_vec())
            .into_boxed_slice();
        let (ovp, rt) = self.overlapped_args(&mut q, ov);
        let mut n = 0xDEAD_u32;
        let inp = if q.control.is_empty() {
            std::ptr::null()
        } else {
            q.control.as_ptr() as *const _
        };
        let outp = if out > 0 {
            q.bufs[0].as_mut_ptr() as *mut _
        } else {
            std::ptr::null_mut()
        };
        (r.ret, r.error) = ws(api::WSAIoctl(
            s,
            code.u(),
            inp,
            q.control.len() as u32,
            outp,
            out,
            &mut n,
            ovp,
            rt,
        ));
        r.len = (n != 0xDEAD).then_some(i64::from(n));
        let o = &q.bufs[0];
        if r.ret == 0 && o.len() >= 4 {
            r.value = Some(i64::from(u32::from_le_bytes([o[0], o[1], o[2], o[3]])));
        }
        self.keep(q, ov);
    }

    pub(super) unsafe fn ioctlsocket(
        &mut self,
        r: &mut Record,
        s: api::SOCKET,
        code: Num,
        input: Option<Num>,
    ) {
        let mut arg = input.map_or(0, |v| v.u());
        (r.ret, r.error) = ws(api::ioctlsocket(s, code.i(), &mut arg));
        r.value = Some(i64::from(arg));
    }

    pub(super) unsafe fn extension(
        &mut self,
        r: &mut Record,
        s: api::SOCKET,
        guid: &str,
        out: u32,
        count: bool,
    ) {
        let g: [u8; 16] = match guid {
            "wsarecvmsg" => guid_bytes(&api::WSAID_WSARECVMSG),
            "wsasendmsg" => guid_bytes(&api::WSAID_WSASENDMSG),
            _ => [0x5A; 16],
        };
        let mut o = [0u8; 16];
        let mut n = 0xDEAD_u32;
        (r.ret, r.error) = ws(api::WSAIoctl(
            s,
            api::SIO_GET_EXTENSION_FUNCTION_POINTER,
            g.as_ptr() as *const _,
            16,
            o.as_mut_ptr() as *mut _,
            out.min(16),
            if count { &mut n } else { std::ptr::null_mut() },
            std::ptr::null_mut(),
            None,
        ));
        r.len = (n != 0xDEAD).then_some(i64::from(n));
        r.value = Some(i64::from(o.iter().any(|&x| x != 0)));
    }

    pub(super) unsafe fn sockname(&mut self, r: &mut Record, s: api::SOCKET, peer: bool) {
        let mut b = [0u8; 128];
        let mut len = 128i32;
        let (bp, lp) = (b.as_mut_ptr() as *mut api::SOCKADDR, &mut len as *mut i32);
        (r.ret, r.error) = ws(if peer {
            api::getpeername(s, bp, lp)
        } else {
            api::getsockname(s, bp, lp)
        });
        r.namelen = Some(len);
        r.value = Some(i64::from(u16::from_le_bytes([b[0], b[1]])));
        if r.ret == 0 {
            // The peer by name; our own address as such, except its port (which differs
            // from run to run).
            let a = parse(&b, len);
            r.from = a.map(|a| {
                if peer {
                    self.name_of(a)
                } else {
                    a.ip().to_string()
                }
            });
            r.port = a.map(|a| a.port()).filter(|&p| !peer && p < 1024);
        }
    }

    pub(super) unsafe fn bind(&mut self, r: &mut Record, name: &str, addr: &str) {
        let s = self.sock(name);
        let (b, len) = raw(addr.parse().expect("an address"));
        (r.ret, r.error) = ws(api::bind(s, b.as_ptr() as *const api::SOCKADDR, len));
        self.learn(name);
    }

    pub(super) unsafe fn connect(&mut self, r: &mut Record, name: &str, to: Option<&str>) {
        let s = self.sock(name);
        (r.ret, r.error) = ws(match to {
            Some(to) => {
                let (b, len) = raw(self.resolve(to));
                api::connect(s, b.as_ptr() as *const api::SOCKADDR, len)
            }
            None => {
                let b = [0u8; 16];
                api::connect(s, b.as_ptr() as *const api::SOCKADDR, 16)
            }
        });
        self.learn(name);
    }

    /// WSAEnumProtocolsW or WSAEnumProtocolsA: the count (or error), the length it reports,
    /// and a summary of each entry (family/type/protocol/dwServiceFlags1).
    pub(super) unsafe fn enumerate(
        &mut self,
        r: &mut Record,
        (len, null_len): (u32, bool),
        ansi: bool,
        filter: Option<&[Num]>,
    ) {
        let f: Option<Vec<i32>> =
            filter.map(|f| f.iter().map(|n| n.i()).chain(std::iter::once(0)).collect());
        let fp = f.as_ref().map_or(std::ptr::null(), |f| f.as_ptr());
        let mut l = len;
        let lp: *mut u32 = if null_len {
            std::ptr::null_mut()
        } else {
            &mut l
        };
        // The same call over either structure (WSAPROTOCOL_INFOA or W): the buffer holds
        // `len` bytes' worth of entries, and one more so that the pointer is never dangling.
        macro_rules! enumerate {
            ($info:ty, $f:path) => {{
                let n = len as usize / size_of::<$info>() + 1;
                let mut infos: Vec<$info> = (0..n).map(|_| zeroed()).collect();
                let buf = if len == 0 {
                    std::ptr::null_mut()
                } else {
                    infos.as_mut_ptr()
                };
                let ret = $f(fp, buf, lp);
                let entries: Vec<String> = infos
                    .iter()
                    .take(ret.max(0) as usize)
                    .map(|i| {
                        let (af, ty, proto) = (i.iAddressFamily, i.iSocketType, i.iProtocol);
                        format!("{af}/{ty}/{proto}/{:#x}", i.dwServiceFlags1)
                    })
                    .collect();
                (ret, entries)
            }};
        }
        let (ret, entries) = if ansi {
            enumerate!(api::WSAPROTOCOL_INFOA, api::WSAEnumProtocolsA)
        } else {
            enumerate!(api::WSAPROTOCOL_INFOW, api::WSAEnumProtocolsW)
        };
        (r.ret, r.error) = ws(ret);
        r.len = (!null_len).then_some(i64::from(l));
        r.entries = (ret > 0).then_some(entries);
    }
}
