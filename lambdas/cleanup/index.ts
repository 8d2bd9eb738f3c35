import { DeleteAlarmsCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  type DescribeEndpointOutput,
  paginateListEndpoints,
} from '@aws-sdk/client-sagemaker';
import { cloudwatch } from '../shared/clients/cloudwatch';
import { sagemaker } from '../shared/clients/sagemaker';
import { deleteComponentIfPresent, modelsRunByComponents } from '../shared/component-actions';
import type { CleanupEvent, CleanupResult } from '../shared/contracts';
import { cleanupPlan, configsOf, otherEndpointsToCheck, usageWindowStart } from '../shared/decisions';
import { switchesConfig } from '../shared/kinds';
import { isNotFound, isRetryable } from '../shared/errors';
import { step } from '../shared/handler';
import { throwIfPromotionEnded } from '../shared/abort';
import { throwIfOutsideChange } from '../shared/outside-check';
import { deleteEndpointIfPresent, deleteIfPresent, describeEndpointIfExists } from '../shared/sagemaker';

type InUse = { configs: Set<string>; models: Set<string> };

/** A resource's CreationTime; undefined once it is gone. */
async function createdAt(describe: () => Promise<{ CreationTime?: Date }>): Promise<Date | undefined> {
  try {
    return (await describe()).CreationTime;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Configs and models in use among the candidates a cleanup would delete, without describing every
 * endpoint of the account (DeleteEndpointConfig and DeleteModel do not refuse one in use:
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteEndpointConfig.html only says
 * "you must not", API_DeleteModel says nothing). The candidates are the workflow's own (named after
 * this endpoint, see isOwnName): the workflow points only this endpoint at them (and its validation
 * endpoint, deleted first), so this endpoint's current and pending configs are read; another endpoint
 * can run them only if someone pointed it at them by hand, after they were created, and that
 * CreateEndpoint/UpdateEndpoint set its LastModifiedTime (usageWindowStart): only the endpoints
 * modified since the oldest candidate was created are described. Cost: a few describes plus those
 * endpoints, whatever the account's size. Limits: an endpoint whose config was deleted since cannot
 * say which models it runs, so every candidate model is then kept; a hand-made change racing the
 * cleanup (after its list) is not seen, as with any list.
 */
async function resourcesInUse(endpointName: string, endpoint: DescribeEndpointOutput | undefined, candidates: { configs: string[]; models: string[] }): Promise<InUse> {
  const inUse: InUse = { configs: new Set(), models: new Set() };
  if (candidates.configs.length === 0 && candidates.models.length === 0) return inUse;
  const addConfigsOf = async (ep: DescribeEndpointOutput | undefined) => {
    // An endpoint being deleted (the promotion's own, by an operator) runs nothing that needs keeping.
    if (ep?.EndpointStatus === 'Deleting') return;
    // The config it runs and, while Updating, the one it moves to (PendingDeploymentSummary).
    for (const name of configsOf(ep)) {
      if (inUse.configs.has(name)) continue;
      inUse.configs.add(name);
      try {
        const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
        for (const v of config.ProductionVariants ?? []) if (v.ModelName) inUse.models.add(v.ModelName);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        for (const m of candidates.models) inUse.models.add(m); // its models cannot be known: keep them all
      }
    }
  };
  await addConfigsOf(endpoint);
  const created: Array<Date | undefined> = [];
  for (const name of candidates.configs) created.push(await createdAt(() => sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }))));
  for (const name of candidates.models) created.push(await createdAt(() => sagemaker.send(new DescribeModelCommand({ ModelName: name }))));
  const since = usageWindowStart(created);
  if (!since) return inUse;
  for await (const page of paginateListEndpoints({ client: sagemaker }, { LastModifiedTimeAfter: since, MaxResults: 100 })) {
    for (const name of otherEndpointsToCheck(page.Endpoints ?? [], endpointName)) {
      // Deleted since the list: it uses nothing any more.
      await addConfigsOf(await describeEndpointIfExists(name));
    }
  }
  return inUse;
}

/**
 * Deletes what the side that lost leaves behind. Deletes accept "already gone"; a
 * resource that cannot be deleted is recorded as kept with the reason instead of
 * failing the promotion (the endpoint already serves one side fully). Blue's side goes
 * only while the endpoint still runs what the promotion left: someone else's change stops
 * the promotion first (OutsideChange), and nothing of blue's is deleted. Green's side (after
 * a rollback or an interruption) is the promotion's own: deleted where nothing uses it. component:
 * the validation component goes too, and a model any inference component runs is kept.
 */
export const handler = step(
  'cleanup',
  (e: CleanupEvent) => ({ endpointName: e.state.promotion.endpointName, promotionId: e.state.promotion.id }),
  async ({ target, state }): Promise<CleanupResult> => {
    await throwIfPromotionEnded(state);
    const endpoint = await describeEndpointIfExists(state.promotion.endpointName);
    if (target === 'blue') await throwIfOutsideChange(endpoint, state, 'cleanup');
    const deleted: string[] = [];
    // guardrails and replace: the validation endpoint is short-lived on every path (normally gone at the shift).
    const validationEndpoint = switchesConfig(state.promotion.strategy) && state.blue?.exists ? (state.green?.validationEndpointName ?? state.promotion.names.validationEndpoint) : undefined;
    if (validationEndpoint && (await deleteEndpointIfPresent(validationEndpoint)) === 'deleted') deleted.push(`endpoint ${validationEndpoint}`);
    // What would go if nothing used it; then what uses those.
    const candidates = cleanupPlan(target, state, { configs: new Set(), models: new Set() });
    const inUse = await resourcesInUse(state.promotion.endpointName, endpoint, candidates);
    // component: the validation component goes on every path, and models are referenced by inference components, not configs.
    if (state.promotion.strategy === 'component' && state.blue?.exists) {
      const validationComponent = state.green?.validationComponentName ?? state.promotion.names.validationComponent;
      if ((await deleteComponentIfPresent(validationComponent)) === 'deleted') deleted.push(`inference component ${validationComponent}`);
      for (const model of await modelsRunByComponents(state.promotion.endpointName, candidates.models)) inUse.models.add(model);
    }
    const plan = cleanupPlan(target, state, inUse);
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
