import { aws_ecs as ecs } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ENV_VAR_NAME, SERVICE_CLASS } from './service-validation';
import { Problems, show } from '../private/validation';

/**
 * A service's environment variables (III): its `config` and `secrets`, what attached backing
 * services and integrations inject, and `addEnvironment`/`addSecret`. Every container added
 * with `track` (the app's and its admin tasks') gets each variable, also the ones added later.
 * `RELEASE_ID` is the construct's own and never taken from here.
 */
export class ServiceVariables {
  /** Plain variables, by name. */
  public readonly plain: { [name: string]: string } = {};
  /** Secret variables, by name. */
  public readonly secrets: { [name: string]: ecs.Secret } = {};
  /** The containers that get every variable. */
  public readonly containers: ecs.ContainerDefinition[] = [];

  /** `scope` is the service, named in errors. */
  constructor(private readonly scope: IConstruct) {}

  /** Takes `config` and `secrets` (checked already) as they are given. */
  public init(config: { [name: string]: string }, secrets: { [name: string]: ecs.Secret }): void {
    for (const [name, value] of Object.entries(config)) this.plain[name] = value;
    for (const [name, value] of Object.entries(secrets)) this.secrets[name] = value;
  }

  /** Makes a container get every variable added from now on. */
  public track(container: ecs.ContainerDefinition): void {
    this.containers.push(container);
  }

  /** Adds a plain variable to every container; `source` names who asked in errors. */
  public add(name: string, value: string, source: string): void {
    this.assertFreeName(name, source);
    this.plain[name] = value;
    for (const c of this.containers) c.addEnvironment(name, value);
  }

  /** Adds a secret variable to every container; `source` names who asked in errors. */
  public addSecret(name: string, secret: ecs.Secret, source: string): void {
    this.assertFreeName(name, source);
    this.secrets[name] = secret;
    for (const c of this.containers) c.addSecret(name, secret);
  }

  /** Whether a variable of that name is already set (or is `RELEASE_ID`). */
  public taken(name: string): boolean {
    const own = (o: object): boolean => Object.prototype.hasOwnProperty.call(o, name);
    return own(this.plain) || own(this.secrets) || name === 'RELEASE_ID';
  }

  private assertFreeName(name: string, source: string): void {
    const p = new Problems(SERVICE_CLASS, this.scope);
    if (!ENV_VAR_NAME.test(name)) {
      p.add(`environment variable name ${show(name)} from ${source} is not valid; use letters, digits and underscores, not starting with a digit`);
    }
    if (this.taken(name)) {
      p.add(`environment variable ${name} from ${source} is already set on ${this.scope.node.path}; pass another \`envVarPrefix\` or rename it`);
    }
    p.throwIfAny();
  }
}
