import { Duration, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { STATE_KEYS, type PromotionState, type WaitPhase } from '../lambdas/shared/contracts';
import { APPROVAL_REJECTED } from '../lambdas/shared/approval';
import { RETRYABLE_ERRORS } from '../lambdas/shared/errors';
import type { AbortError } from '../lambdas/shared/locks';
import { DETAIL_TYPES } from '../lambdas/shared/lifecycle';
import { commonDetail, outcomeDetail, putLifecycleEvent } from './events';
import type { StepName } from './functions';

export interface PromotionDefinitionProps {
  readonly functions: Record<StepName, lambda.IFunction>;
  /** Time between two polls of the rollback loop (InService waits and the bake time their own waits, see lambdas/shared/waits.ts). */
  readonly pollInterval: Duration;
  /** Where the lifecycle events go (lib/events.ts). @default - the account's default event bus */
  readonly eventBus?: events.IEventBus;
}

const path = (key: keyof PromotionState) => `$.${STATE_KEYS[key]}`;
/** Errors an abort fails a parked task token with (lambdas/shared/locks.ts requestAbort) that go straight to the rollback. */
const ABORT_ERRORS = ['GuardrailAlarm', 'PromotionAborted', 'UnexpectedEndpointState'] satisfies AbortError[];
/** Someone else changed the endpoint (lambdas/shared/outside.ts): an abort too, but into the `interrupted` path, never the rollback. */
const OUTSIDE_CHANGE = 'OutsideChange' satisfies AbortError;
/** This execution no longer speaks for its promotion (recorded and released, or finished by a recovery): do nothing. */
const PROMOTION_ENDED = 'PromotionEnded';

/**
 * The promotion workflow, JSONPath only (what aws-local-stepfunctions runs locally too):
 * validate → lock → describe blue → create green → stand green up where no user reaches it
 * (variant: a zero-weight variant; guardrails: a validation endpoint) → wait → validate green →
 * arm the guardrail alarms → shift (variant: weights; guardrails: SageMaker's blue/green
 * deployment, watched to its end) → bake (one callback wait) → finalize →
 * validate the serving fleet again → clean blue → record. The strategy lives in the handlers.
 * Every step after the lock catches into the rollback loop, which converges to blue and
 * ends in Fail `PromotionRolledBack` (or `PromotionFailed` when blue was never touched).
 * Someone else's change to the endpoint (OutsideChange, seen by any step that looks at it, the
 * rollback included) ends in Fail `PromotionInterrupted` instead, without touching the endpoint
 * again. Every task after the lock catches `PromotionEnded` first: a redriven or stale execution
 * whose promotion is already recorded and released ends in Fail `PromotionEnded`, doing nothing.
 */
export class PromotionDefinition extends Construct {
  public readonly startState: sfn.IChainable;

  constructor(scope: Construct, id: string, props: PromotionDefinitionProps) {
    super(scope, id);
    const { functions, pollInterval } = props;
    // Lifecycle events (lib/events.ts): a PutEvents state on the way to `next`, never failing the promotion.
    const region = Stack.of(this).region;
    const publish = (stateName: string, detailType: (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES], detail: Record<string, unknown>, next: sfn.IChainable) =>
      putLifecycleEvent(this, stateName, detailType, detail, next, props.eventBus);

    const task = (stateName: string, step: StepName, resultKey: keyof PromotionState | null, payload?: Record<string, unknown>) => {
      const t = new tasks.LambdaInvoke(this, stateName, {
        stateName,
        lambdaFunction: functions[step],
        payloadResponseOnly: true,
        // No payload means the whole state document (fromJsonPathAt('$') renders an invalid `Parameters: "$"`).
        payload: payload ? sfn.TaskInput.fromObject(payload) : undefined,
        // null: the result replaces the input. Left implicit rather than `ResultPath: "$"`, which
        // aws-local-stepfunctions 3.0 stores under a key named "$" instead of replacing.
        resultPath: resultKey === null ? undefined : path(resultKey),
        retryOnServiceExceptions: true,
      });
      t.addRetry({
        errors: [...RETRYABLE_ERRORS],
        interval: Duration.seconds(2),
        maxAttempts: 6,
        backoffRate: 2,
        maxDelay: Duration.seconds(60),
        jitterStrategy: sfn.JitterType.FULL,
      });
      return t;
    };
    const withState = (extra: Record<string, unknown>) => ({ ...extra, 'state.$': '$' });

    // --- ends that never act on the endpoint (built first: every later step catches into them)
    // Catches into PromotionEnded replace the state with the error (ResultPath "$"): nothing else runs.
    const promotionEnded = new sfn.Fail(this, 'PromotionEnded', { stateName: 'PromotionEnded', error: PROMOTION_ENDED, causePath: '$.Cause' });
    /** Every task after AcquireLock: PromotionEnded first, before any other Catch. */
    const afterLock = <T extends tasks.LambdaInvoke>(t: T): T => {
      t.addCatch(promotionEnded, { errors: [PROMOTION_ENDED] });
      return t;
    };
    // Someone else changed the endpoint: only the promotion's own resources that nothing uses go
    // (validation endpoint, green's/pair/validation configs and model, its alarms: cleanup's green
    // side keeps and records what is in use), the outcome is recorded, and the execution ends.
    const recordInterrupted = afterLock(task('RecordInterrupted', 'record-outcome', 'outcome'));
    recordInterrupted.next(
      publish('PublishInterrupted', DETAIL_TYPES.interrupted, outcomeDetail(region), new sfn.Fail(this, 'PromotionInterrupted', { stateName: 'PromotionInterrupted', error: 'PromotionInterrupted', causePath: '$.outcome.reason' })),
    );
    const cleanupInterrupted = afterLock(task('CleanupInterrupted', 'cleanup', 'cleanup', withState({ target: 'green' })));
    cleanupInterrupted.addCatch(recordInterrupted, { resultPath: path('cleanupFailure') });
    cleanupInterrupted.next(recordInterrupted);
    /** A task after AcquireLock that looks at the endpoint: PromotionEnded, then OutsideChange into the interrupted path. */
    const watching = <T extends tasks.LambdaInvoke>(t: T): T => {
      afterLock(t).addCatch(cleanupInterrupted, { errors: [OUTSIDE_CHANGE], resultPath: path('interruption') });
      return t;
    };

    // --- rollback path (built next: every later step catches into it)
    const rollback = watching(task('RollBack', 'rollback', 'rollback'));
    const recordRollback = afterLock(task('RecordRollback', 'record-outcome', 'outcome'));
    const cleanupGreen = afterLock(task('CleanupGreen', 'cleanup', 'cleanup', withState({ target: 'green' })));
    cleanupGreen.addCatch(recordRollback, { resultPath: path('cleanupFailure') });
    // Even a rollback that gave up cleans what nothing uses and records the rest (cleanup keeps in-use resources).
    rollback.addCatch(cleanupGreen, { resultPath: path('rollbackFailure') });
    rollback.next(
      new sfn.Choice(this, 'RolledBack?', { stateName: 'RolledBack?' })
        .when(sfn.Condition.booleanEquals('$.rollback.done', true), cleanupGreen.next(recordRollback))
        .otherwise(new sfn.Wait(this, 'WaitForRollback', { stateName: 'WaitForRollback', time: sfn.WaitTime.duration(pollInterval) }).next(rollback)),
    );
    recordRollback.next(
      new sfn.Choice(this, 'RolledBackOrFailed?', { stateName: 'RolledBackOrFailed?' })
        .when(
          sfn.Condition.stringEquals('$.outcome.error', 'PromotionRolledBack'),
          publish('PublishRolledBack', DETAIL_TYPES.rolledBack, outcomeDetail(region), new sfn.Fail(this, 'PromotionRolledBack', { stateName: 'PromotionRolledBack', error: 'PromotionRolledBack', causePath: '$.outcome.reason' })),
        )
        .otherwise(publish('PublishFailed', DETAIL_TYPES.failed, outcomeDetail(region), new sfn.Fail(this, 'PromotionFailed', { stateName: 'PromotionFailed', errorPath: '$.outcome.error', causePath: '$.outcome.reason' }))),
    );
    const onFailure = <T extends tasks.LambdaInvoke>(t: T): T => {
      watching(t).addCatch(rollback, { resultPath: path('failure') });
      return t;
    };

    /**
     * A callback task whose token is parked on the lock: something outside the execution ends it
     * early (an event's SendTaskSuccess, an abort's SendTaskFailure), else its own timeout (a path
     * into the state, so each wait has its own length). How it ended goes to `$.wake`.
     */
    const parkedWait = (stateName: string, step: StepName, payload: Record<string, unknown>, timeoutPath: string, then: sfn.State) => {
      const t = new tasks.LambdaInvoke(this, stateName, {
        stateName,
        lambdaFunction: functions[step],
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: sfn.TaskInput.fromObject({ token: sfn.JsonPath.taskToken, ...payload, 'state.$': '$' }),
        taskTimeout: sfn.Timeout.at(timeoutPath),
        resultPath: path('wake'),
      });
      t.addRetry({ errors: [...RETRYABLE_ERRORS], interval: Duration.seconds(2), maxAttempts: 6, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
      watching(t).addCatch(then, { errors: ['States.Timeout'], resultPath: path('wake') });
      t.addCatch(rollback, { errors: ABORT_ERRORS, resultPath: path('failure') });
      // The parking step failed: check now rather than wait unwatched (an early wake never counts as time waited).
      t.addCatch(then, { errors: ['States.ALL'], resultPath: path('wake') });
      t.next(then);
      return t;
    };

    /**
     * Check until the endpoint runs what `phase` expects (InService, right config, right weights) or
     * fail into rollback. Between two checks, WaitFor<X> waits for SageMaker's endpoint state-change
     * event (lambdas/on-endpoint-change wakes it), with a backstop poll as its timeout.
     */
    const waitFor = (phase: WaitPhase, label: string, next: sfn.IChainable) => {
      const check = onFailure(task(`Check${label}`, 'wait-for-endpoint', 'wait', withState({ phase })));
      const wait = parkedWait(`WaitFor${label}`, 'await-endpoint', { phase }, '$.wait.waitSeconds', check);
      return check.next(
        new sfn.Choice(this, `${label}?`, { stateName: `${label}?` })
          .when(sfn.Condition.booleanEquals('$.wait.ready', true), next)
          .otherwise(wait),
      );
    };

    // --- happy path
    // Catches into Rejected replace the state with the error (ResultPath "$"), which works for any input,
    // an array or a string included; nothing of the rejected input is kept.
    const rejected = new sfn.Fail(this, 'Rejected', { stateName: 'Rejected', errorPath: '$.Error', causePath: '$.Cause' });
    const validateInput = task('ValidateInput', 'validate-input', null, {
      'input.$': '$',
      'executionName.$': '$$.Execution.Name',
      'executionArn.$': '$$.Execution.Id',
      'startTime.$': '$$.Execution.StartTime',
    });
    validateInput.addCatch(rejected);
    // The raw input is replaced by the validated promotion: nothing downstream reads unchecked fields.
    const keepPromotion = new sfn.Pass(this, 'InputValid', { stateName: 'InputValid', parameters: { 'promotion.$': '$' } });

    const acquireLock = task('AcquireLock', 'acquire-lock', 'lock');
    acquireLock.addCatch(rejected);

    const recordPromotion = afterLock(task('RecordPromotion', 'record-outcome', 'outcome'));
    recordPromotion.next(publish('PublishSucceeded', DETAIL_TYPES.succeeded, outcomeDetail(region), new sfn.Succeed(this, 'Promoted', { stateName: 'Promoted' })));
    // Blue's resources go only while the endpoint runs what the promotion left (cleanup checks, OutsideChange otherwise).
    const cleanupBlue = watching(task('CleanupBlue', 'cleanup', 'cleanup', withState({ target: 'blue' })));
    cleanupBlue.addCatch(recordPromotion, { resultPath: path('cleanupFailure') });
    cleanupBlue.next(recordPromotion);

    // The samples again, on the fleet that serves now (variant: finalize's new fleet; guardrails:
    // the fleet SageMaker's deployment left), before blue's resources go.
    const revalidate = onFailure(task('RevalidateGreen', 'validate-green', 'revalidation', withState({ target: 'serving' })));
    revalidate.next(cleanupBlue);
    const finalize = onFailure(task('Finalize', 'finalize', 'finalize'));
    finalize.next(waitFor('finalize', 'GreenAlone', revalidate));

    const checkGuardrails = onFailure(task('CheckGuardrails', 'check-guardrails', 'bake'));
    // The bake is one wait on a task token, its timeout the rest of the bake: the alarm trigger, an
    // abort or the backstop (lambdas/on-backstop, outside the execution) fails the task and the
    // rollback starts at once; the timeout leads to a last check of the alarms and the endpoint.
    const awaitGuardrails = parkedWait('Bake', 'await-guardrails', {}, '$.bake.waitSeconds', checkGuardrails);
    const bakeDone = new sfn.Choice(this, 'BakeDone?', { stateName: 'BakeDone?' })
      .when(sfn.Condition.booleanEquals('$.bake.done', true), finalize)
      .otherwise(awaitGuardrails);
    checkGuardrails.next(bakeDone);

    const shift = onFailure(task('ShiftTraffic', 'shift-traffic', 'shift'));
    const shifted = { ...commonDetail(region), 'shift.$': '$.shift' };
    shift.next(waitFor('shift', 'TrafficOnGreen', publish('PublishTrafficShifted', DETAIL_TYPES.shifted, shifted, bakeDone)));
    // Guardrail alarms exist and are watched before green can get any user traffic.
    const armGuardrails = onFailure(task('ArmGuardrails', 'start-bake', 'bake'));
    armGuardrails.next(shift);

    // The manual approval gate (lambdas/approval-gate; only when promotion.approval is set): green is
    // validated and no user traffic is on it yet. One callback wait whose timeout is the gate's (the
    // function publishes Approval Needed once it has parked the token: no PutEvents state, which
    // could only run before the wait, when nobody can answer yet):
    // `bluegreen approve` completes it, `bluegreen reject` (ApprovalRejected) or an abort fails it into
    // the rollback; at its timeout CheckApproval applies onTimeout (promote, or ApprovalTimedOut → rollback).
    const checkApproval = onFailure(task('CheckApproval', 'approval-gate', 'approval', withState({ action: 'decide' })));
    checkApproval.next(armGuardrails);
    const awaitApproval = new tasks.LambdaInvoke(this, 'AwaitApproval', {
      stateName: 'AwaitApproval',
      lambdaFunction: functions['approval-gate'],
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({ action: 'park', token: sfn.JsonPath.taskToken, 'state.$': '$' }),
      taskTimeout: sfn.Timeout.at('$.promotion.approval.timeoutSeconds'),
      resultPath: path('approval'),
    });
    awaitApproval.addRetry({ errors: [...RETRYABLE_ERRORS], interval: Duration.seconds(2), maxAttempts: 6, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
    watching(awaitApproval).addCatch(checkApproval, { errors: ['States.Timeout'], resultPath: path('approval') });
    awaitApproval.addCatch(rollback, { errors: [APPROVAL_REJECTED, ...ABORT_ERRORS], resultPath: path('failure') });
    // The parking step failed after its retries: nobody could answer, so back to blue rather than promote unseen.
    awaitApproval.addCatch(rollback, { errors: ['States.ALL'], resultPath: path('failure') });
    awaitApproval.next(checkApproval);
    const approvalRequired = new sfn.Choice(this, 'ApprovalRequired?', { stateName: 'ApprovalRequired?' })
      .when(sfn.Condition.isPresent('$.promotion.approval'), awaitApproval)
      .otherwise(armGuardrails);

    const validateGreen = onFailure(task('ValidateGreen', 'validate-green', 'validation'));
    const validated = { ...commonDetail(region), validation: { 'samples.$': '$.validation.samples' }, blue: { 'exists.$': '$.blue.exists' } };
    validateGreen.next(
      publish('PublishGreenValidated', DETAIL_TYPES.validated, validated,
        new sfn.Choice(this, 'FirstDeployment?', { stateName: 'FirstDeployment?' })
          .when(sfn.Condition.booleanEquals('$.blue.exists', false), recordPromotion)
          .otherwise(approvalRequired),
      ),
    );

    const standUp = onFailure(task('StandUpGreen', 'stand-up-green', 'standUp'));
    standUp.next(waitFor('standUp', 'GreenInService', validateGreen));

    // A recovery execution (started by on-execution-end for a promotion that ended holding its
    // lock) carries only { recoverExecutionArn }: rebuild that promotion's state, then roll back
    // (or only record, when green serves alone after the bake). Recover also gets its own ARN: it
    // marks the lock with it, and from then on only this execution's steps act for the promotion.
    const recover = task('Recover', 'recover', null, { 'input.$': '$', 'executionArn.$': '$$.Execution.Id' });
    // The recovery is the last line of defence: retry anything but a verdict (a crashed runtime included).
    recover.addRetry({ errors: ['NothingToRecover', 'InvalidPromotionInput'], maxAttempts: 0 });
    recover.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
    recover.addCatch(new sfn.Fail(this, 'NothingToRecover', { stateName: 'NothingToRecover', error: 'NothingToRecover', causePath: '$.Cause' }), { errors: ['NothingToRecover'] });
    recover.addCatch(rejected);
    recover.next(
      new sfn.Choice(this, 'RecoverHow?', { stateName: 'RecoverHow?' })
        .when(sfn.Condition.stringEquals('$.recover', 'record'), recordPromotion)
        .when(sfn.Condition.stringEquals('$.recover', 'interrupt'), cleanupInterrupted)
        .otherwise(rollback),
    );
    const recovery = new sfn.Choice(this, 'Recovery?', { stateName: 'Recovery?' })
      .when(sfn.Condition.isPresent('$.recoverExecutionArn'), recover)
      .otherwise(validateInput);

    validateInput
      .next(keepPromotion)
      .next(acquireLock);
    const describeBlue = onFailure(task('DescribeBlue', 'describe-blue', 'blue'));
    acquireLock.next(publish('PublishStarted', DETAIL_TYPES.started, { ...commonDetail(region), 'bakeSeconds.$': '$.promotion.bakeSeconds' }, describeBlue));
    describeBlue
      .next(onFailure(task('CreateGreen', 'create-green', 'green')))
      .next(standUp);
    this.startState = recovery;
  }
}
