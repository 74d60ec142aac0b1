//! Differential tests of the Lua libraries Redis loads for scripts (`cjson`, and the
//! settings, sandbox and error texts around them): the same scripts to real Redis 7.0 and to
//! our node, replies (values and error texts) compared exactly. The random tests build Lua
//! values and JSON texts and compare what both servers make of them byte for byte.

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use shoal_tests::{Differ, Frame};

/// `EVAL script 0 args...` as an argument vector.
fn eval0(script: &str, args: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut v = vec![b"EVAL".to_vec(), script.as_bytes().to_vec(), b"0".to_vec()];
    v.extend(args.iter().map(|a| a.to_vec()));
    v
}

/// cjson scripts, compared one by one in this order (some change settings later ones see).
const CJSON: &[&str] = &[
    r#"return cjson.encode({1,2,3})"#,
    r#"return cjson.encode({})"#,
    r#"return cjson.encode({a={b={}}, [1]=2})"#,
    r#"return cjson.encode("a/b\"\\\1\127\200é\n\r\t\b\f")"#,
    r#"return cjson.encode(0.1)"#,
    r#"return cjson.encode(1e300)"#,
    r#"return cjson.encode(1/0)"#,
    r#"return cjson.encode(0/0)"#,
    r#"return cjson.encode(-0)"#,
    r#"return cjson.encode(123456789012345678)"#,
    r#"return cjson.encode(redis.call)"#,
    r#"return cjson.encode()"#,
    r#"return cjson.encode(1,2)"#,
    r#"return {pcall(cjson.encode, redis.call)}"#,
    r#"return {pcall(cjson.encode)}"#,
    r#"return cjson.decode("[1,2,null]")"#,
    r#"return cjson.decode("[1,2,")"#,
    r#"return cjson.decode("{\"a\":1,}")"#,
    r#"return cjson.decode("")"#,
    r#"return cjson.decode("nul")"#,
    r#"return cjson.decode()"#,
    r#"return cjson.decode({})"#,
    r#"return cjson.decode(123)"#,
    r#"local t = {} t[1]=t return cjson.encode(t)"#,
    r#"local t = {} t.a=t return cjson.encode(t)"#,
    r#"return cjson.encode({[1]=1,[2]=2,[20]=3})"#,
    r#"return cjson.encode({[3]=1})"#,
    r#"return cjson.encode({[1e300]=1})"#,
    r#"return cjson.encode({[2^31]=1, [5]=2})"#,
    r#"return cjson.encode({[true]=1})"#,
    r#"return cjson.encode({[1.5]=1})"#,
    r#"return {cjson.encode_sparse_array()}"#,
    r#"return {cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision(), cjson.encode_keep_buffer(), cjson.encode_invalid_numbers(), cjson.decode_invalid_numbers()}"#,
    r#"return cjson.encode_max_depth(1,2)"#,
    r#"return cjson.encode_max_depth("x")"#,
    r#"return cjson.encode_max_depth(0)"#,
    r#"return cjson.encode_number_precision(15)"#,
    r#"return cjson.encode_keep_buffer("x")"#,
    r#"return cjson.encode_keep_buffer({})"#,
    r#"return cjson.encode_invalid_numbers("null")"#,
    r#"return cjson.encode({1/0})"#,
    r#"return cjson.encode_invalid_numbers(true)"#,
    r#"return cjson.encode({1/0, -1/0, 0/0})"#,
    r#"return cjson.encode_invalid_numbers(false)"#,
    r#"return cjson.encode_max_depth()"#,
    r#"return cjson.decode("1\0garbage")"#,
    r#"return cjson.decode("\"a\0b\"")"#,
    r#"return cjson.decode("x\0")"#,
    r#"return cjson.decode("[1e400, 0x10, -.5, 1.5e2]")[2]"#,
    r#"return cjson.encode(cjson.decode("[1e400]"))"#,
    r#"return cjson.encode(cjson.decode("[inf]"))"#,
    r#"return cjson.encode(cjson.decode("[-Infinity]"))"#,
    r#"return cjson.decode("nan") ~= cjson.decode("nan")"#,
    r#"return cjson.encode(cjson.decode("{\"b\":1,\"a\":2,\"c\":[true,false,null],\"d\":{}}"))"#,
    r#"return cjson.new().encode({1})"#,
    r#"return tostring(cjson.new() ~= cjson)"#,
    r#"cjson.encode = 1"#,
    r#"cjson.foo = 1"#,
    r#"cjson = 1"#,
    r#"return cjson._NAME .. cjson._VERSION"#,
    r#"return type(cjson.null)"#,
    r#"return cjson.null == cjson.decode("null")"#,
    r#"return cjson.encode(cjson.decode('"\\u00e9\\ud83d\\ude00\\u0000x"'))"#,
    r#"return cjson.decode('"\\ud83d"')"#,
    r#"return cjson.decode('"\\ude00"')"#,
    r#"return cjson.decode('"\\q"')"#,
    r#"return cjson.decode('"abc')"#,
    r#"return cjson.decode('[1 2]')"#,
    r#"return cjson.decode('{"a" 1}')"#,
    r#"return cjson.decode('{1:2}')"#,
    r#"return cjson.decode('  [ ]  ')"#,
    r#"return cjson.decode('{}') "#,
    r#"return cjson.decode('[1,2] x')"#,
    r#"return cjson.decode('+1')"#,
    r#"return cjson.decode('-')"#,
    r#"return cjson.decode('01')"#,
    r#"return cjson.decode('1e')"#,
    r#"return cjson.decode('tru')"#,
    r#"return cjson.decode('Infinity')"#,
    r#"return cjson.decode('-nan') ~= 0"#,
    r#"return cjson.decode('0x1p4')"#,
    r#"return cjson.decode('"\\/\\b\\f\\n\\r\\t\\"\\\\"')"#,
    r#"return cjson.decode('[[[[[[[[[[1]]]]]]]]]]')[1][1][1][1][1][1][1][1][1][1]"#,
    r#"return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))"#,
    r#"return cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000)) and 1"#,
    r#"return cjson.decode(string.rep('{"a":', 1001) .. '1' .. string.rep('}', 1001))"#,
    r#"return cjson.decode_max_depth(5)"#,
    r#"return cjson.decode('[[[[[1]]]]]')[1][1][1][1][1]"#,
    r#"return cjson.decode('[[[[[[1]]]]]]')"#,
    r#"return cjson.decode_max_depth(1000)"#,
    r#"return cjson.encode_max_depth(3)"#,
    r#"return cjson.encode({{{1}}})"#,
    r#"return cjson.encode({{{{1}}}})"#,
    r#"return cjson.encode_max_depth(1000)"#,
    r#"return cjson.encode(string.rep('x', 100))"#,
    r#"return cjson.encode({a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11})"#,
    r#"return cjson.encode({1,2,nil,4})"#,
    r#"return cjson.encode({[1]=1,[2]=2,[4]=4, x=1})"#,
    r#"return cjson.encode({1.5, -2.25, 1e-5, 123456.789, 3.14159265358979, 1/3, 2^53, -2^63})"#,
    r#"return cjson.encode_number_precision(3)"#,
    r#"return cjson.encode({1/3, 12345, 0.0001234})"#,
    r#"return cjson.encode_number_precision(14)"#,
    r#"return cjson.encode_sparse_array(true)"#,
    r#"return cjson.encode({[1]=1,[2]=2,[20]=3})"#,
    r#"return cjson.encode_sparse_array(false, 0)"#,
    r#"return cjson.encode({[1]=1,[200]=3})"#,
    r#"return cjson.encode_sparse_array(false, 2, 10)"#,
    r#"return cjson.encode_sparse_array(1,2,3,4)"#,
    r#"return cjson.encode_sparse_array("on", -1)"#,
    r#"return {cjson.encode_sparse_array()}"#,
    r#"return cjson.encode_sparse_array(false, 2, 10)"#,
    r#"return cjson.decode_invalid_numbers(false)"#,
    r#"return cjson.decode('0x10')"#,
    r#"return cjson.decode('inf')"#,
    r#"return cjson.decode('+1')"#,
    r#"return cjson.decode('01')"#,
    r#"return cjson.decode('-inf')"#,
    r#"return cjson.decode_invalid_numbers(true)"#,
    r#"return cjson.encode({[-1]=1})"#,
    r#"return cjson.encode({[0]=1})"#,
    r#"return cjson.encode({[1]=function() end})"#,
    r#"return cjson.encode({x=coroutine.create(function() end)})"#,
    r#"return cjson.encode({[{}]=1})"#,
    r#"return cjson.encode({[1/0]=1, [2]=2})"#,
    r#"return cjson.decode('{"a":1,"a":2}').a"#,
    r#"return #cjson.decode('[1,null,3,null]')"#,
    r#"return cjson.encode(cjson.decode('[1,null,3,null]'))"#,
    r#"return cjson.decode('[1,2,3]')[4] == nil"#,
    r#"return cjson.encode(setmetatable({}, {__index=function() return 1 end}))"#,
    r#"return cjson.decode("\t\n\r 5 \t")"#,
    r#"return cjson.decode("5\v")"#,
    r#"return cjson.decode("\"\1\2\"") == "\1\2""#,
    r#"return cjson.decode('true') "#,
    r#"return cjson.decode('false')"#,
    r#"return cjson.encode(true)"#,
    r#"return cjson.encode('')"#,
    r#"return cjson.encode(nil)"#,
    r#"return cjson.encode({['']=1})"#,
    r#"return cjson.decode('{"":1}')['']"#,
    r#"return cjson.decode('[1.0000000000000002]')[1] == 1"#,
    r#"return cjson.encode(1.0000000000000002)"#,
    r#"return cjson.encode(100000000000000)"#,
    r#"return cjson.encode(1e15)"#,
    r#"return cjson.encode(-1e-300)"#,
    r#"return cjson.encode(5e-324)"#,
    r#"return cjson.decode('1e-400')"#,
    r#"return cjson.decode('123456789012345678901234567890')"#,
    r#"return cjson.encode({cjson.null, cjson.null})"#,
    r#"return cjson.encode({n=cjson.null})"#,
    r#"return cjson.encode_keep_buffer(false)"#,
    r#"return cjson.encode_keep_buffer("on")"#,
    r#"return cjson.encode_invalid_numbers("off")"#,
    r#"return cjson.encode_invalid_numbers(5)"#,
    r#"return cjson.encode_invalid_numbers("xx\0yy")"#,
    r#"return cjson.encode_max_depth(4294967297)"#,
    r#"return cjson.encode_max_depth()"#,
    r#"return cjson.encode_max_depth(1.9)"#,
    r#"return cjson.encode_max_depth("12")"#,
    r#"return cjson.encode_max_depth(1000)"#,
    r#"local t = {} t.a=t return cjson.encode(t)"#,
    r#"local t = {} t[1]={t} return cjson.encode(t)"#,
    r#"return cjson.decode(string.rep('{"a":', 10000) .. '1' .. string.rep('}', 10000))"#,
    r#"return cjson.decode(string.rep('[{"a":', 3000) .. '1' .. string.rep('}]', 3000))"#,
    r#"return cjson.decode(string.rep('[{"a":', 2000) .. '1' .. string.rep('}]', 2000)) and 1"#,
    r#"local s = '' for i=0,255 do s = s .. string.char(i) end return cjson.encode(s)"#,
    r#"local s = '' for i=0,255 do s = s .. string.char(i) end return cjson.decode(cjson.encode(s)) == s"#,
    r#"local t = {} for i=1,300 do t['k'..i] = i end return cjson.encode(t)"#,
    r#"local t = {} for i=1,300 do t[i*1.5] = i end return cjson.encode(t)"#,
    r#"return {pcall(cjson.decode, '[')}"#,
    r#"local ok, e = pcall(cjson.decode, '[') return e"#,
];

