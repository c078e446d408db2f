import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { LuaScript, type ScriptArg, type ScriptHost } from '../src/scripts.ts';

const dir = mkdtempSync(join(tmpdir(), 'cxg-scripts-'));
function file(name: string, lua = 'return 1'): URL {
  writeFileSync(join(dir, name), lua);
  return pathToFileURL(join(dir, name));
}

/** Defines commands the way ioredis does (a method of the connection) and records the calls. */
class FakeHost implements ScriptHost {
  readonly defined: Array<{ name: string; numberOfKeys?: number }> = [];
  readonly calls: ScriptArg[][] = [];

  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void {
    this.defined.push({ name, ...(definition.numberOfKeys === undefined ? {} : { numberOfKeys: definition.numberOfKeys }) });
    Reflect.set(this, name, (...argv: ScriptArg[]) => {
      this.calls.push(argv);
      return Promise.resolve(argv.length);
    });
    // ioredis also defines `<name>Buffer`, whose replies keep bulk strings as Buffers.
    Reflect.set(this, `${name}Buffer`, (...argv: ScriptArg[]) => {
      this.calls.push(['Buffer', ...argv]);
      return Promise.resolve(argv.length);
    });
  }
}

// A client that never connects: defining scripts and queueing on pipelines are local.
const offline = new Redis({ lazyConnect: true });
afterAll(() => offline.disconnect());

describe('LuaScript', () => {
  it('takes its name and key count from the file name', () => {
    const fixed = new LuaScript<[string], [], number>(file('timeline_replace-1.lua'));
    expect([fixed.name, fixed.numberOfKeys, fixed.command]).toEqual(['timeline_replace', 1, 'cxTimelineReplace']);
    const variable = new LuaScript<string[], [], number>(file('kpi_apply-variable.lua'));
    expect([variable.name, variable.numberOfKeys, variable.command]).toEqual(['kpi_apply', 'variable', 'cxKpiApply']);
    expect(() => new LuaScript(file('timeline_replace.lua'))).toThrow(/<name>-<numberOfKeys>\.lua or <name>-variable\.lua/);
    expect(() => new LuaScript(file('kpi-apply-n.lua'))).toThrow(/<name>-<numberOfKeys>\.lua/);
  });

  it('is defined once per connection, however many stores bind it', () => {
    const url = file('once-2.lua');
    const a = new FakeHost();
    const b = new FakeHost();
    new LuaScript<[string, string], [], number>(url).on(a);
    new LuaScript<[string, string], [], number>(url).on(a);
    new LuaScript<[string, string], [], number>(url).on(b);
    expect(a.defined).toEqual([{ name: 'cxOnce', numberOfKeys: 2 }]);
    expect(b.defined).toEqual([{ name: 'cxOnce', numberOfKeys: 2 }]);
  });

  it('refuses a second, different script under the same command on one connection', () => {
    const host = new FakeHost();
    new LuaScript(file('clash-1.lua', 'return 1')).on(host);
    const other = new LuaScript(file('clash-1.lua', 'return 2'));
    expect(() => other.on(host)).toThrow(/another script is already defined as cxClash/);
  });

  it('checks the key count of a fixed-key script, and sends it first for a variable one', async () => {
    const host = new FakeHost();
    const fixed = new LuaScript<string[], ScriptArg[], number>(file('pair-2.lua')).on(host);
    await expect(async () => fixed.call(['k1'], [1])).rejects.toThrow(/takes 2 key\(s\), got 1/);
    expect(await fixed.call(['k1', 'k2'], [1, 'a'])).toBe(4);
    const variable = new LuaScript<string[], ScriptArg[], number>(file('many-variable.lua')).on(host);
    await variable.call(['k1', 'k2', 'k3'], ['x']);
    expect(host.calls).toEqual([
      ['k1', 'k2', 1, 'a'],
      [3, 'k1', 'k2', 'k3', 'x'],
    ]);
  });

  it('sends through the Buffer variant when made with buffers: true, Buffer arguments as they are', async () => {
    const host = new FakeHost();
    const blob = Buffer.from([0xff, 0x00]);
    await new LuaScript<string[], ScriptArg[], number>(file('binary-variable.lua')).on(host).call(['k'], [blob]);
    await new LuaScript<string[], ScriptArg[], number>(file('binary_reply-variable.lua'), { buffers: true }).on(host).call(['k'], [blob]);
    expect(host.calls).toEqual([
      [1, 'k', blob],
      ['Buffer', 1, 'k', blob],
    ]);
  });

  it('queues on pipelines of its connection created after it was defined', () => {
    const script = new LuaScript<[string], [number], number>(file('queued-1.lua'));
    const early = offline.pipeline();
    const command = script.on(offline);
    expect(() => command.queue(early, ['k'], [1])).toThrow(/cxQueued is not defined here/);
    const p = offline.pipeline();
    command.queue(p, ['k'], [1]);
    command.queue(p, ['k'], [2]);
    expect(p.length).toBe(2);
  });
});
