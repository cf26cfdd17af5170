/**
 * The `tool.run` effect: runs one tool call in the task's root (its project's folder of the
 * workspace files, or the files root for a task without a project: see `projectRoot.ts`). A refused or failing tool is a
 * result the model sees (`isError: true`), not an effect failure; only infrastructure errors throw.
 * A tool that needs approval runs only from an effect the agent machine marked `approved` (it
 * issues those after `task.approve`): defence in depth if a machine or a script forgets to ask.
 * After a takeover, a call first waits until the workspace files are restored (`ready`).
 * The files a call wrote are recorded in the workspace's artifacts.db and returned with its result
 * (`artifacts`), so the agent can report them to whoever waits for it (a card's run).
 * `create_card` (a card agent's, createCard.ts) is sent to the bus instead of the file toolset.
 */
import type { ToolReply } from '../../actors/index.js';
import type { CommandPublisher, EffectHandlerOf } from '../../actors/kernel/index.js';
import { addressKey, isMoeError, mergeArtifacts, type ArtifactRef } from '../../schemas/index.js';
import { errors } from '../errors.js';
import type { Tool, ToolContext } from '../tools/tool.js';
import { capToolOutput } from './caps.js';
import { CREATE_CARD_TOOL, runCreateCard } from './createCard.js';
import { toolRootFor } from './projectRoot.js';

export interface ToolRunDeps {
  readonly root: string;
  readonly tools: ReadonlyMap<string, Tool>;
  readonly recordArtifact?: ToolContext['recordArtifact'];
  readonly writes?: ToolContext['writes'];
  /** resolves when the files are there (restore on takeover brings them back in the background) */
  readonly ready?: Promise<void>;
  /** where `create_card` sends its card.create (createCard.ts); absent: the tool is unknown */
  readonly publisher?: () => CommandPublisher;
}

export function toolRunHandler(deps: ToolRunDeps): EffectHandlerOf<'tool.run'> {
  return async ({ address, effect, signal, session }): Promise<ToolReply> => {
    const { callId } = effect;
    if (effect.name === CREATE_CARD_TOOL && deps.publisher)
      return runCreateCard(deps.publisher(), address, effect, session);
    const tool = deps.tools.get(effect.name);
    if (!tool)
      return {
        callId,
        output: `${errors.TOOL_UNKNOWN.spec.code}: no tool named ${effect.name}`,
        isError: true,
      };
    if (tool.needsApproval === true && effect.approved !== true) {
      const e = errors.APPROVAL_REQUIRED(tool.name);
      return { callId, output: `${e.code}: ${e.message}`, isError: true };
    }
    // Files restored in the background after a takeover (restoreOnTakeover.ts): wait for them.
    if (deps.ready) await deps.ready;
    // the files this call writes go to the store and back with its result (the agent reports them)
    const written: ArtifactRef[] = [];
    const recordArtifact: ToolContext['recordArtifact'] = (artifact, producer) => {
      deps.recordArtifact?.(artifact, producer);
      written.push({ path: artifact.path, sha256: artifact.sha256, size: artifact.size });
    };
    try {
      const r = await tool.run(effect.input, {
        root: await toolRootFor(deps.root, effect.project),
        signal,
        producer: { address: addressKey(address), effectId: effect.id },
        recordArtifact,
        ...(deps.writes ? { writes: deps.writes } : {}),
      });
      const artifacts = mergeArtifacts([], written);
      return {
        callId,
        output: capToolOutput(r.output),
        isError: r.isError,
        ...(artifacts.length > 0 ? { artifacts } : {}),
      };
    } catch (err) {
      if (isMoeError(err) && !err.retryable)
        return { callId, output: `${err.code}: ${err.message}`, isError: true };
      throw err;
    }
  };
}
