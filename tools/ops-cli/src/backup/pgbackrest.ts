import { execFile } from 'node:child_process';
import { chown, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliError } from '../cli/cli-error';
import { ExitCode } from '../cli/exit-codes';
import { BackupConfig, BackupConfigError } from './backup-config';

/** One backup set as `pgbackrest info --output=json` describes it. */
export interface BackupSet {
  label: string;
  type: 'full' | 'diff' | 'incr';
  startedAt: Date;
  finishedAt: Date;
  /** Size of the database files it restores, in bytes. */
  size: number;
  /** What it takes in the repository (compressed, encrypted), in bytes. */
  repositorySize: number;
}

export interface StanzaInfo {
  backups: BackupSet[];
  /** The archive id (`15-1`) and the newest WAL segment in it, when any WAL was archived. */
  archive: { id: string; max: string } | undefined;
  cipher: string;
}

/** A command run as the cluster's owner failed: its own message, exit 1. */
export class ToolError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.api, 'backup_failed');
    this.name = 'ToolError';
  }
}

/** Who runs pgBackRest and PostgreSQL's tools: the owner of the data directory, via runuser when we are root. */
export interface ClusterOwner {
  name: string;
  uid: number;
  gid: number;
}

export async function clusterOwner(pgData: string): Promise<ClusterOwner> {
  let info;
  try {
    info = await stat(pgData);
  } catch {
    throw new BackupConfigError(`BACKUP_PG_DATA: ${pgData} does not exist or cannot be read`);
  }
  if (!info.isDirectory()) throw new BackupConfigError(`BACKUP_PG_DATA: ${pgData} is not a directory`);
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0 && uid !== info.uid) {
    throw new BackupConfigError(`run this as root or as the owner of ${pgData} (uid ${info.uid}): pgBackRest must run as the cluster's owner`);
  }
  const name = (await run('id', ['-nu', String(info.uid)])).stdout.trim();
  return { name, uid: info.uid, gid: info.gid };
}

export interface Ran {
  stdout: string;
  stderr: string;
}

/** Runs a program and collects its output; a non-zero exit becomes a ToolError carrying its own words. */
export function run(
  file: string,
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; timeoutMs?: number; label?: string; input?: string } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      { env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 0 },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        const spawnError = error as NodeJS.ErrnoException;
        if (spawnError.code === 'ENOENT')
          return reject(new ToolError(`${file} is not installed (Debian: apt-get install -y ${file === 'pgbackrest' ? 'pgbackrest' : 'postgresql-client'})`));
        const words = `${stderr}\n${stdout}`
          .trim()
          .split('\n')
          .filter((line) => line.trim() !== '');
        reject(new ToolError(`${options.label ?? file} failed: ${words.slice(-6).join(' | ') || error.message}`));
      },
    );
    // What the program reads on stdin (repo-put); otherwise stdin is closed at once.
    // (A program that exits without reading it closes the pipe: that EPIPE is not our failure.)
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** Runs `file args` as the cluster's owner (`runuser -u owner --` when we are root and it is not). */
export function runAsOwner(
  owner: ClusterOwner,
  file: string,
  args: readonly string[],
  options: { timeoutMs?: number; label?: string; env?: Record<string, string | undefined>; input?: string } = {},
): Promise<Ran> {
  const uid = process.getuid?.() ?? -1;
  const label = options.label ?? file.split('/').at(-1) ?? file;
  if (uid === 0 && owner.uid !== 0) return run('runuser', ['-u', owner.name, '--', file, ...args], { ...options, label });
  return run(file, args, { ...options, label });
}

