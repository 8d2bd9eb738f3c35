import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/clients/dynamo';
import { LOCK_SK, type PromotionState } from '../shared/contracts';
import { throwIfAbortRequested } from '../shared/abort';
import { step } from '../shared/handler';
import { settings } from '../shared/settings';

export interface AwaitGuardrailsEvent {
  token: string;
  state: PromotionState;
}

/**
 * The bake waits in a `.waitForTaskToken` task: this step parks the token (and the alarms
 * it watches) on the lock, where the alarm trigger and `bluegreen rollback` find it and
 * fail the task — the rollback starts within seconds of the alarm. The task's timeout is
 * the poll interval, after which CheckGuardrails polls as a backstop.
 */
export const handler = step(
  'await-guardrails',
  (e: AwaitGuardrailsEvent) => ({ endpointName: e.state.promotion.endpointName, promotionId: e.state.promotion.id }),
  async ({ token, state }): Promise<{ parked: true }> => {
    await throwIfAbortRequested(state);
    await dynamo.send(
      new UpdateCommand({
        TableName: settings().tableName,
        Key: { endpointName: state.promotion.endpointName, sk: LOCK_SK },
        UpdateExpression: 'SET bakeTaskToken = :token, watchedAlarms = :alarms',
        ConditionExpression: 'promotionId = :me',
        ExpressionAttributeValues: { ':token': token, ':alarms': state.bake?.alarmNames ?? [], ':me': state.promotion.id },
      }),
    );
    return { parked: true };
  },
);
