import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BackupConfig, BackupConfigError } from './backup-config';
import { literal, majorVersion, ownedFolder, serverBinDir } from './cluster';
import { ClusterOwner, pgbackrest, renderPgbackrestConfig, StanzaInfo, ToolError, writeOwnerFile } from './pgbackrest';
import { ScratchServer, startScratchServer } from './scratch-server';

export interface ServiceCheck {
  service: string;
  ok: boolean;
  /** The service's one line: what it opened, or why it refused. */
  line: string;
}

export interface DrillReport {
  ok: boolean;
  backup: string;
  /** From "restore" to a promoted, queryable copy (the database's share of the RTO). */
  restoreSeconds: number;
  /** The newest moment the copy holds (last replayed transaction, else the backup's end). */
  newestMoment: string;
  /** How old that moment was when the drill ran (the RPO right now). */
  rpoSeconds: number;
  checks: ServiceCheck[];
  tables: { table: string; rows: number }[];
  failures: string[];
}

export const SERVICES = ['auth-service', 'release-api'] as const;

/** `dist/apps`, beside this bundle's `dist/tools/ops-cli` (KEYHAVEN_SERVICES_DIR overrides it). */
export function servicesDir(env: Record<string, string | undefined>): string {
  return env['KEYHAVEN_SERVICES_DIR'] ?? resolve(__dirname, '../../apps');
}

/**
 * The restore drill: the newest backup restored into a scratch folder (archiving off: a drill
 * never pushes its new timeline into the real archive), a temporary PostgreSQL on a free port,
 * both services' `check` (migrations known, keys open a sample of the sealed secrets) against it,
 * every table counted; everything it started is stopped and removed, also when a step fails.
 */
