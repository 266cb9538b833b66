// auth-service and a directory (Debian's slapd): a sync of 10,000 linked people in 50 groups —
// people per second and the growth of auth-service's RSS during the run — against the bare paged
// read of the same people and groups with ldapts from this process (the floor: a sync cannot be
// faster than reading the directory); then sign-in with a directory password next to sign-in
// with a local password, in one run.
//
// The directory is built offline with slapadd (10,000 entries over ldapadd would take minutes),
// its size limit is 500 like a small production server, so the sync pages (page size 500).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import pg from 'pg';
import { loadAmount } from '../lib/context.mjs';
import { call, J, preparing, totpCode } from '../lib/sign-in.mjs';

export const title = 'directory-sync: LDAP sync of 10,000 people / 50 groups vs a bare paged read; directory vs local password sign-in';

const BASE = 'dc=bench,dc=test';
const GROUPS = 50;
const ADMIN = { email: 'bench-admin@bench.test', password: 'correct horse battery staple bench' };

export default async function directorySync(ctx) {
  const people = ctx.quick ? 2_000 : 10_000;
  const slapd = await startBenchSlapd(people);
  try {
    const groupRoles = Object.fromEntries(Array.from({ length: 5 }, (_, g) => [`cn=g${g},ou=groups,${BASE}`, g === 0 ? 'ops' : `role${g}`]));
    const service = await ctx.startService('auth-service', {
      AUTH_THROTTLE_LIMIT: '1000000',
      AUTH_BOOTSTRAP_EMAIL: ADMIN.email,
      AUTH_BOOTSTRAP_PASSWORD: ADMIN.password,
      LDAP_URL: slapd.url,
      LDAP_STARTTLS: 'false',
      LDAP_BIND_DN: `cn=keyhaven,${BASE}`,
      LDAP_BIND_PASSWORD: 'service-secret',
      LDAP_USER_BASE_DN: `ou=people,${BASE}`,
      LDAP_GROUP_BASE_DN: `ou=groups,${BASE}`,
      LDAP_GROUP_ROLES: JSON.stringify(groupRoles),
      LDAP_SYNC_INTERVAL: '0',
      LDAP_SYNC_MAX_LOCK_PERCENT: '5',
    });
    const databaseUrl = await ctx.databaseUrlOf(service);
    const token = await preparing(() => adminToken(service.url));

    // The floor: the same paged reads, bare, twice (the second one warm, as the sync's is).
    await bareRead(slapd.url);
    const bare = await bareRead(slapd.url);
    await linkEveryone(databaseUrl, bare.people);

    // The run: people whose group grants a role get it, 1 % are disabled in the directory.
    const rssBefore = await ctx.rssMiB(service.pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(
      () =>
        ctx.rssMiB(service.pid).then(
          (mib) => (rssPeak = Math.max(rssPeak, mib)),
          () => undefined,
        ),
      25,
    );
    const started = performance.now();
    const run = await preparing(() => syncAndWait(service.url, token));
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    if (run.status !== 'completed') throw new Error(`sync ${run.status}: ${run.abortReason}`);
    const syncMs = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
    const perSecond = (people * 1000) / syncMs;

    ctx.result({
      measure: `directory sync of ${people.toLocaleString('en')} people / ${GROUPS} groups`,
      value: perSecond,
      unit: '/s',
      goal: { min: 1000 },
      detail: `${Math.round(syncMs)} ms (run), ${Math.round(wallMs)} ms (request → report); locked ${run.counts.locked}, role changes ${run.counts.roleChanges}`,
    });
    ctx.result({
      measure: 'directory sync vs bare paged read of the directory (time ratio)',
      value: ctx.ratio(bare.ms, syncMs),
      goal: undefined,
      detail: `bare read ${Math.round(bare.ms)} ms`,
    });
    ctx.result({
      measure: 'auth-service RSS growth during the sync',
      value: rssPeak - rssBefore,
      unit: 'MiB',
      goal: { max: 50 },
      detail: `${Math.round(rssBefore)} → ${Math.round(rssPeak)} MiB`,
    });

    // Sign-in: a directory person (search + bind, each on its own connection) vs a local account (Argon2id).
    const amount = ctx.quick ? 40 : 300;
    const directory = await loadAmount(signInLoad(service.url, { login: 'p17', password: 'p17-pw' }, amount));
    const local = await loadAmount(signInLoad(service.url, { email: ADMIN.email, password: ADMIN.password }, amount));
    if (directory.non2xx + directory.errors + local.non2xx + local.errors > 0)
      throw new Error(`sign-ins failed: ${directory.non2xx + directory.errors} directory, ${local.non2xx + local.errors} local`);
    ctx.result({
      measure: 'sign-in with a directory password vs a local password',
      value: ctx.ratio(directory.rps, local.rps),
      goal: undefined,
      detail: `${Math.round(directory.rps)} vs ${Math.round(local.rps)} req/s, p99 ${directory.p99} vs ${local.p99} ms`,
    });
    ctx.table(title, [
      {
        step: 'sync',
        people,
        ms: Math.round(syncMs),
        'people/s': Math.round(perSecond),
        'bare read ms': Math.round(bare.ms),
        'RSS before MiB': Math.round(rssBefore),
        'RSS peak MiB': Math.round(rssPeak),
      },
      { step: 'sign-in directory', 'req/s': Math.round(directory.rps), p99: directory.p99 },
      { step: 'sign-in local', 'req/s': Math.round(local.rps), p99: local.p99 },
    ]);
    await service.stop();
  } finally {
    await slapd.stop();
  }
}

/** A slapd of its own, loaded offline: `people` people (1 % disabled) in 50 groups, the service account. */
async function startBenchSlapd(people) {
  const dir = await mkdtemp(join(tmpdir(), 'kh-bench-slapd-'));
  const conf = join(dir, 'slapd.conf');
  await writeFile(
    conf,
    [
      ...['core', 'cosine', 'nis', 'inetorgperson'].map((schema) => `include /etc/ldap/schema/${schema}.schema`),
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'moduleload ppolicy',
      `pidfile ${join(dir, 'slapd.pid')}`,
      'sizelimit 500',
      'database mdb',
      `suffix "${BASE}"`,
      `rootdn "cn=admin,${BASE}"`,
      'rootpw root-secret',
      `directory ${dir}`,
      'maxsize 1073741824',
      'limits users size.soft=500 size.hard=500 size.prtotal=unlimited',
      'overlay ppolicy',
      '',
    ].join('\n'),
  );
  const entries = [
    `dn: ${BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Bench\ndc: bench\n`,
    `dn: ou=people,${BASE}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ou=groups,${BASE}\nobjectClass: organizationalUnit\nou: groups\n`,
    `dn: cn=keyhaven,${BASE}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: keyhaven\nuserPassword: service-secret\n`,
  ];
  for (let i = 0; i < people; i++) {
    const disabled = i % 100 === 99 ? 'pwdAccountLockedTime: 000001010000Z\n' : '';
    entries.push(
      `dn: uid=p${i},ou=people,${BASE}\nobjectClass: inetOrgPerson\nuid: p${i}\ncn: Person ${i}\nsn: ${i}\nmail: p${i}@bench.test\nuserPassword: p${i}-pw\n${disabled}`,
    );
  }
  for (let g = 0; g < GROUPS; g++) {
    const members = [];
    for (let i = g; i < people; i += GROUPS) members.push(`member: uid=p${i},ou=people,${BASE}`);
    entries.push(`dn: cn=g${g},ou=groups,${BASE}\nobjectClass: groupOfNames\ncn: g${g}\n${members.join('\n')}\n`);
  }
  await writeFile(join(dir, 'seed.ldif'), entries.join('\n'));
  const loaded = spawnSync('slapadd', ['-q', '-f', conf, '-l', join(dir, 'seed.ldif')], { encoding: 'utf8' });
  if (loaded.status !== 0) throw new Error(`slapadd failed: ${loaded.stderr}`);
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const child = spawn('slapd', ['-d', '0', '-f', conf, '-h', `${url}/`], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    if (spawnSync('ldapsearch', ['-x', '-H', url, '-s', 'base', '-b', '', 'namingContexts']).status === 0) break;
    if (i > 100 || child.exitCode !== null) throw new Error('slapd did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        await new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill('SIGTERM');
        });
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The bare read: every person and group, paged, as the service account — and the people's ids and logins. */
async function bareRead(url) {
  const client = new Client({ url });
  const started = performance.now();
  await client.bind(`cn=keyhaven,${BASE}`, 'service-secret');
  const people = [];
  for await (const page of client.searchPaginated(`ou=people,${BASE}`, {
    filter: '(objectClass=inetOrgPerson)',
    attributes: ['entryUUID', 'uid', 'mail', 'cn', 'displayName', 'pwdAccountLockedTime'],
    paged: { pageSize: 500 },
  })) {
    for (const entry of page.searchEntries) people.push({ dn: entry.dn, id: String(entry.entryUUID), login: String(entry.uid), mail: String(entry.mail) });
  }
  for await (const page of client.searchPaginated(`ou=groups,${BASE}`, {
    filter: '(objectClass=groupOfNames)',
    attributes: ['member', 'uniqueMember'],
    paged: { pageSize: 500 },
  }))
    void page;
  const ms = performance.now() - started;
  await client.unbind();
  return { ms, people };
}

/** Every person linked as a first sign-in would have done (id, DN, login, mail), straight into the table. */
async function linkEveryone(databaseUrl, people) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `insert into auth.account (id, email, directory_id, directory_dn, directory_login)
       select gen_random_uuid(), p->>'mail', p->>'id', p->>'dn', p->>'login' from jsonb_array_elements($1::jsonb) p`,
      [JSON.stringify(people)],
    );
    await client.query('analyze auth.account');
  } finally {
    await client.end();
  }
}

