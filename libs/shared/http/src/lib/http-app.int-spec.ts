import { Body, Controller, Get, HttpException, Module, Param, Post, Query, Req } from '@nestjs/common';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsInt, IsString, Length, Min } from 'class-validator';
import { DatabaseModule, DatabaseReadiness } from '@keyhaven/database';
import { DomainError, SHARED_ERROR_STATUS } from '@keyhaven/errors';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { DOCS_CSP } from './docs-policy';
import { AcceptsForm, createHttpApp, JsonLimits } from './http-app';
import { PlatformModule } from './platform.module';

class EchoDto {
  @IsString()
  @Length(1, 20)
  name!: string;

  @IsInt()
  @Min(0)
  count!: number;
}

@Controller('echo')
class EchoController {
  @Post()
  echo(@Body() body: EchoDto) {
    return body;
  }

  @Post('form')
  @AcceptsForm()
  form(@Body() body: unknown) {
    return { received: body };
  }

  @Post('bulk')
  @JsonLimits({ maxKeys: 5_000 })
  bulk(@Body() body: unknown) {
    return { keys: Object.keys(body as object).length };
  }

  @Get('items/:id')
  item(@Param('id') id: string, @Query('q') q: string | undefined) {
    return { id, q: q ?? null };
  }

  @Get('throttled')
  throttled(): never {
    // What @nestjs/throttler's guard throws.
    throw new HttpException('ThrottlerException: Too Many Requests', 429);
  }

  @Get('boom')
  boom(): never {
    throw new Error('secret internals at /srv/app.ts:12');
  }

  @Get('ip')
  ip(@Req() request: { ip: string }) {
    return { ip: request.ip };
  }

  @Get('conflict')
  conflict(): never {
    throw new DomainError('conflict', 'It is already there.', { id: 7 });
  }
}

const SCHEMA = { schema: 'http_test', entities: [], migrations: [] };

async function setup(trustProxy: string[] = []) {
  const database = await createTestDatabase(SCHEMA);
  @Module({
    imports: [PlatformModule.forRoot({ service: 'http-test', logLevel: 'silent' }), DatabaseModule.forRoot({ url: database.url, ...SCHEMA })],
    controllers: [EchoController],
  })
  class TestModule {}
  const app = await createHttpApp(TestModule, {
    errorStatus: SHARED_ERROR_STATUS,
    docs: { title: 'test', description: 'test', version: '0' },
    bodyLimit: 600_000,
    trustProxy,
  });
  app.useLogger(false);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return { sut: app, database };
}

