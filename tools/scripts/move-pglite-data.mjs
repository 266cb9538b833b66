#!/usr/bin/env node
// `npm run move-pglite-data`: moves the data of the earlier embedded database into the embedded
// PostgreSQL of this version. Run it once after upgrading, with the services stopped and after
// `npm run build`.
//
// Keyhaven used to run PGlite (PostgreSQL 18 compiled to 32-bit WebAssembly) in each service,
// its files in DATA_DIR (by default .data/auth-service and .data/release-api). PostgreSQL 17
// cannot open those files, so the rows are moved logically:
//  1. PGlite 0.5.14 (the version that wrote them) is installed into a temporary folder — it is
//     no longer a dependency of Keyhaven — and opens a copy of each old folder;
//  2. the embedded PostgreSQL of DATA_DIR (.data/postgres) is started, and each service's own
//     `migrate --to <the last migration the old data has>` creates its schema at that same level;
//     release-api's job queue schema (pg-boss) is created by pg-boss itself, with the same queues;
//  3. every table's rows are copied in one transaction per service (foreign keys and triggers
//     held off while copying, as pg_restore does), sequences are set, row counts are compared;
//  4. only then is the old folder renamed to `<folder>.pglite` (kept, never deleted) — the
//     service's generated key file is copied to where this version reads it.
// Booting afterwards applies the migrations added since.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '../..');
const require = createRequire(join(root, 'package.json'));
const pg = require('pg');
const PgBoss = require('pg-boss');

const PGLITE = '@electric-sql/pglite@0.5.14';
/** Marks a schema this tool created and has not finished filling (see claimSchemas). */
const MOVING = 'keyhaven: being moved from PGlite';
const SERVICES = [
  { name: 'auth-service', schemas: ['auth'], keyFile: 'auth-encryption.keys' },
  { name: 'release-api', schemas: ['release'], jobsSchema: 'release_jobs' },
];
const dataDir = resolve(root, process.env.DATA_DIR ?? '.data');

const found = SERVICES.map((service) => ({ ...service, old: findOld(service.name) })).filter((service) => service.old);
if (found.length === 0) {
  console.log(`No data of the earlier embedded database in ${dataDir}: nothing to move.`);
  process.exit(0);
}
for (const service of found) {
  if (!existsSync(join(root, 'dist/apps', service.name, 'main.js'))) fail(`dist/apps/${service.name}/main.js is missing: run npm run build first.`);
}
console.log(`Moving ${found.map((s) => `${s.name} (${s.old})`).join(' and ')} into the embedded PostgreSQL of ${dataDir}.`);

const work = mkdtempSync(join(tmpdir(), 'keyhaven-move-'));
let embedded;
let current;
try {
  console.log(`Installing ${PGLITE} into a temporary folder (it can read the old files)…`);
  execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', work, PGLITE], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const { PGlite } = await import(pathToFileURL(join(work, 'node_modules/@electric-sql/pglite/dist/index.js')).href);

  // A DATA_DIR that is itself an old PGlite folder must make room for the new cluster first.
  if (found.some((service) => service.old === dataDir)) moveAside(dataDir, { recreate: true });
  chmodSync(work, 0o755);
  embedded = await startEmbedded();

  for (const service of found) {
    current = service;
    const copy = join(work, service.name);
    cpSync(service.old, copy, { recursive: true });
    const source = await PGlite.create(copy);
    try {
      await moveService(service, source, embedded.url);
    } finally {
      await source.close();
    }
    if (!service.original) moveAside(service.old, { recreate: false }); // kept as <folder>.pglite
    placeKeyFile(service);
    service.moved = true;
  }
  console.log('\nDone. Start Keyhaven as usual (npm start); the old folders are kept:');
  for (const service of found) console.log(`  ${service.old}  (remove it once you have checked your data)`);
} catch (error) {
  console.error(`\nThe move stopped${current ? ` at ${current.name}` : ''}: ${error.message}`);
  for (const service of found) {
    console.error(
      service.moved
        ? `  ${service.name}: moved (old folder kept at ${service.old})`
        : `  ${service.name}: not moved; its old folder is untouched at ${service.old}`,
    );
  }
  console.error('Fix the cause and run it again: it picks up what was not moved.');
  process.exitCode = 1;
} finally {
  await embedded?.stop();
  rmSync(work, { recursive: true, force: true });
}

