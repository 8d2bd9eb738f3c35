import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as awaitEndpoint } from '../../lambdas/await-endpoint';
import { handler as awaitGuardrails } from '../../lambdas/await-guardrails';
import { handler as checkGuardrails } from '../../lambdas/check-guardrails';
import { handler as cleanup } from '../../lambdas/cleanup';
import { handler as createGreen } from '../../lambdas/create-green';
import { handler as describeBlue } from '../../lambdas/describe-blue';
import { handler as finalize } from '../../lambdas/finalize';
import { handler as recordOutcome } from '../../lambdas/record-outcome';
import { handler as rollback } from '../../lambdas/rollback';
import type { PromotionState } from '../../lambdas/shared/contracts';
import type { RecoverableState } from '../../lambdas/shared/recovery';
import { handler as shiftTraffic } from '../../lambdas/shift-traffic';
import { handler as standUpGreen } from '../../lambdas/stand-up-green';
import { handler as startBake } from '../../lambdas/start-bake';
import { handler as validateGreen } from '../../lambdas/validate-green';
import { handler as waitForEndpoint } from '../../lambdas/wait-for-endpoint';
import { conditionalCheckFailed, lockHeldBy, PROMOTION_ID, setStepEnvironment, stateAt } from '../support/fixtures';

/**
 * The guard every step after AcquireLock runs first (lambdas/shared/abort.ts, and the lock's
 * conditional writes of lambdas/shared/locks.ts updateOwnLock): an execution that no longer speaks
 * for its promotion — redriven after a recovery, or a recovery another one replaced — fails
 * PromotionEnded before it calls anything but the lock itself.
 */
const others = [
  mockClient(SageMakerClient),
  mockClient(SageMakerRuntimeClient),
  mockClient(CloudWatchClient),
  mockClient(ApplicationAutoScalingClient),
  mockClient(S3Client),
  mockClient(SFNClient),
];
const dynamo = mockClient(DynamoDBDocumentClient);

const RECOVERY = 'arn:aws:states:us-east-1:111122223333:execution:bluegreen-promotion:promotion-1-recover';
const baking = stateAt('baking');
const finalized: PromotionState = { ...stateAt('finalized'), bake: { ...baking.bake!, done: true } };

type Step = (event: never) => Promise<unknown>;
const STEPS: Array<[string, Step, (s: RecoverableState) => unknown]> = [
  ['DescribeBlue', describeBlue as Step, (s) => s],
  ['CreateGreen', createGreen as Step, (s) => s],
  ['StandUpGreen', standUpGreen as Step, (s) => s],
  ['CheckGreenInService', waitForEndpoint as Step, (s) => ({ phase: 'standUp', state: s })],
  ['WaitForGreenInService', awaitEndpoint as Step, (s) => ({ token: 't', phase: 'standUp', state: s })],
  ['ValidateGreen', validateGreen as Step, (s) => s],
  ['ArmGuardrails', startBake as Step, (s) => s],
  ['ShiftTraffic', shiftTraffic as Step, (s) => s],
  ['Bake', awaitGuardrails as Step, (s) => ({ token: 't', state: s })],
  ['CheckGuardrails', checkGuardrails as Step, (s) => s],
  ['Finalize', finalize as Step, (s) => s],
  ['RevalidateGreen', validateGreen as Step, (s) => ({ target: 'serving', state: s })],
  ['CleanupBlue', cleanup as Step, (s) => ({ target: 'blue', state: s })],
  ['RecordPromotion', recordOutcome as Step, (s) => s],
  ['RollBack', rollback as Step, (s) => s],
  ['CleanupGreen', cleanup as Step, (s) => ({ target: 'green', state: s })],
  ['RecordRollback', recordOutcome as Step, (s) => ({ ...s, failure: { Error: 'ExecutionEnded', Cause: 'stopped' } })],
];

beforeEach(() => {
  for (const m of [...others, dynamo]) m.reset();
  setStepEnvironment();
  // A conditional write to a lock that is not this execution's fails, as DynamoDB's does.
  dynamo.on(UpdateCommand).rejects(conditionalCheckFailed());
});

/** Nothing but the lock was called: no SageMaker, CloudWatch, Auto Scaling, S3 or Step Functions call, no other write. */
function expectOnlyTheLock(): void {
  for (const m of others) expect(m.calls()).toEqual([]);
  expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
  for (const call of dynamo.commandCalls(UpdateCommand)) expect(call.args[0].input.ConditionExpression).toMatch(/promotionId = :me AND attribute_not_exists\(recoveredBy\)/);
}

describe.each([
  ['the lock is released: a recovery recorded the outcome (a redrive of the stopped execution)', {}],
  ['a recovery finishes the promotion (a redrive while it runs)', lockHeldBy(PROMOTION_ID, { recoveredBy: RECOVERY })],
  ['another promotion holds the lock', lockHeldBy('promotion-2')],
])('GIVEN %s', (_situation, lock) => {
  test.each(STEPS)('WHEN the promotion\'s own %s runs THEN PromotionEnded, and only the lock was touched', async (_state, step, event) => {
    dynamo.on(GetCommand).resolves(lock);
    await expect(step(event(finalized) as never)).rejects.toMatchObject({ name: 'PromotionEnded' });
    expectOnlyTheLock();
  });
});

describe('GIVEN a later recovery took over from this recovery execution', () => {
  const inOldRecovery: RecoverableState = { ...finalized, recover: 'rollback', recovery: { executionArn: RECOVERY, ended: 'x', decision: 'y' }, failure: { Error: 'ExecutionEnded', Cause: 'x' } };
  test.each(STEPS.filter(([state]) => ['RollBack', 'CleanupGreen', 'RecordRollback', 'RecordPromotion'].includes(state)))(
    'WHEN its %s runs THEN PromotionEnded, and only the lock was touched',
    async (_state, step, event) => {
      dynamo.on(GetCommand).resolves(lockHeldBy(PROMOTION_ID, { recoveredBy: `${RECOVERY}2` }));
      await expect(step(event(inOldRecovery) as never)).rejects.toMatchObject({ name: 'PromotionEnded', message: expect.stringMatching(/recover2, not by .*-recover;/) });
      expectOnlyTheLock();
    },
  );
});
