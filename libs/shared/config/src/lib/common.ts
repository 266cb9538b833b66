import { env } from './env';

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
  };
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
}

export function toCommonConfig(
  service: string,
  parsed: { PORT: number; HOST: string; DATABASE_URL: string | undefined; DATA_DIR: string; LOG_LEVEL: LogLevel },
): CommonConfig {
  return {
    service,
    port: parsed.PORT,
    host: parsed.HOST,
    databaseUrl: parsed.DATABASE_URL,
    dataDir: parsed.DATA_DIR,
    logLevel: parsed.LOG_LEVEL,
  };
}
