import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { RELEASE_CONFIG, ReleaseConfig } from '../config/release.config';
import { SealingKey } from '../signing/sealing-key';

export type LinkPurpose = 'unsubscribe' | 'data';

/** HKDF info per purpose; the unsubscribe one is unchanged, so links already mailed keep working. */
const LINK_INFO: Record<LinkPurpose, string> = {
  unsubscribe: 'keyhaven release-api unsubscribe links v1',
  data: 'keyhaven release-api subscription data links v1',
};

/**
 * The unsubscribe link in every notice email (and its `List-Unsubscribe` header): the
 * subscription id with an HMAC of it under a key derived from the service's sealing key. No
 * token is stored, a link works for exactly one subscription, and it cannot be guessed or
 * forged without the key — so a recipient can leave without an account, and nobody else can
 * remove them.
 */
@Injectable()
export class UnsubscribeLinks {
  private readonly keys = new Map<LinkPurpose, Promise<Buffer>>();

  constructor(
    private readonly sealingKey: SealingKey,
    @Inject(RELEASE_CONFIG) private readonly config: ReleaseConfig,
  ) {}

  async url(subscriptionId: string): Promise<string> {
    return `${this.config.publicUrl}/v1/subscriptions/${subscriptionId}/unsubscribe?token=${await this.token(subscriptionId, 'unsubscribe')}`;
  }

  /** What is stored about the subscription (GDPR Art. 15), next to the unsubscribe link: a key of its own, so one link never opens the other. */
  async dataUrl(subscriptionId: string): Promise<string> {
    return `${this.config.publicUrl}/v1/subscriptions/${subscriptionId}/data?token=${await this.token(subscriptionId, 'data')}`;
  }

  async verify(subscriptionId: string, token: string, purpose: LinkPurpose = 'unsubscribe'): Promise<boolean> {
    const expected = Buffer.from(await this.token(subscriptionId, purpose));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private async token(subscriptionId: string, purpose: LinkPurpose): Promise<string> {
    let key = this.keys.get(purpose);
    if (!key) {
      key = this.sealingKey.get().then((root) => Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), LINK_INFO[purpose], 32)));
      this.keys.set(purpose, key);
    }
    return createHmac('sha256', await key)
      .update(subscriptionId)
      .digest('base64url');
  }
}
