import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MikroORM } from '@mikro-orm/postgresql';
import { CommonConfig, ConfigError } from '@keyhaven/config';
import {
  createOrmConfig,
  DatabaseOptions,
  DatabaseReadiness,
  EmbeddedPostgres,
  findOldEmbeddedData,
  oldEmbeddedDataMessage,
  runMigrations,
  startEmbeddedPostgres,
} from '@keyhaven/database';
import { listenUntilSignal } from './http-app';

export interface ServiceDefinition<C extends CommonConfig> {
  name: string;
  /** Parses and validates the environment once; throws ConfigError on a bad value. */
  loadConfig(env: Record<string, string | undefined>): C;
  database: Omit<DatabaseOptions, 'url'>;
  createApp(config: C, databaseUrl: string): Promise<NestFastifyApplication>;
  /**
   * Work after migrations and before traffic, e.g. checking the keys against the stored data,
   * seeding demo data or a bootstrap account. A ConfigError stops the boot with its one line.
   */
  afterMigrations?(app: NestFastifyApplication, config: C): Promise<void>;
  /**
   * `main.js check`: proves the keys open what the database holds (a ConfigError when they do
   * not) and says what it opened, e.g. `1 key-check value, 3 TOTP secrets`. Writes nothing but
   * what a boot would (a first key-check value).
   */
  checkKeys?(app: NestFastifyApplication, config: C): Promise<string>;
  /**
   * `main.js erasures` / `main.js reapply-erasures`: the erasures this service recorded (ids and
   * times only — the backup erasure ledger of `keyhaven-ops backup` is built from them), and
   * applying such records again after a restore from backup brought erased people back.
   */
  erasures?: ErasureHooks;
}

/** One erasure, as the backup erasure ledger keeps it: what was erased (its random id) and when — nothing about the person. */
export interface ErasureRecord {
  kind: 'account' | 'subscription';
  id: string;
  erasedAt: string;
  /** For accounts: the kind of request (the person, or an admin) — no one's identity. */
  requestedBy?: 'self' | 'admin';
}

export interface ErasureHooks {
  /** The kinds of record this service owns: `reapply-erasures` hands it only those. */
  kinds: readonly ErasureRecord['kind'][];
  list(app: NestFastifyApplication): Promise<ErasureRecord[]>;
  /** Idempotent: what is still there is erased again, a missing tombstone is written back. Answers the ids erased again. */
  reapply(app: NestFastifyApplication, records: readonly ErasureRecord[]): Promise<{ erased: string[]; tombstonesRestored: number }>;
}

/**
 * The boot sequence both services share. `node main.js` serves; `node main.js migrate` only
 * applies migrations and exits (the `nx run <service>:migrate` target); `migrate --to <name>`
 * stops after the named one; `node main.js check` checks the database (migrations, keys) without
 * serving and without migrating (the restore drill runs it against a restored copy).
 */
