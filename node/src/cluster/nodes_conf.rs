//! nodes.conf: the cluster configuration on disk (Redis `clusterSaveConfig` /
//! `clusterLoadConfig`).
//!
//! The content is CLUSTER NODES without handshake nodes, with Redis 7.2's aux fields in the
//! address (`ip:port@cport,hostname,shard-id=<id>`; unknown aux fields are skipped on load, so
//! Redis 7.2's `tls-port=0` reads too), then `vars currentEpoch N lastVoteEpoch M`. Saving writes a temporary file next to the target,
//! fsyncs it, renames it over the target and fsyncs the directory, so a crash leaves either the
//! old or the new file, never a torn one (see [`save`] for when it also fsyncs). Loading restores ids, addresses, flags, epochs,
//! slots, open slots and shard ids (a node without one, from an older file, gets a fresh one; a
//! replica takes its primary's); a file without a `myself` line is an error (Redis exits on
//! it too).

use std::io::Write as _;
use std::path::Path;

use super::{ClusterNode, ClusterState, NodeId, flags, render};

/// Why nodes.conf could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Reading the file failed.
    #[error("can't read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A line did not parse.
    #[error("unrecoverable error: corrupted cluster config file \"{0}\"")]
    Corrupt(String),
    /// Another process holds the file's lock (Redis `clusterLockConfig`'s message).
    #[error(
        "Sorry, the cluster configuration file {0} is already used by a different Redis Cluster node. Please make sure that different nodes use different cluster configuration files."
    )]
    Locked(String),
}

/// Takes the exclusive lock on `path` (created if missing) for as long as the returned
/// file stays open, as Redis `clusterLockConfig` does with `flock`: a second node started
/// with the same file fails with [`LoadError::Locked`]. [`save`] moves the lock to each
/// new file it renames into place, so the lock outlives every save.
pub fn lock(path: &Path) -> Result<std::fs::File, LoadError> {
    let io = |source| LoadError::Io {
        path: path.display().to_string(),
        source,
    };
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io)?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(LoadError::Locked(path.display().to_string()))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}

/// Writes `st` to `path` atomically: a temporary file renamed over the target, so a crashed
/// process leaves the old or the new file. With `fsync` (epoch and vote changes, RESET, lost
/// slots: what Redis fsyncs) the file and its directory are also flushed to disk before
/// returning, so the change survives a power loss too.
///
/// The new file is locked before it replaces the old one and returned: the caller keeps it
/// open in place of the old lock ([`lock`]), so no other node can take the file meanwhile.
pub fn save(st: &ClusterState, path: &Path, fsync: bool) -> std::io::Result<std::fs::File> {
    write(&content(st), path, fsync)
}

/// [`save`] of an already rendered [`content`].
pub fn write(text: &str, path: &Path, fsync: bool) -> std::io::Result<std::fs::File> {
    let tmp = path.with_extension("tmp-shoal");
    let mut f = std::fs::File::create(&tmp)?;
    f.try_lock().map_err(std::io::Error::other)?;
    f.write_all(text.as_bytes())?;
    if fsync {
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if !fsync {
        return Ok(f);
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(f)
}

/// The text of nodes.conf: CLUSTER NODES without handshake nodes, then the vars line.
pub fn content(st: &ClusterState) -> String {
    let mut text = render::nodes(st, true);
    text.push_str(&format!(
        "vars currentEpoch {} lastVoteEpoch {}\n",
        st.current_epoch, st.last_vote_epoch
    ));
    text
}

/// `content` without what changes with every PING and means nothing after a restart
/// (ping sent, pong received, link state: loading ignores them): two states with the same
/// key need not be saved twice.
pub fn stable_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    for line in text.lines() {
        for (i, field) in line.split(' ').enumerate() {
            let volatile = !line.starts_with("vars ") && matches!(i, 4 | 5 | 7);
            key.push_str(if volatile { "-" } else { field });
            key.push(' ');
        }
        key.push('\n');
    }
    key
}

/// Closes a replaced nodes.conf (the previous lock holder) on a background thread. The file
/// was renamed over, so this close frees its inode, and ext4 first waits for the writeback
/// its rename started (`auto_da_alloc`): tens of milliseconds on a busy disk, which the
/// executor must not spend (it stalled every SETSLOT of a reshard).
pub fn close_in_background(f: std::fs::File) {
    static CLOSER: std::sync::OnceLock<std::sync::mpsc::Sender<std::fs::File>> =
        std::sync::OnceLock::new();
    let tx = CLOSER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<std::fs::File>();
        let spawned = std::thread::Builder::new()
            .name("nodes-conf-close".into())
            .spawn(move || rx.into_iter().for_each(drop));
        if spawned.is_err() {
            tracing::warn!("can't start the nodes.conf closer thread: closing inline");
        }
        tx
    });
    // If the thread is gone the file comes back in the error and is closed here.
    if let Err(std::sync::mpsc::SendError(f)) = tx.send(f) {
        drop(f);
    }
}

