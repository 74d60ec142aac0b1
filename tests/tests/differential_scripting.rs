//! Differential tests of scripting (EVAL, EVALSHA, EVAL_RO, SCRIPT): the same scripts to real
//! Redis 7.0 and to our node, replies (values and error texts) compared exactly.

use shoal_tests::{Differ, Frame};

/// `EVAL script 0 args...` as an argument vector.
fn eval0(script: &str) -> Vec<String> {
    vec!["EVAL".into(), script.into(), "0".into()]
}

/// Scripts compared one by one, each with no keys.
const SCRIPTS: &[&str] = &[
    // Reply conversions, Lua -> Redis.
    "return 1",
    "return 3.99",
    "return -3.99",
    "return 1e30",
    "return -1e30",
    "return 0/0",
    "return 'hello'",
    "return ''",
    "return true",
    "return false",
    "return nil",
    "return {}",
    "return {1, 2, 3, nil, 4}",
    "return {1, 'two', {3, {4}}, true, false, 5}",
    "return {'a', false, 'b'}",
    "return {ok = 'FINE'}",
    "return {ok = 'multi\\r\\nline'}",
    "return {err = 'boom'}",
    "return {err = 'MYCODE boom'}",
    "return {err = 'with\\nnewline'}",
    "return {err = 1}",
    "return {ok = 1}",
    "return {1, {err = 'inner'}, 3}",
    "return {double = 3.5}",
    "return {big_number = '123456789012345678901234567890'}",
    "return {map = {a = 1}}",
    "return {set = {a = true}}",
    "return {x = 1, y = 2}",
    "return redis.status_reply('PONG')",
    "return redis.error_reply('My err')",
    "return redis.error_reply('boom')",
    "return redis.error_reply('-WRONG thing')",
    "return redis.error_reply(1)",
    "return redis.error_reply()",
    "return redis.status_reply()",
    "return redis.status_reply('a', 'b')",
    // Redis -> Lua.
    "redis.call('set', 'k', 'v') return redis.call('get', 'k')",
    "return redis.call('get', 'nosuchkey')",
    "return type(redis.call('get', 'nosuchkey'))",
    "return redis.call('set', 'k', 'v')",
    "return type(redis.call('set', 'k', 'v'))",
    "return redis.call('set', 'k', 'v')['ok']",
    "return redis.call('incr', 'counter')",
    "return redis.call('incrbyfloat', 'fl', 1.5)",
    "redis.call('set', 'n', 0.1) return redis.call('get', 'n')",
    "redis.call('set', 'n', 100) return redis.call('get', 'n')",
    "redis.call('set', 'n', 1e20) return redis.call('get', 'n')",
    "redis.call('set', 'n', -0.5) return redis.call('get', 'n')",
    "redis.call('rpush', 'l', 'a', 'b', 'c') return redis.call('lrange', 'l', 0, -1)",
    "redis.call('hset', 'h', 'f', 'v', 'g', 'w') return redis.call('hgetall', 'h')",
    "return redis.call('exists', 'k', 'l', 'none')",
    "return redis.pcall('incr', 'k')",
    "return redis.pcall('incr', 'k')['err']",
    "local r = redis.pcall('nosuchcmd') return r['err']",
    "return redis.call('incr', 'k')",
    "return redis.call('lpush', 'k', 'x')",
    // redis.call errors.
    "return redis.call('nosuchcmd')",
    "return redis.call('get')",
    "return redis.call('config')",
    "return redis.call('config', 'nosuchsub')",
    "return redis.call()",
    "return redis.pcall()",
    "return redis.call('get', {})",
    "return redis.call('get', nil)",
    "return redis.call('blpop', 'l', 0)",
    "return redis.call('subscribe', 'c')",
    "return redis.call('multi')",
    "return redis.call('eval', 'return 1', 0)",
    "return redis.call('script', 'load', 'return 1')",
    "return redis.call('client', 'id')",
    // Errors raised by the script.
    "error('boom')",
    "error('boom', 0)",
    "error({err = 'X boom'})",
    "error({err = 'ERR table error'})",
    // (`error({})` is left out: it crashes Redis 7.0.15.)
    "error(42)",
    "local t = nil; return t.x",
    "return 1 + {}",
    "return #nil",
    "local function f() error('deep') end\nlocal function g() f() end\ng()",
    "\n\nerror('third line')",
    "return string.rep()",
    "return nosuchfunction()",
    "local ok, e = pcall(redis.call, 'nosuchcmd') return e['err']",
    "local ok, e = pcall(error, 'x') return e",
    "return {pcall(redis.call, 'incr', 'k')}",
    // Sandbox.
    "x = 5",
    "return y",
    "redis = nil",
    "string.foo = 1 return 1",
    "math.huge = 1",
    "_G.x = 1",
    "return os",
    "return io",
    "return loadfile",
    "return dofile",
    "return print",
    "return debug",
    "return require",
    "return setfenv",
    "return getfenv",
    "return module",
    "return newproxy",
    "return type(_G)",
    "return type(load)",
    "return type(loadstring)",
    "return loadstring('return 1 + 1')()",
    "return type(coroutine)",
    "return type(unpack)",
    "return type(gcinfo)",
    "return type(__redis__err__handler)",
    "return type(KEYS)",
    "return #ARGV",
    "return _VERSION",
    "local x = 5 return x",
    "local t = {} t.a = 1 return t.a",
    // The redis library.
    "return redis.sha1hex('')",
    "return redis.sha1hex('hello')",
    "return redis.sha1hex()",
    "return redis.REDIS_VERSION",
    "return redis.REDIS_VERSION_NUM",
    "return redis.LOG_WARNING",
    "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
    "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}",
    "redis.log(redis.LOG_WARNING, 'hello from a script') return 1",
    "redis.log(redis.LOG_WARNING) return 1",
    "redis.log('x', 'y') return 1",
    "redis.log(7, 'y') return 1",
    "return redis.replicate_commands()",
    "return redis.set_repl(redis.REPL_ALL)",
    "return redis.set_repl(9)",
    "return redis.set_repl()",
    "return redis.setresp(4)",
    "return redis.setresp()",
    "return redis.breakpoint()",
    // RESP3 conversions inside the script.
    "redis.setresp(3) return redis.call('get', 'nosuchkey')",
    "redis.setresp(3) return type(redis.call('get', 'nosuchkey'))",
    "redis.setresp(3) redis.call('hset', 'h3', 'a', '1') return redis.call('hgetall', 'h3')",
    "redis.setresp(3) redis.call('hset', 'h3', 'a', '1') return redis.call('hgetall', 'h3')['map']['a']",
    "redis.setresp(3) redis.call('sadd', 's3', 'm') return redis.call('smembers', 's3')",
    "redis.setresp(3) redis.call('zadd', 'z3', 1.5, 'm') return redis.call('zscore', 'z3', 'm')",
    "redis.setresp(3) redis.call('zadd', 'z3', 1.5, 'm') return redis.call('zscore', 'z3', 'm')['double']",
    "redis.call('zadd', 'z2', 1.5, 'm') return redis.call('zscore', 'z2', 'm')",
    "redis.setresp(3) return true",
    "redis.setresp(3) return false",
    "redis.setresp(3) return redis.call('exists', 'h3')",
    // Libraries.
    "return math.random(100)",
    "return tostring(math.random())",
    "return {math.random(10), math.random(10), math.random(1, 1000)}",
    "math.randomseed(42) return math.random(1000000)",
    "return math.random(0)",
    "return math.random(5, 1)",
    "return math.floor(3.7)",
    "return string.format('%d-%s', 5, 'x')",
    "return string.upper('abc')",
    "return table.concat({'a', 'b'}, ',')",
    "return tonumber('42') + 1",
    "return tostring(1/3)",
    "return bit.band(0xFF, 0x0F)",
    "return bit.bor(1, 2, 4)",
    "return bit.bxor(5, 3)",
    "return bit.bnot(0)",
    "return bit.lshift(1, 31)",
    "return bit.rshift(-1, 28)",
    "return bit.arshift(-256, 4)",
    "return bit.tohex(255)",
    "return bit.tohex(-1, -4)",
    "return bit.tobit(4294967296 + 5)",
    "return bit.rol(1, 33)",
    "return bit.bswap(0x12345678)",
    // Syntax errors.
    "syntax error here",
    "return (",
    "local x = 'unfinished",
];

