import { Harness, startHarness } from './support/auth-harness';

/**
 * POST /v1/sessions/refresh is answered on the lean path (libs/shared/http lean-route.ts), ahead
 * of Nest's pipeline. It must keep the gate every route has: the same answers as a route behind
 * the validation pipe and the exception filter, and the controller's per-IP limit.
 */
describe('POST /v1/sessions/refresh on the lean path: the same gate as every route', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ AUTH_THROTTLE_LIMIT: '6' });
  });

  afterAll(async () => {
    await harness?.close();
  });

  let address = 0;
  /** A fresh client address per test, so the per-IP limit of one test does not reach the next. */
  const nextIp = () => `198.51.100.${++address}`;
  const raw = (ip: string, payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }, url = '/v1/sessions/refresh') =>
    harness.app.inject({ method: 'POST', url, remoteAddress: ip, headers, payload });

  it('answers validation_failed with the validation pipe’s own details for a body RefreshDto refuses', async () => {
    const ip = nextIp();
    const extra = await raw(ip, JSON.stringify({ refreshToken: 'khr_x', admin: true }));
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error).toMatchObject({
      code: 'validation_failed',
      details: { fields: [{ field: 'admin', problems: ['property admin should not exist'] }] },
    });
    const long = await raw(ip, JSON.stringify({ refreshToken: 'k'.repeat(513) }));
    expect(long.json().error).toMatchObject({ code: 'validation_failed', details: { fields: [{ field: 'refreshToken' }] } });
    const array = await raw(ip, JSON.stringify(['khr_x']));
    expect(array.statusCode).toBe(400);
    expect(array.json().error.code).toBe('validation_failed');
  });

  it('refuses what the JSON gate refuses, with the same status and code as a route behind Nest’s pipeline, and no-store on every answer', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['refreshToken=x', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['{"refreshToken":"x"}', { 'content-type': 'text/plain' }],
      ['{"refreshToken":', { 'content-type': 'application/json' }],
      ['', { 'content-type': 'application/json' }],
      ['{"refreshToken":"khr_\\u0000"}', { 'content-type': 'application/json' }],
      [`${'['.repeat(40)}${']'.repeat(40)}`, { 'content-type': 'application/json' }],
      [JSON.stringify({ refreshToken: 'k'.repeat(1024 * 1024) }), { 'content-type': 'application/json' }],
    ];
    const seen = new Set<number>();
    for (const [payload, headers] of cases) {
      const lean = await raw(nextIp(), payload, headers);
      // POST /v1/accounts: public, JSON, behind the validation pipe and the exception filter.
      const nest = await harness.app.inject({ method: 'POST', url: '/v1/accounts', remoteAddress: nextIp(), headers, payload });
      expect({ payload: payload.slice(0, 40), status: lean.statusCode, code: lean.json().error.code }).toEqual({
        payload: payload.slice(0, 40),
        status: nest.statusCode,
        code: nest.json().error.code,
      });
      expect(lean.headers['cache-control']).toBe('no-store');
      expect(lean.headers['x-content-type-options']).toBe('nosniff');
      expect(lean.headers['x-request-id']).toEqual(expect.any(String));
      seen.add(lean.statusCode);
    }
    // The cases cover each refusal the gate has: 415, 400 and 413.
    expect([...seen].sort()).toEqual([400, 413, 415]);
  });

  it('serves the path with a query string as Nest’s router does, and leaves other methods and paths to Nest', async () => {
    const ip = nextIp();
    const withQuery = await raw(ip, JSON.stringify({ refreshToken: `khr_${'A'.repeat(43)}` }), undefined, '/v1/sessions/refresh?x=1');
    expect([withQuery.statusCode, withQuery.json().error.code]).toEqual([401, 'invalid_token']);
    const get = await harness.app.inject({ method: 'GET', url: '/v1/sessions/refresh', remoteAddress: ip });
    expect(get.statusCode).toBe(404);
    const user = await harness.newUser();
    const signIn = await harness.request('POST', '/v1/sessions', { body: { email: user.email, password: 'correct horse battery staple' }, ip });
    const answer = await raw(ip, JSON.stringify({ refreshToken: signIn.json().refreshToken }));
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.json()).toMatchObject({ tokenType: 'Bearer', refreshToken: expect.stringMatching(/^khr_/) });
  });

  it('over HTTP (answered ahead of Fastify): rotates, refuses the spent token and ends its session, with the same headers', async () => {
    await harness.app.listen(0, '127.0.0.1');
    const url = await harness.app.getUrl();
    const refresh = (refreshToken: unknown) =>
      fetch(`${url}/v1/sessions/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) });
    const user = await harness.newUser();
    const first = (await user.signIn()).refreshToken;
    const rotated = await refresh(first);
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    expect(rotated.headers.get('x-content-type-options')).toBe('nosniff');
    expect(rotated.headers.get('x-ratelimit-limit-sign-in')).toBe('6');
    const next = (await rotated.json()) as { refreshToken: string; accessToken: string };
    expect(next).toMatchObject({ tokenType: 'Bearer', refreshToken: expect.stringMatching(/^khr_/), accessToken: expect.any(String) });
    // The spent token again: refused, and the whole session with it (the new token too).
    const reused = await refresh(first);
    expect([reused.status, ((await reused.json()) as { error: { code: string } }).error.code]).toEqual([401, 'invalid_token']);
    expect((await refresh(next.refreshToken)).status).toBe(401);
    expect(await harness.sql(`select revoke_reason from auth.session where account_id = $1`, [user.id])).toEqual([{ revoke_reason: 'refresh_token_reused' }]);
    const malformed = await fetch(`${url}/v1/sessions/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"refreshToken":' });
    expect([malformed.status, ((await malformed.json()) as { error: { code: string } }).error.code]).toEqual([400, 'malformed_json']);
  });

  it('keeps the controller’s per-IP limit: the seventh request from one address in the window is 429 with Retry-After, another address is not', async () => {
    const ip = nextIp();
    const body = JSON.stringify({ refreshToken: `khr_${'B'.repeat(43)}` });
    const answers = [];
    for (let i = 0; i < 7; i++) answers.push(await raw(ip, body));
    expect(answers.slice(0, 6).map((answer) => answer.statusCode)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(answers[0]!.headers['x-ratelimit-limit-sign-in']).toBe('6');
    expect(answers[5]!.headers['x-ratelimit-remaining-sign-in']).toBe('0');
    const seventh = answers[6]!;
    expect([seventh.statusCode, seventh.json().error.code]).toEqual([429, 'too_many_requests']);
    expect(Number(seventh.headers['retry-after-sign-in'])).toBeGreaterThan(0);
    expect((await raw(nextIp(), body)).statusCode).toBe(401);
  });
});
