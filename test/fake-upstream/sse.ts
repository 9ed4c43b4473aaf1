/**
 * SSE wire format (§9.6): event serialisation (compact or docs-style spaced JSON, trailing-space
 * padding) and a body writer that applies chunking (event | coalesce | random) and gzip with a
 * Z_SYNC_FLUSH after every write, so compressed streams still stream.
 */
import type { ServerResponse } from 'node:http';
import { createGzip, constants as zc, type Gzip } from 'node:zlib';
import { randInt, type Rng } from './rng.ts';
import type { Chunking } from './types.ts';

/** Docs-style JSON: `{"type": "ping"}` (space after `:` and `,`). */
export function spacedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(spacedJson).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const parts = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${JSON.stringify(k)}: ${spacedJson(x)}`);
    return `{${parts.join(', ')}}`;
  }
  return JSON.stringify(v);
}

export interface EventFormat {
  compact: boolean;
  /** Spaces before the final `}` of each data line (0 = none). */
  pad: () => number;
}

export function formatEvent(type: string, data: Record<string, unknown>, fmt: EventFormat): Buffer {
  const json = fmt.compact ? JSON.stringify(data) : spacedJson(data);
  const n = fmt.pad();
  const padded = n > 0 ? `${json.slice(0, -1)}${' '.repeat(n)}}` : json;
  return Buffer.from(`event: ${type}\ndata: ${padded}\n\n`, 'utf8');
}

export interface WireOptions {
  gzip: boolean;
  chunking: Chunking;
  rng: Rng;
}

/** Writes one response body; all methods are safe to call after the client has gone. */
export class WireWriter {
  private readonly gz: Gzip | null;
  private last: Promise<void> = Promise.resolve();
  private carry: Buffer[] = [];
  private coalesceTarget: number;
  private closed = false;
  private ended = false;
  /** Uncompressed body bytes handed to the socket so far. */
  plainBytes = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: WireOptions,
  ) {
    this.coalesceTarget = randInt(opts.rng, 2, 4);
    res.on('close', () => (this.closed = true));
    if (opts.gzip) {
      this.gz = createGzip();
      this.gz.on('data', (c: Buffer) => (this.last = this.socketWrite(c)));
      this.gz.on('error', () => undefined);
    } else this.gz = null;
  }

  /** True once the body was ended or cut, or the client went away. */
  get gone(): boolean {
    return this.closed || this.ended || this.res.destroyed;
  }

  private socketWrite(chunk: Buffer): Promise<void> {
    if (this.closed || this.res.destroyed || this.res.writableEnded) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => resolve();
      this.res.once('close', done);
      this.res.write(chunk, () => {
        this.res.off('close', done);
        resolve();
      });
    });
  }

  /** One write on the wire (compressed and sync-flushed when gzip is on). */
  private async out(piece: Buffer): Promise<void> {
    if (this.gone || piece.length === 0) return;
    this.plainBytes += piece.length;
    if (!this.gz) return this.socketWrite(piece);
    const gz = this.gz;
    await new Promise<void>((resolve) => {
      gz.write(piece);
      gz.flush(zc.Z_SYNC_FLUSH, () => resolve());
    });
    await this.last;
  }

  /** Queue one event's bytes according to the chunking mode. */
  async send(event: Buffer): Promise<void> {
    const { chunking, rng } = this.opts;
    if (chunking === 'event') return this.out(event);
    this.carry.push(event);
    if (chunking === 'coalesce') {
      if (this.carry.length >= this.coalesceTarget) {
        this.coalesceTarget = randInt(rng, 2, 4);
        await this.flush();
      }
      return;
    }
    // random: cut the pending bytes at arbitrary offsets (inside UTF-8 sequences, between the two
    // newlines); keep the tail pending half of the time so writes also straddle events.
    let buf = Buffer.concat(this.carry);
    this.carry = [];
    while (buf.length > 0) {
      let cut = randInt(rng, 1, Math.max(1, Math.min(buf.length, 64)));
      if (rng() < 0.25) cut = buf.length - 1 > 0 ? buf.length - 1 : buf.length; // split "\n" | "\n"
      if (cut >= buf.length) {
        if (rng() < 0.5) this.carry.push(buf);
        else await this.out(buf);
        return;
      }
      await this.out(buf.subarray(0, cut));
      buf = buf.subarray(cut);
    }
  }

  /** Write whatever chunking held back. */
  async flush(): Promise<void> {
    if (this.carry.length === 0) return;
    const buf = Buffer.concat(this.carry);
    this.carry = [];
    await this.out(buf);
  }

  /** Clean end of body (terminating chunk). */
  async end(): Promise<void> {
    await this.flush();
    if (this.gone) return;
    this.ended = true;
    if (this.gz) {
      const gz = this.gz;
      await new Promise<void>((resolve) => {
        gz.once('end', resolve);
        gz.end();
      });
      await this.last;
    }
    await new Promise<void>((resolve) => this.res.end(resolve));
  }

  /** Destroy the socket after what was written so far left (no terminating chunk). */
  async cut(): Promise<void> {
    await this.flush();
    await this.last;
    this.ended = true;
    this.gz?.destroy();
    this.res.destroy();
  }

  /** Stop without ending (server shutdown or abort): release zlib. */
  dispose(): void {
    this.gz?.destroy();
  }
}
