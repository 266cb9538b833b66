import {
  browserSupportsWebAuthn,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
} from '@simplewebauthn/browser';
import { ApiError, AuthApi, ConfirmedFactor, Factor, RememberedDeviceView, SecondFactorMethod, SecurityEvent, SessionAnswer, SessionList, SessionView } from './app/api';
import { cleanTotpCode, recoveryCodeProblem, recoveryCodesFileName, recoveryCodesText, totpCodeProblem } from './app/codes';
import { byId, confirmInline, element, focusOn, markInvalid, whileBusy } from './app/dom';
import { describeEvent, factorKind, formatWhen, groupSecret, orderMethods } from './app/format';
import { ErrorContext, messageFor } from './app/messages';
import { StepUpCancelled, withStepUp } from './app/step-up';
import { DisplayClaims, readClaims } from './app/token';
import { YourDataView } from './app/your-data';
import { refreshDelayMs } from './app/refresh';

/*
 * Where the tokens live: in this module's variables, nowhere else. Not localStorage or
 * sessionStorage, not a cookie, not the URL. (The one cookie is a remembered device's token:
 * HttpOnly, so this script never sees it, and sent by the browser only to the sign-in routes.)
 * - Script injected through an XSS bug cannot lift a token out of storage later, and nothing
 *   survives the tab: no token to steal from disk, from browser history, from server logs or
 *   from a Referer header.
 * - Closing or reloading the tab signs out. That is the intended trade-off for a page used
 *   now and then to manage second factors; access tokens are short-lived (AUTH_ACCESS_TOKEN_TTL).
 */
let session: { token: string; claims: DisplayClaims; refreshToken: string | undefined } | undefined;
/** The access token is traded for a new one before it expires (POST /v1/sessions/refresh). */
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
/** The mfa_pending token between password and second factor (AUTH_PENDING_TOKEN_TTL). */
let pending: { token: string; methods: SecondFactorMethod[]; email: string } | undefined;
/** Set while the user confirms it's them before a factor change is retried. */
let stepUp: { email: string; sub: string | undefined; resolve: (done: boolean) => void } | undefined;
let totpSetup: { id: string; name: string; qrUrl: string } | undefined;
let shownCodes: { codes: string[]; issuedAt: Date } | undefined;
/** An enrol-only token cannot become a full session: after the first factor, sign in again. */
let signInAgainAfterCodes = false;

const api = new AuthApi();
const webauthnSupported = browserSupportsWebAuthn();
/** "Your data": export, deletion and retention (its own module; the rest of the page lends it these). */
const yourData = new YourDataView({
  api,
  token: () => token(),
  requestStepUp: (reason) => requestStepUp(reason),
  clearMessages: () => clearMessages(),
  announce: (message) => announce(message),
  handleFailure: (error) => handleFailure(error, 'general'),
  signOut: (message) => signOut(message),
});

type View = 'sign-in' | 'second-step' | 'account';
const VIEWS: Record<View, { section: string; heading: string; title: string }> = {
  'sign-in': { section: 'view-sign-in', heading: 'sign-in-title', title: 'Sign in' },
  'second-step': { section: 'view-second-step', heading: 'second-step-title', title: 'Second step' },
  account: { section: 'view-account', heading: 'account-title', title: 'Your account' },
};

function showView(view: View, focus: HTMLElement | 'heading' | 'none' = 'heading'): void {
  for (const [name, ids] of Object.entries(VIEWS)) byId(ids.section).hidden = name !== view;
  // The tab title says where the user is (WCAG 2.4.2), for screen readers and tab switchers.
  document.title = `${stepUp && view !== 'account' ? 'Confirm it’s you' : VIEWS[view].title} – Keyhaven`;
  const signedIn = session !== undefined && stepUp === undefined && view === 'account';
  byId('sign-out').hidden = !signedIn;
  const who = byId('who');
  who.hidden = !signedIn;
  who.textContent = signedIn ? `Signed in as ${session?.claims.email ?? ''}` : '';
  if (focus === 'heading') focusOn(byId(VIEWS[view].heading));
  else if (focus !== 'none') focusOn(focus);
}

// --- messages ------------------------------------------------------------------------------

function clearMessages(): void {
  const alert = byId('alert');
  alert.hidden = true;
  alert.textContent = '';
  byId('status').textContent = '';
}

