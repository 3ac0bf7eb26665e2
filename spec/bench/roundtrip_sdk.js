#!/usr/bin/env node
// Time sequential UpdateUserOIDCConfig calls through the official Node.js
// SDK's CommonClient against a server on loopback.
//   node spec/bench/roundtrip_sdk.js http|https PORT CALLS BODY_FILE [CA_FILE]
// Prints one line: calls per second, then the median and 99th percentile
// latency in microseconds (wall clock, process.hrtime).
//
// The client talks to cam.tencentcloudapi.com:PORT through a keep-alive
// agent with one socket, whose lookup resolves every name to 127.0.0.1; a
// connection to any other address stops the run. The parameters are the
// fixture body's, parsed, so the SDK sends the same JSON. The first 200
// calls open the connection and are not timed.
"use strict";

const assert = require("assert");
const fs = require("fs");
const http = require("http");
const https = require("https");
const path = require("path");

const { CommonClient } = require(path.join(__dirname, "..", "interop", "node_modules",
    "tencentcloud-sdk-nodejs-common"));

const HOST = "cam.tencentcloudapi.com";
const LOOPBACK = "127.0.0.1";
const WARM_UP = 200;

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

function makeAgent(scheme, caFile) {
    const options = { lookup: loopbackLookup, keepAlive: true, maxSockets: 1 };
    let agent;
    if (scheme === "https") {
        options.ca = fs.readFileSync(caFile);
        agent = new https.Agent(options);
    } else {
        agent = new http.Agent(options);
    }
    const createConnection = agent.createConnection.bind(agent);
    agent.createConnection = (connectOptions, callback) => {
        const socket = createConnection(connectOptions, callback);
        socket.once("connect", () => {
            assert.strictEqual(socket.remoteAddress, LOOPBACK);
        });
        return socket;
    };
    return agent;
}

async function main() {
    const [scheme, portText, callsText, bodyFile, caFile] = process.argv.slice(2);
    const port = Number(portText);
    const calls = Number(callsText);
    assert.ok(scheme === "http" || scheme === "https", "scheme must be http or https");
    assert.ok(Number.isInteger(port) && Number.isInteger(calls) && calls > 0,
        "usage: roundtrip_sdk.js http|https PORT CALLS BODY_FILE [CA_FILE]");

    const params = JSON.parse(fs.readFileSync(bodyFile, "utf8"));
    const client = new CommonClient(`${HOST}:${port}`, "2019-01-16", {
        credential: {
            secretId: "AKIDCamEmulatorDemo00000000000001",
            secretKey: "CamEmulatorDemoSecretKey00000001",
        },
        profile: {
            httpProfile: {
                protocol: `${scheme}://`,
                agent: makeAgent(scheme, caFile),
                reqTimeout: 10,
            },
        },
    });

    const call = async () => {
        const result = await client.request("UpdateUserOIDCConfig", params);
        assert.ok(result.RequestId, "no RequestId in the response");
    };

    for (let i = 0; i < WARM_UP; i++) {
        await call();
    }

    const latencies = new Array(calls);
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) {
        const t0 = process.hrtime.bigint();
        await call();
        latencies[i] = Number(process.hrtime.bigint() - t0) / 1e3;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;

    latencies.sort((a, b) => a - b);
    const percentile = (p) => latencies[Math.max(0, Math.ceil(calls * p) - 1)];
    process.stdout.write(`${(calls / seconds).toFixed(1)} ${percentile(0.5).toFixed(1)} `
        + `${percentile(0.99).toFixed(1)}\n`);
}

main().catch((err) => {
    process.stderr.write(`roundtrip_sdk.js: ${err.stack || err}\n`);
    process.exit(1);
});