#[test]
fn cjson_matches_redis() {
    let mut d = Differ::new(&[]);
    for script in CJSON {
        d.check(&eval0(script, &[]));
    }
}

#[test]
fn cjson_nesting_limits_and_settings_lifetime_match_redis() {
    let mut d = Differ::new(&[]);
    let lib = "#!lua name=cj\nredis.register_function('depth', function() return cjson.encode_max_depth() end)\nredis.register_function('setdepth', function(k, a) return cjson.encode_max_depth(tonumber(a[1])) end)";
    let cases: &[&[&str]] = &[
        // Past the C library's Lua stack (8000 slots), not its depth setting.
        &[
            "EVAL",
            "cjson.encode_max_depth(100000) local t = {} t[1]=t return cjson.encode(t)",
            "0",
        ],
        &["EVAL", "local t = {} t.a=t return cjson.encode(t)", "0"],
        &["EVAL", "local t = {} t[1]={t} return cjson.encode(t)", "0"],
        &[
            "EVAL",
            "cjson.decode_max_depth(100000) return cjson.decode(string.rep('[', 10000) .. string.rep(']', 10000))",
            "0",
        ],
        &[
            "EVAL",
            "return cjson.decode(string.rep('{\"a\":', 10000) .. '1' .. string.rep('}', 10000))",
            "0",
        ],
        &[
            "EVAL",
            "return cjson.decode(string.rep('[{\"a\":', 3000) .. '1' .. string.rep('}]', 3000))",
            "0",
        ],
        &[
            "EVAL",
            "return #cjson.encode(cjson.decode(string.rep('[{\"a\":', 1999) .. '1' .. string.rep('}]', 1999)))",
            "0",
        ],
        // Settings last until SCRIPT FLUSH; functions have their own.
        &["EVAL", "return cjson.encode_max_depth(7)", "0"],
        &["FUNCTION", "LOAD", lib],
        &["FCALL", "depth", "0"],
        &["FCALL", "setdepth", "0", "3"],
        &["EVAL", "return cjson.encode_max_depth()", "0"],
        &["FCALL", "depth", "0"],
        &["SCRIPT", "FLUSH"],
        &["EVAL", "return cjson.encode_max_depth()", "0"],
        &["FCALL", "depth", "0"],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nlocal _ = cjson.encode({})",
        ],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=y\nredis.register_function('w', function() cjson.encode = nil end)",
        ],
        &["FCALL", "w", "0"],
    ];
    for cmd in cases {
        d.check(cmd);
    }
}

