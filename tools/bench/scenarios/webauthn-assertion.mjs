// auth-service: the WebAuthn second step end to end (HTTP, pending-token check and spend,
// attempt claim, challenge DELETE … RETURNING, credential lookup, @simplewebauthn/server
// verification, counter UPDATE, audit insert, ES256 token) next to the bare cryptography of the
// same assertions: node:crypto ES256 verifies of the very signatures the service checked, and the
// library's verifyAuthenticationResponse in process — ratios in the same run.
//
// Every measured request is a successful second step of its own user (a challenge and a pending
// token are single-use). Users, keys and signed assertions are prepared first through the public
// API with a software authenticator (node:crypto ES256, `none` attestation as CBOR).
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadAmount, ROOT } from '../lib/context.mjs';

export const title = 'webauthn-assertion: POST /v1/sessions/mfa/webauthn (success path) vs raw node:crypto ES256 verify of the same signatures';

const PASSWORD = 'correct horse battery staple';
const ORIGIN = 'http://localhost:3000';
const RP_ID = 'localhost';
const J = { 'content-type': 'application/json' };

export default async function webauthnAssertion(ctx) {
  const users = ctx.quick ? 40 : 200;
  const service = await ctx.startService('auth-service', { AUTH_THROTTLE_LIMIT: '1000000', AUTH_WEBAUTHN_RP_ID: RP_ID, AUTH_WEBAUTHN_ORIGINS: ORIGIN });
  const prepared = await prepareUsers(service.url, users);

  // Warm-up (JIT, pools, key caches) with a fifth of the users, then measure with the rest.
  const warm = prepared.splice(0, Math.ceil(prepared.length / 5));
  await loadAmount(serviceLoad(service.url, warm));
  const measured = await loadAmount(serviceLoad(service.url, prepared));

  // The same signatures, verified by node:crypto alone (what the protocol costs at minimum).
  const raw = rate(ctx.seconds, prepared, (user) => verify('sha256', user.signedData, user.publicKey, user.signature));
  if (!prepared.every((user) => verify('sha256', user.signedData, user.publicKey, user.signature))) throw new Error('a prepared signature does not verify');

  // The library in process (parsing, checks, COSE key import, verify), without HTTP or database.
  const { verifyAuthenticationResponse } = createRequire(join(ROOT, 'package.json'))('@simplewebauthn/server');
  const library = await rateAsync(ctx.seconds, prepared, (user) =>
    verifyAuthenticationResponse({
      response: user.response,
      expectedChallenge: user.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential: { id: user.credentialId, publicKey: user.cosePublicKey, counter: 0 },
      requireUserVerification: false,
    }),
  );

  ctx.table(title, [
    {
      requests: measured.total,
      'non-2xx': measured.non2xx + measured.errors,
      'HTTP req/s': Math.round(measured.rps),
      'library verify/s': Math.round(library),
      'raw ES256 verify/s': Math.round(raw),
      'HTTP : raw': ctx.ratio(measured.rps, raw),
      'library : raw': ctx.ratio(library, raw),
      'p50 ms': measured.p50,
      'p99 ms': measured.p99,
    },
  ]);
}

/** Operations per second of a synchronous check over the prepared items, for about `seconds`. */
function rate(seconds, items, check) {
  const start = performance.now();
  const until = start + Math.min(seconds, 3) * 1000;
  let count = 0;
  while (performance.now() < until) for (const item of items) if (check(item)) count++;
  return count / ((performance.now() - start) / 1000);
}

async function rateAsync(seconds, items, check) {
  const start = performance.now();
  const until = start + Math.min(seconds, 3) * 1000;
  let count = 0;
  while (performance.now() < until) for (const item of items) if ((await check(item)).verified) count++;
  return count / ((performance.now() - start) / 1000);
}

