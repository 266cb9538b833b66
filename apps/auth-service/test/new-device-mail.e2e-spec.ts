import { Harness, PASSWORD, startHarness } from './support/auth-harness';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('security mail: a sign-in from a new device and network', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('mails the owner (read from the SMTP server) when a device label + network is new to the account, once, without any token; not for the first sign-in or a known device', async () => {
    const user = await harness.newUser();
    const signIn = (userAgent: string, ip: string) =>
      harness.request('POST', '/v1/sessions', { body: { email: user.email, password: PASSWORD }, headers: { 'user-agent': userAgent }, ip });
    const mails = async () => {
      await harness.mailsSettled();
      return harness.smtp.mails.filter((m) => m.to.includes(user.email) && /New sign-in/.test(m.subject));
    };
    expect((await signIn(FIREFOX, '203.0.113.7')).statusCode).toBe(200);
    expect((await signIn(FIREFOX, '203.0.113.99')).statusCode).toBe(200); // same /24: the same network
    expect(await mails()).toHaveLength(0);

    const stranger = await signIn(CHROME_MAC, '198.51.100.23');
    expect(stranger.statusCode).toBe(200);
    const [mail, ...more] = await mails();
    expect(more).toHaveLength(0);
    expect(mail?.text).toMatch(/Device: Chrome on macOS, network 198\.51\.100\.0\/24/);
    expect(mail?.text).toMatch(/DELETE \/v1\/me\/sessions/);
    expect(mail?.text).not.toMatch(/khr_|eyJ|198\.51\.100\.23/);
    const events = (await harness.request('GET', '/v1/me/security-events', { token: stranger.json().accessToken })).json();
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'new_device_sign_in', details: expect.objectContaining({ device: 'Chrome on macOS', network: '198.51.100.0/24' }) }),
    );

    // Known from now on.
    expect((await signIn(CHROME_MAC, '198.51.100.40')).statusCode).toBe(200);
    expect(await mails()).toHaveLength(1);
  });
});
