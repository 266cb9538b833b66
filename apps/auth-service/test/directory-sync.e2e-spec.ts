import { Client } from 'pg';
import { Slapd, startSlapd } from '@keyhaven/testing';
import { DirectorySyncService } from '../src/directory/directory-sync.service';
import { decodeClaims, Harness, PASSWORD, startHarness } from './support/auth-harness';
import { slapdForSuite } from './support/directory';

interface RunReport {
  id: string;
  status: string;
  dryRun: boolean;
  counts: Record<string, number> | null;
  abortReason: string | null;
  usersRead: number;
  actions: { accountId: string; login: string; action: string; reason: string; details?: Record<string, unknown> }[];
}

const PEOPLE = ['ada', 'bob', 'cy', 'dee', 'eve', 'fay', 'gus', 'hal', 'ivy', 'jon'];

/**
 * The directory sync end to end against a real slapd: the directory changes between runs
 * (ldapmodify locks, deletes, moves between groups, an outage) and the runs lock, unlock and
 * re-role accounts — with security events, revoked sessions and run reports — or change nothing
 * when the directory cannot be trusted.
 */
describe('directory sync (LDAP)', () => {
  let slapd: Slapd;
  let harness: Harness;
  let adminToken: string;
  const tokens = new Map<string, string>();
  const ids = new Map<string, string>();

  beforeAll(async () => {
    slapd = await startSlapd({ users: PEOPLE.map((uid) => ({ uid, password: `${uid}-directory-pw`, mail: `${uid}@example.test` })) });
    const groups = slapd.groupsDn;
    await slapd.add(
      [
        `dn: cn=admins,${groups}\nobjectClass: groupOfNames\ncn: admins\nmember: ${slapd.userDn('ada')}\n`,
        `dn: cn=sre,${groups}\nobjectClass: groupOfNames\ncn: sre\nmember: ${slapd.userDn('bob')}\n`,
        `dn: cn=ops,${groups}\nobjectClass: groupOfNames\ncn: ops\nmember: cn=sre,${groups}\nmember: ${slapd.userDn('dee')}\n`,
      ].join('\n'),
    );
    harness = await startHarness({
      ...slapd.env,
      LDAP_SYNC_INTERVAL: '0',
      LDAP_PAGE_SIZE: '2',
      LDAP_SYNC_MAX_LOCK_PERCENT: '30',
      LDAP_GROUP_ROLES: JSON.stringify({ [`cn=admins,${groups}`]: 'admin', [`CN=OPS, ${groups.toUpperCase()}`]: ['ops'] }),
    });
    const admin = await harness.newUser({ roles: ['admin'] });
    const { secret } = await admin.enrollTotp();
    adminToken = await admin.aal2Token(secret);
    for (const uid of PEOPLE) {
      const answer = await harness.request('POST', '/v1/sessions', { body: { login: uid, password: `${uid}-directory-pw` } });
      if (answer.statusCode !== 200) throw new Error(`${uid}: ${answer.body}`);
      tokens.set(uid, answer.json().accessToken);
      ids.set(uid, String(decodeClaims(answer.json().accessToken)['sub']));
    }
  }, 120_000);

  afterAll(async () => {
    await harness?.close();
    await slapd?.close();
  });

  const rolesOf = async (uid: string) => (await harness.sql<{ roles: string[] }>('select roles from auth.account where id = $1', [ids.get(uid)]))[0]?.roles;
  const lockOf = async (uid: string) =>
    (await harness.sql<{ lock_reason: string | null }>('select lock_reason from auth.account where id = $1', [ids.get(uid)]))[0]?.lock_reason;
  const eventsOf = async (uid: string) =>
    await harness.sql<{ type: string; details: Record<string, unknown> }>(
      'select type, details from auth.security_event where account_id = $1 order by occurred_at, id',
      [ids.get(uid)],
    );

  async function startSync(body: Record<string, unknown> = {}): Promise<string> {
    const started = await harness.request('POST', '/v1/admin/ldap/sync', { token: adminToken, body });
    if (started.statusCode !== 202) throw new Error(`sync: ${started.statusCode} ${started.body}`);
    return started.json().runId;
  }

  async function sync(body: Record<string, unknown> = {}): Promise<RunReport> {
    return finished(await startSync(body));
  }

  async function finished(runId: string): Promise<RunReport> {
    for (let i = 0; i < 300; i++) {
      const run = (await harness.request('GET', `/v1/admin/ldap/runs/${runId}`, { token: adminToken })).json() as RunReport;
      if (run.status !== 'running') return run;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the run did not finish in 30 s');
  }

  it('grants roles from groups at the first sign-in, nested groups included', async () => {
    expect(await rolesOf('ada')).toEqual(['admin']);
    expect(await rolesOf('bob')).toEqual(['ops']);
    expect(await rolesOf('dee')).toEqual(['ops']);
    expect(await rolesOf('cy')).toEqual([]);
  });

  it('needs an admin with a multi-factor session', async () => {
    expect((await harness.request('GET', '/v1/admin/ldap/status')).statusCode).toBe(401);
    const aal1 = await harness.request('POST', '/v1/admin/ldap/sync', { token: tokens.get('ada'), body: {} });
    expect(aal1.statusCode).toBe(403);
    expect(aal1.json().error.code).toBe('step_up_required');
    const nonAdmin = await harness.request('GET', '/v1/admin/ldap/runs', { token: tokens.get('cy') });
    expect(nonAdmin.statusCode).toBe(403);
    expect((await harness.request('POST', '/v1/admin/ldap/sync', { token: adminToken, body: { dryRun: 'yes' } })).statusCode).toBe(400);
  });

  it('changes nothing when nothing changed in the directory (paged: page size 2 against a size limit of 2)', async () => {
    const run = await sync();
    expect(run).toMatchObject({
      status: 'completed',
      abortReason: null,
      counts: { directoryUsers: PEOPLE.length, linkedAccounts: PEOPLE.length, locked: 0, unlocked: 0, roleChanges: 0 },
    });
  });

  it('locks a person disabled in the directory and one deleted there; their sessions end at once; events are recorded', async () => {
    await slapd.modify(`dn: ${slapd.userDn('cy')}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n`);
    await slapd.delete(slapd.userDn('eve'));
    expect((await harness.request('GET', '/v1/me/factors', { token: tokens.get('cy') })).statusCode).toBe(200);

    const dry = await sync({ dryRun: true });
    expect(dry).toMatchObject({ status: 'completed', dryRun: true, counts: { locked: 2 } });
    expect(await lockOf('cy')).toBeNull();

    const run = await sync();
    expect(run.status).toBe('completed');
    expect(run.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ accountId: ids.get('cy'), login: 'cy', action: 'lock', reason: 'ldap_disabled' }),
        expect.objectContaining({ accountId: ids.get('eve'), login: 'eve', action: 'lock', reason: 'ldap_missing' }),
      ]),
    );
    expect(await lockOf('cy')).toBe('ldap_disabled');
    expect(await lockOf('eve')).toBe('ldap_missing');
    // The row stays (factors and history too); the tokens stop working here at once.
    expect((await harness.sql('select 1 from auth.account where id = $1', [ids.get('eve')])).length).toBe(1);
    const refused = await harness.request('GET', '/v1/me/factors', { token: tokens.get('cy') });
    expect(refused.statusCode).toBe(401);
    expect(await eventsOf('cy')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'account_locked', details: expect.objectContaining({ reason: 'ldap_disabled', runId: run.id }) }),
      ]),
    );
    expect(
      (await harness.sql<{ revoke_reason: string }>('select revoke_reason from auth.session where account_id = $1', [ids.get('cy')])).map(
        (s) => s.revoke_reason,
      ),
    ).toEqual(['account_locked']);
  });

  it('unlocks a person enabled again — but never lifts a lock the directory did not set', async () => {
    await harness.sql("update auth.account set locked_at = now(), lock_reason = 'admin' where id = $1", [ids.get('jon')]);
    await slapd.modify(`dn: ${slapd.userDn('cy')}\nchangetype: modify\ndelete: pwdAccountLockedTime\n`);
    const run = await sync();
    expect(run.actions).toEqual(expect.arrayContaining([expect.objectContaining({ login: 'cy', action: 'unlock', reason: 'found_enabled' })]));
    expect(await lockOf('cy')).toBeNull();
    expect(await lockOf('jon')).toBe('admin');
    expect(await lockOf('eve')).toBe('ldap_missing');
    expect((await harness.request('POST', '/v1/sessions', { body: { login: 'cy', password: 'cy-directory-pw' } })).statusCode).toBe(200);
    expect((await eventsOf('cy')).map((e) => e.type)).toEqual(expect.arrayContaining(['account_locked', 'account_unlocked']));
  });

  it('moves roles with group membership, and leaves roles given by hand alone', async () => {
    await harness.sql("update auth.account set roles = array_append(roles, 'auditor') where id = $1", [ids.get('dee')]);
    // groupOfNames needs a member: bob makes way for an entry that is nobody's.
    await slapd.modify(`dn: cn=sre,${slapd.groupsDn}\nchangetype: modify\nreplace: member\nmember: cn=vacancy,${slapd.baseDn}\n`);
    await slapd.modify(
      `dn: cn=ops,${slapd.groupsDn}\nchangetype: modify\ndelete: member\nmember: ${slapd.userDn('dee')}\n-\nadd: member\nmember: ${slapd.userDn('fay')}\n`,
    );
    const run = await sync();
    expect(run.counts?.['roleChanges']).toBe(3);
    expect(await rolesOf('bob')).toEqual([]);
    expect(await rolesOf('dee')).toEqual(['auditor']);
    expect(await rolesOf('fay')).toEqual(['ops']);
    expect(await eventsOf('fay')).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'directory_roles_changed', details: expect.objectContaining({ added: ['ops'], removed: [] }) })]),
    );
  });

  it('copies a changed mail address', async () => {
    await slapd.modify(`dn: ${slapd.userDn('gus')}\nchangetype: modify\nreplace: mail\nmail: Gus.New@example.test\n`);
    await sync();
    expect((await harness.sql<{ email: string }>('select email from auth.account where id = $1', [ids.get('gus')]))[0]?.email).toBe('gus.new@example.test');
  });

  it('aborts and changes nothing when the directory goes away', async () => {
    await slapd.stop();
    try {
      const run = await sync();
      expect(run.status).toBe('aborted');
      expect(run.abortReason).toMatch(/ECONNREFUSED/);
      expect(run.actions).toEqual([]);
      expect(await lockOf('ada')).toBeNull();
    } finally {
      await slapd.start();
    }
  });

  it('aborts a run when the directory dies in the middle of it: nothing changes, directory users get 503, a local admin signs in, the next run succeeds', async () => {
    const breakGlass = await harness.newUser({ email: 'break-glass@example.test', roles: ['admin'] });
    const accounts = () => harness.sql('select * from auth.account order by id');
    const before = await accounts();
    const linked = before.filter((row) => row['directory_id'] !== null).length;
    // The run must be caught between two pages of its user search (page size 2; 9 people left),
    // and without a mock: the run writes its progress to its row after every page, so a
    // transaction of ours holding that row stops the run right after its first page. slapd is
    // frozen while the run starts, so the row is ours before the run can read anything.
    const holder = new Client({ connectionString: harness.database.url });
    await holder.connect();
    let runId: string;
    try {
      slapd.pause();
      try {
        runId = await startSync();
        await holder.query('begin');
        await holder.query('select 1 from auth.directory_sync_run where id = $1 for update', [runId]);
      } finally {
        slapd.resume();
      }
      const holderPid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
      let waiting = 0;
      for (let i = 0; i < 300 && waiting === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        // The run's progress write after its first page, waiting for our transaction.
        waiting = (await harness.sql("select pid from pg_stat_activity where $1 = any(pg_blocking_pids(pid)) and query like '%set users_read%'", [holderPid]))
          .length;
      }
      expect(waiting).toBe(1);
      // Mid-run: the first page is read, the rest is not. slapd crashes.
      await slapd.stop('SIGKILL');
      await holder.query('commit');
    } finally {
      await holder.query('rollback').catch(() => undefined);
      await holder.end();
    }
    try {
      const run = await finished(runId);
      expect(run).toMatchObject({
        status: 'aborted',
        abortReason: 'search: the connection to the directory was lost',
        counts: null,
        actions: [],
        usersRead: 2,
      });
      // No account locked or changed, no event written by the run.
      expect(await accounts()).toEqual(before);
      expect(await harness.sql("select 1 from auth.security_event where details->>'runId' = $1", [runId])).toEqual([]);

      const directoryUser = await harness.request('POST', '/v1/sessions', { body: { login: 'fay', password: 'fay-directory-pw' } });
      expect(directoryUser.statusCode).toBe(503);
      expect(directoryUser.json().error.code).toBe('directory_unavailable');
      const local = await harness.request('POST', '/v1/sessions', { body: { email: breakGlass.email, password: PASSWORD } });
      expect(local.statusCode).toBe(200);
      expect(decodeClaims(local.json().accessToken)).toMatchObject({ sub: breakGlass.id, roles: ['admin'] });
      const status = (await harness.request('GET', '/v1/admin/ldap/status', { token: adminToken })).json();
      expect(status.connection.ok).toBe(false);
      expect(status.lastSuccessfulRun.id).not.toBe(runId);
    } finally {
      await slapd.start();
    }
    const next = await sync();
    expect(next).toMatchObject({
      status: 'completed',
      abortReason: null,
      usersRead: PEOPLE.length - 1,
      counts: { directoryUsers: PEOPLE.length - 1, linkedAccounts: linked, locked: 0, unlocked: 0 },
    });
    expect((await harness.request('POST', '/v1/sessions', { body: { login: 'fay', password: 'fay-directory-pw' } })).statusCode).toBe(200);
  });

  it('refuses a run that would lock more than LDAP_SYNC_MAX_LOCK_PERCENT, unless forced', async () => {
    for (const uid of ['hal', 'ivy', 'ada'])
      await slapd.modify(`dn: ${slapd.userDn(uid)}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n`);
    // eve (missing) and jon (admin) are locked already: 3 new locks of 10 linked accounts is 30 %; with cy 40 %.
    await slapd.modify(`dn: ${slapd.userDn('cy')}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n`);
    const refused = await sync();
    expect(refused.status).toBe('refused');
    expect(refused.abortReason).toMatch(/LDAP_SYNC_MAX_LOCK_PERCENT/);
    expect(await lockOf('hal')).toBeNull();
    const forced = await sync({ force: true });
    expect(forced.status).toBe('completed');
    expect(await lockOf('hal')).toBe('ldap_disabled');
    expect(await lockOf('ada')).toBe('ldap_disabled');
  });

  it('lists runs and reports its status', async () => {
    const list = (await harness.request('GET', '/v1/admin/ldap/runs', { token: adminToken })).json();
    expect(list.runs.length).toBeGreaterThanOrEqual(8);
    expect(list.runs[0]).not.toHaveProperty('actions');
    const status = (await harness.request('GET', '/v1/admin/ldap/status', { token: adminToken })).json();
    expect(status).toMatchObject({ url: slapd.url, flavor: 'openldap', connection: { ok: true }, syncIntervalSeconds: 0, nextRunAt: null });
    expect(status.lastSuccessfulRun.status).toBe('completed');
    expect((await harness.request('GET', '/v1/admin/ldap/runs/00000000-0000-4000-8000-000000000000', { token: adminToken })).statusCode).toBe(404);
    expect((await harness.request('GET', '/v1/admin/ldap/runs/not-a-uuid', { token: adminToken })).statusCode).toBe(404);
  });
});

