import { chown, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupConfig } from './backup-config';
import { ClusterOwner, runAsOwner, ToolError } from './pgbackrest';

/** Runs SQL on the protected cluster as its owner over the Unix socket (peer authentication), one value per line. */
export async function psql(config: BackupConfig, owner: ClusterOwner, sql: string, database = 'postgres'): Promise<string[]> {
  const { stdout } = await runAsOwner(owner, 'psql', [
    '-X',
    '-A',
    '-t',
    '-q',
    '-v',
    'ON_ERROR_STOP=1',
    '-h',
    config.pgSocketDir,
    '-p',
    String(config.pgPort),
    '-d',
    database,
    '-c',
    sql,
  ]);
  return stdout.split('\n').filter((line) => line !== '');
}

/** A SQL string literal. */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The PID of the postmaster running on `dataDir`, if one runs. */
export async function runningPostmaster(dataDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: it exists but belongs to someone else — still running.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** Entries of a folder; an absent folder is empty. */
export async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ToolError(`cannot read ${dir}: ${(error as Error).message}`);
  }
}

/** A folder the cluster's owner owns, mode 0700 (PostgreSQL refuses a data folder others can read). */
export async function ownedFolder(dir: string, owner: ClusterOwner, mode = 0o700): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
  if ((process.getuid?.() ?? -1) === 0) await chown(dir, owner.uid, owner.gid);
}

/** The PostgreSQL major version of a data folder (its PG_VERSION file). */
export async function majorVersion(dataDir: string): Promise<string> {
  try {
    return (await readFile(join(dataDir, 'PG_VERSION'), 'utf8')).trim();
  } catch {
    throw new ToolError(`${dataDir} is not a PostgreSQL data folder (no PG_VERSION)`);
  }
}

/** Where the server binaries of a major version are: BACKUP_PG_BIN, else Debian's layout. */
export function serverBinDir(env: Record<string, string | undefined>, major: string): string {
  return env['BACKUP_PG_BIN'] ?? `/usr/lib/postgresql/${major}/bin`;
}
