import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { tableKey } from '../lambdas/shared/contracts';
import { DETAIL_TYPES, EVENT_SOURCE, type LifecycleDetailType } from '../lambdas/shared/lifecycle';
import { METRICS_NAMESPACE, METRICS_SERVICE, MILESTONES } from '../lambdas/shared/outcome-metrics';
import { STRATEGIES } from '../lambdas/shared/input';

/** Where the lifecycle events go besides their bus. */
export interface NotificationOptions {
  /** Send a readable notice of every lifecycle event to an SNS topic. @default true */
  readonly enabled?: boolean;
  /**
   * An existing topic to send them to. Its owner allows EventBridge to publish (`sns:Publish` for
   * `events.amazonaws.com`) and, if it is encrypted, to use its key: an imported topic's policy is not
   * changed here.
   * @default - a new topic, encrypted with a new customer managed KMS key
   */
  readonly topic?: sns.ITopic;
}

export interface PromotionObservabilityProps {
  /** The promotions' state machine: its events are the ones notified (`resources` of each event name it). */
  readonly stateMachine: sfn.IStateMachine;
  /** The bus the state machine publishes the lifecycle events to. */
  readonly eventBus: events.IEventBus;
  /** The endpoints the dashboard shows, blue beside green. */
  readonly endpointNames: string[];
  /** The endpoints managed by prefix (not known at synth): the dashboard finds them by a search. @default - none */
  readonly endpointNamePrefix?: string;
  /** Notices of the lifecycle events on an SNS topic. @default - none */
  readonly notifications?: NotificationOptions;
  /** Create the dashboard. @default true */
  readonly dashboard?: boolean;
  /** Functions whose Powertools ColdStart metric the dashboard shows, by step. @default - none */
  readonly coldStartFunctions?: { readonly [step: string]: lambda.IFunction };
}

/** The fields of the lifecycle events' detail a notice reads (lib/events.ts commonDetail/outcomeDetail, schema/events.schema.json). */
const FIELD = {
  endpoint: events.EventField.fromPath('$.detail.endpointName'),
  promotion: events.EventField.fromPath('$.detail.promotionId'),
  strategy: events.EventField.fromPath('$.detail.strategy'),
  version: events.EventField.fromPath('$.detail.green.version'),
  group: events.EventField.fromPath('$.detail.green.modelPackageGroup'),
  requestedBy: events.EventField.fromPath('$.detail.requestedBy'),
  reason: events.EventField.fromPath('$.detail.reason'),
  execution: events.EventField.fromPath('$.detail.links.execution'),
  console: events.EventField.fromPath('$.detail.links.endpoint'),
  greenLogs: events.EventField.fromPath('$.detail.evidence.greenLogs.logGroup'),
};

interface Notice {
  title: string;
  description: string;
  nextSteps: string[];
}

const links = [`Execution: ${FIELD.execution}`, `Endpoint: ${FIELD.console}`];
const status = `\`bluegreen status ${FIELD.endpoint}\``;

/**
 * What each lifecycle event tells a person: what happened, on which endpoint, why, and what to do
 * next. Only fields every event of that detail-type carries are read (an absent path leaves its
 * placeholder empty); the terminal ones carry the reason and the evidence (lib/events.ts outcomeDetail).
 */