/// Loads `path` into a state; `Ok(None)` when the file is missing or empty (a fresh node).
pub fn load(
    path: &Path,
    base: ClusterState,
    now_ms: i64,
) -> Result<Option<ClusterState>, LoadError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(LoadError::Io {
                path: path.display().to_string(),
                source,
            });
        }
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse(&text, base, now_ms).map(Some)
}

/// Parses nodes.conf text over `base` (whose settings and ports are kept).
pub fn parse(text: &str, mut st: ClusterState, now_ms: i64) -> Result<ClusterState, LoadError> {
    let (my_port, my_cport) = (st.me().port, st.me().cport);
    let fresh_shard_id = st.my_shard_id();
    st.nodes.clear();
    st.slots.clear();
    let mut myself = None;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let corrupt = || LoadError::Corrupt(line.to_string());
        let f: Vec<&str> = line.split(' ').collect();
        if f[0] == "vars" {
            for kv in f[1..].chunks(2) {
                let v = kv.get(1).and_then(|v| v.parse().ok()).ok_or_else(corrupt)?;
                match kv[0] {
                    "currentEpoch" => st.current_epoch = v,
                    "lastVoteEpoch" => st.last_vote_epoch = v,
                    _ => {}
                }
            }
            continue;
        }
        if f.len() < 8 {
            return Err(corrupt());
        }
        let id = NodeId::parse(f[0].as_bytes()).ok_or_else(corrupt)?;
        let (ip, port, cport, hostname, shard_id) = parse_addr(f[1]).ok_or_else(corrupt)?;
        let mut fl = 0;
        for name in f[2].split(',') {
            if let Some((bit, _)) = flags::NAMES.iter().find(|(_, n)| *n == name) {
                fl |= bit;
            }
        }
        let mut n = ClusterNode::new(id, ip, port, cport, fl, now_ms);
        n.hostname = hostname;
        n.shard_id = shard_id;
        if f[3] != "-" {
            n.master_id = Some(NodeId::parse(f[3].as_bytes()).ok_or_else(corrupt)?);
        }
        n.config_epoch = f[6].parse().map_err(|_| corrupt())?;
        if fl & flags::MYSELF != 0 {
            myself = Some(id);
            // The ports come from this run's configuration, not the old file.
            n.port = my_port;
            n.cport = my_cport;
        }
        // Liveness starts afresh: PFAIL/FAIL are re-learned from the bus.
        n.flags &= !(flags::PFAIL | flags::HANDSHAKE);
        st.nodes.insert(id, n);
        for tok in &f[8..] {
            parse_slot_token(&mut st, id, tok).ok_or_else(corrupt)?;
        }
    }
    let myself = myself.ok_or_else(|| LoadError::Corrupt("no myself line".into()))?;
    st.myself = myself;
    let me = st.me_mut();
    me.shard_id = me.shard_id.or(Some(fresh_shard_id));
    // A replica is in its primary's shard (Redis `clusterLoadConfig`).
    let masters: Vec<(NodeId, NodeId)> = st
        .nodes
        .values()
        .filter_map(|n| n.master_id.map(|m| (n.id, m)))
        .collect();
    for (id, m) in masters {
        if let Some(sid) = st.nodes.get(&m).and_then(|m| m.shard_id)
            && let Some(n) = st.nodes.get_mut(&id)
        {
            n.shard_id = Some(sid);
        }
    }
    st.migrating.retain(|_, t| st.nodes.contains_key(t));
    st.importing.retain(|_, t| st.nodes.contains_key(t));
    st.save_pending = false;
    Ok(st)
}

