// Verify an evaluation receipt in the browser, independently of the node's own check: the DSSE
// envelope's one ES256 signature (raw r || s) over the DSSE pre-authentication encoding of its
// payload, with the key of the issuing administration's published JWKS that the signature names,
// and the predicate's issuer. WebCrypto does the ECDSA; nothing here is trusted from the page.
(function () {
  "use strict";
  var out = document.getElementById("receipt-browser");
  if (!out) { return; }

  function say(ok, text) {
    out.textContent = text;
    out.className = ok ? "notice" : "error";
    out.setAttribute("data-verified", ok ? "yes" : "no");
  }

  function bytes(b64) {
    var text = atob(b64);
    var array = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i += 1) { array[i] = text.charCodeAt(i); }
    return array;
  }

  function pae(type, payload) {
    var head = new TextEncoder().encode(
      "DSSEv1 " + new TextEncoder().encode(type).length + " " + type + " " + payload.length + " "
    );
    var all = new Uint8Array(head.length + payload.length);
    all.set(head, 0);
    all.set(payload, head.length);
    return all;
  }

  if (!window.crypto || !window.crypto.subtle) {
    say(false, "This browser cannot check signatures here (no WebCrypto outside a secure context).");
    return;
  }
  var issuer = out.getAttribute("data-issuer");
  Promise.all([
    fetch(out.getAttribute("data-receipt"), { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error("the receipt could not be fetched"); }
      return r.json();
    }),
    fetch(out.getAttribute("data-jwks")).then(function (r) {
      if (!r.ok) { throw new Error("the issuer's keys could not be fetched"); }
      return r.json();
    })
  ]).then(function (got) {
    var envelope = got[0], jwks = got[1];
    if (!envelope.signatures || envelope.signatures.length !== 1) {
      throw new Error("the receipt must carry exactly one signature");
    }
    var signature = envelope.signatures[0];
    var jwk = (jwks.keys || []).filter(function (k) { return k.kid === signature.keyid; })[0];
    if (!jwk) { throw new Error("it is signed with a key " + issuer + " does not publish"); }
    var payload = bytes(envelope.payload);
    var statement = JSON.parse(new TextDecoder().decode(payload));
    if (!statement.predicate || statement.predicate.issuer !== issuer) {
      throw new Error("it does not name " + issuer + " as its issuer");
    }
    return crypto.subtle.importKey(
      "jwk", { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, ext: true },
      { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]
    ).then(function (key) {
      return crypto.subtle.verify(
        { name: "ECDSA", hash: "SHA-256" }, key, bytes(signature.sig),
        pae(envelope.payloadType, payload)
      );
    }).then(function (ok) {
      if (!ok) { throw new Error("the signature does not verify"); }
      say(true, "Verified in this browser too: signed by " + issuer + " (key " +
          signature.keyid.slice(0, 16) + "…), for model SHA-256 " +
          statement.subject[0].digest.sha256.slice(0, 16) + "….");
    });
  }).catch(function (error) {
    say(false, "The receipt does NOT verify in this browser: " + error.message + ".");
  });
}());
