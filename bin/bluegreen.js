#!/usr/bin/env node
/* global require, process, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS shim, run by node as is */
const { existsSync } = require('node:fs');
const { join } = require('node:path');
// The SDK's notice about its future Node requirement is for the project's maintainers, not for each command's operator.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
if (existsSync(join(__dirname, 'bluegreen.ts'))) {
  // A checkout: tsx compiles the TypeScript CLI on the fly, so working on it needs no build step.
  require('tsx/cjs');
  require('./bluegreen.ts');
} else {
  // The installed package ships the CLI compiled (`npm pack` builds dist/ from tsconfig.build.json).
  require('../dist/bin/bluegreen.js');
}
