// Saving edits: one request at a time, each op sent with the version of the cue state it was built from (rebuilt on
// the saved cue when a save of this page answered meanwhile, see undo.js), undo/redo batches, the 409 choice, drafts
// of text being typed (with the version they were typed on), refused fields shown at their cue, and live findings
// (POST lint, debounced) while typing or dragging. A save over the studio's rate (429) is sent once more after the
// delay it names; one the person may not make (403) is shown and undone on the page (nothing was stored).
import { retryOnce } from './api.js'
import { debounce, tidyText } from './format.js'
import { History, updateOf } from './undo.js'
import { askConflict, errorText, message } from './panels.js'

const SAVE_IDLE_MS = 600
const LINT_MS = 50
const FIELD = /^changes\[(\d+)\]\.(\w+)$/
const waiting = (seconds) => message(`too many requests, retrying in ${seconds} s`, 'note')

export class Edits {
  /**
   * @param {ReturnType<import('./api.js').trackApi>} api
   * @param {{cues: object[], drafts: Map<string, string>, drag: object|null, savedFindings: object[]|null}} state
   * @param {{applied: (resp: object, label: string) => void, linted: (findings: object[]) => void,
   *   reload: () => Promise<void>, refused: (id: string, field: string, text: string|null) => void,
   *   dropped: (ids: string[], steps: number) => void, drafted?: () => void, reverted?: (id: string) => void}} hooks
   */
  constructor (api, state, hooks) {
    this.api = api
    this.state = state
    this.hooks = hooks
    this.history = new History()
    this.history.know(state.cues)
    this.bases = new Map() // cue id -> the cue as it was when its draft began
    this.queue = Promise.resolve()
    this.pending = 0
    this.generation = 0 // moves with every request this page sends and every answer (a GET older than it is stale)
    this.lintSeq = 0
    this.lastLintMs = null
    this.conflicts = 0
    this.lintSoon = debounce(() => this.lint(), LINT_MS)
    this.saveSoon = debounce((id) => this.saveText(id), SAVE_IDLE_MS)
  }

  get busy () { return this.pending > 0 || this.saveSoon.pending() }

  /**
   * Send `ops` (see undo.js; or a function making them when their turn comes) as one batch behind the saves already
   * queued; mode 'new' records its inverse for undo, 'undo'/'redo' move it across. Resolves the response, or null
   * when nothing was sent or it was refused (the message is shown).
   */
  commit (label, ops, mode = 'new') {
    this.pending++
    const run = this.queue.then(() => this.send(label, ops, mode))
    this.queue = run.catch(() => null).finally(() => { this.pending-- })
    return run
  }

  async send (label, ops, mode) {
    if (typeof ops === 'function') ops = ops()
    if (!ops.length) return null
    const before = this.state.cues
    const changes = this.history.toChanges(ops, before)
    let resp
    this.generation++
    try {
      resp = await retryOnce(() => this.api.edits(label, changes), waiting)
    } catch (e) {
      this.generation++
      if (e.status === 409) return this.conflict(label, ops, mode, changes, e.body.conflicts || [])
      if (e.status === 403) this.forbidden(e, changes)
      else this.refused(e, changes)
      return null
    }
    this.generation++
    const changed = new Set(resp.changed || [])
    const theirs = this.history.foreign(before, resp.cues, changed) // cues someone else changed, in the same answer
    const inverse = this.history.inverse(ops, changes, before, resp)
    this.history.mine(resp)
    const entry = { label, ops: inverse }
    if (mode === 'new') this.history.record(label, inverse)
    else if (mode === 'undo') this.history.redoStack.push(entry)
    else if (inverse.length) this.history.undoStack.push(entry)
    this.lintSeq++ // a lint still in flight describes the track before this save
    this.hooks.applied(resp, label)
    if (theirs.ids.length) this.hooks.dropped(theirs.ids, theirs.dropped)
    if (this.state.drafts.size) this.lintSoon()
    return resp
  }

  /** A 4xx other than 409: a field of a change is shown at its cue (the typed text stays), anything else above. */
  refused (e, changes) {
    const m = FIELD.exec(e.field || '')
    const change = m && changes[Number(m[1])]
    if (change && change.id) this.hooks.refused(change.id, m[2], e.message)
    else message(errorText(e))
  }

  /** Not this person's to change: the message, and the cues' fields back to what the server has (undo untouched). */
  forbidden (e, changes) {
    for (const c of changes) {
      if (!c.id) continue
      this.dropDraft(c.id)
      this.hooks.reverted?.(c.id)
    }
    message(`not saved: ${errorText(e)}`)
    this.lintSoon() // the findings shown may be those of the text typed
  }

  /** Show theirs and yours; 'mine' resends my whole state on their versions, 'theirs' reloads the track. */
  async conflict (label, ops, mode, changes, conflicts) {
    this.conflicts++
    const mine = new Map(changes.filter((c) => c.id).map((c) => [c.id, c]))
    const choice = await askConflict(conflicts, mine)
    for (const c of conflicts) this.history.theirs(c.id, c.current)
    if (choice === 'theirs') {
      for (const c of conflicts) this.dropDraft(c.id)
      await this.hooks.reload()
      return null
    }
    const current = new Map(conflicts.map((c) => [c.id, c.current]))
    this.state.cues = this.state.cues.filter((c) => current.get(c.id) !== null)
      .map((c) => current.has(c.id) ? { ...current.get(c.id), id: c.id } : c)
    // A cue they deleted comes back as a new one with my state; my delete of it is already done.
    const again = ops.flatMap((o, i) => {
      const c = changes[i]
      if (o.op === 'insert' || !current.has(c.id)) return [o]
      const theirs = current.get(c.id)
      const state = { start_ms: c.start_ms, end_ms: c.end_ms, text: c.text }
      if (!theirs) return c.op === 'update' ? [{ op: 'insert', ...state }] : []
      return [c.op === 'delete' ? { op: 'delete', id: c.id, version: theirs.version } : { op: 'update', id: c.id, version: theirs.version, base: null, ...state }]
    })
    if (!again.length) { await this.hooks.reload(); return null }
    return this.send(label, again, mode)
  }

