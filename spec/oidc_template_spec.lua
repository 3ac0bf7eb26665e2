local json = require("cam.json")
local template = require("cam.oidc.template")

describe("cam.oidc.template", function()
    local vars = { CLIENT_ID = "cam-sso", REALM = "acme", EMPTY = "" }

    it("replaces a variable", function()
        assert.are.equal("id cam-sso", template.expand("id ${CLIENT_ID}", vars))
    end)

    it("uses a default when unset or empty", function()
        assert.are.equal("x-sub", template.expand("x-${MISSING:-sub}", vars))
        assert.are.equal("fallback", template.expand("${EMPTY:-fallback}", vars))
        assert.are.equal("acme", template.expand("${REALM:-other}", vars))
    end)

    it("keeps an empty value without a default", function()
        assert.are.equal("[]", template.expand("[${EMPTY}]", vars))
    end)

    it("allows an empty default", function()
        assert.are.equal("ab", template.expand("a${MISSING:-}b", vars))
    end)

    it("turns $${ into a literal ${", function()
        assert.are.equal("${CLIENT_ID}", template.expand("$${CLIENT_ID}", vars))
        assert.are.equal("a ${x} cam-sso", template.expand("a $${x} ${CLIENT_ID}", vars))
    end)

    it("leaves a lone dollar alone", function()
        assert.are.equal("cost $5 and $HOME", template.expand("cost $5 and $HOME", vars))
    end)

    it("does not expand a value twice", function()
        local out = template.expand("${A}", { A = "${B}", B = "no" })
        assert.are.equal("${B}", out)
    end)

    it("runs no code", function()
        local out, err = template.expand("${os.exit(1)}", vars)
        assert.is_nil(out)
        assert.are.equal("TemplateSyntaxError", err.code)
    end)

    it("expands nested tables and leaves keys alone", function()
        local input = {
            ["${CLIENT_ID}"] = "key kept",
            client_id = "${CLIENT_ID}",
            preset = { name = "keycloak", realm = "${REALM}" },
            scope = json.array({ "openid", "${SCOPE:-email}" }),
            auto_rotate_key = 1,
            enabled = true,
        }
        local out = assert(template.expand(input, vars))
        assert.are.equal("key kept", out["${CLIENT_ID}"])
        assert.are.equal("cam-sso", out.client_id)
        assert.are.equal("acme", out.preset.realm)
        assert.are.same({ "openid", "email" }, out.scope)
        assert.is_true(json.is_array(out.scope))
        assert.are.equal(1, out.auto_rotate_key)
        assert.is_true(out.enabled)
        -- The input is unchanged.
        assert.are.equal("${CLIENT_ID}", input.client_id)
    end)

    it("names a missing variable and its path", function()
        local out, err = template.expand({ preset = { realm = "${REALM}" },
            scope = { "openid", "${SCOPE}" } }, {})
        assert.is_nil(out)
        assert.are.equal("validation", err.kind)
        assert.are.equal("TemplateVariableMissing", err.code)
        assert.matches("variable [A-Z]+ is not set", err.message)
    end)

    it("gives the list index in the path", function()
        local _, err = template.expand({ scope = { "openid", "${SCOPE}" } }, {})
        assert.matches("variable SCOPE is not set %(used in scope%[2%]%)", err.message)
    end)

    it("gives the nested key in the path", function()
        local _, err = template.expand({ preset = { realm = "${REALM}" } }, {})
        assert.matches("used in preset%.realm", err.message)
    end)

    it("rejects an unterminated placeholder", function()
        local _, err = template.expand({ client_id = "${CLIENT_ID" }, vars)
        assert.are.equal("TemplateSyntaxError", err.code)
        assert.matches("unterminated %${ in client_id", err.message)
    end)

    it("rejects an invalid name", function()
        local _, err = template.expand("${1ABC}", vars)
        assert.are.equal("TemplateSyntaxError", err.code)
        assert.matches("invalid placeholder %${1ABC}", err.message)
    end)

    it("rejects the shell's := form", function()
        local _, err = template.expand("${A:=x}", vars)
        assert.are.equal("TemplateSyntaxError", err.code)
    end)

    describe("with the environment", function()
        local original_getenv = os.getenv

        after_each(function()
            os.getenv = original_getenv
        end)

        it("reads os.getenv at call time", function()
            os.getenv = function(name)
                return name == "CAM_TEST_VAR" and "first" or nil
            end
            assert.are.equal("first", template.expand("${CAM_TEST_VAR}"))

            os.getenv = function(name)
                return name == "CAM_TEST_VAR" and "second" or nil
            end
            assert.are.equal("second", template.expand("${CAM_TEST_VAR}"))
        end)

        it("reports an unset variable", function()
            os.getenv = function()
                return nil
            end
            local out, err = template.expand({ client_id = "${CAM_UNSET}" })
            assert.is_nil(out)
            assert.matches("CAM_UNSET is not set %(used in client_id%)", err.message)
        end)
    end)

    it("returns non-string values as they are", function()
        assert.are.equal(42, template.expand(42, vars))
        assert.is_nil((template.expand(nil, vars)))
    end)

    it("rejects a nested ${ in a default", function()
        local value, err = template.expand({ preset = { realm = "${A:-${B}}" } }, vars)
        assert.is_nil(value)
        assert.are.equal("TemplateSyntaxError", err.code)
        assert.matches("nested %${ in the default of %${A:%-...} in preset%.realm",
            err.message)
    end)

    it("rejects a table nested too deep", function()
        local root = {}
        local node = root
        for _ = 1, 100000 do
            node.next = {}
            node = node.next
        end
        local value, err = template.expand(root, vars)
        assert.is_nil(value)
        assert.are.equal("TemplateTooDeep", err.code)
        assert.matches("more than 100 levels deep at next%.next%.next", err.message)
    end)

    it("accepts nesting up to the cap", function()
        local root = {}
        local node = root
        for _ = 1, template.MAX_DEPTH - 1 do
            node.next = {}
            node = node.next
        end
        node.value = "${A:-x}"
        assert.is_table((template.expand(root, {})))
    end)

    it("raises on a cycle", function()
        local t = {}
        t.self = t
        assert.has_error(function()
            template.expand(t, vars)
        end)
    end)

    it("raises when vars is not a table", function()
        assert.has_error(function()
            template.expand("x", "vars")
        end, "template.expand: vars must be a table or nil, got string")
    end)
end)
