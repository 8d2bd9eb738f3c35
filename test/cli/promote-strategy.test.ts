import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeStateMachineCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { promotionInputJsonSchema } from '../../lambdas/shared/input';
import { formatSeconds } from '../../cli/duration';
import { bluegreen } from './helpers';

// promote's strategy flags end in StartExecution's input, checked by the workflow's own schema first.
const sfn = mockClient(SFNClient);
const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:Promotion';
const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', BLUEGREEN_STATE_MACHINE_ARN: STATE_MACHINE, BLUEGREEN_USER: 'tester' };
const ARN = 'arn:aws:sagemaker:us-east-1:111122223333:model-package/churn-models/2';

beforeEach(() => {
  sfn.reset();
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:e1`, startDate: new Date('2025-01-01T00:00:00Z') });
  // promote reads the state machine's timeout and poll first (its limits, cli/promotion-input.ts).
  sfn.on(DescribeStateMachineCommand).resolves({ definition: JSON.stringify({ TimeoutSeconds: 86_400, States: { WaitForRollback: { Type: 'Wait', Seconds: 30 } } }) });
});

/** The execution input promote sent. */
function startedInput(): Record<string, unknown> {
  const calls = sfn.commandCalls(StartExecutionCommand);
  expect(calls).toHaveLength(1);
  return JSON.parse(calls[0]?.args[0].input.input ?? '{}') as Record<string, unknown>;
}

describe('good values reach the execution input', () => {
  test('GIVEN --strategy guardrails --traffic canary:10%:5m --no-pre-validation and a validation file THEN strategy, traffic and validation.mode off are sent', async () => {
    const samples = join(tmpdir(), `bluegreen-strategy-samples-${process.pid}.json`);
    writeFileSync(samples, JSON.stringify([{ name: 'typical', body: '{"tenure": 3}' }]));
    const run = await bluegreen(env, 'promote', 'demo-x', '--model-package', ARN, '--strategy', 'guardrails', '--traffic', 'canary:10%:5m', '--no-pre-validation', '--validation-file', samples, '--name', 'e1');
    expect(run.stderr).not.toContain('invalid');
    expect(run.code).toBe(0);
    expect(startedInput()).toMatchObject({
      strategy: 'guardrails',
      traffic: { type: 'CANARY', percent: 10, waitSeconds: 300 },
      validation: { mode: 'off', samples: [{ name: 'typical', body: '{"tenure": 3}' }] },
    });
  });

  test('GIVEN --traffic linear:25%:2m alone THEN the traffic is sent and the strategy left to the stack', async () => {
    expect((await bluegreen(env, 'promote', 'demo-x', '--model-package', ARN, '--traffic', 'linear:25%:2m')).code).toBe(0);
    const input = startedInput();
    expect(input.traffic).toEqual({ type: 'LINEAR', percent: 25, waitSeconds: 120 });
    expect(input).not.toHaveProperty('strategy');
    expect(input).not.toHaveProperty('validation');
  });

  test('GIVEN --strategy variant THEN no traffic and no validation mode; --json shows the input', async () => {
    const run = await bluegreen(env, 'promote', 'demo-x', '--model-package', ARN, '--strategy', 'variant', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ input: { strategy: 'variant' } });
    expect(startedInput()).not.toHaveProperty('traffic');
  });

  test('GIVEN --variant, --inference-component, --batch-copies/--batch-wait and --async-output-timeout THEN each reaches its input field (the workflow checks them against the endpoint)', async () => {
    expect((await bluegreen(env, 'promote', 'demo-x', '--model-package', ARN, '--variant', 'challenger', '--async-output-timeout', '5m')).code).toBe(0);
    expect(startedInput()).toMatchObject({ variantName: 'challenger', validation: { asyncOutputSeconds: 300 } });
    expect(startedInput()).not.toHaveProperty('validation.mode');
    sfn.resetHistory();
    expect((await bluegreen(env, 'promote', 'demo-x', '--model-package', ARN, '--strategy', 'component', '--inference-component', 'chat', '--batch-copies', '2', '--batch-wait', '10m')).code).toBe(0);
    expect(startedInput()).toMatchObject({ strategy: 'component', inferenceComponentName: 'chat', rollingUpdate: { maximumBatchCopies: 2, waitSeconds: 600 } });
    sfn.resetHistory();
    expect((await bluegreen(env, 'promote', 'demo-x', '--model-package', ARN, '--batch-wait', '0')).code).toBe(0);
    expect(startedInput().rollingUpdate).toEqual({ waitSeconds: 0 });
  });

  test('GIVEN --traffic all-at-once THEN { type: ALL_AT_ONCE }', async () => {
    expect((await bluegreen(env, 'promote', 'demo-x', '--model-package', ARN, '--traffic', 'all-at-once')).code).toBe(0);
    expect(startedInput().traffic).toEqual({ type: 'ALL_AT_ONCE' });
  });
});

describe('bad values: exit 2 naming the option, nothing started', () => {
  test.each([
    [['--strategy', 'blue'], "option '--strategy <name>' argument 'blue' is invalid. Allowed choices are guardrails, variant, replace, component."],
    [['--traffic', 'sideways'], "option '--traffic <spec>' argument 'sideways' is invalid. --traffic takes all-at-once, canary[:<percent>%][:<wait>] or linear[:<percent>%][:<wait>], e.g. canary:10%:5m"],
    [['--traffic', 'canary:10'], "--traffic takes all-at-once, canary[:<percent>%][:<wait>] or linear[:<percent>%][:<wait>]"],
    [['--traffic', 'canary:60%'], '--traffic: traffic.percent: Too big: expected number to be <=50'],
    [['--traffic', 'linear:5%'], '--traffic: traffic.percent: a LINEAR step is 10–50% of the instances'],
    [['--traffic', 'canary:10%:2h'], '--traffic: traffic.waitSeconds: Too big: expected number to be <=3600'],
    [['--traffic', 'all-at-once:5m'], '--traffic: traffic.type: ALL_AT_ONCE takes neither percent nor waitSeconds'],
    [['--strategy', 'variant', '--traffic', 'canary'], "--traffic: the variant strategy does not read it (traffic routing is how SageMaker's deployment guardrails move the traffic); drop --traffic, or promote with --strategy guardrails"],
    [['--strategy', 'variant', '--no-pre-validation'], '--no-pre-validation: the variant strategy does not read it'],
    [['--strategy', 'replace', '--traffic', 'canary'], '--traffic: the replace strategy does not read it'],
    [['--strategy', 'component', '--traffic', 'linear'], '--traffic: the component strategy does not read it'],
    [['--strategy', 'guardrails', '--batch-copies', '2'], '--batch-copies: the guardrails strategy does not read it'],
    [['--strategy', 'replace', '--batch-wait', '5m'], '--batch-wait: the replace strategy does not read it'],
    [['--strategy', 'guardrails', '--inference-component', 'chat'], '--inference-component: the guardrails strategy does not read it'],
    [['--strategy', 'component', '--variant', 'AllTraffic'], '--variant: the component strategy does not read it (a component is named with --inference-component, not by its variant); drop --variant'],
    [['--strategy', 'replace', '--async-output-timeout', '2m'], '--async-output-timeout: the replace strategy does not read it'],
    [['--batch-copies', '0'], "option '--batch-copies <n>' argument '0' is invalid. --batch-copies takes a whole number of copies, at least 1."],
    [['--batch-copies', 'two'], '--batch-copies takes a whole number of copies, at least 1.'],
    [['--batch-wait', '2h'], "option '--batch-wait <duration>' argument '2h' is invalid. --batch-wait takes a duration such as 90s, 30m, 1h, 1h30m or 0 (whole seconds), from 0 to 1h (SageMaker's WaitIntervalInSeconds)."],
    [['--batch-wait', 'soon'], '--batch-wait takes a duration'],
    [['--async-output-timeout', '0'], '--async-output-timeout takes a duration such as 90s, 30m, 1h, 1h30m or 0 (whole seconds), at least 1s.'],
    [['--async-output-timeout', '20m'], '--async-output-timeout: asyncOutputSeconds is at most 600'],
    [['--variant', 'ab_test'], '--variant: variantName must match'],
    [['--inference-component', 'chat.v2'], '--inference-component: inferenceComponentName must match'],
  ])('%j', async (args, message) => {
    const run = await bluegreen(env, 'promote', 'demo-x', '--model-package', ARN, ...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('a bake longer than the workflow accepts names the limit, read from the input schema', async () => {
    const { bakeSeconds } = promotionInputJsonSchema().properties as Record<string, { maximum?: number }>;
    const max = bakeSeconds?.maximum ?? 0;
    const run = await bluegreen(env, 'promote', 'demo-x', '--model-package', ARN, '--bake', `${max + 1}s`);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--bake: longer than the workflow accepts: a bake is at most ${formatSeconds(max)} (${max} s)`);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  test('plan refuses the same flags the same way', async () => {
    const run = await bluegreen(env, 'plan', 'demo-x', '--model-package', ARN, '--strategy', 'variant', '--traffic', 'linear:20%:1m');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--traffic: the variant strategy does not read it');
  });
});
