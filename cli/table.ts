/**
 * The canary's state table: the service item (live slot, images, weights, the lock) and one item
 * per rollout (`rollout#<id>`).
 */
import { AttributeValue, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { Clients } from './aws';

/** A DynamoDB attribute value as a plain value (S and N as strings and numbers, L as arrays, M as objects). */
export function plain(value: AttributeValue | undefined): unknown {
  if (value === undefined) return undefined;
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(plain);
  if (value.M !== undefined) return plainItem(value.M);
  if (value.SS !== undefined) return [...value.SS];
  if (value.NS !== undefined) return value.NS.map(Number);
  return undefined;
}

/** An item as plain values. */
export function plainItem(item: Record<string, AttributeValue>): { [key: string]: any } {
  const out: { [key: string]: any } = {};
  for (const [key, value] of Object.entries(item)) out[key] = plain(value);
  return out;
}

/** The service item: what is live, and the lock. */
export interface ServiceItem {
  readonly liveSlot?: string;
  readonly liveImage?: string;
  readonly blueImage?: string;
  readonly greenImage?: string;
  readonly blueWeight?: number;
  readonly greenWeight?: number;
  readonly lastRollout?: string;
  readonly lastStatus?: string;
  readonly lockedBy?: string;
  readonly lockedByExecution?: string;
  readonly lockedAt?: string;
  readonly abortRequested?: string;
}

/** A step a rollout passed. */
export interface RolloutStepRecord {
  readonly percent: number;
  readonly outcome: string;
  readonly at: string;
}

/** A rollout item. */
export interface RolloutRecord {
  readonly rolloutId: string;
  readonly status?: string;
  readonly image?: string;
  readonly fromSlot?: string;
  readonly toSlot?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly execution?: string;
  readonly steps?: RolloutStepRecord[];
  readonly currentPercent?: number;
  readonly reason?: string;
  readonly failedAtPercent?: number;
  readonly tookOverFrom?: { rolloutId?: string; execution?: string; status?: string };
  readonly takenOverBy?: string;
}

export const ROLLOUT_PREFIX = 'rollout#';

/** The service item (a strongly consistent read), or an empty one before the first rollout. */
export async function readService(clients: Clients, tableName: string): Promise<ServiceItem> {
  const answer = await clients.dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'service' } }, ConsistentRead: true }));
  return answer.Item ? plainItem(answer.Item) as ServiceItem : {};
}

function toRecord(item: { [key: string]: any }): RolloutRecord {
  const { pk, ...rest } = item;
  return { rolloutId: String(pk).slice(ROLLOUT_PREFIX.length), ...rest };
}

/** One rollout item, if there is one. */
export async function readRollout(clients: Clients, tableName: string, rolloutId: string): Promise<RolloutRecord | undefined> {
  const answer = await clients.dynamodb.send(new GetItemCommand({
    TableName: tableName, Key: { pk: { S: `${ROLLOUT_PREFIX}${rolloutId}` } }, ConsistentRead: true,
  }));
  return answer.Item ? toRecord(plainItem(answer.Item)) : undefined;
}

/** Every rollout item, newest first (by startedAt): a Scan, one item per rollout, every page. */
export async function readRollouts(clients: Clients, tableName: string): Promise<RolloutRecord[]> {
  const records: RolloutRecord[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const answer = await clients.dynamodb.send(new ScanCommand({
      TableName: tableName,
      FilterExpression: 'begins_with(pk, :prefix)',
      ExpressionAttributeValues: { ':prefix': { S: ROLLOUT_PREFIX } },
      ...(start ? { ExclusiveStartKey: start } : {}),
    }));
    for (const item of answer.Items ?? []) records.push(toRecord(plainItem(item)));
    start = answer.LastEvaluatedKey;
  } while (start);
  return records.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
}
