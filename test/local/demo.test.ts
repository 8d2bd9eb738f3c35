import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** Runs `npm run demo` as a user does (tsx local/demo.ts), with the test run's synthesized template. */
function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  // The suite silences Powertools (test/setup-env.ts); the demo must see its own default, so the file has something to show.
  delete env.POWERTOOLS_LOG_LEVEL;
  env.NO_COLOR = '1';
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'local', 'demo.ts'), ...args], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A line of a printed stack trace (`    at fn (file:line:col)`), or a Powertools JSON entry. */
const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

type Run = { code: number | null; stdout: string; stderr: string };

/** The lifecycle event lines the demo prints (`◆ event <detail-type> …`), their detail-types in order. */
const eventTypes = (stdout: string) => [...stdout.matchAll(/◆ event (.+?) {1,}churn-prediction v(\d+)/g)].map((m) => `${m[1]!.trim()} v${m[2]}`);

// The --approval story is the quick start's (a first deployment, a promotion, the expected rollback) with an
// approval gate on each promotion: one run checks both. `.ci/run` runs the plain `npm run demo` itself.
describe.each([['npm run demo -- --approval', ['--approval']]])('%s', (_name, args) => {
  let run: Run;
  const logFile = join(mkdtempSync(join(tmpdir(), 'demo-test-')), 'functions.log');
  beforeAll(async () => {
    run = await runDemo([...args, '--log-file', logFile]);
  }, 120_000);

  test('tells its story and ends well: a promotion, then the expected rollback', () => {
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain('Active environment: green, Model version: 2');
    expect(run.stdout).toMatch(/^Rolled back after .*GuardrailAlarm/m);
  });

  test('names the functions\u2019 log file first, and prints no stack trace or function log entry on the expected rollback', () => {
    expect(run.stdout.split('\n')[0]).toBe(`Function logs: ${logFile} (--verbose prints them here)`);
    expect(run.stdout).not.toMatch(STACK_LINE);
    expect(run.stdout).not.toContain('"level":');
  });

  test('the log file has the functions\u2019 entries, the rollback\u2019s among them (routed, not silenced), and none of them reached the console', () => {
    const entries = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; message: string; promotionId?: string; error?: { stack?: string } });
    expect(entries.map((e) => e.message)).toContain('rollback done');
    // (Which promotion a line names is not checked per line: in one process, concurrent handlers share the one logger's keys.)
    expect(entries.some((e) => e.promotionId?.startsWith('churn-prediction-v3-'))).toBe(true);
    // Whether the rollback also logs an error depends on which step hears the alarm first (the bake's
    // check throws GuardrailAlarm; the alarm rule's abort does not): any such error, stack and all, stays in the file.
    for (const e of entries.filter((x) => x.level === 'ERROR')) {
      expect(e.error?.stack).toMatch(STACK_LINE);
      expect(run.stdout).not.toContain(e.message);
    }
  });

  test('prints the lifecycle events as they happen, the approval step when the gate is on', () => {
    const types = eventTypes(run.stdout);
    const gate = args.includes('--approval') ? ['Approval Needed v2'] : [];
    expect(types.filter((t) => t.endsWith('v2'))).toEqual(['Promotion Started v2', 'Green Validated v2', ...gate, 'Traffic Shifted v2', 'Promotion Succeeded v2']);
    expect(types).toContain('Promotion Rolled Back v3');
    // Each event line comes out while its promotion is followed, before the watch's outcome line.
    expect(run.stdout.indexOf('◆ event Promotion Started     churn-prediction v2')).toBeLessThan(run.stdout.indexOf('Promoted after', run.stdout.indexOf('churn-prediction-v2-approved')));
  });

  if (args.includes('--approval')) {
    test('answers the gate as a named engineer, and the history records who approved', () => {
      expect(run.stdout).toContain('alice@example.com$ bluegreen approve churn-prediction --reason "validation samples look right"');
      expect(run.stdout).toMatch(/^Approved promotion churn-prediction-v2-.* \(by alice@example\.com: validation samples look right\)/m);
      expect(run.stdout).toMatch(/1 → 2 .*approved by alice@example\.com/);
    });
  }
});

