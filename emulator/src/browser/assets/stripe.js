// One file on purpose: served as-is to merchant pages as Stripe.js (no build step), see docs/emulator.md.
/*
 * Stripe emulator: a Stripe.js stand-in (served at /js/stripe.js).
 * Card data is typed into iframes served by the emulator (/js/elements-frame); this script on the
 * merchant page only ever sees payment method ids. Plain ES2017, no build step.
 */
(function () {
  'use strict';
  if (window.Stripe && window.Stripe.__emulator) return;

  var RELEASE = 'endive';
  var API_VERSION = '2026-10-28.endive';
  var current = document.currentScript;
  /**
   * Where the emulator is, in this order: an override (`window.STRIPE_EMULATOR_URL` or the script
   * tag's `data-stripe-emulator-url`), else the script's own URL minus the path Stripe.js is loaded
   * from (`/js/stripe.js`, `/v3/`, `/<release>/stripe.js`, under any prefix or host mapped to the
   * emulator, e.g. `https://js.stripe.com/v3/`), else the emulator's public URL.
   */
  var BASE = (function () {
    var override = window.STRIPE_EMULATOR_URL || (current && current.getAttribute && current.getAttribute('data-stripe-emulator-url'));
    if (override) return new URL(String(override), window.location.href).href.replace(/\/+$/, '');
    var src = current && current.src;
    if (src) {
      var u = new URL(src, window.location.href);
      var m = /\/(v3\/?|[A-Za-z0-9_-]+\/stripe\.js)$/.exec(u.pathname);
      if (m) return u.origin + u.pathname.slice(0, m.index);
    }
    return '__EMULATOR_PUBLIC_URL__';
  })();
  var ORIGIN = new URL(BASE).origin;
  var frameSeq = 0;

  function IntegrationError(message) {
    var e = new Error(message);
    e.name = 'IntegrationError';
    return e;
  }

  function isObject(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  }

  /** Stripe's form encoding: a[b][0]=x, booleans/numbers as strings, null as ''. */
  function encodeForm(obj) {
    var parts = [];
    function add(prefix, v) {
      if (v === undefined) return;
      if (v === null) parts.push(encodeURIComponent(prefix) + '=');
      else if (Array.isArray(v))
        v.forEach(function (x, i) {
          add(prefix + '[' + i + ']', x);
        });
      else if (typeof v === 'object')
        Object.keys(v).forEach(function (k) {
          add(prefix + '[' + k + ']', v[k]);
        });
      else parts.push(encodeURIComponent(prefix) + '=' + encodeURIComponent(String(v)));
    }
    Object.keys(obj || {}).forEach(function (k) {
      add(k, obj[k]);
    });
    return parts.join('&').replace(/%5B/g, '[').replace(/%5D/g, ']');
  }

  function api(key, method, path, params, stripeAccount) {
    // suppress_response_codes: errors come back as HTTP 200 with { error } in the body, so the
    // browser does not log a declined card (402) as a console error
    var url = BASE + path + '?suppress_response_codes=true';
    var headers = { Authorization: 'Bearer ' + key, 'Stripe-Version': API_VERSION };
    if (stripeAccount) headers['Stripe-Account'] = stripeAccount;
    var init = { method: method, headers: headers };
    if (method === 'GET') {
      var qs = encodeForm(params);
      if (qs) url += '&' + qs;
    } else {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      init.body = encodeForm(params);
    }
    return fetch(url, init).then(
      function (res) {
        return res.json().then(
          function (body) {
            if (res.ok && !(body && body.error)) return { ok: true, body: body };
            return { ok: false, error: (body && body.error) || { type: 'api_error', message: 'Request failed (' + res.status + ').' } };
          },
          function () {
            return { ok: false, error: { type: 'api_error', message: 'Invalid response from the Stripe emulator (' + res.status + ').' } };
          },
        );
      },
      function () {
        return { ok: false, error: { type: 'api_connection_error', message: 'Could not connect to the Stripe emulator at ' + BASE + '.' } };
      },
    );
  }

  function secretInfo(clientSecret) {
    if (typeof clientSecret !== 'string') return null;
    var m = /^((pi|seti)_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(clientSecret);
    if (!m) return null;
    return {
      id: m[1],
      kind: m[2] === 'pi' ? 'payment_intent' : 'setup_intent',
      path: m[2] === 'pi' ? '/v1/payment_intents/' : '/v1/setup_intents/',
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  function Emitter() {
    this._handlers = {};
  }
  Emitter.prototype.on = function (event, handler) {
    if (typeof handler !== 'function') throw IntegrationError('When adding an event listener, the handler must be a function.');
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };
  Emitter.prototype.addEventListener = Emitter.prototype.on;
  Emitter.prototype.once = function (event, handler) {
    var self = this;
    var wrapped = function () {
      self.off(event, wrapped);
      return handler.apply(this, arguments);
    };
    wrapped._orig = handler;
    return this.on(event, wrapped);
  };
  Emitter.prototype.off = function (event, handler) {
    var list = this._handlers[event];
    if (!list) return this;
    if (!handler) this._handlers[event] = [];
    else
      this._handlers[event] = list.filter(function (h) {
        return h !== handler && h._orig !== handler;
      });
    return this;
  };
  Emitter.prototype.removeEventListener = Emitter.prototype.off;
  Emitter.prototype._emit = function (event, payload) {
    var list = (this._handlers[event] || []).slice();
    for (var i = 0; i < list.length; i++) {
      try {
        list[i](payload);
      } catch (e) {
        setTimeout(function () {
          throw e;
        });
      }
    }
  };

  // ---------------------------------------------------------------------------------------------
  // Messaging with emulator frames

  var pending = {};
  var msgSeq = 0;
  var frameElements = {};

  window.addEventListener('message', function (ev) {
    if (ev.origin !== ORIGIN) return;
    var d = ev.data;
    if (!isObject(d) || d.__stripeEmu !== true) return;
    if (d.replyTo && pending[d.replyTo]) {
      var p = pending[d.replyTo];
      delete pending[d.replyTo];
      p(d.result);
      return;
    }
    if (d.frameId && frameElements[d.frameId]) frameElements[d.frameId]._onFrameMessage(d, ev.source);
  });

  function request(win, cmd, args) {
    return new Promise(function (resolve) {
      var id = 'm' + ++msgSeq;
      pending[id] = resolve;
      win.postMessage({ __stripeEmu: true, id: id, cmd: cmd, args: args || {} }, ORIGIN);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Element

  /** Element types rendered by the emulator's frame (card data and form fields live there). */
  var FRAME_TYPES = { payment: 1, card: 1, address: 1, linkAuthentication: 1, cardNumber: 1, cardExpiry: 1, cardCvc: 1 };
  /** Element types Stripe.js creates that need a network, wallet or bank the emulator does not have: an honest box. */
  var OFFLINE_TYPES = {
    expressCheckout: 'Express checkout (Apple Pay, Google Pay, Link, PayPal)',
    paymentRequestButton: 'Payment Request button (Apple Pay, Google Pay)',
    paymentMethodMessaging: 'Payment method messaging (Klarna, Afterpay, Affirm)',
    affirmMessage: 'Affirm messaging',
    afterpayClearpayMessage: 'Afterpay / Clearpay messaging',
    iban: 'IBAN (SEPA Direct Debit)',
    idealBank: 'iDEAL bank selection',
    auBankAccount: 'BECS Direct Debit bank account',
    fpxBank: 'FPX bank selection',
    epsBank: 'EPS bank selection',
    p24Bank: 'Przelewy24 bank selection',
    currencySelector: 'Currency selector',
    taxId: 'Tax ID',
    shippingAddress: 'Shipping address (legacy)',
    issuingCardNumberDisplay: 'Issuing card number',
    issuingCardCvcDisplay: 'Issuing card CVC',
    issuingCardExpiryDisplay: 'Issuing card expiry',
    issuingCardPinDisplay: 'Issuing card PIN',
    issuingCardCopyButton: 'Issuing copy button',
  };
  var FRAME_HEIGHT = { card: 48, address: 320, linkAuthentication: 72, cardNumber: 44, cardExpiry: 44, cardCvc: 44 };

  function Element(elements, type, options) {
    Emitter.call(this);
    this._elements = elements;
    this._type = type;
    this._options = options || {};
    this._frameId = 'f' + ++frameSeq + Math.random().toString(36).slice(2, 8);
    this._iframe = null;
    this._container = null;
    this._readyFrame = null;
    this._readyPromise = null;
    this._destroyed = false;
    this._state = { complete: false, empty: true };
    this._mounted = false;
    this._offline = !!OFFLINE_TYPES[type];
    frameElements[this._frameId] = this;
  }
  Element.prototype = Object.create(Emitter.prototype);

  Element.prototype._checkAlive = function () {
    if (this._destroyed) throw IntegrationError('This Element has already been destroyed. Please create a new one.');
  };

  Element.prototype.mount = function (target) {
    this._checkAlive();
    var node = typeof target === 'string' ? document.querySelector(target) : target;
    if (!node || node.nodeType !== 1)
      throw IntegrationError(
        'The selector you specified (' +
          String(target) +
          ') applies to no DOM elements that are currently on the page.\nMake sure the element exists on the page before calling mount().',
      );
    if (this._mounted) throw IntegrationError('This Element is already mounted. Use `unmount` to unmount the Element before re-mounting.');
    if (this._offline) return this._mountOffline(node);
    var self = this;
    var el = this._elements;
    var wrap = document.createElement('div');
    wrap.className = 'StripeElement StripeElement--empty __PrivateStripeElement';
    wrap.style.cssText = 'margin:0;padding:0;border:none;display:block;background:transparent;position:relative;opacity:1;';
    var iframe = document.createElement('iframe');
    var name = '__privateStripeFrame' + Math.floor(1000 + Math.random() * 9000);
    iframe.name = name;
    iframe.setAttribute('frameborder', '0');
    iframe.setAttribute('allowtransparency', 'true');
    iframe.setAttribute('scrolling', 'no');
    iframe.setAttribute('role', 'presentation');
    iframe.setAttribute('allow', 'payment *');
    iframe.title =
      this._type === 'address'
        ? 'Secure address input frame'
        : this._type === 'linkAuthentication'
          ? 'Secure email input frame'
          : 'Secure payment input frame';
    iframe.style.cssText =
      'border:none !important;margin:-4px;padding:0 !important;width:calc(100% + 8px);min-width:100% !important;overflow:hidden !important;display:block !important;user-select:none !important;color-scheme:normal !important;height:' +
      (FRAME_HEIGHT[this._type] || 260) +
      'px;transition:height .2s ease;';
    var init = {
      frameId: this._frameId,
      type: this._type,
      key: el._stripe._key,
      stripeAccount: el._stripe._stripeAccount || null,
      options: this._options,
      appearance: el._options.appearance || {},
      locale: el._options.locale || el._stripe._locale || 'auto',
      parentOrigin: window.location.origin,
      mode: el._mode(),
      currency: el._options.currency || null,
    };
    iframe.src = BASE + '/js/elements-frame#' + encodeURIComponent(JSON.stringify(init));
    wrap.appendChild(iframe);
    while (node.firstChild && node.firstChild.classList && node.firstChild.classList.contains('__PrivateStripeElement'))
      node.removeChild(node.firstChild);
    node.appendChild(wrap);
    this._container = node;
    this._wrap = wrap;
    this._iframe = iframe;
    this._mounted = true;
    this._readyPromise = new Promise(function (resolve) {
      self._resolveReady = resolve;
    });
    node.classList.add('StripeElement');
    this._emit('loaderstart', { elementType: this._type });
    return undefined;
  };

  /** An element the emulator cannot provide offline: a visible box saying so, `ready` as Stripe.js sends it when nothing is available. */
  Element.prototype._mountOffline = function (node) {
    var self = this;
    var wrap = document.createElement('div');
    wrap.className = 'StripeElement __PrivateStripeElement';
    wrap.setAttribute('data-stripe-emulator', 'unavailable');
    wrap.setAttribute('role', 'note');
    wrap.style.cssText =
      'box-sizing:border-box;margin:0;padding:10px 12px;border:1px dashed #9ca3af;border-radius:6px;background:#f9fafb;color:#374151;font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere;';
    wrap.textContent = OFFLINE_TYPES[this._type] + ' is not available offline (Stripe emulator).';
    node.appendChild(wrap);
    this._container = node;
    this._wrap = wrap;
    this._mounted = true;
    this._readyPromise = Promise.resolve(null);
    this._emit('loaderstart', { elementType: this._type });
    setTimeout(function () {
      if (!self._mounted) return;
      var ev = { elementType: self._type };
      // Express Checkout reports the wallets it can show; none here, so pages hide it as with real Stripe.js
      if (self._type === 'expressCheckout') ev.availablePaymentMethods = undefined;
      self._emit('ready', ev);
    }, 0);
    return undefined;
  };

  Element.prototype._onFrameMessage = function (d, source) {
    if (!this._iframe || source !== this._iframe.contentWindow) return;
    var ev = d.event;
    var payload = d.payload || {};
    if (ev === 'height') {
      this._iframe.style.height = payload.height + 'px';
      return;
    }
    if (ev === 'ready') {
      if (payload.height) this._iframe.style.height = payload.height + 'px';
      this._readyFrame = this._iframe.contentWindow;
      if (this._resolveReady) this._resolveReady(this._readyFrame);
      this._emit('ready', { elementType: this._type });
      return;
    }
    if (ev === 'change') {
      this._state = payload;
      if (this._wrap) {
        this._wrap.classList.toggle('StripeElement--empty', !!payload.empty);
        this._wrap.classList.toggle('StripeElement--complete', !!payload.complete);
        this._wrap.classList.toggle('StripeElement--invalid', !!payload.error);
      }
      this._emit('change', Object.assign({ elementType: this._type }, payload));
      return;
    }
    if (ev === 'focus' || ev === 'blur') {
      if (this._wrap) this._wrap.classList.toggle('StripeElement--focus', ev === 'focus');
      this._emit(ev, { elementType: this._type });
      return;
    }
    if (ev === 'escape') this._emit('escape', { elementType: this._type });
  };

  Element.prototype._call = function (cmd, args) {
    var self = this;
    if (!this._mounted) return Promise.resolve(null);
    return this._readyPromise.then(function (win) {
      if (!self._mounted || !win) return null;
      return request(win, cmd, Object.assign({ frameId: self._frameId }, args || {}));
    });
  };

  Element.prototype.unmount = function () {
    this._checkAlive();
    if (this._wrap && this._wrap.parentNode) this._wrap.parentNode.removeChild(this._wrap);
    if (this._container && this._container.classList) this._container.classList.remove('StripeElement');
    this._wrap = null;
    this._iframe = null;
    this._mounted = false;
    this._readyFrame = null;
    return this;
  };
  Element.prototype.destroy = function () {
    this._checkAlive();
    if (this._mounted) this.unmount();
    this._destroyed = true;
    delete frameElements[this._frameId];
    this._elements._forget(this);
    return this;
  };
  Element.prototype.update = function (options) {
    this._checkAlive();
    if (options) this._options = Object.assign({}, this._options, options);
    this._call('update', { options: options || {} });
    return this;
  };
  Element.prototype.focus = function () {
    this._checkAlive();
    if (this._iframe) this._iframe.focus();
    this._call('focus');
    return this;
  };
  Element.prototype.blur = function () {
    this._checkAlive();
    this._call('blur');
    return this;
  };
  Element.prototype.clear = function () {
    this._checkAlive();
    this._call('clear');
    return this;
  };
  Element.prototype.collapse = function () {
    return this;
  };
  Element.prototype.getValue = function () {
    var self = this;
    return this._call('getValue').then(function (r) {
      return r || { complete: self._state.complete, isNewAddress: true, value: {} };
    });
  };

  // ---------------------------------------------------------------------------------------------
  // Elements group

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = Object.assign({}, options || {});
    this._elements = {};
    this._submitted = false;
    this._intent = null;
    var cs = this._options.clientSecret;
    if (cs !== undefined && !secretInfo(cs))
      throw IntegrationError(
        'Invalid value for elements(): clientSecret should be a client secret of the form ${id}_secret_${secret}. You specified: ' +
          cs +
          '.',
      );
    if (!cs && this._options.mode && ['payment', 'setup', 'subscription'].indexOf(this._options.mode) < 0)
      throw IntegrationError(
        'Invalid value for elements(): mode should be one of payment, setup, subscription. You specified: ' + this._options.mode + '.',
      );
    if (cs) this._fetchIntent();
  }
  Elements.prototype._mode = function () {
    var info = secretInfo(this._options.clientSecret);
    if (info) return info.kind === 'setup_intent' ? 'setup' : 'payment';
    return this._options.mode || 'payment';
  };
  Elements.prototype._fetchIntent = function () {
    var self = this;
    var info = secretInfo(this._options.clientSecret);
    if (!info) return Promise.resolve(null);
    return api(
      this._stripe._key,
      'GET',
      info.path + info.id,
      { client_secret: this._options.clientSecret },
      this._stripe._stripeAccount,
    ).then(function (r) {
      if (r.ok) self._intent = r.body;
      else {
        for (var k in self._elements) self._elements[k]._emit('loaderror', { elementType: k, error: r.error });
      }
      return r;
    });
  };
  Elements.prototype.create = function (type, options) {
    if (!FRAME_TYPES[type] && !OFFLINE_TYPES[type])
      throw IntegrationError(
        'A valid Element name must be provided. Valid Elements are: ' +
          Object.keys(FRAME_TYPES).concat(Object.keys(OFFLINE_TYPES)).join(', ') +
          '; you passed: ' +
          type +
          '.',
      );
    if (this._elements[type]) throw IntegrationError('Can only create one Element of type ' + type + '.');
    var el = new Element(this, type, options);
    this._elements[type] = el;
    return el;
  };
  Elements.prototype.getElement = function (type) {
    return this._elements[type] || null;
  };
  Elements.prototype._forget = function (el) {
    if (this._elements[el._type] === el) delete this._elements[el._type];
  };
  Elements.prototype.update = function (options) {
    options = options || {};
    Object.assign(this._options, options);
    for (var k in this._elements) {
      var e = this._elements[k];
      e._call('update', {
        options: {},
        appearance: this._options.appearance || {},
        mode: this._mode(),
        currency: this._options.currency || null,
      });
    }
    return this;
  };
  Elements.prototype.fetchUpdates = function () {
    return this._fetchIntent().then(function (r) {
      return r && !r.ok ? { error: r.error } : {};
    });
  };
  Elements.prototype._paymentElement = function () {
    return this._elements.payment || this._elements.card || this._elements.cardNumber || null;
  };
  /** The email typed into a mounted Link Authentication Element (it fills billing_details.email). */
  Elements.prototype._linkEmail = function () {
    var la = this._elements.linkAuthentication;
    return la && la._mounted && la._state && la._state.value && la._state.value.email ? la._state.value.email : null;
  };
  /** Frame ids of the split card elements, so the card number frame can read its siblings (same origin). */
  Elements.prototype._splitSiblings = function () {
    var out = {};
    var e = this._elements;
    if (e.cardExpiry && e.cardExpiry._mounted) out.expiry = e.cardExpiry._frameId;
    if (e.cardCvc && e.cardCvc._mounted) out.cvc = e.cardCvc._frameId;
    return out;
  };
  Elements.prototype.submit = function () {
    var self = this;
    var el = this._paymentElement();
    if (!el || !el._mounted)
      return Promise.resolve({
        error: { type: 'validation_error', message: 'elements.submit(): there is no mounted Payment Element to submit.' },
      });
    var checks = [el._call('validate', el._type === 'cardNumber' ? { siblings: this._splitSiblings() } : {})];
    if (this._elements.address && this._elements.address._mounted) checks.push(this._elements.address._call('validate'));
    if (this._elements.linkAuthentication && this._elements.linkAuthentication._mounted)
      checks.push(this._elements.linkAuthentication._call('validate'));
    return Promise.all(checks).then(function (rs) {
      for (var i = 0; i < rs.length; i++) {
        if (rs[i] && rs[i].error) return { error: rs[i].error };
      }
      self._submitted = true;
      return { selectedPaymentMethod: 'card' };
    });
  };
  /** Ask the card frame to create a PaymentMethod (card data never leaves the emulator's origin). */
  Elements.prototype._createPaymentMethod = function (billingDetails, extra) {
    var self = this;
    var el = this._paymentElement();
    if (!el || !el._mounted)
      return Promise.resolve({ error: { type: 'validation_error', message: 'The Payment Element is not mounted.' } });
    // the other mounted elements of the group are validated with it, as Stripe.js does on confirm
    var others = ['address', 'linkAuthentication'].filter(function (t) {
      return self._elements[t] && self._elements[t]._mounted;
    });
    var checks = Promise.all(
      others.map(function (t) {
        return self._elements[t]._call('validate');
      }),
    );
    var addr = checks.then(function (rs) {
      for (var i = 0; i < rs.length; i++) if (rs[i] && rs[i].error) throw { error: rs[i].error };
      return self._elements.address && self._elements.address._mounted ? self._elements.address.getValue() : null;
    });
    return addr.then(
      function (a) {
        var bd = Object.assign({}, billingDetails || {});
        if (a && a.value && self._elements.address._options.mode !== 'shipping') {
          if (a.value.name && !bd.name) bd.name = a.value.name;
          if (a.value.address && !bd.address) bd.address = a.value.address;
          if (a.value.phone && !bd.phone) bd.phone = a.value.phone;
        }
        var email = self._linkEmail();
        if (email && !bd.email) bd.email = email;
        var args = { billing_details: bd, extra: extra || {} };
        if (el._type === 'cardNumber') args.siblings = self._splitSiblings();
        return el._call('createPaymentMethod', args);
      },
      function (r) {
        if (r && r.error) return { error: r.error };
        throw r;
      },
    );
  };

  // ---------------------------------------------------------------------------------------------
  // 3D Secure modal

  function openChallenge(stripe, intent) {
    return new Promise(function (resolve) {
      var overlay = document.createElement('div');
      overlay.setAttribute('data-stripe-emulator', '3ds');
      overlay.style.cssText =
        'position:fixed;inset:0;z-index:2147483647;background:rgba(0,0,0,.5);display:flex;align-items:center;justify-content:center;';
      var box = document.createElement('div');
      box.style.cssText =
        'width:min(500px,94vw);height:min(540px,92vh);background:#fff;border-radius:8px;overflow:hidden;box-shadow:0 12px 40px rgba(0,0,0,.35);';
      var iframe = document.createElement('iframe');
      iframe.name = '__privateStripeFrame3ds' + Math.floor(1000 + Math.random() * 9000);
      iframe.title = '3D Secure authentication';
      iframe.style.cssText = 'border:0;width:100%;height:100%;display:block;';
      iframe.src =
        BASE +
        '/3ds/' +
        encodeURIComponent(intent.id) +
        '?modal=1&client_secret=' +
        encodeURIComponent(intent.client_secret || '') +
        '&origin=' +
        encodeURIComponent(window.location.origin);
      box.appendChild(iframe);
      overlay.appendChild(box);
      document.body.appendChild(overlay);
      var prevOverflow = document.body.style.overflow;
      document.body.style.overflow = 'hidden';
      function onMsg(ev) {
        if (ev.origin !== ORIGIN || ev.source !== iframe.contentWindow) return;
        var d = ev.data;
        if (!isObject(d) || d.__stripeEmu3ds !== true) return;
        window.removeEventListener('message', onMsg);
        document.body.style.overflow = prevOverflow;
        if (overlay.parentNode) overlay.parentNode.removeChild(overlay);
        resolve(d.outcome);
      }
      window.addEventListener('message', onMsg);
    });
  }

  function needsAction(intent) {
    return intent && intent.status === 'requires_action' && intent.next_action;
  }

  function authFailure(kind, intent) {
    var err =
      intent && intent.last_payment_error ? intent.last_payment_error : intent && intent.last_setup_error ? intent.last_setup_error : null;
    // Stripe.js reports a failed challenge with its own customer-facing message
    var e = Object.assign({}, err || {}, {
      type: 'invalid_request_error',
      code: kind === 'payment_intent' ? 'payment_intent_authentication_failure' : 'setup_intent_authentication_failure',
      message: 'We are unable to authenticate your payment method. Please choose a different payment method and try again.',
    });
    e[kind] = intent;
    return e;
  }

  /** After confirm: run 3DS if needed, then turn the intent into { paymentIntent } / { setupIntent } / { error }. */
  function settle(stripe, kind, clientSecret, intent) {
    var info = secretInfo(clientSecret);
    var key = kind === 'payment_intent' ? 'paymentIntent' : 'setupIntent';
    var p = Promise.resolve(intent);
    if (needsAction(intent)) {
      p = openChallenge(stripe, intent).then(function () {
        return api(stripe._key, 'GET', info.path + info.id, { client_secret: clientSecret }, stripe._stripeAccount).then(function (r) {
          if (!r.ok) throw r;
          return r.body;
        });
      });
    }
    return p.then(
      function (it) {
        if (it.status === 'requires_payment_method' || it.status === 'requires_action' || it.status === 'canceled') {
          var lastErr = it.last_payment_error || it.last_setup_error;
          if (lastErr && lastErr.type === 'card_error') {
            var ce = Object.assign({}, lastErr);
            ce[kind] = it;
            return { error: ce };
          }
          return { error: authFailure(kind, it) };
        }
        var out = {};
        out[key] = it;
        return out;
      },
      function (r) {
        return { error: r.error || { type: 'api_error', message: 'Unknown error' } };
      },
    );
  }

  function redirectTo(returnUrl, kind, intent, clientSecret, status) {
    var u = new URL(returnUrl, window.location.href);
    u.searchParams.set(kind, intent.id);
    u.searchParams.set(kind + '_client_secret', clientSecret);
    u.searchParams.set('redirect_status', status);
    window.location.assign(u.toString());
    return new Promise(function () {});
  }

  // ---------------------------------------------------------------------------------------------
  // Stripe instance

  function StripeInstance(key, options) {
    if (typeof key !== 'string' || !key)
      throw IntegrationError(
        'Invalid value for Stripe(): apiKey should be a string. You specified: ' + (key === undefined ? 'undefined' : typeof key) + '.',
      );
    if (/^sk_/.test(key))
      throw IntegrationError('You should not use your secret key with Stripe.js.\nPlease pass a publishable key instead.');
    if (!/^pk_/.test(key))
      throw IntegrationError('Invalid value for Stripe(): apiKey should be a publishable key. You specified: ' + key + '.');
    options = options || {};
    this._key = key;
    this._stripeAccount = options.stripeAccount || null;
    this._locale = options.locale || 'auto';
    this._apiVersion = options.apiVersion || null;
    this._wrappers = [];
    this._appInfo = null;
    this._elementsGroups = [];
  }

  var proto = StripeInstance.prototype;

  proto.elements = function (options) {
    var e = new Elements(this, options);
    this._elementsGroups.push(e);
    return e;
  };

  proto._registerWrapper = function (w) {
    this._wrappers.push(w);
  };
  proto.registerAppInfo = function (info) {
    this._appInfo = info;
  };

  proto.createToken = function () {
    return Promise.resolve({
      error: {
        type: 'invalid_request_error',
        code: 'unsupported',
        message: 'createToken is not supported by the Stripe emulator; use createPaymentMethod or confirmPayment.',
      },
    });
  };
  proto.createSource = proto.createToken;

  /** createPaymentMethod({ elements, params }) | ({ type: 'card', card: element, billing_details }) */
  proto.createPaymentMethod = function (a, b, c) {
    var elements,
      billing = {},
      extra = {};
    if (typeof a === 'string') {
      elements = b && b._elements;
      billing = (c && c.billing_details) || {};
    } else if (a && a.elements) {
      elements = a.elements;
      if (!elements._submitted && !secretInfo(elements._options.clientSecret))
        return Promise.reject(
          IntegrationError(
            'elements.submit() must be called before stripe.createPaymentMethod(). Call elements.submit() as soon as your customer presses pay, prior to any asynchronous work.',
          ),
        );
      billing = (a.params && a.params.billing_details) || {};
      if (a.params && a.params.metadata) extra.metadata = a.params.metadata;
      if (a.params && a.params.allow_redisplay) extra.allow_redisplay = a.params.allow_redisplay;
    } else if (a && a.card) {
      elements = a.card._elements;
      billing = a.billing_details || {};
    }
    if (!elements)
      return Promise.reject(
        IntegrationError('Invalid value for createPaymentMethod: pass { elements } or { type: "card", card: cardElement }.'),
      );
    return elements._createPaymentMethod(billing, extra).then(function (r) {
      if (!r) return { error: { type: 'validation_error', message: 'The Payment Element is not ready.' } };
      return r.error ? { error: r.error } : { paymentMethod: r.paymentMethod };
    });
  };

  function confirmIntent(self, kind, args) {
    args = args || {};
    var elements = args.elements;
    var confirmParams = args.confirmParams || {};
    var redirect = args.redirect || 'always';
    var clientSecret = args.clientSecret || (elements && elements._options.clientSecret);
    var fn = kind === 'payment_intent' ? 'confirmPayment' : 'confirmSetup';
    if (redirect !== 'always' && redirect !== 'if_required')
      return Promise.reject(IntegrationError('Invalid value for ' + fn + '(): redirect should be one of always, if_required.'));
    if (!clientSecret)
      return Promise.reject(
        IntegrationError(
          'Invalid value for ' +
            fn +
            '(): clientSecret should be a client secret of the form ${id}_secret_${secret}. You specified: undefined.',
        ),
      );
    var info = secretInfo(clientSecret);
    if (!info || info.kind !== kind)
      return Promise.reject(
        IntegrationError(
          'Invalid value for ' +
            fn +
            '(): clientSecret should be a ' +
            (kind === 'payment_intent' ? 'PaymentIntent' : 'SetupIntent') +
            ' client secret. You specified: ' +
            clientSecret +
            '.',
        ),
      );
    if (redirect === 'always' && !confirmParams.return_url)
      return Promise.reject(
        IntegrationError(
          'stripe.' + fn + "(): the `confirmParams.return_url` argument is required unless passing `redirect: 'if_required'`",
        ),
      );
    if (elements && !secretInfo(elements._options.clientSecret) && !elements._submitted)
      return Promise.reject(
        IntegrationError(
          'elements.submit() must be called before stripe.' +
            fn +
            '(). Call elements.submit() as soon as your customer presses pay, prior to any asynchronous work.',
        ),
      );
    var pmPromise;
    if (confirmParams.payment_method) pmPromise = Promise.resolve({ id: confirmParams.payment_method });
    else if (elements) {
      var pmd = confirmParams.payment_method_data || {};
      pmPromise = elements
        ._createPaymentMethod(pmd.billing_details || {}, pmd.metadata ? { metadata: pmd.metadata } : {})
        .then(function (r) {
          if (!r) throw { error: { type: 'validation_error', message: 'The Payment Element is not ready.' } };
          if (r.error) throw r;
          return r.paymentMethod;
        });
    } else return Promise.reject(IntegrationError('Invalid value for ' + fn + '(): elements or confirmParams.payment_method is required.'));

    return pmPromise
      .then(function (pm) {
        var body = { client_secret: clientSecret, payment_method: pm.id };
        if (confirmParams.return_url) body.return_url = confirmParams.return_url;
        if (confirmParams.setup_future_usage !== undefined) body.setup_future_usage = confirmParams.setup_future_usage;
        if (confirmParams.receipt_email !== undefined) body.receipt_email = confirmParams.receipt_email;
        if (confirmParams.shipping !== undefined) body.shipping = confirmParams.shipping;
        return api(self._key, 'POST', info.path + info.id + '/confirm', body, self._stripeAccount);
      })
      .then(function (r) {
        if (!r.ok) return { error: r.error };
        return settle(self, kind, clientSecret, r.body);
      })
      .then(
        function (res) {
          var it = res.paymentIntent || res.setupIntent;
          if (it && redirect === 'always') return redirectTo(confirmParams.return_url, kind, it, clientSecret, 'succeeded');
          return res;
        },
        function (r) {
          if (r && r.error) return { error: r.error };
          throw r;
        },
      );
  }

  proto.confirmPayment = function (args) {
    return confirmIntent(this, 'payment_intent', args);
  };
  proto.confirmSetup = function (args) {
    return confirmIntent(this, 'setup_intent', args);
  };

  function retrieve(self, kind, clientSecret) {
    var info = secretInfo(clientSecret);
    var key = kind === 'payment_intent' ? 'paymentIntent' : 'setupIntent';
    if (!info || info.kind !== kind)
      return Promise.reject(
        IntegrationError(
          'Invalid value for retrieve' +
            (kind === 'payment_intent' ? 'PaymentIntent' : 'SetupIntent') +
            ': clientSecret should be a client secret.',
        ),
      );
    return api(self._key, 'GET', info.path + info.id, { client_secret: clientSecret }, self._stripeAccount).then(function (r) {
      if (!r.ok) return { error: r.error };
      var out = {};
      out[key] = r.body;
      return out;
    });
  }
  proto.retrievePaymentIntent = function (cs) {
    return retrieve(this, 'payment_intent', cs);
  };
  proto.retrieveSetupIntent = function (cs) {
    return retrieve(this, 'setup_intent', cs);
  };

  proto.handleNextAction = function (args) {
    var self = this;
    var cs = args && args.clientSecret;
    var info = secretInfo(cs);
    if (!info) return Promise.reject(IntegrationError('Invalid value for handleNextAction: clientSecret should be a client secret.'));
    return api(self._key, 'GET', info.path + info.id, { client_secret: cs }, self._stripeAccount).then(function (r) {
      if (!r.ok) return { error: r.error };
      if (!needsAction(r.body)) {
        var out = {};
        out[info.kind === 'payment_intent' ? 'paymentIntent' : 'setupIntent'] = r.body;
        return out;
      }
      return settle(self, info.kind, cs, r.body);
    });
  };
  proto.handleCardAction = function (cs) {
    return this.handleNextAction({ clientSecret: cs });
  };
  proto.handleCardSetup = function (cs) {
    return this.handleNextAction({ clientSecret: cs });
  };

  function confirmCard(self, kind, clientSecret, data, options) {
    var info = secretInfo(clientSecret);
    var key = kind === 'payment_intent' ? 'paymentIntent' : 'setupIntent';
    if (!info || info.kind !== kind) return Promise.reject(IntegrationError('Invalid value for clientSecret: ' + clientSecret));
    data = data || {};
    var handleActions = !options || options.handleActions !== false;
    var pmPromise;
    var pm = data.payment_method;
    if (typeof pm === 'string') pmPromise = Promise.resolve({ paymentMethod: { id: pm } });
    else if (pm && pm.card) pmPromise = self.createPaymentMethod({ type: 'card', card: pm.card, billing_details: pm.billing_details });
    else pmPromise = Promise.resolve(null);
    return pmPromise.then(function (r) {
      if (r && r.error) return { error: r.error };
      var body = { client_secret: clientSecret };
      if (r) body.payment_method = r.paymentMethod.id;
      if (data.return_url) body.return_url = data.return_url;
      if (data.setup_future_usage) body.setup_future_usage = data.setup_future_usage;
      return api(self._key, 'POST', info.path + info.id + '/confirm', body, self._stripeAccount).then(function (res) {
        if (!res.ok) return { error: res.error };
        if (!handleActions && needsAction(res.body)) {
          var out = {};
          out[key] = res.body;
          return out;
        }
        return settle(self, kind, clientSecret, res.body);
      });
    });
  }
  proto.confirmCardPayment = function (cs, data, options) {
    return confirmCard(this, 'payment_intent', cs, data, options);
  };
  proto.confirmCardSetup = function (cs, data, options) {
    return confirmCard(this, 'setup_intent', cs, data, options);
  };
  /** Legacy Checkout redirect (older samples): the hosted Checkout page of the session. */
  proto.redirectToCheckout = function (opts) {
    var id = opts && opts.sessionId;
    if (typeof id !== 'string' || !/^cs_/.test(id))
      return Promise.reject(IntegrationError('Invalid value for redirectToCheckout: sessionId should be a Checkout Session id (cs_…).'));
    window.location.assign(BASE + '/checkout/' + encodeURIComponent(id));
    return new Promise(function () {});
  };

  // Payment methods that need a bank, wallet or redirect the emulator does not have: an error result, never a throw.
  [
    'confirmSepaDebitPayment',
    'confirmSepaDebitSetup',
    'confirmAuBecsDebitPayment',
    'confirmAuBecsDebitSetup',
    'confirmIdealPayment',
    'confirmIdealSetup',
    'confirmFpxPayment',
    'confirmEpsPayment',
    'confirmP24Payment',
    'confirmBancontactPayment',
    'confirmGiropayPayment',
    'confirmSofortPayment',
    'confirmAlipayPayment',
    'confirmWechatPayPayment',
    'confirmKlarnaPayment',
    'confirmAffirmPayment',
    'confirmAfterpayClearpayPayment',
    'confirmCashappPayment',
    'confirmPayPalPayment',
    'confirmOxxoPayment',
    'confirmBoletoPayment',
    'confirmKonbiniPayment',
    'confirmPayNowPayment',
    'confirmPromptPayPayment',
    'confirmGrabPayPayment',
    'confirmAcssDebitPayment',
    'confirmAcssDebitSetup',
    'confirmUsBankAccountPayment',
    'confirmUsBankAccountSetup',
    'collectBankAccountForPayment',
    'collectBankAccountForSetup',
    'verifyMicrodepositsForPayment',
    'verifyMicrodepositsForSetup',
  ].forEach(function (name) {
    proto[name] = function () {
      return Promise.resolve({
        error: {
          type: 'invalid_request_error',
          code: 'payment_method_unavailable',
          message: 'stripe.' + name + '() is not available offline (Stripe emulator): only cards are emulated.',
        },
      });
    };
  });

  proto.paymentRequest = function () {
    var em = new Emitter();
    em.canMakePayment = function () {
      return Promise.resolve(null);
    };
    em.show = function () {};
    em.update = function () {};
    em.isShowing = function () {
      return false;
    };
    return em;
  };

  function Stripe(key, options) {
    if (!(this instanceof Stripe)) return new Stripe(key, options);
    StripeInstance.call(this, key, options);
  }
  Stripe.prototype = proto;
  Stripe.version = RELEASE;
  Stripe.__emulator = { base: BASE, apiVersion: API_VERSION };
  Stripe.setLoadParameters = function () {};
  window.Stripe = Stripe;
})();
