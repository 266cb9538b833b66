import { generateKeyPairSync, sign } from 'node:crypto';
import { ReleaseClientError } from './errors';
import { importPinnedKeys, parseSignatureHeader, ReleaseSigningJwk, verifySignedBody } from './signature';

function newKey(kid: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid } as ReleaseSigningJwk;
  return { jwk, privateKey };
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ReleaseClientError) return error.code;
    throw error;
  }
  return undefined;
}

describe('signature', () => {
  const sig64 = Buffer.alloc(64, 7).toString('base64url');

  describe(parseSignatureHeader.name, () => {
    it('reads keyid and sig in any order and spacing', () => {
      expect(parseSignatureHeader(`keyid="k1", sig="${sig64}"`)).toEqual({ keyId: 'k1', signature: Buffer.alloc(64, 7) });
      expect(parseSignatureHeader(`sig="${sig64}",keyid="k1"`).keyId).toBe('k1');
    });

    it('reports a missing header as signature_missing', () => {
      expect(codeOf(() => parseSignatureHeader(null))).toBe('signature_missing');
      expect(codeOf(() => parseSignatureHeader('  '))).toBe('signature_missing');
    });

    it.each([
      ['no keyid', `sig="${sig64}"`],
      ['a duplicated sig', `keyid="k1", sig="${sig64}", sig="${sig64}"`],
      ['trailing garbage', `keyid="k1", sig="${sig64}" extra`],
      ['standard base64 padding', `keyid="k1", sig="${Buffer.alloc(64, 7).toString('base64')}"`],
      ['a short signature', `keyid="k1", sig="${Buffer.alloc(32).toString('base64url')}"`],
      ['unquoted values', `keyid=k1, sig=${sig64}`],
    ])('rejects %s as signature_malformed', (_case, header) => {
      expect(codeOf(() => parseSignatureHeader(header))).toBe('signature_malformed');
    });
  });

  describe(importPinnedKeys.name, () => {
    it('rejects an empty key list, a non-Ed25519 key and a private key', () => {
      const { jwk } = newKey('k1');
      const ec = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'ec' };
      const priv = { ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'p' };
      expect(codeOf(() => importPinnedKeys([]))).toBe('invalid_options');
      expect(codeOf(() => importPinnedKeys([ec as unknown as ReleaseSigningJwk]))).toBe('invalid_options');
      expect(codeOf(() => importPinnedKeys([priv as unknown as ReleaseSigningJwk]))).toBe('invalid_options');
      expect(codeOf(() => importPinnedKeys([{ ...jwk, x: 'AAAA' }]))).toBe('invalid_options');
      expect(importPinnedKeys([jwk]).has('k1')).toBe(true);
    });
  });

  describe(verifySignedBody.name, () => {
    function setup() {
      const pinned = newKey('pinned');
      const other = newKey('other');
      const keys = importPinnedKeys([pinned.jwk]);
      const body = Buffer.from('{"status":"up_to_date"}');
      const header = (key: typeof pinned, kid: string, bytes = body) => `keyid="${kid}", sig="${sign(null, bytes, key.privateKey).toString('base64url')}"`;
      return { sut: (h: string, b = body) => verifySignedBody(b, h, keys), ctx: { pinned, other, body, header } };
    }

    it('accepts the exact bytes signed by a pinned key and names the key', () => {
      const { sut, ctx } = setup();
      expect(sut(ctx.header(ctx.pinned, 'pinned'))).toBe('pinned');
    });

    it('rejects a body changed by one byte', () => {
      const { sut, ctx } = setup();
      expect(codeOf(() => sut(ctx.header(ctx.pinned, 'pinned'), Buffer.from('{"status":"up_to_date" }')))).toBe('bad_signature');
    });

    it('rejects a key id that is not pinned', () => {
      const { sut, ctx } = setup();
      expect(codeOf(() => sut(ctx.header(ctx.other, 'other')))).toBe('unknown_key');
    });

    it('rejects a signature by another key that claims the pinned key id', () => {
      const { sut, ctx } = setup();
      expect(codeOf(() => sut(ctx.header(ctx.other, 'pinned')))).toBe('bad_signature');
    });
  });
});
