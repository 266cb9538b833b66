import { z } from 'zod';
import { CommonConfig, commonEnvShape, env, parseEnv, toCommonConfig } from '@keyhaven/config';

export const AUTH_SERVICE = 'auth-service';

export const authEnvSchema = z.object({
  ...commonEnvShape(AUTH_SERVICE, 3000),
  AUTH_ISSUER: env.url(['http:', 'https:'], 'http://localhost:3000'),
});

export interface AuthConfig extends CommonConfig {
  issuer: string;
}

/** The one place auth-service reads its environment. */
export function loadAuthConfig(source: Record<string, string | undefined>): AuthConfig {
  const parsed = parseEnv(authEnvSchema, source);
  return { ...toCommonConfig(AUTH_SERVICE, parsed), issuer: parsed.AUTH_ISSUER };
}

/** DI token for the typed config object. */
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
