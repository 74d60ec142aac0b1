//! Command handlers, one module per Redis group (named like Redis's `t_*.c` files).
//!
//! [`handler`] maps every [`CommandId`] to its function with an exhaustive `match`: a table
//! row without a handler does not compile.

pub mod args;
pub mod bitmap;
pub mod cluster;
pub mod cluster_repl;
pub mod command;
pub mod connection;
pub mod geo;
pub mod hash;
pub mod hll;
pub mod keyspace;
pub mod list;
pub mod long_double;
pub mod memory;
pub mod multi;
pub mod pubsub;
pub mod replication;
pub mod scripting;
pub mod server;
pub mod set;
pub mod sort;
pub mod stream;
pub mod stream_cg;
pub mod string;
pub mod zset;

use bytes::Bytes;
use shoal_common::command::CommandId;
use shoal_common::{Frame, ReplyError};

use crate::db::Value;
use crate::exec::Ctx;

/// A command handler: the context and the full argument vector (`argv[0]` is the name).
pub type Handler = fn(&mut Ctx<'_>, &[Bytes]) -> Result<Frame, ReplyError>;

/// The handler of a command.
// A table-like function: one arm per command, kept together on purpose.
#[allow(clippy::too_many_lines)]
pub fn handler(id: CommandId) -> Handler {
    use CommandId as C;
    match id {
        // connection
        C::Ping => connection::ping,
        C::Echo => connection::echo,
        C::Hello => connection::hello,
        C::Select => connection::select,
        C::Quit => connection::quit,
        C::Client => connection::container,
        C::ClientId => connection::client_id,
        C::ClientSetname => connection::client_setname,
        C::ClientGetname => connection::client_getname,
        C::ClientList => connection::client_list,
        C::ClientInfo => connection::client_info,
        C::ClientKill => connection::client_kill,
        C::ClientNoEvict => connection::client_no_evict,
        C::ClientNoTouch => connection::client_no_touch,
        C::ClientSetinfo => connection::client_setinfo,
        C::ClientReply => connection::client_reply,
        C::ClientPause => connection::client_pause,
        C::ClientUnpause => connection::client_unpause,
        C::ClientHelp => connection::client_help,
        C::ClientUnblock => connection::client_unblock,
        C::Auth => connection::auth,
        C::Reset => connection::reset,
        // end connection

        // server
        C::Command => command::command,
        C::CommandCount => command::count,
        C::CommandInfo => command::info,
        C::CommandList => command::list,
        C::CommandGetkeys => command::getkeys,
        C::CommandGetkeysandflags => command::getkeysandflags,
        C::CommandDocs => command::docs,
        C::CommandHelp => command::help,
        C::Config => server::container,
        C::ConfigGet => server::config_get,
        C::ConfigSet => server::config_set,
        C::ConfigResetstat => server::config_resetstat,
        C::ConfigRewrite => server::config_rewrite,
        C::ConfigHelp => server::config_help,
        C::Info => server::info,
        C::Dbsize => server::dbsize,
        C::Flushall => server::flushall,
        C::Flushdb => server::flushdb,
        C::Time => server::time,
        C::Shutdown => server::shutdown,
        C::Lastsave => server::lastsave,
        C::Memory => memory::container,
        C::MemoryDoctor => memory::doctor,
        C::MemoryHelp => memory::help,
        C::MemoryMallocStats => memory::malloc_stats,
        C::MemoryStats => memory::stats,
        C::MemoryUsage => memory::usage,
        C::Monitor => server::monitor,
        C::Slowlog => server::slowlog_container,
        C::SlowlogGet => server::slowlog_get,
        C::SlowlogLen => server::slowlog_len,
        C::SlowlogReset => server::slowlog_reset,
        C::SlowlogHelp => server::slowlog_help,
        C::Debug => server::debug,
        // end server

        // generic
        C::Del | C::Unlink => keyspace::del,
        C::Exists => keyspace::exists,
        C::Type => keyspace::type_,
        C::Keys => keyspace::keys,
        C::Expire => keyspace::expire,
        C::Pexpire => keyspace::pexpire,
        C::Ttl => keyspace::ttl,
        C::Pttl => keyspace::pttl,
        C::Persist => keyspace::persist,
        C::Expireat => keyspace::expireat,
        C::Pexpireat => keyspace::pexpireat,
        C::Expiretime => keyspace::expiretime,
        C::Pexpiretime => keyspace::pexpiretime,
        C::Rename => keyspace::rename,
        C::Renamenx => keyspace::renamenx,
        C::Copy => keyspace::copy,
        C::Move => keyspace::move_,
        C::Swapdb => keyspace::swapdb,
        C::Scan => keyspace::scan,
        C::Randomkey => keyspace::randomkey,
        C::Touch => keyspace::touch,
        C::Object => keyspace::object,
        C::ObjectEncoding => keyspace::object_encoding,
        C::ObjectFreq => keyspace::object_freq,
        C::ObjectIdletime => keyspace::object_idletime,
        C::ObjectRefcount => keyspace::object_refcount,
        C::ObjectHelp => keyspace::object_help,
        C::Dump => keyspace::dump,
        C::Restore => keyspace::restore,
        // end generic

        // string
        C::Get => string::get,
        C::Set => string::set,
        C::Setnx => string::setnx,
        C::Setex => string::setex,
        C::Mget => string::mget,
        C::Mset => string::mset,
        C::Incr => string::incr,
        C::Decr => string::decr,
        C::Incrby => string::incrby,
        C::Decrby => string::decrby,
        C::Append => string::append,
        C::Strlen => string::strlen,
        C::Getset => string::getset,
        C::Getdel => string::getdel,
        C::Getex => string::getex,
        C::Msetnx => string::msetnx,
        C::Psetex => string::psetex,
        C::Incrbyfloat => string::incrbyfloat,
        C::Getrange => string::getrange,
        C::Substr => string::substr,
        C::Setrange => string::setrange,
        C::Lcs => string::lcs,
        // end string

        // bitmap
        C::Setbit => bitmap::setbit,
        C::Getbit => bitmap::getbit,
        C::Bitcount => bitmap::bitcount,
        C::Bitpos => bitmap::bitpos,
        C::Bitop => bitmap::bitop,
        C::Bitfield => bitmap::bitfield,
        C::BitfieldRo => bitmap::bitfield_ro,
        // end bitmap

        // hyperloglog
        C::Pfadd => hll::pfadd,
        C::Pfcount => hll::pfcount,
        C::Pfmerge => hll::pfmerge,
        C::Pfdebug => hll::pfdebug,
        C::Pfselftest => hll::pfselftest,
        // end hyperloglog

        // hash
        C::Hset => hash::hset,
        C::Hsetnx => hash::hsetnx,
        C::Hget => hash::hget,
        C::Hmset => hash::hmset,
        C::Hmget => hash::hmget,
        C::Hgetall => hash::hgetall,
        C::Hdel => hash::hdel,
        C::Hlen => hash::hlen,
        C::Hstrlen => hash::hstrlen,
        C::Hexists => hash::hexists,
        C::Hkeys => hash::hkeys,
        C::Hvals => hash::hvals,
        C::Hincrby => hash::hincrby,
        C::Hincrbyfloat => hash::hincrbyfloat,
        C::Hrandfield => hash::hrandfield,
        C::Hscan => hash::hscan,
        // end hash

        // list
        C::Lpush => list::lpush,
        C::Rpush => list::rpush,
        C::Lpushx => list::lpushx,
        C::Rpushx => list::rpushx,
        C::Lpop => list::lpop,
        C::Rpop => list::rpop,
        C::Llen => list::llen,
        C::Lindex => list::lindex,
        C::Lset => list::lset,
        C::Lrange => list::lrange,
        C::Ltrim => list::ltrim,
        C::Lrem => list::lrem,
        C::Linsert => list::linsert,
        C::Lpos => list::lpos,
        C::Lmove => list::lmove,
        C::Rpoplpush => list::rpoplpush,
        C::Lmpop => list::lmpop,
        C::Blpop => list::blpop,
        C::Brpop => list::brpop,
        C::Blmove => list::blmove,
        C::Brpoplpush => list::brpoplpush,
        C::Blmpop => list::blmpop,
        // end list

        // set
        C::Sadd => set::sadd,
        C::Srem => set::srem,
        C::Smembers => set::smembers,
        C::Sismember => set::sismember,
        C::Smismember => set::smismember,
        C::Scard => set::scard,
        C::Spop => set::spop,
        C::Srandmember => set::srandmember,
        C::Smove => set::smove,
        C::Sinter => set::sinter,
        C::Sintercard => set::sintercard,
        C::Sinterstore => set::sinterstore,
        C::Sunion => set::sunion,
        C::Sunionstore => set::sunionstore,
        C::Sdiff => set::sdiff,
        C::Sdiffstore => set::sdiffstore,
        C::Sscan => set::sscan,
        // end set

        // sorted set
        C::Zadd => zset::zadd,
        C::Zincrby => zset::zincrby,
        C::Zrem => zset::zrem,
        C::Zcard => zset::zcard,
        C::Zcount => zset::range::zcount,
        C::Zlexcount => zset::range::zlexcount,
        C::Zscore => zset::zscore,
        C::Zmscore => zset::zmscore,
        C::Zrank => zset::zrank,
        C::Zrevrank => zset::zrevrank,
        C::Zrange => zset::range::zrange,
        C::Zrangestore => zset::range::zrangestore,
        C::Zrangebyscore => zset::range::zrangebyscore,
        C::Zrevrangebyscore => zset::range::zrevrangebyscore,
        C::Zrangebylex => zset::range::zrangebylex,
        C::Zrevrangebylex => zset::range::zrevrangebylex,
        C::Zrevrange => zset::range::zrevrange,
        C::Zremrangebyrank => zset::range::zremrangebyrank,
        C::Zremrangebyscore => zset::range::zremrangebyscore,
        C::Zremrangebylex => zset::range::zremrangebylex,
        C::Zpopmin => zset::pop::zpopmin,
        C::Zpopmax => zset::pop::zpopmax,
        C::Zmpop => zset::pop::zmpop,
        C::Zrandmember => zset::pop::zrandmember,
        C::Zunion => zset::algebra::zunion,
        C::Zinter => zset::algebra::zinter,
        C::Zdiff => zset::algebra::zdiff,
        C::Zunionstore => zset::algebra::zunionstore,
        C::Zinterstore => zset::algebra::zinterstore,
        C::Zdiffstore => zset::algebra::zdiffstore,
        C::Zintercard => zset::algebra::zintercard,
        C::Zscan => zset::pop::zscan,
        C::Bzpopmin => zset::pop::bzpopmin,
        C::Bzpopmax => zset::pop::bzpopmax,
        C::Bzmpop => zset::pop::bzmpop,
        C::Sort => sort::sort,
        C::SortRo => sort::sort_ro,
        // end sorted set

        // geo
        C::Geoadd => geo::geoadd,
        C::Geopos => geo::geopos,
        C::Geodist => geo::geodist,
        C::Geohash => geo::geohash_cmd,
        C::Geosearch => geo::search::geosearch,
        C::Geosearchstore => geo::search::geosearchstore,
        C::Georadius => geo::search::georadius,
        C::GeoradiusRo => geo::search::georadius_ro,
        C::Georadiusbymember => geo::search::georadiusbymember,
        C::GeoradiusbymemberRo => geo::search::georadiusbymember_ro,
        // end geo

        // stream
        C::Xadd => stream::xadd,
        C::Xlen => stream::xlen,
        C::Xrange => stream::xrange,
        C::Xrevrange => stream::xrevrange,
        C::Xdel => stream::xdel,
        C::Xtrim => stream::xtrim,
        C::Xsetid => stream::xsetid,
        C::Xread => stream::xread,
        C::Xinfo => stream::xinfo,
        C::XinfoStream => stream::xinfo_stream,
        C::XinfoHelp => stream::xinfo_help,
        C::XinfoGroups => stream_cg::xinfo_groups,
        C::XinfoConsumers => stream_cg::xinfo_consumers,
        C::Xgroup => stream_cg::xgroup,
        C::XgroupCreate => stream_cg::xgroup_create,
        C::XgroupSetid => stream_cg::xgroup_setid,
        C::XgroupDestroy => stream_cg::xgroup_destroy,
        C::XgroupCreateconsumer => stream_cg::xgroup_createconsumer,
        C::XgroupDelconsumer => stream_cg::xgroup_delconsumer,
        C::XgroupHelp => stream_cg::xgroup_help,
        C::Xreadgroup => stream_cg::xreadgroup,
        C::Xack => stream_cg::xack,
        C::Xpending => stream_cg::xpending,
        C::Xclaim => stream_cg::xclaim,
        C::Xautoclaim => stream_cg::xautoclaim,
        // end stream

        // pubsub
        C::Subscribe => pubsub::subscribe,
        C::Unsubscribe => pubsub::unsubscribe,
        C::Psubscribe => pubsub::psubscribe,
        C::Punsubscribe => pubsub::punsubscribe,
        C::Ssubscribe => pubsub::ssubscribe,
        C::Sunsubscribe => pubsub::sunsubscribe,
        C::Publish => pubsub::publish,
        C::Spublish => pubsub::spublish,
        C::Pubsub => pubsub::container,
        C::PubsubChannels => pubsub::channels,
        C::PubsubShardchannels => pubsub::shardchannels,
        C::PubsubNumsub => pubsub::numsub_cmd,
        C::PubsubShardnumsub => pubsub::shardnumsub,
        C::PubsubNumpat => pubsub::numpat,
        C::PubsubHelp => pubsub::help,
        // end pubsub

        // transactions
        C::Multi => multi::multi,
        C::Exec => multi::exec,
        C::Discard => multi::discard,
        C::Watch => multi::watch,
        C::Unwatch => multi::unwatch,
        // end transactions

        // cluster
        C::Asking => cluster::asking,
        C::Readonly => cluster::readonly,
        C::Readwrite => cluster::readwrite,
        C::Cluster => cluster::container,
        C::ClusterAddslots => cluster::addslots,
        C::ClusterAddslotsrange => cluster::addslotsrange,
        C::ClusterBumpepoch => cluster::bumpepoch,
        C::ClusterCountFailureReports => cluster::count_failure_reports,
        C::ClusterCountkeysinslot => cluster::countkeysinslot,
        C::ClusterDelslots => cluster::delslots,
        C::ClusterDelslotsrange => cluster::delslotsrange,
        C::ClusterFlushslots => cluster::flushslots,
        C::ClusterForget => cluster::forget,
        C::ClusterGetkeysinslot => cluster::getkeysinslot,
        C::ClusterInfo => cluster::info,
        C::ClusterKeyslot => cluster::keyslot,
        C::ClusterLinks => cluster::links,
        C::ClusterMeet => cluster::meet,
        C::ClusterMyid => cluster::myid,
        C::ClusterMyshardid => cluster::myshardid,
        C::ClusterNodes => cluster::nodes,
        C::ClusterReset => cluster::reset,
        C::ClusterSaveconfig => cluster::saveconfig,
        C::ClusterSetConfigEpoch => cluster::set_config_epoch,
        C::ClusterSetslot => cluster::setslot,
        C::ClusterShards => cluster::shards,
        C::ClusterSlots => cluster::slots,
        C::ClusterReplicate => cluster_repl::replicate,
        C::ClusterReplicas | C::ClusterSlaves => cluster_repl::replicas,
        C::ClusterFailover => cluster_repl::failover_cmd,
        C::Migrate => crate::cluster::migrate::migrate,
        C::RestoreAsking => keyspace::restore,
        // end cluster

        // replication
        C::Replicaof | C::Slaveof => replication::replicaof,
        C::Psync => replication::psync,
        C::Sync => replication::sync,
        C::Replconf => replication::replconf,
        C::Wait => replication::wait,
        C::Role => replication::role,
        // end replication

        // scripting
        C::Eval => scripting::eval,
        C::Evalsha => scripting::evalsha,
        C::EvalRo => scripting::eval_ro,
        C::EvalshaRo => scripting::evalsha_ro,
        C::Script => scripting::container,
        C::ScriptExists => scripting::script_exists,
        C::ScriptFlush => scripting::script_flush,
        C::ScriptHelp => scripting::script_help,
        C::ScriptKill => scripting::script_kill,
        C::ScriptLoad => scripting::script_load,
        C::Fcall => scripting::fcall,
        C::FcallRo => scripting::fcall_ro,
        C::Function => scripting::container,
        C::FunctionDelete => scripting::function_delete,
        C::FunctionDump => scripting::function_dump,
        C::FunctionFlush => scripting::function_flush,
        C::FunctionHelp => scripting::function_help,
        C::FunctionKill => scripting::function_kill,
        C::FunctionList => scripting::function_list,
        C::FunctionLoad => scripting::function_load,
        C::FunctionRestore => scripting::function_restore,
        C::FunctionStats => scripting::function_stats,
        // end scripting
    }
}

/// A reply for a container command called with `HELP`-less unknown use: never reached for
/// real subcommands, which dispatch to their own rows.
pub fn container_unreachable(argv: &[Bytes]) -> Result<Frame, ReplyError> {
    Err(ReplyError::unknown_subcommand(argv))
}

/// A `<CMD> HELP` reply (Redis `addReplyHelp`): the header line, `lines`, then the `HELP`
/// entry every container has.
pub fn help_lines(cmd: &str, lines: &[&str]) -> Frame {
    shoal_common::command::reply::help_lines(cmd, lines)
}

/// Redis `addReplySubcommandSyntaxError`: a known subcommand with arguments it cannot take.
pub fn subcommand_syntax(argv: &[Bytes]) -> ReplyError {
    let cmd = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
    let sub = String::from_utf8_lossy(&argv[1][..argv[1].len().min(128)]).into_owned();
    ReplyError::err(format!(
        "unknown subcommand or wrong number of arguments for '{sub}'. Try {cmd} HELP."
    ))
}

/// The value at `key` for reading, as the type `pick` accepts: `None` if missing, WRONGTYPE
/// for another type. Counts a keyspace hit or miss (with its `keymiss` event), as Redis's
/// `lookupKeyRead`. Shared by every collection type's `read`.
pub fn read_as<'c, T>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
    pick: fn(&Value) -> Option<&T>,
) -> Result<Option<&'c T>, ReplyError> {
    let now = ctx.now_ms;
    if ctx.db().get(key, now).is_some() {
        ctx.srv.stats.keyspace_hits += 1;
    } else {
        ctx.key_miss(key);
    }
    // Lazy expiry ran in `get` above; `peek` sees the same state without repeating it.
    match ctx.db().peek(key) {
        None => Ok(None),
        Some(e) => pick(&e.value).map(Some).ok_or(ReplyError::WrongType),
    }
}

/// The value at `key` for writing, as the type `pick` accepts: `None` if missing, WRONGTYPE
/// for another type (Redis `lookupKeyWrite` plus the type check).
pub fn write_as<'c, T>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
    pick: fn(&mut Value) -> Option<&mut T>,
) -> Result<Option<&'c mut T>, ReplyError> {
    let now = ctx.now_ms;
    match ctx.db().get_mut(key, now) {
        None => Ok(None),
        Some(e) => pick(&mut e.value).map(Some).ok_or(ReplyError::WrongType),
    }
}

/// [`write_as`] for a command's second step on a key it has already looked up or just
/// created: no lazy expiry and no access recorded again (Redis looks a key up once).
pub fn write_as_again<'c, T>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
    pick: fn(&mut Value) -> Option<&mut T>,
) -> Result<Option<&'c mut T>, ReplyError> {
    match ctx.db().peek_mut(key) {
        None => Ok(None),
        Some(e) => pick(&mut e.value).map(Some).ok_or(ReplyError::WrongType),
    }
}
