import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod/mini';
import { dynamo } from '../shared/clients/dynamo';
import { sagemaker } from '../shared/clients/sagemaker';
import { sfn } from '../shared/clients/sfn';
import { requiredEnv } from '../shared/env';
import { InvalidPromotionInput } from '../shared/errors';
import { step } from '../shared/handler';
import { describeIssues } from '../shared/issues';
import { readLock } from '../shared/locks';
import { logger } from '../shared/powertools';
import { afterExecutionEnd, type AfterEnd } from '../shared/queue';
import { inputFields, type EndedExecution } from '../shared/queue-decisions';
import { describeExecutionIfExists } from '../shared/executions';
import { MAX_RECOVERIES, noRecoveryReason, recoveryName } from '../shared/recovery';
import { ENV, functionConfig, settings } from '../shared/settings';

/** The part of "Step Functions Execution Status Change" we read (sample in test/fixtures/events). */
const statusEventSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    name: z.string(),
    status: z.string(),
    input: z.optional(z.nullable(z.string())),
    error: z.optional(z.nullable(z.string())),
    startDate: z.optional(z.nullable(z.number())),
  }),
});

export interface ExecutionEndResult {
  action: 'recovery-started' | 'recoveries-exhausted' | 'nothing-to-do';
  note: string;
  /** The endpoint's queued approval, started once the lock is free (lambdas/shared/queue.ts). */
  queue?: AfterEnd;
}

/** Whatever the outcome (SUCCEEDED included), an endpoint free again starts its queued approval. */
const nextQueued = (ended: EndedExecution, endpointName?: string) =>
  afterExecutionEnd({ dynamo, sfn, sagemaker }, settings().tableName, requiredEnv(ENV.stateMachineArn), ended, { routedGroups: functionConfig().registryGroups, endpointName });

/** The promotion an execution ran, or recovered: its id (the promotion's execution name), execution and endpoint. */
interface PromotionRef {
  id: string;
  executionArn: string;
  endpointName: string;
}


/** A promotion's execution names its endpoint; a recovery's input names only the execution it recovers (DescribeExecution). */
async function promotionOf(ended: { executionArn: string; name: string; input?: string | null }): Promise<PromotionRef | undefined> {
  const fields = inputFields(ended.input);
  if (typeof fields.endpointName === 'string') return { id: ended.name, executionArn: ended.executionArn, endpointName: fields.endpointName };
  if (typeof fields.recoverExecutionArn !== 'string') return undefined;
  try {
    const recovered = await describeExecutionIfExists(sfn, fields.recoverExecutionArn);
    const endpointName = inputFields(recovered?.input).endpointName;
    return typeof endpointName === 'string' && recovered?.name ? { id: recovered.name, executionArn: fields.recoverExecutionArn, endpointName } : undefined;
  } catch (error) {
    if (error instanceof Error && error.name === 'InvalidArn') return undefined;
    throw error;
  }
}

async function isRunning(executionArn: string): Promise<boolean> {
  return (await describeExecutionIfExists(sfn, executionArn))?.status === 'RUNNING';
}

/**
 * The next of the promotion's recoveries: the first of `<id>-recover`, `<id>-recover2`, … not used
 * yet (StartExecution refuses a used name, ExecutionAlreadyExists; a duplicate event's start of the
 * one running is answered with it, as the API reference says). None left: only a person can finish.
 */
async function startNextRecovery(promotion: PromotionRef, ended: { name: string; status: string }): Promise<ExecutionEndResult> {
  for (let attempt = 1; attempt <= MAX_RECOVERIES; attempt++) {
    const name = recoveryName(promotion.id, attempt);
    try {
      await sfn.send(new StartExecutionCommand({ stateMachineArn: requiredEnv(ENV.stateMachineArn), name, input: JSON.stringify({ recoverExecutionArn: promotion.executionArn }) }));
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') continue;
      throw error;
    }
    logger.warn('promotion ended holding its lock: recovery started', { endpointName: promotion.endpointName, execution: ended.name, status: ended.status, recovery: name, attempt });
    return { action: 'recovery-started', note: name };
  }
  const note = `promotion ${promotion.id} still holds the lock of ${promotion.endpointName} after ${MAX_RECOVERIES} recoveries (the last, ${ended.name}, ended ${ended.status}): "bluegreen rollback ${promotion.endpointName}" starts one more and finishes the job`;
  logger.error(note, { endpointName: promotion.endpointName, execution: ended.name, status: ended.status });
  return { action: 'recoveries-exhausted', note };
}

/**
 * EventBridge target of "Step Functions Execution Status Change" (SUCCEEDED, FAILED, TIMED_OUT,
 * ABORTED) of the promotion state machine. Once the ended execution holds no lock, the endpoint's
 * queued approval starts (nextQueued). A promotion that ends through its own Catch blocks has
 * released its lock already; one that still holds it was stopped from the console, timed
 * out or failed outside them — start a recovery execution that finishes it (lambdas/recover),
 * records the outcome and releases the lock. A recovery that ends the same way while its promotion
 * still holds the lock (its input names the promotion's execution) is followed by the next one,
 * at most MAX_RECOVERIES under deterministic names; after that `bluegreen rollback` finishes it.
 */
export const handler = step(
  'on-execution-end',
  (e: unknown) => ({ promotionId: (e as { detail?: { name?: string } } | null)?.detail?.name }),
  async (raw: unknown): Promise<ExecutionEndResult> => {
    const parsed = statusEventSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidPromotionInput(`not a Step Functions Execution Status Change event: ${describeIssues(parsed.error)}`);
    const { executionArn, name, status, input, error } = parsed.data.detail;
    if (!['FAILED', 'TIMED_OUT', 'ABORTED'].includes(status)) return { action: 'nothing-to-do', note: `${name} is ${status}`, queue: await nextQueued(parsed.data.detail) };
    const promotion = await promotionOf({ executionArn, name, input });
    if (!promotion) return { action: 'nothing-to-do', note: `${name} names no endpoint in its input (a rejected input)`, queue: await nextQueued(parsed.data.detail) };
    const lock = await readLock(dynamo, settings().tableName, promotion.endpointName);
    const marked = lock?.promotionId === promotion.id && lock.recoveredBy !== undefined && lock.recoveredBy !== executionArn ? lock.recoveredBy : undefined;
    const why = noRecoveryReason({ ended: { name, executionArn, error }, promotionId: promotion.id, lock, lockRecoveryRunning: marked !== undefined && (await isRunning(marked)) });
    if (why) return { action: 'nothing-to-do', note: why, queue: await nextQueued(parsed.data.detail, promotion.endpointName) };
    return startNextRecovery(promotion, { name, status });
  },
);
