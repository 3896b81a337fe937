package queue

import (
	"strings"

	"github.com/redis/go-redis/v9"
)

// Every script starts with luaBase, then the helpers it uses (luaHelpers),
// then its own text. Scripts build their key names from the
// prefix in ARGV[1] (drover targets a standalone Redis, not Redis Cluster), so
// the whole key layout is written down here and in keys.go only.
//
// Common arguments: ARGV[1] prefix, ARGV[2] results stream cap, ARGV[3] events
// stream cap. Script arguments start at ARGV[4].
//
// Numbers go back to Redis through s(), never as Lua numbers: Redis would
// format a large Lua number with an exponent.
const luaBase = `
local P = ARGV[1]
local RESULTS_CAP = ARGV[2]
local EVENTS_CAP = ARGV[3]
local function k(x) return P .. ':' .. x end
local function s(n) return string.format('%d', n) end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function stat(name, n) redis.call('HINCRBY', k('stats'), name, s(n or 1)) end
`

// luaHelper is a Lua function shared by scripts. Each call of a script
// defines every function in its text again (Redis runs the whole chunk), so
// a script carries only the helpers it uses: the full set cost about a
// quarter of the enqueue script's Redis time.
type luaHelper struct {
	name string
	uses []string // helpers it calls, all defined before it
	text string
}

