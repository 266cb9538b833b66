import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CliIo } from '../src/cli/io';
import { runCli } from '../src/cli/run';
import { COMMANDS } from '../src/commands';
import { fakeJwt, startStandInAuth, startStandInReleaseApi } from './support/stand-in-apis';

const OPS = { email: 'ops@example.test', password: 'correct horse battery staple', roles: ['admin', 'ops'], totpCode: '123456', recoveryCode: 'abcd-efgh-ijkl' };
const VIEWER = { email: 'viewer@example.test', password: 'another long passphrase', roles: [] };

describe('keyhaven-ops (in-process, against stand-in APIs over real HTTP)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup() {
    const auth = await startStandInAuth([OPS, VIEWER]);
    const release = await startStandInReleaseApi(auth.accessTokens);
    const home = await mkdtemp(join(tmpdir(), 'ops-cli-'));
    cleanups.push(auth.close, release.close, () => rm(home, { recursive: true, force: true }));
    const ctx = {
      auth,
      release,
      home,
      credentialsPath: join(home, '.config', 'keyhaven', 'credentials.json'),
      /** Runs one command line; stdin lines are fed through a pipe (as in a script). */
      async cli(argv: string[], options: { env?: Record<string, string>; stdin?: string[] } = {}) {
        let stdout = '';
        let stderr = '';
        const io: CliIo = {
          stdout: { write: (text: string) => (stdout += text) },
          stderr: { write: (text: string) => (stderr += text) },
          stdin: Readable.from((options.stdin ?? []).map((line) => `${line}\n`)),
          env: options.env ?? {},
          homeDir: home,
          now: () => new Date(),
          fetch,
        };
        const code = await runCli(['--auth-url', auth.url, '--release-url', release.url, ...argv], io, COMMANDS);
        return { code, stdout, stderr };
      },
      async login() {
        const result = await ctx.cli(['login', '--email', OPS.email, '--code', OPS.totpCode], { env: { KEYHAVEN_PASSWORD: OPS.password } });
        expect(result).toMatchObject({ code: 0 });
      },
    };
    return { sut: ctx.cli, ctx };
  }

  describe('login', () => {
    it('signs in with password and TOTP and stores the token with mode 0600', async () => {
      const { sut, ctx } = await setup();

      const result = await sut(['login', '--email', OPS.email, '--code', '123456'], { env: { KEYHAVEN_PASSWORD: OPS.password } });

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Logged in as ops@example\.test \(aal2, roles: admin, ops\) until \d{4}-/);
      expect(ctx.auth.requests.map((request) => request.path)).toEqual(['/v1/sessions', '/v1/sessions/mfa/totp']);
      const pending = ctx.auth.requests[0];
      expect(ctx.auth.requests[1].headers.authorization).toMatch(/^Bearer /);
      expect(ctx.auth.requests[1].headers.authorization).not.toContain(String(pending.body));
      const stored = JSON.parse(await readFile(ctx.credentialsPath, 'utf8'));
      expect(stored).toMatchObject({ email: OPS.email, aal: 2, roles: ['admin', 'ops'], authUrl: ctx.auth.url });
      expect(ctx.auth.accessTokens.has(stored.accessToken)).toBe(true);
      expect((await stat(ctx.credentialsPath)).mode & 0o777).toBe(0o600);
      expect((await stat(join(ctx.home, '.config', 'keyhaven'))).mode & 0o777).toBe(0o700);
    });

    it('reads the e-mail, password and code from stdin lines in a script', async () => {
      const { sut, ctx } = await setup();
      const result = await sut(['login'], { stdin: [OPS.email, OPS.password, '123 456'] });
      expect(result.code).toBe(0);
      expect(ctx.auth.requests[0].body).toEqual({ email: OPS.email, password: OPS.password });
      expect(ctx.auth.requests[1].body).toEqual({ code: '123456' });
      expect(result.stderr).not.toContain(OPS.password);
    });

    it('uses a recovery code instead of TOTP', async () => {
      const { sut, ctx } = await setup();
      const result = await sut(['login', '--email', OPS.email, '--recovery-code', OPS.recoveryCode], { env: { KEYHAVEN_PASSWORD: OPS.password } });
      expect(result.code).toBe(0);
      expect(ctx.auth.requests[1].path).toBe('/v1/sessions/mfa/recovery-code');
      expect(result.stderr).toContain('9 recovery codes left');
    });

    it('exits 3 with the API message on a wrong password', async () => {
      const { sut, ctx } = await setup();
      const result = await sut(['login', '--email', OPS.email], { env: { KEYHAVEN_PASSWORD: 'wrong' } });
      expect(result.code).toBe(3);
      expect(result.stderr).toBe('keyhaven-ops: The e-mail address or the password is wrong. (invalid_credentials)\n');
      await expect(stat(ctx.credentialsPath)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('exits 3 on a wrong TOTP code and stores nothing', async () => {
      const { sut, ctx } = await setup();
      const result = await sut(['login', '--email', OPS.email, '--code', '000000'], { env: { KEYHAVEN_PASSWORD: OPS.password } });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('invalid_code');
      await expect(stat(ctx.credentialsPath)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('prints the token for CI with --print-token and writes no file', async () => {
      const { sut, ctx } = await setup();
      const result = await sut(['login', '--email', OPS.email, '--code', '123456', '--print-token'], { env: { KEYHAVEN_PASSWORD: OPS.password } });
      expect(result.code).toBe(0);
      expect(ctx.auth.accessTokens.has(result.stdout.trim())).toBe(true);
      await expect(stat(ctx.credentialsPath)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('signs in in one step when the account has no second factor, and warns without the ops role', async () => {
      const { sut } = await setup();
      const result = await sut(['login', '--email', VIEWER.email], { env: { KEYHAVEN_PASSWORD: VIEWER.password } });
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('no ops role');
    });

    it('reports a missing password on an empty stdin as a usage error', async () => {
      const { sut } = await setup();
      const result = await sut(['login', '--email', OPS.email]);
      expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining('No password given') });
    });
  });

  describe('whoami and logout', () => {
    it('shows the stored session, then forgets it', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      const who = await sut(['whoami', '--json']);
      expect(JSON.parse(who.stdout)).toMatchObject({ email: OPS.email, roles: ['admin', 'ops'], aal: 2, source: ctx.credentialsPath });
      expect((await sut(['logout'])).stdout).toBe('Logged out.\n');
      expect((await sut(['whoami'])).code).toBe(3);
    });
  });

  describe('releases', () => {
    it('adds, lists as a table and as JSON, and yanks a release', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();

      const added = await sut([
        'releases', 'add', '14.3.0', '--channel', 'stable', '--edition', 'community', '--edition', 'enterprise',
        '--released-at', '2026-11-20', '--supported-until', '2027-11-20T00:00:00Z', '--upgrade-from', '>=13.4.0', '--security',
      ]);
      expect(added).toMatchObject({ code: 0, stdout: 'Published 14.3.0 (stable).\n' });
      const post = ctx.release.requests.at(-1)!;
      expect(post.body).toEqual({
        version: '14.3.0',
        channel: 'stable',
        editions: ['community', 'enterprise'],
        releasedAt: '2026-11-20T00:00:00.000Z',
        supportedUntil: '2027-11-20T00:00:00.000Z',
        security: true,
        upgradeFrom: '>=13.4.0',
      });
      expect(post.headers.authorization).toMatch(/^Bearer /);

      const table = await sut(['releases', 'list', '--channel', 'stable']);
      expect(table.code).toBe(0);
      expect(table.stdout).toBe(
        [
          'VERSION  CHANNEL  EDITIONS              RELEASED    SUPPORTED UNTIL  SECURITY  YANKED  UPGRADE FROM',
          '14.3.0   stable   community,enterprise  2026-11-20  2027-11-20       yes       no      >=13.4.0',
          '',
        ].join('\n'),
      );
      expect(ctx.release.requests.at(-1)!.query).toEqual({ channel: 'stable' });

      const json = await sut(['releases', 'list', '--json']);
      expect(JSON.parse(json.stdout)).toMatchObject({ releases: [{ version: '14.3.0', yanked: false }], sequence: 2 });

      const yanked = await sut(['releases', 'yank', '14.3.0']);
      expect(yanked).toMatchObject({ code: 0, stdout: 'Yanked 14.3.0.\n' });
      expect(ctx.release.requests.at(-1)).toMatchObject({ method: 'PATCH', path: '/v1/releases/14.3.0', body: { yanked: true } });
    });

    it('exits 1 with the API code when the release exists', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      await sut(['releases', 'add', '1.0.0', '--channel', 'stable']);
      const again = await sut(['releases', 'add', '1.0.0', '--channel', 'stable']);
      expect(again).toMatchObject({ code: 1, stderr: 'keyhaven-ops: Release 1.0.0 already exists. (release_exists)\n' });
    });

    it('writes a JSON error to stderr with --json', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      const result = await sut(['--json', 'releases', 'yank', '9.9.9']);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stderr)).toEqual({ error: { code: 'release_not_found', message: 'No release 9.9.9. (release_not_found)', status: 404 } });
    });

    it('exits 3 without calling the API when not logged in', async () => {
      const { sut, ctx } = await setup();
      const result = await sut(['releases', 'add', '1.0.0', '--channel', 'stable']);
      expect(result).toMatchObject({ code: 3, stderr: expect.stringContaining('Not logged in') });
      expect(ctx.release.requests).toHaveLength(0);
    });

    it('exits 3 without calling the API when the stored session has expired', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      const stored = JSON.parse(await readFile(ctx.credentialsPath, 'utf8'));
      await writeFile(ctx.credentialsPath, JSON.stringify({ ...stored, expiresAt: '2020-01-01T00:00:00.000Z' }));
      const result = await sut(['releases', 'yank', '1.0.0']);
      expect(result).toMatchObject({ code: 3, stderr: expect.stringContaining('expired at 2020-01-01') });
      expect(ctx.release.requests).toHaveLength(0);
    });

    it('prefers KEYHAVEN_TOKEN over the stored session', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      const other = ctx.auth.issue(OPS, 'access', 2);
      await sut(['releases', 'add', '2.0.0', '--channel', 'stable'], { env: { KEYHAVEN_TOKEN: other } });
      expect(ctx.release.requests.at(-1)!.headers.authorization).toBe(`Bearer ${other}`);
    });

    it('exits 3 on 401 (a token the API does not accept) and on 403 (no ops role)', async () => {
      const { sut, ctx } = await setup();
      const forged = fakeJwt({ email: OPS.email, roles: ['ops'] });
      const unauthorized = await sut(['releases', 'add', '2.0.0', '--channel', 'stable'], { env: { KEYHAVEN_TOKEN: forged } });
      expect(unauthorized).toMatchObject({ code: 3, stderr: expect.stringContaining('(invalid_token). Log in again') });
      const viewer = ctx.auth.issue(VIEWER, 'access', 1);
      const forbidden = await sut(['releases', 'add', '2.0.0', '--channel', 'stable'], { env: { KEYHAVEN_TOKEN: viewer } });
      expect(forbidden).toMatchObject({ code: 3, stderr: expect.stringContaining('(forbidden). This needs an account with the ops role.') });
    });

    it('exits 4 when release-api cannot be reached', async () => {
      const { sut, ctx } = await setup();
      await ctx.release.close();
      const result = await sut(['releases', 'list']);
      expect(result).toMatchObject({ code: 4, stderr: expect.stringContaining(`Cannot reach release-api at ${ctx.release.url}`) });
    });
  });

  describe('advisories', () => {
    it('adds one from options, lists it, and withdraws it', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      const added = await sut([
        'advisories', 'add', '--id', 'KHSA-2026-0010', '--title', 'Stored XSS in the audit view', '--alias', 'CVE-2026-40001',
        '--cvss', 'CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N', '--affected', '13.0.0..13.4.2', '--affected', '14.0.0..=14.0.1',
        '--fixed-in', '13.4.2', '--known-exploited',
      ]);
      expect(added).toMatchObject({ code: 0, stdout: 'Published KHSA-2026-0010: Stored XSS in the audit view\n' });
      expect(ctx.release.requests.at(-1)!.body).toEqual({
        id: 'KHSA-2026-0010',
        title: 'Stored XSS in the audit view',
        aliases: ['CVE-2026-40001'],
        severity: { vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N' },
        knownExploited: true,
        affected: [{ introduced: '13.0.0', fixed: '13.4.2' }, { introduced: '14.0.0', lastAffected: '14.0.1' }],
        fixedIn: ['13.4.2'],
      });

      const list = await sut(['advisories', 'list', '--version', '13.1.0']);
      expect(list.stdout).toContain('KHSA-2026-0010  ?         yes        Stored XSS in the audit view  CVE-2026-40001  13.0.0..13.4.2, 14.0.0..=14.0.1');
      expect(ctx.release.requests.at(-1)!.query).toEqual({ version: '13.1.0' });

      const withdrawn = await sut(['advisories', 'withdraw', 'KHSA-2026-0010']);
      expect(withdrawn.stdout).toBe('Withdrew KHSA-2026-0010 (at 2026-11-27T12:00:00.000Z).\n');
      expect(ctx.release.requests.at(-1)).toMatchObject({ method: 'PATCH', path: '/v1/advisories/KHSA-2026-0010', body: { withdrawn: true } });
    });

    it('imports an OSV file and reports new and updated ids', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      const file = join(ctx.home, 'osv.json');
      const documents = [{ id: 'KHSA-1', summary: 'one', schema_version: '1.6.0' }, { id: 'KHSA-2', summary: 'two' }];
      await writeFile(file, JSON.stringify(documents));
      await sut(['advisories', 'import', file]);
      const second = await sut(['advisories', 'import', file]);
      expect(ctx.release.requests.at(-1)!.body).toEqual(documents);
      expect(second).toMatchObject({ code: 0, stdout: 'Imported 2 advisories (0 new, 2 updated).\n  KHSA-1  updated\n  KHSA-2  updated\n' });
    });

    it('shows which document of an import was refused', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      const file = join(ctx.home, 'osv.json');
      await writeFile(file, JSON.stringify([{ id: 'KHSA-1' }, { summary: 'no id' }]));
      const result = await sut(['advisories', 'import', file]);
      expect(result).toMatchObject({ code: 1, stderr: 'keyhaven-ops: Document 1 has no id. (invalid_osv)\n  index: 1\n' });
    });

    it('exits 2 on a file that is missing or not JSON, before calling the API', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      const broken = join(ctx.home, 'broken.json');
      await writeFile(broken, '{"id": ');
      expect((await sut(['advisories', 'import', join(ctx.home, 'missing.json')])).code).toBe(2);
      expect(await sut(['advisories', 'import', broken])).toMatchObject({ code: 2, stderr: expect.stringContaining('is not JSON') });
      expect(ctx.release.requests).toHaveLength(0);
    });
  });
});