/** pgBackRest with our configuration file and stanza. */
export function pgbackrest(
  config: BackupConfig,
  owner: ClusterOwner,
  command: string,
  args: readonly string[] = [],
  operands: readonly string[] = [],
  /** A restore names the file in the restore_command it writes (PostgreSQL runs that without our environment). */
  configFile = '/dev/null',
  input?: string,
): Promise<Ran> {
  // Options through the environment (PGBACKREST_REPO1_CIPHER_PASS…): never on a command line that `ps` shows.
  const env = Object.fromEntries(pgbackrestOptions(config).map(([name, value]) => [`PGBACKREST_${name.toUpperCase().replace(/-/g, '_')}`, value]));
  return runAsOwner(
    owner,
    'pgbackrest',
    [`--config=${configFile}`, `--stanza=${config.stanza}`, '--log-level-console=warn', '--log-level-stderr=error', ...args, command, ...operands],
    { label: `pgbackrest ${command}`, env, input },
  );
}

/** Writes a file atomically, mode 0600, owned by the cluster's owner (the pgBackRest configuration holds the cipher pass). */
export async function writeOwnerFile(path: string, text: string, owner: ClusterOwner): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  if ((process.getuid?.() ?? -1) === 0) await chown(temporary, owner.uid, owner.gid);
  await rename(temporary, path);
}

/** `archive_command`: what PostgreSQL runs for every finished WAL segment. */
export function archiveCommand(config: BackupConfig): string {
  return `pgbackrest --config=${config.configFile} --stanza=${config.stanza} archive-push %p`;
}

/** Every pgBackRest option Keyhaven sets, as [name, value]: the repository is always encrypted; retention is by time. */
export function pgbackrestOptions(config: BackupConfig): [string, string][] {
  const repo = config.repository;
  const options: [string, string][] = [];
  if (repo.kind === 'posix') {
    options.push(['repo1-path', repo.path]);
  } else {
    options.push(
      ['repo1-type', 's3'],
      ['repo1-path', repo.prefix],
      ['repo1-s3-bucket', repo.bucket],
      ['repo1-s3-endpoint', repo.endpoint],
      ['repo1-s3-region', repo.region],
      ['repo1-s3-key', repo.key],
      ['repo1-s3-key-secret', repo.secret],
      ['repo1-s3-uri-style', repo.uriStyle],
    );
    if (repo.port !== undefined) options.push(['repo1-storage-port', String(repo.port)]);
    if (repo.caFile !== undefined) options.push(['repo1-storage-ca-file', repo.caFile]);
  }
  options.push(
    ['repo1-cipher-type', 'aes-256-cbc'],
    ['repo1-cipher-pass', config.cipherPass],
    // The oldest full backup kept is the one that makes the whole window restorable.
    ['repo1-retention-full-type', 'time'],
    ['repo1-retention-full', String(config.retentionDays)],
    // zstd: about gzip's size at a fraction of its CPU (the cores are shared with the services).
    ['compress-type', 'zst'],
    // An immediate checkpoint: a backup starts now, not at the next scheduled checkpoint.
    ['start-fast', 'y'],
    ['pg1-path', config.pgData],
    ['pg1-port', String(config.pgPort)],
    ['pg1-socket-path', config.pgSocketDir],
  );
  for (const [, value] of options) {
    if (/[\r\n\0]/.test(value)) throw new BackupConfigError('a backup setting contains a line break or NUL');
  }
  return options;
}

/**
 * The configuration file `setup` writes for PostgreSQL's archive_command (mode 0600, owned by the
 * cluster's owner: it holds the cipher pass and the store's secret). The CLI's own commands do
 * not read it: they hand pgBackRest the same options from the environment, so a restore on a new
 * machine needs only the variables, and a wrong pass is refused instead of silently overridden.
 */
export function renderPgbackrestConfig(config: BackupConfig): string {
  const options = pgbackrestOptions(config);
  const stanzaOnly = ([name]: [string, string]) => name.startsWith('pg1-');
  return [
    '# Written by `keyhaven-ops backup setup` (docs/backups.md). Run setup again rather than editing it.',
    '[global]',
    ...options.filter((option) => !stanzaOnly(option)).map(([name, value]) => `${name}=${value}`),
    '',
    `[${config.stanza}]`,
    ...options.filter(stanzaOnly).map(([name, value]) => `${name}=${value}`),
    '',
  ].join('\n');
}

