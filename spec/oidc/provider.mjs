// Serve the certified OpenID provider oidc-provider over HTTPS on loopback,
// for the discovery tests of cam.oidc.
//
//   node provider.mjs CERT KEY JWKS_FILE [--host-name NAME] [--issuer URL]
//                     [--response-modes a,b] [--response-types a,b]
//
// The server listens on 127.0.0.1 at a free port and prints its base URL
// (https://NAME:PORT, NAME defaulting to 127.0.0.1) as the first line of
// stdout. The issuer is that URL unless --issuer gives another, which lets
// a test serve a discovery document whose issuer differs from where it was
// fetched. JWKS_FILE contains private JWKs; the provider publishes their
// public halves at /jwks. SIGTERM stops it.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import Provider from 'oidc-provider';

function parseArgs(argv) {
  const [cert, key, jwksFile, ...rest] = argv;
  const options = { cert, key, jwksFile, hostName: '127.0.0.1' };

  for (let i = 0; i < rest.length; i += 2) {
    const value = rest[i + 1];
    switch (rest[i]) {
      case '--host-name': options.hostName = value; break;
      case '--issuer': options.issuer = value; break;
      case '--response-modes': options.responseModes = value.split(','); break;
      case '--response-types': options.responseTypes = value.split(','); break;
      default: throw new Error(`unknown option ${rest[i]}`);
    }
  }
  if (!options.jwksFile) {
    throw new Error('usage: provider.mjs CERT KEY JWKS_FILE [options]');
  }
  return options;
}

function start(options) {
  const server = https.createServer({
    cert: readFileSync(options.cert),
    key: readFileSync(options.key),
  });

  server.listen(0, '127.0.0.1', () => {
    const base = `https://${options.hostName}:${server.address().port}`;
    const provider = new Provider(options.issuer || base, {
      jwks: JSON.parse(readFileSync(options.jwksFile, 'utf8')),
      clients: [{
        client_id: 'cam-sso',
        redirect_uris: ['https://cloud.example.com/callback'],
        response_types: ['id_token'],
        grant_types: ['implicit'],
        token_endpoint_auth_method: 'none',
      }],
      responseTypes: options.responseTypes || ['id_token', 'code'],
      scopes: ['openid', 'email', 'profile'],
      cookies: { keys: ['cam-oidc-spec-cookie-key'] },
      // Publishing an encryption key (use=enc) needs this feature.
      features: { encryption: { enabled: true } },
      enabledJWA: {
        idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256', 'ES384'],
      },
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name', 'preferred_username'],
      },
    });
    if (options.responseModes) {
      // oidc-provider lists the response modes it registered; keep only
      // the ones the test names.
      provider.use(async (ctx, next) => {
        await next();
        if (ctx.path === '/.well-known/openid-configuration' && ctx.body) {
          ctx.body.response_modes_supported = options.responseModes;
        }
      });
    }
    server.on('request', provider.callback());
    process.stdout.write(`${base}\n`);
  });

  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

try {
  start(parseArgs(process.argv.slice(2)));
} catch (err) {
  process.stderr.write(`provider: ${err.stack || err}\n`);
  process.exit(2);
}
