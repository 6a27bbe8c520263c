// Client undo/redo: stacks of change batches. A batch is a list of ops without versions
// ({op:'update', id, start_ms, end_ms, text} | {op:'insert', start_ms, end_ms, text, was?} | {op:'delete', id});
// versions are added when the batch is sent, from the cues as they are then. Undoing a delete re-inserts the
// cue under a new id, so ids go through an alias table (old id -> id now).

export class History {
  constructor (limit = 200) {
    this.limit = limit
    this.undoStack = []
    this.redoStack = []
    this.aliases = new Map()
  }

  /** The id a cue has now (after re-inserts by undo/redo). */
  resolve (id) {
    const seen = new Set()
    while (this.aliases.has(id) && !seen.has(id)) { seen.add(id); id = this.aliases.get(id) }
    return id
  }

  /** The request changes for `ops`, with ids resolved and versions from `cues` (array). */
  toChanges (ops, cues) {
    const byId = new Map(cues.map((c) => [c.id, c]))
    return ops.map((o) => {
      if (o.op === 'insert') return { op: 'insert', start_ms: o.start_ms, end_ms: o.end_ms, text: o.text }
      const id = this.resolve(o.id)
      const cue = byId.get(id)
      const version = cue ? cue.version : 0
      if (o.op === 'delete') return { op: 'delete', id, version }
      return { op: 'update', id, version, start_ms: o.start_ms, end_ms: o.end_ms, text: o.text }
    })
  }

  /**
   * The batch that undoes `ops` once the server accepted them.
   * @param {object[]} ops as sent @param {object[]} before the cues before @param {{inserted: string[]}} response
   */
  inverse (ops, before, response) {
    const byId = new Map(before.map((c) => [c.id, c]))
    const inserted = response.inserted || []
    let k = 0
    const inv = []
    for (const o of ops) {
      if (o.op === 'insert') {
        const id = inserted[k++]
        if (o.was) this.aliases.set(o.was, id)
        if (id) inv.push({ op: 'delete', id })
        continue
      }
      const cue = byId.get(this.resolve(o.id))
      if (!cue) continue
      const old = { start_ms: cue.start_ms, end_ms: cue.end_ms, text: cue.text }
      inv.push(o.op === 'delete' ? { op: 'insert', ...old, was: cue.id } : { op: 'update', id: cue.id, ...old })
    }
    return inv.reverse()
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

  /** Forget everything (the track was reloaded after someone else's edit). */
  clear () {
    this.undoStack.length = 0
    this.redoStack.length = 0
    this.aliases.clear()
  }
}
