import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import {
  ClusterOptions,
  delay,
  hasCluster,
  initCluster,
  isAlive,
  isClusterServer,
  readPostmasterState,
  ServerStartError,
  startServer,
  stopServer,
  SUPERUSER,
} from './cluster';
import { locateServerBinaries, serverUser } from './server-binaries';

export interface EmbeddedPostgres {
  /** `postgres://keyhaven:<password>@127.0.0.1:<port>/postgres` — for this process only. */
  url: string;
  /** The folder holding the cluster (`<dataDir>/postgres`) and its password file. */
  dataDir: string;
  port: number;
  /** The postmaster's process id (its own memory is reported beside the service's). */
  serverPid: number;
  /** True when this process started the server, false when it joined a running one. */
  started: boolean;
  /** Leaves the server; the last process to leave stops it. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The data folder; the cluster lives in `<dataDir>/postgres`. */
  dataDir: string;
  /** `-c` settings for a server this call starts (ignored when joining a running one). */
  settings?: Record<string, string>;
  /** Progress lines (initdb, start, join); silent by default. */
  log?: (message: string) => void;
}

/** Files in the data folder besides the cluster. */
export const EMBEDDED_FILES = {
  cluster: 'postgres',
  password: 'postgres.password',
  startLock: 'postgres.starting',
  log: 'postgres.log',
} as const;

/** Held shared by every process using the server; whoever gets it exclusively is the last. */
const LEASE_LOCK = [0x6b68, 0x5047] as const;

/**
 * Starts the embedded PostgreSQL of `dataDir`, or joins it when another process already runs it:
 * `npm start` runs one server for both services, and `migrate`, `reencrypt` or a second replica
 * started beside them use the same one.
 *
 * The protocol, all of it in the data folder:
 * - `postgres.password` (0600): the superuser's random password, made with the cluster. The
 *   server listens on 127.0.0.1 only and asks every connection for it (SCRAM); there is no socket.
 * - `postgres/postmaster.pid`, kept by PostgreSQL itself, says which process serves, on which
 *   port, and whether it is ready. A file left by a SIGKILLed server (dead or reused pid) is stale
 *   and removed before starting.
 * - `postgres.starting`: taken with O_EXCL by whoever initialises or starts the server, so two
 *   processes booting at once start one server; a holder that died is ignored.
 * - Every process using the server holds one connection with a shared advisory lock (its lease,
 *   gone with the process however it ends). On leaving, a process drops its lease and tries the
 *   lock exclusively: only the last one gets it, and stops the server. A process arriving then
 *   waits for that shutdown and starts a new server.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  const log = options.log ?? (() => undefined);
  const user = await serverUser();
  await prepareDataDir(dataDir, user);
  const cluster: ClusterOptions = {
    dir: join(dataDir, EMBEDDED_FILES.cluster),
    binaries: await locateServerBinaries(),
    user,
    settings: options.settings ?? {},
    logFile: join(dataDir, EMBEDDED_FILES.log),
  };
  const password = await clusterPassword(dataDir, cluster.dir);

  const deadline = Date.now() + 90_000;
  let waitingFor = '';
  while (Date.now() < deadline) {
    const state = await readPostmasterState(cluster.dir);
    const live = state && (await isClusterServer(state.pid, cluster.dir));
    if (state && live && state.status === 'ready') {
      const lease = await takeLease(state.port, password);
      if (lease) {
        log(`Joined the embedded PostgreSQL in ${cluster.dir} (pid ${state.pid}, port ${state.port})`);
        return handle(dataDir, cluster.dir, state, password, lease, false);
      }
      waitingFor = `the server in ${cluster.dir} to finish its shutdown`;
    } else if (state && live) {
      waitingFor = `the server in ${cluster.dir} (pid ${state.pid}, ${state.status})`;
    } else {
      const started = await startUnderLock(cluster, password, log);
      if (started) {
        const lease = await takeLease(started.port, password);
        if (lease) return handle(dataDir, cluster.dir, started, password, lease, true);
      }
      waitingFor = `another process starting the server in ${cluster.dir}`;
    }
    await delay(25);
  }
  throw new Error(`The embedded PostgreSQL did not become available in 90 s (waiting for ${waitingFor}).`);
}

function handle(
  dataDir: string,
  clusterDir: string,
  state: { pid: number; port: number },
  password: string,
  lease: Client,
  started: boolean,
): EmbeddedPostgres {
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${state.port}/postgres`,
    dataDir,
    port: state.port,
    serverPid: state.pid,
    started,
    stop() {
      stopped ??= leave(clusterDir, lease);
      return stopped;
    },
  };
}

async function leave(clusterDir: string, lease: Client): Promise<void> {
  let last = false;
  try {
    await lease.query('select pg_advisory_unlock_shared($1, $2)', [...LEASE_LOCK]);
    const { rows } = await lease.query<{ last: boolean }>('select pg_try_advisory_lock($1, $2) as last', [...LEASE_LOCK]);
    last = rows[0]?.last === true;
  } catch {
    return; // the server is already gone (someone stopped it, or it crashed): nothing to leave
  }
  if (last) {
    // Holding the lock exclusively until the server is down: whoever arrives meanwhile waits.
    await stopServer(clusterDir);
  }
  await lease.end().catch(() => undefined);
}

/** A connection holding the shared lease lock, or undefined when the server is going away. */
async function takeLease(port: number, password: string): Promise<Client | undefined> {
  const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres', application_name: 'keyhaven-lease' });
  client.on('error', () => undefined); // the server stopping ends the lease; the pools notice on their own
  try {
    await client.connect();
    // Waits while the last user holds it exclusively to stop the server; that ends this connection.
    await client.query('select pg_advisory_lock_shared($1, $2)', [...LEASE_LOCK]);
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    if (isAuthFailure(error)) {
      throw new Error(`The embedded PostgreSQL refused the password in its password file (${(error as Error).message}).`);
    }
    return undefined;
  }
}