/** `<dataDir>/<service>` (the earlier default layout) or DATA_DIR itself, when it holds PGlite files. */
function findOld(name) {
  for (const dir of [join(dataDir, name), dataDir]) if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  return undefined;
}

async function moveService(service, source, serverUrl) {
  const schemas = [...service.schemas, ...(service.jobsSchema ? [service.jobsSchema] : [])];
  const present = (await source.query('select nspname from pg_namespace where nspname = any($1)', [schemas])).rows.map((r) => r.nspname);
  const applied = [];
  for (const schema of service.schemas.filter((s) => present.includes(s))) {
    const { rows } = await source.query(`select name from "${schema}".mikro_orm_migrations order by id`);
    applied.push(...rows.map((r) => r.name));
  }
  if (applied.length === 0) fail(`${service.old} has no migrated ${service.name} schema: nothing to move (move the folder away instead).`);
  console.log(`${service.name}: the old data has ${applied.length} migration(s), the last ${applied.at(-1)}`);

  // Schemas this tool made in a run that stopped are dropped and made again; any other is data.
  await claimSchemas(schemas, serverUrl);
  // The service creates its own schema at the old data's level (its own code, no SQL copied here).
  const migrate = spawnSync(process.execPath, [join(root, 'dist/apps', service.name, 'main.js'), 'migrate', '--to', applied.at(-1)], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', DATABASE_URL: serverUrl, ...keyEnv(service) },
    encoding: 'utf8',
  });
  if (migrate.status !== 0) fail(`${service.name} migrate --to ${applied.at(-1)} failed: ${(migrate.stderr || migrate.stdout).trim()}`);

  const target = new pg.Client({ connectionString: serverUrl });
  await target.connect();
  try {
    for (const schema of service.schemas) {
      const { rows } = await target.query(`select name from "${schema}".mikro_orm_migrations order by id`);
      if (rows.map((r) => r.name).join() !== applied.join())
        fail(`${service.name}: the new schema "${schema}" is at other migrations than the old data; nothing copied.`);
    }
    if (service.jobsSchema && present.includes(service.jobsSchema)) await prepareJobs(service.jobsSchema, source, serverUrl);
    await copyRows(
      service,
      schemas.filter((s) => present.includes(s)),
      source,
      target,
    );
    for (const schema of schemas) await target.query(`comment on schema "${schema}" is null`).catch(() => undefined);
  } finally {
    await target.end();
  }
}

async function claimSchemas(schemas, serverUrl) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    for (const schema of schemas) {
      const { rows } = await client.query('select obj_description(oid, $2) as note from pg_namespace where nspname = $1', [schema, 'pg_namespace']);
      if (rows.length && rows[0].note !== MOVING) fail(`the new database already has a schema "${schema}" (the service ran on it?); nothing copied.`);
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.query(`create schema "${schema}"`);
      await client.query(`comment on schema "${schema}" is '${MOVING}'`);
    }
  } finally {
    await client.end();
  }
}

