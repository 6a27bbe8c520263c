// What the shortcuts and toolbar buttons do to the selected cue: split, merge, insert, delete, reflow, times at the
// playhead, undo/redo, navigation between cues and findings, history. Each structural edit saves typed drafts first.
import { message, errorText, showHistory, toggleHelp } from './panels.js'
import { cueAt } from './format.js'
import { deleteOf, updateOf } from './undo.js'

const SEEK_MS = 1000
const SMALL_SEEK_MS = 500
const NEW_CUE_MS = 2000
const PLACEHOLDER = '…'
export const READ_ONLY = 'read only: not one of your languages'

/** @param {object} ctx the editor (state, player, list, edits, api, grid, selectCue, info, profile()) */
export function makeActions (ctx) {
  const { state } = ctx
  const cues = () => state.cues
  const index = () => cues().findIndex((c) => c.id === state.selected)
  const current = () => {
    const i = index()
    if (i >= 0) return cues()[i]
    const at = cueAt(cues(), ctx.player.timeMs)
    return at >= 0 ? cues()[at] : null
  }
  const gapMs = () => ctx.grid.snap(Math.max(1, ctx.profile().min_gap_frames || 0) * ctx.grid.frameMs)
  const textOf = (cue) => state.drafts.get(cue.id) ?? cue.text
  const update = updateOf
  const needCue = () => { const c = current(); if (!c) message('select a cue first', 'note'); return c }

  async function setTime (which) {
    await ctx.edits.flush()
    const cue = needCue()
    if (!cue) return
    const t = ctx.grid.snap(ctx.player.timeMs)
    if (which === 'start' ? t >= cue.end_ms : t <= cue.start_ms) {
      message(`the ${which} at the playhead (${t} ms) would put the end before the start`)
      return
    }
    await ctx.edits.commit('time', [update(cue, which === 'start' ? { start_ms: t } : { end_ms: t })])
  }

  function moveCue (step) {
    const list = cues()
    if (!list.length) return
    let i = index()
    if (i < 0) i = Math.max(-1, cueAt(list, ctx.player.timeMs) - (step > 0 ? 0 : -1))
    const next = list[Math.min(list.length - 1, Math.max(0, i + step))]
    const inText = document.activeElement?.classList?.contains('text')
    ctx.selectCue(next.id, { seek: true, focusText: inText })
  }

  async function split () {
    await ctx.edits.flush()
    const cue = needCue()
    if (!cue) return
    const area = ctx.list.textArea(cue.id)
    const text = textOf(cue)
    let pos = null
    if (area && document.activeElement === area && area.selectionStart > 0 && area.selectionStart < area.value.length) {
      pos = area.selectionStart
    }
    const span = cue.end_ms - cue.start_ms
    const t = ctx.player.timeMs
    const gap = gapMs()
    let at
    if (t > cue.start_ms + gap && t < cue.end_ms - gap) at = ctx.grid.snap(t)
    else at = ctx.grid.snap(cue.start_ms + span * (pos !== null ? pos / text.length : 0.5))
    if (pos === null) pos = breakNear(text, Math.round(text.length * (at - cue.start_ms) / span))
    const first = text.slice(0, pos).trim()
    const second = text.slice(pos).trim()
    if (!first || !second || at + gap >= cue.end_ms || at <= cue.start_ms) {
      message('nothing to split here: put the text cursor inside the text, or the playhead inside the cue', 'note')
      return
    }
    await ctx.edits.commit('split', [
      update(cue, { end_ms: at, text: first }),
      { op: 'insert', start_ms: at + gap, end_ms: cue.end_ms, text: second }
    ])
  }

  async function merge () {
    await ctx.edits.flush()
    const i = index()
    const cue = cues()[i]
    const next = cues()[i + 1]
    if (!cue || !next) { message('no next cue to merge with', 'note'); return }
    const lines = cue.text.split('\n').length + next.text.split('\n').length
    const joiner = lines <= (ctx.profile().max_lines || 2) ? '\n' : ' '
    await ctx.edits.commit('merge', [
      update(cue, { end_ms: next.end_ms, text: `${cue.text}${joiner}${next.text}` }),
      deleteOf(next)
    ])
  }

  async function insertAfter () {
    await ctx.edits.flush()
    const list = cues()
    const t = ctx.player.timeMs
    let i = index()
    if (i < 0) i = cueAt(list, t)
    const cue = list[i]
    // After the selected cue (or the one under the playhead), else at the playhead before the next cue.
    const next = cue ? list[i + 1] : list.find((c) => c.start_ms > t)
    const gap = gapMs()
    const start = cue ? cue.end_ms + gap : ctx.grid.snap(t)
    const limit = next ? next.start_ms - gap : ctx.info.duration_ms
    const end = Math.min(start + NEW_CUE_MS, limit)
    if (end - start < 2 * ctx.grid.frameMs) { message('no room for a new cue here', 'note'); return }
    // The server refuses an empty text; the placeholder is selected in the new row, so typing replaces it.
    await ctx.edits.commit('insert', [{ op: 'insert', start_ms: start, end_ms: end, text: PLACEHOLDER }])
  }

  async function deleteCue () {
    await ctx.edits.flush()
    const i = index()
    const cue = cues()[i]
    if (!cue) { message('select a cue first', 'note'); return }
    const neighbour = cues()[i + 1] || cues()[i - 1]
    const resp = await ctx.edits.commit('delete', [deleteOf(cue)])
    if (resp && neighbour) ctx.selectCue(neighbour.id, { seek: false })
  }

  async function reflow () {
    const cue = needCue()
    if (!cue) return
    try {
      const { text } = await ctx.api.reflow(textOf(cue))
      await ctx.edits.flush()
      const fresh = ctx.edits.cue(cue.id)
      if (fresh && text !== fresh.text) await ctx.edits.commit('text', [update(fresh, { text })])
    } catch (e) { message(errorText(e)) }
  }

  function undoRedo (which) {
    return (e) => {
      const t = e && e.target
      // A field with unsaved typing keeps the browser's own undo.
      if (t && (t.tagName === 'TEXTAREA' || t.tagName === 'INPUT') && t.dataset.saved !== undefined && t.value !== t.dataset.saved) return false
      ctx.edits[which]()
    }
  }

  function finding (step) {
    const fs = ctx.sortedFindings()
    if (!fs.length) { message('no findings', 'note'); return }
    let i = state.findingIdx
    if (i < 0 || i >= fs.length) {
      // Not on a finding yet: the first one at or after the selected cue (or the playhead), or the last before it.
      const from = current()?.start_ms ?? ctx.player.timeMs
      i = step > 0 ? fs.findIndex((f) => f.start_ms >= from) : fs.findLastIndex((f) => f.start_ms <= from)
      if (i < 0) i = step > 0 ? 0 : fs.length - 1
      ctx.pickFinding(i)
      return
    }
    ctx.pickFinding((i + step + fs.length) % fs.length)
  }

  async function history () {
    const cue = needCue()
    if (!cue) return
    try {
      const { history: rows } = await ctx.api.history(cue.id)
      showHistory(index() + 1, rows, !state.canEdit ? null : async (old) => {
        await ctx.edits.flush()
        const now = ctx.edits.cue(cue.id)
        if (!now) { message('the cue no longer exists'); return }
        const op = old ? update(now, { start_ms: old.start_ms, end_ms: old.end_ms, text: old.text }) : deleteOf(now)
        if (await ctx.edits.commit('restore', [op])) history()
      })
    } catch (e) { message(errorText(e)) }
  }

  const seek = (d) => () => ctx.player.seekMs(ctx.player.timeMs + d)
  // Changes of a read-only track (a language not the person's) only say so.
  const change = (fn) => (e) => { if (!state.canEdit) { message(READ_ONLY, 'note'); return } return fn(e) }
  return {
    playPause: () => { ctx.player.togglePlay() },
    seekBack1: seek(-SEEK_MS),
    seekFwd1: seek(SEEK_MS),
    seekBack05: seek(-SMALL_SEEK_MS),
    seekFwd05: seek(SMALL_SEEK_MS),
    prevCue: () => moveCue(-1),
    nextCue: () => moveCue(1),
    setStart: change(() => { setTime('start') }),
    setEnd: change(() => { setTime('end') }),
    saveText: change(() => { ctx.edits.flush() }),
    merge: change(() => { merge() }),
    split: change(() => { split() }),
    reflow: change(() => { reflow() }),
    insertAfter: change(() => { insertAfter() }),
    deleteCue: change(() => { deleteCue() }),
    undo: change(undoRedo('undo')),
    redo: change(undoRedo('redo')),
    nextFinding: () => finding(1),
    prevFinding: () => finding(-1),
    help: () => toggleHelp(),
    escape: () => { toggleHelp(false) },
    showHistory: () => { history() }
  }
}

/** Where to cut `text` near character `approx`: a line break if there is one, else the nearest space. */
export function breakNear (text, approx) {
  const nl = text.indexOf('\n')
  if (nl > 0) return nl
  let best = -1
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ' ' && (best < 0 || Math.abs(i - approx) < Math.abs(best - approx))) best = i
  }
  return best > 0 ? best : Math.max(1, Math.min(text.length - 1, approx))
}
