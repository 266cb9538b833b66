import { spawn } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { appendFile, chmod, chown, copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gunzipSync } from 'node:zlib';
import { Client } from 'pg';
import { EMBEDDED_FILES, isClusterServer, readPostmasterState, serverUser, startEmbeddedPostgres } from '@keyhaven/database/embedded';
import { deriveKey } from './pass-key';
import { ToolError } from './pgbackrest';

/**
 * Encrypted snapshots of the embedded PostgreSQL (`npm start` without DATABASE_URL): a physical
 * copy taken with PostgreSQL's backup API while it runs (pg_backup_start … pg_backup_stop, plus
 * the WAL written meanwhile), so it is consistent; tar + gzip + AES-256-GCM under a key derived
 * from BACKUP_CIPHER_PASS (scrypt). A snapshot is one moment — not point-in-time recovery.
 */
const MAGIC = Buffer.from('KHSNAP01');
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + SALT_BYTES + IV_BYTES;
export const SNAPSHOT_SUFFIX = '.khsnap';

/** What PostgreSQL itself leaves out of a base backup (runtime state, rebuilt at start). */
const SKIP_CONTENTS = new Set(['pg_wal', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans']);
const SKIP_FILES = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label', 'tablespace_map']);

/** Copies a folder; files that vanish meanwhile (a dropped table) are skipped, as pg_basebackup does. */
async function copyTree(from: string, to: string, skip: (relative: string, isDir: boolean) => 'copy' | 'empty' | 'skip', prefix = ''): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o700 });
  let names: string[];
  try {
    names = await readdir(from);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const name of names) {
    const relative = prefix ? `${prefix}/${name}` : name;
    const source = join(from, name);
    let info;
    try {
      info = await lstat(source);
    } catch {
      continue;
    }
    const decision = skip(relative, info.isDirectory());
    if (decision === 'skip') continue;
    if (info.isDirectory()) {
      if (decision === 'empty') await mkdir(join(to, name), { recursive: true, mode: 0o700 });
      else await copyTree(source, join(to, name), skip, relative);
    } else if (info.isFile()) {
      await copyFile(source, join(to, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
  }
}

function tarCreate(dir: string): Readable {
  const child = spawn('tar', ['-c', '-C', dir, '-f', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.once('exit', (code) => {
    if (code !== 0) child.stdout.destroy(new ToolError(`tar exited with ${code}`));
  });
  return child.stdout;
}

function tarExtract(archive: Buffer, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-x', '-C', dir, '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new ToolError(`tar could not unpack the snapshot: ${errors.trim()}`))));
    child.stdin.end(archive);
  });
}

export interface SnapshotResult {
  file: string;
  bytes: number;
  seconds: number;
  pruned: string[];
}

