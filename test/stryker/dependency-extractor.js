/**
 * What a file depends on, for jest's --findRelatedTests in mutation runs (jest.stryker.config.js):
 * jest's own extraction, plus the step handlers local/executor.ts requires by a computed path
 * (`require(`../lambdas/${name}/index`)`), which jest cannot see. Without them a mutant of a
 * handler, or of anything a handler imports, would never meet the workflow, scenario or matrix tests.
 */
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const COMPUTED_HANDLER_REQUIRE = /require\(`\.\.\/lambdas\/\$\{[^}]+\}\/index`\)/;
const handlerFolders = (lambdas) => readdirSync(lambdas).filter((name) => existsSync(join(lambdas, name, 'index.ts')));

module.exports = {
  extract(code, filePath, defaultExtract) {
    const dependencies = defaultExtract(code, filePath);
    if (COMPUTED_HANDLER_REQUIRE.test(code)) {
      for (const name of handlerFolders(join(dirname(filePath), '..', 'lambdas'))) dependencies.add(`../lambdas/${name}/index`);
    }
    return dependencies;
  },
  // A new handler folder changes what the computed require can reach.
  getCacheKey() {
    return createHash('sha256')
      .update(readFileSync(__filename))
      .update(handlerFolders(join(__dirname, '..', '..', 'lambdas')).join(','))
      .digest('hex');
  },
};