export async function runDrill(
  config: BackupConfig,
  owner: ClusterOwner,
  info: StanzaInfo,
  env: Record<string, string | undefined>,
  now: () => Date,
): Promise<DrillReport> {
  const target = databaseTarget(
    env['DATABASE_URL'],
    'the drill needs to know which database of the cluster holds Keyhaven (and as which role the services connect)',
  );
  const newest = info.backups.at(-1);
  if (!newest) throw new ToolError('the repository has no backup yet: run "keyhaven-ops backup run --full" first');
  const workDir = await mkdtemp(join(env['BACKUP_DRILL_DIR'] ?? tmpdir(), 'keyhaven-drill-'));
  let server: ScratchServer | undefined;
  try {
    await ownedFolder(workDir, owner);
    const dataDir = join(workDir, 'data');
    await ownedFolder(dataDir, owner);
    const started = Date.now();
    // The copy's restore_command reads this file (it goes with the copy); the real one is not needed.
    const configFile = join(workDir, 'pgbackrest.conf');
    await writeOwnerFile(configFile, renderPgbackrestConfig(config), owner);
    // The newest timeline: after a point-in-time restore the old timeline's later writes (undone) must not come back.
    await pgbackrest(config, owner, 'restore', [`--pg1-path=${dataDir}`, '--archive-mode=off', '--target-timeline=latest'], [], configFile);
    server = await startScratchServer({ dataDir, workDir, binDir: serverBinDir(env, await majorVersion(dataDir)), owner, timeoutMs: 600_000 });
    const restoreSeconds = (Date.now() - started) / 1000;
    const [replayed] = await server.query<{ at: Date | null }>('select pg_last_xact_replay_timestamp() as at');
    const newestMoment = replayed?.at && replayed.at > newest.finishedAt ? replayed.at : newest.finishedAt;

    // The services connect as DATABASE_URL's role, over TCP, with a password that lives as long as the copy.
    const roles = await server.query<{ ok: boolean }>('select exists (select 1 from pg_roles where rolname = $1) as ok', [target.user]);
    if (!roles[0]?.ok) throw new ToolError(`DATABASE_URL's role "${target.user}" is not in the backup`);
    const databases = await server.query<{ ok: boolean }>('select exists (select 1 from pg_database where datname = $1) as ok', [target.database]);
    if (!databases[0]?.ok) throw new ToolError(`DATABASE_URL's database "${target.database}" is not in the backup`);
    const password = randomBytes(24).toString('base64url');
    await server.query(`alter role ${ident(target.user)} password ${literal(password)}`);
    const url = `postgres://${encodeURIComponent(target.user)}:${password}@127.0.0.1:${server.port}/${encodeURIComponent(target.database)}`;

    const checks: ServiceCheck[] = [];
    for (const service of SERVICES) checks.push(await checkService(service, url, join(workDir, 'service-data'), env));
    const tables = await countRows(server, target.database);
    const failures = checks.filter((check) => !check.ok).map((check) => `${check.service}: ${check.line}`);
    if (!tables.some((table) => table.table.startsWith('auth.')) || !tables.some((table) => table.table.startsWith('release.'))) {
      failures.push(`the restored database "${target.database}" lacks Keyhaven's schemas (auth, release)`);
    }
    return {
      ok: failures.length === 0,
      backup: newest.label,
      restoreSeconds,
      newestMoment: newestMoment.toISOString(),
      rpoSeconds: Math.max(0, Math.round((now().getTime() - newestMoment.getTime()) / 1000)),
      checks,
      tables,
      failures,
    };
  } finally {
    await server?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** DATABASE_URL's role and database; `why` says, when it is missing, what needs it. */
export function databaseTarget(databaseUrl: string | undefined, why: string): { user: string; database: string } {
  if (!databaseUrl) throw new BackupConfigError(`DATABASE_URL is not set: ${why}`);
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new BackupConfigError('DATABASE_URL is not a postgres:// URL');
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const user = decodeURIComponent(url.username);
  if (!/^postgres(ql)?:$/.test(url.protocol) || database === '' || user === '')
    throw new BackupConfigError('DATABASE_URL: expected postgres://user:password@host:port/database');
  return { user, database };
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Runs `node dist/apps/<service>/main.js check` against a database (or, without DATABASE_URL, DATA_DIR's embedded one), with the key rings of this environment. */
export async function checkService(
  service: Service,
  databaseUrl: string | undefined,
  dataDir: string,
  env: Record<string, string | undefined>,
): Promise<ServiceCheck> {
  const ran = await runService(service, ['check'], databaseUrl, dataDir, env);
  const lines = `${ran.stdout}\n${ran.stderr}`.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
  const line = lines.at(-1) ?? (ran.error ? ran.error.message : 'no answer');
  return { service, ok: !ran.error, line: line.replace(new RegExp(`^${service}( check)?: `), '') };
}

export type Service = (typeof SERVICES)[number];

/** `node dist/apps/<service>/main.js <argv>` with this environment's variables (the keys the services read), DATABASE_URL and DATA_DIR set; `input` on stdin. */
export function runService(
  service: Service,
  argv: readonly string[],
  databaseUrl: string | undefined,
  dataDir: string,
  env: Record<string, string | undefined>,
  input = '',
): Promise<{ stdout: string; stderr: string; error: Error | null }> {
  const main = join(servicesDir(env), service, 'main.js');
  return new Promise((resolvePromise) => {
    const child = execFile(
      process.execPath,
      [main, ...argv],
      { env: serviceEnv(env, databaseUrl, dataDir), timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolvePromise({ stdout, stderr, error }),
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

function serviceEnv(env: Record<string, string | undefined>, databaseUrl: string | undefined, dataDir: string): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = { ...env, DATA_DIR: dataDir, LOG_LEVEL: 'error', PORT: '0' };
  if (databaseUrl === undefined) delete result['DATABASE_URL'];
  else result['DATABASE_URL'] = databaseUrl;
  return result;
}

async function countRows(server: ScratchServer, database: string): Promise<{ table: string; rows: number }[]> {
  const tables = await server.query<{ schema: string; name: string }>(
    `select schemaname as schema, relname as name from pg_stat_user_tables order by 1, 2`,
    [],
    database,
  );
  if (tables.length === 0) return [];
  const sql = tables.map((table, index) => `select ${index} as i, count(*)::bigint as n from ${ident(table.schema)}.${ident(table.name)}`).join(' union all ');
  const counts = await server.query<{ i: number; n: string }>(sql, [], database);
  return counts
    .map((count) => ({ table: `${tables[count.i].schema}.${tables[count.i].name}`, rows: Number(count.n) }))
    .sort((a, b) => a.table.localeCompare(b.table));
}
