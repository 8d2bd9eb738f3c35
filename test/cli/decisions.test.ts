import { parseDurationMs, parseDurationSeconds } from '../../cli/duration';
import { activeEnvironment, statusHeadline } from '../../cli/environment';
import { lastPromotionLine } from '../../cli/commands/status';
import { StateLog, executionOutcome, renderOutcome, renderStateLine, type StateLine } from '../../cli/follow';
import { defaultExecutionName } from '../../cli/promotion-input';
import { bluegreen } from './helpers';

describe('durations', () => {
  test.each([
    ['30m', 1800],
    ['1h', 3600],
    ['90s', 90],
    ['0', 0],
    ['1h30m', 5400],
  ])('%s is %i seconds', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  test.each(['90', '5x', '', 'm', '-1m', '1.5s'])('%j is refused', (text) => {
    expect(parseDurationSeconds(text)).toBeUndefined();
  });

  test('milliseconds are allowed for poll intervals', () => {
    expect(parseDurationMs('250ms')).toBe(250);
  });
});

describe('default execution name', () => {
  test('is <endpoint>-v<version>-<yyyymmddhhmmss>-<6 hex> in UTC', () => {
    expect(defaultExecutionName('churn-prediction', 7, new Date('2025-03-04T05:06:07.890Z'), '3f9a1c')).toBe('churn-prediction-v7-20250304050607-3f9a1c');
    expect(defaultExecutionName('churn-prediction', 7, new Date('2025-03-04T05:06:07.890Z'))).toMatch(/^churn-prediction-v7-20250304050607-[0-9a-f]{6}$/);
  });

  test('trims a long endpoint name to fit 80 characters', () => {
    const name = defaultExecutionName(`${'a'.repeat(62)}-b`, 12345, new Date('2025-03-04T05:06:07Z'));
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^a+-v12345-20250304050607-[0-9a-f]{6}$/);
  });
});

describe('active environment', () => {
  const blue = { variantName: 'AllTraffic', currentWeight: 1, packageVersion: 1 };
  const green = { variantName: 'v2-abc123', currentWeight: 0, versionTag: '2', environmentTag: 'green' };

  test('in flight: blue while blue carries the traffic', () => {
    // GIVEN green stood up at weight 0 WHEN status asks THEN blue serves version 1
    expect(statusHeadline(activeEnvironment([blue, green], { greenVariant: 'v2-abc123' }))).toBe('Active environment: blue, Model version: 1');
  });

  test('in flight: green once green carries it', () => {
    const shifted = [{ ...blue, currentWeight: 0 }, { ...green, currentWeight: 1 }];
    expect(activeEnvironment(shifted, { greenVariant: 'v2-abc123' })).toEqual({ environment: 'green', servingVariant: 'v2-abc123', modelVersion: '2' });
  });

  test('in flight (guardrails): green keeps blue\'s variant name and is recognised by its model', () => {
    const inFlight = { greenVariant: 'v2-abc123', greenModel: 'churn-v2-abc123' };
    // GIVEN SageMaker's deployment still on blue's config WHEN status asks THEN blue
    expect(activeEnvironment([{ ...blue, modelName: 'churn-handmade' }], inFlight)).toMatchObject({ environment: 'blue', modelVersion: '1' });
    // GIVEN the endpoint on green's config, same variant name THEN green
    expect(activeEnvironment([{ variantName: 'AllTraffic', currentWeight: 1, modelName: 'churn-v2-abc123', versionTag: '2' }], inFlight)).toEqual({
      environment: 'green',
      servingVariant: 'AllTraffic',
      modelVersion: '2',
    });
  });

  test('at rest: the serving model tag decides; no tag is blue', () => {
    expect(activeEnvironment([{ ...green, currentWeight: 1 }]).environment).toBe('green');
    expect(activeEnvironment([blue]).environment).toBe('blue');
  });

  test('model version: tag, else the package ARN version, else unknown', () => {
    expect(activeEnvironment([{ ...green, currentWeight: 1, packageVersion: 9 }]).modelVersion).toBe('2');
    expect(activeEnvironment([blue]).modelVersion).toBe('1');
    expect(activeEnvironment([{ variantName: 'x', currentWeight: 1 }]).modelVersion).toBe('unknown');
    expect(activeEnvironment([]).modelVersion).toBe('unknown');
  });
});

describe('state log', () => {
  function feed(names: string[], types: Record<string, string> = {}): StateLine[] {
    const log = new StateLog(0);
    const lines = names.flatMap((name, i) => log.enter({ name, type: types[name] ?? 'Task', at: i * 1000 }));
    return [...lines, ...log.end()];
  }

  test('prints each state once, in order', () => {
    expect(feed(['ValidateInput', 'AcquireLock', 'DescribeBlue']).map((l) => l.state)).toEqual(['ValidateInput', 'AcquireLock', 'DescribeBlue']);
  });

  test('collapses a poll loop into one line naming its task and count', () => {
    const loop = ['BakeDone?', 'Bake', 'CheckGuardrails'];
    const names = ['StartBake', ...Array.from({ length: 12 }, () => loop).flat(), 'BakeDone?', 'Finalize'];
    const lines = feed(names, { 'BakeDone?': 'Choice', Bake: 'Wait' });
    expect(lines.map(renderStateLine).map((l) => l.trim().replace(/^\+\S+\s+/, ''))).toEqual([
      'StartBake',
      'BakeDone?',
      'Bake',
      'CheckGuardrails',
      'CheckGuardrails ×12  (loop: BakeDone? → Bake → CheckGuardrails)',
      'Finalize',
    ]);
    expect(lines[4]?.elapsedSeconds).toBe(37);
  });

  test('a loop still open when the execution ends is printed', () => {
    const lines = feed(['RollBack', 'RolledBack?', 'WaitForRollback', 'RollBack', 'RolledBack?'], { 'RolledBack?': 'Choice', WaitForRollback: 'Wait' });
    expect(lines.at(-1)).toMatchObject({ state: 'RollBack', count: 2, loop: ['RollBack', 'RolledBack?', 'WaitForRollback'] });
  });
});

