import { sync as ical, VEvent } from 'node-ical';
import { maintenanceAtom, maintenanceIcs } from './feeds';
import type { WindowView } from './window-view';

const site = { baseUrl: 'https://releases.example.test', uidDomain: 'releases.example.test' };

function newWindow(overrides: Partial<WindowView> = {}): WindowView {
  return {
    id: '5b0c6a1e-0000-4000-8000-000000000001',
    title: 'Database upgrade',
    description: 'PostgreSQL 17 upgrade; API read-only.',
    startsAt: new Date('2026-12-10T22:00:00Z'),
    endsAt: new Date('2026-12-11T00:30:00Z'),
    environments: ['production'],
    status: 'scheduled',
    sequence: 0,
    shortNotice: false,
    emergencyReason: null,
    createdAt: new Date('2026-12-01T09:00:00Z'),
    updatedAt: new Date('2026-12-01T09:00:00Z'),
    ...overrides,
  };
}

function events(ics: string): VEvent[] {
  return Object.values(ical.parseICS(ics)).filter((item): item is VEvent => item?.type === 'VEVENT');
}

describe(maintenanceIcs.name, () => {
  it('is read by an independent parser with stable UIDs, sequences and UTC times', () => {
    const ics = maintenanceIcs([newWindow(), newWindow({ id: '5b0c6a1e-0000-4000-8000-000000000002', title: 'Network', sequence: 3, environments: [] })], site);
    const parsed = events(ics);
    expect(parsed.map((e) => [e.uid, e.sequence, e.summary, e.status])).toEqual([
      ['5b0c6a1e-0000-4000-8000-000000000001@releases.example.test', 0, 'Database upgrade', 'CONFIRMED'],
      ['5b0c6a1e-0000-4000-8000-000000000002@releases.example.test', 3, 'Network', 'CONFIRMED'],
    ]);
    expect(parsed[0]!.start.toISOString()).toBe('2026-12-10T22:00:00.000Z');
    expect(parsed[0]!.end!.toISOString()).toBe('2026-12-11T00:30:00.000Z');
    expect(ics).toContain('DTSTART:20261210T220000Z');
    expect(ics).toContain('METHOD:PUBLISH');
  });

  it('marks a cancelled window CANCELLED under the same UID with a higher sequence', () => {
    const [event] = events(maintenanceIcs([newWindow({ status: 'cancelled', sequence: 2 })], site));
    expect(event).toMatchObject({ uid: '5b0c6a1e-0000-4000-8000-000000000001@releases.example.test', sequence: 2, status: 'CANCELLED' });
  });

  it('says which environments are affected and why a window came at short notice', () => {
    const [event] = events(maintenanceIcs([newWindow({ shortNotice: true, emergencyReason: 'CVE-2026-0001 hotfix' })], site));
    expect(String(event!.description)).toContain('Environments: production');
    expect(String(event!.description)).toContain('Short notice: CVE-2026-0001 hotfix');
  });
});

describe(maintenanceAtom.name, () => {
  it('lists one entry per window revision, newest change first', () => {
    const atom = maintenanceAtom(
      [newWindow(), newWindow({ id: 'w2', title: 'Network', sequence: 1, updatedAt: new Date('2026-12-02T10:00:00Z') })],
      site,
      new Date('2026-12-03T00:00:00Z'),
    );
    expect(atom).toMatch(/^<\?xml/);
    expect(atom).toContain('<feed xmlns="http://www.w3.org/2005/Atom">');
    const ids = [...atom.matchAll(/<id>(urn:keyhaven:[^<]+)<\/id>/g)].map((m) => m[1]);
    expect(ids).toEqual(['urn:keyhaven:maintenance:w2:1', 'urn:keyhaven:maintenance:5b0c6a1e-0000-4000-8000-000000000001:0']);
    expect(atom).toContain('<updated>2026-12-02T10:00:00.000Z</updated>');
  });
});
