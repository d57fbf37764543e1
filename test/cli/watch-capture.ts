/**
 * Prints what `npx cdk-microservices rollout start --wait` shows on a terminal, from a local run
 * of the synthesized state machine (the rollout harness): a few of the frames it redraws in place,
 * then the outcome. For the README:
 *   TS_NODE_TRANSPILE_ONLY=true npx ts-node --project test/tsconfig.json test/cli/watch-capture.ts
 */
import { LocalAws } from './local-aws';
import { cli } from './support';
import { NEW_IMAGE, World, synthesizeCanary } from '../deployment/rollout-harness';

async function capture(): Promise<void> {
  const steps = [10, 25, 50, 100].map((percent) => ({ percent, bakeSeconds: 300, approvalBefore: false }));
  const local = new LocalAws(new World(synthesizeCanary()), steps, 10);
  const r = await cli(['rollout', 'start', '--canary', 'Users/users', '--image', NEW_IMAGE, '--rollout-id', 'rollout-20260101T000000Z-a1b2c3', '--wait'],
    { clients: local.clients, clock: local.clock, tty: true });
  // Frames are separated by the redraw (cursor up n lines, clear to the end of the screen).
  const frames = r.stdout.split(/\x1b\[\d+F\x1b\[J/);
  const pick = (test: (f: string) => boolean) => frames.find(test);
  const shown = [
    pick((f) => f.includes('step 2 of 4') && /bake\s+2m/.test(f)),
    frames[frames.length - 1],
  ].filter((f): f is string => f !== undefined);
  process.stdout.write(`$ npx cdk-microservices rollout start --canary Users/users --image ${NEW_IMAGE} --wait\n`);
  process.stdout.write(`${frames[0].split('\n').slice(0, 2).join('\n')}\n...\n${shown.join('...\n')}`);
  process.stdout.write(`(exit code ${r.code})\n`);
}

void capture();
