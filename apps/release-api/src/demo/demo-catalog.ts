import type { AffectedRange } from '../catalog/catalog-types';

/**
 * A realistic catalog for trying the service out: an end-of-life line (11.x), an LTS line
 * (12.x), the previous stable line (13.x), the current one (14.x, with a yanked release and an
 * enterprise-only hotfix), a beta of 15, and advisories over several branches — so
 * `/v1/check?version=…` shows every status (see docs/release-api.md).
 */
export interface DemoRelease {
  version: string;
  channel: string;
  editions?: string[];
  releasedAt: string;
  supportedUntil?: string | null;
  security?: boolean;
  yanked?: boolean;
  upgradeFrom?: string | null;
}

export interface DemoAdvisory {
  id: string;
  aliases: string[];
  title: string;
  summary: string;
  vector: string;
  knownExploited?: boolean;
  affected: AffectedRange[];
  fixedIn: string[];
  publishedAt: string;
  withdrawnAt?: string;
}

const EOL_11 = '2026-06-30T00:00:00.000Z';
const LTS_12 = '2028-12-31T00:00:00.000Z';
const EOL_13 = '2027-06-30T00:00:00.000Z';

export const DEMO_RELEASES: DemoRelease[] = [
  { version: '11.0.0', channel: 'stable', releasedAt: '2024-03-01T00:00:00Z', supportedUntil: EOL_11, upgradeFrom: '>=10.0.0 <11.0.0' },
  { version: '11.2.0', channel: 'stable', releasedAt: '2024-06-10T00:00:00Z', supportedUntil: EOL_11, upgradeFrom: '>=11.0.0 <11.2.0' },
  { version: '11.2.4', channel: 'stable', releasedAt: '2024-09-02T00:00:00Z', supportedUntil: EOL_11, security: true, upgradeFrom: '>=11.0.0 <11.2.4' },
  { version: '12.0.0', channel: 'lts', releasedAt: '2024-10-01T00:00:00Z', supportedUntil: LTS_12, upgradeFrom: '>=11.2.0 <12.0.0' },
  { version: '12.2.0', channel: 'lts', releasedAt: '2025-01-20T00:00:00Z', supportedUntil: LTS_12, security: true, upgradeFrom: '>=11.2.0 <12.2.0' },
  { version: '12.4.0', channel: 'lts', releasedAt: '2025-04-14T00:00:00Z', supportedUntil: LTS_12, upgradeFrom: '>=11.2.0 <12.4.0' },
  { version: '12.4.3', channel: 'lts', releasedAt: '2026-09-15T00:00:00Z', supportedUntil: LTS_12, security: true, upgradeFrom: '>=11.2.0 <12.4.3' },
  { version: '13.0.0', channel: 'stable', releasedAt: '2025-05-01T00:00:00Z', supportedUntil: EOL_13, upgradeFrom: '>=12.4.0 <13.0.0' },
  { version: '13.1.0', channel: 'stable', releasedAt: '2025-07-01T00:00:00Z', supportedUntil: EOL_13, upgradeFrom: '>=12.4.0 <13.1.0' },
  { version: '13.4.0', channel: 'stable', releasedAt: '2025-10-06T00:00:00Z', supportedUntil: EOL_13, security: true, upgradeFrom: '>=12.4.0 <13.4.0' },
  { version: '13.4.2', channel: 'stable', releasedAt: '2026-08-03T00:00:00Z', supportedUntil: EOL_13, security: true, upgradeFrom: '>=12.4.0 <13.4.2' },
  // Stepping stone: 14.x accepts only the last 13.x, so 12.x goes 12 → 13.4.2 → 14.
  { version: '14.0.0', channel: 'stable', releasedAt: '2025-12-01T00:00:00Z', yanked: true, upgradeFrom: '>=13.4.0 <14.0.0' },
  { version: '14.0.1', channel: 'stable', releasedAt: '2025-12-04T00:00:00Z', security: true, upgradeFrom: '>=13.4.0 <14.0.1' },
  { version: '14.1.0', channel: 'stable', releasedAt: '2026-03-02T00:00:00Z', upgradeFrom: '>=13.4.0 <14.1.0' },
  { version: '14.1.1', channel: 'stable', editions: ['enterprise'], releasedAt: '2026-04-20T00:00:00Z', upgradeFrom: '>=13.4.0 <14.1.1' },
  { version: '14.2.1', channel: 'stable', releasedAt: '2026-10-01T00:00:00Z', upgradeFrom: '>=13.4.0 <14.2.1' },
  { version: '15.0.0-beta.1', channel: 'beta', releasedAt: '2026-11-10T00:00:00Z', upgradeFrom: '>=14.2.0 <15.0.0-beta.1' },
];

