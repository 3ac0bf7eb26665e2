#!/usr/bin/env node
// GET a URL over HTTPS, trusting only the CA file given, and print
//   {"status": 200, "body": "..."}  or  {"error": {"code", "message"}}
// Usage: node https_get.js URL CA_FILE
"use strict";

const fs = require("fs");
const https = require("https");

const [url, caFile] = process.argv.slice(2);
if (!url || !caFile) {
    process.stderr.write("usage: node https_get.js URL CA_FILE\n");
    process.exit(2);
}

const request = https.get(url, { ca: fs.readFileSync(caFile), timeout: 10000 }, (response) => {
    const chunks = [];
    response.on("data", (chunk) => chunks.push(chunk));
    response.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        process.stdout.write(JSON.stringify({ status: response.statusCode, body }) + "\n");
    });
});
request.on("timeout", () => request.destroy(new Error("timed out")));
request.on("error", (err) => {
    process.stdout.write(JSON.stringify({ error: { code: err.code || "", message: err.message } })
        + "\n");
});