export const NOTICES: Record<LifecycleDetailType, Notice> = {
  [DETAIL_TYPES.started]: {
    title: `Promotion started on ${FIELD.endpoint}`,
    description: `Version ${FIELD.version} of ${FIELD.group} is being promoted onto endpoint ${FIELD.endpoint} (strategy ${FIELD.strategy}), requested by ${FIELD.requestedBy}.`,
    nextSteps: [`Follow it: \`bluegreen watch ${FIELD.endpoint}\``, `Stop it: \`bluegreen rollback ${FIELD.endpoint} --reason "…"\``, ...links],
  },
  [DETAIL_TYPES.validated]: {
    title: `Green validated on ${FIELD.endpoint}`,
    description: `Green (version ${FIELD.version}) answered its validation requests before any user traffic; the shift comes next.`,
    nextSteps: [`See it: ${status}`, ...links],
  },
  [DETAIL_TYPES.approvalNeeded]: {
    title: `Approval needed on ${FIELD.endpoint}`,
    description: `Version ${FIELD.version} of ${FIELD.group} passed validation on ${FIELD.endpoint} and waits for a person before it gets traffic.`,
    nextSteps: [`Look first: ${status}`, `Go ahead: \`bluegreen approve ${FIELD.endpoint}\``, `Stop it: \`bluegreen reject ${FIELD.endpoint} --reason "…"\``, ...links],
  },
  [DETAIL_TYPES.shifted]: {
    title: `Traffic shifted to green on ${FIELD.endpoint}`,
    description: `Green (version ${FIELD.version}) serves ${FIELD.endpoint} now; the bake watches the guardrail alarms and rolls back on any of them.`,
    nextSteps: [`Follow the bake: \`bluegreen watch ${FIELD.endpoint}\``, `Roll back now: \`bluegreen rollback ${FIELD.endpoint} --reason "…"\``, ...links],
  },
  [DETAIL_TYPES.succeeded]: {
    title: `Promoted: ${FIELD.endpoint} serves version ${FIELD.version}`,
    description: `${FIELD.reason}. Blue's fleet is gone; what nothing uses any more was cleaned up.`,
    nextSteps: [`The record: \`bluegreen history ${FIELD.endpoint}\``, ...links],
  },
  [DETAIL_TYPES.rolledBack]: {
    title: `Rolled back: ${FIELD.endpoint} serves blue again`,
    description: `Version ${FIELD.version} did not stay. Why: ${FIELD.reason}`,
    nextSteps: [`The evidence: ${status}`, `Green's logs: CloudWatch log group ${FIELD.greenLogs}`, `Try again once fixed: approve a new version, or \`bluegreen promote ${FIELD.endpoint} …\``, ...links],
  },
  [DETAIL_TYPES.failed]: {
    title: `Promotion failed on ${FIELD.endpoint}`,
    description: `Version ${FIELD.version} was not promoted. Why: ${FIELD.reason}`,
    nextSteps: [`Check what the endpoint runs: ${status}`, `Green's logs: CloudWatch log group ${FIELD.greenLogs}`, ...links],
  },
  [DETAIL_TYPES.interrupted]: {
    title: `Promotion interrupted on ${FIELD.endpoint}`,
    description: `Someone else changed the endpoint, and their change stands. ${FIELD.reason}`,
    nextSteps: [`See what it runs now: ${status}`, ...links],
  },
};

/**
 * The notice as an Amazon Q Developer in chat applications (AWS Chatbot) custom notification, which
 * it shows in Slack, Microsoft Teams or Chime (it drops SNS messages in any other shape):
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html. One thread per promotion.
 */
function customNotification(notice: Notice): events.RuleTargetInput {
  return events.RuleTargetInput.fromObject({
    version: '1.0',
    source: 'custom',
    id: events.EventField.eventId,
    content: { textType: 'client-markdown', title: notice.title, description: notice.description, nextSteps: notice.nextSteps },
    metadata: { threadId: FIELD.promotion, summary: notice.title },
  });
}

/**
 * Notifications, metrics' dashboard: what an operator sees and hears of the promotions. Adds no
 * permission to any function: the topic's policy lets EventBridge publish for these rules only.
 */
export class PromotionObservability extends Construct {
  /** The topic the notices go to, when notifications are on. */
  public readonly topic?: sns.ITopic;
  /** The customer managed key of the topic created here. */
  public readonly topicKey?: kms.Key;
  /** One rule per lifecycle detail-type, each with its own notice. */
  public readonly notificationRules: events.Rule[] = [];
  public readonly dashboard?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PromotionObservabilityProps) {
    super(scope, id);
    const notifications = props.notifications;
    if (notifications && (notifications.enabled ?? true)) {
      if (notifications.topic) this.topic = notifications.topic;
      else ({ topic: this.topic, key: this.topicKey } = this.newTopic());
      for (const [detailType, notice] of Object.entries(NOTICES)) {
        const rule = new events.Rule(this, `Notify${detailType.replace(/ /g, '')}`, {
          description: `sagemaker-bluegreen: notice of "${detailType}" to the notification topic`,
          eventBus: props.eventBus,
          // Step Functions puts the execution's and the state machine's ARNs in `resources`: this stack's promotions only.
          eventPattern: { source: [EVENT_SOURCE], detailType: [detailType], resources: [props.stateMachine.stateMachineArn] },
        });
        rule.addTarget(topicTarget(this.topic, customNotification(notice)));
        this.notificationRules.push(rule);
      }
      if (!notifications.topic) this.allowPublishFrom(this.topic as sns.Topic, this.notificationRules);
    }
    if (props.dashboard ?? true) this.dashboard = promotionDashboard(this, props);
  }

  /**
   * A customer managed key, not `alias/aws/sns`: EventBridge may publish to an encrypted topic only if
   * the key policy lets events.amazonaws.com use the key, and the AWS managed key's policy cannot be
   * changed (SNS developer guide, "Enable compatibility between event sources from AWS services and
   * encrypted topics": https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
   */
  private newTopic(): { topic: sns.Topic; key: kms.Key } {
    const key = new kms.Key(this, 'NotificationKey', {
      description: 'sagemaker-bluegreen: encrypts the promotion notification topic',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventBridgePublishesToTheTopic',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
      }),
    );
    return { topic: new sns.Topic(this, 'NotificationTopic', { displayName: 'sagemaker-bluegreen promotions', masterKey: key, enforceSSL: true }), key };
  }

  /** Publish for these rules only (aws:SourceArn: the confused-deputy guard the SNS docs recommend for service principals). */
  private allowPublishFrom(topic: sns.Topic, rules: events.Rule[]): void {
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'LifecycleRulesPublish',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rules.map((r) => r.ruleArn) } },
      }),
    );
  }
}

