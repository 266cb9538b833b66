import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReleaseClientError } from './errors';
import { ReleaseClient, ReleaseClientOptions, ReleaseClientTimers } from './release-client';
import { ReleaseSigningJwk } from './signature';

/**
 * A clock that moves only when told to. (The lib is published alone, so it does not import
 * @keyhaven/config's ManualClock; the shape is the same.)
 */
class ManualClock {
  private current: number;
  constructor(start: string) {
    this.current = Date.parse(start);
  }
  now(): Date {
    return new Date(this.current);
  }
  set(to: string): void {
    this.current = Date.parse(to);
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/** What the test server answers next; every request is recorded. */
interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

interface SigningKey {
  jwk: ReleaseSigningJwk;
  privateKey: KeyObject;
}

function newSigningKey(kid: string): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { jwk: { ...(publicKey.export({ format: 'jwk' }) as { kty: 'OKP'; crv: 'Ed25519'; x: string }), kid }, privateKey };
}

/** A real HTTP server on 127.0.0.1:0 that plays release-api's /v1/check with answers the test signs. */
async function startCheckServer() {
  const requests: { url: URL; headers: IncomingHttpHeaders }[] = [];
  const replies: Reply[] = [];
  const server: Server = createServer((req, res: ServerResponse) => {
    requests.push({ url: new URL(req.url ?? '/', 'http://127.0.0.1'), headers: req.headers });
    const reply = replies.shift() ?? { status: 500, body: '{"error":{"code":"no_reply","message":"the test queued no reply"}}' };
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    queue: (...next: Reply[]) => replies.push(...next),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function answerBody(fields: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      status: 'update_available',
      critical: false,
      current: { version: '2.3.1', supported: true, supportedUntil: '2027-01-01T00:00:00.000Z' },
      latest: { stable: { version: '2.4.0' } },
      upgradePath: ['2.4.0'],
      advisories: [],
      maintenance: [],
      issuedAt: '2026-03-01T00:00:00.000Z',
      expiresAt: '2026-03-02T00:00:00.000Z',
      sequence: 10,
      ...fields,
    }),
  );
}

function signatureHeader(key: SigningKey, body: Buffer, kid = key.jwk.kid): string {
  return `keyid="${kid}", sig="${sign(null, body, key.privateKey).toString('base64url')}"`;
}

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending: { callback: () => void; delay: number; id: number }[] = [];
  let waiting: ((timer: { delay: number }) => void) | undefined;
  let ids = 0;
  const timers: ReleaseClientTimers = {
    setTimeout(callback, delay) {
      const timer = { callback, delay, id: ++ids };
      pending.push(timer);
      waiting?.(timer);
      waiting = undefined;
      return timer.id;
    },
    clearTimeout(id) {
      const index = pending.findIndex((timer) => timer.id === id);
      if (index >= 0) pending.splice(index, 1);
    },
  };
  return {
    timers,
    pending,
    /** Resolves once the client schedules its next poll (returns the delay it chose). */
    nextScheduled: () => new Promise<{ delay: number }>((resolve) => (waiting = resolve)),
    fire() {
      const timer = pending.shift();
      if (!timer) throw new Error('no timer pending');
      timer.callback();
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<ReleaseClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ReleaseClientError) return error;
    throw error;
  }
  throw new Error('expected a ReleaseClientError, but the check succeeded');
}

