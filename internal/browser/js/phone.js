// A browser softphone on JsSIP, driven by Tether's tests over the DevTools
// protocol: window.tether starts a UA over WebSocket, places, answers and
// ends calls, and reports what the remote audio sounds like (its loudest
// frequency, through WebAudio).
import JsSIP from 'jssip';

const state = { registered: false, error: '', incoming: 0, session: null };
let ua = null;
let session = null;
let analyser = null;

function describe(e) {
  let reason = '';
  if (e && e.message && typeof e.message.getHeader === 'function') {
    reason = e.message.getHeader('Reason') || '';
  }
  let code = 0;
  if (e && e.message && e.message.status_code) {
    code = e.message.status_code;
  }
  return { originator: (e && e.originator) || '', cause: (e && e.cause) || '', reason, code };
}

function hear(pc) {
  pc.addEventListener('track', (ev) => {
    const stream = ev.streams[0] || new MediaStream([ev.track]);
    // Chromium feeds WebAudio from a remote stream only while a media
    // element plays it.
    const el = document.createElement('audio');
    el.muted = true;
    el.srcObject = stream;
    document.body.appendChild(el);
    el.play().catch(() => {});
    const ctx = new AudioContext();
    const src = ctx.createMediaStreamSource(stream);
    analyser = ctx.createAnalyser();
    analyser.fftSize = 8192;
    src.connect(analyser);
  });
}

function follow(s) {
  session = s;
  state.session = { status: 'progress', end: null, confirmed: false };
  const st = state.session;
  s.on('peerconnection', (e) => hear(e.peerconnection));
  if (s.connection) {
    hear(s.connection);
  }
  s.on('confirmed', () => { st.status = 'confirmed'; st.confirmed = true; });
  s.on('ended', (e) => { st.status = 'ended'; st.end = describe(e); });
  s.on('failed', (e) => { st.status = 'failed'; st.end = describe(e); });
}

window.tether = {
  state,
  start(wsURL, uri, password) {
    const socket = new JsSIP.WebSocketInterface(wsURL);
    ua = new JsSIP.UA({ sockets: [socket], uri, password, register: true, session_timers: true, register_expires: 300 });
    ua.on('registered', () => { state.registered = true; });
    ua.on('registrationFailed', (e) => { state.error = 'registration failed: ' + (e.cause || ''); });
    ua.on('newRTCSession', (e) => {
      if (e.originator === 'remote') {
        state.incoming++;
        follow(e.session);
      }
    });
    ua.start();
  },
  call(target, sessionTimersExpires) {
    const s = ua.call(target, {
      mediaConstraints: { audio: true, video: false },
      pcConfig: { iceServers: [] },
      sessionTimersExpires: sessionTimersExpires || 90,
    });
    follow(s);
  },
  answer() {
    session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
  },
  hangup() {
    session.terminate();
  },
  // loudest returns the remote audio's loudest frequency (Hz) and its
  // level (dB), or null before any audio came.
  loudest() {
    if (!analyser) {
      return null;
    }
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    let best = 2;
    for (let i = 2; i < bins.length; i++) {
      if (bins[i] > bins[best]) {
        best = i;
      }
    }
    return { hz: best * analyser.context.sampleRate / analyser.fftSize, db: bins[best] };
  },
};
