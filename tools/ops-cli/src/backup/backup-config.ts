import { isAbsolute } from 'node:path';
import { parseBackupRetention } from '@keyhaven/config';
import { CliError } from '../cli/cli-error';
import { ExitCode } from '../cli/exit-codes';

/** Where pgBackRest keeps backups and WAL: a folder, or a bucket of an S3-compatible store. */
export type BackupRepository =
  | { kind: 'posix'; path: string }
  | {
      kind: 's3';
      bucket: string;
      /** The folder inside the bucket, always starting with `/`. */
      prefix: string;
      endpoint: string;
      port: number | undefined;
      region: string;
      key: string;
      secret: string;
      /** A CA bundle for a store whose certificate no public CA signed (a private endpoint). */
      caFile: string | undefined;
      uriStyle: 'host' | 'path';
    };

export interface BackupConfig {
  repository: BackupRepository;
  cipherPass: string;
  retentionDays: number;
  /** The data directory of the protected PostgreSQL cluster. */
  pgData: string;
  pgPort: number;
  /** Where the cluster's Unix socket lives (pgBackRest and psql connect through it). */
  pgSocketDir: string;
  /** The pgBackRest configuration file `setup` writes and every command reads. */
  configFile: string;
  stanza: string;
}

/** A backup setting that cannot work: exit 2 with one line naming the variable, before anything is touched. */
export class BackupConfigError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.usage, 'backup_config');
    this.name = 'BackupConfigError';
  }
}

/** At least this long, and this varied: a pass from `openssl rand -base64 32` is 44 characters. */
export const MIN_CIPHER_PASS_LENGTH = 20;
const MIN_DISTINCT_CHARACTERS = 10;

/**
 * Reads the backup settings from the environment (docs/backups.md, "Configuration"). Every
 * refusal names the variable; there is no way to get an unencrypted repository.
 */
export function loadBackupConfig(env: Record<string, string | undefined>): BackupConfig {
  const value = (name: string) => {
    const text = env[name]?.trim();
    return text === undefined || text === '' ? undefined : text;
  };
  const required = (name: string, what: string) => value(name) ?? fail(`${name} is not set: ${what}`);

  return {
    repository: parseRepository(required('BACKUP_REPO', 'a folder (/var/backups/keyhaven) or s3://bucket/prefix'), value),
    cipherPass: checkCipherPass(env['BACKUP_CIPHER_PASS']),
    retentionDays: parseRetention(value('BACKUP_RETENTION') ?? '30d'),
    pgData: absolute(
      'BACKUP_PG_DATA',
      required('BACKUP_PG_DATA', 'the data directory of the PostgreSQL cluster to protect (e.g. /var/lib/postgresql/15/main)'),
    ),
    pgPort: port('BACKUP_PG_PORT', value('BACKUP_PG_PORT') ?? '5432'),
    pgSocketDir: absolute('BACKUP_PG_SOCKET_DIR', value('BACKUP_PG_SOCKET_DIR') ?? '/var/run/postgresql'),
    configFile: absolute('BACKUP_CONFIG', value('BACKUP_CONFIG') ?? '/etc/pgbackrest/keyhaven.conf'),
    stanza: stanza(value('BACKUP_STANZA') ?? 'keyhaven'),
  };
}

/** The cipher pass alone (snapshots of the embedded database need nothing else). */
export function checkCipherPass(raw: string | undefined): string {
  const pass = raw ?? '';
  if (pass === '') fail('BACKUP_CIPHER_PASS is not set: backups are always encrypted (generate one with: openssl rand -base64 32)');
  if (/[\r\n\0]/.test(pass) || pass.trim() !== pass) fail('BACKUP_CIPHER_PASS must be one line, without NUL characters or spaces around it');
  if (pass.length < MIN_CIPHER_PASS_LENGTH || new Set(pass).size < MIN_DISTINCT_CHARACTERS) {
    fail(`BACKUP_CIPHER_PASS is too weak: use at least ${MIN_CIPHER_PASS_LENGTH} random characters (openssl rand -base64 32)`);
  }
  return pass;
}

