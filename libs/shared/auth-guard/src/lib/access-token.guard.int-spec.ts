import 'reflect-metadata';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, type KeyLike, SignJWT } from 'jose';
import { ManualClock } from '@keyhaven/config';
import { ApiExceptionFilter, SHARED_ERROR_STATUS } from '@keyhaven/errors';
import { AccessTokenGuard } from './access-token.guard';
import { AuthGuardModule } from './auth-guard.module';
import { CurrentUser, RequiresAal, Roles } from './decorators';
import type { AuthenticatedUser } from './token-verifier';

const ISSUER = 'http://auth.test';

interface SigningKey {
  privateKey: KeyLike;
  jwk: JWK;
  kid: string;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, jwk: { ...jwk, kid, alg: 'ES256', use: 'sig' }, kid };
}

/** A real JWKS endpoint on a loopback port, as auth-service publishes it. */
async function startJwksServer(initial: SigningKey[]) {
  const published = [...initial];
  let fetches = 0;
  // auth-service's signed revocation list, beside the JWKS (as auth-service serves it).
  const revocations = { sids: [] as string[], fetches: 0, down: false, signer: initial[0]! };
  const server: Server = createServer((request, response) => {
    if (request.url === '/v1/sessions/revoked') {
      revocations.fetches += 1;
      if (revocations.down) {
        response.statusCode = 503;
        response.end();
        return;
      }
      const now = Math.floor(Date.now() / 1000);
      void new SignJWT({ token_use: 'revocation_list', sids: revocations.sids })
        .setProtectedHeader({ alg: 'ES256', kid: revocations.signer.kid })
        .setIssuer(ISSUER)
        .setAudience('keyhaven')
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(revocations.signer.privateKey)
        .then((list) => {
          response.setHeader('content-type', 'application/jwt');
          response.setHeader('cache-control', 'public, max-age=5');
          response.end(list);
        });
      return;
    }
    fetches += 1;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: published.map((key) => key.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    publish: (key: SigningKey) => published.push(key),
    revocations,
    fetches: () => fetches,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // jose's fetch keeps the connection alive
      }),
  };
}

@Controller()
class ProbeController {
  @Get('ops')
  @UseGuards(AccessTokenGuard)
  @Roles('ops')
  ops(@CurrentUser() user: AuthenticatedUser) {
    return user;
  }

  @Get('ops-mfa')
  @UseGuards(AccessTokenGuard)
  @Roles('ops')
  @RequiresAal(2)
  opsMfa(@CurrentUser() user: AuthenticatedUser) {
    return { sub: user.sub };
  }

  @Get('anyone')
  @UseGuards(AccessTokenGuard)
  anyone(@CurrentUser() user: AuthenticatedUser) {
    return { sub: user.sub };
  }
}

async function setup() {
  const clock = new ManualClock('2026-11-27T12:00:00Z');
  const key = await newKey();
  const jwks = await startJwksServer([key]);
  // The revocation list's freshness runs on monotonic time, moved by hand here.
  const monotonic = { ms: 1_000_000 };

  @Module({
    imports: [
      AuthGuardModule.forRoot(
        { jwksUrl: jwks.url, issuer: ISSUER, cooldownMs: 0, revocation: { maxDelayMs: 30_000, monotonicNow: () => monotonic.ms } },
        clock,
      ),
    ],
    controllers: [ProbeController],
  })
  class ProbeModule {}

  const app = await NestFactory.create<NestFastifyApplication>(ProbeModule, new FastifyAdapter(), { logger: false });
  app.useGlobalFilters(new ApiExceptionFilter(SHARED_ERROR_STATUS));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();

  const sign = (claims: Record<string, unknown> = {}, options: { key?: SigningKey; kid?: string; issuer?: string; ttl?: number } = {}) => {
    const signer = options.key ?? key;
    const now = Math.floor(clock.nowMs() / 1000);
    return new SignJWT({ email: 'ops@example.test', roles: ['ops'], aal: 2, amr: ['pwd', 'otp'], token_use: 'access', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? signer.kid })
      .setSubject('acc-1')
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience('keyhaven')
      .setIssuedAt(now)
      .setExpirationTime(now + (options.ttl ?? 900))
      .sign(signer.privateKey);
  };
  const get = (url: string, token?: string) => app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const ctx = {
    clock,
    monotonic,
    jwks,
    sign,
    newKey,
    close: async () => {
      await app.close();
      await jwks.close();
    },
  };
  return { sut: { get }, ctx };
}

