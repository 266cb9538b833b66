import { fuzzOpenApi, OpenApiDocument } from '@keyhaven/testing';
import { Harness, startHarness } from './support/auth-harness';

/**
 * Every operation of auth-service's OpenAPI document, 1,000 generated hostile requests per run
 * (see libs/shared/testing openapi-fuzz.ts): never a 5xx, every 4xx in the error shape, still live.
 * Replay a failure with FUZZ_SEED=<seed> npx nx test auth-service -- --testPathPatterns=fuzz.
 */
describe('auth-service under generated hostile requests', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('keeps the error contract on every operation', async () => {
    // Tokens that reach guarded handlers: an admin (who may reset others' factors), a user with a
    // confirmed authenticator at aal 2, and a pending token between password and second factor.
    const admin = await harness.newUser({ roles: ['admin', 'ops'] });
    const user = await harness.newUser();
    const { id: factorId, secret } = await user.enrollTotp();
    const aal2 = await user.aal2Token(secret);
    const pending = (await user.signIn()).accessToken;
    const document = (await harness.app.inject({ method: 'GET', url: '/docs/json' })).json<OpenApiDocument>();

    const statuses = await fuzzOpenApi(
      {
        document,
        send: async (request) => {
          const answer = await harness.app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, payload: request.payload });
          return { statusCode: answer.statusCode, body: answer.body, headers: answer.headers };
        },
        tokens: [await admin.accessToken(), aal2, pending],
        pathValues: { id: [user.id, factorId, admin.id] },
      },
      { runs: 1_000 },
    );
    // The suite reached the handlers, not only the gate in front of them.
    expect(Object.keys(statuses).some((status) => Number(status) < 300)).toBe(true);
    // ~10 s alone; generous for CI's two shared cores (a FUZZ_RUNS hunt also needs --testTimeout).
  }, 180_000);
});