interface RawInfo {
  name: string;
  cipher: string;
  status: { code: number; message: string };
  archive: { id: string; max: string | null; min: string | null }[];
  backup: { label: string; type: BackupSet['type']; timestamp: { start: number; stop: number }; info: { size: number; repository: { size: number } } }[];
}

/** Backup sets, oldest first, and the newest archived WAL segment. */
export async function stanzaInfo(config: BackupConfig, owner: ClusterOwner): Promise<StanzaInfo> {
  const { stdout } = await pgbackrest(config, owner, 'info', ['--output=json']);
  // With a wrong cipher pass pgBackRest quotes the undecryptable bytes in its message: keep the JSON parseable.
  // eslint-disable-next-line no-control-regex -- the control characters are what breaks JSON.parse
  const [raw] = JSON.parse(stdout.replace(/[\u0000-\u001f]/g, ' ')) as RawInfo[];
  if (!raw) throw new ToolError(`pgbackrest info returned nothing for stanza ${config.stanza}`);
  // code 1: the stanza does not exist yet. Anything but 0 and 2 (no backups yet) is a broken repository.
  if (raw.status.code === 1) throw new ToolError(`no stanza "${config.stanza}" in the repository: run "keyhaven-ops backup setup" first`);
  if (raw.status.code !== 0 && raw.status.code !== 2) {
    const message = raw.status.message
      .replace(/[^\x20-\x7e]+/g, '?')
      .replace(/\s+/g, ' ')
      .slice(0, 400);
    throw new ToolError(
      `pgbackrest info: the repository is not usable (${message}): is BACKUP_CIPHER_PASS the pass it was created with, and BACKUP_REPO the right place?`,
    );
  }
  const archive = [...raw.archive].reverse().find((entry) => entry.max);
  return {
    cipher: raw.cipher,
    archive: archive?.max ? { id: archive.id, max: archive.max } : undefined,
    backups: raw.backup.map((backup) => ({
      label: backup.label,
      type: backup.type,
      startedAt: new Date(backup.timestamp.start * 1000),
      finishedAt: new Date(backup.timestamp.stop * 1000),
      size: backup.info.size,
      repositorySize: backup.info.repository.size,
    })),
  };
}

/**
 * When the newest archived WAL segment reached the repository: the newest moment a restore can
 * reach (a segment holds the writes up to its switch, at most archive_timeout before it was pushed).
 */
export async function newestArchivedAt(config: BackupConfig, owner: ClusterOwner, info: StanzaInfo): Promise<Date | undefined> {
  if (!info.archive) return undefined;
  const folder = `archive/${config.stanza}/${info.archive.id}/${info.archive.max.slice(0, 16)}`;
  const { stdout } = await pgbackrest(config, owner, 'repo-ls', ['--output=json'], [folder]);
  const files = JSON.parse(stdout) as Record<string, { type: string; time?: number }>;
  const times = Object.entries(files)
    .filter(([name, file]) => file.type === 'file' && name.startsWith(info.archive?.max ?? '') && file.time !== undefined)
    .map(([, file]) => (file.time ?? 0) * 1000);
  return times.length > 0 ? new Date(Math.max(...times)) : undefined;
}

/** The window a point-in-time restore can reach: from the end of the oldest backup to the newest archived WAL. */
export interface RestorableRange {
  from: Date;
  to: Date;
}

export function restorableRange(info: StanzaInfo, newestArchive: Date | undefined): RestorableRange | undefined {
  if (info.backups.length === 0) return undefined;
  const from = info.backups[0].finishedAt;
  const newestBackup = info.backups[info.backups.length - 1].finishedAt;
  const to = newestArchive && newestArchive > newestBackup ? newestArchive : newestBackup;
  return { from, to };
}

/** pgBackRest's `--target` for a time: `2026-12-01 10:15:00.000+00`. */
export function targetTime(at: Date): string {
  return `${at.toISOString().replace('T', ' ').replace('Z', '')}+00`;
}
