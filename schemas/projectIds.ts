/**
 * The shape of ids scoped to a project (tasks, boards, cards): `<ws>-<project>-<kind letter><16
 * hex>`, e.g. `w0123…-p4567…-c89ab…`. The gateway mints them (gateway/crypto.ts, random); a card an
 * agent creates gets one in its parent card's workspace and project (workspace-node's create_card,
 * derived, so a re-driven call makes the same id), and the card machine checks that it is.
 */

/** `<ws>-<project>-` of a project-scoped id (everything up to the last `-`, kept). */
export function projectIdPrefix(id: string): string {
  return id.slice(0, id.lastIndexOf('-') + 1);
}

/** A card id in the same workspace and project as `sibling` (any project-scoped id), from 16 hex digits. */
export function cardIdBeside(sibling: string, hex16: string): string {
  return `${projectIdPrefix(sibling)}c${hex16}`;
}
