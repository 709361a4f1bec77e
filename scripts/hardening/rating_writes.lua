-- wrk script: rating writes with the admin token.
--
-- BENCH_WRITE_MODE=churn (the default) POSTs a rating, then DELETEs it once the 201 names its id;
-- BENCH_WRITE_MODE=create only POSTs. Ratings go to users 1,000,001 to 1,001,000, which MovieLens
-- data does not use. Each carries a unique `timestamp` (thread number × 10^9 + a counter), its tag:
-- the tag tells a create apart in the database whether or not the server reuses deleted ids (older
-- builds did).
--
-- Environment: BENCH_TOKEN, BENCH_MOVIE_IDS (a file of movie ids, one a line) and
-- BENCH_WRITES_REPORT: done() writes there the tag of every acknowledged create and delete, of every
-- request unanswered at the stop, and the count of each status, for check_writes.py.

local threads = {}

function setup(thread)
    thread:set("thread_number", #threads + 1)
    threads[#threads + 1] = thread
end

local token, mode, movie_ids, counter = nil, nil, {}, 0
local pending = {} -- "id-tag" of created ratings not yet asked to be deleted
created, deleted, creating, deleting, statuses = {}, {}, {}, {}, {}

function init(args)
    token = "Bearer " .. os.getenv("BENCH_TOKEN")
    mode = os.getenv("BENCH_WRITE_MODE") or "churn"
    for line in io.lines(os.getenv("BENCH_MOVIE_IDS")) do
        movie_ids[#movie_ids + 1] = tonumber(line)
    end
    math.randomseed(os.time() * 100 + thread_number)
end

-- The server echoes X-Request-Id, which is how response() knows which request it answers.
function request()
    if #pending > 0 then
        local id_tag = table.remove(pending)
        local id, tag = id_tag:match("^(%d+)-(%d+)$")
        deleting[tag] = true
        local headers = { ["Authorization"] = token, ["X-Request-Id"] = "delete-" .. id_tag }
        return wrk.format("DELETE", "/api/ratings/" .. id, headers)
    end
    counter = counter + 1
    local tag = string.format("%d", thread_number * 1000000000 + counter)
    creating[tag] = true
    local body = string.format('{"user_id":%d,"movie_id":%d,"rating":%.1f,"timestamp":%s}',
        1000000 + math.random(1000), movie_ids[math.random(#movie_ids)], math.random(10) / 2, tag)
    local headers = { ["Authorization"] = token, ["Content-Type"] = "application/json", ["X-Request-Id"] = "create-" .. tag }
    return wrk.format("POST", "/api/ratings", headers, body)
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
    local request_id = headers["x-request-id"] or headers["X-Request-Id"] or ""
    local kind, id_tag = request_id:match("^(%a+)-([%d-]+)$")
    if kind == "delete" then
        local tag = id_tag:match("-(%d+)$")
        deleting[tag] = nil
        if status == 204 then
            deleted[#deleted + 1] = tag
        elseif status ~= 404 then
            pending[#pending + 1] = id_tag -- a failed delete (e.g. a 500) is tried again
        end
    elseif kind == "create" then
        creating[id_tag] = nil
        local id = body:match('"id":(%d+)')
        if status == 201 and id then
            created[#created + 1] = id_tag
            if mode == "churn" then
                pending[#pending + 1] = id .. "-" .. id_tag
            end
        end
    end
end

function done(summary, latency, requests)
    local report = io.open(os.getenv("BENCH_WRITES_REPORT"), "w")
    for _, thread in ipairs(threads) do
        for _, tag in ipairs(thread:get("created")) do report:write("created ", tag, "\n") end
        for _, tag in ipairs(thread:get("deleted")) do report:write("deleted ", tag, "\n") end
        for tag in pairs(thread:get("creating")) do report:write("creating ", tag, "\n") end
        for tag in pairs(thread:get("deleting")) do report:write("deleting ", tag, "\n") end
        for status, count in pairs(thread:get("statuses")) do report:write("status ", status, " ", count, "\n") end
    end
    report:close()
end
