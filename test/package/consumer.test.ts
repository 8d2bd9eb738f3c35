import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTION_NAMES, STEP_ENV } from '../../lib/functions';

/**
 * The packed construct as another project uses it (`npm run test:package`, not part of `npm test`:
 * it packs, installs and synthesizes, about a minute): `npm pack` of this repo, a throwaway CDK app
 * that installs the tarball beside aws-cdk-lib and constructs at this repo's versions, a plain
 * JavaScript app.js that synthesizes a stack with BlueGreenPromotion, and the TypeScript
 * declarations compiled against by a consumer's app.ts.
 */
const ROOT = join(__dirname, '..', '..');
const versionOf = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

interface Resource {
  readonly Type: string;
  readonly Properties: { readonly Code?: { readonly S3Key?: string }; readonly Environment?: { readonly Variables?: Record<string, unknown> } };
}

let work: string;
let packed: { filename: string; files: { path: string }[] };
let installed: string;
let template: { Resources: Record<string, Resource> };
let assets: { files: Record<string, { source: { path: string } }> };
const out = () => join(work, 'app', 'cdk.out');

const APP_JS = `
const { App, Stack } = require('aws-cdk-lib');
const { BlueGreenPromotion, OnNewerApproval, Strategy } = require('sagemaker-bluegreen');

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Consumer', { env: { account: '111122223333', region: 'eu-west-1' } });
new BlueGreenPromotion(stack, 'Promotion', {
  endpointNames: ['churn-prediction'],
  modelExecutionRoleArns: ['arn:aws:iam::111122223333:role/SageMakerModelExecution'],
  strategy: Strategy.VARIANT,
  approvalRoutes: { 'churn-models': { endpoints: ['churn-prediction'], onNewerApproval: OnNewerApproval.SUPERSEDE } },
});
app.synth();
`;

const APP_TS = `
import { App, Duration, Stack } from 'aws-cdk-lib';
import { BlueGreenPromotion, Strategy, TrafficType, ValidationMode, type BlueGreenPromotionProps } from 'sagemaker-bluegreen';

const props: BlueGreenPromotionProps = {
  endpointNames: ['churn-prediction'],
  modelExecutionRoleArns: ['arn:aws:iam::111122223333:role/SageMakerModelExecution'],
  strategy: Strategy.GUARDRAILS,
  bakeDuration: Duration.minutes(10),
  approvalRoutes: {
    'churn-models': {
      endpoints: ['churn-prediction'],
      traffic: { type: TrafficType.CANARY, percent: 10 },
      validation: { mode: ValidationMode.ENDPOINT, samples: [{ body: '{}', expectJson: { ok: true } }] },
    },
  },
};
const promotion = new BlueGreenPromotion(new Stack(new App(), 'Consumer'), 'Promotion', props);
export const arn: string = promotion.stateMachine.stateMachineArn;
`;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bluegreen-consumer-'));
  // GIVEN the package as `npm pack` builds it (prepack: compiled JS, declarations, pre-built function bundles)
  const json = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [result] = JSON.parse(json) as (typeof packed)[];
  if (!result) throw new Error(`npm pack printed no package: ${json}`);
  packed = result;
  // AND a CDK app of another project that installs the tarball
  const app = join(work, 'app');
  mkdirSync(app);
  const dependencies = { 'sagemaker-bluegreen': `file:${join(work, packed.filename)}`, 'aws-cdk-lib': versionOf('aws-cdk-lib'), constructs: versionOf('constructs') };
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, dependencies }, null, 2));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, stdio: 'pipe' });
  installed = join(app, 'node_modules', 'sagemaker-bluegreen');
  // WHEN its plain JavaScript app synthesizes a stack with the construct
  writeFileSync(join(app, 'app.js'), APP_JS);
  execFileSync(process.execPath, ['app.js', out()], { cwd: app, stdio: 'pipe' });
  template = JSON.parse(readFileSync(join(out(), 'Consumer.template.json'), 'utf8')) as typeof template;
  assets = JSON.parse(readFileSync(join(out(), 'Consumer.assets.json'), 'utf8')) as typeof assets;
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const functions = () => Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');

describe('the packed construct in another CDK app', () => {
  it('ships compiled JavaScript, declarations and a pre-built bundle per function, and no TypeScript source', () => {
    const files = packed.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/lib/index.js', 'dist/lib/index.d.ts', 'bin/bluegreen.js', ...FUNCTION_NAMES.map((fn) => `assets/functions/${fn}.js`)]));
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('installs without a TypeScript toolchain or bundler', () => {
    for (const tool of ['typescript', 'tsx', 'esbuild', 'ts-node']) expect([tool, existsSync(join(installed, '..', tool))]).toEqual([tool, false]);
  });

  it('synthesizes the state machine and every function of the steps and the configured triggers', () => {
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')).toHaveLength(1);
    const names = functions().map((f) => f.Properties.Environment?.Variables?.[STEP_ENV]);
    expect([...names].sort()).toEqual([...FUNCTION_NAMES].sort());
  });

  it("deploys each function's pre-built bundle from the package, not a build of TypeScript sources", () => {
    for (const fn of functions()) {
      const name = String(fn.Properties.Environment?.Variables?.[STEP_ENV]);
      const hash = fn.Properties.Code?.S3Key?.replace(/\.zip$/, '') ?? '';
      const dir = join(out(), assets.files[hash]?.source.path ?? `no asset for ${name}`);
      expect([name, readdirSync(dir).filter((f) => f.endsWith('.ts'))]).toEqual([name, []]);
      const deployed = readFileSync(join(dir, 'index.js'));
      expect([name, deployed.equals(readFileSync(join(installed, 'assets', 'functions', `${name}.js`)))]).toEqual([name, true]);
    }
  });

  it("type-checks a TypeScript consumer's app against the shipped declarations", () => {
    const app = join(work, 'app');
    writeFileSync(join(app, 'app.ts'), APP_TS);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'ES2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', 'app.ts'];
    const run = spawnSync(process.execPath, [tsc, ...args], { cwd: app, encoding: 'utf8' });
    expect({ status: run.status, errors: run.stdout }).toEqual({ status: 0, errors: '' });
  });

  it('runs the bluegreen CLI compiled', () => {
    const help = execFileSync(join(work, 'app', 'node_modules', '.bin', 'bluegreen'), ['--help'], { encoding: 'utf8' });
    expect(help).toMatch(/^Usage: bluegreen/);
  });
});
