import { ApiError } from './api';
import { recoveryCodesFileName, recoveryCodesText } from './codes';
import { byId, confirmInline, element, focusOn, whileBusy } from './dom';
import { ErrorContext } from './messages';
import { on, Page } from './page';
import { withStepUp } from './step-up';

/** What the recovery-codes section needs from the rest of the page. */
export interface RecoveryCodesContext {
  refreshAccount(): Promise<void>;
  requestStepUp(reason: ApiError): Promise<boolean>;
  handleFailure(error: unknown, context: ErrorContext): void;
  signOut(message: string): void;
}

/**
 * Recovery codes: how many are left, a new set (the old one stops working), and a new set shown
 * once — copy, download, "I have saved them".
 */
export class RecoveryCodesView {
  private shownCodes: { codes: string[]; issuedAt: Date } | undefined;

  constructor(
    private readonly page: Page,
    private readonly context: RecoveryCodesContext,
  ) {}

  wire(): void {
    on('regenerate-codes', 'click', () => this.onRegenerateCodes());
    on('copy-codes', 'click', () => this.onCopyCodes());
    on('download-codes', 'click', () => this.onDownloadCodes());
    on('codes-saved', 'click', () => this.onCodesSaved());
  }

  renderRemaining(remaining: number, hasFactor: boolean): void {
    byId('recovery-remaining').textContent = hasFactor
      ? `${remaining} of 10 recovery codes left. Each signs you in once if you lose your other factors.`
      : 'Recovery codes come with your first authenticator app, security key or passkey.';
    byId('regenerate-codes').hidden = !hasFactor;
  }

  /** Recovery codes are shown once: they stay on screen only until the user says they are saved. */
  show(codes: string[]): void {
    this.shownCodes = { codes, issuedAt: new Date() };
    byId('recovery-codes-list').replaceChildren(...codes.map((code) => element('li', {}, [element('code', { text: code })])));
    byId('recovery-codes-panel').hidden = false;
    focusOn(byId('recovery-codes-title'));
  }

  hide(): void {
    this.shownCodes = undefined;
    byId('recovery-codes-list').replaceChildren();
    byId('recovery-codes-panel').hidden = true;
  }

  private async onRegenerateCodes(): Promise<void> {
    this.page.clearMessages();
    const button = byId<HTMLButtonElement>('regenerate-codes');
    if (!(await confirmInline(button, 'Generate a new set of ten codes? Your current codes stop working at once.', 'Yes, generate'))) return;
    try {
      const { recoveryCodes } = await whileBusy(button, () =>
        withStepUp(
          () => this.page.api.regenerateRecoveryCodes(this.page.token()),
          (reason) => this.context.requestStepUp(reason),
        ),
      );
      this.page.announce('New recovery codes generated. The old ones no longer work.');
      await this.context.refreshAccount();
      this.show(recoveryCodes);
    } catch (error) {
      this.context.handleFailure(error, 'general');
    }
  }

  private async onCopyCodes(): Promise<void> {
    if (!this.shownCodes) return;
    try {
      await navigator.clipboard.writeText(this.shownCodes.codes.join('\n'));
      this.page.announce('Recovery codes copied. Paste them somewhere safe.');
    } catch {
      this.page.showError('Copying is not allowed here. Select the codes and copy them by hand, or download them.');
    }
  }

  private onDownloadCodes(): void {
    if (!this.shownCodes) return;
    const text = recoveryCodesText(this.shownCodes.codes, this.page.session?.claims.email, this.shownCodes.issuedAt);
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    const link = element('a', { attrs: { href: url, download: recoveryCodesFileName(this.shownCodes.issuedAt) } });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    this.page.announce('Recovery codes downloaded.');
  }

  private onCodesSaved(): void {
    this.hide();
    if (this.page.signInAgainAfterCodes) {
      const email = this.page.session?.claims.email ?? '';
      this.context.signOut('Your second factor is on. Sign in again with it to continue.');
      byId<HTMLInputElement>('email').value = email;
      return;
    }
    this.page.announce('Recovery codes hidden. Keep them safe.');
    focusOn(byId('recovery-title'));
  }
}
