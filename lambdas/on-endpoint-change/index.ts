import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod/mini';
import { dynamo } from '../shared/clients/dynamo';
import { sfn } from '../shared/clients/sfn';
import { sameEndpoint } from '../shared/contracts';
import { InvalidPromotionInput } from '../shared/errors';
import { step } from '../shared/handler';
import { describeIssues } from '../shared/issues';
import { isStaleToken, locksInFlight, requestAbort, type AbortResult, type LockItem } from '../shared/locks';
import { interruptionReason } from '../shared/outside';
import { findOutsideChange } from '../shared/outside-check';
import { logger } from '../shared/powertools';
import { describeEndpointIfExists } from '../shared/sagemaker';
import { settings } from '../shared/settings';

/** The part of "SageMaker Endpoint State Change" we read (EventBridge; EndpointStatus upper-case, e.g. IN_SERVICE). */
const endpointEventSchema = z.object({
  source: z.literal('aws.sagemaker'),
  'detail-type': z.literal('SageMaker Endpoint State Change'),
  detail: z.object({ EndpointName: z.string().check(z.minLength(1)), EndpointStatus: z.string().check(z.minLength(1)) }),
});

export interface EndpointChangeResult {
  endpointName: string;
  status: string;
  promotions: Array<{ endpointName: string; promotionId: string; result: 'woken' | 'not-waiting' | 'stopped'; change?: string; abort?: AbortResult }>;
}

/**
 * A baking promotion whose endpoint this event is about: judged against the footprint the bake
 * parked (await-guardrails). Someone else's change stops it now (OutsideChange: the flag and the
 * bake's token, only while it still bakes); the change found, if any.
 */
async function stopIfChanged(lock: LockItem, endpointName: string): Promise<{ change: string; abort: AbortResult } | undefined> {
  const watch = lock.bakeWatch;
  if (!watch?.outside || !lock.bakeTaskToken || lock.abortRequested || !sameEndpoint(watch.endpointName, endpointName)) return undefined;
  const found = await findOutsideChange(await describeEndpointIfExists(watch.endpointName), watch.outside);
  if (!found) return undefined;
  const at = new Date().toISOString();
  const abort = await requestAbort({ dynamo, sfn }, settings().tableName, lock, { error: 'OutsideChange', reason: interruptionReason(found.change, 'on-endpoint-change', at), at }, { whileBaking: true });
  return { change: found.change, abort };
}

/**
 * EventBridge target of "SageMaker Endpoint State Change" (settled statuses). A promotion baking on
 * that endpoint is judged now: someone else's change (weights, config, deletion…) stops it at once.
 * A promotion in an InService wait on that endpoint (its own, or guardrails' validation endpoint,
 * as parked on the lock by await-endpoint) is woken (SendTaskSuccess), so its check runs now
 * instead of at the backstop poll; that check judges outside changes itself, with the whole state
 * document (a footprint parked on the lock would go stale as soon as the promotion moves on).
 * A token no longer waiting is ignored.
 */
export const handler = step(
  'on-endpoint-change',
  () => ({}),
  async (raw: unknown): Promise<EndpointChangeResult> => {
    const parsed = endpointEventSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidPromotionInput(`not a SageMaker Endpoint State Change event: ${describeIssues(parsed.error)}`);
    const { EndpointName: endpointName, EndpointStatus: status } = parsed.data.detail;
    const promotions: EndpointChangeResult['promotions'] = [];
    const watches = (names: string[] | undefined) => (names ?? []).some((n) => sameEndpoint(n, endpointName));
    for (const lock of await locksInFlight(dynamo, settings().tableName)) {
      const stopped = await stopIfChanged(lock, endpointName);
      if (stopped) {
        logger.info('endpoint state change: outside change, promotion stopped', { endpointName: lock.endpointName, promotionId: lock.promotionId, watched: endpointName, status, ...stopped });
        promotions.push({ endpointName: lock.endpointName, promotionId: lock.promotionId, result: 'stopped', ...stopped });
        continue;
      }
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
