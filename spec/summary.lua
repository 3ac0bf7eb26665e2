-- busted output handler: the plain terminal report, then one closing line
-- "N passed, N failed" (with ", N skipped" when tests were pending) that CI
-- reads. Errors count as failures.
return function(options)
    local busted = require("busted")
    local handler = require("busted.outputHandlers.plainTerminal")(options)

    busted.subscribe({ "suite", "end" }, function()
        local failed = handler.failuresCount + handler.errorsCount
        local line = ("%d passed, %d failed"):format(handler.successesCount, failed)

        if handler.pendingsCount > 0 then
            line = line .. (", %d skipped"):format(handler.pendingsCount)
        end
        io.write(line, "\n")
        io.flush()
        return nil, true
    end)

    return handler
end
