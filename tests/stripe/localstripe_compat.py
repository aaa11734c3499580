#!/usr/bin/env python3
"""Offline stand-in for Stripe, for the Stripe provider's tests.

Runs localstripe (https://pypi.org/project/localstripe/, 1.15.10) in this process after
patching it so that:

- its objects carry every field async-stripe 1.0.0-rc.10 requires to parse them;
- refunds cannot exceed what is left of a charge, and emit `charge.refunded`;
- Checkout Sessions exist (mode=payment with price_data line items), with a test-only
  endpoint that completes one (approve or decline) as a customer would;
- POST requests under /v1/ honour the `Idempotency-Key` header;
- upcoming requests can be made to hang (or be dropped) to test timeouts.

Usage: python3 localstripe_compat.py --port PORT --state-file PATH [--from-scratch]
See README.md next to this file for the endpoints and the limits.
"""

import argparse
import asyncio
import contextvars
import hashlib
import html
import json
import logging
import os
import pickle
import time
from urllib.parse import parse_qsl

from aiohttp import web

from localstripe import resources, server, webhooks
from localstripe.errors import UserError
from localstripe.resources import (Charge, Event, PaymentIntent, PaymentMethod,
                                   Refund, StripeObject, random_id, store,
                                   try_convert_to_int)

# The API version async-stripe 1.0.0-rc.10 is generated for; events carrying another
# one make it log a mismatch warning.
API_VERSION = '2026-09-30.endive'

# Set from the command line in main().
STATE_FILE = None
BASE_URL = None

ZERO_DECIMAL_CURRENCIES = {'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga',
                           'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf'}


class StripeError(UserError):
    """A UserError whose `type` is not `invalid_request_error`."""

    def __init__(self, status, type, message, contents=None):
        super().__init__(status, message, contents)
        self.body['error']['type'] = type


def money(amount, currency):
    """Formats an amount as Stripe's error messages do: "€12.50"."""
    if currency in ZERO_DECIMAL_CURRENCIES:
        text = str(amount)
    else:
        text = '%d.%02d' % divmod(amount, 100)
    symbol = {'usd': '$', 'eur': '€', 'gbp': '£'}.get(currency)
    return symbol + text if symbol else '%s %s' % (text, currency.upper())


# --- State file ------------------------------------------------------------------------
# localstripe hard-codes /tmp/localstripe.pickle; keep the state where we are told.

def _load_store(self):
    try:
        with open(STATE_FILE, 'rb') as f:
            saved = pickle.load(f)
    except FileNotFoundError:
        return
    self.clear()
    self.update(saved)


def _dump_store(self):
    tmp = STATE_FILE + '.tmp'
    with open(tmp, 'wb') as f:
        pickle.dump(dict(self), f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, STATE_FILE)


resources.Store.try_load_from_disk = _load_store
resources.Store.dump_to_disk = _dump_store


# --- Object shapes ---------------------------------------------------------------------
# Fields async-stripe requires (or that Stripe always sends) which localstripe omits.

def _api_retrieve(cls, id):
    obj = store.get(cls.object + ':' + id)
    if obj is None:
        # Stripe's answer, which clients tell apart from other 404s by its code.
        raise UserError(404, "No such %s: '%s'" % (cls.object, id),
                        {'code': 'resource_missing', 'param': 'id'})
    return obj


StripeObject._api_retrieve = classmethod(_api_retrieve)


def extend_export(cls, add_fields):
    original = cls._export

    def _export(self, expand=None):
        obj = original(self, expand=expand)
        add_fields(self, obj, expand or [])
        return obj

    cls._export = _export


def expanded(expand, field):
    return any(path.split('.')[0] == field for path in expand)


def _charge_fields(charge, obj, expand):
    succeeded = charge.status == 'succeeded'
    obj['amount_captured'] = charge.amount if succeeded and charge.captured else 0
    obj.setdefault('billing_details', {'address': None, 'email': None,
                                       'name': None, 'phone': None})
    obj.setdefault('disputed', False)
    if charge.status == 'failed':
        obj['outcome'] = {'type': 'issuer_declined',
                          'network_status': 'declined_by_network',
                          'reason': 'generic_decline', 'risk_level': 'normal',
                          'seller_message': 'The bank did not return any further '
                                            'details with this decline.'}
    else:
        obj['outcome'] = {'type': 'authorized',
                          'network_status': 'approved_by_network',
                          'reason': None, 'risk_level': 'normal',
                          'seller_message': 'Payment complete.'}


