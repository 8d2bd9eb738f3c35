import { describeAlarmsByName } from '../shared/alarms';
import { cloudwatch } from '../shared/clients/cloudwatch';
import type { BakeState, PromotionState } from '../shared/contracts';
import { judgeGuardrails } from '../shared/decisions';
import { GuardrailAlarm } from '../shared/errors';
import { throwIfAbortRequested } from '../shared/abort';
import { stateKeys, step } from '../shared/handler';

/** One poll of the bake: any guardrail alarm in ALARM (or gone) rolls back; otherwise count the poll. */
export const handler = step('check-guardrails', stateKeys, async (state: PromotionState): Promise<BakeState> => {
  const bake = state.bake!;
  await throwIfAbortRequested(state);
  const alarms = await describeAlarmsByName(cloudwatch, bake.alarmNames);
  const verdict = judgeGuardrails(bake.alarmNames, alarms);
  if (verdict.kind === 'alarm') throw new GuardrailAlarm(`guardrail alarm ${verdict.alarmName} is in ALARM: ${verdict.reason}`);
  if (verdict.kind === 'missing') {
    throw new GuardrailAlarm(`guardrail alarm ${verdict.alarmNames.join(', ')} no longer exists, so the bake cannot be watched`);
  }
  const pollsDone = bake.pollsDone + 1;
  return { ...bake, pollsDone, done: pollsDone >= bake.polls };
});
