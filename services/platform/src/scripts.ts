/**
 * Lua scripts the workers run in Redis, BullMQ's way: one `.lua` file per script beside the module
 * that calls it, named `<name>-<numberOfKeys>.lua` (`alert_set-1.lua`), or
 * `<name>-variable.lua` when each call passes as many keys as it needs (ioredis then sends the key
 * count first, BullMQ's numberOfKeys). The file is read once; each connection defines the script
 * once (ioredis sends EVALSHA and falls back to EVAL when Redis lost it, in pipelines too).
 * A script made with `{ buffers: true }` replies bulk strings as Buffers (ioredis's `<command>Buffer`),
 * for binary values.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChainableCommander } from 'ioredis';

export type ScriptArg = string | number | Buffer;

/** What a script needs of a connection; an ioredis `Redis` is one. */
export interface ScriptHost {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}

/** A script bound to one connection; its pipelines must be created after `LuaScript.on` defined it. */
export interface ScriptCommand<Keys extends readonly string[], Args extends readonly ScriptArg[], Reply> {
  /** One round trip. */
  call(keys: Keys, args: Args): Promise<Reply>;
  /** Queues the script on a pipeline of the same connection; its reply comes with the pipeline's results. */
  queue(pipeline: ChainableCommander, keys: Keys, args: Args): void;
}

const FILE_NAME = /^([a-z][a-z0-9_]*)-(\d+|variable)\.lua$/;

/** Command names and the script defined under each, per connection: a name means one script. */
const defined = new WeakMap<ScriptHost, Map<string, string>>();

/**
 * One Lua file. `Keys` and `Args` type what a call passes (the file's header documents them) and
 * `Reply` what it returns; the key count of a fixed-key script is checked on every call.
 */
export class LuaScript<Keys extends readonly string[], Args extends readonly ScriptArg[], Reply> {
  readonly name: string;
  readonly numberOfKeys: number | 'variable';
  /** The ioredis command it is defined as: `cx` + the name in camel case (`cxTimelineReplace`). */
  readonly command: string;
  readonly lua: string;
  private readonly file: string;
  /** The connection's method that sends it: `<command>Buffer` when replies stay binary. */
  private readonly method: string;

  constructor(file: URL, options: { buffers?: boolean } = {}) {
    this.file = fileURLToPath(file);
    const match = FILE_NAME.exec(basename(this.file));
    if (match === null) throw new Error(`${this.file}: a Lua script is named <name>-<numberOfKeys>.lua or <name>-variable.lua`);
    this.name = match[1]!;
    this.numberOfKeys = match[2] === 'variable' ? 'variable' : Number(match[2]);
    this.command = `cx${this.name.replace(/(^|_)([a-z0-9])/g, (_, _sep: string, c: string) => c.toUpperCase())}`;
    this.lua = readFileSync(this.file, 'utf8');
    this.method = options.buffers ? `${this.command}Buffer` : this.command;
  }

  /** Defines the script on this connection (once per connection) and returns its typed command. */
  on(redis: ScriptHost): ScriptCommand<Keys, Args, Reply> {
    let scripts = defined.get(redis);
    if (scripts === undefined) defined.set(redis, (scripts = new Map()));
    const current = scripts.get(this.command);
    if (current === undefined) {
      redis.defineCommand(this.command, this.numberOfKeys === 'variable' ? { lua: this.lua } : { lua: this.lua, numberOfKeys: this.numberOfKeys });
      scripts.set(this.command, this.lua);
    } else if (current !== this.lua) {
      throw new Error(`${this.file}: another script is already defined as ${this.command} on this connection`);
    }
    return {
      // The file decides the reply's shape; `Reply` states it (see the script's header).
      call: (keys, args) => invoke(redis, this.method, this.argv(keys, args)) as Promise<Reply>,
      queue: (pipeline, keys, args) => {
        invoke(pipeline, this.method, this.argv(keys, args));
      },
    };
  }

  private argv(keys: Keys, args: Args): ScriptArg[] {
    if (this.numberOfKeys === 'variable') return [keys.length, ...keys, ...args];
    if (keys.length !== this.numberOfKeys) throw new Error(`${this.file}: takes ${this.numberOfKeys} key(s), got ${keys.length}`);
    return [...keys, ...args];
  }
}

/** ioredis adds a defined script as a method of the connection and of the pipelines it creates afterwards. */
function invoke(target: object, command: string, argv: ScriptArg[]): unknown {
  const method: unknown = Reflect.get(target, command);
  if (typeof method !== 'function') throw new Error(`Redis script ${command} is not defined here: call LuaScript.on(redis) before creating the pipeline`);
  return method.apply(target, argv);
}