def _payment_intent_fields(intent, obj, expand):
    status = obj.get('status')
    obj['amount_capturable'] = intent.amount if status == 'requires_capture' else 0
    obj['amount_received'] = intent.amount if status == 'succeeded' else 0
    obj.setdefault('confirmation_method', 'automatic')
    obj.setdefault('payment_method_types', ['card'])
    obj.setdefault('description', getattr(intent, 'description', None))
    # Stripe sends the charge's id unless asked to expand it.
    if intent.latest_charge is not None and not expanded(expand, 'latest_charge'):
        obj['latest_charge'] = intent.latest_charge.id
    error = obj.get('last_payment_error')
    if error:
        if error.get('code') == 'card_declined':
            error.update(type='card_error', decline_code='generic_decline')
        else:
            error.setdefault('type', 'invalid_request_error')


extend_export(Charge, _charge_fields)
extend_export(PaymentIntent, _payment_intent_fields)


# The API request being served, so that events can name it as Stripe's do.
current_request = contextvars.ContextVar('current_request', default=None)

_event_init = Event.__init__


def _event_init_compat(self, type, data):
    _event_init(self, type, data)
    self.api_version = API_VERSION
    self.request = current_request.get() or {'id': None, 'idempotency_key': None}
    self.pending_webhooks = sum(
        1 for hook in webhooks._webhooks.values()
        if hook.events is None or type in hook.events)


Event.__init__ = _event_init_compat


# --- Declines --------------------------------------------------------------------------
# 4000000000000002 (pm_card_visa_chargeDeclined) is Stripe's generic decline; a declined
# charge is a `card_error`, as Stripe reports it.

_charging_is_declined = PaymentMethod._charging_is_declined


def _charging_is_declined_compat(self):
    return (_charging_is_declined(self) or
            getattr(self, '_card_number', None) == '4000000000000002')


def _raise_card_error(self):
    raise StripeError(402, 'card_error', self.failure_message,
                      {'code': self.failure_code, 'decline_code': 'generic_decline',
                       'charge': self.id})


PaymentMethod._charging_is_declined = _charging_is_declined_compat
Charge._raise_failure = _raise_card_error


# --- Refunds ---------------------------------------------------------------------------

_refund_init = Refund.__init__


def _refund_init_compat(self, charge=None, payment_intent=None, amount=None,
                        metadata=None, reason=None, **kwargs):
    # Refuse what Stripe refuses before localstripe records anything.
    charge_obj = None
    if isinstance(payment_intent, str) and charge is None:
        intent = PaymentIntent._api_retrieve(payment_intent)
        charge_obj = intent.latest_charge
        if charge_obj is None:
            raise UserError(400, 'PaymentIntent %s does not have a successful charge '
                                 'to refund.' % payment_intent)
    elif isinstance(charge, str):
        charge_obj = Charge._api_retrieve(charge)
    wanted = try_convert_to_int(amount)
    if charge_obj is not None and charge_obj.status == 'succeeded':
        left = charge_obj.amount - charge_obj.amount_refunded
        if left <= 0:
            raise UserError(400, 'Charge %s has already been refunded.' % charge_obj.id,
                            {'code': 'charge_already_refunded'})
        if isinstance(wanted, int) and wanted > left:
            raise UserError(
                400, 'Refund amount (%s) is greater than unrefunded amount on charge '
                     '(%s)' % (money(wanted, charge_obj.currency),
                               money(left, charge_obj.currency)),
                {'code': 'amount_too_large', 'param': 'amount'})
    if reason not in (None, 'duplicate', 'fraudulent', 'requested_by_customer'):
        raise UserError(400, 'Invalid reason: %s' % reason, {'param': 'reason'})

    _refund_init(self, charge=charge, payment_intent=payment_intent, amount=amount,
                 metadata=metadata, **kwargs)
    self.reason = reason
    if self.payment_intent is None:
        self.payment_intent = Charge._api_retrieve(self.charge).payment_intent


def _refund_api_create(cls, **data):
    refund = cls(**data)
    charge = Charge._api_retrieve(refund.charge)
    resources.schedule_webhook(Event('charge.refunded', charge))
    resources.schedule_webhook(Event('refund.created', refund))
    return refund


Refund.__init__ = _refund_init_compat
Refund._api_create = classmethod(_refund_api_create)


