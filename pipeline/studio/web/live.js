// What the server says besides answers to this page's saves: the track's approval and render state, the burned
// cut, and the event stream (edits from other pages or people, renders, approvals, job reloads and exports).
import { listen } from './api.js'
import { debounce } from './format.js'
import * as P from './panels.js'

const $ = (id) => document.getElementById(id)
const enc = encodeURIComponent
const sameCues = (a, b) => a.length === b.length && a.every((c, i) => c.id === b[i].id && c.version === b[i].version)

/**
 * @param {object} ctx the editor: V, L, state, api, player, edits, list, renderAll(), refreshAss(), loadOther(lang)
 */
export function makeLive (ctx) {
  const { state, api, V, L } = ctx
  const shownStale = new Set()
  let approvals = 0 // approvals seen (events, this page's own): an answer asked for before one keeps the newer approval

  /** The server's track, marked when an approval came while it was on its way (its own approval is older). */
  async function getTrack () {
    const seen = approvals
    const track = await api.get()
    track.approvalIsOlder = seen !== approvals
    return track
  }

  /** Track JSON fields other than the cues: approval, render state, the burned cut, stale edits. */
  function applyMeta (track) {
    state.track = track
    if (!track.approvalIsOlder) {
      state.approved = track.approved
      P.showApproval(track.approved, state.cues.some((c) => c.edited))
    }
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

  /**
   * The server's track becomes the page's: its cues (undo steps on cues someone else changed go, see undo.js; all of
   * them and every draft with `reset`), findings and digest. Drafts being typed stay otherwise.
   */
  function takeTrack (track, reset = false) {
    applyMeta(track)
    if (!reset && sameCues(state.cues, track.cues)) { state.digest = track.digest ?? null; return }
    const ids = new Set(track.cues.map((c) => c.id))
    const lost = [...state.drafts].filter(([id]) => reset || !ids.has(id))
    if (lost.length) {
      const why = reset ? 'the track was reloaded' : 'its cue was deleted elsewhere'
      P.message(`not saved (${why}), type it again:\n${lost.map(([id, text]) => `cue ${id}: “${text}”`).join('\n')}`)
      for (const [id] of lost) ctx.edits.dropDraft(id)
    }
    if (reset) { ctx.list.clear(); state.drag = null }
    ctx.edits.takeServer(track.cues, reset)
    state.findings = state.savedFindings = track.findings
    state.digest = track.digest ?? null
    ctx.renderAll()
    ctx.refreshAss()
  }

  /**
   * The server's track after this page's saves are answered (someone else's edit, a reload); `inQueue` when called
   * by a save itself (a 409 answered 'theirs'), which no other save can overtake.
   */
  async function reloadTrack (reset = false, inQueue = false) {
    if (!inQueue) await ctx.edits.settled()
    for (;;) {
      const generation = ctx.edits.generation
      const track = await getTrack()
      if (generation === ctx.edits.generation && (inQueue || !ctx.edits.pending)) { takeTrack(track, reset); return }
      await ctx.edits.settled() // a save of this page went out meanwhile: this answer may predate it
    }
  }

  /** After a save of this page: the render and approval state (and the cues, if someone else's edit came too). */
  const refreshMeta = debounce(async () => {
    try {
      const generation = ctx.edits.generation
      const track = await getTrack()
      if (generation !== ctx.edits.generation || ctx.edits.pending) return // the next save refreshes again
      if (sameCues(state.cues, track.cues)) takeTrack(track)
      else syncTrack()
    } catch (e) { P.message(P.errorText(e)) }
  }, 300)

  /** An edit event for this track (maybe the echo of this page's save): compare versions with the server's. */
  const syncTrack = debounce(() => reloadTrack().catch((e) => P.message(P.errorText(e))), 250)

  /** Undo steps that went because someone else changed their cues. */
  function dropped (ids, steps) {
    if (!steps) return
    const numbers = ids.map((id) => {
      const i = state.cues.findIndex((c) => c.id === id)
      return i >= 0 ? `#${i + 1}` : `${id} (deleted)`
    })
    P.message(`changed elsewhere: cue ${numbers.join(', ')}; ${steps} undo/redo step${steps === 1 ? '' : 's'} on it dropped`, 'note')
  }

  /** Approve what the page shows: the server refuses (409) when the track's digest is no longer the page's. */
  async function approve () {
    try {
      await ctx.edits.flush()
      const { approved } = await api.approve(state.digest)
      approvals++
      state.approved = approved
      P.showApproval(approved, true)
      P.message('approved', 'note')
    } catch (e) {
      if (e.status !== 409) { P.message(`not approved: ${P.errorText(e)}`); return }
      try { await reloadTrack() } catch (err) { P.message(P.errorText(err)); return }
      P.message('not approved: the track changed since this page loaded it (an edit elsewhere, a reload or an ' +
        'export). It is reloaded now: review it again, then approve.')
    }
  }

  /** The job was reloaded (an export, or its files changed on disk): ids and versions may all have changed. */
  async function jobReloaded (d) {
    if (d.ok === false) { P.message(`the job could not be reloaded: ${d.message}`); return }
    try {
      await reloadTrack(true)
      const stale = (d.stale || []).length ? `\n${d.stale.join('\n')}` : ''
      P.message(`${d.message || 'the job was reloaded'}: the track is reloaded, undo history cleared${stale}`, 'note', { stay: true })
    } catch (e) { P.message(P.errorText(e)) }
  }

  function start () {
    let seen = null
    let opened = false
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
        approvals++
        state.approved = d.approved
        P.showApproval(d.approved, true)
      },
      reload: jobReloaded
    }, (s) => {
      $('live').dataset.state = s
      $('live').textContent = s === 'open' ? 'live' : s
      if (s === 'open' && opened && seen !== 'open') syncTrack() // events may have been missed meanwhile
      if (s === 'open') opened = true
      seen = s
    })
    // A page in the background may have been frozen by the browser: ask again when it is seen.
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') syncTrack() })
  }

  return { applyMeta, refreshMeta, reloadTrack, approve, dropped, start }
}
