//! The only bus code that does I/O: TCP links between nodes and the executor's channels.
//!
//! Inbound: the bus listener accepts connections; each gets a reader task that decodes
//! messages and forwards them to the executor as [`Event::Bus`], tagged with the peer's IP
//! and the local IP of the connection (a node learns its own address from it). Bytes that
//! are not a valid message close that link with a warning; nothing else happens.
//!
//! Outbound: [`Outbound`] messages from the executor go to one writer task per destination
//! `ip:cport`, created on demand. A writer connects (with a timeout), writes what it is
//! given, and exits on any error; the next message to that address starts a new writer. The
//! queue per destination is bounded and drops when full: the bus protocol tolerates loss
//! (every PING is retried and every claim is re-sent), and a dead peer must not grow memory.
//! Replies travel on our own outbound link to the sender, not on the inbound connection.

use std::collections::HashMap;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::Outbound;
use super::message::{self, Message};
use crate::exec::Event;

/// Messages queued per destination before new ones are dropped.
const OUTBOUND_QUEUE_MESSAGES: usize = 1024;
/// Connect timeout for an outbound link (a fraction of any sane node timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
/// Read buffer growth step.
const READ_CHUNK_BYTES: usize = 16 * 1024;

/// A decoded message with where it came from, for the executor.
#[derive(Debug)]
pub struct Inbound {
    /// Peer IP of the connection it arrived on.
    pub from_ip: String,
    /// Our local IP on that connection.
    pub local_ip: String,
    /// The message.
    pub msg: Message,
}

/// Accepts bus connections forever, forwarding their messages to `events`.
pub async fn accept_loop(listener: TcpListener, events: mpsc::UnboundedSender<Event>) {
    loop {
        match listener.accept().await {
            Ok((socket, peer)) => {
                let _ = socket.set_nodelay(true);
                let local_ip = socket
                    .local_addr()
                    .map(|a| a.ip().to_string())
                    .unwrap_or_default();
                let events = events.clone();
                tokio::spawn(read_link(socket, peer.ip().to_string(), local_ip, events));
            }
            Err(e) => {
                warn!(error = %e, "cluster bus accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn read_link(
    mut socket: TcpStream,
    from_ip: String,
    local_ip: String,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut buf = BytesMut::with_capacity(READ_CHUNK_BYTES);
    // The node talking on this link, once a message said so.
    let mut peer = None;
    loop {
        loop {
            match message::decode(&mut buf) {
                Ok(Some(msg)) => {
                    peer = Some(msg.header.sender);
                    let ev = Event::Bus(Box::new(Inbound {
                        from_ip: from_ip.clone(),
                        local_ip: local_ip.clone(),
                        msg,
                    }));
                    if events.send(ev).is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    warn!(peer = %from_ip, error = %e, "invalid cluster bus data: closing link");
                    return;
                }
            }
        }
        buf.reserve(READ_CHUNK_BYTES);
        match socket.read_buf(&mut buf).await {
            Ok(0) | Err(_) => {
                // The peer closed its link (it may have died): the bus starts timing it.
                if let Some(id) = peer {
                    let _ = events.send(Event::BusLinkClosed(id));
                }
                return;
            }
            Ok(_) => {}
        }
    }
}

/// Routes outbound messages to per-destination writer tasks until `rx` closes.
pub async fn dispatch(mut rx: mpsc::UnboundedReceiver<Outbound>) {
    let mut writers: HashMap<(String, u16), mpsc::Sender<Message>> = HashMap::new();
    while let Some(ob) = rx.recv().await {
        let key = (ob.ip, ob.cport);
        let msg = ob.msg;
        let msg = match writers.get(&key) {
            None => Some(msg),
            Some(w) => match w.try_send(msg) {
                // A full queue drops the message: the bus retries what matters.
                Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => None,
                Err(mpsc::error::TrySendError::Closed(m)) => Some(m),
            },
        };
        if let Some(msg) = msg {
            let (tx, wrx) = mpsc::channel(OUTBOUND_QUEUE_MESSAGES);
            let _ = tx.try_send(msg);
            tokio::spawn(write_link(key.0.clone(), key.1, wrx));
            writers.insert(key, tx);
        }
    }
}

async fn write_link(ip: String, cport: u16, mut rx: mpsc::Receiver<Message>) {
    let conn = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((ip.as_str(), cport)));
    let mut socket = match conn.await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            debug!(%ip, cport, error = %e, "cluster bus connect failed");
            return;
        }
        Err(_) => {
            debug!(%ip, cport, "cluster bus connect timed out");
            return;
        }
    };
    let _ = socket.set_nodelay(true);
    let mut out = BytesMut::new();
    while let Some(m) = rx.recv().await {
        out.clear();
        message::encode(&m, &mut out);
        // Batch whatever else is already queued into the same write.
        while let Ok(m) = rx.try_recv() {
            message::encode(&m, &mut out);
        }
        if let Err(e) = socket.write_all(&out).await {
            debug!(%ip, cport, error = %e, "cluster bus write failed");
            return;
        }
    }
}
