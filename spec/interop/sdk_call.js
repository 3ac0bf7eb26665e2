#!/usr/bin/env node
// Call the CAM emulator through the official Node.js SDK's CommonClient.
//
// Input on stdin, one JSON object:
//   {"port": 41235, "scheme": "http"|"https", "ca_file": "/path/ca.pem",
//    "secret_id": "...", "secret_key": "...", "token": "..."|null,
//    "action": "CreateUserOIDCConfig", "params": {...}, "tamper": false,
//    "timeout": 10}
// Output on stdout, one JSON object:
//   {"result": {...Response fields...}}                 on success
//   {"error": {"code", "message", "requestId", "httpCode"}} on an SDK error
//
// The client talks to cam.tencentcloudapi.com:<port>, so the SDK derives the
// service name "cam" and sends a real Host header, while the agent's lookup
// resolves every name to 127.0.0.1 and the script checks that each socket
// went there. With "tamper" set, one byte is added to the JSON body after
// the SDK signed it, so the emulator must respond with
// AuthFailure.SignatureFailure.
"use strict";

const assert = require("assert");
const fs = require("fs");
const http = require("http");
const https = require("https");

const { CommonClient } = require("tencentcloud-sdk-nodejs-common");
const fetchModule = require("tencentcloud-sdk-nodejs-common/tencentcloud/common/http/fetch");

const HOST = "cam.tencentcloudapi.com";
const LOOPBACK = "127.0.0.1";
const VERSION = "2019-01-16";

function readInput() {
    const text = fs.readFileSync(0, "utf8");
    const input = JSON.parse(text);
    assert.ok(Number.isInteger(input.port), "port must be an integer");
    assert.ok(input.scheme === "http" || input.scheme === "https", "scheme must be http or https");
    assert.ok(typeof input.action === "string", "action must be a string");
    return input;
}

// Resolve every host name to the loopback address, whatever name is requested.
function loopbackLookup(hostname, options, callback) {
    if (typeof options === "function") {
        callback = options;
        options = {};
    }
    assert.strictEqual(hostname, HOST, `unexpected lookup of ${hostname}`);
    if (options && options.all) {
        callback(null, [{ address: LOOPBACK, family: 4 }]);
    } else {
        callback(null, LOOPBACK, 4);
    }
}

function makeAgent(input) {
    const options = { lookup: loopbackLookup, keepAlive: false };
    let agent;
    if (input.scheme === "https") {
        if (input.ca_file) {
            options.ca = fs.readFileSync(input.ca_file);
        }
        agent = new https.Agent(options);
    } else {
        agent = new http.Agent(options);
    }

    const remoteAddresses = [];
    const createConnection = agent.createConnection.bind(agent);
    agent.createConnection = (connectOptions, callback) => {
        const socket = createConnection(connectOptions, callback);
        socket.once("connect", () => {
            remoteAddresses.push(socket.remoteAddress);
            assert.strictEqual(socket.remoteAddress, LOOPBACK,
                `connected to ${socket.remoteAddress}, not ${LOOPBACK}`);
        });
        return socket;
    };
    return { agent, remoteAddresses };
}

// Change the body after signing by wrapping the SDK's own fetch function.
function installTamper() {
    const originalFetch = fetchModule.default;
    fetchModule.default = (url, options) => {
        assert.strictEqual(typeof options.body, "string", "tamper mode needs a string body");
        assert.ok(options.body.endsWith("}"), "tamper mode needs a JSON object body");
        options.body = options.body.slice(0, -1) + " }";
        return originalFetch(url, options);
    };
}

async function main() {
    const input = readInput();
    const { agent, remoteAddresses } = makeAgent(input);
    if (input.tamper) {
        installTamper();
    }

    const client = new CommonClient(`${HOST}:${input.port}`, VERSION, {
        credential: {
            secretId: input.secret_id,
            secretKey: input.secret_key,
            token: input.token || undefined,
        },
        profile: {
            httpProfile: {
                protocol: `${input.scheme}://`,
                agent,
                reqTimeout: input.timeout || 10,
            },
        },
    });

    let output;
    try {
        output = { result: await client.request(input.action, input.params || {}) };
    } catch (err) {
        output = {
            error: {
                code: err.code || "",
                message: err.message,
                requestId: err.requestId || "",
                httpCode: err.httpCode || null,
            },
        };
    }

    assert.ok(remoteAddresses.length > 0 || output.error, "no connection was made");
    for (const address of remoteAddresses) {
        assert.strictEqual(address, LOOPBACK);
    }
    process.stdout.write(JSON.stringify(output) + "\n");
}

main().catch((err) => {
    process.stderr.write(`sdk_call.js: ${err.stack || err}\n`);
    process.exit(1);
});
