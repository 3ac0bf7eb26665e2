--- "Did you mean" suggestions: the accepted name closest to a misspelt
-- one. `cam.validate` exports `suggest` as `validate.suggest`, which other
-- modules call to hint at the intended name of an unknown parameter,
-- option or preset.
-- @module cam.validate.suggest

local byte = string.byte
local find = string.find
local lower = string.lower
local type = type

local _M = {}


--- Optimal string alignment distance: the Levenshtein distance where
-- swapping two adjacent characters also costs one edit.
local function edit_distance(a, b, limit)
    local la, lb = #a, #b
    if la - lb > limit or lb - la > limit then
        return limit + 1
    end

    local before, previous, current = {}, {}, {}
    for j = 0, lb do
        previous[j] = j
    end

    for i = 1, la do
        current[0] = i
        local ca = byte(a, i)

        for j = 1, lb do
            local cb = byte(b, j)
            local cost = ca == cb and 0 or 1
            local best = previous[j - 1] + cost

            if previous[j] + 1 < best then
                best = previous[j] + 1
            end
            if current[j - 1] + 1 < best then
                best = current[j - 1] + 1
            end
            if i > 1 and j > 1 and ca == byte(b, j - 1) and byte(a, i - 1) == cb
                    and before[j - 2] + 1 < best then
                best = before[j - 2] + 1
            end
            current[j] = best
        end
        before, previous, current = previous, current, before
    end
    return previous[lb]
end


--- Suggest the candidate closest to a misspelt name.
-- Candidates are compared without regard to case, with the optimal string
-- alignment distance (adjacent swaps count as one edit). Only candidates
-- within max(2, #name / 3) edits, and fewer edits than the name has
-- characters, qualify. Ties go to a candidate in the same style (wire names
-- contain capitals, Lua names do not), then to the one closer with case
-- counted, then to the first in byte order.
-- @tparam string name the unknown name
-- @tparam table candidates list of accepted names
-- @treturn string|nil the best candidate, or nil when none is close enough
function _M.suggest(name, candidates)
    if type(name) ~= "string" then
        return nil
    end

    local folded = lower(name)
    local limit = #name / 3
    if limit < 2 then
        limit = 2
    end
    if limit > #name - 1 then
        limit = #name - 1
    end

    local capitals = find(name, "%u") ~= nil
    local best, best_score

    for i = 1, #candidates do
        local candidate = candidates[i]
        local distance = edit_distance(folded, lower(candidate), limit)

        if distance <= limit then
            local score = {
                distance,
                (find(candidate, "%u") ~= nil) == capitals and 0 or 1,
                edit_distance(name, candidate, #name + #candidate),
                candidate,
            }
            local better = best_score == nil
            if not better then
                for k = 1, #score do
                    if score[k] ~= best_score[k] then
                        better = score[k] < best_score[k]
                        break
                    end
                end
            end
            if better then
                best, best_score = candidate, score
            end
        end
    end
    return best
end


return _M