function isAuthFailure(error: unknown): boolean {
  return (error as { code?: string }).code === '28P01';
}

/** Starts the server unless someone else is doing it; undefined means: look again. */
async function startUnderLock(cluster: ClusterOptions, password: string, log: (message: string) => void) {
  const lockFile = join(cluster.dir, '..', EMBEDDED_FILES.startLock);
  if (!(await takeStartLock(lockFile))) return undefined;
  try {
    const state = await readPostmasterState(cluster.dir);
    if (state && (await isClusterServer(state.pid, cluster.dir))) return undefined; // started meanwhile
    if (state) {
      log(`Removing the stale postmaster.pid of pid ${state.pid} (a server that did not stop cleanly)`);
      await rm(join(cluster.dir, 'postmaster.pid'), { force: true });
    }
    if (!(await hasCluster(cluster.dir))) {
      const began = Date.now();
      await initCluster(cluster, password);
      log(`Created the embedded PostgreSQL cluster in ${cluster.dir} (initdb, ${Date.now() - began} ms)`);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const started = await startServer(cluster);
        log(`Started the embedded PostgreSQL in ${cluster.dir} (pid ${started.pid}, 127.0.0.1:${started.port})`);
        return started;
      } catch (error) {
        if (!(error instanceof ServerStartError && error.portTaken && attempt < 5)) throw error;
      }
    }
  } finally {
    await rm(lockFile, { force: true });
  }
}

async function takeStartLock(lockFile: string): Promise<boolean> {
  try {
    const file = await open(lockFile, 'wx', 0o600);
    await file.write(`${process.pid}\n`);
    await file.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
  const age =
    Date.now() -
    (await stat(lockFile).then(
      (s) => s.mtimeMs,
      () => Date.now(),
    ));
  // The holder died mid-start (or has not written its pid for seconds): the lock is stale.
  if ((holder && !isAlive(holder)) || (!holder && age > 5_000)) await rm(lockFile, { force: true });
  return false;
}

/**
 * The superuser's password: made once with the cluster, kept in a file only this user can read.
 * A cluster without its password file cannot be opened (and is never silently re-initialised).
 */
async function clusterPassword(dataDir: string, clusterDir: string): Promise<string> {
  const file = join(dataDir, EMBEDDED_FILES.password);
  try {
    const text = (await readFile(file, 'utf8')).trim();
    // Tightened if someone loosened it: the password opens every table of both services.
    if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
    if (text) return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (await hasCluster(clusterDir)) {
    throw new Error(
      `The embedded PostgreSQL in ${clusterDir} has no password file (${file}); without it nobody can open that database. Restore the file, or move ${clusterDir} away to start with an empty database.`,
    );
  }
  const password = randomBytes(24).toString('base64url');
  const created = await open(file, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') return undefined; // another process made it first: use theirs
    throw error;
  });
  if (!created) return (await readFile(file, 'utf8')).trim();
  await created.write(`${password}\n`);
  await created.close();
  return password;
}

/**
 * The data folder stays private to this user; as root the server's user may pass through it
 * (traverse, not list) to reach its cluster folder.
 */
async function prepareDataDir(dataDir: string, user: { uid: number } | undefined): Promise<void> {
  await mkdir(dirname(dataDir), { recursive: true });
  await mkdir(dataDir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  if (!user) return;
  const { mode } = await stat(dataDir);
  if ((mode & 0o001) === 0) await chmod(dataDir, (mode & 0o7777) | 0o001);
  for (let dir = dirname(dataDir); dir !== dirname(dir); dir = dirname(dir)) {
    const info = await stat(dir);
    if ((info.mode & 0o001) === 0 && info.uid !== user.uid) {
      throw new Error(
        `PostgreSQL refuses to run as root, so the embedded server runs as the user "postgres", which cannot pass through ${dir} (mode ${(info.mode & 0o777).toString(8)}). Allow it with "chmod o+x ${dir}" or set DATA_DIR to a folder elsewhere.`,
      );
    }
  }
}
