import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointsCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import type { PromotionState, WaitEvent } from '../../lambdas/shared/contracts';
import { greenNames } from '../../lambdas/shared/naming';
import { completeTask, loadHandlers, startExecution, type ExecutionResult, type StepHandlers } from '../../local/executor';
import { sageMakerError, throttled } from '../support/fixtures';
import { mockAws, packageArn, type Knobs } from '../support/mock-aws';
import { applyFunctionEnvironment, synthesizedWorkflow } from '../support/workflow';

/**
 * Guarantees of the workflow that no other test held (issue 11, "Tests that can fail"): each was
 * let through by the rest of the suite when the product was mutated by hand (the mutation each
 * one kills is in the list). The synthesized state machine, run by aws-local-stepfunctions
 * with the real handlers and the SDK mocked. A test that wraps a handler only changes the world
 * around it (an approval revoked, an endpoint status SageMaker reports, a wake of the bake);
 * the product's own code runs unchanged.
 */
const workflow = synthesizedWorkflow();
applyFunctionEnvironment(workflow);
const handlers = loadHandlers();

const ENDPOINT = 'churn-prediction';
const ID = 'promotion-1';
const VERSION = 2;
const green = greenNames(ENDPOINT, VERSION, ID);
type Strategy = 'variant' | 'guardrails';
type Aws = ReturnType<typeof mockAws>;

const input = (strategy: Strategy, extra: Record<string, unknown> = {}) => ({
  endpointName: ENDPOINT,
  modelPackageArn: packageArn(VERSION),
  strategy,
  bakeSeconds: 120,
  validation: { samples: [{ name: 'typical-customer', body: '{"tenure": 12}', expectContains: 'churn' }] },
  ...extra,
});

/** Blue serves v1; `given` arranges the world (faults, wrapped handlers) before the promotion starts. */
async function promote(promotionInput: unknown, given: (aws: Aws) => Partial<StepHandlers> | void = () => undefined, knobs: Knobs = {}) {
  const aws = mockAws(knobs);
  aws.givenBlue();
  const wrapped = { ...handlers, ...(given(aws) ?? {}) };
  const result = await startExecution(workflow, { input: promotionInput, name: ID, handlers: wrapped }).result;
  return { aws, result };
}

const history = (aws: Aws) => [...aws.table.values()].find((i) => String(i.sk).startsWith('PROMOTION#'));
const lockHeld = (aws: Aws) => [...aws.table.values()].some((i) => i.sk === 'LOCK');
const entered = (result: ExecutionResult) => result.events.filter((e) => e.type === 'StateEntered');
const statesEntered = (result: ExecutionResult) => entered(result).map((e) => e.state);

/** Blue serves everything as before the promotion, and nothing of green's is left. */
function expectBlueAsBefore(aws: Aws): void {
  expect(aws.endpoint).toMatchObject({ config: 'churn-v1-config', status: 'InService', variants: [expect.objectContaining({ VariantName: 'AllTraffic', CurrentWeight: 1 })] });
  expect([...aws.models.keys()]).toEqual(['churn-v1']);
  expect([...aws.configs.keys()]).toEqual(['churn-v1-config']);
  expect(aws.alarms.size).toBe(0);
}

/**
 * The bake as the execution history tells it: the simulated seconds the Bake waits ran to their
 * timeout (each a TimeoutSecondsPath of `$.bake.waitSeconds`, API_TaskState), counted up to the
 * CheckGuardrails that declared the bake done, and how many Bake waits there were.
 */
function bakeTimeline(result: ExecutionResult): { waitedSeconds: number; bakes: number; doneAfterSeconds?: number } {
  let waitedSeconds = 0;
  let doneAfterSeconds: number | undefined;
  for (const event of result.events) {
    if (event.type === 'StateEntered' && event.state === 'CheckGuardrails') {
      const state = event.input as PromotionState;
      if (state.wake?.Error === 'States.Timeout') waitedSeconds += state.bake!.waitSeconds;
    }
    if (event.type === 'StateExited' && event.state === 'CheckGuardrails' && (event.output as PromotionState).bake?.done) doneAfterSeconds ??= waitedSeconds;
  }
  return { waitedSeconds, bakes: entered(result).filter((e) => e.state === 'Bake').length, doneAfterSeconds };
}

