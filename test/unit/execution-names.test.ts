import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as onExecutionEnd } from '../../lambdas/on-execution-end';
import { requeuedName } from '../../lambdas/shared/queue-decisions';
import { manualRecoveryName, MAX_RECOVERIES, recoveryName } from '../../lambdas/shared/recovery';
import { approvalExecutionName, modelPackageEventSchema } from '../../lambdas/shared/triggers';
import { packageArn, setStepEnvironment } from '../support/fixtures';

/**
 * Every execution name the triggers produce is one Step Functions accepts: StartExecution's `name`
 * is 1–80 characters with no whitespace, brackets, wildcards, special characters or control
 * characters (API_StartExecution, https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html;
 * botocore's model: Name min 1, max 80). A longer name is refused (InvalidName) and the approval or
 * the recovery never starts. Checked for the longest inputs the product accepts.
 */
const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBDocumentClient);

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:Promotion';
// eslint-disable-next-line no-control-regex -- the API reference forbids control characters in names
const FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
/** Why StartExecution would refuse this name (API_StartExecution); empty when it accepts it. */
function nameProblems(name: string): string[] {
  const forbidden = FORBIDDEN.exec(name)?.[0];
  return [
    ...(name.length < 1 || name.length > 80 ? [`${name.length} characters, not 1-80`] : []),
    ...(forbidden !== undefined ? [`contains ${JSON.stringify(forbidden)}`] : []),
  ];
}
function expectStartableName(name: string): void {
  expect({ name, problems: nameProblems(name) }).toEqual({ name, problems: [] });
}

/** SageMaker endpoint names are at most 63 characters (API_CreateEndpoint: EndpointName, [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}). */
const endpointOfLength = (length: number) => 'e'.repeat(length);
/** Model package versions: 1 up to the largest the event schema accepts (a safe integer). */
const VERSIONS = [1, 9, 10, 99_999, 999_999_999, Number.MAX_SAFE_INTEGER];

const sample = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'events', `${name}.json`), 'utf8')) as Record<string, unknown>;
function approvalEvent(version: number, status: 'Approved' | 'Rejected' = 'Approved') {
  const event = sample('model_package_state_change') as { detail: Record<string, unknown> } & Record<string, unknown>;
  return { ...event, detail: { ...event.detail, ModelPackageGroupName: 'churn-models', ModelPackageVersion: version, ModelPackageArn: packageArn(version), ModelApprovalStatus: status } };
}
function executionEnded(name: string) {
  const event = sample('stepfunctions_execution_failed') as { detail: Record<string, unknown> } & Record<string, unknown>;
  const executionArn = `arn:aws:states:us-east-1:111122223333:execution:Promotion:${name}`;
  return { ...event, detail: { ...event.detail, executionArn, name, status: 'ABORTED', input: JSON.stringify({ endpointName: 'churn-prediction' }) } };
}

beforeEach(() => {
  sfn.reset();
  dynamo.reset();
  setStepEnvironment();
  process.env.STATE_MACHINE_ARN = STATE_MACHINE_ARN;
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec' });
});

describe('approval execution names', () => {
  test('GIVEN any endpoint name (up to 63 characters), any version and either decision THEN the name is one StartExecution accepts, of letters, digits, - and _ (what CloudWatch Logs needs)', () => {
    for (let length = 1; length <= 63; length++) {
      for (const version of VERSIONS) {
        for (const status of ['Approved', 'Rejected'] as const) {
          const event = modelPackageEventSchema.parse(approvalEvent(version, status));
          const name = approvalExecutionName(endpointOfLength(length), event, status === 'Approved' ? 'approved' : 'rejected');
          expectStartableName(name);
          expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
        }
      }
    }
  });

  test('GIVEN two 63-character endpoints that differ only past the part kept in the name THEN their promotions get different names', () => {
    const event = modelPackageEventSchema.parse(approvalEvent(7));
    const a = `${'e'.repeat(62)}a`;
    const b = `${'e'.repeat(62)}b`;
    expect(approvalExecutionName(a, event, 'approved')).not.toBe(approvalExecutionName(b, event, 'approved'));
  });

  test('GIVEN the longest approval name WHEN its start is re-queued, and the re-queued one again THEN every name is one StartExecution accepts, each a new one', () => {
    const event = modelPackageEventSchema.parse(approvalEvent(Number.MAX_SAFE_INTEGER));
    const first = approvalExecutionName(endpointOfLength(63), event, 'approved');
    const requeued = [requeuedName(first)];
    for (let i = 1; i < 3; i++) requeued.push(requeuedName(requeued[i - 1]!));
    for (const name of requeued) expectStartableName(name);
    // Step Functions never starts a name twice (API_StartExecution: ExecutionAlreadyExists).
    expect(new Set([first, ...requeued]).size).toBe(requeued.length + 1);
  });
});

describe('recovery execution names', () => {
  /** Execution names as users and the triggers give them: 1 to 80 characters. */
  const promotionNames = Array.from({ length: 80 }, (_, i) => `p${'x'.repeat(i)}`);

  test('GIVEN any promotion name THEN each of its numbered recoveries, and a recovery started by hand, has a name StartExecution accepts, all different from each other and from the promotion', () => {
    for (const name of promotionNames) {
      const names = [
        ...Array.from({ length: MAX_RECOVERIES + 1 }, (_, i) => recoveryName(name, i + 1)),
        manualRecoveryName(name, new Date('2026-12-01T00:00:00Z')),
        // The latest date JavaScript can hold: the longest suffix manualRecoveryName can make.
        manualRecoveryName(name, new Date(8.64e15)),
      ];
      for (const recovery of names) expectStartableName(recovery);
      expect(new Set([name, ...names]).size).toBe(names.length + 1);
    }
  });

  test('GIVEN two 80-character promotion names that differ only at the end THEN their recoveries do not collide', () => {
    const a = `${'x'.repeat(79)}a`;
    const b = `${'x'.repeat(79)}b`;
    expect(recoveryName(a, 1)).not.toBe(recoveryName(b, 1));
  });

  test('GIVEN a promotion of any accepted name length (1–80) that ended holding its lock, and each of its recoveries ending the same way THEN every recovery starts under a name Step Functions accepts, never one already used', async () => {
    const used = new Set<string>();
    let started: string[] = [];
    // As Step Functions: a name is started once (ExecutionAlreadyExists after that).
    sfn.on(StartExecutionCommand).callsFake((command: { name?: string }) => {
      if (used.has(command.name!)) throw Object.assign(new Error(`Execution Already Exists: '${command.name}'`), { name: 'ExecutionAlreadyExists' });
      used.add(command.name!);
      started.push(command.name!);
      return { executionArn: `arn:aws:states:us-east-1:111122223333:execution:Promotion:${command.name}` };
    });
    for (const length of [1, 8, 40, 71, 72, 73, 79, 80]) {
      const name = `p${'x'.repeat(length - 1)}`;
      used.add(name);
      started = [];
      dynamo.on(GetCommand).resolves({ Item: { endpointName: 'churn-prediction', sk: 'LOCK', promotionId: name } });

      for (let recovery = 1; recovery <= MAX_RECOVERIES; recovery++) {
        await expect(onExecutionEnd(executionEnded(name))).resolves.toMatchObject({ action: 'recovery-started' });
      }

      expect(started).toHaveLength(MAX_RECOVERIES);
      for (const recovery of started) expectStartableName(recovery);
    }
  });
});
