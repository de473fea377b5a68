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

// Issue 11, item 5: a promise chain's links take three tokens each, with indices that vary.
test('a chain whose links repeat every few tokens collapses to one link with a count, indices aside', () => {
  const link = (index: string) => [
    step('hidden', '3', 'Promise'),
    step('internal', 'reactions_or_result', '(system)', 'hidden', true),
    step('hidden', index, '(anonymous)', 'closure'),
    step('internal', 'context', 'system / Context', 'object', true),
    step('internal', 'extension', 'Generator'),
  ];
  const links = Array.from({ length: 45 }, (_, i) => link(String(i % 2)));
  const tokens = retainerPathTokens(path(step('property', 'chainTail', 'Holder'), ...links.flat()));
  assert.deepEqual(tokens, ['Holder[3]', '(Promise.reactions_or_result[0] → (anonymous)().extension → Generator[3]) ×44', 'Promise.reactions_or_result[0]', '(anonymous)().extension', 'Generator']);
  const plain = retainerPathTokens(path(step('property', 'a', 'A'), step('property', 'b', 'B'), step('property', 'a', 'A'), step('property', 'c', 'C')));
  assert.deepEqual(plain, ['A.b', 'B.a', 'A.c', 'C']);
});