export async function takeSnapshot(dataDir: string, pass: string, retentionDays: number, now: () => Date): Promise<SnapshotResult> {
  const clusterDir = join(dataDir, EMBEDDED_FILES.cluster);
  if (!(await stat(join(clusterDir, 'PG_VERSION')).catch(() => undefined))) {
    throw new ToolError(`no embedded database in ${dataDir} (start Keyhaven once with "npm start", or set DATA_DIR)`);
  }
  const started = Date.now();
  const backups = join(dataDir, 'backups');
  await mkdir(backups, { recursive: true, mode: 0o700 });
  await chmod(backups, 0o700);
  const staging = await mkdtemp(join(backups, '.staging-'));
  try {
    // Joins the running server, or starts it for the duration.
    const embedded = await startEmbeddedPostgres({ dataDir });
    const client = new Client({ connectionString: embedded.url, application_name: 'keyhaven-snapshot' });
    try {
      await client.connect();
      // A fast checkpoint: the copy starts now. The session must stay open until pg_backup_stop.
      await client.query(`select pg_backup_start('keyhaven snapshot', true)`);
      await copyTree(clusterDir, join(staging, 'postgres'), (relative, isDir) => {
        if (SKIP_FILES.has(relative)) return 'skip';
        if (isDir && SKIP_CONTENTS.has(relative)) return 'empty';
        return relative.includes('pgsql_tmp') ? 'skip' : 'copy';
      });
      const { rows } = await client.query<{ labelfile: string; spcmapfile: string | null }>('select labelfile, spcmapfile from pg_backup_stop(false)');
      await writeFile(join(staging, 'postgres', 'backup_label'), rows[0]?.labelfile ?? '');
      // The WAL from the start of the copy to its end, which the first start replays to a consistent state.
      await copyTree(join(clusterDir, 'pg_wal'), join(staging, 'postgres', 'pg_wal'), (_relative, isDir) => (isDir ? 'empty' : 'copy'));
      // The server's password goes with its roles (it is inside the encrypted file, like everything else).
      await copyFile(join(dataDir, EMBEDDED_FILES.password), join(staging, EMBEDDED_FILES.password));
    } finally {
      await client.end().catch(() => undefined);
      await embedded.stop();
    }

    const at = now();
    const file = join(backups, `keyhaven-${at.toISOString().replace(/[:.]/g, '-')}${SNAPSHOT_SUFFIX}`);
    const salt = randomBytes(SALT_BYTES);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', await deriveKey(pass, salt), iv);
    await writeFile(file, Buffer.concat([MAGIC, salt, iv]), { mode: 0o600 });
    await pipeline(tarCreate(staging), createGzip(), cipher, createWriteStream(file, { flags: 'a' }));
    await appendFile(file, cipher.getAuthTag());
    const pruned = await prune(backups, retentionDays, at, file);
    return { file, bytes: (await stat(file)).size, seconds: (Date.now() - started) / 1000, pruned };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Removes snapshots older than the retention (never the one just taken). */
async function prune(dir: string, retentionDays: number, now: Date, keep: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    if (!name.endsWith(SNAPSHOT_SUFFIX) || path === keep) continue;
    const { mtime } = await stat(path);
    if (now.getTime() - mtime.getTime() > retentionDays * 86_400_000) {
      await rm(path, { force: true });
      removed.push(name);
    }
  }
  return removed;
}

/** Decrypts and verifies a snapshot (the GCM tag covers every byte): a wrong pass or a damaged file is refused whole. */
export async function openSnapshot(file: string, pass: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new ToolError(`cannot read ${file}`);
  }
  if (bytes.length < HEADER_BYTES + TAG_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw new ToolError(`${file} is not a Keyhaven snapshot`);
  const salt = bytes.subarray(MAGIC.length, MAGIC.length + SALT_BYTES);
  const iv = bytes.subarray(MAGIC.length + SALT_BYTES, HEADER_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', await deriveKey(pass, salt), iv);
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return gunzipSync(Buffer.concat([decipher.update(bytes.subarray(HEADER_BYTES, bytes.length - TAG_BYTES)), decipher.final()]));
  } catch {
    throw new ToolError(`cannot open ${file}: a wrong BACKUP_CIPHER_PASS, or a damaged file (nothing was changed)`);
  }
}

export interface RestoreSnapshotResult {
  /** Where the data it replaced was moved (nothing is deleted). */
  previous: string | undefined;
  seconds: number;
}

/** Puts a snapshot in place of the embedded database (which must be stopped) and starts it once to replay its WAL. */
export async function restoreSnapshot(file: string, dataDir: string, pass: string, now: () => Date): Promise<RestoreSnapshotResult> {
  const started = Date.now();
  const clusterDir = join(dataDir, EMBEDDED_FILES.cluster);
  const state = await readPostmasterState(clusterDir);
  if (state && state.pid > 0 && (await isClusterServer(state.pid, clusterDir))) {
    throw new ToolError(
      `the embedded PostgreSQL in ${clusterDir} is running (pid ${state.pid}): stop "npm start" and every service first (nothing was changed)`,
    );
  }
  const archive = await openSnapshot(file, pass);
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  const staging = await mkdtemp(join(dataDir, '.restore-'));
  try {
    await tarExtract(archive, staging);
    if (!(await stat(join(staging, 'postgres', 'backup_label')).catch(() => undefined))) throw new ToolError(`${file} holds no database copy`);
    const stamp = now().toISOString().replace(/[:.]/g, '-');
    let previous: string | undefined;
    if (await stat(clusterDir).catch(() => undefined)) {
      previous = `${clusterDir}.before-restore-${stamp}`;
      await rename(clusterDir, previous);
    }
    const passwordFile = join(dataDir, EMBEDDED_FILES.password);
    if (await stat(passwordFile).catch(() => undefined)) await rename(passwordFile, `${passwordFile}.before-restore-${stamp}`);
    await rename(join(staging, 'postgres'), clusterDir);
    await rename(join(staging, EMBEDDED_FILES.password), passwordFile);
    await chmod(clusterDir, 0o700);
    await chmod(passwordFile, 0o600);
    const user = await serverUser();
    if (user) await chownTree(clusterDir, user.uid, user.gid);
    // The first start replays the copied WAL to the end of the snapshot; then it is an ordinary server.
    const embedded = await startEmbeddedPostgres({ dataDir });
    await embedded.stop();
    return { previous, seconds: (Date.now() - started) / 1000 };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  if (!(await lstat(path)).isDirectory()) return;
  for (const name of await readdir(path)) await chownTree(join(path, name), uid, gid);
}