/**
 * The rule's target: the topic, with the notice as its input. aws-events-targets' SnsTopic would also
 * grant events.amazonaws.com sns:Publish with no condition, which any rule of any account could use;
 * the grant here (allowPublishFrom) names the rules.
 */
function topicTarget(topic: sns.ITopic, input: events.RuleTargetInput): events.IRuleTarget {
  return { bind: () => ({ arn: topic.topicArn, input, targetResource: topic }) };
}

const HOUR = Duration.hours(1);
const MINUTE = Duration.minutes(1);

const own = (metricName: string, dimensionsMap: Record<string, string>, statistic: string, label: string, period = HOUR) =>
  new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: METRICS_SERVICE, ...dimensionsMap }, statistic, label, period });

/** A CloudWatch search: one line per value of the dimensions it groups by (the variants or configs of an endpoint are not known at synth). */
const search = (expression: string, label: string, period = MINUTE) => new cloudwatch.MathExpression({ expression, label, period, usingMetrics: {} });

const OUTCOMES = ['promoted', 'rolled_back', 'failed', 'interrupted'] as const;
const SAGEMAKER = 'AWS/SageMaker';

/** AWS/SageMaker invocation metrics of one endpoint, one line per variant or per endpoint config, as SageMaker publishes them. */
function sagemakerSearch(endpoint: { name?: string; prefix?: string }, metricName: string, statistic: string, by: 'variant' | 'config'): cloudwatch.MathExpression {
  const schema = by === 'variant' ? `{${SAGEMAKER},EndpointName,VariantName}` : `{${SAGEMAKER},EndpointConfigName,EndpointName,VariantName}`;
  // A prefix is no search term: unquoted, it matches the endpoints whose name holds its words (CloudWatch search syntax).
  const which = endpoint.name !== undefined ? `EndpointName="${endpoint.name}"` : `EndpointName=${endpoint.prefix}`;
  return search(`SEARCH('${schema} MetricName="${metricName}" ${which}', '${statistic}', 60)`, `${metricName} ` + (by === 'variant' ? "${PROP('Dim.VariantName')}" : "${PROP('Dim.EndpointConfigName')}"));
}

/** The endpoint's promotions, marked on its graphs' right axis: their start, shift, blue back and end (PromotionMilestone). */
function milestones(endpointName: string): cloudwatch.IMetric[] {
  return MILESTONES.map((m) => own('PromotionMilestone', { EndpointName: tableKey(endpointName), Milestone: m }, 'Sum', `promotion ${m}`, MINUTE));
}

function endpointRows(endpoint: { name?: string; prefix?: string }): cloudwatch.IWidget[] {
  const title = endpoint.name ?? `endpoints matching ${endpoint.prefix}`;
  const marks = endpoint.name ? milestones(endpoint.name) : [];
  const graph = (what: string, by: 'variant' | 'config', left: cloudwatch.IMetric[]) =>
    new cloudwatch.GraphWidget({
      title: `${title}: ${what} by ${by === 'variant' ? 'variant (variant strategy: blue beside green)' : 'endpoint config (guardrails: blue’s fleet beside green’s)'}`,
      left,
      right: marks,
      rightYAxis: { label: 'promotion', showUnits: false, min: 0 },
      width: 8,
      height: 6,
    });
  const row = (by: 'variant' | 'config') =>
    new cloudwatch.Row(
      graph('invocations', by, [sagemakerSearch(endpoint, 'Invocations', 'Sum', by)]),
      graph('4xx/5xx', by, [sagemakerSearch(endpoint, 'Invocation4XXErrors', 'Sum', by), sagemakerSearch(endpoint, 'Invocation5XXErrors', 'Sum', by)]),
      graph('model latency', by, [sagemakerSearch(endpoint, 'ModelLatency', 'Average', by)]),
    );
  return [row('variant'), row('config')];
}

