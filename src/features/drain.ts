/**
 * Drain log template mining (He et al., ICWS'17), ported from Drain3 (`logpai/Drain3:drain3/drain.py`),
 * the variant the Eadro fork uses (`codes/preprocess/drain3.ini`). See `../shared/specs/baselines.md` §3.5.
 *
 * A message (the content after the log header) is masked (regexes -> `<NAME>` tokens), split on
 * whitespace, then routed down a prefix tree: level 1 keyed by the token count, the next `depth - 2`
 * levels keyed by the leading tokens (tokens containing digits go to the `<*>` child). The leaf holds
 * clusters; the most similar template wins if its similarity reaches the threshold, and its differing
 * positions become `<*>`; otherwise a new cluster is created.
 *
 * Event ids: cluster ids start at 1 (Drain3's `cluster_count` numbering) and are never reused, even after
 * an eviction by `maxClusters`. Event 0 is reserved for lines that match no template ("Unseen" in the
 * fork), so the feature dimension is E = size = number of ids ever created + 1.
 */
import { EadroError } from '../core/errors.js';

/** Drain3's wildcard token (`param_str`). */
export const PARAM_TOKEN = '<*>';
/** Name of event 0: lines that matched no template at `match()` time. */
export const UNSEEN_TEMPLATE = '<unseen>';

export interface DrainMask {
  /** JavaScript regular expression source, applied globally (flag `g`) before tokenising. */
  regex: string;
  /** Replacement text; Drain3 writes `mask_prefix + mask_with + mask_suffix`, i.e. `<NAME>`. */
  replaceWith: string;
}

export interface DrainOptions {
  /** Depth of the prefix tree including root and leaf: `depth - 2` token levels. */
  depth: number;
  /** Minimum share of equal non-wildcard tokens for a message to join a cluster, in [0, 1]. */
  similarityThreshold: number;
  /** Maximum children per internal node; the last slot is reserved for `<*>`. */
  maxChildren: number;
  /** Maximum live clusters (least recently used are evicted), or null for no limit. */
  maxClusters: number | null;
  /** Applied in order before tokenising. */
  masks: DrainMask[];
  /** Extra token delimiters besides whitespace (each replaced by a space). */
  extraDelimiters: string[];
}

/**
 * Masks in the spirit of the Eadro fork's 11 (`baselines.md` §3.5 lists timestamps, JWT, UUID, EXEC
 * thread, Route{…}, …; the fork's exact regexes are not available to us, so these are ours, written for
 * the same kinds of tokens in TrainTicket (Java/Spring) and SocialNetwork (C++/Thrift) logs). Order
 * matters: the specific patterns (timestamps, JWT, UUID, thread names, routes) run before the generic
 * number pattern, which would otherwise eat their digits.
 */
export const eadroForkStyleMasks: DrainMask[] = [
  // ISO-8601 / log4j timestamps embedded in messages, e.g. 2022-04-19 13:22:01.123 or 2022-04-19T13:22:01Z.
  { regex: String.raw`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?`, replaceWith: '<TIME>' },
  // JSON Web Tokens (TrainTicket's auth service logs them): three base64url parts starting with eyJ.
  { regex: String.raw`eyJ[\w-]+\.[\w-]+\.[\w-]+`, replaceWith: '<JWT>' },
  // UUIDs (order ids, account ids, request ids).
  { regex: String.raw`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`, replaceWith: '<UUID>' },
  // Tomcat/Netty worker thread names, e.g. http-nio-8080-exec-10 (the fork's "EXEC thread" mask).
  { regex: String.raw`[\w.-]*-exec-\d+`, replaceWith: '<THREAD>' },
  // Spring Cloud Gateway route dumps, e.g. Route{id='ts-order', uri=lb://ts-order, ...}.
  { regex: String.raw`Route\{[^}]*\}`, replaceWith: '<ROUTE>' },
  // IPv4 with optional port.
  { regex: String.raw`(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])`, replaceWith: '<IP>' },
  // Hexadecimal literals and long hex ids (trace/span ids, Mongo object ids).
  { regex: String.raw`(?<![\w])(?:0x[0-9a-fA-F]+|[0-9a-f]{16,})(?![\w])`, replaceWith: '<HEX>' },
  // Durations with a unit, e.g. 12ms, 1.5 s, 300us.
  { regex: String.raw`(?<![\w.])\d+(?:\.\d+)?\s?(?:ns|us|µs|ms|s|sec|min|h)(?![\w])`, replaceWith: '<DUR>' },
  // Train/trip numbers of TrainTicket (G1234, D1345, Z1234, T1235, K1345).
  { regex: String.raw`(?<![\w])[GDZTK]\d{3,5}(?![\w])`, replaceWith: '<TRIP>' },
  // Calendar dates without a time (travel dates).
  { regex: String.raw`(?<![\w])\d{4}-\d{2}-\d{2}(?![\w])`, replaceWith: '<DATE>' },
  // Free-standing numbers (ints, decimals, signed); Drain3's stock NUM mask.
  { regex: String.raw`(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w.])`, replaceWith: '<NUM>' },
];

