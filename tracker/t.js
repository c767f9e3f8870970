/*! t.js: the collector's page tracker. No cookies, no storage.
 * <script async src="https://collector.example/t.js" data-tenant="your-slug"></script>
 * A page view on load and on every history navigation; custom events with
 * analytics.track(name, props). Calls made before the script loads wait in
 * window.analytics.q as [method, arguments]. A hit goes out at once; hits
 * of the second after it wait and go together to /collect/batch, as do
 * those waiting when the page is hidden. */
(function (w, d) {
  'use strict';
  var s = d.currentScript || d.querySelector('script[data-tenant]');
  if (!s || w.analytics && w.analytics.pageview) return;
  var tenant = s.getAttribute('data-tenant');
  var endpoint = s.getAttribute('data-endpoint') || new URL('/collect', s.src).href;
  var batchEndpoint = s.getAttribute('data-batch-endpoint') || endpoint + '/batch';
  var trackerId = s.getAttribute('data-tracker-id');
  var referrer = d.referrer;
  var last, timer, waiting = [];

  function post(url, body) {
    // a string is sent as text/plain: no preflight, and it outlives the page
    if (!(navigator.sendBeacon && navigator.sendBeacon(url, body)) && w.fetch) {
      fetch(url, { method: 'POST', body: body, keepalive: true, mode: 'no-cors', credentials: 'omit' });
    }
  }

  // sent_at lets the collector correct each hit's timestamp for this clock
  function flush() {
    clearTimeout(timer);
    timer = null;
    if (waiting.length === 1) post(endpoint, JSON.stringify(waiting[0]));
    else if (waiting.length) post(batchEndpoint, JSON.stringify({ sent_at: new Date().toISOString(), batch: waiting }));
    waiting = [];
  }

  function send(name, props) {
    var hit = { tenant: tenant, url: location.href, timestamp: new Date().toISOString() };
    if (referrer) hit.referrer = referrer;
    if (name) hit.name = name;
    if (props) hit.props = props;
    if (trackerId) hit.trackerId = trackerId;
    if (timer) {
      if (waiting.push(hit) >= 50) flush();
      return;
    }
    post(endpoint, JSON.stringify(hit));
    timer = setTimeout(flush, 1000);
  }

  function pageview() {
    if (location.href === last) return;
    // in a single-page app the page before is the referrer
    if (last) referrer = last;
    last = location.href;
    send();
  }

  var queued = w.analytics && w.analytics.q || [];
  var api = w.analytics = {
    track: function (name, props) { send(String(name), props); },
    identify: function (id) { trackerId = id == null ? null : String(id); },
    pageview: pageview
  };
  var push = history.pushState;
  history.pushState = function () { push.apply(this, arguments); pageview(); };
  w.addEventListener('popstate', pageview);
  w.addEventListener('pagehide', flush);
  d.addEventListener('visibilitychange', function () { if (d.visibilityState === 'hidden') flush(); });
  pageview();
  for (var i = 0; i < queued.length; i++) {
    if (api[queued[i][0]]) api[queued[i][0]].apply(null, queued[i][1]);
  }
})(window, document);
