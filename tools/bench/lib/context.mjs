// The toolbox every benchmark scenario receives (see ../README.md).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import pg from 'pg';

export const ROOT = join(import.meta.dirname, '../../..');

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function createContext({ quick }) {
  const cleanups = [];
  const ctx = {
    quick,
    /** Seconds of load per measurement. */
    seconds: quick ? 2 : 10,

    /** A fresh store: a new database on BENCH_DATABASE_URL's server, or a new embedded data folder. */
    async freshStore() {
      const server = process.env.BENCH_DATABASE_URL;
      if (server) {
        const name = `kh_bench_${randomBytes(5).toString('hex')}`;
        const admin = new pg.Client({ connectionString: server });
        await admin.connect();
        await admin.query(`create database "${name}"`);
        await admin.end();
        const url = new URL(server);
        url.pathname = `/${name}`;
        cleanups.push(async () => {
          const c = new pg.Client({ connectionString: server });
          await c.connect();
          await c.query(`drop database if exists "${name}" with (force)`);
          await c.end();
        });
        // With a real database both services need their keys given (they refuse to generate them).
        const keys = { AUTH_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`, RELEASE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url') };
        return { env: { DATABASE_URL: url.toString(), ...keys }, databaseUrl: url.toString() };
      }
      const dir = await mkdtemp(join(tmpdir(), 'keyhaven-bench-'));
      // As root the embedded PostgreSQL runs as `postgres`, which must pass through this folder.
      await chmod(dir, 0o755);
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return { env: { DATA_DIR: join(dir, 'data') }, databaseUrl: undefined };
    },

    /**
     * Starts a built service (dist/apps/<name>/main.js) as its own process and waits for
     * /health/ready. Returns its URL, pid, and the milliseconds from spawn to ready.
     */
    async startService(name, env = {}) {
      const store = env.DATABASE_URL || env.DATA_DIR ? { env: {} } : await ctx.freshStore();
      const port = await freePort();
      const started = performance.now();
      const child = spawn(process.execPath, [join(ROOT, 'dist/apps', name, 'main.js')], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...store.env, ...env, PORT: String(port) },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const url = `http://127.0.0.1:${port}`;
      const stop = async () => {
        if (child.exitCode !== null) return;
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      };
      cleanups.push(stop);
      for (let i = 0; i < 600; i++) {
        if (child.exitCode !== null) throw new Error(`${name} exited during boot:\n${stderr}`);
        try {
          if ((await fetch(`${url}/health/ready`)).ok) break;
        } catch {
          // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return { url, pid: child.pid, bootMs: performance.now() - started, stop, env: { ...store.env, ...env } };
    },

    /** Starts tools/bench/bare/<module>.mjs (or an absolute path) in its own process. */
    async startBare(module, options = {}) {
      const path = module.startsWith('/') ? module : join(ROOT, 'tools/bench/bare', `${module}.mjs`);
      const child = spawn(process.execPath, [join(ROOT, 'tools/bench/lib/bare-host.mjs'), path, JSON.stringify(options)], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const port = await new Promise((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`bare server ${module} exited with ${code}`)));
        createInterface({ input: child.stdout }).on('line', (line) => {
          const match = /^listening (\d+)$/.exec(line);
          if (match) resolve(Number(match[1]));
        });
      });
      const stop = async () => {
        if (child.exitCode !== null) return;
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      };
      cleanups.push(stop);
      return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop };
    },

    /** A bare server answering `path` with exactly the bytes and content type the service answered. */
    async mirror(serviceUrl, path, init = {}) {
      const response = await fetch(`${serviceUrl}${path}`, init);
      const body = Buffer.from(await response.arrayBuffer());
      return ctx.startBare('static-route', {
        method: init.method ?? 'GET',
        url: path.split('?')[0],
        status: response.status,
        headers: { 'content-type': response.headers.get('content-type') ?? 'application/octet-stream' },
        body: body.toString('base64'),
      });
    },

    /**
     * Load with autocannon. `requests` may be given for a sequence; otherwise one request shape.
     * Returns requests/s (mean), latency p50/p99 in ms, and counts of errors and non-2xx answers.
     */
    async load({ url, method = 'GET', headers, body, connections = 10, seconds = ctx.seconds, requests, amount }) {
      // autocannon refuses `duration: undefined`: give either a duration or an amount.
      const result = await autocannon({
        url,
        method,
        headers,
        body,
        connections,
        requests,
        ...(amount ? { amount } : { duration: seconds }),
      });
      return {
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx,
        total: result.requests.total,
      };
    },

    /** Resident set size of a process in MiB, from /proc. */
    async rssMiB(pid) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb / 1024;
    },

    /** Prints one titled table; `rows` are plain objects with the same keys. */
    table(title, rows) {
      console.log(`\n## ${title}`);
      console.table(rows);
    },

    ratio(value, baseline) {
      return baseline ? Number((value / baseline).toFixed(3)) : null;
    },

    async cleanup() {
      for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    },
  };
  return ctx;
}

/**
 * A fixed number of requests (`amount`) from a closed loop of `connections` clients, for
 * scenarios whose requests are prepared one by one (each can be sent once). Throughput is
 * connections / mean latency (Little's law): for short fixed runs, wall time would be dominated
 * by autocannon's 1-s sampling tick.
 */
export async function loadAmount({ url, method, connections, amount, requests }) {
  const result = await autocannon({ url, method, connections, amount, requests });
  return {
    rps: (connections * 1000) / result.latency.mean,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}
