import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describeAlarmsByName } from '../shared/alarms';
import { cloudwatch } from '../shared/clients/cloudwatch';
import { dynamo } from '../shared/clients/dynamo';
import { LOCK_SK, type BakeState, type PromotionState } from '../shared/contracts';
import { expectationFor, judgeGuardrails } from '../shared/decisions';
import { GreenNotInService, GuardrailAlarm, UnexpectedEndpointState } from '../shared/errors';
import { throwIfAbortRequested } from '../shared/abort';
import { stateKeys, step } from '../shared/handler';
import { describeEndpointIfExists } from '../shared/sagemaker';
import { settings } from '../shared/settings';
import { judgeBakeEndpoint } from '../shared/waits';

/**
 * After the Bake wait: any guardrail alarm in ALARM (or gone), or an endpoint no longer running
 * what the shift left, rolls back. Otherwise the wait counts if it ran to its timeout (an early
 * wake counts nothing, so the bake is never cut short) and the bake is done when nothing is left;
 * then the backstop stops watching it.
 */
export const handler = step('check-guardrails', stateKeys, async (state: PromotionState): Promise<BakeState> => {
  const bake = state.bake!;
  const p = state.promotion;
  await throwIfAbortRequested(state);
  const alarms = await describeAlarmsByName(cloudwatch, bake.alarmNames);
  const verdict = judgeGuardrails(bake.alarmNames, alarms);
  if (verdict.kind === 'alarm') throw new GuardrailAlarm(`guardrail alarm ${verdict.alarmName} is in ALARM: ${verdict.reason}`);
  if (verdict.kind === 'missing') {
    throw new GuardrailAlarm(`guardrail alarm ${verdict.alarmNames.join(', ')} no longer exists, so the bake cannot be watched`);
  }
  const expected = expectationFor('shift', state);
  const endpoint = judgeBakeEndpoint(await describeEndpointIfExists(expected.endpointName ?? p.endpointName), expected);
  if (endpoint.kind === 'failed') throw new (endpoint.error === 'GreenNotInService' ? GreenNotInService : UnexpectedEndpointState)(endpoint.message);

  const elapsedSeconds = bake.elapsedSeconds + (state.wake?.Error === 'States.Timeout' ? bake.waitSeconds : 0);
  const left = bake.seconds - elapsedSeconds;
  if (left <= 0) {
    await dynamo.send(
      new UpdateCommand({
        TableName: settings().tableName,
        Key: { endpointName: p.endpointName, sk: LOCK_SK },
        UpdateExpression: 'REMOVE bakeWatch',
        ConditionExpression: 'promotionId = :me',
        ExpressionAttributeValues: { ':me': p.id },
      }),
    );
  }
  return { ...bake, elapsedSeconds, waitSeconds: Math.max(left, 0), done: left <= 0 };
});
