// auth-service: the WebAuthn second step end to end — POST /v1/sessions/mfa/webauthn/options
// (pending-token check, a challenge stored) then POST /v1/sessions/mfa/webauthn (pending-token
// spend, attempt claim, challenge taken, credential lookup, @simplewebauthn/server verification,
// counter UPDATE, audit, ES256 token) — next to a bare Fastify process doing the same two
// requests per step with the minimum work: a random challenge, then one raw node:crypto ES256
// verify of the same kind of signature and one pg UPDATE on the same database.
//
// Every measured step is a successful second step of its own user (a pending token is
// single-use). Users and keys are prepared first through the public API with a software
// authenticator (node:crypto ES256, `none` attestation as CBOR); the load generator signs each
// challenge as it arrives.
//
// Both sides warm first (lib/warm-steps.mjs): 3 rounds of 200 uncounted steps (the users of the
// first round signed in again for the next two: a key signs any number of assertions) and 3,000
// bare requests (1,500 steps), then a row of 200 steps (40 warm, 160 measured) and the bare
// baseline's 3,000 uncounted requests and 3,000 measured.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { loadAmount, ROOT } from '../lib/context.mjs';
import { call, cpuSplit, firstFactorCall, fourAtATime, pendingTokens, preparing } from '../lib/sign-in.mjs';
import { bareRequests, measureBare, measureSteps, stepsPerRow, warmUp } from '../lib/warm-steps.mjs';

export const title = 'webauthn-assertion: the WebAuthn second step (options + verify) vs bare Fastify (a challenge, then one raw ES256 verify + one UPDATE)';

const PASSWORD = 'correct horse battery staple';
const ORIGIN = 'http://localhost:3000';
const RP_ID = 'localhost';
const J = { 'content-type': 'application/json' };

export default async function webauthnAssertion(ctx) {
  const users = stepsPerRow(ctx);
  const service = await ctx.startService('auth-service', { AUTH_THROTTLE_LIMIT: '1000000', AUTH_WEBAUTHN_RP_ID: RP_ID, AUTH_WEBAUTHN_ORIGINS: ORIGIN });
  // The measured users first: the bare baseline verifies with their keys from its start, and is
  // warmed beside the step (their pending tokens live 5 minutes, the warm rounds take about one).
  const prepared = await prepareUsers(service.url, users, 'wa');
  const bare = await startBareWebauthn(ctx, await ctx.databaseUrlOf(service), prepared);
  // Two requests per bare step: its loads are bareRequests requests, as the other step scenarios'.
  const bareLoad = () => assertionLoad(bare.url, prepared, BARE_ROUTE, bareRequests(ctx) / 2);
  try {
    let warming = [];
    const warmRound = async (round) => {
      if (round === 0) warming = await prepareUsers(service.url, users, 'warm');
      else {
        const tokens = await pendingTokens(
          service.url,
          warming.map((user) => user.email),
        );
        warming = warming.map((user, i) => ({ ...user, pending: tokens[i] }));
      }
      return loadAmount(assertionLoad(service.url, warming, SERVICE_ROUTE));
    };
    await warmUp(ctx, 'WebAuthn requests', warmRound, bareLoad);
    const measured = await measureSteps(prepared, (list) => assertionLoad(service.url, list, SERVICE_ROUTE), 'WebAuthn requests');
    const baseline = await measureBare(bareLoad);
    // Two requests per step on both sides: the request rates compare the step rates.
    const ratio = ctx.ratio(measured.rps, baseline.rps);
    ctx.result({
      measure: 'auth-service WebAuthn step (options + verify) vs bare Fastify (ES256 verify + one UPDATE)',
      value: ratio,
      goal: { min: 0.6 },
      detail: `${Math.round(measured.rps / 2)} vs ${Math.round(baseline.rps / 2)} steps/s`,
    });
    ctx.table(title, [
      {
        steps: measured.total / 2,
        'non-2xx': measured.non2xx + measured.errors,
        'steps/s': Math.round(measured.rps / 2),
        'bare steps/s': Math.round(baseline.rps / 2),
        'steps/s ratio': ratio,
        'p50 ms (per request)': measured.p50,
        'p99 ms (per request)': measured.p99,
        'bare p99 ms': baseline.p99,
        // Per request (two per step), as the other step scenarios print it.
        'CPU ms/req': cpuSplit(measured),
        'bare CPU ms/req': cpuSplit(baseline),
      },
    ]);
  } finally {
    await bare.stop();
    await service.stop();
  }
}

/**
 * Per connection, per step: the options request of the next prepared user, then the assertion
 * over the challenge it answered, signed by that user's key. `route` says where both requests go
 * and what they carry: auth-service's API (SERVICE_ROUTE) or the bare baseline's (BARE_ROUTE).
 */
