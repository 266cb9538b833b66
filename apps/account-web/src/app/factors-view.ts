import { PublicKeyCredentialCreationOptionsJSON, startRegistration } from '@simplewebauthn/browser';
import { ApiError, ConfirmedFactor, Factor } from './api';
import { cleanTotpCode, totpCodeProblem } from './codes';
import { byId, confirmInline, element, focusOn, markInvalid, whileBusy } from './dom';
import { factorKind, formatWhen, groupSecret } from './format';
import { ErrorContext } from './messages';
import { on, Page } from './page';
import { withStepUp } from './step-up';
import { isEnrollOnly } from './token';

/** What the factors section needs from the rest of the page. */
export interface FactorsContext {
  refreshAccount(): Promise<void>;
  requestStepUp(reason: ApiError): Promise<boolean>;
  handleFailure(error: unknown, context: ErrorContext, field?: HTMLInputElement): void;
  signOut(message: string): void;
  /** The first factor's recovery codes, shown once. */
  showRecoveryCodes(codes: string[]): void;
}

/**
 * "Ways to sign in": the account's factors (remove one), an authenticator app (QR code, key,
 * confirm with a code) and security keys and passkeys (a WebAuthn ceremony). The first factor
 * needs the current password again.
 */
export class FactorsView {
  private totpSetup: { id: string; name: string; qrUrl: string } | undefined;

  constructor(
    private readonly page: Page,
    private readonly context: FactorsContext,
  ) {}

  wire(): void {
    on<SubmitEvent>('totp-enroll-form', 'submit', (event) => this.onTotpEnroll(event));
    on<SubmitEvent>('totp-confirm-form', 'submit', (event) => this.onTotpConfirm(event));
    on('totp-setup-cancel', 'click', () => this.onTotpSetupCancel());
    on('copy-secret', 'click', () => this.onCopySecret());
    on<SubmitEvent>('webauthn-enroll-form', 'submit', (event) => this.onWebauthnEnroll(event));
    byId('webauthn-enroll-form').hidden = !this.page.webauthnSupported;
  }

  render(factors: Factor[]): void {
    const list = byId('factor-list');
    list.replaceChildren(...factors.map((factor) => this.factorCard(factor)));
    byId('no-factors').hidden = factors.length > 0;
    // The first factor needs the password again (the server refuses it without: password_required).
    const first = !factors.some((factor) => factor.confirmed !== false);
    byId('first-factor-password').hidden = !first;
    if (!first) byId<HTMLInputElement>('current-password').value = '';
  }

  /** Forgets what was shown (sign-out). */
  clear(): void {
    this.discardTotpSetup();
    byId('factor-list').replaceChildren();
  }

  /**
   * The current password when the next factor is the account's first, else undefined. A missing
   * one is reported at the field (and undefined is `null` here: the caller stops).
   */
  private currentPasswordForFirstFactor(): string | undefined | null {
    if (byId('first-factor-password').hidden) return undefined;
    const input = byId<HTMLInputElement>('current-password');
    markInvalid(input, false);
    if (input.value === '') {
      this.page.showError('Enter your current password: adding your first way to sign in needs it again.', input);
      return null;
    }
    return input.value;
  }

