import { UpdateEndpointCommand, UpdateEndpointWeightsAndCapacitiesCommand, DeleteEndpointCommand } from '@aws-sdk/client-sagemaker';
import { greenNames } from '../../lambdas/shared/naming';
import { loadHandlers, startExecution, type ExecutionResult, type StepHandlers } from '../../local/executor';
import { mockAws, packageArn, type Knobs } from '../support/mock-aws';
import { applyFunctionEnvironment, synthesizedWorkflow } from '../support/workflow';

/**
 * Outside changes in the synthesized definition: every task after AcquireLock catches
 * PromotionEnded first (a redriven or stale execution does nothing), every step that looks at the
 * endpoint catches OutsideChange into the `interrupted` path, and that path never acts on the
 * endpoint again. The executions run the real handlers on aws-local-stepfunctions, SDK mocked.
 */
const workflow = synthesizedWorkflow();
applyFunctionEnvironment(workflow);
const handlers = loadHandlers();

interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  Default?: string;
  Choices?: Array<{ Next: string }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }>;
  Error?: string;
  CausePath?: string;
}
const states = workflow.definition.States as Record<string, AslState>;

/** States reachable from `from`, by Next, Choices, Default and Catch. */
function reachable(from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const s = states[name]!;
    todo.push(...[s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)].filter((n): n is string => n !== undefined));
  }
  return seen;
}

/** Lambda tasks only: the lifecycle PutEvents states act on nothing and catch everything into their next state (lib/events.ts). */
const isPublish = (name: string) => states[name]!.Resource === 'arn:aws:states:::events:putEvents';
const afterLock = [...reachable(states.AcquireLock!.Next!)].filter((n) => states[n]!.Type === 'Task' && !isPublish(n)).sort();
/** The steps that look at the endpoint (or wait on it): each judges outside changes, or its wait can be failed with one. */
const WATCHING = [
  'DescribeBlue', 'CreateGreen', 'StandUpGreen', 'CheckGreenInService', 'WaitForGreenInService', 'ValidateGreen', 'ArmGuardrails', 'ShiftTraffic',
  'CheckTrafficOnGreen', 'WaitForTrafficOnGreen', 'Bake', 'CheckGuardrails', 'Finalize', 'CheckGreenAlone', 'WaitForGreenAlone', 'RevalidateGreen',
  'CleanupBlue', 'RollBack',
];

describe('the synthesized definition', () => {
  test('every Task after AcquireLock (happy path, waits, rollback loop, cleanups, records) catches PromotionEnded first, into Fail PromotionEnded and nothing else', () => {
    expect(afterLock).toEqual(expect.arrayContaining([...WATCHING, 'CleanupGreen', 'RecordPromotion', 'RecordRollback', 'CleanupInterrupted', 'RecordInterrupted']));
    expect(afterLock).not.toContain('ValidateInput');
    for (const name of afterLock) {
      const catches = states[name]!.Catch ?? [];
      expect({ name, first: catches[0] }).toEqual({ name, first: { ErrorEquals: ['PromotionEnded'], Next: 'PromotionEnded' } });
      expect(catches.findIndex((c) => c.ErrorEquals.includes('States.ALL'))).not.toBe(0);
    }
    expect(states.PromotionEnded).toEqual({ Type: 'Fail', Error: 'PromotionEnded', CausePath: '$.Cause' });
  });

  test('every step that looks at the endpoint catches OutsideChange into CleanupInterrupted before any other error but PromotionEnded', () => {
    for (const name of WATCHING) {
      const catches = states[name]!.Catch ?? [];
      expect({ name, second: catches[1] }).toEqual({ name, second: { ErrorEquals: ['OutsideChange'], Next: 'CleanupInterrupted', ResultPath: '$.interruption' } });
    }
  });

  test('the interrupted path deletes the promotion’s own resources, records and fails PromotionInterrupted: no finalize, no rollback on the way', () => {
    expect([...reachable('CleanupInterrupted')].sort()).toEqual(['CleanupInterrupted', 'PromotionEnded', 'PromotionInterrupted', 'PublishInterrupted', 'RecordInterrupted']);
    expect(states.CleanupInterrupted).toMatchObject({ Next: 'RecordInterrupted' });
    expect(states.CleanupInterrupted!.Catch).toContainEqual({ ErrorEquals: ['States.ALL'], Next: 'RecordInterrupted', ResultPath: '$.cleanupFailure' });
    expect(states.RecordInterrupted).toMatchObject({ Next: 'PublishInterrupted' });
    expect(states.PublishInterrupted).toMatchObject({ Next: 'PromotionInterrupted' });
    expect(states.PromotionInterrupted).toEqual({ Type: 'Fail', Error: 'PromotionInterrupted', CausePath: '$.outcome.reason' });
  });
});

