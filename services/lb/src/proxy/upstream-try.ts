import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { errors, type Dispatcher } from 'undici';

/** How one try ended: `responded` once the upstream's head was written to the client. */
export interface TryResult {
  readonly responded: boolean;
  /** Undefined when the response was streamed to the end. */
  readonly error?: Error;
}

export interface TryRequest {
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: AsyncIterable<Buffer> | undefined;
}

/** Turns the upstream's status and headers into the head written to the client. */
export type ResponseHead = (statusCode: number, headers: IncomingHttpHeaders) => OutgoingHttpHeaders;

const prematureClose = (): Error => Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });

/**
 * One try on one upstream, as an undici dispatch handler that writes the response straight into
 * the client's response, with backpressure (pause/resume on `drain`). Replaces `pool.request` plus
 * a body Readable and a piping step: on small responses those cost more CPU than the lb's own work.
 * The try settles once the client's response finished, or with the first error: before the
 * upstream's head (nothing sent, the caller may retry), or mid-stream (the caller truncates).
 */
export class UpstreamTry implements Dispatcher.DispatchHandler {
  readonly #res: ServerResponse;
  readonly #head: ResponseHead;
  #resolve!: (result: TryResult) => void;
  #controller: Dispatcher.DispatchController | undefined;
  #aborted = false;
  #responded = false;
  #ended = false;
  #settled = false;
  readonly result: Promise<TryResult>;

  constructor(res: ServerResponse, head: ResponseHead) {
    this.#res = res;
    this.#head = head;
    this.result = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** Sends the request through `dispatcher`; the outcome arrives in `result`. */
  send(dispatcher: Dispatcher, request: TryRequest): Promise<TryResult> {
    // undici takes async iterables as bodies (documented, and handled in core/request.js); its types lag.
    const body = (request.body ?? null) as Readable | null;
    dispatcher.dispatch({ path: request.path, method: request.method, headers: request.headers, body }, this);
    return this.result;
  }

  /** The client went away (or its response broke): stop the upstream request. */
  abort(): void {
    if (this.#settled) return;
    if (this.#ended) return this.#settle(prematureClose());
    this.#aborted = true;
    // Before the request started, onRequestStart aborts it (a queued request never reaches the upstream).
    this.#controller?.abort(new errors.RequestAbortedError());
  }

  /** The client's response emitted an error. */
  fail(err: Error): void {
    this.#controller?.abort(err);
    this.#settle(err);
  }

  /** The client's response closed: finished, or cut before the end. */
  closed(): void {
    if (this.#res.writableFinished) this.#settle(undefined);
    else this.abort();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#aborted) controller.abort(new errors.RequestAbortedError());
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200 || this.#settled) return; // 1xx: informational, the real head follows
    this.#responded = true;
    try {
      this.#res.writeHead(statusCode, this.#head(statusCode, headers));
    } catch (err) {
      // A head node:http refuses (say, a header value it finds invalid): the response is lost.
      controller.abort(err as Error);
      this.#settle(err as Error);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled || this.#res.write(chunk)) return;
    controller.pause();
    this.#res.once('drain', () => controller.resume());
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    this.#ended = true;
    // Settles on the response's close (see closed()), once it was flushed.
    this.#res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    this.#settle(err);
  }

  #settle(error: Error | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve(error === undefined ? { responded: this.#responded } : { responded: this.#responded, error });
  }
}