// luaHelpers in definition order.
var luaHelpers = []luaHelper{
	{"emit", nil, `
local function emit(kind, id, attempt, worker, fkind, reason, data, now)
  redis.call('XADD', k('results'), 'MAXLEN', '~', RESULTS_CAP, '*',
    'kind', kind, 'exp', id, 'attempt', attempt or '0', 'worker', worker or '',
    'fkind', fkind or '', 'reason', reason or '', 'data', data or '', 't', s(now))
end
`},
	{"lane_parse", nil, `
-- lane_parse splits a lane "g<gpus>|<caps>|<priority rank>|<user>" into
-- gpus (number), caps, rank (number) and user; nil when malformed. A lane
-- of an older drover, "g<gpus>|<caps>", is rank 1 (normal) of user ''.
local function lane_parse(l)
  local g, caps, rest = string.match(l, '^g(%d+)|([^|]*)(.*)$')
  if g == nil then return nil end
  if rest == '' then return tonumber(g), caps, 1, '' end
  local p, u = string.match(rest, '^|([012])|(.*)$')
  if p == nil then return nil end
  return tonumber(g), caps, tonumber(p), u
end
`},
	{"pend_add", []string{"lane_parse"}, `
-- pend_add queues id in its lane (score = seq, its age) and in P:pending,
-- where the score puts the priority class first: rank * 1e15 + seq.
local function pend_add(id, seq, lane)
  local _, _, p = lane_parse(lane)
  redis.call('ZADD', k('pending'), s((p or 1) * 1e15 + tonumber(seq)), id)
  redis.call('ZADD', k('pending:' .. lane), seq, id)
  redis.call('SADD', k('classes'), lane)
end
`},
	{"pend_rem", nil, `
local function pend_rem(id, class)
  redis.call('ZREM', k('pending'), id)
  if class then
    redis.call('ZREM', k('pending:' .. class), id)
    if redis.call('EXISTS', k('pending:' .. class)) == 0 then
      redis.call('SREM', k('classes'), class)
    end
  end
end
`},
	{"wake_all", nil, `
-- wake_all pushes one wake token to every waiting worker and empties the set.
local function wake_all()
  local ws = redis.call('SMEMBERS', k('waiting'))
  for _, w in ipairs(ws) do
    local l = k('wake:' .. w)
    redis.call('LPUSH', l, '1')
    redis.call('LTRIM', l, 0, 0)
  end
  if #ws > 0 then redis.call('DEL', k('waiting')) end
end
`},
	{"valid", nil, `
-- valid returns the experiment's hash key when (id, attempt, worker) is the
-- live attempt: leased to that worker under that token, deadline not passed.
-- Its second result is the experiment's GPU count (for drop_lease).
local function valid(id, attempt, worker, now)
  local h = k('exp:' .. id)
  local v = redis.call('HMGET', h, 'state', 'attempt', 'worker', 'gpus')
  if v[1] ~= 'leased' or v[2] ~= attempt or v[3] ~= worker then return nil end
  local d = redis.call('ZSCORE', k('leases'), id)
  if not d or tonumber(d) <= now then return nil end
  return h, v[4]
end
`},
	{"drop_lease", []string{"wake_all"}, `
-- drop_lease removes the lease, the worker's running entry and one from the
-- owner's running count. The caller may pass the holder w and the GPU count
-- g when it has read them already. When the owner was at its running quota,
-- the waiting workers are woken: something of that owner may run now.
local function drop_lease(id, h, w, g)
  if redis.call('ZREM', k('leases'), id) == 1 then
    local u = redis.call('HGET', h, 'user') or ''
    local n = redis.call('HINCRBY', k('urun'), u, -1)
    if n <= 0 then redis.call('HDEL', k('urun'), u) end
    local sc = redis.call('HMGET', k('sched'), 'max_running', 'max_running:' .. u)
    local lim = tonumber(sc[2] or '') or tonumber(sc[1] or '0') or 0
    if lim > 0 and n + 1 >= lim then wake_all() end
  end
  if w == nil then
    local v = redis.call('HMGET', h, 'worker', 'gpus')
    w, g = v[1], v[2]
  end
  g = tonumber(g) or 0
  if w and w ~= '' then
    local wk = k('worker:' .. w)
    if redis.call('HDEL', wk .. ':running', id) == 1 and g ~= 0 and redis.call('EXISTS', wk) == 1 then
      redis.call('HINCRBY', wk, 'busy_gpus', s(-g))
    end
  end
end
`},
	{"requeue", []string{"drop_lease", "pend_add", "wake_all"}, `
-- requeue puts a leased experiment back into the pending set with its
-- original score (its age) and wakes the waiting workers.
local function requeue(id, h)
  drop_lease(id, h)
  redis.call('HSET', h, 'state', 'queued', 'worker', '')
  local v = redis.call('HMGET', h, 'seq', 'class')
  pend_add(id, v[1], v[2])
  wake_all()
  stat('requeues')
end
`},
	{"finish", []string{"drop_lease"}, `
-- finish removes every trace of the experiment.
local function finish(id, h, w, g)
  drop_lease(id, h, w, g)
  redis.call('DEL', h)
end
`},
	{"retry_or_fail", []string{"requeue", "emit", "finish"}, `
-- retry_or_fail requeues counting one retry while retries are left, else
-- finishes the experiment with a final result of kind final_kind.
local function retry_or_fail(id, h, max, fkind, reason, data, now, final_kind)
  local v = redis.call('HMGET', h, 'attempt', 'worker', 'retries')
  if tonumber(v[3] or '0') < max then
    redis.call('HINCRBY', h, 'retries', 1)
    requeue(id, h)
    emit('requeued', id, v[1], v[2], fkind, reason, data, now)
    return 'requeued'
  end
  finish(id, h)
  emit(final_kind, id, v[1], v[2], fkind, reason, data, now)
  stat('failed')
  return 'failed'
end
`},
	{"retire", nil, `
-- retire forgets a worker identity; its leases get deadline 0 so that the
-- next reaper pass releases them (as infra retries).
local function retire(w)
  local wk = k('worker:' .. w)
  for _, id in ipairs(redis.call('HKEYS', wk .. ':running')) do
    redis.call('ZADD', k('leases'), 'XX', '0', id)
  end
  local name = redis.call('HGET', wk, 'name')
  if name and redis.call('HGET', k('names'), name) == w then
    redis.call('HDEL', k('names'), name)
  end
  redis.call('DEL', wk, wk .. ':running', wk .. ':fails', k('wake:' .. w), k('ctl:' .. w))
  redis.call('SREM', k('waiting'), w)
  redis.call('ZREM', k('workers'), w)
end
`},
	{"note_failure", nil, `
-- note_failure records an infra failure of a worker and quarantines it when
-- its last n attempts all failed within window ms.
local function note_failure(w, now, n, window, period)
  local wk = k('worker:' .. w)
  if n <= 0 or redis.call('EXISTS', wk) == 0 then return end
  local fl = wk .. ':fails'
  redis.call('LPUSH', fl, s(now))
  redis.call('LTRIM', fl, 0, n - 1)
  if redis.call('LLEN', fl) >= n and now - tonumber(redis.call('LINDEX', fl, n - 1)) <= window then
    redis.call('HSET', wk, 'quarantined_until', s(now + period))
    redis.call('DEL', fl)
    stat('quarantines')
  end
end
`},
}

