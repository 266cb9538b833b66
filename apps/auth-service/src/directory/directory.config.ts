import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, env } from '@keyhaven/config';
import { FilterParser } from 'ldapts';
import { normaliseDn, parseDn } from './dn';

/** LDAP_SYNC_RUN_RETENTION's default: how long run reports (they hold logins) are kept. */
export const DEFAULT_SYNC_RUN_RETENTION_MS = 90 * 86_400_000;

export const DIRECTORY_FLAVORS = ['openldap', 'ad', '389ds', 'generic'] as const;
export type DirectoryFlavor = (typeof DIRECTORY_FLAVORS)[number];

/** The LDAP_* variables (docs/auth-service.md#directory). Unset LDAP_URL = the feature is off. */
export const directoryEnvShape = {
  LDAP_URL: env.optionalUrl(['ldap:', 'ldaps:']),
  LDAP_STARTTLS: env.optionalBool(),
  LDAP_CA_FILE: env.optionalString(),
  LDAP_BIND_DN: env.optionalString(),
  LDAP_BIND_PASSWORD: env.optionalString(),
  LDAP_BIND_PASSWORD_FILE: env.optionalString(),
  LDAP_USER_BASE_DN: env.optionalString(),
  LDAP_USER_FILTER: env.optionalString(),
  LDAP_LOGIN_ATTR: env.optionalString(),
  LDAP_MAIL_ATTR: env.string('mail'),
  LDAP_ID_ATTR: env.optionalString(),
  LDAP_FLAVOR: env.oneOf(DIRECTORY_FLAVORS, 'openldap'),
  LDAP_GROUP_BASE_DN: env.optionalString(),
  LDAP_GROUP_FILTER: env.string('(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))'),
  LDAP_GROUP_ROLES: env.optionalString(),
  LDAP_SYNC_INTERVAL: env.duration('1h'),
  LDAP_SYNC_MAX_LOCK_PERCENT: env.int(10, { min: 0, max: 100 }),
  LDAP_SYNC_RUN_RETENTION: env.duration('90d'),
  LDAP_TIMEOUT: env.duration('10s'),
  LDAP_PAGE_SIZE: env.int(500, { min: 1, max: 10_000 }),
};

type DirectoryEnv = { [K in keyof typeof directoryEnvShape]: z.output<(typeof directoryEnvShape)[K]> };

export interface DirectoryConfig {
  url: string;
  /** Upgrade an `ldap://` connection with StartTLS before any bind (never for `ldaps://`). */
  startTls: boolean;
  /** PEM of the CA that signed the directory's certificate; undefined = the system's CAs. */
  ca: string | undefined;
  bindDn: string;
  bindPassword: string;
  userBaseDn: string;
  /** A valid RFC 4515 filter that selects the people who may sign in. */
  userFilter: string;
  loginAttr: string;
  mailAttr: string;
  idAttr: string;
  flavor: DirectoryFlavor;
  groupBaseDn: string | undefined;
  groupFilter: string;
  /** Normalised group DN → roles it grants (empty: no group sync). */
  groupRoles: Map<string, string[]>;
  /** 0 = no schedule (on demand only). */
  syncIntervalMs: number;
  maxLockPercent: number;
  runRetentionMs: number;
  timeoutMs: number;
  pageSize: number;
}

const ATTRIBUTE = /^[A-Za-z][A-Za-z0-9-]*$/;
const ROLE = /^[a-z][a-z0-9_-]{0,63}$/;

const FLAVOR_DEFAULTS: Record<DirectoryFlavor, { login: string; id: string; filter: string }> = {
  openldap: { login: 'uid', id: 'entryUUID', filter: '(objectClass=inetOrgPerson)' },
  '389ds': { login: 'uid', id: 'nsUniqueId', filter: '(objectClass=inetOrgPerson)' },
  ad: { login: 'sAMAccountName', id: 'objectGUID', filter: '(&(objectCategory=person)(objectClass=user))' },
  generic: { login: 'uid', id: 'entryUUID', filter: '(objectClass=person)' },
};

