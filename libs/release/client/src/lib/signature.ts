import { createPublicKey, KeyObject, verify } from 'node:crypto';
import { ReleaseClientError } from './errors';

/** A pinned response-signing key, as published at `GET /v1/keys` (RFC 8037 OKP JWK). */
export interface ReleaseSigningJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  /** Base64url of the 32-byte public key. */
  x: string;
  kid: string;
  alg?: string;
  use?: string;
}

export interface SignatureHeader {
  keyId: string;
  signature: Buffer;
}

export const SIGNATURE_HEADER = 'keyhaven-signature';

const ED25519_SIGNATURE_BYTES = 64;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Parses `Keyhaven-Signature: keyid="<kid>", sig="<base64url>"`. Parameters may come in any
 * order and with any spacing around the commas; each must appear exactly once, so a proxy
 * cannot smuggle a second `sig` past us.
 */
export function parseSignatureHeader(value: string | null | undefined): SignatureHeader {
  if (value === null || value === undefined || value.trim() === '') {
    throw new ReleaseClientError('signature_missing', 'The answer carries no Keyhaven-Signature header');
  }
  const params = new Map<string, string>();
  const rest = value.replace(/\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*(,|$)/g, (_match, name: string, param: string) => {
    const key = name.toLowerCase();
    if (params.has(key)) params.set(key, '\u0000duplicate');
    else params.set(key, param);
    return '';
  });
  const keyId = params.get('keyid');
  const sig = params.get('sig');
  if (rest.trim() !== '' || !keyId || !sig || keyId.includes('\u0000') || sig.includes('\u0000')) {
    throw new ReleaseClientError('signature_malformed', `Keyhaven-Signature is not keyid="…", sig="…": ${truncate(value)}`);
  }
  const signature = BASE64URL.test(sig) ? Buffer.from(sig, 'base64url') : Buffer.alloc(0);
  if (signature.length !== ED25519_SIGNATURE_BYTES || signature.toString('base64url') !== sig) {
    throw new ReleaseClientError('signature_malformed', 'Keyhaven-Signature sig is not a base64url Ed25519 signature (64 bytes)', { keyId });
  }
  return { keyId, signature };
}

/** The pinned keys by kid. Rejects anything but an Ed25519 public key at construction time. */
export function importPinnedKeys(jwks: readonly ReleaseSigningJwk[]): Map<string, KeyObject> {
  if (!Array.isArray(jwks) || jwks.length === 0) {
    throw new ReleaseClientError('invalid_options', 'publicKeys: pin at least one Ed25519 key (the JWKs from GET /v1/keys)');
  }
  const keys = new Map<string, KeyObject>();
  for (const jwk of jwks) {
    if (jwk?.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || typeof jwk.kid !== 'string' || jwk.kid === '') {
      throw new ReleaseClientError('invalid_options', 'publicKeys: each key must be a JWK with kty "OKP", crv "Ed25519", x and kid');
    }
    if ('d' in jwk) {
      // A private key in the client config means the signing key has leaked into installations.
      throw new ReleaseClientError('invalid_options', `publicKeys: key ${jwk.kid} contains a private part ("d"); pin only public keys`);
    }
    let key: KeyObject;
    try {
      key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
    } catch (cause) {
      throw new ReleaseClientError('invalid_options', `publicKeys: key ${jwk.kid} is not a valid Ed25519 public key`, { cause });
    }
    keys.set(jwk.kid, key);
  }
  return keys;
}

/** Verifies the Ed25519 signature over the exact body bytes (no re-serialisation of the JSON). */
export function verifySignedBody(body: Buffer, header: string | null | undefined, keys: ReadonlyMap<string, KeyObject>): string {
  const { keyId, signature } = parseSignatureHeader(header);
  const key = keys.get(keyId);
  if (!key) {
    throw new ReleaseClientError('unknown_key', `The answer is signed by key "${truncate(keyId)}", which is not pinned`, { keyId });
  }
  if (!verify(null, body, key, signature)) {
    throw new ReleaseClientError('bad_signature', `The signature by key "${keyId}" does not match the answer body`, { keyId });
  }
  return keyId;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
