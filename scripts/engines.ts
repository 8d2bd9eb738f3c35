import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { minVersion, type SemVer } from 'semver';

/** The parts of package.json and of a package-lock.json (lockfileVersion 2 or 3) read here. */
interface Manifest {
  readonly name?: string;
  readonly version?: string;
  readonly engines?: { readonly node?: string };
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { readonly optional?: boolean }>;
}
export interface Lockfile {
  readonly packages: Record<string, Manifest>;
}

export interface NodeFloor {
  /** The highest minimum Node.js version any installed runtime package declares. */
  readonly version: SemVer;
  /** The package (lockfile path) that declares it. */
  readonly setBy: string;
}

/** Where Node resolves `name` from the package installed at `from` (a lockfile path, '' for the root). */
function resolve(lock: Lockfile, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (dir === '') return undefined;
  }
}

/** What a package needs installed beside it at run time: dependencies, optional ones, and peers not marked optional. */
function runtimeNeeds(manifest: Manifest): { name: string; optional: boolean }[] {
  const peers = Object.keys(manifest.peerDependencies ?? {}).filter((p) => !manifest.peerDependenciesMeta?.[p]?.optional);
  return [
    ...Object.keys(manifest.dependencies ?? {}).map((name) => ({ name, optional: false })),
    ...peers.map((name) => ({ name, optional: false })),
    ...Object.keys(manifest.optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
  ];
}

/**
 * The Node.js version a consumer of the package needs: the highest minimum among the `engines.node`
 * of everything its dependencies and peer dependencies install, resolved as Node does in the lockfile.
 */
export function nodeFloor(pkg: Manifest, lock: Lockfile): NodeFloor {
  const seen = new Set<string>();
  const pending = runtimeNeeds(pkg).map((need) => ({ ...need, from: '' }));
  let floor: NodeFloor | undefined;
  for (let next = pending.pop(); next; next = pending.pop()) {
    const at = resolve(lock, next.from, next.name);
    if (!at) {
      if (next.optional) continue;
      throw new Error(`${next.name} (needed by ${next.from || 'the package'}) is not in package-lock.json; run npm install`);
    }
    if (seen.has(at)) continue;
    seen.add(at);
    const manifest = lock.packages[at] ?? {};
    const range = manifest.engines?.node;
    const min = range === undefined ? null : minVersion(range);
    if (min && (!floor || min.compare(floor.version) > 0)) floor = { version: min, setBy: at };
    pending.push(...runtimeNeeds(manifest).map((need) => ({ ...need, from: at })));
  }
  if (!floor) throw new Error('no runtime dependency declares engines.node');
  return floor;
}

if (require.main === module) {
  const root = join(__dirname, '..');
  const read = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8')) as Manifest & Lockfile;
  const floor = nodeFloor(read('package.json'), read('package-lock.json'));
  process.stdout.write(`engines.node >=${floor.version.version} (set by ${floor.setBy})\n`);
}
