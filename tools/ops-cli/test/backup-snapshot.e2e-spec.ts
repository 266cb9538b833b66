import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess } from '@keyhaven/testing';
import { oathtoolCode, requireBuilt, runBuiltCli, startBuiltService } from './support/built-processes';

/**
 * Embedded mode (no DATABASE_URL): `backup snapshot` while both built services run, then
 * `backup restore-snapshot` with them stopped brings back exactly what the snapshot held, and the
 * keys generated into DATA_DIR still open the restored TOTP secrets.
 */
describe('keyhaven-ops backup snapshot|restore-snapshot (embedded database)', () => {
  const CIPHER = randomBytes(30).toString('base64');
  let dir: string;
  let dataDir: string;
  let services: ServiceProcess[] = [];

  beforeAll(async () => {
    requireBuilt('dist/tools/ops-cli/main.js', 'dist/apps/auth-service/main.js', 'dist/apps/release-api/main.js');
    dir = await mkdtemp(join(tmpdir(), 'keyhaven-snapshot-'));
    // As root the embedded PostgreSQL runs as `postgres`, which must pass through this folder.
    await chmod(dir, 0o755);
    dataDir = join(dir, 'data');
  });

  afterAll(async () => {
    for (const service of services) await service.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const cli = (argv: string[], more: Record<string, string> = {}) =>
    runBuiltCli(['backup', ...argv], { HOME: dir, DATA_DIR: dataDir, BACKUP_CIPHER_PASS: CIPHER, ...more });

  const ADMIN = { email: 'admin@example.test', password: `pass-${randomBytes(9).toString('hex')}` };

  async function start(): Promise<string> {
    const auth = await startBuiltService('auth-service', { DATA_DIR: dataDir, AUTH_BOOTSTRAP_EMAIL: ADMIN.email, AUTH_BOOTSTRAP_PASSWORD: ADMIN.password });
    const release = await startBuiltService('release-api', { DATA_DIR: dataDir, AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json` });
    services = [auth, release];
    return auth.url;
  }

  async function stop(): Promise<void> {
    for (const service of services) await service.stop();
    services = [];
  }

  async function post(url: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, string> }> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  }

  async function accountWithTotp(base: string, n: number, existing?: { email: string; password: string }) {
    const account = existing ?? { email: `snap${n}@example.test`, password: `pass-${randomBytes(9).toString('hex')}` };
    if (!existing) expect((await post(`${base}/v1/accounts`, account)).status).toBe(201);
    const session = await post(`${base}/v1/sessions`, account);
    const factor = await post(`${base}/v1/me/factors/totp`, { name: 'phone', currentPassword: account.password }, session.body['accessToken']);
    expect(
      (
        await post(
          `${base}/v1/me/factors/totp/${factor.body['id']}/confirm`,
          { code: await oathtoolCode(factor.body['secret'], new Date()) },
          session.body['accessToken'],
        )
      ).status,
    ).toBe(200);
    return {
      ...account,
      secret: factor.body['secret'],
      id: JSON.parse(Buffer.from(String(session.body['accessToken']).split('.')[1] ?? '', 'base64url').toString())['sub'] as string,
    };
  }

  async function aal2(base: string, account: { email: string; password: string; secret: string }): Promise<{ status: number; body: Record<string, string> }> {
    const first = await post(`${base}/v1/sessions`, account);
    if (first.status !== 200) return first;
    return post(`${base}/v1/sessions/mfa/totp`, { code: await oathtoolCode(account.secret, new Date(Date.now() + 30_000)) }, first.body['accessToken']);
  }

  async function signIn(base: string, account: { email: string; password: string; secret: string }): Promise<number> {
    const answer = await aal2(base, account);
    return answer.status === 200 ? Number(answer.body['aal']) : answer.status;
  }

  it('snapshots while the services run, restores with them stopped: the data and keys come back, people erased since stay erased', async () => {
    let base = await start();
    const kept = await accountWithTotp(base, 1);
    const admin = await accountWithTotp(base, 0, ADMIN);
    const person = await accountWithTotp(base, 3);

    const taken = await cli(['snapshot', '--json']);
    expect(taken).toMatchObject({ code: 0 });
    const { file, erasureLedger } = JSON.parse(taken.stdout) as { file: string; erasureLedger: unknown };
    expect(erasureLedger).toEqual({ entries: 0, added: 0 });
    expect(file.startsWith(join(dataDir, 'backups', 'keyhaven-'))).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'backups'))).mode & 0o777).toBe(0o700);
    const bytes = await readFile(file);
    expect(bytes.subarray(0, 8).toString()).toBe('KHSNAP01');
    expect(bytes.includes(Buffer.from(kept.email))).toBe(false);

    const lost = await accountWithTotp(base, 2);
    // An erasure after the snapshot: the restore must not bring this person back.
    const adminToken = (await aal2(base, admin)).body['accessToken'];
    expect((await post(`${base}/v1/admin/accounts/${person.id}/erase`, { reason: 'Art. 17 request' }, adminToken)).status).toBe(200);
    const busy = await cli(['restore-snapshot', file]);
    expect(busy).toMatchObject({ code: 1, stderr: expect.stringContaining('is running') });
    await stop();

    const wrongPass = await cli(['restore-snapshot', file], { BACKUP_CIPHER_PASS: randomBytes(30).toString('base64') });
    expect(wrongPass).toMatchObject({ code: 1, stderr: expect.stringContaining('a wrong BACKUP_CIPHER_PASS, or a damaged file (nothing was changed)') });
    expect((await readdir(dataDir)).filter((name) => name.includes('before-restore'))).toEqual([]);

    const restored = await cli(['restore-snapshot', file]);
    expect(restored).toMatchObject({ code: 0 });
    expect(restored.stdout).toMatch(/ok {3}auth-service: ok — migrations up to date \(\d+\); keys open 1 key-check value, 2 TOTP secrets, 1 signing key/);
    expect(restored.stdout).toMatch(/ok {3}release-api: ok — /);
    // The snapshot held the person; the ledger (refreshed from the replaced database) erased them again.
    expect(restored.stdout).toContain(`erased again: account ${person.id}`);
    const ledger = await readFile(join(dataDir, 'backups', 'erasures.ledger'));
    expect((await stat(join(dataDir, 'backups', 'erasures.ledger'))).mode & 0o777).toBe(0o600);
    expect(ledger.includes(Buffer.from(person.id))).toBe(false); // sealed
    // Nothing is deleted: the replaced database is kept beside it.
    expect((await readdir(dataDir)).filter((name) => name.startsWith('postgres.before-restore-'))).toHaveLength(1);

    base = await start();
    expect(await signIn(base, kept)).toBe(2);
    expect(await signIn(base, lost)).toBe(401);
    expect(await signIn(base, person)).toBe(401);
    await stop();
  }, 300_000);

  it('refuses without a cipher pass, with DATABASE_URL set, and a file that is not a snapshot', async () => {
    expect(await cli(['snapshot'], { BACKUP_CIPHER_PASS: '' })).toMatchObject({ code: 2, stderr: expect.stringContaining('BACKUP_CIPHER_PASS is not set') });
    expect(await cli(['snapshot'], { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/x' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('snapshots are for the embedded database'),
    });
    expect(await cli(['restore-snapshot', join(dir, 'nothing.khsnap')])).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot read') });
  });
});
