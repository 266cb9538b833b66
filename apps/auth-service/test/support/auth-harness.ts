import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import type { DestinationStream } from 'pino';
import { ManualClock } from '@keyhaven/config';
import { migrateAndMarkReady } from '@keyhaven/http';
import { createTestDatabase, SmtpCapture, startSmtpCapture, TestDatabase } from '@keyhaven/testing';
import { AccountsService } from '../../src/accounts/accounts.service';
import { AUTH_DATABASE } from '../../src/app/auth-database';
import { createAuthApp } from '../../src/app/create-app';
import { DirectoryJobs } from '../../src/directory/directory-jobs';
import { loadAuthConfig } from '../../src/config/auth.config';
import { totpCode } from '../../src/factors/totp';
import { SecurityNotifier } from '../../src/notifications/security-notifier';
import { PrivacyJobs } from '../../src/privacy/privacy-jobs';

export const PASSWORD = 'correct horse battery staple';

const quiet = { log: () => undefined };

export interface Harness {
  app: NestFastifyApplication;
  clock: ManualClock;
  smtp: SmtpCapture;
  database: TestDatabase;
  encryptionKeys: string;
  request(
    method: string,
    url: string,
    options?: { token?: string; body?: unknown; ip?: string; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
  /** A query straight on the service's database (rows as PostgreSQL returns them). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Waits until every mail the service started has been accepted by the SMTP server. */
  mailsSettled(): Promise<void>;
  newUser(options?: { email?: string; roles?: string[] }): Promise<TestUser>;
  close(): Promise<void>;
}

export interface TestUser {
  id: string;
  email: string;
  /** email + password → the sign-in answer. */
  signIn(): Promise<Record<string, unknown> & { accessToken: string }>;
  /** A full aal1 session (only for users without a factor). */
  accessToken(): Promise<string>;
  /** Enrolls and confirms an authenticator; answers its secret and the recovery codes (if first). */
  enrollTotp(name?: string): Promise<{ id: string; secret: string; recoveryCodes?: string[] }>;
  /** password + TOTP → an aal2 token. */
  aal2Token(secret: string): Promise<string>;
}

/** A started auth-service on its own test database, with a ManualClock and a real SMTP server. */
export async function startHarness(
  env: Record<string, string> = {},
  options: { database?: TestDatabase; /** Capture the service's log lines here (else it logs nothing). */ logDestination?: DestinationStream } = {},
): Promise<Harness> {
  const smtp = await startSmtpCapture();
  const database = options.database ?? (await createTestDatabase(AUTH_DATABASE));
  const encryptionKeys = env['AUTH_ENCRYPTION_KEYS'] ?? `t1:${randomBytes(32).toString('base64')}`;
  const clock = new ManualClock('2026-03-02T09:00:05Z');
  const config = loadAuthConfig({
    DATABASE_URL: database.url,
    LOG_LEVEL: 'silent',
    SMTP_URL: smtp.url,
    AUTH_ENCRYPTION_KEYS: encryptionKeys,
    AUTH_THROTTLE_LIMIT: '100000',
    ...env,
  });
  const app = await createAuthApp(config, database.url, { clock, logDestination: options.logDestination });
  if (!options.logDestination) app.useLogger(false);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  await migrateAndMarkReady(app, quiet);
  // As at boot: pg-boss's schema, the deletion and retention queues and their workers.
  await app.get(PrivacyJobs).start();
  // With LDAP_URL: the directory sync's queue, schedule and worker.
  await app.get(DirectoryJobs).start();

  const request: Harness['request'] = (method, url, options = {}) =>
    app.inject({
      method: method as 'GET',
      url,
      remoteAddress: options.ip,
      headers: { ...options.headers, ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
      ...(options.body === undefined ? {} : { payload: options.body as object }),
    });

  let db: Client | undefined;
  const harness: Harness = {
    async sql<T>(text: string, params: unknown[] = []) {
      if (!db) {
        db = new Client({ connectionString: database.url });
        await db.connect();
      }
      return (await db.query(text, params)).rows as T[];
    },
    app,
    clock,
    smtp,
    database,
    encryptionKeys,
    request,
    mailsSettled: () => app.get(SecurityNotifier).settled(),
    async newUser(options = {}) {
      const email = options.email ?? `user-${randomBytes(4).toString('hex')}@example.test`;
      let id: string;
      if (options.roles?.length) {
        id = (await app.get(AccountsService).create(email, PASSWORD, options.roles)).id;
      } else {
        const created = await request('POST', '/v1/accounts', { body: { email, password: PASSWORD } });
        if (created.statusCode !== 201) throw new Error(`sign-up failed: ${created.body}`);
        id = created.json().id;
      }
      const user: TestUser = {
        id,
        email,
        async signIn() {
          const answer = await request('POST', '/v1/sessions', { body: { email, password: PASSWORD } });
          if (answer.statusCode !== 200) throw new Error(`sign-in failed: ${answer.body}`);
          return answer.json();
        },
        async accessToken() {
          return (await user.signIn()).accessToken;
        },
        async enrollTotp(name = 'Phone') {
          const session = await user.signIn();
          const token = session['mfaRequired'] ? await mfaToken(session.accessToken, firstSecret) : session.accessToken;
          // The first factor needs the password again; with a factor present it is ignored.
          const enrolled = await request('POST', '/v1/me/factors/totp', { token, body: { name, currentPassword: PASSWORD } });
          if (enrolled.statusCode !== 201) throw new Error(`enroll failed: ${enrolled.body}`);
          const { id: factorId, secret } = enrolled.json();
          const confirmed = await request('POST', `/v1/me/factors/totp/${factorId}/confirm`, { token, body: { code: await totpCode(secret, clock.nowMs()) } });
          if (confirmed.statusCode !== 200) throw new Error(`confirm failed: ${confirmed.body}`);
          // The confirming code's step is spent: move on so the next sign-in can use a fresh one.
          clock.advance(30_000);
          firstSecret ??= secret;
          return { id: factorId, secret, recoveryCodes: confirmed.json().recoveryCodes };
        },
        async aal2Token(secret: string) {
          const session = await user.signIn();
          return mfaToken(session.accessToken, secret);
        },
      };
      let firstSecret: string | undefined;
      return user;
    },
    async close() {
      await db?.end();
      await app.close();
      await smtp.close();
      // A borrowed database belongs to whoever lent it.
      if (!options.database) await database.drop();
    },
  };

  async function mfaToken(pending: string, secret: string | undefined): Promise<string> {
    if (!secret) throw new Error('no secret to pass the second step');
    const answer = await request('POST', '/v1/sessions/mfa/totp', { token: pending, body: { code: await totpCode(secret, clock.nowMs()) } });
    if (answer.statusCode !== 200) throw new Error(`mfa failed: ${answer.body}`);
    clock.advance(30_000);
    return answer.json().accessToken;
  }

  return harness;
}

export function decodeClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}
