import { randomUUID } from 'node:crypto';
import { preparedTransaction } from '@keyhaven/database';
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

  describe("in a preparedTransaction (the sign-in step's)", () => {
    const spentRows = async (jti: string) => (await ctx.sql('select 1 from auth.consumed_token where jti = ?', [jti])).length;

    it('commits with the transaction, and a racing spend of the same token waits for it and loses', async () => {
      const account = await ctx.newAccount();
      const jti = randomUUID();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let spentByFirst!: () => void;
      const firstSpent = new Promise<void>((resolve) => (spentByFirst = resolve));
      const first = preparedTransaction(ctx.em(), async (tx) => {
        const spent = await sut.consume(tx, jti, account.id, inFiveMinutes(), ctx.clock.now());
        spentByFirst();
        await held;
        return spent;
      });
      await firstSpent;
      // The first has spent the token and not committed yet: the second waits on its row.
      const second = preparedTransaction(ctx.em(), (tx) => sut.consume(tx, jti, account.id, inFiveMinutes(), ctx.clock.now()));
      setTimeout(release, 50);
      expect(await Promise.all([first, second])).toEqual([true, false]);
      expect(await spentRows(jti)).toBe(1);
    });

    it('rolls back when the work throws, leaving the token unspent, and the connection serves the next caller', async () => {
      const account = await ctx.newAccount();
      const jti = randomUUID();
      const refused = preparedTransaction(ctx.em(), async (tx) => {
        expect(await sut.consume(tx, jti, account.id, inFiveMinutes(), ctx.clock.now())).toBe(true);
        throw new Error('nothing taken');
      });
      await expect(refused).rejects.toThrow('nothing taken');
      expect(await spentRows(jti)).toBe(0);
      for (let i = 0; i < 12; i++)
        expect(await preparedTransaction(ctx.em(), (tx) => sut.consume(tx, randomUUID(), account.id, inFiveMinutes(), ctx.clock.now()))).toBe(true);
      expect(await preparedTransaction(ctx.em(), (tx) => sut.consume(tx, jti, account.id, inFiveMinutes(), ctx.clock.now()))).toBe(true);
    });
  });
});
