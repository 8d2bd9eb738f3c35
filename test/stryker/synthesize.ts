import { renameSync, writeFileSync } from 'node:fs';
import { synthesizeTemplate } from '../../local/template';

/**
 * `tsx test/stryker/synthesize.ts <file>`: writes the app's synthesized template to <file>, as the
 * code of this tree (with the mutant named in __STRYKER_ACTIVE_MUTANT__ active, in a Stryker sandbox)
 * builds it. A fresh process: the instrumented modules load with that mutant, module-level code included.
 */
const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: tsx test/stryker/synthesize.ts <template.json>');
const partial = `${file}.${process.pid}.tmp`;
writeFileSync(partial, JSON.stringify(synthesizeTemplate()));
// Atomic: two workers may synthesize the same mutant's template at once.
renameSync(partial, file);