#[test]
fn cjson_decodes_documents_like_redis() {
    let mut d = Differ::new(&[]);
    let script = "return cjson.encode(cjson.decode(ARGV[1]))";
    let docs: &[&[u8]] = &[
        b"[1,2,3]",
        b"{\"a\":[1,{\"b\":null}],\"c\":\"\\u00e9\\n\"}",
        b"  {\"k\" : 1 , \"j\":2}  ",
        b"[1,2,null]",
        b"\"\\u0000\\u001f\\u007f\\u0080\\u07ff\\u0800\\uffff\"",
        b"\"\\ud800\\udc00\\udbff\\udfff\"",
        b"\"\\uDBFF\\uDFFF\"",
        b"\"\\ud800x\"",
        b"\"\\ud800\\u0041\"",
        b"\"\\u12\"",
        b"\"\\u12g4\"",
        b"\"\xff\xfe raw bytes\"",
        b"\"tab\there\"",
        b"[1e308, 1e309, -1e309, 2.5e-310, 0.1, 100, -0]",
        b"[00]",
        b"[-0x1A]",
        b"[.5]",
        b"[5.]",
        b"[1.5e+3, 1E-2]",
        b"[nan]",
        b"[NaN]",
        b"[Infinity]",
        b"[-infinity]",
        b"[infinite]",
        b"[+inf]",
        b"[+]",
        b"[tru]",
        b"[falsey]",
        b"[nulll]",
        b"[1,]",
        b"[,1]",
        b"{,}",
        b"{\"a\"}",
        b"{\"a\":}",
        b"{\"a\":1 \"b\":2}",
        b"{\"a\":1,\"b\"",
        b"\"unterminated",
        b"\"bad \\x escape\"",
        b"[1] [2]",
        b"",
        b"   ",
        b"\x00[1]",
        b"[1]\x00",
        b"[1]\x00\x00",
        b"a",
        b"{\"a\":1}}",
        b"[[[]]]",
        b"{\"\":{\"\":{}}}",
        b"[\"\\/\\\\\\\"\\b\\f\\n\\r\\t\"]",
        b"123abc",
        b"-",
        b"--1",
        b"1.2.3",
        b"1e5e5",
        b"[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, 1]",
    ];
    for doc in docs {
        d.check(&eval0(script, &[doc]));
    }
}

