// The Lua half of `ctx`: the commands that run Lua functions of the
// workflow between their records (await's match, a step's action and its
// retries, compensations), built on the C commands of ctx_api.cpp. Loaded
// as the chunk "=workflow", which script_location() skips, so records name
// the workflow's own lines. docs/workflows.md "Commands" and "Sagas".
#include "workflows/engine_state.h"

namespace chorus::workflows {

const char* const kCtxPrelude = R"LUA(
local M = ...
local pcall, error, type, tostring = pcall, error, type, tostring

function M:await(pattern, opts)
  if type(pattern) ~= "string" then error("ctx:await: pattern must be a string", 2) end
  if opts ~= nil and type(opts) ~= "table" then error("ctx:await: options must be a table", 2) end
  opts = opts or {}
  local match = opts.match
  if match ~= nil and type(match) ~= "function" then error("ctx:await: match must be a function", 2) end
  local replayed, a, b = self:_await_begin(pattern, opts.timeout)
  if replayed then return a, b end
  local seq = a
  while true do
    local ev, why = self:_await_next(seq)
    if ev == nil then return nil, why end
    if match == nil or match(ev) then
      self:_await_done(seq)
      return ev
    end
  end
end

local function attempt_loop(self, fn, arg, key, retry)
  local attempts = 1
  local backoff = 0
  if retry ~= nil then
    if type(retry) ~= "table" then error("ctx:step: retry must be a table {attempts=, backoff=}", 3) end
    attempts = retry.attempts or 1
    backoff = retry.backoff or 0
  end
  local n = 0
  while true do
    n = n + 1
    local ok, res = pcall(fn, arg, key)
    if ok then return true, res, n end
    if self:_stopped() then error(res, 0) end
    if n >= attempts then return false, tostring(res), n end
    if backoff > 0 then self:sleep(backoff * 2 ^ (n - 1)) end
  end
end

function M:step(spec)
  if type(spec) ~= "table" then error("ctx:step expects a table {name=, action=, compensate=, retry=}", 2) end
  local name, action = spec.name, spec.action
  if type(name) ~= "string" or name == "" then error("ctx:step: name must be a string", 2) end
  if type(action) ~= "function" then error("ctx:step: action must be a function", 2) end
  if spec.compensate ~= nil and type(spec.compensate) ~= "function" then
    error("ctx:step: compensate must be a function", 2)
  end
  local done, seq, ok, result = self:_step_begin("step", name)
  if not done then
    local key = self:_key(seq)
    local n
    ok, result, n = attempt_loop(self, action, key, key, spec.retry)
    self:_step_end(seq, ok, result, n)
  end
  if ok then
    if spec.compensate then
      local c = self._comp
      c[#c + 1] = {name = name, fn = spec.compensate, result = result, retry = spec.retry}
    end
    return result
  end
  self:_compensate(name, result)
end

-- Runs the compensations of the completed steps in reverse order; returns
-- the name and error of the first that fails (nil when all ran) and the
-- names of those that ran.
local function compensate_all(self)
  rawset(self, "_compensating", true)
  local c = self._comp
  local done_names = {}
  for i = #c, 1, -1 do
    local comp = c[i]
    local done, seq, ok, result = self:_step_begin("compensate", comp.name)
    if not done then
      local key = self:_key(seq)
      local n
      ok, result, n = attempt_loop(self, comp.fn, comp.result, key, comp.retry)
      self:_step_end(seq, ok, result, n)
    end
    if not ok then return comp.name, result, done_names end
    done_names[#done_names + 1] = comp.name
  end
  return nil, nil, done_names
end

function M:_compensate(failed_step, err)
  local failed, cerr, done_names = compensate_all(self)
  if failed then self:_end_saga("failed", failed_step, err, failed, done_names, cerr) end
  self:_end_saga("compensated", failed_step, err, nil, done_names)
end

-- A cancelled instance's own coroutine (engine_cancel.cpp): run is gone.
function M:_cancel(reason)
  local failed, cerr, done_names = compensate_all(self)
  self:_end_cancel(done_names, failed, cerr)
end
)LUA";

}  // namespace chorus::workflows
