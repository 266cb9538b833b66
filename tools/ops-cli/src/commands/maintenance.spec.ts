import { formatTable } from '../cli/table';
import { DELIVERY_COLUMNS, describeWindow, MaintenanceWindow, NoticeDelivery, WINDOW_COLUMNS } from './maintenance';

function setup() {
  return {
    ctx: {
      newWindow: (overrides: Partial<MaintenanceWindow> = {}): MaintenanceWindow => ({
        id: '0b7f3c1e-2d4a-4f7b-9c1d-5e6f7a8b9c0d',
        title: 'Database upgrade',
        description: 'Sign-in is unavailable for up to 30 minutes.',
        startsAt: '2026-12-05T02:00:00.000Z',
        endsAt: '2026-12-05T04:00:00.000Z',
        environments: [],
        status: 'scheduled',
        sequence: 1,
        shortNotice: false,
        emergencyReason: null,
        ...overrides,
      }),
      newDelivery: (overrides: Partial<NoticeDelivery> = {}): NoticeDelivery => ({
        id: '9a8b7c6d-0000-4000-8000-000000000001',
        state: 'dead',
        attempts: 8,
        lastError: 'HTTP 503 Service Unavailable',
        lastAttemptAt: '2026-12-02T02:00:12.000Z',
        type: 'maintenance.announced',
        windowId: 'w-1',
        subscriptionId: 's-0',
        target: 'https://status.example.com/hooks/keyhaven',
        ...overrides,
      }),
    },
  };
}

describe('maintenance tables', () => {
  it('lists windows with UTC times, "all" for no environments and the short-notice flag', () => {
    const { ctx } = setup();
    const text = formatTable(WINDOW_COLUMNS, [
      ctx.newWindow(),
      ctx.newWindow({ id: 'w-2', environments: ['production', 'eu'], shortNotice: true, status: 'in_progress', sequence: 3, title: 'Certificate renewal' }),
    ]);
    expect(text).toBe(
      [
        'ID                                    STATUS       STARTS (UTC)      ENDS (UTC)        ENVIRONMENTS   SHORT NOTICE  SEQ  TITLE',
        '0b7f3c1e-2d4a-4f7b-9c1d-5e6f7a8b9c0d  scheduled    2026-12-05 02:00  2026-12-05 04:00  all            no              1  Database upgrade',
        'w-2                                   in_progress  2026-12-05 02:00  2026-12-05 04:00  production,eu  yes             3  Certificate renewal',
        '',
      ].join('\n'),
    );
  });

  it('lists deliveries with the notice type, the receiver and the last error', () => {
    const { ctx } = setup();
    const text = formatTable(DELIVERY_COLUMNS, [
      ctx.newDelivery(),
      ctx.newDelivery({ id: 'd-2', state: 'delivered', attempts: 1, lastError: null, target: null, subscriptionId: 's-1', type: 'maintenance.reminder' }),
    ]);
    expect(text.split('\n')).toEqual([
      'ID                                    STATE      NOTICE     WINDOW  TO                                         ATTEMPTS  LAST ATTEMPT (UTC)   LAST ERROR',
      '9a8b7c6d-0000-4000-8000-000000000001  dead       announced  w-1     https://status.example.com/hooks/keyhaven         8  2026-12-02 02:00:12  HTTP 503 Service Unavailable',
      'd-2                                   delivered  reminder   w-1     s-1                                               1  2026-12-02 02:00:12  -',
      '',
    ]);
  });
});

describe(describeWindow.name, () => {
  it('shows times in UTC, the environments and the description', () => {
    const { ctx } = setup();
    expect(describeWindow(ctx.newWindow({ announcedAt: null }))).toBe(
      [
        '0b7f3c1e-2d4a-4f7b-9c1d-5e6f7a8b9c0d: Database upgrade',
        '  status:        scheduled (revision 1)',
        '  starts:        2026-12-05 02:00 UTC',
        '  ends:          2026-12-05 04:00 UTC',
        '  environments:  all',
        '  short notice:  no',
        '  announced:     not yet',
        '',
        'Sign-in is unavailable for up to 30 minutes.',
      ].join('\n'),
    );
  });

  it('shows the emergency reason and the cancellation', () => {
    const { ctx } = setup();
    const text = describeWindow(
      ctx.newWindow({
        shortNotice: true,
        emergencyReason: 'CA revoked the certificate',
        status: 'cancelled',
        cancelledAt: '2026-12-01T08:00:00Z',
        cancelReason: 'Postponed',
      }),
    );
    expect(text).toContain('  short notice:  yes — CA revoked the certificate');
    expect(text).toContain('  cancelled:     2026-12-01 08:00 UTC — Postponed');
    expect(text).not.toContain('announced:');
  });
});
