import * as z from 'zod/mini';
import { dynamo } from '../shared/clients/dynamo';
import { sfn } from '../shared/clients/sfn';
import { InvalidPromotionInput } from '../shared/errors';
import { step } from '../shared/handler';
import { describeIssues } from '../shared/issues';
import { locksInFlight, requestAbort, type AbortResult } from '../shared/locks';
import { captureColdStart } from '../shared/metrics';
import { logger } from '../shared/powertools';
import { settings } from '../shared/settings';

/** The part of "CloudWatch Alarm State Change" we read (sample in test/fixtures/events). */
const alarmEventSchema = z.object({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  detail: z.object({
    alarmName: z.string(),
    state: z.object({ value: z.string(), reason: z.optional(z.string()), timestamp: z.optional(z.string()) }),
  }),
});

export interface AlarmResult {
  alarmName: string;
  promotions: Array<{ endpointName: string; promotionId: string; result: AbortResult }>;
}

/**
 * EventBridge target of "CloudWatch Alarm State Change" to ALARM: every promotion in flight
 * whose bake watches this alarm is told to roll back now (the bake's poll stays as backstop).
 */
export const handler = step(
  'on-alarm',
  () => ({}),
  async (raw: unknown): Promise<AlarmResult> => {
    // A cold start here delays the rollback (AlarmToBlue): the dashboard shows it beside that latency.
    captureColdStart();
    const parsed = alarmEventSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidPromotionInput(`not a CloudWatch Alarm State Change event: ${describeIssues(parsed.error)}`);
    const { alarmName, state } = parsed.data.detail;
    const promotions: AlarmResult['promotions'] = [];
    if (state.value !== 'ALARM') return { alarmName, promotions };
    const { tableName } = settings();
    for (const lock of await locksInFlight(dynamo, tableName)) {
      if (!lock.watchedAlarms?.includes(alarmName)) continue;
      const result = await requestAbort({ dynamo, sfn }, tableName, lock, {
        error: 'GuardrailAlarm',
        reason: `guardrail alarm ${alarmName} is in ALARM: ${state.reason ?? 'no reason given'}`,
        at: state.timestamp ?? new Date().toISOString(),
        alarm: { name: alarmName, stateReason: state.reason ?? 'no reason given' },
      });
      logger.info('guardrail alarm: rollback requested', { endpointName: lock.endpointName, promotionId: lock.promotionId, alarmName, result });
      promotions.push({ endpointName: lock.endpointName, promotionId: lock.promotionId, result });
    }
    return { alarmName, promotions };
  },
);
