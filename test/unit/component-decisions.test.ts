import { cleanupPlan } from '../../lambdas/shared/decisions';
import { isOwnName } from '../../lambdas/shared/naming';
import { nextWaitSeconds } from '../../lambdas/shared/waits';
import { aBlue, aPromotion } from '../support/fixtures';
import { componentCapacityHint,
  componentChange,
  componentGreenState,
  componentDeploymentConfig,
  defaultBatchCopies,
  greenSpecification,
  judgeComponent,
  nextComponentRollbackAction,
  rollingPlan,
  rollingReason,
  rollingSeconds,
  specificationOf,
  type ComponentFootprint,
} from '../../lambdas/shared/component-decisions';

/** lambdas/shared/component-decisions.ts: the component strategy's pure decisions. */

describe('specificationOf (DescribeInferenceComponent summary → UpdateInferenceComponent specification)', () => {
  it('GIVEN a container summarised as DeployedImage (API_InferenceComponentContainerSpecificationSummary) THEN Image is the resolved digest, the rest kept', () => {
    const spec = specificationOf({
      Container: {
        DeployedImage: { SpecifiedImage: 'repo/llm:latest', ResolvedImage: 'repo/llm@sha256:abc', ResolutionTime: new Date(0) },
        ArtifactUrl: 's3://models/llm.tar.gz',
        Environment: { A: '1' },
      },
      ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 2048 },
      StartupParameters: { ModelDataDownloadTimeoutInSeconds: 600 },
    });
    expect(spec).toEqual({
      Container: { Image: 'repo/llm@sha256:abc', ArtifactUrl: 's3://models/llm.tar.gz', Environment: { A: '1' } },
      ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 2048 },
      StartupParameters: { ModelDataDownloadTimeoutInSeconds: 600 },
    });
    expect(spec.Container).not.toHaveProperty('DeployedImage');
  });

  it('GIVEN no resolved image THEN the specified one; GIVEN a model and no container THEN just the model', () => {
    expect(specificationOf({ Container: { DeployedImage: { SpecifiedImage: 'repo/llm:1' } } })).toEqual({ Container: { Image: 'repo/llm:1' } });
    expect(specificationOf({ ModelName: 'm', ComputeResourceRequirements: { MinMemoryRequiredInMb: 1 } })).toEqual({ ModelName: 'm', ComputeResourceRequirements: { MinMemoryRequiredInMb: 1 } });
    expect(specificationOf(undefined)).toEqual({});
  });
});

describe('greenSpecification', () => {
  it("GIVEN blue's specification THEN green's model, blue's compute and container environment, NOT blue's image or artifact", () => {
    const green = greenSpecification(
      { ModelName: 'blue-m', Container: { Image: 'blue-image', ArtifactUrl: 's3://blue', Environment: { MAX_BATCH: '8' } }, ComputeResourceRequirements: { MinMemoryRequiredInMb: 1024 } },
      'green-m',
    );
    expect(green).toEqual({ ModelName: 'green-m', Container: { Environment: { MAX_BATCH: '8' } }, ComputeResourceRequirements: { MinMemoryRequiredInMb: 1024 } });
  });

  it('GIVEN a container with only an image THEN no container is left', () => {
    expect(greenSpecification({ Container: { Image: 'x' }, ComputeResourceRequirements: { MinMemoryRequiredInMb: 1 } }, 'g')).toEqual({ ModelName: 'g', ComputeResourceRequirements: { MinMemoryRequiredInMb: 1 } });
  });
});

