import {
  approvalCommands,
  approvalNeededDetail,
  approvalRecord,
  approvalTimedOutReason,
  approvalWaitOf,
  describeApproval,
  judgeApproval,
  rejectionCause,
  resolveApproval,
  type ApprovalGate,
} from '../../lambdas/shared/approval';
import { describeIssues, promotionInputSchema } from '../../lambdas/shared/input';
import { executionResources } from '../../lambdas/shared/lifecycle';
import { stateAt } from '../support/fixtures';
import { executionFitProblems } from '../../lambdas/shared/limits';
import { DEFAULT_EXECUTION_TIMEOUT_SECONDS, executionSecondsBound, historyEventsBound, MAX_BAKE_SECONDS, type ExecutionPlan } from '../../lambdas/shared/waits';

const ARN = 'arn:aws:sagemaker:us-east-1:111122223333:model-package/churn-models/2';
const problemsOf = (approval: unknown) => {
  const parsed = promotionInputSchema.safeParse({ endpointName: 'churn-prediction', modelPackageArn: ARN, approval });
  return parsed.success ? '' : describeIssues(parsed.error);
};

describe('resolveApproval', () => {
  test('GIVEN no gate anywhere THEN none', () => {
    expect(resolveApproval(undefined, undefined)).toBeUndefined();
  });
  test('GIVEN an approval object in the input THEN a gate with the defaults (an hour, then rollback)', () => {
    expect(resolveApproval(undefined, {})).toEqual({ timeoutSeconds: 3600, onTimeout: 'rollback' });
  });
  test('GIVEN a stack default that requires approval THEN every input without its own gets it, field by field under the input', () => {
    const stack = { required: true, timeoutSeconds: 7200, onTimeout: 'promote' as const };
    expect(resolveApproval(stack, undefined)).toEqual({ timeoutSeconds: 7200, onTimeout: 'promote' });
    expect(resolveApproval(stack, { onTimeout: 'rollback' })).toEqual({ timeoutSeconds: 7200, onTimeout: 'rollback' });
  });
  test('GIVEN required false in the input THEN no gate, whatever the stack says', () => {
    expect(resolveApproval({ required: true }, { required: false })).toBeUndefined();
  });
  test('GIVEN a stack default that does not require approval THEN only inputs that ask get a gate, with the stack timeout', () => {
    expect(resolveApproval({ required: false, timeoutSeconds: 600 }, undefined)).toBeUndefined();
    expect(resolveApproval({ required: false, timeoutSeconds: 600 }, {})).toEqual({ timeoutSeconds: 600, onTimeout: 'rollback' });
  });
});

describe('judgeApproval', () => {
  const gate = (onTimeout: ApprovalGate['onTimeout']): ApprovalGate => ({ timeoutSeconds: 900, onTimeout });
  test('GIVEN an approval THEN go on, recording who, when and why', () => {
    const verdict = judgeApproval(gate('rollback'), { decision: 'approved', by: 'alice', at: '2026-12-01T10:00:00.000Z', reason: 'eval ok' }, '2026-12-01T10:00:01.000Z');
    expect(verdict).toEqual({ kind: 'continue', result: { decision: 'approved', by: 'alice', at: '2026-12-01T10:00:00.000Z', reason: 'eval ok' } });
  });
  test('GIVEN the wait timed out and onTimeout rollback THEN roll back with "approval timed out"', () => {
    expect(judgeApproval(gate('rollback'), { Error: 'States.Timeout' }, 'now')).toEqual({ kind: 'rollback', reason: approvalTimedOutReason(gate('rollback')) });
    expect(approvalTimedOutReason(gate('rollback'))).toMatch(/^approval timed out: nobody approved or rejected within 900 s/);
  });
  test('GIVEN the wait timed out and onTimeout promote THEN go on, recorded as timed out', () => {
    expect(judgeApproval(gate('promote'), { Error: 'States.Timeout' }, 'now')).toEqual({ kind: 'continue', result: { decision: 'timed-out', at: 'now', onTimeout: 'promote' } });
  });
  test('GIVEN anything else THEN unexpected (never an approval by default)', () => {
    expect(judgeApproval(gate('promote'), { Error: 'States.TaskFailed' }, 'now').kind).toBe('unexpected');
    expect(judgeApproval(gate('promote'), undefined, 'now').kind).toBe('unexpected');
  });
});

