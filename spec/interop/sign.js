#!/usr/bin/env node
// Print the official Node.js SDK's TC3-HMAC-SHA256 Authorization value for
// each request described on stdin, one JSON object per line:
//   {"secret_id", "secret_key", "service", "host", "timestamp", "body",
//    "content_type", "method", "query"}
// Output: one Authorization value per input line, in order.
//
// The SDK's Sign.sign3 hashes a Buffer payload as is (any other payload is
// JSON-serialised first), so the body goes in as a Buffer of its UTF-8 bytes.
// It signs URL.hostname, so a port in "host" does not take part; the query
// goes through WHATWG URL parsing, so it must already be percent-encoded.
"use strict";

const readline = require("readline");
const Sign = require("tencentcloud-sdk-nodejs-common/tencentcloud/common/sign").default;

const REQUIRED = ["secret_id", "secret_key", "service", "host", "timestamp", "content_type"];

function authorization(request) {
    for (const name of REQUIRED) {
        if (request[name] === undefined || request[name] === null) {
            throw new Error(`sign.js: field ${name} is missing in ${JSON.stringify(request)}`);
        }
    }

    const query = request.query ? `?${request.query}` : "";
    return Sign.sign3({
        method: request.method || "POST",
        url: `https://${request.host}/${query}`,
        payload: Buffer.from(request.body || "", "utf8"),
        timestamp: request.timestamp,
        service: request.service,
        secretId: request.secret_id,
        secretKey: request.secret_key,
        multipart: false,
        headers: { "Content-Type": request.content_type },
    });
}

const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const lines = [];
input.on("line", (line) => {
    if (line.trim() !== "") {
        lines.push(authorization(JSON.parse(line)));
    }
});
input.on("close", () => {
    process.stdout.write(lines.map((line) => line + "\n").join(""));
});
