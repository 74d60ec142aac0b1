//! COMMAND and its subcommands' replies, derived entirely from the command table (no I/O):
//! the node and the router answer COMMAND with the same code, so they answer alike.
//!
//! Redis counterpart: `commandCommand`, `commandInfoCommand`, `commandDocsCommand`,
//! `commandListCommand`, `commandGetKeysCommand` (server.c). Each function takes the whole
//! argv (`COMMAND <sub> ...`) already checked for arity by the caller.

use bytes::Bytes;

use super::docs::{Arg, Doc, arg_flags, doc_flags};
use super::{BeginSearch, CommandSpec, FindKeys, Resolved, acl, flags, key_flags, keys};
use crate::glob::glob_match;
use crate::{Frame, ReplyError};

fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

fn statuses<'a>(names: impl IntoIterator<Item = &'a str>) -> Frame {
    Frame::Set(
        names
            .into_iter()
            .map(|n| Frame::Simple(Bytes::copy_from_slice(n.as_bytes())))
            .collect(),
    )
}

fn kv(k: &'static str, v: Frame) -> (Frame, Frame) {
    (Frame::bulk_static(k), v)
}

fn key_spec_frame(ks: &super::KeySpec) -> Frame {
    let mut m = Vec::new();
    if !ks.notes.is_empty() {
        m.push(kv("notes", Frame::bulk(ks.notes)));
    }
    m.push(kv(
        "flags",
        statuses(
            key_flags::NAMES
                .iter()
                .filter(|(f, _)| ks.flags & f != 0)
                .map(|(_, n)| *n),
        ),
    ));
    let begin = match ks.begin {
        BeginSearch::Index(i) => Frame::Map(vec![
            kv("type", Frame::bulk_static("index")),
            kv(
                "spec",
                Frame::Map(vec![kv("index", Frame::Integer(i64::from(i)))]),
            ),
        ]),
        BeginSearch::Keyword { keyword, startfrom } => Frame::Map(vec![
            kv("type", Frame::bulk_static("keyword")),
            kv(
                "spec",
                Frame::Map(vec![
                    kv("keyword", Frame::bulk(keyword)),
                    kv("startfrom", Frame::Integer(i64::from(startfrom))),
                ]),
            ),
        ]),
        BeginSearch::Unknown => Frame::Map(vec![
            kv("type", Frame::bulk_static("unknown")),
            kv("spec", Frame::Map(vec![])),
        ]),
    };
    m.push(kv("begin_search", begin));
    let find = match ks.find {
        FindKeys::Range {
            lastkey,
            step,
            limit,
        } => Frame::Map(vec![
            kv("type", Frame::bulk_static("range")),
            kv(
                "spec",
                Frame::Map(vec![
                    kv("lastkey", Frame::Integer(i64::from(lastkey))),
                    kv("keystep", Frame::Integer(i64::from(step))),
                    kv("limit", Frame::Integer(i64::from(limit))),
                ]),
            ),
        ]),
        FindKeys::KeyNum {
            keynumidx,
            firstkey,
            step,
        } => Frame::Map(vec![
            kv("type", Frame::bulk_static("keynum")),
            kv(
                "spec",
                Frame::Map(vec![
                    kv("keynumidx", Frame::Integer(i64::from(keynumidx))),
                    kv("firstkey", Frame::Integer(i64::from(firstkey))),
                    kv("keystep", Frame::Integer(i64::from(step))),
                ]),
            ),
        ]),
        FindKeys::Unknown => Frame::Map(vec![
            kv("type", Frame::bulk_static("unknown")),
            kv("spec", Frame::Map(vec![])),
        ]),
    };
    m.push(kv("find_keys", find));
    Frame::Map(m)
}

/// The `COMMAND INFO` entry of one row (Redis `addReplyCommandInfo`).
pub fn info_frame(spec: &CommandSpec) -> Frame {
    let ((first, last, step), movable) = keys::legacy_range(spec);
    let mut flag_names: Vec<&str> = flags::NAMES
        .iter()
        .filter(|(f, _)| spec.has(*f))
        .map(|(_, n)| *n)
        .collect();
    if movable {
        flag_names.push("movablekeys");
    }
    if spec.has(flags::ALLOW_BUSY) {
        flag_names.push("allow_busy");
    }
    let cats = spec.acl_categories();
    let cat_names: Vec<String> = acl::NAMES
        .iter()
        .filter(|(c, _)| cats.0 & c != 0)
        .map(|(_, n)| format!("@{n}"))
        .collect();
    Frame::Array(vec![
        Frame::bulk(spec.name),
        Frame::Integer(i64::from(spec.arity)),
        statuses(flag_names),
        Frame::Integer(first),
        Frame::Integer(last),
        Frame::Integer(step),
        statuses(cat_names.iter().map(String::as_str)),
        Frame::Set(spec.tips.iter().map(Frame::bulk).collect()),
        Frame::Set(spec.key_specs.iter().map(key_spec_frame).collect()),
        Frame::Set(
            super::subcommands(spec)
                .into_iter()
                .map(info_frame)
                .collect(),
        ),
    ])
}

