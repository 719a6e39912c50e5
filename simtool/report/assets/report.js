/* simtool report: zoom and hover for the timelines. Vanilla, no dependency, no request.
   Every element placed in time carries data-a (ms), data-b (end ms) and data-dx (px): a view
   change recomputes x from them. Text from traces is only ever set with textContent. */
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var tooltip = document.getElementById("tooltip");
  var details = {};
  document.querySelectorAll("script.calls").forEach(function (s) {
    details[s.getAttribute("data-run")] = JSON.parse(s.textContent);
  });

  /* the same ticks as simtool.report.svg.nice_ticks */
  function niceTicks(low, high, most) {
    var span = Math.max(high - low, 1e-9), raw = span / most;
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (m) { return m * power; }).find(function (s) { return s >= raw; });
    var first = Math.ceil(low / step) * step, ticks = [];
    for (var t = first; t <= high + 1e-9 * step; t += step) { ticks.push(Math.round(t * 1e6) / 1e6); }
    return ticks;
  }

  function fmt(v) { return String(Math.round(v * 100) / 100); }

  var timelines = {}, linked = false;

  function Timeline(svg) {
    var self = this;
    this.svg = svg;
    this.span = +svg.getAttribute("data-span");
    this.left = +svg.getAttribute("data-left");
    this.width = +svg.getAttribute("data-width");
    this.view = [0, this.span];
    this.items = Array.prototype.slice.call(svg.querySelectorAll(".tx"));
    this.axis = svg.querySelector("g.axis");
    this.height = +svg.getAttribute("height");
    this.label = document.getElementById(svg.id.replace(/-svg$/, "-window"));
    this.selection = null;
    this.bind();
    return self;
  }

  Timeline.prototype.x = function (t) {
    return this.left + (t - this.view[0]) / (this.view[1] - this.view[0]) * this.width;
  };

  /* svg x of a pointer event (the svg may be scaled by CSS) */
  Timeline.prototype.pointerX = function (event) {
    var box = this.svg.getBoundingClientRect();
    return (event.clientX - box.left) * (+this.svg.viewBox.baseVal.width / box.width);
  };

  Timeline.prototype.timeAt = function (px) {
    return this.view[0] + (px - this.left) / this.width * (this.view[1] - this.view[0]);
  };

  Timeline.prototype.render = function () {
    var self = this;
    this.items.forEach(function (el) {
      var a = self.x(+el.getAttribute("data-a")), dx = +(el.getAttribute("data-dx") || 0);
      var tag = el.tagName.toLowerCase();
      if (tag === "rect") {
        var b = self.x(+el.getAttribute("data-b"));
        el.setAttribute("x", fmt(a));
        el.setAttribute("width", fmt(Math.max(b - a, el.classList.contains("bar") ? 2 : 0.5)));
      } else if (tag === "line") {
        el.setAttribute("x1", fmt(a));
        el.setAttribute("x2", fmt(el.hasAttribute("data-b") ? self.x(+el.getAttribute("data-b")) : a));
      } else if (tag === "text") {
        el.setAttribute("x", fmt(a + dx));
      } else {
        el.setAttribute("transform", "translate(" + fmt(a) + ",0)");
      }
    });
    while (this.axis.firstChild) { this.axis.removeChild(this.axis.firstChild); }
    niceTicks(this.view[0], this.view[1], 10).forEach(function (t) {
      var line = document.createElementNS(SVGNS, "line"), text = document.createElementNS(SVGNS, "text"), x = fmt(self.x(t));
      line.setAttribute("class", "grid"); line.setAttribute("x1", x); line.setAttribute("x2", x);
      line.setAttribute("y1", "20"); line.setAttribute("y2", String(self.height - 10));
      text.setAttribute("class", "tick"); text.setAttribute("x", x); text.setAttribute("y", "16");
      text.setAttribute("text-anchor", "middle"); text.textContent = fmt(t);
      self.axis.appendChild(line); self.axis.appendChild(text);
    });
    if (this.label) { this.label.textContent = fmt(this.view[0]) + "–" + fmt(this.view[1]) + " ms"; }
  };

  Timeline.prototype.show = function (low, high, alone) {
    var least = Math.max(this.span / 2000, 0.5);
    if (high - low < least) { var mid = (low + high) / 2; low = mid - least / 2; high = mid + least / 2; }
    var width = Math.min(high - low, this.span);
    low = Math.min(Math.max(low, 0), this.span - width);
    this.view = [low, low + width];
    this.render();
    if (linked && !alone) {  /* the same time window in every timeline of the page */
      var self = this;
      Object.keys(timelines).forEach(function (id) {
        if (timelines[id] !== self) { timelines[id].show(self.view[0], self.view[1], true); }
      });
    }
  };

  Timeline.prototype.zoom = function (factor, at) {
    var low = this.view[0], high = this.view[1];
    if (at === undefined) { at = (low + high) / 2; }
    this.show(at - (at - low) / factor, at + (high - at) / factor);
  };

  Timeline.prototype.bind = function () {
    var self = this, svg = this.svg, start = null;
    svg.addEventListener("mousedown", function (event) {
      var px = self.pointerX(event);
      if (px < self.left || event.button !== 0) { return; }
      start = px;
      self.selection = document.createElementNS(SVGNS, "rect");
      self.selection.setAttribute("class", "selection");
      self.selection.setAttribute("y", "0"); self.selection.setAttribute("height", String(self.height));
      self.selection.setAttribute("x", fmt(px)); self.selection.setAttribute("width", "0");
      svg.appendChild(self.selection);
      event.preventDefault();
    });
    svg.addEventListener("mousemove", function (event) {
      if (start === null) { return; }
      var px = Math.max(self.left, Math.min(self.pointerX(event), self.left + self.width));
      self.selection.setAttribute("x", fmt(Math.min(start, px)));
      self.selection.setAttribute("width", fmt(Math.abs(px - start)));
    });
    function finish(event) {
      if (start === null) { return; }
      var px = Math.max(self.left, Math.min(self.pointerX(event), self.left + self.width));
      if (Math.abs(px - start) > 4) { self.show(self.timeAt(Math.min(start, px)), self.timeAt(Math.max(start, px))); }
      svg.removeChild(self.selection);
      self.selection = null; start = null;
    }
    svg.addEventListener("mouseup", finish);
    svg.addEventListener("mouseleave", function (event) { if (start !== null) { finish(event); } });
    svg.addEventListener("wheel", function (event) {
      if (!(event.ctrlKey || event.metaKey || event.shiftKey)) { return; }
      event.preventDefault();
      var delta = event.deltaY || event.deltaX;
      if (event.shiftKey) {
        var shift = (self.view[1] - self.view[0]) * (delta > 0 ? 0.15 : -0.15);
        self.show(self.view[0] + shift, self.view[1] + shift);
      } else {
        self.zoom(delta < 0 ? 1.4 : 1 / 1.4, self.timeAt(self.pointerX(event)));
      }
    }, { passive: false });
    svg.addEventListener("dblclick", function () { self.show(0, self.span); });
  };

  document.querySelectorAll("input.link-zoom").forEach(function (box) {
    box.addEventListener("change", function () {
      linked = box.checked;
      document.querySelectorAll("input.link-zoom").forEach(function (other) { other.checked = linked; });
    });
  });
  document.querySelectorAll("svg.timeline").forEach(function (svg) { timelines[svg.id] = new Timeline(svg); });
  document.querySelectorAll(".toolbar").forEach(function (bar) {
    var timeline = timelines[bar.getAttribute("data-for")];
    bar.addEventListener("click", function (event) {
      var what = event.target.getAttribute && event.target.getAttribute("data-zoom");
      if (!timeline || !what) { return; }
      if (what === "in") { timeline.zoom(2); } else if (what === "out") { timeline.zoom(0.5); } else { timeline.show(0, timeline.span); }
    });
  });

  /* hover: a call's life */
  function row(table, name, value) {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) { return; }
    var tr = document.createElement("tr"), th = document.createElement("th"), td = document.createElement("td");
    th.textContent = name;
    if (name === "args" || name === "result") { var code = document.createElement("code"); code.textContent = value; td.appendChild(code); }
    else { td.textContent = Array.isArray(value) ? value.join(", ") : String(value); }
    tr.appendChild(th); tr.appendChild(td); table.appendChild(tr);
  }

  function describe(call, id) {
    while (tooltip.firstChild) { tooltip.removeChild(tooltip.firstChild); }
    var title = document.createElement("div"), b = document.createElement("b");
    b.textContent = id + " " + call.tool;
    title.appendChild(b);
    title.appendChild(document.createTextNode(" · task " + call.task + " · " + call.state.replace("_", " ")));
    tooltip.appendChild(title);
    var table = document.createElement("table");
    row(table, "issued", call.issued + " ms");
    row(table, "executed", call.executed === null ? "no" : call.executed + " ms" + (call.order ? " (#" + call.order + " in its task)" : ""));
    row(table, "queued", call.queued ? call.queued + " ms" : null);
    row(table, call.how ? call.how + "ed" : "left flight", call.left === null ? "still in flight at the end" : call.left + " ms");
    row(table, "refused", call.refused);
    row(table, "stale", call.stale);
    row(table, "violations", call.violations);
    row(table, "service", call.service);
    row(table, "args", call.args);
    row(table, "result", call.result);
    tooltip.appendChild(table);
  }

  function place(x, y) {
    var w = tooltip.offsetWidth, h = tooltip.offsetHeight;
    tooltip.style.left = Math.max(4, Math.min(x + 14, window.innerWidth - w - 8)) + "px";
    tooltip.style.top = (y + 16 + h > window.innerHeight ? Math.max(4, y - h - 10) : y + 16) + "px";
  }

  function callOf(target) {
    var g = target.closest ? target.closest("g.call") : null;
    if (!g) { return null; }
    var run = g.closest("section.run").getAttribute("data-run"), id = g.getAttribute("data-call");
    return details[run] && details[run][id] ? { g: g, id: id, call: details[run][id] } : null;
  }

  document.addEventListener("mouseover", function (event) {
    var found = callOf(event.target);
    if (!found) { tooltip.hidden = true; return; }
    describe(found.call, found.id);
    tooltip.hidden = false;
    place(event.clientX, event.clientY);
  });
  document.addEventListener("mousemove", function (event) { if (!tooltip.hidden) { place(event.clientX, event.clientY); } });
  document.addEventListener("focusin", function (event) {
    var found = callOf(event.target);
    if (!found) { tooltip.hidden = true; return; }
    describe(found.call, found.id);
    tooltip.hidden = false;
    var box = found.g.getBoundingClientRect();
    place(box.left, box.bottom);
  });

  /* a violation in the list lights up the calls it names */
  function light(item, on) {
    var section = item.closest("section.run");
    (item.getAttribute("data-calls") || "").split(" ").forEach(function (id) {
      section.querySelectorAll("g.call").forEach(function (g) {
        if (g.getAttribute("data-call") === id) { g.classList.toggle("highlight", on); }
      });
    });
    var mark = document.getElementById(item.getAttribute("data-mark"));
    if (mark) { mark.classList.toggle("highlight", on); }
  }
  document.querySelectorAll("ol.violations li").forEach(function (item) {
    item.addEventListener("mouseenter", function () { light(item, true); });
    item.addEventListener("mouseleave", function () { light(item, false); });
    item.addEventListener("focus", function () { light(item, true); });
    item.addEventListener("blur", function () { light(item, false); });
  });
  document.documentElement.setAttribute("data-ready", "yes");
}());
