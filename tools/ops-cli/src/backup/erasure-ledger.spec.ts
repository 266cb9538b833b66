import { ErasureEntry, mergeLedger, openLedger, sealLedger } from './erasure-ledger';

const PASS = 'Zx8vQ2mT7pL4nR9wK3yB6cH1';
const A = '0b0e7c1e-8f4a-4c55-9d3a-2f1c9e6b7a01';
const B = '5d6f0a12-3b4c-4d5e-8f90-a1b2c3d4e5f6';
const S = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';

const entry = (kind: ErasureEntry['kind'], id: string, erasedAt: string): ErasureEntry => ({
  kind,
  id,
  erasedAt,
  ...(kind === 'account' ? { requestedBy: 'admin' as const } : {}),
});

describe('erasure ledger', () => {
  describe(sealLedger.name, () => {
    it('seals ids and times so that only the pass opens them, and opens them whole', async () => {
      const ledger = {
        refreshedAt: '2026-12-01T10:00:00.000Z',
        entries: [entry('account', A, '2026-12-01T09:00:00.000Z'), entry('subscription', S, '2026-12-01T09:30:00.000Z')],
      };
      const text = await sealLedger(ledger, PASS);
      expect(text).toMatch(/^KHLEDG01\.[A-Za-z0-9+/]+=*\n$/);
      expect(text).not.toContain(A);
      expect(await openLedger(text, PASS)).toEqual(ledger);
      await expect(openLedger(text, `${PASS}x`)).rejects.toThrow(/does not open: damaged, truncated, or sealed under another BACKUP_CIPHER_PASS/);
    });

    it('refuses a silently truncated or altered file instead of answering fewer erasures', async () => {
      const text = (
        await sealLedger(
          {
            refreshedAt: '2026-12-01T10:00:00.000Z',
            entries: [entry('account', A, '2026-12-01T09:00:00.000Z'), entry('account', B, '2026-12-01T09:10:00.000Z')],
          },
          PASS,
        )
      ).trim();
      // Cut on a base64 quantum boundary, so the rest still decodes: only the seal can notice.
      await expect(openLedger(text.slice(0, text.length - 40), PASS)).rejects.toThrow(/does not open/);
      const flipped = `${text.slice(0, 30)}${text[30] === 'A' ? 'B' : 'A'}${text.slice(31)}`;
      await expect(openLedger(flipped, PASS)).rejects.toThrow(/does not open/);
      await expect(openLedger('', PASS)).rejects.toThrow(/not a ledger/);
    });
  });

  describe(mergeLedger.name, () => {
    it('keeps every erasure it had even when the database no longer records it, adds new ones, earliest time wins', () => {
      const current = { refreshedAt: '2026-12-01T10:00:00.000Z', entries: [entry('account', A, '2026-12-01T09:00:00.000Z')] };
      const merged = mergeLedger(
        current,
        [
          entry('account', B, '2026-12-01T11:00:00.000Z'),
          entry('subscription', S, '2026-12-01T08:00:00.000Z'),
          entry('account', B, '2026-12-01T12:00:00.000Z'),
        ],
        new Date('2026-12-01T12:30:00Z'),
        undefined,
      );
      expect(merged).toEqual({
        refreshedAt: '2026-12-01T12:30:00.000Z',
        entries: [
          entry('subscription', S, '2026-12-01T08:00:00.000Z'),
          entry('account', A, '2026-12-01T09:00:00.000Z'),
          entry('account', B, '2026-12-01T11:00:00.000Z'),
        ],
      });
    });

    it('drops erasures older than the oldest backup: no restorable state predates them', () => {
      const current = { refreshedAt: null, entries: [entry('account', A, '2026-10-01T09:00:00.000Z'), entry('account', B, '2026-11-20T09:00:00.000Z')] };
      expect(mergeLedger(current, [], new Date('2026-12-01T00:00:00Z'), new Date('2026-11-01T00:00:00Z')).entries).toEqual([
        entry('account', B, '2026-11-20T09:00:00.000Z'),
      ]);
    });
  });
});