#[test]
fn scripts_match_redis() {
    let mut d = Differ::new(&[]);
    for script in SCRIPTS {
        d.check(&eval0(script));
    }
}

#[test]
fn keys_argv_and_eval_errors_match_redis() {
    let mut d = Differ::new(&[]);
    let cases: &[&[&str]] = &[
        &[
            "EVAL",
            "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}",
            "2",
            "a",
            "b",
            "c",
            "d",
        ],
        &["EVAL", "return #KEYS + #ARGV", "1", "a", "b", "c"],
        &[
            "EVAL",
            "return redis.call('set', KEYS[1], ARGV[1])",
            "1",
            "k",
            "v",
        ],
        &["EVAL", "return redis.call('get', KEYS[1])", "1", "k"],
        &["EVAL", "return 1", "-1"],
        &["EVAL", "return 1", "2", "a"],
        &["EVAL", "return 1", "x"],
        &["EVAL", "return 1"],
        &["EVAL"],
        &["EVALSHA", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "0"],
        &["EVALSHA", "abc", "0"],
        &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
        &["SCRIPT", "LOAD", "return 1"],
        &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
        &["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"],
        &[
            "EVALSHA_RO",
            "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
            "0",
        ],
        &[
            "SCRIPT",
            "EXISTS",
            "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
            "nope",
        ],
        &["SCRIPT", "EXISTS"],
        &["SCRIPT", "LOAD", "syntax error"],
        &["SCRIPT", "LOAD"],
        &["SCRIPT", "LOAD", "a", "b"],
        &["EVAL", "return 'cached by eval'", "0"],
        &[
            "SCRIPT",
            "EXISTS",
            "fd4a0444fc6d87da49683765d56f05403bc78066",
        ],
        &["SCRIPT", "FLUSH", "BAD"],
        &["SCRIPT", "FLUSH", "ASYNC", "SYNC"],
        &["SCRIPT", "FLUSH", "ASYNC"],
        &["SCRIPT", "FLUSH"],
        &["SCRIPT", "FLUSH", "sync"],
        &[
            "SCRIPT",
            "EXISTS",
            "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
        ],
        &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
        &["SCRIPT", "KILL"],
        &["SCRIPT", "NOSUCH"],
        &["SCRIPT"],
        &["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k"],
        &[
            "EVAL_RO",
            "return redis.call('set', KEYS[1], 'x')",
            "1",
            "k",
        ],
        &["EVAL_RO", "return redis.pcall('del', KEYS[1])", "1", "k"],
        &["EVAL_RO", "return redis.call('publish', 'c', 'm')", "0"],
        &["EVAL", "return redis.call('publish', 'c', 'm')", "0"],
        &[
            "EVAL",
            "redis.call('select', 5) return redis.call('set', 'indb5', 1)",
            "0",
        ],
        &["EXISTS", "indb5"],
        &["SELECT", "5"],
        &["EXISTS", "indb5"],
        &[
            "EVAL",
            "return redis.call('lmpop', 1, 'emptylist', 'LEFT')",
            "0",
        ],
        &[
            "EVAL",
            "return redis.call('blmpop', 0, 1, 'emptylist', 'LEFT')",
            "0",
        ],
        &[
            "EVAL",
            "return redis.call('bzmpop', 0, 1, 'emptyz', 'MIN')",
            "0",
        ],
    ];
    for cmd in cases {
        d.check(cmd);
    }
}

