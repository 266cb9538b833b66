import fc from 'fast-check';
import { describeRequest, FuzzAnswer, FuzzTarget, operationsOf, requestFor } from './openapi-fuzz-requests';

export type { FuzzAnswer, FuzzRequest, FuzzTarget, OpenApiDocument } from './openapi-fuzz-requests';

/**
 * A property-based fuzzer driven by a service's own OpenAPI document (`/docs/json`): every
 * operation, with bodies built from its schema and then broken (nulls, wrong types, NUL,
 * impossible dates, huge numbers, 1 MB strings, unknown keys), hostile raw bodies (10,000-deep
 * JSON, 50,000 keys, invalid JSON), hostile paths and queries (`%00`, `%ZZ`, bad UTF-8, 10 kB
 * segments) and headers (bogus and valid tokens, wrong content types, long values). Each answer
 * must be below 500, every 4xx must be the contract's `{"error":{"code","message"}}`, and the
 * process must stay live. Routes added later are fuzzed without touching this file.
 *
 * Reproducible: the seed comes from FUZZ_SEED or is drawn and printed; a failure prints the
 * seed and the request. Run one service's suite with `FUZZ_SEED=<seed> npx nx test <service>
 * -- --testPathPatterns=fuzz` to replay it.
 */

export interface FuzzOptions {
  /** Requests per run; FUZZ_RUNS overrides it for a longer hunt (`FUZZ_RUNS=20000`). */
  runs: number;
  /** A fixed seed (replay); otherwise FUZZ_SEED, otherwise a fresh one. */
  seed?: number;
}

/** What is wrong with an answer, or undefined when it keeps the contract. */
export function contractProblem(answer: FuzzAnswer): string | undefined {
  if (answer.statusCode >= 500) return `answered ${answer.statusCode}: ${answer.body.slice(0, 500)}`;
  if (answer.statusCode < 400) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return `answered ${answer.statusCode} with a body that is not JSON: ${answer.body.slice(0, 200)}`;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error?.code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(error.code) || typeof error.message !== 'string') {
    return `answered ${answer.statusCode} outside the error shape: ${answer.body.slice(0, 200)}`;
  }
  if (answer.body.length > 20_000) return `answered ${answer.statusCode} with ${answer.body.length} bytes of error`;
  return undefined;
}

export function fuzzSeed(options: FuzzOptions): number {
  const fromEnv = process.env['FUZZ_SEED'];
  return options.seed ?? (fromEnv ? Number(fromEnv) : Date.now() ^ (Math.random() * 0x7fffffff));
}

/**
 * Runs `options.runs` generated requests against the target and throws on the first answer that
 * breaks the contract, naming the seed and the request. Answers the number of requests per status.
 */
export async function fuzzOpenApi(target: FuzzTarget, options: FuzzOptions): Promise<Record<number, number>> {
  const operations = operationsOf(target.document, target.skip);
  if (operations.length === 0) throw new Error('The OpenAPI document lists no operation to fuzz.');
  const seed = fuzzSeed(options);
  const runs = process.env['FUZZ_RUNS'] ? Number(process.env['FUZZ_RUNS']) : options.runs;
  const statuses: Record<number, number> = {};
  const covered = new Set<string>();
  let count = 0;
  // Operations that take a body have more to break: they get three times the share.
  const weighted = fc.oneof(...operations.map((operation) => ({ weight: operation.body ? 3 : 1, arbitrary: fc.constant(operation) })));
  const property = fc.asyncProperty(
    weighted.chain((operation) => requestFor(operation, target).map((request) => ({ operation, request }))),
    async ({ operation, request }) => {
      const answer = await target.send(request);
      statuses[answer.statusCode] = (statuses[answer.statusCode] ?? 0) + 1;
      covered.add(`${operation.method} ${operation.path}`);
      const problem =
        target.documentAnswers?.includes(`${operation.method} ${operation.path}`) && answer.statusCode < 500 ? undefined : contractProblem(answer);
      if (problem) throw new Error(`FUZZ_SEED=${seed}: ${operation.method} ${operation.path} ${problem}\nrequest: ${describeRequest(request)}`);
      if (++count % 50 === 0) await assertLive(target, seed);
    },
  );
  // No shrinking: a request that broke the contract is printed as it was sent.
  await fc.assert(property, { numRuns: runs, seed, endOnFailure: true });
  await assertLive(target, seed);
  const missed = operations.filter((operation) => !covered.has(`${operation.method} ${operation.path}`));
  if (missed.length > 0) throw new Error(`FUZZ_SEED=${seed}: never reached ${missed.map((o) => `${o.method} ${o.path}`).join(', ')}; raise the number of runs`);
  return statuses;
}

async function assertLive(target: FuzzTarget, seed: number): Promise<void> {
  const live = await target.send({ method: 'GET', url: '/health/live', headers: {} });
  if (live.statusCode !== 200) throw new Error(`FUZZ_SEED=${seed}: /health/live answered ${live.statusCode} after the requests above`);
}
