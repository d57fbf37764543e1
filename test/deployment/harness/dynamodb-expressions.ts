/**
 * DynamoDB attribute values and the expressions the rollout's DynamoDB calls use, as the simulated
 * world evaluates them: `applyUpdate` (UpdateExpression: SET with `if_not_exists` and
 * `list_append`, REMOVE) and `evaluateCondition` (ConditionExpression: `attribute_exists`,
 * `attribute_not_exists`, `=`, `<>`, AND, OR, NOT, parentheses), with `#name` and `:value`
 * placeholders and DynamoDB's reserved words. Anything else is refused through `scope.fail`
 * (tests: ../dynamodb-expressions.test.ts).
 */
import { clone, Json } from './json';

/** A DynamoDB attribute value: `{ S: 'text' }`, `{ N: '1' }`, `{ L: [...] }`, `{ M: {...} }`, ... */
export type AttributeValue = { [type: string]: Json };
/** A DynamoDB item: attribute values by attribute name. */
export type Item = { [name: string]: AttributeValue };

/** Reports through `fail` every part of `value` that is not a well-formed attribute value of a simulated type. */
export function checkAttributeValue(value: AttributeValue, where: string, fail: (m: string) => void): void {
  const types = value && typeof value === 'object' ? Object.keys(value) : [];
  if (types.length !== 1) return fail(`${where}: ${JSON.stringify(value)} is not one attribute value`);
  const [type] = types;
  const v = value[type];
  switch (type) {
    case 'S': if (typeof v !== 'string') fail(`${where}: S ${JSON.stringify(v)} is not a string`); break;
    case 'N': if (typeof v !== 'string' || !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) fail(`${where}: N ${JSON.stringify(v)} is not a number string`); break;
    case 'BOOL': if (typeof v !== 'boolean') fail(`${where}: BOOL ${JSON.stringify(v)}`); break;
    case 'NULL': if (v !== true) fail(`${where}: NULL ${JSON.stringify(v)}`); break;
    case 'L': if (!Array.isArray(v)) fail(`${where}: L is not a list`); else v.forEach((e: AttributeValue, i: number) => checkAttributeValue(e, `${where}[${i}]`, fail)); break;
    case 'M': if (!v || typeof v !== 'object') fail(`${where}: M is not a map`); else for (const [k, e] of Object.entries(v)) checkAttributeValue(e as AttributeValue, `${where}.${k}`, fail); break;
    default: fail(`${where}: attribute type ${type} not simulated`);
  }
}

/** Plain values of an attribute value. */
export function unmarshall(value: AttributeValue): Json {
  const [type] = Object.keys(value);
  const v = value[type];
  switch (type) {
    case 'S': return v;
    case 'N': return Number(v);
    case 'BOOL': return v;
    case 'NULL': return null;
    case 'L': return v.map(unmarshall);
    case 'M': return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, unmarshall(e as AttributeValue)]));
    default: throw new Error(`unmarshall ${type}`);
  }
}

/** What an expression is evaluated with: its placeholders, and how a malformed expression is refused (`fail` throws). */
export interface ExpressionScope {
  names: { [k: string]: string };
  values: { [k: string]: AttributeValue };
  fail: (message: string) => never;
}

