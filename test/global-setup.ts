import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeTemplate } from '../local/template';

/**
 * Synthesizes the app's stack once per test run; every test file that runs the workflow
 * (locally or with mocks) reads that template instead of synthesizing it again (~5 s each).
 */
export default function globalSetup(): void {
  const dir = mkdtempSync(join(tmpdir(), 'bluegreen-template-'));
  const file = join(dir, 'template.json');
  writeFileSync(file, JSON.stringify(synthesizeTemplate()));
  process.env.BLUEGREEN_TEMPLATE_CACHE = file;
}
