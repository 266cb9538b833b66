// The toolbox every benchmark scenario receives (see ../README.md).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import pg from 'pg';

export const ROOT = join(import.meta.dirname, '../../..');

/**
 * How the 2 cores are shared: the load generator (autocannon, in the bench's own process) runs
 * on core 1; every server measured — a service, the embedded PostgreSQL it starts, a bare
 * baseline — on core 0. Both sides of a ratio get the same single core, back to back in one
 * run. Without taskset (or with one core, or BENCH_PIN=off) nothing is pinned.
 */
export const CORES = (() => {
  if (process.env.BENCH_PIN === 'off')
    return { pinned: false, describe: 'not pinned (BENCH_PIN=off): the OS schedules servers and load generator on both cores' };
  const available = spawnSync('nproc', [], { encoding: 'utf8' }).stdout?.trim();
  const taskset = spawnSync('taskset', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!taskset || Number(available) < 2) return { pinned: false, describe: 'not pinned (taskset missing or one core)' };
  return { pinned: true, server: '0', load: '1', describe: 'servers and their databases on core 0, the load generator on core 1' };
})();

/** Runs `command` pinned to the server core (the pid stays the command's own: taskset execs it). */
function serverCommand(command, args) {
  return CORES.pinned ? ['taskset', ['-c', CORES.server, command, ...args]] : [command, args];
}

export function pinLoadGenerator() {
  if (CORES.pinned) spawnSync('taskset', ['-pc', CORES.load, String(process.pid)], { stdio: 'ignore' });
}

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

/**
 * `database`: 'embedded' (services in embedded mode, each with a fresh data folder) or
 * 'postgres' (a fresh database per service on BENCH_DATABASE_URL's server). `results` collects
 * the measures of the summary table.
 */
