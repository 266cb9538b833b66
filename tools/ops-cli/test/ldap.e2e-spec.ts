import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess, Slapd, startSlapd } from '@keyhaven/testing';
import { oathtoolCode, requireBuilt, runBuiltCli, startBuiltService } from './support/built-processes';

/**
 * `keyhaven-ops ldap sync|runs|status` (built) against the built auth-service and a real slapd:
 * a dry run that changes nothing, a run that locks a person disabled in the directory, the
 * run list and one run's actions, the status, and exit codes when the directory is down.
 */
describe('keyhaven-ops ldap (built) against the built auth-service and slapd', () => {
  const ADMIN = { email: 'admin@example.test', password: 'correct horse battery staple 42' };
  let slapd: Slapd;
  let auth: ServiceProcess;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    requireBuilt('dist/tools/ops-cli/main.js', 'dist/apps/auth-service/main.js');
    slapd = await startSlapd({
      users: [
        { uid: 'ada', password: 'ada-directory-pw', mail: 'ada@example.test' },
        { uid: 'bob', password: 'bob-directory-pw', mail: 'bob@example.test' },
      ],
    });
    dir = await mkdtemp(join(tmpdir(), 'ops-cli-ldap-'));
    await chmod(dir, 0o755);
    auth = await startBuiltService('auth-service', {
      DATA_DIR: join(dir, 'data'),
      AUTH_BOOTSTRAP_EMAIL: ADMIN.email,
      AUTH_BOOTSTRAP_PASSWORD: ADMIN.password,
      ...slapd.env,
      LDAP_SYNC_INTERVAL: '0',
      LDAP_SYNC_MAX_LOCK_PERCENT: '50',
    });
    for (const uid of ['ada', 'bob']) await post('/v1/sessions', { login: uid, password: `${uid}-directory-pw` });
    // The admin signs in through the CLI with password and TOTP: the routes need aal 2.
    const first = await post('/v1/sessions', ADMIN);
    const factor = await post('/v1/me/factors/totp', { name: 'e2e', currentPassword: ADMIN.password }, String(first['accessToken']));
    await post(`/v1/me/factors/totp/${factor['id']}/confirm`, { code: await oathtoolCode(String(factor['secret']), new Date()) }, String(first['accessToken']));
    const login = await runBuiltCli(
      [
        'login',
        '--email',
        ADMIN.email,
        '--auth-url',
        auth.url,
        '--print-token',
        '--code',
        await oathtoolCode(String(factor['secret']), new Date(Date.now() + 30_000)),
      ],
      {
        HOME: dir,
        KEYHAVEN_PASSWORD: ADMIN.password,
      },
    );
    if (login.code !== 0) throw new Error(`login failed: ${login.stderr}`);
    env = { HOME: dir, KEYHAVEN_AUTH_URL: auth.url, KEYHAVEN_TOKEN: login.stdout.trim() };
  }, 180_000);

  afterAll(async () => {
    await auth?.stop();
    await slapd?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function post(path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${auth.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  }

  const cli = (...argv: string[]) => runBuiltCli(argv, env);

  it('does a dry run first, then locks a person disabled in the directory', async () => {
    await slapd.modify(`dn: ${slapd.userDn('bob')}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n`);
    const dry = await cli('ldap', 'sync', '--dry-run');
    expect(dry).toMatchObject({ code: 0, stdout: expect.stringContaining('completed (dry run: nothing was changed)') });
    expect(dry.stdout).toMatch(/bob\s+lock\s+ldap_disabled/);

    const real = await cli('ldap', 'sync', '--json');
    expect(real.code).toBe(0);
    const run = JSON.parse(real.stdout);
    expect(run).toMatchObject({ status: 'completed', dryRun: false, counts: { locked: 1 } });
    const signIn = await fetch(`${auth.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'bob', password: 'bob-directory-pw' }),
    });
    expect(signIn.status).toBe(401);

    const list = await cli('ldap', 'runs');
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+TRIGGER\s+DRY RUN/);
    expect(list.stdout).toContain(run.id);
    const one = await cli('ldap', 'runs', run.id);
    expect(one.stdout).toMatch(/bob\s+lock\s+ldap_disabled/);
  });

  it('shows the status, and exits non-zero with the reason when the directory is down', async () => {
    const status = await cli('ldap', 'status');
    expect(status).toMatchObject({ code: 0, stdout: expect.stringMatching(/Connection: ok/) });
    expect(status.stdout).toContain('Next scheduled run: none');
    await slapd.stop();
    try {
      const down = await cli('ldap', 'status');
      expect(down.code).toBe(4);
      expect(down.stdout).toMatch(/Connection: FAILED: .*ECONNREFUSED/);
      const aborted = await cli('ldap', 'sync');
      expect(aborted.code).toBe(1);
      expect(aborted.stdout).toMatch(/aborted/);
    } finally {
      await slapd.start();
    }
  });
});
