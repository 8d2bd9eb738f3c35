import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { approvalSchema, bakeTrafficSchema, DEFAULT_EXTEND_SECONDS, SAGEMAKER_NAME_PATTERN } from '../lambdas/shared/input';
import { longestBakeSeconds } from '../lambdas/shared/detection';
import { OWN_PREFIX_LENGTH } from '../lambdas/shared/naming';
import { ASYNC_VALIDATION_PREFIX } from '../lambdas/shared/async-validation';
import { acknowledgeWildcard } from './nag';
import { ENV, type FunctionConfig } from '../lambdas/shared/settings';
import { type ApprovalGateOptions, type ApprovalRoute, type BakeTrafficOptions, Strategy } from './props';
import { resolveApproval } from '../lambdas/shared/approval';
import { IN_FLIGHT_INDEX } from '../lambdas/shared/locks';
import { QUEUED_INDEX } from '../lambdas/shared/queue-decisions';
import { executionProblems, MAX_BAKE_REASON, MAX_BAKE_SECONDS, SETTLED_ENDPOINT_STATUSES } from '../lambdas/shared/waits';
import { PromotionDefinition } from './definition';
import { type NotificationOptions, PromotionObservability } from './observability';
import { STEPS, StepFunction, type StepName } from './functions';

export interface GreenAlarmOptions {
  /** Create alarms on green's own variant metrics for the bake. @default true */
  readonly enabled?: boolean;
  /**
   * Invocation5XXErrors (Sum over a period) above this means ALARM. The period is the interval green's
   * metrics are published at: 60 s, or 10/30 s when blue's endpoint config (copied to green) has enhanced
   * metrics (`MetricsConfig`), which makes green's alarms high-resolution ones.
   * @default 0
   */
  readonly max5xxErrors?: number;
  /** ModelLatency (Average over a period, as `max5xxErrors`) above this means ALARM. @default Duration.seconds(1) */
  readonly maxModelLatency?: Duration;
}

export interface BlueGreenPromotionProps {
  /** Endpoints this workflow may promote onto, by exact name. @default - none; then `endpointNamePrefix` is required */
  readonly endpointNames?: string[];
  /** Endpoints this workflow may promote onto, by name prefix. @default - none; then `endpointNames` is required */
  readonly endpointNamePrefix?: string;
  /** Model execution roles green's models may run as: the only roles the workflow can pass to SageMaker. */
  readonly modelExecutionRoleArns: string[];
  /** Model package groups whose versions may be deployed. @default - any group of this account */
  readonly modelPackageGroupNames?: string[];
  /**
   * How green gets traffic when neither the input nor the approval route names a strategy:
   * `guardrails` (SageMaker's own blue/green: one fleet, variant name kept, validated first on a
   * short-lived validation endpoint) or `variant` (a zero-weight variant beside blue, weights flip).
   * See the README's strategies table for what each costs.
   * @default Strategy.GUARDRAILS
   */
  readonly strategy?: Strategy;
  /** Default bake: how long guardrail alarms are watched after the shift, at most 18 hours. @default Duration.minutes(30) */
  readonly bakeDuration?: Duration;
  /**
   * How often the bake's backstop checks the guardrail alarms and the endpoint of every promotion
   * baking, in case an alarm event was lost (an EventBridge schedule, outside the executions: the
   * bake is one callback wait however long it is); it also starts an approval queued behind a
   * promotion whose end event was lost, once two runs in a row found its endpoint free. Whole
   * minutes, at least one.
   * @default Duration.minutes(5)
   */
  readonly bakeBackstop?: Duration;
  /**
   * Shortest time between two polls: of the rollback loop, and of an InService wait, which
   * otherwise polls only as a backstop for a lost endpoint event (8 polls per deadline).
   * @default Duration.seconds(30)
   */
  readonly pollInterval?: Duration;
  /** How long green (and a rollback) may take to reach InService before the deadline rolls back. @default Duration.minutes(60) */
  readonly inServiceDeadline?: Duration;
  /** CloudWatch alarms watched during every bake, besides those of the execution input. @default - none */
  readonly guardrailAlarmNames?: string[];
  /** Alarms on green's own variant metrics. @default - enabled, any 5xx or 1 s average model latency */
  readonly greenAlarms?: GreenAlarmOptions;
  /**
   * A guard against a bake that saw too little of green (a bake with no traffic otherwise passes):
   * fewer than `minInvocations` requests to green during the bake → extend it or roll back.
   * @default - none: any traffic, none included, passes
   */
  readonly bakeTraffic?: BakeTrafficOptions;
  /**
   * The manual approval gate of every promotion whose input or approval route names none: after green
   * is validated, before any user traffic moves, wait for `bluegreen approve` / `bluegreen reject`
   * (README "Approval gate"). `required` defaults to true here; an input or route can turn it off.
   * @default - no gate: traffic moves once green is validated
   */
  readonly approval?: ApprovalGateOptions;
  /** Default latency ceiling of each validation request. @default Duration.seconds(2) */
  readonly maxValidationLatency?: Duration;
  /** Buckets validation payloads may be read from (`s3Uri` samples). @default - none: inline payloads only */
  readonly validationPayloadBucketNames?: string[];
  /**
   * Buckets the S3OutputPath/S3FailurePath of the asynchronous endpoints are in: validate-green uploads inline
   * samples there and reads (then deletes) green's answers, only under keys containing `bluegreen-validation/`.
   * @default - none: asynchronous endpoints cannot be validated with samples
   */
  readonly asyncOutputBucketNames?: string[];
  /** Longest an execution may run. @default Duration.hours(24) */
  readonly executionTimeout?: Duration;
  /**
   * Model package group → endpoints (and their bake, alarms, validation): an approval in
   * the Model Registry promotes that version onto those endpoints, or is queued while a promotion
   * runs there (`onNewerApproval`), or refused when older than the live version (`allowDowngrade`);
   * a rejection rolls back a promotion of that version, and moves an endpoint serving it back to
   * the latest other approved one.
   * @default - no approval trigger: promotions start from the console, the API or the CLI
   */
  readonly approvalRoutes?: { [modelPackageGroupName: string]: ApprovalRoute };
  /**
   * Roll back within seconds when a guardrail alarm goes to ALARM (EventBridge rule on
   * CloudWatch Alarm State Change), instead of at the bake's next poll.
   * @default true
   */
  readonly alarmTrigger?: boolean;
  /**
   * End InService waits on SageMaker's endpoint state-change events (EventBridge rule on
   * SageMaker Endpoint State Change), polling only as a backstop; false polls every pollInterval.
   * @default true
   */
  readonly endpointEventTrigger?: boolean;
  /**
   * Restore blue and release the lock when an execution is stopped, times out or fails
   * outside its own error handling (EventBridge rule on Step Functions status changes).
   * @default true
   */
  readonly recoverEndedExecutions?: boolean;
  /** Retention of every log group. @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** Removal policy of the history table. @default RemovalPolicy.RETAIN */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * The EventBridge bus (a name, in this account and region) the state machine publishes each
   * promotion's lifecycle events to (source `sagemaker-bluegreen`, README "Events").
   * @default - the account's default event bus
   */
  readonly eventBusName?: string;
  /**
   * A readable notice of every lifecycle event on an SNS topic (an Amazon Q Developer in chat
   * applications custom notification: subscribe it to reach Slack or Teams; README "Notifications").
   * @default - no notifications
   */
  readonly notifications?: NotificationOptions;
  /** A CloudWatch dashboard of the promotions and of each managed endpoint's blue and green (README "Dashboard"). @default true */
  readonly dashboard?: boolean;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;

/**
 * Blue/green promotion of SageMaker real-time endpoints: the Step Functions workflow,
 * one Lambda per step, and the table holding each endpoint's lock and promotion history.
 */
export class BlueGreenPromotion extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  /** The workflow's step functions, by step (the folder of its handler under lambdas/, e.g. `validate-input`). */
  public readonly functions: { readonly [step: string]: lambda.IFunction };
  /** Functions behind the EventBridge rules (only those configured). */
  public readonly triggers: { [trigger: string]: lambda.IFunction } = {};
  /** The same step functions, typed by step for the grants below. */
  private readonly steps: Record<StepName, StepFunction>;
  /** The rule starting promotions on Model Registry approvals, when `approvalRoutes` is set. */
  public readonly approvalRule?: events.Rule;
  /** The rule sending guardrail alarms to the promotions in flight, unless `alarmTrigger` is false. */
  public readonly alarmRule?: events.Rule;
  /** The rule recovering executions that ended holding their lock, unless `recoverEndedExecutions` is false. */
  public readonly recoveryRule?: events.Rule;
  /** The rule waking InService waits on endpoint state changes, unless `endpointEventTrigger` is false. */
  public readonly endpointRule?: events.Rule;
  /** The schedule of the bake's backstop (every `bakeBackstop`). */
  public readonly backstopRule: events.Rule;
  public readonly table: dynamodb.Table;
  public readonly logGroup: logs.LogGroup;
  /** The bus the lifecycle events go to (`eventBusName`, else the default bus): attach rules on lifecycle events to it. */
  public readonly eventBus: events.IEventBus;
  /** The notification topic and rules, and the dashboard (lib/observability.ts). */
  public readonly observability: PromotionObservability;
  private readonly tableAccess: (fn: iam.IGrantable, actions: string[]) => unknown;
  /** DescribeEndpoint resources of the managed endpoints (set by grantLeastPrivilege). */
  private managedEndpoints: string[] = [];