// luaScript composes a script: luaBase, the helpers named (with what they
// use) in definition order, then the parts.
func luaScript(helpers []string, parts ...string) string {
	need := map[string]bool{}
	for _, h := range helpers {
		need[h] = true
	}
	for i := len(luaHelpers) - 1; i >= 0; i-- {
		if need[luaHelpers[i].name] {
			for _, u := range luaHelpers[i].uses {
				need[u] = true
			}
		}
	}
	var b strings.Builder
	b.WriteString(luaBase)
	for _, h := range luaHelpers {
		if need[h.name] {
			b.WriteString(h.text)
		}
	}
	for _, p := range parts {
		b.WriteString(p)
	}
	return b.String()
}

// enqueue: ARGV[4] id, [5] gpus, [6] lane, [7] caps, [8] payload, [9] attempts already made,
// [10] priority rank, [11] user. Returns 1 when added, 0 when the id is already queued or leased.
const luaEnqueue = `
local id = ARGV[4]
local h = k('exp:' .. id)
if redis.call('EXISTS', h) == 1 then return 0 end
local now = now_ms()
local seq = redis.call('INCR', k('seq'))
redis.call('HSET', h, 'payload', ARGV[8], 'gpus', ARGV[5], 'caps', ARGV[7], 'class', ARGV[6],
  'seq', s(seq), 'attempt', ARGV[9], 'retries', '0', 'state', 'queued', 'worker', '', 'enq', s(now),
  'prio', ARGV[10], 'user', ARGV[11])
pend_add(id, s(seq), ARGV[6])
wake_all()
stat('enqueued')
return 1
`

