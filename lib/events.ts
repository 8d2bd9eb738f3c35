import { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { consoleLinkTemplates, EVENT_SOURCE, type LifecycleDetailType } from '../lambdas/shared/lifecycle';

/**
 * Lifecycle events, published by the state machine itself (the optimized EventBridge PutEvents
 * integration, no Lambda): https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html
 * Step Functions appends the execution and state machine ARNs to each entry's `resources`, and a
 * non-zero FailedEntryCount fails the task with `EventBridge.FailedEntry`. The schema of every
 * detail-type is schema/events.schema.json.
 *
 * Every path a detail reads must exist on every way into its state: in JSONPath a missing path
 * is `States.Runtime`, which no Catch catches and which fails the execution. So a detail reads
 * only what is always there at that point ($.promotion after InputValid, a step's own result
 * after that step, $.outcome after a Record* step).
 */

/** The promotion's fields every event carries ($.promotion exists from InputValid on, recovery included). */
export function commonDetail(region: string): Record<string, unknown> {
  return {
    'endpointName.$': '$.promotion.endpointName',
    'promotionId.$': '$.promotion.id',
    'executionArn.$': '$.promotion.executionArn',
    'strategy.$': '$.promotion.strategy',
    'requestedBy.$': '$.promotion.requestedBy',
    green: {
      'modelPackageArn.$': '$.promotion.modelPackageArn',
      'modelPackageGroup.$': '$.promotion.modelPackageGroup',
      'version.$': '$.promotion.modelPackageVersion',
    },
    links: consoleLinks(region),
    timings: {
      'startedAt.$': '$.promotion.startedAt',
      // The time this state was entered: the event's own time.
      'at.$': '$$.State.EnteredTime',
    },
  };
}

/** Console pages of the execution and the endpoint (lambdas/shared/lifecycle.ts). Intrinsic string literals escape `{ } ' \` only. */
export function consoleLinks(region: string): Record<string, string> {
  const links = consoleLinkTemplates(region);
  return {
    'execution.$': `States.Format('${links.execution}', $.promotion.executionArn)`,
    'endpoint.$': `States.Format('${links.endpoint}', $.promotion.endpointName)`,
  };
}

/** What a terminal event adds to the common detail: everything record-outcome returned ($.outcome). */
export function outcomeDetail(region: string): Record<string, unknown> {
  const common = commonDetail(region);
  return {
    ...common,
    'outcome.$': '$.outcome.outcome',
    'reason.$': '$.outcome.reason',
    'error.$': '$.outcome.error',
    'blue.$': '$.outcome.blue',
    'evidence.$': '$.outcome.evidence',
    timings: {
      ...(common.timings as Record<string, unknown>),
      'finishedAt.$': '$.outcome.finishedAt',
      'durationSeconds.$': '$.outcome.durationSeconds',
    },
  };
}

/**
 * A PutEvents state publishing one lifecycle event, then on to `next`. The state document passes
 * through untouched (ResultPath null, on success and on the Catch alike), and a failure to publish
 * never fails or rolls back a promotion: the error is caught and the workflow goes on.
 * `eventBus`: default, the account's default bus (the task's IAM is then scoped to that bus's ARN).
 */
export function putLifecycleEvent(
  scope: Construct,
  stateName: string,
  detailType: LifecycleDetailType,
  detail: Record<string, unknown>,
  next: sfn.IChainable,
  eventBus?: events.IEventBus,
): tasks.EventBridgePutEvents {
  const put = tasks.EventBridgePutEvents.jsonPath(scope, stateName, {
    stateName,
    entries: [{ source: EVENT_SOURCE, detailType, detail: sfn.TaskInput.fromObject(detail), eventBus }],
    resultPath: sfn.JsonPath.DISCARD,
  });
  // Throttling or an EventBridge hiccup: a few quick tries, then give up on this event, never on the promotion.
  put.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(1), maxAttempts: 2, backoffRate: 2 });
  put.addCatch(next, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
  put.next(next);
  return put;
}
