import { ApiError, SessionAnswer } from './app/api';
import { AccountView } from './app/account-view';
import { byId, markInvalid } from './app/dom';
import { FactorsView } from './app/factors-view';
import { orderMethods } from './app/format';
import { ErrorContext, messageFor } from './app/messages';
import { Page } from './app/page';
import { RecoveryCodesView } from './app/recovery-codes-view';
import { refreshDelayMs } from './app/refresh';
import { SecondStepView } from './app/second-step-view';
import { SessionsView } from './app/sessions-view';
import { SignInView } from './app/sign-in-view';
import { StepUpCancelled } from './app/step-up';
import { readClaims } from './app/token';
import { YourDataView } from './app/your-data';

/*
 * The account page: each screen is its own module (sign-in and step-up, the second step, the
 * account with its sections: factors, recovery codes, sessions, your data), sharing one Page
 * (session, messages, which screen shows). This module composes them and owns what crosses
 * screens: completing a sign-in, keeping the session fresh, signing out, and the one error path.
 */
const page = new Page();
/** The access token is traded for a new one before it expires (POST /v1/sessions/refresh). */
let refreshTimer: ReturnType<typeof setTimeout> | undefined;

const signIn = new SignInView(page, { afterSessionAnswer, handleFailure });
const secondStep = new SecondStepView(page, {
  completeSignIn,
  showSignIn: () => signIn.show(),
  cancelStepUp: () => signIn.cancelStepUp(),
  handleFailure,
});
const sections = {
  refreshAccount: () => account.refresh(),
  requestStepUp: (reason: ApiError) => signIn.requestStepUp(reason),
  handleFailure,
  signOut: (message: string) => signOut(message),
};
const recoveryCodes = new RecoveryCodesView(page, sections);
const account: AccountView = new AccountView(
  page,
  {
    factors: new FactorsView(page, { ...sections, showRecoveryCodes: (codes) => recoveryCodes.show(codes) }),
    recoveryCodes,
    sessions: new SessionsView(page, sections),
    /** "Your data": export, deletion and retention (the rest of the page lends it these). */
    yourData: new YourDataView({
      api: page.api,
      token: () => page.token(),
      requestStepUp: (reason) => signIn.requestStepUp(reason),
      clearMessages: () => page.clearMessages(),
      announce: (message) => page.announce(message),
      handleFailure: (error) => handleFailure(error, 'general'),
      signOut: (message) => signOut(message),
    }),
  },
  { handleFailure },
);

const SESSION_ENDING_CODES = new Set(['invalid_token', 'unauthorized']);

/**
 * The one error path of every action: a refused step-up was the user's choice (no message); an
 * expired session sends them back to sign in; everything else is a mapped message.
 */
function handleFailure(error: unknown, context: ErrorContext, field?: HTMLInputElement): void {
  if (error instanceof StepUpCancelled) return;
  const secondStepContext = context === 'totp' || context === 'recovery_code' || context === 'webauthn';
  if (error instanceof ApiError && page.pending && secondStepContext && (error.code === 'invalid_token' || error.code === 'wrong_token_use')) {
    // The pending token expired (AUTH_PENDING_TOKEN_TTL) — also during a step-up, where the
    // session itself is still fine: only the second step starts over, from the password.
    page.pending = undefined;
    signIn.show();
    page.showError(messageFor(error, context));
    return;
  }
  if (error instanceof ApiError && page.session && SESSION_ENDING_CODES.has(error.code) && context !== 'password') {
    signOut(messageFor(error, 'general'), true);
    return;
  }
  page.showError(messageFor(error, context), field);
}

// --- signing in --------------------------------------------------------------------------------

async function afterSessionAnswer(answer: SessionAnswer, email: string): Promise<void> {
  if (answer.mfaRequired) {
    page.pending = { token: answer.accessToken, methods: orderMethods(answer.methods), email };
    secondStep.show();
    return;
  }
  await completeSignIn(answer);
}