/// `COMMAND`: every top-level command.
pub fn all() -> Frame {
    Frame::Array(super::top_level().map(info_frame).collect())
}

/// `COMMAND COUNT`.
pub fn count() -> Frame {
    Frame::Integer(i64::try_from(super::top_level().count()).unwrap_or(i64::MAX))
}

/// `COMMAND INFO [command-name ...]`.
pub fn info(argv: &[Bytes]) -> Frame {
    if argv.len() == 2 {
        return all();
    }
    Frame::Array(
        argv[2..]
            .iter()
            .map(|n| super::lookup_full(n).map_or(Frame::Null, info_frame))
            .collect(),
    )
}

/// `COMMAND LIST [FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]`.
pub fn list(argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let names = super::top_level().map(|c| c.name);
    match argv.len() {
        2 => Ok(Frame::bulks(
            names.map(|n| Bytes::from_static(n.as_bytes())),
        )),
        5 if is(&argv[2], "filterby") => {
            let value = &argv[4];
            let pick: Vec<Bytes> = if is(&argv[3], "pattern") {
                super::COMMANDS
                    .iter()
                    .filter(|c| glob_match(value, c.name.as_bytes(), true))
                    .map(|c| Bytes::from_static(c.name.as_bytes()))
                    .collect()
            } else if is(&argv[3], "aclcat") {
                let cat = acl::NAMES
                    .iter()
                    .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(value));
                match cat {
                    None => vec![],
                    Some((bit, _)) => super::COMMANDS
                        .iter()
                        .filter(|c| c.acl_categories().0 & bit != 0)
                        .map(|c| Bytes::from_static(c.name.as_bytes()))
                        .collect(),
                }
            } else if is(&argv[3], "module") {
                vec![]
            } else {
                return Err(ReplyError::Syntax);
            };
            Ok(Frame::bulks(pick))
        }
        _ => Err(ReplyError::Syntax),
    }
}

