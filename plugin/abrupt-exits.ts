// Which nodes control can leave other than by falling through: by `return`, `throw`,
// `break`/`continue` to a target outside the node, `yield` or `await` (a flush could run
// while suspended). Counter sharing (counter-sharing.ts) asks this of statements.
//
// It is worked out during the walk that finds the blocks (instrument.ts), bottom-up: a
// node's exits are its children's, less the targets it holds itself (a loop takes
// unlabeled `break` and `continue`, a switch unlabeled `break`, a labeled statement its
// label). Functions keep their exits to themselves. One pass, no walk of its own.
// Completion values (completion-values.ts) ask the narrower question: which nodes
// `break`/`continue` can leave, skipping what follows them in their list.
import type { types as T } from "@babel/core";
import { t } from "./babel-types";
import { walk } from "./node-walk";

const ALWAYS = 1; // return, throw, yield, await, for await
const BREAK = 2; // unlabeled break
const CONTINUE = 4; // unlabeled continue

export class AbruptExits {
  private readonly leaving = new Set<T.Node>();
  private readonly jumping = new Set<T.Node>();
  /** Per node open in the walk: its exit bits so far, and labeled targets (`break:x`), if any. */
  private readonly bits: number[] = [];
  private readonly labeled: Array<string[] | undefined> = [];

  mayLeaveAbruptly(node: T.Node): boolean {
    return this.leaving.has(node);
  }

  /** Whether a `break` or `continue` inside `node` can take control to a target outside it. */
  mayJumpOut(node: T.Node): boolean {
    return this.jumping.has(node);
  }

  enter(node: T.Node): void {
    let bits = 0;
    let labels: string[] | undefined;
    switch (node.type) {
      case "ReturnStatement": case "ThrowStatement": case "YieldExpression": case "AwaitExpression":
        bits = ALWAYS;
        break;
      case "ForOfStatement":
        if (node.await) bits = ALWAYS;
        break;
      case "BreakStatement":
        if (node.label) labels = [`break:${node.label.name}`];
        else bits = BREAK;
        break;
      case "ContinueStatement":
        if (node.label) labels = [`continue:${node.label.name}`];
        else bits = CONTINUE;
        break;
    }
    this.bits.push(bits);
    this.labeled.push(labels);
  }

  exit(node: T.Node): void {
    let bits = this.bits.pop()!;
    let labels = this.labeled.pop();
    if (t.isFunction(node)) return; // its body runs when called, not here
    if (t.isLoop(node)) bits &= ~(BREAK | CONTINUE);
    else if (node.type === "SwitchStatement") bits &= ~BREAK;
    else if (node.type === "LabeledStatement" && labels) {
      const own = node.label.name;
      labels = labels.filter((target) => target !== `break:${own}` && target !== `continue:${own}`);
      if (labels.length === 0) labels = undefined;
    }
    if (bits === 0 && !labels) return;
    this.leaving.add(node);
    if ((bits & (BREAK | CONTINUE)) !== 0 || labels) this.jumping.add(node);
    const parent = this.bits.length - 1;
    if (parent < 0) return;
    this.bits[parent] |= bits;
    if (labels) this.labeled[parent] = [...(this.labeled[parent] ?? []), ...labels];
  }

  /** A subtree the block walk does not enter (a `with` body): its exits still count. */
  accountForUnwalked(node: T.Node): void {
    walk(node, {
      enter: (cursor) => {
        this.enter(cursor.node);
        return true;
      },
      exit: (cursor) => this.exit(cursor.node),
    });
  }
}