describe('directory sync safety and schedule', () => {
  const slapd = slapdForSuite();

  it('aborts a run whose search finds nobody (a wrong base DN must not lock everyone), and schedules LDAP_SYNC_INTERVAL once', async () => {
    const harness = await startHarness({ ...slapd.env, LDAP_SYNC_INTERVAL: '30m' });
    try {
      const schedules = await harness.sql<{ name: string; cron: string }>("select name, cron from auth_jobs.schedule where name = 'directory-sync'");
      expect(schedules).toEqual([{ name: 'directory-sync', cron: '*/30 * * * *' }]);
      const linked = await harness.request('POST', '/v1/sessions', { body: { login: 'ada', password: 'ada-directory-pw' } });
      expect(linked.statusCode).toBe(200);
      const id = String(decodeClaims(linked.json().accessToken)['sub']);
      // The only person leaves the user base: an empty answer.
      await slapd.modify(`dn: ${slapd.userDn('ada')}\nchangetype: modrdn\nnewrdn: uid=ada\ndeleteoldrdn: 1\nnewsuperior: ou=former,${slapd.baseDn}\n`);
      const service = harness.app.get(DirectorySyncService);
      await service.handle({});
      const [run] = await harness.sql<{ status: string; abort_reason: string; trigger: string }>(
        'select status, abort_reason, trigger from auth.directory_sync_run',
      );
      expect(run).toMatchObject({ status: 'aborted', trigger: 'schedule' });
      expect(run?.abort_reason).toMatch(/no users/);
      expect((await harness.sql('select lock_reason from auth.account where id = $1', [id]))[0]).toEqual({ lock_reason: null });
    } finally {
      await harness.close();
    }
  });
});

