/** ARN parsing without zod, so steps that only read ARNs keep small bundles. */
export function modelPackageParts(arn: string): { region: string; account: string; group: string; version: number } {
  const match = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):(\d{12}):model-package\/([^/]+)\/(\d+)$/.exec(arn);
  if (!match) throw new Error(`not a versioned model package ARN: ${arn}`);
  return { region: match[1]!, account: match[2]!, group: match[3]!, version: Number(match[4]) };
}
