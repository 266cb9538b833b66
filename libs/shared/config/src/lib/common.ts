import ipaddr from 'ipaddr.js';
import { BackupPolicy, parseBackupPolicy } from './backup-policy';
import { ConfigError, env } from './env';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The variables every Keyhaven service reads (see the README's table). */
export function commonEnvShape(defaultPort: number) {
  return {
    PORT: env.port(defaultPort),
    HOST: env.string('127.0.0.1'),
    DATABASE_URL: env.optionalUrl(['postgres:', 'postgresql:']),
    DATA_DIR: env.string('.data'),
    LOG_LEVEL: env.oneOf(LOG_LEVELS, 'info'),
    TRUST_PROXY: env.list([]),
    // Read for the records of processing only (what keyhaven-ops backs up, and how long).
    BACKUP_REPO: env.optionalString(),
    BACKUP_RETENTION: env.optionalString(),
  };
}

/**
 * The boot-stopping line for TRUST_PROXY entries that are neither an address nor a CIDR range
 * (`10.0.0.0/8`, `::1`); undefined when every entry is fine.
 */
export function trustProxyProblem(entries: readonly string[]): string | undefined {
  const invalid = entries.filter((entry) => !(ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry) || ipaddr.isValidCIDR(entry)));
  if (invalid.length === 0) return undefined;
  return `TRUST_PROXY: expected the addresses or CIDR ranges of your reverse proxies, e.g. 10.0.0.0/8,192.168.1.10; cannot read ${invalid.map((entry) => JSON.stringify(entry)).join(', ')}`;
}

export interface CommonConfig {
  service: string;
  port: number;
  host: string;
  /** Unset means: the embedded PostgreSQL in `<dataDir>/postgres`, started or joined. */
  databaseUrl: string | undefined;
  /** Local files of embedded mode: the cluster, its password file, generated keys. */
  dataDir: string;
  logLevel: LogLevel;
  /**
   * Reverse proxies whose X-Forwarded-For is believed (addresses and CIDR ranges). Empty: the
   * peer address is the client, and a forwarded header is ignored.
   */
  trustProxy: string[];
  /** The backups `keyhaven-ops backup` takes (BACKUP_REPO, BACKUP_RETENTION), for the records of processing; undefined when BACKUP_REPO is unset. */
  backups: BackupPolicy | undefined;
}

export function toCommonConfig(
  service: string,
  parsed: {
    PORT: number;
    HOST: string;
    DATABASE_URL: string | undefined;
    DATA_DIR: string;
    LOG_LEVEL: LogLevel;
    TRUST_PROXY: string[];
    BACKUP_REPO?: string | undefined;
    BACKUP_RETENTION?: string | undefined;
  },
): CommonConfig {
  const problem = trustProxyProblem(parsed.TRUST_PROXY);
  const backups = parseBackupPolicy(parsed.BACKUP_REPO, parsed.BACKUP_RETENTION);
  const problems = [...(problem ? [problem] : []), ...backups.problems];
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    service,
    port: parsed.PORT,
    host: parsed.HOST,
    databaseUrl: parsed.DATABASE_URL,
    dataDir: parsed.DATA_DIR,
    logLevel: parsed.LOG_LEVEL,
    trustProxy: parsed.TRUST_PROXY,
    backups: backups.policy,
  };
}