export const drainDefaults: DrainOptions = {
  depth: 4, // Eadro fork drain3.ini (= Drain3 and logpai defaults), baselines.md §3.5
  similarityThreshold: 0.9, // Eadro fork drain3.ini `sim_th` (Drain3 default is 0.4), baselines.md §3.5
  maxChildren: 100, // Eadro fork drain3.ini (= Drain3 default), baselines.md §3.5
  maxClusters: 1024, // Eadro fork drain3.ini `max_clusters`, baselines.md §3.5
  masks: eadroForkStyleMasks, // ours, modelled on the fork's 11 masks (see eadroForkStyleMasks)
  extraDelimiters: [], // Drain3 default (the fork sets none that we know of)
};

/** A serialisable snapshot of a trained Drain (options, templates, tree). */
export interface DrainState {
  version: 1;
  options: DrainOptions;
  /** templates[id] as token arrays; index 0 is the unseen event and holds []. Null = evicted id. */
  templates: (string[] | null)[];
  /** Lines learned per cluster id (0 for event 0). */
  counts: number[];
  /** Live cluster ids, least recently used first (the LRU order used for eviction). */
  lruOrder: number[];
  root: DrainNodeState;
}

export interface DrainNodeState {
  children: [string, DrainNodeState][];
  clusterIds: number[];
}

class TreeNode {
  readonly children = new Map<string, TreeNode>();
  clusterIds: number[] = [];
}

const DIGIT = /\d/;

function validateOptions(o: DrainOptions): void {
  const bad = (field: string, expected: string, found: unknown): never => {
    throw new EadroError('Invalid Drain option', { field, expected, found: String(found) });
  };
  if (!Number.isInteger(o.depth) || o.depth < 3) bad('depth', 'an integer >= 3 (Drain3 requires it)', o.depth);
  if (!(o.similarityThreshold >= 0 && o.similarityThreshold <= 1)) {
    bad('similarityThreshold', 'a number in [0, 1]', o.similarityThreshold);
  }
  if (!Number.isInteger(o.maxChildren) || o.maxChildren < 2) bad('maxChildren', 'an integer >= 2', o.maxChildren);
  if (o.maxClusters !== null && (!Number.isInteger(o.maxClusters) || o.maxClusters < 1)) {
    bad('maxClusters', 'a positive integer or null', o.maxClusters);
  }
}

export class Drain {
  readonly options: DrainOptions;
  private readonly root = new TreeNode();
  /** Token templates by cluster id; [0] is the unseen event; null marks an evicted cluster. */
  private readonly clusterTokens: (string[] | null)[] = [[]];
  private readonly clusterCounts: number[] = [0];
  /** Live cluster ids in recency order (Map keeps insertion order: first = least recently used). */
  private readonly lru = new Map<number, true>();
  private readonly compiledMasks: { re: RegExp; replaceWith: string }[];
  private readonly maxNodeDepth: number;

