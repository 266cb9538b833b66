import { MediumContext, startMedium } from '../../test/support/medium';
import { MaintenanceRepository } from './maintenance.repository';

describe(MaintenanceRepository.name, () => {
  let ctx: MediumContext;
  const sut = new MaintenanceRepository();
  const hours = (n: number) => new Date(ctx.clock.nowMs() + n * 3_600_000);
  const stateOf = async (table: string, id: string) => (await ctx.sql<{ state: string }>(`select state from release.${table} where id = ?`, [id]))[0]?.state;

  beforeAll(async () => {
    ctx = await startMedium();
  });

  afterAll(async () => {
    await ctx.close();
  });

  describe('windows', () => {
    it('lists open windows soonest first and past ones (over or cancelled) newest first, since a time and up to a limit', async () => {
      const later = await ctx.newWindow({ startsAt: hours(200), endsAt: hours(201) });
      const sooner = await ctx.newWindow({ startsAt: hours(100), endsAt: hours(101) });
      const running = await ctx.newWindow({ startsAt: hours(-1), endsAt: hours(1) });
      const cancelled = await ctx.newWindow({ startsAt: hours(50), endsAt: hours(51), cancelledAt: hours(-2) });
      const over = await ctx.newWindow({ startsAt: hours(-30), endsAt: hours(-29) });
      const longOver = await ctx.newWindow({ startsAt: hours(-300), endsAt: hours(-299) });
      const now = ctx.clock.now();

      const open = (await sut.openWindows(ctx.em(), now)).map((w) => w.id);
      expect(open).toEqual([running.id, sooner.id, later.id]);

      const past = (await sut.pastWindows(ctx.em(), now, undefined, 10)).map((w) => w.id);
      expect(past).toEqual([cancelled.id, over.id, longOver.id]);
      expect((await sut.pastWindows(ctx.em(), now, hours(-48), 10)).map((w) => w.id)).toEqual([cancelled.id, over.id]);
      expect((await sut.pastWindows(ctx.em(), now, undefined, 1)).map((w) => w.id)).toEqual([cancelled.id]);
      expect((await sut.findWindow(ctx.em(), sooner.id))?.id).toBe(sooner.id);
    });

    it('supersedes only the planned notices of the given window, on the caller transaction', async () => {
      const window = await ctx.newWindow();
      const other = await ctx.newWindow();
      const planned = await ctx.newNotice(window.id, { key: 'reminder-1', type: 'maintenance.reminder' });
      const sent = await ctx.newNotice(window.id, { state: 'sent' });
      const othersPlanned = await ctx.newNotice(other.id);

      await expect(
        ctx.transaction(async (em) => {
          await sut.supersedePlanned(em, window.id);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(await stateOf('maintenance_notice', planned.id)).toBe('planned');

      await ctx.transaction((em) => sut.supersedePlanned(em, window.id));
      expect(await stateOf('maintenance_notice', planned.id)).toBe('superseded');
      expect(await stateOf('maintenance_notice', sent.id)).toBe('sent');
      expect(await stateOf('maintenance_notice', othersPlanned.id)).toBe('planned');
    });
  });

  describe('claimNotice', () => {
    it('hands a planned notice out once and marks the window announced by its announcement, keeping the first time', async () => {
      const window = await ctx.newWindow();
      const notice = await ctx.newNotice(window.id, { type: 'maintenance.announced' });
      const first = ctx.clock.now();

      expect(await ctx.transaction((em) => sut.claimNotice(em, notice.id, first))).toEqual({
        id: notice.id,
        windowId: window.id,
        type: 'maintenance.announced',
      });
      expect(await ctx.transaction((em) => sut.claimNotice(em, notice.id, hours(1)))).toBeUndefined();
      const [row] = await ctx.sql<{ state: string; announced_at: Date }>(
        'select n.state, w.announced_at from release.maintenance_notice n join release.maintenance_window w on w.id = n.window_id where n.id = ?',
        [notice.id],
      );
      expect(row?.state).toBe('sent');
      expect(new Date(row?.announced_at as Date).getTime()).toBe(first.getTime());
    });

    it('does not hand out a superseded notice, and a reminder does not mark the window announced', async () => {
      const window = await ctx.newWindow();
      const superseded = await ctx.newNotice(window.id, { state: 'superseded' });
      const reminder = await ctx.newNotice(window.id, { type: 'maintenance.reminder' });

      expect(await ctx.transaction((em) => sut.claimNotice(em, superseded.id, ctx.clock.now()))).toBeUndefined();
      expect((await ctx.transaction((em) => sut.claimNotice(em, reminder.id, ctx.clock.now())))?.type).toBe('maintenance.reminder');
      const [row] = await ctx.sql<{ announced_at: Date | null }>('select announced_at from release.maintenance_window where id = ?', [window.id]);
      expect(row?.announced_at).toBeNull();
    });

    it('gives one of two parallel claims the notice', async () => {
      const window = await ctx.newWindow();
      const notice = await ctx.newNotice(window.id);
      const claims = await Promise.all([1, 2].map(() => ctx.transaction((em) => sut.claimNotice(em, notice.id, ctx.clock.now()))));
      expect(claims.filter((claim) => claim !== undefined)).toHaveLength(1);
    });
  });

  describe('createDeliveries', () => {
    it('creates one delivery per active subscriber whose environments meet the window, and nothing when repeated', async () => {
      await ctx.sql('update release.maintenance_subscription set removed_at = ? where removed_at is null', [hours(-1)]);
      const window = await ctx.newWindow({ environments: ['prod', 'staging'] });
      const notice = await ctx.newNotice(window.id);
      const all = await ctx.newSubscription();
      const prod = await ctx.newSubscription({ kind: 'webhook', environments: ['prod'] });
      await ctx.newSubscription({ environments: ['dev'] });
      await ctx.newSubscription({ removedAt: hours(-1) });
      const claimed = { id: notice.id, windowId: window.id, type: 'maintenance.announced' as const };

      const created = await ctx.transaction((em) => sut.createDeliveries(em, claimed, ctx.clock.now()));
      const rows = await ctx.sql<{ subscription_id: string }>('select subscription_id from release.notice_delivery where id = any(?::uuid[])', [
        `{${created.join(',')}}`,
      ]);
      expect(rows.map((row) => row.subscription_id).sort()).toEqual([all.id, prod.id].sort());

      expect(await ctx.transaction((em) => sut.createDeliveries(em, claimed, ctx.clock.now()))).toEqual([]);
    });

    it('reaches every active subscriber when the window names no environment', async () => {
      await ctx.sql('update release.maintenance_subscription set removed_at = ? where removed_at is null', [hours(-1)]);
      const window = await ctx.newWindow({ environments: [] });
      const notice = await ctx.newNotice(window.id);
      await ctx.newSubscription({ environments: ['dev'] });
      await ctx.newSubscription({ environments: ['prod'] });
      const created = await ctx.transaction((em) =>
        sut.createDeliveries(em, { id: notice.id, windowId: window.id, type: 'maintenance.announced' }, ctx.clock.now()),
      );
      expect(created).toHaveLength(2);
    });
  });

  describe('deliveries', () => {
    async function delivery(state: 'pending' | 'delivered' | 'dead' = 'pending') {
      const window = await ctx.newWindow();
      const notice = await ctx.newNotice(window.id, { state: 'sent' });
      const subscription = await ctx.newSubscription({ kind: 'webhook' });
      return { window, notice, subscription, delivery: await ctx.newDelivery(notice.id, subscription.id, { state }) };
    }
    const row = async (id: string) =>
      (
        await ctx.sql<{ state: string; attempts: number; last_error: string | null }>(
          'select state, attempts, last_error from release.notice_delivery where id = ?',
          [id],
        )
      )[0];

    it('reads targets with their subscriber and window in one query', async () => {
      const { window, subscription, delivery: d } = await delivery();
      expect(await sut.deliveryTargets(ctx.em(), [])).toEqual([]);
      const [target] = await sut.deliveryTargets(ctx.em(), [d.id]);
      expect(target).toMatchObject({
        id: d.id,
        state: 'pending',
        kind: 'webhook',
        subscriptionId: subscription.id,
        windowId: window.id,
        secretSealed: 'sealed',
      });
      expect(target?.window.id).toBe(window.id);
    });

    it('marks a delivery delivered once, and records failures and death only while it is pending', async () => {
      const { delivery: d } = await delivery();
      await sut.markFailedAttempt(ctx.em(), d.id, 'x'.repeat(1200), ctx.clock.now());
      expect(await row(d.id)).toMatchObject({ state: 'pending', attempts: 1 });
      expect((await row(d.id))?.last_error).toHaveLength(1000);

      await sut.markDelivered(ctx.em(), [d.id], ctx.clock.now());
      await sut.markDelivered(ctx.em(), [d.id], ctx.clock.now());
      expect(await row(d.id)).toMatchObject({ state: 'delivered', attempts: 2, last_error: null });

      await sut.markFailedAttempt(ctx.em(), d.id, 'late', ctx.clock.now());
      await sut.markDead(ctx.em(), d.id);
      expect(await row(d.id)).toMatchObject({ state: 'delivered', attempts: 2 });

      const { delivery: failing } = await delivery();
      await sut.markDead(ctx.em(), failing.id);
      expect(await row(failing.id)).toMatchObject({ state: 'dead' });
    });

    it('reopens dead and delivered deliveries, says when one is still pending, and knows no unknown id', async () => {
      const dead = (await delivery('dead')).delivery;
      const delivered = (await delivery('delivered')).delivery;
      const pending = (await delivery('pending')).delivery;
      expect(await ctx.transaction((em) => sut.reopen(em, dead.id))).toBe('reopened');
      expect(await ctx.transaction((em) => sut.reopen(em, delivered.id))).toBe('reopened');
      expect(await ctx.transaction((em) => sut.reopen(em, pending.id))).toBe('pending');
      expect(await ctx.transaction((em) => sut.reopen(em, '00000000-0000-4000-8000-000000000000'))).toBeUndefined();
      expect(await row(dead.id)).toMatchObject({ state: 'pending' });
    });

    it('filters the ops list by state, window and id, newest first, up to the limit', async () => {
      const a = await delivery('dead');
      ctx.clock.advance(1000);
      const b = await delivery('dead');
      ctx.clock.advance(1000);
      const dead = await sut.deliveries(ctx.em(), { state: 'dead', limit: 100 });
      expect(dead.every((d) => d.state === 'dead')).toBe(true);
      expect(dead.map((d) => d.id).indexOf(b.delivery.id)).toBeLessThan(dead.map((d) => d.id).indexOf(a.delivery.id));
      expect((await sut.deliveries(ctx.em(), { windowId: a.window.id, limit: 100 })).map((d) => d.id)).toEqual([a.delivery.id]);
      const [one] = await sut.deliveries(ctx.em(), { id: b.delivery.id, limit: 1 });
      expect(one).toMatchObject({
        id: b.delivery.id,
        noticeId: b.notice.id,
        subscriptionId: b.subscription.id,
        kind: 'webhook',
        target: `https://hooks.example.test/${b.subscription.id}`,
        attempts: 0,
      });
      expect(await sut.deliveries(ctx.em(), { state: 'dead', limit: 1 })).toHaveLength(1);
    });
  });

  describe('subscriptions', () => {
    it('lists active subscriptions oldest first', async () => {
      await ctx.sql('update release.maintenance_subscription set removed_at = ? where removed_at is null', [hours(-1)]);
      const second = await ctx.newSubscription({ createdAt: hours(-1) });
      const first = await ctx.newSubscription({ createdAt: hours(-2) });
      await ctx.newSubscription({ removedAt: hours(-1) });
      expect((await sut.activeSubscriptions(ctx.em())).map((s) => s.id)).toEqual([first.id, second.id]);
    });

    it('removes a subscription once (soft), keeping its deliveries', async () => {
      const subscription = await ctx.newSubscription();
      const removed = await ctx.transaction((em) => sut.removeSubscription(em, subscription.id, ctx.clock.now()));
      expect(removed?.id).toBe(subscription.id);
      expect(removed?.removedAt?.getTime()).toBe(ctx.clock.nowMs());
      expect(await ctx.transaction((em) => sut.removeSubscription(em, subscription.id, ctx.clock.now()))).toBeUndefined();
    });

    it('erases a subscriber with all its deliveries and answers the row as it was; nothing for an unknown id', async () => {
      const window = await ctx.newWindow();
      const subscription = await ctx.newSubscription();
      for (const type of ['maintenance.announced', 'maintenance.reminder']) {
        const notice = await ctx.newNotice(window.id, { type, state: 'sent' });
        await ctx.newDelivery(notice.id, subscription.id, { state: type === 'maintenance.announced' ? 'delivered' : 'pending' });
      }
      expect((await sut.deliveryHistory(ctx.em(), subscription.id)).map((d) => d['type']).sort()).toEqual(['maintenance.announced', 'maintenance.reminder']);

      const erased = await ctx.transaction((em) => sut.eraseSubscription(em, subscription.id));
      expect(erased?.subscription.id).toBe(subscription.id);
      expect(erased?.deliveries).toBe(2);
      expect(await ctx.sql('select 1 from release.notice_delivery where subscription_id = ?', [subscription.id])).toEqual([]);
      expect(await sut.findSubscription(ctx.em(), subscription.id)).toBeNull();
      expect(await ctx.transaction((em) => sut.eraseSubscription(em, subscription.id))).toBeUndefined();
    });

    it('reads sealed webhook secrets with the row id they were sealed under', async () => {
      const webhook = await ctx.newSubscription({ kind: 'webhook', secretSealed: 'sealed-one' });
      const sealed = await sut.sealedSecrets(ctx.em(), 1000, true);
      expect(sealed).toContainEqual({ context: webhook.id, sealed: 'sealed-one' });
      expect(sealed.every((row) => row.sealed !== null)).toBe(true);
      expect(await sut.sealedSecrets(ctx.em(), 1, false)).toHaveLength(1);
    });
  });
});
