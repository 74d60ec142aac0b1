//! The redirect decision (Redis `getNodeByQuery`): may this node serve these commands, or
//! must the client go elsewhere (MOVED, ASK), wait (TRYAGAIN, CLUSTERDOWN) or fix its request
//! (CROSSSLOT)?
//!
//! Single commands and EXEC go through the same function: EXEC passes its queued commands.
//! The order of the checks is Redis's, so the same error wins when several apply:
//! unassigned slot / cross slot (per key) → no keys: serve → cluster down → MIGRATE in an open
//! slot: serve → migrating with missing keys: TRYAGAIN or ASK → importing with ASKING: serve
//! (TRYAGAIN for multi-key with missing keys) → READONLY replica read → MOVED.
//!
//! Key existence in open slots is checked without expiring or touching the keys.

use bytes::Bytes;
use shoal_common::ReplyError;
use shoal_common::command::{CommandId, CommandSpec, flags as cf, keys};
use shoal_common::slot::{Slot, key_hash_slot};

use super::ClusterState;
use crate::db::{Db, NO_EXPIRE};

/// What the client has said about itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientFlags {
    /// ASKING was sent (one-shot).
    pub asking: bool,
    /// READONLY was sent.
    pub readonly: bool,
}

fn exists(db: &Db, key: &[u8], now_ms: i64) -> bool {
    db.peek(key)
        .is_some_and(|e| e.expire_at_ms == NO_EXPIRE || e.expire_at_ms > now_ms)
}

/// The argument indices of a command's keys. Like Redis's `getKeysFromCommandWithSpecs`, a
/// command with an INCOMPLETE key spec (MIGRATE) uses its own key finder instead.
pub fn command_keys(
    spec: &CommandSpec,
    argv: &[Bytes],
    out: &mut Vec<usize>,
) -> Result<(), keys::KeysError> {
    let incomplete = spec
        .key_specs
        .iter()
        .any(|k| k.flags & shoal_common::command::key_flags::INCOMPLETE != 0);
    if incomplete {
        out.extend(super::migrate::keys(argv));
        return Ok(());
    }
    keys::key_indices(spec, argv, out)
}

