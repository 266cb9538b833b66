import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess, startWebhookReceiver, WebhookReceiver } from '@keyhaven/testing';
import { oathtoolCode, requireBuilt, runBuiltCli, startBuiltService } from './support/built-processes';

/**
 * The built keyhaven-ops (dist/tools/ops-cli/main.js) against the built auth-service and
 * release-api, all run with plain node: real password + TOTP sign-ins (codes from an
 * independent TOTP tool), then releases and advisories with the ops token they produce.
 */
describe('keyhaven-ops (built) against the built auth-service and release-api', () => {
  const OPS = { email: 'ops@example.test', password: 'correct horse battery staple 42' };
  // Both services agree on the issuer; release-api fetches auth-service's JWKS.
  const ISSUER = 'http://auth.keyhaven-e2e.test';
  let auth: ServiceProcess;
  let release: ServiceProcess;
  let dir: string;
  let opsToken: string;

  beforeAll(async () => {
    requireBuilt('dist/tools/ops-cli/main.js', 'dist/apps/auth-service/main.js', 'dist/apps/release-api/main.js');
    dir = await mkdtemp(join(tmpdir(), 'ops-cli-real-'));
    // As root the embedded PostgreSQL runs as `postgres`, which must pass through this folder.
    await chmod(dir, 0o755);
    // One data folder for both, as `npm start` does: one embedded server, a schema per service.
    auth = await startBuiltService('auth-service', {
      DATA_DIR: join(dir, 'data'),
      AUTH_ISSUER: ISSUER,
      AUTH_BOOTSTRAP_EMAIL: OPS.email,
      AUTH_BOOTSTRAP_PASSWORD: OPS.password,
    });
    release = await startBuiltService('release-api', {
      DATA_DIR: join(dir, 'data'),
      AUTH_ISSUER: ISSUER,
      AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`,
      RELEASE_DEMO_DATA: 'true',
      // Due notices are picked up within this time (default 2 s), so the delivery test is quick.
      JOBS_POLL_INTERVAL: '0.5s',
      MAINTENANCE_DELIVERY_RETRY_DELAY: '1s',
      // The test's webhook receiver listens on loopback, which the egress policy refuses unless listed.
      MAINTENANCE_WEBHOOK_ALLOWLIST: '127.0.0.1',
    });
    // The one ops account (bootstrap) signs in once, through the CLI, for every release test.
    const secret = await enrollTotp(OPS);
    const login = await runBuiltCli(
      ['login', '--email', OPS.email, '--auth-url', auth.url, '--print-token', '--code', await oathtoolCode(secret, new Date(Date.now() + 30_000))],
      { HOME: dir, KEYHAVEN_PASSWORD: OPS.password },
    );
    if (login.code !== 0) throw new Error(`ops login failed (${login.code}): ${login.stderr}`);
    opsToken = login.stdout.trim();
  }, 120_000);

  afterAll(async () => {
    await release?.stop();
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
  async function enrollTotp(account: { email: string; password: string }): Promise<string> {
    const { accessToken } = await post('/v1/sessions', account);
    // The first factor proves the password again.
    const factor = await post('/v1/me/factors/totp', { name: 'keyhaven-ops e2e', currentPassword: account.password }, accessToken);
    await post(`/v1/me/factors/totp/${factor['id']}/confirm`, { code: await oathtoolCode(factor['secret'], new Date()) }, accessToken);
    return factor['secret'];
  }

  async function setup() {
    const home = await mkdtemp(join(dir, 'home-'));
    const env = { HOME: home, KEYHAVEN_AUTH_URL: auth.url, KEYHAVEN_RELEASE_URL: release.url };
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
          const secret = await enrollTotp(account);
          // The next time step: the confirming code's step is spent (a step is accepted once
          // per factor), and one step of drift is allowed, so this one is valid now.
          return { ...account, nextCode: () => oathtoolCode(secret, new Date(Date.now() + 30_000)) };
        },
        credentials: join(home, '.config', 'keyhaven', 'credentials.json'),
        ops: { KEYHAVEN_TOKEN: opsToken },
      },
    };
  }

  describe('login', () => {
    it('logs in with password and TOTP code and stores an aal2 session with mode 0600', async () => {
      const { sut, ctx } = await setup();
      const account = await ctx.newAccount();

      const login = await sut(['login', '--email', account.email, '--code', await account.nextCode()], { KEYHAVEN_PASSWORD: account.password });

      expect(login).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Logged in as e2e-\w+@example\.test \(aal2, roles: none\)/) });
      expect(login.stderr).toContain('no ops role');
      expect((await stat(ctx.credentials)).mode & 0o777).toBe(0o600);
      const who = await sut(['whoami', '--json']);
      expect(JSON.parse(who.stdout)).toMatchObject({ email: account.email, aal: 2, roles: [], issuer: ISSUER });
    });

    it('gave the ops account an aal2 token with the ops role', async () => {
      const { sut, ctx } = await setup();
      const who = await sut(['whoami', '--json'], ctx.ops);
      expect(JSON.parse(who.stdout)).toMatchObject({ email: OPS.email, aal: 2, roles: expect.arrayContaining(['ops']), source: 'KEYHAVEN_TOKEN' });
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

  describe('releases', () => {
    it('lists the catalog as a table and as JSON', async () => {
      const { sut } = await setup();
      const table = await sut(['releases', 'list']);
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n')[0]).toMatch(/^VERSION\s+CHANNEL\s+EDITIONS\s+RELEASED\s+SUPPORTED UNTIL\s+SECURITY\s+YANKED\s+UPGRADE FROM$/);
      expect(table.stdout).toMatch(/^14\.2\.1\s+stable\s/m);
      const json = JSON.parse((await sut(['releases', 'list', '--json', '--channel', 'lts'])).stdout) as { releases: { channel: string }[] };
      expect(json.releases.length).toBeGreaterThan(0);
      expect(new Set(json.releases.map((entry) => entry.channel))).toEqual(new Set(['lts']));
    });

    it('adds a release, refuses it twice, and yanks it', async () => {
      const { sut, ctx } = await setup();
      const version = `14.9.${Math.floor(Math.random() * 1000)}`;
      const added = await sut(
        ['releases', 'add', version, '--channel', 'stable', '--released-at', '2026-11-20', '--upgrade-from', '>=13.4.0', '--security'],
        ctx.ops,
      );
      expect(added).toMatchObject({ code: 0, stdout: `Published ${version} (stable).\n` });

      const again = await sut(['releases', 'add', version, '--channel', 'stable'], ctx.ops);
      expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining(`(release_exists). Change it with: keyhaven-ops releases edit ${version}`) });
      const edited = await sut(['releases', 'edit', version, '--supported-until', '2027-11-20', '--not-security', '--json'], ctx.ops);
      expect(edited.code).toBe(0);
      expect(JSON.parse(edited.stdout)).toMatchObject({ version, supportedUntil: '2027-11-20T00:00:00.000Z', security: false });
      expect((await sut(['releases', 'edit', version, '--security'], ctx.ops)).stdout).toBe(`Changed ${version}.\n`);

      expect((await sut(['releases', 'yank', version], ctx.ops)).stdout).toBe(`Yanked ${version}.\n`);
      const shown = JSON.parse((await sut(['releases', 'show', version, '--json'])).stdout);
      expect(shown).toMatchObject({ version, yanked: true, security: true, upgradeFrom: '>=13.4.0', releasedAt: '2026-11-20T00:00:00.000Z' });
    });

    it('explains validation errors of the service (exit 1)', async () => {
      const { sut, ctx } = await setup();
      const result = await sut(['releases', 'add', '14.9.999', '--channel', 'nightly'], ctx.ops);
      expect(result).toMatchObject({ code: 1, stderr: expect.stringContaining('(validation_failed)') });
    });

    it('exits 3 for an account without the ops role and without any token', async () => {
      const { sut, ctx } = await setup();
      const account = await ctx.newAccount();
      const login = await sut(['login', '--email', account.email, '--code', await account.nextCode(), '--print-token'], {
        KEYHAVEN_PASSWORD: account.password,
      });
      const forbidden = await sut(['releases', 'yank', '14.2.1'], { KEYHAVEN_TOKEN: login.stdout.trim() });
      expect(forbidden).toMatchObject({ code: 3, stderr: expect.stringContaining('This needs an account with the ops role.') });
      expect(await sut(['releases', 'yank', '14.2.1'])).toMatchObject({ code: 3, stderr: expect.stringContaining('Not logged in') });
    });
  });

  describe('advisories', () => {
    it('adds an advisory from options, finds it by version, and withdraws it', async () => {
      const { sut, ctx } = await setup();
      const id = `KHSA-2026-E2E${Math.floor(Math.random() * 10_000)}`;
      const added = await sut(
        [
          'advisories',
          'add',
          '--id',
          id,
          '--title',
          'Stored XSS in the audit view',
          '--alias',
          'CVE-2026-40001',
          '--cvss',
          'CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N',
          '--affected',
          '13.0.0..13.4.2',
          '--fixed-in',
          '13.4.2',
          '--json',
        ],
        ctx.ops,
      );
      expect(added.code).toBe(0);
      expect(JSON.parse(added.stdout)).toMatchObject({ id, severity: { level: 'medium' }, affected: [{ introduced: '13.0.0', fixed: '13.4.2' }] });

      const affecting = await sut(['advisories', 'list', '--version', '13.1.0']);
      expect(affecting.stdout).toContain(id);
      expect((await sut(['advisories', 'list', '--version', '13.4.2'])).stdout).not.toContain(id);

      expect((await sut(['advisories', 'withdraw', id], ctx.ops)).stdout).toMatch(new RegExp(`^Withdrew ${id} \\(at \\d{4}-`));
      expect((await sut(['advisories', 'list', '--version', '13.1.0'])).stdout).not.toContain(id);
      expect((await sut(['advisories', 'list', '--include-withdrawn'])).stdout).toContain(id);
      expect((await sut(['advisories', 'list'])).stdout).not.toContain(id);
      expect((await sut(['advisories', 'list', '--version', '13.1.0', '--include-withdrawn'])).code).toBe(2);
    });

    it('imports an OSV document exported by the service under a new id', async () => {
      const { sut, ctx } = await setup();
      const listed = JSON.parse((await sut(['advisories', 'list', '--json'])).stdout) as { advisories: { id: string }[] };
      const osv = JSON.parse((await sut(['advisories', 'show', listed.advisories[0].id, '--osv'])).stdout) as Record<string, unknown>;
      const id = `KHSA-2026-OSV${Math.floor(Math.random() * 10_000)}`;
      const file = join(ctx.home, 'import.osv.json');
      await writeFile(file, JSON.stringify([{ ...osv, id }]));

      const first = await sut(['advisories', 'import', file], ctx.ops);
      expect(first).toMatchObject({ code: 0, stdout: `Imported 1 advisory (1 new, 0 updated).\n  ${id}  new\n` });
      expect((await sut(['advisories', 'import', file], ctx.ops)).stdout).toContain(`${id}  updated`);

      await writeFile(file, JSON.stringify([{ ...osv, id }, { summary: 'no id, no ranges' }]));
      const refused = await sut(['advisories', 'import', file], ctx.ops);
      expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('(invalid_osv)') });
    });
  });
  describe('maintenance windows and subscriptions', () => {
    const SECRET = `whsec-${randomBytes(16).toString('hex')}`;
    const HOUR = 3_600_000;
    let receiver: WebhookReceiver;

    beforeAll(async () => {
      receiver = await startWebhookReceiver(SECRET);
    });

    afterAll(async () => {
      await receiver?.close();
    });

    /** The same instant written in another zone, e.g. `2026-12-07T01:00:00+02:00` for 23:00 UTC. */
    function inZone(at: Date, offsetHours: number): string {
      const sign = offsetHours < 0 ? '-' : '+';
      const offset = `${sign}${String(Math.abs(offsetHours)).padStart(2, '0')}:00`;
      return `${new Date(at.getTime() + offsetHours * HOUR).toISOString().slice(0, 19)}${offset}`;
    }

    /** A whole hour `hours` from now, so windows of different tests never collide. */
    function hoursAhead(hours: number): Date {
      return new Date(Math.ceil(Date.now() / HOUR) * HOUR + hours * HOUR);
    }

    /** Retries a check of the service's state until it holds (the workers are asynchronous). */
    async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    it('subscribes a webhook and an e-mail address, lists them, and removes one', async () => {
      const { sut, ctx } = await setup();
      const env = `e2e-${randomBytes(3).toString('hex')}`;

      const webhook = await sut(['subscriptions', 'add', '--webhook', receiver.url, '--environments', env, '--json'], {
        ...ctx.ops,
        KEYHAVEN_WEBHOOK_SECRET: SECRET,
      });
      expect(webhook.code).toBe(0);
      const created = JSON.parse(webhook.stdout) as Record<string, unknown>;
      expect(created).toMatchObject({ kind: 'webhook', url: receiver.url, environments: [env] });
      expect(webhook.stdout).not.toContain(SECRET);

      const email = await sut(['subscriptions', 'add', '--email', `${env}@example.test`, '--time-zone', 'Europe/Berlin', '--environments', env], ctx.ops);
      expect(email).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(new RegExp(`^Subscribed email ${env}@example\\.test \\([0-9a-f-]{36}\\) to notices for environments ${env}\\.\\n$`)),
      });
      const emailId = /\(([0-9a-f-]{36})\)/.exec(email.stdout)![1];

      const table = await sut(['subscriptions', 'list'], ctx.ops);
      expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+KIND\s+TO\s+ENVIRONMENTS\s+TIME ZONE\s+CREATED \(UTC\)$/);
      expect(table.stdout).toMatch(
        new RegExp(`^${created['id']}\\s+webhook\\s+${receiver.url.replace(/[./]/g, '\\$&')}\\s+${env}\\s+-\\s+\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}`, 'm'),
      );
      expect(table.stdout).toMatch(new RegExp(`^${emailId}\\s+email\\s+${env}@example\\.test\\s+${env}\\s+Europe/Berlin\\s`, 'm'));
      expect(table.stdout).not.toContain(SECRET);

      expect(await sut(['subscriptions', 'remove', emailId], ctx.ops)).toMatchObject({ code: 0, stdout: `Removed subscription ${emailId}.\n` });
      const listed = JSON.parse((await sut(['subscriptions', 'list', '--json'], ctx.ops)).stdout) as { subscriptions: { id: string }[] };
      expect(listed.subscriptions.map((entry) => entry.id)).toContain(created['id']);
      expect(listed.subscriptions.map((entry) => entry.id)).not.toContain(emailId);
      expect(await sut(['subscriptions', 'remove', emailId], ctx.ops)).toMatchObject({ code: 1, stderr: expect.stringContaining('(subscription_not_found)') });
      expect(await sut(['subscriptions', 'add', '--webhook', receiver.url, '--secret', 'short'], ctx.ops)).toMatchObject({ code: 2 });
      expect(await sut(['subscriptions', 'list'])).toMatchObject({ code: 3, stderr: expect.stringContaining('Not logged in') });
    });

    it('announces a window given in another zone, lists it in UTC, reschedules and cancels it', async () => {
      const { sut, ctx } = await setup();
      const env = `e2e-${randomBytes(3).toString('hex')}`;
      const start = hoursAhead(24 * 10);
      const end = new Date(start.getTime() + 2 * HOUR);
      const utc = (at: Date) =>
        at
          .toISOString()
          .replace(/:00\.000Z$/, '')
          .replace('T', ' ');

      const announced = await sut(
        [
          'maintenance',
          'announce',
          '--title',
          'Database upgrade',
          '--description',
          'PostgreSQL 17; read-only meanwhile.',
          '--starts-at',
          inZone(start, 2),
          '--ends-at',
          inZone(end, -5),
          '--environments',
          `${env},staging`,
          '--json',
        ],
        ctx.ops,
      );
      expect(announced.code).toBe(0);
      const window = JSON.parse(announced.stdout) as { id: string; sequence: number };
      expect(window).toMatchObject({
        status: 'scheduled',
        startsAt: start.toISOString(),
        endsAt: end.toISOString(),
        environments: [env, 'staging'],
        shortNotice: false,
      });

      const table = await sut(['maintenance', 'list', '--environment', env]);
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+STARTS \(UTC\)\s+ENDS \(UTC\)\s+ENVIRONMENTS\s+SHORT NOTICE\s+SEQ\s+TITLE$/);
      expect(table.stdout).toMatch(
        new RegExp(`^${window.id}\\s+scheduled\\s+${utc(start)}\\s+${utc(end)}\\s+${env},staging\\s+no\\s+${window.sequence}\\s+Database upgrade$`, 'm'),
      );
      expect((await sut(['maintenance', 'list', '--environment', 'nowhere'])).stdout).not.toContain(window.id);
      expect((await sut(['maintenance', 'show', window.id])).stdout).toContain(`  starts:        ${utc(start)} UTC`);

      const later = new Date(start.getTime() + 24 * HOUR);
      const moved = await sut(
        ['maintenance', 'reschedule', window.id, '--starts-at', later.toISOString(), '--ends-at', new Date(later.getTime() + HOUR).toISOString(), '--json'],
        ctx.ops,
      );
      expect(moved.code).toBe(0);
      expect(JSON.parse(moved.stdout)).toMatchObject({ id: window.id, startsAt: later.toISOString(), sequence: window.sequence + 1 });

      const cancelled = await sut(['maintenance', 'cancel', window.id, '--reason', 'Vendor postponed the fix'], ctx.ops);
      expect(cancelled).toMatchObject({ code: 0, stdout: `Cancelled maintenance window ${window.id}: Database upgrade.\n` });
      expect(JSON.parse((await sut(['maintenance', 'show', window.id, '--json'])).stdout)).toMatchObject({
        status: 'cancelled',
        cancelReason: 'Vendor postponed the fix',
        sequence: window.sequence + 2,
      });
      expect((await sut(['maintenance', 'list', '--environment', env])).stdout).not.toContain(window.id);
      expect((await sut(['maintenance', 'list', '--environment', env, '--include-past'])).stdout).toMatch(new RegExp(`^${window.id}\\s+cancelled\\s`, 'm'));

      const closed = await sut(['maintenance', 'reschedule', window.id, '--title', 'Too late'], ctx.ops);
      expect(closed).toMatchObject({ code: 1, stderr: expect.stringContaining('(window_closed)') });
    });

    it('shows the earliest allowed start for a start inside the notice lead, and refuses a time without an offset', async () => {
      const { sut, ctx } = await setup();
      const start = hoursAhead(2);
      const soon = [
        'maintenance',
        'announce',
        '--title',
        'Hotfix',
        '--starts-at',
        start.toISOString(),
        '--ends-at',
        new Date(start.getTime() + HOUR).toISOString(),
      ];

      const text = await sut(soon, ctx.ops);
      expect(text.code).toBe(1);
      expect(text.stderr).toMatch(
        /\(notice_too_short\)\n {2}Earliest allowed start: \d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC \(notice lead 72h\)\n {2}Start then or later, or give --emergency-reason/,
      );

      const json = await sut([...soon, '--json'], ctx.ops);
      const error = (JSON.parse(json.stderr) as { error: { code: string; status: number; details: { earliestStart: string; leadMs: number } } }).error;
      expect(error).toMatchObject({ code: 'notice_too_short', status: 422, details: { leadMs: 72 * HOUR, lead: '72h' } });
      expect(Math.abs(Date.parse(error.details.earliestStart) - (Date.now() + 72 * HOUR))).toBeLessThan(5 * 60_000);

      const local = await sut(['maintenance', 'announce', '--title', 'x', '--starts-at', '2030-01-01T10:00:00', '--ends-at', '2030-01-01T11:00:00Z'], ctx.ops);
      expect(local).toMatchObject({ code: 2, stderr: expect.stringContaining('--starts-at: no time zone offset') });
    });

    it('delivers an emergency announcement to the webhook, lists the delivery and replays it under the same id', async () => {
      const { sut, ctx } = await setup();
      const env = `e2e-${randomBytes(3).toString('hex')}`;
      const added = await sut(['subscriptions', 'add', '--webhook', receiver.url, '--environments', env], ctx.ops, `${SECRET}\n`);
      expect(added.code).toBe(0);
      const start = hoursAhead(3);

      const announced = await sut(
        [
          'maintenance',
          'announce',
          '--title',
          'Certificate renewal',
          '--description-file',
          '-',
          '--starts-at',
          start.toISOString(),
          '--ends-at',
          new Date(start.getTime() + HOUR).toISOString(),
          '--environments',
          env,
          '--emergency-reason',
          'The CA revoked the certificate',
          '--json',
        ],
        ctx.ops,
        'The TLS terminator restarts twice.\n',
      );
      expect(announced.code).toBe(0);
      const window = JSON.parse(announced.stdout) as { id: string };
      expect(JSON.parse(announced.stdout)).toMatchObject({
        shortNotice: true,
        emergencyReason: 'The CA revoked the certificate',
        description: 'The TLS terminator restarts twice.',
      });

      const isAnnouncement = (hook: WebhookReceiver['received'][number]) =>
        (hook.body as { type?: string; window?: { id?: string } }).window?.id === window.id &&
        (hook.body as { type?: string }).type === 'maintenance.announced';
      const [announcement] = (await receiver.waitUntil((received) => received.some(isAnnouncement))).filter(isAnnouncement);
      expect(announcement.signatureValid).toBe(true);
      const deliveryId = announcement.deliveryId!;

      const delivered = await eventually(async () => {
        const answer = JSON.parse((await sut(['maintenance', 'deliveries', '--window', window.id, '--state', 'delivered', '--json'], ctx.ops)).stdout) as {
          deliveries: { id: string }[];
        };
        return answer.deliveries.find((delivery) => delivery.id === deliveryId);
      }, `delivery ${deliveryId} marked delivered`);
      expect(delivered).toMatchObject({ id: deliveryId, state: 'delivered', type: 'maintenance.announced', target: receiver.url, attempts: 1 });
      const table = await sut(['maintenance', 'deliveries', '--window', window.id], ctx.ops);
      expect(table.stdout).toMatch(new RegExp(`^${deliveryId}\\s+delivered\\s+announced\\s+${window.id}\\s+`, 'm'));

      const replayed = await sut(['maintenance', 'replay', deliveryId], ctx.ops);
      expect(replayed).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^Queued delivery ${deliveryId} again \\(state pending, `)) });
      await receiver.waitUntil(() => (receiver.countsById().get(deliveryId) ?? 0) >= 2);
      expect(receiver.received.filter((hook) => hook.deliveryId === deliveryId).every((hook) => hook.signatureValid)).toBe(true);

      // Cancelling an announced window tells its subscribers.
      expect((await sut(['maintenance', 'cancel', window.id], ctx.ops)).code).toBe(0);
      await receiver.waitUntil((received) =>
        received.some(
          (hook) =>
            (hook.body as { type?: string; window?: { id?: string } }).type === 'maintenance.cancelled' &&
            (hook.body as { window?: { id?: string } }).window?.id === window.id,
        ),
      );
    });
  });
});
