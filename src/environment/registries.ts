import { Lazy } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { Problems } from '../private/validation';

/**
 * The listener rule priorities of an environment's shared listener: explicit ones are unique,
 * the others get the lowest free numbers at synthesis in the order they were asked for, so a
 * priority chosen later by another service never collides.
 * @internal
 */
export class ListenerPriorities {
  private readonly explicit = new Set<number>();
  private autoCount = 0;
  private assigned?: number[];

  constructor(private readonly owner: IConstruct) {}

  /** Reserves `requested`, or the next free priority when undefined. */
  public reserve(requested: number | undefined, scope: Construct): number {
    if (requested !== undefined) {
      if (this.explicit.has(requested)) {
        const p = new Problems('TwelveFactorService', scope);
        p.add(`\`routePriority\` ${requested} is already used by another service on ${this.owner.node.path}; use a unique priority from 1 to 50000`);
        p.throwIfAny();
      }
      this.explicit.add(requested);
      return requested;
    }
    const index = this.autoCount++;
    return Lazy.number({ produce: () => this.autoPriorities()[index] });
  }

  private autoPriorities(): number[] {
    if (!this.assigned) {
      const assigned: number[] = [];
      for (let next = 1; assigned.length < this.autoCount; next++) {
        if (!this.explicit.has(next)) assigned.push(next);
      }
      this.assigned = assigned;
    }
    return this.assigned;
  }
}

/**
 * The names taken in an environment's Cloud Map namespace, with the path of who took each.
 * @internal
 */
export class ServiceNames {
  private readonly owners = new Map<string, string>();

  /** Claims `name` for `path`; returns the path of whoever already has it, if another. */
  public claim(name: string, path: string): string | undefined {
    const owner = this.owners.get(name);
    if (owner !== undefined && owner !== path) return owner;
    this.owners.set(name, path);
    return undefined;
  }
}

const priorities = new WeakMap<IConstruct, ListenerPriorities>();
const names = new WeakMap<IConstruct, ServiceNames>();

/**
 * The listener priorities of an environment (any `IMicroserviceEnvironment`).
 * @internal
 */
export function listenerPrioritiesOf(environment: IConstruct): ListenerPriorities {
  let registry = priorities.get(environment);
  if (!registry) priorities.set(environment, registry = new ListenerPriorities(environment));
  return registry;
}

/**
 * The service names of an environment (any `IMicroserviceEnvironment`).
 * @internal
 */
export function serviceNamesOf(environment: IConstruct): ServiceNames {
  let registry = names.get(environment);
  if (!registry) names.set(environment, registry = new ServiceNames());
  return registry;
}
