//! A layered service provider between ws2 and the base provider, written as an LSP is: its
//! WSPStartup starts the next provider of its chain, wraps ws2's upcall table, and fills its
//! procedure table with the base provider's entries except the ones it intercepts. It
//! observes socket creation, receives and the WPUQueueApc upcall, and alters what a receive
//! delivers on its way up.

mod common;

use std::cell::RefCell;
use std::mem::zeroed;
use std::sync::Mutex;

use common::*;
use kernel32::{SleepEx, WAIT_IO_COMPLETION};
use windows_sys::core::GUID;
use windows_sys::Win32::Networking::WinSock::{
    LPWSAUSERAPC, WSATHREADID, WSPDATA, WSPPROC_TABLE, WSPUPCALLTABLE,
};
use winsock_sim::spi::{self, install_layered_provider, LayeredProvider};
use winsock_sim::Sim;

thread_local! {
    /// What the layered provider saw, in order.
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn log(s: String) {
    LOG.with(|l| l.borrow_mut().push(s));
}

fn take_log() -> Vec<String> {
    LOG.with(|l| l.borrow_mut().drain(..).collect())
}

/// The next provider's table and ws2's upcall table, kept by the layered provider's
/// WSPStartup (the same function pointers in every simulation).
static BELOW: Mutex<Option<(WSPPROC_TABLE, WSPUPCALLTABLE)>> = Mutex::new(None);

fn below() -> (WSPPROC_TABLE, WSPUPCALLTABLE) {
    BELOW.lock().unwrap().expect("started")
}

/// Every catalogue entry (WSCEnumProtocols).
fn catalogue() -> Vec<WSAPROTOCOL_INFOW> {
    let (mut len, mut errno) = (0u32, 0);
    unsafe { WSCEnumProtocols(std::ptr::null(), std::ptr::null_mut(), &mut len, &mut errno) };
    let mut v: Vec<WSAPROTOCOL_INFOW> =
        vec![unsafe { zeroed() }; len as usize / size_of::<WSAPROTOCOL_INFOW>()];
    let n = unsafe { WSCEnumProtocols(std::ptr::null(), v.as_mut_ptr(), &mut len, &mut errno) };
    v.truncate(n as usize);
    v
}

unsafe extern "system" fn lsp_startup(
    version: u16,
    data: *const WSPDATA,
    info: *const WSAPROTOCOL_INFOW,
    upcalls: WSPUPCALLTABLE,
    table: *mut WSPPROC_TABLE,
) -> i32 {
    let info = unsafe { *info };
    let chain = info.ProtocolChain;
    log(format!(
        "WSPStartup {} chain {} {:?}",
        info.dwCatalogEntryId,
        chain.ChainLen,
        &chain.ChainEntries[..chain.ChainLen as usize]
    ));
    // The next provider in the chain: its entry and its WSPStartup (the base provider's).
    let next = catalogue()
        .into_iter()
        .find(|e| e.dwCatalogEntryId == chain.ChainEntries[1])
        .expect("the next entry");
    let mut wrapped = upcalls;
    wrapped.lpWPUQueueApc = Some(lsp_queue_apc);
    let mut base: WSPPROC_TABLE = unsafe { zeroed() };
    let r = unsafe { spi::WSPStartup(version, data, &next, wrapped, &mut base) };
    if r != 0 {
        return r;
    }
    *BELOW.lock().unwrap() = Some((base, upcalls));
    let mut mine = base;
    mine.lpWSPSocket = Some(lsp_socket);
    mine.lpWSPRecvFrom = Some(lsp_recvfrom);
    unsafe { *table = mine };
    0
}

unsafe extern "system" fn lsp_socket(
    af: i32,
    ty: i32,
    protocol: i32,
    info: *const WSAPROTOCOL_INFOW,
    g: u32,
    flags: u32,
    errno: *mut i32,
) -> SOCKET {
    let id = unsafe { (*info).dwCatalogEntryId };
    // The layer below gets its own entry, as an LSP passes it down.
    let next = catalogue()
        .into_iter()
        .find(|e| e.dwCatalogEntryId == unsafe { (*info).ProtocolChain.ChainEntries[1] })
        .unwrap();
    let s = unsafe { below().0.lpWSPSocket.unwrap()(af, ty, protocol, &next, g, flags, errno) };
    log(format!("WSPSocket {id} -> {s:#x}"));
    s
}

/// Passes the receive down, then upper-cases what it delivered (an immediate completion).
unsafe extern "system" fn lsp_recvfrom(
    s: SOCKET,
    bufs: *const WSABUF,
    count: u32,
    nbytes: *mut u32,
    flags: *mut u32,
    from: *mut SOCKADDR,
    fromlen: *mut i32,
    ov: *mut OVERLAPPED,
    routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
    thread: *const WSATHREADID,
    errno: *mut i32,
) -> i32 {
    log(format!("WSPRecvFrom {s:#x} overlapped {}", !ov.is_null()));
    let r = unsafe {
        below().0.lpWSPRecvFrom.unwrap()(
            s, bufs, count, nbytes, flags, from, fromlen, ov, routine, thread, errno,
        )
    };
    if r == 0 && ov.is_null() {
        let mut left = unsafe { *nbytes } as usize;
        for i in 0..count as usize {
            let b = unsafe { *bufs.add(i) };
            let n = (b.len as usize).min(left);
            unsafe { std::slice::from_raw_parts_mut(b.buf, n) }.make_ascii_uppercase();
            left -= n;
        }
    }
    r
}

unsafe extern "system" fn lsp_queue_apc(
    thread: *const WSATHREADID,
    apc: LPWSAUSERAPC,
    context: usize,
    errno: *mut i32,
) -> i32 {
    log("WPUQueueApc".to_string());
    unsafe { below().1.lpWPUQueueApc.unwrap()(thread, apc, context, errno) }
}

thread_local! {
    static ROUTINES: RefCell<Vec<(u32, u32)>> = const { RefCell::new(Vec::new()) };
}

unsafe extern "system" fn routine(error: u32, bytes: u32, _ov: *mut OVERLAPPED, _flags: u32) {
    ROUTINES.with(|r| r.borrow_mut().push((error, bytes)));
}

const LSP_GUID: GUID = GUID::from_u128(0x1a2b3c4d_0000_4000_8000_000000000001);

/// The layered provider over UDP/IP (1002): installed, listed before the entry it layers
/// (WSAEnumProtocols lists chains, not the layered entry itself), and on the path of socket()
/// and of every receive; it alters a receive on its way up and sees the base provider's
/// WPUQueueApc upcall for a completion routine. UDP/IPv6 sockets do not go through it.
#[test]
fn layered_provider_observes_and_alters_a_receive() {
    let sim = Sim::new();
    let _g = sim.enter();
    startup();
    let installed = install_layered_provider(
        &sim,
        &LayeredProvider {
            name: "test LSP",
            provider_id: LSP_GUID,
            startup: Some(lsp_startup),
            over: &[1002],
        },
    )
    .unwrap();
    let chain = installed.chains[0];

    // The catalogue, as applications see it: the chain first, the layered entry hidden.
    let (mut len, mut v) = (0u32, Vec::<WSAPROTOCOL_INFOW>::new());
    unsafe { WSAEnumProtocolsW(std::ptr::null(), std::ptr::null_mut(), &mut len) };
    v.resize(len as usize / size_of::<WSAPROTOCOL_INFOW>(), unsafe {
        zeroed()
    });
    let n = unsafe { WSAEnumProtocolsW(std::ptr::null(), v.as_mut_ptr(), &mut len) };
    let ids: Vec<u32> = v[..n as usize].iter().map(|e| e.dwCatalogEntryId).collect();
    assert_eq!(ids, vec![1001, chain, 1002, 1004, 1005]);

    // socket() goes through the chain's provider.
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let log1 = take_log();
    assert_eq!(
        log1[0],
        format!(
            "WSPStartup {chain} chain 2 [{}, 1002]",
            installed.layered_id
        )
    );
    assert_eq!(log1[1], format!("WSPSocket {chain} -> {rx:#x}"));
    let mut info: WSAPROTOCOL_INFOW = unsafe { zeroed() };
    let mut ilen = size_of::<WSAPROTOCOL_INFOW>() as i32;
    assert_eq!(
        unsafe {
            getsockopt(
                rx,
                SOL_SOCKET,
                SO_PROTOCOL_INFOW,
                &mut info as *mut _ as _,
                &mut ilen,
            )
        },
        0
    );
    assert_eq!(
        (info.dwCatalogEntryId, info.ProtocolChain.ChainLen),
        (chain, 2)
    );

    // A receive on its way through: observed and altered.
    let (tx, tx_addr) = bound("127.0.0.1:0");
    take_log();
    must_send(tx, b"hello", &rx_addr);
    let (r, err, buf, from, _) = recv_from(rx, 8, Some(128));
    assert_eq!((r, err, &buf[..5]), (5, 0, &b"HELLO"[..]));
    assert_eq!(from, Some(tx_addr.to_std()));
    assert_eq!(
        take_log(),
        vec![format!("WSPRecvFrom {rx:#x} overlapped false")]
    );

    // An overlapped receive with a routine: the base provider's WPUQueueApc upcall goes
    // through the layered provider's wrapper, and the routine runs in this thread.
    let mut data = [0u8; 8];
    let b = wsabuf(&mut data);
    let mut ov: Box<OVERLAPPED> = Box::new(unsafe { zeroed() });
    let mut flags = 0u32;
    let mut fromlen = Box::new(128i32);
    let mut name: Box<SOCKADDR_STORAGE> = Box::new(unsafe { zeroed() });
    let r = unsafe {
        WSARecvFrom(
            rx,
            &b,
            1,
            std::ptr::null_mut(),
            &mut flags,
            &mut *name as *mut _ as *mut SOCKADDR,
            &mut *fromlen,
            &mut *ov,
            Some(routine),
        )
    };
    assert_eq!((r, last_error()), (SOCKET_ERROR, WSA_IO_PENDING));
    must_send(tx, b"later", &rx_addr);
    assert_eq!(unsafe { SleepEx(0, 1) }, WAIT_IO_COMPLETION);
    assert_eq!(
        ROUTINES.with(|r| r.borrow_mut().drain(..).collect::<Vec<_>>()),
        vec![(0, 5)]
    );
    assert_eq!(
        take_log(),
        vec![
            format!("WSPRecvFrom {rx:#x} overlapped true"),
            "WPUQueueApc".to_string()
        ]
    );
    assert_eq!(&data[..5], b"later");

    // IPv6 UDP is not layered: the base provider directly.
    let (v6, _) = bound("[::1]:0");
    assert!(take_log().is_empty());
    close(v6);
    close(rx);
}

/// install_layered_provider refuses what WSCInstallProvider would: an unknown entry, a
/// layered entry, a provider id already installed.
#[test]
fn layered_provider_install_errors() {
    let sim = Sim::new();
    let lsp = |over: &'static [u32]| LayeredProvider {
        name: "x",
        provider_id: LSP_GUID,
        startup: Some(lsp_startup),
        over,
    };
    assert_eq!(
        install_layered_provider(&sim, &lsp(&[999])).err(),
        Some(winsock_sim::Errno::Inval)
    );
    let ok = install_layered_provider(&sim, &lsp(&[1005])).unwrap();
    assert_eq!(
        install_layered_provider(&sim, &lsp(&[1002])).err(),
        Some(winsock_sim::Errno::Inval),
        "the same provider id twice"
    );
    let other = LayeredProvider {
        provider_id: GUID::from_u128(7),
        ..lsp(&[])
    };
    let over = [ok.layered_id];
    assert_eq!(
        install_layered_provider(
            &sim,
            &LayeredProvider {
                over: &over,
                ..other
            }
        )
        .err(),
        Some(winsock_sim::Errno::Inval)
    );
}
