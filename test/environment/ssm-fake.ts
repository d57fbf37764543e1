import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  InvalidNextToken,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  ValidationException,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { Json } from '../contract/aws-models';

/**
 * An in-memory Parameter Store for the claim provider's handler (assets/providers/claims.js), that
 * behaves as the SSM API reference documents it:
 * - PutParameter with Overwrite false on an existing name: ParameterAlreadyExists; with
 *   Overwrite true: the value replaced and the version incremented
 *   (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html);
 * - GetParameter and DeleteParameter of a missing name: ParameterNotFound;
 * - GetParametersByPath: the parameters directly under the path only when Recursive is false,
 *   at most MaxResults (1 to 10, else ValidationException) a page with a NextToken while more
 *   remain, InvalidNextToken for a token it did not give
 *   (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParametersByPath.html).
 *
 * Every answer and error is recorded in `answers` in the order they are given (a request held
 * by `beforeNextPut` is recorded after what ran meanwhile), to be checked against the SSM API model.
 * Shared by the handler's unit tests and the two-team-apps test.
 */

/** One answer or error of the stand-in. */
export interface SsmAnswer {
  readonly op: string;
  /** The request, as the operation got it. */
  readonly input: Json;
  readonly answer?: Json;
  readonly error?: string;
}

/** What `mockClient(SSMClient)` returns. */
export type SsmStub = ReturnType<typeof mockClient>;

const META = { $metadata: {} };

export class SsmFake {
  /** The parameters: name to value. */
  public readonly params = new Map<string, string>();
  /** Names another deployment takes just before our PutParameter (a race), name to value. */
  public readonly stolen = new Map<string, string>();
  /** Every call but DeleteParameter fails with this error, when set. */
  public failWith?: Error;
  /**
   * Runs before the next PutParameter is answered, once (it is cleared before it runs): lets a
   * test make another deployment's whole request land between a handler's listing and its put.
   */
  public beforeNextPut?: (input: Json) => Promise<void> | void;
  private readonly versions = new Map<string, number>();

  /** @param answers where answers and errors are recorded (shared across fakes if wanted) */
  constructor(public readonly answers: SsmAnswer[] = []) {}

  /** Answers the four SSM commands the handler sends, on a `mockClient(SSMClient)`. */
  public install(mock: SsmStub): void {
    const recorded = (op: string, fake: (input: Json) => Json | Promise<Json>) => async (input: Json) => {
      try {
        const answer = await fake(input);
        this.answers.push({ op, input, answer });
        return answer;
      } catch (e) {
        this.answers.push({ op, input, error: (e as Error).name });
        throw e;
      }
    };
    mock.on(PutParameterCommand).callsFake(recorded('PutParameter', (input) => this.put(input)));
    mock.on(GetParameterCommand).callsFake(recorded('GetParameter', (input) => this.get(input)));
    mock.on(DeleteParameterCommand).callsFake(recorded('DeleteParameter', (input) => this.delete(input)));
    mock.on(GetParametersByPathCommand).callsFake(recorded('GetParametersByPath', (input) => this.byPath(input)));
  }

  private async put(input: Json): Promise<Json> {
    const hook = this.beforeNextPut;
    if (hook) {
      this.beforeNextPut = undefined;
      await hook(input);
    }
    if (this.failWith) throw this.failWith;
    const thief = this.stolen.get(input.Name);
    if (thief !== undefined) {
      this.params.set(input.Name, thief);
      this.stolen.delete(input.Name);
    }
    if (this.params.has(input.Name) && !input.Overwrite) {
      throw new ParameterAlreadyExists({ message: 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.', ...META });
    }
    const version = this.params.has(input.Name) ? this.versionOf(input.Name) + 1 : 1;
    this.params.set(input.Name, input.Value);
    this.versions.set(input.Name, version);
    return { Version: version, Tier: input.Tier ?? 'Standard' };
  }

  private get(input: Json): Json {
    if (this.failWith) throw this.failWith;
    const stored = this.params.get(input.Name);
    if (stored === undefined) throw new ParameterNotFound({ message: '', ...META });
    return { Parameter: { Name: input.Name, Type: 'String', Value: stored, Version: this.versionOf(input.Name), DataType: 'text' } };
  }

  private delete(input: Json): Json {
    if (!this.params.delete(input.Name)) throw new ParameterNotFound({ message: '', ...META });
    this.versions.delete(input.Name);
    return {};
  }

  private byPath(input: Json): Json {
    if (this.failWith) throw this.failWith;
    const max = input.MaxResults ?? 10;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw new ValidationException({ message: `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10`, ...META });
    }
    const prefix = input.Path === '/' ? '/' : `${input.Path}/`;
    const names = [...this.params.keys()]
      .filter((n) => n.startsWith(prefix) && (input.Recursive === true || !n.slice(prefix.length).includes('/')))
      .sort();
    // The token is the offset of the next page, as a string of digits (opaque to the caller).
    if (input.NextToken !== undefined && !/^\d+$/.test(String(input.NextToken))) {
      throw new InvalidNextToken({ message: 'The specified token is not valid.', ...META });
    }
    const start = input.NextToken === undefined ? 0 : Number(input.NextToken);
    const page = names.slice(start, start + max);
    const next = start + page.length < names.length ? String(start + page.length) : undefined;
    return {
      Parameters: page.map((Name) => ({ Name, Type: 'String', Value: this.params.get(Name), Version: this.versionOf(Name), DataType: 'text' })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  private versionOf(name: string): number {
    return this.versions.get(name) ?? 1;
  }
}
