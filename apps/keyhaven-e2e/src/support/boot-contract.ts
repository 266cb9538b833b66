import { createServer, type AddressInfo } from 'node:net';
import { ServiceName, startService } from '@keyhaven/testing';
import { freshStore, FreshStore } from './fresh-database';

/** The boot contract both built services keep (one file per service, so they run in parallel). */
export function describeBoot(name: ServiceName): void {
  describe(`${name} (built, run with node)`, () => {
    let store: FreshStore;

    beforeEach(async () => {
      store = await freshStore();
    });

    afterEach(async () => {
      await store.remove();
    });

    it('migrates an empty store, becomes ready, and exits 0 on SIGTERM', async () => {
      const service = await startService(name, { ...store.env, LOG_LEVEL: 'info' });
      await service.ready();
      const ready = await (await fetch(`${service.url}/health/ready`)).json();
      expect(ready).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, migrations: { status: 'up' } } });
      expect(service.output()).toMatch(/Applying \d+ migration\(s\)/);

      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
      expect(service.output()).toContain('SIGTERM received');
    });

    it('finds nothing to migrate on the second boot and keeps its data', async () => {
      const first = await startService(name, store.env);
      await first.ready();
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      const second = await startService(name, { ...store.env, LOG_LEVEL: 'info' });
      await second.ready();
      expect(second.output()).toContain('is up to date');
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    });

    it('stops at boot with one line naming a bad variable', async () => {
      const service = await startService(name, { ...store.env, PORT: '3000', LOG_LEVEL: 'chatty' });
      expect(await service.exited).toBe(1);
      expect(service.output().trim()).toBe(
        `${name}: Invalid configuration: LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "chatty"`,
      );
    });

    it('says in one line that its port is taken (already running?) instead of a stack trace', async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const port = (taken.address() as AddressInfo).port;
      try {
        const service = await startService(name, { ...store.env, PORT: String(port) });
        expect(await service.exited).toBe(1);
        expect(service.output().trim().split('\n').at(-1)).toBe(
          `${name}: port ${port} on 127.0.0.1 is in use — is ${name} already running (npm start)? Stop it, or set PORT to a free port.`,
        );
      } finally {
        await new Promise((resolve) => taken.close(resolve));
      }
    });

    it('applies migrations alone with the migrate command', async () => {
      const service = await startService(name, { ...store.env, LOG_LEVEL: 'info' }, ['migrate']);
      expect(await service.exited).toBe(0);
      expect(service.output()).toMatch(/Applied \d+ migration\(s\)/);
    });
  });
}
