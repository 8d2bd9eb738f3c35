import type { Route, Routes } from '../lambdas/shared/triggers';

/**
 * The construct's approval routes as plain readonly interfaces and string enums, so the public API
 * has no zod-inferred, mapped or union types (jsii-compatible). Each enum's values are the JSON
 * spellings of cdk.json and the execution input; the shapes mirror `routeSchema`
 * (lambdas/shared/triggers.ts), and the check at the end of this file fails to compile when they drift.
 */

/** How green gets traffic (README "Strategies"). */
export enum Strategy {
  /** SageMaker's own blue/green deployment: one fleet, variant name kept, validated first on a short-lived validation endpoint. */
  GUARDRAILS = 'guardrails',
  /** A zero-weight variant beside blue, then the weights flip. */
  VARIANT = 'variant',
}

/** How SageMaker moves traffic to green with the `guardrails` strategy. */
export enum TrafficType {
  /** All traffic at once. */
  ALL_AT_ONCE = 'ALL_AT_ONCE',
  /** A share of the instances first, then the rest. */
  CANARY = 'CANARY',
  /** Equal steps. */
  LINEAR = 'LINEAR',
}

/** Where green is validated with the `guardrails` strategy. */
export enum ValidationMode {
  /** On a short-lived one-instance validation endpoint, before any user request reaches green. */
  ENDPOINT = 'endpoint',
  /** Not validated before it takes traffic. */
  OFF = 'off',
}

/** What an approval does while a promotion of the same endpoint is running. */
export enum OnNewerApproval {
  /** Start it when the running promotion ends (the latest approval per endpoint wins). */
  QUEUE = 'queue',
  /** Roll the running promotion back, then start it. */
  SUPERSEDE = 'supersede',
}

/** SageMaker's traffic routing for the `guardrails` strategy (TrafficRoutingConfig). */
export interface TrafficRouting {
  /** How traffic moves. */
  readonly type: TrafficType;
  /** CANARY: the canary's share of the instances (1–50); LINEAR: each step (10–50). @default - 10 for CANARY, 25 for LINEAR */
  readonly percent?: number;
  /** Seconds of baking after the canary or each linear step (0–3600), SageMaker watching the alarms. @default 300 */
  readonly waitSeconds?: number;
}

/** One request sent to green before it gets traffic: exactly one of `body` or `s3Uri`. */
export interface ValidationSample {
  /** Label used in logs and in the rollback reason. @default - "sample-<n>" */
  readonly name?: string;
  /** Request body sent as is, at most 32 KiB. @default - none: then `s3Uri` is required */
  readonly body?: string;
  /** Read the request body from S3 (`s3://bucket/key`). @default - none: then `body` is required */
  readonly s3Uri?: string;
  /** Content type of this sample. @default - the route's `validation.contentType` */
  readonly contentType?: string;
  /** Expected HTTP status (200–599). @default 200 */
  readonly expectedStatus?: number;
  /** Text the response body must contain. @default - not checked */
  readonly expectContains?: string;
  /** Keys and values that must appear (deep-equal) in the JSON response. @default - not checked */
  readonly expectJson?: { [key: string]: unknown };
}

/** How green is validated before it gets traffic. */
export interface ValidationOptions {
  /** `guardrails` only: where green is validated. @default ValidationMode.ENDPOINT */
  readonly mode?: ValidationMode;
  /** Content type of the requests. @default 'application/json' */
  readonly contentType?: string;
  /** Accept header of the requests. @default - none */
  readonly accept?: string;
  /** Latency ceiling of each request in milliseconds (1–60000). @default - the construct's `maxValidationLatency` */
  readonly maxLatencyMs?: number;
  /** Asynchronous endpoints: seconds each sample's output (or failure) may take to appear in S3 (1–600). @default 120 */
  readonly asyncOutputSeconds?: number;
  /** Requests sent to green only (1–50). @default - none: green is not validated with requests */
  readonly samples?: ValidationSample[];
}

/** Alarms on green's own variant metrics during the bake of a route's promotions. */
export interface RouteGreenAlarms {
  /** Create them. @default - the construct's `greenAlarms.enabled` */
  readonly enabled?: boolean;
  /** Invocation5XXErrors (Sum per period: green's metrics' publish interval) above this means ALARM. @default - the construct's `greenAlarms.max5xxErrors` */
  readonly max5xxErrors?: number;
  /** ModelLatency (Average per period) above this many milliseconds means ALARM. @default - the construct's `greenAlarms.maxModelLatency` */
  readonly maxModelLatencyMs?: number;
  /** Serverless endpoints only: ModelSetupTime (a cold start's launch, Maximum per period) above this many milliseconds means ALARM. @default - no cold-start alarm */
  readonly maxModelSetupTimeMs?: number;
}