/** From now on SageMaker throttles every call a cleanup can make, whichever it starts with. */
function throttleCleanupCalls(aws: Aws): void {
  aws.sagemaker.on(DescribeEndpointCommand).rejects(throttled());
  aws.sagemaker.on(ListEndpointsCommand).rejects(throttled());
  aws.sagemaker.on(DescribeEndpointConfigCommand).rejects(throttled());
  aws.sagemaker.on(DescribeModelCommand).rejects(throttled());
  aws.sagemaker.on(DeleteEndpointCommand).rejects(throttled());
  aws.sagemaker.on(DeleteEndpointConfigCommand).rejects(throttled());
  aws.sagemaker.on(DeleteModelCommand).rejects(throttled());
}

/** The bake's parking step fails before it parks (the lock table unavailable): the Bake state's catch-all ends the wait at once. */
function parkingFails(): Error {
  return Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
}

/**
 * Wakes of the bake before its end, in order: its parking step failing, or a SendTaskSuccess on
 * its token (anyone holding the token can send one). After them the bake waits undisturbed.
 */
function bakeWokenEarly(wakes: Array<'parking-fails' | 'task-success'>): Partial<StepHandlers> {
  const pending = [...wakes];
  return {
    'await-guardrails': async (event: never) => {
      const wake = pending.shift();
      if (wake === 'parking-fails') throw parkingFails();
      const parked = await handlers['await-guardrails'](event);
      // The local runner registers the token before the task's function runs: this wakes the wait as soon as it starts.
      if (wake === 'task-success') completeTask((event as { token: string }).token, { output: { by: 'endpoint-event', endpointName: ENDPOINT, status: 'IN_SERVICE' } });
      return parked;
    },
  };
}

