// Ops, undo/redo and whose version a cue has. Every op carries the version of the cue state it was built from:
//   {op:'update', id, version, base:{start_ms, end_ms, text}|null, start_ms, end_ms, text}
//   {op:'delete', id, version}        {op:'insert', start_ms, end_ms, text, was?}
// `base` is the state the op was built from; a field equal to it is one the person did not change.
// A cue's "own chain" holds the versions this page's own saves made of it since it was loaded or someone else last
// changed it. An op built from a version in the chain is rebuilt, when sent, on the cue's current version if that is
// in the chain too (a save of this page answered meanwhile): its changed fields on the saved cue. Otherwise it goes
// out with the version it was built from, and the server answers 409 if someone else changed the cue since.
// Undoing a delete re-inserts the cue under a new id, so ids go through an alias table (old id -> id now).
import { tidyText } from './format.js'

const FIELDS = ['start_ms', 'end_ms', 'text']
const pick = (cue) => ({ start_ms: cue.start_ms, end_ms: cue.end_ms, text: cue.text })
const key = (id, version) => `${id}@${version}`

/** An update of `cue` (as the page has it) with `patch` applied. */
export const updateOf = (cue, patch = {}) =>
  ({ op: 'update', id: cue.id, version: cue.version, base: pick(cue), ...pick(cue), ...patch })

/** The delete of `cue` (as the page has it). */
export const deleteOf = (cue) => ({ op: 'delete', id: cue.id, version: cue.version })

export class History {
  constructor (limit = 200) {
    this.limit = limit
    this.undoStack = []
    this.redoStack = []
    this.aliases = new Map()
    this.own = new Map() // cue id now -> Set of "id@version" this page saved (or loaded) since no one else changed it
  }

  /** The id a cue has now (after re-inserts by undo/redo). */
  resolve (id) {
    const seen = new Set()
    while (this.aliases.has(id) && !seen.has(id)) { seen.add(id); id = this.aliases.get(id) }
    return id
  }

  chain (id) {
    if (!this.own.has(id)) this.own.set(id, new Set())
    return this.own.get(id)
  }

  /** The cues as loaded: each one's chain starts at its version; no undo steps survive a load. */
  know (cues) {
    this.clear()
    for (const c of cues) this.chain(c.id).add(key(c.id, c.version))
  }

  /** A save of this page answered: the versions it made are the page's own. */
  mine (resp) {
    const byId = new Map(resp.cues.map((c) => [c.id, c]))
    for (const id of resp.changed || []) {
      const c = byId.get(id)
      if (c) this.chain(id).add(key(id, c.version))
    }
  }

  /**
   * Cues that came from the server with a version this page did not make (`before` the page's cues, `after` the
   * server's; `skip` ids the page's own save just changed): their chains restart there and the undo/redo steps that
   * touch them go. Returns {ids, dropped}.
   */
  foreign (before, after, skip = new Set()) {
    const now = new Map(after.map((c) => [c.id, c]))
    const ids = []
    for (const c of before) {
      if (skip.has(c.id)) continue
      const n = now.get(c.id)
      if (!n) { ids.push(c.id); this.own.set(c.id, new Set()); continue }
      if (n.version !== c.version && !this.chain(c.id).has(key(c.id, n.version))) {
        ids.push(c.id)
        this.own.set(c.id, new Set([key(c.id, n.version)]))
      }
    }
    const known = new Set(before.map((c) => c.id))
    for (const c of after) if (!known.has(c.id) && !skip.has(c.id)) this.chain(c.id).add(key(c.id, c.version))
    return { ids, dropped: ids.length ? this.prune() : 0 }
  }

  /** Someone else's state of cue `cue` (a 409 answer) or its delete (`cue` null). */
  theirs (id, cue) {
    this.own.set(id, new Set(cue ? [key(id, cue.version)] : []))
    return this.prune()
  }

  /** Drop the undo/redo steps whose ops no longer start from a version of the page's own; how many went. */
  prune () {
    let dropped = 0
    for (const stack of [this.undoStack, this.redoStack]) {
      const keep = stack.filter((entry) => this.applicable(entry))
      dropped += stack.length - keep.length
      stack.splice(0, stack.length, ...keep)
    }
    return dropped
  }

  /** Does every op of `entry` start from a version in its cue's own chain? */
  applicable (entry) {
    return entry.ops.every((o) => o.op === 'insert' || this.chain(this.resolve(o.id)).has(key(o.id, o.version)))
  }

  /** The request changes for `ops` against `cues` (the page's now): ids resolved, ops rebuilt where they may be. */
  toChanges (ops, cues) {
    const byId = new Map(cues.map((c) => [c.id, c]))
    return ops.map((o) => {
      if (o.op === 'insert') return { op: 'insert', start_ms: o.start_ms, end_ms: o.end_ms, text: tidyText(o.text) }
      const id = this.resolve(o.id)
      const cue = byId.get(id)
      let version = o.version
      let fields = o
      const chain = this.chain(id)
      if (cue && (cue.version !== o.version || id !== o.id) && chain.has(key(o.id, o.version)) && chain.has(key(id, cue.version))) {
        version = cue.version // built before a save of this page answered: rebuilt on the saved cue
        fields = Object.fromEntries(FIELDS.map((f) => [f, o.base && o[f] === o.base[f] ? cue[f] : o[f]]))
      }
      if (o.op === 'delete') return { op: 'delete', id, version }
      return { op: 'update', id, version, start_ms: fields.start_ms, end_ms: fields.end_ms, text: tidyText(fields.text) }
    })
  }

  /**
   * The batch that undoes `ops` (sent as `changes`) once the server accepted them: each op at the version this
   * save returned. @param {object[]} before the page's cues when sent @param {object} resp the server's answer
   */
  inverse (ops, changes, before, resp) {
    const was = new Map(before.map((c) => [c.id, c]))
    const now = new Map(resp.cues.map((c) => [c.id, c]))
    const inserted = resp.inserted || []
    let k = 0
    const inv = []
    ops.forEach((o, i) => {
      const change = changes[i]
      if (o.op === 'insert') {
        const id = inserted[k++]
        if (o.was && id) this.alias(o.was, id)
        const after = id && now.get(id)
        if (after) inv.push(deleteOf(after))
        return
      }
      const old = was.get(change.id)
      if (!old) return
      if (o.op === 'delete') { inv.push({ op: 'insert', ...pick(old), was: change.id }); return }
      const after = now.get(change.id)
      if (after) inv.push({ ...updateOf(after), ...pick(old) })
    })
    return inv.reverse()
  }

  /** Cue `from` came back as `to`: its own chain goes along. */
  alias (from, to) {
    this.aliases.set(from, to)
    for (const k of this.chain(from)) this.chain(to).add(k)
  }

  /** A new edit: its inverse goes on the undo stack and the redo stack empties. */
  record (label, inverseOps) {
    if (!inverseOps.length) return
    this.undoStack.push({ label, ops: inverseOps })
    if (this.undoStack.length > this.limit) this.undoStack.shift()
    this.redoStack.length = 0
  }

  canUndo () { return this.undoStack.length > 0 }
  canRedo () { return this.redoStack.length > 0 }

  /** Forget every step (the track was reloaded: ids and versions may have changed). */
  clear () {
    this.undoStack.length = 0
    this.redoStack.length = 0
    this.aliases.clear()
    this.own.clear()
  }
}
