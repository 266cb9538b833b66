import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { Reflector } from '@nestjs/core';
import { SkipThrottle, Throttle, ThrottlerException, ThrottlerGuard, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { LaneThrottlerGuard } from './lane-throttler';
import { SlidingLogThrottlerStorage } from './throttler-storage';

class Controller {
  plain(): string {
    return 'plain';
  }
  @Throttle({ burst: { limit: 2, ttl: 60_000 } })
  limited(): string {
    return 'limited';
  }
  @SkipThrottle({ burst: true })
  skipped(): string {
    return 'skipped';
  }
  @Throttle({ burst: { limit: () => 1, ttl: 60_000 } })
  resolved(): string {
    return 'resolved';
  }
}

const options: ThrottlerModuleOptions = { throttlers: [{ name: 'burst', ttl: 60_000, limit: 3 }] };

/** One request from `ip` to `method`: what the guard answered, the headers it set, and a refusal's message. */
async function request(guard: ThrottlerGuard, method: keyof Controller, ip: string) {
  const headers: Record<string, string | number> = {};
  const res = { header: (name: string, value: string | number) => (headers[name] = value) };
  const context = new ExecutionContextHost([{ ip, headers: {} }, res], Controller, Controller.prototype[method]);
  try {
    return { allowed: await guard.canActivate(context), headers };
  } catch (error) {
    if (error instanceof ThrottlerException) return { allowed: 'refused' as const, headers, message: error.message };
    throw error;
  }
}

/** The same request through `canActivateNow`: its answer (undefined: it cannot decide at once), the headers, the exception's message. */
function requestNow(guard: LaneThrottlerGuard, method: keyof Controller, ip: string) {
  const headers: Record<string, string | number> = {};
  const res = { header: (name: string, value: string | number) => (headers[name] = value) };
  const context = new ExecutionContextHost([{ ip, headers: {} }, res], Controller, Controller.prototype[method]);
  try {
    const allowed = guard.canActivateNow(context);
    return allowed === undefined ? undefined : { allowed, headers };
  } catch (error) {
    if (error instanceof ThrottlerException) return { allowed: 'refused' as const, headers, message: error.message };
    throw error;
  }
}

async function guards(extra: Partial<ThrottlerModuleOptions> = {}) {
  const both = [];
  for (const Guard of [ThrottlerGuard, LaneThrottlerGuard]) {
    const storage = new SlidingLogThrottlerStorage();
    const guard = new Guard({ ...(options as object), ...extra } as ThrottlerModuleOptions, storage, new Reflector());
    await guard.onModuleInit();
    both.push({ guard, storage });
  }
  return both;
}

describe(LaneThrottlerGuard.name, () => {
  const stores: SlidingLogThrottlerStorage[] = [];
  afterEach(() => stores.splice(0).forEach((storage) => storage.onModuleDestroy()));

  it.each(['plain', 'limited', 'skipped', 'resolved'] as const)('answers a %s route exactly as ThrottlerGuard does, request by request', async (method) => {
    const [library, lane] = await guards();
    stores.push(library!.storage, lane!.storage);
    const sequence = ['198.51.100.7', '198.51.100.7', '198.51.100.7', '198.51.100.7', '203.0.113.9', '198.51.100.7'];
    const seen = { library: [] as unknown[], lane: [] as unknown[] };
    for (const ip of sequence) {
      seen.library.push(await request(library!.guard, method, ip));
      seen.lane.push(await request(lane!.guard, method, ip));
    }
    expect(seen.lane).toEqual(seen.library);
    // Each route's limit is the one its metadata gives: a 429 comes after the limit, none when skipped.
    const refusedAt = seen.lane.findIndex((answer) => (answer as { allowed: unknown }).allowed === 'refused');
    expect(refusedAt).toBe({ plain: 3, limited: 2, skipped: -1, resolved: 1 }[method]);
  });

  it.each(['plain', 'limited', 'skipped'] as const)(
    'decides a %s route at once exactly as ThrottlerGuard does, request by request (IPv6 by its /64, as the library counts)',
    async (method) => {
      const [library, lane] = await guards({ errorMessage: 'Slow down.' } as Partial<ThrottlerModuleOptions>);
      stores.push(library!.storage, lane!.storage);
      const sequence = [
        '198.51.100.7',
        '2001:db8:1:2::1',
        '198.51.100.7',
        '2001:db8:1:2::ffff',
        '198.51.100.7',
        '2001:db8:1:3::1',
        '198.51.100.7',
        '2001:db8:1:2::9',
      ];
      const seen = { library: [] as unknown[], lane: [] as unknown[] };
      for (const ip of sequence) {
        seen.library.push(await request(library!.guard, method, ip));
        seen.lane.push(requestNow(lane!.guard as LaneThrottlerGuard, method, ip));
      }
      expect(seen.lane).toEqual(seen.library);
      const refused = seen.lane.filter((answer) => (answer as { allowed: unknown }).allowed === 'refused');
      // 198.51.100.7 four times; the three addresses of 2001:db8:1:2::/64 count as one caller (three hits), 2001:db8:1:3::1 apart.
      expect(refused.length).toBe({ plain: 1, limited: 3, skipped: 0 }[method]);
      if (refused.length > 0) expect(refused[0]).toMatchObject({ message: 'Slow down.', headers: { 'Retry-After-burst': expect.any(Number) } });
    },
  );

  it('does not decide at once what the library decides by a function or another storage: canActivateNow answers undefined', async () => {
    const [, lane] = await guards();
    stores.push(lane!.storage);
    // A limit resolved per request.
    expect(requestNow(lane!.guard as LaneThrottlerGuard, 'resolved', '192.0.2.1')).toBeUndefined();
    for (const extra of [{ getTracker: () => 'everyone' }, { ignoreUserAgents: [/bot/] }, { errorMessage: () => 'computed' }, { skipIf: () => false }]) {
      const [, other] = await guards(extra as Partial<ThrottlerModuleOptions>);
      stores.push(other!.storage);
      expect(requestNow(other!.guard as LaneThrottlerGuard, 'plain', '192.0.2.1')).toBeUndefined();
    }
    // A storage that only counts with a promise (the library's own interface).
    const promised = { increment: (...args: Parameters<SlidingLogThrottlerStorage['increment']>) => lane!.storage.increment(...args) };
    const guard = new LaneThrottlerGuard(options, promised, new Reflector());
    await guard.onModuleInit();
    expect(requestNow(guard, 'plain', '192.0.2.1')).toBeUndefined();
  });

  it('takes the library path per request when a throttler skips by a function', async () => {
    const skipIf = jest.fn((context: { switchToHttp(): { getRequest(): { ip: string } } }) => context.switchToHttp().getRequest().ip === '192.0.2.1');
    const [library, lane] = await guards({ skipIf } as Partial<ThrottlerModuleOptions>);
    stores.push(library!.storage, lane!.storage);
    for (let i = 0; i < 5; i += 1) {
      expect(await request(lane!.guard, 'plain', '192.0.2.1')).toEqual({ allowed: true, headers: {} });
      expect(await request(lane!.guard, 'plain', '192.0.2.2')).toEqual(await request(library!.guard, 'plain', '192.0.2.2'));
    }
    expect(skipIf).toHaveBeenCalledTimes(15);
  });
});