/** Errors go to a role=alert region (read out at once); the field at fault gets focus. */
function showError(message: string, field?: HTMLInputElement): void {
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

function announce(message: string): void {
  byId('alert').hidden = true;
  byId('status').textContent = message;
}

const SESSION_ENDING_CODES = new Set(['invalid_token', 'unauthorized']);

/**
 * The one error path of every action: a refused step-up was the user's choice (no message); an
 * expired session sends them back to sign in; everything else is a mapped message.
 */
function handleFailure(error: unknown, context: ErrorContext, field?: HTMLInputElement): void {
  if (error instanceof StepUpCancelled) return;
  const secondStep = context === 'totp' || context === 'recovery_code' || context === 'webauthn';
  if (error instanceof ApiError && pending && secondStep && (error.code === 'invalid_token' || error.code === 'wrong_token_use')) {
    // The pending token expired (AUTH_PENDING_TOKEN_TTL) — also during a step-up, where the
    // session itself is still fine: only the second step starts over, from the password.
    pending = undefined;
    showSignIn();
    showError(messageFor(error, context));
    return;
  }
  if (error instanceof ApiError && session && SESSION_ENDING_CODES.has(error.code) && context !== 'password') {
    signOut(messageFor(error, 'general'), true);
    return;
  }
  showError(messageFor(error, context), field);
}

// --- sign-in --------------------------------------------------------------------------------

function showSignIn(): void {
  const stepping = stepUp !== undefined;
  byId('sign-in-title').textContent = stepping ? 'Confirm it’s you' : 'Sign in';
  byId('step-up-intro').hidden = !stepping;
  byId('step-up-cancel').hidden = !stepping;
  byId('password-submit').textContent = stepping ? 'Confirm' : 'Continue';
  byId('passkey-box').hidden = !webauthnSupported;
  const email = byId<HTMLInputElement>('email');
  email.readOnly = stepping;
  if (stepping && stepUp) email.value = stepUp.email;
  byId<HTMLInputElement>('password').value = '';
  showView('sign-in', stepping ? byId<HTMLInputElement>('password') : 'heading');
}

async function onPasswordSubmit(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  clearMessages();
  const email = byId<HTMLInputElement>('email');
  const password = byId<HTMLInputElement>('password');
  markInvalid(email, false);
  markInvalid(password, false);
  if (!email.value.trim()) return showError('Enter your email address.', email);
  if (!password.value) return showError('Enter your password.', password);
  try {
    const answer = await whileBusy(byId<HTMLButtonElement>('password-submit'), () => api.signIn(email.value.trim(), password.value, { skipRememberedDevice: stepUp !== undefined }));
    password.value = '';
    await afterSessionAnswer(answer, email.value.trim());
  } catch (error) {
    handleFailure(error, 'password', password);
  }
}

async function afterSessionAnswer(answer: SessionAnswer, email: string): Promise<void> {
  if (answer.mfaRequired) {
    pending = { token: answer.accessToken, methods: orderMethods(answer.methods), email };
    showSecondStep();
    return;
  }
  await completeSignIn(answer);
}

function showSecondStep(): void {
  const methods = pending?.methods ?? [];
  byId('method-webauthn').hidden = !methods.includes('webauthn') || !webauthnSupported;
  byId('method-totp').hidden = !methods.includes('totp');
  byId('method-recovery').hidden = !methods.includes('recovery_code');
  byId<HTMLInputElement>('totp-code').value = '';
  byId<HTMLInputElement>('recovery-code').value = '';
  // A step-up only confirms it's you: nothing new to remember there.
  byId('remember-device-box').hidden = stepUp !== undefined;
  byId<HTMLInputElement>('remember-device').checked = false;
  // Straight into the first offered method: the code field, or the key button.
  const first = methods.find((m) => m !== 'webauthn' || webauthnSupported);
  const target = first === 'totp' ? byId('totp-code') : first === 'webauthn' ? byId('webauthn-step') : first === 'recovery_code' ? byId('recovery-code') : 'heading';
  showView('second-step', 'heading');
  if (target !== 'heading') target.focus();
}

async function completeSignIn(answer: SessionAnswer): Promise<void> {
  const claims = readClaims(answer.accessToken);
  if (stepUp?.sub && claims.sub !== stepUp.sub) {
    pending = undefined;
    showSignIn();
    showError('That is a different account. Confirm with the account you are signed in as, or cancel.');
    return;
  }
  const previous = session;
  session = { token: answer.accessToken, claims, refreshToken: answer.refreshToken };
  scheduleRefresh(answer.expiresIn);
  pending = undefined;
  if (stepUp) {
    const done = stepUp;
    stepUp = undefined;
    // The step-up opened a new session; the one it replaces ends here rather than linger in the list.
    if (previous && previous.token !== answer.accessToken) void api.signOut(previous.token).catch(() => undefined);
    showView('account', 'none');
    done.resolve(true);
    return;
  }
  const remembered = claims.amr?.includes('remembered_device') === true;
  announce(
    claims.aal === 2
      ? `Signed in with two factors.${answer.deviceTokenExpiresIn ? ' This device is remembered: for 30 days your password is enough here.' : ''}`
      : remembered
        ? 'Signed in on a remembered device.'
        : 'Signed in.',
  );
  showView('account');
  renderNotices(answer);
  await refreshAccount();
}

async function onTotpStep(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  clearMessages();
  const input = byId<HTMLInputElement>('totp-code');
  markInvalid(input, false);
  const problem = totpCodeProblem(input.value);
  if (problem) return showError(problem, input);
  const current = pending;
  if (!current) return showSignIn();
  try {
    const answer = await whileBusy(event.submitter as HTMLButtonElement, () => api.totpStep(current.token, cleanTotpCode(input.value), rememberThisDevice()));
    await completeSignIn(answer);
  } catch (error) {
    handleFailure(error, 'totp', input);
  }
}

async function onRecoveryStep(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  clearMessages();
  const input = byId<HTMLInputElement>('recovery-code');
  markInvalid(input, false);
  const problem = recoveryCodeProblem(input.value);
  if (problem) return showError(problem, input);
  const current = pending;
  if (!current) return showSignIn();
  try {
    // Sent as typed: auth-service ignores case, spaces and dashes.
    const answer = await whileBusy(event.submitter as HTMLButtonElement, () => api.recoveryCodeStep(current.token, input.value.trim(), rememberThisDevice()));
    input.value = '';
    await completeSignIn(answer);
  } catch (error) {
    handleFailure(error, 'recovery_code', input);
  }
}

async function onWebauthnStep(): Promise<void> {
  clearMessages();
  const current = pending;
  if (!current) return showSignIn();
  try {
    const answer = await whileBusy(byId<HTMLButtonElement>('webauthn-step'), async () => {
      // The server keeps the challenge and lists every credential of the account.
      const optionsJSON = (await api.webauthnStepOptions(current.token)) as PublicKeyCredentialRequestOptionsJSON;
      const response = await startAuthentication({ optionsJSON });
      return api.webauthnStep(current.token, response, rememberThisDevice());
    });
    await completeSignIn(answer);
  } catch (error) {
    handleFailure(error, 'webauthn');
  }
}

async function onPasskeySignIn(): Promise<void> {
  clearMessages();
  try {
    const answer = await whileBusy(byId<HTMLButtonElement>('passkey-sign-in'), async () => {
      // Empty allowCredentials: the authenticator offers the discoverable passkeys it holds.
      const optionsJSON = (await api.passkeyOptions()) as PublicKeyCredentialRequestOptionsJSON;
      const response = await startAuthentication({ optionsJSON });
      return api.passkeySignIn(response);
    });
    await afterSessionAnswer(answer, readClaims(answer.accessToken).email ?? '');
  } catch (error) {
    handleFailure(error, 'passkey');
  }
}

function cancelSecondStep(): void {
  clearMessages();
  pending = undefined;
  if (stepUp) return cancelStepUp();
  showSignIn();
}

/** "Remember this device for 30 days" on the second step (not during a step-up). */
function rememberThisDevice(): boolean {
  return stepUp === undefined && byId<HTMLInputElement>('remember-device').checked;
}

/**
 * Forgets everything the page knew about the account. `endSession`: the user chose to sign out,
 * so the server ends the session too (its tokens stop working everywhere); otherwise the session
 * has ended already (refused token, failed refresh).
 */
function signOut(message = 'You have signed out.', asError = false, endSession = false): void {
  if (endSession && session) void api.signOut(session.token).catch(() => undefined);
  clearTimeout(refreshTimer);
  refreshTimer = undefined;
  session = undefined;
  signInAgainAfterCodes = false;
  pending = undefined;
  if (stepUp) {
    const s = stepUp;
    stepUp = undefined;
    s.resolve(false);
  }
  discardTotpSetup();
  hideRecoveryCodes();
  byId('factor-list').replaceChildren();
  byId('event-list').replaceChildren();
  byId('session-list').replaceChildren();
  byId('device-list').replaceChildren();
  byId('notices').replaceChildren();
  byId('recovery-remaining').textContent = '';
  byId<HTMLInputElement>('email').value = '';
  showSignIn();
  if (asError) showError(message);
  else announce(message);
}

// --- step-up --------------------------------------------------------------------------------

/** Asks for the password (and second factor) again; resolves true once a fresh session is held. */
function requestStepUp(reason: ApiError): Promise<boolean> {
  return new Promise((resolve) => {
    stepUp = { email: session?.claims.email ?? '', sub: session?.claims.sub, resolve };
    showSignIn();
    byId('step-up-intro').textContent = `${messageFor(reason)} Enter your password again; then what you started continues.`;
  });
}

function cancelStepUp(): void {
  const s = stepUp;
  stepUp = undefined;
  pending = undefined;
  showView('account');
  announce('Nothing was changed.');
  s?.resolve(false);
}

// --- refresh --------------------------------------------------------------------------------

function scheduleRefresh(expiresInSeconds: number): void {
  clearTimeout(refreshTimer);
  refreshTimer = session?.refreshToken ? setTimeout(() => void refreshNow(), refreshDelayMs(expiresInSeconds)) : undefined;
}

/**
 * Trades the refresh token for a new access token (same session, same assurance). When that fails
 * — the session was signed out elsewhere, expired, or its token reused — the page signs out
 * cleanly instead of failing on the next click.
 */
async function refreshNow(): Promise<void> {
  const current = session;
  if (!current?.refreshToken) return;
  try {
    const answer = await api.refresh(current.refreshToken);
    if (session !== current) return; // signed out or replaced meanwhile
    session = { token: answer.accessToken, claims: readClaims(answer.accessToken), refreshToken: answer.refreshToken };
    scheduleRefresh(answer.expiresIn);
  } catch (error) {
    if (session !== current) return;
    if (error instanceof ApiError && error.code === 'network_error') {
      // Offline for a moment: try again shortly, while the access token may still be good.
      refreshTimer = setTimeout(() => void refreshNow(), 15_000);
      return;
    }
    signOut('Your session has ended (signed out elsewhere, or too long unused). Sign in again.', true);
  }
}

function token(): string {
  if (!session) throw new ApiError(401, 'unauthorized', 'Not signed in.');
  return session.token;
}

// --- account --------------------------------------------------------------------------------

function renderNotices(answer: SessionAnswer): void {
  const notices = byId('notices');
  notices.replaceChildren();
  if (answer.enrollmentRequired && session?.claims.token_use === 'enrolment') {
    notices.append(
      element('p', {
        className: 'notice',
        text: 'Your organisation requires a second factor, and the time to add one has passed. Add an authenticator app, security key or passkey now; then sign in again with it.',
      }),
    );
  } else if (answer.enrollmentRequired) {
    const deadline = answer.enrollmentDeadline ? ` before ${formatWhen(answer.enrollmentDeadline)}` : '';
    notices.append(element('p', { className: 'notice', text: `Your organisation requires a second factor. Add an authenticator app, security key or passkey${deadline}.` }));
  }
  const remaining = answer.recoveryCodesRemaining;
  if (remaining !== undefined && (answer.warnings?.includes('recovery_codes_low') || remaining <= 3)) {
    notices.append(
      element('p', {
        className: 'notice',
        text: remaining === 0 ? 'You have no recovery codes left. Generate new ones below.' : `Only ${remaining} recovery code${remaining === 1 ? '' : 's'} left. Generate new ones below.`,
      }),
    );
  }
}

async function refreshAccount(): Promise<void> {
  // An enrol-only token (MFA enforced, grace period over) may only list and add factors.
  const enrolOnly = session?.claims.token_use === 'enrolment';
  byId('recovery-block').hidden = enrolOnly;
  byId('events-block').hidden = enrolOnly;
  byId('your-data-block').hidden = enrolOnly;
  if (!enrolOnly) void yourData.render();
  byId('sessions-block').hidden = enrolOnly;
  try {
    const [factors, remaining, events, sessions] = await Promise.all([
      api.factors(token()),
      enrolOnly ? Promise.resolve(undefined) : api.recoveryCodesRemaining(token()),
      enrolOnly ? Promise.resolve(undefined) : api.securityEvents(token()),
      enrolOnly ? Promise.resolve(undefined) : api.sessions(token()),
    ]);
    renderFactors(factors);
    if (sessions) renderSessions(sessions);
    if (remaining) renderRemaining(remaining.remaining, factors.some((f) => f.confirmed !== false));
    if (events) renderEvents(events);
  } catch (error) {
    handleFailure(error, 'general');
  }
}

function renderFactors(factors: Factor[]): void {
  const list = byId('factor-list');
  list.replaceChildren(...factors.map(factorCard));
  byId('no-factors').hidden = factors.length > 0;
  // The first factor needs the password again (the server refuses it without: password_required).
  const first = !factors.some((factor) => factor.confirmed !== false);
  byId('first-factor-password').hidden = !first;
  if (!first) byId<HTMLInputElement>('current-password').value = '';
}

/**
 * The current password when the next factor is the account's first, else undefined. A missing
 * one is reported at the field (and undefined is `null` here: the caller stops).
 */
function currentPasswordForFirstFactor(): string | undefined | null {
  if (byId('first-factor-password').hidden) return undefined;
  const input = byId<HTMLInputElement>('current-password');
  markInvalid(input, false);
  if (input.value === '') {
    showError('Enter your current password: adding your first way to sign in needs it again.', input);
    return null;
  }
  return input.value;
}

function factorCard(factor: Factor): HTMLLIElement {
  const pendingSetup = factor.confirmed === false;
  const remove = element('button', {
    className: 'danger',
    text: 'Remove',
    attrs: { type: 'button', 'aria-label': `Remove ${factor.name}` },
  });
  remove.addEventListener('click', () => void onRemoveFactor(factor, remove));
  return element('li', { className: 'card', attrs: { 'data-factor-id': factor.id } }, [
    element('p', { className: 'card-title' }, [
      element('strong', { text: factor.name }),
      element('span', { className: 'tag', text: factorKind(factor) }),
      ...(pendingSetup ? [element('span', { className: 'tag pending', text: 'Setup not finished' })] : []),
    ]),
    element('dl', { className: 'facts' }, [
      element('dt', { text: 'Added' }),
      element('dd', {}, [element('time', { text: formatWhen(factor.createdAt), attrs: { datetime: factor.createdAt } })]),
      element('dt', { text: 'Last used' }),
      element('dd', {}, factor.lastUsedAt ? [element('time', { text: formatWhen(factor.lastUsedAt), attrs: { datetime: factor.lastUsedAt } })] : ['Never']),
    ]),
    remove,
  ]);
}

async function onRemoveFactor(factor: Factor, button: HTMLButtonElement): Promise<void> {
  clearMessages();
  if (!(await confirmInline(button, `Remove “${factor.name}”? You can no longer sign in with it.`, 'Yes, remove'))) return;
  try {
    await whileBusy(button, () => withStepUp(() => api.removeFactor(token(), factor.id), requestStepUp));
    if (totpSetup?.id === factor.id) discardTotpSetup();
    announce(`Removed “${factor.name}”.`);
  } catch (error) {
    handleFailure(error, 'general');
    if (!(error instanceof ApiError && error.code === 'factor_not_found')) return;
  }
  await refreshAccount();
  if (session) focusOn(byId('factors-title'));
}

function renderRemaining(remaining: number, hasFactor: boolean): void {
  byId('recovery-remaining').textContent = hasFactor
    ? `${remaining} of 10 recovery codes left. Each signs you in once if you lose your other factors.`
    : 'Recovery codes come with your first authenticator app, security key or passkey.';
  byId('regenerate-codes').hidden = !hasFactor;
}

function renderEvents(events: SecurityEvent[]): void {
  byId('event-list').replaceChildren(
    ...events.slice(0, 20).map((event) =>
      element('li', {}, [
        element('time', { text: formatWhen(event.occurredAt), attrs: { datetime: event.occurredAt } }),
        element('span', { text: describeEvent(event) + (event.ipPrefix ? ` · from ${event.ipPrefix}` : '') }),
      ]),
    ),
  );
  byId('no-events').hidden = events.length > 0;
}

// --- where you're signed in -------------------------------------------------------------------

function renderSessions(list: SessionList): void {
  byId('session-list').replaceChildren(...list.sessions.map(sessionCard));
  byId('sign-out-others').hidden = !list.sessions.some((s) => !s.current);
  byId('device-list').replaceChildren(...list.rememberedDevices.map(deviceCard));
  byId('devices-sub-block').hidden = list.rememberedDevices.length === 0;
}

function facts(entries: Array<[string, string | null, boolean?]>): HTMLDListElement {
  return element(
    'dl',
    { className: 'facts' },
    entries.flatMap(([term, value, isTime]) => [
      element('dt', { text: term }),
      element('dd', {}, isTime && value ? [element('time', { text: formatWhen(value), attrs: { datetime: value } })] : [value ?? 'Unknown']),
    ]),
  );
}

function sessionCard(view: SessionView): HTMLLIElement {
  const how = view.amr.includes('remembered_device') ? 'Password on a remembered device' : view.aal === 2 ? 'Two factors' : 'Password';
  const children: Node[] = [
    element('p', { className: 'card-title' }, [
      element('strong', { text: view.device }),
      ...(view.current ? [element('span', { className: 'tag', text: 'This device' })] : []),
    ]),
    facts([
      ['Signed in', view.signedInAt, true],
      ['Last used', view.lastUsedAt, true],
      ['Network', view.network],
      ['With', how],
    ]),
  ];
  if (!view.current) {
    const button = element('button', { className: 'danger', text: 'Sign out', attrs: { type: 'button', 'aria-label': `Sign out ${view.device}, last used ${formatWhen(view.lastUsedAt)}` } });
    button.addEventListener('click', () => void onRevokeSession(view, button));
    children.push(button);
  }
  return element('li', { className: 'card', attrs: { 'data-session-id': view.id, ...(view.current ? { 'data-current': 'true' } : {}) } }, children);
}

function deviceCard(device: RememberedDeviceView): HTMLLIElement {
  const forget = element('button', { className: 'danger', text: 'Forget', attrs: { type: 'button', 'aria-label': `Forget ${device.device}` } });
  forget.addEventListener('click', () => void onForgetDevice(device, forget));
  return element('li', { className: 'card', attrs: { 'data-device-id': device.id } }, [
    element('p', { className: 'card-title' }, [element('strong', { text: device.device })]),
    facts([
      ['Remembered', device.rememberedAt, true],
      ['Last used', device.lastUsedAt ?? 'Never', device.lastUsedAt !== null],
      ['Until', device.expiresAt, true],
      ['Network', device.network],
    ]),
    forget,
  ]);
}

async function onRevokeSession(view: SessionView, button: HTMLButtonElement): Promise<void> {
  clearMessages();
  try {
    await whileBusy(button, () => api.revokeSession(token(), view.id));
    announce(`Signed out ${view.device}.`);
  } catch (error) {
    // Already ended elsewhere: the refreshed list shows it gone.
    if (!(error instanceof ApiError && error.code === 'session_not_found')) return handleFailure(error, 'general');
  }
  await refreshAccount();
  if (session) focusOn(byId('sessions-title'));
}

async function onRevokeOthers(): Promise<void> {
  clearMessages();
  const button = byId<HTMLButtonElement>('sign-out-others');
  if (!(await confirmInline(button, 'Sign out every other device? They will need your password (and second factor) again.', 'Yes, sign out'))) return;
  try {
    const { revoked } = await whileBusy(button, () => api.revokeOtherSessions(token()));
    announce(revoked === 1 ? 'Signed out 1 other device.' : `Signed out ${revoked} other devices.`);
  } catch (error) {
    return handleFailure(error, 'general');
  }
  await refreshAccount();
  if (session) focusOn(byId('sessions-title'));
}

async function onForgetDevice(device: RememberedDeviceView, button: HTMLButtonElement): Promise<void> {
  clearMessages();
  try {
    await whileBusy(button, () => api.forgetDevice(token(), device.id));
    announce(`${device.device} is forgotten: it asks for your second factor again.`);
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'remembered_device_not_found')) return handleFailure(error, 'general');
  }
  await refreshAccount();
  if (session) focusOn(byId('sessions-title'));
}