/** DynamoDB's reserved words (the documented list): they may not name attributes in expressions. */
const RESERVED = new Set(`ABORT ABSOLUTE ACTION ADD AFTER AGENT AGGREGATE ALL ALLOCATE ALTER ANALYZE AND ANY ARCHIVE ARE ARRAY AS ASC ASCII ASENSITIVE
ASSERTION ASYMMETRIC AT ATOMIC ATTACH ATTRIBUTE AUTH AUTHORIZATION AUTHORIZE AUTO AVG BACK BACKUP BASE BATCH BEFORE BEGIN BETWEEN BIGINT BINARY BIT
BLOB BLOCK BOOLEAN BOTH BREADTH BUCKET BULK BY BYTE CALL CALLED CALLING CAPACITY CASCADE CASCADED CASE CAST CATALOG CHAR CHARACTER CHECK CLASS CLOB
CLOSE CLUSTER CLUSTERED CLUSTERING CLUSTERS COALESCE COLLATE COLLATION COLLECTION COLUMN COLUMNS COMBINE COMMENT COMMIT COMPACT COMPILE COMPRESS
CONDITION CONFLICT CONNECT CONNECTION CONSISTENCY CONSISTENT CONSTRAINT CONSTRAINTS CONSTRUCTOR CONSUMED CONTINUE CONVERT COPY CORRESPONDING COUNT
COUNTER CREATE CROSS CUBE CURRENT CURSOR CYCLE DATA DATABASE DATE DATETIME DAY DEALLOCATE DEC DECIMAL DECLARE DEFAULT DEFERRABLE DEFERRED DEFINE
DEFINED DEFINITION DELETE DELIMITED DEPTH DEREF DESC DESCRIBE DESCRIPTOR DETACH DETERMINISTIC DIAGNOSTICS DIRECTORIES DISABLE DISCONNECT DISTINCT
DISTRIBUTE DO DOMAIN DOUBLE DROP DUMP DURATION DYNAMIC EACH ELEMENT ELSE ELSEIF EMPTY ENABLE END EQUAL EQUALS ERROR ESCAPE ESCAPED EVAL EVALUATE
EXCEEDED EXCEPT EXCEPTION EXCEPTIONS EXCLUSIVE EXEC EXECUTE EXISTS EXIT EXPLAIN EXPLODE EXPORT EXPRESSION EXTENDED EXTERNAL EXTRACT FAIL FALSE
FAMILY FETCH FIELDS FILE FILTER FILTERING FINAL FINISH FIRST FIXED FLATTERN FLOAT FOR FORCE FOREIGN FORMAT FORWARD FOUND FREE FROM FULL FUNCTION
FUNCTIONS GENERAL GENERATE GET GLOB GLOBAL GO GOTO GRANT GREATER GROUP GROUPING HANDLER HASH HAVE HAVING HEAP HIDDEN HOLD HOUR IDENTIFIED IDENTITY
IF IGNORE IMMEDIATE IMPORT IN INCLUDING INCLUSIVE INCREMENT INCREMENTAL INDEX INDEXED INDEXES INDICATOR INFINITE INITIALLY INLINE INNER INNTER INOUT
INPUT INSENSITIVE INSERT INSTEAD INT INTEGER INTERSECT INTERVAL INTO INVALIDATE IS ISOLATION ITEM ITEMS ITERATE JOIN KEY KEYS LAG LANGUAGE LARGE
LAST LATERAL LEAD LEADING LEAVE LEFT LENGTH LESS LEVEL LIKE LIMIT LIMITED LINES LIST LOAD LOCAL LOCALTIME LOCALTIMESTAMP LOCATION LOCATOR LOCK LOCKS
LOG LOGED LONG LOOP LOWER MAP MATCH MATERIALIZED MAX MAXLEN MEMBER MERGE METHOD METRICS MIN MINUS MINUTE MISSING MOD MODE MODIFIES MODIFY MODULE
MONTH MULTI MULTISET NAME NAMES NATIONAL NATURAL NCHAR NCLOB NEW NEXT NO NONE NOT NULL NULLIF NUMBER NUMERIC OBJECT OF OFFLINE OFFSET OLD ON ONLINE
ONLY OPAQUE OPEN OPERATOR OPTION OR ORDER ORDINALITY OTHER OTHERS OUT OUTER OUTPUT OVER OVERLAPS OVERRIDE OWNER PAD PARALLEL PARAMETER PARAMETERS
PARTIAL PARTITION PARTITIONED PARTITIONS PATH PERCENT PERCENTILE PERMISSION PERMISSIONS PIPE PIPELINED PLAN POOL POSITION PRECISION PREPARE
PRESERVE PRIMARY PRIOR PRIVATE PRIVILEGES PROCEDURE PROCESSED PROJECT PROJECTION PROPERTY PROVISIONING PUBLIC PUT QUERY QUIT QUORUM RAISE RANDOM
RANGE RANK RAW READ READS REAL REBUILD RECORD RECURSIVE REDUCE REF REFERENCE REFERENCES REFERENCING REGEXP REGION REINDEX RELATIVE RELEASE REMAINDER
RENAME REPEAT REPLACE REQUEST RESET RESIGNAL RESOURCE RESPONSE RESTORE RESTRICT RESULT RETURN RETURNING RETURNS REVERSE REVOKE RIGHT ROLE ROLES
ROLLBACK ROLLUP ROUTINE ROW ROWS RULE RULES SAMPLE SATISFIES SAVE SAVEPOINT SCAN SCHEMA SCOPE SCROLL SEARCH SECOND SECTION SEGMENT SEGMENTS SELECT
SELF SEMI SENSITIVE SEPARATE SEQUENCE SERIALIZABLE SESSION SET SETS SHARD SHARE SHARED SHORT SHOW SIGNAL SIMILAR SIZE SKEWED SMALLINT SNAPSHOT SOME
SOURCE SPACE SPACES SPARSE SPECIFIC SPECIFICTYPE SPLIT SQL SQLCODE SQLERROR SQLEXCEPTION SQLSTATE SQLWARNING START STATE STATIC STATUS STORAGE STORE
STORED STREAM STRING STRUCT STYLE SUB SUBMULTISET SUBPARTITION SUBSTRING SUBTYPE SUM SUPER SYMMETRIC SYNONYM SYSTEM TABLE TABLESAMPLE TEMP TEMPORARY
TERMINATED TEXT THAN THEN THROUGHPUT TIME TIMESTAMP TIMEZONE TINYINT TO TOKEN TOTAL TOUCH TRAILING TRANSACTION TRANSFORM TRANSLATE TRANSLATION TREAT
TRIGGER TRIM TRUE TRUNCATE TTL TUPLES TYPE UNDER UNDO UNION UNIQUE UNIT UNKNOWN UNLOGGED UNNEST UNPROCESSED UNSIGNED UNTIL UPDATE UPPER URL USAGE USE
USER USERS USING UUID VACUUM VALUE VALUED VALUES VARCHAR VARIABLE VARIANCE VARINT VARYING VIEW VIEWS VIRTUAL VOID WAIT WHEN WHENEVER WHERE WHILE
WINDOW WITH WITHIN WITHOUT WORK WRAPPED WRITE YEAR ZONE`.split(/\s+/));

