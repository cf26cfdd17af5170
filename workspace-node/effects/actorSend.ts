/**
 * The `actor.send` effect: a message from one actor to another, as a command on the target's
 * subject. Its id derives from the sender's effect id, so a re-driven send is deduplicated.
 *
 * Pure machines do not know their own address, so two things are filled in here:
 *   `to: { kind, child: 'e1' }`  the target is the sender's child `<sender id>-e1` (a coordinator's expert)
 *   `replyTo: true`              `data.parent` gets the sender's kind and id, so the child can report back
 * Both are a deterministic function of (sender address, journaled effect spec).
 */
import type { CommandPublisher, EffectHandlerOf } from '../../actors/kernel/index.js';
import { effectCommandId } from '../../actors/kernel/index.js';
import type { ActorAddress } from '../../schemas/index.js';

const MAX_TOKEN = 64;

/** `<parent>-<ref>`, the parent part shortened when the whole would not be a subject token. */
export function childId(parentId: string, ref: string): string {
  const room = MAX_TOKEN - ref.length - 1;
  return `${parentId.length > room ? parentId.slice(0, room) : parentId}-${ref}`;
}

export function actorSendHandler(publisher: () => CommandPublisher): EffectHandlerOf<'actor.send'> {
  return async ({ address, effect, session }) => {
    const { to } = effect;
    const target: ActorAddress = {
      org: to.org ?? address.org,
      ws: to.ws ?? address.ws,
      kind: to.kind,
      id: to.child !== undefined ? childId(address.id, to.child) : String(to.id),
    };
    let data: Record<string, unknown> | undefined = effect.data;
    if (effect.replyTo === true) {
      const parent = (data?.parent ?? {}) as Record<string, unknown>;
      data = { ...data, parent: { ...parent, kind: address.kind, id: address.id } };
    }
    const id = `send:${effectCommandId(address, effect.id)}`;
    await publisher().publish(target, { id, type: effect.type, ...(data ? { data } : {}), session });
    return { sent: id, to: `${target.kind}.${target.id}` };
  };
}