/** What each `--kind` story must show: the plan's kind and strategy, and who serves the endpoint after each promotion. */
const KIND_OUTCOMES = {
  serverless: { kind: 'serverless', strategy: 'replace', servesV2: 'AllTraffic v2 ×10', components: 'none' },
  async: { kind: 'asynchronous', strategy: 'guardrails', servesV2: 'AllTraffic v2 ×10', components: 'none' },
  component: { kind: 'inference-component', strategy: 'component', servesV2: 'AllTraffic v2 ×10', components: 'churn-prediction-handmade-ic' },
  'multi-variant': { kind: 'multi-variant', strategy: 'guardrails', servesV2: /^ModelA v1 ×\d+, ModelB v2 ×\d+$/, components: 'none' },
} as const;

// The four stories run one after the other (each its own local AWS, as `npm run demo -- --kind` starts one): four
// local AWS start-ups at once beside the other test files overloaded a 2-core machine and slowed their simulated clocks.
describe('npm run demo -- --kind <kind>', () => {
  const runs: Record<string, Run> = {};
  beforeAll(async () => {
    for (const kind of Object.keys(KIND_OUTCOMES)) runs[kind] = await runDemo(['--kind', kind]);
  }, 300_000);

  /** The `Serving: …` lines, in order: blue's, after v2's promotion, after v3's rollback. */
  const serving = (stdout: string) => [...stdout.matchAll(/^ {3}Serving: (.+)$/gm)].map((m) => m[1]!);

  test.each(Object.entries(KIND_OUTCOMES))('%s: blue of that kind serves v1, v2 is promoted with the kind\u2019s strategy, v3 rolls back on a guardrail alarm, and only what serves is left', (kind, expected) => {
    const run = runs[kind]!;
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`\nKind: ${expected.kind}\n`);
    expect(run.stdout).toMatch(new RegExp(`^Strategy: ${expected.strategy} `, 'm'));
    const types = eventTypes(run.stdout);
    expect(types.filter((t) => t.endsWith('v2'))).toEqual(['Promotion Started v2', 'Green Validated v2', 'Traffic Shifted v2', 'Promotion Succeeded v2']);
    // v3 was validated before traffic and then rolled back (no success).
    expect(types.filter((t) => t.endsWith('v3'))).toEqual(expect.arrayContaining(['Promotion Started v3', 'Green Validated v3', 'Promotion Rolled Back v3']));
    expect(types).not.toContain('Promotion Succeeded v3');
    expect(run.stdout).toMatch(/^Promoted after .*: version 2 promoted$/m);
    // The workflow's alarm trigger and SageMaker's own auto-rollback (guardrails) race to it; either way the alarm is named.
    expect(run.stdout).toMatch(/^Rolled back after .*GuardrailAlarm: .*alarm bluegreen-churn-prediction-v3-\w+-5xx (is in|went into) ALARM/m);
    const [blue, afterV2, afterV3] = serving(run.stdout);
    expect(blue).toMatch(/ v1 ×/);
    expect(blue).not.toMatch(/ v[23] /);
    expect(afterV2).toMatch(expected.servesV2);
    expect(afterV3).toMatch(expected.servesV2);
    // The cleanups: no validation endpoint or component, no alarm of the workflow, no v3 model.
    expect(run.stdout).toContain('   endpoints: churn-prediction\n');
    expect(run.stdout).toContain(`   inference components: ${expected.components}\n`);
    expect(run.stdout).toContain('   alarms: none\n');
    expect(run.stdout).not.toMatch(/^ {3}models: .*churn-prediction-v3-/m);
    expect(run.stdout).not.toMatch(STACK_LINE);
  });

  test('async: the customers\u2019 requests are all queued, and green\u2019s injected 500s come back as failure objects in S3', () => {
    const line = /^Client requests: (\d+) queued, (\d+) of them answered with a failure object .*, 0 refused\.$/m.exec(runs.async!.stdout);
    expect(line).not.toBeNull();
    expect(Number(line![2])).toBeGreaterThan(0);
  });
});

test.each([
  [['--kind', 'lambda'], /--kind: unknown kind "lambda"; use one of serverless, async, component, multi-variant/],
  [['--kind', 'async', '--approval'], /--approval: the approval gate is on an approval route, which the --kind stories do not use/],
])('npm run demo -- %j is refused with the kinds, exit 2, before anything starts', async (args, message) => {
  const run = await runDemo(args);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).toContain('Usage: npm run demo');
  expect(run.stdout).toBe('');
}, 30_000);
