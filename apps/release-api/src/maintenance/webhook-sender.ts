import { Agent as HttpAgent, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { systemResolver, WebhookEgressPolicy, WebhookResolver, WebhookTargetForbidden } from '@keyhaven/release-maintenance';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';

/** DI token of the DNS resolver deliveries use; tests give one that answers what they need. */
export const WEBHOOK_RESOLVER = Symbol('WEBHOOK_RESOLVER');
export const SYSTEM_WEBHOOK_RESOLVER = systemResolver;

/**
 * Sends one webhook POST under the egress policy. node:http(s) with a `lookup` that resolves,
 * checks every address and hands the socket only checked ones, so the address connected to is
 * the address that was checked (a literal address in the URL is checked before, since the
 * socket does no lookup for it). Keep-alive agents reuse connections to a receiver; a reused
 * socket was checked when it was opened. Redirects are never followed: a 3xx is a failure that
 * names the status (a redirect would carry the signed body somewhere the subscriber did not name).
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  readonly policy: WebhookEgressPolicy;
  private readonly lookup: LookupFunction;
  private readonly http = new HttpAgent({ keepAlive: true });
  private readonly https = new HttpsAgent({ keepAlive: true });

  constructor(
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
    @Inject(WEBHOOK_RESOLVER) private readonly resolver: WebhookResolver,
  ) {
    this.policy = new WebhookEgressPolicy(config.maintenance.webhookAllowlist);
    this.lookup = this.policy.guardedLookup(resolver);
  }

  /** The subscription-time check (URL, then the addresses the host resolves to now). */
  checkTarget(url: string) {
    return this.policy.checkTarget(url, this.resolver);
  }

  /** Resolves on a 2xx answer; rejects with the reason otherwise (status, refusal, timeout). */
  async post(target: string, headers: Record<string, string>, body: string): Promise<void> {
    const verdict = this.policy.checkUrl(target);
    if (!verdict.allowed) throw new WebhookTargetForbidden(verdict.reason);
    const url = new URL(target);
    const secure = url.protocol === 'https:';
    const status = await new Promise<number>((resolve, reject) => {
      const outgoing = (secure ? httpsRequest : httpRequest)(
        {
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          agent: secure ? this.https : this.http,
          lookup: this.lookup,
          signal: AbortSignal.timeout(this.config.maintenance.webhookTimeoutMs),
        },
        (response: IncomingMessage) => {
          // Drain the body so the connection is reused; its content does not matter.
          response.on('error', reject);
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.resume();
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
    if (status >= 300 && status < 400) throw new Error(`HTTP ${status} (redirects are not followed)`);
    if (status < 200 || status >= 300) throw new Error(`HTTP ${status}`);
  }

  onApplicationShutdown(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