// luaClaimFn is the claim step, shared by the claim and complete-claim
// scripts: worker wid, free slots and GPUs as the worker counts them, lease
// ms, Redis now. Returns {'ok', id, attempt, payload, enq, gpus, caps,
// deadline} or {'none'} (worker added to the waiting set), {'unknown'},
// {'quarantined', until}, {'noslot'}.
const luaClaimFn = `
local function claim(wid, argfree, argfreeg, lease, now)
local wk = k('worker:' .. wid)
local wi = redis.call('HMGET', wk, 'slots', 'caps', 'quarantined_until', 'gpus', 'busy_gpus', 'draining')
if not wi[1] then return {'unknown'} end -- Register always sets slots
if wi[6] == '1' then return {'draining'} end
local qu = tonumber(wi[3] or '0') or 0
if qu > now then return {'quarantined', s(qu)} end
local free = math.min(tonumber(argfree), (tonumber(wi[1]) or 0) - redis.call('HLEN', wk .. ':running'))
if free <= 0 then return {'noslot'} end
local freeg = math.min(tonumber(argfreeg), (tonumber(wi[4]) or 0) - (tonumber(wi[5]) or 0))
local have = {}
for c in string.gmatch(wi[2] or '', '[^,]+') do have[c] = true end
local sc = redis.call('HMGET', k('sched'), 'policy', 'max_running')
local fair = sc[1] == 'fair'
local defmax = tonumber(sc[2] or '0') or 0
local urun, ulim = {}, {}
for try = 1, 100 do
  -- best: id, rank, owner's running, seq, lane, whether it is the lane's last
  local best, bp, br, bs, blane, blast = nil, 0, 0, 0, nil, false
  for _, lane in ipairs(redis.call('SMEMBERS', k('classes'))) do
    local g, caps, p, u = lane_parse(lane)
    if g == nil then
      redis.call('SREM', k('classes'), lane)
      stat('malformed')
    elseif g <= freeg then
      local ok = true
      for c in string.gmatch(caps, '[^,]+') do
        if not have[c] then ok = false; break end
      end
      if ok then
        if urun[u] == nil then
          urun[u] = tonumber(redis.call('HGET', k('urun'), u) or '0') or 0
          ulim[u] = tonumber(redis.call('HGET', k('sched'), 'max_running:' .. u) or '') or defmax
        end
        local r, lim = urun[u], ulim[u]
        if lim <= 0 or r < lim then
          -- the head and the one after it: no second one means that taking
          -- the head empties the lane
          local head = redis.call('ZRANGE', k('pending:' .. lane), 0, 1, 'WITHSCORES')
          if #head == 0 then
            redis.call('SREM', k('classes'), lane)
          else
            local sq = tonumber(head[2])
            local better = best == nil
            if not better then
              if p ~= bp then better = p < bp
              elseif fair and r ~= br then better = r < br
              else better = sq < bs end
            end
            if better then best, bp, br, bs, blane, blast = head[1], p, r, sq, lane, #head == 2 end
          end
        end
      end
    end
  end
  if best == nil then
    redis.call('SADD', k('waiting'), wid)
    return {'none'}
  end
  local h = k('exp:' .. best)
  redis.call('ZREM', k('pending'), best)
  redis.call('ZREM', k('pending:' .. blane), best)
  if blast then redis.call('SREM', k('classes'), blane) end
  local v = redis.call('HMGET', h, 'state', 'payload', 'enq', 'gpus', 'caps', 'attempt', 'user')
  if v[1] == 'queued' then
    local attempt = (tonumber(v[6]) or 0) + 1
    local deadline = now + tonumber(lease)
    redis.call('HSET', h, 'state', 'leased', 'worker', wid, 'started', s(now), 'attempt', s(attempt))
    redis.call('ZADD', k('leases'), s(deadline), best)
    redis.call('HINCRBY', k('urun'), v[7] or '', 1)
    redis.call('HSET', wk .. ':running', best, s(attempt))
    if (tonumber(v[4]) or 0) ~= 0 then redis.call('HINCRBY', wk, 'busy_gpus', s(tonumber(v[4]))) end
    redis.call('SREM', k('waiting'), wid)
    stat('claims')
    emit('started', best, s(attempt), wid, '', '', '', now)
    return {'ok', best, s(attempt), v[2], v[3], v[4], v[5], s(deadline)}
  end
  -- a pending id without a (queued) hash: foreign or damaged; drop it
  stat('malformed')
end
return {'none'}
end
`

// claim: ARGV[4] worker, [5] free slots, [6] free GPUs, [7] lease ms.
// Returns what claim() returns.
const luaClaim = `
return claim(ARGV[4], ARGV[5], ARGV[6], ARGV[7], now_ms())
`

// heartbeat: ARGV[4] worker, [5] lease ms, then pairs id, attempt.
// Returns {'ok', i...} with the 0-based indexes of the refs that are not live, or {'unknown'}.
const luaHeartbeat = `
local wid = ARGV[4]
local now = now_ms()
-- Liveness is the worker's score in P:workers. XX: a retired or forgotten
-- identity has no entry and gets none; CH: 0 means no entry or, rarely, a
-- second renewal in the same millisecond, which the EXISTS tells apart.
if redis.call('ZADD', k('workers'), 'XX', 'CH', s(now), wid) == 0
  and redis.call('EXISTS', k('worker:' .. wid)) == 0 then return {'unknown'} end
local out = {'ok'}
local deadline = s(now + tonumber(ARGV[5]))
for i = 6, #ARGV, 2 do
  local id = ARGV[i]
  if valid(id, ARGV[i + 1], wid, now) then
    redis.call('ZADD', k('leases'), 'XX', deadline, id)
  else
    table.insert(out, (i - 6) / 2)
  end
end
return out
`