export function createContext({ quick, database, results }) {
  const cleanups = [];
  const logs = [];
  const ctx = {
    quick,
    database,
    /** Seconds of load per measurement. */
    seconds: quick ? 2 : 10,

    /**
     * One line of the summary: `value` is a ratio (unit 'ratio') or a quantity ('ms', 'MiB',
     * '/s'); `goal` is { min } or { max } (or undefined: reported, no goal).
     */
    result({ measure, value, unit = 'ratio', detail = '', goal }) {
      results.push({ measure, database, value, unit, detail, goal });
    },

    /**
     * A fresh store: a new database on BENCH_DATABASE_URL's server (with the keys a service
     * needs beside DATABASE_URL), or a new embedded data folder.
     */
    async freshStore() {
      const server = process.env.BENCH_DATABASE_URL;
      if (database === 'postgres') {
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
        return {
          env: {
            DATABASE_URL: url.toString(),
            AUTH_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
            RELEASE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
          },
          databaseUrl: url.toString(),
        };
      }
      const dir = await mkdtemp(join(tmpdir(), 'keyhaven-bench-'));
      // As root the embedded PostgreSQL runs as `postgres`, which must pass through this folder.
      await chmod(dir, 0o755);
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return { env: { DATA_DIR: join(dir, 'data') }, databaseUrl: undefined };
    },

    /**
     * A `postgres://` URL of the database a started service uses: its DATABASE_URL, or in
     * embedded mode the server of its data folder (port from postmaster.pid, the password file),
     * so a baseline or a seeding step hits the very same server.
     */
    async databaseUrlOf(service) {
      if (service.env.DATABASE_URL) return service.env.DATABASE_URL;
      const dir = service.env.DATA_DIR;
      const port = (await readFile(join(dir, 'postgres/postmaster.pid'), 'utf8')).split('\n')[3];
      const password = (await readFile(join(dir, 'postgres.password'), 'utf8')).trim();
      return `postgres://keyhaven:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    },

    /**
     * Proportional memory (PSS, MiB) of the embedded PostgreSQL of a service's data folder: the
     * postmaster and its backends, shared memory counted once. Undefined with DATABASE_URL.
     */
    async embeddedDatabaseMiB(service) {
      if (!service.env.DATA_DIR) return undefined;
      const pid = Number((await readFile(join(service.env.DATA_DIR, 'postgres/postmaster.pid'), 'utf8')).split('\n')[0]);
      let kb = 0;
      for (const entry of await readdir('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (Number(entry) !== pid && ppid !== pid) continue;
        const rollup = await readFile(`/proc/${entry}/smaps_rollup`, 'utf8').catch(() => '');
        kb += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      }
      return kb / 1024;
    },

    /**
     * Starts a built service (dist/apps/<name>/main.js) as its own process and waits for
     * /health/ready. Returns its URL, pid, and the milliseconds from spawn to ready.
     */
    async startService(name, env = {}) {
      const store = env.DATABASE_URL || env.DATA_DIR ? { env: {} } : await ctx.freshStore();
      const port = await freePort();
      const started = performance.now();
      const [command, args] = serverCommand(process.execPath, [
        ...(process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean),
        join(ROOT, 'dist/apps', name, 'main.js'),
      ]);
      const child = spawn(command, args, {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...store.env, ...env, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      logs.push(() => `${name} (pid ${child.pid}, exit ${child.exitCode ?? child.signalCode ?? 'running'}):\n${stderr.split('\n').slice(-15).join('\n')}`);
      child.stdout?.on('data', (chunk) => (stderr += chunk));
      const url = `http://127.0.0.1:${port}`;
      const stop = async () => {
        if (child.exitCode !== null) return;
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      };
      cleanups.push(stop);
      let bootMs;
      for (let i = 0; i < 12_000 && bootMs === undefined; i++) {
        if (child.exitCode !== null) throw new Error(`${name} exited during boot:\n${stderr}`);
        try {
          if ((await fetch(`${url}/health/ready`)).ok) bootMs = performance.now() - started;
        } catch {
          // not listening yet
        }
        if (bootMs === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (bootMs === undefined) throw new Error(`${name} was not ready after 60 s:\n${stderr}`);
      return { url, pid: child.pid, bootMs, cpuMs: await cpuMs(child.pid), stop, env: { ...store.env, ...env } };
    },

    /** Starts tools/bench/bare/<module>.mjs (or an absolute path) in its own process. */
    async startBare(module, options = {}) {
      const path = module.startsWith('/') ? module : join(ROOT, 'tools/bench/bare', `${module}.mjs`);
      const [command, args] = serverCommand(process.execPath, [
        ...(process.env.BENCH_BARE_NODE_ARGS ?? '').split(' ').filter(Boolean),
        join(ROOT, 'tools/bench/lib/bare-host.mjs'),
        path,
        JSON.stringify(options),
      ]);
      const child = spawn(command, args, {
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

    /**
     * A bare server answering `path` with exactly the bytes and headers the service answered
     * (signature, ETag, caching…). The date and connection headers Node writes on both sides; a
     * request id the service minted, the bare route mints too (a random UUID per request, as the
     * service does for a caller that sends none), so both write the same bytes per answer.
     */
    async mirror(serviceUrl, path, init = {}) {
      const response = await fetch(`${serviceUrl}${path}`, init);
      const body = Buffer.from(await response.arrayBuffer());
      const skip = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'x-request-id']);
      return ctx.startBare('static-route', {
        method: init.method ?? 'GET',
        url: path.split('?')[0],
        status: response.status,
        headers: Object.fromEntries([...response.headers].filter(([name]) => !skip.has(name))),
        body: body.toString('base64'),
        requestId: response.headers.has('x-request-id'),
      });
    },

    /**
     * Load with autocannon. `requests` may be given for a sequence; otherwise one request shape.
     * Returns requests/s (mean), latency p50/p99 in ms, counts of errors and non-2xx answers, and
     * the server side's CPU per request (`serverCpuMs` across the load).
     */
    async load({ url, method = 'GET', headers, body, connections = 10, seconds = ctx.seconds, requests, amount, overallRate }) {
      const cpuBefore = await serverCpuMs();
      // autocannon refuses `duration: undefined`: give either a duration or an amount.
      const result = await autocannon({
        url,
        method,
        headers,
        body,
        connections,
        requests,
        ...(overallRate ? { overallRate: Math.max(1, Math.round(overallRate)) } : {}),
        ...(amount ? { amount } : { duration: seconds }),
      });
      const cpuAfter = await serverCpuMs();
      const perRequest = (ms) => (result.requests.total ? ms / result.requests.total : undefined);
      return {
        cpuMsPerRequest: perRequest(cpuAfter.total - cpuBefore.total),
        databaseCpuMsPerRequest: perRequest(cpuAfter.database - cpuBefore.database),
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

    /** The last lines each started service wrote to stderr (printed when a scenario fails). */
    serviceLogs() {
      return logs.map((log) => log()).join('\n');
    },

    async cleanup() {
      for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    },
  };
  return ctx;
}

/** CPU time (user + system) a process has used so far, in ms. */
async function cpuMs(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/**
 * CPU time (user + system, ms) used so far by every process the bench started — the services,
 * their embedded PostgreSQL (its exited backends through the postmaster's reaped-children
 * counters), the bare baselines — but not the bench process itself (the load generator):
 * `{ total, database }`, `database` the part of it in PostgreSQL processes. The difference across
 * one load, divided by its requests, is the server side's CPU per request: unlike requests/s it
 * barely moves when something else on the machine takes turns on the core, so it is printed beside
 * each step ratio as a check on a noisy run, and split into Node.js and database so a change can
 * be placed.
 */
export async function serverCpuMs() {
  const stats = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    stats.push({
      pid: Number(entry),
      ppid: Number(fields[1]),
      database: name.startsWith('postgres'),
      ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
    });
  }
  const children = new Map();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  let total = 0;
  let database = 0;
  const walk = (pid) => {
    for (const child of children.get(pid) ?? []) {
      total += child.ticks;
      if (child.database) database += child.ticks;
      walk(child.pid);
    }
  };
  walk(process.pid);
  return { total: (total * 1000) / 100, database: (database * 1000) / 100 };
}

/**
 * A fixed number of requests (`amount`) from a closed loop of `connections` clients, for
 * scenarios whose requests are prepared one by one (each can be sent once). Throughput is
 * connections / mean latency (Little's law): for short fixed runs, wall time would be dominated
 * by autocannon's 1-s sampling tick.
 */
export async function loadAmount({ url, method, connections, amount, requests }) {
  const cpuBefore = await serverCpuMs();
  const result = await autocannon({ url, method, connections, amount, requests });
  const cpuAfter = await serverCpuMs();
  const perRequest = (ms) => (result.requests.total ? ms / result.requests.total : undefined);
  return {
    cpuMsPerRequest: perRequest(cpuAfter.total - cpuBefore.total),
    databaseCpuMsPerRequest: perRequest(cpuAfter.database - cpuBefore.database),
    rps: (connections * 1000) / result.latency.mean,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
    /** What failed requests were, for a scenario's error message: "2 × 401, 1 timeout". */
    failures: [
      ...Object.entries(result.statusCodeStats ?? {})
        .filter(([status]) => !status.startsWith('2'))
        .map(([status, { count }]) => `${count} × ${status}`),
      ...(result.timeouts ? [`${result.timeouts} timeout(s)`] : []),
      ...(result.errors > result.timeouts ? [`${result.errors - result.timeouts} other error(s)`] : []), // autocannon's errors include its timeouts
    ].join(', '),
  };
}
