#!/usr/bin/env node
// Time the official Node.js SDK's Sign.sign3 on the fixture inputs.
//   node spec/bench/sign_sdk.js BODY_FILE ITERATIONS [buffer|object]
// Prints one line: microseconds of process CPU time per call (every thread
// of the process, as process.cpuUsage counts it), then the Authorization
// value of the last call.
//
// "buffer" (the default) passes the body bytes, which Sign.sign3 hashes as
// they are: the same work as cam.sign. "object" passes the parsed
// parameters, as the SDK's own client does, so Sign.sign3 also serialises
// them with json-bigint before hashing.
"use strict";

const fs = require("fs");
const path = require("path");

const SDK = path.join(__dirname, "..", "interop", "node_modules",
    "tencentcloud-sdk-nodejs-common", "tencentcloud", "common", "sign");
const Sign = require(SDK).default;

const SECRET_ID = "AKIDCamEmulatorDemo00000000000001";
const SECRET_KEY = "CamEmulatorDemoSecretKey00000001";
const TIMESTAMP = 1700000000;

const [bodyFile, iterationsText, mode = "buffer"] = process.argv.slice(2);
const iterations = Number(iterationsText);
if (!bodyFile || !Number.isInteger(iterations) || iterations <= 0
    || (mode !== "buffer" && mode !== "object")) {
    process.stderr.write("usage: sign_sdk.js BODY_FILE ITERATIONS [buffer|object]\n");
    process.exit(2);
}

const body = fs.readFileSync(bodyFile);
const payload = mode === "buffer" ? body : JSON.parse(body.toString("utf8"));
const request = {
    method: "POST",
    url: "https://cam.tencentcloudapi.com/",
    payload,
    timestamp: TIMESTAMP,
    service: "cam",
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    multipart: false,
    headers: { "Content-Type": "application/json" },
};

let authorization = "";
for (let i = 0; i < Math.min(iterations, 2000); i++) {
    authorization = Sign.sign3(request);
}

const started = process.cpuUsage();
for (let i = 0; i < iterations; i++) {
    authorization = Sign.sign3(request);
}
const used = process.cpuUsage(started);

const micros = (used.user + used.system) / iterations;
process.stdout.write(`${micros.toFixed(3)} ${authorization}\n`);
