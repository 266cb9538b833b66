// Two servers compared in alternating rounds instead of one long load each.
//
// On this VM the host's speed drifts within a minute (other guests): one 10-s load of the service
// followed by one of the bare baseline let a slow spell fall on one side only, and the same build's
// ratio moved by ±0.15 between runs minutes apart. Here each round loads both sides back to back
// (who goes first alternates), the ratio is taken per round, and the median round is reported:
// a drift hits both sides of a round alike.

/**
 * Loads `measured` and `baseline` in `rounds` alternating rounds: each is `ctx.load` options, loaded
 * for `seconds`, or a function that runs one load and returns its result (a load of a fixed number
 * of requests, e.g. single-use tokens). Returns the median round's ratio of req/s (measured /
 * baseline) and of CPU per request (baseline / measured, each the median of its own), that round's
 * two loads, every round's ratio and every round's loads (`each`, in the order run).
 */
export async function inRounds(ctx, measured, baseline, { rounds = ctx.quick ? 1 : 5, seconds = ctx.quick ? ctx.seconds : 4 } = {}) {
  const timed = typeof measured !== 'function';
  const run = (side) => (typeof side === 'function' ? side() : ctx.load({ ...side, seconds }));
  const done = [];
  for (let i = 0; i < rounds; i += 1) {
    const first = i % 2 === 0 ? measured : baseline;
    const second = first === measured ? baseline : measured;
    const a = await run(first);
    const b = await run(second);
    const [m, base] = first === measured ? [a, b] : [b, a];
    done.push({ measured: m, baseline: base, ratio: m.rps / base.rps, cpuRatio: cpuRatio(base, m) });
  }
  const byRatio = [...done].sort((x, y) => x.ratio - y.ratio);
  const median = byRatio[Math.floor((byRatio.length - 1) / 2)];
  const cpuRatios = done
    .map((round) => round.cpuRatio)
    .filter((value) => value !== undefined)
    .sort((x, y) => x - y);
  return {
    measured: median.measured,
    baseline: median.baseline,
    ratio: median.ratio,
    cpuRatio: cpuRatios.length > 0 ? cpuRatios[Math.floor((cpuRatios.length - 1) / 2)] : undefined,
    ratios: done.map((round) => round.ratio),
    each: done,
    rounds,
    seconds: timed ? seconds : undefined,
  };
}

/** "median of 5 alternating 4-s rounds (0.88–0.97)": how a ratio from `inRounds` was measured. */
export function roundsNote(result) {
  const length = result.seconds ? `${result.seconds}-s ` : '';
  if (result.rounds === 1) return `one ${length}round`;
  const sorted = [...result.ratios].sort((x, y) => x - y);
  return `median of ${result.rounds} alternating ${length}rounds (${sorted[0].toFixed(2)}–${sorted.at(-1).toFixed(2)})`;
}

function cpuRatio(baseline, measured) {
  if (!baseline.cpuMsPerRequest || !measured.cpuMsPerRequest) return undefined;
  return baseline.cpuMsPerRequest / measured.cpuMsPerRequest;
}
