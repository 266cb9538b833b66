import { randomBytes } from 'node:crypto';
import { formatKeyRing, KeyRing, parseKeyRing } from './key-ring';

const entry = (kid: string) => ({ kid, key: randomBytes(32) });

describe(KeyRing.name, () => {
  describe('encrypt', () => {
    it('round-trips under the active key and never contains the plain text', () => {
      const ring = new KeyRing([entry('k1')]);
      const sealed = ring.encrypt('JBSWY3DPEHPK3PXP', 'totp:1');
      expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
      expect(sealed.startsWith('v1.k1.')).toBe(true);
      expect(ring.decrypt(sealed, 'totp:1').toString()).toBe('JBSWY3DPEHPK3PXP');
    });

    it('refuses a value moved to another row (associated data)', () => {
      const ring = new KeyRing([entry('k1')]);
      expect(() => ring.decrypt(ring.encrypt('x', 'totp:1'), 'totp:2')).toThrow();
    });
  });

  describe('decrypt', () => {
    it('opens values sealed by an older key after rotation, and marks them stale', () => {
      const old = entry('k1');
      const sealed = new KeyRing([old]).encrypt('secret', 'a');
      const rotated = new KeyRing([entry('k2'), old]);
      expect(rotated.decrypt(sealed, 'a').toString()).toBe('secret');
      expect(rotated.isStale(sealed)).toBe(true);
      expect(rotated.isStale(rotated.encrypt('secret', 'a'))).toBe(false);
    });

    it('names a missing key', () => {
      const sealed = new KeyRing([entry('gone')]).encrypt('secret', 'a');
      expect(() => new KeyRing([entry('k2')]).decrypt(sealed, 'a')).toThrow(/gone/);
    });
  });
});

describe('parseKeyRing', () => {
  it('reads kid:base64 lists and round-trips through formatKeyRing', () => {
    const text = formatKeyRing([entry('a'), entry('b')]);
    expect(parseKeyRing(text).map((e) => e.kid)).toEqual(['a', 'b']);
  });

  it.each(['', 'nokey', 'k1:' + Buffer.alloc(16).toString('base64'), `k1:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`])(
    'rejects %j',
    (text) => {
      expect(() => parseKeyRing(text)).toThrow();
    },
  );
});