describe('createHttpApp', () => {
  let app: NestFastifyApplication;
  let database: TestDatabase;

  beforeAll(async () => {
    ({ sut: app, database } = await setup());
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const inject = (options: Parameters<NestFastifyApplication['inject']>[0]) => app.inject(options);

  describe('errors', () => {
    it('answers malformed JSON with 400 malformed_json', async () => {
      const response = await inject({
        method: 'POST',
        url: '/echo',
        headers: { 'content-type': 'application/json' },
        payload: '{"name": ',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('malformed_json');
    });

    it('answers an empty JSON body with 400 malformed_json', async () => {
      const response = await inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '' });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('malformed_json');
    });

    it('refuses prototype-poisoning keys as malformed JSON', async () => {
      const response = await inject({
        method: 'POST',
        url: '/echo',
        headers: { 'content-type': 'application/json' },
        payload: '{"name":"a","count":1,"__proto__":{"admin":true}}',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('malformed_json');
    });

    it('answers DTO violations with 400 validation_failed naming each field', async () => {
      const response = await inject({ method: 'POST', url: '/echo', payload: { name: 5, count: -1 } });
      expect(response.statusCode).toBe(400);
      const { error } = response.json();
      expect(error.code).toBe('validation_failed');
      expect(error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['count', 'name']);
    });

    it('refuses unknown fields', async () => {
      const response = await inject({ method: 'POST', url: '/echo', payload: { name: 'a', count: 1, admin: true } });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'validation_failed', details: { fields: [{ field: 'admin' }] } });
    });

    it('refuses a JSON array where an object is expected', async () => {
      const response = await inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '[1,2]' });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('validation_failed');
    });

    it('accepts a valid body', async () => {
      const response = await inject({ method: 'POST', url: '/echo', payload: { name: 'ada', count: 2 } });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toEqual({ name: 'ada', count: 2 });
    });

    it('answers an unknown route with 404 not_found', async () => {
      const response = await inject({ method: 'GET', url: '/nowhere' });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: { code: 'not_found', message: 'No such resource.' } });
    });

    it('answers a body over the limit with 413 payload_too_large', async () => {
      const response = await inject({
        method: 'POST',
        url: '/echo',
        payload: { name: 'a', count: 1, padding: 'x'.repeat(700_000) },
      });
      expect(response.statusCode).toBe(413);
      expect(response.json().error.code).toBe('payload_too_large');
    });

    it('answers an unsupported media type with 415 unsupported_media_type', async () => {
      const response = await inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'text/csv' }, payload: 'a,b' });
      expect(response.statusCode).toBe(415);
      expect(response.json().error.code).toBe('unsupported_media_type');
    });

    it('refuses a form on a JSON route with 415', async () => {
      for (const contentType of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const response = await inject({ method: 'POST', url: '/echo', headers: { 'content-type': contentType }, payload: 'name=a&count=1' });
        expect(response.statusCode).toBe(415);
        expect(response.json().error.code).toBe('unsupported_media_type');
      }
    });

    it('parses a form on a route that accepts forms', async () => {
      const urlencoded = await inject({
        method: 'POST',
        url: '/echo/form',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click&x=%C3%BC',
      });
      expect(urlencoded.statusCode).toBe(201);
      expect(urlencoded.json()).toEqual({ received: { 'List-Unsubscribe': 'One-Click', x: 'ü' } });
      const multipart = await inject({
        method: 'POST',
        url: '/echo/form',
        headers: { 'content-type': 'multipart/form-data; boundary=b' },
        payload: '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n',
      });
      expect(multipart.statusCode).toBe(201);
    });

    it('maps a domain error through the code table with its details', async () => {
      const response = await inject({ method: 'GET', url: '/echo/conflict' });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toEqual({ error: { code: 'conflict', message: 'It is already there.', details: { id: 7 } } });
    });

    it('hides the internals of an unexpected error and keeps serving', async () => {
      const response = await inject({ method: 'GET', url: '/echo/boom' });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({ error: { code: 'internal_error', message: 'An unexpected error occurred.' } });
      expect(response.body).not.toContain('secret');
      expect((await inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    });
  });

  describe('input gate', () => {
    const post = (payload: string, url = '/echo') => inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });

    it('refuses a body nested deeper than 32 levels before validating it', async () => {
      const response = await post('['.repeat(10_000) + ']'.repeat(10_000));
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'malformed_json', details: { maxDepth: 32 } });
      const deepObject = '{"a":'.repeat(33) + '1' + '}'.repeat(33);
      expect((await post(deepObject)).json().error.code).toBe('malformed_json');
      // 32 levels pass the gate and reach validation.
      const allowed = await post('{"name":"a","count":1,"x":' + '['.repeat(31) + ']'.repeat(31) + '}');
      expect(allowed.json().error.code).toBe('validation_failed');
    });

    it('refuses more than 1,000 keys with a short answer', async () => {
      const keys = Array.from({ length: 50_000 }, (_, i) => `"k${i}":1`).join(',');
      const response = await post(`{${keys}}`);
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'malformed_json', details: { maxKeys: 1000 } });
      expect(response.body.length).toBeLessThan(1_000);
    });

    it('counts keys at every depth and array elements too', async () => {
      const nested = Array.from({ length: 501 }, (_, i) => `{"a${i}":1,"b":2}`).join(',');
      expect((await post(`{"list":[${nested}]}`)).json().error.details).toEqual({ maxKeys: 1000 });
      const items = await post(`[${Array.from({ length: 10_001 }, () => '0').join(',')}]`);
      expect(items.json().error).toMatchObject({ code: 'malformed_json', details: { maxItems: 10000 } });
      // Commas and brackets inside strings are text, not structure.
      const text = await post(JSON.stringify({ name: '{[:,'.repeat(400), count: 1 }));
      expect(text.json().error.code).toBe('validation_failed');
    });

    it('lists at most 20 refused fields however many there are', async () => {
      const body = Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`unknown${i}`, i]));
      const response = await inject({ method: 'POST', url: '/echo', payload: { name: 'a', count: 1, ...body } });
      expect(response.statusCode).toBe(400);
      const { error } = response.json();
      expect(error.code).toBe('validation_failed');
      expect(error.details.fields).toHaveLength(20);
      expect(error.details.omittedFields).toBe(880);
      expect(response.body.length).toBeLessThan(5_000);
    });

    it('lets a route raise the key limit', async () => {
      const body = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`k${i}`, i]));
      const response = await inject({ method: 'POST', url: '/echo/bulk', payload: body });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toEqual({ keys: 3000 });
    });

    it('refuses NUL in any JSON string, keys included', async () => {
      for (const payload of ['{"name":"a\\u0000b","count":1}', '{"name":"a","count":1,"x":{"y":["\\u0000"]}}', '{"a\\u0000":1}']) {
        const response = await post(payload);
        expect(response.statusCode).toBe(400);
        expect(response.json().error.code).toBe('validation_failed');
      }
      // Half a surrogate pair is not text either (validator.js threw on it: a 500); a whole pair is.
      for (const payload of ['{"name":"\\ud800","count":1}', '{"name":"\\udc00x","count":1}', '{"name":"\\ud800\\u0041","count":1}']) {
        expect((await post(payload)).json().error.code).toBe('validation_failed');
      }
      expect((await post('{"name":"\\ud83d\\udca9","count":1}')).json()).toEqual({ name: '💩', count: 1 });
      // An escaped backslash followed by "u0000" is six characters of text, not NUL.
      expect((await post('{"name":"a\\\\u0000","count":1}')).statusCode).toBe(201);
    });

    it('refuses NUL in the path and the query', async () => {
      for (const url of ['/echo/items/a%00b', '/echo/items/a?q=%00', '/nowhere%00']) {
        const response = await inject({ method: 'GET', url });
        expect(response.statusCode).toBe(400);
        expect(response.json().error.code).toBe('validation_failed');
      }
      expect((await inject({ method: 'GET', url: '/echo/items/a%2500' })).json()).toEqual({ id: 'a%00', q: null });
    });

    it('answers a URL that does not decode with 400 bad_url', async () => {
      for (const url of ['/echo/items/%ZZ', '/echo/items/%C3%28']) {
        const response = await inject({ method: 'GET', url });
        expect(response.statusCode).toBe(400);
        expect(response.json()).toEqual({ error: { code: 'bad_url', message: expect.any(String) } });
        expect(response.body).not.toContain('%');
        expect(response.headers['x-content-type-options']).toBe('nosniff');
      }
    });

    it('answers an overlong path segment with 414 uri_too_long without echoing it', async () => {
      const response = await inject({ method: 'GET', url: `/echo/items/${'x'.repeat(10_000)}` });
      expect(response.statusCode).toBe(414);
      expect(response.json().error.code).toBe('uri_too_long');
      expect(response.body.length).toBeLessThan(300);
    });

    it('answers a rate limit with a sentence, not the exception name', async () => {
      const response = await inject({ method: 'GET', url: '/echo/throttled' });
      expect(response.statusCode).toBe(429);
      expect(response.json().error.code).toBe('too_many_requests');
      expect(response.json().error.message).not.toMatch(/Exception/);
    });

    it('tells browsers not to sniff any answer', async () => {
      for (const url of ['/health/live', '/nowhere', '/echo/conflict']) {
        expect((await inject({ method: 'GET', url })).headers['x-content-type-options']).toBe('nosniff');
      }
    });

    describe('over a real socket', () => {
      let port: number;

      beforeAll(async () => {
        await app.listen(0, '127.0.0.1');
        port = (app.getHttpServer().address() as AddressInfo).port;
      });

      const raw = (request: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => socket.write(request));
          let answer = '';
          socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
          socket.on('close', () => resolve(answer));
          socket.on('error', reject);
        });

      const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

      it('answers headers over the limit with 431 headers_too_large in the error shape', async () => {
        const answer = await raw(`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
        expect(answer).toMatch(/^HTTP\/1\.1 431 /);
        expect(answer).toContain('x-content-type-options: nosniff');
        expect(bodyOf(answer)).toEqual({ error: { code: 'headers_too_large', message: expect.any(String) } });
      });

      it('answers a URL that alone overflows the header limit with 414 uri_too_long', async () => {
        const answer = await raw(`GET /echo/items/a?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
        expect(answer).toMatch(/^HTTP\/1\.1 414 /);
        expect(bodyOf(answer)).toEqual({ error: { code: 'uri_too_long', message: expect.any(String) } });
        expect(answer.length).toBeLessThan(500);
      });

      it('answers a request the HTTP parser refuses with 400 bad_request in the error shape', async () => {
        const answer = await raw('GARBAGE\r\n\r\n');
        expect(answer).toMatch(/^HTTP\/1\.1 400 /);
        expect(bodyOf(answer)).toEqual({ error: { code: 'bad_request', message: expect.any(String) } });
      });
    });
  });

  describe('operations', () => {
    it('is live at once but ready only after migrations ran', async () => {
      expect((await inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      const before = await inject({ method: 'GET', url: '/health/ready' });
      expect(before.statusCode).toBe(503);
      expect(before.json().error.code).toBe('service_unavailable');
      app.get(DatabaseReadiness).markMigrated();
      const after = await inject({ method: 'GET', url: '/health/ready' });
      expect(after.statusCode).toBe(200);
      expect(after.json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, migrations: { status: 'up' } } });
    });

    it('echoes a sane request id and replaces an unsafe one', async () => {
      const kept = await inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'abc-123' } });
      expect(kept.headers['x-request-id']).toBe('abc-123');
      const replaced = await inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'a b<script>' } });
      expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('exports request counts and latency by route pattern and status', async () => {
      await inject({ method: 'GET', url: '/echo/conflict' });
      const response = await inject({ method: 'GET', url: '/metrics' });
      expect(response.headers['content-type']).toContain('text/plain');
      expect(response.body).toMatch(/http_requests_total\{method="GET",route="\/echo\/conflict",status="409"\} \d+/);
      expect(response.body).toMatch(/http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/echo\/conflict",status="409"\}/);
      expect(response.body).toContain('route="unmatched",status="404"');
    });

    it('publishes the OpenAPI document and its UI', async () => {
      const json = await inject({ method: 'GET', url: '/docs/json' });
      expect(json.statusCode).toBe(200);
      expect(json.json()).toMatchObject({ openapi: expect.stringMatching(/^3\./), paths: { '/echo': expect.any(Object) } });
      const ui = await inject({ method: 'GET', url: '/docs' });
      expect(ui.statusCode).toBe(200);
      expect(ui.body).toContain('swagger');
    });

    it('serves the docs UI under a CSP without inline or foreign script, and not framable', async () => {
      for (const url of ['/docs', '/docs/swagger-ui-init.js', '/docs/json']) {
        const response = await inject({ method: 'GET', url });
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-security-policy']).toBe(DOCS_CSP);
        expect(response.headers['x-frame-options']).toBe('DENY');
      }
      expect(DOCS_CSP).toContain("script-src 'self'");
      expect(DOCS_CSP).not.toMatch(/script-src[^;]*unsafe/);
      expect((await inject({ method: 'GET', url: '/echo/ip' })).headers['content-security-policy']).toBeUndefined();
    });

    it('ignores X-Forwarded-For unless TRUST_PROXY names the peer', async () => {
      const forwarded = { method: 'GET' as const, url: '/echo/ip', remoteAddress: '10.0.0.5', headers: { 'x-forwarded-for': '203.0.113.7' } };
      expect((await inject(forwarded)).json()).toEqual({ ip: '10.0.0.5' });
      const behindProxy = await setup(['10.0.0.0/8']);
      try {
        expect((await behindProxy.sut.inject(forwarded)).json()).toEqual({ ip: '203.0.113.7' });
        // A peer outside the trusted range cannot claim another address.
        expect((await behindProxy.sut.inject({ ...forwarded, remoteAddress: '198.51.100.9' })).json()).toEqual({ ip: '198.51.100.9' });
      } finally {
        await behindProxy.sut.close();
        await behindProxy.database.drop();
      }
    });
  });
});
