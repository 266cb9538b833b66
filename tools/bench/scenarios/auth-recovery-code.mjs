// auth-service: the recovery-code second step end to end (HTTP, pending-token spend, attempt
// claim, the code's hash looked up and spent, audit, ES256 token) next to a bare Fastify route
// doing one conditional pg UPDATE on the same database. Every measured request is a successful
// step with a recovery code not used before, each with a pending token of its own.
//
// Both sides warm first (lib/warm-steps.mjs): 3 rounds of 200 uncounted steps and 3,000 bare
// UPDATEs, then a row of 200 steps (40 warm, 160 measured) and the bare route's 3,000 uncounted
// requests and 3,000 measured.
import { loadAmount } from '../lib/context.mjs';
import { pendingTokens, prepareTotpUsers, startBareUpdate, stepLoad, stepRow } from '../lib/sign-in.mjs';
import { bareRequests, measureBare, measureSteps, stepsPerRow, WARM_ROUNDS, warmUp } from '../lib/warm-steps.mjs';

export const title = 'auth-recovery-code: POST /v1/sessions/mfa/recovery-code (success path) vs bare Fastify + one pg UPDATE';

const ROUTE = '/v1/sessions/mfa/recovery-code';
/** The codes an account is issued with its first factor (RECOVERY_SET_SIZE in the service). */
const CODES_PER_ACCOUNT = 10;

export default async function authRecoveryCode(ctx) {
  const perRow = stepsPerRow(ctx);
  const service = await ctx.startService('auth-service', { AUTH_THROTTLE_LIMIT: '1000000' });
  const bare = await startBareUpdate(ctx, await ctx.databaseUrlOf(service), bareRequests(ctx));
  const step = (list) => stepLoad(service.url, ROUTE, list, (user) => ({ code: user.code }));

  // Preparation (accounts, then a pending token per step) is timed: it is most of the scenario's time.
  let preparingMs = 0;
  const timed = async (work) => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      preparingMs += performance.now() - started;
    }
  };
  const codes = await timed(() => recoveryCodes(service.url, (ctx.quick ? 0 : WARM_ROUNDS * perRow) + perRow));
  let used = 0;
  const next = () => timed(() => withPendingTokens(service.url, codes.slice(used, (used += perRow))));

  await warmUp(
    ctx,
    'recovery-code steps',
    async () => loadAmount(step(await next())),
    () => bare.load(bareRequests(ctx)),
  );
  const measured = await measureSteps(await next(), step, 'recovery-code steps');
  const baseline = await measureBare(() => bare.load(bareRequests(ctx)));

  ctx.result({
    measure: 'auth-service recovery-code step vs bare Fastify + one UPDATE',
    value: ctx.ratio(measured.rps, baseline.rps),
    goal: { min: 0.7 },
    detail: `${Math.round(measured.rps)} vs ${Math.round(baseline.rps)} req/s, p99 ${measured.p99} ms`,
  });
  ctx.table(title, [stepRow(ctx, measured, baseline, { accounts: accountsFor(codes.length), 'preparing s': (preparingMs / 1000).toFixed(1) })]);
  await bare.stop();
  await service.stop();
}

/**
 * `count` unused recovery codes, `{ email, code }`. An account brings CODES_PER_ACCOUNT (and costs four Argon2id
 * operations to prepare), so the codes of a few accounts are used instead of one code of many:
 * each account's first code, then each account's second… — steps sent side by side are of
 * different accounts (a step claims an attempt on its account's counter, and more than three
 * claims at once would start the delay). At least 20 accounts: twice the load's connections.
 */
async function recoveryCodes(url, count) {
  const accounts = await prepareTotpUsers(url, accountsFor(count), 'recovery');
  const codes = [];
  for (let index = 0; codes.length < count; index += 1) {
    for (const account of accounts) {
      // The first code's step uses the pending token the preparation ended with.
      if (codes.length < count) codes.push({ email: account.email, code: account.recoveryCodes[index], pending: index === 0 ? account.pending : undefined });
    }
  }
  return codes;
}

function accountsFor(codes) {
  return Math.max(20, Math.ceil(codes / CODES_PER_ACCOUNT));
}

/** A pending token for each code's step that has none, by signing in again (one Argon2id verification each). */
async function withPendingTokens(url, codes) {
  const missing = codes.filter((code) => !code.pending);
  const tokens = await pendingTokens(
    url,
    missing.map((code) => code.email),
  );
  missing.forEach((code, i) => (code.pending = tokens[i]));
  return codes;
}
