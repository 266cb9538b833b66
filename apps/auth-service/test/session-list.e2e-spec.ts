import { decodeClaims, Harness, PASSWORD, startHarness, TestUser } from './support/auth-harness';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('sessions: see and end them', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness?.close();
  });

  const signIn = async (user: TestUser, userAgent = FIREFOX, ip = '203.0.113.77') => {
    const answer = await harness.request('POST', '/v1/sessions', { body: { email: user.email, password: PASSWORD }, headers: { 'user-agent': userAgent }, ip });
    expect(answer.statusCode).toBe(200);
    const body = answer.json() as { accessToken: string; refreshToken: string };
    return { ...body, sid: String(decodeClaims(body.accessToken)['sid']) };
  };
  const list = (token: string) => harness.request('GET', '/v1/me/sessions', { token });
  const events = async (token: string) =>
    (await harness.request('GET', '/v1/me/security-events', { token })).json() as { type: string; actorId: string; details: Record<string, unknown> }[];

  describe('GET /v1/me/sessions', () => {
    it('lists the open sessions with device and network, marks the current one, and leaves ended ones out', async () => {
      const user = await harness.newUser();
      const laptop = await signIn(user, FIREFOX, '203.0.113.77');
      harness.clock.advance(60_000);
      const mac = await signIn(user, CHROME_MAC, '2001:db8:1234:5678::1');
      const ended = await signIn(user);
      expect((await harness.request('POST', '/v1/sessions/sign-out', { token: ended.accessToken })).statusCode).toBe(204);

      const answer = await list(laptop.accessToken);
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['cache-control']).toBe('no-store');
      const { sessions, rememberedDevices } = answer.json();
      expect(rememberedDevices).toEqual([]);
      expect(sessions.map((s: { id: string }) => s.id)).toEqual([mac.sid, laptop.sid]);
      expect(sessions[1]).toMatchObject({
        id: laptop.sid,
        current: true,
        device: 'Firefox on Linux',
        network: '203.0.113.0/24',
        aal: 1,
        amr: ['pwd'],
        rememberedDeviceId: null,
      });
      expect(sessions[0]).toMatchObject({ current: false, device: 'Chrome on macOS', network: '2001:db8:1234::/48' });
      // Nothing of the raw User-Agent or the address, and no token.
      expect(answer.body).not.toMatch(/Gecko|203\.0\.113\.77|khr_/);
    });

    it('needs a full session', async () => {
      expect((await harness.request('GET', '/v1/me/sessions')).statusCode).toBe(401);
    });
  });

  describe('DELETE /v1/me/sessions/:id', () => {
    it('signs another session out: its access and refresh tokens stop at once, and it is audited', async () => {
      const user = await harness.newUser();
      const phone = await signIn(user);
      const laptop = await signIn(user);
      const answer = await harness.request('DELETE', `/v1/me/sessions/${phone.sid}`, { token: laptop.accessToken, ip: '198.51.100.4' });
      expect(answer.statusCode).toBe(204);
      const refused = await list(phone.accessToken);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error.code).toBe('invalid_token');
      expect((await harness.request('POST', '/v1/sessions/refresh', { body: { refreshToken: phone.refreshToken } })).json().error.code).toBe('invalid_token');
      expect((await list(laptop.accessToken)).json().sessions.map((s: { id: string }) => s.id)).toEqual([laptop.sid]);
      expect((await events(laptop.accessToken))[0]).toMatchObject({ type: 'session_revoked', details: { reason: 'revoked_by_user', sessionIds: [phone.sid] } });
      const row = (await harness.sql('select revoke_reason from auth.session where id = $1', [phone.sid]))[0];
      expect(row).toEqual({ revoke_reason: 'revoked_by_user' });
    });

    it("answers 404 for someone else's session, an unknown one and an ended one, and leaves them alone", async () => {
      const [alice, mallory] = [await harness.newUser(), await harness.newUser()];
      const victim = await signIn(alice);
      const attacker = await signIn(mallory);
      for (const id of [victim.sid, '00000000-0000-4000-8000-000000000000']) {
        const answer = await harness.request('DELETE', `/v1/me/sessions/${id}`, { token: attacker.accessToken });
        expect(answer.statusCode).toBe(404);
        expect(answer.json().error.code).toBe('session_not_found');
      }
      expect((await list(victim.accessToken)).statusCode).toBe(200);
      const other = await signIn(mallory);
      expect((await harness.request('DELETE', `/v1/me/sessions/${other.sid}`, { token: attacker.accessToken })).statusCode).toBe(204);
      expect((await harness.request('DELETE', `/v1/me/sessions/${other.sid}`, { token: attacker.accessToken })).statusCode).toBe(404);
      expect((await harness.request('DELETE', '/v1/me/sessions/not-a-uuid', { token: attacker.accessToken })).statusCode).toBe(400);
    });
  });

  describe('DELETE /v1/me/sessions', () => {
    it('signs out every session but the current one', async () => {
      const user = await harness.newUser();
      const others = [await signIn(user), await signIn(user)];
      const current = await signIn(user);
      const stranger = await signIn(await harness.newUser());
      const answer = await harness.request('DELETE', '/v1/me/sessions', { token: current.accessToken });
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toEqual({ revoked: 2 });
      for (const other of others) expect((await list(other.accessToken)).statusCode).toBe(401);
      expect((await list(current.accessToken)).json().sessions).toHaveLength(1);
      expect((await list(stranger.accessToken)).statusCode).toBe(200);
      expect((await events(current.accessToken))[0]).toMatchObject({
        type: 'session_revoked',
        details: { reason: 'revoked_by_user', sessionIds: expect.arrayContaining(others.map((o) => o.sid)) },
      });
    });
  });

  describe('POST /v1/sessions/sign-out', () => {
    it('ends the current session only, audited', async () => {
      const user = await harness.newUser();
      const kept = await signIn(user);
      const leaving = await signIn(user);
      expect((await harness.request('POST', '/v1/sessions/sign-out', { token: leaving.accessToken })).statusCode).toBe(204);
      expect((await list(leaving.accessToken)).statusCode).toBe(401);
      expect((await harness.request('POST', '/v1/sessions/refresh', { body: { refreshToken: leaving.refreshToken } })).statusCode).toBe(401);
      expect((await events(kept.accessToken))[0]).toMatchObject({ type: 'session_revoked', details: { reason: 'signed_out', sessionIds: [leaving.sid] } });
      expect((await harness.request('POST', '/v1/sessions/sign-out')).statusCode).toBe(401);
    });
  });

  describe('POST /v1/admin/users/:id/sessions/revoke', () => {
    it('signs a user out everywhere, audited with the admin as actor; needs the admin role; 404 for an unknown account', async () => {
      const admin = await harness.newUser({ roles: ['admin'] });
      const adminToken = (await signIn(admin)).accessToken;
      const user = await harness.newUser();
      const sessions = [await signIn(user), await signIn(user)];
      const refused = await harness.request('POST', `/v1/admin/users/${admin.id}/sessions/revoke`, { token: sessions[0]!.accessToken });
      expect(refused.statusCode).toBe(403);

      const answer = await harness.request('POST', `/v1/admin/users/${user.id}/sessions/revoke`, { token: adminToken });
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toEqual({ revokedSessions: 2, forgottenDevices: 0 });
      for (const session of sessions) expect((await list(session.accessToken)).statusCode).toBe(401);
      const fresh = await signIn(user);
      expect(await events(fresh.accessToken)).toContainEqual(
        expect.objectContaining({
          type: 'session_revoked',
          actorId: admin.id,
          details: { reason: 'revoked_by_admin', sessionIds: expect.arrayContaining(sessions.map((s) => s.sid)) },
        }),
      );
      const unknown = await harness.request('POST', '/v1/admin/users/00000000-0000-4000-8000-000000000000/sessions/revoke', { token: adminToken });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error.code).toBe('account_not_found');
    });

    it('comes with the admin factor reset: every session of the user ends', async () => {
      const admin = await harness.newUser({ roles: ['admin'] });
      const adminToken = (await signIn(admin)).accessToken;
      const user = await harness.newUser();
      const { secret } = await user.enrollTotp();
      const token = await user.aal2Token(secret);
      const reset = await harness.request('POST', `/v1/admin/users/${user.id}/factors/reset`, {
        token: adminToken,
        body: { reason: 'Lost phone, checked by call' },
      });
      expect(reset.statusCode).toBe(200);
      expect((await list(token)).statusCode).toBe(401);
    });
  });
});