/**
 * The stack's dashboard, made with aws-cdk-lib's cloudwatch constructs (cdk-monitoring-constructs
 * would add a dependency for a dozen widgets, and knows neither our metrics nor blue and green).
 * Promotions over time and by outcome, durations, rollbacks by cause, cold starts; then, per managed
 * endpoint, its variants (variant strategy) and its endpoint configs (guardrails) side by side, with
 * each promotion's start, shift, blue back and end marked on the right axis.
 */
function promotionDashboard(scope: Construct, props: PromotionObservabilityProps): cloudwatch.Dashboard {
  const stack = Stack.of(scope);
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: `${stack.stackName}-promotions`,
    defaultInterval: Duration.days(7),
  });
  const byOutcome = OUTCOMES.flatMap((outcome) => STRATEGIES.map((strategy) => own('PromotionsEnded', { Outcome: outcome, Strategy: strategy }, 'Sum', `${outcome} · ${strategy}`)));
  const timings = STRATEGIES.flatMap((strategy) => [
    own('PromotionDuration', { Outcome: 'promoted', Strategy: strategy }, 'Average', `duration (promoted) · ${strategy}`),
    own('TimeToValidate', { Strategy: strategy }, 'Average', `time to validate · ${strategy}`),
    own('AlarmToBlue', { Strategy: strategy }, 'Maximum', `alarm → blue · ${strategy}`),
  ]);
  const coldStarts = Object.entries(props.coldStartFunctions ?? {}).map(([step, fn]) => own('ColdStart', { function_name: fn.functionName }, 'Sum', `${step} cold starts`));
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: [
        `# sagemaker-bluegreen promotions (${stack.stackName})`,
        'Promotions end `promoted`, `rolled_back`, `failed` or `interrupted`. On each endpoint\'s graphs the right axis marks its promotions: start, shift, blue back (after a rollback) and end.',
      ].join('\n\n'),
      width: 24,
      height: 2,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({ title: 'Promotions ended, by outcome and strategy', left: byOutcome, stacked: true, view: cloudwatch.GraphWidgetView.BAR, width: 12, height: 6 }),
    new cloudwatch.SingleValueWidget({
      title: 'Outcomes over the dashboard’s time range',
      metrics: OUTCOMES.map((outcome) =>
        new cloudwatch.MathExpression({ expression: STRATEGIES.map((strategy) => `FILL(${outcome}_${strategy}, 0)`).join(' + '), label: outcome, usingMetrics: Object.fromEntries(STRATEGIES.map((strategy) => [`${outcome}_${strategy}`, own('PromotionsEnded', { Outcome: outcome, Strategy: strategy }, 'Sum', outcome)])) }),
      ),
      setPeriodToTimeRange: true,
      width: 12,
      height: 6,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({ title: 'Durations (seconds)', left: timings, width: 8, height: 6, leftYAxis: { min: 0, showUnits: false } }),
    new cloudwatch.GraphWidget({
      title: 'Rollbacks, by cause',
      left: [search(`SEARCH('{${METRICS_NAMESPACE},Cause,service} MetricName="Rollbacks"', 'Sum', 3600)`, "${PROP('Dim.Cause')}", HOUR)],
      view: cloudwatch.GraphWidgetView.BAR,
      width: 8,
      height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: 'Executions and cold starts',
      left: [
        props.stateMachine.metricStarted({ label: 'executions started', period: HOUR }),
        props.stateMachine.metricFailed({ label: 'executions failed', period: HOUR }),
        props.stateMachine.metricTimedOut({ label: 'executions timed out', period: HOUR }),
      ],
      right: coldStarts,
      width: 8,
      height: 6,
    }),
  );
  for (const name of props.endpointNames) dashboard.addWidgets(...endpointRows({ name }));
  if (props.endpointNamePrefix) dashboard.addWidgets(...endpointRows({ prefix: props.endpointNamePrefix }));
  return dashboard;
}
