/**
 * Pure decisions of `bluegreen status`: which environment serves the endpoint, and which
 * model version. No SDK, no clock: tested without AWS.
 */
export type Environment = 'blue' | 'green';

export interface VariantFacts {
  variantName: string;
  currentWeight: number;
  /** The `sagemaker-bluegreen:environment` tag of the variant's model. */
  environmentTag?: string;
  /** The `sagemaker-bluegreen:model-package-version` tag of the variant's model. */
  versionTag?: string;
  /** The version in the model's container ModelPackageName ARN. */
  packageVersion?: number;
  modelName?: string;
}

export interface ActiveEnvironment {
  environment: Environment;
  /** The variant carrying the traffic (most weight), if the endpoint has any. */
  servingVariant?: string;
  /** Model package version it serves, or `unknown`. */
  modelVersion: string;
}

function heaviest<T extends VariantFacts>(variants: T[]): T | undefined {
  return variants.reduce<T | undefined>((best, v) => (best === undefined || v.currentWeight > best.currentWeight ? v : best), undefined);
}

export function modelVersionOf(variant: VariantFacts | undefined): string {
  if (variant?.versionTag) return variant.versionTag;
  if (variant?.packageVersion !== undefined) return String(variant.packageVersion);
  return 'unknown';
}

/** The promotion in flight's green, as its names are derived: its variant (variant strategy) or its model (either). */
export interface GreenIdentity {
  greenVariant?: string;
  greenModel?: string;
}

/**
 * With a promotion in flight: `blue` while the variants that were there before it carry the
 * traffic, `green` once the promotion's own variant does (by CurrentWeight). Green is the
 * variant with green's name (variant strategy) or running green's model (guardrails keeps
 * blue's variant name, and the endpoint runs green's model once SageMaker's deployment has
 * moved the traffic). Otherwise the serving model's environment tag says (no tag: `blue`,
 * what any endpoint is before its first promotion).
 */
export function activeEnvironment(variants: VariantFacts[], inFlight?: GreenIdentity): ActiveEnvironment {
  if (inFlight && (inFlight.greenVariant !== undefined || inFlight.greenModel !== undefined)) {
    const isGreen = (v: VariantFacts) => v.variantName === inFlight.greenVariant || (v.modelName !== undefined && v.modelName === inFlight.greenModel);
    const green = variants.find(isGreen);
    const blues = variants.filter((v) => !isGreen(v));
    const blueWeight = blues.reduce((sum, v) => sum + v.currentWeight, 0);
    if (green && green.currentWeight > blueWeight) {
      return { environment: 'green', servingVariant: green.variantName, modelVersion: modelVersionOf(green) };
    }
    const serving = heaviest(blues);
    return { environment: 'blue', servingVariant: serving?.variantName, modelVersion: modelVersionOf(serving) };
  }
  const serving = heaviest(variants);
  const environment: Environment = serving?.environmentTag === 'green' ? 'green' : 'blue';
  return { environment, servingVariant: serving?.variantName, modelVersion: modelVersionOf(serving) };
}

export function statusHeadline(active: ActiveEnvironment): string {
  return `Active environment: ${active.environment}, Model version: ${active.modelVersion}`;
}