describe('arguments checked before any AWS call', () => {
  // No AWS at all: these must fail on the arguments alone.
  const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' };
  const arn = 'arn:aws:sagemaker:us-east-1:111122223333:model-package/churn-models/2';

  test('no command: usage, exit 2', async () => {
    const run = await bluegreen(env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage: bluegreen');
  });

  test('--help of every command exits 0 with examples', async () => {
    for (const command of ['promote', 'plan', 'status', 'rollback', 'history', 'watch']) {
      const run = await bluegreen(env, command, '--help');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Examples:');
    }
  });

  test('missing --model-package', async () => {
    const run = await bluegreen(env, 'promote', 'demo-x');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("required option '--model-package <arn>' not specified");
  });

  test('an unversioned model package ARN names the option and the expected shape', async () => {
    const run = await bluegreen(env, 'promote', 'demo-x', '--model-package', 'arn:aws:sagemaker:us-east-1:111122223333:model-package/churn-models');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--model-package: modelPackageArn must be a versioned model package ARN');
  });

  test('a bad endpoint name names the argument', async () => {
    const run = await bluegreen(env, 'plan', 'bad_name!', '--model-package', arn);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('<endpoint>: endpointName must match');
  });

  test('a bad duration names the option and the format', async () => {
    const run = await bluegreen(env, 'promote', 'demo-x', '--model-package', arn, '--bake', '30');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("option '--bake <duration>' argument '30' is invalid. --bake takes a duration such as 90s, 30m, 1h");
  });

  test('a bake longer than the workflow allows is refused by its schema', async () => {
    const run = await bluegreen(env, 'promote', 'demo-x', '--model-package', arn, '--bake', '2d');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--bake: ');
  });

  test('an invalid execution name', async () => {
    const run = await bluegreen(env, 'promote', 'demo-x', '--model-package', arn, '--name', 'has space');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--name: "has space" is not a valid execution name');
  });

  test('a validation file that is missing or malformed', async () => {
    const missing = await bluegreen(env, 'promote', 'demo-x', '--model-package', arn, '--validation-file', '/nonexistent/samples.json');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--validation-file: cannot read /nonexistent/samples.json (ENOENT)');
  });

  test('--json errors are one JSON document on stdout', async () => {
    const run = await bluegreen(env, 'promote', 'demo-x', '--model-package', 'nope', '--json');
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { name: 'UsageError', exitCode: 2 } });
  });

  test('no state machine configured names the three ways to give it', async () => {
    const run = await bluegreen(env, 'promote', 'demo-x', '--model-package', arn);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('which state machine? pass --state-machine-arn <arn>, set BLUEGREEN_STATE_MACHINE_ARN, or pass --stack <name>');
  });

  test('an unknown command suggests the fix', async () => {
    const run = await bluegreen(env, 'promte');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'promte'");
  });
});

describe('an interrupted promotion, as the CLI tells it', () => {
  const cause = 'OutsideChange: weights moved on churn-v2-abc123-pair: AllTraffic=1, v2-abc123=0, expected AllTraffic=0, v2-abc123=1 (detected by on-endpoint-change at 2026-12-01T10:00:00.000Z); the endpoint is left as that change set it';

  test('GIVEN an execution that failed PromotionInterrupted WHEN its outcome is rendered THEN it is `interrupted` and the line says someone else changed the endpoint', () => {
    const outcome = executionOutcome({ executionArn: 'arn:x', status: 'FAILED', error: 'PromotionInterrupted', cause, startDate: new Date(0), stopDate: new Date(4000) } as never);
    expect(outcome).toMatchObject({ outcome: 'interrupted', reason: cause });
    expect(renderOutcome(outcome)).toBe(`Interrupted after 4.0s: someone else changed the endpoint, and their change stands: ${cause}`);
    // A rollback still reads as one.
    expect(renderOutcome(executionOutcome({ executionArn: 'arn:x', status: 'FAILED', error: 'PromotionRolledBack', cause: 'GuardrailAlarm: x' } as never))).toBe('Rolled back: PromotionRolledBack: GuardrailAlarm: x');
  });

  test('GIVEN the last promotion was interrupted WHEN status shows it THEN the line names the change, which check saw it and when', () => {
    const row = {
      endpointName: 'churn',
      sk: 'PROMOTION#x',
      promotionId: 'p-1',
      modelPackageArn: 'arn:pkg/2',
      modelPackageVersion: 2,
      outcome: 'interrupted',
      reason: cause,
      finishedAt: '2026-12-01T10:00:05.000Z',
      interruption: { change: 'weights moved on churn-v2-abc123-pair: …', detectedBy: 'on-endpoint-change', detectedAt: '2026-12-01T10:00:00.000Z' },
    };
    expect(lastPromotionLine(row)).toBe('Last promotion p-1: interrupted at 2026-12-01T10:00:05.000Z: someone else changed the endpoint (seen by on-endpoint-change at 2026-12-01T10:00:00.000Z): weights moved on churn-v2-abc123-pair: …');
    expect(lastPromotionLine({ ...row, outcome: 'rolled_back', reason: 'GuardrailAlarm: x', interruption: null })).toBe('Last promotion p-1: rolled_back at 2026-12-01T10:00:05.000Z: GuardrailAlarm: x');
  });
});
