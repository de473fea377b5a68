import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PathStep } from '../../src/detectors/index.js';
import { edgeLabel, retainerPathTokens } from '../../src/report/index.js';

type Kind = PathStep['nodeType'];
const step = (edgeType: PathStep['edgeType'], edge: string, className: string, nodeType: Kind = 'object', passThrough = false): PathStep => ({
  edge, edgeType, className, nodeType, passThrough, nodeId: 1,
});
const path = (...steps: PathStep[]) => ({ steps, omittedSteps: 0 });

test('a path folds pass-through holders into the step before and ends with the object itself', () => {
  const tokens = retainerPathTokens(path(
    step('element', '1', '(GC roots)', 'synthetic'),
    step('property', 'server', 'Server'),
    step('property', '_events', 'Object', 'object', true),
    step('property', 'request', 'handle', 'closure'),
    step('internal', 'context', 'system / Context', 'object', true),
    step('context', 'queue', 'JobQueue'),
    step('property', '_events', 'Object', 'object', true),
    step('property', 'error', 'Array', 'object', true),
    step('element', '4999', 'onQueueError', 'closure'),
  ));
  assert.deepEqual(tokens, ['(GC roots).server', 'Server._events.request', 'handle()::queue', 'JobQueue._events.error[4999]', 'onQueueError()']);
});

test("Node's embedder prefix is one step, repeats collapse with a count, long paths keep head and tail", () => {
  const embedder = retainerPathTokens(path(
    step('element', '1', 'Node / Environment', 'native'),
    step('internal', 'realm', 'Node / Realm', 'native'),
    step('internal', 'queue', 'Node / CleanupQueue', 'native'),
    step('property', 'x', 'Holder'),
  ));
  assert.deepEqual(embedder, ['(node)', 'Holder']);
  const chain = Array.from({ length: 5 }, () => step('property', '_idlePrev', 'Timeout'));
  assert.deepEqual(retainerPathTokens(path(step('element', '1', 'list'), ...chain)), ['list._idlePrev', 'Timeout._idlePrev ×4', 'Timeout']);
  const long = Array.from({ length: 12 }, (_, i) => step('property', `p${i}`, `C${i}`));
  const tokens = retainerPathTokens(path(...long));
  assert.equal(tokens.length, 8);
  assert.deepEqual(tokens.slice(0, 3), ['C0.p1', 'C1.p2', '…']);
  assert.equal(tokens[tokens.length - 1], 'C11');
});

test('edge names that are not identifiers, symbols and Map entries are quoted the way JavaScript would', () => {
  const tokens = retainerPathTokens(path(
    step('element', '1', 'Holder'),
    step('property', 'a b', 'X'),
    step('property', '<symbol kEvents>', 'Map'),
    step('entry', 'abort', 'Listener'),
  ));
  assert.deepEqual(tokens, ['Holder["a b"]', 'X[symbol kEvents]', 'Map.get("abort")', 'Listener']);
  assert.deepEqual(retainerPathTokens(null), ['(unreachable)']);
});

test('inspect labels every edge the way DevTools does', () => {
  assert.deepEqual(
    [step('element', '3', ''), step('hidden', '2', ''), step('context', 'v', ''), step('internal', 'map', ''), step('property', 'p', '')].map(edgeLabel),
    ['[3]', '<hidden 2>', '<context v>', '<map>', 'p'],
  );
});
