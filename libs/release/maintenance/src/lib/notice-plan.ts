/**
 * When each downtime notice of a maintenance window goes out. Pure: the caller passes the
 * clock's `now`, so tests move time by hand.
 *
 * Plan, Statuspage-style: the announcement at `startsAt − lead` (72 h by default; at once when
 * that moment has passed, i.e. a window created exactly at the lead or an emergency), reminders
 * before the start (24 h and 1 h by default) — only those still ahead of the announcement —
 * then "started" at `startsAt` and "completed" at `endsAt`.
 */
import { formatDuration } from '@keyhaven/config';

export type NoticeType =
  'maintenance.announced' | 'maintenance.reminder' | 'maintenance.rescheduled' | 'maintenance.cancelled' | 'maintenance.started' | 'maintenance.completed';

export interface PlannedNotice {
  type: NoticeType;
  dueAt: Date;
  /** Stable within one revision of a window: `announced`, `reminder:3600000`, `started`, … */
  key: string;
}

export interface NoticePolicy {
  leadMs: number;
  remindersMs: readonly number[];
}

export interface WindowTimes {
  startsAt: Date;
  endsAt: Date;
}

export function planNotices(window: WindowTimes, now: Date, policy: NoticePolicy): PlannedNotice[] {
  const start = window.startsAt.getTime();
  const announceAt = Math.max(now.getTime(), start - policy.leadMs);
  const plan: PlannedNotice[] = [{ type: 'maintenance.announced', dueAt: new Date(announceAt), key: 'announced' }];
  const reminders = [...new Set(policy.remindersMs)].sort((a, b) => b - a);
  for (const before of reminders) {
    const dueAt = start - before;
    // A reminder at or before the announcement would only repeat it.
    if (before > 0 && dueAt > announceAt) {
      plan.push({ type: 'maintenance.reminder', dueAt: new Date(dueAt), key: `reminder:${before}` });
    }
  }
  plan.push({ type: 'maintenance.started', dueAt: new Date(start), key: 'started' });
  plan.push({ type: 'maintenance.completed', dueAt: new Date(window.endsAt.getTime()), key: 'completed' });
  return plan;
}

export type WindowProblem =
  { code: 'invalid_window'; message: string } | { code: 'notice_too_short'; message: string; details: { earliestStart: string; leadMs: number; lead: string } };

/**
 * Checks a new (or rescheduled) window against the notice rule: it must start at least the
 * lead ahead, unless an emergency reason is given; it must end after it starts and not in the past.
 */
export function checkWindow(
  window: WindowTimes,
  now: Date,
  leadMs: number,
  emergencyReason?: string | null,
  /** The lead as configured (`72h`), for the message. */
  leadText = formatDuration(leadMs),
): WindowProblem | undefined {
  if (window.endsAt.getTime() <= window.startsAt.getTime()) {
    return { code: 'invalid_window', message: 'endsAt must be after startsAt.' };
  }
  if (window.endsAt.getTime() <= now.getTime()) {
    return { code: 'invalid_window', message: 'The window would already be over.' };
  }
  const earliest = now.getTime() + leadMs;
  if (window.startsAt.getTime() < earliest && !emergencyReason?.trim()) {
    return {
      code: 'notice_too_short',
      // The lead as the operator wrote it (MAINTENANCE_NOTICE_LEAD=20s → "20s", not "0 h").
      message: `Maintenance must be announced at least ${leadText} ahead: start at ${new Date(earliest).toISOString()} or later, or give an emergencyReason.`,
      details: { earliestStart: new Date(earliest).toISOString(), leadMs, lead: leadText },
    };
  }
  return undefined;
}

export type WindowStatus = 'scheduled' | 'in_progress' | 'completed' | 'cancelled';

/** The state follows the clock on its own; only cancellation is stored. */
export function windowStatus(window: WindowTimes & { cancelledAt?: Date | null }, now: Date): WindowStatus {
  if (window.cancelledAt) return 'cancelled';
  if (now.getTime() < window.startsAt.getTime()) return 'scheduled';
  if (now.getTime() < window.endsAt.getTime()) return 'in_progress';
  return 'completed';
}