/// Decides whether `cmds` may run here. `Ok(())` means serve locally.
pub fn redirect(
    st: &ClusterState,
    db: &Db,
    now_ms: i64,
    client: ClientFlags,
    cmds: &[(&'static CommandSpec, &[Bytes])],
) -> Result<(), ReplyError> {
    let mut first: Option<(usize, &Bytes)> = None;
    let (mut migrating, mut importing, mut multiple_keys) = (false, false, false);
    let (mut missing, mut existing) = (0usize, 0usize);
    let mut idx = Vec::new();
    for (spec, argv) in cmds {
        idx.clear();
        if command_keys(spec, argv, &mut idx).is_err() {
            // The command itself will report its bad arguments.
            continue;
        }
        for &i in &idx {
            let Some(key) = argv.get(i) else { continue };
            let slot = key_hash_slot(key).index();
            match first {
                None => {
                    let Some(owner) = st.slots[slot] else {
                        return Err(ReplyError::ClusterDownUnbound);
                    };
                    first = Some((slot, key));
                    let slot16 = u16::try_from(slot).expect("invariant: slot < 16384");
                    if owner == st.myself && st.migrating.contains_key(&slot16) {
                        migrating = true;
                    } else if st.importing.contains_key(&slot16) {
                        importing = true;
                    }
                }
                Some((s, k)) => {
                    if s != slot {
                        return Err(ReplyError::CrossSlot);
                    }
                    if k != key {
                        multiple_keys = true;
                    }
                }
            }
            if migrating || importing {
                if exists(db, key, now_ms) {
                    existing += 1;
                } else {
                    missing += 1;
                }
            }
        }
    }
    let Some((slot, _)) = first else {
        return Ok(());
    };
    let is_write = cmds.iter().any(|(s, _)| s.has(cf::WRITE));
    // Sharded pub/sub follows its own setting when the cluster is down (Redis
    // `getNodeByQuery`'s `is_pubsubshard`).
    let pubsubshard = cmds
        .iter()
        .any(|(s, _)| matches!(s.name, "spublish" | "ssubscribe" | "sunsubscribe"));
    if !st.state_ok && pubsubshard {
        if !st.settings.allow_pubsubshard_when_down {
            return Err(ReplyError::ClusterDown);
        }
    } else if !st.state_ok {
        if !st.settings.allow_reads_when_down {
            return Err(ReplyError::ClusterDown);
        }
        if is_write {
            return Err(ReplyError::other(
                "CLUSTERDOWN The cluster is down and only accepts read commands",
            ));
        }
    }
    let slot16 = u16::try_from(slot).expect("invariant: slot < 16384");
    let slot_id = Slot::new(i64::from(slot16)).expect("invariant: slot < 16384");
    let migrate = migrate_id();
    let is_migrate = migrate.is_some() && cmds.iter().any(|(s, _)| Some(s.id) == migrate);
    if (migrating || importing) && is_migrate {
        return Ok(());
    }
    if migrating && missing > 0 {
        if existing > 0 {
            return Err(ReplyError::TryAgain);
        }
        let target = st.migrating[&slot16];
        let kind = st.settings.preferred_endpoint;
        let addr = st.nodes.get(&target).map(|n| n.endpoint_addr(kind));
        return Err(ReplyError::Ask {
            slot: slot_id,
            addr: addr.unwrap_or_default(),
        });
    }
    let asking_cmd = cmds.iter().any(|(s, _)| s.has(cf::ASKING));
    if importing && (client.asking || asking_cmd) {
        if multiple_keys && missing > 0 {
            return Err(ReplyError::TryAgain);
        }
        return Ok(());
    }
    let owner = st.slots[slot].expect("invariant: checked above that the slot has an owner");
    let me = st.me();
    if client.readonly && !is_write && me.master_id == Some(owner) {
        return Ok(());
    }
    if owner != st.myself {
        let kind = st.settings.preferred_endpoint;
        let addr = st.nodes.get(&owner).map(|n| n.endpoint_addr(kind));
        return Err(ReplyError::Moved {
            slot: slot_id,
            addr: addr.unwrap_or_default(),
        });
    }
    Ok(())
}

/// MIGRATE's id once the command exists; until then no command matches.
fn migrate_id() -> Option<CommandId> {
    shoal_common::command::lookup(b"migrate").map(|s| s.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{ClusterNode, NodeId, flags};
    use crate::db::Value;
    use rand::SeedableRng;
    use shoal_common::command::lookup;

    struct Fixture {
        st: ClusterState,
        db: Db,
        other: NodeId,
    }

    /// Myself owns 0..8192, the other node 8192..16384.
    fn fixture() -> Fixture {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(9);
        let mut st = ClusterState::new(&mut rng, 7000, 17000, 0);
        st.now_ms = crate::cluster::WRITABLE_DELAY_MS;
        let other = NodeId::random(&mut rng);
        st.nodes.insert(
            other,
            ClusterNode::new(other, "10.0.0.2".into(), 7001, 17001, flags::MASTER, 0),
        );
        for s in 0..16384 {
            let owner = if s < 8192 { st.myself } else { other };
            st.set_slot(s, Some(owner));
        }
        st.update_state();
        Fixture {
            st,
            db: Db::new(true),
            other,
        }
    }

    fn argv(args: &[&str]) -> Vec<Bytes> {
        args.iter().map(|a| Bytes::from(a.to_string())).collect()
    }

    fn run(f: &Fixture, flags: ClientFlags, args: &[&str]) -> Result<(), ReplyError> {
        let a = argv(args);
        let spec = lookup(a[0].as_ref()).expect("known command");
        redirect(&f.st, &f.db, 0, flags, &[(spec, &a)])
    }

    // "bar" hashes to 5061 (mine), "foo" to 12182 (other's).
    #[test]
    fn moved_crossslot_and_local() {
        let f = fixture();
        let none = ClientFlags::default();
        assert_eq!(run(&f, none, &["GET", "bar"]), Ok(()));
        assert_eq!(
            run(&f, none, &["GET", "foo"]).map_err(|e| e.to_string()),
            Err("MOVED 12182 10.0.0.2:7001".to_string())
        );
        assert_eq!(
            run(&f, none, &["MGET", "foo", "bar"]),
            Err(ReplyError::CrossSlot)
        );
        assert_eq!(run(&f, none, &["MGET", "{bar}1", "{bar}2"]), Ok(()));
        assert_eq!(run(&f, none, &["PING"]), Ok(()));
    }

    #[test]
    fn unassigned_and_down() {
        let mut f = fixture();
        f.st.set_slot(5061, None);
        f.st.update_state();
        let none = ClientFlags::default();
        assert_eq!(
            run(&f, none, &["GET", "bar"]),
            Err(ReplyError::ClusterDownUnbound)
        );
        assert_eq!(
            run(&f, none, &["GET", "{bar"]),
            Err(ReplyError::ClusterDown)
        );
        f.st.settings.allow_reads_when_down = true;
        assert_eq!(run(&f, none, &["GET", "{bar"]), Ok(()));
        assert_eq!(
            run(&f, none, &["SET", "{bar", "v"]).map_err(|e| e.to_string()),
            Err("CLUSTERDOWN The cluster is down and only accepts read commands".to_string())
        );
    }

    #[test]
    fn migrating_ask_and_tryagain() {
        let mut f = fixture();
        f.st.migrating.insert(5061, f.other);
        let none = ClientFlags::default();
        assert_eq!(
            run(&f, none, &["GET", "bar"]).map_err(|e| e.to_string()),
            Err("ASK 5061 10.0.0.2:7001".to_string())
        );
        f.db.set(
            Bytes::from("bar"),
            Value::String(b"v"[..].into()),
            NO_EXPIRE,
        );
        assert_eq!(run(&f, none, &["GET", "bar"]), Ok(()));
        assert_eq!(
            run(&f, none, &["MGET", "bar", "{bar}x"]),
            Err(ReplyError::TryAgain)
        );
        // An expired key counts as missing but is not deleted by the check.
        f.db.set(Bytes::from("{bar}e"), Value::String(b"v"[..].into()), 1);
        let a = argv(&["GET", "{bar}e"]);
        let spec = lookup(b"get").expect("get");
        assert!(matches!(
            redirect(&f.st, &f.db, 5, none, &[(spec, &a)]),
            Err(ReplyError::Ask { .. })
        ));
        assert!(f.db.peek(b"{bar}e").is_some());
    }

    #[test]
    fn importing_needs_asking() {
        let mut f = fixture();
        f.st.importing.insert(12182, f.other);
        let none = ClientFlags::default();
        let asking = ClientFlags {
            asking: true,
            readonly: false,
        };
        assert!(matches!(
            run(&f, none, &["GET", "foo"]),
            Err(ReplyError::Moved { .. })
        ));
        assert_eq!(run(&f, asking, &["GET", "foo"]), Ok(()));
        assert_eq!(
            run(&f, asking, &["MGET", "foo", "{foo}2"]),
            Err(ReplyError::TryAgain)
        );
    }

    #[test]
    fn readonly_replica_reads_its_masters_slots() {
        let mut f = fixture();
        let other = f.other;
        let me = f.st.me_mut();
        me.flags = flags::MYSELF | flags::SLAVE;
        me.master_id = Some(other);
        let ro = ClientFlags {
            asking: false,
            readonly: true,
        };
        assert_eq!(run(&f, ro, &["GET", "foo"]), Ok(()));
        assert!(matches!(
            run(&f, ro, &["SET", "foo", "v"]),
            Err(ReplyError::Moved { .. })
        ));
    }

    #[test]
    fn exec_checks_all_queued_commands() {
        let f = fixture();
        let a = argv(&["SET", "bar", "1"]);
        let b = argv(&["GET", "foo"]);
        let set = lookup(b"set").expect("set");
        let get = lookup(b"get").expect("get");
        assert_eq!(
            redirect(
                &f.st,
                &f.db,
                0,
                ClientFlags::default(),
                &[(set, &a), (get, &b)]
            ),
            Err(ReplyError::CrossSlot)
        );
    }
}
