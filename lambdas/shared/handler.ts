import type { Context } from 'aws-lambda';
import { logger } from './powertools';

/**
 * Wraps a step: every log line carries the step, the endpoint and the promotion; errors
 * are logged once with their name (which the state machine matches) and rethrown.
 */
export function step<E, R>(
  stepName: string,
  keys: (event: E) => { endpointName?: string; promotionId?: string },
  run: (event: E) => Promise<R>,
): (event: E, context?: Context) => Promise<R> {
  return async (event: E, context?: Context): Promise<R> => {
    if (context) logger.addContext(context);
    let k: { endpointName?: string; promotionId?: string } = {};
    try {
      k = keys(event);
    } catch {
      // The input may be malformed; validate-input reports that itself.
    }
    logger.resetKeys();
    logger.appendKeys({ step: stepName, ...k });
    try {
      const result = await run(event);
      logger.info(`${stepName} done`);
      return result;
    } catch (error) {
      logger.error(`${stepName} failed`, { errorName: error instanceof Error ? error.name : 'unknown', error: error as Error });
      throw error;
    }
  };
}

export const stateKeys = (event: { promotion?: { endpointName?: string; id?: string } }) => ({
  endpointName: event.promotion?.endpointName,
  promotionId: event.promotion?.id,
});
