import { join } from 'node:path';
import { unsupportedPublicTypes } from './api-surface';

const ROOT = join(__dirname, '..', '..');

describe('the public API (lib/index.ts)', () => {
  it('has props a jsii library could declare: readonly members, no union, mapped, conditional, literal or zod-inferred types', () => {
    expect(unsupportedPublicTypes(join(ROOT, 'lib', 'index.ts'))).toEqual([]);
  });

  it('the check flags each unsupported kind of member, naming it', () => {
    // GIVEN props with one unsupported member of each kind, and supported ones
    const problems = unsupportedPublicTypes(join(__dirname, 'fixtures', 'unsupported-api.ts'));
    // THEN each unsupported member is named once with its kind, and nothing else
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^UnsupportedProps\.strategy: a union: use a string enum/),
        expect.stringMatching(/^UnsupportedProps\.size: a union/),
        expect.stringMatching(/^UnsupportedProps\.flags: a mapped type alias/),
        expect.stringMatching(/^UnsupportedProps\.record: a mapped type alias/),
        expect.stringMatching(/^UnsupportedProps\.inline: an anonymous object type/),
        expect.stringMatching(/^UnsupportedProps\.conditional: a conditional type/),
        expect.stringMatching(/^UnsupportedProps\.route: a zod-inferred type alias/),
        expect.stringMatching(/^UnsupportedProps\.hidden: .*unsupported-api\.ts declares it, but .* does not export it/),
        expect.stringMatching(/^UnsupportedProps\.mutable: not readonly$/),
      ]),
    );
    expect(problems).toHaveLength(9);
  });
});