# --- Checkout Sessions -----------------------------------------------------------------

# Parameters accepted and stored as given, without effect on behaviour here.
PASSIVE_SESSION_PARAMS = ('locale', 'submit_type', 'billing_address_collection',
                          'customer_creation')


class CheckoutSession(StripeObject):
    object = 'checkout.session'
    _id_prefix = 'cs_test_'

    def __init__(self, mode=None, line_items=None, success_url=None, cancel_url=None,
                 client_reference_id=None, customer=None, customer_email=None,
                 metadata=None, expires_at=None, payment_intent_data=None,
                 payment_method_types=None, ui_mode=None, **kwargs):
        passive = {k: kwargs.pop(k) for k in PASSIVE_SESSION_PARAMS if k in kwargs}
        if kwargs:
            raise UserError(400, 'Received unknown parameter: %s (not supported by '
                                 'this stand-in)' % ', '.join(sorted(kwargs)))
        if mode != 'payment':
            raise UserError(400, 'Only mode=payment is supported by this stand-in.',
                            {'param': 'mode'})
        if ui_mode not in (None, 'hosted'):
            raise UserError(400, 'Only ui_mode=hosted is supported.',
                            {'param': 'ui_mode'})
        if payment_method_types not in (None, ['card']):
            raise UserError(400, 'Only payment_method_types[]=card is supported.',
                            {'param': 'payment_method_types'})

        items, currency, total = self._check_line_items(line_items)

        now = int(time.time())
        if expires_at is None:
            expires_at = now + 24 * 3600
        expires_at = try_convert_to_int(expires_at)
        # Stripe's bounds, with a minute's grace for clocks and slow requests.
        if (type(expires_at) is not int or
                not now + 30 * 60 - 60 <= expires_at <= now + 24 * 3600 + 60):
            raise UserError(400, 'The `expires_at` timestamp must be between 30 minutes '
                                 'and 24 hours from Checkout Session creation.',
                            {'param': 'expires_at'})
        for name, value in (('success_url', success_url), ('cancel_url', cancel_url),
                            ('client_reference_id', client_reference_id),
                            ('customer_email', customer_email)):
            if value is not None and (type(value) is not str or not value):
                raise UserError(400, 'Invalid %s' % name, {'param': name})
        if metadata is not None and not (
                type(metadata) is dict and
                all(type(v) is str for v in metadata.values())):
            raise UserError(400, 'Invalid metadata', {'param': 'metadata'})
        payment_intent_data = payment_intent_data or {}
        if type(payment_intent_data) is not dict or \
                set(payment_intent_data) - {'metadata', 'description'}:
            raise UserError(400, 'Only payment_intent_data[metadata] and '
                                 '[description] are supported.',
                            {'param': 'payment_intent_data'})
        if customer is not None:
            resources.Customer._api_retrieve(customer)  # 404 if unknown

        # All exceptions must be raised before this point.
        super().__init__()

        self._line_items = items
        self._payment_intent_data = payment_intent_data
        self.mode = 'payment'
        self.status = 'open'
        self.payment_status = 'unpaid'
        self.amount_subtotal = total
        self.amount_total = total
        self.currency = currency
        self.client_reference_id = client_reference_id
        self.customer = customer
        self.customer_email = customer_email
        self.customer_details = None
        self.metadata = metadata or {}
        self.success_url = success_url
        self.cancel_url = cancel_url
        self.expires_at = expires_at
        self.payment_intent = None
        self.payment_method_types = ['card']
        self.ui_mode = 'hosted'
        self.client_secret = None
        self.invoice = None
        self.subscription = None
        self.setup_intent = None
        self.payment_link = None
        self.recovered_from = None
        self.allow_promotion_codes = None
        self.consent = None
        self.shipping_address_collection = None
        self.shipping_cost = None
        self.payment_method_collection = 'if_required'
        self.automatic_tax = {'enabled': False, 'liability': None, 'provider': None,
                              'status': None}
        self.custom_fields = []
        self.custom_text = {'after_submit': None, 'shipping_address': None,
                            'submit': None, 'terms_of_service_acceptance': None}
        self.shipping_options = []
        self.phone_number_collection = {'enabled': False}
        self.total_details = {'amount_discount': 0, 'amount_shipping': 0,
                              'amount_tax': 0}
        self.locale = None
        self.submit_type = None
        self.billing_address_collection = None
        self.customer_creation = 'if_required'
        for key, value in passive.items():
            setattr(self, key, value)

    @staticmethod
    def _check_line_items(line_items):
        """Returns (items, currency, amount_total) for `price_data` line items."""
        if type(line_items) is not list or not line_items:
            raise UserError(400, 'Missing required param: line_items.',
                            {'param': 'line_items'})
        items, currencies, total = [], set(), 0
        for i, item in enumerate(line_items):
            param = 'line_items[%d]' % i
            if type(item) is not dict or 'price' in item:
                raise UserError(400, '%s: only price_data is supported (there is no '
                                     'Prices API here).' % param, {'param': param})
            price = item.get('price_data')
            quantity = try_convert_to_int(item.get('quantity'))
            unit_amount = try_convert_to_int((price or {}).get('unit_amount'))
            product = (price or {}).get('product_data')
            if (type(price) is not dict or type(price.get('currency')) is not str or
                    type(unit_amount) is not int or unit_amount < 0 or
                    type(product) is not dict or
                    type(product.get('name')) is not str or not product['name'] or
                    type(quantity) is not int or quantity < 1):
                raise UserError(400, '%s needs price_data[currency], '
                                     'price_data[unit_amount], '
                                     'price_data[product_data][name] and quantity.'
                                % param, {'param': param})
            currency = price['currency'].lower()
            currencies.add(currency)
            total += unit_amount * quantity
            items.append({'name': product['name'],
                          'description': product.get('description'),
                          'currency': currency, 'unit_amount': unit_amount,
                          'quantity': quantity})
        if len(currencies) != 1:
            raise UserError(400, 'All line items must use the same currency.',
                            {'param': 'line_items'})
        return items, currencies.pop(), total

    @property
    def url(self):
        # Stripe drops the URL once the session is no longer open.
        if self.status != 'open':
            return None
        return '%s/checkout/pay/%s' % (BASE_URL, self.id)

    def _expire_if_due(self):
        """Stripe expires open sessions itself once expires_at has passed."""
        if self.status == 'open' and time.time() >= self.expires_at:
            token = current_request.set(None)  # Stripe's own doing, no API request
            try:
                self._expire()
            finally:
                current_request.reset(token)
            store.dump_to_disk()

    def _expire(self):
        self.status = 'expired'
        resources.schedule_webhook(Event('checkout.session.expired', self))

    def _complete(self, outcome):
        self._expire_if_due()
        if self.status != 'open':
            raise UserError(400, 'This Checkout Session is %s, not open.' % self.status)
        self.status = 'complete'
        self.customer_details = {'email': self.customer_email, 'name': None,
                                 'phone': None, 'address': None,
                                 'tax_exempt': 'none', 'tax_ids': []}
        if outcome == 'approve' and self.amount_total == 0:
            self.payment_status = 'no_payment_required'
            event = 'checkout.session.completed'
        elif outcome == 'approve':
            # A real PaymentIntent, confirmed with a card that succeeds.
            card = PaymentMethod(type='card', card={'number': '4242424242424242',
                                                    'exp_month': '12',
                                                    'exp_year': '2034',
                                                    'cvc': '123'})
            intent = PaymentIntent(
                amount=self.amount_total, currency=self.currency,
                customer=self.customer, payment_method=card.id,
                metadata=dict(self._payment_intent_data.get('metadata') or {}))
            intent.description = self._payment_intent_data.get('description')
            intent._confirm(on_failure_now=intent._report_failure)
            self.payment_intent = intent.id
            self.payment_status = 'paid'
            event = 'checkout.session.completed'
        else:
            event = 'checkout.session.async_payment_failed'
        resources.schedule_webhook(Event(event, self))

    @classmethod
    def _api_retrieve(cls, id):
        obj = super()._api_retrieve(id)
        obj._expire_if_due()
        return obj

    @classmethod
    def _api_update(cls, id, **data):
        raise UserError(405, 'Method Not Allowed')

    @classmethod
    def _api_delete(cls, id):
        raise UserError(405, 'Method Not Allowed')

    @classmethod
    def _api_list_all(cls, url, payment_intent=None, status=None, customer=None,
                      limit=None, starting_after=None, **kwargs):
        if kwargs:
            raise UserError(400, 'Received unknown parameter: %s'
                            % ', '.join(sorted(kwargs)))
        li = super()._api_list_all(url, limit=limit, starting_after=starting_after)
        for session in li._list:
            session._expire_if_due()
        li._list = [s for s in reversed(li._list)
                    if payment_intent in (None, s.payment_intent) and
                    status in (None, s.status) and customer in (None, s.customer)]
        li._list.sort(key=lambda s: s.created, reverse=True)  # newest first
        return li

    @classmethod
    def _api_expire(cls, id, **kwargs):
        if kwargs:
            raise UserError(400, 'Received unknown parameter: %s'
                            % ', '.join(sorted(kwargs)))
        session = cls._api_retrieve(id)
        if session.status != 'open':
            raise UserError(400, 'Only Checkout Sessions with a status in ["open"] can '
                                 'be expired. This session is %s.' % session.status)
        session._expire()
        return session


