/** Pure actor machines and the contract the kernel hosts them by. No I/O in this folder (kernel/ aside). */
export { fx, kernelActions, FAILED_TAG, type KernelEvent, type EffectRequest, type EmitRequest, type CancelRequest } from './contract.js';
export { sessionMachine, DEFAULT_LEASE_MS, type SessionContext } from './session.machine.js';
export { agentMachine, DEFAULT_MAX_STEPS, type AgentContext, type AgentMessage, type LlmReply, type ToolReply } from './agent.machine.js';
export { orgMachine, type OrgContext } from './org.machine.js';
export { defaultRegistry, defineActorKind, type ActorKind, type ActorRegistry } from './registry.js';