  private factorCard(factor: Factor): HTMLLIElement {
    const pendingSetup = factor.confirmed === false;
    const remove = element('button', {
      className: 'danger',
      text: 'Remove',
      attrs: { type: 'button', 'aria-label': `Remove ${factor.name}` },
    });
    remove.addEventListener('click', () => void this.onRemoveFactor(factor, remove));
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

  private async onRemoveFactor(factor: Factor, button: HTMLButtonElement): Promise<void> {
    this.page.clearMessages();
    if (!(await confirmInline(button, `Remove “${factor.name}”? You can no longer sign in with it.`, 'Yes, remove'))) return;
    try {
      await whileBusy(button, () =>
        withStepUp(
          () => this.page.api.removeFactor(this.page.token(), factor.id),
          (reason) => this.context.requestStepUp(reason),
        ),
      );
      if (this.totpSetup?.id === factor.id) this.discardTotpSetup();
      this.page.announce(`Removed “${factor.name}”.`);
    } catch (error) {
      this.context.handleFailure(error, 'general');
      if (!(error instanceof ApiError && error.code === 'factor_not_found')) return;
    }
    await this.context.refreshAccount();
    if (this.page.session) focusOn(byId('factors-title'));
  }

  // --- authenticator app ----------------------------------------------------------------------

  private async onTotpEnroll(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    this.page.clearMessages();
    const nameInput = byId<HTMLInputElement>('totp-name');
    markInvalid(nameInput, false);
    const name = nameInput.value.trim();
    if (!name) return this.page.showError('Give the authenticator app a name.', nameInput);
    const currentPassword = this.currentPasswordForFirstFactor();
    if (currentPassword === null) return;
    try {
      const enrollment = await whileBusy(event.submitter as HTMLButtonElement, () =>
        withStepUp(
          () => this.page.api.enrollTotp(this.page.token(), name, currentPassword),
          (reason) => this.context.requestStepUp(reason),
        ),
      );
      this.discardTotpSetup();
      byId<HTMLInputElement>('current-password').value = '';
      // The QR code is the server's SVG shown through <img>: an image cannot run script, and no
      // markup from the network is ever parsed into this document.
      const qrUrl = URL.createObjectURL(new Blob([enrollment.qrSvg], { type: 'image/svg+xml' }));
      this.totpSetup = { id: enrollment.id, name, qrUrl };
      byId<HTMLImageElement>('totp-qr').src = qrUrl;
      byId('totp-secret').textContent = groupSecret(enrollment.secret);
      byId<HTMLInputElement>('totp-confirm-code').value = '';
      byId('totp-enroll-form').hidden = true;
      byId('totp-setup').hidden = false;
      focusOn(byId('totp-setup-title'));
    } catch (error) {
      this.context.handleFailure(error, 'enroll_totp', passwordFieldFor(error) ?? nameInput);
    }
  }

  private async onTotpConfirm(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    this.page.clearMessages();
    const input = byId<HTMLInputElement>('totp-confirm-code');
    markInvalid(input, false);
    const problem = totpCodeProblem(input.value);
    if (problem) return this.page.showError(problem, input);
    const setup = this.totpSetup;
    if (!setup) return;
    try {
      const confirmed = await whileBusy(event.submitter as HTMLButtonElement, () =>
        withStepUp(
          () => this.page.api.confirmTotp(this.page.token(), setup.id, cleanTotpCode(input.value)),
          (reason) => this.context.requestStepUp(reason),
        ),
      );
      this.discardTotpSetup();
      byId<HTMLInputElement>('totp-name').value = 'Authenticator app';
      await this.afterFactorAdded(confirmed, `Authenticator app “${setup.name}” is on.`);
    } catch (error) {
      this.context.handleFailure(error, 'totp', input);
    }
  }

  private discardTotpSetup(): void {
    if (this.totpSetup) URL.revokeObjectURL(this.totpSetup.qrUrl);
    this.totpSetup = undefined;
    byId<HTMLImageElement>('totp-qr').removeAttribute('src');
    byId('totp-secret').textContent = '';
    byId('totp-setup').hidden = true;
    byId('totp-enroll-form').hidden = false;
  }

  private async onTotpSetupCancel(): Promise<void> {
    const setup = this.totpSetup;
    this.discardTotpSetup();
    this.page.announce('Authenticator app setup cancelled.');
    focusOn(byId<HTMLInputElement>('totp-name'));
    // Best effort: drop the unconfirmed factor so it does not linger in the list.
    if (setup && this.page.session) {
      await this.page.api.removeFactor(this.page.session.token, setup.id).catch(() => undefined);
      await this.context.refreshAccount();
    }
  }

  private async onCopySecret(): Promise<void> {
    const secret = byId('totp-secret').textContent ?? '';
    try {
      await navigator.clipboard.writeText(secret.replace(/\s+/g, ''));
      this.page.announce('Key copied.');
    } catch {
      this.page.showError('Copying is not allowed here. Select the key and copy it by hand.');
    }
  }

  private async afterFactorAdded(result: ConfirmedFactor, message: string): Promise<void> {
    if (isEnrollOnly(this.page.session?.claims)) {
      // The enroll-only token stays enroll-only; a full session needs a sign-in with the new factor.
      if (!result.recoveryCodes?.length) return this.context.signOut(`${message} Sign in again with it to continue.`);
      this.page.signInAgainAfterCodes = true;
    }
    this.page.announce(message);
    await this.context.refreshAccount();
    if (result.recoveryCodes?.length) this.context.showRecoveryCodes(result.recoveryCodes);
    else focusOn(byId('factors-title'));
  }

  // --- security keys and passkeys ---------------------------------------------------------------

  private async onWebauthnEnroll(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    this.page.clearMessages();
    const nameInput = byId<HTMLInputElement>('webauthn-name');
    markInvalid(nameInput, false);
    const submitter = event.submitter as HTMLButtonElement | null;
    const passkey = submitter?.value === 'passkey';
    const name = nameInput.value.trim();
    if (!name) return this.page.showError(`Give the ${passkey ? 'passkey' : 'security key'} a name.`, nameInput);
    const currentPassword = this.currentPasswordForFirstFactor();
    if (currentPassword === null) return;
    try {
      const result = await whileBusy(submitter, async () => {
        // Step-up (if needed) happens before the ceremony, so the user touches the key only once.
        const optionsJSON = (await withStepUp(
          () => this.page.api.webauthnRegistrationOptions(this.page.token(), passkey, currentPassword),
          (reason) => this.context.requestStepUp(reason),
        )) as PublicKeyCredentialCreationOptionsJSON;
        const response = await startRegistration({ optionsJSON });
        return this.page.api.registerWebauthn(this.page.token(), name, response);
      });
      nameInput.value = '';
      await this.afterFactorAdded(result, `${passkey ? 'Passkey' : 'Security key'} “${name}” is registered.`);
    } catch (error) {
      this.context.handleFailure(
        error,
        'enroll_webauthn',
        passwordFieldFor(error) ?? (error instanceof ApiError && error.code === 'factor_name_taken' ? nameInput : undefined),
      );
    }
  }
}

/** The current-password field, when the error is about it. */
function passwordFieldFor(error: unknown): HTMLInputElement | undefined {
  if (!(error instanceof ApiError) || !['password_required', 'invalid_credentials'].includes(error.code)) return undefined;
  return byId<HTMLInputElement>('current-password');
}