describe('the rolling update (API_InferenceComponentRollingUpdatePolicy: MaximumBatchSize 5–50% of the copy count)', () => {
  it.each([
    [2, 1],
    [3, 1],
    [4, 2],
    [9, 4],
    [40, 20],
  ])('GIVEN %i copies THEN the default batch is the largest within 50%%: %i', (copies, batch) => {
    expect(defaultBatchCopies(copies)).toBe(batch);
    expect(batch / copies).toBeLessThanOrEqual(0.5);
    expect(batch / copies).toBeGreaterThanOrEqual(0.05);
  });

  it('GIVEN one copy THEN it cannot roll: no plan, no DeploymentConfig, no rolling wait', () => {
    expect(rollingPlan(1, undefined)).toBeUndefined();
    expect(componentDeploymentConfig(1, undefined, ['a'], 3600)).toBeUndefined();
    expect(rollingSeconds(1, { waitSeconds: 600 })).toBe(0);
  });

  it("GIVEN the input's batch, wait and rollback batch THEN a DeploymentConfig in copies with the alarms (at most 10) and twice the deadline as SageMaker's timeout", () => {
    const alarms = Array.from({ length: 12 }, (_, i) => `alarm-${i}`);
    expect(componentDeploymentConfig(6, { maximumBatchCopies: 2, waitSeconds: 120, rollbackMaximumBatchCopies: 3 }, alarms, 1000)).toEqual({
      RollingUpdatePolicy: {
        MaximumBatchSize: { Type: 'COPY_COUNT', Value: 2 },
        WaitIntervalInSeconds: 120,
        MaximumExecutionTimeoutInSeconds: 2000,
        RollbackMaximumBatchSize: { Type: 'COPY_COUNT', Value: 3 },
      },
      AutoRollbackConfiguration: { Alarms: alarms.slice(0, 10).map((AlarmName) => ({ AlarmName })) },
    });
    expect(rollingSeconds(6, { maximumBatchCopies: 2, waitSeconds: 120 })).toBe(3 * 120);
  });

  it("GIVEN defaults THEN 300 s per batch, no rollback batch (SageMaker's default: all at once), the timeout within 600–28800, no alarm list when none", () => {
    const config = componentDeploymentConfig(4, undefined, [], 100) as { RollingUpdatePolicy: Record<string, unknown> };
    expect(config).toEqual({ RollingUpdatePolicy: { MaximumBatchSize: { Type: 'COPY_COUNT', Value: 2 }, WaitIntervalInSeconds: 300, MaximumExecutionTimeoutInSeconds: 600 } });
    expect((componentDeploymentConfig(4, undefined, [], 50_000) as typeof config).RollingUpdatePolicy.MaximumExecutionTimeoutInSeconds).toBe(28_800);
  });
});

describe('judgeComponent', () => {
  const c = (status: string, model: string, extra: Record<string, unknown> = {}) => ({ InferenceComponentName: 'ic', InferenceComponentStatus: status, Specification: { ModelName: model }, RuntimeConfig: { CurrentCopyCount: 2 }, ...extra }) as never;
  it('GIVEN InService on the expected model THEN ready; Updating THEN pending until the deadline', () => {
    expect(judgeComponent(c('InService', 'green'), 'ic', 'green', 1, 5)).toEqual({ kind: 'ready' });
    expect(judgeComponent(c('Updating', 'green'), 'ic', 'green', 1, 5)).toEqual({ kind: 'pending', status: 'Updating' });
    expect(judgeComponent(c('Updating', 'green'), 'ic', 'green', 5, 5)).toMatchObject({ kind: 'failed', error: 'DeadlineExceeded' });
  });
  it("GIVEN SageMaker's auto-rollback (InService on blue's model, FailureReason naming the alarm) THEN failed, naming the alarm", () => {
    const verdict = judgeComponent(c('InService', 'blue', { FailureReason: 'Rolled back: CloudWatch alarm team-errors is in ALARM.' }), 'ic', 'green', 2, 5);
    expect(verdict).toMatchObject({ kind: 'failed', error: 'GreenNotInService', rolledBackBy: 'team-errors' });
  });
  it('GIVEN gone, Failed, or no copy THEN failed', () => {
    expect(judgeComponent(undefined, 'ic', 'green', 1, 5)).toMatchObject({ kind: 'failed', error: 'GreenNotInService' });
    expect(judgeComponent(c('Failed', 'green', { FailureReason: 'ping' }), 'ic', 'green', 1, 5)).toMatchObject({ kind: 'failed', message: 'inference component ic is Failed: ping' });
    expect(judgeComponent(c('InService', 'green', { RuntimeConfig: { CurrentCopyCount: 0 } }), 'ic', 'green', 1, 5)).toMatchObject({ kind: 'failed' });
  });
});

