import type { AwaitEndpointEvent, PromotionState } from '../../lambdas/shared/contracts';
import { MAX_BAKE_SECONDS } from '../../lambdas/shared/waits';
import { completeTask, loadHandlers, startExecution, type ExecutionResult, type StepHandlers } from '../../local/executor';
import { mockAws, packageArn } from '../support/mock-aws';
import { applyFunctionEnvironment, synthesizedWorkflow } from '../support/workflow';

/**
 * The waits of the synthesized state machine: every one a callback task (a parked token) that an
 * event, an abort or its own timeout ends; the bake one wait whatever its length. Executed by
 * aws-local-stepfunctions with the real handlers and the SDK mocked.
 */
const workflow = synthesizedWorkflow();
applyFunctionEnvironment(workflow);
const handlers = loadHandlers();
type State = { Type: string; Resource?: string; TimeoutSecondsPath?: string; TimeoutSeconds?: number; Catch?: Array<{ ErrorEquals: string[]; Next: string }> };
const states = workflow.definition.States as Record<string, State>;

const input = (extra: Record<string, unknown> = {}) => ({
  endpointName: 'churn-prediction',
  modelPackageArn: packageArn(2),
  strategy: 'variant',
  bakeSeconds: 120,
  validation: { samples: [{ name: 'typical-customer', body: '{"tenure": 12}', expectContains: 'churn' }] },
  ...extra,
});

async function run(promotionInput: unknown, options: { handlers?: StepHandlers; secondsToMs?: (s: number) => number } = {}) {
  const aws = mockAws();
  aws.givenBlue();
  const result = await startExecution(workflow, { input: promotionInput, handlers: options.handlers ?? handlers, secondsToMs: options.secondsToMs }).result;
  return { aws, result };
}
const entered = (result: ExecutionResult) => result.events.filter((e) => e.type === 'StateEntered');
const inputsOf = (result: ExecutionResult, state: string) => entered(result).filter((e) => e.state === state).map((e) => e.input as PromotionState);

describe('waits (synthesized definition)', () => {
  test('every wait is a callback task timed by a path into the state: the bake by what is left of it, an InService wait by its backstop poll', () => {
    expect(states.Bake).toMatchObject({ Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', TimeoutSecondsPath: '$.bake.waitSeconds' });
    for (const name of ['WaitForGreenInService', 'WaitForTrafficOnGreen', 'WaitForGreenAlone']) {
      expect(states[name]).toMatchObject({ Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', TimeoutSecondsPath: '$.wait.waitSeconds' });
      // An abort fails the parked token: straight to the rollback.
      expect(states[name]!.Catch).toContainEqual({ ErrorEquals: ['GuardrailAlarm', 'PromotionAborted', 'UnexpectedEndpointState'], Next: 'RollBack', ResultPath: '$.failure' });
    }
    expect(states.Bake!.Catch).toContainEqual({ ErrorEquals: ['GuardrailAlarm', 'PromotionAborted', 'UnexpectedEndpointState'], Next: 'RollBack', ResultPath: '$.failure' });
    // Only the rollback loop still sleeps in a Wait state.
    expect(Object.entries(states).filter(([, s]) => s.Type === 'Wait').map(([n]) => n)).toEqual(['WaitForRollback']);
  });

  test('GIVEN a 2-minute and an 18-hour bake THEN the promotions enter the same states, the bake once', async () => {
    const short = (await run(input({ bakeSeconds: 120 }))).result;
    const long = (await run(input({ bakeSeconds: MAX_BAKE_SECONDS }))).result;

    expect(short.status).toBe('SUCCEEDED');
    expect(long.status).toBe('SUCCEEDED');
    expect(entered(long).map((e) => e.state)).toEqual(entered(short).map((e) => e.state));
    expect(entered(long).filter((e) => e.state === 'Bake')).toHaveLength(1);
    expect(inputsOf(long, 'Bake')[0]!.bake).toMatchObject({ seconds: MAX_BAKE_SECONDS, waitSeconds: MAX_BAKE_SECONDS });
  });

  test('GIVEN the bake\'s parking step fails once THEN the check counts nothing and the bake waits its whole length again (never cut short)', async () => {
    let failures = 1;
    const flaky: StepHandlers = {
      ...handlers,
      'await-guardrails': async (event: never) => {
        if (failures-- > 0) throw Object.assign(new Error('lock table unavailable'), { name: 'ResourceNotFoundException' });
        return handlers['await-guardrails'](event);
      },
    };
    const { result } = await run(input(), { handlers: flaky });

    expect(result.status).toBe('SUCCEEDED');
    const checks = inputsOf(result, 'CheckGuardrails');
    expect(checks).toHaveLength(2);
    expect(checks[0]!.wake).toMatchObject({ Error: 'ResourceNotFoundException' });
    expect(checks[1]!.bake).toMatchObject({ elapsedSeconds: 0, waitSeconds: 120 });
    expect(checks[1]!.wake).toMatchObject({ Error: 'States.Timeout' });
  });

  test('GIVEN every InService wait is woken by an endpoint event THEN the promotion never sleeps a backstop poll and the wakes count no time', async () => {
    // As on-endpoint-change does on SageMaker's event: complete the parked token with the event's status.
    const evented: StepHandlers = {
      ...handlers,
      'await-endpoint': async (event: never) => {
        const parked = await handlers['await-endpoint'](event);
        const { token } = event as AwaitEndpointEvent;
        setImmediate(() => completeTask(token, { output: { by: 'endpoint-event', endpointName: 'churn-prediction', status: 'IN_SERVICE' } }));
        return parked;
      },
    };
    // A real clock: a backstop poll (30 s here) would outlast the test.
    const { result } = await run(input({ bakeSeconds: 0 }), { handlers: evented, secondsToMs: (s) => s * 1000 });

    expect(result.status).toBe('SUCCEEDED');
    const checks = { CheckGreenInService: 'standUp', CheckTrafficOnGreen: 'shift', CheckGreenAlone: 'finalize' };
    const woken = Object.entries(checks).flatMap(([check, phase]) => inputsOf(result, check).filter((s) => s.wait?.phase === phase && s.wake?.by === 'endpoint-event'));
    expect(woken.length).toBeGreaterThan(0);
    for (const s of woken) expect(s.wait!.elapsedSeconds).toBe(0);
  });
});
