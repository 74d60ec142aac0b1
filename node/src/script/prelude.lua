-- Shoal's scripting prelude (Redis `script_lua.c` / `eval.c` initialisation), run once per VM.
-- Builds the `redis` table, the error handler and the read-only view scripts run in.
-- Arguments: the hooks table (Rust sets hooks.call while a script runs; hooks.resp and
-- hooks.repl are the script's redis.setresp / redis.set_repl state) and the table of Rust
-- functions (script::api).
local hooks, rust = ...
local G = _G
local setfenv, loadstring, load, pcall = setfenv, loadstring, load, pcall
local type, tostring, error, select = type, tostring, error, select
local rawget, rawset, setmetatable, xpcall, ipairs = rawget, rawset, setmetatable, xpcall, ipairs

-- Redis `__redis__err__handler` is `rust.err_handler` (script::run): string errors become
-- {err='ERR ...'}, and the error gets the position of the user's code.
local err_handler = rust.err_handler
rawset(G, '__redis__err__handler', err_handler)

-- Redis `luaPushErrorBuff`: "-CODE msg" keeps its code, anything else gets ERR.
local function error_table(s)
  local code, msg = 'ERR', s
  if s:sub(1, 1) == '-' then
    local sp = s:find(' ', 1, true)
    if sp then
      code, msg = s:sub(2, sp - 1), s:sub(sp + 1)
    else
      msg = s:sub(2)
    end
  end
  msg = msg:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', '')
  return {err = code .. ' ' .. msg}
end

local redis = {}
-- Outside a script these answer that they can only run inside one; while a script runs, Rust
-- puts functions bound to it in their place (script::run::call_in_scope).
redis.call, redis.pcall = rust.call, rust.pcall
rawset(hooks, 'redis', redis)
redis.error_reply = function(...)
  local e = ...
  if select('#', ...) ~= 1 or type(e) ~= 'string' then
    return error_table('wrong number or type of arguments')
  end
  if e:sub(1, 1) ~= '-' then e = '-' .. e end
  return error_table(e)
end
redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return error_table('wrong number or type of arguments')
  end
  return {ok = s}
end
redis.sha1hex, redis.log = rust.sha1hex, rust.log
redis.setresp, redis.set_repl = rust.setresp, rust.set_repl
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = hooks.version, hooks.version_num
rawset(G, 'redis', redis)

-- Redis's patched math.random: its own lrand48 (process-wide state).
math.random, math.randomseed = rust.random, rust.randomseed

-- Globals Redis removes.
for _, name in ipairs({'print', 'dofile', 'loadfile', 'setfenv', 'getfenv', 'newproxy',
                       'module', 'require', 'debug', 'package', 'io', 'os'}) do
  rawset(G, name, nil)
end

-- The read-only view (Redis 7.0 makes _G and the libraries read-only tables).
local function readonly_error()
  error('Attempt to modify a readonly table', 2)
end
local function readonly(t)
  return setmetatable({}, {__index = t, __newindex = readonly_error, __metatable = false})
end
local visible = {}
local env = setmetatable({}, {
  __index = function(_, n)
    local v = visible[n]
    if v ~= nil then return v end
    v = rawget(G, n)
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(n) .. "'", 2)
    end
    return v
  end,
  __newindex = readonly_error,
  __metatable = false,
})
for _, name in ipairs({'string', 'table', 'math', 'coroutine', 'redis', 'bit', 'cjson',
                       'struct', 'cmsgpack'}) do
  local t = rawget(G, name)
  if t ~= nil then visible[name] = readonly(t) end
end
visible._G = env
visible.loadstring = function(...)
  local f, e = loadstring(...)
  if f then setfenv(f, env) end
  return f, e
end
-- Redis's pcall (`luaRedisPcall`): a caught error table gives its `err` text.
local pcall_error = rust.pcall_error
local function caught(ok, ...)
  if ok then return true, ... end
  return false, pcall_error((...))
end
visible.pcall = function(...)
  return caught(pcall(...))
end
visible.load = function(...)
  local f, e = load(...)
  if f then setfenv(f, env) end
  return f, e
end

-- Functions (FUNCTION LOAD, FCALL) run in their own view. While a library loads it sees
-- only `redis` with register_function, log and the constants (Redis's library API); its
-- functions later see what scripts see, without KEYS and ARGV.
local load_redis_fields = {
  register_function = rust.register_function, log = rust.log,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = hooks.version, REDIS_VERSION_NUM = hooks.version_num,
}
local load_redis = setmetatable({}, {
  __index = function(_, n)
    local v = load_redis_fields[n]
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(n) .. "'", 2)
    end
    return v
  end,
  __newindex = readonly_error,
  __metatable = false,
})
-- Functions have their own cjson (its settings are separate from the scripts' ones).
local fvisible = {cjson = readonly(rust.fn_cjson)}
local loading = false
local fenv
fenv = setmetatable({}, {
  __index = function(_, n)
    if loading then
      if n == 'redis' then return load_redis end
      error("Script attempted to access nonexistent global variable '" .. tostring(n) .. "'", 2)
    end
    if n == '_G' then return fenv end
    local v = fvisible[n] or visible[n]
    if v ~= nil then return v end
    if n ~= 'KEYS' and n ~= 'ARGV' then v = rawget(G, n) end
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(n) .. "'", 2)
    end
    return v
  end,
  __newindex = readonly_error,
  __metatable = false,
})

-- Runs a compiled script with the error handler (Redis `luaCallFunction`): KEYS and ARGV
-- become fresh tables of the first `nkeys` values that follow and of the rest; the
-- script's redis.setresp / redis.set_repl state starts over.
local function run(f, nkeys, ...)
  rawset(hooks, 'resp', 2)
  rawset(hooks, 'repl', 3)
  local all = {...}
  local keys, argv = {}, {}
  for i = 1, nkeys do keys[i] = all[i] end
  for i = nkeys + 1, select('#', ...) do argv[i - nkeys] = all[i] end
  rawset(G, 'KEYS', keys)
  rawset(G, 'ARGV', argv)
  return xpcall(f, err_handler)
end

-- Loads a library body: run with the library API in view.
local function run_load(f)
  loading = true
  local r = {xpcall(f, err_handler)}
  loading = false
  return r[1], r[2]
end

-- Calls a registered function with its keys and arguments.
local function run_function(f, keys, args)
  rawset(hooks, 'resp', 2)
  rawset(hooks, 'repl', 3)
  return xpcall(function() return f(keys, args) end, err_handler)
end

return env, run, fenv, run_load, run_function