/// A Lua value for the random tests.
#[derive(Debug, Clone)]
enum LVal {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Vec<u8>),
    Array(Vec<LVal>),
    Map(Vec<(LVal, LVal)>),
}

/// A Lua expression building `v`.
fn literal(v: &LVal) -> String {
    match v {
        LVal::Nil => "nil".into(),
        LVal::Bool(b) => b.to_string(),
        LVal::Int(i) => format!("({i})"),
        LVal::Float(f) if f.is_nan() => "(0/0)".into(),
        LVal::Float(f) if f.is_infinite() => if *f > 0.0 { "(1/0)" } else { "(-1/0)" }.into(),
        LVal::Float(f) => format!("({f:e})"),
        LVal::Str(s) => {
            let mut out = String::from("\"");
            for b in s {
                out.push_str(&format!("\\{b:03}"));
            }
            out.push('"');
            out
        }
        LVal::Array(items) => {
            let parts: Vec<String> = items.iter().map(literal).collect();
            format!("{{{}}}", parts.join(","))
        }
        LVal::Map(pairs) => {
            let parts: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| {
                    !matches!(k, LVal::Nil) && !matches!(k, LVal::Float(f) if f.is_nan())
                })
                .map(|(k, v)| format!("[{}]={}", literal(k), literal(v)))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
    }
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(0.1),
        Just(-0.0),
        Just(1e300),
        Just(f64::INFINITY),
        Just(f64::NAN),
        Just(0.5),
        Just(1.0 / 3.0),
        (-1_000_000i64..1_000_000).prop_map(|i| i as f64 / 8.0),
        Just(4_294_967_296.0),
        Just(9_007_199_254_740_993.0),
    ]
}

