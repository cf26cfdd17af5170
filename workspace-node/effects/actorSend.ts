/**
 * The `actor.send` effect: a message from one actor to another, as a command on the target's
 * subject. Its id derives from the sender's effect id, so a re-driven send is deduplicated.
 */
import type { EffectHandler, CommandPublisher } from '../../actors/kernel/index.js';
import { effectCommandId } from '../../actors/kernel/index.js';
import type { ActorAddress } from '../../schemas/index.js';

export function actorSendHandler(publisher: () => CommandPublisher): EffectHandler {
  return async ({ address, effect, session }) => {
    const to = effect.to as Partial<ActorAddress>;
    const target: ActorAddress = {
      org: to.org ?? address.org,
      ws: to.ws ?? address.ws,
      kind: String(to.kind),
      id: String(to.id),
    };
    const id = `send:${effectCommandId(address, effect.id)}`;
    await publisher().publish(target, {
      id,
      type: String(effect.type),
      ...(effect.data ? { data: effect.data as Record<string, unknown> } : {}),
      session,
    });
    return { sent: id };
  };
}