// --- authenticator app ------------------------------------------------------------------------

/** The current-password field, when the error is about it. */
function passwordFieldFor(error: unknown): HTMLInputElement | undefined {
  if (!(error instanceof ApiError) || !['password_required', 'invalid_credentials'].includes(error.code)) return undefined;
  return byId<HTMLInputElement>('current-password');
}

async function onTotpEnrol(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  clearMessages();
  const nameInput = byId<HTMLInputElement>('totp-name');
  markInvalid(nameInput, false);
  const name = nameInput.value.trim();
  if (!name) return showError('Give the authenticator app a name.', nameInput);
  const currentPassword = currentPasswordForFirstFactor();
  if (currentPassword === null) return;
  try {
    const enrolment = await whileBusy(event.submitter as HTMLButtonElement, () => withStepUp(() => api.enrolTotp(token(), name, currentPassword), requestStepUp));
    discardTotpSetup();
    byId<HTMLInputElement>('current-password').value = '';
    // The QR code is the server's SVG shown through <img>: an image cannot run script, and no
    // markup from the network is ever parsed into this document.
    const qrUrl = URL.createObjectURL(new Blob([enrolment.qrSvg], { type: 'image/svg+xml' }));
    totpSetup = { id: enrolment.id, name, qrUrl };
    byId<HTMLImageElement>('totp-qr').src = qrUrl;
    byId('totp-secret').textContent = groupSecret(enrolment.secret);
    byId<HTMLInputElement>('totp-confirm-code').value = '';
    byId('totp-enrol-form').hidden = true;
    byId('totp-setup').hidden = false;
    focusOn(byId('totp-setup-title'));
  } catch (error) {
    handleFailure(error, 'enrol_totp', passwordFieldFor(error) ?? nameInput);
  }
}

