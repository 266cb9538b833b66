import { windowJson, windowStatus, WindowView } from '@keyhaven/release-maintenance';
import type { MaintenanceWindow } from './entities/maintenance-window.entity';

/** The fields of a window the views need (an entity or a snapshot row). */
export type WindowRecord = Pick<
  MaintenanceWindow,
  | 'id'
  | 'title'
  | 'description'
  | 'startsAt'
  | 'endsAt'
  | 'environments'
  | 'sequence'
  | 'shortNotice'
  | 'emergencyReason'
  | 'cancelledAt'
  | 'createdAt'
  | 'updatedAt'
>;

/** The window as feeds, notices and the check see it at `now` (status follows the clock). */
export function toWindowView(window: WindowRecord, now: Date): WindowView {
  return {
    id: window.id,
    title: window.title,
    description: window.description,
    startsAt: window.startsAt,
    endsAt: window.endsAt,
    environments: window.environments,
    status: windowStatus(window, now),
    sequence: window.sequence,
    shortNotice: window.shortNotice,
    emergencyReason: window.emergencyReason ?? null,
    createdAt: window.createdAt,
    updatedAt: window.updatedAt,
  };
}

/** The API representation: the notice/check JSON plus the bookkeeping ops need. */
export function windowApiJson(window: MaintenanceWindow, now: Date) {
  return {
    ...windowJson(toWindowView(window, now)),
    announcedAt: window.announcedAt?.toISOString() ?? null,
    cancelledAt: window.cancelledAt?.toISOString() ?? null,
    cancelReason: window.cancelReason ?? null,
    createdAt: window.createdAt.toISOString(),
    updatedAt: window.updatedAt.toISOString(),
  };
}

export type WindowJson = ReturnType<typeof windowApiJson>;
