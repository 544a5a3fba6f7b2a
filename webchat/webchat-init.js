// Starts the rasa-webchat widget on the web channel of the server that served this page.
(function () {
  var container = document.getElementById("webchat");
  window.WebChat.default({
    socketUrl: window.location.origin,
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