async function onTotpConfirm(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  clearMessages();
  const input = byId<HTMLInputElement>('totp-confirm-code');
  markInvalid(input, false);
  const problem = totpCodeProblem(input.value);
  if (problem) return showError(problem, input);
  const setup = totpSetup;
  if (!setup) return;
  try {
    const confirmed = await whileBusy(event.submitter as HTMLButtonElement, () =>
      withStepUp(() => api.confirmTotp(token(), setup.id, cleanTotpCode(input.value)), requestStepUp),
    );
    discardTotpSetup();
    byId<HTMLInputElement>('totp-name').value = 'Authenticator app';
    await afterFactorAdded(confirmed, `Authenticator app “${setup.name}” is on.`);
  } catch (error) {
    handleFailure(error, 'totp', input);
  }
}

function discardTotpSetup(): void {
  if (totpSetup) URL.revokeObjectURL(totpSetup.qrUrl);
  totpSetup = undefined;
  byId<HTMLImageElement>('totp-qr').removeAttribute('src');
  byId('totp-secret').textContent = '';
  byId('totp-setup').hidden = true;
  byId('totp-enrol-form').hidden = false;
}

async function onTotpSetupCancel(): Promise<void> {
  const setup = totpSetup;
  discardTotpSetup();
  announce('Authenticator app setup cancelled.');
  focusOn(byId<HTMLInputElement>('totp-name'));
  // Best effort: drop the unconfirmed factor so it does not linger in the list.
  if (setup && session) {
    await api.removeFactor(session.token, setup.id).catch(() => undefined);
    await refreshAccount();
  }
}