fn int() -> impl Strategy<Value = i64> {
    prop_oneof![
        -40i64..300,
        any::<i64>(),
        Just(i64::MIN),
        Just(255),
        Just(65_535),
        Just(65_536),
        Just(4_294_967_295),
        Just(-129),
        Just(-32_769),
        Just(-2_147_483_649),
    ]
}

fn leaf() -> impl Strategy<Value = LVal> {
    prop_oneof![
        Just(LVal::Nil),
        any::<bool>().prop_map(LVal::Bool),
        int().prop_map(LVal::Int),
        float().prop_map(LVal::Float),
        proptest::collection::vec(any::<u8>(), 0..12).prop_map(LVal::Str),
        proptest::collection::vec(b'a'..b'e', 0..3).prop_map(LVal::Str),
    ]
}

fn key() -> impl Strategy<Value = LVal> {
    prop_oneof![
        proptest::collection::vec(b'a'..=b'z', 0..6).prop_map(LVal::Str),
        (1i64..20).prop_map(LVal::Int),
        (-3i64..3).prop_map(LVal::Int),
        float().prop_map(LVal::Float),
    ]
}

fn value() -> impl Strategy<Value = LVal> {
    leaf().prop_recursive(4, 48, 10, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..10).prop_map(LVal::Array),
            proptest::collection::vec((key(), inner), 0..12).prop_map(LVal::Map),
        ]
    })
}

