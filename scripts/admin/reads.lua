-- Reads for the admin benchmark: movie details, movie list pages, genres and top-rated, over the
-- movie ids in the file named by BENCH_IDS.
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local counter = 0

request = function()
    counter = counter + 1
    local kind = counter % 4
    if kind == 0 then
        return wrk.format("GET", "/api/movies/" .. ids[math.random(#ids)])
    elseif kind == 1 then
        return wrk.format("GET", "/api/movies?page=" .. math.random(50) .. "&sort=-rating_count")
    elseif kind == 2 then
        return wrk.format("GET", "/api/genres")
    end
    return wrk.format("GET", "/api/top-rated?limit=20")
end