export const DEMO_ADVISORIES: DemoAdvisory[] = [
  {
    id: 'KHSA-2024-0004',
    aliases: ['CVE-2024-48213'],
    title: 'Session fixation after password reset',
    summary: 'A session created before a password reset stayed valid afterwards, letting an attacker who had planted a session id keep access.',
    vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:L/A:N',
    affected: [
      { introduced: '11.0.0', fixed: '11.2.4' },
      { introduced: '12.0.0', fixed: '12.2.0' },
    ],
    fixedIn: ['11.2.4', '12.2.0'],
    publishedAt: '2024-09-02T00:00:00Z',
  },
  {
    id: 'KHSA-2025-0011',
    aliases: ['CVE-2025-29871', 'GHSA-q4xp-8m2v-r7cw'],
    title: 'Stored XSS in the admin audit view',
    summary: 'Account display names were rendered unescaped in the audit log view of the admin console.',
    vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:A/VC:L/VI:L/VA:N/SC:L/SI:L/SA:N',
    affected: [
      { introduced: '12.0.0', fixed: '12.4.3' },
      { introduced: '13.0.0', fixed: '13.4.0' },
    ],
    fixedIn: ['12.4.3', '13.4.0'],
    publishedAt: '2025-10-06T00:00:00Z',
  },
  {
    id: 'KHSA-2026-0003',
    aliases: ['CVE-2026-31337', 'GHSA-7h2x-4q9p-v3mm'],
    title: 'Authentication bypass in the SAML login',
    summary: 'An unsigned SAML assertion wrapped inside a signed response was accepted, allowing login as any user.',
    vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    knownExploited: true,
    affected: [
      { introduced: '13.0.0', fixed: '13.4.2' },
      { introduced: '14.0.0', lastAffected: '14.0.0' },
    ],
    fixedIn: ['13.4.2', '14.0.1'],
    publishedAt: '2026-08-03T00:00:00Z',
  },
  {
    id: 'KHSA-2026-0007',
    aliases: ['CVE-2026-40112'],
    title: 'Denial of service through a crafted SCIM filter',
    summary: 'Withdrawn: the reported exponential parse time could not be reproduced on any released version.',
    vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H',
    affected: [{ introduced: '14.1.0', lastAffected: '14.2.1' }],
    fixedIn: [],
    publishedAt: '2026-10-20T00:00:00Z',
    withdrawnAt: '2026-10-28T00:00:00Z',
  },
];

/**
 * `count` old releases and advisories for load tests, all in the long-dead 0.x line so the
 * demo answers for 11.x–15.x stay the same whatever the catalog size.
 */
export function syntheticCatalog(count: number): { releases: DemoRelease[]; advisories: DemoAdvisory[] } {
  const releases: DemoRelease[] = [];
  const advisories: DemoAdvisory[] = [];
  for (let i = 0; i < count; i += 1) {
    const minor = Math.floor(i / 100);
    const patch = i % 100;
    releases.push({
      version: `0.${minor}.${patch}`,
      channel: 'stable',
      releasedAt: '2020-01-01T00:00:00Z',
      supportedUntil: '2021-01-01T00:00:00Z',
      upgradeFrom: patch === 0 ? null : `>=0.${minor}.0 <0.${minor}.${patch}`,
    });
    advisories.push({
      id: `SYN-${i}`,
      aliases: [],
      title: `Synthetic advisory ${i}`,
      summary: 'Generated for load tests (RELEASE_DEMO_SYNTHETIC).',
      vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N',
      affected: [{ introduced: `0.${minor}.${patch}`, fixed: `0.${minor}.${patch + 1}` }],
      fixedIn: [],
      publishedAt: '2020-06-01T00:00:00Z',
    });
  }
  return { releases, advisories };
}