const ENDPOINT = 'churn-prediction';
const green = greenNames(ENDPOINT, 2, 'promotion-1');
const input = (strategy: 'variant' | 'guardrails') => ({
  endpointName: ENDPOINT,
  modelPackageArn: packageArn(2),
  strategy,
  bakeSeconds: 120,
  validation: { samples: [{ name: 'typical-customer', body: '{"tenure": 12}', expectContains: 'churn' }] },
});
type Aws = ReturnType<typeof mockAws>;
const entered = (result: ExecutionResult) => result.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
const history = (aws: Aws) => [...aws.table.values()].find((i) => String(i.sk).startsWith('PROMOTION#'));
const statesAfter = (result: ExecutionResult, state: string) => entered(result).slice(entered(result).indexOf(state) + 1);

/** Runs a variant promotion whose `step` first lets an operator act on the mocked endpoint (the handler itself runs unchanged). */
async function promoteWhile(step: keyof StepHandlers, operator: (aws: Aws) => void, strategy: 'variant' | 'guardrails' = 'variant', knobs: Knobs = {}) {
  const aws = mockAws(knobs);
  aws.givenBlue();
  let acted = false;
  const real = handlers[step]!;
  const wrapped: StepHandlers = {
    ...handlers,
    [step]: async (event: never) => {
      if (!acted) {
        acted = true;
        operator(aws);
      }
      return real(event);
    },
  };
  const result = await startExecution(workflow, { input: input(strategy), name: 'promotion-1', handlers: wrapped }).result;
  return { aws, result };
}