describe('componentChange (outside changes to the target component)', () => {
  const f = (extra: Partial<ComponentFootprint> = {}): ComponentFootprint => ({ name: 'ic', blueModel: 'blue', greenModel: 'green', copies: 4, greenAsked: false, sawGreen: false, rollingBack: false, ...extra });
  const c = (model: string, extra: Record<string, unknown> = {}) => ({ InferenceComponentStatus: 'InService', Specification: { ModelName: model }, RuntimeConfig: { DesiredCopyCount: 4, CurrentCopyCount: 4 }, ...extra }) as never;
  it("GIVEN the promotion's own states THEN no change", () => {
    expect(componentChange(c('blue'), f())).toBeUndefined();
    expect(componentChange(c('green', { InferenceComponentStatus: 'Updating' }), f({ greenAsked: true }))).toBeUndefined();
    expect(componentChange(c('blue', { FailureReason: 'rolled back' }), f({ greenAsked: true, sawGreen: true }))).toBeUndefined();
    expect(componentChange(c('blue'), f({ greenAsked: true, sawGreen: true, rollingBack: true }))).toBeUndefined();
  });
  it('GIVEN deleted, another model, green before the switch was asked, blue back without FailureReason, or other copies THEN the change, named', () => {
    expect(componentChange(undefined, f())).toMatchObject({ kind: 'deleted' });
    expect(componentChange(c('blue', { InferenceComponentStatus: 'Deleting' }), f())).toMatchObject({ kind: 'deleted' });
    expect(componentChange(c('theirs'), f({ greenAsked: true }))).toMatchObject({ kind: 'specification', change: expect.stringMatching(/runs model theirs/) });
    expect(componentChange(c('green'), f())).toMatchObject({ kind: 'specification' });
    expect(componentChange(c('blue'), f({ greenAsked: true, sawGreen: true }))).toMatchObject({ kind: 'back-on-blue' });
    expect(componentChange(c('blue', { RuntimeConfig: { DesiredCopyCount: 6 } }), f())).toMatchObject({ kind: 'copies', change: expect.stringMatching(/wants 6 copies, expected 4/) });
  });
  it('GIVEN a copy count moved on a component with autoscaling THEN no change', () => {
    expect(componentChange(c('blue', { RuntimeConfig: { DesiredCopyCount: 6 } }), f(), true)).toBeUndefined();
  });
});

