import { MediumContext, startMedium } from '../../test/support/medium';
import { Migration20261130150500 } from './Migration20261130150500';

/** The spelling migration against rows the previous release wrote: back down, a row in the old spelling, up again. */
describe(Migration20261130150500.name, () => {
  let ctx: MediumContext;

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  async function run(direction: 'up' | 'down'): Promise<void> {
    const migration = new Migration20261130150500(ctx.orm.em.getDriver(), ctx.orm.config);
    await migration[direction]();
    for (const query of migration.getQueries()) await ctx.sql(String(query));
  }

  it('rewrites enroll-only sessions stored as `enrolment`, leaves the others, and refuses the old spelling afterwards', async () => {
    const account = await ctx.newAccount();
    const access = await ctx.newSession(account.id);
    const enroll = await ctx.newSession(account.id);
    await run('down');
    await ctx.sql("update auth.session set token_use = 'enrolment' where id = ?", [enroll.id]);

    await run('up');

    const rows = await ctx.sql<{ id: string; token_use: string }>('select id, token_use from auth.session where account_id = ? order by id', [account.id]);
    expect(Object.fromEntries(rows.map((row) => [row.id, row.token_use]))).toEqual({ [access.id]: 'access', [enroll.id]: 'enrollment' });
    await expect(ctx.sql("update auth.session set token_use = 'enrolment' where id = ?", [enroll.id])).rejects.toThrow(/session_revoke_check/);
  });
});
