import { Controller, Get, MiddlewareConsumer, Module, NestModule, Query } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Throttle } from '@nestjs/throttler';
import { IsString, MaxLength } from 'class-validator';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { DatabaseModule } from '@keyhaven/database';
import { DomainError, SHARED_ERROR_STATUS } from '@keyhaven/errors';
import { createTestDatabase, TestDatabase } from '@keyhaven/testing';
import { SlidingLogThrottlerStorage } from './throttler-storage';
import { createHttpApp } from './http-app';
import { LaneThrottlerGuard } from './lane-throttler';
import { RawAnswer, runGuardAs, serveLeanRoutes, type LeanRoute } from './lean-route';
import { MemoReflector } from './memo-reflector';
import { PlatformModule } from './platform.module';

class NameBody {
  @IsString()
  @MaxLength(64)
  name!: string;
}

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

/** The controller whose per-route limit the `ahead` route's throttler reads, as the refresh's reads SessionsController's. */
class AheadController {
  @Throttle({ burst: { limit: 4, ttl: 60_000 } })
  echo(): string {
    return 'the limit is read from this method’s metadata';
  }
}

/** The kind of request object each call of the `ahead` route's handler got. */
const aheadSaw: string[] = [];
const aheadRoute = (throttler: LaneThrottlerGuard): LeanRoute<NameBody> => ({
  method: 'POST',
  path: '/ahead',
  dto: NameBody,
  accept: (body): body is NameBody =>
    typeof (body as NameBody).name === 'string' && Object.keys(body as object).length === 1 && (body as NameBody).name.length <= 64,
  before: runGuardAs(throttler, AheadController, 'echo'),
  handle: (body, request, reply) => {
    aheadSaw.push(request.constructor.name);
    if (body.name === 'refuse') throw new DomainError('validation_failed', 'Refused by the handler.');
    if (body.name === 'cookies') void reply.header('set-cookie', 'a=1').header('set-cookie', 'b=2');
    return Promise.resolve({ hello: body.name, ip: request.ip, ips: request.ips ?? null });
  },
  headers: { 'cache-control': 'no-store' },
  ahead: true,
});

const SCHEMA = { schema: 'lean_test', entities: [], migrations: [] };
/** Requests Nest's middleware layer saw. */
let middlewareSaw: string[] = [];

/** A route with an answer at once, as the update check's cached one: 200, or 304 to its ETag. */
let atOnceCalls = 0;
/** The query objects `atOnce` was given, in order. */
const atOnceQueries: object[] = [];
const cachedAnswer = (name: string, ifNoneMatch: unknown) =>
  ifNoneMatch === '"e1"'
    ? new RawAnswer(304, { etag: '"e1"' }, undefined)
    : new RawAnswer(200, { etag: '"e1"', 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ cached: name }));
const cached: LeanRoute<NameQuery> = {
  method: 'GET',
  path: '/cached',
  dto: NameQuery,
  accept: (query): query is NameQuery => typeof (query as NameQuery).name === 'string' && Object.keys(query as object).length === 1,
  handle: (query, request) => cachedAnswer(query.name, request.headers['if-none-match']),
  atOnce: (query, headers) => {
    atOnceCalls++;
    atOnceQueries.push(query);
    return query.name === 'later' ? undefined : cachedAnswer(query.name, headers['if-none-match']);
  },
  headers: { 'cache-control': 'no-store' },
};

