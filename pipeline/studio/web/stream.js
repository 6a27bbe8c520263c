// One /api/events stream for all the studio's pages in this browser. Over HTTP/1.1 Chrome opens at most 6
// connections per host: a stream per tab would leave a 7th tab, and every fetch of every tab, waiting. The page
// holding the Web Lock `subpipe-studio-events` (the leader) keeps the EventSource and passes each event on over a
// BroadcastChannel; when it closes, the next page waiting for the lock opens the stream. A page sees the states
// 'connecting', 'open' and 'reconnecting': after 'open' following another state, events may have been missed (a
// reconnect, a new leader) and the page asks the server again. Without Web Locks or BroadcastChannel (not a secure
// context) each page keeps its own stream.

export const EVENTS = ['edit', 'render', 'approval', 'reload']
const NAME = 'subpipe-studio-events'

/** Open /api/events; `emit(name, data)` per event, `state(s)` on every change of the connection. */
function openStream (emit, state) {
  const es = new EventSource('/api/events')
  for (const name of EVENTS) {
    es.addEventListener(name, (ev) => {
      let data = null
      try { data = JSON.parse(ev.data) } catch { return }
      emit(name, data)
    })
  }
  state('connecting')
  es.addEventListener('open', () => state('open'))
  es.addEventListener('error', () => state(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'))
  return es
}

/**
 * Listen to the studio's events, through the leader page's stream. `handlers` by event name get the parsed JSON
 * data; `onState(state)` hears the connection's state as the leader sees it.
 */
export function listenShared (handlers, onState) {
  const dispatch = (name, data) => { handlers[name]?.(data) }
  let state = null
  const setState = (s) => {
    if (s === state) return
    state = s
    onState?.(s)
  }
  if (!navigator.locks || typeof BroadcastChannel === 'undefined') return openStream(dispatch, setState)
  const channel = new BroadcastChannel(NAME)
  let leader = false
  channel.addEventListener('message', ({ data: m }) => {
    if (m.kind === 'event' && EVENTS.includes(m.name)) dispatch(m.name, m.data)
    else if (m.kind === 'state' && !leader) setState(m.state)
    else if (m.kind === 'hello' && leader) channel.postMessage({ kind: 'state', state })
  })
  channel.postMessage({ kind: 'hello' }) // the leader, if there is one, says how its stream is
  navigator.locks.request(NAME, () => {
    leader = true
    openStream((name, data) => {
      dispatch(name, data)
      channel.postMessage({ kind: 'event', name, data })
    }, (s) => {
      setState(s)
      channel.postMessage({ kind: 'state', state: s })
    })
    return new Promise(() => {}) // held while this page lives
  }).catch(() => openStream(dispatch, setState))
  return channel
}
