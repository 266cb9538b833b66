import { PublicKeyCredentialRequestOptionsJSON, startAuthentication } from '@simplewebauthn/browser';
import { ApiError, SessionAnswer } from './api';
import { byId, markInvalid, whileBusy } from './dom';
import { ErrorContext, messageFor } from './messages';
import { on, Page } from './page';
import { readClaims } from './token';

/** What the sign-in screen needs from the rest of the page. */
export interface SignInContext {
  /** A password or passkey was accepted: on to the second step or into the account. */
  afterSessionAnswer(answer: SessionAnswer, email: string): Promise<void>;
  handleFailure(error: unknown, context: ErrorContext, field?: HTMLInputElement): void;
}

/**
 * The sign-in screen: email and password, or a passkey. The same screen asks "Confirm it’s you"
 * during a step-up (a factor change that needs a fresh authentication), then resumes what the
 * user started.
 */
export class SignInView {
  constructor(
    private readonly page: Page,
    private readonly context: SignInContext,
  ) {}

  wire(): void {
    on<SubmitEvent>('password-form', 'submit', (event) => this.onPasswordSubmit(event));
    on('passkey-sign-in', 'click', () => this.onPasskeySignIn());
    on('step-up-cancel', 'click', () => this.cancelStepUp());
  }

  show(): void {
    const stepping = this.page.stepUp !== undefined;
    byId('sign-in-title').textContent = stepping ? 'Confirm it’s you' : 'Sign in';
    byId('step-up-intro').hidden = !stepping;
    byId('step-up-cancel').hidden = !stepping;
    byId('password-submit').textContent = stepping ? 'Confirm' : 'Continue';
    byId('passkey-box').hidden = !this.page.webauthnSupported;
    const email = byId<HTMLInputElement>('email');
    email.readOnly = stepping;
    if (stepping && this.page.stepUp) email.value = this.page.stepUp.email;
    byId<HTMLInputElement>('password').value = '';
    this.page.showView('sign-in', stepping ? byId<HTMLInputElement>('password') : 'heading');
  }

  /** Asks for the password (and second factor) again; resolves true once a fresh session is held. */
  requestStepUp(reason: ApiError): Promise<boolean> {
    return new Promise((resolve) => {
      this.page.stepUp = { email: this.page.session?.claims.email ?? '', sub: this.page.session?.claims.sub, resolve };
      this.show();
      byId('step-up-intro').textContent = `${messageFor(reason)} Enter your password again; then what you started continues.`;
    });
  }

  cancelStepUp(): void {
    const s = this.page.stepUp;
    this.page.stepUp = undefined;
    this.page.pending = undefined;
    this.page.showView('account');
    this.page.announce('Nothing was changed.');
    s?.resolve(false);
  }

  private async onPasswordSubmit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    this.page.clearMessages();
    const email = byId<HTMLInputElement>('email');
    const password = byId<HTMLInputElement>('password');
    markInvalid(email, false);
    markInvalid(password, false);
    if (!email.value.trim()) return this.page.showError('Enter your email address.', email);
    if (!password.value) return this.page.showError('Enter your password.', password);
    try {
      const answer = await whileBusy(byId<HTMLButtonElement>('password-submit'), () =>
        this.page.api.signIn(email.value.trim(), password.value, { skipRememberedDevice: this.page.stepUp !== undefined }),
      );
      password.value = '';
      await this.context.afterSessionAnswer(answer, email.value.trim());
    } catch (error) {
      this.context.handleFailure(error, 'password', password);
    }
  }

  private async onPasskeySignIn(): Promise<void> {
    this.page.clearMessages();
    try {
      const answer = await whileBusy(byId<HTMLButtonElement>('passkey-sign-in'), async () => {
        // Empty allowCredentials: the authenticator offers the discoverable passkeys it holds.
        const optionsJSON = (await this.page.api.passkeyOptions()) as PublicKeyCredentialRequestOptionsJSON;
        const response = await startAuthentication({ optionsJSON });
        return this.page.api.passkeySignIn(response);
      });
      await this.context.afterSessionAnswer(answer, readClaims(answer.accessToken).email ?? '');
    } catch (error) {
      this.context.handleFailure(error, 'passkey');
    }
  }
}
