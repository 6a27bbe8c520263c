// What the server says besides answers to this page's saves: the track's approval and render state, the burned
// cut, and the event stream (edits from other pages or people, renders, approvals, job reloads).
import { listen } from './api.js'
import { debounce } from './format.js'
import * as P from './panels.js'

const $ = (id) => document.getElementById(id)
const enc = encodeURIComponent

/**
 * @param {object} ctx the editor: V, L, state, api, player, edits, renderAll(), refreshAss(), loadOther(lang)
 */
export function makeLive (ctx) {
  const { state, api, V, L } = ctx
  const shownStale = new Set()

  /** Track JSON fields other than the cues: approval, render state, the burned cut, stale edits. */
  function applyMeta (track) {
    state.track = track
    state.approved = track.approved
    P.showApproval(track.approved, state.cues.some((c) => c.edited))
    if (track.render) setRender(track.render)
    if (track.cut_url) {
      const seq = track.render?.seq ?? 0
      setCut(track.cut_url.includes('?') ? track.cut_url : `${track.cut_url}?v=${seq}`, seq)
    }
    for (const s of track.stale || []) {
      const key = `${s.id}\n${s.message}`
      if (!shownStale.has(key)) { shownStale.add(key); P.message(`cue ${s.id}: ${s.message}`, 'note') }
    }
  }

  function setRender (render) {
    if (state.render && render.seq < state.render.seq) return // an answer older than an event already shown
    state.render = render
    P.showRender(render)
  }

  /** The burned cut of render `seq` (an older seq than the one shown never replaces it). */
  function setCut (url, seq) {
    if (url === state.cutUrl || seq < state.cutSeq) return
    state.cutUrl = url
    state.cutSeq = seq
    ctx.player.setCutUrl(url)
    $('burned').disabled = false
  }

  const refreshMeta = debounce(async () => {
    try { applyMeta(await api.get()) } catch (e) { P.message(P.errorText(e)) }
  }, 300)

  /** Take the server's cues and findings (someone else's edit, a job reload); drafts being typed stay. */
  async function reloadTrack () {
    const track = await api.get()
    state.cues = track.cues
    state.findings = track.findings
    applyMeta(track)
    ctx.renderAll()
    ctx.refreshAss()
  }

  /**
   * An edit event for this track: compare versions with the server's (after this page's own saves are answered),
   * since the event may be the echo of a save made here, or of one made in another tab by the same person.
   */
  const syncTrack = debounce(async () => {
    try {
      await ctx.edits.queue
      const track = await api.get()
      const mine = new Map(state.cues.map((c) => [c.id, c.version]))
      const same = track.cues.length === state.cues.length && track.cues.every((c) => mine.get(c.id) === c.version)
      applyMeta(track)
      if (same || ctx.edits.busy) return
      state.cues = track.cues
      state.findings = track.findings
      ctx.renderAll()
      ctx.refreshAss()
    } catch (e) { P.message(P.errorText(e)) }
  }, 250)

  async function approve () {
    try {
      await ctx.edits.flush()
      const { approved } = await api.approve()
      state.approved = approved
      P.showApproval(approved, true)
      P.message('approved', 'note')
    } catch (e) { P.message(P.errorText(e)) }
  }

  function start () {
    listen({
      edit: (d) => {
        if (d.video !== V) return
        if (d.lang === L) syncTrack()
        else if (d.lang === state.withLang) ctx.loadOther(state.withLang).catch(() => {})
      },
      render: (d) => {
        if (d.video !== V || (d.lang !== L && d.lang !== null)) return
        setRender(d)
        if (d.state === 'done') setCut(`/media/${enc(V)}/cut/${enc(L)}?v=${d.seq}`, d.seq)
        if (d.state === 'failed') P.message(`burn failed: ${d.message}`)
      },
      approval: (d) => {
        if (d.video !== V || d.lang !== L) return
        state.approved = d.approved
        P.showApproval(d.approved, true)
      },
      reload: (d) => { P.message(d.message || 'the job changed on disk; reloaded', 'note'); reloadTrack().catch(() => {}) }
    }, (s) => { $('live').dataset.state = s; $('live').textContent = s === 'open' ? 'live' : s })
  }

  return { applyMeta, refreshMeta, reloadTrack, approve, start }
}
