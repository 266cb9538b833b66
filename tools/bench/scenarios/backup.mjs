// Backups (issue #13): on a throwaway Debian PostgreSQL cluster holding both services' schemas,
// 100,000 accounts and 1,000,000 security events (quick: a tenth), a full pgBackRest backup and a
// restore (through `keyhaven-ops backup`) next to a plain `pg_dump -Fc | pg_restore` of the same
// database as the baseline: MB/s each way, sizes, and the RTO — from "restore" to both services
// ready on the restored data. Runs once (on its own cluster), in the embedded pass only.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../lib/context.mjs';

export const title = 'backup: pgBackRest full backup / restore vs pg_dump | pg_restore, and the RTO';

const exec = promisify(execFile);
const sh = async (file, args, options = {}) => (await exec(file, args, { maxBuffer: 64 * 1024 * 1024, ...options })).stdout;
const seconds = async (work) => {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
};

export default async function backup(ctx) {
  if (ctx.database !== 'embedded') return console.log('(runs once, on a cluster of its own: see the embedded pass)');
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/pg_createcluster') || !existsSync('/usr/bin/pgbackrest')) {
    return console.log('SKIPPED: needs root, postgresql-common and pgbackrest (apt-get install -y postgresql pgbackrest)');
  }
  const accounts = ctx.quick ? 10_000 : 100_000;
  const eventsPerAccount = 10;
  const major = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))[0];
  const name = `khbench_${process.pid}`;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const dir = await mkdtemp(join(tmpdir(), 'keyhaven-bench-backup-'));
  await chmod(dir, 0o755);
  const dataDir = `/var/lib/postgresql/${major}/${name}`;
  const psql = (sql, database = 'postgres') =>
    sh('runuser', ['-u', 'postgres', '--', 'psql', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-p', String(port), '-d', database, '-c', sql]);
  const cluster = (action) => sh('pg_ctlcluster', ['--skip-systemctl-redirect', major, name, action, ...(action === 'stop' ? ['-m', 'fast'] : [])]);
  const services = [];
  try {
    await sh('pg_createcluster', [major, name, '-p', String(port)]);
    await cluster('start');
    const password = randomBytes(12).toString('hex');
    await psql(`create role keyhaven login password '${password}'`);
    await psql('create database keyhaven owner keyhaven');
    const databaseUrl = `postgres://keyhaven:${password}@127.0.0.1:${port}/keyhaven`;
    const keys = { AUTH_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`, RELEASE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url') };
    const serviceEnv = { PATH: process.env.PATH, HOME: dir, DATABASE_URL: databaseUrl, ...keys, DATA_DIR: join(dir, 'service-data'), LOG_LEVEL: 'warn' };
    for (const service of ['auth-service', 'release-api'])
      await sh(process.execPath, [join(ROOT, 'dist/apps', service, 'main.js'), 'migrate'], { env: serviceEnv });

    // The data: accounts (a password hash's length of text), ten security events each.
    await psql(
      `insert into auth.account (id, email, password_hash, created_at, updated_at)
       select gen_random_uuid(), 'user' || n || '@example.test', repeat('x', 97), now(), now() from generate_series(1, ${accounts}) n`,
      'keyhaven',
    );
    await psql(
      `insert into auth.security_event (id, type, account_id, ip_prefix, details, occurred_at)
       select gen_random_uuid(), 'mfa_succeeded', a.id, '203.0.113.0/24', '{"method":"totp"}'::jsonb, now() - (e || ' minutes')::interval
       from auth.account a cross join generate_series(1, ${eventsPerAccount}) e`,
      'keyhaven',
    );
    await psql('vacuum analyze', 'keyhaven');
    const databaseBytes = Number(await psql('select sum(pg_database_size(datname)) from pg_database'));
    const keyhavenBytes = Number(await psql(`select pg_database_size('keyhaven')`));
    const mb = (bytes) => bytes / 1024 / 1024;

    // pgBackRest through the ops CLI.
    const backupEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      BACKUP_REPO: join(dir, 'repo'),
      BACKUP_CIPHER_PASS: randomBytes(30).toString('base64'),
      BACKUP_PG_DATA: dataDir,
      BACKUP_PG_PORT: String(port),
      BACKUP_CONFIG: join(dir, 'pgbackrest.conf'),
      BACKUP_STANZA: name.replace(/_/g, '-'),
      // run and restore read and re-apply the erasure ledger through the services' own commands.
      DATABASE_URL: databaseUrl,
      ...keys,
    };
    const cli = (...argv) => sh(process.execPath, [join(ROOT, 'dist/tools/ops-cli/main.js'), 'backup', ...argv], { env: backupEnv });
    await cli('setup');
    await cluster('restart');
    await cli('setup');
    const backupSeconds = await seconds(() => cli('run', '--full'));
    const [newest] = JSON.parse(await cli('list', '--json')).backups.slice(-1);

    // The baseline: pg_dump -Fc of the Keyhaven database (as its owner, over TCP), pg_restore into a new one.
    const dumpFile = join(dir, 'keyhaven.dump');
    const dumpSeconds = await seconds(() => sh('pg_dump', ['-Fc', '-d', databaseUrl, '-f', dumpFile]));
    const dumpBytes = (await stat(dumpFile)).size;
    await psql('create database keyhaven_dump owner keyhaven');
    const dumpUrl = databaseUrl.replace(/\/keyhaven$/, '/keyhaven_dump');
    const pgRestoreSeconds = await seconds(() => sh('pg_restore', ['-d', dumpUrl, '--no-owner', dumpFile]));
    // Baseline RTO: pg_restore, then both services ready on that database.
    const dumpReady = await seconds(async () => {
      for (const service of ['auth-service', 'release-api'])
        services.push(await ctx.startService(service, { ...serviceEnv, DATABASE_URL: dumpUrl, PORT: '0' }));
    });
    while (services.length) await services.pop().stop();

    // The restore: services and PostgreSQL stopped, restore --latest (which also replays the WAL,
    // promotes and re-applies the erasure ledger before anyone can connect), start, both services ready.
    await cluster('stop');
    let restoreSeconds = 0;
    let recoverySeconds = 0;
    const rtoSeconds = await seconds(async () => {
      restoreSeconds = await seconds(() => cli('restore', '--latest', '--force'));
      recoverySeconds = await seconds(async () => {
        await cluster('start');
        while ((await psql('select pg_is_in_recovery()').catch(() => 't')).trim() !== 'f') await new Promise((resolve) => setTimeout(resolve, 100));
      });
      for (const service of ['auth-service', 'release-api']) services.push(await ctx.startService(service, { ...serviceEnv, PORT: '0' }));
    });
    const restoredAccounts = Number(await psql('select count(*) from auth.account', 'keyhaven'));
    if (restoredAccounts !== accounts) throw new Error(`restored ${restoredAccounts} accounts, expected ${accounts}`);
    while (services.length) await services.pop().stop();

    const backupRate = mb(newest.size) / backupSeconds;
    const dumpRate = mb(keyhavenBytes) / dumpSeconds;
    const restoreRate = mb(newest.size) / restoreSeconds;
    const pgRestoreRate = mb(keyhavenBytes) / pgRestoreSeconds;
    const baselineRto = dumpReady + pgRestoreSeconds;
    ctx.table(title, [
      {
        data: `${accounts} accounts, ${accounts * eventsPerAccount} events`,
        'cluster MB': mb(databaseBytes).toFixed(1),
        'keyhaven DB MB': mb(keyhavenBytes).toFixed(1),
        'backup s': backupSeconds.toFixed(1),
        'backup MB/s': backupRate.toFixed(1),
        'repo MB': mb(newest.repositorySize).toFixed(1),
        'pg_dump s': dumpSeconds.toFixed(1),
        'pg_dump MB/s': dumpRate.toFixed(1),
        'dump MB': mb(dumpBytes).toFixed(1),
        'restore s': restoreSeconds.toFixed(1),
        'recovery s': recoverySeconds.toFixed(1),
        'pg_restore s': pgRestoreSeconds.toFixed(1),
        'RTO s': rtoSeconds.toFixed(1),
        'pg_restore RTO s': baselineRto.toFixed(1),
      },
    ]);
    ctx.result({
      measure: 'pgBackRest full backup MB/s vs pg_dump -Fc',
      value: ctx.ratio(backupRate, dumpRate),
      detail: `${backupRate.toFixed(1)} vs ${dumpRate.toFixed(1)} MB/s (whole cluster vs one database)`,
    });
    ctx.result({
      measure: 'pgBackRest restore MB/s vs pg_restore',
      value: ctx.ratio(restoreRate, pgRestoreRate),
      detail: `${restoreRate.toFixed(1)} vs ${pgRestoreRate.toFixed(1)} MB/s`,
    });
    ctx.result({
      measure: 'backup in repository vs pg_dump file (size)',
      value: ctx.ratio(newest.repositorySize, dumpBytes),
      detail: `${mb(newest.repositorySize).toFixed(1)} vs ${mb(dumpBytes).toFixed(1)} MB, encrypted vs plain`,
    });
    ctx.result({
      measure: 'RTO: restore → both services ready',
      value: rtoSeconds * 1000,
      unit: 'ms',
      detail: `pg_restore path ${(baselineRto * 1000).toFixed(0)} ms; ratio ${ctx.ratio(rtoSeconds, baselineRto)}`,
    });
  } finally {
    while (services.length)
      await services
        .pop()
        .stop()
        .catch(() => undefined);
    await sh('pg_dropcluster', ['--stop', major, name]).catch(() => undefined);
    await rm(`/etc/postgresql/${major}/${name}`, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
}
