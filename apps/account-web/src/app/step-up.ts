import { ApiError } from './api';

/** The user closed the "confirm it's you" step instead of signing in again. */
export class StepUpCancelled extends Error {
  constructor() {
    super('Step-up was cancelled.');
    this.name = 'StepUpCancelled';
  }
}

export function isStepUpRequired(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 403 && error.code === 'step_up_required';
}

/**
 * Runs a factor change; when auth-service answers 403 step_up_required (an aal1 session, or an
 * authentication older than AUTH_STEP_UP_MAX_AGE), asks the user to sign in again and retries
 * once with the new session. A second refusal is passed on, never looped.
 *
 * `action` reads the current token each time it runs, so the retry uses the fresh one.
 */
export async function withStepUp<T>(action: () => Promise<T>, reauthenticate: (reason: ApiError) => Promise<boolean>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (!isStepUpRequired(error)) throw error;
    if (!(await reauthenticate(error))) throw new StepUpCancelled();
    return action();
  }
}