/** The bootstrap admin with a TOTP factor, signed in with it: an aal2 token for the admin routes. */
async function adminToken(url) {
  const first = await call(url, '/v1/sessions', ADMIN);
  const auth = { authorization: `Bearer ${first.accessToken}` };
  const enrolled = await call(url, '/v1/me/factors/totp', { name: 'bench', currentPassword: ADMIN.password }, auth);
  await call(url, `/v1/me/factors/totp/${enrolled.id}/confirm`, { code: await totpCode(enrolled.secret, 0) }, auth);
  const pending = await call(url, '/v1/sessions', ADMIN);
  const full = await call(url, '/v1/sessions/mfa/totp', { code: await totpCode(enrolled.secret, 30) }, { authorization: `Bearer ${pending.accessToken}` });
  return full.accessToken;
}

async function syncAndWait(url, token) {
  const headers = { authorization: `Bearer ${token}` };
  const { runId } = await call(url, '/v1/admin/ldap/sync', {}, headers);
  for (let i = 0; i < 6000; i++) {
    const response = await fetch(`${url}/v1/admin/ldap/runs/${runId}`, { headers });
    const run = await response.json();
    if (run.status !== 'running') return run;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the sync did not finish in 2 minutes');
}

function signInLoad(url, body, amount) {
  return {
    url: `${url}/v1/sessions`,
    method: 'POST',
    connections: 4,
    amount,
    requests: [{ method: 'POST', path: '/v1/sessions', headers: J, body: JSON.stringify(body) }],
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