export async function bootService<C extends CommonConfig>(definition: ServiceDefinition<C>, argv = process.argv.slice(2)) {
  // JSON lines from the first message on; once the app exists its pino logger takes over.
  Logger.overrideLogger(new ConsoleLogger({ json: true, colors: false }));
  const logger = new Logger(definition.name);
  let config: C;
  try {
    config = definition.loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${definition.name}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = await openEmbeddedDatabase(definition.name, config.dataDir, logger);
    databaseUrl = embedded.url;
  }

  if (argv[0] === 'migrate') {
    // `migrate --to <name>` stops after that migration (moving data of an older version in).
    const to = argv[1] === '--to' ? argv[2] : undefined;
    const orm = await MikroORM.init(createOrmConfig({ url: databaseUrl, ...definition.database }));
    try {
      await runMigrations(orm, logger, to);
    } finally {
      await orm.close(true);
      await embedded?.stop();
    }
    return;
  }

  if (argv[0] === 'check') {
    process.exitCode = await checkDatabase(definition, config, databaseUrl).finally(() => embedded?.stop());
    return;
  }

  if ((argv[0] === 'erasures' || argv[0] === 'reapply-erasures') && definition.erasures) {
    process.exitCode = await erasureCommand(definition, definition.erasures, argv[0], config, databaseUrl).finally(() => embedded?.stop());
    return;
  }

  const app = await definition.createApp(config, databaseUrl);
  await migrateAndMarkReady(app, logger);
  try {
    await definition.afterMigrations?.(app, config);
  } catch (error) {
    // A configuration that cannot work with the stored data (keys that do not open it): the
    // same one line as a bad variable, and no listening at all.
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${definition.name}: ${error.message}\n`);
    await app.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    process.exit(1);
  }
  const { url } = await listenUntilSignal(app, {
    port: config.port,
    host: config.host,
    name: definition.name,
    onClose: () => embedded?.stop() ?? Promise.resolve(),
  }).catch(async (error: unknown) => {
    // The usual cause: the service already runs (npm start) — one line, not Nest's stack trace.
    if ((error as { code?: unknown } | undefined)?.code !== 'EADDRINUSE') throw error;
    await app.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    return exitWith(
      definition.name,
      `port ${config.port} on ${config.host} is in use — is ${definition.name} already running (npm start)? Stop it, or set PORT to a free port.`,
    );
  });
  logger.log(`${definition.name} ready at ${url} (docs: ${url}/docs)`);
  // Now that a boot's code is compiled, the code-cache loader of the build (main.js) may keep it.
  const saveCodeCache = (globalThis as Record<symbol, (() => void) | undefined>)[Symbol.for('keyhaven.saveCodeCache')];
  if (saveCodeCache) setImmediate(saveCodeCache);
}

/**
 * `main.js check`: one line on stdout and exit 0 when this build can serve the database — no
 * migration it does not know, the keys open the stored secrets — else one line on stderr and 1.
 * Pending migrations are reported, not applied (the next boot applies them).
 */
async function checkDatabase<C extends CommonConfig>(definition: ServiceDefinition<C>, config: C, databaseUrl: string): Promise<number> {
  Logger.overrideLogger(new ConsoleLogger({ json: true, colors: false, logLevels: ['error', 'fatal'] }));
  const app = await definition.createApp({ ...config, logLevel: 'error' }, databaseUrl);
  try {
    await app.init();
    const orm = app.get(MikroORM);
    const schema = orm.config.get('schema');
    const known = (orm.config.get('migrations').migrationsList ?? []).map((migration) => migration.name);
    const executed = (await orm.em.getConnection().execute<{ n: string | null }[]>(`select to_regclass(?) as n`, [`"${schema}".mikro_orm_migrations`]))[0]?.n
      ? (await orm.getMigrator().getExecutedMigrations()).map((migration) => migration.name)
      : [];
    if (executed.length === 0) throw new ConfigError([`DATABASE_URL: no ${definition.name} schema ("${schema}") in this database`]);
    const unknown = executed.filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      throw new ConfigError([
        `DATABASE_URL: the database has migration(s) this build does not know (${unknown.join(', ')}): it was written by a newer version`,
      ]);
    }
    const pending = known.filter((name) => !executed.includes(name));
    const keys = (await definition.checkKeys?.(app, config)) ?? 'no keys to check';
    const migrations =
      pending.length === 0 ? `migrations up to date (${executed.length})` : `${pending.length} migration(s) pending (the next boot applies them)`;
    process.stdout.write(`${definition.name} check: ok — ${migrations}; keys open ${keys}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${definition.name} check: ${error.message}\n`);
    return 1;
  } finally {
    await app.close().catch(() => undefined);
  }
}

/**
 * `main.js erasures`: this service's erasure records as one JSON line. `main.js reapply-erasures`:
 * reads `{"erasures":[…]}` from stdin, applies again those of this service's kinds, and prints
 * `{"service","erased":[ids],"tombstonesRestored"}`. Neither migrates (like `check`): they run
 * against a database this build can serve, e.g. one just restored from backup.
 */
async function erasureCommand<C extends CommonConfig>(
  definition: ServiceDefinition<C>,
  hooks: ErasureHooks,
  command: 'erasures' | 'reapply-erasures',
  config: C,
  databaseUrl: string,
): Promise<number> {
  Logger.overrideLogger(new ConsoleLogger({ json: true, colors: false, logLevels: ['error', 'fatal'] }));
  const input = command === 'reapply-erasures' ? readErasureRecords(await readStdin(), hooks.kinds) : [];
  const app = await definition.createApp({ ...config, logLevel: 'error' }, databaseUrl);
  try {
    await app.init();
    const answer =
      command === 'erasures'
        ? { service: definition.name, erasures: await hooks.list(app) }
        : { service: definition.name, ...(await hooks.reapply(app, input)) };
    process.stdout.write(`${JSON.stringify(answer)}\n`);
    return 0;
  } finally {
    await app.close().catch(() => undefined);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The records of `{"erasures":[…]}` of the given kinds; anything malformed stops the command (nothing is applied half). */
export function readErasureRecords(text: string, kinds: readonly ErasureRecord['kind'][]): ErasureRecord[] {
  const body = JSON.parse(text) as { erasures?: unknown };
  if (!Array.isArray(body.erasures)) throw new Error('reapply-erasures: expected {"erasures":[…]} on stdin');
  return body.erasures.flatMap((raw: unknown) => {
    const record = raw as Partial<ErasureRecord>;
    if (!record || typeof record.id !== 'string' || !UUID.test(record.id) || typeof record.erasedAt !== 'string' || Number.isNaN(Date.parse(record.erasedAt))) {
      throw new Error(`reapply-erasures: not an erasure record: ${JSON.stringify(raw).slice(0, 200)}`);
    }
    if (record.requestedBy !== undefined && record.requestedBy !== 'self' && record.requestedBy !== 'admin')
      throw new Error(`reapply-erasures: bad requestedBy in ${record.id}`);
    return record.kind !== undefined && kinds.includes(record.kind)
      ? [
          {
            kind: record.kind,
            id: record.id.toLowerCase(),
            erasedAt: new Date(record.erasedAt).toISOString(),
            ...(record.requestedBy ? { requestedBy: record.requestedBy } : {}),
          },
        ]
      : [];
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * No DATABASE_URL: start the embedded PostgreSQL of DATA_DIR, or join it when `npm start`, the
 * other service or a replica runs it already. Expected refusals (data of the earlier embedded
 * engine, a server that cannot start) end the process with one line, not a stack trace.
 */
export async function openEmbeddedDatabase(service: string, dataDir: string, logger: Pick<Logger, 'log'>): Promise<EmbeddedPostgres> {
  const old = await findOldEmbeddedData(dataDir, service);
  if (old) exitWith(service, oldEmbeddedDataMessage(old));
  try {
    const embedded = await startEmbeddedPostgres({ dataDir, log: (message) => logger.log(message) });
    logger.log(`No DATABASE_URL: using the embedded PostgreSQL in ${embedded.dataDir} (${embedded.started ? 'started' : 'joined'}, port ${embedded.port})`);
    return embedded;
  } catch (error) {
    return exitWith(service, `the embedded PostgreSQL in ${dataDir} is not available: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function exitWith(service: string, message: string): never {
  process.stderr.write(`${service}: ${message}\n`);
  process.exit(1);
}

/** The explicit boot step: apply pending migrations, then let `/health/ready` say yes. */
export async function migrateAndMarkReady(app: NestFastifyApplication, logger: Pick<Logger, 'log'> = new Logger('Migrations')) {
  await runMigrations(app.get(MikroORM), logger);
  app.get(DatabaseReadiness).markMigrated();
}
