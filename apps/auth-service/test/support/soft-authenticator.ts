import { createHash, generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';

/**
 * A software WebAuthn authenticator for tests, built from node:crypto and the W3C WebAuthn Level 3
 * byte layouts (sections 6.1 authenticator data, 6.5 attestation object, 5.8.1 client data) —
 * independent of the server library it exercises. ES256 (P-256) keys, `none` attestation.
 */

// --- a minimal CBOR encoder (RFC 8949): what an attestation object and a COSE key need --------

type Cbor = number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor> | { [key: string]: Cbor };

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
  const out = Buffer.alloc(5);
  out[0] = (major << 5) | 26;
  out.writeUInt32BE(length, 1);
  return out;
}

export function cborEncode(value: Cbor): Buffer {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error('only integers');
    return value >= 0 ? head(0, value) : head(1, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(cborEncode)]);
  const entries: [Cbor, Cbor][] = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [cborEncode(k), cborEncode(v)])]);
}

// --- the authenticator ----------------------------------------------------------------------

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

export interface SoftCredential {
  /** base64url */
  id: string;
  privateKey: KeyObject;
  /** base64url of the user.id the server gave at registration (returned as userHandle). */
  userHandle: string;
  counter: number;
  rpId: string;
}

export interface CeremonyOverrides {
  origin?: string;
  rpId?: string;
  /** Set the UV flag (user verified by PIN/biometrics). */
  userVerified?: boolean;
  /** The signature counter to report (default: the next one; authenticators without a counter report 0). */
  counter?: number;
  /** Sign other bytes than the ones sent (a forged signature). */
  corruptSignature?: boolean;
  /** Answer another challenge than the one in the options. */
  challenge?: string;
}

export interface SoftAuthenticatorOptions {
  origin?: string;
  /** Whether the authenticator verifies its user (a passkey platform authenticator does). */
  userVerification?: boolean;
  /** Keep a signature counter (most security keys) or report 0 always (many passkey providers). */
  keepsCounter?: boolean;
  transports?: string[];
}

interface CreationOptions {
  challenge: string;
  rp: { id?: string };
  user: { id: string };
}

interface RequestOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  private readonly origin: string;
  private readonly userVerification: boolean;
  private readonly keepsCounter: boolean;
  private readonly transports: string[];

  constructor(options: SoftAuthenticatorOptions = {}) {
    this.origin = options.origin ?? 'http://localhost:3000';
    this.userVerification = options.userVerification ?? false;
    this.keepsCounter = options.keepsCounter ?? true;
    this.transports = options.transports ?? ['usb'];
  }

  /** navigator.credentials.create(): a new ES256 credential, answered as RegistrationResponseJSON. */
  create(options: CreationOptions, overrides: CeremonyOverrides & { reuse?: SoftCredential } = {}) {
    const rpId = overrides.rpId ?? options.rp.id ?? 'localhost';
    let credential = overrides.reuse;
    if (!credential) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      credential = { id: b64url(randomBytes(16)), privateKey, userHandle: options.user.id, counter: 0, rpId };
      this.credentials.push(credential);
    }
    const jwk = credential.privateKey.export({ format: 'jwk' });
    // COSE_Key (RFC 9053): kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y.
    const coseKey = cborEncode(
      new Map<Cbor, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x ?? '', 'base64url')],
        [-3, Buffer.from(jwk.y ?? '', 'base64url')],
      ]),
    );
    const credentialId = Buffer.from(credential.id, 'base64url');
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16) /* AAGUID: zeros with `none` attestation */, idLength, credentialId, coseKey]);
    const authData = this.authData(rpId, FLAG_AT, overrides, overrides.counter ?? 0, attested);
    const clientDataJSON = this.clientData('webauthn.create', overrides.challenge ?? options.challenge, overrides.origin);
    const attestationObject = cborEncode({ fmt: 'none', attStmt: {}, authData });
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key' as const,
      response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: this.transports },
      clientExtensionResults: {},
      authenticatorAttachment: this.transports.includes('internal') ? ('platform' as const) : ('cross-platform' as const),
    };
  }

  /** navigator.credentials.get(): an assertion, answered as AuthenticationResponseJSON. */
  get(options: RequestOptions, overrides: CeremonyOverrides & { credential?: SoftCredential } = {}) {
    const allowed = options.allowCredentials ?? [];
    const credential = overrides.credential ?? this.credentials.find((c) => allowed.length === 0 || allowed.some((a) => a.id === c.id));
    if (!credential) throw new Error('no matching credential on this authenticator');
    if (overrides.counter === undefined && this.keepsCounter) credential.counter += 1;
    const counter = overrides.counter ?? (this.keepsCounter ? credential.counter : 0);
    const authData = this.authData(overrides.rpId ?? options.rpId ?? credential.rpId, 0, overrides, counter);
    const clientDataJSON = this.clientData('webauthn.get', overrides.challenge ?? options.challenge, overrides.origin);
    // Section 6.3.3: the signature is over authenticatorData || SHA-256(clientDataJSON), DER-encoded ECDSA.
    const signed = Buffer.concat([authData, sha256(clientDataJSON)]);
    const signature = sign('sha256', overrides.corruptSignature ? Buffer.concat([signed, Buffer.from([0])]) : signed, credential.privateKey);
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
    };
  }

  private authData(rpId: string, extraFlags: number, overrides: CeremonyOverrides, counter: number, attested?: Buffer): Buffer {
    const verified = overrides.userVerified ?? this.userVerification;
    const flags = Buffer.from([FLAG_UP | (verified ? FLAG_UV : 0) | extraFlags]);
    const signCount = Buffer.alloc(4);
    signCount.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), flags, signCount, ...(attested ? [attested] : [])]);
  }

  private clientData(type: string, challenge: string, origin = this.origin): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
  }
}
