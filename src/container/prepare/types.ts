import type { OciMount } from '../../types/container.js';
import type { NetworkModeKind } from '../../runtime/spec/namespaces.js';
import type { ContainerRecord } from '../record.js';
import type { ContainerPaths } from '../store.js';

/** What the start path's steps found for the OCI spec of one run. */
export interface StartContext {
  readonly rec: ContainerRecord;
  readonly paths: ContainerPaths;
  networkMode: NetworkModeKind;
  /** The network namespace runc joins (berthd's own, or a peer container's). */
  netnsPath?: string;
  /** Namespaces joined from other containers (`container:` modes). */
  peer: { network?: string; ipc?: string; pid?: string };
  shmPath?: string;
  mounts: OciMount[];
  /** Legacy links' variables, from the network step. */
  linkedEnv?: string[];
  rootfsPropagation?: string;
  /**
   * Work a step started and left running (netavark making the container's interfaces): the
   * start path awaits it before the container's process runs, and lets it settle before
   * undoing a failed start. Each rejects with what went wrong, after undoing its own part.
   */
  beforeProcess: Array<Promise<unknown>>;
}

/**
 * One resource a container's run holds (DESIGN.md "the start path is a list of preparers").
 * `prepare` acquires it and puts what the spec needs into the context; `release` gives it
 * back. `release` is idempotent and safe for a run that never prepared it (a failed start
 * releases every step it tried; an exit, or a removal after a daemon crash, releases all).
 */
export interface Preparer {
  readonly name: string;
  prepare(ctx: StartContext): Promise<void>;
  release(rec: ContainerRecord, paths: ContainerPaths): Promise<void>;
  /** After a successful start (events that announce the resource). */
  started?(rec: ContainerRecord): void;
  /** A running container re-adopted at daemon start holds the resource again. */
  adopted?(rec: ContainerRecord): void;
}

/** Steps in order; the steps of one group run concurrently (a mount and a process spawn overlap). */
export type PreparerGroups = ReadonlyArray<readonly Preparer[]>;
