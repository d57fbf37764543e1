/**
 * The states of a release that copy the idle slot's task definition with the new image: the
 * Map over its containers and the parameters of RegisterTaskDefinition.
 */
import { State } from './rollout-integrations';
import { intrinsicLiteral } from './rollout-text';
import { RESOURCE_ATTRIBUTES } from '../service/service-tracing';

/**
 * Every container the slot's task definition has now, the app's with the new image and
 * RELEASE_ID. Copied at run time, not by a count known when the canary was built: a container
 * added to the task definition later (a sidecar, by hand or by an Aspect) would otherwise be
 * dropped from every release without a word. Its iterations are Choices, Passes and Maps of
 * Choices and Passes: none can fail. No JSONPath filter is used (one that matches nothing
 * gives [] in Step Functions): RELEASE_ID is found by a Map over the variable names, replaced
 * where it is and appended where it is not, the rest kept in order.
 */
export function copyContainersState(appContainerIndex: number, resourceAttributesPrefix?: string): State {
  return {
    Type: 'Map',
    ItemsPath: '$.current.definition.ContainerDefinitions',
    ItemSelector: { 'index.$': '$$.Map.Item.Index', 'container.$': '$$.Map.Item.Value', 'release.$': '$.release' },
    ItemProcessor: {
      ProcessorConfig: { Mode: 'INLINE' },
      StartAt: 'IsAppContainer',
      States: {
        IsAppContainer: {
          Type: 'Choice',
          Choices: [{ Variable: '$.index', NumericEquals: appContainerIndex, Next: 'WithNewImage' }],
          Default: 'AsItIs',
        },
        AsItIs: { Type: 'Pass', OutputPath: '$.container', End: true },
        WithNewImage: {
          Type: 'Pass',
          Parameters: { 'container.$': 'States.JsonMerge($.container, $.release.override, false)', 'release.$': '$.release' },
          Next: 'HasEnvironment',
        },
        HasEnvironment: {
          Type: 'Choice',
          Choices: [{ Variable: '$.container.Environment', IsPresent: true, Next: 'VariableNames' }],
          Default: 'OnlyReleaseId',
        },
        OnlyReleaseId: {
          Type: 'Pass',
          Parameters: { 'container.$': 'States.JsonMerge($.container, $.release.environment, false)' },
          OutputPath: '$.container',
          End: true,
        },
        VariableNames: {
          Type: 'Map',
          ItemsPath: '$.container.Environment',
          ItemSelector: { 'name.$': '$$.Map.Item.Value.Name' },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'NameOf',
            States: { NameOf: { Type: 'Pass', OutputPath: '$.name', End: true } },
          },
          ResultPath: '$.names',
          Next: 'CountVariables',
        },
        CountVariables: {
          Type: 'Pass',
          Parameters: {
            'container.$': '$.container',
            'release.$': '$.release',
            'hasReleaseId.$': "States.ArrayContains($.names, 'RELEASE_ID')",
            'count.$': 'States.ArrayLength($.container.Environment)',
          },
          Next: 'ReplaceOrAppend',
        },
        // Indices 0 to count - 1 replace RELEASE_ID where it is; 0 to count also append it.
        ReplaceOrAppend: {
          Type: 'Choice',
          Choices: [{ Variable: '$.hasReleaseId', BooleanEquals: true, Next: 'ReplaceReleaseId' }],
          Default: 'AppendReleaseId',
        },
        ReplaceReleaseId: {
          Type: 'Pass',
          Parameters: { 'last.$': 'States.MathAdd($.count, -1)' },
          ResultPath: '$.rebuild',
          Next: 'Indices',
        },
        AppendReleaseId: { Type: 'Pass', Parameters: { 'last.$': '$.count' }, ResultPath: '$.rebuild', Next: 'Indices' },
        Indices: {
          Type: 'Pass',
          Parameters: { 'indices.$': 'States.ArrayRange(0, $.rebuild.last, 1)' },
          ResultPath: '$.rebuild',
          Next: 'RebuildEnvironment',
        },
        RebuildEnvironment: {
          Type: 'Map',
          ItemsPath: '$.rebuild.indices',
          ItemSelector: {
            'index.$': '$$.Map.Item.Value',
            'count.$': '$.count',
            'environment.$': '$.container.Environment',
            'variable.$': '$.release.variable',
          },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'PastTheEnd',
            States: {
              PastTheEnd: {
                Type: 'Choice',
                Choices: [{ Variable: '$.index', NumericEqualsPath: '$.count', Next: 'NewReleaseId' }],
                Default: 'VariableAt',
              },
              VariableAt: {
                Type: 'Pass',
                Parameters: { 'existing.$': 'States.ArrayGetItem($.environment, $.index)', 'variable.$': '$.variable' },
                Next: 'IsReleaseId',
              },
              IsReleaseId: {
                Type: 'Choice',
                Choices: [
                  { Variable: '$.existing.Name', StringEquals: 'RELEASE_ID', Next: 'NewReleaseId' },
                  // A traced slot's resource attributes name the release too (service.version).
                  ...(resourceAttributesPrefix !== undefined
                    ? [{ Variable: '$.existing.Name', StringEquals: RESOURCE_ATTRIBUTES, Next: 'NewResourceAttributes' }] : []),
                ],
                Default: 'KeepVariable',
              },
              NewReleaseId: { Type: 'Pass', OutputPath: '$.variable', End: true },
              ...(resourceAttributesPrefix !== undefined ? {
                NewResourceAttributes: {
                  Type: 'Pass',
                  Parameters: {
                    'Name': RESOURCE_ATTRIBUTES,
                    'Value.$': `States.Format('${intrinsicLiteral(resourceAttributesPrefix)}{}', $.variable.Value)`,
                  },
                  End: true,
                },
              } : {}),
              KeepVariable: { Type: 'Pass', OutputPath: '$.existing', End: true },
            },
          },
          ResultPath: '$.environment',
          Next: 'EnvironmentPatch',
        },
        EnvironmentPatch: {
          Type: 'Pass',
          Parameters: { 'container.$': '$.container', 'patch': { 'Environment.$': '$.environment' } },
          Next: 'WithReleaseId',
        },
        WithReleaseId: {
          Type: 'Pass',
          Parameters: { 'container.$': 'States.JsonMerge($.container, $.patch, false)' },
          OutputPath: '$.container',
          End: true,
        },
      },
    },
    ResultPath: '$.containers',
    Next: 'RegisterRelease',
  };
}

/** The parameters of RegisterTaskDefinition: the current definition's fields and the copied containers. */
export function registerReleaseParameters(ephemeralStorage: boolean): State {
  const copied = ['Family', 'TaskRoleArn', 'ExecutionRoleArn', 'NetworkMode', 'RequiresCompatibilities', 'Cpu', 'Memory', 'RuntimePlatform', 'Volumes'];
  if (ephemeralStorage) copied.push('EphemeralStorage');
  const register: State = {};
  for (const field of copied) register[`${field}.$`] = `$.current.definition.${field}`;
  register['ContainerDefinitions.$'] = '$.containers';
  return register;
}
