// Runs as soon as the editor's HTML is parsed, before its other modules have loaded: the source video (the
// slowest part of the first paint) starts loading at once, at the contract's address /media/{video}/source.
const video = document.getElementById('video')
const name = decodeURIComponent(location.pathname.split('/')[2] || '')
if (video && name && !video.getAttribute('src')) video.src = `/media/${encodeURIComponent(name)}/source`
