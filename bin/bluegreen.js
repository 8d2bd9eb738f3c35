#!/usr/bin/env node
/* global require, process, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS shim, run by node as is */
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
// The SDK's notice about its future Node requirement is for the project's maintainers, not for each command's operator.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The newest source the checkout's bundle is built from (the CLI, this entry point, the shared lambdas code it imports). */
function newestSource(root) {
  let newest = { file: '', at: 0 };
  for (const dir of ['cli', 'cli/commands', 'lambdas/shared', 'bin']) {
    for (const name of readdirSync(join(root, dir))) {
      if (!name.endsWith('.ts')) continue;
      const at = statSync(join(root, dir, name)).mtimeMs;
      if (at > newest.at) newest = { file: `${dir}/${name}`, at };
    }
  }
  return newest;
}

if (existsSync(join(__dirname, 'bluegreen.ts'))) {
  // A checkout: runs the CLI as one bundle of plain JavaScript, built by `npm run build:cli` (npm ci/install runs it as `prepare`).
  const root = join(__dirname, '..');
  const built = join(root, 'build', 'bluegreen.js');
  if (!existsSync(built)) {
    process.stderr.write('bluegreen: the CLI is not built in this checkout: run "npm run build:cli" (npm ci does it too), then try again\n');
    process.exitCode = 1;
  } else {
    const source = newestSource(root);
    if (source.at > statSync(built).mtimeMs) process.stderr.write(`bluegreen: warning: ${source.file} changed after the CLI was built: run "npm run build:cli" to run your changes\n`);
    require(built);
  }
} else {
  // The installed package ships the CLI compiled (`npm pack` builds dist/ from tsconfig.build.json).
  require('../dist/bin/bluegreen.js');
}