#[test]
fn resp3_callers_see_resp3_replies() {
    let mut d = Differ::new(&[]);
    let _ = d.both(&["HELLO", "3"]);
    for script in [
        "return {double = 3.5}",
        "return {map = {a = 1}}",
        "return {set = {a = true}}",
        "return {big_number = '12345'}",
        "return nil",
        "return false",
        "return true",
        "redis.setresp(3) return true",
        "redis.setresp(3) return false",
        "redis.setresp(3) return redis.call('hgetall', 'none')",
        "redis.call('hset', 'h', 'a', '1') return redis.call('hgetall', 'h')",
    ] {
        d.check(&eval0(script));
    }
}

#[test]
fn scripts_inside_multi_match_redis() {
    let mut d = Differ::new(&[]);
    let cases: &[&[&str]] = &[
        &["MULTI"],
        &["EVAL", "return redis.call('incr', KEYS[1])", "1", "c"],
        &["EVAL", "return redis.call('incr', KEYS[1])", "1", "c"],
        &["EVAL", "error('in multi')", "0"],
        &["EXEC"],
        &["WATCH", "w"],
        &["EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "w"],
        &["MULTI"],
        &["GET", "w"],
        &["EXEC"],
    ];
    for cmd in cases {
        d.check(cmd);
    }
}

const LIB: &str = "#!lua name=mylib
redis.register_function('echo1', function(keys, args) return args[1] end)
redis.register_function{function_name='getk', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads a key'}
redis.register_function('setk', function(keys, args) return redis.call('set', keys[1], args[1]) end)
redis.register_function('boom', function(keys, args)
  error('boom')
end)
redis.register_function('calls', function(keys, args) return redis.call('incr', keys[1]) end)
redis.register_function('globals', function(keys, args) return KEYS end)";

#[test]
fn functions_match_redis() {
    let mut d = Differ::new(&[]);
    let lib2 = "#!lua name=lib2\nredis.register_function('two', function() return 2 end)";
    let cases: &[&[&str]] = &[
        &["FUNCTION", "LIST"],
        &["FUNCTION", "LOAD", LIB],
        &["FUNCTION", "LOAD", LIB],
        &["FUNCTION", "LOAD", "REPLACE", LIB],
        &["FUNCTION", "LOAD", "BADOPT", LIB],
        &["FUNCTION", "LIST"],
        &["FUNCTION", "LIST", "WITHCODE"],
        &["FUNCTION", "LIST", "LIBRARYNAME", "my*"],
        &["FUNCTION", "LIST", "LIBRARYNAME", "nomatch*"],
        &["FUNCTION", "LIST", "LIBRARYNAME"],
        &["FUNCTION", "LIST", "BAD"],
        &["FUNCTION", "LIST", "WITHCODE", "WITHCODE"],
        &["FCALL", "echo1", "0", "hello"],
        &["FCALL", "setk", "1", "k", "v"],
        &["FCALL", "getk", "1", "k"],
        &["FCALL_RO", "getk", "1", "k"],
        &["FCALL_RO", "setk", "1", "k", "v"],
        &["FCALL", "boom", "0"],
        &["FCALL", "calls", "1", "k"],
        &["FCALL", "globals", "0"],
        &["FCALL", "nosuch", "0"],
        &["FCALL", "echo1", "x"],
        &["FCALL", "echo1", "-1"],
        &["FCALL", "echo1", "5", "a"],
        &["FCALL", "echo1"],
        &["FUNCTION", "LOAD", lib2],
        &["FCALL", "two", "0"],
        &["FUNCTION", "STATS"],
        &["FUNCTION", "KILL"],
        &["FUNCTION", "DELETE", "lib2"],
        &["FUNCTION", "DELETE", "lib2"],
        &["FCALL", "two", "0"],
        // Load errors.
        &["FUNCTION", "LOAD", "return 1"],
        &["FUNCTION", "LOAD", "#!lua"],
        &["FUNCTION", "LOAD", "#!lua\nreturn 1"],
        &["FUNCTION", "LOAD", "#!lua name=x foo=bar\nreturn 1"],
        &["FUNCTION", "LOAD", "#!lua name=x name=y\nreturn 1"],
        &["FUNCTION", "LOAD", "#!nosuch name=x\nreturn 1"],
        &["FUNCTION", "LOAD", "#!lua name=bad-name\nreturn 1"],
        &["FUNCTION", "LOAD", "#!lua name=x\nreturn 1"],
        &["FUNCTION", "LOAD", "#!lua name=x\nsyntax error"],
        &["FUNCTION", "LOAD", "#!lua name=x\nredis.call('ping')"],
        &["FUNCTION", "LOAD", "#!lua name=x\nlocal _ = string"],
        &["FUNCTION", "LOAD", "#!lua name=x\nx = 1"],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nredis.register_function('echo1', function() end)",
        ],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nredis.register_function('a', function() end)\nredis.register_function('a', function() end)",
        ],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nredis.register_function('bad name', function() end)",
        ],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nredis.register_function('f')",
        ],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nredis.register_function('f', 1)",
        ],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nredis.register_function({}, function() end)",
        ],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nredis.register_function(1)",
        ],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nredis.register_function{function_name='f'}",
        ],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nredis.register_function{callback=function() end}",
        ],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'bad'}}",
        ],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, other=1}",
        ],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}, description='all'}",
        ],
        &["FUNCTION", "LIST", "LIBRARYNAME", "x"],
        &["FCALL_RO", "f", "0"],
        &["FUNCTION", "FLUSH", "BAD"],
        &["FUNCTION", "FLUSH", "SYNC"],
        &["FUNCTION", "LIST"],
        &["FUNCTION", "STATS"],
        &["FUNCTION", "RESTORE", "garbage"],
        &["FUNCTION", "RESTORE", "garbage", "BADPOLICY"],
        &["FUNCTION", "NOSUCH"],
    ];
    for cmd in cases {
        if cmd[..2] == ["FUNCTION", "LIST"] {
            // Redis lists a library's functions in hash order: compared as sets.
            let (ours, theirs) = d.both(cmd);
            assert_eq!(sort_functions(ours), sort_functions(theirs), "{cmd:?}");
        } else {
            d.check(cmd);
        }
    }
}

