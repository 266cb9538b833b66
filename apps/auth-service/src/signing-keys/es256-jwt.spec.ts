import { generateKeyPairSync } from 'node:crypto';
import { decode, verify } from 'jsonwebtoken';
import { compactVerify, decodeProtectedHeader, jwtVerify } from 'jose';
import { Es256JwtSigner } from './es256-jwt';

describe(Es256JwtSigner.name, () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const claims = {
    sub: 'a1b2',
    email: 'ana@example.test',
    roles: ['user'],
    aal: 2,
    amr: ['pwd', 'otp'],
    iss: 'keyhaven',
    aud: 'keyhaven',
    iat: 1_800_000_000,
    exp: 4_000_000_000,
  };

  it('signs tokens jsonwebtoken verifies, with its claims and header as given', () => {
    const token = new Es256JwtSigner('kid-1', privateKey).sign(claims);
    expect(verify(token, publicKey, { algorithms: ['ES256'], issuer: 'keyhaven', audience: 'keyhaven' })).toEqual(claims);
    expect(decode(token, { complete: true })?.header).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'kid-1' });
  });

  it('signs tokens jose verifies (the auth guard of the other services)', async () => {
    const token = new Es256JwtSigner('kid-2', privateKey).sign(claims);
    const { payload, protectedHeader } = await jwtVerify(token, publicKey, { algorithms: ['ES256'], issuer: 'keyhaven', audience: 'keyhaven' });
    expect(payload).toEqual(claims);
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'kid-2' });
    expect(decodeProtectedHeader(token).kid).toBe('kid-2');
  });

  it('makes a signature no other key verifies, and one no changed claim keeps', async () => {
    const token = new Es256JwtSigner('kid-3', privateKey).sign(claims);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    await expect(compactVerify(token, other)).rejects.toThrow('signature verification failed');
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url')}.${signature}`;
    expect(() => verify(forged, publicKey, { algorithms: ['ES256'] })).toThrow('invalid signature');
  });

  it('refuses a key that is not a P-256 private key', () => {
    expect(() => new Es256JwtSigner('k', publicKey)).toThrow('ES256 needs a P-256 private key');
    expect(() => new Es256JwtSigner('k', generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey)).toThrow('ES256 needs a P-256 private key');
  });
});
