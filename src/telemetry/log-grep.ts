/**
 * What `rampart logs --grep TEXT` means, in one place for the index query and the live tail: the line contains
 * TEXT anywhere (not only at a word start), ignoring case unless the caller asks for case-sensitive matching.
 */
export function lineMatchesGrep(text: string, grep: string, caseSensitive: boolean): boolean {
  return caseSensitive ? text.includes(grep) : text.toLowerCase().includes(grep.toLowerCase());
}

/** The SQL function segments register for the scans that no index can narrow (short text, old segments). */
export const ICONTAINS_SQL_FUNCTION = "rampart_icontains";

/** `rampart_icontains(text, lowered grep)`: 1 when the line contains it ignoring case (JavaScript's lowercasing). */
export function icontains(text: unknown, lowered: unknown): number {
  return typeof text === "string" && typeof lowered === "string" && text.toLowerCase().includes(lowered) ? 1 : 0;
}

// Any UTF-16 unit past ASCII (surrogate halves of other planes included).
const NON_ASCII = /[\u0080-\uffff]/;
// The trigram tokenizer indexes every run of three characters; shorter text cannot use the index.
const TRIGRAM = 3;
// A long grep narrows no better with every one of its trigrams than with this many spread over it.
const MAX_TRIGRAMS = 16;

export interface GrepSql {
  /** An FTS5 expression for `lines_fts MATCH`, narrowing to candidates; absent when nothing narrows. */
  match?: string;
  /** The condition on `l.text` that decides exactly, with its argument. */
  where: { sql: string; arg: string };
}

/**
 * The SQL for a grep over one segment. `trigram`: the segment's FTS5 table uses the trigram tokenizer without
 * positions (detail=none: a third of the size and twice the ingest speed of full detail), so it narrows to the
 * lines holding every trigram of the text, case folded, and the exact check decides. Older segments have a
 * unicode61 word index, which can narrow only by the words the text holds whole (see legacyWordQuery).
 */
export function grepSql(grep: string, caseSensitive: boolean, trigram: boolean): GrepSql {
  // SQLite's LIKE folds ASCII only, which decides exactly for an ASCII text and costs a fraction of a call
  // into JavaScript per line; other text needs JavaScript's lowercasing (the live tail's).
  const where = caseSensitive
    ? { sql: "instr(l.text, ?) > 0", arg: grep }
    : !NON_ASCII.test(grep)
      ? { sql: "l.text LIKE ? ESCAPE '\\'", arg: `%${grep.replace(/[\\%_]/g, "\\$&")}%` }
      : { sql: `${ICONTAINS_SQL_FUNCTION}(l.text, ?)`, arg: grep.toLowerCase() };
  const match = trigram ? trigramQuery(grep) : legacyWordQuery(grep);
  return match === null ? { where } : { match, where };
}

/** Every trigram of the text as an FTS5 string (`"abc" AND "bcd" …`), or null when it is too short to have one. */
export function trigramQuery(grep: string): string | null {
  const chars = [...grep];
  if (chars.length < TRIGRAM) return null;
  const all = new Set<string>();
  for (let i = 0; i + TRIGRAM <= chars.length; i++) all.add(chars.slice(i, i + TRIGRAM).join(""));
  const list = [...all];
  const picked =
    list.length <= MAX_TRIGRAMS
      ? list
      : Array.from({ length: MAX_TRIGRAMS }, (_, i) => list[Math.round((i * (list.length - 1)) / (MAX_TRIGRAMS - 1))] as string);
  return picked.map((t) => `"${t.replaceAll('"', '""')}"`).join(" AND ");
}

// Each level bucket is one trigram token of its own in the `lvl` column: a private-use character and the
// level's number, which no text holds, so finding a level needs no column filter (detail=none has none).
const LEVEL_MARK = "\uE000";

export function levelToken(bucket: number): string {
  return `${LEVEL_MARK}${bucket}`;
}

// Words as FTS5's unicode61 tokenizer sees them: letters, digits and private-use characters.
const WORD = /[\p{L}\p{N}\p{Co}]+/gu;

/**
 * An FTS5 phrase over a unicode61 word index for a grep text that may start and end mid-word: its first word
 * counts only when the text starts before it (it is then a word start in the line), its last word is a prefix
 * when the text ends in it. Null when no word is certain to be indexed (e.g. `ould`, `->`): the segment is scanned.
 */
export function legacyWordQuery(grep: string): string | null {
  const words = grep.match(WORD);
  if (words === null) return null;
  const startsInWord = new RegExp(`^${WORD.source}`, "u").test(grep);
  const endsInWord = new RegExp(`${WORD.source}$`, "u").test(grep);
  const usable = startsInWord ? words.slice(1) : words;
  if (usable.length === 0) return null;
  // A single word that is both the text's start and end was dropped above; one left at the end is a prefix.
  return `text : "${usable.join(" ")}"${endsInWord ? "*" : ""}`;
}
