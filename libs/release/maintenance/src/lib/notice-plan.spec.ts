import { checkWindow, planNotices, windowStatus } from './notice-plan';

const H = 3_600_000;
const policy = { leadMs: 72 * H, remindersMs: [24 * H, 1 * H] };
const now = new Date('2026-12-01T08:00:00Z');
const at = (offsetH: number) => new Date(now.getTime() + offsetH * H);

describe(planNotices.name, () => {
  it('announces three days ahead, reminds 24 h and 1 h before, then marks start and end', () => {
    const plan = planNotices({ startsAt: at(100), endsAt: at(102) }, now, policy);
    expect(plan.map((n) => [n.type, n.key, n.dueAt.toISOString()])).toEqual([
      ['maintenance.announced', 'announced', at(28).toISOString()],
      ['maintenance.reminder', `reminder:${24 * H}`, at(76).toISOString()],
      ['maintenance.reminder', `reminder:${1 * H}`, at(99).toISOString()],
      ['maintenance.started', 'started', at(100).toISOString()],
      ['maintenance.completed', 'completed', at(102).toISOString()],
    ]);
  });

  it('announces at once when created exactly at the lead', () => {
    const [announced] = planNotices({ startsAt: at(72), endsAt: at(73) }, now, policy);
    expect(announced!.dueAt).toEqual(now);
  });

  it('drops reminders that would come before the announcement (short notice)', () => {
    const plan = planNotices({ startsAt: at(5), endsAt: at(6) }, now, policy);
    expect(plan.map((n) => n.key)).toEqual(['announced', `reminder:${H}`, 'started', 'completed']);
    expect(plan[0]!.dueAt).toEqual(now);
  });

  it('follows a configured lead and reminders (seconds, for end-to-end tests)', () => {
    const plan = planNotices({ startsAt: new Date(now.getTime() + 10_000), endsAt: new Date(now.getTime() + 12_000) }, now, {
      leadMs: 6_000,
      remindersMs: [2_000, 2_000],
    });
    expect(plan.map((n) => [n.key, n.dueAt.getTime() - now.getTime()])).toEqual([
      ['announced', 4_000],
      ['reminder:2000', 8_000],
      ['started', 10_000],
      ['completed', 12_000],
    ]);
  });
});

describe(checkWindow.name, () => {
  it('accepts a window at least the lead ahead', () => {
    expect(checkWindow({ startsAt: at(72), endsAt: at(74) }, now, policy.leadMs)).toBeUndefined();
  });

  it('refuses a window inside the lead without an emergency reason', () => {
    expect(checkWindow({ startsAt: at(71), endsAt: at(74) }, now, policy.leadMs)).toMatchObject({
      code: 'notice_too_short',
      details: { earliestStart: at(72).toISOString() },
    });
    expect(checkWindow({ startsAt: at(1), endsAt: at(2) }, now, policy.leadMs, '   ')).toMatchObject({ code: 'notice_too_short' });
  });

  it('accepts short notice with an emergency reason', () => {
    expect(checkWindow({ startsAt: at(1), endsAt: at(2) }, now, policy.leadMs, 'CVE-2026-1234 hotfix')).toBeUndefined();
  });

  it('refuses a window that ends before it starts or is already over', () => {
    expect(checkWindow({ startsAt: at(80), endsAt: at(80) }, now, policy.leadMs)).toMatchObject({ code: 'invalid_window' });
    expect(checkWindow({ startsAt: at(-3), endsAt: at(-1) }, now, policy.leadMs, 'x')).toMatchObject({ code: 'invalid_window' });
  });
});

describe(windowStatus.name, () => {
  const window = { startsAt: at(1), endsAt: at(2) };

  it('moves from scheduled to in_progress to completed with the clock', () => {
    expect(windowStatus(window, now)).toBe('scheduled');
    expect(windowStatus(window, at(1))).toBe('in_progress');
    expect(windowStatus(window, at(2))).toBe('completed');
  });

  it('stays cancelled', () => {
    expect(windowStatus({ ...window, cancelledAt: now }, at(1.5))).toBe('cancelled');
  });
});
