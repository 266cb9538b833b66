import { MediumContext, startMedium } from '../../test/support/medium';
import { CatalogRepository } from './catalog.repository';

describe(CatalogRepository.name, () => {
  let ctx: MediumContext;
  const sut = new CatalogRepository();
  const actor = { sub: 'acc-ops', email: 'ops@example.test' };

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx.close();
  });

  it('bumps the sequence on the caller transaction: a rolled-back change hands out no number', async () => {
    const start = await sut.currentSequence(ctx.em());
    expect(await ctx.transaction((em) => sut.bumpSequence(em))).toBe(String(start + 1));
    await expect(
      ctx.transaction(async (em) => {
        await sut.bumpSequence(em);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await sut.currentSequence(ctx.em())).toBe(start + 1);
  });

  it('serialises parallel bumps: each gets its own number', async () => {
    const start = await sut.currentSequence(ctx.em());
    const sequences = await Promise.all([1, 2, 3].map(() => ctx.transaction((em) => sut.bumpSequence(em))));
    expect(sequences.map(Number).sort()).toEqual([start + 1, start + 2, start + 3]);
  });

  it('appends audit rows with the flush of the caller and lists them newest first', async () => {
    await ctx.transaction(async (em) => {
      sut.appendAudit(em, actor, [{ action: 'release.create', subject: '1.0.0', after: { version: '1.0.0' } }], '7');
      sut.appendAudit(em, { sub: 'recipient', email: undefined }, [{ action: 'subscription.unsubscribe', subject: 's-1' }]);
      await em.flush();
    });
    const [newest, older] = await sut.audit(ctx.em(), 2);
    expect(newest).toMatchObject({ actorSub: 'recipient', actorEmail: null, action: 'subscription.unsubscribe', sequence: null, before: null, after: null });
    expect(older).toMatchObject({ actorSub: 'acc-ops', actorEmail: 'ops@example.test', action: 'release.create', after: { version: '1.0.0' } });
    expect(Number(older?.sequence)).toBe(7);
  });

  it('answers the subjects of some actions with the time of their first row, optionally one subject', async () => {
    await ctx.transaction(async (em) => {
      sut.appendAudit(em, actor, [
        { action: 'subscription.erase', subject: 'sub-a' },
        { action: 'subscription.unsubscribe', subject: 'sub-b' },
        { action: 'subscription.create', subject: 'sub-c' },
      ]);
      await em.flush();
    });
    const subjects = await sut.auditedSubjects(ctx.em(), ['subscription.erase', 'subscription.unsubscribe']);
    expect(subjects.map((row) => row.subject)).toEqual(expect.arrayContaining(['sub-a', 'sub-b']));
    expect(subjects.map((row) => row.subject)).not.toContain('sub-c');
    expect(subjects.every((row) => row.at instanceof Date)).toBe(true);
    expect((await sut.auditedSubjects(ctx.em(), ['subscription.erase', 'subscription.unsubscribe'], 'sub-b')).map((row) => row.subject)).toEqual(['sub-b']);
  });

  it('pseudonymises an operator in every row of theirs once', async () => {
    await ctx.transaction(async (em) => {
      sut.appendAudit(em, { sub: 'acc-gone', email: 'gone@example.test' }, [
        { action: 'release.create', subject: '2.0.0' },
        { action: 'release.update', subject: '2.0.0' },
      ]);
      await em.flush();
    });
    expect(await sut.pseudonymiseActor(ctx.em(), 'acc-gone', 'erased-1')).toBe(2);
    expect(await sut.pseudonymiseActor(ctx.em(), 'acc-gone', 'erased-1')).toBe(0);
    expect(await ctx.sql('select distinct actor_email from release.audit_event where actor_sub = ?', ['acc-gone'])).toEqual([{ actor_email: 'erased-1' }]);
  });
});
