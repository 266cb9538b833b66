import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createThrowawayCluster, LocalS3, ServiceProcess, startLocalS3, ThrowawayCluster, throwawayClusterUnavailable } from '@keyhaven/testing';
import { oathtoolCode, requireBuilt, runBuiltCli, startBuiltService } from './support/built-processes';

const unavailable = throwawayClusterUnavailable();
const describeWithCluster = unavailable ? describe.skip : describe;
if (unavailable) process.stderr.write(`SKIPPED backup e2e: ${unavailable}\n`);

/** Every file under `dir`, recursively. */
async function files(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await files(path)));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

/**
 * pgBackRest with a cipher: every repository file is OpenSSL-encrypted ("Salted__") and no
 * plaintext leaks — but for the erasure ledger, which Keyhaven seals itself (AES-256-GCM, "KHLEDG01").
 */
async function expectEncrypted(paths: string[], plaintext: string): Promise<void> {
  expect(paths.length).toBeGreaterThan(5);
  for (const path of paths) {
    const bytes = await readFile(path);
    if (bytes.length === 0) continue;
    const head = path.includes('keyhaven-erasures') ? 'KHLEDG01' : 'Salted__';
    expect({ path, head: bytes.subarray(0, 8).toString('latin1') }).toEqual({ path, head });
    expect(bytes.includes(Buffer.from(plaintext))).toBe(false);
  }
}

/**
 * keyhaven-ops backup, built, against a throwaway Debian PostgreSQL cluster with both built
 * services on it: setup, full backup, writes, a point-in-time restore that brings back exactly
 * the writes before the moment (TOTP sign-in proves the secrets decrypt), the drill and its
 * refusal of a wrong key ring, the same on an S3-compatible store over TLS, and the bad inputs.
 */
