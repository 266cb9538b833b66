import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { parseWebhookAllowlist, WebhookEgressPolicy, WebhookResolver, WebhookTargetForbidden } from './webhook-egress';

const policy = (allowlist: string[] = []) => new WebhookEgressPolicy(parseWebhookAllowlist(allowlist).allowlist);
const resolverOf =
  (answers: Record<string, string[]>): WebhookResolver =>
  async (host) => {
    const addresses = answers[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe(WebhookEgressPolicy.name, () => {
  describe('checkUrl', () => {
    it.each([
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/',
      'http://[::1]:1/',
      'http://127.0.0.1:1/',
      'http://localhost:22/',
      'http://api.localhost/',
      'http://10.0.0.1/',
      'http://172.16.5.4/',
      'http://192.168.1.1/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://0x7f000001/',
      'http://2130706433/',
      'http://0177.0.0.1/',
      'http://0.0.0.0/',
      'http://[::]/',
      'http://100.64.0.1/',
      'http://224.0.0.1/',
      'http://255.255.255.255/',
      'http://[ff02::1]/',
      'http://[64:ff9b::7f00:1]/',
      'http://[::7f00:1]/',
      'http://[::ffff:10.0.0.1]/',
    ])('refuses %s', (url) => {
      const verdict = policy().checkUrl(url);
      expect(verdict.allowed).toBe(false);
    });

    it.each(['https://hooks.example.com/keyhaven', 'http://93.184.215.14:8080/x', 'https://[2606:4700::1]/', 'http://[64:ff9b::5db8:d70e]/'])(
      'lets %s through',
      (url) => {
        expect(policy().checkUrl(url)).toEqual({ allowed: true });
      },
    );

    it('refuses credentials in the URL without repeating them', () => {
      const verdict = policy().checkUrl('https://user:hunter2@hooks.example.com/');
      expect(verdict).toEqual({ allowed: false, reason: expect.stringMatching(/user name or password/) });
      expect(JSON.stringify(verdict)).not.toContain('hunter2');
    });

    it('refuses other schemes', () => {
      expect(policy().checkUrl('ftp://hooks.example.com/').allowed).toBe(false);
      expect(policy().checkUrl('file:///etc/passwd').allowed).toBe(false);
    });

    it('allows what the allowlist names: addresses, ranges, host names', () => {
      const allowing = policy(['127.0.0.1', '10.20.0.0/16', 'hooks.corp.internal', '::1']);
      expect(allowing.checkUrl('http://127.0.0.1:9000/').allowed).toBe(true);
      expect(allowing.checkUrl('http://[::ffff:127.0.0.1]/').allowed).toBe(true);
      expect(allowing.checkUrl('http://[::1]/').allowed).toBe(true);
      expect(allowing.checkUrl('http://10.20.3.4/').allowed).toBe(true);
      expect(allowing.checkUrl('http://10.21.0.1/').allowed).toBe(false);
      expect(allowing.checkUrl('http://127.0.0.2/').allowed).toBe(false);
      expect(allowing.checkAddress('hooks.corp.internal', '10.99.0.1').allowed).toBe(true);
    });
  });

  describe('checkTarget', () => {
    it('refuses a host name that resolves to a private address, and one private address among public ones', async () => {
      const resolve = resolverOf({
        'inside.example': ['10.0.0.7'],
        'mixed.example': ['93.184.215.14', '127.0.0.1'],
        'fine.example': ['93.184.215.14', '2606:4700::1'],
      });
      expect((await policy().checkTarget('http://inside.example/', resolve)).allowed).toBe(false);
      expect((await policy().checkTarget('http://mixed.example/', resolve)).allowed).toBe(false);
      expect((await policy().checkTarget('http://fine.example/', resolve)).allowed).toBe(true);
      // Not resolvable now: the connect-time check decides later.
      expect((await policy().checkTarget('http://later.example/', resolve)).allowed).toBe(true);
    });
  });

  describe('guardedLookup', () => {
    async function receiver() {
      const server = createServer((_request, response) => response.end('ok'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    }
    const get = (url: string, lookup: ReturnType<WebhookEgressPolicy['guardedLookup']>) =>
      new Promise<number>((resolve, reject) => {
        request(url, { lookup }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });

    it('refuses to connect when the name resolves to a forbidden address (DNS rebinding)', async () => {
      const server = await receiver();
      try {
        const lookup = policy().guardedLookup(resolverOf({ 'rebind.example': ['127.0.0.1'] }));
        await expect(get(`http://rebind.example:${server.port}/`, lookup)).rejects.toBeInstanceOf(WebhookTargetForbidden);
        await expect(get(`http://rebind.example:${server.port}/`, lookup)).rejects.toThrow(/127\.0\.0\.1 is a loopback address/);
      } finally {
        await server.close();
      }
    });

    it('connects to a checked address the allowlist admits', async () => {
      const server = await receiver();
      try {
        const lookup = policy(['127.0.0.1']).guardedLookup(resolverOf({ 'hooks.test': ['127.0.0.1'] }));
        expect(await get(`http://hooks.test:${server.port}/`, lookup)).toBe(200);
      } finally {
        await server.close();
      }
    });
  });
});

describe('parseWebhookAllowlist', () => {
  it('reads hosts, addresses and CIDR ranges, and names the entries it cannot read', () => {
    const { allowlist, invalid } = parseWebhookAllowlist([
      '127.0.0.1',
      '10.20.0.0/16',
      'Hooks.Corp.Internal',
      '[::1]',
      'fd00::/8',
      '10.0.0.0/33',
      'not a host',
      '1.2.3',
    ]);
    expect([...allowlist.hosts]).toEqual(['hooks.corp.internal']);
    expect(allowlist.ranges.map(([address, bits]) => `${address.toString()}/${bits}`)).toEqual(['127.0.0.1/32', '10.20.0.0/16', '::1/128', 'fd00::/8']);
    expect(invalid).toEqual(['10.0.0.0/33', 'not a host', '1.2.3']);
  });
});
