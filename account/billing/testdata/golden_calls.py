#!/usr/bin/env python3
"""Writes golden-calls.csv: the expected price of each call, computed here
with Python's decimal module, independently of the Go code it checks.

Rules (billing/doc.go, rating/doc.go): billed = 0, I, or I + ceil((d-I)/S)*S;
credit cost = round_half_up(fee + rate*billed/60, 4); bundle-eligible calls
take billed seconds from the bundle first and pay rate*rest/60 (no fee, no
further minimum); premium numbers pay at least 1.50/min; a call is charged
only up to the longest duration its credit paid for.
"""
from decimal import Decimal as D, ROUND_HALF_UP
import csv, math

deck = {}
for row in csv.DictReader(l for l in open("golden-deck.csv") if not l.startswith("#")):
    i, s = row["increment"].split("/")
    deck[row["prefix"]] = (D(row["rate_per_minute"]), int(i), int(s), D(row["connect_fee"]))

def match(digits):
    for n in range(len(digits), 0, -1):
        if digits[:n] in deck:
            return deck[digits[:n]]

def billed(d, i, s):
    if d <= 0: return 0
    if d <= i: return i
    return i + math.ceil((d - i) / s) * s

def cost(fee, rate, b):
    if b <= 0: return D(0)
    return ((fee * 60 + rate * b) / D(60)).quantize(D("0.0001"), rounding=ROUND_HALF_UP)

def max_paid(fee, rate, i, s, credit):
    best, b = 0, i
    while b <= 86400 and cost(fee, rate, b) <= credit:
        best, b = b, b + s
    return best

