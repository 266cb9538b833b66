import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ReceivedWebhook {
  /** `Keyhaven-Delivery` header: the id receivers deduplicate on. */
  deliveryId: string | undefined;
  /** Whether `Keyhaven-Webhook-Signature` matched the HMAC of the exact body with the secret. */
  signatureValid: boolean;
  body: unknown;
  raw: string;
  headers: IncomingMessage['headers'];
  receivedAt: Date;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hook` */
  url: string;
  /** Every request answered 2xx, in arrival order (duplicates included). */
  received: ReceivedWebhook[];
  /** Requests answered with a failure (see `failNext`). */
  refused: number;
  /** How often each delivery id arrived with a 2xx answer. */
  countsById(): Map<string, number>;
  /** Answer the next `count` requests with `status` (default 503), as a flaky receiver would. */
  failNext(count: number, status?: number): void;
  /** Resolves once `predicate` holds over the received list (checked on every arrival). */
  waitUntil(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

/**
 * A real HTTP webhook receiver on 127.0.0.1 (port 0) that checks signatures the way a
 * customer's receiver would and counts deliveries by id.
 */
export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  let refused = 0;
  const waiters = new Set<() => void>();

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (failures.count > 0) {
        failures = { ...failures, count: failures.count - 1 };
        refused++;
        res.writeHead(failures.status).end('try later');
        return;
      }
      const raw = Buffer.concat(chunks);
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
      const given = Buffer.from(String(req.headers['keyhaven-webhook-signature'] ?? ''));
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = undefined;
      }
      received.push({
        deliveryId: typeof req.headers['keyhaven-delivery'] === 'string' ? req.headers['keyhaven-delivery'] : undefined,
        signatureValid: expected.length === given.length && timingSafeEqual(expected, given),
        body,
        raw: raw.toString('utf8'),
        headers: req.headers,
        receivedAt: new Date(),
      });
      res.writeHead(204).end();
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    get refused() {
      return refused;
    },
    countsById() {
      const counts = new Map<string, number>();
      for (const hook of received) {
        const id = hook.deliveryId ?? '(none)';
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    },
    failNext(count: number, status = 503) {
      failures = { count, status };
    },
    waitUntil(predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(received)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(received);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`webhook receiver: condition not met after ${timeoutMs} ms (${received.length} received)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
