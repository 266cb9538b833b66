import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsInt, IsString, Length, Min } from 'class-validator';
import { DatabaseModule, DatabaseReadiness } from '@keyhaven/database';
import { DomainError, SHARED_ERROR_STATUS } from '@keyhaven/errors';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { AcceptsForm, createHttpApp } from './http-app';
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

  @Get('boom')
  boom(): never {
    throw new Error('secret internals at /srv/app.ts:12');
  }

  @Get('conflict')
  conflict(): never {
    throw new DomainError('conflict', 'It is already there.', { id: 7 });
  }
}

const SCHEMA = { schema: 'http_test', entities: [], migrations: [] };

async function setup() {
  const database = await createTestDatabase(SCHEMA);
  @Module({
    imports: [
      PlatformModule.forRoot({ service: 'http-test', logLevel: 'silent' }),
      DatabaseModule.forRoot({ url: database.url, ...SCHEMA }),
    ],
    controllers: [EchoController],
  })
  class TestModule {}
  const app = await createHttpApp(TestModule, {
    errorStatus: SHARED_ERROR_STATUS,
    docs: { title: 'test', description: 'test', version: '0' },
    bodyLimit: 1024,
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
        payload: { name: 'a', count: 1, padding: 'x'.repeat(2048) },
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
  });
});