async def complete_session(request):
    """Test-only: the customer pays (`outcome=approve`) or the payment fails
    (`outcome=decline`). With `redirect=1` (the pay page's forms), answers with a
    redirect to success_url instead of the session JSON."""
    data = await server.get_post_data(request) or {}
    outcome = data.get('outcome')
    if outcome not in ('approve', 'decline'):
        raise UserError(400, 'outcome must be approve or decline')
    session = CheckoutSession._api_retrieve(request.match_info['id'])
    session._complete(outcome)
    if data.get('redirect') == '1' and session.success_url:
        raise web.HTTPSeeOther(
            session.success_url.replace('{CHECKOUT_SESSION_ID}', session.id))
    return server.json_response(session._export())


async def pay_page(request):
    """The page a session's `url` points at: approve or decline by hand."""
    session = CheckoutSession._api_retrieve(request.match_info['id'])
    esc = html.escape
    rows = ''.join(
        '<li>%d × %s — %s</li>' % (
            item['quantity'], esc(item['name']),
            esc(money(item['unit_amount'], item['currency'])))
        for item in session._line_items)
    if session.status == 'open':
        action = '/_test/checkout/sessions/%s/complete' % session.id
        forms = ''.join(
            '<form method="post" action="%s"><input type="hidden" name="outcome" '
            'value="%s"><input type="hidden" name="redirect" value="1">'
            '<button type="submit">%s</button></form>' % (action, outcome, label)
            for outcome, label in (('approve', 'Pay (test card succeeds)'),
                                   ('decline', 'Pay (test card is declined)')))
        if session.cancel_url:
            forms += '<p><a href="%s">Back</a></p>' % esc(session.cancel_url)
    else:
        forms = '<p>This checkout session is %s.</p>' % esc(session.status)
    body = ('<!doctype html><html><head><meta charset="utf-8"><title>Test checkout'
            '</title></head><body><h1>Test checkout</h1><ul>%s</ul><p>Total: %s</p>%s'
            '</body></html>' % (rows, esc(money(session.amount_total, session.currency)),
                                forms))
    return web.Response(text=body, content_type='text/html')


