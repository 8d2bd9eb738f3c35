import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { dynamo } from '../shared/clients/dynamo';
import { sfn } from '../shared/clients/sfn';
import { requiredEnv } from '../shared/env';
import { InvalidPromotionInput } from '../shared/errors';
import { step } from '../shared/handler';
import { describeIssues } from '../shared/input';
import { readLock } from '../shared/locks';
import { logger } from '../shared/powertools';
import { settings } from '../shared/settings';

/** The part of "Step Functions Execution Status Change" we read (sample in test/fixtures/events). */
const statusEventSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    name: z.string(),
    status: z.string(),
    input: z.string().nullable().optional(),
  }),
});

export interface ExecutionEndResult {
  action: 'recovery-started' | 'recovery-already-started' | 'nothing-to-do';
  note: string;
}

export const RECOVERY_SUFFIX = '-recover';

/**
 * EventBridge target of "Step Functions Execution Status Change" (FAILED, TIMED_OUT, ABORTED)
 * of the promotion state machine. A promotion that ends through its own Catch blocks has
 * released its lock already; one that still holds it was stopped from the console, timed
 * out or failed outside them — start a recovery execution that restores blue, records the
 * outcome and releases the lock. The recovery's name is deterministic: one per ended execution.
 */
export const handler = step(
  'on-execution-end',
  (e: unknown) => ({ promotionId: (e as { detail?: { name?: string } } | null)?.detail?.name }),
  async (raw: unknown): Promise<ExecutionEndResult> => {
    const parsed = statusEventSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidPromotionInput(`not a Step Functions Execution Status Change event: ${describeIssues(parsed.error)}`);
    const { executionArn, name, status, input } = parsed.data.detail;
    if (!['FAILED', 'TIMED_OUT', 'ABORTED'].includes(status)) return { action: 'nothing-to-do', note: `${name} is ${status}` };
    let endpointName: string | undefined;
    try {
      endpointName = (JSON.parse(input ?? '{}') as { endpointName?: unknown }).endpointName as string | undefined;
    } catch {
      endpointName = undefined;
    }
    if (typeof endpointName !== 'string') return { action: 'nothing-to-do', note: `${name} had no endpointName in its input (a recovery, or a rejected input)` };
    const lock = await readLock(dynamo, settings().tableName, endpointName);
    if (lock?.promotionId !== name) return { action: 'nothing-to-do', note: `${name} does not hold the lock of ${endpointName}` };

    const recoveryName = `${name.slice(0, 80 - RECOVERY_SUFFIX.length)}${RECOVERY_SUFFIX}`;
    try {
      await sfn.send(new StartExecutionCommand({ stateMachineArn: requiredEnv('STATE_MACHINE_ARN'), name: recoveryName, input: JSON.stringify({ recoverExecutionArn: executionArn }) }));
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return { action: 'recovery-already-started', note: recoveryName };
      throw error;
    }
    logger.warn('promotion ended holding its lock: recovery started', { endpointName, execution: name, status, recovery: recoveryName });
    return { action: 'recovery-started', note: recoveryName };
  },
);
