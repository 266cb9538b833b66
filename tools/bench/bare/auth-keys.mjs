// What release-api needs from auth-service to check tokens: the JWKS and the signed revocation
// list (GET /v1/sessions/revoked, signed at each request like auth-service's), for the auth-guard
// scenario. The private key comes in the options; the list names `revoked` random session ids
// (made here: ten thousand ids do not fit in a command line).
import { randomUUID } from 'node:crypto';

export default async function authKeys(fastify, { issuer, privateJwk, publicJwk, kid, revoked: count }) {
  const { importJWK, SignJWT } = await import('jose');
  const key = await importJWK(privateJwk, 'ES256');
  const revoked = Array.from({ length: count }, () => randomUUID());
  fastify.get('/.well-known/jwks.json', (_request, reply) => reply.send({ keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] }));
  fastify.get('/v1/sessions/revoked', async (_request, reply) => {
    const now = Math.floor(Date.now() / 1000);
    const list = await new SignJWT({ token_use: 'revocation_list', sids: revoked })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(issuer)
      .setAudience('keyhaven')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(key);
    return reply.header('content-type', 'application/jwt').header('cache-control', 'public, max-age=5').send(list);
  });
}
