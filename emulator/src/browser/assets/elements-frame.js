// One file on purpose: served as-is into the card iframe (no build step), see docs/emulator.md.
/*
 * Stripe emulator: the card / address form rendered inside the element iframe (/js/elements-frame).
 * Talks to the merchant page only by postMessage and to the emulator API (same origin) with the
 * publishable key. Card numbers never leave this frame except to POST /v1/payment_methods.
 */
(function () {
  'use strict';
  var init;
  try {
    init = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  } catch {
    document.body.textContent = 'Invalid element configuration.';
    return;
  }
  var BASE = location.origin + location.pathname.replace(/\/js\/elements-frame$/, '');
  var parentOrigin = init.parentOrigin;
  var frameId = init.frameId;
  var type = init.type;
  var options = init.options || {};
  var root = document.getElementById('root');

  function post(event, payload) {
    window.parent.postMessage({ __stripeEmu: true, frameId: frameId, event: event, payload: payload || {} }, parentOrigin);
  }

  // ------------------------------------------------------------------------------------------
  // Appearance

  var THEMES = {
    stripe: {},
    night: {
      colorBackground: '#30313d',
      colorText: '#ffffff',
      colorTextSecondary: '#a3a3ad',
      colorTextPlaceholder: '#8a8b94',
      colorBorder: '#424353',
      colorPrimary: '#0085ff',
      colorIcon: '#a3a3ad',
    },
    flat: { colorBackground: '#f6f8fa', colorBorder: '#f6f8fa' },
  };
  var VARS = [
    'colorPrimary',
    'colorBackground',
    'colorText',
    'colorTextSecondary',
    'colorTextPlaceholder',
    'colorDanger',
    'colorIcon',
    'fontFamily',
    'spacingUnit',
    'borderRadius',
    'fontSizeBase',
  ];
  function px(v) {
    return typeof v === 'number' ? v + 'px' : v;
  }
  function hexToRgba(hex, a) {
    var m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(hex || '').trim());
    if (!m) return null;
    var h = m[1].length === 3 ? m[1].replace(/(.)/g, '$1$1') : m[1];
    return 'rgba(' + parseInt(h.slice(0, 2), 16) + ', ' + parseInt(h.slice(2, 4), 16) + ', ' + parseInt(h.slice(4, 6), 16) + ', ' + a + ')';
  }
  function applyAppearance(appearance) {
    appearance = appearance || {};
    var s = document.documentElement.style;
    var theme = THEMES[appearance.theme] || {};
    var vars = Object.assign({}, theme, appearance.variables || {});
    VARS.concat(['colorBorder']).forEach(function (k) {
      if (vars[k] !== undefined && vars[k] !== null && vars[k] !== '') s.setProperty('--' + k, px(vars[k]));
      else s.removeProperty('--' + k);
    });
    if (vars.fontSizeBase) {
      var n = parseFloat(px(vars.fontSizeBase));
      if (n) s.setProperty('--labelSize', n * 0.93 + 'px');
    }
    var ring = vars.colorPrimary && hexToRgba(vars.colorPrimary, 0.25);
    if (ring) s.setProperty('--focusRing', ring);
    else s.removeProperty('--focusRing');
    document.body.style.colorScheme = appearance.theme === 'night' ? 'dark' : 'light';
    // a few `rules` selectors as Stripe names them
    var rules = appearance.rules || {};
    var css = '';
    var map = {
      '.Input': 'input, select',
      '.Input:focus': 'input:focus, select:focus',
      '.Label': 'label',
      '.Error': '.error',
      '.Input--invalid': '.invalid input',
    };
    Object.keys(rules).forEach(function (sel) {
      if (!map[sel]) return;
      var decl = rules[sel];
      css +=
        map[sel] +
        '{' +
        Object.keys(decl)
          .map(function (k) {
            return (
              k.replace(/[A-Z]/g, function (c) {
                return '-' + c.toLowerCase();
              }) +
              ':' +
              decl[k]
            );
          })
          .join(';') +
        '}';
    });
    var tag =
      document.getElementById('rules') || document.head.appendChild(Object.assign(document.createElement('style'), { id: 'rules' }));
    tag.textContent = css;
  }
  applyAppearance(init.appearance);

  // ------------------------------------------------------------------------------------------
  // Cards

  var BRANDS = [
    { brand: 'amex', re: /^3[47]/, lengths: [15], gaps: [4, 10], cvc: 4 },
    { brand: 'diners', re: /^3(0[0-5]|[689])/, lengths: [14, 16], gaps: [4, 10], cvc: 3 },
    { brand: 'discover', re: /^(6011|65|64[4-9]|622)/, lengths: [16, 19], gaps: [4, 8, 12], cvc: 3 },
    { brand: 'jcb', re: /^35/, lengths: [16], gaps: [4, 8, 12], cvc: 3 },
    { brand: 'unionpay', re: /^62/, lengths: [16, 19], gaps: [4, 8, 12], cvc: 3 },
    { brand: 'mastercard', re: /^(5[1-5]|2[2-7])/, lengths: [16], gaps: [4, 8, 12], cvc: 3 },
    { brand: 'visa', re: /^4/, lengths: [16, 19], gaps: [4, 8, 12], cvc: 3 },
  ];
  var UNKNOWN = { brand: 'unknown', lengths: [16], gaps: [4, 8, 12], cvc: 3 };
  function brandOf(digits) {
    for (var i = 0; i < BRANDS.length; i++) if (BRANDS[i].re.test(digits)) return BRANDS[i];
    return UNKNOWN;
  }
  function luhn(num) {
    var sum = 0,
      dbl = false;
    for (var i = num.length - 1; i >= 0; i--) {
      var d = num.charCodeAt(i) - 48;
      if (dbl) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
      dbl = !dbl;
    }
    return sum % 10 === 0;
  }
  function formatNumber(digits) {
    var b = brandOf(digits);
    var out = '';
    for (var i = 0; i < digits.length; i++) {
      if (b.gaps.indexOf(i) >= 0) out += ' ';
      out += digits[i];
    }
    return out;
  }

  var ICONS = {
    visa: '<svg viewBox="0 0 28 19" aria-hidden="true"><rect width="28" height="19" rx="3" fill="#1434cb"/><text x="14" y="13" text-anchor="middle" font-family="Arial,sans-serif" font-weight="700" font-style="italic" font-size="8" fill="#fff">VISA</text></svg>',
    mastercard:
      '<svg viewBox="0 0 28 19" aria-hidden="true"><rect width="28" height="19" rx="3" fill="#252525"/><circle cx="11" cy="9.5" r="5.5" fill="#eb001b"/><circle cx="17" cy="9.5" r="5.5" fill="#f79e1b" fill-opacity=".9"/></svg>',
    amex: '<svg viewBox="0 0 28 19" aria-hidden="true"><rect width="28" height="19" rx="3" fill="#2e77bc"/><text x="14" y="12.5" text-anchor="middle" font-family="Arial,sans-serif" font-weight="700" font-size="6.5" fill="#fff">AMEX</text></svg>',
    discover:
      '<svg viewBox="0 0 28 19" aria-hidden="true"><rect width="28" height="19" rx="3" fill="#fff" stroke="#d9d9d9"/><circle cx="16" cy="9.5" r="3.2" fill="#f48120"/><text x="9" y="11.5" text-anchor="middle" font-family="Arial,sans-serif" font-weight="700" font-size="4.6" fill="#222">DISC</text></svg>',
    diners:
      '<svg viewBox="0 0 28 19" aria-hidden="true"><rect width="28" height="19" rx="3" fill="#0079be"/><circle cx="14" cy="9.5" r="5" fill="#fff"/></svg>',
    jcb: '<svg viewBox="0 0 28 19" aria-hidden="true"><rect width="28" height="19" rx="3" fill="#0b7a3e"/><text x="14" y="12.5" text-anchor="middle" font-family="Arial,sans-serif" font-weight="700" font-size="7" fill="#fff">JCB</text></svg>',
    unionpay:
      '<svg viewBox="0 0 28 19" aria-hidden="true"><rect width="28" height="19" rx="3" fill="#d10429"/><text x="14" y="12.5" text-anchor="middle" font-family="Arial,sans-serif" font-weight="700" font-size="6" fill="#fff">UP</text></svg>',
    cvc: '<svg viewBox="0 0 28 19" aria-hidden="true"><rect x=".5" y=".5" width="27" height="18" rx="3" fill="none" stroke="currentColor" opacity=".6"/><rect x="0" y="4" width="28" height="3.5" fill="currentColor" opacity=".45"/><rect x="15" y="10.5" width="9" height="4" rx="1" fill="none" stroke="currentColor"/></svg>',
    card: '<svg viewBox="0 0 20 16" aria-hidden="true"><rect x="1" y="1.5" width="18" height="13" rx="2" fill="none" stroke="currentColor" stroke-width="1.5"/><rect x="1" y="4.5" width="18" height="2.5" fill="currentColor"/></svg>',
  };

  // Countries (ISO code, English name). Postal code fields: US "ZIP", CA/GB "Postal code".
  var COUNTRIES = [
    ['AR', 'Argentina'],
    ['AU', 'Australia'],
    ['AT', 'Austria'],
    ['BE', 'Belgium'],
    ['BR', 'Brazil'],
    ['BG', 'Bulgaria'],
    ['CA', 'Canada'],
    ['CL', 'Chile'],
    ['CN', 'China'],
    ['CO', 'Colombia'],
    ['HR', 'Croatia'],
    ['CY', 'Cyprus'],
    ['CZ', 'Czech Republic'],
    ['DK', 'Denmark'],
    ['EE', 'Estonia'],
    ['FI', 'Finland'],
    ['FR', 'France'],
    ['DE', 'Germany'],
    ['GR', 'Greece'],
    ['HK', 'Hong Kong'],
    ['HU', 'Hungary'],
    ['IS', 'Iceland'],
    ['IN', 'India'],
    ['ID', 'Indonesia'],
    ['IE', 'Ireland'],
    ['IL', 'Israel'],
    ['IT', 'Italy'],
    ['JP', 'Japan'],
    ['LV', 'Latvia'],
    ['LT', 'Lithuania'],
    ['LU', 'Luxembourg'],
    ['MY', 'Malaysia'],
    ['MT', 'Malta'],
    ['MX', 'Mexico'],
    ['NL', 'Netherlands'],
    ['NZ', 'New Zealand'],
    ['NO', 'Norway'],
    ['PE', 'Peru'],
    ['PH', 'Philippines'],
    ['PL', 'Poland'],
    ['PT', 'Portugal'],
    ['RO', 'Romania'],
    ['SA', 'Saudi Arabia'],
    ['SG', 'Singapore'],
    ['SK', 'Slovakia'],
    ['SI', 'Slovenia'],
    ['ZA', 'South Africa'],
    ['KR', 'South Korea'],
    ['ES', 'Spain'],
    ['SE', 'Sweden'],
    ['CH', 'Switzerland'],
    ['TW', 'Taiwan'],
    ['TH', 'Thailand'],
    ['TR', 'Turkey'],
    ['AE', 'United Arab Emirates'],
    ['GB', 'United Kingdom'],
    ['US', 'United States'],
    ['UY', 'Uruguay'],
    ['VN', 'Vietnam'],
  ];
  var POSTAL = {
    US: { label: 'ZIP', re: /^\d{5}(-?\d{4})?$/, word: 'ZIP' },
    CA: { label: 'Postal code', re: /^[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d$/, word: 'postal code' },
    GB: { label: 'Postal code', re: /^[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}$/, word: 'postal code' },
  };
  function defaultCountry() {
    var dv = options.defaultValues && options.defaultValues.billingDetails && options.defaultValues.billingDetails.address;
    if (dv && dv.country) return dv.country;
    var langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en-US'];
    for (var i = 0; i < langs.length; i++) {
      var m = /-([A-Z]{2})$/i.exec(langs[i]);
      if (
        m &&
        COUNTRIES.some(function (c) {
          return c[0] === m[1].toUpperCase();
        })
      )
        return m[1].toUpperCase();
    }
    return 'US';
  }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c];
    });
  }

  // ------------------------------------------------------------------------------------------
  // Card form (payment + card element)

  var fields = {};
  var touched = {};
  var shown = {};
  var disabled = false;
  /** After a submit attempt every field reports incomplete values too (as Stripe does). */
  var submitted = false;
  var country = defaultCountry();
  /** The split card elements (cardNumber, cardExpiry, cardCvc): one field per frame. */
  var SPLIT = { cardNumber: 'number', cardExpiry: 'expiry', cardCvc: 'cvc' };
  var own = SPLIT[type] || null;
  /** While the card number frame gathers its siblings' values to create the PaymentMethod. */
  var collecting = false;
  var hideZip = options.hidePostalCode === true || !!own;
  var fieldsOpt = options.fields && options.fields.billingDetails;
  if (
    fieldsOpt === 'never' ||
    (fieldsOpt && fieldsOpt.address === 'never') ||
    (fieldsOpt && fieldsOpt.address && fieldsOpt.address.country === 'never')
  )
    hideZip = true;

  function renderCard() {
    var compact = type === 'card' || !!own;
    var opts = COUNTRIES.map(function (c) {
      return '<option value="' + c[0] + '"' + (c[0] === country ? ' selected' : '') + '>' + esc(c[1]) + '</option>';
    }).join('');
    var brandIcons = ['visa', 'mastercard', 'amex', 'discover']
      .map(function (b) {
        return '<span data-brand="' + b + '">' + ICONS[b] + '</span>';
      })
      .join('');
    if (compact) {
      var hid = function (k) {
        return own && own !== k ? ' hidden' : '';
      };
      root.innerHTML =
        '<div class="compact' +
        (own ? ' split' : '') +
        '" id="box">' +
        (own && own !== 'number' ? '' : '<span style="color:var(--colorIcon);display:flex" id="cardicon">' + ICONS.card + '</span>') +
        '<input class="n" id="number" aria-label="Card number" placeholder="' +
        (own ? '1234 1234 1234 1234' : 'Card number') +
        '" inputmode="numeric" autocomplete="cc-number" autocorrect="off" spellcheck="false"' +
        hid('number') +
        '>' +
        '<input class="e" id="expiry" aria-label="Expiration date" placeholder="MM / YY" inputmode="numeric" autocomplete="cc-exp"' +
        hid('expiry') +
        '>' +
        '<input class="c" id="cvc" aria-label="Security code" placeholder="CVC" inputmode="numeric" autocomplete="cc-csc"' +
        hid('cvc') +
        '>' +
        (hideZip ? '' : '<input class="z" id="postal" aria-label="ZIP" placeholder="ZIP" autocomplete="postal-code">') +
        '</div><div class="error" id="err-all" role="alert"></div>';
    } else {
      root.innerHTML =
        '<form id="form" novalidate autocomplete="on"><div class="grid">' +
        '<div class="field full" id="f-number"><label for="number">Card number</label><div class="inputwrap">' +
        '<input id="number" placeholder="1234 1234 1234 1234" inputmode="numeric" autocomplete="cc-number" autocorrect="off" spellcheck="false" aria-describedby="err-number" aria-invalid="false">' +
        '<span class="icons" id="brands">' +
        brandIcons +
        '</span></div><div class="error" id="err-number" role="alert"></div></div>' +
        '<div class="field" id="f-expiry"><label for="expiry">Expiration date</label><div class="inputwrap"><input id="expiry" placeholder="MM / YY" inputmode="numeric" autocomplete="cc-exp" aria-describedby="err-expiry" aria-invalid="false"></div><div class="error" id="err-expiry" role="alert"></div></div>' +
        '<div class="field" id="f-cvc"><label for="cvc">Security code</label><div class="inputwrap"><input id="cvc" placeholder="CVC" inputmode="numeric" autocomplete="cc-csc" aria-describedby="err-cvc" aria-invalid="false"><span class="icons" style="color:var(--colorIcon)">' +
        ICONS.cvc +
        '</span></div><div class="error" id="err-cvc" role="alert"></div></div>' +
        (hideZip
          ? ''
          : '<div class="field" id="f-country"><label for="country">Country</label><select id="country" autocomplete="country">' +
            opts +
            '</select></div>' +
            '<div class="field" id="f-postal"><label for="postal" id="postal-label">ZIP</label><div class="inputwrap"><input id="postal" placeholder="12345" autocomplete="postal-code" aria-describedby="err-postal" aria-invalid="false"></div><div class="error" id="err-postal" role="alert"></div></div>') +
        '</div><button type="submit" hidden tabindex="-1" aria-hidden="true"></button></form>';
    }
    ['number', 'expiry', 'cvc', 'postal', 'country'].forEach(function (k) {
      fields[k] = document.getElementById(k);
    });
    wireCard();
    updateCountry();
    if (options.readOnly || options.disabled) setDisabled(true);
  }

  function updateCountry() {
    if (type === 'card' || own) return;
    var cfg = POSTAL[country];
    var wrap = document.getElementById('f-postal');
    if (!wrap) return;
    var countryWrap = document.getElementById('f-country');
    if (cfg) {
      wrap.style.display = '';
      countryWrap.classList.remove('full');
      document.getElementById('postal-label').textContent = cfg.label;
      fields.postal.placeholder = country === 'US' ? '12345' : country === 'CA' ? 'A1B 2C3' : 'WS11 1DB';
      fields.postal.setAttribute('inputmode', country === 'US' ? 'numeric' : 'text');
    } else {
      wrap.style.display = 'none';
      countryWrap.classList.add('full');
      fields.postal.value = '';
      touched.postal = false;
    }
  }

  function digitsOf(v) {
    return String(v || '').replace(/\D/g, '');
  }

  function parseExpiry() {
    var d = digitsOf(fields.expiry.value);
    if (d.length < 4) return null;
    return { month: parseInt(d.slice(0, 2), 10), year: 2000 + parseInt(d.slice(2, 4), 10) };
  }

  /** Errors of the fields this frame shows (a split card frame: its one field, unless gathering all three). */
  function errorsFor(strict) {
    var errs = allErrorsFor(strict);
    if (!own || collecting) return errs;
    var mine = {};
    if (errs[own]) mine[own] = errs[own];
    return mine;
  }

  /** Current error per field (null = fine), in Stripe's words. `strict` = also report empty/incomplete. */
  function allErrorsFor(strict) {
    var errs = {};
    var num = digitsOf(fields.number.value);
    var b = brandOf(num);
    var maxLen = Math.max.apply(null, b.lengths);
    if (!num) {
      if (strict) errs.number = { code: 'incomplete_number', message: 'Your card number is incomplete.' };
    } else if (b.lengths.indexOf(num.length) >= 0) {
      if (!luhn(num)) errs.number = { code: 'invalid_number', message: 'Your card number is invalid.' };
    } else if (num.length >= maxLen) {
      errs.number = { code: 'invalid_number', message: 'Your card number is invalid.' };
    } else if (strict || touched.number) {
      errs.number = { code: 'incomplete_number', message: 'Your card number is incomplete.' };
    }

    var ed = digitsOf(fields.expiry.value);
    if (ed.length < 4) {
      if ((ed && touched.expiry) || strict)
        errs.expiry = { code: 'incomplete_expiry', message: "Your card's expiration date is incomplete." };
    } else {
      var exp = parseExpiry();
      var now = new Date();
      if (exp.month < 1 || exp.month > 12)
        errs.expiry = { code: 'invalid_expiry_month', message: "Your card's expiration date is invalid." };
      else if (exp.year < now.getFullYear() || (exp.year === now.getFullYear() && exp.month < now.getMonth() + 1))
        errs.expiry = { code: 'invalid_expiry_year_past', message: "Your card's expiration date is in the past." };
      else if (exp.year > now.getFullYear() + 50)
        errs.expiry = { code: 'invalid_expiry_year', message: "Your card's expiration year is invalid." };
    }

    var cvc = digitsOf(fields.cvc.value);
    // a lone CVC frame does not know the brand: 3 or 4 digits
    var cvcLen = own === 'cvc' && !num ? 3 : b.cvc;
    if (cvc.length < cvcLen && (strict || (cvc && touched.cvc)))
      errs.cvc = { code: 'incomplete_cvc', message: "Your card's security code is incomplete." };

    var postalCfg = type === 'card' ? (hideZip ? null : POSTAL.US) : hideZip ? null : POSTAL[country];
    if (postalCfg && fields.postal) {
      var z = fields.postal.value.trim();
      if (!z) {
        if (strict) errs.postal = { code: 'incomplete_zip', message: 'Your ' + postalCfg.word + ' is incomplete.' };
      } else if (!postalCfg.re.test(z) && (strict || touched.postal)) {
        var incomplete = country === 'US' ? digitsOf(z).length < 5 : z.replace(/\s/g, '').length < 5;
        errs.postal = incomplete
          ? { code: 'incomplete_zip', message: 'Your ' + postalCfg.word + ' is incomplete.' }
          : { code: 'invalid_zip', message: 'Your ' + postalCfg.word + ' is invalid.' };
      }
    }
    return errs;
  }

  function showErrors(errs) {
    var keys = ['number', 'expiry', 'cvc', 'postal'];
    var first = null;
    keys.forEach(function (k) {
      var e = errs[k];
      if (e && !first) first = e;
      shown[k] = e || null;
      if (type === 'card' || own) return;
      var box = document.getElementById('err-' + k);
      var wrap = document.getElementById('f-' + k);
      if (!box || !wrap) return;
      box.textContent = e ? e.message : '';
      wrap.classList.toggle('invalid', !!e);
      fields[k].setAttribute('aria-invalid', e ? 'true' : 'false');
    });
    if (type === 'card' || own) {
      document.getElementById('err-all').textContent = first ? first.message : '';
      document.getElementById('box').classList.toggle('invalid', !!first);
    }
    return first;
  }

  function isEmpty() {
    if (own) return !fields[own].value;
    return !fields.number.value && !fields.expiry.value && !fields.cvc.value && !(fields.postal && fields.postal.value);
  }

  var lastChange = '';
  function emitChange() {
    var visible = showErrors(errorsFor(submitted));
    var complete = Object.keys(errorsFor(true)).length === 0;
    var num = digitsOf(fields.number.value);
    var payload = { complete: complete, empty: isEmpty() };
    if (type === 'payment') payload.collapsed = false;
    if (type === 'payment') payload.value = { type: 'card' };
    else if (type === 'card') payload.value = { postalCode: fields.postal ? fields.postal.value : '' };
    if (!own || own === 'number') payload.brand = num ? brandOf(num).brand : 'unknown';
    if (visible) payload.error = { type: 'validation_error', code: visible.code, message: visible.message };
    var key = JSON.stringify(payload);
    if (key === lastChange) return;
    lastChange = key;
    post('change', payload);
  }

  function showBrand() {
    var num = digitsOf(fields.number.value);
    var b = num ? brandOf(num).brand : 'unknown';
    var icons = document.querySelectorAll('#brands [data-brand]');
    for (var i = 0; i < icons.length; i++) {
      var ib = icons[i].getAttribute('data-brand');
      icons[i].classList.toggle('hidden', b !== 'unknown' && ib !== b);
    }
    var ci = document.getElementById('cardicon');
    if (ci && (type === 'card' || own)) {
      ci.innerHTML = ICONS[b] ? '<span class="icons" style="position:static">' + ICONS[b] + '</span>' : ICONS.card;
    }
    fields.cvc.maxLength = own === 'cvc' ? 4 : brandOf(num).cvc;
  }

  function wireCard() {
    var f = fields;
    f.number.addEventListener('input', function () {
      var num = digitsOf(f.number.value);
      var b = brandOf(num);
      num = num.slice(0, Math.max.apply(null, b.lengths));
      var pos = f.number.selectionStart;
      var atEnd = pos === f.number.value.length;
      f.number.value = formatNumber(num);
      if (atEnd) f.number.setSelectionRange(f.number.value.length, f.number.value.length);
      showBrand();
      emitChange();
      if (b.lengths.indexOf(num.length) >= 0 && num.length === Math.max.apply(null, b.lengths) && luhn(num) && !own) f.expiry.focus();
    });
    f.expiry.addEventListener('input', function (ev) {
      var d = digitsOf(f.expiry.value);
      if (d.length === 1 && d > '1') d = '0' + d;
      d = d.slice(0, 4);
      var deleting = ev.inputType && ev.inputType.indexOf('delete') === 0;
      f.expiry.value = d.length > 2 || (d.length === 2 && !deleting) ? d.slice(0, 2) + ' / ' + d.slice(2) : d;
      emitChange();
      if (d.length === 4 && !errorsFor(false).expiry && !own) f.cvc.focus();
    });
    f.cvc.addEventListener('input', function () {
      var b = brandOf(digitsOf(f.number.value));
      f.cvc.value = digitsOf(f.cvc.value).slice(0, own === 'cvc' ? 4 : b.cvc);
      emitChange();
    });
    if (f.postal) {
      f.postal.addEventListener('input', function () {
        if ((type === 'card' || country === 'US') && /[^\d-]/.test(f.postal.value))
          f.postal.value = f.postal.value.replace(/[^\d-]/g, '').slice(0, 10);
        emitChange();
      });
    }
    if (f.country) {
      f.country.addEventListener('change', function () {
        country = f.country.value;
        updateCountry();
        emitChange();
        reportHeight();
      });
    }
    ['number', 'expiry', 'cvc', 'postal', 'country'].forEach(function (k) {
      var el = f[k];
      if (!el) return;
      el.addEventListener('focus', onFocusIn);
      el.addEventListener('blur', function () {
        if (el.value) touched[k] = true;
        emitChange();
        onFocusOut();
      });
      el.addEventListener('keydown', function (ev) {
        if (ev.key === 'Escape') post('escape');
      });
    });
    var form = document.getElementById('form');
    if (form)
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
      });
  }

  var focusTimer = null;
  var hasFocus = false;
  function onFocusIn() {
    if (focusTimer) clearTimeout(focusTimer);
    focusTimer = null;
    if (type === 'card' || own) document.getElementById('box').classList.add('focus');
    if (!hasFocus) {
      hasFocus = true;
      post('focus');
    }
  }
  function onFocusOut() {
    focusTimer = setTimeout(function () {
      if (document.activeElement && document.activeElement !== document.body) return;
      if (type === 'card' || own) document.getElementById('box').classList.remove('focus');
      if (hasFocus) {
        hasFocus = false;
        post('blur');
      }
    }, 0);
  }

  function setDisabled(v) {
    disabled = !!v;
    Object.keys(fields).forEach(function (k) {
      if (fields[k]) fields[k].disabled = disabled;
    });
  }

  function validateCard() {
    Object.keys(fields).forEach(function (k) {
      if (fields[k] && fields[k].value) touched[k] = true;
    });
    submitted = true;
    var errs = errorsFor(true);
    var first = showErrors(errs);
    emitChange();
    reportHeight();
    if (first) {
      var order = ['number', 'expiry', 'cvc', 'postal'];
      for (var i = 0; i < order.length; i++) {
        if (errs[order[i]] && (!own || own === order[i])) {
          fields[order[i]].focus();
          break;
        }
      }
      return { error: { type: 'validation_error', code: first.code, message: first.message } };
    }
    return {};
  }

  function apiPost(path, params) {
    var body = new URLSearchParams();
    (function add(prefix, v) {
      if (v === undefined) return;
      if (v === null) body.append(prefix, '');
      else if (typeof v === 'object')
        Object.keys(v).forEach(function (k) {
          add(prefix ? prefix + '[' + k + ']' : k, v[k]);
        });
      else body.append(prefix, String(v));
    })('', params);
    var headers = { Authorization: 'Bearer ' + init.key, 'Content-Type': 'application/x-www-form-urlencoded' };
    if (init.stripeAccount) headers['Stripe-Account'] = init.stripeAccount;
    return fetch(BASE + path + '?suppress_response_codes=true', { method: 'POST', headers: headers, body: body.toString() }).then(
      function (res) {
        return res.json().then(function (j) {
          return res.ok && !j.error
            ? { ok: true, body: j }
            : { ok: false, error: j.error || { type: 'api_error', message: 'Request failed.' } };
        });
      },
      function () {
        return { ok: false, error: { type: 'api_connection_error', message: 'Could not connect to the Stripe emulator.' } };
      },
    );
  }

  /** A sibling split-card frame of the same merchant page (same origin as this frame), by its frame id. */
  function siblingFrame(id) {
    var frames = window.parent.frames;
    for (var i = 0; i < frames.length; i++) {
      try {
        if (frames[i].__stripeEmuSplit && frames[i].__stripeEmuSplit.frameId === id) return frames[i].__stripeEmuSplit;
      } catch {
        // a frame of another origin (the merchant's own iframes): not ours
      }
    }
    return null;
  }

  /** The card number frame of split elements: copy expiry and CVC from their frames (card data stays on this origin). */
  function gatherSplit(siblings) {
    var missing = null;
    ['expiry', 'cvc'].forEach(function (k) {
      var sib = siblings && siblings[k] ? siblingFrame(siblings[k]) : null;
      if (!sib) missing = missing || k;
      else fields[k].value = sib.value();
    });
    if (missing)
      return {
        error: {
          type: 'validation_error',
          code: missing === 'expiry' ? 'incomplete_expiry' : 'incomplete_cvc',
          message:
            'Mount a ' +
            (missing === 'expiry' ? 'cardExpiry' : 'cardCvc') +
            ' Element from the same elements() group as the cardNumber Element.',
        },
      };
    return null;
  }

  function validateSplit(args) {
    if (own !== 'number') return validateCard();
    var g = gatherSplit(args.siblings);
    if (g) return g;
    collecting = true;
    var v = validateCard();
    collecting = false;
    return v;
  }

  function createPaymentMethod(args) {
    if (own === 'number') {
      var g = gatherSplit(args.siblings);
      if (g) return Promise.resolve(g);
      collecting = true;
    }
    var v = validateCard();
    collecting = false;
    if (v.error) return Promise.resolve(v);
    var exp = parseExpiry();
    var bd = Object.assign({}, args.billing_details || {});
    var addr = Object.assign({}, bd.address || {});
    if (!hideZip) {
      if (type !== 'card' && !addr.country) addr.country = country;
      if (fields.postal && fields.postal.value && !addr.postal_code) addr.postal_code = fields.postal.value.trim();
    }
    if (Object.keys(addr).length) bd.address = addr;
    var params = Object.assign({}, args.extra || {}, {
      type: 'card',
      card: { number: digitsOf(fields.number.value), exp_month: exp.month, exp_year: exp.year, cvc: digitsOf(fields.cvc.value) },
    });
    if (Object.keys(bd).length) params.billing_details = bd;
    setDisabled(true);
    return apiPost('/v1/payment_methods', params).then(function (r) {
      setDisabled(false);
      if (!r.ok) {
        if (r.error && r.error.param && /number/.test(r.error.param)) {
          showErrors({ number: { code: r.error.code, message: r.error.message } });
          reportHeight();
        }
        return { error: r.error };
      }
      return { paymentMethod: r.body };
    });
  }

  // ------------------------------------------------------------------------------------------
  // Address element

  var addr = {};
  function renderAddress() {
    var dv = options.defaultValues || {};
    var a = dv.address || {};
    var c = a.country || defaultCountry();
    var opts = COUNTRIES.map(function (x) {
      return '<option value="' + x[0] + '"' + (x[0] === c ? ' selected' : '') + '>' + esc(x[1]) + '</option>';
    }).join('');
    function input(id, label, val, ac, full) {
      return (
        '<div class="field' +
        (full ? ' full' : '') +
        '" id="f-' +
        id +
        '"><label for="' +
        id +
        '">' +
        label +
        '</label><input id="' +
        id +
        '" value="' +
        esc(val || '') +
        '" autocomplete="' +
        ac +
        '" aria-describedby="err-' +
        id +
        '"><div class="error" id="err-' +
        id +
        '" role="alert"></div></div>'
      );
    }
    root.innerHTML =
      '<form id="form" novalidate><div class="grid">' +
      input('name', 'Full name', dv.name, 'name', true) +
      '<div class="field full"><label for="a-country">Country or region</label><select id="a-country" autocomplete="country">' +
      opts +
      '</select></div>' +
      input('line1', 'Address line 1', a.line1, 'address-line1', true) +
      input('line2', 'Address line 2', a.line2, 'address-line2', true) +
      input('city', 'City', a.city, 'address-level2', false) +
      input('postal_code', 'Postal code', a.postal_code, 'postal-code', false) +
      input('state', 'State', a.state, 'address-level1', true) +
      '</div></form>';
    ['name', 'line1', 'line2', 'city', 'postal_code', 'state'].forEach(function (k) {
      addr[k] = document.getElementById(k);
      addr[k].addEventListener('input', addressChange);
      addr[k].addEventListener('focus', onFocusIn);
      addr[k].addEventListener('blur', onFocusOut);
    });
    addr.country = document.getElementById('a-country');
    addr.country.addEventListener('change', addressChange);
    document.getElementById('form').addEventListener('submit', function (ev) {
      ev.preventDefault();
    });
  }
  function addressValue() {
    return {
      name: addr.name.value.trim(),
      address: {
        line1: addr.line1.value.trim(),
        line2: addr.line2.value.trim() || null,
        city: addr.city.value.trim(),
        state: addr.state.value.trim(),
        postal_code: addr.postal_code.value.trim(),
        country: addr.country.value,
      },
    };
  }
  function addressErrors() {
    var v = addressValue();
    var errs = {};
    if (!v.name) errs.name = 'Your full name is incomplete.';
    if (!v.address.line1) errs.line1 = 'Your address is incomplete.';
    if (!v.address.city) errs.city = 'Your city is incomplete.';
    if (!v.address.postal_code && POSTAL[v.address.country]) errs.postal_code = 'Your postal code is incomplete.';
    if (!v.address.state && (v.address.country === 'US' || v.address.country === 'CA')) errs.state = 'Your state is incomplete.';
    return errs;
  }
  function addressChange() {
    var v = addressValue();
    post('change', {
      complete: Object.keys(addressErrors()).length === 0,
      empty: !v.name && !v.address.line1,
      isNewAddress: true,
      value: v,
    });
  }
  function validateAddress() {
    var errs = addressErrors();
    ['name', 'line1', 'city', 'postal_code', 'state'].forEach(function (k) {
      document.getElementById('err-' + k).textContent = errs[k] || '';
      document.getElementById('f-' + k).classList.toggle('invalid', !!errs[k]);
    });
    reportHeight();
    var keys = Object.keys(errs);
    if (keys.length) return { error: { type: 'validation_error', code: 'incomplete_address', message: errs[keys[0]] } };
    return {};
  }

  // ------------------------------------------------------------------------------------------
  // Link Authentication element: the customer's email (Link itself needs Stripe's network)

  var email = null;
  function renderEmail() {
    var dv = (options.defaultValues && options.defaultValues.email) || '';
    root.innerHTML =
      '<form id="form" novalidate><div class="field" id="f-email"><label for="email">Email</label><div class="inputwrap">' +
      '<input id="email" type="email" inputmode="email" autocomplete="email" spellcheck="false" value="' +
      esc(dv) +
      '" aria-describedby="err-email" aria-invalid="false"></div><div class="error" id="err-email" role="alert"></div></div></form>';
    email = document.getElementById('email');
    email.addEventListener('input', emailChange);
    email.addEventListener('focus', onFocusIn);
    email.addEventListener('blur', onFocusOut);
    document.getElementById('form').addEventListener('submit', function (ev) {
      ev.preventDefault();
    });
    if (dv) setTimeout(emailChange, 0);
  }
  function emailError() {
    var v = email.value.trim();
    if (!v) return { code: 'incomplete_email', message: 'Your email is incomplete.' };
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) return { code: 'invalid_email', message: 'Your email address is invalid.' };
    return null;
  }
  function emailChange() {
    var v = email.value.trim();
    post('change', { complete: !emailError(), empty: !v, value: { email: v } });
  }
  function validateEmail() {
    var e = emailError();
    document.getElementById('err-email').textContent = e ? e.message : '';
    document.getElementById('f-email').classList.toggle('invalid', !!e);
    email.setAttribute('aria-invalid', e ? 'true' : 'false');
    reportHeight();
    return e ? { error: { type: 'validation_error', code: e.code, message: e.message } } : {};
  }

  // ------------------------------------------------------------------------------------------
  // Messaging

  var lastHeight = 0;
  function reportHeight() {
    var h = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (h !== lastHeight) {
      lastHeight = h;
      post('height', { height: h });
    }
  }

  function handle(cmd, args) {
    switch (cmd) {
      case 'validate':
        return type === 'address' ? validateAddress() : type === 'linkAuthentication' ? validateEmail() : validateSplit(args);
      case 'createPaymentMethod':
        return createPaymentMethod(args);
      case 'getValue':
        if (type === 'address') return { complete: Object.keys(addressErrors()).length === 0, isNewAddress: true, value: addressValue() };
        if (type === 'linkAuthentication') return { complete: !emailError(), value: { email: email.value.trim() } };
        return { complete: Object.keys(errorsFor(true)).length === 0, value: { type: 'card' } };
      case 'focus': {
        var first = type === 'address' ? addr.name : type === 'linkAuthentication' ? email : fields[own || 'number'];
        if (first) first.focus();
        return {};
      }
      case 'blur':
        if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
        return {};
      case 'clear':
        if (type === 'address')
          Object.keys(addr).forEach(function (k) {
            if (k !== 'country') addr[k].value = '';
          });
        else if (type === 'linkAuthentication') {
          email.value = '';
          emailChange();
        } else {
          ['number', 'expiry', 'cvc', 'postal'].forEach(function (k) {
            if (fields[k]) fields[k].value = '';
          });
          touched = {};
          submitted = false;
          showBrand();
          emitChange();
        }
        reportHeight();
        return {};
      case 'update':
        if (args.appearance) applyAppearance(args.appearance);
        if (args.options) {
          options = Object.assign({}, options, args.options);
          if (args.options.readOnly !== undefined) setDisabled(args.options.readOnly);
          if (args.options.disabled !== undefined) setDisabled(args.options.disabled);
        }
        setTimeout(reportHeight, 0);
        return {};
      default:
        return { error: { type: 'invalid_request_error', message: 'Unknown command ' + cmd } };
    }
  }

  window.addEventListener('message', function (ev) {
    if (ev.source !== window.parent || ev.origin !== parentOrigin) return;
    var d = ev.data;
    if (!d || d.__stripeEmu !== true || !d.cmd) return;
    Promise.resolve(handle(d.cmd, d.args || {})).then(function (result) {
      window.parent.postMessage({ __stripeEmu: true, replyTo: d.id, result: result }, parentOrigin);
    });
  });

  if (type === 'address') renderAddress();
  else if (type === 'linkAuthentication') renderEmail();
  else renderCard();
  // a split card frame lends its one value to the card number frame (same origin) when it creates the PaymentMethod
  if (own && own !== 'number')
    window.__stripeEmuSplit = {
      frameId: frameId,
      value: function () {
        return fields[own].value;
      },
    };
  if (typeof ResizeObserver === 'function') new ResizeObserver(reportHeight).observe(document.documentElement);
  lastHeight = Math.ceil(document.documentElement.getBoundingClientRect().height);
  post('ready', { height: lastHeight });
})();
