interface Node {
  readonly key: string;
  prev: Node | undefined;
  next: Node | undefined;
}

/**
 * An ordered set of keys as a doubly linked list plus a Map from key to node: push to the back,
 * remove, move to the back, read either end, all O(1). A Map alone keeps insertion order but
 * cannot give its last key in O(1), which MRU and LIFO need.
 */
export class KeyList {
  readonly #nodes = new Map<string, Node>();
  #head: Node | undefined;
  #tail: Node | undefined;

  get size(): number {
    return this.#nodes.size;
  }

  has(key: string): boolean {
    return this.#nodes.has(key);
  }

  /** Appends `key` (moves it to the back when present). */
  pushBack(key: string): void {
    this.remove(key);
    const node: Node = { key, prev: this.#tail, next: undefined };
    if (this.#tail === undefined) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
    this.#nodes.set(key, node);
  }

  remove(key: string): boolean {
    const node = this.#nodes.get(key);
    if (node === undefined) return false;
    if (node.prev === undefined) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.#tail = node.prev;
    else node.next.prev = node.prev;
    this.#nodes.delete(key);
    return true;
  }

  front(): string | undefined {
    return this.#head?.key;
  }

  back(): string | undefined {
    return this.#tail?.key;
  }
}
