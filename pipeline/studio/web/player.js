// The player: the source video with the track drawn live over it by JASSUB (libass in a worker, the same renderer
// family as the burn), or the burned cut without overlay. Switching keeps the current time. JASSUB is imported when
// the subtitles start (after the first paint), so its modules are not on the page's critical path.
const VENDOR = new URL('./vendor/jassub-2.5.16/', import.meta.url)

export class Player {
  /**
   * @param {HTMLVideoElement} video @param {{sourceUrl: string, fonts: {name: string, url: string}[]}} o
   */
  constructor (video, o) {
    this.video = video
    this.sourceUrl = o.sourceUrl
    this.fonts = o.fonts || []
    this.cutUrl = null
    this.burned = false
    this.jassub = null
    this.subsError = null
    this.assPending = null
    this.savedAss = null
    if (video.src !== new URL(this.sourceUrl, location.href).href) video.src = this.sourceUrl // early.js may have
  }

  /** Start JASSUB with the track's ASS text; resolves when the renderer is ready (or rejects). */
  async startSubtitles (assText) {
    try {
      const first = this.fonts[0]?.name
      this.savedAss = assText
      const { default: JASSUB } = await import('./vendor/jassub-2.5.16/jassub.js')
      this.jassub = new JASSUB({
        video: this.video,
        subContent: assText,
        fonts: this.fonts.map((f) => new URL(f.url, location.href).href),
        defaultFont: first ? first.toLowerCase() : undefined,
        availableFonts: { 'liberation sans': new URL('default.woff2', VENDOR).href },
        queryFonts: false,
        workerUrl: new URL('worker/worker.js', VENDOR).href,
        wasmUrl: new URL('wasm/jassub-worker.wasm', VENDOR).href,
        modernWasmUrl: new URL('wasm/jassub-worker-modern.wasm', VENDOR).href
      })
      await this.jassub.ready
      this.jassub._canvas?.setAttribute('data-testid', 'subtitle-canvas')
      this.showOverlay(!this.burned)
      await this.repaint()
      if (this.assPending) { const p = this.assPending; this.assPending = null; await this.setAss(p.text, p.preview) }
    } catch (e) {
      this.subsError = e
      throw e
    }
  }

  /** Replace the whole ASS document and repaint: the server's after a save, or a local preview (not kept). */
  async setAss (assText, preview = false) {
    if (!preview) this.savedAss = assText
    if (!this.jassub?.renderer) { this.assPending = { text: assText, preview }; return }
    await this.jassub.renderer.setTrack(assText)
    await this.repaint()
  }

  /** Draw the current frame's subtitles now: a paused video gives JASSUB no new frame to draw on by itself. */
  async repaint () {
    const v = this.video
    if (!this.jassub || v.readyState < 2 || !v.videoWidth) return
    await this.jassub.manualRender({ mediaTime: v.currentTime, width: v.videoWidth, height: v.videoHeight }, true)
  }

  /** The source video's address (the server named another than the page assumed). */
  setSource (url) {
    this.sourceUrl = url
    if (!this.burned) { this.video.src = url; this.video.load() }
  }

  showOverlay (on) {
    const canvas = this.jassub?._canvas
    if (canvas) canvas.style.visibility = on ? 'visible' : 'hidden'
  }

  get time () { return this.video.currentTime }
  get timeMs () { return Math.round(this.video.currentTime * 1000) }

  seekMs (ms) {
    const d = this.video.duration
    const t = Math.max(0, ms / 1000)
    this.video.currentTime = Number.isFinite(d) ? Math.min(t, d) : t
  }

  togglePlay () {
    if (this.video.paused) return this.video.play().catch(() => {})
    this.video.pause()
  }

  /** The burned cut's URL changed (a render finished): reload it if it is showing. */
  setCutUrl (url) {
    this.cutUrl = url
    if (this.burned && url) this.swap(url)
  }

  /** Show the burned cut (no overlay) or the source with JASSUB; the time and paused state carry over. */
  setBurned (on) {
    if (on && !this.cutUrl) return false
    this.burned = on
    this.swap(on ? this.cutUrl : this.sourceUrl)
    this.showOverlay(!on)
    return true
  }

  swap (url) {
    const v = this.video
    const t = v.currentTime
    const paused = v.paused
    v.addEventListener('loadedmetadata', () => {
      v.currentTime = t
      if (!paused) v.play().catch(() => {})
    }, { once: true })
    v.src = url
    v.load()
  }
}