# --- Fault injection -------------------------------------------------------------------

# Each rule: {'path_prefix', 'remaining', 'seconds', 'drop'}.
stall_rules = []


async def add_stall(request):
    data = await server.get_post_data(request) or {}
    prefix = data.get('path_prefix')
    count = try_convert_to_int(data.get('count', 1))
    try:
        seconds = float(data.get('seconds', 0))
    except (TypeError, ValueError):
        seconds = -1
    if (type(prefix) is not str or not prefix.startswith('/') or
            type(count) is not int or count < 1 or seconds < 0):
        raise UserError(400, 'Expected path_prefix (/...), count >= 1 and seconds >= 0')
    stall_rules.append({'path_prefix': prefix, 'remaining': count, 'seconds': seconds,
                        'drop': data.get('drop') in ('1', 'true', True)})
    return server.json_response({'stalls': stall_rules})


async def clear_stalls(request):
    stall_rules.clear()
    return server.json_response({'stalls': stall_rules})


@web.middleware
async def stall_middleware(request, handler):
    if not request.path.startswith('/_test/'):
        for rule in stall_rules:
            if rule['remaining'] > 0 and request.path.startswith(rule['path_prefix']):
                rule['remaining'] -= 1
                # Take the whole request first, so that it is still handled if the
                # client gives up waiting: the answer is lost, not the request.
                await request.read()
                await asyncio.sleep(rule['seconds'])
                if rule['drop']:
                    # Hang up without an answer and without handling the request.
                    request.transport.abort()
                    raise asyncio.CancelledError()
                break
        stall_rules[:] = [r for r in stall_rules if r['remaining'] > 0]
    return await handler(request)