/// What the address field of a nodes.conf line gives: ip, port, cport, hostname, shard id.
type Addr = (String, u16, u16, String, Option<NodeId>);

/// `ip:port@cport[,hostname[,aux=value]*]` (Redis 7.2's nodes.conf address field). Of the
/// aux fields only `shard-id` is read; a malformed one makes the line corrupt.
fn parse_addr(s: &str) -> Option<Addr> {
    let mut parts = s.split(',');
    let (hp, cport) = parts.next()?.rsplit_once('@')?;
    let (ip, port) = hp.rsplit_once(':')?;
    let hostname = parts.next().unwrap_or("");
    let mut shard_id = None;
    for aux in parts {
        let (k, v) = aux.split_once('=')?;
        if k == "shard-id" {
            shard_id = Some(NodeId::parse(v.as_bytes())?);
        }
    }
    Some((
        ip.to_string(),
        port.parse().ok()?,
        cport.parse().ok()?,
        hostname.to_string(),
        shard_id,
    ))
}

fn parse_slot_token(st: &mut ClusterState, id: NodeId, tok: &str) -> Option<()> {
    if let Some(inner) = tok.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        if let Some((s, t)) = inner.split_once("->-") {
            let t = NodeId::parse(t.as_bytes())?;
            st.migrating.insert(s.parse().ok()?, t);
        } else if let Some((s, t)) = inner.split_once("-<-") {
            let t = NodeId::parse(t.as_bytes())?;
            st.importing.insert(s.parse().ok()?, t);
        }
        return Some(());
    }
    let (a, b) = match tok.split_once('-') {
        Some((a, b)) => (a.parse::<usize>().ok()?, b.parse::<usize>().ok()?),
        None => {
            let a = tok.parse::<usize>().ok()?;
            (a, a)
        }
    };
    if a > b || b >= st.slots.len() {
        return None;
    }
    for s in a..=b {
        st.slots.set(s, Some(id));
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn save_then_load_round_trips() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
        let mut st = ClusterState::new(&mut rng, 7000, 17000, 0);
        let other = NodeId::random(&mut rng);
        let mut n = ClusterNode::new(other, "127.0.0.1".into(), 7001, 17001, flags::MASTER, 0);
        n.config_epoch = 2;
        st.nodes.insert(other, n);
        st.current_epoch = 5;
        st.me_mut().config_epoch = 3;
        st.me_mut().ip = "127.0.0.1".into();
        for s in 0..100 {
            st.set_slot(s, Some(st.myself));
        }
        st.set_slot(200, Some(other));
        st.migrating.insert(5, other);
        let dir = tempfile_dir();
        let path = dir.join("nodes.conf");
        save(&st, &path, true).expect("save");
        let base = ClusterState::new(&mut rng, 7000, 17000, 0);
        let back = load(&path, base, 0).expect("load").expect("present");
        assert_eq!(back.myself, st.myself);
        assert_eq!(back.current_epoch, 5);
        assert_eq!(back.me().config_epoch, 3);
        assert_eq!(back.slots, st.slots);
        assert_eq!(back.migrating, st.migrating);
        assert_eq!(render::nodes(&back, true), render::nodes(&st, true));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn shard_ids_round_trip_and_replicas_follow_their_primary() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let mut st = ClusterState::new(&mut rng, 7000, 17000, 0);
        st.me_mut().ip = "127.0.0.1".into();
        let master = NodeId::random(&mut rng);
        let mut m = ClusterNode::new(master, "127.0.0.1".into(), 7001, 17001, flags::MASTER, 0);
        m.shard_id = Some(NodeId::random(&mut rng));
        m.hostname = "host-m".into();
        st.nodes.insert(master, m);
        let text = content(&st);
        let sid = st.my_shard_id();
        assert!(
            text.contains(&format!(
                "127.0.0.1:7000@17000,,shard-id={sid} myself,master"
            )),
            "{text}"
        );
        assert!(text.contains(",host-m,shard-id="), "{text}");
        assert!(
            !render::nodes(&st, false).contains("shard-id"),
            "CLUSTER NODES keeps 7.0's format"
        );
        let base = ClusterState::new(&mut rng, 7000, 17000, 0);
        let back = parse(&text, base, 0).expect("parse");
        assert_eq!(back.my_shard_id(), sid);
        assert_eq!(back.nodes[&master].shard_id, st.nodes[&master].shard_id);
        assert_eq!(back.nodes[&master].hostname, "host-m");
        assert_eq!(content(&back), text);
        // Myself a replica of `master` with another shard id in the file: the primary's wins.
        let mut replica = st.clone();
        replica.me_mut().flags = flags::MYSELF | flags::SLAVE;
        replica.me_mut().master_id = Some(master);
        let base = ClusterState::new(&mut rng, 7000, 17000, 0);
        let back = parse(&content(&replica), base, 0).expect("parse");
        assert_eq!(Some(back.my_shard_id()), st.nodes[&master].shard_id);
    }

    #[test]
    fn files_without_shard_ids_and_redis_72_files_load() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(8);
        let me = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca";
        let other = "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1";
        let sid = "4b3c2b4a9f6e0c3d2e1f0a9b8c7d6e5f4a3b2c1d";
        // Older shoal (no aux fields): myself gets a fresh id, its replica takes it.
        let old = format!(
            "{me} 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-100\n\
             {other} 127.0.0.1:7001@17001 slave {me} 0 0 1 connected\n\
             vars currentEpoch 1 lastVoteEpoch 0\n"
        );
        let base = ClusterState::new(&mut rng, 7000, 17000, 0);
        let fresh = base.my_shard_id();
        let st = parse(&old, base, 0).expect("parse");
        assert_eq!(st.my_shard_id(), fresh);
        let other_id = NodeId::parse(other.as_bytes()).expect("id");
        assert_eq!(st.nodes[&other_id].shard_id, Some(fresh));
        // Redis 7.2 writes `tls-port=0` before the shard id: skipped, the shard id read.
        let redis = format!(
            "{me} 127.0.0.1:7000@17000,,tls-port=0,shard-id={sid} myself,master - 0 0 1 connected 0-100\n\
             vars currentEpoch 1 lastVoteEpoch 0\n"
        );
        let base = ClusterState::new(&mut rng, 7000, 17000, 0);
        let st = parse(&redis, base, 0).expect("parse");
        assert_eq!(st.my_shard_id().as_str(), sid);
        // A malformed shard id or aux field is a corrupt line.
        for bad in ["shard-id=xyz", "shard-id", "shard-id=4b3c"] {
            let text =
                format!("{me} 127.0.0.1:7000@17000,,{bad} myself,master - 0 0 1 connected\n");
            let base = ClusterState::new(&mut rng, 7000, 17000, 0);
            assert!(parse(&text, base, 0).is_err(), "{bad}");
        }
    }

    #[test]
    fn corrupt_files_are_errors() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(6);
        let base = ClusterState::new(&mut rng, 1, 2, 0);
        assert!(parse("garbage\n", base.clone(), 0).is_err());
        assert!(parse("vars currentEpoch 1 lastVoteEpoch 0\n", base, 0).is_err());
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("shoal-nodes-conf-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("mkdir");
        d
    }
}
