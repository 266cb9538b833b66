import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAuthConfig } from '../config/auth.config';
import { EMBEDDED_KEY_FILE, resolveKeyRing } from './key-ring.provider';

describe('resolveKeyRing', () => {
  async function setup() {
    const dataDir = await mkdtemp(join(tmpdir(), 'kh-keyring-'));
    const warnings: string[] = [];
    const logger = { warn: (message: string) => void warnings.push(message) };
    return {
      sut: () => resolveKeyRing(loadAuthConfig({ DATA_DIR: dataDir }), logger),
      ctx: { dataDir, warnings, cleanup: () => rm(dataDir, { recursive: true }) },
    };
  }

  it('generates a key into DATA_DIR/auth-service once, with a warning, and reuses it', async () => {
    const { sut, ctx } = await setup();
    try {
      const first = await sut();
      const second = await sut();
      expect(second.activeKid).toBe(first.activeKid);
      expect(second.decrypt(first.encrypt('x', 'a'), 'a').toString()).toBe('x');
      expect(ctx.warnings).toHaveLength(2);
      expect(ctx.warnings[0]).toContain('AUTH_ENCRYPTION_KEYS is not set');
      const file = join(ctx.dataDir, 'auth-service', EMBEDDED_KEY_FILE);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readFile(file, 'utf8')).toMatch(/^local-[0-9a-f]{6}:/);
    } finally {
      await ctx.cleanup();
    }
  });
});