describe('the lean lane', () => {
  let app: NestFastifyApplication;
  let url: string;
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
    app = await createHttpApp(TestModule, {
      errorStatus: SHARED_ERROR_STATUS,
      docs: { title: 't', description: 't', version: '0' },
      bodyLimit: 4096,
      trustProxy: ['127.0.0.1'],
    });
    const throttler = new LaneThrottlerGuard(
      { throttlers: [{ name: 'burst', ttl: 60_000, limit: 1000 }] },
      new SlidingLogThrottlerStorage(),
      new MemoReflector(),
    );
    await throttler.onModuleInit();
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
      cached as LeanRoute,
      { method: 'POST', path: '/echo', dto: NameBody, handle: (body: NameBody) => ({ hello: body.name }) } as LeanRoute,
      aheadRoute(throttler) as LeanRoute,
    ]);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
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

  describe('answers at once, ahead of Fastify, on the HTTP server', () => {
    const PER_REQUEST = new Set(['date', 'x-request-id', 'connection', 'keep-alive']);
    const overHttp = async (path: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${url}${path}`, { headers });
      const kept: [string, string][] = [];
      response.headers.forEach((value, name) => (PER_REQUEST.has(name) ? undefined : kept.push([name, value])));
      return { status: response.status, headers: Object.fromEntries(kept.sort()), body: await response.text(), id: response.headers.get('x-request-id') };
    };
    // inject goes to Fastify itself: the lane's onRequest hook answers there.
    const throughFastify = async (path: string, headers: Record<string, string> = {}) => {
      const response = await app.inject({ method: 'GET', url: path, headers });
      const kept = Object.entries(response.headers).filter(([name]) => !PER_REQUEST.has(name));
      return {
        status: response.statusCode,
        headers: Object.fromEntries(kept.map(([name, value]) => [name, String(value)]).sort()),
        body: response.body,
        id: response.headers['x-request-id'],
      };
    };

    it('writes what the lane writes through Fastify: status, headers, bytes, for a 200, a 304 and /health/live', async () => {
      for (const [path, headers] of [
        ['/cached?name=ada', {}],
        ['/cached?name=ada', { 'if-none-match': '"e1"' }],
        ['/health/live', {}],
      ] as const) {
        const calls = atOnceCalls;
        const [direct, fastify] = [await overHttp(path, headers), await throughFastify(path, headers)];
        expect({ path, ...direct, id: undefined }).toEqual({ path, ...fastify, id: undefined });
        if (path.startsWith('/cached')) expect(atOnceCalls).toBe(calls + 1); // only the HTTP request
      }
      expect((await overHttp('/cached?name=ada')).headers).toMatchObject({
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'content-length': '16',
      });
      expect((await overHttp('/cached?name=ada', { 'if-none-match': '"e1"' })).status).toBe(304);
    });

    it('keeps a sane request id, mints one for another, counts each answer once and logs it (not probes)', async () => {
      const count = async () =>
        Number(
          /http_requests_total\{method="GET",route="\/cached",status="200"\} (\d+)/.exec((await app.inject({ method: 'GET', url: '/metrics' })).body)?.[1] ?? 0,
        );
      const before = await count();
      expect((await overHttp('/cached?name=ada', { 'x-request-id': 'probe-7' })).id).toBe('probe-7');
      expect((await overHttp('/cached?name=ada', { 'x-request-id': 'not sane!' })).id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await count()).toBe(before + 2);
      expect(completed('/cached?name=ada').map((line) => (line['req'] as { id: string }).id)).toEqual(['probe-7', expect.stringMatching(/^[0-9a-f-]{36}$/)]);
      await overHttp('/health/live');
      expect(completed('/health/live')).toEqual([]);
      expect(middlewareSaw).toEqual(['/metrics', '/metrics']);
    });

    it('remembers the URLs it answered at once: the same URL gets the same frozen query, and a bounded number are kept', async () => {
      const queriesOf = async (path: string) => {
        const from = atOnceQueries.length;
        expect((await overHttp(path)).body).toBe(JSON.stringify({ cached: new URL(path, url).searchParams.get('name') }));
        return atOnceQueries.slice(from);
      };
      const [first] = await queriesOf('/cached?name=grace');
      const [again] = await queriesOf('/cached?name=grace');
      expect(again).toBe(first);
      expect(Object.isFrozen(first)).toBe(true);
      expect((await queriesOf('/cached?name=grace2'))[0]).not.toBe(first);
      // 1,024 other URLs later the lane has forgotten it, and reads it anew.
      for (let i = 0; i < 1024; i++) await queriesOf(`/cached?name=n${i}`);
      const [anew] = await queriesOf('/cached?name=grace');
      expect(anew).not.toBe(first);
      expect(anew).toEqual(first);
    });

    it('leaves to Fastify a query with escapes or a name twice, an answer that is not ready and another method — answered the same', async () => {
      for (const path of ['/cached?name=a%64a', '/cached?name=ada&name=bob', '/cached?name=later', '/cached?name=abcdefghijk&x=1']) {
        const calls = atOnceCalls;
        const [direct, fastify] = [await overHttp(path), await throughFastify(path)];
        expect({ path, ...direct, id: undefined }).toEqual({ path, ...fastify, id: undefined });
        expect(atOnceCalls - calls).toBe(path.endsWith('later') ? 1 : 0);
      }
      const calls = atOnceCalls;
      const head = await fetch(`${url}/cached?name=ada`, { method: 'HEAD' });
      expect(head.status).toBe((await app.inject({ method: 'HEAD', url: '/cached?name=ada' })).statusCode);
      expect(atOnceCalls).toBe(calls);
    });
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

  describe('answers an `ahead` POST on the HTTP server, as the lane answers it through Fastify', () => {
    // set-cookie is compared as a list (`cookies`): fetch hands each one apart.
    const PER_REQUEST = new Set(['date', 'x-request-id', 'connection', 'keep-alive', 'set-cookie']);
    type Sent = { body?: string; headers?: Record<string, string>; path?: string };
    const kept = (entries: [string, string][]) => Object.fromEntries(entries.filter(([name]) => !PER_REQUEST.has(name)).sort());
    const overHttp = async ({ body, headers = {}, path = '/ahead' }: Sent) => {
      const response = await fetch(`${url}${path}`, { method: 'POST', headers, body });
      const all: [string, string][] = [];
      response.headers.forEach((value, name) => all.push([name, value]));
      // fetch folds set-cookie into one header; its own getter keeps them apart.
      return { status: response.status, headers: kept(all), cookies: response.headers.getSetCookie(), body: await response.text() };
    };
    const throughFastify = async ({ body, headers = {}, path = '/ahead' }: Sent) => {
      const response = await app.inject({ method: 'POST', url: path, headers, payload: body });
      const cookies = response.headers['set-cookie'];
      const all = Object.entries(response.headers).map(([name, value]): [string, string] => [name, Array.isArray(value) ? value.join(', ') : String(value)]);
      return { status: response.statusCode, headers: kept(all), cookies: cookies === undefined ? [] : [cookies].flat(), body: response.body };
    };
    const json = { 'content-type': 'application/json' };
    // Each side its own client address (trusted X-Forwarded-For, as long on both), so each has its own throttle count.
    const sides = (sent: Sent, n: number) =>
      Promise.all([
        overHttp({ ...sent, headers: { ...sent.headers, 'x-forwarded-for': `198.51.100.${100 + n}` } }),
        throughFastify({ ...sent, headers: { ...sent.headers, 'x-forwarded-for': `198.51.100.${200 + n}` } }),
      ]);

    it('gives the same status, headers and bytes for answers and for every refusal of the gate', async () => {
      const cases: [Sent, number][] = [
        [{ body: '{"name":"ada"}', headers: json }, 200],
        [{ body: '{"name":"cookies"}', headers: json }, 200],
        [{ body: '{"name":"refuse"}', headers: json }, 400],
        [{ body: '{"name":"' + 'x'.repeat(65) + '"}', headers: json }, 400],
        [{ body: '{"name":1,"other":2}', headers: json }, 400],
        [{ body: '{"name":', headers: json }, 400],
        [{ body: '{"name":"a\\u0000"}', headers: json }, 400],
        [{ body: 'name=ada', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415],
        [{ body: '{"name":"' + 'x'.repeat(5000) + '"}', headers: json }, 413],
        [{ body: '{"name":"ada"}', headers: json, path: '/ahead?x=%00' }, 400],
      ];
      for (const [index, [sent, status]] of cases.entries()) {
        const before = aheadSaw.length;
        const [direct, fastify] = await sides(sent, index + 1);
        // The handler saw Node's request dressed up on the HTTP side, Fastify's through inject.
        const saw = aheadSaw.slice(before);
        if (saw.length > 0) expect({ case: index, saw: saw.map((kind) => kind === 'AheadRequest').sort() }).toEqual({ case: index, saw: [false, true] });
        const shown = ({ body, ...rest }: typeof direct) => ({ ...rest, body: body.replaceAll(/198\.51\.100\.\d+/g, 'client') });
        expect({ case: index, ...shown(direct) }).toEqual({ case: index, ...shown(fastify) });
        expect({ case: index, status: direct.status }).toEqual({ case: index, status });
      }
      const [cookies] = await sides({ body: '{"name":"cookies"}', headers: json }, 20);
      expect(cookies.cookies).toEqual(['a=1', 'b=2']);
      expect(cookies.headers).toMatchObject({
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'content-type': 'application/json; charset=utf-8',
      });
    });

    it('sees the client address Fastify sees under trustProxy, and throttles it the same', async () => {
      const [direct, fastify] = await sides({ body: '{"name":"ada"}', headers: json }, 30);
      expect(JSON.parse(direct.body)).toEqual({ hello: 'ada', ip: '198.51.100.130', ips: ['127.0.0.1', '198.51.100.130'] });
      expect(JSON.parse(fastify.body)).toEqual({ hello: 'ada', ip: '198.51.100.230', ips: ['127.0.0.1', '198.51.100.230'] });
      // An untrusted hop before the client is not believed: the address is the one the trusted proxy saw.
      const spoofed = await overHttp({ body: '{"name":"ada"}', headers: { ...json, 'x-forwarded-for': '10.0.0.1, 203.0.113.32' } });
      expect(JSON.parse(spoofed.body)).toMatchObject({ ip: '203.0.113.32', ips: ['127.0.0.1', '203.0.113.32'] });
      // AheadController allows 4 per client: both sides count 4 answers and refuse the 5th alike.
      const statuses: number[][] = [];
      for (let i = 0; i < 5; i++) {
        const [one, other] = await sides({ body: '{"name":"ada"}', headers: json }, 31);
        statuses.push([one.status, other.status]);
        if (i === 4) {
          expect(one).toEqual(other);
          expect(one.headers['retry-after-burst']).toMatch(/^\d+$/);
          expect(JSON.parse(one.body).error.code).toBe('too_many_requests');
        }
      }
      expect(statuses).toEqual([
        [200, 200],
        [200, 200],
        [200, 200],
        [200, 200],
        [429, 429],
      ]);
    });

    it('keeps a sane request id, counts and logs each answer once', async () => {
      const count = async () =>
        Number(
          /http_requests_total\{method="POST",route="\/ahead",status="200"\} (\d+)/.exec((await app.inject({ method: 'GET', url: '/metrics' })).body)?.[1] ?? 0,
        );
      const before = await count();
      const send = (id: string) =>
        fetch(`${url}/ahead`, { method: 'POST', headers: { ...json, 'x-request-id': id, 'x-forwarded-for': '203.0.113.40' }, body: '{"name":"ada"}' });
      expect((await send('refresh-7')).headers.get('x-request-id')).toBe('refresh-7');
      expect((await send('not sane!')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(await count()).toBe(before + 2);
      expect(completed('/ahead').map((line) => (line['req'] as { id: string }).id)).toEqual(['refresh-7', expect.stringMatching(/^[0-9a-f-]{36}$/)]);
      expect(middlewareSaw).toEqual(['/metrics', '/metrics']);
    });
  });

  describe('reads a POST body from the stream as it comes', () => {
    /** Sends `chunks` (chunked transfer, no content-length) to the live server; `abort` closes the socket after them. */
    const send = (chunks: string[], abort = false) =>
      new Promise<{ status: number; body: string } | 'closed'>((resolve, reject) => {
        const outgoing = httpRequest(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        });
        outgoing.on('error', (error) => (abort ? resolve('closed') : reject(error)));
        (async () => {
          for (const chunk of chunks) {
            outgoing.write(chunk);
            await new Promise((next) => setTimeout(next, 5));
          }
          if (abort) {
            outgoing.destroy();
            setTimeout(() => resolve('closed'), 50);
          } else outgoing.end();
        })().catch(reject);
      });

    it('joins a body sent in pieces', async () => {
      const answer = await send(['{"na', 'me":', '"ada"}']);
      expect(answer).toEqual({ status: 200, body: JSON.stringify({ hello: 'ada' }) });
    });

    it('refuses a body that grows past the limit with 413 payload_too_large, and goes on serving', async () => {
      const answer = await send(['{"name":"', 'x'.repeat(3000), 'x'.repeat(3000), '"}']);
      expect(answer).not.toBe('closed');
      expect((answer as { status: number }).status).toBe(413);
      expect(JSON.parse((answer as { body: string }).body).error.code).toBe('payload_too_large');
      expect(await send(['{"name":"bob"}'])).toEqual({ status: 200, body: JSON.stringify({ hello: 'bob' }) });
    });

    it('lets go of a request whose client leaves in the middle of its body, and goes on serving', async () => {
      expect(await send(['{"name":"'], true)).toBe('closed');
      expect(await send(['{"name":"eve"}'])).toEqual({ status: 200, body: JSON.stringify({ hello: 'eve' }) });
    });
  });
});
