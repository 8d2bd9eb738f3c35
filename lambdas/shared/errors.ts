/**
 * Named errors. The state machine retries and catches by `name` (Lambda's errorType),
 * never by message. Anything not listed here is an unexpected bug and is caught as States.ALL.
 */
abstract class NamedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The execution input or a trigger event is malformed; nothing was created. Never retried. */
export class InvalidPromotionInput extends NamedError {}
/** Another promotion holds the endpoint's lock. */
export class PromotionInProgress extends NamedError {}
/** The endpoint, its config or its models cannot be promoted by this workflow (e.g. serverless, several variants). */
export class UnsupportedEndpoint extends NamedError {}
/** The model package is not Approved, or not from an allowed group. */
export class ModelPackageNotDeployable extends NamedError {}
/** The endpoint is not in a state that accepts an update (Creating, Updating, Failed, ...). */
export class EndpointNotReady extends NamedError {}
/** Green did not reach InService: SageMaker reported Failed, rolled the update back, or never finished. */
export class GreenNotInService extends NamedError {}
/** A wait ran past its deadline. */
export class DeadlineExceeded extends NamedError {}
/** The endpoint is InService but not on the config/weights we set: SageMaker rolled back silently. */
export class UnexpectedEndpointState extends NamedError {}
/** A validation request to green failed (status, latency or output). */
export class GreenValidationFailed extends NamedError {}
/** A guardrail alarm went to ALARM during the bake. */
export class GuardrailAlarm extends NamedError {}
/** Green got fewer requests during the bake (and its extensions) than the traffic guard's minInvocations. */
export class TooLittleTraffic extends NamedError {}
/** Nobody answered the approval gate in time and its onTimeout is `rollback` (lambdas/shared/approval.ts). */
export class ApprovalTimedOut extends NamedError {}
/** An operator asked for the promotion to be aborted. */
export class PromotionAborted extends NamedError {}
/** A recovery was asked for an execution that does not need one (running, or its lock already released). */
export class NothingToRecover extends NamedError {}
/** Rollback could not bring the endpoint back to blue before its deadline. */
export class RollbackFailed extends NamedError {}
/**
 * Someone else changed the endpoint during the promotion (lambdas/shared/outside.ts): the outside
 * decision wins, so the promotion stops acting on the endpoint (no finalize, no rollback) and ends
 * `PromotionInterrupted`. The message names the change and which check saw it when.
 */
export class OutsideChange extends NamedError {}
/**
 * This execution no longer speaks for its promotion: the lock is released or another promotion's,
 * or a recovery execution other than this one finishes the promotion (e.g. a redriven execution
 * that was already recovered). The step does nothing; the state machine ends in Fail `PromotionEnded`.
 */
export class PromotionEnded extends NamedError {}

/**
 * Error names the state machine retries with backoff and jitter: throttling and service-side
 * faults that survived the SDK's own retries. (Lambda's own service errors are retried by
 * the CDK's retryOnServiceExceptions.) Validation errors are never retried.
 */
export const RETRYABLE_ERRORS = [
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalFailure',
  'InternalServerError',
  'InternalServiceFault',
  'InternalServiceError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  // S3 (asynchronous validation's objects): its throttling and 5xx, "retry" per ErrorBestPractices / ErrorResponses.
  'SlowDown',
  'InternalError',
  // Application Auto Scaling: its 5xx, and an update racing another on the same scalable target.
  'InternalServiceException',
  'ConcurrentUpdateException',
  'Lambda.TooManyRequestsException',
] as const;

const RETRYABLE = new Set<string>(RETRYABLE_ERRORS);

/** Should this error go back to the state machine to be retried (rather than be judged here)? */
export function isRetryable(error: unknown): boolean {
  return error instanceof Error && RETRYABLE.has(error.name);
}

/** DescribeEndpoint/DescribeEndpointConfig/DescribeModel of something missing: SageMaker answers ValidationException "Could not find ...". */
/** DynamoDB refused a conditional write because its condition did not hold (someone else got there first). */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

export function isNotFound(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ResourceNotFound' || error.name === 'ResourceNotFoundException') return true;
  return error.name === 'ValidationException' && /could not find/i.test(error.message);
}

/** Lambda delivers a caught error's Cause as a JSON string {errorType, errorMessage, trace}; return the human part. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return 'no cause recorded';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}
