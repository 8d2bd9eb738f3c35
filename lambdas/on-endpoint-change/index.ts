import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { dynamo } from '../shared/clients/dynamo';
import { sfn } from '../shared/clients/sfn';
import { InvalidPromotionInput } from '../shared/errors';
import { step } from '../shared/handler';
import { describeIssues } from '../shared/input';
import { isStaleToken, locksInFlight } from '../shared/locks';
import { logger } from '../shared/powertools';
import { settings } from '../shared/settings';

/** The part of "SageMaker Endpoint State Change" we read (EventBridge; EndpointStatus upper-case, e.g. IN_SERVICE). */
const endpointEventSchema = z.object({
  source: z.literal('aws.sagemaker'),
  'detail-type': z.literal('SageMaker Endpoint State Change'),
  detail: z.object({ EndpointName: z.string().min(1), EndpointStatus: z.string().min(1) }),
});

export interface EndpointChangeResult {
  endpointName: string;
  status: string;
  promotions: Array<{ endpointName: string; promotionId: string; result: 'woken' | 'not-waiting' }>;
}

/**
 * EventBridge target of "SageMaker Endpoint State Change": the promotion in flight whose
 * InService wait watches this endpoint (its own, or guardrails' validation endpoint, as parked
 * on the lock by await-endpoint) is woken (SendTaskSuccess), so its check runs now instead of at
 * the backstop poll. The check judges; this only wakes. A token no longer waiting is ignored.
 */
export const handler = step(
  'on-endpoint-change',
  () => ({}),
  async (raw: unknown): Promise<EndpointChangeResult> => {
    const parsed = endpointEventSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidPromotionInput(`not a SageMaker Endpoint State Change event: ${describeIssues(parsed.error)}`);
    const { EndpointName: endpointName, EndpointStatus: status } = parsed.data.detail;
    const promotions: EndpointChangeResult['promotions'] = [];
    // Endpoint names are case-insensitive in SageMaker.
    const watches = (names: string[] | undefined) => (names ?? []).some((n) => n.toLowerCase() === endpointName.toLowerCase());
    for (const lock of await locksInFlight(dynamo, settings().tableName)) {
      if (!lock.waitTaskToken || !watches(lock.watchedEndpoints)) continue;
      let result: 'woken' | 'not-waiting' = 'woken';
      try {
        await sfn.send(new SendTaskSuccessCommand({ taskToken: lock.waitTaskToken, output: JSON.stringify({ by: 'endpoint-event', endpointName, status }) }));
      } catch (error) {
        if (!isStaleToken(error)) throw error;
        result = 'not-waiting';
      }
      logger.info('endpoint state change: wait woken', { endpointName: lock.endpointName, promotionId: lock.promotionId, watched: endpointName, status, result });
      promotions.push({ endpointName: lock.endpointName, promotionId: lock.promotionId, result });
    }
    return { endpointName, status, promotions };
  },
);
