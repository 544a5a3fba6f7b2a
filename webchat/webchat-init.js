// Starts the rasa-webchat widget on the web channel of the server that served this page.
(function () {
  var container = document.getElementById("webchat");
  // A signed-in customer's token comes in the page's fragment (#token=..., never sent to a
  // server or written to its logs): keep it for this tab and take it out of the address bar.
  var match = /(?:^|[#&])token=([^&]+)/.exec(window.location.hash);
  if (match) {
    window.sessionStorage.setItem("northwind_token", decodeURIComponent(match[1]));
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  var token = window.sessionStorage.getItem("northwind_token");

  // When the assistant could not answer a message (the server says so with an `error` event
  // holding the message), keep it on the page with a button that sends it again.
  var unsent = document.getElementById("unsent");
  function keepUnsent(error) {
    var message = error && error.message;
    if (!message || !message.text || !error.retryable) return;
    unsent.dataset.text = message.text;
    unsent.querySelector("span").textContent =
      "We couldn't answer \u201c" + message.text + "\u201d just now. Please send it again.";
    unsent.hidden = false;
  }
  function sendAgain() {
    var box = document.querySelector("textarea.rw-new-message, input.rw-new-message");
    if (!box || !unsent.dataset.text) return;
    var setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(box), "value").set;
    setter.call(box, unsent.dataset.text);  // the widget's input is a React-controlled field
    box.dispatchEvent(new Event("input", { bubbles: true }));
    unsent.hidden = true;
    box.form.requestSubmit();
  }
  unsent.querySelector("button").addEventListener("click", sendAgain);

  window.WebChat.default({
    socketUrl: window.location.origin + (token ? "?token=" + encodeURIComponent(token) : ""),
    socketPath: container.getAttribute("data-socket-path") || "/socket.io/",
    initPayload: "/greet",
    customData: { language: "en" },
    title: "Northwind support",
    subtitle: "Orders, returns, billing and your account",
    inputTextFieldHint: "Type your question...",
    embedded: true,
    hideWhenNotConnected: false,
    showMessageDate: true,
    customMessageDelay: function () { return 150; },
    onSocketEvent: { error: keepUnsent },
    params: { storage: "local" }
  }, container);
})();
