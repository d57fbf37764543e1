import { App, Aws, CfnParameter, Stack, aws_ecr as ecr } from 'aws-cdk-lib';
import { imageReachableThroughEndpoints, registryOf } from '../../src/private/image-reach';

const REGION = 'us-east-1';

describe('imageReachableThroughEndpoints (no NAT: only private ECR of the Region)', () => {
  test.each<[string, boolean]>([
    ['public.ecr.aws/nginx/nginx:1', false],
    ['nginx:latest', false],
    ['nginx', false],
    ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', false],
    ['library/nginx', false],
    ['docker.io/library/nginx', false],
    ['registry-1.docker.io/library/nginx:1', false],
    ['ghcr.io/x/y', false],
    ['quay.io/prometheus/node-exporter:v1', false],
    ['localhost:5000/app', false],
    ['myregistry.example.com:5000/team/app:1', false],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag', true],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/repo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', true],
    // Another account's registry in the Region goes through the same endpoints.
    ['210987654321.dkr.ecr.us-east-1.amazonaws.com/shared/base:1', true],
    // A pull through cache repository is a private repository with the upstream's prefix.
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/ecr-public/nginx/nginx:1', true],
    ['123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM/repo:tag', true],
    // ECR endpoints serve their own Region only.
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com/repo:tag', false],
    // Not an ECR host, though it looks like one.
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example/repo', false],
    ['dkr.ecr.us-east-1.amazonaws.com/repo', false],
  ])('%s -> %p', (image, reachable) => {
    expect(imageReachableThroughEndpoints(image, REGION)).toBe(reachable);
  });

  test('the China partition host form in its Region', () => {
    expect(imageReachableThroughEndpoints('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/repo:1', 'cn-north-1')).toBe(true);
  });

  test('a token registry is unknown (asset images and fromEcrRepository are private ECR)', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: REGION } });
    const repo = ecr.Repository.fromRepositoryName(stack, 'Repo', 'app');
    expect(imageReachableThroughEndpoints(repo.repositoryUriForTag('v1'), REGION)).toBeUndefined();
    expect(imageReachableThroughEndpoints(`${Aws.ACCOUNT_ID}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/repo:1`, REGION)).toBeUndefined();
    const whole = new CfnParameter(stack, 'Image').valueAsString;
    expect(imageReachableThroughEndpoints(whole, REGION)).toBeUndefined();
  });

  test('a token only in the tag still names the registry', () => {
    const stack = new Stack(new App(), 'S');
    const tag = new CfnParameter(stack, 'Tag').valueAsString;
    expect(imageReachableThroughEndpoints(`public.ecr.aws/nginx/nginx:${tag}`, REGION)).toBe(false);
    expect(imageReachableThroughEndpoints(`123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:${tag}`, REGION)).toBe(true);
  });

  test('a private ECR image with an environment-agnostic stack Region is unknown; other registries are still unreachable', () => {
    expect(imageReachableThroughEndpoints('123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:1', Aws.REGION)).toBeUndefined();
    expect(imageReachableThroughEndpoints('nginx:latest', Aws.REGION)).toBe(false);
  });
});

describe('registryOf (Docker reference grammar)', () => {
  test.each<[string, string]>([
    ['nginx', 'docker.io'],
    ['user/app:1', 'docker.io'],
    ['docker.io/library/nginx', 'docker.io'],
    ['ghcr.io/x/y', 'ghcr.io'],
    ['localhost/app', 'localhost'],
    ['host:5000/app', 'host:5000'],
  ])('%s -> %s', (image, registry) => {
    expect(registryOf(image)).toBe(registry);
  });
});
