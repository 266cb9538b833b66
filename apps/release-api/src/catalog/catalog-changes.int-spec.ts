import { MediumContext, startMedium } from '../../test/support/medium';
import { ReleaseRepository } from '../releases/release.repository';
import { CatalogChanges } from './catalog-changes';
import { CatalogRepository } from './catalog.repository';

describe(CatalogChanges.name, () => {
  let ctx: MediumContext;
  let sut: CatalogChanges;
  const catalog = new CatalogRepository();
  const releases = new ReleaseRepository();
  const actor = { sub: 'acc-ops', email: 'ops@example.test' };
  const release = (version: string) => ({ version, channel: 'stable', releasedAt: ctx.clock.now() });
  const auditOf = (subject: string) =>
    ctx.sql<{ action: string; sequence: string | null }>('select action, sequence from release.audit_event where subject = ?', [subject]);

  beforeAll(async () => {
    ctx = await startMedium();
    sut = new CatalogChanges(ctx.orm.em, catalog);
  });

  afterAll(async () => {
    await ctx.close();
  });

  it('commits the change, the next sequence and the audit rows (carrying that sequence) together', async () => {
    const before = await catalog.currentSequence(ctx.em());
    const { result, sequence } = await sut.change(actor, async (em) => {
      releases.add(em, release('1.0.0'));
      return { result: 'done', audit: [{ action: 'release.create', subject: '1.0.0' }] };
    });
    expect(result).toBe('done');
    expect(sequence).toBe(before + 1);
    expect(await catalog.currentSequence(ctx.em())).toBe(before + 1);
    expect((await releases.all(ctx.em())).map((r) => r.version)).toContain('1.0.0');
    expect(await auditOf('1.0.0')).toEqual([{ action: 'release.create', sequence: String(before + 1) }]);
  });

  it('commits nothing when the work fails: no row, no sequence, no audit', async () => {
    const before = await catalog.currentSequence(ctx.em());
    await expect(
      sut.change(actor, async (em) => {
        releases.add(em, release('2.0.0'));
        await em.flush();
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await catalog.currentSequence(ctx.em())).toBe(before);
    expect((await releases.all(ctx.em())).map((r) => r.version)).not.toContain('2.0.0');
    expect(await auditOf('2.0.0')).toEqual([]);
  });

  it('hands out sequences in commit order to parallel changes', async () => {
    const before = await catalog.currentSequence(ctx.em());
    const outcomes = await Promise.all(
      ['3.0.0', '3.0.1', '3.0.2'].map((version) =>
        sut.change(actor, async (em) => {
          releases.add(em, release(version));
          return { result: version, audit: [{ action: 'release.create', subject: version }] };
        }),
      ),
    );
    expect(outcomes.map((o) => o.sequence).sort()).toEqual([before + 1, before + 2, before + 3]);
    for (const { result, sequence } of outcomes) expect(await auditOf(result)).toEqual([{ action: 'release.create', sequence: String(sequence) }]);
  });
});
