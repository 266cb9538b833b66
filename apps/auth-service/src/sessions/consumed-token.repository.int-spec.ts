import { randomUUID } from 'node:crypto';
import { MediumContext, startMedium } from '../../test/support/medium';
import { ConsumedTokenRepository } from './consumed-token.repository';

describe(ConsumedTokenRepository.name, () => {
  let ctx: MediumContext;
  const sut = new ConsumedTokenRepository();

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  const inFiveMinutes = () => new Date(ctx.clock.nowMs() + 5 * 60_000);

  it('spends a token once: the first caller gets true, every later one false', async () => {
    const account = await ctx.newAccount();
    const jti = randomUUID();
    expect(await sut.consume(ctx.em(), jti, account.id, inFiveMinutes(), ctx.clock.now())).toBe(true);
    expect(await sut.consume(ctx.em(), jti, account.id, inFiveMinutes(), ctx.clock.now())).toBe(false);
  });

  it('lets exactly one of many racing spends of one token win', async () => {
    const account = await ctx.newAccount();
    const jti = randomUUID();
    const results = await Promise.all(Array.from({ length: 10 }, () => sut.consume(ctx.em(), jti, account.id, inFiveMinutes(), ctx.clock.now())));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('prunes expired rows as it goes, a bounded batch per call, and keeps the unexpired', async () => {
    const account = await ctx.newAccount();
    const now = ctx.clock.now();
    await ctx.sql(
      `insert into auth.consumed_token (jti, account_id, expires_at) select gen_random_uuid(), ?, ?::timestamptz - interval '1 minute' from generate_series(1, 150)`,
      [account.id, now],
    );
    const live = randomUUID();
    expect(await sut.consume(ctx.em(), live, account.id, inFiveMinutes(), now)).toBe(true);
    const count = async () =>
      Number((await ctx.sql<{ n: string }>('select count(*) as n from auth.consumed_token where account_id = ? and expires_at < ?', [account.id, now]))[0]!.n);
    expect(await count()).toBe(50); // 100 at a time
    await sut.consume(ctx.em(), randomUUID(), account.id, inFiveMinutes(), now);
    expect(await count()).toBe(0);
    expect(await ctx.sql('select 1 from auth.consumed_token where jti = ?', [live])).toHaveLength(1);
  });
});
