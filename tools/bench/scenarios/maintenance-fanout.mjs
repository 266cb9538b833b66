// release-api: one maintenance notice fanned out to 10,000 webhook subscribers on a local
// receiver — deliveries per second end to end (fan-out transaction, pg-boss jobs, signed HTTP
// POSTs, bookkeeping) and duplicates by delivery id (must be 0). Baseline in the same run: the
// same number of signed POSTs sent straight to the receiver with as many in flight as the
// service's delivery workers (loops × batch, the defaults: 8 × 25).
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';

const IN_FLIGHT = 8 * 25;

export const title = 'maintenance-fanout: one notice to 10,000 webhook subscribers';

const SECRET = 'bench-webhook-secret-0123456789';
const ISSUER = 'http://auth.bench.test';

/** A receiver that answers 204 and counts by Keyhaven-Delivery; `waitFor(n)` resolves at n distinct ids. */
async function startReceiver() {
  const counts = new Map();
  let total = 0;
  let badSignatures = 0;
  let waiter;
  const server = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
      if (request.headers['keyhaven-webhook-signature'] !== expected) badSignatures++;
      const id = String(request.headers['keyhaven-delivery'] ?? '');
      counts.set(id, (counts.get(id) ?? 0) + 1);
      total++;
      response.writeHead(204).end();
      if (waiter && counts.size >= waiter.n) waiter.resolve();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    get distinct() {
      return counts.size;
    },
    get total() {
      return total;
    },
    get badSignatures() {
      return badSignatures;
    },
    reset() {
      counts.clear();
      total = 0;
      badSignatures = 0;
    },
    waitFor(n, timeoutMs) {
      if (counts.size >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${counts.size} of ${n} deliveries after ${timeoutMs} ms`)), timeoutMs);
        waiter = { n, resolve: () => (clearTimeout(timer), resolve()) };
      });
    },
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))),
  };
}

/** auth-service's part: a JWKS and one ops token. */
async function startJwks() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ email: 'ops@bench.test', roles: ['ops'], aal: 2, amr: ['pwd', 'otp'], token_use: 'access' })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setSubject('bench-ops')
    .setIssuer(ISSUER)
    .setAudience('keyhaven')
    .setIssuedAt(now)
    .setExpirationTime(now + 4 * 3600)
    .sign(privateKey);
  return { url: `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`, token, close: () => new Promise((resolve) => server.close(resolve)) };
}

export default async function maintenanceFanout(ctx) {
  const subscribers = ctx.quick ? 1_000 : 10_000;
  const receiver = await startReceiver();
  const jwks = await startJwks();
  try {
    const service = await ctx.startService('release-api', {
      AUTH_JWKS_URL: jwks.url,
      AUTH_ISSUER: ISSUER,
      RELEASE_DEMO_DATA: 'false',
      JOBS_POLL_INTERVAL: '0.5s',
      MAINTENANCE_DELIVERY_RETRY_DELAY: '1s',
      // The one ops token lives four hours (a full run), beyond the 15 min default.
      AUTH_MAX_TOKEN_LIFETIME: '4h',
      // The receiver listens on loopback, which the webhook egress policy refuses unless listed.
      MAINTENANCE_WEBHOOK_ALLOWLIST: '127.0.0.1',
    });
    const headers = { authorization: `Bearer ${jwks.token}`, 'content-type': 'application/json' };

    // 10,000 subscriptions to the one receiver (autocannon posts the same body; each is its own subscriber).
    const subscribe = await ctx.load({
      url: `${service.url}/v1/subscriptions`,
      method: 'POST',
      headers,
      body: JSON.stringify({ kind: 'webhook', url: receiver.url, secret: SECRET }),
      connections: 10,
      amount: subscribers,
    });
    // Every subscribe POST must have worked, on PostgreSQL and on the embedded one alike.
    const listed = await fetch(`${service.url}/v1/subscriptions`, { headers });
    const expected = (await listed.json()).subscriptions.length;
    if (expected !== subscribers) throw new Error(`only ${expected} of ${subscribers} subscriptions were created`);

    // An emergency window is announced at once: one notice, `subscribers` deliveries.
    const started = performance.now();
    const created = await fetch(`${service.url}/v1/maintenance-windows`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        title: 'Bench fan-out',
        startsAt: new Date(Date.now() + 3_600_000).toISOString(),
        endsAt: new Date(Date.now() + 7_200_000).toISOString(),
        emergencyReason: 'benchmark',
      }),
    });
    if (created.status !== 201) throw new Error(`window: ${created.status} ${await created.text()}`);
    await receiver.waitFor(expected, 600_000);
    const seconds = (performance.now() - started) / 1000;
    // Let late duplicates (if any) arrive before counting them.
    const pending = await fetch(`${service.url}/v1/deliveries?state=pending&limit=1`, { headers });
    const stillPending = (await pending.json()).deliveries.length;
    const received = { distinct: receiver.distinct, total: receiver.total, bad: receiver.badSignatures };
    const rss = Math.round(await ctx.rssMiB(service.pid));
    await service.stop();

    // Baseline: the same number of signed POSTs straight to the receiver, as many in flight.
    receiver.reset();
    const body = JSON.stringify({ id: 'x', type: 'maintenance.announced', window: {}, sentAt: new Date().toISOString() });
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    const bareStarted = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < subscribers) {
          const id = `bare-${next++}`;
          const response = await fetch(receiver.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'keyhaven-delivery': id, 'keyhaven-webhook-signature': signature },
            body,
          });
          await response.arrayBuffer();
        }
      }),
    );
    const bareSeconds = (performance.now() - bareStarted) / 1000;

    const rate = received.distinct / seconds;
    const bareRate = subscribers / bareSeconds;
    ctx.result({
      measure: `release-api maintenance fan-out to ${subscribers.toLocaleString('en')} webhooks vs bare signed POSTs`,
      value: ctx.ratio(rate, bareRate),
      detail: `${Math.round(rate)} vs ${Math.round(bareRate)}/s, ${received.total - received.distinct} duplicates`,
    });
    ctx.table(title, [
      {
        subscribers: expected,
        'failed subscribe POSTs': subscribe.non2xx + subscribe.errors,
        'subscribe req/s': Math.round(subscribe.rps),
        'notice → last delivery s': seconds.toFixed(1),
        'deliveries/s': Math.round(rate),
        'bare POSTs/s': Math.round(bareRate),
        'in flight': IN_FLIGHT,
        'service / bare': ctx.ratio(rate, bareRate),
        duplicates: received.total - received.distinct,
        'bad signatures': received.bad,
        'pending after': stillPending,
        'RSS MiB': rss,
      },
    ]);
    if (received.total !== received.distinct) throw new Error(`${received.total - received.distinct} duplicate deliveries`);
  } finally {
    await receiver.close();
    await jwks.close();
  }
}
