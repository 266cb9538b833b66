import { isTimeZone, noticeEmail, webhookBody } from './notice-message';
import type { WindowView } from './window-view';

const window: WindowView = {
  id: 'w1',
  title: 'Database upgrade',
  description: 'PostgreSQL 17; read-only API.',
  startsAt: new Date('2026-12-10T22:00:00Z'),
  endsAt: new Date('2026-12-11T00:30:00Z'),
  environments: ['production', 'eu'],
  status: 'scheduled',
  sequence: 1,
  shortNotice: true,
  emergencyReason: 'CVE-2026-0001 hotfix',
  createdAt: new Date('2026-12-01T00:00:00Z'),
  updatedAt: new Date('2026-12-02T00:00:00Z'),
};

describe(webhookBody.name, () => {
  it('carries the delivery id, type, window and send time', () => {
    expect(JSON.parse(webhookBody('d1', 'maintenance.reminder', window, new Date('2026-12-09T22:00:00Z')))).toEqual({
      id: 'd1',
      type: 'maintenance.reminder',
      sentAt: '2026-12-09T22:00:00.000Z',
      window: {
        id: 'w1',
        title: 'Database upgrade',
        description: 'PostgreSQL 17; read-only API.',
        startsAt: '2026-12-10T22:00:00.000Z',
        endsAt: '2026-12-11T00:30:00.000Z',
        environments: ['production', 'eu'],
        status: 'scheduled',
        sequence: 1,
        shortNotice: true,
        emergencyReason: 'CVE-2026-0001 hotfix',
      },
    });
  });
});

describe(noticeEmail.name, () => {
  const links = {
    eventUrl: 'https://r.example/v1/maintenance-windows/w1/event.ics',
    feedUrl: 'https://r.example/v1/maintenance.ics',
    unsubscribeUrl: 'https://r.example/v1/subscriptions/s1/unsubscribe?token=t',
    dataUrl: 'https://r.example/v1/subscriptions/s1/data?token=d',
  };

  it("gives times in UTC and in the subscriber's zone, the environments, the reason and the calendar links", () => {
    const { subject, text } = noticeEmail('maintenance.announced', window, { timeZone: 'Europe/Berlin', ...links });
    expect(subject).toBe('[Planned maintenance] Database upgrade — 2026-12-10 22:00 UTC');
    expect(text).toContain('Thursday, 10 December 2026 at 22:00 UTC / Thursday, 10 December 2026 at 23:00 CET');
    expect(text).toContain('Environments: production, eu');
    expect(text).toContain('Why at short notice: CVE-2026-0001 hotfix');
    expect(text).toContain('Add it to your calendar: https://r.example/v1/maintenance-windows/w1/event.ics');
    expect(text).toContain('Subscribe to all maintenance windows: https://r.example/v1/maintenance.ics');
  });

  it('offers a way out: a visible link and one-click unsubscribe headers (RFC 8058)', () => {
    const { text, headers } = noticeEmail('maintenance.reminder', window, links);
    expect(text).toContain('Unsubscribe: https://r.example/v1/subscriptions/s1/unsubscribe?token=t');
    expect(text).toContain('What we store about this subscription: https://r.example/v1/subscriptions/s1/data?token=d');
    expect(headers).toEqual({
      'List-Unsubscribe': '<https://r.example/v1/subscriptions/s1/unsubscribe?token=t>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'Auto-Submitted': 'auto-generated',
    });
  });

  it('falls back to UTC alone for an unknown zone and says when it is cancelled', () => {
    const { text } = noticeEmail('maintenance.cancelled', window, { timeZone: 'Mars/Olympus', ...links });
    expect(text).toContain('Starts: Thursday, 10 December 2026 at 22:00 UTC\n');
    expect(text).toContain('This maintenance will not take place.');
  });
});

describe(isTimeZone.name, () => {
  it('knows IANA zones', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Nowhere/Else')).toBe(false);
  });
});