/// A FUNCTION LIST reply with each library's functions sorted.
fn sort_functions(reply: Frame) -> Frame {
    let Frame::Array(libs) = reply else {
        return reply;
    };
    let libs = libs
        .into_iter()
        .map(|lib| {
            let Frame::Array(mut fields) = lib else {
                return lib;
            };
            for f in fields.iter_mut() {
                if let Frame::Array(items) = f
                    && items.first().is_some_and(|i| matches!(i, Frame::Array(_)))
                {
                    items.sort_by_key(|i| format!("{i:?}"));
                }
            }
            Frame::Array(fields)
        })
        .collect();
    Frame::Array(libs)
}

#[test]
fn function_dump_and_restore_round_trip() {
    let d = Differ::new(&[]);
    let mut c = d.ours.raw();
    c.cmd(&["FUNCTION", "LOAD", LIB]);
    let dump = c.cmd(&["FUNCTION", "DUMP"]);
    let Frame::Bulk(payload) = dump else {
        panic!("FUNCTION DUMP reply {dump:?}")
    };
    assert_eq!(
        c.cmd(&[b"FUNCTION".as_slice(), b"RESTORE", &payload]),
        Frame::error("ERR Library mylib already exists")
    );
    assert_eq!(
        c.cmd(&[b"FUNCTION".as_slice(), b"RESTORE", &payload, b"REPLACE"]),
        Frame::ok()
    );
    assert_eq!(c.cmd(&["FUNCTION", "FLUSH"]), Frame::ok());
    assert_eq!(
        c.cmd(&[b"FUNCTION".as_slice(), b"RESTORE", &payload]),
        Frame::ok()
    );
    assert_eq!(
        c.cmd(&["FCALL", "echo1", "0", "back"]),
        shoal_tests::bulk("back")
    );
}

