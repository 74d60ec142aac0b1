//! The primary side's periodic and event-driven work: replicas coming online after their
//! snapshot, pings, WAIT.

use std::fmt::Write as _;

use bytes::{Bytes, BytesMut};
use shoal_common::Frame;
use shoal_common::resp::encode::{encode, encode_request};

use crate::exec::Server;

impl Server {
    /// A snapshot was queued to a replica: release the stream held back for it.
    pub fn snapshot_sent(&mut self, client_id: crate::exec::ClientId) {
        let Some(pos) = self
            .repl
            .replicas
            .iter()
            .position(|r| r.client_id == client_id)
        else {
            return;
        };
        if self
            .clients
            .get(&client_id)
            .is_some_and(|c| c.repl_rdb_only)
        {
            // The snapshot was all it wanted: no stream, the connection closes once written.
            self.repl.replicas.remove(pos);
            if let Some(c) = self.clients.get(&client_id) {
                c.close();
            }
            return;
        }
        let buffered = self.repl.replicas[pos].buffered.take().unwrap_or_default();
        if let Some(c) = self.clients.get(&client_id) {
            c.send(buffered);
        }
    }

    /// Asks every replica for its offset now (`REPLCONF GETACK *` in the stream).
    pub fn request_acks(&mut self) {
        if self.repl.replicas.is_empty() {
            return;
        }
        let mut out = BytesMut::new();
        encode_request(&[b"REPLCONF".as_slice(), b"GETACK", b"*"], &mut out);
        self.feed_stream(&out);
    }

    /// Answers WAITs whose replicas caught up or whose time ran out.
    pub fn serve_waits(&mut self) {
        if self.repl.waits.is_empty() {
            return;
        }
        let now = self.clock.now_ms();
        let mut keep = Vec::new();
        for w in std::mem::take(&mut self.repl.waits) {
            let acked = self.repl.acked(w.offset);
            if acked >= w.numreplicas || w.deadline_ms.is_some_and(|d| now >= d) {
                if let Some(c) = self.clients.get(&w.client_id) {
                    let mut out = BytesMut::new();
                    encode(
                        &Frame::Integer(i64::try_from(acked).unwrap_or(0)),
                        c.protocol,
                        &mut out,
                    );
                    c.send(out);
                }
            } else {
                keep.push(w);
            }
        }
        self.repl.waits = keep;
    }

    /// Replication's share of the cron: pings to replicas every `repl-ping-replica-period`,
    /// WAIT timeouts.
    pub fn replication_cron(&mut self) {
        let now = self.clock.now_ms();
        let period_ms = self.config.get_i64("repl-ping-replica-period") * 1000;
        if !self.repl.replicas.is_empty()
            && !self.repl.is_replica()
            && now - self.repl.last_ping_ms >= period_ms
        {
            self.repl.last_ping_ms = now;
            let mut out = BytesMut::new();
            encode_request(&[Bytes::from_static(b"PING")], &mut out);
            self.feed_stream(&out);
        }
        self.serve_waits();
    }

    /// INFO's `# Replication` section, fields in Redis's order.
    pub fn replication_info(&self) -> String {
        let r = &self.repl;
        let now = self.clock.now_ms();
        let mut s = String::new();
        let mut kv = |k: &str, v: &dyn std::fmt::Display| {
            let _ = write!(s, "{k}:{v}\r\n");
        };
        match &r.master {
            None => kv("role", &"master"),
            Some(m) => {
                let up = m.state == super::LinkState::Connected;
                kv("role", &"slave");
                kv("master_host", &m.host);
                kv("master_port", &m.port);
                kv("master_link_status", &if up { "up" } else { "down" });
                kv(
                    "master_last_io_seconds_ago",
                    &if up { (now - m.last_io_ms) / 1000 } else { -1 },
                );
                kv(
                    "master_sync_in_progress",
                    &u8::from(m.state == super::LinkState::Sync),
                );
                kv("slave_read_repl_offset", &r.offset());
                kv("slave_repl_offset", &r.offset());
                if !up {
                    kv(
                        "master_link_down_since_seconds",
                        &((now - m.down_since_ms) / 1000),
                    );
                }
                kv("slave_priority", &self.config.get_i64("replica-priority"));
                kv(
                    "slave_read_only",
                    &u8::from(self.config.get_bool("replica-read-only")),
                );
                kv(
                    "replica_announced",
                    &u8::from(self.config.get_bool("replica-announced")),
                );
            }
        }
        let online: Vec<_> = r.replicas.iter().collect();
        kv("connected_slaves", &online.len());
        for (i, x) in online.iter().enumerate() {
            let state = if x.online() { "online" } else { "wait_bgsave" };
            let lag = (now - x.last_ack_ms) / 1000;
            kv(
                &format!("slave{i}"),
                &format!(
                    "ip={},port={},state={state},offset={},lag={lag}",
                    x.ip, x.listening_port, x.ack_offset
                ),
            );
        }
        kv("master_failover_state", &"no-failover");
        kv("master_replid", &r.replid);
        kv("master_replid2", &r.replid2);
        kv("master_repl_offset", &r.offset());
        kv("second_repl_offset", &r.second_offset);
        match &r.backlog {
            Some(b) => {
                kv("repl_backlog_active", &1);
                kv("repl_backlog_size", &b.capacity());
                kv("repl_backlog_first_byte_offset", &b.first_offset());
                kv("repl_backlog_histlen", &b.len());
            }
            None => {
                kv("repl_backlog_active", &0);
                kv(
                    "repl_backlog_size",
                    &self.config.get_i64("repl-backlog-size"),
                );
                kv("repl_backlog_first_byte_offset", &0);
                kv("repl_backlog_histlen", &0);
            }
        }
        s
    }
}