# --- Idempotency -----------------------------------------------------------------------
# Stripe replays the first answer to a POST for the same Idempotency-Key, and refuses
# the key with other parameters. Successful answers are kept in the store (so they
# survive restarts and are cleared with the data); errors are not kept.

in_flight_keys = set()


def request_fingerprint(request, body):
    if request.content_type == 'application/json':
        params = json.dumps(json.loads(body or b'null'), sort_keys=True)
    else:
        params = json.dumps(sorted(parse_qsl(body.decode('utf-8'),
                                             keep_blank_values=True)))
    return hashlib.sha256((request.path + '\n' + params).encode('utf-8')).hexdigest()


@web.middleware
async def idempotency_middleware(request, handler):
    if request.method != 'POST' or not request.path.startswith('/v1/'):
        return await handler(request)
    key = request.headers.get('Idempotency-Key')
    request_id = 'req_' + random_id(14)
    token = current_request.set({'id': request_id, 'idempotency_key': key})
    try:
        if not key:
            response = await handler(request)
        else:
            response = await _idempotent(request, handler, key)
        response.headers['Request-Id'] = request_id
        return response
    finally:
        current_request.reset(token)


async def _idempotent(request, handler, key):
    fingerprint = request_fingerprint(request, await request.read())
    slot = '_idempotency:' + key
    seen = store.get(slot)
    if seen is not None:
        if seen['fingerprint'] != fingerprint:
            raise StripeError(
                400, 'idempotency_error',
                'Keys for idempotent requests can only be used with the same '
                'parameters they were first used with. Try using a key other than '
                '%r if you meant to execute a different request.' % key)
        return web.Response(body=seen['body'], status=seen['status'],
                            content_type='application/json',
                            headers={'Idempotency-Key': key,
                                     'Idempotent-Replayed': 'true'})
    if key in in_flight_keys:
        raise StripeError(409, 'idempotency_error',
                          'There is currently another in-progress request using this '
                          'Idempotent Key (that probably means you submitted twice, '
                          'and the other request is still going through): %s.' % key)
    in_flight_keys.add(key)
    try:
        response = await handler(request)
    finally:
        in_flight_keys.discard(key)
    if 200 <= response.status < 300 and isinstance(response.body, (bytes, bytearray)):
        store[slot] = {'fingerprint': fingerprint, 'status': response.status,
                       'body': bytes(response.body)}
    response.headers['Idempotency-Key'] = key
    return response


# --- Wiring ----------------------------------------------------------------------------

# Paths served without an API key, like localstripe's /_config/.
PUBLIC_PREFIXES = ('/_test/', '/checkout/pay/')


@web.middleware
async def auth_middleware(request, handler):
    if request.path.startswith(PUBLIC_PREFIXES):
        return await handler(request)
    return await server.auth_middleware(request, handler)


app = server.app
app.middlewares[:] = [stall_middleware, server.error_middleware, auth_middleware,
                      idempotency_middleware, server.save_store_middleware]

SESSIONS = '/v1/checkout/sessions'
app.router.add_post(SESSIONS, server.api_create(CheckoutSession, SESSIONS))
app.router.add_get(SESSIONS, server.api_list_all(CheckoutSession, SESSIONS))
app.router.add_get(SESSIONS + '/{id}', server.api_retrieve(CheckoutSession, SESSIONS))
app.router.add_post(SESSIONS + '/{id}/expire',
                    server.api_extra(CheckoutSession._api_expire, SESSIONS))
app.router.add_post('/_test/checkout/sessions/{id}/complete', complete_session)
app.router.add_get('/checkout/pay/{id}', pay_page)
app.router.add_post('/_test/stall', add_stall)
app.router.add_delete('/_test/stall', clear_stalls)


def main():
    global STATE_FILE, BASE_URL
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--state-file', required=True)
    parser.add_argument('--from-scratch', action='store_true',
                        help='ignore the state file\'s current contents')
    args = parser.parse_args()

    STATE_FILE = os.path.abspath(args.state_file)
    BASE_URL = 'http://127.0.0.1:%d' % args.port
    if not args.from_scratch:
        store.try_load_from_disk()

    logger = logging.getLogger('aiohttp.access')
    logger.setLevel(logging.DEBUG)
    logger.addHandler(logging.StreamHandler())
    web.run_app(app, host='127.0.0.1', port=args.port, access_log=logger)


if __name__ == '__main__':
    main()