type Token = { kind: 'name' | 'alias' | 'value' | 'punct' | 'op'; text: string };

function tokenize(expression: string, scope: ExpressionScope): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(<>|<=|>=|=|<|>)|([(),.+-]))/y;
  let at = 0;
  while (at < expression.length) {
    if (/^\s*$/.test(expression.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(expression);
    if (!m) scope.fail(`cannot parse expression at '${expression.slice(at)}'`);
    at = re.lastIndex;
    if (m![1]) tokens.push({ kind: 'alias', text: m![1] });
    else if (m![2]) tokens.push({ kind: 'value', text: m![2] });
    else if (m![3]) tokens.push({ kind: 'name', text: m![3] });
    else if (m![4]) tokens.push({ kind: 'op', text: m![4] });
    else tokens.push({ kind: 'punct', text: m![5] });
  }
  return tokens;
}

class Parser {
  private at = 0;
  constructor(private readonly tokens: Token[], private readonly scope: ExpressionScope) {}
  public peek(): Token | undefined {
    return this.tokens[this.at];
  }
  public next(): Token {
    const token = this.tokens[this.at++];
    if (!token) this.scope.fail('unexpected end of expression');
    return token;
  }
  public expect(text: string): void {
    const token = this.next();
    if (token.text !== text) this.scope.fail(`expected '${text}', got '${token.text}'`);
  }
  public keyword(word: string): boolean {
    const token = this.peek();
    if (token?.kind === 'name' && token.text.toUpperCase() === word) {
      this.at++;
      return true;
    }
    return false;
  }
  public done(): boolean {
    return this.at >= this.tokens.length;
  }
  /** A top-level attribute name (nested paths are not used by the rollout). */
  public path(): string {
    const token = this.next();
    let name: string;
    if (token.kind === 'alias') {
      name = this.scope.names[token.text];
      if (name === undefined) this.scope.fail(`${token.text} is not in ExpressionAttributeNames`);
    } else if (token.kind === 'name') {
      if (RESERVED.has(token.text.toUpperCase())) this.scope.fail(`attribute name ${token.text} is a reserved word; use ExpressionAttributeNames`);
      name = token.text;
    } else {
      return this.scope.fail(`expected an attribute name, got '${token.text}'`);
    }
    if (this.peek()?.text === '.' || this.peek()?.text === '[') this.scope.fail('nested paths are not simulated');
    return name;
  }
}

/** An operand of SET or of a comparison: a path, a value, or a function. */
function operand(parser: Parser, item: Item, scope: ExpressionScope): AttributeValue | undefined {
  const token = parser.peek();
  if (token?.kind === 'value') {
    parser.next();
    const value = scope.values[token.text];
    if (value === undefined) scope.fail(`${token.text} is not in ExpressionAttributeValues`);
    return value;
  }
  if (token?.kind === 'name' && ['if_not_exists', 'list_append'].includes(token.text)) {
    parser.next();
    parser.expect('(');
    if (token.text === 'if_not_exists') {
      const name = parser.path();
      parser.expect(',');
      const fallback = operand(parser, item, scope);
      parser.expect(')');
      return item[name] ?? fallback;
    }
    const first = operand(parser, item, scope);
    parser.expect(',');
    const second = operand(parser, item, scope);
    parser.expect(')');
    if (!first?.L || !second?.L) scope.fail('list_append needs two lists');
    return { L: [...first!.L, ...second!.L] };
  }
  return item[parser.path()];
}

/** Applies an UpdateExpression (SET with if_not_exists and list_append, REMOVE) to an item. */
export function applyUpdate(expression: string, item: Item, scope: ExpressionScope): Item {
  const parser = new Parser(tokenize(expression, scope), scope);
  const original = clone(item);
  const touched = new Set<string>();
  const touch = (name: string) => {
    if (touched.has(name)) scope.fail(`two document paths overlap: ${name}`);
    touched.add(name);
  };
  const clauses = new Set<string>();
  while (!parser.done()) {
    const clause = parser.next();
    const word = clause.text.toUpperCase();
    if (clause.kind !== 'name' || !['SET', 'REMOVE'].includes(word)) scope.fail(`unexpected '${clause.text}' (only SET and REMOVE are simulated)`);
    if (clauses.has(word)) scope.fail(`the ${word} clause appears twice`);
    clauses.add(word);
    do {
      const name = parser.path();
      touch(name);
      if (word === 'SET') {
        parser.expect('=');
        const value = operand(parser, original, scope);
        if (value === undefined) scope.fail(`the value for ${name} refers to an attribute that does not exist`);
        item[name] = clone(value!);
      } else {
        delete item[name];
      }
    } while (parser.peek()?.text === ',' && parser.next());
  }
  return item;
}

/** Evaluates a ConditionExpression (attribute_exists, attribute_not_exists, =, <>, AND, OR, NOT, parentheses). */
export function evaluateCondition(expression: string, item: Item, scope: ExpressionScope): boolean {
  const parser = new Parser(tokenize(expression, scope), scope);
  const or = (): boolean => {
    let result = and();
    while (parser.keyword('OR')) result = and() || result;
    return result;
  };
  const and = (): boolean => {
    let result = not();
    while (parser.keyword('AND')) result = not() && result;
    return result;
  };
  const not = (): boolean => {
    if (parser.keyword('NOT')) return !not();
    if (parser.peek()?.text === '(') {
      parser.next();
      const result = or();
      parser.expect(')');
      return result;
    }
    const token = parser.peek();
    if (token?.kind === 'name' && ['attribute_exists', 'attribute_not_exists'].includes(token.text)) {
      parser.next();
      parser.expect('(');
      const name = parser.path();
      parser.expect(')');
      return token.text === 'attribute_exists' ? item[name] !== undefined : item[name] === undefined;
    }
    const left = operand(parser, item, scope);
    const op = parser.next();
    if (op.kind !== 'op' || !['=', '<>'].includes(op.text)) scope.fail(`comparison ${op.text} not simulated`);
    const right = operand(parser, item, scope);
    // A comparison with a missing attribute is false (for = and <> alike).
    if (left === undefined || right === undefined) return false;
    const equal = JSON.stringify(left) === JSON.stringify(right);
    return op.text === '=' ? equal : !equal;
  };
  const result = or();
  if (!parser.done()) scope.fail(`unexpected '${parser.peek()!.text}'`);
  return result;
}
