import { readErasureRecords } from './boot';

const A = '0b0e7c1e-8f4a-4c55-9d3a-2f1c9e6b7a01';
const S = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';

describe(readErasureRecords.name, () => {
  it('hands a service only its own kinds, times normalised', () => {
    const text = JSON.stringify({
      erasures: [
        { kind: 'account', id: A.toUpperCase(), erasedAt: '2026-12-01T10:00:00+01:00', requestedBy: 'self' },
        { kind: 'subscription', id: S, erasedAt: '2026-12-01T09:00:00Z' },
      ],
    });
    expect(readErasureRecords(text, ['account'])).toEqual([{ kind: 'account', id: A, erasedAt: '2026-12-01T09:00:00.000Z', requestedBy: 'self' }]);
    expect(readErasureRecords(text, ['subscription'])).toEqual([{ kind: 'subscription', id: S, erasedAt: '2026-12-01T09:00:00.000Z' }]);
  });

  it('refuses the whole input when one record is malformed: nothing is applied half', () => {
    expect(() => readErasureRecords(JSON.stringify({ erasures: [{ kind: 'account', id: A, erasedAt: 'yesterday' }] }), ['account'])).toThrow(
      /not an erasure record/,
    );
    expect(() => readErasureRecords(JSON.stringify({ erasures: [{ kind: 'account', id: 'x', erasedAt: '2026-12-01T09:00:00Z' }] }), ['account'])).toThrow(
      /not an erasure record/,
    );
    expect(() => readErasureRecords('{}', ['account'])).toThrow(/expected \{"erasures"/);
  });
});
