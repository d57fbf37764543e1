#!/usr/bin/env node
/**
 * The `cdk-microservices` command: `npx cdk-microservices rollout <command>` (see --help).
 */
import { randomBytes } from 'node:crypto';
import { createClients } from './aws';
import { main } from './main';

main(process.argv.slice(2), {
  clients: createClients,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => randomBytes(3).toString('hex'),
}).then((code) => {
  process.exitCode = code;
}, (e) => {
  process.stderr.write(`${(e as Error)?.message ?? e}\n`);
  process.exitCode = 1;
});