  async undo () { return this.step('undo', this.history.undoStack) }
  async redo () { return this.step('redo', this.history.redoStack) }

  async step (which, stack) {
    await this.flush()
    const batch = stack.pop()
    if (!batch) { message(`nothing to ${which}`, 'note'); return null }
    const resp = await this.commit(which, batch.ops, which)
    if (!resp && this.history.applicable(batch)) stack.push(batch) // refused, not overtaken by someone else's edit
    return resp
  }

  /** Typing in a cue: remember the draft (and the cue it was typed on), lint soon, save after a pause. */
  setDraft (id, text) {
    const cue = this.cue(id)
    if (!cue) return
    if (!this.bases.has(id)) this.bases.set(id, cue)
    const unchanged = tidyText(text) === cue.text && this.bases.get(id).version === cue.version
    if (unchanged && !this.pending) this.dropDraft(id)
    else this.state.drafts.set(id, text)
    if (this.saveSoon.pending() && this.saveSoon.lastId !== id) this.saveSoon.flush()
    this.saveSoon.lastId = id
    this.saveSoon(id)
    this.lintSoon()
    this.hooks.drafted?.()
  }

  dropDraft (id) {
    this.state.drafts.delete(id)
    this.bases.delete(id)
  }

  /**
   * Save the draft of `id` now (blur, Ctrl+Enter, idle): an op on the cue the draft was typed on, made when its turn
   * comes (after an earlier save of this draft answered, the draft is on that save's cue).
   */
  async saveText (id) {
    if (this.saveSoon.pending()) this.saveSoon.cancel()
    const text = this.state.drafts.get(id)
    if (text === undefined) return null
    const resp = await this.commit('text', () => {
      const base = this.bases.get(id)
      const cue = this.cue(id)
      if (!base || !cue || (tidyText(text) === cue.text && base.version === cue.version)) return []
      return [updateOf(base, { text })]
    })
    if (this.state.drafts.get(id) === text && (resp || this.cue(id)?.text === tidyText(text))) this.dropDraft(id)
    else if (resp && this.bases.has(id)) this.bases.set(id, resp.cues.find((c) => c.id === id) || this.bases.get(id))
    return resp
  }

  /** Save every draft and wait for the queue. */
  async flush () {
    this.saveSoon.cancel()
    for (const id of [...this.state.drafts.keys()]) await this.saveText(id)
    await this.queue
  }

  /** Wait until no save is queued or in flight. */
  async settled () {
    while (this.pending) await this.queue
  }

  /**
   * The server's cues replace the page's (an edit elsewhere, a reload): undo steps on cues someone else changed go.
   * `reset` (the job was reloaded or exported: ids and versions may all have changed): every step and draft goes.
   */
  takeServer (cues, reset = false) {
    if (reset) {
      this.saveSoon.cancel()
      this.lintSoon.cancel()
      this.history.know(cues)
      this.state.drafts.clear()
      this.bases.clear()
      this.state.cues = cues
      return
    }
    const { ids, dropped } = this.history.foreign(this.state.cues, cues)
    this.state.cues = cues
    if (ids.length) this.hooks.dropped(ids, dropped)
  }

  /** While a region is dragged: lint with its times. */
  dragPreview (id, startMs, endMs) {
    this.state.drag = { id, start_ms: startMs, end_ms: endMs }
    this.lintSoon()
    this.hooks.drafted?.()
  }

  /** The track as it would be with the drafts and the drag, linted by the server. */
  async lint () {
    const changes = []
    const drag = this.state.drag
    for (const cue of this.state.cues) {
      const draft = this.state.drafts.get(cue.id)
      const moved = drag && drag.id === cue.id
      if (draft === undefined && !moved) continue
      changes.push({
        op: 'update', id: cue.id, version: cue.version,
        start_ms: moved ? drag.start_ms : cue.start_ms,
        end_ms: moved ? drag.end_ms : cue.end_ms,
        text: draft === undefined ? cue.text : tidyText(draft)
      })
    }
    const seq = ++this.lintSeq // an answer to an earlier lint is no longer wanted
    if (!changes.length) { // a draft given up (typed back, or refused): the findings of the track as saved
      if (this.state.savedFindings) this.hooks.linted(this.state.savedFindings)
      return
    }
    const t0 = performance.now()
    try {
      const { findings } = await this.api.lint(changes)
      if (seq !== this.lintSeq) return
      this.lastLintMs = performance.now() - t0
      this.hooks.refused(null)
      this.hooks.linted(findings)
    } catch (e) {
      // a conflict is for the save to show; a lint over the rate is dropped (the next keystroke lints again)
      if (seq === this.lintSeq && e.status && e.status !== 409 && e.status !== 429) this.refused(e, changes)
    }
  }

  cue (id) { return this.state.cues.find((c) => c.id === id) || null }
}