function assertionLoad(url, users, route, steps = users.length) {
  let next = 0;
  // autocannon splits `amount` evenly over the connections; each must get whole steps (an even
  // count), or one ends on an options request for a user past the end — a user whose pending
  // token another connection already spent, refused with 401. So as many connections (at most
  // 10) as divide the steps. More steps than users (the bare baseline only) wrap around.
  const connections = [10, 8, 5, 4, 2, 1].find((count) => steps % count === 0);
  return {
    url,
    method: 'POST',
    connections,
    amount: steps * 2,
    requests: [
      {
        path: route.options,
        setupRequest(request, context) {
          context.user = users[next++ % users.length];
          return { ...request, headers: route.headers(context.user), body: '{}' };
        },
        onResponse(_status, body, context) {
          context.challenge = JSON.parse(body).challenge;
        },
      },
      {
        path: route.verify,
        setupRequest(request, context) {
          const assertion = context.user.key.assert(context.challenge);
          return { ...request, headers: route.headers(context.user), body: route.verifyBody(context.user, assertion) };
        },
      },
    ],
  };
}

const SERVICE_ROUTE = {
  options: '/v1/sessions/mfa/webauthn/options',
  verify: '/v1/sessions/mfa/webauthn',
  headers: (user) => ({ ...J, authorization: `Bearer ${user.pending}` }),
  verifyBody: (_user, { response }) => JSON.stringify({ response }),
};

const BARE_ROUTE = {
  options: '/options',
  verify: '/verify',
  headers: () => J,
  verifyBody: (user, { signedData, signature }) =>
    JSON.stringify({ id: user.row, credential: user.key.id, signedData: signedData.toString('base64'), signature: signature.toString('base64') }),
};

/** Sign-up, register a security key, sign in: a pending token and a key per user. */
function prepareUsers(url, count, label) {
  return preparing(() => prepareKeys(url, count, label));
}

async function prepareKeys(url, count, label) {
  const prepared = [];
  const one = async (i) => {
    const email = `bench-${label}-${i}-${randomBytes(3).toString('hex')}@example.test`;
    await call(url, '/v1/accounts', { email, password: PASSWORD });
    const session = await call(url, '/v1/sessions', { email, password: PASSWORD });
    const auth = { authorization: `Bearer ${session.accessToken}` };
    const creation = await firstFactorCall(url, '/v1/me/factors/webauthn/options', {}, auth);
    const key = newKey(creation.user.id);
    await call(url, '/v1/me/factors/webauthn', { name: 'Bench key', response: key.register(creation.challenge) }, auth);
    const pending = (await call(url, '/v1/sessions', { email, password: PASSWORD })).accessToken;
    prepared.push({ email, pending, key, row: i + 1 });
  };
  await fourAtATime(count, one);
  return prepared;
}

/** The bare baseline: a challenge per options request; per assertion one ES256 verify and one UPDATE. */
async function startBareWebauthn(ctx, databaseUrl, users) {
  const setup = new pg.Client({ connectionString: databaseUrl });
  await setup.connect();
  await setup.query(
    'create schema if not exists bench; drop table if exists bench.credential; create table bench.credential (id int primary key, sign_count bigint not null default 0)',
  );
  await setup.query('insert into bench.credential (id) select generate_series(1, $1::int)', [users.length]);
  await setup.end();
  const dir = await mkdtemp(join(tmpdir(), 'kh-bench-webauthn-'));
  const file = join(dir, 'webauthn-step.mjs');
  await writeFile(
    file,
    `import { createPublicKey, randomBytes, verify } from 'node:crypto';
export default async function (fastify, options) {
  const { default: pg } = await import(options.pgUrl);
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
  const keys = new Map(Object.entries(options.keys).map(([id, pem]) => [id, createPublicKey(pem)]));
  fastify.addHook('onClose', () => pool.end());
  fastify.post('/options', async () => ({ challenge: randomBytes(32).toString('base64url') }));
  fastify.post('/verify', async (request, reply) => {
    const { id, credential, signedData, signature } = request.body;
    const ok = verify('sha256', Buffer.from(signedData, 'base64'), keys.get(credential), Buffer.from(signature, 'base64'));
    if (!ok) return reply.code(401).send({ ok: false });
    const result = await pool.query('update bench.credential set sign_count = sign_count + 1 where id = $1', [id]);
    return reply.code(result.rowCount === 1 ? 200 : 401).send({ ok: result.rowCount === 1 });
  });
}
`,
  );
  const keys = Object.fromEntries(users.map((user) => [user.key.id, user.key.publicKeyPem]));
  const bare = await ctx.startBare(file, { databaseUrl, keys, pgUrl: pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('pg')).href });
  return {
    url: bare.url,
    async stop() {
      await bare.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
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
  const cosePublicKey = cbor(
    new Map([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x, 'base64url')],
      [-3, Buffer.from(jwk.y, 'base64url')],
    ]),
  );
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
    id,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }),
    register(challenge) {
      const length = Buffer.from([credentialId.length >> 8, credentialId.length & 255]);
      const attestationObject = cbor({
        fmt: 'none',
        attStmt: {},
        authData: authData(0x41, Buffer.concat([Buffer.alloc(16), length, credentialId, cosePublicKey])),
      });
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
