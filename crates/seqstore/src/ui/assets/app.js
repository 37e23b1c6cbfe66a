// seqstore dashboard: live progress of an import job. The job page names its progress URL in
// data-progress; this polls it and updates each source's bar until the job is finished.
"use strict";
(function () {
  const root = document.querySelector("[data-progress]");
  if (!root) return;
  const url = root.getAttribute("data-progress");
  const terminal = ["COMPLETED", "COMPLETED_WITH_FAILURES", "FAILED"];
  const interval = Number(root.getAttribute("data-interval") || "500");

  function setText(el, text) { if (el && el.textContent !== text) el.textContent = text; }

  function update(job) {
    const status = root.querySelector("[data-job-status]");
    setText(status, job.status);
    if (status) status.className = "status-" + job.status;
    setText(root.querySelector("[data-job-message]"), job.message || "");
    for (const source of job.sources) {
      const row = root.querySelector('[data-source="' + source.index + '"]');
      if (!row) continue;
      const bar = row.querySelector(".bar");
      const pct = source.percent === null ? 0 : source.percent;
      bar.setAttribute("aria-valuenow", String(pct));
      bar.querySelector(".fill").style.width = pct + "%";
      bar.classList.toggle("done", source.status === "FINISHED");
      bar.classList.toggle("failed", source.status === "FAILED");
      setText(row.querySelector(".pct"), source.percent === null ? "—" : pct + " %");
      setText(row.querySelector(".bytes"), source.bytes);
      const st = row.querySelector(".source-status");
      setText(st, source.status);
      st.className = "source-status status-" + source.status;
      const message = row.querySelector(".message");
      setText(message, source.message || "");
      if (message) message.className = "message " + (source.status === "FAILED" ? "failed" : "note");
      const link = row.querySelector(".read-set");
      if (link && source.readSetUrl && !link.querySelector("a")) {
        link.innerHTML = "";
        const a = document.createElement("a");
        a.href = source.readSetUrl;
        a.textContent = source.readSetId;
        link.appendChild(a);
      }
    }
    return terminal.includes(job.status);
  }

  async function poll() {
    try {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (response.ok && update(await response.json())) return;
    } catch (e) {
      // A missed poll is retried at the next tick.
    }
    setTimeout(poll, interval);
  }
  setTimeout(poll, interval);
})();