describe('an outside change during a promotion (synthesized definition, mocked SDK)', () => {
  test('GIVEN the bake WHEN an operator moves the weights back to blue THEN the promotion ends PromotionInterrupted naming the weights, never finalizes or rolls back, and the endpoint stays as the operator left it', async () => {
    const { aws, result } = await promoteWhile('await-guardrails', (world) => {
      for (const v of world.endpoint!.variants) v.CurrentWeight = v.DesiredWeight = v.VariantName === 'AllTraffic' ? 1 : 0;
    });

    expect(result).toMatchObject({ status: 'FAILED', error: 'PromotionInterrupted' });
    expect(result.cause).toMatch(new RegExp(`^OutsideChange: weights moved on ${green.pairConfig}: AllTraffic=1, ${green.variant}=0, expected AllTraffic=0, ${green.variant}=1 .*\\(detected by check-guardrails at \\S+\\); the endpoint is left as that change set it$`));
    expect(statesAfter(result, 'CheckGuardrails')).toEqual(['CleanupInterrupted', 'RecordInterrupted', 'PublishInterrupted', 'PromotionInterrupted']);
    expect(entered(result)).not.toContain('Finalize');
    expect(entered(result)).not.toContain('RollBack');
    expect(aws.endpoint).toMatchObject({ config: green.pairConfig, variants: [expect.objectContaining({ VariantName: 'AllTraffic', CurrentWeight: 1 }), expect.objectContaining({ VariantName: green.variant, CurrentWeight: 0 })] });
    // The only weights call is the shift's; no update, no delete of the endpoint.
    expect(aws.sagemaker).toHaveReceivedCommandTimes(UpdateEndpointWeightsAndCapacitiesCommand, 1);
    expect(aws.sagemaker.commandCalls(UpdateEndpointCommand).map((c) => c.args[0].input.EndpointConfigName)).toEqual([green.pairConfig]);
    expect(aws.sagemaker).not.toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: ENDPOINT });
    // Green's config nothing runs is deleted; the pair the endpoint runs and green's model it needs are kept; blue's are untouched.
    expect(aws.configs.has(green.greenConfig)).toBe(false);
    expect(aws.configs.has(green.pairConfig)).toBe(true);
    expect(aws.models.has(green.model)).toBe(true);
    expect(aws.configs.has('churn-v1-config')).toBe(true);
    expect(aws.alarms.size).toBe(0);
    expect(aws.table.has(`${ENDPOINT}|LOCK`)).toBe(false);
    expect(history(aws)).toMatchObject({
      outcome: 'interrupted',
      reason: result.cause,
      interruption: { change: expect.stringMatching(/^weights moved on /), detectedBy: 'check-guardrails', detectedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
      leftovers: expect.arrayContaining([{ resource: `config ${green.pairConfig}`, reason: 'still used by an endpoint' }]),
    });
  });

  test('GIVEN the rollback loop after an alarm WHEN an operator has put the endpoint on another config THEN the rollback stops before acting and the promotion ends PromotionInterrupted, the operator’s config serving', async () => {
    const { aws, result } = await promoteWhile(
      'rollback',
      (world) => {
        world.configs.set('churn-hotfix-config', { EndpointConfigName: 'churn-hotfix-config', ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'churn-v1', InstanceType: 'ml.m5.large', InitialInstanceCount: 2 }] });
        Object.assign(world.endpoint!, { config: 'churn-hotfix-config', variants: [{ VariantName: 'AllTraffic', CurrentWeight: 1, DesiredWeight: 1, CurrentInstanceCount: 2 }] });
      },
      'variant',
      // Green's alarms go to ALARM at the bake's first check: the rollback starts.
      { alarmAfterChecks: 0 },
    );

    expect(result).toMatchObject({ status: 'FAILED', error: 'PromotionInterrupted' });
    expect(result.cause).toMatch(/^OutsideChange: endpoint churn-prediction runs config churn-hotfix-config, which is neither blue's .*\(detected by rollback at \S+\); the promotion was rolling back after GuardrailAlarm: .*; the endpoint is left as that change set it$/);
    expect(statesAfter(result, 'RollBack')).toEqual(['CleanupInterrupted', 'RecordInterrupted', 'PublishInterrupted', 'PromotionInterrupted']);
    expect(aws.endpoint).toMatchObject({ config: 'churn-hotfix-config' });
    // The rollback acted on nothing: no weights call but the shift's, no update but the stand-up's.
    expect(aws.sagemaker).toHaveReceivedCommandTimes(UpdateEndpointWeightsAndCapacitiesCommand, 1);
    expect(aws.sagemaker).toHaveReceivedCommandTimes(UpdateEndpointCommand, 1);
    expect(history(aws)).toMatchObject({ outcome: 'interrupted', failedWith: 'GuardrailAlarm', interruption: { detectedBy: 'rollback' } });
    // Nothing uses green's configs and model any more: all of the promotion's own are gone, blue's stay.
    expect([...aws.configs.keys()].sort()).toEqual(['churn-hotfix-config', 'churn-v1-config']);
    expect(aws.models.has(green.model)).toBe(false);
  });

  test('GIVEN guardrails after SageMaker’s deployment WHEN an operator deletes the endpoint THEN the promotion ends PromotionInterrupted naming the deletion, its own resources deleted', async () => {
    const { aws, result } = await promoteWhile(
      'finalize',
      (world) => {
        world.endpoints.delete(ENDPOINT);
      },
      'guardrails',
    );

    expect(result).toMatchObject({ status: 'FAILED', error: 'PromotionInterrupted' });
    expect(result.cause).toMatch(/^OutsideChange: endpoint churn-prediction was deleted by someone else \(DescribeEndpoint: not found\) \(detected by finalize at /);
    expect(aws.sagemaker).not.toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointName: ENDPOINT });
    expect(aws.configs.has(green.greenConfig)).toBe(false);
    expect(aws.models.has(green.model)).toBe(false);
    expect(aws.configs.has('churn-v1-config')).toBe(true);
    expect(history(aws)).toMatchObject({ outcome: 'interrupted', interruption: { detectedBy: 'finalize' } });
  });
});
