-- wrk script: reads that rotate over movie lists, movie details, /api/top-rated and /api/genres.
--
-- BENCH_MOVIE_IDS names a file of real movie ids, one a line; list pages are drawn from as many
-- pages of 20 as those ids fill.

local threads, ids, pages, counter = {}, {}, 1, 0

function setup(thread)
    threads[#threads + 1] = thread
    thread:set("thread_number", #threads)
end

function init(args)
    for line in io.lines(os.getenv("BENCH_MOVIE_IDS")) do
        ids[#ids + 1] = line
    end
    pages = math.max(1, math.ceil(#ids / 20))
    math.randomseed(os.time() * 100 + thread_number)
    counter = thread_number
end

-- Out of every ten requests: four details, three list pages, two top-rated, one genre list.
function request()
    counter = counter + 1
    local slot, path = counter % 10
    if slot < 4 then
        path = "/api/movies/" .. ids[math.random(#ids)]
    elseif slot < 7 then
        path = "/api/movies?page=" .. math.random(pages)
    elseif slot < 9 then
        path = "/api/top-rated"
    else
        path = "/api/genres"
    end
    return wrk.format("GET", path)
end
