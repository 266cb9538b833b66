import { z } from 'zod';
import { CommonConfig, commonEnvShape, env, parseEnv, toCommonConfig } from '@keyhaven/config';

export const RELEASE_SERVICE = 'release-api';

export const releaseEnvSchema = z.object({
  ...commonEnvShape(RELEASE_SERVICE, 3001),
  AUTH_JWKS_URL: env.url(['http:', 'https:'], 'http://localhost:3000/.well-known/jwks.json'),
  AUTH_ISSUER: env.url(['http:', 'https:'], 'http://localhost:3000'),
  MAINTENANCE_NOTICE_LEAD: env.duration('72h'),
  MAINTENANCE_REMINDERS: env.durationList('24h,1h'),
});

export interface ReleaseConfig extends CommonConfig {
  auth: { jwksUrl: string; issuer: string };
  maintenance: { noticeLeadMs: number; remindersMs: number[] };
}

/** The one place release-api reads its environment. */
export function loadReleaseConfig(source: Record<string, string | undefined>): ReleaseConfig {
  const parsed = parseEnv(releaseEnvSchema, source);
  return {
    ...toCommonConfig(RELEASE_SERVICE, parsed),
    auth: { jwksUrl: parsed.AUTH_JWKS_URL, issuer: parsed.AUTH_ISSUER },
    maintenance: { noticeLeadMs: parsed.MAINTENANCE_NOTICE_LEAD, remindersMs: parsed.MAINTENANCE_REMINDERS },
  };
}

export const RELEASE_CONFIG = Symbol('RELEASE_CONFIG');