describe('approvalRecord (the history row)', () => {
  const causes = (c: { Cause?: string }) => c.Cause ?? '';
  test('GIVEN a rejection THEN who, when and the reason come back out of its cause, a reason with colons included', () => {
    const cause = rejectionCause('Jane Doe', '2026-12-01T10:00:00.000Z', 'p99: 40% worse at 10:00');
    expect(approvalRecord({ failure: { Error: 'ApprovalRejected', Cause: cause } }, causes)).toEqual({
      decision: 'rejected',
      by: 'Jane Doe',
      at: '2026-12-01T10:00:00.000Z',
      reason: 'p99: 40% worse at 10:00',
    });
  });
  test('GIVEN a timeout that rolled back THEN timed-out (rollback)', () => {
    expect(approvalRecord({ failure: { Error: 'ApprovalTimedOut', Cause: 'x' } }, causes)).toEqual({ decision: 'timed-out', onTimeout: 'rollback' });
  });
  test('GIVEN an approval and a later failure THEN the approval is still recorded', () => {
    const approved = { decision: 'approved' as const, by: 'alice', at: 't' };
    expect(approvalRecord({ approval: approved, failure: { Error: 'GuardrailAlarm' } }, causes)).toEqual(approved);
  });
  test('GIVEN no gate, or an abort while it waited THEN nothing', () => {
    expect(approvalRecord({}, causes)).toBeUndefined();
    expect(approvalRecord({ failure: { Error: 'PromotionAborted', Cause: 'operator' } }, causes)).toBeUndefined();
  });
  test('describeApproval says it in a few words', () => {
    expect(describeApproval({ decision: 'approved', by: 'alice' })).toBe('approved by alice');
    expect(describeApproval({ decision: 'rejected', by: 'bob', reason: 'too risky' })).toBe('rejected by bob: too risky');
    expect(describeApproval({ decision: 'timed-out', onTimeout: 'promote' })).toBe('approval timed out (promote)');
  });
});

test('approvalWaitOf: the deadline is the wait start plus the timeout', () => {
  expect(approvalWaitOf({ timeoutSeconds: 5400, onTimeout: 'rollback' }, new Date('2026-12-01T10:00:00.000Z'))).toEqual({
    requestedAt: '2026-12-01T10:00:00.000Z',
    deadline: '2026-12-01T11:30:00.000Z',
    timeoutSeconds: 5400,
    onTimeout: 'rollback',
  });
});

describe('the input schema names the field and the fix', () => {
  test.each([
    [{ timeoutSeconds: 30 }, /^approval\.timeoutSeconds: must be at least 60/],
    [{ timeoutSeconds: 90.5 }, /^approval\.timeoutSeconds: must be a whole number of seconds/],
    [{ timeoutSeconds: MAX_BAKE_SECONDS + 1 }, /^approval\.timeoutSeconds: at most 64800 s \(18 h\)/],
    [{ onTimeout: 'wait' }, /^approval\.onTimeout: use "rollback" .* or "promote"/],
    [{ required: 'yes' }, /^approval\.required: use true .* or false/],
    [{ timeout: 60 }, /^approval: Unrecognized key: "timeout"/],
  ])('%j is refused', (approval, message) => {
    expect(problemsOf(approval)).toMatch(message);
  });
  test('a whole gate is accepted', () => {
    expect(problemsOf({ required: true, timeoutSeconds: 1800, onTimeout: 'promote' })).toBe('');
  });
});

