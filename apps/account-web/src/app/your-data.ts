import { ApiError, AuthApi, PrivacyRecords } from './api';
import { byId, confirmInline, element, focusOn, whileBusy } from './dom';
import { formatWhen } from './format';
import { StepUpCancelled, withStepUp } from './step-up';

/** What the "Your data" view needs from the page: the session's token, step-up, messages, sign-out. */
export interface YourDataContext {
  api: AuthApi;
  token(): string;
  requestStepUp(reason: ApiError): Promise<boolean>;
  clearMessages(): void;
  announce(message: string): void;
  handleFailure(error: unknown): void;
  signOut(message: string): void;
}

/** A period as the records give it (`365d`, `3y`, `30m`) in words. */
export function periodInWords(value: string | null): string | null {
  if (!value) return null;
  const match = /^(\d+)(y|d|h|m|s)$/.exec(value);
  if (!match) return value;
  const n = Number(match[1]);
  const unit = { y: 'year', d: 'day', h: 'hour', m: 'minute', s: 'second' }[match[2] as 'y' | 'd' | 'h' | 'm' | 's'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** The rows of "What we keep, and for how long": personal data only, from the live records. */
export function keptRows(records: PrivacyRecords): { what: string; kept: string }[] {
  return records.storage
    .filter((table) => table.personalData)
    .map((table) => ({
      what: table.holds.map((h) => h.category).join(', '),
      kept: table.retention.value
        ? `${table.retention.rule} (${periodInWords(table.retention.value)}${table.retention.setting ? `, ${table.retention.setting}` : ''})`
        : table.retention.rule,
    }));
}

/**
 * The account page's "Your data" section (GDPR): download a copy of everything stored (Art. 15/20),
 * delete the account (Art. 17) with the page's step-up flow and a clear confirmation, and what is
 * kept for how long — read from the service's records of processing, so it says what the running
 * service does.
 */
export class YourDataView {
  constructor(private readonly context: YourDataContext) {}

  wire(): void {
    byId('export-data').addEventListener('click', () => void this.onExport());
    byId('delete-account').addEventListener('click', () => void this.onDelete());
  }

  /** Fills the retention list; the records are public, so this needs no token. */
  async render(): Promise<void> {
    try {
      const records = await this.context.api.privacyRecords();
      byId('kept-list').replaceChildren(
        ...keptRows(records).map((row) => element('li', {}, [element('strong', { text: `${capitalise(row.what)}: ` }), row.kept])),
      );
    } catch {
      byId('kept-list').replaceChildren(element('li', { text: 'The list could not be loaded; the full document is linked below.' }));
    }
  }

  private async onExport(): Promise<void> {
    this.context.clearMessages();
    const button = byId<HTMLButtonElement>('export-data');
    try {
      const { text, fileName } = await whileBusy(button, () =>
        withStepUp(
          () => this.context.api.exportData(this.context.token()),
          (reason) => this.context.requestStepUp(reason),
        ),
      );
      const url = URL.createObjectURL(new Blob([text], { type: 'application/json;charset=utf-8' }));
      const link = element('a', { attrs: { href: url, download: fileName } });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      this.context.announce(`Your data was downloaded as ${fileName}.`);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'too_many_exports') {
        this.context.handleFailure(
          new ApiError(
            429,
            'too_many_exports',
            `You can download your data once an hour. Try again in ${Math.ceil((error.retryAfterSeconds ?? 3600) / 60)} minutes.`,
          ),
        );
        return;
      }
      this.context.handleFailure(error);
    }
  }

  private async onDelete(): Promise<void> {
    this.context.clearMessages();
    const button = byId<HTMLButtonElement>('delete-account');
    const question =
      'Delete your account? You are signed out everywhere at once and cannot sign in any more. After the waiting period everything is erased; until then the link we mail you cancels it.';
    if (!(await confirmInline(button, question, 'Yes, delete my account'))) return;
    try {
      const { erasureScheduledAt } = await whileBusy(button, () =>
        withStepUp(
          () => this.context.api.deleteAccount(this.context.token()),
          (reason) => this.context.requestStepUp(reason),
        ),
      );
      this.context.signOut(
        `Your account is closed and will be erased on ${formatWhen(erasureScheduledAt)}. We sent you a mail with a link to cancel before then.`,
      );
    } catch (error) {
      if (error instanceof StepUpCancelled) return;
      this.context.handleFailure(error);
      focusOn(button);
    }
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