describeWithCluster('keyhaven-ops backup (pgBackRest on a throwaway cluster)', () => {
  const OPS = { email: 'ops@example.test', password: 'correct horse battery staple 42' };
  const CIPHER = randomBytes(30).toString('base64');
  const keys = { AUTH_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`, RELEASE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url') };
  let cluster: ThrowawayCluster;
  let dir: string;
  let databaseUrl: string;
  let backupEnv: Record<string, string>;
  let auth: ServiceProcess | undefined;
  let release: ServiceProcess | undefined;
  /** The bootstrap admin's TOTP secret (its factor is in every backup). */
  let opsSecret = '';
  /** The time whose TOTP step the first test's login spent (the replay guard refuses that step again). */
  let opsSpentAt = 0;

  beforeAll(async () => {
    requireBuilt('dist/tools/ops-cli/main.js', 'dist/apps/auth-service/main.js', 'dist/apps/release-api/main.js');
    dir = await mkdtemp(join(tmpdir(), 'keyhaven-backup-'));
    await chmod(dir, 0o755);
    cluster = await createThrowawayCluster();
    const password = randomBytes(12).toString('hex');
    await cluster.psql(`create role keyhaven login password '${password}'`);
    await cluster.psql('create database keyhaven owner keyhaven');
    databaseUrl = `postgres://keyhaven:${password}@127.0.0.1:${cluster.port}/keyhaven`;
    backupEnv = {
      HOME: dir,
      BACKUP_REPO: join(dir, 'repo'),
      BACKUP_CIPHER_PASS: CIPHER,
      BACKUP_PG_DATA: cluster.dataDir,
      BACKUP_PG_PORT: String(cluster.port),
      BACKUP_CONFIG: join(dir, 'pgbackrest.conf'),
      BACKUP_STANZA: `kh${randomBytes(3).toString('hex')}`,
      // `backup run` and `restore` read and re-apply the erasure ledger through the services' own commands.
      DATABASE_URL: databaseUrl,
      ...keys,
    };
  }, 60_000);

  afterAll(async () => {
    await auth?.stop();
    await release?.stop();
    await cluster?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const began = Date.now();
  const backup = async (argv: string[], more: Record<string, string> = {}) => {
    const start = Date.now();
    const result = await runBuiltCli(['backup', ...argv], { ...backupEnv, ...more });
    if (process.env['BACKUP_E2E_TIMINGS'])
      process.stderr.write(`[${((Date.now() - began) / 1000).toFixed(1)} s] backup ${argv.join(' ')}: ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
    return result;
  };

  async function startServices(): Promise<{ auth: ServiceProcess; release: ServiceProcess }> {
    auth = await startBuiltService('auth-service', {
      DATABASE_URL: databaseUrl,
      ...keys,
      AUTH_BOOTSTRAP_EMAIL: OPS.email,
      AUTH_BOOTSTRAP_PASSWORD: OPS.password,
    });
    release = await startBuiltService('release-api', {
      DATABASE_URL: databaseUrl,
      ...keys,
      DATA_DIR: join(dir, 'release-data'),
      AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`,
      MAINTENANCE_WEBHOOK_ALLOWLIST: '127.0.0.1',
    });
    return { auth, release };
  }

  async function call(base: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async function ok(base: string, method: string, path: string, body?: unknown, token?: string): Promise<Record<string, unknown>> {
    const answer = await call(base, method, path, body, token);
    if (answer.status >= 300) throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** A new account with a confirmed TOTP factor; returns its secret. */
  async function accountWithTotp(base: string, email: string, password: string, create = true): Promise<string> {
    if (create) await ok(base, 'POST', '/v1/accounts', { email, password });
    const { accessToken } = (await ok(base, 'POST', '/v1/sessions', { email, password })) as { accessToken: string };
    const factor = (await ok(base, 'POST', '/v1/me/factors/totp', { name: 'phone', currentPassword: password }, accessToken)) as { id: string; secret: string };
    await ok(base, 'POST', `/v1/me/factors/totp/${factor.id}/confirm`, { code: await oathtoolCode(factor.secret, new Date()) }, accessToken);
    return factor.secret;
  }

  /** Password, then a TOTP code (the next time step: the confirming one is spent) → aal 2. */
  async function signInWithTotp(base: string, email: string, password: string, secret: string): Promise<number> {
    const first = await call(base, 'POST', '/v1/sessions', { email, password });
    if (first.status !== 200) return first.status;
    const second = await call(
      base,
      'POST',
      '/v1/sessions/mfa/totp',
      { code: await oathtoolCode(secret, new Date(Date.now() + 30_000)) },
      first.body['accessToken'] as string,
    );
    return second.status === 200 ? Number(second.body['aal']) : second.status;
  }

  const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

  /** One set of writes across both services: an account with TOTP, a release, a maintenance window. */
  async function writeSet(base: { auth: string; release: string }, opsToken: string, n: number) {
    const account = { email: `user${n}@example.test`, password: `pass-${n}-${randomBytes(9).toString('hex')}` };
    const secret = await accountWithTotp(base.auth, account.email, account.password);
    await ok(base.release, 'POST', '/v1/releases', { version: `20.${n}.0`, channel: 'stable', releasedAt: new Date().toISOString() }, opsToken);
    await ok(
      base.release,
      'POST',
      '/v1/maintenance-windows',
      { title: `Window ${n}`, description: 'Upgrade', startsAt: inDays(10 + n), endsAt: inDays(10.1 + n) },
      opsToken,
    );
    return { ...account, secret };
  }

  async function releaseVersions(base: string): Promise<string[]> {
    const { releases } = (await ok(base, 'GET', '/v1/releases')) as { releases: { version: string }[] };
    return releases
      .map((entry) => entry.version)
      .filter((version) => version.startsWith('20.'))
      .sort();
  }

  /** Closes the current WAL segment and waits until PostgreSQL reports it archived. */
  async function archiveNow(): Promise<void> {
    const segment = (await cluster.psql('select pg_walfile_name(pg_switch_wal())')).trim();
    const deadline = Date.now() + 30_000;
    while ((await cluster.psql("select coalesce(last_archived_wal, '') from pg_stat_archiver")).trim() < segment) {
      if (Date.now() > deadline) throw new Error(`WAL segment ${segment} was not archived within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('restores to a moment: exactly the writes before it come back, both services boot on it, TOTP secrets decrypt; the drill passes and refuses a wrong key ring', async () => {
    // setup on a fresh cluster: archive_mode needs a restart, then setup again finds nothing to restart.
    const first = await backup(['setup', '--json']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(first.stdout)).toMatchObject({ restartRequired: true, restartFor: ['archive_mode'] });
    await cluster.stop();
    await cluster.start();
    const again = await backup(['setup']);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('No restart needed; archiving works') });
    expect((await cluster.psql('show archive_timeout')).trim()).toBe('1min');

    const { auth: a, release: r } = await startServices();
    const base = { auth: a.url, release: r.url };
    opsSecret = await accountWithTotp(base.auth, OPS.email, OPS.password, false);
    opsSpentAt = Date.now() + 30_000;
    const login = await runBuiltCli(
      ['login', '--email', OPS.email, '--auth-url', base.auth, '--print-token', '--code', await oathtoolCode(opsSecret, new Date(opsSpentAt))],
      {
        HOME: dir,
        KEYHAVEN_PASSWORD: OPS.password,
      },
    );
    expect(login.code).toBe(0);
    const opsToken = login.stdout.trim();
    const hook = (await ok(
      base.release,
      'POST',
      '/v1/subscriptions',
      { kind: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'a webhook secret of 32 characters!' },
      opsToken,
    )) as { id: string };
    const set1 = await writeSet(base, opsToken, 1);
    // release-api generates (and seals) its response-signing key on first use.
    expect(((await ok(base.release, 'GET', '/v1/keys')) as { keys: unknown[] }).keys).toHaveLength(1);

    const full = await backup(['run', '--full', '--json']);
    expect(full).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(full.stdout)).toMatchObject({ type: 'full', size: expect.any(Number) });

    const set2 = await writeSet(base, opsToken, 2);
    // Commit timestamps have microseconds; a pause on each side of the moment keeps "before" and "after" apart.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const moment = new Date();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const set3 = await writeSet(base, opsToken, 3);
    expect((await call(base.release, 'DELETE', `/v1/subscriptions/${hook.id}`, undefined, opsToken)).status).toBe(204);
    await archiveNow();

    const list = await backup(['list', '--json']);
    const listed = JSON.parse(list.stdout) as { backups: unknown[]; restorable: { from: string; to: string }; cipher: string };
    expect(listed).toMatchObject({ cipher: 'aes-256-cbc', backups: [expect.objectContaining({ type: 'full' })] });
    expect(new Date(listed.restorable.from) < moment && moment < new Date(listed.restorable.to)).toBe(true);
    await expectEncrypted(await files(backupEnv.BACKUP_REPO), set1.email);

    // Bad input first: nothing may be touched by these.
    const outside = await backup(['restore', '--to', '2020-01-01T00:00:00Z', '--force']);
    expect(outside).toMatchObject({ code: 1, stderr: expect.stringMatching(/outside the restorable range: from \S+ to \S+ \(nothing was changed\)/) });
    const running = await backup(['restore', '--latest', '--force']);
    expect(running).toMatchObject({ code: 1, stderr: expect.stringContaining('is running on') });

    // The real case: stop the services and PostgreSQL, restore, start, check.
    await a.stop();
    await r.stop();
    await cluster.stop();
    const notEmpty = await backup(['restore', '--to', moment.toISOString()]);
    expect(notEmpty).toMatchObject({ code: 1, stderr: expect.stringContaining('is not empty: add --force') });
    const restored = await backup(['restore', '--to', moment.toISOString(), '--force']);
    expect(restored).toMatchObject({ code: 0, stdout: expect.stringContaining('keyhaven-ops backup run --full') });
    await cluster.start();
    const deadline = Date.now() + 60_000;
    while ((await cluster.psql('select pg_is_in_recovery()').catch(() => 't')).trim() !== 'f') {
      if (Date.now() > deadline) throw new Error('the restored cluster did not finish recovery');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const after = await startServices();
    const restoredBase = { auth: after.auth.url, release: after.release.url };
    expect(await releaseVersions(restoredBase.release)).toEqual(['20.1.0', '20.2.0']);
    expect(await signInWithTotp(restoredBase.auth, set1.email, set1.password, set1.secret)).toBe(2);
    expect(await signInWithTotp(restoredBase.auth, set2.email, set2.password, set2.secret)).toBe(2);
    expect(await signInWithTotp(restoredBase.auth, set3.email, set3.password, set3.secret)).toBe(401);
    const windows = (await ok(restoredBase.release, 'GET', '/v1/maintenance-windows')) as unknown as { title: string }[] | { windows: { title: string }[] };
    const titles = (Array.isArray(windows) ? windows : windows.windows).map((window) => window.title).sort();
    expect(titles).toEqual(['Window 1', 'Window 2']);
    await after.auth.stop();
    await after.release.stop();

    // The runbook's last step: a new full backup on the restore's new timeline. (Before it, and until
    // archive_timeout has sent the new timeline's first WAL, a restore of the older backup would
    // replay the old timeline past the moment: the undone writes would come back.)
    expect(await backup(['run', '--full'])).toMatchObject({ code: 0 });
    const drill = await backup(['drill'], { DATABASE_URL: databaseUrl, ...keys });
    expect(drill).toMatchObject({ code: 0, stdout: expect.stringContaining('Drill passed.') });
    expect(drill.stdout).toMatch(/ok {3}auth-service: ok — migrations up to date \(\d+\); keys open 1 key-check value, 3 TOTP secrets, 1 signing key/);
    expect(drill.stdout).toMatch(
      /ok {3}release-api: ok — migrations up to date \(\d+\); keys open 1 key-check value, 1 generated signing key, 1 webhook secret/,
    );
    expect(drill.stdout).toMatch(/auth\.account: 3 rows/);
    expect(drill.stdout).toMatch(/restored and promoted in [\d.]+ s; newest moment \S+ \(RPO now \d+ s\)/);
    // Everything the drills started is gone: no scratch server left on the machine.
    expect((await readdir(tmpdir())).filter((name) => name.startsWith('keyhaven-drill-'))).toEqual([]);
    // Three service boots, a backup, a restore and a drill: minutes on a 2-core machine other jobs share.
  }, 300_000);

  it('erasures survive a restore: a person and a subscriber erased after the moment are erased again by the restore, from the ledger in the repository', async () => {
    const { auth: a, release: r } = await startServices();
    const base = { auth: a.url, release: r.url };
    // A later time step than the one the first test's login spent: the next step once the spent
    // one has come (the first test usually takes a minute or more, but on a quick machine less).
    const untilSpentStep = Math.floor(opsSpentAt / 30_000) * 30_000 - Date.now();
    if (untilSpentStep > 0) await new Promise((resolve) => setTimeout(resolve, untilSpentStep + 100));
    const first = await call(base.auth, 'POST', '/v1/sessions', OPS);
    const second = await call(
      base.auth,
      'POST',
      '/v1/sessions/mfa/totp',
      { code: await oathtoolCode(opsSecret, new Date(Date.now() + 30_000)) },
      first.body['accessToken'] as string,
    );
    expect(second.status).toBe(200);
    const opsToken = second.body['accessToken'] as string;

    const person = { email: 'erase-me@example.test', password: `pass-${randomBytes(9).toString('hex')}` };
    await accountWithTotp(base.auth, person.email, person.password);
    const personId = (await cluster.psql(`select id from auth.account where email = '${person.email}'`, 'keyhaven')).trim();
    const subscriber = (await ok(base.release, 'POST', '/v1/subscriptions', { kind: 'email', address: 'subscriber@example.test' }, opsToken)) as { id: string };
    const backedUp = await backup(['run', '--json']);
    expect(backedUp).toMatchObject({ code: 0 });
    expect(JSON.parse(backedUp.stdout)).toMatchObject({ erasureLedger: { entries: 0 } });

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const moment = new Date();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await ok(base.auth, 'POST', `/v1/admin/accounts/${personId}/erase`, { reason: 'Art. 17 request by letter' }, opsToken);
    expect((await call(base.release, 'DELETE', `/v1/subscriptions/${subscriber.id}?erase=true`, undefined, opsToken)).status).toBe(204);
    // Between backups the ledger is refreshed on its own (cron; and before a restore, while the database runs).
    const refreshed = await backup(['erasure-ledger', '--refresh', '--json']);
    expect(refreshed).toMatchObject({ code: 0 });
    const ledger = JSON.parse(refreshed.stdout) as { entries: Record<string, unknown>[]; added: number };
    expect(ledger.added).toBe(2);
    expect(ledger.entries).toEqual(
      expect.arrayContaining([
        { kind: 'account', id: personId, erasedAt: expect.any(String), requestedBy: 'admin' },
        { kind: 'subscription', id: subscriber.id, erasedAt: expect.any(String) },
      ]),
    );
    // Ids and times only: the ledger file holds neither the address nor the admin's reason, even sealed-open.
    expect(JSON.stringify(ledger)).not.toMatch(/example\.test|Art\. 17/);
    await archiveNow();

    await a.stop();
    await r.stop();
    await cluster.stop();
    const restored = await backup(['restore', '--to', moment.toISOString(), '--force', '--json']);
    expect(restored).toMatchObject({ code: 0 });
    // The restored state had both back (same ids); the restore erased them again before PostgreSQL was opened to anyone.
    expect(JSON.parse(restored.stdout)).toMatchObject({ erasures: { erased: { accounts: [personId], subscriptions: [subscriber.id] } } });
    await cluster.start();
    const deadline = Date.now() + 60_000;
    while ((await cluster.psql('select pg_is_in_recovery()').catch(() => 't')).trim() !== 'f') {
      if (Date.now() > deadline) throw new Error('the restored cluster did not come up');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const sql = (text: string) => cluster.psql(text, 'keyhaven').then((out) => out.trim());
    expect(await sql(`select count(*) from auth.account where id = '${personId}' or email = '${person.email}'`)).toBe('0');
    expect(await sql(`select count(*) from auth.totp_factor where account_id = '${personId}'`)).toBe('0');
    expect(await sql(`select count(*) from auth.recovery_code where account_id = '${personId}'`)).toBe('0');
    expect(await sql(`select count(*) from auth.security_event where account_id = '${personId}' and details ?| array['name', 'device']`)).toBe('0');
    expect(
      Number(
        await sql(`select count(*) from auth.security_event where account_id = '${personId}' and type = 'account_erased' and details->>'reapplied' = 'true'`),
      ),
    ).toBe(1);
    expect(await sql(`select requested_by || ' ' || reason from auth.account_tombstone where account_id = '${personId}'`)).toBe(
      'admin erasure re-applied after a restore from backup (erasure ledger)',
    );
    expect(await sql(`select count(*) from release.maintenance_subscription where id = '${subscriber.id}'`)).toBe('0');
    expect(await sql(`select count(*) from release.audit_event where subject = '${subscriber.id}' and action = 'subscription.erase'`)).toBe('1');

    // The separate command, on the running database: idempotent, nothing left to erase.
    const again = await backup(['reapply-erasures', '--json']);
    expect(again).toMatchObject({ code: 0 });
    expect(JSON.parse(again.stdout)).toMatchObject({ ledgerEntries: 2, erased: { accounts: [], subscriptions: [] }, tombstonesRestored: 0 });
    const human = await backup(['reapply-erasures']);
    expect(human.stdout).toMatch(/Erasures re-applied from the ledger \(2 entries, as of \S+\): 0 erased again\./);

    // The person cannot sign in; their address may sign up again as a new account.
    const after = await startServices();
    expect((await call(after.auth.url, 'POST', '/v1/sessions', person)).status).toBe(401);
    await after.auth.stop();
    await after.release.stop();
    expect(await backup(['run', '--full'])).toMatchObject({ code: 0 });
  }, 300_000);

  describe('on an S3-compatible store over TLS (s3rver)', () => {
    let s3: LocalS3;

    beforeAll(async () => {
      s3 = await startLocalS3();
    });

    afterAll(async () => {
      await s3?.stop();
    });

    it('backs up into the bucket encrypted, and the drill restores from it with the keys', async () => {
      const s3Env = {
        BACKUP_REPO: `s3://${s3.bucket}/keyhaven`,
        BACKUP_S3_ENDPOINT: s3.endpoint,
        BACKUP_S3_REGION: 'us-east-1',
        BACKUP_S3_KEY: s3.key,
        BACKUP_S3_SECRET: s3.secret,
        BACKUP_S3_CA_FILE: s3.caFile,
        BACKUP_S3_URI_STYLE: 'path',
        BACKUP_CONFIG: join(dir, 'pgbackrest-s3.conf'),
        BACKUP_STANZA: `${backupEnv.BACKUP_STANZA}s3`,
      };
      expect(await backup(['setup'], s3Env)).toMatchObject({ code: 0, stdout: expect.stringContaining('No restart needed') });
      expect(await backup(['run', '--full'], s3Env)).toMatchObject({ code: 0, stderr: '' });
      // The erasure ledger lives in the bucket too: whatever can restore from it can read the ledger.
      expect((await files(s3.directory)).filter((path) => path.includes('keyhaven-erasures') && path.endsWith('._S3rver_object'))).toHaveLength(1);
      expect(await backup(['erasure-ledger'], s3Env)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Erasure ledger as of \S+: \d+ erasure\(s\)/) });
      await cluster.psql("insert into release.release (version, channel, editions, released_at) values ('20.9.0', 'stable', '{}', now())", 'keyhaven');
      await archiveNow();
      await expectEncrypted(
        (await files(s3.directory)).filter((path) => path.endsWith('._S3rver_object')),
        'user1@example.test',
      );

      // A drill from the bucket, handed a wrong auth-service ring: the data comes back (the row
      // written after the backup, from the archived WAL), the keys do not open it, and it says so.
      const wrongRing = await backup(['drill', '--json'], {
        ...s3Env,
        DATABASE_URL: databaseUrl,
        ...keys,
        AUTH_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      });
      expect(wrongRing.code).toBe(1);
      const report = JSON.parse(wrongRing.stdout) as {
        ok: boolean;
        checks: { service: string; ok: boolean; line: string }[];
        tables: { table: string; rows: number }[];
      };
      expect(report.tables).toContainEqual({ table: 'release.release', rows: 3 });
      expect(report.checks).toEqual([
        { service: 'auth-service', ok: false, line: expect.stringMatching(/AUTH_ENCRYPTION_KEYS: key k1 does not open what it sealed/) },
        { service: 'release-api', ok: true, line: expect.stringMatching(/^ok — /) },
      ]);
      expect(JSON.parse(wrongRing.stderr)).toMatchObject({
        error: { code: 'backup_failed', message: expect.stringMatching(/^restore drill failed: auth-service: /) },
      });
      // Everything the drills started is gone: no scratch folder left behind.
      expect((await readdir(tmpdir())).filter((name) => name.startsWith('keyhaven-drill-'))).toEqual([]);
    }, 180_000);
  });

  describe('bad input', () => {
    it('refuses a missing or weak cipher pass before touching anything', async () => {
      const missing = await backup(['run'], { BACKUP_CIPHER_PASS: '' });
      expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('BACKUP_CIPHER_PASS is not set: backups are always encrypted') });
      const weak = await backup(['setup'], { BACKUP_CIPHER_PASS: 'password1234' });
      expect(weak).toMatchObject({ code: 2, stderr: expect.stringContaining('BACKUP_CIPHER_PASS is too weak') });
    });

    it('refuses a restore target that is not an instant with an offset, and a non-empty --target without --force', async () => {
      expect(await backup(['restore', '--to', '2026-12-01 10:15'])).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('--to: expected an ISO 8601 date-time with an offset'),
      });
      expect(await backup(['restore', '--to', '2026-02-30T10:00:00Z'])).toMatchObject({ code: 2, stderr: expect.stringContaining('no such date') });
      expect(await backup(['restore'])).toMatchObject({ code: 2, stderr: expect.stringContaining('exactly one of --to <instant> or --latest') });
      const target = join(dir, 'occupied');
      await mkdir(target);
      await writeFile(join(target, 'keep.txt'), 'mine');
      expect(await backup(['restore', '--latest', '--target', target])).toMatchObject({
        code: 1,
        stderr: expect.stringContaining('is not empty: add --force'),
      });
      expect(await readFile(join(target, 'keep.txt'), 'utf8')).toBe('mine');
    });

    it("surfaces pgBackRest's own message and a non-zero exit when it fails", async () => {
      // Another cipher pass for the same repository: pgBackRest cannot open it.
      const wrong = await backup(['run'], { BACKUP_CIPHER_PASS: randomBytes(30).toString('base64') });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/^keyhaven-ops: pgbackrest backup failed: .*ERROR: \[\d+\]/);
    });
  });
});
