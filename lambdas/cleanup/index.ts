import { DeleteAlarmsCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointConfigCommand,
  DescribeEndpointCommand,
  paginateListEndpoints,
} from '@aws-sdk/client-sagemaker';
import { cloudwatch } from '../shared/clients/cloudwatch';
import { sagemaker } from '../shared/clients/sagemaker';
import type { CleanupEvent, CleanupResult } from '../shared/contracts';
import { cleanupPlan, configsOf } from '../shared/decisions';
import { isNotFound, isRetryable } from '../shared/errors';
import { step } from '../shared/handler';
import { throwIfPromotionEnded } from '../shared/abort';
import { throwIfOutsideChange } from '../shared/outside-check';
import { deleteEndpointIfPresent, deleteIfPresent, describeEndpointIfExists } from '../shared/sagemaker';

/** Configs and models every endpoint of the account runs or is moving to: never delete those. */
async function resourcesInUse(): Promise<{ configs: Set<string>; models: Set<string> }> {
  const configs = new Set<string>();
  const models = new Set<string>();
  for await (const page of paginateListEndpoints({ client: sagemaker }, { MaxResults: 100 })) {
    for (const summary of page.Endpoints ?? []) {
      // An endpoint being deleted (a validation endpoint) runs nothing that needs keeping.
      if (summary.EndpointStatus === 'Deleting') continue;
      try {
        const endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: summary.EndpointName }));
        // The config it runs and, while Updating, the one it moves to (PendingDeploymentSummary).
        for (const name of configsOf(endpoint)) {
          if (configs.has(name)) continue;
          configs.add(name);
          const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
          for (const v of config.ProductionVariants ?? []) if (v.ModelName) models.add(v.ModelName);
        }
      } catch (error) {
        if (!isNotFound(error)) throw error; // deleted while we listed: it uses nothing any more
      }
    }
  }
  return { configs, models };
}

/**
 * Deletes what the side that lost leaves behind. Deletes accept "already gone"; a
 * resource that cannot be deleted is recorded as kept with the reason instead of
 * failing the promotion (the endpoint already serves one side fully). Blue's side goes
 * only while the endpoint still runs what the promotion left: someone else's change stops
 * the promotion first (OutsideChange), and nothing of blue's is deleted. Green's side (after
 * a rollback or an interruption) is the promotion's own: deleted where nothing uses it.
 */
export const handler = step(
  'cleanup',
  (e: CleanupEvent) => ({ endpointName: e.state.promotion.endpointName, promotionId: e.state.promotion.id }),
  async ({ target, state }): Promise<CleanupResult> => {
    await throwIfPromotionEnded(state);
    if (target === 'blue') await throwIfOutsideChange(await describeEndpointIfExists(state.promotion.endpointName), state, 'cleanup');
    const deleted: string[] = [];
    // guardrails: the validation endpoint is short-lived on every path (normally gone at the shift).
    const validationEndpoint = state.promotion.strategy === 'guardrails' && state.blue?.exists ? (state.green?.validationEndpointName ?? state.promotion.names.validationEndpoint) : undefined;
    if (validationEndpoint && (await deleteEndpointIfPresent(validationEndpoint)) === 'deleted') deleted.push(`endpoint ${validationEndpoint}`);
    const plan = cleanupPlan(target, state, await resourcesInUse());
    const kept = [...plan.kept];
    const attempt = async (resource: string, remove: () => Promise<unknown>) => {
      try {
        if ((await deleteIfPresent(remove)) === 'deleted') deleted.push(resource);
      } catch (error) {
        if (isRetryable(error)) throw error;
        kept.push({ resource, reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      }
    };
    for (const name of plan.configs) await attempt(`config ${name}`, () => sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name })));
    for (const name of plan.models) await attempt(`model ${name}`, () => sagemaker.send(new DeleteModelCommand({ ModelName: name })));
    if (plan.alarms.length > 0) {
      // Only those that exist: the names are known even when ArmGuardrails never ran.
      const existing = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: plan.alarms }));
      const names = (existing.MetricAlarms ?? []).map((a) => a.AlarmName).filter((n): n is string => n !== undefined);
      if (names.length > 0) await attempt(`alarms ${names.join(', ')}`, () => cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: names })));
    }
    return { target, deleted, kept };
  },
);
