// Saving edits: one request at a time (each uses the versions the previous one returned), undo/redo batches,
// the 409 choice, drafts of text being typed, and live findings (POST lint, debounced) while typing or dragging.
import { debounce } from './format.js'
import { History } from './undo.js'
import { askConflict, errorText, message } from './panels.js'

const SAVE_IDLE_MS = 600
const LINT_MS = 50

export class Edits {
  /**
   * @param {ReturnType<import('./api.js').trackApi>} api
   * @param {{cues: object[], drafts: Map<string, string>, drag: object|null}} state
   * @param {{applied: (resp: object, label: string) => void, linted: (findings: object[]) => void, reload: () => Promise<void>}} hooks
   */
  constructor (api, state, hooks) {
    this.api = api
    this.state = state
    this.hooks = hooks
    this.history = new History()
    this.queue = Promise.resolve()
    this.pending = 0
    this.lintSeq = 0
    this.lastLintMs = null
    this.lintSoon = debounce(() => this.lint(), LINT_MS)
    this.saveSoon = debounce((id) => this.saveText(id), SAVE_IDLE_MS)
  }

  get busy () { return this.pending > 0 || this.saveSoon.pending() }

  /**
   * Send `ops` (see undo.js) as one batch; mode 'new' records its inverse for undo, 'undo'/'redo' move it across.
   * Resolves the response, or null when it was refused (the message is shown).
   */
  commit (label, ops, mode = 'new') {
    this.pending++
    const run = this.queue.then(() => this.send(label, ops, mode))
    this.queue = run.catch(() => null).finally(() => { this.pending-- })
    return run
  }

  async send (label, ops, mode) {
    const before = this.state.cues
    const changes = this.history.toChanges(ops, before)
    let resp
    try {
      resp = await this.api.edits(label, changes)
    } catch (e) {
      if (e.status === 409) return this.conflict(label, ops, mode, changes, e.body.conflicts || [])
      message(errorText(e))
      return null
    }
    const inverse = this.history.inverse(ops, before, resp)
    const entry = { label, ops: inverse }
    if (mode === 'new') this.history.record(label, inverse)
    else if (mode === 'undo') this.history.redoStack.push(entry)
    else this.history.undoStack.push(entry)
    this.lintSeq++ // a lint still in flight describes the track before this save
    this.hooks.applied(resp, label)
    if (this.state.drafts.size) this.lintSoon()
    return resp
  }

  /** Show theirs and yours; 'mine' resends against their versions, 'theirs' reloads the track. */
  async conflict (label, ops, mode, changes, conflicts) {
    const mine = new Map(changes.filter((c) => c.id).map((c) => [c.id, c]))
    const choice = await askConflict(conflicts, mine)
    if (choice === 'theirs') {
      for (const c of conflicts) this.state.drafts.delete(c.id)
      await this.hooks.reload()
      return null
    }
    const gone = new Set(conflicts.filter((c) => !c.current).map((c) => c.id))
    const current = new Map(conflicts.filter((c) => c.current).map((c) => [c.id, c.current]))
    this.state.cues = this.state.cues.filter((c) => !gone.has(c.id)).map((c) => ({ ...c, ...current.get(c.id), id: c.id }))
    // A cue they deleted comes back as a new one with my text; my delete of it is already done.
    const again = ops.flatMap((o) => {
      const id = o.id && this.history.resolve(o.id)
      if (!gone.has(id)) return [o]
      return o.op === 'update' ? [{ op: 'insert', start_ms: o.start_ms, end_ms: o.end_ms, text: o.text }] : []
    })
    if (!again.length) { await this.hooks.reload(); return null }
    return this.send(label, again, mode)
  }

  async undo () {
    await this.flush()
    const batch = this.history.undoStack.pop()
    if (!batch) { message('nothing to undo', 'note'); return null }
    const resp = await this.commit('undo', batch.ops, 'undo')
    if (!resp) this.history.undoStack.push(batch)
    return resp
  }

  async redo () {
    await this.flush()
    const batch = this.history.redoStack.pop()
    if (!batch) { message('nothing to redo', 'note'); return null }
    const resp = await this.commit('redo', batch.ops, 'redo')
    if (!resp) this.history.redoStack.push(batch)
    return resp
  }

  /** Typing in a cue: remember the draft, lint soon, save after a pause. */
  setDraft (id, text) {
    const cue = this.cue(id)
    if (!cue) return
    if (text === cue.text) this.state.drafts.delete(id)
    else this.state.drafts.set(id, text)
    if (this.saveSoon.pending() && this.saveSoon.lastId !== id) this.saveSoon.flush()
    this.saveSoon.lastId = id
    this.saveSoon(id)
    this.lintSoon()
    this.hooks.drafted?.()
  }

  /** Save the draft of `id` now (blur, Ctrl+Enter, idle). */
  async saveText (id) {
    if (this.saveSoon.pending()) this.saveSoon.cancel()
    const text = this.state.drafts.get(id)
    const cue = this.cue(id)
    if (text === undefined || !cue || text === cue.text) { this.state.drafts.delete(id); return null }
    const resp = await this.commit('text', [{ op: 'update', id, start_ms: cue.start_ms, end_ms: cue.end_ms, text }])
    if (resp && this.state.drafts.get(id) === text) this.state.drafts.delete(id)
    return resp
  }

  /** Save every draft and wait for the queue. */
  async flush () {
    this.saveSoon.cancel()
    for (const id of [...this.state.drafts.keys()]) await this.saveText(id)
    await this.queue
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
        text: draft ?? cue.text
      })
    }
    if (!changes.length) return
    const seq = ++this.lintSeq
    const t0 = performance.now()
    try {
      const { findings } = await this.api.lint(changes)
      if (seq !== this.lintSeq) return
      this.lastLintMs = performance.now() - t0
      this.hooks.linted(findings)
    } catch (e) {
      if (seq === this.lintSeq && e.status && e.status !== 409) message(errorText(e), 'note')
    }
  }

  cue (id) { return this.state.cues.find((c) => c.id === id) || null }
}
