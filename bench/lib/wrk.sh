# bench/lib/wrk.sh - sourced by bench/api.sh and bench/scale.sh: what
# their wrk runs share.
#
#   wrk_post_script FILE   writes the Lua script that makes wrk POST the
#                          file $BODY (as JSON), with "Authorization:
#                          Bearer $TOKEN" when TOKEN is set in wrk's
#                          environment
wrk_post_script() {
	cat >"$1" <<'LUA'
local f = io.open(os.getenv("BODY"), "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
if os.getenv("TOKEN") then wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN") end
LUA
}
#
#   wrk_pages_script FILE  writes the Lua script that makes every request a
#                          page no request before it asked for: PAGES (a
#                          file, one value a line) lists the pages' starts,
#                          offsets or ids (URL-encoded) as KEY (offset or
#                          after) says; BASE is the path and query before
#                          them.  Request n of thread t of THREADS asks for
#                          start m = n * THREADS + t mod the list's length,
#                          and once the list is used up, the same pages
#                          again with limit=LIMIT written with as many
#                          leading zeros as rounds of the list went by
#                          (limit=050, 0050...): the same page, and a
#                          request target the answer cache has not seen
#                          (it is keyed by the raw target, dispatch.c).
#   wrk_bodies_script FILE writes the Lua script that POSTs the descriptor
#                          in BODY, every request with another vm.memory_mib
#                          and probed_at: memory MEM_MIN + m mod MEM_SPAN,
#                          probed_at STAMP + m / MEM_SPAN seconds, m as
#                          above plus START (so that runs do not repeat
#                          each other's bodies; no body is sent twice: the
#                          server keeps a POST's answer from its second
#                          sight, and bench/api.sh checks on /metrics that
#                          no request of the run was a hit).  The body is made of
#                          pieces split once per thread: one concatenation a
#                          request (the head made once), no pattern
#                          matching.  The body ends with 4 bytes of
#                          whitespace that m mod 256 picks (RFC 8259
#                          allows it after the value): LuaJIT's string hash
#                          reads 4 bytes at each of a string's start, end,
#                          middle and quarter (lj_str.c), so bodies that
#                          differ only elsewhere all hash alike and each
#                          new one is compared with the live ones.  That
#                          cost wrk 5.2-5.8 us of CPU a request, against
#                          3.3-4.1 with the ending (the server's answers
#                          unchanged), on the 2 cores the server shares.
#   wrk_parse NAME FILE    the line "NAME rps p50_ms p99_ms bad" from wrk
#                          --latency's output in FILE; bad counts non-2xx
#                          answers and socket errors (connect, read, write,
#                          timeout).
wrk_pages_script() {
	cat >"$1" <<'LUA'
local list = {}
for line in io.lines(os.getenv("PAGES")) do list[#list + 1] = line end
local base, key, limit = os.getenv("BASE"), os.getenv("KEY"), os.getenv("LIMIT")
local nthreads = tonumber(os.getenv("THREADS"))
local threads = 0
function setup(thread)
	thread:set("tid", threads)
	threads = threads + 1
end
local n = 0
function request()
	local m = n * nthreads + tid
	n = n + 1
	local i = m % #list
	local zeros = string.rep("0", math.floor(m / #list))
	return wrk.format("GET", base .. "limit=" .. zeros .. limit .. "&" .. key .. "=" .. list[i + 1])
end
LUA
}

wrk_bodies_script() {
	cat >"$1" <<'LUA'
local f = io.open(os.getenv("BODY"), "rb")
local body = f:read("*a")
f:close()
local a, b = body:find('"memory_mib":%s*%d+')
local c, d = body:find('"probed_at":%s*[^,]+')
assert(a and c and d < a, "the descriptor has no probed_at before vm.memory_mib")
local p1, p2, p3 = body:sub(1, c - 1) .. '"probed_at": "', '"' .. body:sub(d + 1, a - 1) .. '"memory_mib": ', body:sub(b + 1)
local nthreads, start = tonumber(os.getenv("THREADS")), tonumber(os.getenv("START"))
local mem_min, mem_span, stamp = tonumber(os.getenv("MEM_MIN")), tonumber(os.getenv("MEM_SPAN")), tonumber(os.getenv("STAMP"))
local headers = {["Content-Type"] = "application/json"}
local threads = 0
function setup(thread)
	thread:set("tid", threads)
	threads = threads + 1
end
local n = 0
-- The time changes every mem_span requests: formatted then, not each time.
-- The request's head (wrk.format()'s, with its Content-Length) is made
-- once per body length, so that a request is one concatenation, not a
-- body and then a request around it: two new 7 kB strings.  A request
-- still costs the generator about 2-3 us of CPU more than the cached
-- run's (LuaJIT makes, interns and collects each new string); requests
-- made before the run instead (a ring of 150,000 a thread) did not change
-- the rate.  The ending: see bench/lib/wrk.sh's head.
local at_s, at = nil, nil
local heads = {}
local ws, endings = { " ", "\t", "\n", "\r" }, {}
for k = 0, 255 do
	endings[k + 1] = ws[k % 4 + 1] .. ws[math.floor(k / 4) % 4 + 1] .. ws[math.floor(k / 16) % 4 + 1] .. ws[math.floor(k / 64) + 1]
end
function request()
	local m = start + n * nthreads + tid
	n = n + 1
	local s = stamp + math.floor(m / mem_span)
	if s ~= at_s then
		at_s, at = s, os.date("!%Y-%m-%dT%H:%M:%SZ", s)
	end
	local mem = tostring(mem_min + m % mem_span)
	local ending = endings[m % 256 + 1]
	local len = #p1 + #at + #p2 + #mem + #p3 + #ending
	local head = heads[len]
	if not head then
		local whole = wrk.format("POST", nil, headers, string.rep(" ", len))
		head = whole:sub(1, #whole - len)
		heads[len] = head
	end
	return head .. p1 .. at .. p2 .. mem .. p3 .. ending
end
LUA
}

wrk_parse() {
	awk -v name="$1" '
		function ms(v,   u) { u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
			return (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v }
		/Requests\/sec:/ { rps = $2 }
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/Non-2xx or 3xx responses:/ { bad += $NF }
		/Socket errors:/ { s = $0; gsub(/[^0-9 ]/, " ", s); split(s, e, " +"); for (k in e) bad += e[k] }
		END { printf "%s %s %s %s %d\n", name, rps + 0, p50 + 0, p99 + 0, bad }' "$2"
}
