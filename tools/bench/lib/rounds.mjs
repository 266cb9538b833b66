// Two servers compared in alternating rounds instead of one long load each.
//
// On this VM the host's speed drifts within a minute (other guests): one 10-s load of the service
// followed by one of the bare baseline let a slow spell fall on one side only, and the same build's
// ratio moved by ±0.15 between runs minutes apart. Here each round loads both sides back to back
// (who goes first alternates), the ratio is taken per round, and the median round is reported:
// a drift hits both sides of a round alike.

/**
 * Loads `measured` and `baseline` (`ctx.load` options) in `rounds` alternating rounds of `seconds`
 * each. Returns the median round's ratio of req/s (measured / baseline) and of CPU per request
 * (baseline / measured, each the median of its own), that round's two loads, and every round's ratio.
 */
export async function inRounds(ctx, measured, baseline, { rounds = ctx.quick ? 1 : 5, seconds = ctx.quick ? ctx.seconds : 4 } = {}) {
  const done = [];
  for (let i = 0; i < rounds; i += 1) {
    const first = i % 2 === 0 ? measured : baseline;
    const second = first === measured ? baseline : measured;
    const a = await ctx.load({ ...first, seconds });
    const b = await ctx.load({ ...second, seconds });
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
    rounds,
    seconds,
  };
}

/** "median of 5 alternating 4-s rounds (0.88–0.97)": how a ratio from `inRounds` was measured. */
export function roundsNote(result) {
  if (result.rounds === 1) return `one ${result.seconds}-s round`;
  const sorted = [...result.ratios].sort((x, y) => x - y);
  return `median of ${result.rounds} alternating ${result.seconds}-s rounds (${sorted[0].toFixed(2)}–${sorted.at(-1).toFixed(2)})`;
}

function cpuRatio(baseline, measured) {
  if (!baseline.cpuMsPerRequest || !measured.cpuMsPerRequest) return undefined;
  return baseline.cpuMsPerRequest / measured.cpuMsPerRequest;
}