/** What too little traffic on green during the bake leads to. */
export enum OnTooLittleTraffic {
  /** Extend the bake by `extendSeconds` (at most twice), then roll back. */
  EXTEND = 'extend',
  /** Roll back. */
  ROLLBACK = 'rollback',
}

/** A guard against a bake that saw too little of green: judged at the bake's end from green's Invocations metric. */
export interface BakeTrafficOptions {
  /** Green must get at least this many requests during the bake (1–1,000,000,000). */
  readonly minInvocations: number;
  /** What fewer requests lead to. @default OnTooLittleTraffic.ROLLBACK */
  readonly onTooLittleTraffic?: OnTooLittleTraffic;
  /** `extend`: seconds each extension adds to the bake (60 to the longest bake). @default 600 */
  readonly extendSeconds?: number;
}

/** What a manual approval gate that nobody answers in time leads to. */
export enum ApprovalTimeoutAction {
  /** Back to blue (reason "approval timed out"). */
  ROLLBACK = 'rollback',
  /** Go on as if approved. */
  PROMOTE = 'promote',
}

/**
 * The manual approval gate (README "Approval gate"): after green is validated, before any user traffic
 * moves, the promotion waits for `bluegreen approve` or `bluegreen reject`.
 */
export interface ApprovalGateOptions {
  /** Wait for a person. @default true (false turns off a gate set as the construct's or cdk.json's default) */
  readonly required?: boolean;
  /** How long to wait for an answer, 60 s to 18 h; with the bake it must fit the execution timeout. @default 3600 */
  readonly timeoutSeconds?: number;
  /** What happens when nobody answers in time. @default ApprovalTimeoutAction.ROLLBACK */
  readonly onTimeout?: ApprovalTimeoutAction;
}

/** The endpoints an approved version of a model package group is promoted onto, and how. */
export interface ApprovalRoute {
  /** Endpoints promoted on each approval (at least one), each managed by the construct (`endpointNames` or `endpointNamePrefix`). */
  readonly endpoints: string[];
  /** How green gets traffic. @default - the construct's `strategy` */
  readonly strategy?: Strategy;
  /** `guardrails` only: how SageMaker moves traffic. @default - all at once */
  readonly traffic?: TrafficRouting;
  /** Bake in seconds: how long guardrail alarms are watched after the shift. @default - the construct's `bakeDuration` */
  readonly bakeSeconds?: number;
  /** CloudWatch alarms watched during the bake, besides the construct's `guardrailAlarmNames`. @default - none */
  readonly guardrailAlarmNames?: string[];
  /** Requests green must answer before it gets traffic. @default - no validation requests */
  readonly validation?: ValidationOptions;
  /** Alarms on green's own variant metrics. @default - the construct's `greenAlarms` */
  readonly greenAlarms?: RouteGreenAlarms;
  /** Too little traffic on green during the bake → extend it or roll back. @default - the construct's `bakeTraffic` */
  readonly bakeTraffic?: BakeTrafficOptions;
  /** Wait for a person after green is validated, before traffic moves. @default - the construct's `approval` (none) */
  readonly approval?: ApprovalGateOptions;
  /** An approval while a promotion of the endpoint runs. @default OnNewerApproval.QUEUE */
  readonly onNewerApproval?: OnNewerApproval;
  /** Promote approvals of versions older than the live one (true) or refuse and record them (false). @default false */
  readonly allowDowngrade?: boolean;
}

/** cdk.json's routes as construct props: the same shape (checked below), enum values spelled as in JSON. */
export function approvalRoutesFromJson(routes: Routes): { [modelPackageGroupName: string]: ApprovalRoute } {
  return routes as { [modelPackageGroupName: string]: ApprovalRoute };
}

/** cdk.json's approval gate as the construct's props (the enum's values are the JSON spellings). */
export function approvalFromJson(approval: NonNullable<Route['approval']>): ApprovalGateOptions {
  return approval as ApprovalGateOptions;
}

/** cdk.json's strategy as the construct's enum (the enum's values are the JSON spellings, checked below). */
export function strategyFromJson(strategy: `${Strategy}`): Strategy {
  return strategy as Strategy;
}

// Compile-time drift check: ApprovalRoute and the zod Route are the same type once enums are read as
// their values and readonly is dropped (a field added, removed, renamed or retyped on either side fails here).
type Plain<T> =
  T extends string ? `${T}`
  : T extends readonly (infer U)[] ? Plain<U>[]
  : T extends object ? { -readonly [K in keyof T]: Plain<T[K]> }
  : T;
type Same<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true : false;
const routesMatch: Same<Plain<ApprovalRoute>, Plain<Route>> = true;
void routesMatch;
