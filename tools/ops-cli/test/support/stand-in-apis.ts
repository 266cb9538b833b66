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
        return { status: 200, body: { accessToken: issue(account, 'mfa_pending', 1), tokenType: 'Bearer', expiresIn: 300, aal: 1, mfaRequired: true, methods: ['totp', 'recovery_code'], enrollmentRequired: false } };
      }
      return { status: 200, body: { accessToken: issue(account, 'access', 1), tokenType: 'Bearer', expiresIn: 900, aal: 1, mfaRequired: false, methods: [], enrollmentRequired: false } };
    }
    if (request.method === 'POST' && (request.path === '/v1/sessions/mfa/totp' || request.path === '/v1/sessions/mfa/recovery-code')) {
      const account = pendingAccount(request);
      if (!account) return error(401, 'invalid_token', 'A pending sign-in token is required.');
      const expected = request.path.endsWith('totp') ? account.totpCode : account.recoveryCode;
      if (body['code'] !== expected) return error(401, 'invalid_code', 'The code is not valid.');
      const extra = request.path.endsWith('recovery-code') ? { recoveryCodesRemaining: 9 } : {};
      return { status: 200, body: { accessToken: issue(account, 'access', 2), tokenType: 'Bearer', expiresIn: 900, aal: 2, mfaRequired: false, methods: [], enrollmentRequired: false, ...extra } };
    }
    return error(404, 'not_found', 'Route not found');
  });
  return { ...server, issue, accessTokens };
}

export async function startStandInReleaseApi(validTokens: Set<string>) {
  const releases = new Map<string, Record<string, unknown>>();
  const advisories = new Map<string, Record<string, unknown>>();
  let sequence = 1;
  const ops = (request: RecordedRequest) => {
    const header = String(request.headers.authorization ?? '');
    if (!header.startsWith('Bearer ')) return error(401, 'invalid_token', 'A bearer token is required.');
    const token = header.slice('Bearer '.length);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString() || '{}') as { roles?: string[] };
    if (!validTokens.has(token)) return error(401, 'invalid_token', 'The token is not valid.');
    if (!claims.roles?.includes('ops')) return error(403, 'forbidden', 'This needs the role ops.');
    return undefined;
  };
  const server = await startServer((request) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const [, , collection, id] = request.path.split('/').map(decodeURIComponent);
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
    const refused = ops(request);
    if (refused) return refused;
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
        advisories.set(String(document['id']), { id: document['id'], title: document['summary'], aliases: [], affected: [], fixedIn: [], knownExploited: false, severity: null });
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
  return { ...server, releases, advisories };
}