  constructor(options: Partial<DrainOptions> = {}) {
    this.options = { ...drainDefaults, ...options };
    validateOptions(this.options);
    this.maxNodeDepth = this.options.depth - 2;
    this.compiledMasks = this.options.masks.map((m, i) => {
      try {
        return { re: new RegExp(m.regex, 'g'), replaceWith: m.replaceWith };
      } catch (err) {
        throw new EadroError('Invalid Drain mask regex', {
          field: `masks[${i}].regex`,
          expected: 'a valid JavaScript regular expression',
          found: `${m.regex} (${(err as Error).message})`,
        });
      }
    });
  }

  /** Mask, split on delimiters and whitespace (Drain3 `get_content_as_tokens` after `LogMasker.mask`). */
  tokenize(content: string): string[] {
    let text = content;
    for (const m of this.compiledMasks) text = text.replace(m.re, m.replaceWith);
    text = text.trim();
    for (const d of this.options.extraDelimiters) text = text.split(d).join(' ');
    return text.length === 0 ? [] : text.split(/\s+/);
  }

  /** Learn from one message (the content after the header); returns its event id >= 1. */
  add(content: string): number {
    const tokens = this.tokenize(content);
    const match = this.treeSearch(tokens, this.options.similarityThreshold, false);
    if (match === 0) {
      const id = this.clusterTokens.length;
      this.clusterTokens.push(tokens);
      this.clusterCounts.push(1);
      this.touch(id);
      this.evictIfNeeded();
      this.addToPrefixTree(id, tokens);
      return id;
    }
    const template = this.clusterTokens[match] as string[];
    for (let i = 0; i < template.length; i++) {
      if (template[i] !== tokens[i]) template[i] = PARAM_TOKEN;
    }
    this.clusterCounts[match] = (this.clusterCounts[match] as number) + 1;
    this.touch(match);
    return match;
  }

  /**
   * Match without learning; 0 when no template matches. As Drain3 `match(full_search_strategy="never")`
   * does: tree search with similarity 1 counting wildcards as equal, i.e. every non-wildcard template
   * token must equal the message token.
   */
  match(content: string): number {
    return this.treeSearch(this.tokenize(content), 1, true);
  }

  /** templates[id] for id >= 1 (evicted ids read `<evicted>`); templates[0] = '<unseen>'. */
  get templates(): string[] {
    return this.clusterTokens.map((t, id) => (id === 0 ? UNSEEN_TEMPLATE : t === null ? '<evicted>' : t.join(' ')));
  }

  /** Number of events including event 0, i.e. E. */
  get size(): number {
    return this.clusterTokens.length;
  }

  /** Clusters currently held (at most maxClusters). */
  get liveClusters(): number {
    return this.lru.size;
  }

  /** Lines learned per event id. */
  get counts(): number[] {
    return this.clusterCounts.slice();
  }

  toJSON(): DrainState {
    const dump = (node: TreeNode): DrainNodeState => ({
      children: [...node.children.entries()].map(([k, child]) => [k, dump(child)]),
      clusterIds: node.clusterIds.slice(),
    });
    return {
      version: 1,
      options: { ...this.options, masks: this.options.masks.map((m) => ({ ...m })) },
      templates: this.clusterTokens.map((t) => (t === null ? null : t.slice())),
      counts: this.clusterCounts.slice(),
      lruOrder: [...this.lru.keys()],
      root: dump(this.root),
    };
  }

  static fromJSON(state: DrainState): Drain {
    if (state === null || typeof state !== 'object' || state.version !== 1 || !Array.isArray(state.templates)) {
      throw new EadroError('Invalid Drain state', { field: 'version/templates', expected: 'a DrainState of version 1' });
    }
    const drain = new Drain(state.options);
    drain.clusterTokens.length = 0;
    for (const t of state.templates) drain.clusterTokens.push(t === null ? null : t.slice());
    drain.clusterCounts.length = 0;
    drain.clusterCounts.push(...state.counts);
    for (const id of state.lruOrder) drain.lru.set(id, true);
    const load = (src: DrainNodeState, dst: TreeNode): void => {
      dst.clusterIds = src.clusterIds.slice();
      for (const [key, child] of src.children) {
        const node = new TreeNode();
        dst.children.set(key, node);
        load(child, node);
      }
    };
    load(state.root, drain.root);
    return drain;
  }

