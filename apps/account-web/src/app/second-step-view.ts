import { PublicKeyCredentialRequestOptionsJSON, startAuthentication } from '@simplewebauthn/browser';
import { SessionAnswer } from './api';
import { cleanTotpCode, recoveryCodeProblem, totpCodeProblem } from './codes';
import { byId, markInvalid, whileBusy } from './dom';
import { ErrorContext } from './messages';
import { on, Page } from './page';

/** What the second step needs from the rest of the page. */
export interface SecondStepContext {
  /** The second factor was accepted: a full session. */
  completeSignIn(answer: SessionAnswer): Promise<void>;
  showSignIn(): void;
  cancelStepUp(): void;
  handleFailure(error: unknown, context: ErrorContext, field?: HTMLInputElement): void;
}

/**
 * The second step after the password: an authenticator app's code, a security key or passkey,
 * or a recovery code — the methods the server offered, the first one ready to use — and
 * "remember this device".
 */
export class SecondStepView {
  constructor(
    private readonly page: Page,
    private readonly context: SecondStepContext,
  ) {}

  wire(): void {
    on<SubmitEvent>('method-totp', 'submit', (event) => this.onTotpStep(event));
    on<SubmitEvent>('method-recovery', 'submit', (event) => this.onRecoveryStep(event));
    on('webauthn-step', 'click', () => this.onWebauthnStep());
    on('second-step-cancel', 'click', () => this.cancel());
  }

  get shown(): boolean {
    return !byId('view-second-step').hidden;
  }

  show(): void {
    const methods = this.page.pending?.methods ?? [];
    byId('method-webauthn').hidden = !methods.includes('webauthn') || !this.page.webauthnSupported;
    byId('method-totp').hidden = !methods.includes('totp');
    byId('method-recovery').hidden = !methods.includes('recovery_code');
    byId<HTMLInputElement>('totp-code').value = '';
    byId<HTMLInputElement>('recovery-code').value = '';
    // A step-up only confirms it's you: nothing new to remember there.
    byId('remember-device-box').hidden = this.page.stepUp !== undefined;
    byId<HTMLInputElement>('remember-device').checked = false;
    // Straight into the first offered method: the code field, or the key button.
    const first = methods.find((m) => m !== 'webauthn' || this.page.webauthnSupported);
    const target =
      first === 'totp' ? byId('totp-code') : first === 'webauthn' ? byId('webauthn-step') : first === 'recovery_code' ? byId('recovery-code') : 'heading';
    this.page.showView('second-step', 'heading');
    if (target !== 'heading') target.focus();
  }

  cancel(): void {
    this.page.clearMessages();
    this.page.pending = undefined;
    if (this.page.stepUp) return this.context.cancelStepUp();
    this.context.showSignIn();
  }

  private async onTotpStep(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    this.page.clearMessages();
    const input = byId<HTMLInputElement>('totp-code');
    markInvalid(input, false);
    const problem = totpCodeProblem(input.value);
    if (problem) return this.page.showError(problem, input);
    const current = this.page.pending;
    if (!current) return this.context.showSignIn();
    try {
      const answer = await whileBusy(event.submitter as HTMLButtonElement, () =>
        this.page.api.totpStep(current.token, cleanTotpCode(input.value), this.rememberThisDevice()),
      );
      await this.context.completeSignIn(answer);
    } catch (error) {
      this.context.handleFailure(error, 'totp', input);
    }
  }

  private async onRecoveryStep(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    this.page.clearMessages();
    const input = byId<HTMLInputElement>('recovery-code');
    markInvalid(input, false);
    const problem = recoveryCodeProblem(input.value);
    if (problem) return this.page.showError(problem, input);
    const current = this.page.pending;
    if (!current) return this.context.showSignIn();
    try {
      // Sent as typed: auth-service ignores case, spaces and dashes.
      const answer = await whileBusy(event.submitter as HTMLButtonElement, () =>
        this.page.api.recoveryCodeStep(current.token, input.value.trim(), this.rememberThisDevice()),
      );
      input.value = '';
      await this.context.completeSignIn(answer);
    } catch (error) {
      this.context.handleFailure(error, 'recovery_code', input);
    }
  }

  private async onWebauthnStep(): Promise<void> {
    this.page.clearMessages();
    const current = this.page.pending;
    if (!current) return this.context.showSignIn();
    try {
      const answer = await whileBusy(byId<HTMLButtonElement>('webauthn-step'), async () => {
        // The server keeps the challenge and lists every credential of the account.
        const optionsJSON = (await this.page.api.webauthnStepOptions(current.token)) as PublicKeyCredentialRequestOptionsJSON;
        const response = await startAuthentication({ optionsJSON });
        return this.page.api.webauthnStep(current.token, response, this.rememberThisDevice());
      });
      await this.context.completeSignIn(answer);
    } catch (error) {
      this.context.handleFailure(error, 'webauthn');
    }
  }

  /** "Remember this device for 30 days" on the second step (not during a step-up). */
  private rememberThisDevice(): boolean {
    return this.page.stepUp === undefined && byId<HTMLInputElement>('remember-device').checked;
  }
}
