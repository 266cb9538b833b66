import { ApiError, RememberedDeviceView, SessionList, SessionView } from './api';
import { byId, confirmInline, element, focusOn, whileBusy } from './dom';
import { formatWhen } from './format';
import { ErrorContext } from './messages';
import { on, Page } from './page';

/** What "Where you're signed in" needs from the rest of the page. */
export interface SessionsContext {
  refreshAccount(): Promise<void>;
  handleFailure(error: unknown, context: ErrorContext): void;
}

/** "Where you're signed in": the account's sessions and remembered devices; sign out or forget one, or every other. */
export class SessionsView {
  constructor(
    private readonly page: Page,
    private readonly context: SessionsContext,
  ) {}

  wire(): void {
    on('sign-out-others', 'click', () => this.onRevokeOthers());
  }

  render(list: SessionList): void {
    byId('session-list').replaceChildren(...list.sessions.map((view) => this.sessionCard(view)));
    byId('sign-out-others').hidden = !list.sessions.some((s) => !s.current);
    byId('device-list').replaceChildren(...list.rememberedDevices.map((device) => this.deviceCard(device)));
    byId('devices-sub-block').hidden = list.rememberedDevices.length === 0;
  }

  /** Forgets what was shown (sign-out). */
  clear(): void {
    byId('session-list').replaceChildren();
    byId('device-list').replaceChildren();
  }

  private sessionCard(view: SessionView): HTMLLIElement {
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
      const button = element('button', {
        className: 'danger',
        text: 'Sign out',
        attrs: { type: 'button', 'aria-label': `Sign out ${view.device}, last used ${formatWhen(view.lastUsedAt)}` },
      });
      button.addEventListener('click', () => void this.onRevokeSession(view, button));
      children.push(button);
    }
    return element('li', { className: 'card', attrs: { 'data-session-id': view.id, ...(view.current ? { 'data-current': 'true' } : {}) } }, children);
  }

  private deviceCard(device: RememberedDeviceView): HTMLLIElement {
    const forget = element('button', { className: 'danger', text: 'Forget', attrs: { type: 'button', 'aria-label': `Forget ${device.device}` } });
    forget.addEventListener('click', () => void this.onForgetDevice(device, forget));
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

  private async onRevokeSession(view: SessionView, button: HTMLButtonElement): Promise<void> {
    this.page.clearMessages();
    try {
      await whileBusy(button, () => this.page.api.revokeSession(this.page.token(), view.id));
      this.page.announce(`Signed out ${view.device}.`);
    } catch (error) {
      // Already ended elsewhere: the refreshed list shows it gone.
      if (!(error instanceof ApiError && error.code === 'session_not_found')) return this.context.handleFailure(error, 'general');
    }
    await this.context.refreshAccount();
    if (this.page.session) focusOn(byId('sessions-title'));
  }

  private async onRevokeOthers(): Promise<void> {
    this.page.clearMessages();
    const button = byId<HTMLButtonElement>('sign-out-others');
    if (!(await confirmInline(button, 'Sign out every other device? They will need your password (and second factor) again.', 'Yes, sign out'))) return;
    try {
      const { revoked } = await whileBusy(button, () => this.page.api.revokeOtherSessions(this.page.token()));
      this.page.announce(revoked === 1 ? 'Signed out 1 other device.' : `Signed out ${revoked} other devices.`);
    } catch (error) {
      return this.context.handleFailure(error, 'general');
    }
    await this.context.refreshAccount();
    if (this.page.session) focusOn(byId('sessions-title'));
  }

  private async onForgetDevice(device: RememberedDeviceView, button: HTMLButtonElement): Promise<void> {
    this.page.clearMessages();
    try {
      await whileBusy(button, () => this.page.api.forgetDevice(this.page.token(), device.id));
      this.page.announce(`${device.device} is forgotten: it asks for your second factor again.`);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'remembered_device_not_found')) return this.context.handleFailure(error, 'general');
    }
    await this.context.refreshAccount();
    if (this.page.session) focusOn(byId('sessions-title'));
  }
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
