import { ReleaseError } from '../app/release-errors';

/** The answer for a window id that is unknown or not a uuid (windows and their feeds alike). */
export function windowNotFound(id: string): ReleaseError {
  return new ReleaseError('maintenance_window_not_found', `No maintenance window ${id.slice(0, 64)}.`, { id: id.slice(0, 64) });
}
