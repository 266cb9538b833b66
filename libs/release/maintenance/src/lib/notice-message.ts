import type { NoticeType } from './notice-plan';
import { windowJson, WindowView } from './window-view';

/** The webhook body of one delivery, per the contract: `{ id, type, window, sentAt }`. */
export function webhookBody(deliveryId: string, type: NoticeType, window: WindowView, sentAt: Date): string {
  return JSON.stringify({ id: deliveryId, type, window: windowJson(window), sentAt: sentAt.toISOString() });
}

const HEADLINE: Record<NoticeType, string> = {
  'maintenance.announced': 'Planned maintenance',
  'maintenance.reminder': 'Reminder: maintenance',
  'maintenance.rescheduled': 'Rescheduled maintenance',
  'maintenance.cancelled': 'Cancelled maintenance',
  'maintenance.started': 'Maintenance started',
  'maintenance.completed': 'Maintenance completed',
};

function formatIn(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(date);
}

/** Is this an IANA time zone the runtime knows (e.g. `Europe/Berlin`)? */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export interface EmailOptions {
  /** The subscriber's IANA time zone; UTC is always shown as well. */
  timeZone?: string | null;
  /** This window as an iCalendar event (same UID and SEQUENCE as in the feed). */
  eventUrl: string;
  /** The whole maintenance calendar, to subscribe to. */
  feedUrl: string;
  /** Leaves the subscription: shown in the text and offered as RFC 8058 one-click unsubscribe. */
  unsubscribeUrl: string;
  /** What is stored about this subscription (GDPR Art. 15), as JSON: shown next to the unsubscribe link. */
  dataUrl: string;
}

export interface NoticeEmail {
  subject: string;
  text: string;
  headers: Record<string, string>;
}

/**
 * The mail one subscriber receives: times in UTC and in their zone, environments, reason,
 * calendar links, and a way out (a visible link, and `List-Unsubscribe` headers so mail clients
 * offer their own unsubscribe button).
 */
export function noticeEmail(type: NoticeType, window: WindowView, options: EmailOptions): NoticeEmail {
  const zone = options.timeZone && options.timeZone !== 'UTC' && isTimeZone(options.timeZone) ? options.timeZone : undefined;
  const when = (date: Date) => (zone ? `${formatIn(date, 'UTC')} / ${formatIn(date, zone)}` : formatIn(date, 'UTC'));
  const lines = [
    `${HEADLINE[type]}: ${window.title}`,
    '',
    window.description,
    '',
    `Starts: ${when(window.startsAt)}`,
    `Ends:   ${when(window.endsAt)}`,
    `Environments: ${window.environments.length ? window.environments.join(', ') : 'all'}`,
  ];
  if (window.shortNotice && window.emergencyReason) lines.push(`Why at short notice: ${window.emergencyReason}`);
  if (type === 'maintenance.cancelled') lines.push('', 'This maintenance will not take place.');
  lines.push(
    '',
    `Add it to your calendar: ${options.eventUrl}`,
    `Subscribe to all maintenance windows: ${options.feedUrl}`,
    '',
    '— Keyhaven release service',
    `You receive this because this address is subscribed to maintenance notices. Unsubscribe: ${options.unsubscribeUrl}`,
    `What we store about this subscription: ${options.dataUrl}`,
  );
  return {
    subject: `[${HEADLINE[type]}] ${window.title} — ${window.startsAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    text: lines.join('\n'),
    headers: {
      'List-Unsubscribe': `<${options.unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      // RFC 3834: automatic mail; out-of-office responders stay quiet.
      'Auto-Submitted': 'auto-generated',
    },
  };
}