/// Runs `cases` random cases of `strategy` against one pair of servers; `args` turns a case
/// into EVAL arguments compared on both.
fn compare_random<S: Strategy>(cases: u32, strategy: S, args: impl Fn(&S::Value) -> Vec<Vec<u8>>)
where
    S::Value: std::fmt::Debug,
{
    let d = RefCell::new(Differ::new(&[]));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |v| {
        let cmd = args(&v);
        let (ours, theirs) = d.borrow_mut().both(&cmd);
        prop_assert_eq!(
            ours,
            theirs,
            "for {}",
            String::from_utf8_lossy(&cmd[3..].concat())
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn random_values_encode_to_the_same_json() {
    compare_random(300, value(), |v| {
        eval0(
            "local v = loadstring('return ' .. ARGV[1])() return cjson.encode(v)",
            &[literal(v).as_bytes()],
        )
    });
}

#[test]
fn random_values_round_trip_through_json_alike() {
    compare_random(150, value(), |v| {
        eval0(
            "cjson.encode_invalid_numbers('null') local v = loadstring('return ' .. ARGV[1])() local j = cjson.encode(v) local r = cjson.encode(cjson.decode(j)) cjson.encode_invalid_numbers(false) return {j, r}",
            &[literal(v).as_bytes()],
        )
    });
}

fn json_fragment() -> impl Strategy<Value = Vec<u8>> {
    let fixed: Vec<&'static [u8]> = vec![
        b"[",
        b"]",
        b"{",
        b"}",
        b",",
        b":",
        b" ",
        b"\"a\"",
        b"\"b\"",
        b"\"\\u00e9\"",
        b"\"\\ud83d\\ude00\"",
        b"\"\\q\"",
        b"1",
        b"-0.5e3",
        b"0x1F",
        b"1e",
        b"true",
        b"false",
        b"null",
        b"nan",
        b"-inf",
        b"+1",
        b"01",
        b"\"",
        b"\\",
        b"\n",
        b"\x00",
    ];
    prop_oneof![
        4 => proptest::sample::select(fixed).prop_map(|f| f.to_vec()),
        1 => any::<u8>().prop_map(|b| vec![b]),
    ]
}

#[test]
fn random_json_texts_decode_alike() {
    let texts = proptest::collection::vec(json_fragment(), 0..24).prop_map(|f| f.concat());
    compare_random(400, texts, |t| {
        eval0("return cjson.encode(cjson.decode(ARGV[1]))", &[t])
    });
}

/// cmsgpack scripts, compared one by one.
const CMSGPACK: &[&str] = &[
    r#"return cmsgpack.pack(1, -1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, 2^63, -2^63, 2^53+1)"#,
    r#"return cmsgpack.pack(0.5, 1.5, 0.1, 1e300, 1/0, -1/0, 0/0, -0, 3.25, 1e-300, 2^64)"#,
    r#"return cmsgpack.pack("", "a", string.rep("x", 31), string.rep("x", 32), string.rep("y", 255), string.rep("z", 256), string.rep("w", 65536))"#,
    r#"return cmsgpack.pack({}, {1,2,3}, {a=1}, {1,2,nil,4}, {[1]=1,[3]=3}, {[0]=1}, {[1.5]=2}, {true, false})"#,
    r#"return cmsgpack.pack(string.rep("x", 15))"#,
    r#"return cmsgpack.pack()"#,
    r#"return cmsgpack.pack(nil)"#,
    r#"return cmsgpack.pack(redis.call)"#,
    r#"return cmsgpack.pack(cjson.null)"#,
    r#"local t = {} t[1]=t return cmsgpack.pack(t)"#,
    r#"local t = {} t.a=t return cmsgpack.pack(t)"#,
    r#"local t = {} for i=1,20 do t[i]=i end return cmsgpack.pack(t)"#,
    r#"local t = {} for i=1,70000 do t[i]=i%3 end return #cmsgpack.pack(t)"#,
    r#"local t = {} for i=1,20 do t['k'..i]=i end return cmsgpack.pack(t)"#,
    r#"return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, {4}}, true))}"#,
    r#"return cjson.encode({cmsgpack.unpack(cmsgpack.pack(1, -1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, 2^63, -2^63, 2^53+1))})"#,
    r#"return cjson.encode({cmsgpack.unpack(cmsgpack.pack(0.5, 1.5, 0.1, 1e300, -0, 3.25, 1e-300))})"#,
    r#"return cmsgpack.unpack('')"#,
    r#"return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}"#,
    r#"return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)}"#,
    r#"return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}"#,
    r#"return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3)}"#,
    r#"return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 4)}"#,
    r#"return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), -1)}"#,
    r#"return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}"#,
    r#"return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)}"#,
    r#"return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)}"#,
    r#"return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 1)}"#,
    r#"return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1)}"#,
    r#"return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3))}"#,
    r#"return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 'x')}"#,
    r#"return {cmsgpack.unpack_one()}"#,
    r#"return {cmsgpack.unpack()}"#,
    r#"return {cmsgpack.unpack({})}"#,
    r#"return {cmsgpack.unpack('\196\1a')}"#,
    r#"return {cmsgpack.unpack('\205\1')}"#,
    r#"return {cmsgpack.unpack('\147\1\2')}"#,
    r#"return {cmsgpack.unpack('\129\192\1')}"#,
    r#"return {cmsgpack.unpack('\130\1\2\1\3')}"#,
    r#"return {cmsgpack.unpack('\129\203\127\248\0\0\0\0\0\0\1')}"#,
    r#"return {cmsgpack.unpack('\147\192\1\192')}"#,
    r#"return cjson.encode({cmsgpack.unpack('\147\192\1\192')})"#,
    r#"return {cmsgpack.unpack('\207\255\255\255\255\255\255\255\255')}"#,
    r#"return {cmsgpack.unpack('\217\3abc\218\0\2de\219\0\0\0\1f\160')}"#,
    r#"return {cmsgpack.unpack('\193')}"#,
    r#"return {pcall(cmsgpack.unpack, '\193')}"#,
    r#"return cmsgpack.unpack(string.rep('\145', 5000) .. '\1')"#,
    r#"return #{cmsgpack.unpack(string.rep('\1', 7998))}"#,
    r#"return #{cmsgpack.unpack(string.rep('\1', 8000))}"#,
    r#"return #{cmsgpack.unpack(string.rep('a', 7000))}"#,
    r#"return cmsgpack.pack(unpack({1,2,3}))"#,
    r#"local t = {} for i=1,4001 do t[i]=i end return cmsgpack.pack(unpack(t))"#,
    r#"local t = {} for i=1,4000 do t[i]=i end return #cmsgpack.pack(unpack(t))"#,
    r#"cmsgpack.pack = 1"#,
    r#"local r = cmsgpack.unpack(cmsgpack.pack({a={b={c={1,2,{d="e"}}}}})) return r.a.b.c[3].d"#,
];

#[test]
fn cmsgpack_matches_redis() {
    let mut d = Differ::new(&[]);
    for script in CMSGPACK {
        d.check(&eval0(script, &[]));
    }
}

/// struct scripts, compared one by one.
const STRUCT: &[&str] = &[
    r#"return struct.pack('>I2', 258)"#,
    r#"return struct.pack('<i4', -2)"#,
    r#"return struct.pack('bBhHlLT', -1, 255, -2, 65535, -3, 7, 9)"#,
    r#"return struct.pack('i16', -1)"#,
    r#"return struct.pack('i33', 1)"#,
    r#"return struct.pack('i0', 1)"#,
    r#"return struct.pack('!4 b i', 1, 2)"#,
    r#"return struct.pack('! b d', 1, 2.5)"#,
    r#"return struct.pack('!3 b i', 1, 2)"#,
    r#"return struct.pack('c5', 'ab')"#,
    r#"return struct.pack('c0', 'hello')"#,
    r#"return struct.pack('c2', 'hello')"#,
    r#"return struct.pack('s', 'hi')"#,
    r#"return struct.pack('x')"#,
    r#"return struct.pack('f', 1.5)"#,
    r#"return struct.pack('>d', 0.1)"#,
    r#"return struct.pack('z')"#,
    r#"return struct.pack('i', 'x')"#,
    r#"return struct.pack('i')"#,
    r#"return struct.pack()"#,
    r#"return struct.pack('>I8', 2^64)"#,
    r#"return struct.pack('>I8', 2^63)"#,
    r#"return struct.pack('>i8', -2^63)"#,
    r#"return struct.pack('>I8', 0/0)"#,
    r#"return struct.pack('>i8', 0/0)"#,
    r#"return struct.pack('>I4', 1e20)"#,
    r#"return struct.pack('>i4', 2.7)"#,
    r#"return struct.pack('>i4', -2.7)"#,
    r#"return struct.pack('i99999999999', 1)"#,
    r#"return struct.pack('c99999999999', 'x')"#,
    r#"return struct.pack('i2147483647', 1)"#,
    r#"return {struct.unpack('>I2', '\1\2')}"#,
    r#"return {struct.unpack('<i4', '\254\255\255\255')}"#,
    r#"return {struct.unpack('bBhH', '\255\255\254\255\255\255')}"#,
    r#"return {struct.unpack('i16', string.rep('\255', 16))}"#,
    r#"return {struct.unpack('I16', string.rep('\255', 16))}"#,
    r#"return {struct.unpack('i3', '\255\255\127')}"#,
    r#"return {struct.unpack('i0', '')}"#,
    r#"return {struct.unpack('c3', 'abcdef')}"#,
    r#"return {struct.unpack('c3', 'abcdef', 2)}"#,
    r#"return {struct.unpack('c3', 'abcdef', 5)}"#,
    r#"return {struct.unpack('c3', 'abcdef', 0)}"#,
    r#"return {struct.unpack('c3', 'abcdef', -1)}"#,
    r#"return {struct.unpack('b c0', '\3abcdef')}"#,
    r#"return {struct.unpack('c1 c0', '3abcdef')}"#,
    r#"return {struct.unpack('c0', 'abc')}"#,
    r#"return {struct.unpack('s s', 'ab\0cd\0')}"#,
    r#"return {struct.unpack('s', 'abc')}"#,
    r#"return {struct.unpack('!4 b i', '\1\0\0\0\2\0\0\0')}"#,
    r#"return {struct.unpack('x b', '\1\2')}"#,
    r#"return {struct.unpack('f d', struct.pack('f d', 1.5, 0.1))}"#,
    r#"return {struct.unpack('>f >d', struct.pack('>f >d', 1.5, 0.1))}"#,
    r#"return {struct.unpack('z', 'a')}"#,
    r#"return {struct.unpack('i', 'a')}"#,
    r#"return {struct.unpack('i')}"#,
    r#"return {struct.unpack('>I8', '\255\255\255\255\255\255\255\255')}"#,
    r#"return {struct.unpack('>i8', '\128\0\0\0\0\0\0\0')}"#,
    r#"return struct.size('i')"#,
    r#"return struct.size('bhilTfdx')"#,
    r#"return struct.size('!8 b d')"#,
    r#"return struct.size('s')"#,
    r#"return struct.size('c0')"#,
    r#"return struct.size('c10')"#,
    r#"return struct.size('z')"#,
    r#"return struct.size('#')"#,
    r#"return struct.size()"#,
    r#"return struct.size('!5')"#,
    r#"return {struct.unpack('i', struct.pack('i', 123456))}"#,
    r#"struct.pack = 1"#,
];

#[test]
fn struct_matches_redis() {
    let mut d = Differ::new(&[]);
    for script in STRUCT {
        d.check(&eval0(script, &[]));
    }
}

#[test]
fn random_values_pack_to_the_same_msgpack() {
    compare_random(300, value(), |v| {
        eval0(
            "local v = loadstring('return ' .. ARGV[1])() local p = cmsgpack.pack(v, v) return {p, cmsgpack.pack(cmsgpack.unpack(p))}",
            &[literal(v).as_bytes()],
        )
    });
}

#[test]
fn random_bytes_unpack_alike() {
    let bytes = proptest::collection::vec(
        prop_oneof![
            3 => any::<u8>(),
            1 => proptest::sample::select(vec![0x90u8, 0x91, 0x81, 0x82, 0xc0, 0xdc, 0xde, 0xd9, 0xa3]),
        ],
        0..40,
    );
    compare_random(400, bytes, |b| {
        eval0(
            "local r = {pcall(cmsgpack.unpack, ARGV[1])} if not r[1] then return r[2] end table.remove(r, 1) local ok, j = pcall(cjson.encode, r) if ok then return j end return cmsgpack.pack(r)",
            &[b],
        )
    });
}

#[test]
fn random_struct_formats_alike() {
    let fmt = proptest::collection::vec(
        proptest::sample::select(vec![
            "b", "B", "h", "H", "l", "L", "T", "i", "I", "i3", "I5", "i16", "c2", "c0", "s", "f",
            "d", "x", "<", ">", "!", "!2", "!4", " ", "z",
        ]),
        0..8,
    )
    .prop_map(|parts| parts.concat());
    let case = (fmt, proptest::collection::vec(any::<u8>(), 0..32), -3i64..5);
    compare_random(400, case, |(fmt, data, pos)| {
        eval0(
            "local f, d, p = ARGV[1], ARGV[2], tonumber(ARGV[3]) local u = {pcall(struct.unpack, f, d, p)} local s = {pcall(struct.size, f)} local n = {} for i = 1, 8 do n[i] = i * 1000 - 3 end local k = {pcall(struct.pack, f, unpack(n))} return cjson.encode({tostring(u[1]), u[2], u[3], u[4], s[2], k[2]})",
            &[fmt.as_bytes(), data, pos.to_string().as_bytes()],
        )
    });
}

#[test]
fn unpacking_thousands_of_strings_fails_instead_of_crashing() {
    // Redis returns the 5000 strings; mlua cannot hold that many references at once, so the
    // node refuses as Lua does past its stack limit, and keeps serving.
    let d = Differ::new(&[]);
    let mut c = d.ours.raw();
    for script in [
        "return #{cmsgpack.unpack(string.rep('\\161a', 5000))}",
        "return #{struct.unpack(string.rep('c1', 5000), string.rep('a', 5000))}",
    ] {
        let reply = c.cmd(&eval0(script, &[]));
        let Frame::Error(text) = &reply else {
            panic!("{script}: {reply:?}");
        };
        assert!(
            text.starts_with(b"ERR user_script:1: stack overflow ("),
            "{script}: {reply:?}"
        );
    }
    let reply = c.cmd(&eval0(
        "return #{cmsgpack.unpack(string.rep('\\161a', 4000))}",
        &[],
    ));
    assert_eq!(reply, Frame::Integer(4000));
}