  constructor(scope: Construct, id: string, props: BlueGreenPromotionProps) {
    super(scope, id);
    validateProps(props);
    const stack = Stack.of(this);
    const pollInterval = props.pollInterval ?? Duration.seconds(30);
    const endpointEvents = props.endpointEventTrigger ?? true;
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const green = props.greenAlarms ?? {};

    this.table = new dynamodb.Table(this, 'History', {
      partitionKey: { name: 'endpointName', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    /** Item access on the table itself (Table.grant would add every index as `index/*`). */
    const tableAccess = (fn: iam.IGrantable, actions: string[]) =>
      fn.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [this.table.tableArn] }));
    this.tableAccess = tableAccess;
    // Sparse: only lock items carry `inFlight`, so this index lists the promotions in flight.
    this.table.addGlobalSecondaryIndex({
      indexName: IN_FLIGHT_INDEX,
      partitionKey: { name: 'inFlight', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'endpointName', type: dynamodb.AttributeType.STRING },
    });
    // Sparse too: only queue items carry `queued`, so the bake's backstop lists the approvals waiting, never the history.
    this.table.addGlobalSecondaryIndex({
      indexName: QUEUED_INDEX,
      partitionKey: { name: 'queued', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'endpointName', type: dynamodb.AttributeType.STRING },
    });

    const routes = props.approvalRoutes ?? {};
    // What the functions need to know, as a document in each function's code asset (lib/functions.ts):
    // no 4 KB environment cap. The environment carries only deploy-time tokens. The routes (which may hold
    // inline validation samples) go to on-approval only, so a route change redeploys that function alone.
    const config: FunctionConfig = {
      settings: {
        pollSeconds: pollInterval.toSeconds(),
        defaultBakeSeconds: (props.bakeDuration ?? Duration.minutes(30)).toSeconds(),
        defaultInServiceSeconds: (props.inServiceDeadline ?? Duration.minutes(60)).toSeconds(),
        defaultMaxLatencyMs: (props.maxValidationLatency ?? Duration.seconds(2)).toMilliseconds(),
        defaultAlarmNames: props.guardrailAlarmNames ?? [],
        allowedEndpointNames: props.endpointNames ?? [],
        allowedEndpointPrefix: props.endpointNamePrefix || undefined,
        allowedRoleArns: props.modelExecutionRoleArns,
        allowedModelPackageGroups: props.modelPackageGroupNames ?? [],
        validationPayloadBuckets: props.validationPayloadBucketNames ?? [],
        asyncOutputBuckets: props.asyncOutputBucketNames ?? [],
        greenAlarmDefaults: {
          enabled: green.enabled ?? true,
          max5xxErrors: green.max5xxErrors ?? 0,
          maxModelLatencyMs: (green.maxModelLatency ?? Duration.seconds(1)).toMilliseconds(),
        },
        defaultBakeTraffic: props.bakeTraffic && {
          minInvocations: props.bakeTraffic.minInvocations,
          onTooLittleTraffic: props.bakeTraffic.onTooLittleTraffic ?? 'rollback',
          extendSeconds: props.bakeTraffic.extendSeconds ?? DEFAULT_EXTEND_SECONDS,
        },
        defaultApproval: props.approval && { required: props.approval.required ?? true, timeoutSeconds: props.approval.timeoutSeconds, onTimeout: props.approval.onTimeout },
        defaultStrategy: props.strategy ?? 'guardrails',
        endpointEvents,
        executionTimeoutSeconds: (props.executionTimeout ?? Duration.hours(24)).toSeconds(),
        // The approval gate publishes Approval Needed itself (lambdas/approval-gate); a token goes in its environment instead.
        eventBusName: props.eventBusName !== undefined && !Token.isUnresolved(props.eventBusName) ? props.eventBusName : undefined,
      },
      approvalRoutes: {},
      registryGroups: [],
    };
    const environment: Record<string, string> = { [ENV.tableName]: this.table.tableName };
    const busToken: Record<string, string> = props.eventBusName !== undefined && Token.isUnresolved(props.eventBusName) ? { [ENV.eventBusName]: props.eventBusName } : {};
    const longer = new Set<StepName>(['cleanup']);
    this.steps = Object.fromEntries(
      STEPS.map((step) => [
        step,
        new StepFunction(this, pascal(step), { config,
          step,
          environment: step === 'approval-gate' ? { ...environment, ...busToken } : environment,
          // validate-green: an asynchronous validation waits up to validation.asyncOutputSeconds (≤ 600 s) for green's answers.
          timeout: step === 'validate-green' ? Duration.minutes(15) : longer.has(step) ? Duration.minutes(5) : Duration.minutes(1),
          logRetention,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ]),
    ) as Record<StepName, StepFunction>;
    this.functions = this.steps;

    this.grantLeastPrivilege(props);

    this.logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/${stack.stackName}-${id}`,
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.eventBus = events.EventBus.fromEventBusName(this, 'LifecycleBus', props.eventBusName ?? 'default');
    // Approval Needed comes from the gate once its token is parked (the state machine publishes the others).
    this.eventBus.grantPutEventsTo(this.steps['approval-gate']);
    const definition = new PromotionDefinition(this, 'Definition', { functions: this.steps, pollInterval, eventBus: props.eventBusName ? this.eventBus : undefined });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition.startState),
      timeout: props.executionTimeout ?? Duration.hours(24),
      tracingEnabled: true,
      // Execution data stays out of the logs: validation payloads and model answers may be customer data.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: 'sagemaker-bluegreen: promote an approved model package onto a SageMaker endpoint, blue/green, with rollback',
    });

    // Every step after the lock reads it first (lambdas/shared/abort.ts: the promotion still holds it, no other
    // execution finishes it), the waits for abort requests too; the waits park their task tokens on it (and read the flag back).
    const guarded = ['describe-blue', 'create-green', 'stand-up-green', 'wait-for-endpoint', 'validate-green', 'shift-traffic', 'check-guardrails', 'await-guardrails', 'approval-gate', 'finalize', 'cleanup', 'rollback', 'record-outcome'] as const;
    for (const step of guarded) tableAccess(this.steps[step], ['dynamodb:GetItem']);
    // validate-green and check-guardrails also leave on the lock what they found before they throw (the failing samples, the alarm).
    for (const step of ['await-guardrails', 'await-endpoint', 'start-bake', 'check-guardrails', 'approval-gate', 'validate-green'] as const) tableAccess(this.steps[step], ['dynamodb:UpdateItem']);
    const inFlightIndex = new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${this.table.tableArn}/index/${IN_FLIGHT_INDEX}`] });
    const taskResponse = (...actions: string[]) => new iam.PolicyStatement({ actions: actions.map((a) => `states:${a}`), resources: [this.stateMachine.stateMachineArn] });

