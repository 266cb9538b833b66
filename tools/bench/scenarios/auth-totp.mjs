// auth-service: the TOTP second step end to end (HTTP, pending-token check, attempt claim,
// secret decryption, HMAC, the replay-guard UPDATE, audit insert, ES256 token) next to a bare
// Fastify route doing only the replay-guard UPDATE with `pg` on the same database, in one run.
//
// Every measured request is a *successful* sign-in step: each uses its own user (a code's
// time step is accepted once per factor, so one user cannot succeed twice in a row). Users are
// prepared first through the public API; their count bounds the number of measured requests.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { generate } from 'otplib';
import pg from 'pg';
import { loadAmount, ROOT } from '../lib/context.mjs';

export const title = 'auth-totp: POST /v1/sessions/mfa/totp (success path) vs bare Fastify + one pg UPDATE';

const PASSWORD = 'correct horse battery staple';
const J = { 'content-type': 'application/json' };

export default async function authTotp(ctx) {
  const users = ctx.quick ? 40 : 200;
  const database = await sharedDatabase(ctx);
  let service;
  let bare;
  const bareFile = await bareModule();
  try {
    service = await ctx.startService('auth-service', {
      DATABASE_URL: database.url,
      AUTH_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
      AUTH_THROTTLE_LIMIT: '1000000',
    });
    const prepared = await prepareUsers(service.url, users);

    // The bare baseline: one conditional UPDATE per request on a table shaped like totp_factor.
    const setup = new pg.Client({ connectionString: database.url });
    await setup.connect();
    await setup.query('create schema if not exists bench; drop table if exists bench.totp_step; create table bench.totp_step (id int primary key, last_step bigint)');
    await setup.query('insert into bench.totp_step (id) select generate_series(1, $1::int)', [users]);
    await setup.end();
    bare = await ctx.startBare(bareFile, { databaseUrl: database.url, pgUrl: pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('pg')).href });

    const step = Math.floor(Date.now() / 30_000);
    // Warm-up (JIT, pools, key caches) with a fifth of the users, then measure with the rest.
    const warm = prepared.splice(0, Math.ceil(prepared.length / 5));
    await loadAmount(serviceLoad(service.url, warm));
    const measured = await loadAmount(serviceLoad(service.url, prepared));
    await loadAmount(bareLoad(bare.url, prepared.length, step));
    const baseline = await loadAmount(bareLoad(bare.url, prepared.length, step + 1));
    ctx.table(title, [
      {
        requests: measured.total,
        'non-2xx': measured.non2xx + measured.errors,
        'req/s': Math.round(measured.rps),
        'bare req/s': Math.round(baseline.rps),
        'req/s ratio': ctx.ratio(measured.rps, baseline.rps),
        'p50 ms': measured.p50,
        'bare p50 ms': baseline.p50,
        'p99 ms': measured.p99,
        'bare p99 ms': baseline.p99,
        'p99 ratio': ctx.ratio(measured.p99, baseline.p99),
        database: database.kind,
      },
    ]);
  } finally {
    // Clients first, then the database they are connected to.
    await bare?.stop();
    await service?.stop();
    await database.stop();
    await rm(join(bareFile, '..'), { recursive: true, force: true });
  }
}

/** Each request the second step of a different prepared user. */
function serviceLoad(url, users) {
  let next = 0;
  return {
    url: `${url}/v1/sessions/mfa/totp`,
    method: 'POST',
    connections: Math.min(10, users.length),
    amount: users.length,
    requests: [
      {
        setupRequest(request) {
          const user = users[next++ % users.length];
          return { ...request, headers: { ...J, authorization: `Bearer ${user.pending}` }, body: JSON.stringify({ code: user.code }) };
        },
      },
    ],
  };
}

/** Each request one successful conditional UPDATE on a different row. */
function bareLoad(url, count, step) {
  let id = 0;
  return {
    url: `${url}/step`,
    method: 'POST',
    connections: Math.min(10, count),
    amount: count,
    requests: [
      {
        setupRequest(request) {
          id = (id % count) + 1;
          return { ...request, headers: J, body: JSON.stringify({ id, step }) };
        },
      },
    ],
  };
}

/** Sign-up, enrol + confirm a TOTP factor, sign in again: a pending token and the next step's code per user. */
async function prepareUsers(url, count) {
  const prepared = [];
  const one = async (i) => {
    const email = `bench-${i}-${randomBytes(3).toString('hex')}@example.test`;
    await call(url, '/v1/accounts', { email, password: PASSWORD });
    const session = await call(url, '/v1/sessions', { email, password: PASSWORD });
    const auth = { authorization: `Bearer ${session.accessToken}` };
    const factor = await call(url, '/v1/me/factors/totp', { name: 'Bench', currentPassword: PASSWORD }, auth);
    await call(url, `/v1/me/factors/totp/${factor.id}/confirm`, { code: await code(factor.secret, 0) }, auth);
    const pending = await call(url, '/v1/sessions', { email, password: PASSWORD });
    // The confirmation spent the current step; the next one is within the accepted drift.
    prepared.push({ pending: pending.accessToken, code: await code(factor.secret, 30) });
  };
  for (let i = 0; i < count; i += 4) await Promise.all([0, 1, 2, 3].filter((j) => i + j < count).map((j) => one(i + j)));
  return prepared;
}

function code(secret, aheadSeconds) {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + aheadSeconds });
}

async function call(url, path, body, headers = {}) {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: { ...J, ...headers }, body: JSON.stringify(body) });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** The bare route, written to a temp file for ctx.startBare (it imports pg by absolute URL). */
async function bareModule() {
  const dir = await mkdtemp(join(tmpdir(), 'kh-bench-totp-'));
  const file = join(dir, 'totp-step.mjs');
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
  return file;
}

/**
 * One database both processes reach: a fresh one on BENCH_DATABASE_URL, else the embedded
 * PostgreSQL started by a child process running the services' own embedded path
 * (startEmbeddedPostgres from libs/shared/database, its TypeScript source through ts-node: the
 * lib has no build output of its own, the services bundle it), so the baseline's UPDATE hits the
 * same server as the service's.
 */
async function sharedDatabase(ctx) {
  const store = await ctx.freshStore();
  if (store.databaseUrl) return { url: store.databaseUrl, kind: 'postgres', stop: async () => undefined };
  const lib = join(ROOT, 'libs/shared/database');
  const script = `
    require('ts-node').register({ project: ${JSON.stringify(join(lib, 'tsconfig.json'))}, transpileOnly: true });
    const { startEmbeddedPostgres } = require(${JSON.stringify(join(lib, 'src/lib/embedded/shared-server.ts'))});
    startEmbeddedPostgres({ dataDir: ${JSON.stringify(store.env.DATA_DIR)} }).then((database) => {
      process.stdout.write('listening ' + database.url + '\\n');
      process.on('SIGTERM', () => void database.stop().then(() => process.exit(0)));
    });
  `;
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the embedded PostgreSQL exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^listening (\S+)$/.exec(line);
      if (match) resolve(match[1]);
    });
  });
  return {
    url,
    kind: 'embedded',
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    },
  };
}