// luaCompleteFn is the complete step, shared by the complete and
// complete-claim scripts. Returns true, or false for a stale attempt.
const luaCompleteFn = `
local function complete(id, att, wid, result, now)
  local h, g = valid(id, att, wid, now)
  if not h then stat('stale_rejected'); return false end
  finish(id, h, wid, g)
  redis.call('DEL', k('worker:' .. wid .. ':fails'))
  emit('completed', id, att, wid, '', '', result, now)
  stat('completed')
  return true
end
`

// complete: ARGV[4] id, [5] attempt, [6] worker, [7] result. Returns 1, or 0 for a stale attempt.
const luaComplete = `
if complete(ARGV[4], ARGV[5], ARGV[6], ARGV[7], now_ms()) then return 1 end
return 0
`

// complete-claim: ARGV[4] id, [5] attempt, [6] worker, [7] result, [8] free
// slots, [9] free GPUs (both counting the slot and GPUs of the finished
// attempt as free), [10] lease ms. Completes the attempt, then claims for the
// same worker, under one Redis time. Returns {'stale'} (nothing done, no
// claim) or what claim() returns.
const luaCompleteClaim = `
local now = now_ms()
if not complete(ARGV[4], ARGV[5], ARGV[6], ARGV[7], now) then return {'stale'} end
return claim(ARGV[6], ARGV[8], ARGV[9], ARGV[10], now)
`

// luaFailFn is the fail step, shared by the fail and fail-claim scripts:
// max retries, then the quarantine's n, window ms and period ms. Returns
// 'requeued', 'failed', or 'stale'.
const luaFailFn = `
local function fail(id, att, wid, kind, result, max, qn, qwindow, qfor, now)
  local h, g = valid(id, att, wid, now)
  if not h then stat('stale_rejected'); return 'stale' end
  if kind == 'infra' then
    note_failure(wid, now, tonumber(qn), tonumber(qwindow), tonumber(qfor))
    return retry_or_fail(id, h, tonumber(max), kind, 'failed', result, now, 'failed')
  end
  finish(id, h, wid, g)
  emit('failed', id, att, wid, kind, 'failed', result, now)
  stat('failed')
  return 'failed'
end
`

// fail: ARGV[4] id, [5] attempt, [6] worker, [7] kind, [8] result, [9] max retries,
// [10] quarantine after n, [11] window ms, [12] period ms.
// Returns 'requeued', 'failed', or 'stale'.
const luaFail = `
return fail(ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], now_ms())
`

// fail-claim: the fail arguments, then [13] free slots, [14] free GPUs
// (counting the failed attempt's as free), [15] lease ms. Returns {'stale'}
// (nothing done, no claim) or {'requeued'|'failed', what claim() returns}.
const luaFailClaim = `
local now = now_ms()
local r = fail(ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], now)
if r == 'stale' then return {'stale'} end
return {r, claim(ARGV[6], ARGV[13], ARGV[14], ARGV[15], now)}
`

// release: ARGV[4] id, [5] attempt, [6] worker. Returns 1, or 0 for a stale attempt.
const luaRelease = `
local id, att, wid = ARGV[4], ARGV[5], ARGV[6]
local now = now_ms()
local h = valid(id, att, wid, now)
if not h then stat('stale_rejected'); return 0 end
requeue(id, h)
emit('requeued', id, att, wid, '', 'released', '', now)
stat('released')
return 1
`