describe(AccessTokenGuard.name, () => {
  describe('canActivate', () => {
    it('admits an ops access token and exposes the caller', async () => {
      const { sut, ctx } = await setup();
      try {
        const response = await sut.get('/ops', await ctx.sign());
        expect(response.statusCode).toBe(200);
        expect(response.json()).toEqual({ sub: 'acc-1', email: 'ops@example.test', roles: ['ops'], aal: 2, amr: ['pwd', 'otp'] });
        // A token without a session never needs the revocation list.
        expect(ctx.jwks.revocations.fetches).toBe(0);
      } finally {
        await ctx.close();
      }
    });

    it('answers 401 invalid_token without a bearer token', async () => {
      const { sut, ctx } = await setup();
      try {
        const response = await sut.get('/ops');
        expect(response.statusCode).toBe(401);
        expect(response.json().error.code).toBe('invalid_token');
        expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
      } finally {
        await ctx.close();
      }
    });

    it('answers 401 for an expired token (judged by the injected clock)', async () => {
      const { sut, ctx } = await setup();
      try {
        const token = await ctx.sign({}, { ttl: 60 });
        ctx.clock.advance(120_000);
        const response = await sut.get('/ops', token);
        expect(response.statusCode).toBe(401);
        expect(response.json().error).toMatchObject({ code: 'invalid_token', message: expect.stringMatching(/expired/) });
      } finally {
        await ctx.close();
      }
    });

    it('answers 401 for a token from another issuer', async () => {
      const { sut, ctx } = await setup();
      try {
        const response = await sut.get('/ops', await ctx.sign({}, { issuer: 'http://evil.test' }));
        expect(response.statusCode).toBe(401);
        expect(response.json().error.code).toBe('invalid_token');
      } finally {
        await ctx.close();
      }
    });

    it('answers 401 for a bad signature under a published kid', async () => {
      const { sut, ctx } = await setup();
      try {
        const forger = await ctx.newKey();
        const published = await ctx.sign({}, {}); // only to learn the published kid
        const kid = JSON.parse(Buffer.from(published.split('.')[0]!, 'base64url').toString()).kid as string;
        const response = await sut.get('/ops', await ctx.sign({}, { key: forger, kid }));
        expect(response.statusCode).toBe(401);
        expect(response.json().error.code).toBe('invalid_token');
      } finally {
        await ctx.close();
      }
    });

    it('answers 401 for a tampered payload', async () => {
      const { sut, ctx } = await setup();
      try {
        const [header, , signature] = (await ctx.sign({ roles: [] })).split('.');
        const payload = Buffer.from(JSON.stringify({ sub: 'acc-1', roles: ['ops'], token_use: 'access' })).toString('base64url');
        const response = await sut.get('/ops', `${header}.${payload}.${signature}`);
        expect(response.statusCode).toBe(401);
      } finally {
        await ctx.close();
      }
    });

    it('answers 401 for a token that is not an access token (mfa pending)', async () => {
      const { sut, ctx } = await setup();
      try {
        const response = await sut.get('/anyone', await ctx.sign({ token_use: 'mfa_pending' }));
        expect(response.statusCode).toBe(401);
        expect(response.json().error.message).toMatch(/not an access token/);
      } finally {
        await ctx.close();
      }
    });

    it('answers 401 for garbage in the Authorization header', async () => {
      const { sut, ctx } = await setup();
      try {
        expect((await sut.get('/ops', 'not-a-jwt')).statusCode).toBe(401);
        expect((await sut.get('/ops', 'a.b.c')).statusCode).toBe(401);
      } finally {
        await ctx.close();
      }
    });

    it('answers 403 forbidden for a valid token without the role', async () => {
      const { sut, ctx } = await setup();
      try {
        const token = await ctx.sign({ roles: ['admin'] });
        const response = await sut.get('/ops', token);
        expect(response.statusCode).toBe(403);
        expect(response.json().error).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/ops/) });
        expect((await sut.get('/anyone', token)).statusCode).toBe(200);
      } finally {
        await ctx.close();
      }
    });

    it('answers 403 step_up_required to a password-only (aal 1) token where a route needs aal 2', async () => {
      const { sut, ctx } = await setup();
      try {
        const aal1 = await ctx.sign({ aal: 1, amr: ['pwd'] });
        const refused = await sut.get('/ops-mfa', aal1);
        expect(refused.statusCode).toBe(403);
        expect(refused.json().error).toMatchObject({ code: 'step_up_required', details: { requiredAal: 2 } });
        expect((await sut.get('/ops-mfa', await ctx.sign({ aal: undefined }))).statusCode).toBe(403);
        expect((await sut.get('/ops-mfa', await ctx.sign())).statusCode).toBe(200);
        expect((await sut.get('/ops', aal1)).statusCode).toBe(200); // a route without the requirement
      } finally {
        await ctx.close();
      }
    });

    it('answers 401 for a token that lives longer than the configured maximum (15 min by default)', async () => {
      const { sut, ctx } = await setup();
      try {
        const yearLong = await sut.get('/ops', await ctx.sign({}, { ttl: 365 * 86_400 }));
        expect(yearLong.statusCode).toBe(401);
        expect(yearLong.json().error).toMatchObject({ code: 'invalid_token', message: expect.stringMatching(/lives longer/) });
        expect((await sut.get('/ops', await ctx.sign({}, { ttl: 15 * 60 }))).statusCode).toBe(200);
      } finally {
        await ctx.close();
      }
    });

    it('caches the key set and refetches it once when a token names an unknown kid', async () => {
      const { sut, ctx } = await setup();
      try {
        expect((await sut.get('/ops', await ctx.sign())).statusCode).toBe(200);
        expect((await sut.get('/ops', await ctx.sign())).statusCode).toBe(200);
        expect(ctx.jwks.fetches()).toBe(1);

        const rotated = await ctx.newKey();
        ctx.jwks.publish(rotated);
        expect((await sut.get('/ops', await ctx.sign({}, { key: rotated }))).statusCode).toBe(200);
        expect(ctx.jwks.fetches()).toBe(2);
      } finally {
        await ctx.close();
      }
    });
  });

  describe('revoked sessions (AUTH_REVOCATION_MAX_DELAY)', () => {
    const SID = '6f1c1d9e-8d53-4c1e-9c55-0e6f4b2a7d11';

    it('refuses a token whose session auth-service revoked, once the list it fetches names it, and no later than the bound', async () => {
      const { sut, ctx } = await setup();
      try {
        const token = await ctx.sign({ sid: SID });
        const admitted = await sut.get('/ops', token);
        expect(admitted.statusCode).toBe(200);
        expect(admitted.json()).toMatchObject({ sid: SID });
        expect(ctx.jwks.revocations.fetches).toBe(1);
        // A fresh list serves every request from memory.
        expect((await sut.get('/ops', token)).statusCode).toBe(200);
        expect(ctx.jwks.revocations.fetches).toBe(1);

        ctx.jwks.revocations.sids = [SID];
        // 30 s bound − 5 s that caches may keep the list: past 25 s the guard must look again.
        ctx.monotonic.ms += 25_001;
        const refused = await sut.get('/ops', token);
        expect(refused.statusCode).toBe(401);
        expect(refused.json().error).toMatchObject({ code: 'invalid_token', message: expect.stringMatching(/signed out/) });
        expect(ctx.jwks.revocations.fetches).toBe(2);
        // Other sessions go on.
        expect((await sut.get('/ops', await ctx.sign({ sid: '0d4f2b8a-1c3e-4a5b-8c7d-9e0f1a2b3c4d' }))).statusCode).toBe(200);
      } finally {
        await ctx.close();
      }
    });

    it('answers 503 rather than admit a session on a list older than the bound allows (auth-service unreachable)', async () => {
      const { sut, ctx } = await setup();
      try {
        const token = await ctx.sign({ sid: SID });
        expect((await sut.get('/ops', token)).statusCode).toBe(200);
        ctx.jwks.revocations.down = true;
        ctx.monotonic.ms += 20_000; // still within the bound: the list held is good enough
        expect((await sut.get('/ops', token)).statusCode).toBe(200);
        ctx.monotonic.ms += 10_000;
        const refused = await sut.get('/ops', token);
        expect(refused.statusCode).toBe(503);
        expect(refused.json().error.code).toBe('service_unavailable');
        expect(refused.headers['retry-after']).toBe('5');
        ctx.jwks.revocations.down = false;
        expect((await sut.get('/ops', token)).statusCode).toBe(200);
      } finally {
        await ctx.close();
      }
    });

    it('does not take a list signed by a key outside the JWKS', async () => {
      const { sut, ctx } = await setup();
      try {
        ctx.jwks.revocations.signer = await ctx.newKey();
        const refused = await sut.get('/ops', await ctx.sign({ sid: SID }));
        expect(refused.statusCode).toBe(503);
      } finally {
        await ctx.close();
      }
    });
  });
});
