import { createHash } from 'node:crypto';

/**
 * Deterministic, readable names for what a promotion creates: the same promotion id
 * always yields the same names, so a retried step finds its own resource instead of
 * creating a second one. Shape: <endpoint>-v<version>-<hash6>[-suffix], trimmed so the
 * whole name fits SageMaker's 63 characters and pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}.
 */
export const MAX_NAME = 63;

/** Step Functions execution names: 1–80 characters (API_StartExecution). */
export const MAX_EXECUTION_NAME = 80;

export function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 6);
}

function fit(base: string, tail: string): string {
  const room = MAX_NAME - tail.length;
  const trimmed = base.slice(0, Math.max(1, room)).replace(/-+$/, '');
  return `${trimmed}${tail}`;
}

export interface GreenNames {
  /** The green model (CreateModel from the model package). */
  model: string;
  /** Green alone: what the endpoint runs after finalize (and at a first deployment). */
  greenConfig: string;
  /** Blue's variant(s) as they are plus green at weight 0: the stand-up config. */
  pairConfig: string;
  /** Green's production variant name. */
  variant: string;
  /** Prefix of the guardrail alarms the promotion creates on green's variant. */
  alarmPrefix: string;
  /** guardrails: green's config at one instance, and the short-lived endpoint that runs it for validation. */
  validationConfig: string;
  validationEndpoint: string;
  /** component: the short-lived inference component that runs green's specification for validation (component names are their own namespace). */
  validationComponent: string;
}

export function greenNames(endpointName: string, version: number, promotionId: string): GreenNames {
  const hash = shortHash(promotionId);
  const tail = `-v${version}-${hash}`;
  return {
    model: fit(endpointName, tail),
    greenConfig: fit(endpointName, tail),
    pairConfig: fit(endpointName, `${tail}-pair`),
    variant: `v${version}-${hash}`,
    alarmPrefix: `bluegreen-${endpointName}-v${version}-${hash}`,
    validationConfig: fit(endpointName, `${tail}-val`),
    validationEndpoint: fit(endpointName, `${tail}-val`),
    validationComponent: fit(endpointName, `${tail}-val`),
  };
}

/**
 * How many leading characters of the endpoint name every created name keeps (63 minus
 * the longest tail "-v99999-abcdef-pair"). IAM policies scope SageMaker writes to
 * `<this prefix>*`, so it is part of the security contract.
 */
export const OWN_PREFIX_LENGTH = 44;

/** Did a promotion of this endpoint create this model/config? (Only those are ever deleted.) */
export function isOwnName(endpointName: string, name: string): boolean {
  const prefix = endpointName.slice(0, OWN_PREFIX_LENGTH).toLowerCase();
  return name.toLowerCase().startsWith(prefix) && /-v\d+-[0-9a-f]{6}(-pair|-val)?$/.test(name);
}
