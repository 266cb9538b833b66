import { createHash, randomBytes } from 'node:crypto';
import { MediumContext, startMedium } from '../../test/support/medium';
import { SessionStore } from './session.store';

const hashOf = (text: string) => createHash('sha256').update(text).digest();
const newHash = () => hashOf(randomBytes(16).toString('hex'));

describe(SessionStore.name, () => {
  let ctx: MediumContext;
  const sut = new SessionStore();

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx?.close();
  });

  const idleSince = () => new Date(ctx.clock.nowMs() - 14 * 86_400_000);
  /** One rotation alone, in a statement of its own. */
  const rotate = async (sessionId: string, generation: number, oldHash: Buffer, newHash: Buffer, now: Date, since: Date) =>
    (await sut.rotateMany(ctx.em(), [{ sessionId, generation, oldHash, newHash, now, idleSince: since }]))[0];

  describe('rotateMany, one rotation per statement', () => {
    it('moves a live session to the next generation with the new hash, in one row, and answers what the next token needs', async () => {
      const account = await ctx.newAccount({ roles: ['ops'] });
      const { id } = await ctx.newSession(account.id);
      const next = newHash();
      const live = await rotate(id, 0, hashOf(id), next, ctx.clock.now(), idleSince());
      expect(live).toMatchObject({ id, accountId: account.id, email: account.email, roles: ['ops'], aal: 1, amr: ['pwd'] });
      const [row] = await ctx.sql<{ refresh_generation: number; refresh_hash: Buffer }>(
        'select refresh_generation, refresh_hash from auth.session where id = ?',
        [id],
      );
      expect(row).toEqual({ refresh_generation: 1, refresh_hash: next });
      expect(await sut.refreshGeneration(ctx.em(), id)).toBe(1);
    });

    it('rotates nothing for a wrong generation, a wrong hash, a revoked, idle or ended session', async () => {
      const account = await ctx.newAccount();
      const now = ctx.clock.now();
      const live = await ctx.newSession(account.id);
      expect(await rotate(live.id, 1, hashOf(live.id), newHash(), now, idleSince())).toBeUndefined();
      expect(await rotate(live.id, 0, newHash(), newHash(), now, idleSince())).toBeUndefined();
      const revoked = await ctx.newSession(account.id, { revokedAt: now });
      const idle = await ctx.newSession(account.id, { lastUsedAt: new Date(now.getTime() - 15 * 86_400_000) });
      const ended = await ctx.newSession(account.id, { expiresAt: new Date(now.getTime() - 1) });
      for (const { id } of [revoked, idle, ended]) expect(await rotate(id, 0, hashOf(id), newHash(), now, idleSince())).toBeUndefined();
      // Nothing moved.
      const rows = await ctx.sql<{ refresh_generation: number }>('select refresh_generation from auth.session where account_id = ?', [account.id]);
      expect(rows.map((row) => row.refresh_generation)).toEqual([0, 0, 0, 0]);
    });

    it('lets exactly one of many racing rotations of one token win', async () => {
      const account = await ctx.newAccount();
      const { id } = await ctx.newSession(account.id);
      const results = await Promise.all(Array.from({ length: 8 }, () => rotate(id, 0, hashOf(id), newHash(), ctx.clock.now(), idleSince())));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await sut.refreshGeneration(ctx.em(), id)).toBe(1);
    });
  });

  describe('rotateMany', () => {
    it("rotates many sessions in one statement, each as if alone, answering in the rotations' order", async () => {
      const account = await ctx.newAccount({ roles: ['ops'] });
      const other = await ctx.newAccount();
      const now = ctx.clock.now();
      const [a, b, c] = [await ctx.newSession(account.id), await ctx.newSession(other.id), await ctx.newSession(account.id)];
      const revoked = await ctx.newSession(account.id, { revokedAt: now });
      const rotation = (id: string, generation = 0, oldHash = hashOf(id)) => ({
        sessionId: id,
        generation,
        oldHash,
        newHash: newHash(),
        now,
        idleSince: idleSince(),
      });
      // c, b at a wrong generation, a revoked session, a, a session that does not exist.
      const asked = [rotation(c.id), rotation(b.id, 1), rotation(revoked.id), rotation(a.id), rotation('00000000-0000-4000-8000-000000000000')];
      const answers = await sut.rotateMany(ctx.em(), asked);
      expect(answers.map((answer) => answer?.id)).toEqual([c.id, undefined, undefined, a.id, undefined]);
      expect(answers[0]).toMatchObject({ accountId: account.id, email: account.email, roles: ['ops'] });
      const rows = await ctx.sql<{ id: string; refresh_generation: number; refresh_hash: Buffer }>(
        'select id, refresh_generation, refresh_hash from auth.session where id in (?, ?, ?, ?)',
        [a.id, b.id, c.id, revoked.id],
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      expect(byId.get(a.id)).toMatchObject({ refresh_generation: 1, refresh_hash: asked[3]!.newHash });
      expect(byId.get(c.id)).toMatchObject({ refresh_generation: 1, refresh_hash: asked[0]!.newHash });
      expect(byId.get(b.id)?.refresh_generation).toBe(0);
      expect(byId.get(revoked.id)?.refresh_generation).toBe(0);
    });

    it('answers nothing for an empty batch', async () => {
      expect(await sut.rotateMany(ctx.em(), [])).toEqual([]);
    });
  });

  describe('tokens from before session-bound tokens', () => {
    it('rotates a legacy token into the session row once and then knows it as spent', async () => {
      const account = await ctx.newAccount();
      const { id } = await ctx.newSession(account.id);
      const legacy = hashOf(`legacy-${id}`);
      await ctx.sql('update auth.session set refresh_hash = null where id = ?', [id]);
      await ctx.sql('insert into auth.refresh_token (token_hash, session_id, created_at) values (?, ?, ?)', [legacy, id, ctx.clock.now()]);
      expect(await sut.legacyTokenSession(ctx.em(), legacy)).toEqual({ sessionId: id, generation: 0 });
      expect(await sut.spentTokenSession(ctx.em(), legacy)).toBeUndefined();
      const next = newHash();
      expect(await sut.rotateLegacy(ctx.em(), legacy, id, 0, next, ctx.clock.now(), idleSince())).toMatchObject({ id, accountId: account.id });
      expect(await sut.legacyTokenSession(ctx.em(), legacy)).toBeUndefined();
      expect(await sut.spentTokenSession(ctx.em(), legacy)).toBe(id);
      expect(await sut.rotateLegacy(ctx.em(), legacy, id, 1, newHash(), ctx.clock.now(), idleSince())).toBeUndefined();
      // The session now rotates as a session-bound one.
      expect(await rotate(id, 1, next, newHash(), ctx.clock.now(), idleSince())).toMatchObject({ id });
    });
  });

  describe('revoke, list and what was seen', () => {
    it('revokes the open sessions asked for, keeping one, and answers only those it ended', async () => {
      const account = await ctx.newAccount();
      const other = await ctx.newAccount();
      const [a, b, c] = [await ctx.newSession(account.id), await ctx.newSession(account.id), await ctx.newSession(account.id)];
      const already = await ctx.newSession(account.id, { revokedAt: ctx.clock.now() });
      const foreign = await ctx.newSession(other.id);
      const revoked = await sut.revoke(ctx.em(), account.id, 'revoked_by_user', ctx.clock.now(), { keep: a.id });
      expect(revoked.sort()).toEqual([b.id, c.id].sort());
      expect(await sut.revoke(ctx.em(), account.id, 'signed_out', ctx.clock.now(), { ids: [already.id, foreign.id] })).toEqual([]);
      expect(await sut.isOpen(ctx.em(), a.id, account.id, ctx.clock.now())).toBe(true);
      expect(await sut.isOpen(ctx.em(), b.id, account.id, ctx.clock.now())).toBe(false);
      expect(await sut.isOpen(ctx.em(), foreign.id, account.id, ctx.clock.now())).toBe(false);
      expect((await sut.listOpen(ctx.em(), account.id, ctx.clock.now(), idleSince())).map((row) => row.id)).toEqual([a.id]);
      expect((await sut.revokedSince(ctx.em(), new Date(ctx.clock.nowMs() - 1))).sort()).toEqual(expect.arrayContaining([b.id, c.id, already.id]));
      expect(await sut.ownerOf(ctx.em(), foreign.id)).toBe(other.id);
      expect(await sut.ownerOf(ctx.em(), 'not-a-uuid')).toBeUndefined();
    });

    it('tells whether an account signed in before, and from the same device label and network', async () => {
      const account = await ctx.newAccount();
      const first = await ctx.newSession(account.id, { deviceLabel: 'Firefox on Linux', network: '203.0.113.0/24' });
      const current = await ctx.newSession(account.id, { deviceLabel: 'Safari on iOS', network: null });
      expect(await sut.seenBefore(ctx.em(), account.id, 'Firefox on Linux', '203.0.113.0/24', current.id)).toEqual({ any: true, same: true });
      expect(await sut.seenBefore(ctx.em(), account.id, 'Safari on iOS', undefined, current.id)).toEqual({ any: true, same: false });
      expect(await sut.seenBefore(ctx.em(), account.id, 'Firefox on Linux', '203.0.113.0/24', first.id)).toEqual({ any: true, same: false });
      const lone = await ctx.newAccount();
      const only = await ctx.newSession(lone.id);
      expect(await sut.seenBefore(ctx.em(), lone.id, 'Firefox on Linux', '203.0.113.0/24', only.id)).toEqual({ any: false, same: false });
    });
  });
});