# name, direction, local, remote (digits), seconds, bundle seconds, credit, usage, domestic, premium
cases = [
    # Domestic US/CA (6/6), bundle full, partial, empty.
    ("us 1s bundle", "outbound", "14155552671", "16045550100", 1, 60000, "20", "domestic-call"),
    ("us 59s bundle", "outbound", "14155552671", "16045550100", 59, 60000, "20", "domestic-call"),
    ("us 61s bundle", "outbound", "14155552671", "16045550100", 61, 60000, "20", "domestic-call"),
    ("us 10m bundle", "outbound", "14155552671", "16045550100", 600, 60000, "20", "domestic-call"),
    ("us 125s bundle has 100", "outbound", "14155552671", "16045550100", 125, 100, "20", "domestic-call"),
    ("us 100s bundle has 100", "outbound", "14155552671", "16045550100", 100, 100, "20", "domestic-call"),
    ("us 7s bundle has 3", "outbound", "14155552671", "16045550100", 7, 3, "20", "domestic-call"),
    ("us 61s bundle empty", "outbound", "14155552671", "16045550100", 61, 0, "20", "domestic-call"),
    ("us 1s bundle empty", "outbound", "14155552671", "16045550100", 1, 0, "20", "domestic-call"),
    ("us 1h bundle empty", "outbound", "14155552671", "16045550100", 3600, 0, "20", "domestic-call"),
    ("us 1h bundle has 1800", "outbound", "14155552671", "16045550100", 3600, 1800, "20", "domestic-call"),
    ("us unanswered", "outbound", "14155552671", "16045550100", 0, 60000, "20", "domestic-call"),
    ("inbound 90s bundle", "inbound", "14155552671", "447400123456", 90, 60000, "20", "domestic-call"),
    ("inbound 90s bundle empty", "inbound", "14155552671", "447400123456", 90, 0, "20", "domestic-call"),
    ("inbound 95s bundle has 30", "inbound", "14155552671", "16045550100", 95, 30, "20", "domestic-call"),
    # UK 1/1 no fee; mobile 1/1 with fee.
    ("uk fixed 1s", "outbound", "14155552671", "442079460958", 1, 60000, "20", "international-call"),
    ("uk fixed 61s", "outbound", "14155552671", "442079460958", 61, 60000, "20", "international-call"),
    ("uk fixed 205s", "outbound", "14155552671", "442079460958", 205, 0, "20", "international-call"),
    ("uk mobile 1s fee", "outbound", "14155552671", "447400123456", 1, 60000, "20", "international-call"),
    ("uk mobile 59s fee", "outbound", "14155552671", "447400123456", 59, 60000, "20", "international-call"),
    ("uk mobile 1h fee", "outbound", "14155552671", "447400123456", 3600, 60000, "20", "international-call"),
    ("uk mobile unanswered", "outbound", "14155552671", "447400123456", 0, 60000, "20", "international-call"),
    # France 60/60, fixed no fee, mobile with fee.
    ("fr fixed 1s", "outbound", "14155552671", "33142685300", 1, 60000, "20", "international-call"),
    ("fr fixed 60s", "outbound", "14155552671", "33142685300", 60, 60000, "20", "international-call"),
    ("fr fixed 61s", "outbound", "14155552671", "33142685300", 61, 60000, "20", "international-call"),
    ("fr mobile 5s fee", "outbound", "14155552671", "33612345678", 5, 60000, "20", "international-call"),
    ("fr mobile 121s fee", "outbound", "14155552671", "33612345678", 121, 60000, "20", "international-call"),
    # Mexico 30/6 with fee.
    ("mx 10s 30/6", "outbound", "14155552671", "525512345678", 10, 60000, "20", "international-call"),
    ("mx 30s 30/6", "outbound", "14155552671", "525512345678", 30, 60000, "20", "international-call"),
    ("mx 31s 30/6", "outbound", "14155552671", "525512345678", 31, 60000, "20", "international-call"),
    ("mx 37s 30/6", "outbound", "14155552671", "525512345678", 37, 60000, "20", "international-call"),
    ("mx 20m 30/6", "outbound", "14155552671", "525512345678", 1200, 60000, "20", "international-call"),
    # Germany: a six-decimal rate, 1/1 and 6/6 with a sub-cent fee.
    ("de fixed 1s 6dp", "outbound", "14155552671", "4930901820", 1, 60000, "20", "international-call"),
    ("de fixed 7s 6dp", "outbound", "14155552671", "4930901820", 7, 60000, "20", "international-call"),
    ("de fixed 333s 6dp", "outbound", "14155552671", "4930901820", 333, 60000, "20", "international-call"),
    ("de mobile 8s 6/6", "outbound", "14155552671", "4915123456789", 8, 60000, "20", "international-call"),
    ("de mobile 600s 6/6", "outbound", "14155552671", "4915123456789", 600, 60000, "20", "international-call"),
    # Jamaica: +1 but international, 60/60 with fee, never from the bundle.
    ("jm 30s", "outbound", "14155552671", "18769271234", 30, 60000, "20", "international-call"),
    ("jm 61s", "outbound", "14155552671", "18769271234", 61, 60000, "20", "international-call"),
    # Japan 60/1 with fee (the research brief's worked example, at $0.50).
    ("jp 5s 60/1", "outbound", "14155552671", "81312345678", 5, 60000, "20", "international-call"),
    ("jp 61s 60/1", "outbound", "14155552671", "81312345678", 61, 60000, "20", "international-call"),
    ("jp 205s 60/1", "outbound", "14155552671", "81312345678", 205, 60000, "20", "international-call"),
    # Premium: US 900 at its deck rate; UK 909 lifted to the 1.50 floor.
    ("us premium 61s", "outbound", "14155552671", "19005550199", 61, 60000, "20", "premium-call"),
    ("uk premium 10s floor", "outbound", "14155552671", "449098790000", 10, 60000, "20", "premium-call"),
    # Forwarding: always credits, at the destination's rate.
    ("forward us 90s", "forward", "14155552671", "16045550100", 90, 60000, "20", "forwarded-call"),
    ("forward uk mobile 90s", "forward", "14155552671", "447400123456", 90, 60000, "20", "forwarded-call"),
    # Credit limits the call: charged up to the paid end only.
    ("jp 1.00 credit caps at 108s", "outbound", "14155552671", "81312345678", 300, 0, "1.00", "international-call"),
    ("jm 0.50 credit caps at 120s", "outbound", "14155552671", "18769271234", 500, 0, "0.50", "international-call"),
    ("us bundle 60 then 0.01 credit", "outbound", "14155552671", "16045550100", 400, 60, "0.01", "domestic-call"),
]

PREMIUM_FLOOR = D("1.50")
with open("golden-calls.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["name", "direction", "local", "remote", "seconds", "bundle", "credit", "usage",
                "charged_seconds", "billed", "bundle_used", "cost"])
    for name, direction, local, remote, d, bundle, credit, usage in cases:
        credit = D(credit)
        rate, i, s, fee = match(local if direction == "inbound" else remote)
        if usage == "premium-call":
            rate = max(rate, PREMIUM_FLOOR)
        if usage == "domestic-call":
            # Bundle seconds first (in the tariff's billed seconds), then 1/1 credit.
            paid_bundle = bundle
            credit_secs = max_paid(D(0), rate, 1, 1, credit)
            paid = paid_bundle + credit_secs
            dd = min(d, paid)
            b = billed(dd, i, s)
            used = min(b, bundle)
            over = min(b - used, credit_secs)
            c = cost(D(0), rate, over)
        else:
            paid = max_paid(fee, rate, i, s, credit)
            dd = min(d, paid)
            b = billed(dd, i, s)
            used = 0
            c = cost(fee, rate, min(b, paid))
        w.writerow([name, direction, "+" + local, "+" + remote, d, bundle, credit, usage, dd, b if dd else 0, used, c])
print(len(cases), "cases")