describe('guarantees (synthesized definition, mocked SDK)', () => {
  describe('a failing ShiftTraffic rolls back to blue', () => {
    test.each([
      // variant: blue shares its endpoint with green from the stand-up on, so the promotion rolled back.
      { strategy: 'variant' as const, refused: 'UpdateEndpointWeightsAndCapacities', error: 'PromotionRolledBack', outcome: 'rolled_back' },
      // guardrails: SageMaker refused the deployment, so blue was never touched.
      { strategy: 'guardrails' as const, refused: 'UpdateEndpoint', error: 'PromotionFailed', outcome: 'failed' },
    ])('GIVEN SageMaker refuses the shift ($strategy: $refused, ResourceLimitExceeded) THEN the promotion goes through its rollback: blue serves, green is cleaned up, the outcome is recorded and the lock released', async ({ strategy, error, outcome }) => {
      const refusal = sageMakerError('ResourceLimitExceeded', "The account-level service limit 'ml.m5.large for endpoint usage' is 4 Instances.");
      const { aws, result } = await promote(input(strategy), (world) => {
        // Only the shift's own call is refused; every other call behaves as SageMaker would.
        if (strategy === 'variant') world.sagemaker.on(UpdateEndpointWeightsAndCapacitiesCommand, { EndpointName: ENDPOINT }).rejects(refusal);
        else world.sagemaker.on(UpdateEndpointCommand, { EndpointName: ENDPOINT, EndpointConfigName: green.greenConfig }).rejects(refusal);
      });

      expect(statesEntered(result)).toContain('ShiftTraffic');
      expect(result).toMatchObject({ status: 'FAILED', error });
      expect(result.cause).toMatch(/^ResourceLimitExceeded: .*service limit/);
      expect(statesEntered(result)).toEqual(expect.arrayContaining(['RollBack', 'CleanupGreen', 'RecordRollback']));
      expectBlueAsBefore(aws);
      expect(lockHeld(aws)).toBe(false);
      expect(history(aws)).toMatchObject({ outcome, failedWith: 'ResourceLimitExceeded' });
    });
  });

  test('GIVEN cleaning blue up fails past its retries THEN the promotion still ends promoted, with what may remain recorded, and the lock released', async () => {
    const { aws, result } = await promote(input('variant'), (world) => ({
      // From blue's cleanup on, SageMaker throttles every call the cleanup can make, past the state's retries.
      cleanup: async (event: never) => {
        if ((event as { target: string }).target === 'blue') throttleCleanupCalls(world);
        return handlers.cleanup(event);
      },
    }));

    expect(result.status).toBe('SUCCEEDED');
    expect(statesEntered(result).slice(-4)).toEqual(['CleanupBlue', 'RecordPromotion', 'PublishSucceeded', 'Promoted']);
    expect(aws.endpoint).toMatchObject({ status: 'InService', config: green.greenConfig });
    expect(lockHeld(aws)).toBe(false);
    const row = history(aws)!;
    expect(row).toMatchObject({ outcome: 'promoted', cleanedUp: null });
    expect(row.leftovers).toEqual(
      expect.arrayContaining([
        { resource: `config ${green.pairConfig}`, reason: expect.stringMatching(/^cleanup failed \(ThrottlingException: Rate exceeded\)/) },
        { resource: `alarm ${green.alarmPrefix}-5xx`, reason: expect.stringMatching(/^cleanup failed/) },
      ]),
    );
  });

  describe('the bake lasts its full length, however often it is woken', () => {
    test.each([
      { strategy: 'variant' as const, bakeSeconds: 120, watched: 120 },
      // Shorter than one poll (30 s): still baked, for exactly that long.
      { strategy: 'variant' as const, bakeSeconds: 10, watched: 10 },
      // guardrails: SageMaker bakes the first hour itself (TerminationWaitInSeconds, at most 3600 s); the workflow the rest.
      { strategy: 'guardrails' as const, bakeSeconds: 3700, watched: 100 },
    ])('GIVEN a $bakeSeconds s $strategy bake woken early twice THEN the waits that ran to their end add up to the bake before it is done', async ({ strategy, bakeSeconds, watched }) => {
      const { aws, result } = await promote(input(strategy, { bakeSeconds }), () => bakeWokenEarly(['parking-fails', 'task-success']));

      expect(result.status).toBe('SUCCEEDED');
      expect(bakeTimeline(result)).toEqual({ waitedSeconds: watched, bakes: 3, doneAfterSeconds: watched });
      const termination = aws.sagemaker.commandCalls(UpdateEndpointCommand).map((c) => c.args[0].input.DeploymentConfig?.BlueGreenUpdatePolicy?.TerminationWaitInSeconds).find((t) => t !== undefined) ?? 0;
      expect(termination + watched).toBe(bakeSeconds);
    });
  });

  test('GIVEN a bake shorter than one poll and a guardrail alarm in ALARM at its end THEN the alarm is checked once the bake has lasted its length, and the promotion rolls back', async () => {
    const bakeSeconds = 10;
    // The alarm is in ALARM from the first time the bake reads it.
    const { aws, result } = await promote(input('variant', { bakeSeconds }), () => undefined, { alarmAfterChecks: 0 });

    const bake = entered(result).find((e) => e.state === 'Bake')?.input as PromotionState | undefined;
    expect(bakeSeconds).toBeLessThan(bake!.promotion.pollSeconds);
    expect(bakeTimeline(result)).toMatchObject({ waitedSeconds: bakeSeconds, bakes: 1 });
    expect(aws.cloudwatch).toHaveReceivedCommand(DescribeAlarmsCommand);
    expect(result).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
    expect(result.cause).toMatch(/^GuardrailAlarm: guardrail alarm .* is in ALARM/);
    expect(statesEntered(result)).not.toContain('Finalize');
    expectBlueAsBefore(aws);
  });

  describe('an OutOfService endpoint is never ready, even on the expected config', () => {
    // API_DescribeEndpoint: "OutOfService: Endpoint is not available to take incoming requests."
    // (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html)
    test('GIVEN the validation endpoint goes OutOfService on its own config while green stands up THEN no sample is sent to it, the promoted endpoint is never updated, and the promotion fails GreenNotInService', async () => {
      let reported: string | undefined;
      const { aws, result } = await promote(input('guardrails'), (world) => ({
        'wait-for-endpoint': async (event: never) => {
          const validation = world.endpoints.get(green.validationEndpoint);
          if ((event as WaitEvent).phase === 'standUp' && validation) {
            Object.assign(validation, { status: 'OutOfService', pending: undefined });
            reported = validation.config;
          }
          return handlers['wait-for-endpoint'](event);
        },
      }));

      expect(reported).toBe(green.validationConfig);
      expect(result).toMatchObject({ status: 'FAILED', error: 'PromotionFailed' });
      expect(result.cause).toMatch(/^GreenNotInService: .*OutOfService/);
      expect(aws.runtime).not.toHaveReceivedCommand(InvokeEndpointCommand);
      expect(aws.sagemaker).not.toHaveReceivedCommandWith(UpdateEndpointCommand, { EndpointName: ENDPOINT });
      expectBlueAsBefore(aws);
      expect(history(aws)).toMatchObject({ outcome: 'failed', failedWith: 'GreenNotInService' });
    });

    test('GIVEN the endpoint is OutOfService on green\'s config when the bake is checked THEN the promotion rolls back to blue instead of finalizing', async () => {
      const { aws, result } = await promote(input('variant'), (world) => ({
        'check-guardrails': async (event: never) => {
          const endpoint = world.endpoint!;
          const status = endpoint.status;
          endpoint.status = 'OutOfService';
          try {
            return await handlers['check-guardrails'](event);
          } finally {
            endpoint.status = status;
          }
        },
      }));

      expect(result).toMatchObject({ status: 'FAILED', error: 'PromotionRolledBack' });
      expect(result.cause).toMatch(/^GreenNotInService: .*OutOfService/);
      expect(statesEntered(result)).not.toContain('Finalize');
      expectBlueAsBefore(aws);
      expect(history(aws)).toMatchObject({ outcome: 'rolled_back', failedWith: 'GreenNotInService' });
    });
  });

  test('GIVEN the version\'s approval is revoked after the input was validated THEN CreateGreen refuses it: nothing is created, blue is untouched, the promotion fails ModelPackageNotDeployable', async () => {
    const { aws, result } = await promote(input('variant'), (world) => ({
      // Someone sets the version back to PendingManualApproval in the Model Registry while the lock is taken.
      'acquire-lock': async (event: never) => {
        const lock = await handlers['acquire-lock'](event);
        world.approvedPackages.delete(VERSION);
        return lock;
      },
    }));

    expect(statesEntered(result)).toEqual(expect.arrayContaining(['ValidateInput', 'CreateGreen']));
    expect(result).toMatchObject({ status: 'FAILED', error: 'PromotionFailed' });
    expect(result.cause).toMatch(/^ModelPackageNotDeployable: .* is PendingManualApproval/);
    expect(aws.sagemaker).not.toHaveReceivedCommand(CreateModelCommand);
    expect(aws.sagemaker).not.toHaveReceivedCommand(CreateEndpointConfigCommand);
    expect(aws.sagemaker).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expectBlueAsBefore(aws);
    expect(lockHeld(aws)).toBe(false);
    expect(history(aws)).toMatchObject({ outcome: 'failed', failedWith: 'ModelPackageNotDeployable' });
  });

  test.each(['variant', 'guardrails'] as const)('GIVEN a %s promotion fails before green stands up THEN it is recorded failed (blue untouched), not rolled back, and green\'s model is deleted', async (strategy) => {
    const { aws, result } = await promote(input(strategy), (world) => {
      world.sagemaker.on(CreateEndpointConfigCommand).rejects(sageMakerError('ResourceLimitExceeded', "The account-level service limit 'Number of endpoint configs' is 1000."));
    });

    expect(statesEntered(result)).not.toContain('StandUpGreen');
    expect(result).toMatchObject({ status: 'FAILED', error: 'PromotionFailed' });
    expect(result.cause).toMatch(/^ResourceLimitExceeded: /);
    expect(aws.sagemaker).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expectBlueAsBefore(aws);
    expect(lockHeld(aws)).toBe(false);
    expect(history(aws)).toMatchObject({ outcome: 'failed', failedWith: 'ResourceLimitExceeded' });
  });
});
