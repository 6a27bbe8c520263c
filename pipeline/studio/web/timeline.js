// The timeline: wavesurfer.js drawing the server's pre-computed peaks (the audio is never decoded here), the cues of
// the chosen language as draggable regions, shot changes as lines, speech as a band, zoom, and the playhead.
import WaveSurfer from './vendor/wavesurfer.js-8.0.1/wavesurfer.esm.js'
import RegionsPlugin from './vendor/wavesurfer.js-8.0.1/plugins/regions.esm.js'
import TimelinePlugin from './vendor/wavesurfer.js-8.0.1/plugins/timeline.esm.js'
import { snapTime } from './format.js'

const COLORS = {
  cue: 'rgba(64, 132, 214, 0.22)',
  selected: 'rgba(240, 170, 40, 0.38)',
  error: 'rgba(214, 60, 60, 0.28)',
  warning: 'rgba(230, 150, 30, 0.26)'
}
const MIN_PX_PER_SEC = 10
const MAX_PX_PER_SEC = 2000

export class Timeline {
  /**
   * @param {object} o
   * @param {HTMLElement} o.container @param {HTMLVideoElement} o.media @param {number[]} o.peaks one per 10 ms
   * @param {number} o.durationMs @param {number[]} o.shots @param {number[][]} o.speech @param {object} o.grid
   * @param {(id: string) => void} o.onSelect @param {(id: string, start: number, end: number) => void} o.onTimes
   * @param {(id: string, start: number, end: number) => void} o.onDrag
   * @param {boolean} [o.editable] false: regions cannot be dragged or resized (a language not the person's)
   */
  constructor (o) {
    this.o = o
    this.regions = RegionsPlugin.create()
    this.byId = new Map()
    this.severity = new Map()
    this.selected = null
    this.ws = WaveSurfer.create({
      container: o.container,
      media: o.media,
      peaks: [Float32Array.from(o.peaks)],
      duration: o.durationMs / 1000,
      height: 96,
      waveColor: '#7c8797',
      progressColor: '#4d5866',
      cursorColor: '#e0322b',
      cursorWidth: 2,
      normalize: true,
      interact: true,
      autoScroll: true,
      autoCenter: true,
      minPxPerSec: 0,
      // The time ruler picks its notch interval from the zoom: a fixed 1 s notch is 263 notches on a 4 min video,
      // each measured with a forced layout (~200 ms before the first paint).
      plugins: [this.regions, TimelinePlugin.create({ height: 16 })]
    })
    adoptShadowStyles(o.container)
    this.ready = new Promise((resolve) => this.ws.once('ready', () => resolve()))
    this.ready.then(() => { this.drawMarks(); adoptShadowStyles(o.container) })
    this.regions.on('region-clicked', (region, e) => { e.stopPropagation(); o.onSelect(region.id) })
    this.regions.on('region-update', (region) => o.onDrag(region.id, ms(region.start), ms(region.end)))
    this.regions.on('region-updated', (region) => this.dropped(region))
    o.container.addEventListener('wheel', (e) => {
      if (!e.ctrlKey && !e.altKey) return
      e.preventDefault()
      this.zoomBy(e.deltaY < 0 ? 1.25 : 0.8)
    }, { passive: false })
  }

  /** Snap a dragged region (shot change within 150 ms, else frame grid), then report its new times. */
  dropped (region) {
    const { grid, shots } = this.o
    let start = snapTime(ms(region.start), grid, shots)
    let end = snapTime(ms(region.end), grid, shots)
    if (end <= start) end = start + grid.snap(grid.frameMs)
    start = Math.max(0, start)
    end = Math.min(this.o.durationMs, end)
    region.setOptions({ start: start / 1000, end: end / 1000 })
    this.o.onTimes(region.id, start, end)
  }

