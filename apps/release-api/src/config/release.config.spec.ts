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
});
