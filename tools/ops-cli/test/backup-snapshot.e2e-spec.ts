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

  const cli = (argv: string[], more: Record<string, string> = {}) => runBuiltCli(['backup', ...argv], { HOME: dir, DATA_DIR: dataDir, BACKUP_CIPHER_PASS: CIPHER, ...more });

  async function start(): Promise<string> {
    const auth = await startBuiltService('auth-service', { DATA_DIR: dataDir });
    const release = await startBuiltService('release-api', { DATA_DIR: dataDir, AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json` });
    services = [auth, release];
    return auth.url;
  }

  async function stop(): Promise<void> {
    for (const service of services) await service.stop();
    services = [];
  }

  async function post(url: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, string> }> {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  }

  async function accountWithTotp(base: string, n: number) {
    const account = { email: `snap${n}@example.test`, password: `pass-${randomBytes(9).toString('hex')}` };
    expect((await post(`${base}/v1/accounts`, account)).status).toBe(201);
    const session = await post(`${base}/v1/sessions`, account);
    const factor = await post(`${base}/v1/me/factors/totp`, { name: 'phone', currentPassword: account.password }, session.body['accessToken']);
    expect((await post(`${base}/v1/me/factors/totp/${factor.body['id']}/confirm`, { code: await oathtoolCode(factor.body['secret'], new Date()) }, session.body['accessToken'])).status).toBe(200);
    return { ...account, secret: factor.body['secret'] };
  }

  async function signIn(base: string, account: { email: string; password: string; secret: string }): Promise<number> {
    const first = await post(`${base}/v1/sessions`, account);
    if (first.status !== 200) return first.status;
    const second = await post(`${base}/v1/sessions/mfa/totp`, { code: await oathtoolCode(account.secret, new Date(Date.now() + 30_000)) }, first.body['accessToken']);
    return second.status === 200 ? Number(second.body['aal']) : second.status;
  }

  it('snapshots while the services run, restores with them stopped, and the data and keys come back', async () => {
    let base = await start();
    const kept = await accountWithTotp(base, 1);

    const taken = await cli(['snapshot', '--json']);
    expect(taken).toMatchObject({ code: 0 });
    const { file } = JSON.parse(taken.stdout) as { file: string };
    expect(file.startsWith(join(dataDir, 'backups', 'keyhaven-'))).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'backups'))).mode & 0o777).toBe(0o700);
    const bytes = await readFile(file);
    expect(bytes.subarray(0, 8).toString()).toBe('KHSNAP01');
    expect(bytes.includes(Buffer.from(kept.email))).toBe(false);

    const lost = await accountWithTotp(base, 2);
    const busy = await cli(['restore-snapshot', file]);
    expect(busy).toMatchObject({ code: 1, stderr: expect.stringContaining('is running') });
    await stop();

    const wrongPass = await cli(['restore-snapshot', file], { BACKUP_CIPHER_PASS: randomBytes(30).toString('base64') });
    expect(wrongPass).toMatchObject({ code: 1, stderr: expect.stringContaining('a wrong BACKUP_CIPHER_PASS, or a damaged file (nothing was changed)') });
    expect((await readdir(dataDir)).filter((name) => name.includes('before-restore'))).toEqual([]);

    const restored = await cli(['restore-snapshot', file]);
    expect(restored).toMatchObject({ code: 0 });
    expect(restored.stdout).toMatch(/ok {3}auth-service: ok — migrations up to date \(\d+\); keys open 1 key-check value, 1 TOTP secret, 1 signing key/);
    expect(restored.stdout).toMatch(/ok {3}release-api: ok — /);
    // Nothing is deleted: the replaced database is kept beside it.
    expect((await readdir(dataDir)).filter((name) => name.startsWith('postgres.before-restore-'))).toHaveLength(1);

    base = await start();
    expect(await signIn(base, kept)).toBe(2);
    expect(await signIn(base, lost)).toBe(401);
    await stop();
  }, 300_000);

  it('refuses without a cipher pass, with DATABASE_URL set, and a file that is not a snapshot', async () => {
    expect(await cli(['snapshot'], { BACKUP_CIPHER_PASS: '' })).toMatchObject({ code: 2, stderr: expect.stringContaining('BACKUP_CIPHER_PASS is not set') });
    expect(await cli(['snapshot'], { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/x' })).toMatchObject({ code: 2, stderr: expect.stringContaining('snapshots are for the embedded database') });
    expect(await cli(['restore-snapshot', join(dir, 'nothing.khsnap')])).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot read') });
  });
});
