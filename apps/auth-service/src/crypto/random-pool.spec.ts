import { RandomPool } from './random-pool';

describe(RandomPool.name, () => {
  it('hands out every byte once: no two draws repeat, and the block keeps nothing it handed out', () => {
    const pool = new RandomPool(64);
    const seen = new Set<string>();
    for (let i = 0; i < 100; i += 1) {
      const target = Buffer.alloc(40);
      pool.fill(target, 4, 32);
      expect(target.subarray(0, 4)).toEqual(Buffer.alloc(4));
      expect(target.subarray(36)).toEqual(Buffer.alloc(4));
      const drawn = target.subarray(4, 36).toString('hex');
      expect(drawn).not.toBe('00'.repeat(32));
      expect(seen.has(drawn)).toBe(false);
      seen.add(drawn);
    }
    // The last draw took the block's second half, the one before its first: both zero now.
    const block = (pool as unknown as { block: Buffer }).block;
    expect(block).toEqual(Buffer.alloc(64));
    // A draw after that refills it.
    pool.fill(Buffer.alloc(32), 0, 32);
    expect(block.subarray(32).equals(Buffer.alloc(32))).toBe(false);
  });

  it('fills a request longer than its block straight from the CSPRNG', () => {
    const target = Buffer.alloc(100);
    new RandomPool(16).fill(target, 0, 100);
    expect(target.equals(Buffer.alloc(100))).toBe(false);
  });

  it('spreads its bytes: over many draws every bit position is set about half the time', () => {
    const pool = new RandomPool();
    const ones = new Array<number>(256).fill(0);
    const draws = 2000;
    const target = Buffer.alloc(32);
    for (let i = 0; i < draws; i += 1) {
      pool.fill(target, 0, 32);
      for (let bit = 0; bit < 256; bit += 1) if (target[bit >> 3]! & (1 << (bit & 7))) ones[bit]! += 1;
    }
    // Binomial(2000, 0.5): a bit outside 40–60 % would be a 9-sigma event.
    for (const count of ones) expect(count / draws).toBeGreaterThan(0.4);
    for (const count of ones) expect(count / draws).toBeLessThan(0.6);
  });
});
