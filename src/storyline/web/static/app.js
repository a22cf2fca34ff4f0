// storyline web app: small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Upload: send the form with fetch and poll the job's JSON twin for progress.
  function setUpUpload() {
    var form = document.getElementById("upload-form");
    if (!form || !window.fetch || !window.FormData) return;
    var box = document.getElementById("upload-progress");
    var bar = box.querySelector("progress");
    var line = box.querySelector(".status-line");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      box.hidden = false;
      line.textContent = "uploading…";
      form.querySelector("button").disabled = true;
      fetch("/upload?format=json", { method: "POST", body: new FormData(form), headers: { "Accept": "application/json" } })
        .then(function (response) { return response.json().then(function (body) { return [response, body]; }); })
        .then(function (pair) {
          if (!pair[0].ok) throw new Error(pair[1].error || ("upload refused: " + pair[0].status));
          poll(pair[1].status, pair[1].page);
        })
        .catch(function (error) { line.textContent = String(error.message || error); form.querySelector("button").disabled = false; });
    });
    function poll(url, page) {
      fetch(url, { headers: { "Accept": "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (job) {
          bar.value = job.progress;
          var stage = job.stage ? (job.stage + " " + job.stage_done + "/" + job.stage_total) : "";
          line.textContent = job.state + (stage ? ": " + stage : "");
          if (job.state === "done" || job.state === "failed") { window.location.assign(page); return; }
          window.setTimeout(function () { poll(url, page); }, 500);
        })
        .catch(function (error) { line.textContent = String(error.message || error); });
    }
  }

  // Side by side: hovering a passage lights up its partner in the other text.
  function setUpPairs() {
    var links = document.querySelectorAll(".side-by-side a.passage");
    if (!links.length) return;
    Array.prototype.forEach.call(links, function (link) {
      link.addEventListener("mouseenter", function () { toggle(link, true); });
      link.addEventListener("mouseleave", function () { toggle(link, false); });
    });
    function toggle(link, on) {
      var target = (link.getAttribute("href") || "").slice(1);
      var side = target.split("-")[0] === "left" ? "right" : "left";
      var index = target.split("-")[1];
      var selector = '.side-by-side a.passage[href="#' + target + '"], .side-by-side a.passage[href="#' + side + "-" + index + '"]';
      Array.prototype.forEach.call(document.querySelectorAll(selector), function (el) { el.classList.toggle("lit", on); });
    }
  }

  // Following a link to a span inside a scrolling pane: bring it to the middle.
  function centreTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    var el = document.getElementById(id);
    if (el) el.scrollIntoView({ block: "center" });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpUpload();
    setUpPairs();
    centreTarget();
  });
  window.addEventListener("hashchange", centreTarget);
})();
