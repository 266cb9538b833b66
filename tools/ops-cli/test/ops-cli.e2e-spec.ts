import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CliIo } from '../src/cli/io';
import { runCli } from '../src/cli/run';
import { COMMANDS } from '../src/commands';
import { fakeJwt, startStandInAuth, startStandInReleaseApi } from './support/stand-in-apis';

const OPS = {
  email: 'ops@example.test',
  password: 'correct horse battery staple',
  roles: ['admin', 'ops'],
  totpCode: '123456',
  recoveryCode: 'abcd-efgh-ijkl',
};
const VIEWER = { email: 'viewer@example.test', password: 'another long passphrase', roles: [] };
/** The stand-in release-api's clock: the notice lead is counted from here. */
const NOW = new Date('2026-11-27T12:00:00.000Z');

describe('keyhaven-ops (in-process, against stand-in APIs over real HTTP)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(accounts: Parameters<typeof startStandInAuth>[0] = [OPS, VIEWER]) {
    const auth = await startStandInAuth(accounts);
    const release = await startStandInReleaseApi(auth.accessTokens, { now: () => NOW });
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
      // Nine left is no reason for alarm: a note, not a warning.
      expect(result.stderr).toBe('9 recovery codes left.\n');
    });

    it('warns when 3 or fewer recovery codes are left, once', async () => {
      const { sut, ctx } = await setup([{ ...OPS, recoveryCodesLeft: 2 }]);
      const result = await sut(['login', '--email', OPS.email, '--recovery-code', OPS.recoveryCode], { env: { KEYHAVEN_PASSWORD: OPS.password } });
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(
        `warning: only 2 recovery codes left: make a new set on the account page (${ctx.auth.url}) or with POST /v1/me/recovery-codes.\n`,
      );
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
      expect(result.stderr).toContain('no second factor (aal1)');
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

    it('exits 3 with the reason for a KEYHAVEN_TOKEN that is no token, or an expired one', async () => {
      const { sut } = await setup();
      const garbage = await sut(['whoami'], { env: { KEYHAVEN_TOKEN: 'not-a-token' } });
      expect(garbage).toMatchObject({ code: 3, stdout: '' });
      expect(garbage.stderr).toBe(
        'keyhaven-ops: KEYHAVEN_TOKEN is not an access token of auth-service (no readable JWT with sub and exp). Run: keyhaven-ops login\n',
      );
      const expired = fakeJwt({ sub: 'x', email: OPS.email, roles: ['ops'], aal: 2, iat: 1_700_000_000, exp: 1_700_000_900 });
      const old = await sut(['whoami'], { env: { KEYHAVEN_TOKEN: expired } });
      expect(old.code).toBe(3);
      expect(old.stderr).toContain('KEYHAVEN_TOKEN expired at 2023-11-14T22:28:20.000Z');
    });
  });

  describe('releases', () => {
    it('adds, lists as a table and as JSON, and yanks a release', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();

      const added = await sut([
        'releases',
        'add',
        '14.3.0',
        '--channel',
        'stable',
        '--edition',
        'community',
        '--edition',
        'enterprise',
        '--released-at',
        '2026-11-20',
        '--supported-until',
        '2027-11-20T00:00:00Z',
        '--upgrade-from',
        '>=13.4.0',
        '--security',
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
      expect(again).toMatchObject({
        code: 1,
        stderr:
          'keyhaven-ops: Release 1.0.0 is already in the catalog (release_exists). Change it with: keyhaven-ops releases edit 1.0.0 [--released-at …] [--supported-until …] [--notes-url …]; or yank it: keyhaven-ops releases yank 1.0.0\n',
      });
      expect(await sut(['releases', 'edit', '1.0.0'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Nothing to change') });
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
      const passwordOnly = ctx.auth.issue(OPS, 'access', 1);
      const stepUp = await sut(['releases', 'add', '2.0.0', '--channel', 'stable'], { env: { KEYHAVEN_TOKEN: passwordOnly } });
      expect(stepUp).toMatchObject({ code: 3, stderr: expect.stringContaining('(step_up_required). This needs a session signed in with a second factor') });
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
        'advisories',
        'add',
        '--id',
        'KHSA-2026-0010',
        '--title',
        'Stored XSS in the audit view',
        '--alias',
        'CVE-2026-40001',
        '--cvss',
        'CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N',
        '--affected',
        '13.0.0..13.4.2',
        '--affected',
        '14.0.0..=14.0.1',
        '--fixed-in',
        '13.4.2',
        '--known-exploited',
      ]);
      expect(added).toMatchObject({ code: 0, stdout: 'Published KHSA-2026-0010: Stored XSS in the audit view\n' });
      expect(ctx.release.requests.at(-1)!.body).toEqual({
        id: 'KHSA-2026-0010',
        title: 'Stored XSS in the audit view',
        aliases: ['CVE-2026-40001'],
        severity: { vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N' },
        knownExploited: true,
        affected: [
          { introduced: '13.0.0', fixed: '13.4.2' },
          { introduced: '14.0.0', lastAffected: '14.0.1' },
        ],
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
      const documents = [
        { id: 'KHSA-1', summary: 'one', schema_version: '1.6.0' },
        { id: 'KHSA-2', summary: 'two' },
      ];
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

  describe('maintenance', () => {
    const ANNOUNCE = [
      'maintenance',
      'announce',
      '--title',
      'Database upgrade',
      '--description',
      'Sign-in is unavailable for up to 30 minutes.',
      '--starts-at',
      '2026-12-05T03:00:00+01:00',
      '--ends-at',
      '2026-12-05T04:00:00Z',
      '--environments',
      'production,staging',
    ];

    it('announces a window in UTC, lists it as a table and as JSON, and shows it', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();

      const announced = await sut(ANNOUNCE);

      expect(announced.code).toBe(0);
      const post = ctx.release.requests.at(-1)!;
      expect(post).toMatchObject({ method: 'POST', path: '/v1/maintenance-windows', headers: { authorization: expect.stringMatching(/^Bearer /) } });
      expect(post.body).toEqual({
        title: 'Database upgrade',
        description: 'Sign-in is unavailable for up to 30 minutes.',
        startsAt: '2026-12-05T02:00:00.000Z',
        endsAt: '2026-12-05T04:00:00.000Z',
        environments: ['production', 'staging'],
      });
      expect(announced.stdout).toBe(
        [
          'Scheduled maintenance window mw-0001.',
          'mw-0001: Database upgrade',
          '  status:        scheduled (revision 0)',
          '  starts:        2026-12-05 02:00 UTC',
          '  ends:          2026-12-05 04:00 UTC',
          '  environments:  production,staging',
          '  short notice:  no',
          '  announced:     not yet',
          '',
          'Sign-in is unavailable for up to 30 minutes.',
          '',
        ].join('\n'),
      );

      const table = await sut(['maintenance', 'list', '--environment', 'production']);
      expect(table).toMatchObject({ code: 0, stderr: '' });
      expect(table.stdout).toBe(
        [
          'ID       STATUS     STARTS (UTC)      ENDS (UTC)        ENVIRONMENTS        SHORT NOTICE  SEQ  TITLE',
          'mw-0001  scheduled  2026-12-05 02:00  2026-12-05 04:00  production,staging  no              0  Database upgrade',
          '',
        ].join('\n'),
      );
      expect(ctx.release.requests.at(-1)).toMatchObject({ path: '/v1/maintenance-windows', query: { environment: 'production' } });
      expect((await sut(['maintenance', 'list', '--environment', 'qa'])).stdout).toBe('No upcoming or running maintenance windows.\n');

      const json = await sut(['maintenance', 'list', '--json']);
      expect(JSON.parse(json.stdout)).toEqual({ windows: [ctx.release.windows.get('mw-0001')] });

      const shown = await sut(['maintenance', 'show', 'mw-0001', '--json']);
      expect(JSON.parse(shown.stdout)).toMatchObject({ id: 'mw-0001', startsAt: '2026-12-05T02:00:00.000Z', environments: ['production', 'staging'] });
    });

    it('refuses a time without an offset (exit 2) before calling the API', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      const before = ctx.release.requests.length;
      const withoutOffset = ANNOUNCE.map((arg) => (arg === '2026-12-05T03:00:00+01:00' ? '2026-12-05T03:00:00' : arg));

      const result = await sut(withoutOffset);

      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        'keyhaven-ops: --starts-at: no time zone offset (the CLI does not guess one): expected an ISO 8601 date-time with Z or an offset, ' +
          'e.g. 2026-12-01T09:00:00Z or 2026-12-01T10:00+01:00, got "2026-12-05T03:00:00"\n' +
          'Run "keyhaven-ops maintenance announce --help" for usage.\n',
      );
      const backwards = await sut([...ANNOUNCE, '--ends-at', '2026-12-05T01:00:00Z']);
      expect(backwards).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('--ends-at (2026-12-05 01:00 UTC) must be after --starts-at (2026-12-05 02:00 UTC)'),
      });
      expect(ctx.release.requests).toHaveLength(before);
    });

    it('shows the earliest allowed start when the notice is too short (exit 1), and the API error with --json', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      const soon = [
        'maintenance',
        'announce',
        '--title',
        'Hotfix',
        '--description',
        'x',
        '--starts-at',
        '2026-11-28T12:00:00Z',
        '--ends-at',
        '2026-11-28T13:00:00Z',
      ];

      const result = await sut(soon);

      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        [
          'keyhaven-ops: Maintenance must be announced at least 72h ahead: start at 2026-11-30T12:00:00.000Z or later, or give an emergencyReason. (notice_too_short)',
          '  Earliest allowed start: 2026-11-30 12:00 UTC (notice lead 72h)',
          '  Start then or later, or give --emergency-reason "<why>" to announce at once as short notice.',
          '',
        ].join('\n'),
      );
      const json = await sut([...soon, '--json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stderr)).toEqual({
        error: {
          code: 'notice_too_short',
          message: expect.stringContaining('(notice_too_short)'),
          status: 422,
          details: { earliestStart: '2026-11-30T12:00:00.000Z', leadMs: 259_200_000, lead: '72h' },
        },
      });
      expect(ctx.release.windows.size).toBe(0);
    });

    it('announces at once with an emergency reason, the description read from stdin', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      const result = await sut(
        [
          'maintenance',
          'announce',
          '--title',
          'Certificate renewal',
          '--description-file',
          '-',
          '--starts-at',
          '2026-11-27T23:00+01:00',
          '--ends-at',
          '2026-11-27T23:30+01:00',
          '--emergency-reason',
          'The CA revoked the certificate',
        ],
        { stdin: ['Line one.', 'Line two.'] },
      );
      expect(result.code).toBe(0);
      expect(ctx.release.requests.at(-1)!.body).toMatchObject({
        description: 'Line one.\nLine two.',
        startsAt: '2026-11-27T22:00:00.000Z',
        emergencyReason: 'The CA revoked the certificate',
      });
      expect(result.stdout).toContain('  short notice:  yes — The CA revoked the certificate');
      expect(result.stderr).toBe('Short notice: subscribers are notified at once.\n');
    });

    it('reschedules only what changes, cancels, and refuses to change a cancelled window (exit 1)', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      await sut(ANNOUNCE);

      const moved = await sut([
        'maintenance',
        'reschedule',
        'mw-0001',
        '--starts-at',
        '2026-12-06T02:00:00Z',
        '--ends-at',
        '2026-12-06T05:00:00Z',
        '--all-environments',
      ]);
      expect(moved.code).toBe(0);
      expect(ctx.release.requests.at(-1)).toMatchObject({
        method: 'PATCH',
        path: '/v1/maintenance-windows/mw-0001',
        body: { startsAt: '2026-12-06T02:00:00.000Z', endsAt: '2026-12-06T05:00:00.000Z', environments: [] },
      });
      expect(Object.keys(ctx.release.requests.at(-1)!.body as object).sort()).toEqual(['endsAt', 'environments', 'startsAt']);
      expect(moved.stdout).toMatch(
        /^Updated maintenance window mw-0001 \(revision 1\)\.\n.*\n {2}status: {8}scheduled \(revision 1\)\n {2}starts: {8}2026-12-06 02:00 UTC\n/,
      );

      const tooSoon = await sut(['maintenance', 'reschedule', 'mw-0001', '--starts-at', '2026-11-28T02:00:00Z']);
      expect(tooSoon).toMatchObject({ code: 1, stderr: expect.stringContaining('Earliest allowed start: 2026-11-30 12:00 UTC') });

      const cancelled = await sut(['maintenance', 'cancel', 'mw-0001', '--reason', 'Postponed to January']);
      expect(cancelled).toMatchObject({ code: 0, stdout: 'Cancelled maintenance window mw-0001: Database upgrade.\n' });
      expect(ctx.release.requests.at(-1)).toMatchObject({
        method: 'POST',
        path: '/v1/maintenance-windows/mw-0001/cancel',
        body: { reason: 'Postponed to January' },
      });
      expect((await sut(['maintenance', 'list'])).stdout).toBe('No upcoming or running maintenance windows.\n');
      expect((await sut(['maintenance', 'list', '--include-past'])).stdout).toMatch(/^mw-0001 +cancelled +2026-12-06 02:00 /m);
      expect(ctx.release.requests.at(-1)!.query).toEqual({ includePast: 'true' });

      const again = await sut(['maintenance', 'reschedule', 'mw-0001', '--title', 'New title']);
      expect(again).toMatchObject({ code: 1, stderr: 'keyhaven-ops: Maintenance window mw-0001 is cancelled. (window_closed)\n' });
    });

    it('refuses a reschedule without changes and contradictory options (exit 2)', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      expect(await sut(['maintenance', 'reschedule', 'mw-0001'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Nothing to change') });
      expect(await sut(['maintenance', 'reschedule', 'mw-0001', '--environments', 'qa', '--all-environments'])).toMatchObject({ code: 2 });
      expect(await sut(['maintenance', 'reschedule'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Missing <id>') });
      expect(await sut(['maintenance', 'announce', '--title', 'x', '--description', 'y', '--description-file', '-'])).toMatchObject({ code: 2 });
      expect(ctx.release.requests).toHaveLength(0);
    });

    it('lists dead deliveries and replays one; a bad --state is a usage error', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      ctx.release.deliveries.set('dlv-1', {
        id: 'dlv-1',
        state: 'dead',
        attempts: 8,
        lastError: 'HTTP 503',
        lastAttemptAt: '2026-11-27T11:59:00.000Z',
        type: 'maintenance.announced',
        windowId: 'mw-9',
        subscriptionId: 'sub-9',
        kind: 'webhook',
        target: 'https://hooks.example.test/keyhaven',
      });
      ctx.release.deliveries.set('dlv-2', {
        id: 'dlv-2',
        state: 'pending',
        attempts: 1,
        type: 'maintenance.reminder',
        windowId: 'mw-9',
        subscriptionId: 'sub-9',
      });

      const dead = await sut(['maintenance', 'deliveries', '--state', 'dead', '--window', 'mw-9', '--limit', '50']);
      expect(dead.code).toBe(0);
      expect(ctx.release.requests.at(-1)).toMatchObject({
        path: '/v1/deliveries',
        query: { state: 'dead', windowId: 'mw-9', limit: '50' },
        headers: { authorization: expect.stringMatching(/^Bearer /) },
      });
      expect(dead.stdout).toBe(
        [
          'ID     STATE  NOTICE     WINDOW  TO                                   ATTEMPTS  LAST ATTEMPT (UTC)  LAST ERROR',
          'dlv-1  dead   announced  mw-9    https://hooks.example.test/keyhaven         8  2026-11-27 11:59    HTTP 503',
          '',
        ].join('\n'),
      );

      const replayed = await sut(['maintenance', 'replay', 'dlv-1']);
      expect(replayed).toMatchObject({ code: 0, stdout: 'Queued delivery dlv-1 again (state pending, 8 attempts so far).\n' });
      expect(ctx.release.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v1/deliveries/dlv-1/replay' });
      expect((await sut(['maintenance', 'deliveries', '--state', 'dead'])).stdout).toBe('No dead deliveries.\n');
      expect(await sut(['maintenance', 'replay', 'dlv-2'])).toMatchObject({
        code: 1,
        stderr: 'keyhaven-ops: Delivery dlv-2 is still pending. (delivery_pending)\n',
      });

      const bad = await sut(['maintenance', 'deliveries', '--state', 'failed']);
      expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--state: expected one of dead, pending, delivered, got "failed"') });
      expect(await sut(['maintenance', 'deliveries', '--limit', '0'])).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('--limit: expected a whole number from 1 to 500'),
      });
    });

    it('needs a session for ops calls (exit 3) but not for the public list', async () => {
      const { sut } = await setup();
      expect(await sut(ANNOUNCE)).toMatchObject({ code: 3, stderr: expect.stringContaining('Not logged in') });
      expect(await sut(['maintenance', 'deliveries'])).toMatchObject({ code: 3 });
      expect(await sut(['maintenance', 'list'])).toMatchObject({ code: 0 });
    });
  });

  describe('subscriptions', () => {
    const SECRET = 'whsec-0123456789abcdef0123456789';

    it('adds a webhook and an e-mail subscription, lists them, and removes one', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();

      const webhook = await sut(['subscriptions', 'add', '--webhook', 'https://hooks.example.test/keyhaven', '--environments', 'production'], {
        env: { KEYHAVEN_WEBHOOK_SECRET: SECRET },
      });
      expect(webhook).toMatchObject({
        code: 0,
        stdout: 'Subscribed webhook https://hooks.example.test/keyhaven (sub-0001) to notices for environments production.\n',
      });
      expect(ctx.release.requests.at(-1)!.body).toEqual({
        kind: 'webhook',
        url: 'https://hooks.example.test/keyhaven',
        secret: SECRET,
        environments: ['production'],
      });

      const email = await sut(['subscriptions', 'add', '--email', 'ops@example.test', '--time-zone', 'Europe/Berlin']);
      expect(email).toMatchObject({ code: 0, stdout: 'Subscribed email ops@example.test (sub-0002) to notices for all environments.\n' });
      expect(ctx.release.requests.at(-1)!.body).toEqual({ kind: 'email', address: 'ops@example.test', timeZone: 'Europe/Berlin' });

      const list = await sut(['subscriptions', 'list']);
      expect(list.stdout).toBe(
        [
          'ID        KIND     TO                                   ENVIRONMENTS  TIME ZONE      CREATED (UTC)',
          'sub-0001  webhook  https://hooks.example.test/keyhaven  production    -              2026-11-27 12:00',
          'sub-0002  email    ops@example.test                     all           Europe/Berlin  2026-11-27 12:00',
          '',
        ].join('\n'),
      );
      expect(list.stdout).not.toContain(SECRET);
      expect(JSON.parse((await sut(['subscriptions', 'list', '--json'])).stdout)).toMatchObject({ subscriptions: [{ id: 'sub-0001' }, { id: 'sub-0002' }] });

      const removed = await sut(['subscriptions', 'remove', 'sub-0001']);
      expect(removed).toMatchObject({ code: 0, stdout: 'Removed subscription sub-0001.\n' });
      expect(ctx.release.requests.at(-1)).toMatchObject({ method: 'DELETE', path: '/v1/subscriptions/sub-0001' });
      expect(JSON.parse((await sut(['subscriptions', 'remove', 'sub-0002', '--json'])).stdout)).toEqual({ id: 'sub-0002', removed: true });
      expect(await sut(['subscriptions', 'remove', 'sub-0001'])).toMatchObject({
        code: 1,
        stderr: 'keyhaven-ops: No subscription sub-0001. (subscription_not_found)\n',
      });
      expect((await sut(['subscriptions', 'list'])).stdout).toBe('No subscriptions.\n');
    });

    it('reads the webhook secret from stdin and never echoes it', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      const result = await sut(['subscriptions', 'add', '--webhook', 'http://127.0.0.1:9/hook'], { stdin: [SECRET] });
      expect(result.code).toBe(0);
      expect(ctx.release.requests.at(-1)!.body).toMatchObject({ secret: SECRET });
      expect(result.stdout + result.stderr).not.toContain(SECRET);
    });

    it('refuses wrong combinations as usage errors (exit 2) before calling the API', async () => {
      const { sut, ctx } = await setup();
      await ctx.login();
      const before = ctx.release.requests.length;
      const cases = [
        ['subscriptions', 'add'],
        ['subscriptions', 'add', '--webhook', 'https://a.example.test', '--email', 'ops@example.test', '--secret', SECRET],
        ['subscriptions', 'add', '--webhook', 'https://a.example.test', '--secret', 'too-short'],
        ['subscriptions', 'add', '--email', 'ops@example.test', '--time-zone', 'Mars/Olympus'],
        ['subscriptions', 'add', '--email', 'ops@example.test', '--secret', SECRET],
      ];
      for (const argv of cases) {
        const result = await sut(argv);
        expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining('Run "keyhaven-ops subscriptions add --help" for usage.') });
      }
      expect(ctx.release.requests).toHaveLength(before);
    });
  });

  describe('--help', () => {
    it('documents the maintenance and subscription commands', async () => {
      const { sut } = await setup();
      const group = await sut(['maintenance', '--help']);
      expect(group.code).toBe(0);
      for (const name of ['announce', 'list', 'show', 'reschedule', 'cancel', 'deliveries', 'replay'])
        expect(group.stdout).toMatch(new RegExp(`^ {2}${name} `, 'm'));
      const announce = await sut(['maintenance', 'announce', '--help']);
      expect(announce.stdout).toContain('a time\nwithout an offset is refused rather than guessed');
      const top = await sut(['--help']);
      expect(top.stdout).toContain('subscriptions <add|list|remove>');
    });
  });
});
