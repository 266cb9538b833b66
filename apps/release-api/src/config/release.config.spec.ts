import { ConfigError } from '@keyhaven/config';
import { loadReleaseConfig } from './release.config';

describe(loadReleaseConfig.name, () => {
  describe('MAINTENANCE_WEBHOOK_ALLOWLIST', () => {
    it('reads hosts, addresses and ranges', () => {
      const config = loadReleaseConfig({ MAINTENANCE_WEBHOOK_ALLOWLIST: '127.0.0.1, 10.20.0.0/16,hooks.corp.internal' });
      expect([...config.maintenance.webhookAllowlist.hosts]).toEqual(['hooks.corp.internal']);
      expect(config.maintenance.webhookAllowlist.ranges).toHaveLength(2);
    });

    it('is empty by default: only public targets', () => {
      expect(loadReleaseConfig({}).maintenance.webhookAllowlist.entries).toEqual([]);
    });

    it('stops the boot on an entry it cannot read, naming the variable and the entry', () => {
      expect(() => loadReleaseConfig({ MAINTENANCE_WEBHOOK_ALLOWLIST: '127.0.0.1,10.0.0.0/99' })).toThrow(ConfigError);
      expect(() => loadReleaseConfig({ MAINTENANCE_WEBHOOK_ALLOWLIST: '127.0.0.1,10.0.0.0/99' })).toThrow(/MAINTENANCE_WEBHOOK_ALLOWLIST: .*"10\.0\.0\.0\/99"/);
    });
  });

  describe('RELEASE_KEY_ENCRYPTION_KEY', () => {
    it('is required with DATABASE_URL, in one line naming the variable', () => {
      expect(() => loadReleaseConfig({ DATABASE_URL: 'postgres://db.example/keyhaven' })).toThrow(
        /^Invalid configuration: RELEASE_KEY_ENCRYPTION_KEY: is required when DATABASE_URL is set/,
      );
      expect(() =>
        loadReleaseConfig({ DATABASE_URL: 'postgres://db.example/keyhaven', RELEASE_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64url') }),
      ).not.toThrow();
    });

    it('may be left out in embedded mode (a key is generated beside DATA_DIR)', () => {
      expect(loadReleaseConfig({}).signing.encryptionKey).toBeUndefined();
    });
  });
});