/// The keys of the command in `argv[2..]` with each key's spec flags (COMMAND GETKEYS and
/// GETKEYSANDFLAGS share the checks and the error texts).
fn keys_with_flags(argv: &[Bytes]) -> Result<Vec<(Bytes, u32)>, ReplyError> {
    let sub = &argv[2..];
    let spec = match super::resolve(sub) {
        Resolved::Found(spec) => spec,
        _ => return Err(ReplyError::other("ERR Invalid command specified")),
    };
    if !spec.arity_ok(sub.len()) {
        return Err(ReplyError::other(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let mut out = Vec::new();
    if spec.id == super::CommandId::Sort {
        // SORT's keys come from its getkeys escape hatch (`keys::key_indices`).
        use super::key_flags::{ACCESS, OW, RO, UPDATE};
        let mut idx = Vec::new();
        let _ = keys::key_indices(spec, sub, &mut idx);
        let flags = |i: usize| if i == 1 { RO | ACCESS } else { OW | UPDATE };
        return Ok(idx
            .into_iter()
            .map(|i| (sub[i].clone(), flags(i)))
            .collect());
    }
    for ks in spec.key_specs {
        let mut idx = Vec::new();
        if keys::spec_indices(ks, sub, &mut idx).is_err() {
            return Err(ReplyError::other(
                "ERR Invalid arguments specified for command",
            ));
        }
        out.extend(idx.into_iter().map(|i| (sub[i].clone(), ks.flags)));
    }
    if out.is_empty() {
        return Err(ReplyError::other("ERR The command has no key arguments"));
    }
    Ok(out)
}

/// `COMMAND GETKEYS command [arg ...]`.
pub fn getkeys(argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let keys = keys_with_flags(argv)?;
    Ok(Frame::bulks(keys.into_iter().map(|(k, _)| k)))
}

/// `COMMAND GETKEYSANDFLAGS command [arg ...]`.
pub fn getkeysandflags(argv: &[Bytes]) -> Result<Frame, ReplyError> {
    let keys = keys_with_flags(argv)?;
    Ok(Frame::Array(
        keys.into_iter()
            .map(|(k, f)| {
                let names = key_flags::NAMES
                    .iter()
                    .filter(|(bit, _)| f & bit != 0)
                    .map(|(_, n)| *n);
                Frame::Array(vec![Frame::Bulk(k), statuses(names)])
            })
            .collect(),
    ))
}

/// The `arguments` list of `COMMAND DOCS` (Redis `addReplyCommandArgList`).
fn args_frame(args: &[Arg]) -> Frame {
    Frame::Array(
        args.iter()
            .map(|a| {
                let mut m = vec![
                    kv("name", Frame::Bulk(Bytes::from(a.name().into_owned()))),
                    kv("type", Frame::bulk_static(a.kind.name())),
                ];
                if let Some(i) = a.key_spec_index {
                    m.push(kv("key_spec_index", Frame::Integer(i64::from(i))));
                }
                if let Some(t) = a.token {
                    m.push(kv("token", Frame::bulk(t)));
                }
                if !a.since.is_empty() {
                    m.push(kv("since", Frame::bulk(a.since)));
                }
                if !a.deprecated_since.is_empty() {
                    m.push(kv("deprecated_since", Frame::bulk(a.deprecated_since)));
                }
                if a.flags != 0 {
                    let names = arg_flags::NAMES.iter().filter(|(f, _)| a.flags & f != 0);
                    m.push(kv("flags", statuses(names.map(|(_, n)| *n))));
                }
                if !a.args.is_empty() {
                    m.push(kv("arguments", args_frame(a.args)));
                }
                Frame::Map(m)
            })
            .collect(),
    )
}

/// The documented fields of one command, in Redis's order (`addReplyCommandDocs`), with the
/// group given (a row's group; tests pass Redis's for commands without a row).
pub fn doc_fields(d: &Doc, group: &str, m: &mut Vec<(Frame, Frame)>) {
    m.push(kv("summary", Frame::bulk(d.summary)));
    m.push(kv("since", Frame::bulk(d.since)));
    m.push(kv("group", Frame::bulk(group)));
    if !d.complexity.is_empty() {
        m.push(kv("complexity", Frame::bulk(d.complexity)));
    }
    if d.doc_flags != 0 {
        let names = doc_flags::NAMES
            .iter()
            .filter(|(f, _)| d.doc_flags & f != 0);
        m.push(kv("doc_flags", statuses(names.map(|(_, n)| *n))));
    }
    if !d.deprecated_since.is_empty() {
        m.push(kv("deprecated_since", Frame::bulk(d.deprecated_since)));
        m.push(kv("replaced_by", Frame::bulk(d.replaced_by)));
    }
    if !d.history.is_empty() {
        let entries = d
            .history
            .iter()
            .map(|(version, change)| Frame::Array(vec![Frame::bulk(version), Frame::bulk(change)]));
        m.push(kv("history", Frame::Set(entries.collect())));
    }
    if !d.args.is_empty() {
        m.push(kv("arguments", args_frame(d.args)));
    }
}

/// The `COMMAND DOCS` entry of one row: its declaration in `docs` (group from the row), then
/// the subcommands of a container.
fn docs_frame(spec: &CommandSpec) -> Frame {
    let mut m = Vec::new();
    match super::docs::doc_of(spec.name) {
        Some(d) => doc_fields(d, spec.group.name(), &mut m),
        None => m.push(kv("group", Frame::bulk(spec.group.name()))),
    }
    let subs = super::subcommands(spec);
    if !subs.is_empty() {
        m.push(kv(
            "subcommands",
            Frame::Map(
                subs.into_iter()
                    .map(|s| (Frame::bulk(s.name), docs_frame(s)))
                    .collect(),
            ),
        ));
    }
    Frame::Map(m)
}

/// `COMMAND DOCS [command-name ...]`.
pub fn docs(argv: &[Bytes]) -> Frame {
    let specs: Vec<&CommandSpec> = if argv.len() == 2 {
        super::top_level().collect()
    } else {
        argv[2..]
            .iter()
            .filter_map(|n| super::lookup_full(n))
            .collect()
    };
    Frame::Map(
        specs
            .into_iter()
            .map(|s| (Frame::bulk(s.name), docs_frame(s)))
            .collect(),
    )
}

/// A `<CMD> HELP` reply (Redis `addReplyHelp`): the header, `lines`, then HELP's own lines.
pub fn help_lines(cmd: &str, lines: &[&str]) -> Frame {
    let mut out = Vec::with_capacity(lines.len() + 3);
    out.push(Frame::Simple(Bytes::from(format!(
        "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ))));
    for l in lines {
        out.push(Frame::Simple(Bytes::copy_from_slice(l.as_bytes())));
    }
    out.push(Frame::simple("HELP"));
    out.push(Frame::simple("    Prints this help."));
    Frame::Array(out)
}

/// `COMMAND HELP`.
pub fn help() -> Frame {
    help_lines(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    )
}
