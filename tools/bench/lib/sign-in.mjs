// Shared by the sign-in step scenarios: users prepared through auth-service's public API, the
// bare baseline (Fastify + one pg UPDATE on the same database) and the loads that send each
// prepared request once.
import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generate } from 'otplib';
import pg from 'pg';
import { ROOT } from './context.mjs';

export const PASSWORD = 'correct horse battery staple';
export const J = { 'content-type': 'application/json' };

/**
 * Preparation requests go through node:http with an agent of their own (closed by `preparing`),
 * not fetch's shared pool: after an autocannon run in the same process, fetch's pooled sockets
 * to a service were seen to leave POSTs unsent until the server's keep-alive timeout (70 s).
 * Preparations may run side by side (auth-totp prepares for two services at once): the agent is
 * closed when the last one running ends, as destroying it also ends the sockets in use.
 */
let agent = new Agent({ keepAlive: true, maxSockets: 8 });
let preparations = 0;

export async function post(url, path, body, headers = {}) {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      `${url}${path}`,
      { method: 'POST', agent, headers: { ...J, ...headers, 'content-length': Buffer.byteLength(payload) } },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, answer: text ? JSON.parse(text) : undefined });
        });
        response.on('error', reject);
      },
    );
    outgoing.setTimeout(60_000, () => outgoing.destroy(new Error(`${path}: no answer in 60 s`)));
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

export async function call(url, path, body, headers = {}) {
  const { status, answer } = await post(url, path, body, headers);
  if (status < 200 || status > 299) throw new Error(`${path}: ${status} ${JSON.stringify(answer)}`);
  return answer;
}

/** Runs a preparation and closes its sockets afterwards (once no other preparation runs). */
export async function preparing(work) {
  preparations += 1;
  try {
    return await work();
  } finally {
    preparations -= 1;
    if (preparations === 0) {
      agent.destroy();
      agent = new Agent({ keepAlive: true, maxSockets: 8 });
    }
  }
}

/** `one(i)` for i in 0…count-1, four at a time (the preparation's Argon2id work queues on the server core anyway). */
export async function fourAtATime(count, one) {
  for (let i = 0; i < count; i += 4) await Promise.all([0, 1, 2, 3].filter((j) => i + j < count).map((j) => one(i + j)));
}

/** Enrolling the first factor proves the password again (`currentPassword`, issue #15). */
export function firstFactorCall(url, path, body, headers) {
  return call(url, path, { ...body, currentPassword: PASSWORD }, headers);
}

export function totpCode(secret, aheadSeconds) {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + aheadSeconds });
}

/**
 * Sign-up, enroll + confirm a TOTP factor (which brings the recovery codes), sign in again: per
 * user a pending token, the next step's TOTP code, its email and its ten unused recovery codes,
 * and for `codeNow` the factor's secret and when its confirmation spent a time step.
 * Four Argon2id operations per user (the sign-up's hash, three password checks).
 */
export async function prepareTotpUsers(url, count, label = 'totp') {
  return preparing(() => prepareTotp(url, count, label));
}

async function prepareTotp(url, count, label) {
  const prepared = [];
  const one = async (i) => {
    const email = `bench-${label}-${i}-${randomBytes(3).toString('hex')}@example.test`;
    await call(url, '/v1/accounts', { email, password: PASSWORD });
    const session = await call(url, '/v1/sessions', { email, password: PASSWORD });
    const auth = { authorization: `Bearer ${session.accessToken}` };
    const factor = await firstFactorCall(url, '/v1/me/factors/totp', { name: 'Bench' }, auth);
    const confirmed = await call(url, `/v1/me/factors/totp/${factor.id}/confirm`, { code: await totpCode(factor.secret, 0) }, auth);
    const confirmedAt = Date.now();
    const pending = await call(url, '/v1/sessions', { email, password: PASSWORD });
    // The confirmation spent the current step; the next one is within the accepted drift.
    prepared.push({
      email,
      pending: pending.accessToken,
      code: await totpCode(factor.secret, 30),
      recoveryCodes: confirmed.recoveryCodes ?? [],
      secret: factor.secret,
      confirmedAt,
    });
  };
  await fourAtATime(count, one);
  return prepared;
}

/**
 * A code of a prepared user's factor that the service accepts now, however long ago the user was
 * prepared (the prepared `code` is for the step after the confirmation's, accepted for 60–90 s
 * only): the current step's code, or the next step's while the current step is still the one the
 * confirmation spent (the service looks one step ahead).
 */
