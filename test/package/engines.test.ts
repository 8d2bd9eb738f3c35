import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { minVersion } from 'semver';
import { nodeFloor, type Lockfile } from '../../scripts/engines';

const ROOT = join(__dirname, '..', '..');
const read = <T>(file: string) => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as T;

describe('engines.node', () => {
  it('is the highest minimum Node.js version among the runtime and peer dependencies in package-lock.json', () => {
    // GIVEN the package and its lockfile
    const pkg = read<{ engines: { node: string } }>('package.json');
    const lock = read<Lockfile>('package-lock.json');
    // WHEN the floor is recomputed from what a consumer installs
    const floor = nodeFloor(pkg, lock);
    // THEN package.json claims exactly that floor
    expect(minVersion(pkg.engines.node)?.version).toBe(floor.version.version);
  });

  it('follows nested installs, peers and optional dependencies, and skips development-only packages', () => {
    // GIVEN a lockfile where a nested copy needs Node 22 and a development dependency needs Node 24
    const lock: Lockfile = {
      packages: {
        '': {},
        'node_modules/a': { engines: { node: '>=18' }, dependencies: { b: '^2' } },
        'node_modules/b': { engines: { node: '>=16' } },
        'node_modules/a/node_modules/b': { engines: { node: '^22.1.0 || >=24' } },
        'node_modules/peer': { engines: { node: '>= 20.0.0' }, optionalDependencies: { absent: '*' } },
        'node_modules/dev-only': { engines: { node: '>=24' } },
      },
    };
    // WHEN the floor of a package depending on a, with the peer, is computed
    const floor = nodeFloor({ dependencies: { a: '^1' }, peerDependencies: { peer: '^1' } }, lock);
    // THEN the nested copy a resolves sets it; the development-only package does not count
    expect(floor).toMatchObject({ setBy: 'node_modules/a/node_modules/b' });
    expect(floor.version.version).toBe('22.1.0');
  });

  it('names a runtime dependency missing from the lockfile', () => {
    expect(() => nodeFloor({ dependencies: { gone: '^1' } }, { packages: { '': {} } })).toThrow(/gone \(needed by the package\) is not in package-lock.json; run npm install/);
  });
});
