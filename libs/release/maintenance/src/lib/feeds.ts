import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import { Feed } from 'feed';
import type { WindowView } from './window-view';

export interface FeedSite {
  /** Public base URL of release-api, e.g. `https://releases.example.com`. */
  baseUrl: string;
  /** Domain part of stable event UIDs (`<window id>@<uidDomain>`). */
  uidDomain: string;
}

/**
 * A subscribable iCalendar feed (RFC 5545): one VEVENT per window with a UID that never
 * changes, SEQUENCE bumped on every change so calendar apps replace rather than duplicate, and
 * STATUS:CANCELLED for cancelled windows. Times are UTC.
 */
export function maintenanceIcs(windows: readonly WindowView[], site: FeedSite): string {
  const calendar = ical({
    name: 'Keyhaven maintenance',
    description: 'Planned maintenance windows and downtime',
    prodId: { company: 'Keyhaven', product: 'release-api', language: 'EN' },
    method: ICalCalendarMethod.PUBLISH,
    url: `${site.baseUrl}/v1/maintenance.ics`,
    ttl: 60 * 15,
  });
  for (const window of windows) {
    calendar.createEvent({
      id: `${window.id}@${site.uidDomain}`,
      sequence: window.sequence,
      start: window.startsAt,
      end: window.endsAt,
      stamp: window.updatedAt,
      created: window.createdAt,
      lastModified: window.updatedAt,
      summary: window.status === 'cancelled' ? `Cancelled: ${window.title}` : window.title,
      description: describe(window),
      status: window.status === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
      url: `${site.baseUrl}/v1/maintenance-windows/${window.id}`,
    });
  }
  return calendar.toString();
}

/** An Atom feed (RFC 4287) of the same windows, newest change first. */
export function maintenanceAtom(windows: readonly WindowView[], site: FeedSite, now: Date): string {
  const feed = new Feed({
    id: `${site.baseUrl}/v1/maintenance.atom`,
    title: 'Keyhaven maintenance',
    description: 'Planned maintenance windows and downtime',
    link: `${site.baseUrl}/v1/maintenance-windows`,
    updated: windows.length ? new Date(Math.max(...windows.map((w) => w.updatedAt.getTime()))) : now,
    copyright: 'Keyhaven',
    feedLinks: { atom: `${site.baseUrl}/v1/maintenance.atom` },
  });
  for (const window of [...windows].sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime())) {
    feed.addItem({
      id: `urn:keyhaven:maintenance:${window.id}:${window.sequence}`,
      title: `${window.status === 'cancelled' ? 'Cancelled: ' : ''}${window.title} (${window.startsAt.toISOString()} – ${window.endsAt.toISOString()})`,
      link: `${site.baseUrl}/v1/maintenance-windows/${window.id}`,
      date: window.updatedAt,
      published: window.createdAt,
      description: describe(window),
      content: describe(window),
    });
  }
  return feed.atom1();
}

function describe(window: WindowView): string {
  const lines = [
    window.description,
    '',
    `When (UTC): ${window.startsAt.toISOString()} – ${window.endsAt.toISOString()}`,
    `Environments: ${window.environments.length ? window.environments.join(', ') : 'all'}`,
    `Status: ${window.status}`,
  ];
  if (window.shortNotice && window.emergencyReason) lines.push(`Short notice: ${window.emergencyReason}`);
  return lines.join('\n');
}
