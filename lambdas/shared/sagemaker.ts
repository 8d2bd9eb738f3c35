import {
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  type DescribeEndpointOutput,
} from '@aws-sdk/client-sagemaker';
import { sagemaker } from './clients/sagemaker';
import { isNotFound } from './errors';

/** DescribeEndpoint, with "does not exist" (SageMaker's ValidationException "Could not find endpoint") as undefined. */
export async function describeEndpointIfExists(endpointName: string): Promise<DescribeEndpointOutput | undefined> {
  try {
    return await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Runs a create; a resource with that name already existing is fine, because names are deterministic per promotion (a retried step). */
export async function createIfAbsent(create: () => Promise<unknown>, exists: () => Promise<boolean>): Promise<'created' | 'existed'> {
  if (await exists()) return 'existed';
  try {
    await create();
    return 'created';
  } catch (error) {
    // A concurrent try may have won the race between the check and the create.
    if (error instanceof Error && error.name === 'ValidationException' && /already exist/i.test(error.message) && (await exists())) {
      return 'existed';
    }
    throw error;
  }
}

/** Runs a delete; "already gone" counts as deleted, so a retried cleanup succeeds. */
export async function deleteIfPresent(remove: () => Promise<unknown>): Promise<'deleted' | 'absent'> {
  try {
    await remove();
    return 'deleted';
  } catch (error) {
    if (isNotFound(error)) return 'absent';
    throw error;
  }
}

export async function existsBy(describe: () => Promise<unknown>): Promise<boolean> {
  try {
    await describe();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

export const MANAGED_TAG = 'sagemaker-bluegreen:promotion';
export const VERSION_TAG = 'sagemaker-bluegreen:model-package-version';
export const PACKAGE_TAG = 'sagemaker-bluegreen:model-package-arn';
/**
 * The environment a model serves as once live: `green` when a promotion put it over a
 * blue, `blue` for a first deployment. `bluegreen status` reports it as the active environment.
 */
export const ENVIRONMENT_TAG = 'sagemaker-bluegreen:environment';

/** Deletes an endpoint unless it is gone or already being deleted (a retried step). */
export async function deleteEndpointIfPresent(endpointName: string): Promise<'deleted' | 'absent'> {
  const endpoint = await describeEndpointIfExists(endpointName);
  if (!endpoint || endpoint.EndpointStatus === 'Deleting') return 'absent';
  return deleteIfPresent(() => sagemaker.send(new DeleteEndpointCommand({ EndpointName: endpointName })));
}
