import { z } from 'zod';
import { commonEnvShape, toCommonConfig } from './common';
import { ConfigError, env, parseEnv } from './env';

const schema = z.object({
  ...commonEnvShape(4000),
  LEAD: env.duration('72h'),
  REMINDERS: env.durationList('24h,1h'),
  ENFORCED: env.oneOf(['off', 'all'] as const, 'off'),
  SECRET: env.string(),
});

function problemsOf(source: Record<string, string>): string[] {
  try {
    parseEnv(schema, { SECRET: 's', ...source });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe(parseEnv.name, () => {
  it('applies defaults when variables are unset', () => {
    const parsed = parseEnv(schema, { SECRET: 's' });
    expect(toCommonConfig('demo', parsed)).toEqual({
      service: 'demo',
      port: 4000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: '.data',
      logLevel: 'info',
      trustProxy: [],
      backups: undefined,
    });
    expect(parsed.LEAD).toBe(72 * 3_600_000);
    expect(parsed.REMINDERS).toEqual([24 * 3_600_000, 3_600_000]);
  });

  it('reads every kind of value', () => {
    const parsed = parseEnv(schema, {
      SECRET: 's',
      PORT: '0',
      DATABASE_URL: 'postgresql://u@db:5432/x',
      LEAD: '10s',
      REMINDERS: '5s, 2s',
      ENFORCED: 'ALL',
      LOG_LEVEL: 'debug',
    });
    expect(parsed).toMatchObject({ PORT: 0, DATABASE_URL: 'postgresql://u@db:5432/x', LEAD: 10_000, REMINDERS: [5_000, 2_000], ENFORCED: 'all' });
  });

  it('names the variable and what it expects', () => {
    expect(problemsOf({ PORT: 'abc' })).toEqual(['PORT: expected a port number 0–65535, got "abc"']);
    expect(problemsOf({ PORT: '70000' })).toEqual(['PORT: expected a port number 0–65535, got "70000"']);
    expect(problemsOf({ DATABASE_URL: 'mysql://x' })).toEqual(['DATABASE_URL: expected a URL (postgres or postgresql), got "mysql://x"']);
    expect(problemsOf({ LEAD: 'soon' })).toEqual(['LEAD: expected a duration such as 72h, 30m or 20s, got "soon"']);
    expect(problemsOf({ REMINDERS: '24h,later' })).toEqual(['REMINDERS: expected a comma-separated list of durations such as 24h,1h, got "24h,later"']);
    expect(problemsOf({ LOG_LEVEL: 'loud' })).toEqual(['LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"']);
  });

  it('reports a missing required variable and every problem at once', () => {
    expect(() => parseEnv(schema, { PORT: 'x' })).toThrow(
      'Invalid configuration: PORT: expected a port number 0–65535, got "x"; SECRET: is required: a non-empty string',
    );
  });

  it('reads TRUST_PROXY as addresses and CIDR ranges, and stops the boot on anything else', () => {
    expect(toCommonConfig('demo', parseEnv(schema, { SECRET: 's', TRUST_PROXY: '10.0.0.0/8, 192.168.1.10,fd00::/8' })).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.10',
      'fd00::/8',
    ]);
    expect(() => toCommonConfig('demo', parseEnv(schema, { SECRET: 's', TRUST_PROXY: '10.0.0.0/8,proxy.internal' }))).toThrow(
      /^Invalid configuration: TRUST_PROXY: expected the addresses or CIDR ranges of your reverse proxies, .*cannot read "proxy\.internal"$/,
    );
  });
});
