import { browserSupportsWebAuthn } from '@simplewebauthn/browser';
import { ApiError, AuthApi, SecondFactorMethod } from './api';
import { byId, focusOn, markInvalid } from './dom';
import { DisplayClaims } from './token';

export type View = 'sign-in' | 'second-step' | 'account';
const VIEWS: Record<View, { section: string; heading: string; title: string }> = {
  'sign-in': { section: 'view-sign-in', heading: 'sign-in-title', title: 'Sign in' },
  'second-step': { section: 'view-second-step', heading: 'second-step-title', title: 'Second step' },
  account: { section: 'view-account', heading: 'account-title', title: 'Your account' },
};

export interface PageSession {
  token: string;
  claims: DisplayClaims;
  refreshToken: string | undefined;
}

/**
 * What every screen shares: the session and the sign-in in progress, which screen shows, and the
 * message regions. The screens themselves live in their own modules (sign-in-view.ts,
 * second-step-view.ts, account-view.ts and the account's sections); main.ts wires them.
 *
 * Where the tokens live: in this object, nowhere else. Not localStorage or sessionStorage, not a
 * cookie, not the URL. (The one cookie is a remembered device's token: HttpOnly, so this script
 * never sees it, and sent by the browser only to the sign-in routes.)
 * - Script injected through an XSS bug cannot lift a token out of storage later, and nothing
 *   survives the tab: no token to steal from disk, from browser history, from server logs or
 *   from a Referer header.
 * - Closing or reloading the tab signs out. That is the intended trade-off for a page used
 *   now and then to manage second factors; access tokens are short-lived (AUTH_ACCESS_TOKEN_TTL).
 */
export class Page {
  readonly api = new AuthApi();
  readonly webauthnSupported = browserSupportsWebAuthn();
  session: PageSession | undefined;
  /** The mfa_pending token between password and second factor (AUTH_PENDING_TOKEN_TTL). */
  pending: { token: string; methods: SecondFactorMethod[]; email: string } | undefined;
  /** Set while the user confirms it's them before a factor change is retried. */
  stepUp: { email: string; sub: string | undefined; resolve: (done: boolean) => void } | undefined;
  /** An enroll-only token cannot become a full session: after the first factor, sign in again. */
  signInAgainAfterCodes = false;

  showView(view: View, focus: HTMLElement | 'heading' | 'none' = 'heading'): void {
    for (const [name, ids] of Object.entries(VIEWS)) byId(ids.section).hidden = name !== view;
    // The tab title says where the user is (WCAG 2.4.2), for screen readers and tab switchers.
    document.title = `${this.stepUp && view !== 'account' ? 'Confirm it’s you' : VIEWS[view].title} – Keyhaven`;
    const signedIn = this.session !== undefined && this.stepUp === undefined && view === 'account';
    byId('sign-out').hidden = !signedIn;
    const who = byId('who');
    who.hidden = !signedIn;
    who.textContent = signedIn ? `Signed in as ${this.session?.claims.email ?? ''}` : '';
    if (focus === 'heading') focusOn(byId(VIEWS[view].heading));
    else if (focus !== 'none') focusOn(focus);
  }

  clearMessages(): void {
    const alert = byId('alert');
    alert.hidden = true;
    alert.textContent = '';
    byId('status').textContent = '';
  }

  /** Errors go to a role=alert region (read out at once); the field at fault gets focus. */
  showError(message: string, field?: HTMLInputElement): void {
    byId('status').textContent = '';
    const alert = byId('alert');
    alert.textContent = message;
    alert.hidden = false;
    if (field) {
      markInvalid(field, true);
      field.focus();
      field.select();
    }
  }

  announce(message: string): void {
    byId('alert').hidden = true;
    byId('status').textContent = message;
  }

  token(): string {
    if (!this.session) throw new ApiError(401, 'unauthorized', 'Not signed in.');
    return this.session.token;
  }
}

/** Binds an event handler to an element of index.html (promises are the handler's to settle). */
export function on<E extends Event>(id: string, type: string, handler: (event: E) => void | Promise<void>): void {
  byId(id).addEventListener(type, (event) => void handler(event as E));
}
