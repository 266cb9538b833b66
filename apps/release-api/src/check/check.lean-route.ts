import type { IncomingHttpHeaders } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LeanRoute } from '@keyhaven/http';
import { CheckService, type PreparedCheck } from './check.service';
import { CheckQueryDto } from './dto/check-query.dto';

/** The largest value of each CheckQueryDto field (its @MaxLength). */
const QUERY_LIMITS: ReadonlyMap<string, number> = new Map([
  ['version', 256],
  ['channel', 64],
  ['edition', 64],
  ['environment', 64],
]);

/**
 * `GET /v1/check` on the lean lane (see `LeanRoute`): every installation polls it, and its warm
 * answer is a cached signed buffer, so per request there is the query check, a map lookup, a
 * count and the write — synchronously, no promise. Does what `CheckController.check` does.
 */
export function checkLeanRoute(app: NestFastifyApplication): LeanRoute {
  const checks = app.get(CheckService);
  // The lane hands `atOnce` the same (frozen) query object for the same URL (see LeanRoute.atOnce),
  // so the query is read and checked once per kind of URL, not per request.
  const prepared = new WeakMap<object, PreparedCheck>();
  const route: LeanRoute<CheckQueryDto> = {
    method: 'GET',
    path: '/v1/check',
    dto: CheckQueryDto,
    accept: (query): query is CheckQueryDto => isPlainCheckQuery(query),
    // A cached answer is sent at once (no promise, see LeanRoute); a miss waits for its signature.
    handle: (query, request) => {
      const ifNoneMatch = ifNoneMatchOf(request.headers);
      return checks.respondCached(query, ifNoneMatch) ?? checks.respond(query, ifNoneMatch);
    },
    // Ahead of Fastify (see LeanRoute.atOnce): a cached answer to a query `accept` accepts.
    atOnce: (query, headers) => {
      let check = prepared.get(query);
      if (!check) prepared.set(query, (check = checks.prepare(query)));
      return checks.respondPrepared(check, ifNoneMatchOf(headers));
    },
  };
  return route as LeanRoute;
}

function ifNoneMatchOf(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['if-none-match'];
  return typeof header === 'string' ? header : undefined;
}

/** Only known fields, each given once as a string within its limit: what CheckQueryDto accepts as is. */
function isPlainCheckQuery(query: unknown): query is CheckQueryDto {
  if (typeof query !== 'object' || query === null) return false;
  for (const [key, value] of Object.entries(query)) {
    // A Map: `constructor` or `__proto__` must not find a limit on Object.prototype.
    const limit = QUERY_LIMITS.get(key);
    if (limit === undefined || typeof value !== 'string' || value.length > limit) return false;
  }
  return true;
}