export function codeNow(user) {
  return generate({ secret: user.secret, epoch: Math.floor(Math.max(Date.now(), user.confirmedAt + 30_000) / 1000) });
}

/**
 * A pending token (the password step of an account with a second factor) per email, in the
 * order given: one Argon2id verification each. Emails may repeat: each sign-in gets its own token.
 */
export async function pendingTokens(url, emails) {
  return preparing(async () => {
    const tokens = new Array(emails.length);
    const one = async (i) => {
      tokens[i] = (await call(url, '/v1/sessions', { email: emails[i], password: PASSWORD })).accessToken;
    };
    await fourAtATime(emails.length, one);
    return tokens;
  });
}

/** Each request a different prepared user's step (a pending token and a code are single-use). */
export function stepLoad(url, path, users, body) {
  let next = 0;
  return {
    url: `${url}${path}`,
    method: 'POST',
    connections: Math.min(10, users.length),
    amount: users.length,
    requests: [
      {
        setupRequest(request) {
          const user = users[next++ % users.length];
          return { ...request, headers: { ...J, authorization: `Bearer ${user.pending}` }, body: JSON.stringify(body(user)) };
        },
      },
    ],
  };
}

/**
 * The baseline of a sign-in step: a bare Fastify process whose one route runs one conditional
 * UPDATE (one statement, one commit) on a table shaped like totp_factor in the service's own
 * database. `ctx.startBare` runs it on the server core.
 */
export async function startBareUpdate(ctx, databaseUrl, rows) {
  const setup = new pg.Client({ connectionString: databaseUrl });
  await setup.connect();
  await setup.query(
    'create schema if not exists bench; drop table if exists bench.totp_step; create table bench.totp_step (id int primary key, last_step bigint)',
  );
  await setup.query('insert into bench.totp_step (id) select generate_series(1, $1::int)', [rows]);
  await setup.end();
  const dir = await mkdtemp(join(tmpdir(), 'kh-bench-update-'));
  const file = join(dir, 'update-step.mjs');
  await writeFile(
    file,
    `export default async function (fastify, options) {
  const { default: pg } = await import(options.pgUrl);
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
  fastify.addHook('onClose', () => pool.end());
  fastify.post('/step', async (request, reply) => {
    const { id, step } = request.body;
    const result = await pool.query('update bench.totp_step set last_step = $1 where id = $2 and (last_step is null or last_step < $1)', [step, id]);
    return reply.code(result.rowCount === 1 ? 200 : 401).send({ ok: result.rowCount === 1 });
  });
}
`,
  );
  const bare = await ctx.startBare(file, { databaseUrl, pgUrl: pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('pg')).href });
  let step = Math.floor(Date.now() / 30_000);
  return {
    url: bare.url,
    /** `count` requests, each one successful UPDATE of a different row (a new step each call). */
    load(count) {
      step += 1;
      let id = 0;
      const current = step;
      return {
        url: `${bare.url}/step`,
        method: 'POST',
        connections: Math.min(10, count),
        amount: count,
        requests: [
          {
            setupRequest(request) {
              id = (id % rows) + 1;
              return { ...request, headers: J, body: JSON.stringify({ id, step: current }) };
            },
          },
        ],
      };
    },
    async stop() {
      await bare.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const round2 = (value) => (value === undefined ? undefined : Number(value.toFixed(2)));

/** `total` ms of CPU per request, as `node + db` when part of it was the embedded PostgreSQL's. */
export function cpuSplit({ cpuMsPerRequest: total, databaseCpuMsPerRequest: database }) {
  if (total === undefined) return undefined;
  return database ? `${round2(total)} = ${round2(total - database)} + ${round2(database)} db` : round2(total);
}

/** The row of a step scenario's table. */
export function stepRow(ctx, measured, baseline, extra = {}) {
  return {
    requests: measured.total,
    'non-2xx': measured.non2xx + measured.errors,
    'req/s': Math.round(measured.rps),
    'bare req/s': Math.round(baseline.rps),
    'req/s ratio': ctx.ratio(measured.rps, baseline.rps),
    'p50 ms': measured.p50,
    'p99 ms': measured.p99,
    'bare p99 ms': baseline.p99,
    // Server-side CPU per request (services, bare hosts and the embedded PostgreSQL; not the
    // machine's own PostgreSQL server): steadier than req/s when the machine is not idle. Split
    // into Node.js + database where the database is the embedded one.
    'CPU ms/req': cpuSplit(measured),
    'bare CPU ms/req': cpuSplit(baseline),
    ...extra,
  };
}
