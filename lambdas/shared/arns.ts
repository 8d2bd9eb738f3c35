/** ARN parsing without zod, so steps that only read ARNs keep small bundles. */
export function modelPackageParts(arn: string): { region: string; account: string; group: string; version: number } {
  const match = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):(\d{12}):model-package\/([^/]+)\/(\d+)$/.exec(arn);
  if (!match) throw new Error(`not a versioned model package ARN: ${arn}`);
  return { region: match[1]!, account: match[2]!, group: match[3]!, version: Number(match[4]) };
}

/** The model package a model was built from (a container's ModelPackageName ARN), if any. */
export function packageArnOf(model: { PrimaryContainer?: { ModelPackageName?: string }; Containers?: Array<{ ModelPackageName?: string }> } | undefined): string | undefined {
  const containers = [...(model?.PrimaryContainer ? [model.PrimaryContainer] : []), ...(model?.Containers ?? [])];
  return containers.find((c) => c.ModelPackageName?.startsWith('arn:'))?.ModelPackageName;
}

/** A versioned model package ARN's version; undefined for none or an unversioned (marketplace) package. */
export function versionOf(modelPackageArn: string | undefined): number | undefined {
  if (!modelPackageArn) return undefined;
  try {
    return modelPackageParts(modelPackageArn).version;
  } catch {
    return undefined;
  }
}

/** An execution's ARN from its state machine's ARN and its name (the ARN format of the API reference). */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