describe('nextComponentRollbackAction', () => {
  const f = { name: 'ic', blueModel: 'blue', greenModel: 'green' };
  const c = (status: string, model: string, extra: Record<string, unknown> = {}) => ({ InferenceComponentStatus: status, Specification: { ModelName: model }, ...extra }) as never;
  it("GIVEN SageMaker rolling green out with the abort alarm in its list THEN trip it once, then wait", () => {
    expect(nextComponentRollbackAction(c('Updating', 'green'), f, { alarmName: 'abort', tripped: false, watched: true })).toEqual({ kind: 'tripAbortAlarm', alarmName: 'abort' });
    expect(nextComponentRollbackAction(c('Updating', 'green'), f, { alarmName: 'abort', tripped: true, watched: true })).toMatchObject({ kind: 'wait' });
    // One copy: no DeploymentConfig, SageMaker watches no alarm: wait for the update, then update back.
    expect(nextComponentRollbackAction(c('Updating', 'green'), f, { alarmName: 'abort', tripped: false, watched: false })).toMatchObject({ kind: 'wait' });
  });
  it("GIVEN green serving THEN update back to blue's specification; GIVEN blue serving or no component THEN done", () => {
    expect(nextComponentRollbackAction(c('InService', 'green'), f)).toEqual({ kind: 'updateToBlue' });
    expect(nextComponentRollbackAction(c('InService', 'blue', { FailureReason: 'alarm x' }), f)).toMatchObject({ kind: 'done', note: expect.stringMatching(/serves blue's model blue \(SageMaker: alarm x\)/) });
    expect(nextComponentRollbackAction(undefined, f)).toMatchObject({ kind: 'done' });
  });
});

describe('rollingReason (the strategyReason validate-input records)', () => {
  it('GIVEN one copy THEN it says the copies are replaced at once and the workflow alone watches; GIVEN several THEN the batches', () => {
    expect(rollingReason(1, undefined)).toMatch(/replaced at once \(UpdateInferenceComponent without DeploymentConfig\) and the workflow's bake alone watches green/);
    expect(rollingReason(4, { waitSeconds: 60 })).toBe('rolling update of 4 copies, 2 per batch (2 batches), 60 s baked each, SageMaker rolling back on the guardrail alarms');
  });
});

describe('the component strategy in the shared decisions', () => {
  const p = aPromotion({
    strategy: 'component',
    kind: 'inference-component',
    inferenceComponentName: 'ic',
    validation: { mode: 'endpoint', contentType: 'application/json', maxLatencyMs: 1000, samples: [{ name: 's', body: '{}' }] },
  });
  const blueComponent = { name: 'ic', variantName: 'AllTraffic', modelName: p.names.model.replace(/-v2-/, '-v1-'), specification: { ModelName: 'x' }, copyCount: 4 };
  const blue = aBlue({ component: blueComponent, modelNames: [blueComponent.modelName] });
  const green = componentGreenState(p, blueComponent, blue.endpointConfigName!, [], undefined);
  const state = { promotion: p, blue, green };

  it("GIVEN a promotion THEN cleanup deletes blue's own model, no config (the endpoint keeps blue's), and the abort alarm too", () => {
    const plan = cleanupPlan('blue', state, { configs: new Set(), models: new Set() });
    expect(plan.configs).toEqual([]);
    expect(plan.models).toEqual([blueComponent.modelName]);
    expect(plan.alarms).toContain(`${p.names.alarmPrefix}-abort`);
    // After a rollback: green's model only.
    expect(cleanupPlan('green', state, { configs: new Set(), models: new Set() })).toMatchObject({ configs: [], models: [p.names.model] });
  });

  it("GIVEN a model some component still runs THEN it is kept", () => {
    expect(cleanupPlan('blue', state, { configs: new Set(), models: new Set([blueComponent.modelName]) })).toMatchObject({ models: [], kept: [{ resource: `model ${blueComponent.modelName}` }] });
  });

  it('GIVEN the validation component as green THEN green keeps the endpoint config and validates on the promotion-named component', () => {
    expect(green).toMatchObject({ greenConfigName: blue.endpointConfigName, validationComponentName: p.names.validationComponent, variantName: 'AllTraffic', componentSpecification: { ModelName: p.names.model } });
    expect(isOwnName(p.endpointName, p.names.validationComponent)).toBe(true);
    // Validation off (no samples): no validation component.
    expect(componentGreenState({ ...p, validation: { ...p.validation, samples: [] } }, blueComponent, 'c', [], undefined)).not.toHaveProperty('validationComponentName');
  });

  it('GIVEN endpoint events THEN the waits of a component still poll every poll interval (no endpoint event tells its progress)', () => {
    const plan = { strategy: 'component' as const, traffic: p.traffic, bakeSeconds: 600, inServicePolls: 120, pollSeconds: 30, endpointEvents: true };
    expect(nextWaitSeconds('shift', plan, 1)).toBe(30);
    expect(nextWaitSeconds('shift', { ...plan, strategy: 'variant' }, 1)).toBeGreaterThan(30);
  });
});

describe('componentCapacityHint', () => {
  it('GIVEN a FailureReason naming capacity THEN the fix for the phase: more instances, ManagedInstanceScaling, and validation.mode off (standUp) or a smaller batch (shift)', () => {
    const reason = 'Insufficient capacity: 1 copy of inference component x-val does not fit';
    expect(componentCapacityHint('standUp', reason)).toMatch(/validation copy needs room .*add instances to the variant, enable ManagedInstanceScaling .*, or set validation\.mode off/);
    expect(componentCapacityHint('shift', reason)).toMatch(/each rolling batch.*needs room .*, or a smaller rollingUpdate\.maximumBatchCopies/);
  });

  it('GIVEN another FailureReason, or none THEN no hint', () => {
    expect(componentCapacityHint('standUp', 'The container for inference component x did not pass the ping health check.')).toBe('');
    expect(componentCapacityHint('shift', undefined)).toBe('');
  });
});
