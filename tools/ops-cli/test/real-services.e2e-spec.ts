import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oathtoolCode, requireBuilt, RunningService, runBuiltCli, startBuiltService } from './support/built-processes';

/**
 * The built keyhaven-ops (dist/tools/ops-cli/main.js) against the built auth-service, both run
 * with plain node: a real password + TOTP sign-in, with codes from an independent TOTP tool.
 */
describe('keyhaven-ops (built) against the built auth-service', () => {
  const OPS = { email: 'ops@example.test', password: 'correct horse battery staple 42' };
  let auth: RunningService;
  let dir: string;
  let totpSecret: string;

  beforeAll(async () => {
    requireBuilt('dist/tools/ops-cli/main.js', 'dist/apps/auth-service/main.js');
    dir = await mkdtemp(join(tmpdir(), 'ops-cli-real-'));
    auth = await startBuiltService('auth-service', {
      DATA_DIR: join(dir, 'auth-data'),
      AUTH_BOOTSTRAP_EMAIL: OPS.email,
      AUTH_BOOTSTRAP_PASSWORD: OPS.password,
    });
    totpSecret = await enrolTotp(OPS);
  }, 90_000);

  afterAll(async () => {
    await auth?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function post(path: string, body: unknown, token?: string): Promise<Record<string, string>> {
    const response = await fetch(`${auth.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Record<string, string>;
  }

  /** Signs in with the password alone (no factor yet), adds a TOTP factor and confirms it. */
  async function enrolTotp(account: { email: string; password: string }): Promise<string> {
    const { accessToken } = await post('/v1/sessions', account);
    const factor = await post('/v1/me/factors/totp', { name: 'keyhaven-ops e2e' }, accessToken);
    await post(`/v1/me/factors/totp/${factor['id']}/confirm`, { code: await oathtoolCode(factor['secret'], new Date()) }, accessToken);
    return factor['secret'];
  }

  async function setup() {
    const home = await mkdtemp(join(dir, 'home-'));
    const env = { HOME: home, KEYHAVEN_AUTH_URL: auth.url };
    return {
      sut: (argv: string[], more: Record<string, string> = {}, stdin = '') => runBuiltCli(argv, { ...env, ...more }, stdin),
      ctx: {
        home,
        /**
         * A new account with its own TOTP factor: a time step is accepted once per factor, so
         * each test that signs in with a code gets a factor of its own instead of waiting 30 s.
         */
        async newAccount() {
          const account = { email: `e2e-${randomBytes(4).toString('hex')}@example.test`, password: `pass-${randomBytes(12).toString('base64url')}` };
          await post('/v1/accounts', account);
          const secret = await enrolTotp(account);
          return { ...account, nextCode: () => oathtoolCode(secret, new Date(Date.now() + 30_000)) };
        },
        credentials: join(home, '.config', 'keyhaven', 'credentials.json'),
        // The next time step: the confirming code's step is spent (a step is accepted once per
        // factor), and one step of drift is allowed, so this is valid now and never reused.
        nextCode: () => oathtoolCode(totpSecret, new Date(Date.now() + 30_000)),
      },
    };
  }

  it('logs in with password and TOTP code and stores an aal2 ops session with mode 0600', async () => {
    const { sut, ctx } = await setup();

    const login = await sut(['login', '--email', OPS.email, '--code', await ctx.nextCode()], { KEYHAVEN_PASSWORD: OPS.password });

    expect(login).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Logged in as ops@example\.test \(aal2, roles: admin, ops\)/) });
    expect((await stat(ctx.credentials)).mode & 0o777).toBe(0o600);
    const who = await sut(['whoami', '--json']);
    expect(JSON.parse(who.stdout)).toMatchObject({ email: OPS.email, aal: 2, roles: expect.arrayContaining(['ops']), issuer: expect.any(String) });
  });

  it('reads the password and the code from stdin in a script', async () => {
    const { sut, ctx } = await setup();
    const account = await ctx.newAccount();
    const login = await sut(['login', '--email', account.email, '--print-token'], {}, `${account.password}\n${await account.nextCode()}\n`);
    expect(login.code).toBe(0);
    expect(login.stdout.trim().split('.')).toHaveLength(3);
  });

  it('exits 3 with the service message on a wrong code or password', async () => {
    const { sut } = await setup();
    const badCode = await sut(['login', '--email', OPS.email, '--code', '000000'], { KEYHAVEN_PASSWORD: OPS.password });
    expect(badCode).toMatchObject({ code: 3, stderr: expect.stringContaining('(invalid_code)') });
    const badPassword = await sut(['login', '--email', OPS.email, '--code', '000000'], { KEYHAVEN_PASSWORD: 'not the password' });
    expect(badPassword).toMatchObject({ code: 3, stderr: expect.stringContaining('(invalid_credentials)') });
  });

  it('exits 4 when auth-service cannot be reached', async () => {
    const { sut } = await setup();
    const result = await sut(['login', '--email', OPS.email, '--auth-url', 'http://127.0.0.1:9'], { KEYHAVEN_PASSWORD: OPS.password });
    expect(result).toMatchObject({ code: 4, stderr: expect.stringContaining('Cannot reach auth-service at http://127.0.0.1:9') });
  });
});
