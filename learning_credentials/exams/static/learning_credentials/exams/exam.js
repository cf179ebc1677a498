/*
 * The final exam page of learning_credentials.exams: one sitting, driven by the certification API.
 *
 * The server renders this page once per attempt, with the attempt's state in #exam-config, and
 * decides everything; this script only asks. Leaving the page (closing it, reloading it, going
 * elsewhere) sends the discard beacon on "pagehide"; a page restored from the back/forward cache
 * asks the server and shows the attempt discarded. There is deliberately no "unload" handler
 * (it would keep the page out of the back/forward cache) and no "visibilitychange" one: switching
 * to another tab for a moment is not leaving. No build step: plain JavaScript, shipped as is.
 */
(function () {
  "use strict";

  var configElement = document.getElementById("exam-config");
  if (!configElement) {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var words = config.strings;
  var attempt = config.attempt;
  var busy = false;

  function byId(id) {
    return document.getElementById(id);
  }

  var ui = {
    exam: byId("exam"),
    progress: byId("exam-progress"),
    form: byId("exam-question"),
    fieldset: byId("exam-fieldset"),
    text: byId("exam-question-text"),
    hint: byId("exam-hint"),
    options: byId("exam-options"),
    feedback: byId("exam-feedback"),
    error: byId("exam-error"),
    check: byId("exam-check"),
    next: byId("exam-next"),
    submit: byId("exam-submit"),
    confirm: byId("exam-confirm"),
    confirmText: byId("exam-confirm-text"),
    confirmSubmit: byId("exam-confirm-submit"),
    confirmCancel: byId("exam-confirm-cancel"),
    closed: byId("exam-closed"),
    closedHeading: byId("exam-closed-heading"),
    closedText: byId("exam-closed-text"),
    resultLink: byId("exam-result-link"),
    restart: byId("exam-restart"),
  };

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, name) {
      return String(values[name]);
    });
  }

  /* Leaving the page ends the sitting: the server discards the attempt ("left"). */
  function leave() {
    navigator.sendBeacon(config.urls.discard, new URLSearchParams({ csrfmiddlewaretoken: config.csrfToken }));
  }

  function stopWatching() {
    window.removeEventListener("pagehide", leave);
  }

  /* One API call; resolves to {ok, data} (the API's JSON, or {}), rejects only when the server was not reached.
   * The API answers in the language it is asked for: the page's (the learner's), whatever the browser prefers. */
  function call(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Accept-Language": document.documentElement.lang || "en",
        "X-CSRFToken": config.csrfToken,
      },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          return { ok: response.ok, data: data };
        });
    });
  }

  function showError(message) {
    ui.error.textContent = message;
  }

  function showQuestion() {
    var question = attempt.question;
    var type = question.kind === "multiple" ? "checkbox" : "radio";
    ui.progress.textContent = format(words.questionOf, { number: question.number, total: attempt.size });
    ui.text.textContent = question.text;
    ui.hint.textContent = question.kind === "multiple" ? words.chooseAll : words.chooseOne;
    ui.options.replaceChildren();
    question.options.forEach(function (option) {
      var label = document.createElement("label");
      var input = document.createElement("input");
      var text = document.createElement("span");
      label.className = "option";
      input.type = type;
      input.name = "option";
      input.value = option.id;
      text.textContent = option.text;
      label.append(input, text);
      ui.options.append(label);
    });
    ui.fieldset.disabled = false;
    ui.feedback.textContent = "";
    ui.feedback.className = "feedback";
    showError("");
    ui.check.hidden = false;
    ui.check.disabled = false;
    ui.next.hidden = true;
  }

  function answered(reply) {
    attempt = reply.attempt;
    var mark = document.createElement("span");
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = reply.correct ? "✓ " : "✕ ";
    ui.fieldset.disabled = true;
    ui.feedback.className = "feedback " + (reply.correct ? "feedback-correct" : "feedback-incorrect");
    ui.feedback.replaceChildren(mark, document.createTextNode(reply.correct ? words.correct : words.incorrect));
    ui.check.hidden = true;
    if (attempt.question) {
      ui.next.hidden = false;
      ui.next.focus();
    } else {
      showError("");
      ui.feedback.append(document.createTextNode(" " + words.allAnswered));
      ui.submit.classList.remove("secondary");
      ui.submit.focus();
    }
  }

  /* The attempt is over (graded, or discarded: left, superseded by a start elsewhere, expired). */
  function closed(status, reason) {
    stopWatching();
    if (ui.confirm.open) {
      ui.confirm.close();
    }
    ui.exam.hidden = true;
    if (status === "graded") {
      ui.closedText.textContent = words.graded;
    } else {
      ui.closedText.textContent = words.discarded[reason] || words.discardedOther;
    }
    ui.resultLink.hidden = status !== "graded";
    ui.restart.hidden = status === "graded";
    ui.closed.hidden = false;
    ui.closedHeading.focus();
  }

  /* A refusal of the API: the attempt over, or a sentence to show; never the raw body. */
  function refused(data) {
    if (data.code === "attempt_closed") {
      closed(data.status, data.reason);
      return;
    }
    showError(data.detail || words.unreachable);
  }

  function unreachable() {
    busy = false;
    ui.check.disabled = false;
    ui.submit.disabled = false;
    showError(words.unreachable);
  }

  function refresh() {
    return call("GET", config.urls.attempt).then(function (reply) {
      if (reply.ok && reply.data.status === "in_progress") {
        attempt = reply.data;
        if (attempt.question) {
          showQuestion();
        }
      } else if (reply.ok) {
        closed(reply.data.status, reply.data.discard_reason);
      } else {
        refused(reply.data);
      }
    });
  }

  ui.form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy || ui.check.hidden) {
      return;
    }
    var chosen = Array.prototype.map.call(ui.options.querySelectorAll("input:checked"), function (input) {
      return input.value;
    });
    if (!chosen.length) {
      showError(words.nothingChosen);
      ui.options.querySelector("input").focus();
      return;
    }
    busy = true;
    ui.check.disabled = true;
    call("POST", config.urls.answer, { question: attempt.question.id, options: chosen }).then(function (reply) {
      busy = false;
      if (reply.ok) {
        answered(reply.data);
      } else if (reply.data.code === "already_answered") {
        refresh();
      } else {
        ui.check.disabled = false;
        refused(reply.data);
      }
    }, unreachable);
  });

  ui.next.addEventListener("click", function () {
    showQuestion();
    ui.progress.focus();
  });

  function submit() {
    busy = true;
    ui.submit.disabled = true;
    call("POST", config.urls.submit).then(function (reply) {
      if (reply.ok || (reply.data.code === "attempt_closed" && reply.data.status === "graded")) {
        stopWatching(); // leaving for the result on purpose: nothing to discard
        window.location.assign(config.urls.result);
        return;
      }
      busy = false;
      ui.submit.disabled = false;
      refused(reply.data);
    }, unreachable);
  }

  ui.submit.addEventListener("click", function () {
    if (busy) {
      return;
    }
    var unanswered = attempt.size - attempt.answered;
    if (unanswered > 0) {
      ui.confirmText.textContent = words.unanswered[unanswered - 1];
      ui.confirm.showModal();
      ui.confirmCancel.focus();
      return;
    }
    submit();
  });

  ui.confirmSubmit.addEventListener("click", function () {
    ui.confirm.close();
    submit();
  });

  ui.confirmCancel.addEventListener("click", function () {
    ui.confirm.close();
  });

  /* Back (or forward) to this page from the back/forward cache: pagehide discarded the attempt; the server
   * says so. Should the beacon have been lost, the attempt is discarded now: a sitting is never resumed. */
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    ui.exam.hidden = true;
    call("GET", config.urls.attempt)
      .then(function (reply) {
        if (reply.ok && reply.data.status === "in_progress") {
          return call("POST", config.urls.discard).then(function () {
            closed("discarded", "left");
          });
        }
        closed(reply.data.status || "discarded", reply.data.discard_reason || "left");
      })
      .catch(function () {
        closed("discarded", "left");
      });
  });

  window.addEventListener("pagehide", leave);
  history.replaceState(null, "", config.urls.page); // a reload asks for the exam page, not this showing again
  ui.exam.hidden = false;
  showQuestion();
  ui.progress.focus();
})();