/** `30d` (the default), `4w`, or hours that make whole days (`720h`): pgBackRest keeps time in days. */
export function parseRetention(text: string): number {
  // The services read the same variable for their records of processing: one parser for both.
  const parsed = parseBackupRetention(text);
  return 'days' in parsed ? parsed.days : fail(parsed.problem);
}

function parseRepository(text: string, value: (name: string) => string | undefined): BackupRepository {
  if (!text.startsWith('s3://')) {
    if (!isAbsolute(text) || text.includes('\0')) fail(`BACKUP_REPO: expected an absolute folder or s3://bucket/prefix, got "${text}"`);
    return { kind: 'posix', path: text.replace(/\/+$/, '') || '/' };
  }
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/[A-Za-z0-9._\-/]*)?$/.exec(text);
  if (!match) fail(`BACKUP_REPO: expected s3://bucket/prefix (bucket: lower-case letters, digits, dots, hyphens), got "${text}"`);
  const prefix = `/${(match[2] ?? '').replace(/^\/+|\/+$/g, '')}`;
  const endpointText = value('BACKUP_S3_ENDPOINT') ?? fail('BACKUP_S3_ENDPOINT is not set: the https:// address of the S3-compatible store');
  let endpoint: URL;
  try {
    endpoint = new URL(endpointText.includes('://') ? endpointText : `https://${endpointText}`);
  } catch {
    return fail(`BACKUP_S3_ENDPOINT: not an address: "${endpointText}"`);
  }
  // pgBackRest talks to S3 over TLS only; WAL and backups never cross a network in the clear.
  if (endpoint.protocol !== 'https:') fail(`BACKUP_S3_ENDPOINT: must be https://, got "${endpointText}"`);
  if (endpoint.pathname !== '/' || endpoint.search !== '' || endpoint.username !== '')
    fail(`BACKUP_S3_ENDPOINT: expected https://host[:port] only, got "${endpointText}"`);
  const uriStyle = value('BACKUP_S3_URI_STYLE') ?? 'host';
  if (uriStyle !== 'host' && uriStyle !== 'path') fail(`BACKUP_S3_URI_STYLE: expected host or path, got "${uriStyle}"`);
  const caFile = value('BACKUP_S3_CA_FILE');
  return {
    kind: 's3',
    bucket: match[1],
    prefix,
    endpoint: endpoint.hostname,
    port: endpoint.port === '' ? undefined : Number(endpoint.port),
    region: value('BACKUP_S3_REGION') ?? fail('BACKUP_S3_REGION is not set (e.g. eu-central-1; any value a store without regions accepts)'),
    key: value('BACKUP_S3_KEY') ?? fail('BACKUP_S3_KEY is not set: the access key id'),
    secret: value('BACKUP_S3_SECRET') ?? fail('BACKUP_S3_SECRET is not set: the secret access key'),
    caFile: caFile === undefined ? undefined : absolute('BACKUP_S3_CA_FILE', caFile),
    uriStyle,
  };
}

function absolute(name: string, path: string): string {
  if (!isAbsolute(path) || path.includes('\0') || /[\r\n]/.test(path)) fail(`${name}: expected an absolute path, got "${path}"`);
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

function port(name: string, text: string): number {
  const number = Number(text);
  if (!/^\d{1,5}$/.test(text) || number < 1 || number > 65535) fail(`${name}: expected a port (1–65535), got "${text}"`);
  return number;
}

function stanza(text: string): string {
  if (!/^[a-z][a-z0-9_-]{0,62}$/.test(text)) fail(`BACKUP_STANZA: expected lower-case letters, digits, - and _, got "${text}"`);
  return text;
}

function fail(message: string): never {
  throw new BackupConfigError(message);
}
