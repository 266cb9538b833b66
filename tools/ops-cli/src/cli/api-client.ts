import { CliError } from './cli-error';
import { ExitCode } from './exit-codes';

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  /** A bearer token; `() => string` resolves it lazily (so commands that need none never read credentials). */
  token?: string | (() => Promise<string>);
}

/** The uniform error body of both services (DESIGN: `{error:{code,message,details?}}`). */
interface ApiErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

/**
 * A small JSON-over-HTTP client for one Keyhaven service. It turns every failure into a
 * CliError with the exit code the CLI promises: 3 for 401/403, 4 when the service cannot be
 * reached, 1 for any other refusal — with the API's own code and message.
 */
export class ApiClient {
  constructor(
    readonly service: string,
    readonly baseUrl: string,
    private readonly fetchFn: typeof fetch,
    private readonly timeoutMs = 30_000,
  ) {}

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  post<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, options);
  }

  patch<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('PATCH', path, options);
  }

  delete<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('DELETE', path, options);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'keyhaven-ops' };
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.fetchFn(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (cause) {
      throw new CliError(`Cannot reach ${this.service} at ${this.baseUrl}: ${reason(cause)}`, ExitCode.network, 'network');
    }
    const text = await response.text();
    if (response.ok) return (text === '' ? undefined : parseJson(text)) as T;
    // Only a stored/env token can be cured by logging in again; a refused sign-in step cannot.
    throw this.apiError(response, text, typeof options.token === 'function');
  }

  private url(path: string, query: RequestOptions['query']): URL {
    const base = this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`;
    const url = new URL(path.replace(/^\//, ''), base);
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    return url;
  }

  private apiError(response: Response, text: string, withSessionToken: boolean): CliError {
    const parsed = parseJson(text) as ApiErrorBody | undefined;
    const error = typeof parsed?.error === 'object' && parsed.error !== null ? parsed.error : {};
    const code = typeof error.code === 'string' ? error.code : `http_${response.status}`;
    const message = typeof error.message === 'string' ? error.message : `${this.service} answered ${response.status} ${response.statusText}`.trim();
    const retryAfter = response.headers.get('retry-after');
    if (response.status === 401) {
      const hint = withSessionToken ? '. Log in again: keyhaven-ops login' : '';
      return new CliError(`${message} (${code})${hint}`, ExitCode.auth, code, error.details, 401);
    }
    if (response.status === 403) {
      const hint =
        code === 'step_up_required'
          ? 'This needs a session signed in with a second factor: enroll an authenticator app on the account page, then keyhaven-ops login again.'
          : 'This needs an account with the ops role.';
      return new CliError(`${message} (${code}). ${hint}`, ExitCode.auth, code, error.details, 403);
    }
    const wait = retryAfter ? ` Retry after ${retryAfter} s.` : '';
    return new CliError(`${message} (${code})${wait}`, ExitCode.api, code, error.details, response.status);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function reason(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  if (cause.name === 'TimeoutError') return 'no answer in time';
  const inner = (cause as Error & { cause?: { code?: string; message?: string } }).cause;
  return inner?.code ?? inner?.message ?? cause.message;
}
