import { createServer, IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * Real HTTP servers on 127.0.0.1:0 that answer like auth-service and release-api (their v1
 * contracts, as in DESIGN.md and docs/release-api.md), so the CLI is tested over real sockets.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

interface Route {
  (request: RecordedRequest): { status: number; body?: unknown; headers?: Record<string, string> };
}

async function startServer(route: Route) {
  const requests: RecordedRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const text = Buffer.concat(chunks).toString('utf8');
      const request: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: text === '' ? undefined : JSON.parse(text),
      };
      requests.push(request);
      const answer = route(request);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const error = (status: number, code: string, message: string, details?: unknown) => ({ status, body: { error: { code, message, details } } });

/** An unsigned token with real-looking claims: the CLI only reads them, the services verify. */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'ES256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

export interface StandInAccount {
  email: string;
  password: string;
  roles: string[];
  /** The one TOTP code the stand-in accepts; none = no second factor. */
  totpCode?: string;
  recoveryCode?: string;
  /** What a recovery-code sign-in says is left (default 9); auth-service warns at 3 or fewer. */
  recoveryCodesLeft?: number;
}

export async function startStandInAuth(accounts: StandInAccount[]) {
  const issued = new Map<string, { account: StandInAccount; use: string }>();
  /** Access tokens release-api should accept (stands in for verifying them through the JWKS). */
  const accessTokens = new Set<string>();
  const issue = (account: StandInAccount, use: string, aal: number) => {
    const now = Math.floor(Date.now() / 1000);
    const token = fakeJwt({ sub: account.email, email: account.email, roles: account.roles, aal, token_use: use, iat: now, exp: now + 900, n: issued.size });
    issued.set(token, { account, use });
    if (use === 'access') accessTokens.add(token);
    return token;
  };
  const pendingAccount = (request: RecordedRequest) => {
    const token = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
    const found = issued.get(token);
    return found?.use === 'mfa_pending' ? found.account : undefined;
  };
  const server = await startServer((request) => {
    const body = (request.body ?? {}) as Record<string, string>;
    if (request.method === 'POST' && request.path === '/v1/sessions') {
      const account = accounts.find((candidate) => candidate.email === body['email'] && candidate.password === body['password']);
      if (!account) return error(401, 'invalid_credentials', 'The e-mail address or the password is wrong.');
      if (account.totpCode || account.recoveryCode) {
        return {
          status: 200,
          body: {
            accessToken: issue(account, 'mfa_pending', 1),
            tokenType: 'Bearer',
            expiresIn: 300,
            aal: 1,
            mfaRequired: true,
            methods: ['totp', 'recovery_code'],
            enrollmentRequired: false,
          },
        };
      }
      return {
        status: 200,
        body: {
          accessToken: issue(account, 'access', 1),
          tokenType: 'Bearer',
          expiresIn: 900,
          aal: 1,
          mfaRequired: false,
          methods: [],
          enrollmentRequired: false,
        },
      };
    }
    if (request.method === 'POST' && (request.path === '/v1/sessions/mfa/totp' || request.path === '/v1/sessions/mfa/recovery-code')) {
      const account = pendingAccount(request);
      if (!account) return error(401, 'invalid_token', 'A pending sign-in token is required.');
      const expected = request.path.endsWith('totp') ? account.totpCode : account.recoveryCode;
      if (body['code'] !== expected) return error(401, 'invalid_code', 'The code is not valid.');
      const left = account.recoveryCodesLeft ?? 9;
      const extra = request.path.endsWith('recovery-code') ? { recoveryCodesRemaining: left, ...(left <= 3 ? { warnings: ['recovery_codes_low'] } : {}) } : {};
      return {
        status: 200,
        body: {
          accessToken: issue(account, 'access', 2),
          tokenType: 'Bearer',
          expiresIn: 900,
          aal: 2,
          mfaRequired: false,
          methods: [],
          enrollmentRequired: false,
          ...extra,
        },
      };
    }
    return error(404, 'not_found', 'Route not found');
  });
  return { ...server, issue, accessTokens };
}

/** The notice lead of the stand-in (release-api's default `MAINTENANCE_NOTICE_LEAD`). */
export const STAND_IN_LEAD_MS = 72 * 3_600_000;

export async function startStandInReleaseApi(validTokens: Set<string>, options: { now?: () => Date } = {}) {
  const now = options.now ?? (() => new Date());
  const releases = new Map<string, Record<string, unknown>>();
  const advisories = new Map<string, Record<string, unknown>>();
  const windows = new Map<string, Record<string, unknown>>();
  const subscriptions = new Map<string, Record<string, unknown>>();
  /** Seeded by tests: deliveries come from the notice workers, which the stand-in does not have. */
  const deliveries = new Map<string, Record<string, unknown>>();
  let sequence = 1;
  let ids = 0;
  const newId = (prefix: string) => `${prefix}-${String(++ids).padStart(4, '0')}`;
  /** The service's rule: ISO 8601 with Z or an offset only (400), end after start, the notice lead (422). */
  const checkTimes = (startsAt: unknown, endsAt: unknown, emergencyReason: unknown) => {
    const zoned = (value: unknown) => typeof value === 'string' && /(Z|[+-]\d{2}:?\d{2})$/i.test(value) && !Number.isNaN(Date.parse(value));
    if (!zoned(startsAt) || !zoned(endsAt))
      return error(400, 'validation_failed', 'The request is not valid: startsAt/endsAt must be ISO 8601 with an offset.', { fields: ['startsAt'] });
    if (Date.parse(String(endsAt)) <= Date.parse(String(startsAt))) return error(400, 'invalid_window', 'endsAt must be after startsAt.');
    const earliest = new Date(now().getTime() + STAND_IN_LEAD_MS).toISOString();
    if (Date.parse(String(startsAt)) < Date.parse(earliest) && !emergencyReason) {
      return error(422, 'notice_too_short', `Maintenance must be announced at least 72h ahead: start at ${earliest} or later, or give an emergencyReason.`, {
        earliestStart: earliest,
        leadMs: STAND_IN_LEAD_MS,
        lead: '72h',
      });
    }
    return undefined;
  };
  const ops = (request: RecordedRequest) => {
    const header = String(request.headers.authorization ?? '');
    if (!header.startsWith('Bearer ')) return error(401, 'invalid_token', 'A bearer token is required.');
    const token = header.slice('Bearer '.length);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString() || '{}') as { roles?: string[]; aal?: number };
    if (!validTokens.has(token)) return error(401, 'invalid_token', 'The token is not valid.');
    if (!claims.roles?.includes('ops')) return error(403, 'forbidden', 'This needs the role ops.');
    // As release-api: ops routes need a session that passed a second factor.
    if ((claims.aal ?? 0) < 2) return error(403, 'step_up_required', 'This needs a session signed in with a second factor (aal 2).');
    return undefined;
  };
  const server = await startServer((request) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const [, , collection, id, action] = request.path.split('/').map(decodeURIComponent);
    if (request.method === 'GET' && request.path === '/v1/releases') {
      const list = [...releases.values()].filter((release) => !request.query['channel'] || release['channel'] === request.query['channel']);
      return { status: 200, body: { releases: list, sequence } };
    }
    if (request.method === 'GET' && request.path === '/v1/advisories') {
      return { status: 200, body: { advisories: [...advisories.values()], sequence } };
    }
    if (request.method === 'GET' && collection === 'releases' && id) {
      return releases.has(id) ? { status: 200, body: releases.get(id) } : error(404, 'release_not_found', `No release ${id}.`);
    }
    if (request.method === 'GET' && request.path === '/v1/maintenance-windows') {
      const environment = request.query['environment'];
      const list = [...windows.values()].filter(
        (window) =>
          (request.query['includePast'] === 'true' || window['status'] !== 'cancelled') &&
          (!environment || (window['environments'] as string[]).length === 0 || (window['environments'] as string[]).includes(environment)),
      );
      return { status: 200, body: { windows: list } };
    }
    if (request.method === 'GET' && collection === 'maintenance-windows' && id && !action) {
      return windows.has(id) ? { status: 200, body: windows.get(id) } : error(404, 'maintenance_window_not_found', `No maintenance window ${id}.`);
    }
    const refused = ops(request);
    if (refused) return refused;
    if (request.method === 'POST' && request.path === '/v1/maintenance-windows') {
      const problem = checkTimes(body['startsAt'], body['endsAt'], body['emergencyReason']);
      if (problem) return problem;
      const window = {
        id: newId('mw'),
        title: body['title'],
        description: body['description'],
        startsAt: new Date(String(body['startsAt'])).toISOString(),
        endsAt: new Date(String(body['endsAt'])).toISOString(),
        environments: body['environments'] ?? [],
        status: 'scheduled',
        sequence: 0,
        shortNotice: Boolean(body['emergencyReason']),
        emergencyReason: body['emergencyReason'] ?? null,
        announcedAt: body['emergencyReason'] ? now().toISOString() : null,
        cancelledAt: null,
        cancelReason: null,
      };
      windows.set(window.id, window);
      return { status: 201, body: window };
    }
    if (collection === 'maintenance-windows' && id) {
      const window = windows.get(id);
      if (!window) return error(404, 'maintenance_window_not_found', `No maintenance window ${id}.`);
      if (window['status'] === 'cancelled') return error(409, 'window_closed', `Maintenance window ${id} is cancelled.`);
      if (request.method === 'PATCH' && !action) {
        const startsAt = body['startsAt'] ?? window['startsAt'];
        const endsAt = body['endsAt'] ?? window['endsAt'];
        const problem = body['startsAt'] !== undefined || body['endsAt'] !== undefined ? checkTimes(startsAt, endsAt, body['emergencyReason']) : undefined;
        if (problem) return problem;
        const { emergencyReason, ...changes } = body;
        Object.assign(window, changes, { startsAt: new Date(String(startsAt)).toISOString(), endsAt: new Date(String(endsAt)).toISOString() });
        if (emergencyReason) Object.assign(window, { emergencyReason, shortNotice: true });
        window['sequence'] = Number(window['sequence']) + 1;
        return { status: 200, body: window };
      }
      if (request.method === 'POST' && action === 'cancel') {
        Object.assign(window, {
          status: 'cancelled',
          cancelledAt: now().toISOString(),
          cancelReason: body['reason'] ?? null,
          sequence: Number(window['sequence']) + 1,
        });
        return { status: 200, body: window };
      }
    }
    if (request.method === 'GET' && request.path === '/v1/deliveries') {
      const list = [...deliveries.values()].filter(
        (delivery) =>
          (!request.query['state'] || delivery['state'] === request.query['state']) &&
          (!request.query['windowId'] || delivery['windowId'] === request.query['windowId']),
      );
      return { status: 200, body: { deliveries: list } };
    }
    if (request.method === 'POST' && collection === 'deliveries' && id && action === 'replay') {
      const delivery = deliveries.get(id);
      if (!delivery) return error(404, 'delivery_not_found', `No delivery ${id}.`);
      if (delivery['state'] === 'pending') return error(409, 'delivery_pending', `Delivery ${id} is still pending.`);
      delivery['state'] = 'pending';
      return { status: 202, body: delivery };
    }
    if (request.method === 'POST' && request.path === '/v1/subscriptions') {
      if (body['kind'] === 'webhook' && String(body['secret'] ?? '').length < 16) {
        return error(400, 'validation_failed', 'The request is not valid: secret: must be at least 16 characters', { fields: ['secret'] });
      }
      const { secret: _secret, ...rest } = body;
      const subscription = { id: newId('sub'), url: null, address: null, timeZone: null, environments: [], createdAt: now().toISOString(), ...rest };
      subscriptions.set(subscription.id, subscription);
      return { status: 201, body: subscription };
    }
    if (request.method === 'GET' && request.path === '/v1/subscriptions') {
      return { status: 200, body: { subscriptions: [...subscriptions.values()] } };
    }
    if (request.method === 'DELETE' && collection === 'subscriptions' && id) {
      return subscriptions.delete(id) ? { status: 204 } : error(404, 'subscription_not_found', `No subscription ${id}.`);
    }
    if (request.method === 'POST' && request.path === '/v1/releases') {
      const version = String(body['version']);
      if (releases.has(version)) return error(409, 'release_exists', `Release ${version} already exists.`);
      const release = { editions: [], notesUrl: null, supportedUntil: null, security: false, yanked: false, upgradeFrom: null, ...body };
      releases.set(version, release);
      sequence++;
      return { status: 201, body: release };
    }
    if (request.method === 'PATCH' && collection === 'releases' && id) {
      const release = releases.get(id);
      if (!release) return error(404, 'release_not_found', `No release ${id}.`);
      Object.assign(release, body);
      return { status: 200, body: release };
    }
    if (request.method === 'POST' && request.path === '/v1/advisories') {
      const advisory = { id: 'KHSA-2026-0100', aliases: [], severity: null, knownExploited: false, fixedIn: [], withdrawnAt: null, ...body };
      advisories.set(String(advisory.id), advisory);
      return { status: 201, body: advisory };
    }
    if (request.method === 'POST' && request.path === '/v1/advisories/import') {
      const documents = Array.isArray(request.body) ? (request.body as Record<string, unknown>[]) : [body];
      const bad = documents.findIndex((document) => typeof document['id'] !== 'string');
      if (bad >= 0) return error(400, 'invalid_osv', `Document ${bad} has no id.`, { index: bad });
      const imported = documents.map((document) => {
        const created = !advisories.has(String(document['id']));
        advisories.set(String(document['id']), {
          id: document['id'],
          title: document['summary'],
          aliases: [],
          affected: [],
          fixedIn: [],
          knownExploited: false,
          severity: null,
        });
        return { id: document['id'], created };
      });
      return { status: 200, body: { imported, sequence: ++sequence } };
    }
    if (request.method === 'PATCH' && collection === 'advisories' && id) {
      const advisory = advisories.get(id);
      if (!advisory) return error(404, 'advisory_not_found', `No advisory ${id}.`);
      advisory['withdrawnAt'] = body['withdrawn'] ? '2026-11-27T12:00:00.000Z' : null;
      return { status: 200, body: advisory };
    }
    return error(404, 'not_found', 'Route not found');
  });
  return { ...server, releases, advisories, windows, subscriptions, deliveries };
}