function serviceLoad(url, users) {
  let next = 0;
  return {
    url: `${url}/v1/sessions/mfa/webauthn`,
    method: 'POST',
    connections: Math.min(10, users.length),
    amount: users.length,
    requests: [
      {
        setupRequest(request) {
          const user = users[next++ % users.length];
          return { ...request, headers: { ...J, authorization: `Bearer ${user.pending}` }, body: JSON.stringify({ response: user.response }) };
        },
      },
    ],
  };
}

/** Sign-up, register a security key, sign in, fetch options, sign the assertion: all ready to send. */
async function prepareUsers(url, count) {
  const prepared = [];
  const one = async (i) => {
    const email = `bench-wa-${i}-${randomBytes(3).toString('hex')}@example.test`;
    await call(url, '/v1/accounts', { email, password: PASSWORD });
    const session = await call(url, '/v1/sessions', { email, password: PASSWORD });
    const auth = { authorization: `Bearer ${session.accessToken}` };
    const creation = await call(url, '/v1/me/factors/webauthn/options', { currentPassword: PASSWORD }, auth);
    const key = newKey(creation.user.id);
    await call(url, '/v1/me/factors/webauthn', { name: 'Bench key', response: key.register(creation.challenge) }, auth);
    const pending = (await call(url, '/v1/sessions', { email, password: PASSWORD })).accessToken;
    const request = await call(url, '/v1/sessions/mfa/webauthn/options', {}, { authorization: `Bearer ${pending}` });
    prepared.push({ pending, challenge: request.challenge, ...key.assert(request.challenge) });
  };
  for (let i = 0; i < count; i += 4) await Promise.all([0, 1, 2, 3].filter((j) => i + j < count).map((j) => one(i + j)));
  return prepared;
}

// --- a software authenticator (the same layouts as apps/auth-service/test/support/soft-authenticator.ts)

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
const sha256 = (data) => createHash('sha256').update(data).digest();

function cbor(value) {
  const head = (major, n) =>
    n < 24 ? Buffer.from([(major << 5) | n]) : n < 256 ? Buffer.from([(major << 5) | 24, n]) : Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  const entries = value instanceof Map ? [...value] : Object.entries(value);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

function newKey(userHandle) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  const cosePublicKey = cbor(new Map([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x, 'base64url')], [-3, Buffer.from(jwk.y, 'base64url')]]));
  const credentialId = randomBytes(16);
  const id = b64url(credentialId);
  let counter = 0;
  const authData = (flags, attested = Buffer.alloc(0)) => {
    const signCount = Buffer.alloc(4);
    signCount.writeUInt32BE(counter);
    return Buffer.concat([sha256(RP_ID), Buffer.from([flags]), signCount, attested]);
  };
  const clientData = (type, challenge) => Buffer.from(JSON.stringify({ type, challenge, origin: ORIGIN, crossOrigin: false }));
  return {
    register(challenge) {
      const length = Buffer.from([credentialId.length >> 8, credentialId.length & 255]);
      const attestationObject = cbor({ fmt: 'none', attStmt: {}, authData: authData(0x41, Buffer.concat([Buffer.alloc(16), length, credentialId, cosePublicKey])) });
      return {
        id,
        rawId: id,
        type: 'public-key',
        response: { clientDataJSON: b64url(clientData('webauthn.create', challenge)), attestationObject: b64url(attestationObject), transports: ['usb'] },
        clientExtensionResults: {},
      };
    },
    assert(challenge) {
      counter += 1;
      const data = authData(0x01);
      const clientDataJSON = clientData('webauthn.get', challenge);
      const signedData = Buffer.concat([data, sha256(clientDataJSON)]);
      const signature = sign('sha256', signedData, privateKey);
      return {
        credentialId: id,
        cosePublicKey: new Uint8Array(cosePublicKey),
        publicKey: createPublicKey(publicKey.export({ format: 'pem', type: 'spki' })),
        signedData,
        signature,
        response: {
          id,
          rawId: id,
          type: 'public-key',
          response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(data), signature: b64url(signature), userHandle },
          clientExtensionResults: {},
        },
      };
    },
  };
}

async function call(url, path, body, headers = {}) {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: { ...J, ...headers }, body: JSON.stringify(body) });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}
