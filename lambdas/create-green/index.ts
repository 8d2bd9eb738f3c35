import {
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  type CreateEndpointConfigInput,
} from '@aws-sdk/client-sagemaker';
import { sagemaker } from '../shared/clients/sagemaker';
import { componentGreenState } from '../shared/component-decisions';
import type { GreenState, PromotionState } from '../shared/contracts';
import { FIRST_VARIANT, firstDeploymentConfig, greenConfigsFromBlue, guardrailsConfigsFromBlue, validatesOnEndpoint } from '../shared/decisions';
import { invocationPublishSeconds } from '../shared/detection';
import { validationAsyncConfig } from '../shared/async-validation';
import { switchesConfig } from '../shared/kinds';
import { InvalidPromotionInput, ModelPackageNotDeployable } from '../shared/errors';
import { stateKeys, step } from '../shared/handler';
import { throwIfAbortRequested } from '../shared/abort';
import { createIfAbsent, ENVIRONMENT_TAG, existsBy, MANAGED_TAG, PACKAGE_TAG, VERSION_TAG } from '../shared/sagemaker';
import { settings } from '../shared/settings';

/**
 * Green's model (from the approved model package) and its endpoint configs, copied from
 * blue's. Names are the promotion's deterministic ones, so a retry finds what an
 * earlier try created.
 */
export const handler = step('create-green', stateKeys, async (state: PromotionState): Promise<GreenState> => {
  await throwIfAbortRequested(state);
  const p = state.promotion;
  const blue = state.blue;
  const s = settings();

  const pkg = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: p.modelPackageArn }));
  if (pkg.ModelApprovalStatus !== 'Approved') {
    // Checked again here: approval may have been revoked since the input was validated.
    throw new ModelPackageNotDeployable(`model package ${p.modelPackageArn} is ${pkg.ModelApprovalStatus}; only Approved packages are deployed`);
  }

  const blueModel = blue?.exists && blue.modelNames[0] ? await sagemaker.send(new DescribeModelCommand({ ModelName: blue.modelNames[0] })) : undefined;
  const role = p.executionRoleArn ?? blueModel?.ExecutionRoleArn ?? s.allowedRoleArns[0];
  if (!role) throw new InvalidPromotionInput('executionRoleArn: no model execution role known; pass executionRoleArn or configure modelExecutionRoleArns on the construct');
  if (s.allowedRoleArns.length > 0 && !s.allowedRoleArns.includes(role)) {
    throw new InvalidPromotionInput(`executionRoleArn: ${role} (blue's model role) is not one this stack may pass; add it to modelExecutionRoleArns or pass an allowed executionRoleArn`);
  }

  const tags = [
    { Key: MANAGED_TAG, Value: p.id },
    { Key: VERSION_TAG, Value: String(p.modelPackageVersion) },
    { Key: PACKAGE_TAG, Value: p.modelPackageArn },
    { Key: ENVIRONMENT_TAG, Value: blue?.exists ? 'green' : 'blue' },
  ];
  const names = p.names;
  const created: string[] = [];
  const note = (what: string, result: 'created' | 'existed') => created.push(`${what}${result === 'existed' ? ' (found from an earlier try)' : ''}`);

  note(
    `model ${names.model}`,
    await createIfAbsent(
      () =>
        sagemaker.send(
          new CreateModelCommand({
            ModelName: names.model,
            ExecutionRoleArn: role,
            PrimaryContainer: { ModelPackageName: p.modelPackageArn },
            VpcConfig: blueModel?.VpcConfig,
            EnableNetworkIsolation: blueModel?.EnableNetworkIsolation,
            Tags: tags,
          }),
        ),
      () => existsBy(() => sagemaker.send(new DescribeModelCommand({ ModelName: names.model }))),
    ),
  );

  // component: no endpoint config; green is the component's specification with green's model (component-decisions.ts).
  if (p.strategy === 'component' && blue?.component && blue.endpointConfigName) {
    const blueConfig = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: blue.endpointConfigName }));
    return componentGreenState(p, blue.component, blue.endpointConfigName, created, invocationPublishSeconds(blueConfig.MetricsConfig));
  }
  const configs: CreateEndpointConfigInput[] = [];
  // Green's config copies blue's MetricsConfig: its alarms' period follows the interval its metrics are published at.
  let metricPublishSeconds: number | undefined;
  if (blue?.exists) {
    const [blueConfig, blueEndpoint] = await Promise.all([
      sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: blue.endpointConfigName })),
      sagemaker.send(new DescribeEndpointCommand({ EndpointName: p.endpointName })),
    ]);
    metricPublishSeconds = invocationPublishSeconds(blueConfig.MetricsConfig);
    // guardrails and replace (serverless): green's config is blue's with the target's model changed, and a validation config.
    if (switchesConfig(p.strategy)) {
      const both = guardrailsConfigsFromBlue(blueConfig, blueEndpoint, names, tags, p.variantName);
      configs.push(both.green);
      // An async validation endpoint writes its answers under a prefix of its own (lambdas/shared/async-validation.ts).
      if (validatesOnEndpoint(p)) configs.push({ ...both.validation, AsyncInferenceConfig: validationAsyncConfig(blueConfig.AsyncInferenceConfig, names.validationConfig) });
    } else {
      const both = greenConfigsFromBlue(blueConfig, blueEndpoint, names, tags);
      configs.push(both.green, both.pair);
    }
  } else {
    const instanceType = p.instanceType ?? pkg.InferenceSpecification?.SupportedRealtimeInferenceInstanceTypes?.[0];
    if (!instanceType) {
      throw new InvalidPromotionInput(
        `instanceType: endpoint ${p.endpointName} does not exist yet and model package ${p.modelPackageArn} lists no realtime instance type; pass instanceType for the first deployment`,
      );
    }
    configs.push(firstDeploymentConfig({ ...names, variant: FIRST_VARIANT }, instanceType, p.initialInstanceCount ?? 1, tags));
  }
  for (const config of configs) {
    note(
      `endpoint config ${config.EndpointConfigName}`,
      await createIfAbsent(
        () => sagemaker.send(new CreateEndpointConfigCommand(config)),
        () => existsBy(() => sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: config.EndpointConfigName }))),
      ),
    );
  }
  const guardrails = switchesConfig(p.strategy) && blue?.exists === true;
  const validation = guardrails && validatesOnEndpoint(p);
  return {
    modelName: names.model,
    // guardrails (SageMaker's deployment requires it) and replace keep the variant name, so green's is blue's; a first
    // deployment uses SageMaker's conventional name, which later guardrails promotions keep.
    variantName: !blue?.exists ? FIRST_VARIANT : guardrails ? (p.variantName ?? blue.variants[0]?.variantName ?? names.variant) : names.variant,
    greenConfigName: names.greenConfig,
    pairConfigName: blue?.exists && !guardrails ? names.pairConfig : undefined,
    validationConfigName: validation ? names.validationConfig : undefined,
    validationEndpointName: validation ? names.validationEndpoint : undefined,
    created,
    metricPublishSeconds,
  };
});
