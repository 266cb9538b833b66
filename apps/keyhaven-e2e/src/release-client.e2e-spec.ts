import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess, startService, WORKSPACE } from '@keyhaven/testing';
import { freshStore, FreshStore } from './support/fresh-database';

/**
 * The client is used as an installation uses it: the built npm package
 * (dist/libs/release/client, built below), not the TypeScript source. Its types come from the
 * source through type-level imports (an e2e project does not depend on release libs).
 */
type ReleaseClientPackage = typeof import('../../../libs/release/client/src/index');
type ReleaseClient = import('../../../libs/release/client/src/index').ReleaseClient;
type ReleaseClientError = import('../../../libs/release/client/src/index').ReleaseClientError;
type ReleaseClientOptions = import('../../../libs/release/client/src/index').ReleaseClientOptions;
type ReleaseSigningJwk = import('../../../libs/release/client/src/index').ReleaseSigningJwk;

function loadBuiltPackage(): ReleaseClientPackage {
  execFileSync(process.execPath, [join(WORKSPACE, 'node_modules/typescript/bin/tsc'), '-p', 'libs/release/client/tsconfig.lib.json'], { cwd: WORKSPACE });
  // The built package, loaded as an installation loads it.
  return require(join(WORKSPACE, 'dist/libs/release/client/src/index.js')) as ReleaseClientPackage;
}

/** The headers of a check answer that matter to the client; a proxy or cache passes them on. */
const PASSED_HEADERS = ['content-type', 'etag', 'cache-control', 'keyhaven-signature', 'retry-after'];

interface RecordedAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

type ProxyMode =
  | { kind: 'forward' }
  /** Changes the body in transit, keeps the genuine signature header. */
  | { kind: 'tamper' }
  /** Serves a recorded genuine answer instead of asking the service. */
  | { kind: 'replay'; answer: RecordedAnswer }
  | { kind: 'throttle'; retryAfter: string };

/**
 * A man in the middle between the instance and release-api: forwards to `target`, records
 * what passed, and tampers or replays on demand — what a hostile network or a stale cache does.
 */
async function startTamperingProxy(initialTarget: string) {
  const state = {
    target: initialTarget,
    mode: { kind: 'forward' } as ProxyMode,
    last: undefined as RecordedAnswer | undefined,
    upstreamStatuses: [] as number[],
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const mode = state.mode;
      if (mode.kind === 'throttle') {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': mode.retryAfter });
        res.end('{"error":{"code":"too_many_requests","message":"Slow down"}}');
        return;
      }
      if (mode.kind === 'replay') {
        res.writeHead(mode.answer.status, mode.answer.headers);
        res.end(mode.answer.body);
        return;
      }
      const headers: Record<string, string> = {};
      for (const name of ['accept', 'if-none-match', 'user-agent']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const upstream = await fetch(new URL(req.url ?? '/', state.target), { headers });
      state.upstreamStatuses.push(upstream.status);
      let body = Buffer.from(await upstream.arrayBuffer());
      const passed: Record<string, string> = {};
      for (const name of PASSED_HEADERS) {
        const value = upstream.headers.get(name);
        if (value !== null) passed[name] = value;
      }
      if (upstream.status === 200) state.last = { status: 200, headers: passed, body };
      if (mode.kind === 'tamper' && body.length > 0) {
        // The smallest lie: an installation told it is up to date when it is not.
        body = Buffer.from(body.toString('utf8').replace(/"status":"[a-z_]+"/, '"status":"up_to_date"'));
        delete passed['etag'];
      }
      res.writeHead(upstream.status, passed);
      res.end(body);
    })().catch((error: unknown) => {
      res.writeHead(502);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A clock the test sets: the real one by default, or moved ahead to see answers expire without waiting. */
class TestClock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

async function rejection(promise: Promise<unknown>): Promise<ReleaseClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof pkg.ReleaseClientError) return error;
    throw error;
  }
  throw new Error('expected the check to be refused');
}

const SIGNING_KID = 'e2e-2026';
let pkg: ReleaseClientPackage;