async function afterFactorAdded(result: ConfirmedFactor, message: string): Promise<void> {
  if (session?.claims.token_use === 'enrolment') {
    // The enrol-only token stays enrol-only; a full session needs a sign-in with the new factor.
    if (!result.recoveryCodes?.length) return signOut(`${message} Sign in again with it to continue.`);
    signInAgainAfterCodes = true;
  }
  announce(message);
  await refreshAccount();
  if (result.recoveryCodes?.length) showRecoveryCodes(result.recoveryCodes);
  else focusOn(byId('factors-title'));
}

// --- security keys and passkeys ------------------------------------------------------------------

async function onWebauthnEnrol(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  clearMessages();
  const nameInput = byId<HTMLInputElement>('webauthn-name');
  markInvalid(nameInput, false);
  const submitter = event.submitter as HTMLButtonElement | null;
  const passkey = submitter?.value === 'passkey';
  const name = nameInput.value.trim();
  if (!name) return showError(`Give the ${passkey ? 'passkey' : 'security key'} a name.`, nameInput);
  const currentPassword = currentPasswordForFirstFactor();
  if (currentPassword === null) return;
  try {
    const result = await whileBusy(submitter, async () => {
      // Step-up (if needed) happens before the ceremony, so the user touches the key only once.
      const optionsJSON = (await withStepUp(() => api.webauthnRegistrationOptions(token(), passkey, currentPassword), requestStepUp)) as PublicKeyCredentialCreationOptionsJSON;
      const response = await startRegistration({ optionsJSON });
      return api.registerWebauthn(token(), name, response);
    });
    nameInput.value = '';
    await afterFactorAdded(result, `${passkey ? 'Passkey' : 'Security key'} “${name}” is registered.`);
  } catch (error) {
    handleFailure(error, 'enrol_webauthn', passwordFieldFor(error) ?? (error instanceof ApiError && error.code === 'factor_name_taken' ? nameInput : undefined));
  }
}