// event: ARGV[4] id, [5] attempt, [6] worker, [7] event. Returns 1, or 0 for a stale attempt.
const luaEvent = `
local id, att, wid = ARGV[4], ARGV[5], ARGV[6]
local now = now_ms()
if not valid(id, att, wid, now) then stat('stale_events'); return 0 end
redis.call('XADD', k('events'), 'MAXLEN', '~', EVENTS_CAP, '*',
  'exp', id, 'attempt', att, 'worker', wid, 'data', ARGV[7], 't', s(now))
return 1
`

// reprioritize: ARGV[4] id, [5] priority rank. Moves a queued experiment to
// the lane of that rank, keeping its age. Returns 1, or 0 when not queued.
const luaReprioritize = `
local id, p = ARGV[4], ARGV[5]
local h = k('exp:' .. id)
local v = redis.call('HMGET', h, 'state', 'class', 'seq')
if v[1] ~= 'queued' then return 0 end
local g, caps, _, u = lane_parse(v[2] or '')
if g == nil then return 0 end
pend_rem(id, v[2])
local lane = 'g' .. s(g) .. '|' .. caps .. '|' .. p .. '|' .. u
redis.call('HSET', h, 'class', lane, 'prio', p)
pend_add(id, v[3], lane)
wake_all()
return 1
`

// sched: ARGV[4..] pairs field, value of P:sched (an empty value deletes
// the field). Wakes the waiting workers: a larger quota may let them run
// something. Returns 1.
const luaSched = `
for i = 4, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', k('sched'), ARGV[i])
  else
    redis.call('HSET', k('sched'), ARGV[i], ARGV[i + 1])
  end
end
wake_all()
return 1
`

// drain: ARGV[4] worker, [5] '1' to drain, ” to resume. A draining worker
// claims nothing (claim answers 'draining'); resume wakes it. Returns 1, or
// 0 for an unknown worker.
const luaDrain = `
local wid = ARGV[4]
local wk = k('worker:' .. wid)
if redis.call('EXISTS', wk) == 0 then return 0 end
if ARGV[5] == '1' then
  redis.call('HSET', wk, 'draining', '1')
  redis.call('SREM', k('waiting'), wid)
else
  redis.call('HDEL', wk, 'draining')
  local l = k('wake:' .. wid)
  redis.call('LPUSH', l, '1')
  redis.call('LTRIM', l, 0, 0)
end
return 1
`

// remove: ARGV[4] worker. Forgets a worker identity (a dead one, normally):
// its leases go back to the queue at the next reaper pass. Returns 1, or 0
// for an unknown worker.
const luaRemove = `
local wid = ARGV[4]
if redis.call('EXISTS', k('worker:' .. wid)) == 0 and not redis.call('ZSCORE', k('workers'), wid) then return 0 end
retire(wid)
return 1
`

// cancel: ARGV[4] id. Returns {'unknown'}, {'queued', attempt} or {'leased', attempt, worker,
// started ms}.
const luaCancel = `
local id = ARGV[4]
local h = k('exp:' .. id)
local v = redis.call('HMGET', h, 'state', 'attempt', 'worker', 'class', 'started')
if not v[1] then return {'unknown'} end
local now = now_ms()
stat('cancelled')
if v[1] == 'leased' then
  finish(id, h)
  emit('cancelled', id, v[2], v[3], 'cancelled', 'cancelled', '', now)
  local wk = k('worker:' .. v[3])
  if redis.call('EXISTS', wk) == 1 then
    local l = k('ctl:' .. v[3])
    redis.call('RPUSH', l, cjson.encode({type = 'cancel', experiment = id, attempt = tonumber(v[2])}))
    redis.call('LTRIM', l, -1000, -1)
  end
  return {'leased', v[2], v[3], v[5] or '0'}
end
pend_rem(id, v[4])
redis.call('DEL', h)
emit('cancelled', id, v[2], '', 'cancelled', 'cancelled', '', now)
return {'queued', v[2]}
`

