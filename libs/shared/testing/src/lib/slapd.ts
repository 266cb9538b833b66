import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freeLoopbackPort as freePort } from '@keyhaven/database/embedded';

const run = promisify(execFile);

export const SLAPD_BASE_DN = 'dc=example,dc=test';
export const SLAPD_ROOT_DN = `cn=admin,${SLAPD_BASE_DN}`;
export const SLAPD_SERVICE_DN = `cn=keyhaven,${SLAPD_BASE_DN}`;
export const SLAPD_PEOPLE_DN = `ou=people,${SLAPD_BASE_DN}`;
export const SLAPD_GROUPS_DN = `ou=groups,${SLAPD_BASE_DN}`;

export interface DirectoryUser {
  uid: string;
  password: string;
  mail?: string;
  cn?: string;
  /** Extra LDIF attribute lines (`userAccountControl: 514`). */
  extra?: string[];
  /** Under another OU than people (moved out of the base). */
  parentDn?: string;
}

export interface Slapd {
  /** `ldap://127.0.0.1:<port>` (StartTLS available). */
  url: string;
  /** `ldaps://127.0.0.1:<port>`. */
  ldapsUrl: string;
  /** The self-signed certificate's file (PEM): LDAP_CA_FILE. */
  caFile: string;
  baseDn: string;
  peopleDn: string;
  groupsDn: string;
  serviceDn: string;
  servicePassword: string;
  /** The LDAP_* environment of auth-service pointing at this server (OpenLDAP flavour). */
  env: Record<string, string>;
  userDn(uid: string, parentDn?: string): string;
  /** Adds entries (LDIF) as the root DN. */
  add(ldif: string): Promise<void>;
  /** Applies an LDIF change record set (ldapmodify) as the root DN. */
  modify(ldif: string): Promise<void>;
  delete(dn: string): Promise<void>;
  addUser(user: DirectoryUser): Promise<string>;
  /** Freezes the server (SIGSTOP): the kernel still accepts connections, nothing answers them. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
  /** Stops the server (the data stays): an outage. SIGTERM by default; SIGKILL is a crash. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same ports and data. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

/**
 * A throwaway OpenLDAP server (Debian's slapd) on loopback ports, one per test file: its own
 * slapd.conf in a temporary folder, a self-signed certificate for StartTLS and LDAPS, the
 * ppolicy overlay (a default policy locking after 3 wrong passwords, so real
 * `pwdAccountLockedTime` locks happen), dynlist for nested `memberOf`, a test schema adding AD's
 * `userAccountControl`/`accountExpires`/`lockoutTime` and 389-DS's `nsAccountLock`, and a size
 * limit of 2 for every non-root user, so a client that does not page gets "size limit exceeded".
 */
export async function startSlapd(options: { users?: DirectoryUser[]; sizeLimit?: number } = {}): Promise<Slapd> {
  const dir = await mkdtemp(join(tmpdir(), 'kh-slapd-'));
  const dbDir = join(dir, 'db');
  await mkdir(dbDir);
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  await writeFile(join(dir, 'test.schema'), TEST_SCHEMA);
  const sizeLimit = options.sizeLimit ?? 2;
  const rootPassword = 'root-secret';
  await writeFile(
    join(dir, 'slapd.conf'),
    [
      ...['core', 'cosine', 'nis', 'inetorgperson', 'dyngroup'].map((schema) => `include /etc/ldap/schema/${schema}.schema`),
      `include ${join(dir, 'test.schema')}`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'moduleload ppolicy',
      'moduleload dynlist',
      `pidfile ${join(dir, 'slapd.pid')}`,
      `TLSCertificateFile ${certFile}`,
      `TLSCertificateKeyFile ${keyFile}`,
      `sizelimit ${sizeLimit}`,
      'database mdb',
      `suffix "${SLAPD_BASE_DN}"`,
      `rootdn "${SLAPD_ROOT_DN}"`,
      `rootpw ${rootPassword}`,
      `directory ${dbDir}`,
      'maxsize 1073741824',
      `limits users size.soft=${sizeLimit} size.hard=${sizeLimit} size.prtotal=unlimited`,
      // Passwords: a user may bind with its own, nobody reads them.
      'access to attrs=userPassword by anonymous auth by self write by * none',
      'access to * by users read by anonymous auth',
      'overlay dynlist',
      'dynlist-attrset groupOfURLs memberURL member+memberOf@groupOfNames*',
      'overlay ppolicy',
      `ppolicy_default "cn=default,ou=policies,${SLAPD_BASE_DN}"`,
      'ppolicy_use_lockout',
      '',
    ].join('\n'),
  );
  await run('slaptest', ['-u', '-f', join(dir, 'slapd.conf')]);
  const [port, tlsPort] = [await freePort(), await freePort()];
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = `ldaps://127.0.0.1:${tlsPort}`;
  let child: ChildProcess | undefined;
  let paused = false;

  const ldapEnv = { ...process.env, LDAPTLS_REQCERT: 'never' };
  const asRoot = ['-x', '-H', url, '-D', SLAPD_ROOT_DN, '-w', rootPassword];
  const feed = async (command: string, args: string[], input: string) => {
    await new Promise<void>((resolve, reject) => {
      const proc = spawn(command, [...asRoot, ...args], { env: ldapEnv, stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      proc.on('error', reject);
      proc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} failed (${code}): ${stderr.trim()}`))));
      proc.stdin.end(input);
    });
  };

  const start = async () => {
    child = spawn('slapd', ['-d', '0', '-f', join(dir, 'slapd.conf'), '-h', `${url}/ ${ldapsUrl}/`], { stdio: 'ignore' });
    const started = child;
    for (let i = 0; i < 100; i++) {
      if (started.exitCode !== null) throw new Error(`slapd exited with ${started.exitCode}`);
      try {
        await run('ldapsearch', ['-x', '-H', url, '-s', 'base', '-b', '', 'namingContexts'], { env: ldapEnv });
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error('slapd did not answer within 5 s');
  };
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      // A frozen process handles SIGTERM only once it runs again.
      if (paused) proc.kill('SIGCONT');
      paused = false;
      proc.kill(signal);
    });
  };
  const signalRunning = (signal: 'SIGSTOP' | 'SIGCONT') => {
    if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error('slapd is not running');
    child.kill(signal);
    paused = signal === 'SIGSTOP';
  };

  await start();
  const userDn = (uid: string, parentDn = `ou=people,${SLAPD_BASE_DN}`) => `uid=${uid},${parentDn}`;
  const slapd: Slapd = {
    url,
    ldapsUrl,
    caFile: certFile,
    baseDn: SLAPD_BASE_DN,
    peopleDn: SLAPD_PEOPLE_DN,
    groupsDn: SLAPD_GROUPS_DN,
    serviceDn: SLAPD_SERVICE_DN,
    servicePassword: 'service-secret',
    env: {
      LDAP_URL: url,
      LDAP_CA_FILE: certFile,
      LDAP_BIND_DN: SLAPD_SERVICE_DN,
      LDAP_BIND_PASSWORD: 'service-secret',
      LDAP_USER_BASE_DN: SLAPD_PEOPLE_DN,
      LDAP_USER_FILTER: '(objectClass=inetOrgPerson)',
      LDAP_GROUP_BASE_DN: SLAPD_GROUPS_DN,
      LDAP_FLAVOR: 'openldap',
    },
    userDn,
    add: (ldif) => feed('ldapadd', [], ldif),
    modify: (ldif) => feed('ldapmodify', [], ldif),
    delete: (dn) => feed('ldapdelete', [dn], ''),
    async addUser(user) {
      const dn = userDn(user.uid, user.parentDn);
      await slapd.add(userLdif(dn, user));
      return dn;
    },
    pause: () => signalRunning('SIGSTOP'),
    resume: () => signalRunning('SIGCONT'),
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await slapd.add(SEED);
  for (const user of options.users ?? []) await slapd.addUser(user);
  return slapd;
}

/** The LDIF of one inetOrgPerson (with the test schema's auxiliary class for AD/389-DS attributes). */
export function userLdif(dn: string, user: DirectoryUser): string {
  return [
    `dn: ${dn}`,
    'objectClass: inetOrgPerson',
    'objectClass: keyhavenTestAccount',
    `uid: ${user.uid}`,
    `cn: ${user.cn ?? user.uid}`,
    `sn: ${user.uid}`,
    ...(user.mail ? [`mail: ${user.mail}`] : []),
    `userPassword: ${user.password}`,
    ...(user.extra ?? []),
    '',
  ].join('\n');
}

// A private OID arc for test-only attributes: the AD and 389-DS account flags on OpenLDAP.
const TEST_SCHEMA = `attributetype ( 1.3.6.1.4.1.55555.1.1 NAME 'userAccountControl' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.2 NAME 'accountExpires' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.3 NAME 'nsAccountLock' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.4 NAME 'lockoutTime' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.55555.2.1 NAME 'keyhavenTestAccount' AUXILIARY MAY ( userAccountControl $ accountExpires $ nsAccountLock $ lockoutTime ) )
`;

const SEED = `dn: ${SLAPD_BASE_DN}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ${SLAPD_PEOPLE_DN}
objectClass: organizationalUnit
ou: people

dn: ou=former,${SLAPD_BASE_DN}
objectClass: organizationalUnit
ou: former

dn: ${SLAPD_GROUPS_DN}
objectClass: organizationalUnit
ou: groups

dn: ou=policies,${SLAPD_BASE_DN}
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,${SLAPD_BASE_DN}
objectClass: organizationalRole
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 3
pwdLockoutDuration: 600

dn: ${SLAPD_SERVICE_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: keyhaven
userPassword: service-secret
`;