// --- recovery codes ------------------------------------------------------------------------------

async function onRegenerateCodes(): Promise<void> {
  clearMessages();
  const button = byId<HTMLButtonElement>('regenerate-codes');
  if (!(await confirmInline(button, 'Generate a new set of ten codes? Your current codes stop working at once.', 'Yes, generate'))) return;
  try {
    const { recoveryCodes } = await whileBusy(button, () => withStepUp(() => api.regenerateRecoveryCodes(token()), requestStepUp));
    announce('New recovery codes generated. The old ones no longer work.');
    await refreshAccount();
    showRecoveryCodes(recoveryCodes);
  } catch (error) {
    handleFailure(error, 'general');
  }
}

/** Recovery codes are shown once: they stay on screen only until the user says they are saved. */
function showRecoveryCodes(codes: string[]): void {
  shownCodes = { codes, issuedAt: new Date() };
  byId('recovery-codes-list').replaceChildren(...codes.map((code) => element('li', {}, [element('code', { text: code })])));
  byId('recovery-codes-panel').hidden = false;
  focusOn(byId('recovery-codes-title'));
}

function hideRecoveryCodes(): void {
  shownCodes = undefined;
  byId('recovery-codes-list').replaceChildren();
  byId('recovery-codes-panel').hidden = true;
}

