import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The package's version, from the package.json above this file: cli/ in a checkout, build/ for
 * the bundle, dist/cli/ in the installed package (which ships no copy of package.json in dist/).
 */
export function packageVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'sagemaker-bluegreen' && pkg.version) return pkg.version;
    } catch {
      // no package.json here: look further up
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