#[test]
fn eval_shebang_flags_match_redis() {
    let mut d = Differ::new(&[]);
    let cases: &[&[&str]] = &[
        &["EVAL", "#!lua\nreturn 1", "0"],
        &[
            "EVAL",
            "#!lua\nreturn redis.call('set', KEYS[1], 'v')",
            "1",
            "k",
        ],
        &[
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('set', 'k', 'v')",
            "0",
        ],
        &[
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('get', 'k')",
            "0",
        ],
        &["EVAL", "#!lua flags=no-writes,allow-oom\nreturn 2", "0"],
        &[
            "EVAL",
            "#!lua flags=allow-stale,no-cluster,allow-cross-slot-keys\nreturn 3",
            "0",
        ],
        &["EVAL", "#!lua flags=\nreturn 4", "0"],
        &["EVAL", "#!lua flags=bad\nreturn 1", "0"],
        &["EVAL", "#!lua flags=no-writes,,allow-oom\nreturn 1", "0"],
        &["EVAL", "#!lua foo=bar\nreturn 1", "0"],
        &["EVAL", "#!lua name=x\nreturn 1", "0"],
        &["EVAL", "#!luax\nreturn 1", "0"],
        &["EVAL", "#! lua\nreturn 1", "0"],
        &["EVAL", "#!lua \"unbalanced\nreturn 1", "0"],
        &["EVAL", "#!lua", "0"],
        &["EVAL", "#!lua\nerror('x')", "0"],
        &["EVAL", "#!lua\n\nreturn (", "0"],
        &["EVAL_RO", "#!lua\nreturn 5", "0"],
        &["EVAL_RO", "#!lua flags=no-writes\nreturn 5", "0"],
        &["SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 6"],
        &["SCRIPT", "LOAD", "#!lua flags=nope\nreturn 6"],
        &[
            "EVALSHA_RO",
            "a5e3f0f0bb6a5a1b1a7d1b0c8d5b6a1c6e1c8b7c",
            "0",
        ],
    ];
    for cmd in cases {
        d.check(cmd);
    }
    // A loaded no-writes script runs read-only by its SHA-1 too.
    let loaded = d.check(&["SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 7"]);
    let Frame::Bulk(sha) = loaded else {
        panic!("SCRIPT LOAD reply {loaded:?}");
    };
    let sha = String::from_utf8_lossy(&sha).into_owned();
    d.check(&["EVALSHA_RO", sha.as_str(), "0"]);
    d.check(&["EVALSHA", sha.as_str(), "0"]);
}