async function onCopyCodes(): Promise<void> {
  if (!shownCodes) return;
  try {
    await navigator.clipboard.writeText(shownCodes.codes.join('\n'));
    announce('Recovery codes copied. Paste them somewhere safe.');
  } catch {
    showError('Copying is not allowed here. Select the codes and copy them by hand, or download them.');
  }
}

function onDownloadCodes(): void {
  if (!shownCodes) return;
  const text = recoveryCodesText(shownCodes.codes, session?.claims.email, shownCodes.issuedAt);
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = element('a', { attrs: { href: url, download: recoveryCodesFileName(shownCodes.issuedAt) } });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  announce('Recovery codes downloaded.');
}

function onCodesSaved(): void {
  hideRecoveryCodes();
  if (signInAgainAfterCodes) {
    const email = session?.claims.email ?? '';
    signOut('Your second factor is on. Sign in again with it to continue.');
    byId<HTMLInputElement>('email').value = email;
    return;
  }
  announce('Recovery codes hidden. Keep them safe.');
  focusOn(byId('recovery-title'));
}

async function onCopySecret(): Promise<void> {
  const secret = byId('totp-secret').textContent ?? '';
  try {
    await navigator.clipboard.writeText(secret.replace(/\s+/g, ''));
    announce('Key copied.');
  } catch {
    showError('Copying is not allowed here. Select the key and copy it by hand.');
  }
}

