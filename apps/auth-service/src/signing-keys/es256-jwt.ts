import { sign, type KeyObject } from 'node:crypto';

/**
 * Signs JWTs with ES256 (RFC 7515 compact serialization, RFC 7518 section 3.4) by one call of
 * node:crypto's one-shot `sign` with the IEEE P1363 signature encoding JWS uses — the ECDSA itself
 * is OpenSSL's, as it is under jsonwebtoken and jose. What this leaves out is what the refresh and
 * every sign-in step paid per token on top of the signature (measured: 6 % of a refresh's service
 * CPU): jsonwebtoken's option and claim validation, its stream-style Sign object, and the DER to
 * JOSE conversion of the signature. The claims are the caller's, complete (TokenService sets
 * every one); the header is fixed per key and encoded once.
 *
 * Tokens are verified by jsonwebtoken (passport-jwt, here) and jose (libs/shared/auth-guard), and
 * the tests check both accept what this signs.
 */
export class Es256JwtSigner {
  private readonly encodedHeader: string;

  constructor(
    readonly kid: string,
    private readonly key: KeyObject,
  ) {
    if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new Error('ES256 needs a P-256 private key');
    this.encodedHeader = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid })).toString('base64url');
  }

  sign(claims: Readonly<Record<string, unknown>>): string {
    const input = `${this.encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = sign('sha256', Buffer.from(input), { key: this.key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }
}
