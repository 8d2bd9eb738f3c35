import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Global setup of the mutation run (jest.stryker.config.js, `npm run mutate`). The tests read the
 * synthesized template from the file BLUEGREEN_TEMPLATE_CACHE names (local/template.ts). Stryker
 * names the mutant it runs the tests for in __STRYKER_ACTIVE_MUTANT__ (INSTRUMENTER_CONSTANTS of
 * @stryker-mutator/api): a mutant of the definition gets a template synthesized with it active;
 * every other mutant the unmutated template, synthesized once per run. Synthesis runs in a child
 * process (test/stryker/synthesize.ts): jest's global setup shares the worker's module cache from
 * run to run, so the instrumented definition would not load again with the next mutant. Templates
 * are kept for the whole run in the sandbox (Stryker makes a new one per run); outside Stryker,
 * nothing is instrumented and the template is synthesized afresh into a temporary directory.
 */
const ROOT = join(__dirname, '..', '..');
const TEMPLATES = join(ROOT, '.stryker-templates');
const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';

/** The ids of the mutants Stryker placed in lib/definition.ts (none outside a Stryker sandbox). */
function definitionMutants(): string[] {
  const source = readFileSync(join(ROOT, 'lib', 'definition.ts'), 'utf8');
  return [...new Set([...source.matchAll(/stryMutAct_9fa48\("([^"]+)"\)/g)].map((m) => m[1]!))];
}

function synthesize(file: string, activeMutant: string | undefined): void {
  const { [ACTIVE_MUTANT]: _active, BLUEGREEN_TEMPLATE_CACHE: _cache, ...env } = process.env;
  const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), join(__dirname, 'synthesize.ts'), file], {
    cwd: ROOT,
    env: activeMutant === undefined ? env : { ...env, [ACTIVE_MUTANT]: activeMutant },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`synthesizing the template${activeMutant ? ` with mutant ${activeMutant}` : ''} failed: ${run.stderr}`);
}

export default function globalSetup(): void {
  const mutants = definitionMutants();
  const dir = mutants.length > 0 ? TEMPLATES : mkdtempSync(join(tmpdir(), 'bluegreen-template-'));
  mkdirSync(dir, { recursive: true });
  const active = process.env[ACTIVE_MUTANT];
  const ofMutant = active !== undefined && mutants.includes(active);
  const file = join(dir, ofMutant ? `mutant-${active}.json` : 'unmutated.json');
  // A definition mutant the CDK refuses to synthesize fails this setup: Stryker reports a runtime error, outside the score.
  if (!existsSync(file)) synthesize(file, ofMutant ? active : undefined);
  process.env.BLUEGREEN_TEMPLATE_CACHE = file;
  process.env.BLUEGREEN_DEFINITION_MUTANTS = mutants.join(',');
}