async function completeSignIn(answer: SessionAnswer): Promise<void> {
  const claims = readClaims(answer.accessToken);
  if (page.stepUp?.sub && claims.sub !== page.stepUp.sub) {
    page.pending = undefined;
    signIn.show();
    page.showError('That is a different account. Confirm with the account you are signed in as, or cancel.');
    return;
  }
  const previous = page.session;
  page.session = { token: answer.accessToken, claims, refreshToken: answer.refreshToken };
  scheduleRefresh(answer.expiresIn);
  page.pending = undefined;
  if (page.stepUp) {
    const done = page.stepUp;
    page.stepUp = undefined;
    // The step-up opened a new session; the one it replaces ends here rather than linger in the list.
    if (previous && previous.token !== answer.accessToken) void page.api.signOut(previous.token).catch(() => undefined);
    page.showView('account', 'none');
    done.resolve(true);
    return;
  }
  const remembered = claims.amr?.includes('remembered_device') === true;
  page.announce(
    claims.aal === 2
      ? `Signed in with two factors.${answer.deviceTokenExpiresIn ? ' This device is remembered: for 30 days your password is enough here.' : ''}`
      : remembered
        ? 'Signed in on a remembered device.'
        : 'Signed in.',
  );
  page.showView('account');
  account.renderNotices(answer);
  await account.refresh();
}

/**
 * Forgets everything the page knew about the account. `endSession`: the user chose to sign out,
 * so the server ends the session too (its tokens stop working everywhere); otherwise the session
 * has ended already (refused token, failed refresh).
 */
function signOut(message = 'You have signed out.', asError = false, endSession = false): void {
  if (endSession && page.session) void page.api.signOut(page.session.token).catch(() => undefined);
  clearTimeout(refreshTimer);
  refreshTimer = undefined;
  page.session = undefined;
  page.signInAgainAfterCodes = false;
  page.pending = undefined;
  if (page.stepUp) {
    const s = page.stepUp;
    page.stepUp = undefined;
    s.resolve(false);
  }
  account.clear();
  byId<HTMLInputElement>('email').value = '';
  signIn.show();
  if (asError) page.showError(message);
  else page.announce(message);
}

// --- refresh --------------------------------------------------------------------------------

function scheduleRefresh(expiresInSeconds: number): void {
  clearTimeout(refreshTimer);
  refreshTimer = page.session?.refreshToken ? setTimeout(() => void refreshNow(), refreshDelayMs(expiresInSeconds)) : undefined;
}

/**
 * Trades the refresh token for a new access token (same session, same assurance). When that fails
 * — the session was signed out elsewhere, expired, or its token reused — the page signs out
 * cleanly instead of failing on the next click.
 */
async function refreshNow(): Promise<void> {
  const current = page.session;
  if (!current?.refreshToken) return;
  try {
    const answer = await page.api.refresh(current.refreshToken);
    if (page.session !== current) return; // signed out or replaced meanwhile
    page.session = { token: answer.accessToken, claims: readClaims(answer.accessToken), refreshToken: answer.refreshToken };
    scheduleRefresh(answer.expiresIn);
  } catch (error) {
    if (page.session !== current) return;
    if (error instanceof ApiError && error.code === 'network_error') {
      // Offline for a moment: try again shortly, while the access token may still be good.
      refreshTimer = setTimeout(() => void refreshNow(), 15_000);
      return;
    }
    signOut('Your session has ended (signed out elsewhere, or too long unused). Sign in again.', true);
  }
}

// --- wiring ----------------------------------------------------------------------------------

function start(): void {
  signIn.wire();
  secondStep.wire();
  byId('sign-out').addEventListener('click', () => signOut(undefined, false, true));
  account.wire();
  for (const id of ['email', 'password', 'totp-code', 'recovery-code', 'totp-name', 'totp-confirm-code', 'webauthn-name']) {
    byId(id).addEventListener('input', () => markInvalid(byId<HTMLInputElement>(id), false));
  }
  // Escape backs out of the second step or a step-up, like the Cancel buttons.
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    if (secondStep.shown) secondStep.cancel();
    else if (page.stepUp && !byId('view-sign-in').hidden) signIn.cancelStepUp();
  });
  signIn.show();
  // Only the page's first paint: no focus jump for people already reading.
  byId<HTMLInputElement>('email').blur();
  document.documentElement.dataset['ready'] = 'true';
}

start();
