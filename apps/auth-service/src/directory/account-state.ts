import type { DirectoryFlavor } from './directory.config';

/** One attribute value as ldapts hands it over: a string, several, or a Buffer for binary ones. */
export type AttributeValue = string | string[] | Buffer | Buffer[];
export type DirectoryAttributes = Record<string, AttributeValue | undefined>;

/** What the directory says about a person at this moment, whatever the server. */
export interface DirectoryAccountState {
  disabled: boolean;
  /** Why, in the flavour's own terms (`pwdAccountLockedTime`, `userAccountControl`, …). */
  disabledBy?: string;
  /** A temporary password lockout (too many wrong passwords): reported, not turned into a lock. */
  lockedOutUntil?: string;
}

/** The attributes each flavour needs to decide "disabled" (requested with every user search). */
export const STATE_ATTRIBUTES: Record<DirectoryFlavor, string[]> = {
  openldap: ['pwdAccountLockedTime'],
  ad: ['userAccountControl', 'accountExpires', 'lockoutTime'],
  '389ds': ['nsAccountLock'],
  generic: [],
};

/** OpenLDAP ppolicy: this value is the administrator's permanent lock; any other time is a lockout. */
const OPENLDAP_PERMANENT_LOCK = '000001010000Z';
const UF_ACCOUNTDISABLE = 0x2;
/** AD `accountExpires`: 0 and 2^63−1 both mean "never". */
const AD_NEVER = ['0', '9223372036854775807'];
/** 100-ns intervals between 1601-01-01 (Windows FILETIME) and 1970-01-01. */
const FILETIME_EPOCH_OFFSET = 116_444_736_000_000_000n;

/**
 * Evaluated in code from fetched attributes — not with AD's bitwise matching rule in a filter
 * (1.2.840.113556.1.4.803), which OpenLDAP and 389-DS do not have — so one code path serves
 * every server and the tests run it against a real slapd.
 */
export function accountState(attributes: DirectoryAttributes, flavor: DirectoryFlavor, now: Date): DirectoryAccountState {
  switch (flavor) {
    case 'openldap': {
      const locked = text(attributes, 'pwdAccountLockedTime');
      if (locked === undefined) return { disabled: false };
      if (locked === OPENLDAP_PERMANENT_LOCK) return { disabled: true, disabledBy: 'pwdAccountLockedTime' };
      return { disabled: false, lockedOutUntil: generalizedTime(locked) ?? locked };
    }
    case 'ad': {
      const control = Number(text(attributes, 'userAccountControl') ?? '0');
      if (Number.isFinite(control) && (control & UF_ACCOUNTDISABLE) !== 0) return { disabled: true, disabledBy: 'userAccountControl' };
      const expires = text(attributes, 'accountExpires');
      if (expires !== undefined && /^\d+$/.test(expires) && !AD_NEVER.includes(expires)) {
        const expiresMs = Number((BigInt(expires) - FILETIME_EPOCH_OFFSET) / 10_000n);
        if (expiresMs <= now.getTime()) return { disabled: true, disabledBy: 'accountExpires' };
      }
      const lockout = text(attributes, 'lockoutTime');
      if (lockout !== undefined && /^\d+$/.test(lockout) && lockout !== '0') {
        return { disabled: false, lockedOutUntil: new Date(Number((BigInt(lockout) - FILETIME_EPOCH_OFFSET) / 10_000n)).toISOString() };
      }
      return { disabled: false };
    }
    case '389ds':
      return text(attributes, 'nsAccountLock')?.toLowerCase() === 'true' ? { disabled: true, disabledBy: 'nsAccountLock' } : { disabled: false };
    case 'generic':
      return { disabled: false };
  }
}

/** The first value of an attribute (names compared case-insensitively), as text. */
export function text(attributes: DirectoryAttributes, name: string): string | undefined {
  const value = values(attributes, name)[0];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}

export function values(attributes: DirectoryAttributes, name: string): (string | Buffer)[] {
  const lower = name.toLowerCase();
  const key = Object.keys(attributes).find((k) => k.toLowerCase() === lower);
  const value = key === undefined ? undefined : attributes[key];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** `20261130090118Z` → ISO 8601. */
function generalizedTime(value: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