  private touch(id: number): void {
    this.lru.delete(id);
    this.lru.set(id, true);
  }

  private evictIfNeeded(): void {
    const max = this.options.maxClusters;
    if (max === null) return;
    while (this.lru.size > max) {
      const oldest = this.lru.keys().next().value as number;
      this.lru.delete(oldest);
      this.clusterTokens[oldest] = null;
      // Leaves keep the stale id until their next insertion, as Drain3 does; lookups skip it.
    }
  }

  /** Drain3 `tree_search`: returns the cluster id or 0. */
  private treeSearch(tokens: string[], simThreshold: number, includeParams: boolean): number {
    let node = this.root.children.get(String(tokens.length));
    if (node === undefined) return 0;
    if (tokens.length === 0) {
      for (const id of node.clusterIds) if (this.clusterTokens[id]) return id;
      return 0;
    }
    let depth = 1;
    for (const token of tokens) {
      if (depth >= this.maxNodeDepth || depth === tokens.length) break;
      const next: TreeNode | undefined = node.children.get(token) ?? node.children.get(PARAM_TOKEN);
      if (next === undefined) return 0;
      node = next;
      depth++;
    }
    return this.fastMatch(node.clusterIds, tokens, simThreshold, includeParams);
  }

  /** Drain3 `fast_match`: best similarity, ties broken by more wildcards; accept at >= threshold. */
  private fastMatch(ids: number[], tokens: string[], simThreshold: number, includeParams: boolean): number {
    let best = 0;
    let bestSim = -1;
    let bestParams = -1;
    for (const id of ids) {
      const template = this.clusterTokens[id];
      if (!template) continue; // evicted
      let equal = 0;
      let params = 0;
      for (let i = 0; i < template.length; i++) {
        if (template[i] === PARAM_TOKEN) params++;
        else if (template[i] === tokens[i]) equal++;
      }
      if (includeParams) equal += params;
      const sim = template.length === 0 ? 1 : equal / template.length;
      if (sim > bestSim || (sim === bestSim && params > bestParams)) {
        best = id;
        bestSim = sim;
        bestParams = params;
      }
    }
    return bestSim >= simThreshold ? best : 0;
  }

  /** Drain3 `add_seq_to_prefix_tree`. */
  private addToPrefixTree(id: number, tokens: string[]): void {
    const countKey = String(tokens.length);
    let node = this.root.children.get(countKey);
    if (node === undefined) {
      node = new TreeNode();
      this.root.children.set(countKey, node);
    }
    if (tokens.length === 0) {
      node.clusterIds = [id];
      return;
    }
    const maxChildren = this.options.maxChildren;
    let depth = 1;
    for (const token of tokens) {
      if (depth >= this.maxNodeDepth || depth >= tokens.length) {
        node.clusterIds = node.clusterIds.filter((c) => this.clusterTokens[c]);
        node.clusterIds.push(id);
        break;
      }
      const existing = node.children.get(token);
      if (existing !== undefined) {
        node = existing;
      } else if (DIGIT.test(token)) {
        node = getOrCreate(node, PARAM_TOKEN);
      } else if (node.children.has(PARAM_TOKEN)) {
        node = node.children.size < maxChildren ? getOrCreate(node, token) : (node.children.get(PARAM_TOKEN) as TreeNode);
      } else if (node.children.size + 1 < maxChildren) {
        node = getOrCreate(node, token);
      } else if (node.children.size + 1 === maxChildren) {
        node = getOrCreate(node, PARAM_TOKEN);
      } else {
        // Unreachable in Drain3 (a full node always holds <*>), kept as its fallback.
        node = getOrCreate(node, PARAM_TOKEN);
      }
      depth++;
    }
  }
}

function getOrCreate(node: TreeNode, key: string): TreeNode {
  let child = node.children.get(key);
  if (child === undefined) {
    child = new TreeNode();
    node.children.set(key, child);
  }
  return child;
}