    if (props.alarmTrigger ?? true) {
      const onAlarm = new StepFunction(this, 'OnAlarm', { config, step: 'on-alarm', environment, logRetention, removalPolicy: RemovalPolicy.DESTROY });
      this.triggers['on-alarm'] = onAlarm;
      tableAccess(onAlarm, ['dynamodb:UpdateItem']);
      onAlarm.addToRolePolicy(inFlightIndex);
      // Fails the task token of the wait in progress (the bake's, or an InService wait's).
      onAlarm.addToRolePolicy(taskResponse('SendTaskFailure'));
      // Any alarm: the guardrails named in an execution input are only known at run time; the function filters.
      this.alarmRule = new events.Rule(this, 'AlarmRule', {
        description: 'sagemaker-bluegreen: roll back the promotion in flight whose guardrail alarm went to ALARM',
        eventPattern: { source: ['aws.cloudwatch'], detailType: ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } } },
        targets: [new targets.LambdaFunction(onAlarm, { retryAttempts: 8, maxEventAge: Duration.minutes(15) })],
      });
    }

    if (endpointEvents) {
      const onEndpointChange = new StepFunction(this, 'OnEndpointChange', { config, step: 'on-endpoint-change', environment, logRetention, removalPolicy: RemovalPolicy.DESTROY });
      this.triggers['on-endpoint-change'] = onEndpointChange;
      onEndpointChange.addToRolePolicy(inFlightIndex);
      onEndpointChange.addToRolePolicy(taskResponse('SendTaskSuccess'));
      // A baking promotion is judged on the event: someone else's change stops it (the flag on the lock, its bake's token failed).
      onEndpointChange.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpoint'], resources: this.managedEndpoints }));
      onEndpointChange.addToRolePolicy(new iam.PolicyStatement({ actions: ['application-autoscaling:DescribeScalableTargets'], resources: ['*'] }));
      tableAccess(onEndpointChange, ['dynamodb:UpdateItem']);
      onEndpointChange.addToRolePolicy(taskResponse('SendTaskFailure'));
      const names = props.endpointNames ?? [];
      // The managed endpoints and their validation endpoints (<endpoint>-v<version>-<hash>-val), settled statuses only.
      const watched = [...names, ...names.map((n) => ({ prefix: `${n}-` })), ...(props.endpointNamePrefix ? [{ prefix: props.endpointNamePrefix }] : [])];
      this.endpointRule = new events.Rule(this, 'EndpointRule', {
        description: 'sagemaker-bluegreen: wake the InService wait of the promotion in flight on an endpoint state change',
        eventPattern: {
          source: ['aws.sagemaker'],
          detailType: ['SageMaker Endpoint State Change'],
          detail: { EndpointName: watched, EndpointStatus: SETTLED_ENDPOINT_STATUSES },
        },
        // A late wake is harmless (the wait polls as a backstop); an old one only costs a check.
        targets: [new targets.LambdaFunction(onEndpointChange, { retryAttempts: 4, maxEventAge: Duration.minutes(15) })],
      });
    }

    // Outside the state machine (as on-execution-end): it may name the state machine without a dependency cycle.
    const onBackstop = new StepFunction(this, 'OnBackstop', { config,
      step: 'on-backstop',
      environment: { ...environment, [ENV.stateMachineArn]: this.stateMachine.stateMachineArn },
      logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.triggers['on-backstop'] = onBackstop;
    onBackstop.addToRolePolicy(inFlightIndex);
    // The locks (flagged: UpdateItem); the approvals queued behind a promotion whose end event was lost: listed, noted
    // (UpdateItem), claimed (DeleteItem), put back if the start fails and recorded (PutItem), the lock read first (GetItem).
    onBackstop.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${this.table.tableArn}/index/${QUEUED_INDEX}`] }));
    tableAccess(onBackstop, ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem']);
    this.stateMachine.grantStartExecution(onBackstop);
    onBackstop.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }));
    onBackstop.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpoint'], resources: this.managedEndpoints }));
    // An instance count is someone else's change only on a variant without a scalable target.
    onBackstop.addToRolePolicy(new iam.PolicyStatement({ actions: ['application-autoscaling:DescribeScalableTargets'], resources: ['*'] }));
    onBackstop.addToRolePolicy(taskResponse('SendTaskFailure'));
    this.backstopRule = new events.Rule(this, 'BackstopRule', {
      description: "sagemaker-bluegreen: the bake's backstop, checking the alarms and the endpoint of every promotion baking, and starting an approval queued behind a promotion whose end event was lost",
      schedule: events.Schedule.rate(props.bakeBackstop ?? Duration.minutes(5)),
      // The next run comes soon: a stale one is worth nothing.
      targets: [new targets.LambdaFunction(onBackstop, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });

    // Recovery: the recover step reads the ended execution; on-execution-end starts the recovery.
    const executions = stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${this.stateMachine.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    // A policy of its own: the function depends on its role's default policy, and the state
    // machine (named here) depends on the function — the default policy would close a cycle.
    new iam.Policy(this, 'RecoverReadsExecutions', {
      roles: [this.steps.recover.role!],
      statements: [new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resources: [executions] })],
    });
    // The lock: read, then marked with the recovery execution that finishes the promotion.
    tableAccess(this.steps.recover, ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    acknowledgeWildcard(this, executions, "The recover step reads the history of the ended execution it recovers: any execution of this state machine.");
    const routedGroups = Object.keys(routes);
    if (props.recoverEndedExecutions ?? true) {
      const onEnd = new StepFunction(this, 'OnExecutionEnd', { config: { ...config, registryGroups: routedGroups },
        step: 'on-execution-end',
        environment: { ...environment, [ENV.stateMachineArn]: this.stateMachine.stateMachineArn },
        logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      this.triggers['on-execution-end'] = onEnd;
      // The lock; the queue item it claims (DeleteItem), puts back when a start fails and records (PutItem).
      tableAccess(onEnd, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']);
      this.stateMachine.grantStartExecution(onEnd);
      // A recovery's input names only the execution it recovered: the endpoint whose queue to start is in that one's input.
      onEnd.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }));
      if (routedGroups.length > 0) {
        // A promotion of a routed group that ended promoted: is its version still approved (a rejection too late for the
        // rollback moves the endpoint to the group's latest other approved version)?
        const routedPackages = routedGroups.map((g) => stack.formatArn({ service: 'sagemaker', resource: 'model-package', resourceName: `${g.toLowerCase()}/*` }));
        onEnd.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeModelPackage'], resources: routedPackages }));
        onEnd.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListModelPackages'], resources: ['*'] }));
        for (const p of routedPackages) acknowledgeWildcard(this, p, 'Read-only DescribeModelPackage of the versions of the routed model package groups.');
      }
      this.recoveryRule = new events.Rule(this, 'RecoveryRule', {
        description: 'sagemaker-bluegreen: restore blue and release the lock of a promotion stopped, timed out or failed outside its error handling; start the queued approval of an endpoint free again',
        eventPattern: {
          source: ['aws.states'],
          detailType: ['Step Functions Execution Status Change'],
          // SUCCEEDED too: a promotion's end, whatever it is, starts the approval queued behind it.
          detail: { status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [this.stateMachine.stateMachineArn] },
        },
        targets: [new targets.LambdaFunction(onEnd, { retryAttempts: 8, maxEventAge: Duration.hours(6) })],
      });
    }

    if (routedGroups.length > 0) {
      const onApproval = new StepFunction(this, 'OnApproval', { config: { ...config, approvalRoutes: routes },
        step: 'on-approval',
        environment: { ...environment, [ENV.stateMachineArn]: this.stateMachine.stateMachineArn },
        logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      this.triggers['on-approval'] = onApproval;
      this.stateMachine.grantStartExecution(onApproval);
      // The lock (read; a rejection or "supersede" flags it: UpdateItem), the queue item and the approvals' history rows.
      tableAccess(onApproval, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']);
      // A rejection of the version in flight (or "supersede") fails the task token of the wait in progress.
      onApproval.addToRolePolicy(taskResponse('SendTaskFailure'));
      onApproval.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }));
      const arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName });
      const routed = [...new Set(Object.values(routes).flatMap((r) => r.endpoints))].map((n) => arn('endpoint', n.toLowerCase()));
      onApproval.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpoint'], resources: routed }));
      onApproval.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpointConfig', 'sagemaker:DescribeModel'], resources: [arn('endpoint-config', '*'), arn('model', '*')] }));
      onApproval.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListModelPackages'], resources: ['*'] }));
      // SageMaker may deliver an event more than once; the function makes one promotion of it.
      this.approvalRule = new events.Rule(this, 'ApprovalRule', {
        description: 'sagemaker-bluegreen: promote approved (or roll back rejected) model package versions of the configured groups',
        eventPattern: {
          source: ['aws.sagemaker'],
          detailType: ['SageMaker Model Package State Change'],
          detail: { ModelPackageGroupName: Object.keys(routes), ModelApprovalStatus: ['Approved', 'Rejected'] },
        },
        targets: [new targets.LambdaFunction(onApproval, { retryAttempts: 8, maxEventAge: Duration.hours(2) })],
      });
    }
    this.observability = this.observe(props);
  }

  private observe(props: BlueGreenPromotionProps): PromotionObservability {
    return new PromotionObservability(this, 'Observability', {
      stateMachine: this.stateMachine,
      eventBus: this.eventBus,
      endpointNames: props.endpointNames ?? [],
      endpointNamePrefix: props.endpointNamePrefix,
      notifications: props.notifications,
      dashboard: props.dashboard,
      // The functions that publish Powertools metrics (lambdas/shared/metrics.ts), hence their ColdStart.
      coldStartFunctions: { 'record-outcome': this.steps['record-outcome'], ...(this.triggers['on-alarm'] ? { 'on-alarm': this.triggers['on-alarm'] } : {}) },
    });
  }

  private grantLeastPrivilege(props: BlueGreenPromotionProps): void {
    const stack = Stack.of(this);
    const arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName });
    // SageMaker ARNs carry names in lower case.
    const names = (props.endpointNames ?? []).map((n) => n.toLowerCase());
    const prefix = props.endpointNamePrefix?.toLowerCase();
    const endpoints = [...names.map((n) => arn('endpoint', n)), ...(prefix ? [arn('endpoint', `${prefix}*`)] : [])];
    const own = (resource: string) => [
      ...names.map((n) => arn(resource, `${n.slice(0, OWN_PREFIX_LENGTH)}*`)),
      ...(prefix ? [arn(resource, `${prefix.slice(0, OWN_PREFIX_LENGTH)}*`)] : []),
    ];
    const ownModels = own('model');
    // guardrails' short-lived validation endpoints: <endpoint>-v<version>-<hash>-val, and only those.
    const validationEndpoints = [
      ...names.map((n) => arn('endpoint', `${n.slice(0, OWN_PREFIX_LENGTH)}*-val`)),
      ...(prefix ? [arn('endpoint', `${prefix.slice(0, OWN_PREFIX_LENGTH)}*-val`)] : []),
    ];
    const ownConfigs = own('endpoint-config');
    const anyConfig = arn('endpoint-config', '*');
    const anyModel = arn('model', '*');
    const packages = (props.modelPackageGroupNames ?? ['*']).map((g) => arn('model-package', g === '*' ? '*' : `${g.toLowerCase()}/*`));
    const alarms = stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: 'bluegreen-*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    const allow = (step: StepName, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      this.steps[step].addToRolePolicy(new iam.PolicyStatement({ actions, resources, conditions }));
    const describeEndpoint = (step: StepName) => allow(step, ['sagemaker:DescribeEndpoint'], endpoints);
    this.managedEndpoints = endpoints;

    allow('validate-input', ['sagemaker:DescribeModelPackage'], packages);
    allow('validate-input', ['cloudwatch:DescribeAlarms'], ['*']);
    describeEndpoint('validate-input');
    allow('validate-input', ['sagemaker:DescribeEndpointConfig'], [anyConfig]);
    const tableAccess = this.tableAccess;
    // validate-input reads the lock (a busy endpoint is refused first) and records the refused start.
    tableAccess(this.steps['validate-input'], ['dynamodb:GetItem', 'dynamodb:PutItem']);
    tableAccess(this.steps['acquire-lock'], ['dynamodb:PutItem', 'dynamodb:GetItem']);

    describeEndpoint('describe-blue');
    allow('describe-blue', ['sagemaker:DescribeEndpointConfig'], [anyConfig]);
    allow('describe-blue', ['sagemaker:DescribeModel'], [anyModel]);

    describeEndpoint('create-green');
    allow('create-green', ['sagemaker:DescribeModelPackage'], packages);
    allow('create-green', ['sagemaker:DescribeModel', 'sagemaker:DescribeEndpointConfig'], [anyModel, anyConfig]);
    allow('create-green', ['sagemaker:CreateModel', 'sagemaker:AddTags'], ownModels);
    allow('create-green', ['sagemaker:CreateEndpointConfig', 'sagemaker:AddTags'], ownConfigs);
    allow('create-green', ['iam:PassRole'], props.modelExecutionRoleArns, { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });

    describeEndpoint('stand-up-green');
    allow('stand-up-green', ['sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint', 'sagemaker:AddTags'], [...endpoints, ...ownConfigs]);
    allow('stand-up-green', ['sagemaker:DescribeEndpoint', 'sagemaker:CreateEndpoint', 'sagemaker:AddTags'], validationEndpoints);
    describeEndpoint('wait-for-endpoint');
    allow('wait-for-endpoint', ['sagemaker:DescribeEndpoint'], validationEndpoints);
    allow('validate-green', ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointAsync'], [...endpoints, ...validationEndpoints]);
    // Asynchronous endpoints: where green's config says its answers go (its own configs only), and the workflow's objects there.
    allow('validate-green', ['sagemaker:DescribeEndpointConfig'], ownConfigs);
    for (const bucket of props.asyncOutputBucketNames ?? []) {
      const own = stack.formatArn({ service: 's3', region: '', account: '', resource: bucket, resourceName: `*${ASYNC_VALIDATION_PREFIX}*` });
      allow('validate-green', ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'], [own]);
      acknowledgeWildcard(this, own, "Async validation's own objects: keys that hold bluegreen-validation (the validation endpoint's output path, the serving endpoint's S3OutputPathExtension, and the failure objects named by the workflow's InferenceId).");
    }
    // A failed sample on the promotion's endpoint: was it someone else's change (lambdas/shared/outside-check.ts)?
    describeEndpoint('validate-green');
    for (const bucket of props.validationPayloadBucketNames ?? []) {
      allow('validate-green', ['s3:GetObject'], [stack.formatArn({ service: 's3', region: '', account: '', resource: bucket, resourceName: '*' })]);
    }
    describeEndpoint('shift-traffic');
    allow('shift-traffic', ['sagemaker:UpdateEndpointWeightsAndCapacities'], endpoints);
    // guardrails: the validation endpoint goes, then one UpdateEndpoint with SageMaker's deployment guardrails.
    allow('shift-traffic', ['sagemaker:DescribeEndpoint', 'sagemaker:DeleteEndpoint'], validationEndpoints);
    allow('shift-traffic', ['sagemaker:UpdateEndpoint'], [...endpoints, ...ownConfigs]);
    allow('start-bake', ['cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource'], [alarms]);
    // DescribeAlarms and GetMetricStatistics take no resource-level permissions (CloudWatch's service authorization reference).
    allow('check-guardrails', ['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricStatistics'], ['*']);
    describeEndpoint('check-guardrails');
    describeEndpoint('finalize');
    allow('finalize', ['sagemaker:UpdateEndpoint'], [...endpoints, ...ownConfigs]);

    // Cleanup never deletes what an endpoint runs: it lists the endpoints modified since its candidates
    // were created (ListEndpoints has no resource-level permission) and reads what they run (read-only).
    allow('cleanup', ['sagemaker:ListEndpoints'], ['*']);
    allow('cleanup', ['sagemaker:DescribeEndpoint'], [arn('endpoint', '*')]);
    allow('cleanup', ['sagemaker:DescribeEndpointConfig'], [anyConfig]);
    allow('cleanup', ['sagemaker:DescribeModel'], ownModels);
    allow('cleanup', ['sagemaker:DeleteEndpointConfig'], ownConfigs);
    allow('cleanup', ['sagemaker:DeleteModel'], ownModels);
    allow('cleanup', ['sagemaker:DeleteEndpoint'], validationEndpoints);
    allow('cleanup', ['cloudwatch:DeleteAlarms'], [alarms]);
    allow('cleanup', ['cloudwatch:DescribeAlarms'], ['*']);

    describeEndpoint('rollback');
    // Recovery decides from the endpoint as it is (lambdas/shared/recovery.ts recoveryDecision).
    describeEndpoint('recover');
    // guardrails: SageMaker cannot cancel a deployment; the abort alarm in its auto-rollback list makes it roll back.
    allow('rollback', ['cloudwatch:SetAlarmState'], [alarms]);
    // The rollback returns to blue's config, which may predate this tool, hence any config.
    allow('rollback', ['sagemaker:UpdateEndpointWeightsAndCapacities', 'sagemaker:UpdateEndpoint', 'sagemaker:DeleteEndpoint'], [...endpoints, anyConfig]);
    tableAccess(this.steps['record-outcome'], ['dynamodb:UpdateItem', 'dynamodb:DeleteItem']);

    // Application Auto Scaling: describe-blue reads blue's scaling; the shift copies it onto green, finalize
    // deregisters blue before the update that removes it, rollback swaps back (UpdateEndpoint refuses to drop a
    // variant that is still a scalable target). Describe* have no resource-level permissions; a scalable target's
    // ARN ends in an id the service assigns (scalable-target/<id>), unrelated to the endpoint's name.
    const readScaling = ['application-autoscaling:DescribeScalableTargets', 'application-autoscaling:DescribeScalingPolicies'];
    const scalableTargets = stack.formatArn({ service: 'application-autoscaling', resource: 'scalable-target', resourceName: '*' });
    const scalingRole = stack.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: 'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
    });
    // Application Auto Scaling checks that the caller could manage the target-tracking alarms itself (user guide,
    // "Permissions validation"); for SageMaker variants it names them TargetTracking-endpoint/<endpoint>/variant/<variant>-…
    const trackingAlarms = stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: 'TargetTracking-endpoint/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    allow('describe-blue', readScaling, ['*']);
    // Outside changes (lambdas/shared/outside-check.ts): an instance count is news only on a variant without a scalable target.
    for (const step of ['stand-up-green', 'wait-for-endpoint', 'check-guardrails', 'cleanup', 'recover'] as const) allow(step, ['application-autoscaling:DescribeScalableTargets'], ['*']);
    for (const step of ['shift-traffic', 'finalize', 'rollback'] as const) {
      allow(step, readScaling, ['*']);
      allow(step, ['application-autoscaling:RegisterScalableTarget', 'application-autoscaling:PutScalingPolicy', 'application-autoscaling:DeregisterScalableTarget'], [scalableTargets]);
      // First registration in an account creates SageMaker's scaling service-linked role.
      allow(step, ['iam:CreateServiceLinkedRole'], [scalingRole], { StringEquals: { 'iam:AWSServiceName': 'sagemaker.application-autoscaling.amazonaws.com' } });
      allow(step, ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'], [trackingAlarms]);
      allow(step, ['cloudwatch:DescribeAlarms'], ['*']);
    }
    // RegisterScalableTarget checks the caller's own DescribeEndpoint and UpdateEndpointWeightsAndCapacities on the endpoint.
    allow('finalize', ['sagemaker:UpdateEndpointWeightsAndCapacities'], endpoints);

    // Inference components (the component strategy, lambdas/shared/component-actions.ts). The promoted component's
    // name is the user's, unrelated to the endpoint's, so reading, updating and invoking it take any component;
    // creating and deleting only the promotion's validation components (<endpoint>-v<version>-<hash>-val).
    const anyComponent = arn('inference-component', '*');
    const validationComponents = [
      ...names.map((n) => arn('inference-component', `${n.slice(0, OWN_PREFIX_LENGTH)}*-val`)),
      ...(prefix ? [arn('inference-component', `${prefix.slice(0, OWN_PREFIX_LENGTH)}*-val`)] : []),
    ];
    const describeComponent = ['sagemaker:DescribeInferenceComponent'];
    for (const step of ['validate-input', 'describe-blue', 'stand-up-green', 'wait-for-endpoint', 'shift-traffic', 'check-guardrails', 'rollback', 'cleanup', 'recover'] as const) allow(step, describeComponent, [anyComponent]);
    // ListInferenceComponents has no resource-level permission.
    for (const step of ['validate-input', 'cleanup'] as const) allow(step, ['sagemaker:ListInferenceComponents'], ['*']);
    allow('stand-up-green', ['sagemaker:CreateInferenceComponent', 'sagemaker:AddTags'], [...validationComponents, ...endpoints, ...ownModels]);
    allow('validate-green', ['sagemaker:InvokeEndpoint'], [anyComponent]);
    allow('shift-traffic', ['sagemaker:DeleteInferenceComponent'], validationComponents);
    allow('cleanup', ['sagemaker:DeleteInferenceComponent'], validationComponents);
    allow('shift-traffic', ['sagemaker:UpdateInferenceComponent'], [anyComponent, ...ownModels]);
    // The rollback restores blue's specification, whose model may predate this tool, hence any model.
    allow('rollback', ['sagemaker:UpdateInferenceComponent'], [anyComponent, anyModel]);

    // Every wildcard above, acknowledged one by one with the reason it cannot be narrower.
    acknowledgeWildcard(
      this,
      '*',
      'Only for actions without resource-level permissions: xray:PutTraceSegments/PutTelemetryRecords, cloudwatch:DescribeAlarms, sagemaker:ListEndpoints, sagemaker:ListModelPackages, sagemaker:ListInferenceComponents, application-autoscaling:DescribeScalableTargets/DescribeScalingPolicies (service authorization reference).',
    );
    acknowledgeWildcard(this, anyComponent, "The promoted inference component's name is the user's and arbitrary (not derived from the endpoint's): describe, invoke, update (shift, rollback) only; create and delete are limited to the promotion's own -val components.");
    for (const r of validationComponents) acknowledgeWildcard(this, r, "The component strategy's short-lived validation components (<endpoint>-v<version>-<hash>-val): create and delete only those.");
    acknowledgeWildcard(this, scalableTargets, "Scalable-target ARNs end in an id Application Auto Scaling assigns at registration, unknown at synth time: register, put policies on and deregister the managed endpoints' variants.");
    acknowledgeWildcard(this, trackingAlarms, 'The target-tracking alarms Application Auto Scaling creates for SageMaker variants (TargetTracking-endpoint/…), which it checks the caller could manage.');
    if (prefix) acknowledgeWildcard(this, arn('endpoint', `${prefix}*`), 'The configured endpointNamePrefix: the operator chose to manage every endpoint with this prefix.');
    for (const r of [...ownModels, ...ownConfigs]) {
      acknowledgeWildcard(this, r, 'Names the promotion itself creates (<endpoint>-v<version>-<hash>): create and delete are limited to them.');
    }
    acknowledgeWildcard(this, anyConfig, "Blue's config may predate this tool under any name: read it (Describe), and point the endpoint back at it on rollback (UpdateEndpoint, itself limited to the managed endpoints).");
    acknowledgeWildcard(this, anyModel, "Read-only: DescribeModel of blue's model, whose name predates this tool.");
    acknowledgeWildcard(this, arn('endpoint', '*'), 'Read-only DescribeEndpoint of every endpoint, so cleanup never deletes a config or model another endpoint still runs.');
    for (const p of packages) acknowledgeWildcard(this, p, 'Read-only DescribeModelPackage of the versions of the configured model package groups.');
    acknowledgeWildcard(this, alarms, 'Alarms the promotion creates on green, all named bluegreen-<endpoint>-…');
    for (const r of validationEndpoints) {
      acknowledgeWildcard(this, r, "guardrails' short-lived validation endpoints, named <endpoint>-v<version>-<hash>-val by the promotion itself.");
    }
    for (const fn of Object.values(this.functions)) {
      acknowledgeWildcard(this, `${fn.functionArn}:*`, 'Step Functions invokes the step functions by version/alias qualifier (CDK LambdaInvoke grant).');
    }
  }
}

function pascal(step: string): string {
  return step.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}

/** Collects every problem with the props and throws once, each with its fix. */
export function validateProps(props: BlueGreenPromotionProps): void {
  const problems: string[] = [];
  const names = props.endpointNames ?? [];
  if (names.length === 0 && !props.endpointNamePrefix) {
    problems.push('set endpointNames and/or endpointNamePrefix: the workflow only manages endpoints you name');
  }
  for (const name of names) {
    if (!Token.isUnresolved(name) && !SAGEMAKER_NAME_PATTERN.test(name)) {
      problems.push(`endpointNames: "${name}" is not a valid SageMaker endpoint name (1–63 letters, digits and single hyphens)`);
    }
  }
  if (props.endpointNamePrefix !== undefined && !Token.isUnresolved(props.endpointNamePrefix) && !/^[a-zA-Z0-9][a-zA-Z0-9-]{0,40}$/.test(props.endpointNamePrefix)) {
    problems.push(`endpointNamePrefix: "${props.endpointNamePrefix}" must start with a letter or digit and hold at most 41 letters, digits or hyphens`);
  }
  if (props.modelExecutionRoleArns.length === 0) {
    problems.push('modelExecutionRoleArns: give at least one role green models may run as (the workflow passes only these to SageMaker)');
  }
  for (const role of props.modelExecutionRoleArns) {
    if (!Token.isUnresolved(role) && !ROLE_ARN.test(role)) problems.push(`modelExecutionRoleArns: "${role}" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
  }
  for (const group of props.modelPackageGroupNames ?? []) {
    if (!Token.isUnresolved(group) && !SAGEMAKER_NAME_PATTERN.test(group)) problems.push(`modelPackageGroupNames: "${group}" is not a valid model package group name`);
  }
  const poll = props.pollInterval?.toSeconds() ?? 30;
  if (poll < 1 || poll > 3600) problems.push(`pollInterval: ${poll} s is out of range; use 1 s to 1 h`);
  const bake = props.bakeDuration?.toSeconds() ?? 1800;
  if (bake > MAX_BAKE_SECONDS) problems.push(`bakeDuration: ${bake} s is longer than ${MAX_BAKE_SECONDS} s (${MAX_BAKE_SECONDS / 3600} h): ${MAX_BAKE_REASON}; use at most Duration.hours(${MAX_BAKE_SECONDS / 3600})`);
  const backstop = props.bakeBackstop?.toSeconds() ?? 300;
  if (backstop < 60 || backstop % 60 !== 0) problems.push(`bakeBackstop: ${backstop} s is not a whole number of minutes (EventBridge schedules run at most every minute); use Duration.minutes(n)`);
  const deadline = props.inServiceDeadline?.toSeconds() ?? 3600;
  if (deadline < poll) problems.push(`inServiceDeadline: ${deadline} s is shorter than pollInterval (${poll} s); the deadline must allow at least one poll`);
  const timeout = props.executionTimeout?.toSeconds() ?? 86_400;
  // The default strategy's worst case (guardrails also waits for its traffic routing, refused per input if it does not fit).
  const guard = bakeTrafficSchema.safeParse(props.bakeTraffic ?? { minInvocations: 1 });
  for (const issue of guard.success ? [] : guard.error.issues) problems.push(`bakeTraffic.${issue.path.join('.')}: ${issue.message}`);
  const longest = longestBakeSeconds(bake, props.bakeTraffic && { onTooLittleTraffic: props.bakeTraffic.onTooLittleTraffic ?? 'rollback', extendSeconds: props.bakeTraffic.extendSeconds ?? DEFAULT_EXTEND_SECONDS });
  const approval = approvalSchema.safeParse(props.approval ?? {});
  for (const issue of approval.success ? [] : approval.error.issues) problems.push(`approval.${issue.path.join('.')}: ${issue.message}`);
  // The stack's default gate waits as long as it says, before the bake (an input's own gate is checked per input).
  const gate = props.approval && resolveApproval({ ...props.approval, required: props.approval.required ?? true }, undefined);
  const plan = { strategy: props.strategy ?? Strategy.GUARDRAILS, traffic: { type: 'ALL_AT_ONCE' as const }, bakeSeconds: longest, inServiceSeconds: deadline, pollSeconds: poll, eventDriven: props.endpointEventTrigger ?? true, approvalSeconds: gate?.timeoutSeconds };
  for (const problem of executionProblems(plan, timeout)) {
    problems.push(problem.limit === 'time' ? `executionTimeout: ${timeout} s cannot fit a bake: ${problem.message}` : `pollInterval, inServiceDeadline: ${problem.message}`);
  }
  if (props.greenAlarms?.max5xxErrors !== undefined && props.greenAlarms.max5xxErrors < 0) problems.push('greenAlarms.max5xxErrors: must be 0 or more');
  if (props.recoverEndedExecutions === false && Object.keys(props.approvalRoutes ?? {}).length > 0) {
    problems.push('recoverEndedExecutions: false removes the rule that starts an approval queued behind a running promotion; keep it (the default) while approvalRoutes is set');
  }
  const bus = props.eventBusName;
  // API_CreateEventBus Name: 1–256 of [/.\-_A-Za-z0-9] (a name, not an ARN).
  if (bus !== undefined && !Token.isUnresolved(bus) && !/^[/.\-_A-Za-z0-9]{1,256}$/.test(bus)) {
    problems.push(`eventBusName: "${bus}" is not an event bus name (1–256 letters, digits or . - _ /); give the bus's name, not its ARN, or leave it out for the default bus`);
  }
  if (problems.length > 0) throw new Error(`BlueGreenPromotion: invalid props:\n- ${problems.join('\n- ')}`);
}