// register: ARGV[4] id, [5] name, [6] host, [7] pid, [8] slots, [9] gpus, [10] caps, [11] version.
// Returns the retired previous identity of the same name, or ”.
const luaRegister = `
local wid, name = ARGV[4], ARGV[5]
local now = now_ms()
local old = redis.call('HGET', k('names'), name)
if old and old ~= wid then retire(old) else old = '' end
redis.call('HSET', k('names'), name, wid)
local wk = k('worker:' .. wid)
redis.call('HSET', wk, 'name', name, 'host', ARGV[6], 'pid', ARGV[7], 'slots', ARGV[8],
  'gpus', ARGV[9], 'caps', ARGV[10], 'version', ARGV[11], 'started', s(now),
  'busy_gpus', '0', 'quarantined_until', '0')
redis.call('ZADD', k('workers'), s(now), wid)
stat('registered')
return old
`

// deregister: ARGV[4] worker. Hands its leases back without counting a retry.
// Returns the number of attempts handed back.
const luaDeregister = `
local wid = ARGV[4]
local wk = k('worker:' .. wid)
local now = now_ms()
local n = 0
for _, id in ipairs(redis.call('HKEYS', wk .. ':running')) do
  local h = k('exp:' .. id)
  local v = redis.call('HMGET', h, 'state', 'worker', 'attempt')
  if v[1] == 'leased' and v[2] == wid then
    requeue(id, h)
    emit('requeued', id, v[3], wid, '', 'worker_stopped', '', now)
    n = n + 1
  end
end
retire(wid)
return n
`

// reap: ARGV[4] max retries, [5] worker ttl ms, [6] limit.
// Returns {now, {kind, ...}...}: {'worker', id} for an expired worker record,
// {'requeued'|'failed', id, attempt, worker, deadline, reason} for a lease,
// {'orphan', id} for a lease without a leased experiment.
const luaReap = `
local now = now_ms()
local max, limit = tonumber(ARGV[4]), tonumber(ARGV[6])
local out = {}
local dead = redis.call('ZRANGEBYSCORE', k('workers'), '-inf', s(now - tonumber(ARGV[5])), 'LIMIT', 0, limit)
for _, w in ipairs(dead) do
  retire(w)
  table.insert(out, {'worker', w})
end
local ls = redis.call('ZRANGEBYSCORE', k('leases'), '-inf', s(now), 'WITHSCORES', 'LIMIT', 0, limit)
for i = 1, #ls, 2 do
  local id, dl = ls[i], ls[i + 1]
  local h = k('exp:' .. id)
  local v = redis.call('HMGET', h, 'state', 'attempt', 'worker')
  if v[1] ~= 'leased' then
    redis.call('ZREM', k('leases'), id)
    stat('malformed')
    table.insert(out, {'orphan', id})
  else
    local reason = 'lease_expired'
    if redis.call('EXISTS', k('worker:' .. v[3])) == 0 then reason = 'worker_gone' end
    local what = retry_or_fail(id, h, max, 'infra', reason, '', now, 'lost')
    stat('reaped')
    table.insert(out, {what, id, v[2], v[3], dl, reason})
  end
end
return {s(now), out}
`

// finish: ARGV[4] id. Asks the worker holding a leased experiment to stop
// searching and keep the best model so far. Returns 1 when a message was
// sent, 0 when the experiment is not leased.
const luaFinish = `
local id = ARGV[4]
local h = k('exp:' .. id)
local v = redis.call('HMGET', h, 'state', 'attempt', 'worker')
if v[1] ~= 'leased' then return 0 end
local l = k('ctl:' .. v[3])
redis.call('RPUSH', l, cjson.encode({type = 'finish', experiment = id, attempt = tonumber(v[2])}))
redis.call('LTRIM', l, -1000, -1)
return 1
`