describe('release client against the built release-api', () => {
  // Two catalogs signed by the same key: the demo catalog (newer, higher sequence) and an
  // empty one (an older state of the catalog, as a stale mirror would serve it).
  const seed = randomBytes(32).toString('base64url');
  const stores: FreshStore[] = [];
  let current: ServiceProcess;
  let stale: ServiceProcess;
  let pinned: ReleaseSigningJwk[];

  beforeAll(async () => {
    pkg = loadBuiltPackage();
    const [currentStore, staleStore] = await Promise.all([freshStore(), freshStore()]);
    stores.push(currentStore, staleStore);
    const signing = { RELEASE_SIGNING_KEYS: `${SIGNING_KID}:${seed}` };
    [current, stale] = await Promise.all([
      startService('release-api', { ...currentStore.env, ...signing, RELEASE_DEMO_DATA: 'true' }),
      startService('release-api', { ...staleStore.env, ...signing, RELEASE_DEMO_DATA: 'false' }),
    ]);
    await Promise.all([current.ready(), stale.ready()]);
    const keys = (await (await fetch(`${current.url}/v1/keys`)).json()) as { keys: ReleaseSigningJwk[] };
    pinned = keys.keys;
  });

  afterAll(async () => {
    for (const service of [current, stale]) {
      if (service && service.child.exitCode === null) {
        service.child.kill('SIGTERM');
        await service.exited;
      }
    }
    await Promise.all(stores.map((store) => store.remove()));
  });

  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(overrides: Partial<ReleaseClientOptions> = {}) {
    const proxy = await startTamperingProxy(current.url);
    const dir = await mkdtemp(join(tmpdir(), 'release-client-e2e-'));
    cleanups.push(proxy.close, () => rm(dir, { recursive: true, force: true }));
    const clock = new TestClock();
    const options: ReleaseClientOptions = {
      baseUrl: proxy.url,
      version: '13.1.0',
      channel: 'stable',
      publicKeys: pinned,
      stateFile: join(dir, 'release-check.json'),
      clock,
      ...overrides,
    };
    const newClient = (more: Partial<ReleaseClientOptions> = {}): ReleaseClient => new pkg.ReleaseClient({ ...options, ...more });
    return { sut: newClient(), ctx: { proxy, clock, options, newClient } };
  }

  it('publishes the configured signing key at /v1/keys', () => {
    expect(pinned[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: SIGNING_KID });
  });

  it('accepts the signed answer of the service and revalidates it with a 304', async () => {
    const { sut, ctx } = await setup();

    const first = await sut.check();
    expect(first).toMatchObject({
      keyId: SIGNING_KID,
      notModified: false,
      answer: { status: 'security_update', critical: true, current: { version: '13.1.0' } },
    });
    expect(first.etag).toBeDefined();

    const second = await sut.check();
    expect(second).toMatchObject({ notModified: true, answer: { sequence: first.answer.sequence } });
    expect(ctx.proxy.state.upstreamStatuses).toEqual([200, 304]);
  });

  it('refuses a body tampered with in transit and keeps the last good answer', async () => {
    const { sut, ctx } = await setup();
    const good = await sut.check();
    ctx.proxy.state.mode = { kind: 'tamper' };
    const fresh = ctx.newClient({ stateFile: undefined });

    expect(await rejection(fresh.check())).toMatchObject({ code: 'bad_signature', keyId: SIGNING_KID });
    expect(sut.lastGood).toBe(good);
  });

  it('refuses a replayed answer from an older catalog (lower sequence), also after a restart', async () => {
    const { sut, ctx } = await setup();
    const newer = await sut.check();
    // The same key signed the stale catalog's answer: only the sequence gives it away.
    ctx.proxy.state.target = stale.url;
    const older = await ctx.newClient({ stateFile: undefined }).check();
    expect(older.answer.sequence).toBeLessThan(newer.answer.sequence);
    expect(older.keyId).toBe(SIGNING_KID);

    const restarted = ctx.newClient();
    const refused = await rejection(restarted.check());
    expect(refused).toMatchObject({ code: 'sequence_rollback', sequence: older.answer.sequence, highestSequence: newer.answer.sequence });
  });

  it('refuses a genuine answer replayed after it expired', async () => {
    const { sut, ctx } = await setup();
    const genuine = await sut.check();
    const recorded = ctx.proxy.state.last!;
    ctx.proxy.state.mode = { kind: 'replay', answer: recorded };
    // A week and a day later (RELEASE_CHECK_VALIDITY defaults to 7 d), the same bytes come back.
    ctx.clock.offsetMs = Date.parse(genuine.answer.expiresAt) - Date.now() + 1000;
    const later = ctx.newClient({ stateFile: undefined });

    expect(await rejection(later.check())).toMatchObject({ code: 'expired', expiresAt: new Date(genuine.answer.expiresAt) });
  });

  it('refuses answers signed by a key it does not pin', async () => {
    const { ctx } = await setup();
    const otherKey = { ...pinned[0], kid: 'someone-else' };
    expect(await rejection(ctx.newClient({ publicKeys: [otherKey], stateFile: undefined }).check())).toMatchObject({ code: 'unknown_key', keyId: SIGNING_KID });
  });

  it('reports the API error for a version that is not semver', async () => {
    const { ctx } = await setup();
    expect(await rejection(ctx.newClient({ version: 'thirteen', stateFile: undefined }).check())).toMatchObject({
      code: 'http_error',
      status: 400,
      apiCode: 'invalid_version',
    });
  });

  it('stays away while a proxy says Retry-After', async () => {
    const { sut, ctx } = await setup();
    ctx.proxy.state.mode = { kind: 'throttle', retryAfter: '600' };
    expect(await rejection(sut.check())).toMatchObject({ code: 'rate_limited' });
    ctx.proxy.state.mode = { kind: 'forward' };
    expect(await rejection(sut.check())).toMatchObject({ code: 'backing_off' });
    expect(ctx.proxy.state.upstreamStatuses).toEqual([]);
    ctx.clock.offsetMs = 601_000;
    expect((await sut.check()).answer.status).toBe('security_update');
  });
});
