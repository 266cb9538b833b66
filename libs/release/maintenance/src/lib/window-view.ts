import type { WindowStatus } from './notice-plan';

/** What feeds, notices and the update check say about a maintenance window. */
export interface WindowView {
  id: string;
  title: string;
  description: string;
  startsAt: Date;
  endsAt: Date;
  /** Affected environments; empty means all. */
  environments: readonly string[];
  status: WindowStatus;
  /** Bumped on every change (iCalendar SEQUENCE). */
  sequence: number;
  shortNotice: boolean;
  emergencyReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The window as JSON in webhook bodies, API answers and the signed check. */
export function windowJson(window: WindowView) {
  return {
    id: window.id,
    title: window.title,
    description: window.description,
    startsAt: window.startsAt.toISOString(),
    endsAt: window.endsAt.toISOString(),
    environments: [...window.environments],
    status: window.status,
    sequence: window.sequence,
    shortNotice: window.shortNotice,
    emergencyReason: window.emergencyReason,
  };
}

/** Does a window affect this environment? No environments on the window means every one. */
export function affects(window: Pick<WindowView, 'environments'>, environment: string | undefined): boolean {
  if (window.environments.length === 0) return true;
  return environment !== undefined && window.environments.includes(environment);
}
