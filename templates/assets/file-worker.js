/* mkbench (first-party): lets Material's search run when the site is opened from the file system.
   Browsers refuse `new Worker(url)` on file:// pages, so there this replaces Worker with a same-origin hidden
   <iframe> (about:blank) that loads the worker script as a classic <script>: the script's global postMessage is
   routed back to this object's "message" listeners, and postMessage() here dispatches a "message" event inside
   the frame, which is all Material's search worker uses. Over http(s) the browser's Worker is left alone. */
(function () {
  "use strict";
  if (location.protocol !== "file:" || typeof window.EventTarget !== "function") return;

  class FrameWorker extends EventTarget {
    constructor(url) {
      super();
      this.onmessage = null;
      this.onerror = null;
      this._queue = [];
      this._ready = false;
      var frame = document.createElement("iframe");
      frame.hidden = true;
      frame.setAttribute("aria-hidden", "true");
      frame.tabIndex = -1;
      (document.body || document.documentElement).appendChild(frame);
      this._frame = frame;
      var self = this, win = frame.contentWindow, doc = win.document;
      win.postMessage = function (data) { self._emit("message", { data: data }); };
      var script = doc.createElement("script");
      script.src = new URL(url, location.href).href;
      script.onload = function () {
        self._ready = true;
        self._queue.splice(0).forEach(function (data) { self._deliver(data); });
      };
      script.onerror = function () { self._emit("error", { message: "cannot load " + script.src }); };
      (doc.head || doc.documentElement).appendChild(script);
    }

    _emit(type, init) {
      var self = this;
      setTimeout(function () {
        var ev = type === "message" ? new MessageEvent("message", init) : new ErrorEvent("error", init);
        var handler = type === "message" ? self.onmessage : self.onerror;
        if (typeof handler === "function") handler.call(self, ev);
        self.dispatchEvent(ev);
      }, 0);
    }

    _deliver(data) {
      var win = this._frame.contentWindow;
      if (win) win.dispatchEvent(new win.MessageEvent("message", { data: data }));
    }

    postMessage(data) {
      if (this._ready) this._deliver(data); else this._queue.push(data);
    }

    terminate() {
      this._frame.remove();
    }
  }

  window.Worker = FrameWorker;
})();