/// A library with a writing function (`w`), a no-writes one (`r`), an allow-oom writer
/// (`o`) and an allow-stale reader (`s`).
const GATE_LIBRARY: &str = "#!lua name=gates\n\
    redis.register_function('w', function() return redis.call('set', 'fw', '1') end)\n\
    redis.register_function{function_name='r', callback=function() return 2 end, \
        flags={'no-writes'}}\n\
    redis.register_function{function_name='o', callback=function() \
        return redis.call('set', 'fo', '1') end, flags={'allow-oom'}}\n\
    redis.register_function{function_name='s', callback=function() return 4 end, \
        flags={'no-writes', 'allow-stale'}}";

/// Scripts and functions as the gate sees them: their declared flags stand in for EVAL's
/// and FCALL's own, so a script that may write is a write command (refused over maxmemory,
/// below min-replicas-to-write, on a replica), and scripts without a shebang are refused
/// when their first write would be.
const GATED: &[&[&str]] = &[
    &["EVAL", "#!lua\nreturn 1", "0"],
    &["EVAL", "#!lua flags=no-writes\nreturn 1", "0"],
    &[
        "EVAL",
        "#!lua flags=allow-oom\nreturn redis.call('set', 'k1', 'v')",
        "0",
    ],
    &[
        "EVAL",
        "#!lua flags=no-writes\nreturn redis.call('get', 'k1')",
        "0",
    ],
    &["EVAL", "#!lua flags=no-writes,allow-stale\nreturn 3", "0"],
    &["EVAL", "return 1", "0"],
    &["EVAL", "return redis.call('set', 'k2', 'v')", "0"],
    &["EVAL", "return redis.pcall('set', 'k2', 'v')", "0"],
    &[
        "EVAL",
        "redis.call('get', 'x') return redis.call('incr', 'k3')",
        "0",
    ],
    &["EVAL", "return redis.call('del', 'k1')", "0"],
    &["EVAL_RO", "#!lua\nreturn 1", "0"],
    // SHA-1 of "return 1", loaded above.
    &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    &["FCALL", "w", "0"],
    &["FCALL", "r", "0"],
    &["FCALL", "o", "0"],
    &["FCALL", "s", "0"],
    &["FCALL_RO", "w", "0"],
    &["FCALL_RO", "r", "0"],
    &["MULTI"],
    &["EVAL", "return 1", "0"],
    &["EVAL", "#!lua flags=no-writes,allow-stale\nreturn 5", "0"],
    &["EXEC"],
];