/** LDAP_* → the directory settings, or undefined without LDAP_URL; every problem names its variable. */
export function parseDirectoryConfig(parsed: DirectoryEnv): DirectoryConfig | undefined {
  if (!parsed.LDAP_URL) return undefined;
  const problems: string[] = [];
  const defaults = FLAVOR_DEFAULTS[parsed.LDAP_FLAVOR];
  const url = new URL(parsed.LDAP_URL);
  if (url.pathname !== '/' && url.pathname !== '')
    problems.push(`LDAP_URL: expected ldap://host[:port] or ldaps://host[:port] without a path, got ${JSON.stringify(parsed.LDAP_URL)}`);
  const startTls = url.protocol === 'ldaps:' ? false : (parsed.LDAP_STARTTLS ?? true);
  if (url.protocol === 'ldaps:' && parsed.LDAP_STARTTLS === true) problems.push('LDAP_STARTTLS: only for ldap:// URLs (ldaps:// is TLS from the start)');

  let ca: string | undefined;
  if (parsed.LDAP_CA_FILE) {
    try {
      ca = readFileSync(parsed.LDAP_CA_FILE, 'utf8');
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) problems.push(`LDAP_CA_FILE: ${parsed.LDAP_CA_FILE} holds no PEM certificate`);
    } catch (error) {
      problems.push(`LDAP_CA_FILE: cannot read ${parsed.LDAP_CA_FILE} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }

  const dn = (name: string, value: string | undefined, required: boolean): string | undefined => {
    if (value === undefined) {
      if (required) problems.push(`${name}: is required with LDAP_URL: a DN such as ou=people,dc=example,dc=com`);
      return undefined;
    }
    if (!parseDn(value)) problems.push(`${name}: expected a DN such as ou=people,dc=example,dc=com (RFC 4514), got ${JSON.stringify(value)}`);
    return value;
  };
  const bindDn = dn('LDAP_BIND_DN', parsed.LDAP_BIND_DN, true);
  const userBaseDn = dn('LDAP_USER_BASE_DN', parsed.LDAP_USER_BASE_DN, true);
  const groupBaseDn = dn('LDAP_GROUP_BASE_DN', parsed.LDAP_GROUP_BASE_DN, false);

  let bindPassword = parsed.LDAP_BIND_PASSWORD;
  if (parsed.LDAP_BIND_PASSWORD_FILE) {
    if (bindPassword !== undefined) problems.push('LDAP_BIND_PASSWORD_FILE: set it or LDAP_BIND_PASSWORD, not both');
    try {
      bindPassword = readFileSync(parsed.LDAP_BIND_PASSWORD_FILE, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      problems.push(`LDAP_BIND_PASSWORD_FILE: cannot read ${parsed.LDAP_BIND_PASSWORD_FILE} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  // An empty password is an unauthenticated bind that "succeeds" (RFC 4513 5.1.2).
  if (!bindPassword) problems.push("LDAP_BIND_PASSWORD: is required with LDAP_URL (or LDAP_BIND_PASSWORD_FILE): the service account's password");

  const filter = (name: string, value: string): string => {
    if (value.length > 4096 || !validFilter(value))
      problems.push(`${name}: expected an LDAP filter such as (objectClass=inetOrgPerson) (RFC 4515), got ${JSON.stringify(value)}`);
    return value;
  };
  const userFilter = filter('LDAP_USER_FILTER', parsed.LDAP_USER_FILTER ?? defaults.filter);
  const groupFilter = filter('LDAP_GROUP_FILTER', parsed.LDAP_GROUP_FILTER);

  const attribute = (name: string, value: string): string => {
    if (!ATTRIBUTE.test(value)) problems.push(`${name}: expected an attribute name such as uid, got ${JSON.stringify(value)}`);
    return value;
  };
  const loginAttr = attribute('LDAP_LOGIN_ATTR', parsed.LDAP_LOGIN_ATTR ?? defaults.login);
  const mailAttr = attribute('LDAP_MAIL_ATTR', parsed.LDAP_MAIL_ATTR);
  const idAttr = attribute('LDAP_ID_ATTR', parsed.LDAP_ID_ATTR ?? defaults.id);

  const groupRoles = parseGroupRoles(parsed.LDAP_GROUP_ROLES, problems);
  if (groupRoles.size > 0 && !groupBaseDn) problems.push('LDAP_GROUP_BASE_DN: is required with LDAP_GROUP_ROLES (where the groups are searched)');

  const syncIntervalMs = parsed.LDAP_SYNC_INTERVAL;
  if (syncIntervalMs !== 0 && syncCron(syncIntervalMs) === undefined) {
    problems.push(
      'LDAP_SYNC_INTERVAL: expected 0 (no schedule) or a whole number of minutes dividing an hour (5m, 15m, 30m) or of hours dividing a day (1h, 2h, 6h, 24h)',
    );
  }
  if (parsed.LDAP_TIMEOUT < 1000 || parsed.LDAP_TIMEOUT > 300_000) problems.push('LDAP_TIMEOUT: expected a duration from 1s to 5m');

  if (problems.length) throw new ConfigError(problems);
  return {
    url: `${url.protocol}//${url.host}`,
    startTls,
    ca,
    bindDn: bindDn as string,
    bindPassword: bindPassword as string,
    userBaseDn: userBaseDn as string,
    userFilter,
    loginAttr,
    mailAttr,
    idAttr,
    flavor: parsed.LDAP_FLAVOR,
    groupBaseDn,
    groupFilter,
    groupRoles,
    syncIntervalMs,
    maxLockPercent: parsed.LDAP_SYNC_MAX_LOCK_PERCENT,
    runRetentionMs: parsed.LDAP_SYNC_RUN_RETENTION,
    timeoutMs: parsed.LDAP_TIMEOUT,
    pageSize: parsed.LDAP_PAGE_SIZE,
  };
}

function validFilter(text: string): boolean {
  // RFC 4515 escapes parentheses inside values (\28, \29), so every one in the text is
  // structure and they must balance (ldapts's parser accepts a missing closing one).
  let depth = 0;
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')' && --depth < 0) return false;
  }
  if (depth !== 0 || !text.startsWith('(') || !text.endsWith(')')) return false;
  try {
    FilterParser.parseString(text);
    return true;
  } catch {
    return false;
  }
}

