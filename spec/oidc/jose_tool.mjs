// Key and token maker for the cam.oidc tests, built on the jose package.
//
//   node jose_tool.mjs keys            private JWKs, one per algorithm
//   node jose_tool.mjs sign            signs the token requests read from
//                                      stdin (a JSON list), one token a line
//   node jose_tool.mjs thumbprint ALG F...
//                                      RFC 7638 thumbprints of PEM public
//                                      keys or certificates, one a line
//
// Output is JSON or plain lines on stdout; failures go to stderr with exit
// status 1.
import { readFileSync } from 'node:fs';
import * as jose from 'jose';

const KEY_SPECS = [
  { kid: 'rsa-rs256', alg: 'RS256' },
  { kid: 'rsa-ps256', alg: 'PS256' },
  { kid: 'ec-p256', alg: 'ES256' },
  { kid: 'ec-p384', alg: 'ES384' },
  { kid: 'rsa-enc', alg: 'RSA-OAEP', use: 'enc' },
];

async function makeKeys() {
  const keys = [];
  for (const spec of KEY_SPECS) {
    const { privateKey } = await jose.generateKeyPair(spec.alg, {
      extractable: true,
      modulusLength: 2048,
    });
    const jwk = await jose.exportJWK(privateKey);
    keys.push({ ...jwk, kid: spec.kid, alg: spec.alg, use: spec.use || 'sig' });
  }
  return { keys };
}

function b64url(bytes) {
  return Buffer.from(bytes).toString('base64url');
}

// Change a claim after signing: the payload stays valid JSON, so only the
// signature check can notice.
function tamper(token) {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  claims.sub = `${claims.sub}-admin`;
  return [header, b64url(JSON.stringify(claims)), signature].join('.');
}

// One token request: { key, alg, header, claims, mode }, where mode is
// "sign" (default), "none" (unsigned), "hmac_public" (HS256 keyed with the
// public JWK's JSON text) or "tamper" (signed, then the sub claim changed).
async function signOne(request) {
  const header = { alg: request.alg, typ: 'JWT', ...(request.header || {}) };
  const claims = request.claims || {};
  const mode = request.mode || 'sign';

  if (mode === 'none') {
    const head = b64url(JSON.stringify({ ...header, alg: 'none' }));
    return `${head}.${b64url(JSON.stringify(claims))}.`;
  }
  if (mode === 'hmac_public') {
    const { d, p, q, dp, dq, qi, ...publicJwk } = request.key;
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    return new jose.SignJWT(claims)
      .setProtectedHeader({ ...header, alg: 'HS256' })
      .sign(secret);
  }

  const key = await jose.importJWK(request.key, request.alg);
  const token = await new jose.SignJWT(claims)
    .setProtectedHeader(header)
    .sign(key);
  return mode === 'tamper' ? tamper(token) : token;
}

async function thumbprint(alg, file) {
  const pem = readFileSync(file, 'utf8');
  const key = pem.includes('BEGIN CERTIFICATE')
    ? await jose.importX509(pem, alg, { extractable: true })
    : await jose.importSPKI(pem, alg, { extractable: true });
  return jose.calculateJwkThumbprint(await jose.exportJWK(key), 'sha256');
}

async function main() {
  const [command, ...args] = process.argv.slice(2);

  if (command === 'keys') {
    process.stdout.write(JSON.stringify(await makeKeys()) + '\n');
  } else if (command === 'sign') {
    const requests = JSON.parse(readFileSync(0, 'utf8'));
    for (const request of requests) {
      process.stdout.write((await signOne(request)) + '\n');
    }
  } else if (command === 'thumbprint') {
    for (const file of args.slice(1)) {
      process.stdout.write((await thumbprint(args[0], file)) + '\n');
    }
  } else {
    throw new Error(`unknown command ${command}; use keys, sign or thumbprint`);
  }
}

main().catch((err) => {
  process.stderr.write(`jose_tool: ${err.stack || err}\n`);
  process.exit(1);
});
