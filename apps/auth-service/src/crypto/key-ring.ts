import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface KeyRingEntry {
  kid: string;
  key: Buffer;
}

const KID = /^[A-Za-z0-9_-]{1,32}$/;

/** Parses `kid1:base64key,kid2:base64key`; throws with a message fit for a config error. */
export function parseKeyRing(text: string): KeyRingEntry[] {
  const entries = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => {
      const at = item.indexOf(':');
      const kid = at > 0 ? item.slice(0, at) : '';
      if (!KID.test(kid)) throw new Error(`expected kid:base64key entries with kid of [A-Za-z0-9_-], got ${JSON.stringify(item.slice(0, 40))}`);
      const key = Buffer.from(item.slice(at + 1), 'base64');
      if (key.length !== 32) throw new Error(`key ${kid} must be 32 bytes of base64 (openssl rand -base64 32), got ${key.length} bytes`);
      return { kid, key };
    });
  if (entries.length === 0) throw new Error('expected at least one kid:base64key entry');
  if (new Set(entries.map((e) => e.kid)).size !== entries.length) throw new Error('key ids must be unique');
  return entries;
}

export function formatKeyRing(entries: readonly KeyRingEntry[]): string {
  return entries.map((e) => `${e.kid}:${e.key.toString('base64')}`).join(',');
}

export class KeyRingError extends Error {}

/**
 * Envelope for secrets at rest (TOTP secrets, signing keys): AES-256-GCM under the first key of
 * the ring, written `v1.<kid>.<iv>.<ciphertext+tag>` so an older key can still open what it
 * sealed until `reencrypt` has moved everything to the newest one. The associated data binds a
 * ciphertext to its row, so a value copied into another row does not decrypt.
 */
export class KeyRing {
  private readonly byKid: Map<string, Buffer>;
  private readonly active: KeyRingEntry;
  private readonly derived = new Map<string, Buffer[]>();

  constructor(entries: readonly KeyRingEntry[]) {
    const [active] = entries;
    if (!active) throw new KeyRingError('A key ring needs at least one key');
    this.active = active;
    this.byKid = new Map(entries.map((e) => [e.kid, e.key]));
  }

  get activeKid(): string {
    return this.active.kid;
  }

  /** Every key id of the ring, the active one first. */
  get kids(): string[] {
    return [...this.byKid.keys()];
  }

  encrypt(plain: Buffer | string, associatedData: string): string {
    return this.encryptWith(this.active.kid, plain, associatedData);
  }

  /** Seals under a given key of the ring (key-check values, one per key); secrets use `encrypt`. */
  encryptWith(kid: string, plain: Buffer | string, associatedData: string): string {
    const key = this.byKid.get(kid);
    if (!key) throw new KeyRingError(`No key ${kid} in the ring`);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain), cipher.final(), cipher.getAuthTag()]);
    return ['v1', kid, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(sealed: string, associatedData: string): Buffer {
    const [version, kid, ivText, bodyText] = sealed.split('.');
    if (version !== 'v1' || !kid || !ivText || !bodyText) throw new KeyRingError('Not a sealed value');
    const key = this.byKid.get(kid);
    if (!key) throw new KeyRingError(`Sealed under key ${kid}, which is not in AUTH_ENCRYPTION_KEYS`);
    const body = Buffer.from(bodyText, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  }

  /**
   * Keys for a MAC (HMAC-SHA-256), derived with HKDF from each key of the ring for one `purpose`,
   * the active key's first: sign with the first, accept any (a token made before a key rotation
   * stays valid while its key is in the ring).
   */
  macKeys(purpose: string): readonly Buffer[] {
    let keys = this.derived.get(purpose);
    if (!keys) {
      keys = [...this.byKid.values()].map((key) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `keyhaven ${purpose}`, 32)));
      this.derived.set(purpose, keys);
    }
    return keys;
  }

  /** True when the value was sealed by an older key and `reencrypt` should rewrite it. */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.activeKid;
  }
}
