import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/clients/dynamo';
import { LOCK_SK, type PromotionState } from '../shared/contracts';
import { throwIfAbortRequested, throwIfFlagged } from '../shared/abort';
import { expectationFor } from '../shared/decisions';
import { step } from '../shared/handler';
import type { BakeWatch, LockItem } from '../shared/locks';
import { settings } from '../shared/settings';

export interface AwaitGuardrailsEvent {
  token: string;
  state: PromotionState;
}

/**
 * The bake waits in one `.waitForTaskToken` task, its timeout the rest of the bake: this step
 * parks the token, the alarms it watches and what the endpoint must keep running on the lock,
 * where the alarm trigger, `bluegreen rollback` and the bake's backstop (on-backstop, every few
 * minutes) find them and fail the task — the rollback starts within seconds of the alarm.
 */
export const handler = step(
  'await-guardrails',
  (e: AwaitGuardrailsEvent) => ({ endpointName: e.state.promotion.endpointName, promotionId: e.state.promotion.id }),
  async ({ token, state }): Promise<{ parked: true }> => {
    const p = state.promotion;
    await throwIfAbortRequested(state);
    const expected = expectationFor('shift', state);
    const watch: BakeWatch = { endpointName: expected.endpointName ?? p.endpointName, configName: expected.configName, weights: expected.weights };
    const out = await dynamo.send(
      new UpdateCommand({
        TableName: settings().tableName,
        Key: { endpointName: p.endpointName, sk: LOCK_SK },
        UpdateExpression: 'SET bakeTaskToken = :token, watchedAlarms = :alarms, bakeWatch = :watch',
        ConditionExpression: 'promotionId = :me',
        ExpressionAttributeValues: { ':token': token, ':alarms': state.bake?.alarmNames ?? [], ':watch': watch, ':me': p.id },
        ReturnValues: 'ALL_NEW',
      }),
    );
    // An abort flagged while the token was being parked: its requester may have read the lock before the token was there.
    throwIfFlagged(out?.Attributes as Partial<LockItem> | undefined, p.id);
    return { parked: true };
  },
);