// peek: ARGV[4] worker. Read-only: the payload of the oldest queued
// experiment this worker could run with all its GPUs free, or nil. Workers
// use it to fetch the next dataset while their processors are busy.
const luaPeek = `
local wi = redis.call('HMGET', k('worker:' .. ARGV[4]), 'caps', 'gpus')
if not wi[2] then return false end
local gpus = tonumber(wi[2]) or 0
local have = {}
for c in string.gmatch(wi[1] or '', '[^,]+') do have[c] = true end
local best, bp, bs = nil, 0, 0
for _, lane in ipairs(redis.call('SMEMBERS', k('classes'))) do
  local g, caps, p = lane_parse(lane)
  if g ~= nil and g <= gpus then
    local ok = true
    for c in string.gmatch(caps, '[^,]+') do
      if not have[c] then ok = false; break end
    end
    if ok then
      local head = redis.call('ZRANGE', k('pending:' .. lane), 0, 0, 'WITHSCORES')
      if #head > 0 then
        local sq = tonumber(head[2])
        if best == nil or p < bp or (p == bp and sq < bs) then
          best, bp, bs = head[1], p, sq
        end
      end
    end
  end
end
if best == nil then return false end
return redis.call('HGET', k('exp:' .. best), 'payload')
`

type scriptSet struct {
	enqueue, claim, heartbeat, complete, completeClaim, fail, failClaim, release, event, cancel, finish, peek, register, deregister, reap *redis.Script
	reprioritize, sched, drain, remove                                                                                                    *redis.Script
}

// scriptSources is every script's full text by name.
func scriptSources() map[string]string {
	h := func(names ...string) []string { return names }
	return map[string]string{
		"enqueue":       luaScript(h("pend_add", "wake_all"), luaEnqueue),
		"claim":         luaScript(h("emit", "lane_parse"), luaClaimFn, luaClaim),
		"heartbeat":     luaScript(h("valid"), luaHeartbeat),
		"complete":      luaScript(h("valid", "finish", "emit"), luaCompleteFn, luaComplete),
		"completeClaim": luaScript(h("valid", "finish", "emit", "lane_parse"), luaCompleteFn, luaClaimFn, luaCompleteClaim),
		"fail":          luaScript(h("valid", "note_failure", "retry_or_fail"), luaFailFn, luaFail),
		"failClaim":     luaScript(h("valid", "note_failure", "retry_or_fail", "lane_parse"), luaFailFn, luaClaimFn, luaFailClaim),
		"release":       luaScript(h("valid", "requeue", "emit"), luaRelease),
		"event":         luaScript(h("valid"), luaEvent),
		"cancel":        luaScript(h("finish", "emit", "pend_rem"), luaCancel),
		"finish":        luaScript(nil, luaFinish),
		"peek":          luaScript(h("lane_parse"), luaPeek),
		"reprioritize":  luaScript(h("lane_parse", "pend_rem", "pend_add", "wake_all"), luaReprioritize),
		"sched":         luaScript(h("wake_all"), luaSched),
		"drain":         luaScript(nil, luaDrain),
		"remove":        luaScript(h("retire"), luaRemove),
		"register":      luaScript(h("retire"), luaRegister),
		"deregister":    luaScript(h("requeue", "emit", "retire"), luaDeregister),
		"reap":          luaScript(h("retire", "retry_or_fail"), luaReap),
	}
}

func newScripts() *scriptSet {
	src := scriptSources()
	n := func(name string) *redis.Script { return redis.NewScript(src[name]) }
	return &scriptSet{
		enqueue:       n("enqueue"),
		claim:         n("claim"),
		heartbeat:     n("heartbeat"),
		complete:      n("complete"),
		completeClaim: n("completeClaim"),
		fail:          n("fail"),
		failClaim:     n("failClaim"),
		release:       n("release"),
		event:         n("event"),
		cancel:        n("cancel"),
		finish:        n("finish"),
		peek:          n("peek"),
		register:      n("register"),
		deregister:    n("deregister"),
		reap:          n("reap"),
		reprioritize:  n("reprioritize"),
		sched:         n("sched"),
		drain:         n("drain"),
		remove:        n("remove"),
	}
}
