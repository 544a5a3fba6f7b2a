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
    params: { storage: "local" }
  }, container);
})();
