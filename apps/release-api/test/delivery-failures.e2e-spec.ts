import { createServer as createHttpServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseWebhookAllowlist, systemResolver } from '@keyhaven/release-maintenance';
import type { ReleaseConfig } from '../src/config/release.config';
import { describeDeliveryFailure } from '../src/maintenance/delivery-failure';
import { WebhookSender } from '../src/maintenance/webhook-sender';

/**
 * A failed delivery's `lastError` names its cause. Every failure here is a real one: a port
 * nobody listens on, a receiver that never answers, TLS spoken to a plain HTTP server, a name
 * under `.invalid` (RFC 6761: never resolves), an HTTP status.
 */
describe('describeDeliveryFailure', () => {
  const TIMEOUT_MS = 300;
  const servers: Server[] = [];
  let sender: WebhookSender;

  const listen = async (handler: Parameters<typeof createHttpServer>[1]) => {
    const server = createHttpServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };

  const failureOf = async (url: string) => {
    const error = await sender.post(url, { 'content-type': 'application/json' }, '{}').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeDefined();
    return describeDeliveryFailure(error, TIMEOUT_MS);
  };

  beforeAll(() => {
    const config = {
      maintenance: { webhookTimeoutMs: TIMEOUT_MS, webhookAllowlist: parseWebhookAllowlist(['127.0.0.1', 'receiver.invalid']).allowlist },
    } as ReleaseConfig;
    sender = new WebhookSender(config, systemResolver);
  });

  afterAll(async () => {
    sender.onApplicationShutdown();
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('names a refused connection with the address', async () => {
    const port = await listen(() => undefined);
    const closed = servers.pop() as Server;
    await new Promise((resolve) => closed.close(resolve));
    expect(await failureOf(`http://127.0.0.1:${port}/hook`)).toBe(`connection refused by 127.0.0.1:${port}`);
  });

  it('names a timeout with the configured limit', async () => {
    const port = await listen(() => undefined); // never answers
    expect(await failureOf(`http://127.0.0.1:${port}/hook`)).toBe('timeout: no answer within 300ms (MAINTENANCE_WEBHOOK_TIMEOUT)');
  });

  it('names a TLS failure', async () => {
    const port = await listen((_request, response) => response.end('plain HTTP'));
    expect(await failureOf(`https://127.0.0.1:${port}/hook`)).toMatch(/^TLS: wrong version number \((EPROTO|ERR_SSL_[A-Z_]+)\)$/);
  });

  it('names a host that does not resolve', async () => {
    expect(await failureOf('http://receiver.invalid/hook')).toMatch(
      /^DNS: receiver\.invalid could not be resolved \((ENOTFOUND|EAI_AGAIN|EAI_NONAME|ENODATA)\)$/,
    );
  });

  it('names the HTTP status, and the egress policy refusal as it is', async () => {
    const port = await listen((_request, response) => {
      response.statusCode = 503;
      response.end();
    });
    expect(await failureOf(`http://127.0.0.1:${port}/hook`)).toBe('HTTP 503');
    expect(await failureOf('http://10.1.2.3/hook')).toBe(
      '10.1.2.3 is a private (RFC 1918) address, not allowed as a webhook target (MAINTENANCE_WEBHOOK_ALLOWLIST lists exceptions)',
    );
  });

  it('says what an SMTP server answered', () => {
    const smtp = Object.assign(new Error('Mail command failed: 550 5.1.1 no such user'), {
      code: 'EENVELOPE',
      responseCode: 550,
      response: '550 5.1.1 no such user',
    });
    expect(describeDeliveryFailure(smtp, TIMEOUT_MS)).toBe('SMTP 550: 550 5.1.1 no such user');
  });
});