/**
 * The Active Directory and 389-DS flavours on the same slapd, through the test schema's
 * `userAccountControl`, `accountExpires`, `lockoutTime` and `nsAccountLock`: the same code decides
 * "disabled" from fetched attributes on every server.
 */
interface FlavourCase {
  flavor: string;
  env: Record<string, string>;
  enabled: string[];
  disabled: string[];
  expired: string[];
  lockedOut: string[];
}

describe.each<FlavourCase>([
  {
    flavor: 'ad',
    env: { LDAP_FLAVOR: 'ad', LDAP_LOGIN_ATTR: 'uid', LDAP_ID_ATTR: 'entryUUID', LDAP_USER_FILTER: '(objectClass=inetOrgPerson)' },
    enabled: ['userAccountControl: 512', 'accountExpires: 0'],
    disabled: ['userAccountControl: 514'],
    expired: ['userAccountControl: 512', 'accountExpires: 130000000000000000'],
    lockedOut: ['userAccountControl: 512', 'lockoutTime: 134088192000000000'],
  },
  {
    flavor: '389ds',
    env: { LDAP_FLAVOR: '389ds', LDAP_ID_ATTR: 'entryUUID' },
    enabled: ['nsAccountLock: FALSE'],
    disabled: ['nsAccountLock: TRUE'],
    expired: ['nsAccountLock: true'],
    lockedOut: [],
  },
])('the $flavor flavour on slapd', ({ env, enabled, disabled, expired, lockedOut }) => {
  let slapd: Slapd;
  let harness: Harness;

  beforeAll(async () => {
    slapd = await startSlapd({
      users: [
        { uid: 'ok', password: 'ok-directory-pw', mail: 'ok@example.test', extra: enabled },
        { uid: 'off', password: 'off-directory-pw', mail: 'off@example.test', extra: enabled },
        { uid: 'old', password: 'old-directory-pw', mail: 'old@example.test', extra: enabled },
        { uid: 'out', password: 'out-directory-pw', mail: 'out@example.test', extra: enabled },
      ],
    });
    harness = await startHarness({ ...slapd.env, ...env, LDAP_SYNC_INTERVAL: '0', LDAP_SYNC_MAX_LOCK_PERCENT: '100' });
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await slapd?.close();
  });

  it('refuses sign-in to a disabled person at once and locks them at the next sync; a lockout is only reported', async () => {
    for (const uid of ['ok', 'off', 'old', 'out']) {
      expect((await harness.request('POST', '/v1/sessions', { body: { login: uid, password: `${uid}-directory-pw` } })).statusCode).toBe(200);
    }
    const replace = async (uid: string, lines: string[]) => {
      if (lines.length === 0) return;
      await slapd.modify(
        [
          `dn: ${slapd.userDn(uid)}`,
          'changetype: modify',
          ...lines.flatMap((line, i) => [...(i ? ['-'] : []), `replace: ${line.split(':')[0]}`, line]),
          '',
        ].join('\n'),
      );
    };
    await replace('off', disabled);
    await replace('old', expired);
    await replace('out', lockedOut);
    expect((await harness.request('POST', '/v1/sessions', { body: { login: 'off', password: 'off-directory-pw' } })).statusCode).toBe(401);

    await harness.app.get(DirectorySyncService).handle({});
    const [run] = await harness.sql<{ status: string; actions: { login: string; action: string; reason: string }[] }>(
      'select status, actions from auth.directory_sync_run',
    );
    expect(run?.status).toBe('completed');
    const locks = await harness.sql<{ email: string; lock_reason: string | null }>('select email, lock_reason from auth.account order by email');
    expect(locks).toEqual([
      { email: 'off@example.test', lock_reason: 'ldap_disabled' },
      { email: 'ok@example.test', lock_reason: null },
      { email: 'old@example.test', lock_reason: 'ldap_disabled' },
      { email: 'out@example.test', lock_reason: null },
    ]);
    if (lockedOut.length)
      expect(run?.actions).toEqual(expect.arrayContaining([expect.objectContaining({ login: 'out', action: 'report', reason: 'locked_out_in_directory' })]));
  });
});
