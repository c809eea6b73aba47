/**
 * The layers of one pull (or load, or run), unpacked as their blobs become
 * ready and made visible together: each is extracted and verified into its
 * own `$ROOT/tmp` entry, several at once, and only `commit()` renames them
 * into `layers/`. A failure anywhere before that leaves nothing in `layers/`;
 * a kill leaves only tmp entries named after `ownerPid`, which the next
 * openStore sweeps.
 *
 * Runs where files may get any mapped owner: in rr itself as root, in the
 * `__unpack-layers` helper inside the user namespace when rootless.
 */
import { RrError } from "../errors.ts";
import type { GrowingBlob } from "./layer-follow.ts";
import { commitLayerTmp, extractLayerToTmp, isUnpacked, removeTree, type UnpackResult } from "./layer-store.ts";

export interface LayerJob {
  /** The verified blob: a staged download under `$ROOT/tmp`, or the store's own file. */
  blobPath: string;
  diffId: string;
  mediaType: string;
  /**
   * Set when the blob is still being downloaded into `blobPath`: it is
   * followed as it grows, and does not count against the concurrency while
   * the download lasts.
   */
  growing?: GrowingBlob;
}

/**
 * Layers extracted at once. Extraction is mostly filesystem syscalls made
 * synchronously on the one JS thread, so more than two gain nothing; two
 * still overlap one layer's decompression with another's file creation.
 */
export const UNPACK_CONCURRENCY = 2;

export class LayerBatch {
  private readonly extracted = new Map<string, string>(); // diffId → tmp
  private readonly queue: { job: LayerJob; resolve(r: UnpackResult | undefined): void; reject(e: unknown): void }[] = [];
  private readonly inFlight = new Map<Promise<unknown>, LayerJob>();
  /** diffIds being extracted now: a second job for one of them has nothing to do. */
  private readonly pending = new Set<string>();
  private aborted = false;
  private readonly totals = { skippedOwnership: 0, skippedDevices: 0 };

  constructor(
    private readonly root: string,
    private readonly opts: { ownerPid: number; onWarning?(message: string): void; concurrency?: number },
  ) {}

  /** Extracts one layer into tmp; resolves to undefined when it is unpacked already. */
  extract(job: LayerJob): Promise<UnpackResult | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  /** Ownership and device-node skips over every layer, for one warning each. */
  get skipped(): { skippedOwnership: number; skippedDevices: number } {
    return { ...this.totals };
  }

  /** Renames every extracted layer into `layers/`: the moment they become visible. */
  commit(): void {
    for (const [diffId, tmp] of this.extracted) {
      commitLayerTmp(this.root, tmp, diffId);
      this.extracted.delete(diffId);
    }
  }

  /**
   * Stops queued and running extractions and removes what was extracted but
   * not committed. Waits for the running ones: each removes its own tmp entry
   * when it notices, and the process must not exit before that.
   */
  async discard(): Promise<void> {
    this.aborted = true;
    for (const q of this.queue.splice(0)) q.reject(new RrError("unpacking aborted", { code: "ABORTED" }));
    await Promise.allSettled(this.inFlight.keys());
    for (const tmp of this.extracted.values()) removeTree(tmp);
    this.extracted.clear();
  }

  private pump(): void {
    while (!this.aborted && this.busy() < (this.opts.concurrency ?? UNPACK_CONCURRENCY) && this.queue.length) {
      const { job, resolve, reject } = this.queue.shift()!;
      const p: Promise<unknown> = this.run(job).then(resolve, reject).finally(() => {
        this.inFlight.delete(p);
        this.pump();
      });
      this.inFlight.set(p, job);
    }
  }

  /** Extractions in flight, less those whose blob is still downloading: they mostly wait. */
  private busy(): number {
    let n = 0;
    for (const job of this.inFlight.values()) if (!job.growing || job.growing.settled) n++;
    return n;
  }

  private async run(job: LayerJob): Promise<UnpackResult | undefined> {
    // The same layer twice in one image, or one another rr already unpacked.
    if (this.pending.has(job.diffId) || this.extracted.has(job.diffId) || isUnpacked(this.root, job.diffId)) return undefined;
    this.pending.add(job.diffId);
    let extracted;
    try {
      extracted = await extractLayerToTmp(this.root, job.blobPath, job.diffId, job.mediaType, this.opts.onWarning, {
        ownerPid: this.opts.ownerPid, aborted: () => this.aborted, growing: job.growing,
      });
    } finally {
      this.pending.delete(job.diffId);
    }
    const { tmp, result } = extracted;
    if (this.aborted) {
      removeTree(tmp);
      throw new RrError("unpacking aborted", { code: "ABORTED" });
    }
    this.extracted.set(job.diffId, tmp);
    this.totals.skippedOwnership += result.skippedOwnership;
    this.totals.skippedDevices += result.skippedDevices;
    return result;
  }
}
