import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { access, chmod, chown, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerBinaries } from './server-binaries';

/** The cluster's superuser; its password lives only in the 0600 password file. */
export const SUPERUSER = 'keyhaven';

export interface ClusterOptions {
  /** The cluster's own folder (PGDATA). */
  dir: string;
  binaries: ServerBinaries;
  /** The OS user the server runs as (only when we are root), else the current user. */
  user: { uid: number; gid: number } | undefined;
  /** Extra `-c name=value` settings, e.g. durability off for throwaway test clusters. */
  settings: Record<string, string>;
  /** The server's log (stderr), truncated at every start. */
  logFile: string;
}

/** What PostgreSQL itself writes to `postmaster.pid` (see `pidfile.h`). */
export interface PostmasterState {
  pid: number;
  port: number;
  /** `starting`, `stopping`, `ready` or `standby`. */
  status: string;
}

export async function readPostmasterState(dir: string): Promise<PostmasterState | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'postmaster.pid'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  // The file is written in steps while the server starts: an incomplete one is "starting".
  if (!Number.isInteger(pid) || pid <= 0) return { pid: 0, port: 0, status: 'starting' };
  return { pid, port, status: (lines[7] ?? '').trim() || 'starting' };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A server whose starter died was adopted by pid 1; after it exits it may stay a zombie
  // until pid 1 reaps it (in a container pid 1 may never do so). A zombie is gone for us.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): the signal check is all there is
  }
}

/**
 * Whether `pid` is the postmaster of this cluster and not an unrelated process that got the
 * number of one that died unclean (a SIGKILL leaves `postmaster.pid` behind). Where the command
 * line cannot be read (not Linux), a live process is trusted to be ours.
 */
export async function isClusterServer(pid: number, dir: string): Promise<boolean> {
  if (!isAlive(pid)) return false;
  try {
    const command = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return command.includes(dir);
  } catch {
    return true;
  }
}

export async function hasCluster(dir: string): Promise<boolean> {
  return access(join(dir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
}

/**
 * `initdb`: password authentication (SCRAM) for the one superuser, UTF-8, C collation. The
 * password reaches initdb through a file only the server's user can read, removed right after.
 */
export async function initCluster(options: ClusterOptions, password: string): Promise<void> {
  // A folder without PG_VERSION is what an interrupted initdb leaves: start over.
  await rm(options.dir, { recursive: true, force: true });
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const secrets = await mkdtemp(join(tmpdir(), 'keyhaven-initdb-'));
  try {
    const pwfile = join(secrets, 'pw');
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (options.user) {
      for (const path of [options.dir, secrets, pwfile]) await chown(path, options.user.uid, options.user.gid);
    }
    await runToEnd(
      options.binaries.initdb,
      [
        `--pgdata=${options.dir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
        // One syncfs() instead of an fsync per file: durable, and a second faster on first start.
        '--sync-method=syncfs',
      ],
      options,
    );
  } finally {
    await rm(secrets, { recursive: true, force: true });
  }
  // Only the loopback address, only with the password: no `local` (socket) or IPv6 lines.
  const hba = ['# Written by Keyhaven: the superuser, over 127.0.0.1, with its password (SCRAM).', 'host all keyhaven 127.0.0.1/32 scram-sha-256', ''];
  await writeFile(join(options.dir, 'pg_hba.conf'), hba.join('\n'));
  await chmod(join(options.dir, 'pg_hba.conf'), 0o600);
  if (options.user) await chown(join(options.dir, 'pg_hba.conf'), options.user.uid, options.user.gid);
}

/**
 * Starts the server detached from this process (its own session), so a Ctrl-C in the terminal
 * reaches the services first and the last of them stops it after draining; it outlives a
 * SIGKILLed starter, and the next start joins it. Resolves once it accepts connections.
 */
export async function startServer(options: ClusterOptions): Promise<PostmasterState> {
  const port = await freeLoopbackPort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    // No Unix socket: the one way in is TCP on loopback with the password.
    unix_socket_directories: '',
    password_encryption: 'scram-sha-256',
    // A one-machine demo database: a smaller footprint than the server defaults.
    max_connections: '100',
    shared_buffers: '64MB',
    jit: 'off',
    timezone: 'UTC',
    log_timezone: 'UTC',
    log_min_messages: 'warning',
    log_checkpoints: 'off',
    ...options.settings,
  };
  const args = ['-D', options.dir, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
  const log = await open(options.logFile, 'w', 0o600);
  if (options.user) await log.chown(options.user.uid, options.user.gid);
  const child = spawn(options.binaries.postgres, args, {
    detached: true,
    stdio: ['ignore', log.fd, log.fd],
    ...(options.user ?? {}),
  });
  await log.close();
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  child.once('error', (error) => (exited = error.message));
  child.unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited) throw new ServerStartError(`PostgreSQL ${exited}`, await tail(options.logFile));
    const state = await readPostmasterState(options.dir);
    if (state && state.pid === child.pid && state.status === 'ready') return state;
    await delay(15);
  }
  child.kill('SIGINT');
  throw new ServerStartError('PostgreSQL did not accept connections within 60 s', await tail(options.logFile));
}

export class ServerStartError extends Error {
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(`${message}: ${log}`);
  }

  /** Someone else took the port between our probe and the server's bind: try another. */
  get portTaken(): boolean {
    return /could not bind|Address already in use|could not create any TCP\/IP sockets/.test(this.log);
  }
}

/**
 * Fast shutdown (SIGINT: open sessions are ended, a checkpoint is written) and wait for the
 * postmaster to be gone.
 */
export async function stopServer(dir: string, timeoutMs = 30_000): Promise<void> {
  const state = await readPostmasterState(dir);
  if (!state || !(await isClusterServer(state.pid, dir))) return;
  process.kill(state.pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // The process itself, not only its postmaster.pid: PostgreSQL removes the file a moment before
    // it exits, and a caller told "stopped" may start another server on the same folder or port.
    if (!isAlive(state.pid)) return;
    await delay(15);
  }
  throw new Error(`The embedded PostgreSQL (pid ${state.pid}) did not stop within ${timeoutMs / 1000} s`);
}

async function runToEnd(command: string, args: string[], options: ClusterOptions): Promise<void> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(options.user ?? {}) });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`initdb failed (${code}): ${output.trim()}`);
}

/** A free TCP port on 127.0.0.1 (the OS picks it; released before the caller binds it). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function tail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-5).join(' | ') || '(no server log)';
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
