import { isEnrollOnly, readClaims } from './token';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('token', () => {
  describe('readClaims', () => {
    it('reads the payload of a JWT, including non-ASCII text', () => {
      const jwt = `${b64url({ alg: 'ES256' })}.${b64url({ sub: 'a1', email: 'zoë@example.test', aal: 2, token_use: 'access' })}.sig`;
      expect(readClaims(jwt)).toEqual({ sub: 'a1', email: 'zoë@example.test', aal: 2, token_use: 'access' });
    });

    it('gives no claims for something that is not a JWT', () => {
      expect(readClaims('garbage')).toEqual({});
      expect(readClaims('a.%%%.c')).toEqual({});
      expect(readClaims(`x.${b64url('just a string')}.y`)).toEqual({});
    });
  });

  describe('isEnrollOnly', () => {
    it('knows an enroll-only token by either spelling, and nothing else', () => {
      expect(isEnrollOnly({ token_use: 'enrollment' })).toBe(true);
      expect(isEnrollOnly({ token_use: 'enrolment' })).toBe(true);
      expect(isEnrollOnly({ token_use: 'access' })).toBe(false);
      expect(isEnrollOnly({})).toBe(false);
      expect(isEnrollOnly(undefined)).toBe(false);
    });
  });
});
