import { signWebhook, verifyWebhookSignature } from './webhook-signature';

describe(signWebhook.name, () => {
  it('is the hex HMAC-SHA256 of the body (RFC 4231 test case 2)', () => {
    expect(signWebhook('what do ya want for nothing?', 'Jefe')).toBe('sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});

describe(verifyWebhookSignature.name, () => {
  const body = '{"id":"d1","type":"maintenance.announced"}';

  it('accepts the signature of the exact body and refuses any change', () => {
    const header = signWebhook(body, 's3cret');
    expect(verifyWebhookSignature(body, header, 's3cret')).toBe(true);
    expect(verifyWebhookSignature(`${body} `, header, 's3cret')).toBe(false);
    expect(verifyWebhookSignature(body, header, 'other')).toBe(false);
    expect(verifyWebhookSignature(body, 'sha256=00', 's3cret')).toBe(false);
    expect(verifyWebhookSignature(body, undefined, 's3cret')).toBe(false);
  });
});
