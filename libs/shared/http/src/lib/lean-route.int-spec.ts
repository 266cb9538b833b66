import { Controller, Get, MiddlewareConsumer, Module, NestModule, Query } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsString, MaxLength } from 'class-validator';
import { Writable } from 'node:stream';
import { DatabaseModule } from '@keyhaven/database';
import { DomainError, SHARED_ERROR_STATUS } from '@keyhaven/errors';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { createHttpApp } from './http-app';
import { serveLeanRoutes, type LeanRoute } from './lean-route';
import { PlatformModule } from './platform.module';

class NameQuery {
  @IsString()
  @MaxLength(8)
  name!: string;
}

@Controller('hello')
class HelloController {
  @Get()
  hello(@Query() query: NameQuery) {
    return { hello: query.name };
  }

  @Get('nest')
  nest(@Query() query: NameQuery) {
    return { hello: query.name };
  }
}

const SCHEMA = { schema: 'lean_test', entities: [], migrations: [] };
/** Requests Nest's middleware layer saw. */
let middlewareSaw: string[] = [];

describe('the lean lane', () => {
  let app: NestFastifyApplication;
  let database: TestDatabase;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(SCHEMA);
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    @Module({
      imports: [
        PlatformModule.forRoot({ service: 'lean-test', logLevel: 'info', logDestination: destination }),
        DatabaseModule.forRoot({ url: database.url, ...SCHEMA }),
      ],
      controllers: [HelloController],
    })
    class TestModule implements NestModule {
      configure(consumer: MiddlewareConsumer) {
        consumer
          .apply((request: { url: string; originalUrl?: string }, _response: unknown, next: () => void) => {
            middlewareSaw.push(request.originalUrl ?? request.url);
            next();
          })
          .forRoutes('*');
      }
    }
    app = await createHttpApp(TestModule, { errorStatus: SHARED_ERROR_STATUS, docs: { title: 't', description: 't', version: '0' } });
    const route: LeanRoute<NameQuery> = {
      method: 'GET',
      path: '/hello',
      dto: NameQuery,
      accept: (query): query is NameQuery =>
        typeof (query as NameQuery).name === 'string' && Object.keys(query as object).length === 1 && (query as NameQuery).name.length <= 8,
      handle: (query) => ({ hello: query.name }),
    };
    const refusal = () => new DomainError('validation_failed', 'Refused by the handler.');
    serveLeanRoutes(app, [
      route as LeanRoute,
      {
        method: 'GET',
        path: '/refuse-at-once',
        handle: () => {
          throw refusal();
        },
      },
      { method: 'GET', path: '/refuse-later', handle: () => Promise.reject(refusal()) },
      { method: 'GET', path: '/answer-later', handle: () => Promise.resolve({ later: true }) },
    ]);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  beforeEach(() => {
    middlewareSaw = [];
    logLines.length = 0;
  });

  const completed = (url: string) =>
    logLines.filter((line) => line['msg'] === 'request completed' && (line['req'] as { url?: string } | undefined)?.url === url);

  it('answers ahead of Nest’s middleware, with one access-log line, where the Nest route of the same shape passes through it', async () => {
    const lean = await app.inject({ method: 'GET', url: '/hello?name=ada' });
    expect([lean.statusCode, lean.json()]).toEqual([200, { hello: 'ada' }]);
    expect(middlewareSaw).toEqual([]);
    expect(completed('/hello?name=ada')).toHaveLength(1);

    const nest = await app.inject({ method: 'GET', url: '/hello/nest?name=ada' });
    expect([nest.statusCode, nest.json()]).toEqual([200, { hello: 'ada' }]);
    expect(middlewareSaw).toEqual(['/hello/nest?name=ada']);
    expect(completed('/hello/nest?name=ada')).toHaveLength(1);
  });

  it('gives input its fast check refuses the validation pipe’s own answer, like the Nest route', async () => {
    for (const query of ['name=abcdefghijk', 'other=1', 'name=a&name=b', '']) {
      const [lean, nest] = [await app.inject({ method: 'GET', url: `/hello?${query}` }), await app.inject({ method: 'GET', url: `/hello/nest?${query}` })];
      expect({ query, status: lean.statusCode, error: lean.json().error }).toEqual({ query, status: nest.statusCode, error: nest.json().error });
      expect(lean.statusCode).toBe(400);
    }
    expect((await app.inject({ method: 'GET', url: '/hello?name=a%00' })).json().error.code).toBe('validation_failed');
  });

  it('answers a handler that answers (or refuses) at once as one that answers (or refuses) later', async () => {
    const [now, later] = [await app.inject({ method: 'GET', url: '/refuse-at-once' }), await app.inject({ method: 'GET', url: '/refuse-later' })];
    expect([now.statusCode, now.json()]).toEqual([400, { error: { code: 'validation_failed', message: 'Refused by the handler.' } }]);
    expect([later.statusCode, later.json()]).toEqual([now.statusCode, now.json()]);
    expect([now.headers['x-content-type-options'], later.headers['x-content-type-options']]).toEqual(['nosniff', 'nosniff']);
    const answered = await app.inject({ method: 'GET', url: '/answer-later' });
    expect([answered.statusCode, answered.json(), answered.headers['content-type']]).toEqual([200, { later: true }, 'application/json; charset=utf-8']);
    expect([completed('/refuse-at-once'), completed('/refuse-later'), completed('/answer-later')].map((lines) => lines.length)).toEqual([1, 1, 1]);
    expect(middlewareSaw).toEqual([]);
  });

  it('serves /health/live itself, and counts lean answers once in http_requests_total', async () => {
    const before = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const count = (text: string) => Number(/http_requests_total\{method="GET",route="\/health\/live",status="200"\} (\d+)/.exec(text)?.[1] ?? 0);
    for (let i = 0; i < 2; i++)
      expect((await app.inject({ method: 'GET', url: '/health/live' })).json()).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
    expect(count((await app.inject({ method: 'GET', url: '/metrics' })).body)).toBe(count(before) + 2);
    expect(middlewareSaw).toEqual(['/metrics', '/metrics']);
    // No access-log line for probes, as pino-http keeps none for the Nest routes of /health.
    expect(completed('/health/live')).toEqual([]);
    expect(completed('/metrics')).toEqual([]);
  });
});
