/**
 * `npm run matrix`: the fault-injection matrix of test/matrix, run outside jest, printed as a
 * table (cell, outcome, what the endpoint serves, held ✓/✗) and the figure `N cells run, M held`.
 * Each group needs a local AWS of its own (the handlers' SDK clients bind to one at load), so
 * each runs in a child process, two at a time; the stack is synthesized once for the fault
 * groups, and once more by each outside-actors group (its config routes the registry cells' groups).
 */
import '../test/matrix/quiet';
import { fork } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CELLS as VARIANT_CELLS, NOT_APPLICABLE as VARIANT_NOT_APPLICABLE, type Cell, type Group } from '../test/matrix/cells';
import { GUARDRAILS_CELLS, GUARDRAILS_NOT_APPLICABLE } from '../test/matrix/guardrails-cells';
import { KINDS_CELLS, KINDS_NOT_APPLICABLE } from '../test/matrix/kinds-cells';
import { runGroup, startMatrixWorld, type CellResult } from '../test/matrix/harness';
import { OUTSIDE_CELLS, OUTSIDE_NOT_APPLICABLE, outsideCellsOf } from '../test/matrix/outside-cells';
import { runOutsideGroup, startOutsideWorld } from '../test/matrix/outside-harness';
import { synthesizeTemplate } from '../local/template';

// The outside-actors groups first: the longest, so the pool's two lanes end together.
const GROUPS: Group[] = ['outside-guardrails', 'outside-variant', 'sequential', 'concurrent-a', 'concurrent-b', 'guardrails', 'kinds'];
const FAULT_CELLS: Cell[] = [...VARIANT_CELLS, ...GUARDRAILS_CELLS, ...KINDS_CELLS];
const CELLS: Array<Pick<Cell, 'id' | 'category' | 'group'>> = [...FAULT_CELLS, ...OUTSIDE_CELLS];
const NOT_APPLICABLE = [...VARIANT_NOT_APPLICABLE, ...GUARDRAILS_NOT_APPLICABLE, ...KINDS_NOT_APPLICABLE, ...OUTSIDE_NOT_APPLICABLE];
const cellsOf = (group: Group): Cell[] => FAULT_CELLS.filter((c) => c.group === group);

interface GroupReport {
  group: Group;
  results: CellResult[];
  seconds: number;
}

async function runOneGroup(group: Group): Promise<GroupReport> {
  const started = Date.now();
  if (group.startsWith('outside-')) {
    const cells = outsideCellsOf(group);
    const world = await startOutsideWorld(group, cells);
    try {
      const results = await Promise.all(runOutsideGroup(world, cells).values());
      return { group, results, seconds: (Date.now() - started) / 1000 };
    } finally {
      await world.close();
    }
  }
  const cells = cellsOf(group);
  const world = await startMatrixWorld(group, cells);
  try {
    const results = await Promise.all(runGroup(world, cells).values());
    return { group, results, seconds: (Date.now() - started) / 1000 };
  } finally {
    await world.close();
  }
}

function inChild(group: Group, env: NodeJS.ProcessEnv): Promise<GroupReport> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--group', group], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let report: GroupReport | undefined;
    child.on('message', (m) => (report = m as GroupReport));
    child.on('error', reject);
    child.on('exit', (code) => (report ? resolve(report) : reject(new Error(`group ${group}: the child exited ${code} without a report`))));
  });
}

async function pool<T, R>(items: T[], width: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await run(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return out;
}

function printTable(reports: GroupReport[]): void {
  const byId = new Map(reports.flatMap((r) => r.results).map((r) => [r.id, r]));
  const rows = CELLS.map((c) => byId.get(c.id)).filter((r): r is CellResult => r !== undefined);
  const width = Math.max(...rows.map((r) => r.id.length), ...NOT_APPLICABLE.map((n) => n.id.length));
  const outcomeWidth = Math.max(...rows.map((r) => r.outcome.length), 'outcome'.length);
  const line = (cell: string, outcome: string, serves: string, held: string) => `${cell.padEnd(width)}  ${outcome.padEnd(outcomeWidth)}  ${serves.padEnd(8)}  ${held}`;
  console.log(line('cell', 'outcome', 'serves', 'held'));
  console.log('-'.repeat(width + outcomeWidth + 21));
  for (const r of rows) console.log(line(r.id, r.outcome, r.serves, r.held ? '✓' : '✗'));
  for (const n of NOT_APPLICABLE) console.log(line(n.id, 'n/a', '', `not applicable: ${n.why}`));
  const failed = rows.filter((r) => !r.held);
  if (failed.length > 0) {
    console.log('\nCells that did not hold:');
    for (const r of failed) console.log(`  ${r.id}\n${r.violations.map((v) => `    - ${v}`).join('\n')}`);
  }
  const category = new Map(CELLS.map((c) => [c.id, c.category]));
  const perCategory = [...new Set(CELLS.map((c) => c.category))].map((k) => {
    const of = rows.filter((r) => category.get(r.id) === k);
    return `${k} ${of.filter((r) => r.held).length}/${of.length}`;
  });
  console.log(`\nheld per category: ${perCategory.join(', ')}; not applicable: ${NOT_APPLICABLE.length}`);
  console.log(`${rows.length} cells run, ${rows.length - failed.length} held`);
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--group');
  if (at !== -1) {
    const report = await runOneGroup(process.argv[at + 1] as Group);
    process.send?.(report);
    return;
  }
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'bluegreen-matrix-'));
  const template = join(dir, 'template.json');
  writeFileSync(template, JSON.stringify(synthesizeTemplate()));
  const env = { ...process.env, BLUEGREEN_TEMPLATE_CACHE: template };
  const reports = await pool(GROUPS, 2, async (group) => {
    const report = await inChild(group, env);
    console.error(`${group}: ${report.results.length} cells in ${report.seconds.toFixed(1)} s`);
    return report;
  });
  printTable(reports);
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
