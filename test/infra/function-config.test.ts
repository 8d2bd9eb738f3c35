import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { parseAppConfig } from '../../lib/config';
import { MAX_ENVIRONMENT_BYTES, StepFunction } from '../../lib/functions';
import type { FunctionConfig } from '../../lambdas/shared/settings';
import { defaultLocalConfig, LOCAL_CONFIG_METADATA, synthesizeTemplate, type CfnTemplate } from '../../local/template';
import { largestAppConfig } from '../support/largest-config';

/**
 * Lambda caps a function's environment at 4 KB, keys and values together (Lambda quotas). The construct
 * passes only deploy-time tokens there; everything else is in bluegreen.json beside each function's bundle.
 */
const TOKEN_BYTES = 256; // a table name (≤ 255) or a state machine ARN (≤ 256) once deployed

interface FunctionView {
  step: string;
  variables: Record<string, unknown>;
  config: FunctionConfig;
}

function functionsOf(template: CfnTemplate): FunctionView[] {
  return Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.[LOCAL_CONFIG_METADATA])
    .map((r) => {
      const variables = (r.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      return { step: String(variables.BLUEGREEN_STEP), variables, config: r.Metadata![LOCAL_CONFIG_METADATA] as FunctionConfig };
    });
}

const environmentBytes = (variables: Record<string, unknown>) =>
  Object.entries(variables).reduce((n, [k, v]) => n + Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : TOKEN_BYTES), 0);

describe('function configuration (bluegreen.json, not the environment)', () => {
  test("GIVEN the app's configuration THEN every function's environment holds only Powertools settings, its step and deploy-time tokens, and the routes are on-approval's alone", () => {
    const config = parseAppConfig(defaultLocalConfig());
    const functions = functionsOf(synthesizeTemplate(config));
    expect(functions).toHaveLength(23);
    for (const fn of functions) {
      expect(Object.keys(fn.variables).filter((k) => !k.startsWith('POWERTOOLS_')).sort()).toEqual(
        ['BLUEGREEN_STEP', 'TABLE_NAME', ...(['on-backstop', 'on-execution-end', 'on-approval'].includes(fn.step) ? ['STATE_MACHINE_ARN'] : [])].sort(),
      );
      expect(fn.config.settings.allowedEndpointNames).toEqual(config.endpointNames);
    }
    const withRoutes = functions.filter((fn) => Object.keys(fn.config.approvalRoutes).length > 0);
    expect(withRoutes.map((fn) => fn.step)).toEqual(['on-approval']);
    expect(withRoutes[0]!.config.approvalRoutes).toEqual(config.modelPackageGroups);
    expect(functions.find((fn) => fn.step === 'on-execution-end')!.config.registryGroups).toEqual(Object.keys(config.modelPackageGroups!));
  });

  test('GIVEN the largest configuration the schema accepts THEN it synthesizes, every function stays under the 4 KB environment cap, and on-approval carries every route whole', () => {
    const raw = largestAppConfig();
    const config = parseAppConfig(raw);
    const functions = functionsOf(synthesizeTemplate(raw));
    expect(functions).toHaveLength(23);
    const over = functions.filter((fn) => environmentBytes(fn.variables) > MAX_ENVIRONMENT_BYTES).map((fn) => fn.step);
    expect(over).toEqual([]);
    const largest = Math.max(...functions.map((fn) => environmentBytes(fn.variables)));
    expect(largest).toBeLessThan(1024);
    // What the routes would take as an environment variable, as they used to travel: far beyond the cap.
    expect(Buffer.byteLength(JSON.stringify(config.modelPackageGroups))).toBeGreaterThan(MAX_ENVIRONMENT_BYTES * 100);
    expect(functions.find((fn) => fn.step === 'on-approval')!.config.approvalRoutes).toEqual(config.modelPackageGroups);
  }, 60_000);

  test('GIVEN a function whose environment would pass 4 KB THEN synth refuses it, naming the limit and where settings belong', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Big');
    const config: FunctionConfig = { settings: {} as FunctionConfig['settings'], approvalRoutes: {}, registryGroups: [] };
    const make = (bytes: number) =>
      new StepFunction(stack, `Fn${bytes}`, { step: 'acquire-lock', config, environment: { BIG: 'x'.repeat(bytes) }, logRetention: logs.RetentionDays.ONE_DAY, removalPolicy: RemovalPolicy.DESTROY });
    expect(() => make(3000)).not.toThrow();
    expect(() => make(4096)).toThrow(/environment takes \d+ bytes and Lambda allows 4096 \(4 KB, all keys and values\); pass settings in the function's bluegreen\.json/);
  });
});
