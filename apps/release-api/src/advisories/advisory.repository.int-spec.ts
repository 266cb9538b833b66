import { MediumContext, startMedium } from '../../test/support/medium';
import { AdvisoryFields, AdvisoryRepository } from './advisory.repository';

describe(AdvisoryRepository.name, () => {
  let ctx: MediumContext;
  const sut = new AdvisoryRepository();
  const fields = (title: string): AdvisoryFields & { createdAt: Date } => ({
    aliases: ['CVE-2026-0001', 'GHSA-xxxx-yyyy-zzzz'],
    title,
    summary: 'A summary',
    severityType: 'CVSS_V3',
    severityVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    severityScore: 9.8,
    severityLevel: 'critical',
    knownExploited: true,
    affected: [{ introduced: '1.0.0', fixed: '1.2.0' }],
    fixedIn: ['1.2.0'],
    url: null,
    publishedAt: ctx.clock.now(),
    modifiedAt: ctx.clock.now(),
    withdrawnAt: null,
    createdAt: ctx.clock.now(),
  });

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx.close();
  });

  it('inserts an advisory once: the database decides that it exists, and the first row stays', async () => {
    expect(await ctx.transaction((em) => sut.insertIfAbsent(em, 'KHSA-2026-0001', fields('first')))).toBe(true);
    expect(await ctx.transaction((em) => sut.insertIfAbsent(em, 'KHSA-2026-0001', fields('second')))).toBe(false);
    const [stored] = (await sut.all(ctx.em())).filter((a) => a.id === 'KHSA-2026-0001');
    expect(stored).toMatchObject({
      title: 'first',
      aliases: ['CVE-2026-0001', 'GHSA-xxxx-yyyy-zzzz'],
      fixedIn: ['1.2.0'],
      affected: [{ introduced: '1.0.0', fixed: '1.2.0' }],
      knownExploited: true,
    });
  });

  it('gives one of two parallel inserts of one id the row', async () => {
    const outcomes = await Promise.all(['a', 'b'].map((title) => ctx.transaction((em) => sut.insertIfAbsent(em, 'KHSA-2026-0002', fields(title)))));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
  });

  it('locks and counts on the caller transaction', async () => {
    const count = await sut.count(ctx.em());
    await ctx.transaction(async (em) => {
      sut.add(em, { id: 'KHSA-2026-0003', ...fields('added') });
      await em.flush();
      expect((await sut.lock(em, 'KHSA-2026-0003'))?.title).toBe('added');
    });
    expect(await sut.count(ctx.em())).toBe(count + 1);
    expect(await ctx.transaction((em) => sut.lock(em, 'KHSA-2026-9999'))).toBeNull();
  });
});
