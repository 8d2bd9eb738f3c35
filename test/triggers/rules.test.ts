import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { matchesPattern, type EventPattern } from '../../local/event-pattern';
import { startLocalAws, type LocalAws } from '../../local/aws';
import { Seed } from '../../local/seed';
import { synthesizedWorkflow } from '../support/workflow';

/**
 * The synthesized EventBridge rules (taken from the template) against the sample events of
 * the AWS documentation (test/fixtures/events, sources in its README), and against near misses.
 */
const sample = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'events', `${name}.json`), 'utf8')) as Record<string, unknown> & { detail: Record<string, unknown> };
const rules = synthesizedWorkflow().rules;
const rule = (fragment: string): EventPattern => {
  const [, r] = Object.entries(rules).find(([id]) => id.includes(fragment)) ?? [];
  if (!r) throw new Error(`no rule ${fragment} in the template`);
  return r.pattern as EventPattern;
};
/** The event rules an event matches (a schedule rule has no pattern: it matches nothing). */
const matching = (event: unknown) => Object.keys(rules).filter((id) => rules[id]!.schedule === undefined && matchesPattern(event, rules[id]!.pattern as EventPattern));

const approval = (status: string, group = 'churn-models') => {
  const e = sample('model_package_state_change');
  return { ...e, detail: { ...e.detail, ModelPackageGroupName: group, ModelApprovalStatus: status } };
};
const alarm = (value: string) => {
  const e = sample('cloudwatch_alarm_state_change_single_metric');
  return { ...e, detail: { ...e.detail, state: { ...(e.detail.state as object), value } } };
};
/** "SageMaker Endpoint State Change" with the fields the rule filters on (as the emulator sends it, status upper-case). */
const endpointChange = (endpointName: string, status: string) => ({
  version: '0',
  id: 'e-1',
  'detail-type': 'SageMaker Endpoint State Change',
  source: 'aws.sagemaker',
  account: '111122223333',
  time: '2026-11-22T00:00:00Z',
  region: 'us-east-1',
  resources: [`arn:aws:sagemaker:us-east-1:111122223333:endpoint/${endpointName}`],
  detail: { EndpointName: endpointName, EndpointStatus: status },
});
const executionEnd = (status: string, stateMachineArn = synthesizedWorkflow().stateMachineArn) => {
  const e = sample('stepfunctions_execution_failed');
  return { ...e, detail: { ...e.detail, status, stateMachineArn } };
};

describe('synthesized EventBridge rules vs the AWS documentation samples', () => {
  test('approval rule: the sample model package event matches when Approved or Rejected in a configured group', () => {
    expect(matchesPattern(approval('Approved'), rule('ApprovalRule'))).toBe(true);
    expect(matchesPattern(approval('Rejected'), rule('ApprovalRule'))).toBe(true);
    expect(matching(approval('Approved')).every((id) => id.includes('ApprovalRule'))).toBe(true);
  });

  test('approval rule: PendingManualApproval, another group, another source or detail-type do not match', () => {
    expect(matchesPattern(approval('PendingManualApproval'), rule('ApprovalRule'))).toBe(false);
    expect(matchesPattern(approval('Approved', 'fraud-models'), rule('ApprovalRule'))).toBe(false);
    expect(matchesPattern({ ...approval('Approved'), source: 'aws.states' }, rule('ApprovalRule'))).toBe(false);
    expect(matchesPattern({ ...approval('Approved'), 'detail-type': 'SageMaker Model State Change' }, rule('ApprovalRule'))).toBe(false);
  });

  test('alarm rule: the sample alarm event matches going to ALARM only', () => {
    expect(matching(alarm('ALARM'))).toEqual([expect.stringMatching(/AlarmRule/)]);
    expect(matching(alarm('OK'))).toEqual([]);
    expect(matching(alarm('INSUFFICIENT_DATA'))).toEqual([]);
  });

  test('endpoint rule: settled state changes of the managed endpoints, their validation endpoints and the prefix match; moving ones and others do not', () => {
    for (const name of ['churn-prediction', 'churn-prediction-v2-abc123-val', 'demo-churn']) {
      for (const status of ['IN_SERVICE', 'FAILED', 'UPDATE_ROLLBACK_FAILED']) expect(matching(endpointChange(name, status))).toEqual([expect.stringMatching(/EndpointRule/)]);
    }
    for (const status of ['CREATING', 'UPDATING', 'SYSTEM_UPDATING', 'ROLLING_BACK']) expect(matching(endpointChange('churn-prediction', status))).toEqual([]);
    expect(matching(endpointChange('fraud-scoring', 'IN_SERVICE'))).toEqual([]);
  });

  test("the bake's backstop is a schedule, not an event pattern", () => {
    expect(Object.values(rules).filter((r) => r.schedule !== undefined)).toEqual([expect.objectContaining({ schedule: 'rate(5 minutes)' })]);
  });

  test('recovery rule: the sample status event matches every end (SUCCEEDED too: a queued approval starts) of this state machine only', () => {
    for (const status of ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']) expect(matching(executionEnd(status))).toEqual([expect.stringMatching(/RecoveryRule/)]);
    expect(matching(executionEnd('RUNNING'))).toEqual([]);
    expect(matching(executionEnd('PENDING_REDRIVE'))).toEqual([]);
    expect(matching(executionEnd('FAILED', 'arn:aws:states:us-east-1:111122223333:stateMachine:someone-elses'))).toEqual([]);
  });
});

describe('duplicate approval events on the local AWS', () => {
  let aws: LocalAws;
  beforeAll(async () => {
    aws = await startLocalAws();
  }, 60_000);
  afterAll(async () => aws?.close());

  test('GIVEN SageMaker delivers the same approval event twice THEN one promotion starts and the duplicate is reported', async () => {
    const seed = new Seed();
    await seed.group('churn-models');
    const v1 = await seed.register('churn-models');
    const event = { ...approval('Approved'), id: 'a1b2', detail: { ...approval('Approved').detail, ModelPackageArn: v1, ModelPackageVersion: 1, LastModifiedTime: '2026-11-22T01:00:00Z' } };

    const [first] = await aws.putEvent(event);
    const [second] = await aws.putEvent(event);

    expect(first?.result).toMatchObject({ action: 'started' });
    expect(second?.result).toMatchObject({ action: 'duplicate', executions: [{ status: 'duplicate' }] });
    const started = aws.stepFunctions.list().filter((e) => e.name.startsWith('churn-prediction-v1-approved-'));
    expect(started).toHaveLength(1);
    await aws.stepFunctions.waitFor(started[0]!.arn);
    // Step Functions itself refuses the name again once the execution has closed (API reference: ExecutionAlreadyExists).
    await expect(new SFNClient({}).send(new StartExecutionCommand({ stateMachineArn: aws.stateMachineArn, name: started[0]!.name, input: started[0]!.input }))).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
  }, 30_000);
});