function parseGroupRoles(raw: string | undefined, problems: string[]): Map<string, string[]> {
  const roles = new Map<string, string[]>();
  if (raw === undefined) return roles;
  const expected = 'LDAP_GROUP_ROLES: expected a JSON object of group DN → role or list of roles, e.g. {"cn=admins,ou=groups,dc=example,dc=com":"admin"}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push(`${expected}; it is not JSON`);
    return roles;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(expected);
    return roles;
  }
  for (const [groupDn, value] of Object.entries(parsed as Record<string, unknown>)) {
    const list = typeof value === 'string' ? [value] : value;
    const normalised = parseDn(groupDn) ? normaliseDn(groupDn) : undefined;
    if (!normalised) {
      problems.push(`LDAP_GROUP_ROLES: ${JSON.stringify(groupDn)} is not a DN`);
      continue;
    }
    if (!Array.isArray(list) || list.length === 0 || !list.every((role): role is string => typeof role === 'string' && ROLE.test(role))) {
      problems.push(`LDAP_GROUP_ROLES: the roles of ${groupDn} must be a role name or a list of them (lower case, such as admin or ops)`);
      continue;
    }
    roles.set(normalised, [...new Set([...(roles.get(normalised) ?? []), ...list])]);
  }
  return roles;
}

/**
 * The pg-boss cron (UTC, minute resolution) of a sync interval, when the interval divides an
 * hour (in whole minutes) or a day (in whole hours): then every replica agrees on the ticks.
 */
export function syncCron(intervalMs: number): string | undefined {
  const minutes = intervalMs / 60_000;
  if (!Number.isInteger(minutes) || minutes < 1) return undefined;
  if (minutes < 60) return 60 % minutes === 0 ? (minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`) : undefined;
  const hours = minutes / 60;
  if (!Number.isInteger(hours) || 24 % hours !== 0) return undefined;
  return hours === 1 ? '0 * * * *' : `0 */${hours} * * *`;
}

/** The next tick of `syncCron(intervalMs)` after `now` (ticks are aligned to UTC midnight). */
export function nextSyncAt(intervalMs: number, now: Date): Date | undefined {
  if (intervalMs === 0) return undefined;
  return new Date((Math.floor(now.getTime() / intervalMs) + 1) * intervalMs);
}
