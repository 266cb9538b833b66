// How the sign-in step scenarios (auth-totp, auth-recovery-code, webauthn-assertion) get both
// sides of their ratio warm before they measure.
//
// The step: V8 optimizes a step's functions only after hundreds of calls — after 40 warm steps a
// third of a measured TOTP step was still the compiler (docs/performance.md, "Where a TOTP step's
// service CPU goes") — so WARM_ROUNDS rounds of `stepsPerRow` uncounted steps run before the first
// measured row. The bare baseline: 160 requests at ≈ 1,500/s were a tenth of a second after a
// warm-up as short, and its cold route cost 1.06 ms of CPU per UPDATE where the warm one costs
// 0.38: it gets BARE_REQUESTS uncounted requests in each warm round, BARE_REQUESTS more before it
// is measured, then as many measured (3,000 warm requests alone still left auth-totp's first bare
// loads at a third of the later ones' req/s). Quick mode (CI, which only keeps the scenarios
// working) skips the warm rounds and keeps the bare loads as short as the step's.
import { loadAmount } from './context.mjs';

export const WARM_ROUNDS = 3;
const BARE_REQUESTS = 3000;

/** Steps prepared per warm round and per measured row (a fifth of a row warms it, the rest is measured). */
export function stepsPerRow(ctx) {
  return ctx.quick ? 40 : 200;
}

/** Requests of each of the bare baseline's loads (the uncounted one, then the measured one). */
export function bareRequests(ctx) {
  return ctx.quick ? stepsPerRow(ctx) : BARE_REQUESTS;
}

/**
 * The uncounted warm rounds (none in quick mode): `round(i)` prepares its users and sends their
 * steps, answering `loadAmount`'s result; then `bareLoad()`'s BARE_REQUESTS requests. A failed
 * step stops the scenario: it would not have warmed the success path that is measured.
 */
export async function warmUp(ctx, label, round, bareLoad) {
  if (ctx.quick) return;
  for (let i = 0; i < WARM_ROUNDS; i += 1) {
    failOn(await round(i), `warm-up ${label}`);
    await loadAmount(bareLoad());
  }
}

/**
 * A measured row of prepared steps: the first fifth of `prepared` sent uncounted (after the
 * preparation's requests, the step's own path again), the rest measured. `load(list)` makes the
 * `loadAmount` options that send each of `list`'s steps once.
 */
export async function measureSteps(prepared, load, label) {
  const warm = prepared.slice(0, Math.ceil(prepared.length / 5));
  await loadAmount(load(warm));
  return failOn(await loadAmount(load(prepared.slice(warm.length))), label);
}

/** The bare baseline's loads: `load()` makes `bareRequests` requests; the first load warms, the second is measured. */
export async function measureBare(load) {
  await loadAmount(load());
  return loadAmount(load());
}

/** `result` when every request succeeded; else an error naming `label`. */
export function failOn(result, label) {
  const failed = result.non2xx + result.errors;
  if (failed > 0) throw new Error(`${failed} of ${result.total} ${label} failed${result.failures ? ` (${result.failures})` : ''}`);
  return result;
}
