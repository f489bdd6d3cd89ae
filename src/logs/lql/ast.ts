/**
 * The parsed form of an LQL query. The parser builds it once; the compiler turns it into closures and `explainLql`
 * walks it term by term. Every term keeps where it sits in the query (1-based column, code points) and its source
 * text, so explanations and errors can point at it.
 */

/** A value written after `m.field:`, `:>` or `:@>`. `num`/`bool` are set only for unquoted numeric or boolean words. */
export interface Literal {
  readonly text: string;
  readonly quoted: boolean;
  readonly num: number | undefined;
  readonly bool: boolean | undefined;
}

export type Comparison = '>' | '>=' | '<' | '<=';

export type FieldTest =
  | { readonly op: 'eq'; readonly value: Literal }
  | { readonly op: 'cmp'; readonly cmp: Comparison; readonly value: Literal }
  | { readonly op: 'regex'; readonly re: RegExp }
  | { readonly op: 'contains'; readonly value: Literal }
  | { readonly op: 'contains-regex'; readonly re: RegExp }
  | { readonly op: 'null' }
  | { readonly op: 'range'; readonly lo: number; readonly hi: number };

interface At {
  /** 1-based column of the term's first character, in code points. */
  readonly column: number;
  /** The term as written in the query. */
  readonly source: string;
}

export type LqlNode =
  | { readonly kind: 'and'; readonly items: readonly LqlNode[] }
  | { readonly kind: 'or'; readonly items: readonly LqlNode[] }
  | ({ readonly kind: 'not'; readonly item: LqlNode } & At)
  /** A bare word or "phrase": case-insensitive substring of the message; `text` is already lower-cased. */
  | ({ readonly kind: 'text'; readonly text: string } & At)
  /** `~regex` on the message as sent (not lower-cased). */
  | ({ readonly kind: 'message-regex'; readonly re: RegExp } & At)
  /** `m.path.to.field:…`; `path` has no `m.` prefix. */
  | ({ readonly kind: 'field'; readonly path: readonly string[]; readonly test: FieldTest } & At);

export type ParseResult = { readonly ok: true; readonly node: LqlNode } | { readonly ok: false; readonly column: number; readonly message: string };
