import { ApiError } from './api';
import { StepUpCancelled, withStepUp } from './step-up';

const stepUpRequired = () => new ApiError(403, 'step_up_required', 'Sign in with your second factor to change factors.');

function setup(failures: ApiError[]) {
  const ctx = { calls: 0, reauths: 0, token: 'old' };
  const action = async () => {
    ctx.calls += 1;
    const failure = failures.shift();
    if (failure) throw failure;
    return `done with ${ctx.token}`;
  };
  return { ctx, action };
}

describe('withStepUp', () => {
  it('runs the action once when no step-up is needed', async () => {
    const { ctx, action } = setup([]);
    await expect(withStepUp(action, async () => true)).resolves.toBe('done with old');
    expect(ctx.calls).toBe(1);
  });

  it('re-authenticates on 403 step_up_required and retries with the new session', async () => {
    const { ctx, action } = setup([stepUpRequired()]);
    const result = await withStepUp(action, async () => {
      ctx.reauths += 1;
      ctx.token = 'fresh';
      return true;
    });
    expect(result).toBe('done with fresh');
    expect(ctx).toMatchObject({ calls: 2, reauths: 1 });
  });

  it('stops with StepUpCancelled when the user cancels, without retrying', async () => {
    const { ctx, action } = setup([stepUpRequired()]);
    await expect(withStepUp(action, async () => false)).rejects.toBeInstanceOf(StepUpCancelled);
    expect(ctx.calls).toBe(1);
  });

  it('passes a second refusal on instead of looping', async () => {
    const { ctx, action } = setup([stepUpRequired(), stepUpRequired()]);
    await expect(withStepUp(action, async () => true)).rejects.toMatchObject({ code: 'step_up_required' });
    expect(ctx.calls).toBe(2);
  });

  it('does not step up for other errors, not even another 403', async () => {
    const { ctx, action } = setup([new ApiError(403, 'enrollment_required', 'enroll first')]);
    await expect(withStepUp(action, async () => true)).rejects.toMatchObject({ code: 'enrollment_required' });
    expect(ctx.calls).toBe(1);
  });
});