// --- wiring ----------------------------------------------------------------------------------

function on<E extends Event>(id: string, type: string, handler: (event: E) => void | Promise<void>): void {
  byId(id).addEventListener(type, (event) => void handler(event as E));
}

function start(): void {
  on<SubmitEvent>('password-form', 'submit', onPasswordSubmit);
  on('passkey-sign-in', 'click', onPasskeySignIn);
  on('step-up-cancel', 'click', cancelStepUp);
  on<SubmitEvent>('method-totp', 'submit', onTotpStep);
  on<SubmitEvent>('method-recovery', 'submit', onRecoveryStep);
  on('webauthn-step', 'click', onWebauthnStep);
  on('second-step-cancel', 'click', cancelSecondStep);
  on('sign-out', 'click', () => signOut(undefined, false, true));
  on('sign-out-others', 'click', onRevokeOthers);
  on<SubmitEvent>('totp-enrol-form', 'submit', onTotpEnrol);
  on<SubmitEvent>('totp-confirm-form', 'submit', onTotpConfirm);
  on('totp-setup-cancel', 'click', onTotpSetupCancel);
  on('copy-secret', 'click', onCopySecret);
  on<SubmitEvent>('webauthn-enrol-form', 'submit', onWebauthnEnrol);
  on('regenerate-codes', 'click', onRegenerateCodes);
  on('copy-codes', 'click', onCopyCodes);
  on('download-codes', 'click', onDownloadCodes);
  on('codes-saved', 'click', onCodesSaved);
  yourData.wire();
  for (const id of ['email', 'password', 'totp-code', 'recovery-code', 'totp-name', 'totp-confirm-code', 'webauthn-name']) {
    on(id, 'input', () => markInvalid(byId<HTMLInputElement>(id), false));
  }
  // Escape backs out of the second step or a step-up, like the Cancel buttons.
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    if (!byId('view-second-step').hidden) cancelSecondStep();
    else if (stepUp && !byId('view-sign-in').hidden) cancelStepUp();
  });
  byId('webauthn-enrol-form').hidden = !webauthnSupported;
  showSignIn();
  // Only the page's first paint: no focus jump for people already reading.
  byId<HTMLInputElement>('email').blur();
  document.documentElement.dataset['ready'] = 'true';
}

start();