/** pg-boss creates its schema (same pg-boss version as before) and the queues the old data has. */
async function prepareJobs(schema, source, serverUrl) {
  const boss = new PgBoss({ connectionString: serverUrl, schema, supervise: false, schedule: false, max: 2 });
  boss.on('error', () => undefined);
  await boss.start();
  try {
    const [{ version: oldVersion }] = (await source.query(`select version from "${schema}".version`)).rows;
    const [{ version }] = (await boss.getDb().executeSql(`select version from "${schema}".version`)).rows;
    if (Number(version) !== Number(oldVersion)) fail(`the job queue schema is at pg-boss schema version ${oldVersion} in the old data, ${version} here.`);
    const queues = (
      await source.query(
        `select name, policy, retry_limit, retry_delay, retry_backoff, expire_seconds, retention_minutes, dead_letter from "${schema}".queue order by dead_letter nulls first`,
      )
    ).rows;
    for (const q of queues) {
      if (await boss.getQueue(q.name)) continue;
      const options = {
        policy: q.policy,
        retryLimit: q.retry_limit,
        retryDelay: q.retry_delay,
        retryBackoff: q.retry_backoff,
        expireInSeconds: q.expire_seconds,
        retentionMinutes: q.retention_minutes,
        deadLetter: q.dead_letter,
      };
      // pg-boss checks every option that is present: leave the unset ones out.
      await boss.createQueue(q.name, Object.fromEntries(Object.entries(options).filter(([, value]) => value !== null)));
    }
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}

/** Every table's rows in one transaction; the JSON text passes through untouched (no number loss). */
async function copyRows(service, schemas, source, target) {
  const skip = new Set(['mikro_orm_migrations', 'version', 'queue']);
  const tables = (
    await source.query(
      `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = any($1) and c.relkind in ('r', 'p') and not c.relispartition order by 1, 2`,
      [schemas],
    )
  ).rows.filter((t) => !skip.has(t.name));
  await target.query('begin');
  try {
    await target.query('set local session_replication_role = replica');
    const counts = [];
    for (const { schema, name } of tables) {
      const table = `"${schema}"."${name}"`;
      // Rows the migrations seeded (e.g. the catalog sequence) come again from the old data.
      await target.query(`delete from ${table}`);
      const { rows } = await source.query(`select coalesce(json_agg(t), '[]')::text as rows, count(*)::int as n from ${table} t`);
      await target.query(`insert into ${table} overriding system value select * from json_populate_recordset(null::${table}, $1::json)`, [rows[0].rows]);
      const { rows: copied } = await target.query(`select count(*)::int as n from ${table}`);
      if (copied[0].n !== rows[0].n) fail(`${table}: ${rows[0].n} rows in the old data, ${copied[0].n} copied.`);
      counts.push(`${schema}.${name} ${copied[0].n}`);
    }
    const sequences = (
      await source.query('select schemaname, sequencename, last_value from pg_sequences where schemaname = any($1) and last_value is not null', [schemas])
    ).rows;
    for (const s of sequences) await target.query('select setval($1::regclass, $2)', [`"${s.schemaname}"."${s.sequencename}"`, s.last_value]);
    await target.query('commit');
    console.log(`${service.name}: copied ${counts.join(', ')}`);
  } catch (error) {
    await target.query('rollback').catch(() => undefined);
    throw error;
  }
}

/** With DATABASE_URL the services want their keys explicitly: those of the old folder. */
function keyEnv(service) {
  if (service.keyFile) {
    const file = join(service.old, service.keyFile);
    return existsSync(file) ? { AUTH_ENCRYPTION_KEYS: readFileSync(file, 'utf8').trim() } : {};
  }
  const file = oldReleaseKeyFile(service);
  return file ? { RELEASE_KEY_ENCRYPTION_KEY: readFileSync(file, 'utf8').trim() } : {};
}

/** Where the earlier version kept release-api's generated key: beside its data folder. */
function oldReleaseKeyFile(service) {
  const original = service.original ?? service.old;
  const file = join(dirname(original), `${basename(original)}.signing-key-encryption.key`);
  return existsSync(file) ? file : undefined;
}

/** Generated keys go where this version reads them (DATA_DIR/auth-service/, DATA_DIR/). */
function placeKeyFile(service) {
  if (service.keyFile) {
    const from = join(service.old, service.keyFile);
    const to = join(dataDir, service.name, service.keyFile);
    if (existsSync(from) && from !== to) copyPrivate(from, to);
  } else {
    const from = oldReleaseKeyFile(service);
    const to = join(dataDir, 'release-api.signing-key-encryption.key');
    if (from && from !== to) copyPrivate(from, to);
  }
}

function copyPrivate(from, to) {
  if (existsSync(to)) fail(`${to} exists already; not overwriting a key.`);
  mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
  cpSync(from, to);
  chmodSync(to, 0o600);
}

/** Renames a folder to `<folder>.pglite` (or `.pglite-2`, …), never deleting anything; `service.old` follows it. */
function moveAside(dir, { recreate }) {
  let aside = `${dir}.pglite`;
  for (let n = 2; existsSync(aside); n++) aside = `${dir}.pglite-${n}`;
  // auth-service's key file goes with its old folder; placeKeyFile copies it back.
  renameSync(dir, aside);
  if (recreate) mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const service of found) {
    if (service.old === dir) {
      service.original = dir;
      service.old = aside;
    }
  }
}

/** The embedded PostgreSQL of DATA_DIR, through the services' own code (TypeScript via ts-node). */
async function startEmbedded() {
  const lib = join(root, 'libs/shared/database');
  require('ts-node').register({ project: join(lib, 'tsconfig.json'), transpileOnly: true });
  const { startEmbeddedPostgres } = require(join(lib, 'src/lib/embedded/shared-server.ts'));
  return startEmbeddedPostgres({ dataDir, log: (message) => console.log(message) });
}

function fail(message) {
  throw new Error(message);
}
