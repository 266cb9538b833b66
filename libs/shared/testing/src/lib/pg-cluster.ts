import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { freePort } from './built-service';

/** A Debian PostgreSQL cluster of its own (pg_createcluster), for tests that need a whole server: backups, restores. */
export interface ThrowawayCluster {
  major: string;
  name: string;
  port: number;
  dataDir: string;
  /** The superuser's password over TCP (scram), set at creation. */
  password: string;
  /** `postgres://postgres:<password>@127.0.0.1:<port>/<database>`. */
  url(database?: string): string;
  /** Runs SQL as postgres over the socket (peer), one value per line. */
  psql(sql: string, database?: string): Promise<string>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops and removes the cluster and its files (also those in /etc/postgresql). */
  drop(): Promise<void>;
}

const PREFIX = 'khtest_';

function sh(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${file} ${args.join(' ')} failed: ${stderr || stdout || error.message}`)) : resolve(stdout),
    );
  });
}

/** Why this machine cannot make throwaway clusters, or undefined when it can (root and Debian's postgresql-common). */
export function throwawayClusterUnavailable(): string | undefined {
  if ((process.getuid?.() ?? -1) !== 0) return 'pg_createcluster needs root';
  if (!existsSync('/usr/bin/pg_createcluster')) return 'postgresql-common is not installed (apt-get install -y postgresql)';
  return undefined;
}

/**
 * Creates and starts a cluster named `khtest_<pid>_<random>` on a free port (never the main one on
 * 5432), listening on localhost. Clusters left by test processes that died (their pid is gone)
 * are dropped first.
 */
export async function createThrowawayCluster(): Promise<ThrowawayCluster> {
  const major = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))[0];
  await dropOrphans(major);
  const name = `${PREFIX}${process.pid}_${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  const password = randomBytes(18).toString('base64url');
  await sh('pg_createcluster', [major, name, '-p', String(port)]);
  const dataDir = `/var/lib/postgresql/${major}/${name}`;
  const psql = (sql: string, database = 'postgres') =>
    sh('runuser', ['-u', 'postgres', '--', 'psql', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-p', String(port), '-d', database, '-c', sql]);
  const cluster: ThrowawayCluster = {
    major,
    name,
    port,
    dataDir,
    password,
    url: (database = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    psql,
    start: async () => {
      await sh('pg_ctlcluster', ['--skip-systemctl-redirect', major, name, 'start']);
    },
    stop: async () => {
      await sh('pg_ctlcluster', ['--skip-systemctl-redirect', major, name, 'stop', '-m', 'fast']).catch(() => undefined);
    },
    drop: async () => {
      await sh('pg_dropcluster', ['--stop', major, name]).catch(() => undefined);
      await rm(`/etc/postgresql/${major}/${name}`, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await cluster.start();
    await psql(`alter role postgres password '${password}'`);
  } catch (error) {
    await cluster.drop();
    throw error;
  }
  return cluster;
}

async function dropOrphans(major: string): Promise<void> {
  const dir = `/etc/postgresql/${major}`;
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).filter((entry) => entry.startsWith(PREFIX))) {
    const pid = Number(name.slice(PREFIX.length).split('_')[0]);
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
    if (!alive) {
      await sh('pg_dropcluster', ['--stop', major, name]).catch(() => undefined);
      await rm(`${dir}/${name}`, { recursive: true, force: true });
      await rm(`/var/lib/postgresql/${major}/${name}`, { recursive: true, force: true });
    }
  }
}