describe(ReleaseClient.name, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(overrides: Partial<ReleaseClientOptions> = {}) {
    const server = await startCheckServer();
    const dir = await mkdtemp(join(tmpdir(), 'release-client-'));
    cleanups.push(server.close, () => rm(dir, { recursive: true, force: true }));
    const key = newSigningKey('2026-03');
    const clock = new ManualClock('2026-03-01T06:00:00Z');
    const stateFile = join(dir, 'state', 'release-check.json');
    const options: ReleaseClientOptions = {
      baseUrl: server.url,
      version: '2.3.1',
      channel: 'stable',
      edition: 'enterprise',
      environment: 'production',
      publicKeys: [key.jwk],
      stateFile,
      clock,
      ...overrides,
    };
    const ctx = {
      server,
      key,
      clock,
      dir,
      stateFile,
      options,
      /** Queues a correctly signed answer. */
      serveSigned(fields: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
        const body = answerBody(fields);
        server.queue({ body, headers: { 'keyhaven-signature': signatureHeader(key, body), ...headers } });
        return body;
      },
      newClient: (more: Partial<ReleaseClientOptions> = {}) => new ReleaseClient({ ...options, ...more }),
    };
    return { sut: ctx.newClient(), ctx };
  }

  describe('check', () => {
    it('accepts an answer signed by a pinned key and keeps it as the last good answer', async () => {
      const { sut, ctx } = await setup();
      const body = ctx.serveSigned({}, { etag: '"a1"' });

      const check = await sut.check();

      expect(check).toMatchObject({ keyId: '2026-03', etag: '"a1"', notModified: false, answer: { status: 'update_available', sequence: 10 } });
      expect(check.body.equals(body)).toBe(true);
      expect(sut.lastGood).toBe(check);
      expect(sut.highestSequence).toBe(10);
      const [request] = ctx.server.requests;
      expect(request.url.pathname).toBe('/v1/check');
      expect(Object.fromEntries(request.url.searchParams)).toEqual({
        version: '2.3.1',
        channel: 'stable',
        edition: 'enterprise',
        environment: 'production',
      });
      expect(request.headers['if-none-match']).toBeUndefined();
      expect(request.headers['user-agent']).toMatch(/^keyhaven-release-client\//);
    });

    it('keeps a path prefix of the base URL (a reverse proxy mount)', async () => {
      const { ctx } = await setup();
      const sut = ctx.newClient({ baseUrl: `${ctx.server.url}/releases` });
      ctx.server.queue({ status: 404, body: '{"error":{"code":"not_found","message":"Route not found"}}' });
      await rejection(sut.check());
      expect(ctx.server.requests[0].url.pathname).toBe('/releases/v1/check');
    });

    it('rejects a tampered body and keeps the previous good answer', async () => {
      const { sut, ctx } = await setup();
      ctx.serveSigned();
      const good = await sut.check();
      const signed = answerBody({ sequence: 11 });
      const tampered = Buffer.from(signed.toString().replace('"update_available"', '"up_to_date"      '));
      ctx.server.queue({ body: tampered, headers: { 'keyhaven-signature': signatureHeader(ctx.key, signed) } });

      const error = await rejection(sut.check());

      expect(error).toMatchObject({ code: 'bad_signature', keyId: '2026-03', isTrustFailure: true });
      expect(sut.lastGood).toBe(good);
      expect(sut.highestSequence).toBe(10);
    });

    it('rejects an answer without a signature', async () => {
      const { sut, ctx } = await setup();
      ctx.server.queue({ body: answerBody() });
      expect((await rejection(sut.check())).code).toBe('signature_missing');
      expect(sut.lastGood).toBeUndefined();
    });

    it('rejects an answer signed by a key that is not pinned', async () => {
      const { sut, ctx } = await setup();
      const rogue = newSigningKey('rogue');
      const body = answerBody();
      ctx.server.queue({ body, headers: { 'keyhaven-signature': signatureHeader(rogue, body) } });
      expect(await rejection(sut.check())).toMatchObject({ code: 'unknown_key', keyId: 'rogue' });
    });

    it('rejects a rogue key that claims the pinned key id', async () => {
      const { sut, ctx } = await setup();
      const rogue = newSigningKey('rogue');
      const body = answerBody();
      ctx.server.queue({ body, headers: { 'keyhaven-signature': signatureHeader(rogue, body, '2026-03') } });
      expect((await rejection(sut.check())).code).toBe('bad_signature');
    });

    it('accepts the old and the new key during a rotation', async () => {
      const { ctx } = await setup();
      const next = newSigningKey('2026-09');
      const sut = ctx.newClient({ publicKeys: [ctx.key.jwk, next.jwk] });
      const body = answerBody({ sequence: 12 });
      ctx.server.queue({ body, headers: { 'keyhaven-signature': signatureHeader(next, body) } });
      expect((await sut.check()).keyId).toBe('2026-09');
    });

    it('rejects an answer whose expiresAt has passed', async () => {
      const { sut, ctx } = await setup();
      ctx.clock.set('2026-03-02T00:00:00Z');
      ctx.serveSigned();
      expect(await rejection(sut.check())).toMatchObject({ code: 'expired', expiresAt: new Date('2026-03-02T00:00:00Z') });
      expect(sut.lastGood).toBeUndefined();
    });

    it('rejects a replayed answer with a lower sequence, also after a restart', async () => {
      const { sut, ctx } = await setup();
      ctx.serveSigned({ sequence: 10 });
      const old = await sut.check();
      ctx.serveSigned({ sequence: 11, status: 'security_update' });
      await sut.check();
      ctx.server.queue({ body: old.body, headers: { 'keyhaven-signature': signatureHeader(ctx.key, old.body) } });

      expect(await rejection(sut.check())).toMatchObject({ code: 'sequence_rollback', sequence: 10, highestSequence: 11 });
      expect(sut.lastGood?.answer.status).toBe('security_update');

      const restarted = ctx.newClient();
      ctx.server.queue({ body: old.body, headers: { 'keyhaven-signature': signatureHeader(ctx.key, old.body) } });
      expect((await rejection(restarted.check())).code).toBe('sequence_rollback');
    });

    it('accepts the same sequence again (an unchanged catalog)', async () => {
      const { sut, ctx } = await setup();
      ctx.serveSigned({ sequence: 10 });
      ctx.serveSigned({ sequence: 10, issuedAt: '2026-03-01T05:00:00.000Z' });
      await sut.check();
      expect((await sut.check()).answer.issuedAt).toBe('2026-03-01T05:00:00.000Z');
    });

    it('rejects a signed answer about another version', async () => {
      const { sut, ctx } = await setup();
      ctx.serveSigned({ current: { version: '1.0.0', supported: false } });
      expect((await rejection(sut.check())).code).toBe('mismatched_answer');
    });

    it('rejects a signed body that is not a check answer', async () => {
      const { sut, ctx } = await setup();
      const body = Buffer.from('{"status":"fine"}');
      ctx.server.queue({ body, headers: { 'keyhaven-signature': signatureHeader(ctx.key, body) } });
      expect(await rejection(sut.check())).toMatchObject({ code: 'malformed_answer' });
    });

    it('reports an API error with its code and message', async () => {
      const { sut, ctx } = await setup();
      ctx.server.queue({ status: 400, body: '{"error":{"code":"invalid_version","message":"version must be semver"}}' });
      expect(await rejection(sut.check())).toMatchObject({
        code: 'http_error',
        status: 400,
        apiCode: 'invalid_version',
        message: 'invalid_version: version must be semver',
      });
    });

    it('reports an unreachable server as a network error', async () => {
      const { ctx } = await setup();
      await ctx.server.close();
      const sut = ctx.newClient();
      expect((await rejection(sut.check())).code).toBe('network');
    });
  });

  describe('the state file', () => {
    it('is written atomically with mode 0600 and no temporary file left behind', async () => {
      const { sut, ctx } = await setup();
      ctx.serveSigned({ sequence: 42 }, { etag: '"e42"' });
      await sut.check();

      const state = JSON.parse(await readFile(ctx.stateFile, 'utf8'));
      expect(state).toMatchObject({ highestSequence: 42, lastGood: { etag: '"e42"', query: expect.stringContaining('version=2.3.1') } });
      expect((await stat(ctx.stateFile)).mode & 0o777).toBe(0o600);
      expect(await readdir(join(ctx.dir, 'state'))).toEqual(['release-check.json']);
    });

    it('restores the last good answer and revalidates it with its ETag after a restart', async () => {
      const { sut, ctx } = await setup();
      ctx.serveSigned({}, { etag: '"a1"' });
      await sut.check();

      const restarted = ctx.newClient();
      await restarted.load();
      expect(restarted.lastGood?.answer.sequence).toBe(10);
      ctx.server.queue({ status: 304, headers: { etag: '"a1"' } });
      const check = await restarted.check();
      expect(check).toMatchObject({ notModified: true, answer: { sequence: 10 } });
      expect(ctx.server.requests[1].headers['if-none-match']).toBe('"a1"');
    });

    it('drops a stored answer that was edited by hand', async () => {
      const { sut, ctx } = await setup();
      ctx.serveSigned({}, { etag: '"a1"' });
      await sut.check();
      const state = JSON.parse(await readFile(ctx.stateFile, 'utf8'));
      const edited = Buffer.from(state.lastGood.body, 'base64').toString().replace('update_available', 'up_to_date');
      await writeFile(ctx.stateFile, JSON.stringify({ ...state, lastGood: { ...state.lastGood, body: Buffer.from(edited).toString('base64') } }));

      const restarted = ctx.newClient();
      await restarted.load();
      expect(restarted.lastGood).toBeUndefined();
      expect(restarted.highestSequence).toBe(10);
    });

    it('does not reuse the stored answer of another version (after an upgrade)', async () => {
      const { sut, ctx } = await setup();
      ctx.serveSigned({}, { etag: '"a1"' });
      await sut.check();
      const upgraded = ctx.newClient({ version: '2.4.0' });
      ctx.serveSigned({ current: { version: '2.4.0' }, status: 'up_to_date' });
      await upgraded.check();
      expect(ctx.server.requests[1].headers['if-none-match']).toBeUndefined();
    });

    it('refuses to run on a corrupt state file rather than forget the highest sequence', async () => {
      const { sut, ctx } = await setup();
      ctx.serveSigned();
      await sut.check();
      await writeFile(ctx.stateFile, '{"highestSequence":');
      expect((await rejection(ctx.newClient().check())).code).toBe('state_unreadable');
    });

    it('refuses an answer whose sequence cannot be saved', async () => {
      const { sut, ctx } = await setup();
      ctx.serveSigned({ sequence: 10 });
      const good = await sut.check();
      // The state folder turns into a file: every later write fails (root ignores chmod here).
      await rm(join(ctx.dir, 'state'), { recursive: true });
      await writeFile(join(ctx.dir, 'state'), '');
      ctx.serveSigned({ sequence: 11 });

      expect((await rejection(sut.check())).code).toBe('state_unwritable');
      expect(sut.lastGood).toBe(good);
      expect(sut.highestSequence).toBe(10);
    });
  });

  describe('conditional requests', () => {
    it('sends If-None-Match and keeps the answer on 304', async () => {
      const { sut, ctx } = await setup();
      const first = ctx.serveSigned({}, { etag: '"a1"' });
      await sut.check();
      ctx.server.queue({ status: 304, headers: { etag: '"a1"' } });
      ctx.clock.advance(3_600_000);

      const check = await sut.check();

      expect(ctx.server.requests[1].headers['if-none-match']).toBe('"a1"');
      expect(check).toMatchObject({ notModified: true, receivedAt: ctx.clock.now() });
      expect(check.body.equals(first)).toBe(true);
      expect(sut.lastGood).toBe(check);
    });

    it('fetches unconditionally once the stored answer has expired', async () => {
      const { sut, ctx } = await setup();
      ctx.serveSigned({}, { etag: '"a1"' });
      await sut.check();
      ctx.clock.set('2026-03-02T01:00:00Z');
      ctx.serveSigned({ sequence: 11, issuedAt: '2026-03-02T01:00:00.000Z', expiresAt: '2026-03-03T01:00:00.000Z' }, { etag: '"a2"' });

      expect((await sut.check()).answer.sequence).toBe(11);
      expect(ctx.server.requests[1].headers['if-none-match']).toBeUndefined();
    });

    it('asks again plainly when a cache answers 304 to an unconditional request', async () => {
      const { sut, ctx } = await setup();
      ctx.server.queue({ status: 304 });
      ctx.serveSigned();
      expect((await sut.check()).answer.sequence).toBe(10);
      expect(ctx.server.requests).toHaveLength(2);
    });
  });

  describe('Retry-After', () => {
    it('stays away after a 429 until the time the server named', async () => {
      const { sut, ctx } = await setup();
      ctx.server.queue({ status: 429, headers: { 'retry-after': '120' }, body: '{"error":{"code":"too_many_requests","message":"slow down"}}' });

      const limited = await rejection(sut.check());
      expect(limited).toMatchObject({ code: 'rate_limited', status: 429, apiCode: 'too_many_requests', retryAt: new Date('2026-03-01T06:02:00Z') });

      ctx.clock.advance(119_000);
      expect(await rejection(sut.check())).toMatchObject({ code: 'backing_off', retryAt: new Date('2026-03-01T06:02:00Z') });
      expect(ctx.server.requests).toHaveLength(1);

      ctx.clock.advance(1_000);
      ctx.serveSigned();
      expect((await sut.check()).answer.sequence).toBe(10);
      expect(ctx.server.requests).toHaveLength(2);
    });

    it('reads an HTTP-date on a 503', async () => {
      const { sut, ctx } = await setup();
      ctx.server.queue({ status: 503, headers: { 'retry-after': 'Sun, 01 Mar 2026 07:00:00 GMT' } });
      expect(await rejection(sut.check())).toMatchObject({ code: 'unavailable', retryAt: new Date('2026-03-01T07:00:00Z') });
      expect(sut.retryAt).toEqual(new Date('2026-03-01T07:00:00Z'));
    });
  });

  describe('start', () => {
    it('polls at once, then every interval with jitter, and waits out a longer Retry-After', async () => {
      const timers = manualTimers();
      const answers: number[] = [];
      const errors: string[] = [];
      const { ctx } = await setup();
      const sut = ctx.newClient({
        timers: timers.timers,
        intervalMs: 3_600_000,
        jitter: 0.2,
        random: () => 0,
        onAnswer: (check) => answers.push(check.answer.sequence),
        onError: (error) => errors.push(error.code),
      });

      sut.start();
      expect(timers.pending.map((timer) => timer.delay)).toEqual([0]);
      ctx.serveSigned();
      let scheduled = timers.nextScheduled();
      timers.fire();
      expect(await scheduled).toMatchObject({ delay: 2_880_000 });
      expect(answers).toEqual([10]);

      ctx.server.queue({ status: 503, headers: { 'retry-after': '7200' } });
      scheduled = timers.nextScheduled();
      timers.fire();
      expect(await scheduled).toMatchObject({ delay: 7_200_000 });
      expect(errors).toEqual(['unavailable']);

      sut.stop();
      expect(timers.pending).toHaveLength(0);
      expect(sut.isPolling).toBe(false);
    });
  });

  describe('constructor', () => {
    it('refuses to start without a pinned key', async () => {
      const { ctx } = await setup();
      expect(() => ctx.newClient({ publicKeys: [] })).toThrow(expect.objectContaining({ code: 'invalid_options' }));
    });
  });
});
