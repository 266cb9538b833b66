import { randomBytes, randomUUID } from 'node:crypto';
import { KeyRing } from '../crypto/key-ring';
import { hashOpaqueToken } from './opaque-token';
import { RefreshTokens } from './refresh-tokens';

const entry = (kid: string) => ({ kid, key: randomBytes(32) });

describe(RefreshTokens.name, () => {
  const a = entry('a');
  const b = entry('b');

  it('names its session and generation, is stored only as its SHA-256, and carries 256 random bits', () => {
    const tokens = new RefreshTokens(new KeyRing([a]));
    const sessionId = randomUUID();
    const first = tokens.mint(sessionId, 7);
    const second = tokens.mint(sessionId, 7);
    expect(first.token).toMatch(/^khr_[A-Za-z0-9_-]{91}$/);
    expect(first.token).not.toBe(second.token);
    expect(first.hash).toEqual(hashOpaqueToken(first.token));
    expect(tokens.parse(first.token)).toEqual({ kind: 'session', sessionId, generation: 7, hash: first.hash });
    for (const notUuid of ['not-a-session-id', `${sessionId}0`, sessionId.replace(/-/g, ''), sessionId.replace(/[0-9a-f]$/, 'g')])
      expect(() => tokens.mint(notUuid, 0)).toThrow('A session id is a UUID');
  });

  it('refuses a token whose MAC does not verify: another random part, session or generation, or another key', () => {
    const tokens = new RefreshTokens(new KeyRing([a]));
    const { token } = tokens.mint(randomUUID(), 3);
    const bytes = Buffer.from(token.slice(4), 'base64url');
    for (const at of [0, 17, 19, 30, 55]) {
      const forged = Buffer.from(bytes);
      forged[at] = forged[at]! ^ 0x01;
      expect(tokens.parse(`khr_${forged.toString('base64url')}`)).toBeUndefined();
    }
    expect(new RefreshTokens(new KeyRing([b])).parse(token)).toBeUndefined();
    for (const junk of [undefined, 42, '', 'khr_', `khd_${token.slice(4)}`, `${token}A`, token.slice(0, -1)]) expect(tokens.parse(junk)).toBeUndefined();
  });

  it('keeps a token valid across a key rotation while its key stays in the ring', () => {
    const { token } = new RefreshTokens(new KeyRing([a])).mint(randomUUID(), 0);
    expect(new RefreshTokens(new KeyRing([b, a])).parse(token)).toMatchObject({ kind: 'session', generation: 0 });
    expect(new RefreshTokens(new KeyRing([b])).parse(token)).toBeUndefined();
  });

  it('recognises a token of the earlier form (256 random bits, no session) as legacy', () => {
    const legacy = `khr_${randomBytes(32).toString('base64url')}`;
    expect(new RefreshTokens(new KeyRing([a])).parse(legacy)).toEqual({ kind: 'legacy', hash: hashOpaqueToken(legacy) });
  });
});