  /**
   * Make the regions match `cues` (numbers as content); severities colour them. `drag` ({id, start_ms, end_ms}),
   * a region being dragged or saved, keeps the times it has on screen.
   */
  setCues (cues, severities = new Map(), drag = null) {
    this.severity = severities
    const editable = this.o.editable !== false
    const seen = new Set()
    cues.forEach((cue, i) => {
      seen.add(cue.id)
      const held = drag && drag.id === cue.id ? drag : cue
      const start = held.start_ms / 1000
      const end = held.end_ms / 1000
      const color = this.colorOf(cue.id)
      const old = this.byId.get(cue.id)
      if (old) {
        if (old.start !== start || old.end !== end) old.setOptions({ start, end })
        if (old.content?.textContent !== String(i + 1)) old.setContent(String(i + 1))
        if (old.color !== color) old.setOptions({ color })
        return
      }
      const region = this.regions.addRegion({
        id: cue.id, start, end, color, content: String(i + 1), drag: editable, resize: editable, minLength: 0.04
      })
      region.element?.setAttribute('data-cue-id', cue.id)
      this.byId.set(cue.id, region)
    })
    for (const [id, region] of this.byId) {
      if (!seen.has(id)) { region.remove(); this.byId.delete(id) }
    }
  }

  colorOf (id) {
    if (id === this.selected) return COLORS.selected
    return COLORS[this.severity.get(id)] || COLORS.cue
  }

  select (id) {
    const before = this.selected
    this.selected = id
    for (const key of [before, id]) {
      const r = key && this.byId.get(key)
      if (r) r.setOptions({ color: this.colorOf(key) })
    }
    const r = id && this.byId.get(id)
    if (r) r.element?.setAttribute('data-selected', 'true')
    const old = before && before !== id && this.byId.get(before)
    if (old) old.element?.removeAttribute('data-selected')
  }

  /** Shot changes as thin lines and speech as a light band, in % of the wrapper so they follow the zoom. */
  drawMarks () {
    const wrapper = this.ws.getWrapper()
    wrapper.querySelector('.studio-marks')?.remove()
    const layer = document.createElement('div')
    layer.className = 'studio-marks'
    Object.assign(layer.style, { position: 'absolute', inset: '0', pointerEvents: 'none', zIndex: '1' })
    const total = this.o.durationMs
    for (const [a, b] of this.o.speech) {
      const band = document.createElement('div')
      band.setAttribute('data-speech', '')
      Object.assign(band.style, {
        position: 'absolute', bottom: '0', height: '6px', background: 'rgba(80, 180, 110, 0.55)',
        left: `${(100 * a) / total}%`, width: `${(100 * (b - a)) / total}%`
      })
      layer.append(band)
    }
    for (const s of this.o.shots) {
      const line = document.createElement('div')
      line.setAttribute('data-shot', String(s))
      Object.assign(line.style, {
        position: 'absolute', top: '0', bottom: '0', width: '0', borderLeft: '2px solid rgba(230, 200, 30, 0.9)',
        left: `${(100 * s) / total}%`
      })
      layer.append(line)
    }
    wrapper.append(layer)
  }

  get pxPerSec () {
    const width = this.ws.getWrapper().clientWidth || this.o.container.clientWidth
    return width / (this.o.durationMs / 1000)
  }

  zoomBy (factor) {
    const fit = this.o.container.clientWidth / (this.o.durationMs / 1000)
    const next = Math.min(MAX_PX_PER_SEC, Math.max(Math.min(fit, MIN_PX_PER_SEC), this.pxPerSec * factor))
    this.ws.zoom(next <= fit * 1.001 ? 0 : next)
    this.ws.setScrollTime?.(Math.max(0, this.o.media.currentTime - 2))
  }

  /** Scroll so that a cue is in view. */
  reveal (cue) {
    const r = this.ws.getWrapper().parentElement
    if (!r) return
    const x = (cue.start_ms / this.o.durationMs) * this.ws.getWrapper().clientWidth
    if (x < r.scrollLeft || x > r.scrollLeft + r.clientWidth - 40) r.scrollLeft = Math.max(0, x - r.clientWidth / 3)
  }

  destroy () { this.ws.destroy() }
}

const ms = (seconds) => Math.round(seconds * 1000)

/**
 * wavesurfer writes its layout rules as a <style> element in its shadow root; the CSP (style-src 'self') refuses
 * it. A constructed stylesheet with the same text is CSSOM, which the CSP does not govern.
 */
function adoptShadowStyles (container) {
  for (const host of container.querySelectorAll('*')) {
    const root = host.shadowRoot
    if (!root) continue
    for (const style of root.querySelectorAll('style')) {
      if (style.dataset.adopted) continue
      const sheet = new CSSStyleSheet()
      sheet.replaceSync(style.textContent || '')
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet]
      style.dataset.adopted = 'true'
    }
  }
}
