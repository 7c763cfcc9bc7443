// The page viewer of report.html. Page text is hostile: it only ever reaches the page through
// textContent, setAttribute("title") and Option(), never through innerHTML or a URL.
(function () {
  "use strict";
  var source = document.getElementById("gharbal-pages");
  var select = document.getElementById("doc-select");
  var filter = document.getElementById("doc-filter");
  var view = document.getElementById("page");
  if (!source || !select || !filter || !view) {
    return;
  }
  var pages = JSON.parse(source.textContent);
  var byId = new Map();
  pages.forEach(function (p) {
    byId.set(p.id, p);
  });
  var VERDICT = { k: "keep", t: "title", r: "remove" };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) {
      e.className = cls;
    }
    if (text !== undefined && text !== null) {
      e.textContent = String(text);
    }
    return e;
  }

  function label(p) {
    var head = p.status === "kept" ? "kept" : "rejected " + p.reason;
    var title = p.title ? " \u2014 " + p.title : "";
    return "[" + head + "] " + p.id + title;
  }

  function fillOptions() {
    var q = filter.value.trim().toLowerCase();
    var current = select.value;
    select.textContent = "";
    var shown = 0;
    pages.forEach(function (p) {
      var hay = [p.id, p.title || "", p.url || "", p.reason || "", p.lang || "", p.site || ""]
        .join("\n")
        .toLowerCase();
      if (q && hay.indexOf(q) < 0) {
        return;
      }
      var opt = new Option(label(p), p.id);
      opt.dir = "auto";
      select.appendChild(opt);
      shown += 1;
    });
    if (byId.has(current)) {
      select.value = current;
    }
    document.getElementById("doc-count").textContent = shown + " of " + pages.length;
  }

  function field(dl, name, value, dir) {
    if (value === undefined || value === null || value === "") {
      return;
    }
    dl.appendChild(el("dt", null, name));
    var dd = el("dd", null, value);
    dd.dir = dir || "auto";
    dl.appendChild(dd);
  }

  function show(id) {
    var p = byId.get(id);
    if (!p) {
      return;
    }
    view.textContent = "";
    var head = el("div", "page-head");
    var status = el("span", "status " + p.status, p.status === "kept" ? "kept" : "rejected");
    head.appendChild(status);
    var h = el("h3", "page-title", p.title || p.id);
    h.dir = "auto";
    head.appendChild(h);
    view.appendChild(head);

    var dl = el("dl", "page-fields");
    field(dl, "id", p.id);
    field(dl, "url", p.url);
    field(dl, "site", p.site);
    field(dl, "language", p.lang, "ltr");
    field(dl, "reason", p.reason, "ltr");
    field(dl, "detail", p.detail);
    field(dl, "shard", "part-" + String(p.shard).padStart(5, "0"), "ltr");
    var names = Object.keys(p.scores || {}).sort();
    if (names.length) {
      field(
        dl,
        "scores",
        names
          .map(function (n) {
            var v = p.scores[n];
            return n + " = " + (typeof v === "object" ? JSON.stringify(v) : String(v));
          })
          .join("\n"),
        "ltr"
      );
    }
    field(dl, "metadata", p.metadata, "ltr");
    view.appendChild(dl);

    var counts = { k: 0, t: 0, r: 0 };
    p.lines.forEach(function (ln) {
      counts[ln[1]] += 1;
    });
    view.appendChild(
      el(
        "p",
        "page-counts",
        p.lines.length +
          " lines: " +
          counts.k +
          " kept, " +
          counts.r +
          " removed" +
          (counts.t ? ", 1 title" : "")
      )
    );
    (p.notes || []).forEach(function (n) {
      view.appendChild(el("p", "note", n));
    });

    var body = el("div", "lines");
    body.id = "page-lines";
    body.dir = p.dir;
    p.lines.forEach(function (ln) {
      var verdict = VERDICT[ln[1]] || "keep";
      var row = el("div", "line " + verdict);
      row.appendChild(el("span", "no", ln[0] === null ? "" : ln[0]));
      var text = el(verdict === "remove" ? "del" : "span", "text", ln[2]);
      text.dir = "auto";
      row.appendChild(text);
      var why = el("span", "why");
      why.dir = "ltr";
      if (verdict === "remove") {
        why.appendChild(el("span", "reason", ln[3]));
        if (ln[4]) {
          why.appendChild(el("span", "detail", ln[4]));
          why.setAttribute("title", ln[4]);
        }
      } else if (verdict === "title") {
        why.appendChild(el("span", "reason title-tag", "title"));
      }
      row.appendChild(why);
      body.appendChild(row);
    });
    view.appendChild(body);
  }

  function fromHash() {
    var m = /^#doc=(.*)$/.exec(window.location.hash);
    if (!m) {
      return false;
    }
    var id;
    try {
      id = decodeURIComponent(m[1]);
    } catch (e) {
      return false;
    }
    if (!byId.has(id)) {
      return false;
    }
    if (filter.value) {
      filter.value = "";
      fillOptions();
    }
    select.value = id;
    show(id);
    return true;
  }

  filter.addEventListener("input", fillOptions);
  select.addEventListener("change", function () {
    window.location.hash = "doc=" + encodeURIComponent(select.value);
  });
  window.addEventListener("hashchange", function () {
    if (fromHash()) {
      document.getElementById("viewer").scrollIntoView();
    }
  });
  document.getElementById("show-removed").addEventListener("change", function (e) {
    view.classList.toggle("hide-removed", !e.target.checked);
  });
  fillOptions();
  if (!fromHash() && pages.length) {
    select.value = pages[0].id;
    show(pages[0].id);
  }
})();
