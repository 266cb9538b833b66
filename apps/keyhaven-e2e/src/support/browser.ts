import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Browser, CDPSession, chromium, Page } from 'playwright-core';
import { WORKSPACE } from '@keyhaven/testing';

/** Debian's Chromium (`apt-get install -y chromium`); never a downloaded browser build. */
export const CHROMIUM = '/usr/bin/chromium';

export const chromiumMissingReason = existsSync(CHROMIUM)
  ? undefined
  : `Chromium not found at ${CHROMIUM} (install it with: apt-get install -y chromium); .ci/run installs it`;

/**
 * `describe` for browser tests: where Chromium is missing the block is reported as skipped and
 * the reason is printed — never a silent pass.
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (chromiumMissingReason) {
    process.stderr.write(`SKIPPED browser tests "${name}": ${chromiumMissingReason}\n`);
    describe.skip(`${name} [skipped: ${chromiumMissingReason}]`, body);
  } else {
    describe(name, body);
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Flags that work on this machine kind: no sandbox as root, no GPU, and no background
    // traffic (the network is closed; Chromium would otherwise retry Google hosts forever).
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export type AuthenticatorKind = 'security-key' | 'platform-passkey';

export interface VirtualAuthenticator {
  id: string;
  cdp: CDPSession;
  /** The credentials it holds (id, rpId, signCount …), straight from the DevTools protocol. */
  credentials(): Promise<Array<{ credentialId: string; rpId?: string; signCount: number; isResidentCredential: boolean }>>;
  remove(): Promise<void>;
}

/**
 * Attaches a CDP virtual authenticator to a page: a USB security key (CTAP2, no user
 * verification, non-resident) or a platform passkey (internal, resident, user-verified).
 * Enable it before any ceremony, or `navigator.credentials.*` may never settle.
 */
export async function addVirtualAuthenticator(page: Page, kind: AuthenticatorKind): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const options =
    kind === 'security-key'
      ? { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: false, isUserVerified: false }
      : { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true };
  const { authenticatorId } = (await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { ...options, automaticPresenceSimulation: true },
  } as never)) as { authenticatorId: string };
  return {
    id: authenticatorId,
    cdp,
    async credentials() {
      const { credentials } = (await cdp.send('WebAuthn.getCredentials', { authenticatorId } as never)) as {
        credentials: Array<{ credentialId: string; rpId?: string; signCount: number; isResidentCredential: boolean }>;
      };
      return credentials;
    },
    async remove() {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId } as never);
    },
  };
}

/** Screenshots go under test-output/<suite>/ (ignored by git, kept by CI as artefacts). */
export async function screenshot(page: Page, suite: string, step: string): Promise<string> {
  const dir = join(WORKSPACE, 'test-output', suite);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${step}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
