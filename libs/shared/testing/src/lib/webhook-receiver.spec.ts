import { createHmac } from 'node:crypto';
import { startWebhookReceiver, WebhookReceiver } from './webhook-receiver';

describe(startWebhookReceiver.name, () => {
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    receiver = await startWebhookReceiver('s3cret');
  });

  afterEach(() => receiver.close());

  const post = (body: string, headers: Record<string, string>) =>
    fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const sign = (body: string, secret = 's3cret') => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

  it('checks signatures and counts deliveries by id', async () => {
    const body = '{"id":"d1"}';
    expect((await post(body, { 'keyhaven-delivery': 'd1', 'keyhaven-webhook-signature': sign(body) })).status).toBe(204);
    await post(body, { 'keyhaven-delivery': 'd1', 'keyhaven-webhook-signature': sign(body, 'wrong') });
    await receiver.waitUntil((list) => list.length === 2);
    expect(receiver.received.map((r) => r.signatureValid)).toEqual([true, false]);
    expect(receiver.countsById()).toEqual(new Map([['d1', 2]]));
    expect(receiver.received[0]!.body).toEqual({ id: 'd1' });
  });

  it('fails the next requests on demand', async () => {
    receiver.failNext(2, 500);
    expect((await post('{}', {})).status).toBe(500);
    expect((await post('{}', {})).status).toBe(500);
    expect((await post('{}', {})).status).toBe(204);
    expect(receiver.refused).toBe(2);
    expect(receiver.received).toHaveLength(1);
  });
});
