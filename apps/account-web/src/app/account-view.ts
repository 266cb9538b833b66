import { SecurityEvent, SessionAnswer } from './api';
import { byId, element } from './dom';
import { FactorsView } from './factors-view';
import { describeEvent, formatWhen } from './format';
import { ErrorContext } from './messages';
import { Page } from './page';
import { RecoveryCodesView } from './recovery-codes-view';
import { SessionsView } from './sessions-view';
import { YourDataView } from './your-data';
import { isEnrollOnly } from './token';

/** The account screen's sections, each its own module. */
export interface AccountSections {
  factors: FactorsView;
  recoveryCodes: RecoveryCodesView;
  sessions: SessionsView;
  yourData: YourDataView;
}

/**
 * The account screen: notices after sign-in (a second factor required, recovery codes running
 * low), and its sections — ways to sign in, recovery codes, recent security events, where you're
 * signed in, your data — loaded together. An enroll-only session sees only its factors.
 */
export class AccountView {
  constructor(
    private readonly page: Page,
    private readonly sections: AccountSections,
    private readonly context: { handleFailure(error: unknown, context: ErrorContext): void },
  ) {}

  wire(): void {
    this.sections.factors.wire();
    this.sections.recoveryCodes.wire();
    this.sections.sessions.wire();
    this.sections.yourData.wire();
  }

  renderNotices(answer: SessionAnswer): void {
    const notices = byId('notices');
    notices.replaceChildren();
    if (answer.enrollmentRequired && isEnrollOnly(this.page.session?.claims)) {
      notices.append(
        element('p', {
          className: 'notice',
          text: 'Your organisation requires a second factor, and the time to add one has passed. Add an authenticator app, security key or passkey now; then sign in again with it.',
        }),
      );
    } else if (answer.enrollmentRequired) {
      const deadline = answer.enrollmentDeadline ? ` before ${formatWhen(answer.enrollmentDeadline)}` : '';
      notices.append(
        element('p', {
          className: 'notice',
          text: `Your organisation requires a second factor. Add an authenticator app, security key or passkey${deadline}.`,
        }),
      );
    }
    const remaining = answer.recoveryCodesRemaining;
    if (remaining !== undefined && (answer.warnings?.includes('recovery_codes_low') || remaining <= 3)) {
      notices.append(
        element('p', {
          className: 'notice',
          text:
            remaining === 0
              ? 'You have no recovery codes left. Generate new ones below.'
              : `Only ${remaining} recovery code${remaining === 1 ? '' : 's'} left. Generate new ones below.`,
        }),
      );
    }
  }

  async refresh(): Promise<void> {
    const { api } = this.page;
    const token = () => this.page.token();
    // An enroll-only token (MFA enforced, grace period over) may only list and add factors.
    const enrollOnly = isEnrollOnly(this.page.session?.claims);
    byId('recovery-block').hidden = enrollOnly;
    byId('events-block').hidden = enrollOnly;
    byId('your-data-block').hidden = enrollOnly;
    if (!enrollOnly) void this.sections.yourData.render();
    byId('sessions-block').hidden = enrollOnly;
    try {
      const [factors, remaining, events, sessions] = await Promise.all([
        api.factors(token()),
        enrollOnly ? Promise.resolve(undefined) : api.recoveryCodesRemaining(token()),
        enrollOnly ? Promise.resolve(undefined) : api.securityEvents(token()),
        enrollOnly ? Promise.resolve(undefined) : api.sessions(token()),
      ]);
      this.sections.factors.render(factors);
      if (sessions) this.sections.sessions.render(sessions);
      if (remaining)
        this.sections.recoveryCodes.renderRemaining(
          remaining.remaining,
          factors.some((f) => f.confirmed !== false),
        );
      if (events) renderEvents(events);
    } catch (error) {
      this.context.handleFailure(error, 'general');
    }
  }

  /** Forgets everything shown about the account (sign-out). */
  clear(): void {
    this.sections.factors.clear();
    this.sections.recoveryCodes.hide();
    byId('event-list').replaceChildren();
    this.sections.sessions.clear();
    byId('notices').replaceChildren();
    byId('recovery-remaining').textContent = '';
  }
}

/** Recent security events, newest first. */
function renderEvents(events: SecurityEvent[]): void {
  byId('event-list').replaceChildren(
    ...events
      .slice(0, 20)
      .map((event) =>
        element('li', {}, [
          element('time', { text: formatWhen(event.occurredAt), attrs: { datetime: event.occurredAt } }),
          element('span', { text: describeEvent(event) + (event.ipPrefix ? ` · from ${event.ipPrefix}` : '') }),
        ]),
      ),
  );
  byId('no-events').hidden = events.length > 0;
}