describe('the gate counts against the execution timeout with the bake', () => {
  const plan = (extra: Partial<ExecutionPlan> = {}): ExecutionPlan => ({
    strategy: 'variant',
    traffic: { type: 'ALL_AT_ONCE' },
    bakeSeconds: 1800,
    inServiceSeconds: 3600,
    pollSeconds: 30,
    eventDriven: true,
    ...extra,
  });
  test('GIVEN a gate THEN its timeout adds to the longest execution, and its two states to the history', () => {
    expect(executionSecondsBound(plan({ approvalSeconds: 7200 }))).toBe(executionSecondsBound(plan()) + 7200);
    expect(historyEventsBound(plan({ approvalSeconds: 7200 }))).toBeGreaterThan(historyEventsBound(plan()));
  });
  test('GIVEN the longest bake and any gate THEN refused, naming the bake, the gate and the deadline', () => {
    const problems = executionFitProblems(plan({ bakeSeconds: MAX_BAKE_SECONDS, approvalSeconds: 60 }), DEFAULT_EXECUTION_TIMEOUT_SECONDS);
    expect(problems).toEqual([
      { limit: 'time', message: expect.stringMatching(/^bakeSeconds, approval\.timeoutSeconds, deadlines\.inServiceSeconds: a bake of 64800 s and an approval wait of 60 s .*; shorten the bake, the approval timeout or the deadline$/) },
    ]);
  });
  test('GIVEN a gate that fits THEN no problem', () => {
    expect(executionFitProblems(plan({ approvalSeconds: 6 * 3600 }), DEFAULT_EXECUTION_TIMEOUT_SECONDS)).toEqual([]);
  });
});

describe('approvalNeededDetail (the Approval Needed event the gate publishes once its token is parked)', () => {
  const state = stateAt('stoodUp', { promotion: { approval: { timeoutSeconds: 900, onTimeout: 'promote' } } });
  const wait = approvalWaitOf({ timeoutSeconds: 900, onTimeout: 'promote' }, new Date('2026-12-01T10:00:00.000Z'));

  test('GIVEN the wait as parked THEN the detail carries its requestedAt and timeout, the samples, the commands and the console links of the region', () => {
    const detail = approvalNeededDetail(state, wait, 'eu-west-1');
    const p = state.promotion;
    expect(detail).toEqual({
      endpointName: p.endpointName,
      promotionId: p.id,
      executionArn: p.executionArn,
      strategy: p.strategy,
      requestedBy: p.requestedBy,
      green: { modelPackageArn: p.modelPackageArn, modelPackageGroup: p.modelPackageGroup, version: p.modelPackageVersion },
      links: {
        execution: `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${p.executionArn}`,
        endpoint: `https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/endpoints/${p.endpointName}`,
      },
      timings: { startedAt: p.startedAt, at: '2026-12-01T10:00:00.000Z' },
      approval: { timeoutSeconds: 900, onTimeout: 'promote', requestedAt: '2026-12-01T10:00:00.000Z' },
      validation: { samples: state.validation!.samples },
      commands: approvalCommands(p.endpointName),
    });
  });

  test('GIVEN no validation result THEN the samples are empty rather than missing (the schema requires them)', () => {
    const { validation: _none, ...unvalidated } = state;
    expect(approvalNeededDetail(unvalidated, wait, 'us-east-1').validation).toEqual({ samples: [] });
  });

  test('executionResources: the execution and its state machine, as Step Functions appends them to its own events', () => {
    expect(executionResources('arn:aws:states:us-east-1:111122223333:execution:Machine-1:promo-7')).toEqual([
      'arn:aws:states:us-east-1:111122223333:execution:Machine-1:promo-7',
      'arn:aws:states:us-east-1:111122223333:stateMachine:Machine-1',
    ]);
    expect(executionResources('not-an-arn')).toEqual(['not-an-arn']);
  });
});