fn gate_setup(d: &mut Differ) {
    d.check(&["FUNCTION", "LOAD", GATE_LIBRARY]);
    d.check(&["SCRIPT", "LOAD", "return 1"]);
    d.check(&[
        "SET",
        "filler",
        "some bytes so that used memory is above 1 byte",
    ]);
}

#[test]
fn scripts_over_maxmemory_are_gated_by_their_flags_as_in_redis() {
    let mut d = Differ::new(&[]);
    gate_setup(&mut d);
    d.check(&["CONFIG", "SET", "maxmemory", "1"]);
    for cmd in GATED {
        d.check(cmd);
    }
    d.check(&["CONFIG", "SET", "maxmemory", "0"]);
    // What ran wrote; what was refused did not.
    for k in ["k1", "k2", "k3", "fw", "fo"] {
        d.check(&["GET", k]);
    }
}

#[test]
fn scripts_below_min_replicas_are_gated_by_their_flags_as_in_redis() {
    let mut d = Differ::new(&[]);
    gate_setup(&mut d);
    d.check(&["CONFIG", "SET", "min-replicas-to-write", "3"]);
    for cmd in GATED {
        d.check(cmd);
    }
    // A max lag of 0 turns the check off, as in Redis.
    d.check(&["CONFIG", "SET", "min-replicas-max-lag", "0"]);
    d.check(&["SET", "k4", "v"]);
    d.check(&["EVAL", "#!lua\nreturn redis.call('set', 'k5', 'v')", "0"]);
    d.check(&["CONFIG", "SET", "min-replicas-to-write", "0"]);
    for k in ["k1", "k2", "k3", "k4", "k5", "fw", "fo"] {
        d.check(&["GET", k]);
    }
}

#[test]
fn scripts_on_a_replica_with_stale_data_are_gated_by_their_flags_as_in_redis() {
    let mut d = Differ::new(&[]);
    gate_setup(&mut d);
    // A primary that is not there: a read-only replica whose link is down.
    let nowhere = shoal_tests::free_port().to_string();
    d.check(&["REPLICAOF", "127.0.0.1", &nowhere]);
    for cmd in GATED {
        d.check(cmd);
    }
    d.check(&["CONFIG", "SET", "replica-serve-stale-data", "no"]);
    for cmd in GATED {
        d.check(cmd);
    }
    d.check(&["CONFIG", "SET", "replica-serve-stale-data", "yes"]);
    d.check(&["REPLICAOF", "NO", "ONE"]);
}
